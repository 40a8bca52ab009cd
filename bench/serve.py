"""`make serve`: the shop and the emulator as two gunicorn servers, started and stopped together.

The emulator listens on EMULATOR_PORT (default PORT + 1) and the shop on PORT (default 8000), each
with the settings of bench/gunicorn.conf.py; the shop finds the emulator through EMULATOR_URL only
(MOUNT_EMULATOR=0). One Ctrl-C (or SIGTERM) stops both, and when either one exits the other is
stopped too. PORT=0 picks two free ports (the benchmark and the tests do).
"""
import os
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
CONF = os.path.join(ROOT, "bench", "gunicorn.conf.py")


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def commands(env):
    """[(name, argv, env)] for the emulator and the shop, from HOST, PORT, EMULATOR_PORT and the workers."""
    host = env.get("HOST") or "127.0.0.1"
    port = int(env.get("PORT") or 8000)
    emu_port = int(env.get("EMULATOR_PORT") or (port + 1 if port else 0))
    port, emu_port = port or free_port(host), emu_port or free_port(host)
    emu_url = f"http://{host}:{emu_port}"
    site_url = env.get("SITE_URL") or f"http://{host}:{port}"
    emu_env = dict(env, BIND=f"{host}:{emu_port}", EMULATOR_SHOP_URL=env.get("EMULATOR_SHOP_URL") or site_url,
                   WEB_CONCURRENCY=env.get("EMULATOR_WEB_CONCURRENCY") or env.get("WEB_CONCURRENCY") or "4")
    shop_env = dict(env, BIND=f"{host}:{port}", EMULATOR_URL=emu_url, MOUNT_EMULATOR="0", SITE_URL=site_url)
    return [("emulator", [GUNICORN, "--config", CONF, "emulator:create_app()"], emu_env),
            ("shop", [GUNICORN, "--config", CONF, "app:create_app()"], shop_env)]


def main():
    procs = []

    def stop(*_):
        for _, proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # The servers run in their own session, so a Ctrl-C reaches this process only and they get one
    # orderly SIGTERM; they stop by themselves if this process is killed outright.
    env = dict(os.environ)
    env["SERVE_STOP_WITH_PID"] = env.get("SERVE_STOP_WITH_PID") or str(os.getpid())
    for name, argv, server_env in commands(env):
        print(f"{name}: http://{server_env['BIND']}", flush=True)
        procs.append((name, subprocess.Popen(argv, cwd=ROOT, env=server_env, start_new_session=True)))
    try:
        while all(proc.poll() is None for _, proc in procs):
            time.sleep(0.2)
    finally:
        stop()
        for _, proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return max(proc.returncode or 0 for _, proc in procs)


if __name__ == "__main__":
    sys.exit(main())
