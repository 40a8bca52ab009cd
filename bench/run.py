"""`make bench`: serves the site under gunicorn and measures it over HTTP; writes bench/results.json."""
import argparse
import base64
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html import escape

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
CONF = os.path.join(ROOT, "bench", "gunicorn.conf.py")
sys.path.insert(0, ROOT)
import sqlitedb  # noqa: E402  (the project's SQLite settings, for seeding)
from bench import load  # noqa: E402


SERVE = os.path.join(ROOT, "bench", "serve.py")


class Server:
    """The site as `make serve` runs it, on 127.0.0.1 (free ports), with its own database files: the shop
    and the emulator as two gunicorn servers (bench/serve.py), or with mounted=True one gunicorn serving
    the shop with the emulator mounted at /emulator. .url is the shop, .emulator_url the emulator.
    app= another WSGI app under the same settings (one server; ready: the paths that answer 200 once up)."""

    def __init__(self, workdir, *, workers=4, threads=8, shop_db=None, emulator_db=None, env=None,
                 name="site", mounted=False, app="app:create_app()", ready=None):
        self.workdir, self.mounted, self.app, self.ready = workdir, mounted or app != "app:create_app()", app, ready
        self.shop_db = shop_db or os.path.join(workdir, f"{name}-shop.sqlite3")
        self.emulator_db = emulator_db or os.path.join(workdir, f"{name}-emulator.sqlite3")
        self.log_path = os.path.join(workdir, f"{name}-gunicorn.log")
        self.env = dict(os.environ)
        # Always the built-in emulator, whatever a developer's .env says.
        self.env.update(HOST="127.0.0.1", PORT="0", EMULATOR_PORT="0", BIND="", WEB_CONCURRENCY=str(workers),
                        EMULATOR_WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads),
                        SHOP_DATABASE=self.shop_db, EMULATOR_DATABASE=self.emulator_db, PORTONE_MODE="emulator",
                        PORTONE_V2_MODE="emulator", TOSS_MODE="emulator", MOUNT_EMULATOR="1", EMULATOR_URL="",
                        SITE_URL="", PYTHONDONTWRITEBYTECODE="1", SERVE_STOP_WITH_PID=str(os.getpid()))
        self.env.update(env or {})
        self.proc = None
        self.url = self.emulator_url = None

    def start(self, timeout=30):
        self.log = open(self.log_path, "ab")
        argv = ([GUNICORN, "--config", CONF, self.app] if self.mounted
                else [sys.executable, SERVE])
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.url is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start:\n" + self.log_text()[-3000:])
            text = self.log_text()
            if self.mounted:
                found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", text)
                if found:
                    self.url, self.emulator_url = found.group(1), found.group(1) + "/emulator"
            else:
                shop, emu = re.search(r"^shop: (\S+)", text, re.M), re.search(r"^emulator: (\S+)", text, re.M)
                if shop and emu:
                    self.url, self.emulator_url = shop.group(1), emu.group(1)
            if self.url is None:
                time.sleep(0.05)
        ready = [self.url + path for path in self.ready] if self.ready else [self.url + "/", self.emulator_url + "/clock"]
        while True:  # the workers have booted once the checkout page and the emulator's clock answer
            try:
                if all(requests.get(url, timeout=5).status_code == 200 for url in ready):
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the site did not answer:\n" + self.log_text()[-3000:])
            time.sleep(0.05)
        return self

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def worker_pids(self):
        """The worker processes (of both servers when they are two)."""
        def children(pid):
            out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
            return [int(p) for p in out.split()]
        masters = [self.proc.pid] if self.mounted else children(self.proc.pid)
        return [pid for master in masters for pid in children(master)]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_):
        self.stop()


# --- settings: every loop is bounded in count AND in time -------------------------------------------

FULL = dict(latency_n=300, latency_s=60, flows_n1=80, flows_n16=480, flows_s=25, log_small=100,
            log_big=100_000, log_n=40, log_s=20, emu_n=50_000, emu_s=3, emu_rounds=5, emu_clients=16,
            slow=200, slow_s=6, slow_n=5000, page_loads=3)
SMOKE = dict(latency_n=5, latency_s=10, flows_n1=3, flows_n16=16, flows_s=10, log_small=100,
             log_big=1_000, log_n=3, log_s=5, emu_n=100, emu_s=0.5, emu_rounds=1, emu_clients=4,
             slow=20, slow_s=1, slow_n=50, page_loads=1)
CLIENTS = (1, 16)
TIMEOUT = 30
TOSS_CLIENT_KEY = "test_gck_docs_Ovk5rk1EwkEbP0W43n07xlzm"
TOSS_SECRET_KEY = "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6"
PORTONE = {"user_code": "imp00000000", "imp_key": "emulator_imp_key",
           "imp_secret": "emulator_imp_secret_0000000000000000000000000000000000000000"}


