"""Where the emulator's webhooks may go, over real HTTP: only allowed origins (every spelling of an address
judged as the client connects), no redirects followed, one deadline per exchange, a slow receiver never
delays another, and deliveries left pending by a stopped server resume when the app starts."""
import socket
import sqlite3
import threading
import time
import uuid

import pytest
import requests
from werkzeug.wrappers import Response

import emulator
from emulator import db as emulator_db
from tests.drivers import portone
from tests.drivers.emulator import deliveries, until
from tests.drivers.receiver import Receiver

SETTING = "EMULATOR_WEBHOOK_ALLOWED_ORIGINS"


def order(amount=15000):
    return {"order_id": f"order-{uuid.uuid4().hex[:12]}", "order_name": "Running shoes", "amount": amount}


@pytest.fixture
def internal():
    """A service on this machine the emulator must not be made to call (another port than the site's)."""
    r = Receiver(respond=lambda request: Response("internal secret: s3cr3t-admin-page"))
    yield r
    r.close()


def spellings(port):
    return [f"http://127.0.0.1:{port}/hook", f"http://2130706433:{port}/hook", f"http://0x7f.1:{port}/hook",
            f"http://0177.0.0.1:{port}/hook", f"http://127.1:{port}/hook", f"http://[::ffff:127.0.0.1]:{port}/hook",
            f"http://[::ffff:7f00:1]:{port}/hook", f"http://localhost.:{port}/hook", f"http://LOCALHOST:{port}/h",
            f"http://user:pw@127.0.0.1:{port}/hook", f"http://[::1]:{port}/hook", f"http://0:{port}/hook"]


def test_every_spelling_of_an_internal_address_is_refused_recorded_and_never_called(site, internal):
    port = internal.server.server_port
    own = site.url.split("//")[1]
    urls = spellings(port) + [f"http://{own}@127.0.0.1:{port}/hook",        # the site's origin as userinfo
                              f"http://127.0.0.1:{port}#@{own}/hook", "ftp://127.0.0.1/x", "/webhooks/portone"]
    paid = portone.pay(site, order(), notice_url=urls)
    kept = deliveries(site, paid["imp_uid"])
    assert [d["url"] for d in kept] == urls
    assert {d["status"] for d in kept} == {"refused"} and all(d["attempts"] == 0 for d in kept)
    for d in kept:
        answer = site.get(f"/emulator/deliveries/{d['id']}?lang=en").json()
        assert answer["status"] == "refused" and answer["attempts_made"] == []
        assert SETTING in answer["reason"] or "is not an absolute http(s) URL" in answer["reason"]
    assert f"127.0.0.1:{port} is not an allowed webhook origin" in \
        site.get(f"/emulator/deliveries/{kept[1]['id']}?lang=en").json()["reason"]
    # the same payment's webhook to the site itself goes out: the queue works, the refused ones were never sent
    honest = portone.pay(site, order(), notice_url=site.url + "/webhooks/portone")
    assert until(lambda: [d["status"] for d in deliveries(site, honest["imp_uid"])] == ["delivered"])
    assert internal.hits == []
    page = site.get("/emulator/?lang=en").text
    assert "s3cr3t" not in page and f"{SETTING}" in page


def test_a_forged_host_header_does_not_make_an_internal_origin_own(site, internal):
    port = internal.server.server_port
    forged = {"Host": f"10.0.0.5:{site.url.rsplit(':', 1)[1]}"}
    params = portone.request_pay_params(order(), notice_url=[f"http://10.0.0.5:{site.url.rsplit(':', 1)[1]}/x",
                                                             f"http://127.0.0.1:{port}/y"])
    opened = requests.post(site.url + "/emulator/portone/sdk/payments", headers=forged, timeout=10, json={
        "user_code": "imp00000000", "params": params, "sdk": "1.3.0", "page_url": "http://10.0.0.5/"})
    imp_uid = opened.json()["imp_uid"]
    decided = requests.post(f"{site.url}/emulator/portone/window/{imp_uid}/decide", timeout=10,
                            headers={"Host": f"127.0.0.1:{port}"}, json={"outcome": "approve"})
    assert decided.status_code == 200
    assert [d["status"] for d in deliveries(site, imp_uid)] == ["refused", "refused"]
    assert internal.hits == []


