"""gunicorn settings for `make serve` and `make bench` (each of the two servers): gevent workers, keep-alive.

A gevent worker reads a request on its own greenlet before the app sees it, so a client that sends
its headers slowly holds a greenlet (a few KB), not one of a few threads; 200 such clients leave
normal requests unaffected (a gthread worker hands the socket to a thread that then waits on the
client: 8 threads x 4 workers slow clients stop it). Keep-alive is on: the shop and the emulator
are separate servers, so a shop request never waits for a thread of its own server.
The app must do no network I/O and no sleep inside a database transaction: a greenlet that yields
there while another of the same process waits on SQLite's lock would stall the process.
"""
import os
import secrets

_host = os.environ.get("HOST") or "127.0.0.1"
bind = os.environ.get("BIND") or f"{_host}:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 4)
threads = int(os.environ.get("GUNICORN_THREADS") or 8)  # gthread only (GUNICORN_WORKER_CLASS=gthread)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gevent"
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS") or 1000)
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)
timeout = 60
graceful_timeout = 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
control_socket_disable = True  # several servers (tests, bench) may run at once
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL") or "info"

# Every worker must sign the emulator's own cookies with one key, as the shop's key is shared
# through instance/secret_key. Set once here, in the master, and inherited by the workers.
if not os.environ.get("EMULATOR_SECRET_KEY"):
    os.environ["EMULATOR_SECRET_KEY"] = secrets.token_hex(32)


def when_ready(server):
    """SITE_URL (where the shop finds itself and its mounted emulator: never from a request's Host)
    defaults to the address gunicorn listens on, when neither the environment nor .env sets it, and
    always for the benchmark and the tests (SERVE_STOP_WITH_PID set: a free port); the workers, forked
    after this, inherit it. With SERVE_STOP_WITH_PID set, stop when that process ends, so a killed test
    run leaves no server behind."""
    from dotenv import dotenv_values
    pid = int(os.environ.get("SERVE_STOP_WITH_PID") or 0)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if pid or not (os.environ.get("SITE_URL") or dotenv_values(os.path.join(root, ".env")).get("SITE_URL")):
        os.environ["SITE_URL"] = str(server.LISTENERS[0])
    if not pid:
        return
    import signal
    import threading
    import time

    def watch():
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(1)

    threading.Thread(target=watch, daemon=True, name="stop-with-parent").start()


def post_worker_init(worker):
    """A new worker (a replacement for one that died included) takes up the emulator's pending webhooks
    at once: they live in its database, and each process sends them only while its dispatcher runs."""
    app = worker.wsgi
    emulator = getattr(app, "extensions", {}).get("emulator", app)
    if "webhooks" not in getattr(emulator, "extensions", {}):
        return   # the shop on its own, or another app
    from emulator import db, webhooks
    with emulator.app_context():
        if db.get_db().execute("SELECT 1 FROM deliveries WHERE status = 'pending' LIMIT 1").fetchone():
            webhooks.wake()