def pct(values, p):
    """The p-th percentile (nearest rank) in ms of a list of seconds; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000, 2)


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def bounded(n, seconds):
    """range(n) that also stops once `seconds` have passed."""
    deadline = time.monotonic() + seconds
    for i in range(n):
        if time.monotonic() > deadline:
            return
        yield i


# --- one buyer, over HTTP, as the checkout page and the PG windows act ------------------------------

class Buyer:
    """A browser session on the shop (its own cookie and CSRF token) that pays in the emulated windows."""

    def __init__(self, server):
        self.url, self.emu = server.url, server.emulator_url
        self.http = requests.Session()
        page = self.http.get(self.url + "/", timeout=TIMEOUT)
        page.raise_for_status()
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)

    def post(self, path, body, **kw):
        return self.http.post(self.url + path, json=body, headers={"X-CSRF-Token": self.csrf},
                              timeout=TIMEOUT, **kw)

    def order(self, pg):
        resp = self.post("/api/orders", {"pg": pg, "product_id": "shoes", "quantity": 1, "coupons": [],
                                         "buyer_name": "Kim Bench", "buyer_email": "bench@example.com"})
        if resp.status_code != 201:
            raise Failure(f"POST /api/orders -> {resp.status_code} {resp.text[:200]}")
        return resp.json()

    def portone_window(self, order, notice=True):
        """IMP.request_pay and the buyer's approve click (the calls tests/drivers/portone.py makes)."""
        params = {"pg": "html5_inicis", "pay_method": "card", "merchant_uid": order["order_id"],
                  "name": order["order_name"], "amount": order["amount"], "currency": "KRW",
                  "buyer_name": "Kim Bench", "buyer_email": "bench@example.com"}
        if notice:
            params["notice_url"] = self.url + "/webhooks/portone"
        opened = self.http.post(self.emu + "/portone/sdk/payments", timeout=TIMEOUT, json={
            "user_code": PORTONE["user_code"], "params": params, "sdk": "1.3.0", "page_url": self.url + "/"})
        if opened.status_code != 200:
            raise Failure(f"portone sdk/payments -> {opened.status_code} {opened.text[:200]}")
        imp_uid = opened.json()["imp_uid"]
        decided = self.http.post(f"{self.emu}/portone/window/{imp_uid}/decide",
                                 json={"outcome": "approve"}, timeout=TIMEOUT)
        if decided.status_code != 200 or not decided.json()["rsp"].get("success", True):
            raise Failure(f"portone decide -> {decided.status_code} {decided.text[:200]}")
        return imp_uid

    def portone_complete(self, order, imp_uid):
        resp = self.post("/payments/complete", {"imp_uid": imp_uid, "merchant_uid": order["order_id"]})
        if resp.status_code >= 400:
            raise Failure(f"POST /payments/complete -> {resp.status_code} {resp.text[:200]}")
        return resp

    def toss_window(self, order):
        """requestPayment and the buyer's approve click (the calls tests/drivers/toss.py makes)."""
        opened = self.http.post(self.emu + "/toss/sdk/payments", timeout=TIMEOUT, json={
            "clientKey": TOSS_CLIENT_KEY, "customerKey": order["customer_key"], "amount": order["amount"],
            "orderId": order["order_id"], "orderName": order["order_name"], "method": "카드",
            "successUrl": self.url + "/success", "failUrl": self.url + "/fail",
            "customerName": "Kim Bench", "customerEmail": "bench@example.com", "page_url": self.url + "/"})
        if opened.status_code != 200:
            raise Failure(f"toss sdk/payments -> {opened.status_code} {opened.text[:200]}")
        key = opened.json()["paymentKey"]
        decided = self.http.post(f"{self.emu}/toss/window/{key}/decide", json={"outcome": "approve"},
                                 timeout=TIMEOUT)
        redirect_url = decided.json().get("redirect_url") if decided.status_code == 200 else None
        if not redirect_url or "/success" not in redirect_url:
            raise Failure(f"toss decide -> {decided.status_code} {decided.text[:200]}")
        return key, redirect_url

    def toss_success(self, redirect_url):
        resp = self.http.get(redirect_url, timeout=TIMEOUT, allow_redirects=False)
        if resp.status_code >= 400:
            raise Failure(f"GET /success -> {resp.status_code} {resp.text[:200]}")
        return resp

    def checkout(self, pg):
        """One whole checkout: order, approval in the window, the shop's verification. (order, ref)."""
        order = self.order(pg)
        if pg == "portone":
            ref = self.portone_window(order)
            self.portone_complete(order, ref)
        else:
            ref, redirect_url = self.toss_window(order)
            self.toss_success(redirect_url)
        return order, ref


class Failure(Exception):
    """A request in a flow gave an error answer."""