def test_listed_origins_are_allowed_however_the_url_spells_them(site, internal):
    port = internal.server.server_port
    site.emulator.config[SETTING] = f"http://127.0.0.1:{port}"
    paid = portone.pay(site, order(), notice_url=[f"http://2130706433:{port}/a", f"http://[::ffff:7f00:1]:{port}/b",
                                                  f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/c"])
    assert until(lambda: len(internal.hits) == 2)
    kept = deliveries(site, paid["imp_uid"])
    assert [d["status"] for d in kept] == ["delivered", "delivered", "refused"]
    assert sorted(path for path, _t, _b in internal.hits) == ["/a", "/b"]
    answer = site.get(f"/emulator/deliveries/{kept[0]['id']}").json()
    assert answer["attempts_made"][0]["response"] == "internal secret: s3cr3t-admin-page"


def test_the_configured_shop_is_an_allowed_origin(site, internal):
    site.emulator.config["EMULATOR_SHOP_URL"] = internal.origin + "/"      # the emulator serving a shop elsewhere
    paid = portone.pay(site, order(), notice_url=internal.origin.replace("127.0.0.1", "127.0.0.01") + "/shop")
    assert until(lambda: [d["status"] for d in deliveries(site, paid["imp_uid"])] == ["delivered"])
    assert [path for path, _t, _b in internal.hits] == ["/shop"]


def test_a_star_allows_any_origin(site, internal):
    site.emulator.config[SETTING] = "*"
    paid = portone.pay(site, order(), notice_url=f"http://0x7f000001:{internal.server.server_port}/any")
    assert until(lambda: [d["status"] for d in deliveries(site, paid["imp_uid"])] == ["delivered"])
    assert [path for path, _t, _b in internal.hits] == ["/any"]


def test_a_redirect_is_an_answer_not_followed(site, internal):
    mover = Receiver(respond=lambda request: Response("", 302, {"Location": internal.url})).allowed_by(site)
    internal.allowed_by(site)
    try:
        paid = portone.pay(site, order(), notice_url=mover.url)
        assert until(lambda: deliveries(site, paid["imp_uid"])[0]["attempts"] == 1)
        [d] = deliveries(site, paid["imp_uid"])
        assert d["status"] == "pending" and d["last_status"] == 302       # not delivered: retried later
        assert len(mover.hits) == 1 and internal.hits == []
    finally:
        mover.close()


def test_answers_are_kept_truncated(site):
    big = Receiver(respond=lambda request: Response("가" * 5000)).allowed_by(site)
    try:
        paid = portone.pay(site, order(), notice_url=big.url)
        assert until(lambda: deliveries(site, paid["imp_uid"])[0]["status"] == "delivered")
        [d] = deliveries(site, paid["imp_uid"])
        shown = site.get(f"/emulator/deliveries/{d['id']}").json()["attempts_made"][0]["response"]
        assert shown == "가" * 1000 + " …"
    finally:
        big.close()


class Held:
    """A receiver whose answer waits until the test releases it (or 30 s), noting when each one finished."""

    def __init__(self, site, log, name):
        self.release, self.log, self.name = threading.Event(), log, name
        self.receiver = Receiver(respond=self.respond).allowed_by(site)

    def respond(self, request):
        self.release.wait(30)
        self.log.append(self.name)
        return Response("ok")


def test_slow_receivers_never_delay_another_receivers_webhook(site):
    finished = []
    slow = [Held(site, finished, f"slow{i}") for i in range(6)]
    fast = Receiver(respond=lambda request: finished.append("fast") or Response("ok")).allowed_by(site)
    try:
        for s in slow:                                    # six notice_urls that do not answer
            portone.pay(site, order(), notice_url=s.receiver.url)
        assert until(lambda: all(s.receiver.hits for s in slow))
        honest = portone.pay(site, order(), notice_url=fast.url)
        assert until(lambda: fast.hits)
        assert until(lambda: deliveries(site, honest["imp_uid"])[0]["status"] == "delivered")
        assert finished == ["fast"]                       # delivered before any slow one finished
    finally:
        for s in slow:
            s.release.set()
    assert until(lambda: len(finished) == 7)
    for s in slow:
        s.receiver.close()
    fast.close()


def test_a_flood_of_webhooks_to_one_slow_receiver_does_not_hide_another_receivers(site):
    from emulator import webhooks
    finished = []
    slow = Held(site, finished, "slow")
    fast = Receiver(respond=lambda request: finished.append("fast") or Response("ok")).allowed_by(site)
    try:
        with site.emulator.test_request_context():
            for i in range(520):                          # more than the dispatcher reads at once (500)
                webhooks.enqueue("portone", "paid", f"imp_flood{i}", slow.receiver.url, {"imp_uid": f"imp_flood{i}"})
            webhooks.enqueue("portone", "paid", "imp_honest", fast.url, {"imp_uid": "imp_honest"})
        assert until(lambda: fast.hits)
        assert finished == ["fast"] and len(slow.receiver.hits) == 1
    finally:
        slow.release.set()
        slow.receiver.close()
        fast.close()


def test_one_receiver_gets_its_webhooks_one_at_a_time_in_order(site):
    finished = []
    held = Held(site, finished, "first")
    try:
        one = portone.pay(site, order(), notice_url=held.receiver.url)
        two = portone.pay(site, order(), notice_url=held.receiver.url)
        assert until(lambda: len(held.receiver.hits) == 1)
        assert [d["status"] for d in deliveries(site, two["imp_uid"])] == ["pending"]   # waits behind the first
    finally:
        held.release.set()
    assert until(lambda: len(held.receiver.hits) == 2)
    assert [b["imp_uid"] for b in held.receiver.bodies()] == [one["imp_uid"], two["imp_uid"]]
    held.receiver.close()


@pytest.fixture
def trickle():
    """A server that answers one byte at a time, each well within any read timeout: only a deadline for the
    whole exchange ends it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 600:
                    if stop.wait(0.05):
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    server.close()


def test_one_exchange_has_a_deadline_not_a_timeout_per_read(site, trickle):
    site.emulator.config.update({"EMULATOR_WEBHOOK_DEADLINE_S": 1.0, SETTING: trickle})  # before any webhook
    paid = portone.pay(site, order(), notice_url=trickle + "/hook")
    assert until(lambda: deliveries(site, paid["imp_uid"])[0]["attempts"] == 1)
    [d] = deliveries(site, paid["imp_uid"])
    answer = site.get(f"/emulator/deliveries/{d['id']}?lang=en").json()
    assert answer["status"] == "pending" and answer["last_status"] is None
    assert answer["attempts_made"][0]["error"] == "No complete answer within 1 s (the deadline of one delivery)."


def test_deliveries_left_pending_resume_when_the_app_starts(tmp_path):
    """A webhook queued (and one waiting for its retry) when the server stopped: a new process of the
    emulator sends both at start, without any other payment or request."""
    receiver = Receiver()
    path = str(tmp_path / "emu.sqlite3")
    conn = emulator_db.connect(path)
    now = time.time()
    for ref, attempts in (("imp_queued", 0), ("imp_retry", 1)):
        conn.execute("INSERT INTO deliveries (pg, event, payment_ref, url, content_type, body, schedule, status,"
                     " attempts, next_attempt_at, created_at) VALUES ('portone','paid',?,?,'json',?,'[1]',"
                     "'pending',?,?,?)", (ref, receiver.url, f'{{"imp_uid": "{ref}"}}', attempts, now - 1, now - 60))
    conn.close()
    try:
        emulator.create_app({"TESTING": True, "EMULATOR_DATABASE": path})
        bodies = receiver.wait_for(2)
        assert sorted(b["imp_uid"] for b in bodies) == ["imp_queued", "imp_retry"]
        check = sqlite3.connect(path)
        assert until(lambda: check.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'")
                     .fetchone()[0] == 2)
        check.close()
    finally:
        receiver.close()


def test_a_delivery_rescheduled_after_the_dispatcher_read_it_is_not_sent_again(tmp_path):
    """The dispatcher reads the due rows, then claims each: an attempt that ended in between (failed, its retry
    now minutes away) must not be claimed from the stale read and sent again at once."""
    from emulator import webhooks
    conn = emulator_db.connect(str(tmp_path / "emu.sqlite3"))
    now = time.time()
    ids = []
    for due_at in (now + 60, now - 1):      # rescheduled for a retry in a minute; due now
        cur = conn.execute("INSERT INTO deliveries (pg, event, payment_ref, url, content_type, body, schedule,"
                           " status, attempts, next_attempt_at, created_at) VALUES ('portone_v2','Transaction.Ready',"
                           "'p', 'http://127.0.0.1:9/', 'json', '{}', '[1]', 'pending', 1, ?, ?)", (due_at, now - 5))
        ids.append(cur.lastrowid)
    conn.commit()
    rescheduled, due = ids
    assert not webhooks.claim(conn, rescheduled, now, 60)
    assert webhooks.claim(conn, due, now, 60)
    assert not webhooks.claim(conn, due, now, 60)          # held by the first claim
    conn.close()
