"""gunicorn settings for `make serve` and `make bench`: worker processes with threads, bind from env.

A shop request that calls the mounted emulator holds a second thread while the emulator answers,
so the W workers x T threads must outnumber the requests in flight at once (`make bench` drives
16 clients against 4 x 8 = 32 threads); run the emulator apart (EMULATOR_URL) to lift that.
"""
import os
import secrets

_host = os.environ.get("HOST") or "127.0.0.1"
bind = os.environ.get("BIND") or f"{_host}:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 4)
threads = int(os.environ.get("GUNICORN_THREADS") or 8)
worker_class = "gthread"
# A worker takes a connection only when it has a thread free, and no connection is kept alive
# (a kept-alive one goes back to the same worker even when all its threads are busy): a call
# from the shop to the mounted emulator then waits in the shared backlog for any free thread
# instead of queueing behind the very request that is waiting for it.
worker_connections = threads
keepalive = 0
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