class Auditor:
    """Reads the final state of a flow from both sides: the shop's order and the PG's record."""

    def __init__(self, server):
        self.url, self.emu = server.url, server.emulator_url
        self.http = requests.Session()
        self._token = None

    def shop_status(self, order_id):
        resp = self.http.get(f"{self.url}/api/flows/{order_id}", timeout=TIMEOUT)
        if resp.status_code != 200:
            return None
        data = resp.json()
        return (data.get("order") or data).get("status")

    def portone_token(self):
        if self._token is None:
            resp = self.http.post(self.emu + "/portone/users/getToken", timeout=TIMEOUT,
                                  json={"imp_key": PORTONE["imp_key"], "imp_secret": PORTONE["imp_secret"]})
            self._token = resp.json()["response"]["access_token"]
        return self._token

    def pg_record(self, pg, ref):
        """(status, amount) in the emulator's record."""
        if pg == "portone":
            resp = self.http.get(f"{self.emu}/portone/payments/{ref}", timeout=TIMEOUT,
                                 headers={"Authorization": "Bearer " + self.portone_token()})
            body = resp.json().get("response") or {}
            return body.get("status"), body.get("amount")
        resp = self.http.get(f"{self.emu}/toss/v1/payments/{ref}", timeout=TIMEOUT,
                             auth=(TOSS_SECRET_KEY, ""))
        body = resp.json()
        return body.get("status"), body.get("totalAmount")

    def wrong(self, pg, order, ref):
        """None when the shop says paid and the PG's record says paid for the order's amount; else why."""
        status = self.shop_status(order["order_id"])
        pg_status, pg_amount = self.pg_record(pg, ref)
        paid = "paid" if pg == "portone" else "DONE"
        if status != "paid" or pg_status != paid or pg_amount != order["amount"]:
            return f"{order['order_id']}: shop {status}, {pg} {pg_status} {pg_amount} (expected {order['amount']})"
        return None


# --- the figures ------------------------------------------------------------------------------------

def measure_latency(server, cfg, problems):
    """floor, portone_complete and toss_success, sampled in turn so that all three see the same server."""
    buyer, auditor = Buyer(server), Auditor(server)
    floor, timed = [], {"portone": [], "toss": []}
    errors = {"floor": 0, "portone": 0, "toss": 0}
    done = {"portone": [], "toss": []}
    for _ in range(3):  # warm up every worker's connections and code paths
        buyer.http.get(server.url + "/bench/floor", timeout=TIMEOUT)
    for _ in bounded(cfg["latency_n"], cfg["latency_s"]):
        took = _time_floor(buyer)
        if took is None:
            errors["floor"] += 1
        else:
            floor.append(took)
        for pg, name, checkout in (("portone", "portone_complete", _time_portone_complete),
                                   ("toss", "toss_success", _time_toss_success)):
            try:
                took, flow = checkout(buyer)
            except (Failure, requests.RequestException) as e:
                errors[pg] += 1
                problems.append(f"{name}: {e}")
                continue
            timed[pg].append(took)
            done[pg].append(flow)
    wrong = _audit_samples(auditor, done, problems)
    return _latency_figures(floor, timed, errors, wrong), done


def _time_floor(buyer):
    """Seconds GET /bench/floor took (the shop calling the emulator once); None when it did not answer so."""
    started = time.perf_counter()
    resp = buyer.http.get(buyer.url + "/bench/floor", timeout=TIMEOUT)
    took = time.perf_counter() - started
    return took if resp.status_code == 200 and resp.json().get("emulator_status") == 200 else None


def _time_portone_complete(buyer):
    """An approved PortOne checkout, timing only POST /payments/complete: (seconds, (order, imp_uid))."""
    order = buyer.order("portone")
    imp_uid = buyer.portone_window(order, notice=False)
    started = time.perf_counter()
    buyer.portone_complete(order, imp_uid)
    return time.perf_counter() - started, (order, imp_uid)


def _time_toss_success(buyer):
    """An approved Toss checkout, timing only the return to /success: (seconds, (order, paymentKey))."""
    order = buyer.order("toss")
    key, redirect_url = buyer.toss_window(order)
    started = time.perf_counter()
    buyer.toss_success(redirect_url)
    return time.perf_counter() - started, (order, key)


def _audit_samples(auditor, done, problems):
    """How many sampled flows of each PG ended in a wrong state (each one noted in problems)."""
    wrong = {"portone": 0, "toss": 0}
    for pg, flows in done.items():
        for order, ref in flows:
            why = auditor.wrong(pg, order, ref)
            if why:
                wrong[pg] += 1
                problems.append(f"{pg} latency sample: {why}")
    return wrong


def _latency_figures(floor, timed, errors, wrong):
    """The floor's percentiles, and each timed call's against the floor's."""
    floor_p50 = pct(floor, 50)
    out = {"floor": {"p50_ms": floor_p50, "p99_ms": pct(floor, 99), "n": len(floor), "errors": errors["floor"]}}
    for name, pg in (("portone_complete", "portone"), ("toss_success", "toss")):
        samples = timed[pg]
        out[name] = {"p50_ms": pct(samples, 50), "p99_ms": pct(samples, 99), "n": len(samples),
                     "p50_to_floor": ratio(pct(samples, 50), floor_p50),
                     "p99_to_floor": ratio(pct(samples, 99), floor_p50),
                     "p99_to_floor_p99": ratio(pct(samples, 99), pct(floor, 99)),
                     "errors": errors[pg], "wrong_states": wrong[pg]}
    return out


def measure_flows(server, pg, clients, n, seconds, problems):
    """Whole checkouts per second with `clients` buyers at once; then each flow's final state audited."""
    buyers = [Buyer(server) for _ in range(clients)]
    results, errors, lock = [], [0], threading.Lock()
    counter = iter(range(n))
    deadline = time.monotonic() + seconds

    def run(buyer):
        while time.monotonic() < deadline and next(counter, None) is not None:
            try:
                results.append(buyer.checkout(pg))
            except (Failure, requests.RequestException) as e:
                with lock:
                    errors[0] += 1
                problems.append(f"{pg} x{clients}: {e}")

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, buyers))
    elapsed = time.perf_counter() - started
    auditor = Auditor(server)
    wrong = 0
    for order, ref in results:
        why = auditor.wrong(pg, order, ref)
        if why:
            wrong += 1
            problems.append(f"{pg} x{clients}: {why}")
    return {"flows_per_s": round(len(results) / elapsed, 1), "flows": len(results), "seconds": round(elapsed, 2),
            "errors": errors[0], "wrong_states": wrong}


def measure_emulator(server, constant, refs, cfg, problems):
    """Requests per second (keep-alive, bench/load.py) of the emulated token call and payment lookups,
    and of a constant-JSON Flask route under the same settings (the practical limit); the four are
    driven in turn, round after round, so the machine's load touches them alike. Median round each."""
    targets = _emulator_targets(server, constant, refs)
    rounds = {name: [] for name in targets}
    servers = {"constant_json": constant}
    for name, (url, request, check) in targets.items():   # warm every worker up
        load.drive(url, request, clients=cfg["emu_clients"], seconds=0.3, max_requests=200, check=check)
    for _ in range(cfg["emu_rounds"]):
        for name, (url, request, check) in targets.items():
            rounds[name].append(_drive_round(servers.get(name, server), url, request, check, cfg))
    out = {}
    for name, runs in rounds.items():
        out[name] = _median_round(name, runs, cfg, problems)
    for name in ("portone_payment", "toss_payment", "portone_get_token"):
        out[name]["to_constant"] = ratio(out[name]["rps"], out["constant_json"]["rps"])
        # The same ratio from the servers' CPU time per request, which other load on the machine moves less.
        out[name]["cpu_to_constant"] = ratio(out["constant_json"]["server_cpu_us"], out[name]["server_cpu_us"])
    return out


def _emulator_targets(server, constant, refs):
    """What measure_emulator drives: {name: (url, request bytes, check of a body)}."""
    emu = server.emulator_url
    token = Auditor(server).portone_token()
    toss_auth = "Basic " + base64.b64encode(f"{TOSS_SECRET_KEY}:".encode()).decode()
    token_body = json.dumps({"imp_key": PORTONE["imp_key"], "imp_secret": PORTONE["imp_secret"]}).encode()
    return {
        "constant_json": (constant.url, load.build(constant.url + "/json"), lambda b: b'"paid"' in b),
        "portone_payment": (emu, load.build(f"{emu}/portone/payments/{refs['portone']}",
                                            headers={"Authorization": "Bearer " + token}),
                            lambda b: refs["portone"].encode() in b and b'"paid"' in b),
        "toss_payment": (emu, load.build(f"{emu}/toss/v1/payments/{refs['toss']}",
                                         headers={"Authorization": toss_auth}),
                         lambda b: refs["toss"].encode() in b and b'"DONE"' in b),
        "portone_get_token": (emu, load.build(emu + "/portone/users/getToken", "POST", body=token_body,
                                              headers={"Content-Type": "application/json"}),
                              lambda b: b'"access_token"' in b),
    }


def _drive_round(server, url, request, check, cfg):
    """One round of load on one target, with the CPU its server's workers spent per request (cpu_us)."""
    pids = server.worker_pids()
    cpu = cpu_seconds(pids)
    run = load.drive(url, request, clients=cfg["emu_clients"], seconds=cfg["emu_s"],
                     max_requests=cfg["emu_n"], check=check)
    run["cpu_us"] = (cpu_seconds(pids) - cpu) * 1e6 / max(run["n"], 1)
    return run


def _median_round(name, runs, cfg, problems):
    """One target's figures: its median round, with every round's errors (noted in problems)."""
    median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
    errors = sum(r["errors"] for r in runs)
    if errors:
        problems.append(f"emulator {name}: {errors} errors, e.g. {next(r['first_error'] for r in runs if r['errors'])}")
    cpu = sorted(r["cpu_us"] for r in runs)[len(runs) // 2]
    return {"rps": median["rps"], "p50_ms": median["p50_ms"], "p99_ms": median["p99_ms"],
            "rounds_rps": [r["rps"] for r in runs], "n": sum(r["n"] for r in runs), "errors": errors,
            "clients": cfg["emu_clients"], "server_cpu_us": round(cpu)}


def cpu_seconds(pids):
    """User + system CPU seconds the processes have used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def measure_slow_clients(server, cfg, problems):
    """Normal requests while slow clients (headers trickled, never finished) hold connections to both the
    shop and the emulator: GET /bench/floor (the shop calling the emulator) and the PortOne token call."""
    floor = load.build(server.url + "/bench/floor")
    with load.SlowClients(server.url, cfg["slow"]) as on_shop, load.SlowClients(server.emulator_url, cfg["slow"]) \
            as on_emulator:
        held = min(on_shop.open, on_emulator.open)
        run = load.drive(server.url, floor, clients=4, seconds=cfg["slow_s"], max_requests=cfg["slow_n"],
                         check=lambda b: b'"emulator_status":200' in b.replace(b" ", b""))
        still = min(on_shop.open, on_emulator.open)
    if run["errors"]:
        problems.append(f"slow clients: {run['errors']} errors, e.g. {run['first_error']}")
    return {"slow_connections": cfg["slow"], "open_at_start": held, "open_at_end": still, "n": run["n"],
            "errors": run["errors"], "p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"], "rps": run["rps"]}


LOG_PAGES = ("list", "flow", "compare")


def log_paths(middle):
    return {"list": "/flows", "flow": f"/flows/{middle['portone']}",
            "compare": f"/flows/compare?a={middle['portone']}&b={middle['toss']}"}


def measure_log_scale(workdir, cfg, problems):
    """p50 of the step-log pages over a small and a big seeded shop database, and the ratio.

    Both servers run at once and the pages are sampled in turn (small, big, small, ...), so a
    change in the machine's load touches both sides alike."""
    out = {"small_flows": cfg["log_small"], "big_flows": cfg["log_big"], "steps_per_flow": 10,
           "big_steps": cfg["log_big"] * 10}
    seeded = {}
    for size, n in (("small", cfg["log_small"]), ("big", cfg["log_big"])):
        path = os.path.join(workdir, f"log-{size}-shop.sqlite3")
        started = time.perf_counter()
        seeded[size] = (path, seed_flows(path, n))
        out[f"{size}_seed_s"] = round(time.perf_counter() - started, 1)
    samples = {size: {page: [] for page in LOG_PAGES} for size in seeded}
    with Server(workdir, workers=2, threads=4, shop_db=seeded["small"][0], name="log-small") as small, \
            Server(workdir, workers=2, threads=4, shop_db=seeded["big"][0], name="log-big") as big:
        servers = {"small": small, "big": big}
        session = requests.Session()
        paths = {size: log_paths(seeded[size][1]) for size in seeded}
        for size, server in servers.items():
            for page in LOG_PAGES:
                for _ in range(3):
                    session.get(server.url + paths[size][page], timeout=TIMEOUT)
        for _ in bounded(cfg["log_n"], cfg["log_s"]):
            for page in LOG_PAGES:
                for size, server in servers.items():
                    started = time.perf_counter()
                    resp = session.get(server.url + paths[size][page], timeout=TIMEOUT)
                    samples[size][page].append(time.perf_counter() - started)
                    if resp.status_code != 200 or (page != "list" and seeded[size][1]["portone"] not in resp.text):
                        problems.append(f"log_scale {size} {paths[size][page]} -> {resp.status_code}")
    out["pages"] = {}
    for page in LOG_PAGES:
        small_p50, big_p50 = pct(samples["small"][page], 50), pct(samples["big"][page], 50)
        out["pages"][page] = {"path": paths["big"][page].split("?")[0].replace(seeded["big"][1]["portone"], "<id>"),
                              "small_p50_ms": small_p50, "big_p50_ms": big_p50, "ratio": ratio(big_p50, small_p50),
                              "n": len(samples["big"][page])}
    return out


def measure_page(server, cfg, problems):
    """Bytes the checkout page transfers (HTML, CSS, JS, SDK scripts) and when its pay buttons work.
    URLs are shown relative to the shop, the emulator's as <emulator>/..."""
    from playwright.sync_api import sync_playwright
    args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    loads = []
    with sync_playwright() as pw:
        kwargs = {"headless": True, "args": args}
        if os.path.exists("/usr/bin/chromium"):
            kwargs["executable_path"] = "/usr/bin/chromium"
        browser = pw.chromium.launch(**kwargs)
        try:
            for _ in range(cfg["page_loads"]):
                loads.append(_load_checkout_page(browser, server, problems))
        finally:
            browser.close()
    first = loads[0]
    ready = sorted(load["buttons_ready_ms"] for load in loads)
    return {"bytes": first["bytes"], "header_bytes": first["header_bytes"], "requests": first["requests"],
            "by_type": first["by_type"], "urls": first["urls"], "buttons_ready_ms": ready[len(ready) // 2],
            "loads": len(loads)}


def _load_checkout_page(browser, server, problems):
    """One load of the checkout page in a fresh context (a fresh cache): what it transferred and when it was ready."""
    url = server.url
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda req: finished.append(req))
    page.add_init_script(READY_JS.replace("SELECTORS", json.dumps(PAY_BUTTONS)))
    page.goto(url + "/", wait_until="load")
    ready_ms = _buttons_ready_ms(page)
    if ready_ms is None:
        problems.append("checkout page: the pay buttons never became usable")
    page.wait_for_load_state("networkidle")
    figures = {**_transferred(finished), "buttons_ready_ms": ready_ms,
               "urls": sorted({r.url.replace(server.emulator_url, "<emulator>").replace(url, "") for r in finished})}
    context.close()
    return figures


def _buttons_ready_ms(page):
    """When READY_JS saw every pay button usable (ms since navigation start); None when they never were."""
    ready_ms = None
    for _ in bounded(3000, 16):  # (wait_for_function would need eval, which the CSP forbids)
        ready_ms = page.evaluate("window.__payReady")
        if ready_ms is not None or page.evaluate("window.__payReady === null"):
            break
        time.sleep(0.01)
    return ready_ms


def _transferred(finished):
    """Response bytes of the finished requests: body bytes in all and by resource type, header bytes, count."""
    by_type, total, headers = {}, 0, 0
    for req in finished:
        sizes = req.sizes()
        body = sizes["responseBodySize"]
        total += body
        headers += sizes["responseHeadersSize"]
        kind = req.resource_type
        by_type[kind] = by_type.get(kind, 0) + body
    return {"bytes": total, "header_bytes": headers, "requests": len(finished), "by_type": by_type}


PAY_BUTTONS = ["#portone-pay", "#toss-pay"]   # templates/portone/panel.html, templates/toss/panel.html
# Runs before the page's own scripts: notes when every column's pay button is there and enabled
# (ms since navigation start), checking after each task.
READY_JS = """(() => {
  const selectors = SELECTORS;
  const usable = () => selectors.every(sel => {
    const el = document.querySelector(sel);
    return el && !el.disabled && el.getAttribute('aria-disabled') !== 'true' && el.offsetParent !== null;
  });
  const started = performance.now();
  const tick = () => {
    if (usable()) { window.__payReady = Math.round(performance.now()); return; }
    if (performance.now() - started > 15000) { window.__payReady = null; return; }
    setTimeout(tick, 2);
  };
  tick();
})();"""
# --- log_scale: a shop database with many realistic flows ----------------------------------------

SEED_STATUSES = ("paid", "paid", "paid", "failed", "failed", "pending", "cancelled", "forged", "unknown",
                 "awaiting_deposit")
SEED_STEPS = {  # ten steps per flow: (phase, name, kind, from, to, verdict)
    "portone": [("order", "shop.create_order", "http_in", "browser", "shop", "info"),
                ("order", "shop.price_order", "state", "shop", "shop", "pass"),
                ("checkout", "portone.request_pay", "browser", "browser", "portone", "info"),
                ("authenticate", "portone.window", "browser", "browser", "portone", "info"),
                ("return", "portone.callback", "http_in", "browser", "shop", "info"),
                ("server_auth", "portone.get_token", "http_out", "shop", "portone", "info"),
                ("approve", "portone.get_payment", "http_out", "shop", "portone", "info"),
                ("verify", "portone.check_amount", "check", "shop", "shop", "pass"),
                ("notify", "portone.webhook", "http_in", "portone", "shop", "info"),
                ("settle", "shop.settle", "state", "shop", "shop", "pass")],
    "toss": [("order", "shop.create_order", "http_in", "browser", "shop", "info"),
             ("order", "shop.price_order", "state", "shop", "shop", "pass"),
             ("checkout", "toss.request_payment", "browser", "browser", "toss", "info"),
             ("authenticate", "toss.window", "browser", "browser", "toss", "info"),
             ("return", "toss.success_redirect", "http_in", "browser", "shop", "info"),
             ("verify", "toss.check_amount", "check", "shop", "shop", "pass"),
             ("server_auth", "toss.basic_auth", "state", "shop", "toss", "info"),
             ("approve", "toss.confirm", "http_out", "shop", "toss", "info"),
             ("notify", "toss.webhook", "http_in", "toss", "shop", "info"),
             ("settle", "shop.settle", "state", "shop", "shop", "pass")],
}
SEED_PRODUCTS = (("shoes", "Running shoes", 15000), ("jacket", "Rain jacket", 89000),
                 ("socks", "Wool socks", 3000))


def seed_flows(path, n_flows, steps_per_flow=10):
    """Write n_flows orders (both PGs, every status) with their steps into the shop database at path,
    in one transaction. Returns {pg: a flow id from the middle of the table}."""
    sqlitedb.ensure_schema(path, [os.path.join(ROOT, "shop", "schema.sql")])
    rnd = random.Random(7)
    conn = sqlitedb.connect(path)
    start = time.time() - 30 * 86400
    gap = 30 * 86400 / max(n_flows, 1)
    middle = {}
    with sqlitedb.transaction(conn):
        conn.executemany(
            "INSERT INTO orders (id, pg, product_id, quantity, order_name, subtotal, discount, amount, coupons,"
            " pay_method, customer_key, buyer_name, buyer_email, status, pg_payment_id, reason, created_at,"
            " updated_at, paid_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            _seed_order_rows(n_flows, start, gap, middle))
        conn.executemany(
            "INSERT INTO steps (order_id, phase, name, kind, actor_from, actor_to, summary, verdict, expected,"
            " actual, reported, exchange, code_ref, started_at, duration_ms)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", _seed_step_rows(n_flows, start, gap, steps_per_flow, rnd))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return middle


def _seed_flow(i, start, gap):
    """The i-th seeded flow's PG, order id and creation time."""
    pg = "portone" if i % 2 == 0 else "toss"
    created = start + i * gap
    oid = f"order-{time.strftime('%Y%m%d-%H%M%S', time.localtime(created))}-{i:08x}"
    return pg, oid, created


def _seed_order_rows(n_flows, start, gap, middle):
    """The seeded orders table's rows; notes in middle the id of one flow of each PG from the middle."""
    for i in range(n_flows):
        pg, oid, created = _seed_flow(i, start, gap)
        status = SEED_STATUSES[i % len(SEED_STATUSES)]
        product, name, price = SEED_PRODUCTS[i % 3]
        qty = 1 + i % 3
        if i in (n_flows // 2, n_flows // 2 + 1):
            middle[pg] = oid
        pay_id = (f"imp_{i:012d}" if pg == "portone" else f"tgen_{i:020d}") if status != "pending" else None
        yield (oid, pg, product, qty, f"{name} x {qty}", price * qty, 0, price * qty, "", "card",
               f"cust_{i % 5000:016x}", "Kim Bench", "bench@example.com", status, pay_id,
               f"{status} (seeded)", created, created + 5, created + 4 if status == "paid" else None)


def _seed_step_rows(n_flows, start, gap, steps_per_flow, rnd):
    """The seeded steps table's rows: the first steps_per_flow of SEED_STEPS for each flow."""
    for i in range(n_flows):
        pg, oid, created = _seed_flow(i, start, gap)
        for k, (phase, name, kind, a, b, verdict) in enumerate(SEED_STEPS[pg][:steps_per_flow]):
            exchange = None
            if kind in ("http_in", "http_out"):
                exchange = json.dumps({"request": {"method": "POST", "url": f"/bench/{name}",
                                                   "body": {"order": oid, "amount": 15000}},
                                       "response": {"status": 200, "body": {"code": 0, "ok": True}}})
            yield (oid, phase, name, kind, a, b, f"{name} for {oid}", verdict,
                   "15000" if kind == "check" else None, "15000" if kind == "check" else None,
                   1 if kind == "browser" else 0, exchange, "shop/bench_seed.py:1 seed",
                   created + k * 0.3, round(rnd.uniform(0.5, 40), 1))


# --- the run ----------------------------------------------------------------------------------------

TARGETS = (  # (label, how to read the value from results, "<=" or ">=", limit)
    *((f"emulator {name} / constant JSON (req/s)",
       (lambda n: lambda r: r["emulator"][n]["to_constant"])(name), ">=", 0.7)
      for name in ("portone_payment", "toss_payment")),
    *((f"{name} p50 / floor p50", (lambda n: lambda r: r[n]["p50_to_floor"])(name), "<=", 1.3)
      for name in ("portone_complete", "toss_success")),
    *((f"{name} p99 / floor p99", (lambda n: lambda r: r[n]["p99_to_floor_p99"])(name), "<=", 2.0)
      for name in ("portone_complete", "toss_success")),
    *((f"flows {pg} x16 errors + wrong", (lambda p: lambda r: r["flows_per_s"][p]["16"]["errors"]
                                          + r["flows_per_s"][p]["16"]["wrong_states"])(pg), "<=", 0)
      for pg in ("portone", "toss")),
    ("p99 ms with slow clients open", lambda r: r["slow_clients"]["p99_ms"], "<=", 1000),
    *((f"log {page} big / small", (lambda p: lambda r: r["log_scale"]["pages"][p]["ratio"])(page), "<=", 1.5)
      for page in LOG_PAGES),
)


def figure(target):
    """'0.47 (>= 0.7)': a target's value and its limit."""
    return f"{target['value']} ({target['op']} {target['limit']})"


def svg(results):
    """The targets as bars (plain SVG): each figure against its limit, green when it holds, red when not."""
    rows = results["targets"]
    label_w, bar_w, row_h, top = 330, 400, 30, 44
    height = top + row_h * len(rows) + 16
    meta = results["meta"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 150}" height="{height}" '
           'font-family="sans-serif" font-size="13">',
           '<rect width="100%" height="100%" fill="#fff"/>',
           f'<text x="10" y="20" font-size="15" font-weight="bold">make bench: every target (green holds, red misses)'
           f'</text><text x="10" y="36" fill="#555">{meta["started"]}, {meta["cpus"]} CPUs, {meta["workers"]} '
           f'workers per server{" (smoke)" if meta["smoke"] else ""}; the line is the limit</text>']
    for i, t in enumerate(rows):
        y = top + i * row_h
        value, limit = t["value"], t["limit"]
        scale = max(value or 0, limit, 1e-9) * 1.25 or 1
        width = 0 if value is None else max(2, round(value / scale * bar_w))
        mark = label_w + round(limit / scale * bar_w)
        color = "#2e7d32" if t["holds"] else "#c62828"
        out.append(f'<text x="10" y="{y + 19}">{escape(t["target"])}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 6}" width="{width}" height="18" fill="{color}"/>')
        out.append(f'<line x1="{mark}" x2="{mark}" y1="{y + 2}" y2="{y + 28}" stroke="#000" stroke-width="2"/>')
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 19}">{escape(figure(t))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def run(cfg, out_path, workers, threads, smoke):
    """Every figure with cfg's counts, checked against TARGETS: written to out_path (and .svg), printed as a table."""
    problems = []
    results = {"meta": {"smoke": smoke, "workers": workers, "threads": threads, "cpus": os.cpu_count(),
                        "started": time.strftime("%Y-%m-%d %H:%M:%S"), "settings": cfg}}
    with tempfile.TemporaryDirectory(prefix="pg-bench-") as workdir:
        _measure_site(results, workdir, cfg, workers, threads, problems)
        results["log_scale"] = measure_log_scale(workdir, cfg, problems)
        say("log_scale done")
    results["targets"] = _check_targets(results)
    results["problems"] = problems[:50]
    results["meta"]["seconds"] = round(time.monotonic() - START, 1)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)
    with open(os.path.splitext(out_path)[0] + ".svg", "w") as f:
        f.write(svg(results))
    print(table(results))
    return results


def _measure_site(results, workdir, cfg, workers, threads, problems):
    """Into results, every figure taken on the site served under gunicorn (all but log_scale)."""
    server_kw = {"workers": workers, "threads": threads, "env": {"BENCH_ROUTES": "1"}}
    with Server(workdir, **server_kw) as server:
        say(f"shop at {server.url}, emulator at {server.emulator_url} (gunicorn, {workers} workers each)")
        latency, done = measure_latency(server, cfg, problems)
        results.update(latency)
        say("latency done")
        results["flows_per_s"] = _measure_every_flow(server, cfg, problems)
        say("flows done")
        refs = {pg: done[pg][-1][1] for pg in done if done[pg]}
        with Server(workdir, workers=workers, threads=threads, name="constant", ready=("/json",),
                    app="bench.constant_app:create_app()") as constant:
            results["emulator"] = measure_emulator(server, constant, refs, cfg, problems) if len(refs) == 2 else {}
        say("emulator done")
        results["slow_clients"] = measure_slow_clients(server, cfg, problems)
        say("slow clients done")
        results["page"] = measure_page(server, cfg, problems)
        say("page done")


def _measure_every_flow(server, cfg, problems):
    """Whole checkouts per second of each PG with each number of CLIENTS: {pg: {clients: figures}}."""
    flows = {}
    for pg in ("portone", "toss"):
        flows[pg] = {}
        for clients in CLIENTS:
            n = cfg["flows_n1"] if clients == 1 else cfg["flows_n16"]
            flows[pg][str(clients)] = measure_flows(server, pg, clients, n, cfg["flows_s"], problems)
    return flows


def _check_targets(results):
    """Each of TARGETS with its value read from results (None when missing) and whether it holds."""
    checked = []
    for label, read, op, limit in TARGETS:
        try:
            value = read(results)
        except (KeyError, TypeError):
            value = None
        holds = value is not None and (value <= limit if op == "<=" else value >= limit)
        checked.append({"target": label, "value": value, "op": op, "limit": limit, "holds": holds})
    return checked


def table(r):
    rows = [("figure", "value", "ms", "ratio")]
    fl = r["floor"]
    rows.append(("floor GET /bench/floor", f"n={fl['n']}", f"p50 {fl['p50_ms']}  p99 {fl['p99_ms']}", "1.0"))
    for name in ("portone_complete", "toss_success"):
        x = r[name]
        rows.append((name, f"n={x['n']} err={x['errors']} wrong={x['wrong_states']}",
                     f"p50 {x['p50_ms']}  p99 {x['p99_ms']}", f"p50 {x['p50_to_floor']}x floor p50 (p99: {x['p99_to_floor_p99']}x floor p99)"))
    for pg, by in r["flows_per_s"].items():
        for clients, x in by.items():
            rows.append((f"flows/s {pg} x{clients}", f"{x['flows_per_s']}/s n={x['flows']}",
                         f"err={x['errors']} wrong={x['wrong_states']}", ""))
    ls = r["log_scale"]
    for page, x in ls["pages"].items():
        rows.append((f"log {page} {ls['small_flows']} vs {ls['big_flows']:,} flows", "",
                     f"p50 {x['small_p50_ms']} -> {x['big_p50_ms']}", f"{x['ratio']}x"))
    for name, x in r["emulator"].items():
        rows.append((f"emulator {name} (keep-alive)", f"{x['rps']} req/s err={x['errors']}",
                     f"p50 {x['p50_ms']}  p99 {x['p99_ms']}  cpu {x['server_cpu_us']} us/req",
                     f"{x['to_constant']}x constant JSON (by cpu: {x['cpu_to_constant']}x)" if "to_constant" in x
                     else "the limit"))
    sc = r["slow_clients"]
    rows.append((f"GET /bench/floor, {sc['slow_connections']} slow clients on each server",
                 f"n={sc['n']} err={sc['errors']}", f"p50 {sc['p50_ms']}  p99 {sc['p99_ms']}", ""))
    pg = r["page"]
    rows.append(("checkout page", f"{pg['bytes']:,} B in {pg['requests']} responses",
                 f"buttons ready {pg['buttons_ready_ms']}", ""))
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    for t in r["targets"]:
        lines.append(f"{'OK  ' if t['holds'] else 'MISS'} {t['target']}: {figure(t)}")
    return "\n".join(lines)


START = time.monotonic()


def say(text):
    print(f"[{time.monotonic() - START:6.1f}s] {text}", file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny counts (the test suite's check)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results.json"))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    run(SMOKE if args.smoke else FULL, args.out, args.workers, args.threads, args.smoke)


if __name__ == "__main__":
    main()
