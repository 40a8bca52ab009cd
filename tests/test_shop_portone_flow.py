"""The shop's PortOne flow over real HTTP: the shop, the emulated PortOne, and the buyer as a driver."""
import socket
import threading
import time

import pytest

from tests.drivers import portone as driver


@pytest.fixture
def shop(site):
    site.get("/?lang=en")          # the buyer reads English (a `lang` cookie, as the language links set)
    return site


@pytest.fixture
def api(site):
    return driver.Api(site)


def notice(site):
    return site.url + "/webhooks/portone"


def complete(site, rsp):
    """What the page's callback does: POST the callback's ids to the shop."""
    return site.post("/payments/complete", json={k: rsp.get(k) for k in
                                                 ("imp_uid", "merchant_uid", "error_code", "error_msg")})


def steps(site, order):
    return site.get(f"/api/flows/{order['order_id']}/steps").json()["steps"]


def named(site, order, name):
    return [s for s in steps(site, order) if s["name"] == name]


def status(site, order):
    return site.get(f"/api/flows/{order['order_id']}/steps").json()["status"]


def wait_for(predicate, what, limit=15):
    """Poll until predicate() is true (webhooks arrive on their own thread)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def result_page(site, order):
    return site.get(f"/orders/{order['order_id']}").text


def test_approved_card_payment_is_verified_and_paid(shop, api):
    order = shop.order("portone")
    paid = driver.pay(shop, order)
    resp = complete(shop, paid["rsp"])
    body = resp.json()
    assert resp.status_code == 200 and body["status"] == "paid" and body["order_id"] == order["order_id"]
    assert "15,000" in body["message"] and "every check passed" in body["message"]
    assert body["result_url"] == f"/orders/{order['order_id']}"
    assert "Paid and verified" in result_page(shop, order)
    assert api.payment(paid["imp_uid"])["status"] == "paid"
    amount = named(shop, order, "portone.check_amount")[0]
    assert amount["verdict"] == "pass" and amount["summary"] == "stored KRW 15,000 = paid KRW 15,000"
    assert (amount["expected"], amount["actual"]) == ("15000", "15000")
    phases = [s["phase"] for s in steps(shop, order)]
    assert phases.index("return") < phases.index("server_auth") < phases.index("approve") \
        < phases.index("verify") < phases.index("settle")
    assert len(named(shop, order, "portone.status")) == 1


@pytest.mark.parametrize("outcome, words", [
    ("decline_insufficient", "잔액이 부족합니다"),
    ("decline_refused", "승인을 거절"),
    ("decline_invalid_card", "유효하지 않은 카드"),
])
def test_each_decline_fails_the_order_with_the_pg_reason(shop, api, outcome, words):
    order = shop.order("portone")
    declined = driver.pay(shop, order, outcome=outcome)
    assert declined["rsp"]["error_code"]
    body = complete(shop, declined["rsp"]).json()
    assert body["status"] == "failed" and words in body["message"] and "No money was taken" in body["message"]
    assert api.payment(declined["imp_uid"])["status"] == "failed"
    assert "Not paid" in result_page(shop, order)
    assert named(shop, order, "portone.browser_error")          # the browser's error is recorded, not trusted


def test_closed_window_leaves_the_order_as_portone_has_it(shop, api):
    order = shop.order("portone")
    closed = driver.pay(shop, order, outcome="close")
    body = complete(shop, closed["rsp"]).json()
    at_pg = api.payment(closed["imp_uid"])["status"]
    assert body["status"] == {"ready": "pending", "failed": "failed"}[at_pg]
    assert "You closed PortOne's payment window, so nothing was charged" in body["message"]
    assert "Paid" not in result_page(shop, order)


def test_browser_error_does_not_override_a_payment_portone_says_is_paid(shop):
    order = shop.order("portone")
    paid = driver.pay(shop, order)
    lie = dict(paid["rsp"], error_code="F400", error_msg="[결제포기] 사용자가 결제를 취소하셨습니다")
    assert complete(shop, lie).json()["status"] == "paid"


def test_virtual_account_waits_for_the_deposit_webhook(shop, api):
    order = shop.order("portone", "jacket")
    issued = driver.pay(shop, order, pay_method="vbank", notice_url=notice(shop))
    body = complete(shop, issued["rsp"]).json()
    assert body["status"] == "awaiting_deposit"
    account = api.payment(issued["imp_uid"])
    assert account["vbank_num"] in body["message"] and "89,000" in body["message"]
    page = result_page(shop, order)
    assert "Waiting for the deposit" in page and account["vbank_num"] in page and account["vbank_name"] in page
    wait_for(lambda: named(shop, order, "portone.webhook"), "the 'ready' webhook")   # it changes nothing

    deposit = shop.http.post(f"{shop.url}/emulator/portone/payments/{issued['imp_uid']}/deposit", json={},
                             timeout=10)
    assert deposit.status_code == 200
    wait_for(lambda: status(shop, order) == "paid", "the deposit webhook makes the order paid")
    assert "Paid and verified" in result_page(shop, order)
    settled = named(shop, order, "portone.status")
    assert [s["actual"] for s in settled] == ["awaiting_deposit", "paid"]


def test_tampered_amount_is_forged_and_cancelled_at_portone(shop, api):
    order = shop.order("portone")                                   # 15,000원
    tampered = driver.pay(shop, order, amount=100, notice_url=notice(shop))
    body = complete(shop, tampered["rsp"]).json()
    wait_for(lambda: api.payment(tampered["imp_uid"])["status"] == "cancelled", "the cancel at PortOne")
    assert body["status"] == "forged" and "100" in body["message"]
    at_pg = api.payment(tampered["imp_uid"])
    assert at_pg["cancel_amount"] == 100 and at_pg["cancel_history"][0]["amount"] == 100
    assert "A payment that did not match was refused" in result_page(shop, order)
    check = named(shop, order, "portone.check_amount")[0]
    assert check["verdict"] == "fail" and check["summary"] == "stored KRW 15,000 ≠ paid KRW 100"
    wait_for(lambda: len(named(shop, order, "portone.webhook")) >= 2, "the paid and cancelled webhooks")
    assert status(shop, order) == "forged"
    assert len(named(shop, order, "portone.status")) == 1
    cancels = [s for s in named(shop, order, "portone.cancel") if s["kind"] == "http_out"]
    assert len(cancels) == 1 and cancels[0]["exchange"]["request"]["body"]["checksum"] == 100
    # the refused payment leaves the order payable: its buyer pays the right amount and it is paid
    honest = driver.pay(shop, order)
    assert complete(shop, honest["rsp"]).json()["status"] == "paid"
    assert api.payment(honest["imp_uid"])["status"] == "paid"


def test_duplicate_webhooks_settle_once(shop, api):
    order = shop.order("portone")
    paid = driver.pay(shop, order, notice_url=notice(shop))
    wait_for(lambda: status(shop, order) == "paid", "the webhook makes the order paid")
    hook = {"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"], "status": "paid"}
    again = shop.post("/webhooks/portone", json=hook, csrf=False)
    form = shop.post("/webhooks/portone", data=hook, csrf=False)       # the console's form encoding
    assert again.status_code == form.status_code == 200
    assert again.json()["status"] == form.json()["status"] == "paid"
    assert len(named(shop, order, "portone.status")) == 1
    assert len(named(shop, order, "portone.already_settled")) == 2
    assert "Paid and verified" in result_page(shop, order)


def test_webhook_before_callback_pays_once(shop):
    order = shop.order("portone")
    paid = driver.pay(shop, order, notice_url=notice(shop))
    wait_for(lambda: status(shop, order) == "paid", "the webhook arrives first")
    body = complete(shop, paid["rsp"]).json()
    assert body["status"] == "paid" and "every check passed" in body["message"]
    assert len(named(shop, order, "portone.status")) == 1
    loser = named(shop, order, "portone.already_settled")
    assert len(loser) == 1 and "already settled the order" in loser[0]["summary"]


def test_concurrent_callback_and_webhooks_have_one_winner(shop):
    order = shop.order("portone")
    paid = driver.pay(shop, order)
    hook = {"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"], "status": "paid"}
    answers = []
    calls = [lambda: complete(shop, paid["rsp"])] * 3 + \
            [lambda: shop.post("/webhooks/portone", json=hook, csrf=False)] * 3
    threads = [threading.Thread(target=lambda c=c: answers.append(c())) for c in calls]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert [a.status_code for a in answers] == [200] * 6
    assert len(named(shop, order, "portone.status")) == 1
    assert len(named(shop, order, "portone.already_settled")) == 5


def test_m_redirect_url_flow_shows_the_result_page(shop, api):
    order = shop.order("portone")
    paid = driver.pay(shop, order, m_redirect_url=shop.url + "/payments/complete")
    assert paid["redirect_url"].startswith(shop.url + "/payments/complete?imp_uid=")
    page = shop.get(paid["redirect_url"][len(shop.url):])
    assert page.url == f"{shop.url}/orders/{order['order_id']}"
    assert "Paid and verified" in page.text
    assert named(shop, order, "portone.redirect") and named(shop, order, "portone.status")


def test_m_redirect_url_with_a_decline(shop):
    order = shop.order("portone")
    declined = driver.pay(shop, order, outcome="decline_refused", m_redirect_url=shop.url + "/payments/complete")
    page = shop.get(declined["redirect_url"][len(shop.url):])
    assert "Not paid" in page.text and "승인을 거절" in page.text


def test_pre_registered_amount_is_enforced_by_the_window(shop, api):
    made = shop.post("/portone/orders", json={"product_id": "shoes", "pay_method": "card", "prepare": True})
    order = made.json()
    assert made.status_code == 201 and order["prepared"] is True and order["amount"] == 15000
    registered = api.get(f"/payments/prepare/{order['order_id']}").json()["response"]
    assert registered["amount"] == 15000
    refused = driver.pay(shop, order, amount=100)
    assert refused["window_error"] and refused["imp_uid"] is None
    body = complete(shop, refused["rsp"]).json()
    assert body["status"] == "pending" and "Nothing was charged" in body["message"]
    assert api.get(f"/payments/find/{order['order_id']}").status_code == 404
    # the right amount still opens the window and pays
    ok = driver.pay(shop, order)
    assert complete(shop, ok["rsp"]).json()["status"] == "paid"


def test_portone_orders_are_priced_by_the_server(shop):
    made = shop.post("/portone/orders", json={"product_id": "shoes", "quantity": 2, "amount": 1,
                                              "coupons": ["TOSS5000"], "pay_method": "vbank"})
    assert made.status_code == 201
    order = made.json()
    assert (order["amount"], order["pay_method"], order["prepared"]) == (25000, "vbank", False)
    bad = shop.post("/portone/orders", json={"product_id": "shoes", "pay_method": "bitcoin"})
    assert bad.status_code == 400 and bad.json()["error"] == "BAD_PAY_METHOD"
    assert shop.post("/portone/orders", json={"product_id": "shoes"}, csrf=False).status_code == 403


def test_token_is_fetched_once_then_reused(shop):
    orders = [shop.order("portone") for _ in range(3)]
    for order in orders:
        complete(shop, driver.pay(shop, order)["rsp"])
    tokens = [s for order in orders for s in named(shop, order, "portone.get_token")]
    assert len(tokens) == 3
    assert "fetched" in tokens[0]["summary"] and tokens[0]["kind"] == "http_out"
    assert all("reused" in t["summary"] and t["kind"] == "state" for t in tokens[1:])
    sent = tokens[0]["exchange"]
    assert sent["request"]["body"]["imp_secret"] == "[REDACTED:PORTONE_IMP_SECRET]"
    assert sent["response"]["body"]["response"]["access_token"] == "[REDACTED:access_token]"
    lookup = named(shop, orders[1], "portone.get_payment")[0]["exchange"]
    assert lookup["request"]["headers"]["Authorization"] == "Bearer [REDACTED:access_token]"


def test_token_expired_at_portone_is_refreshed_once(shop):
    first = shop.order("portone")
    complete(shop, driver.pay(shop, first)["rsp"])
    shop.advance_clock(31 * 60)             # PortOne's clock: the shop's cached token has expired there
    order = shop.order("portone")
    assert complete(shop, driver.pay(shop, order)["rsp"]).json()["status"] == "paid"
    lookups = named(shop, order, "portone.get_payment")
    assert [s["exchange"]["response"]["status"] for s in lookups] == [401, 200]
    tokens = named(shop, order, "portone.get_token")
    assert "reused" in tokens[0]["summary"] and "fetched" in tokens[1]["summary"]


def test_unknown_imp_uid_in_callback_is_refused(shop):
    order = shop.order("portone")
    resp = complete(shop, {"imp_uid": "imp_000000000000", "merchant_uid": order["order_id"]})
    assert resp.status_code == 400 and resp.json()["error"] == "PAYMENT_NOT_FOUND"
    assert resp.json()["status"] == "pending" and "Nothing changed" in resp.json()["message"]
    assert named(shop, order, "portone.get_payment")[0]["exchange"]["response"]["status"] == 404
    assert "Waiting for the payment" in result_page(shop, order)


def test_another_orders_payment_is_refused_and_not_cancelled(shop, api):
    mine, theirs = shop.order("portone", "socks"), shop.order("portone")
    theirs_paid = driver.pay(shop, theirs)
    resp = complete(shop, {"imp_uid": theirs_paid["imp_uid"], "merchant_uid": mine["order_id"]})
    assert resp.status_code == 400 and resp.json()["error"] == "PAYMENT_OF_ANOTHER_ORDER"
    assert status(shop, mine) == "pending"
    assert api.payment(theirs_paid["imp_uid"])["status"] == "paid"      # not this order's money: untouched
    assert complete(shop, theirs_paid["rsp"]).json()["status"] == "paid"


def test_bad_callbacks_are_refused(shop):
    order = shop.order("portone")
    assert complete(shop, {"merchant_uid": "order-nope"}).status_code == 404
    assert complete(shop, {"merchant_uid": order["order_id"]}).json()["error"] == "MISSING_IMP_UID"
    assert complete(shop, {"imp_uid": "../users/getToken", "merchant_uid": order["order_id"]}).json()["error"] \
        == "BAD_IMP_UID"
    assert shop.post("/payments/complete", json={"imp_uid": "imp_1"}, csrf=False).status_code == 403
    assert status(shop, order) == "pending"


def test_webhook_answers(shop):
    bad = shop.post("/webhooks/portone", data="not json", csrf=False, headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["result"] == "malformed"
    assert shop.post("/webhooks/portone", data={"status": "paid"}, csrf=False).status_code == 400
    unknown = shop.post("/webhooks/portone", json={"imp_uid": "imp_000000000000", "merchant_uid": "x"}, csrf=False)
    assert unknown.status_code == 200 and unknown.json()["result"] == "ignored"


def test_webhook_for_an_order_the_shop_does_not_know(shop, api):
    stranger = {"order_id": "order-not-from-this-shop", "order_name": "?", "amount": 5000}
    paid = driver.pay(shop, stranger)
    resp = shop.post("/webhooks/portone", json={"imp_uid": paid["imp_uid"], "merchant_uid": stranger["order_id"],
                                                "status": "paid"}, csrf=False)
    assert resp.status_code == 200 and resp.json()["result"] == "ignored"
    assert api.payment(paid["imp_uid"])["status"] == "paid"


def test_legacy_sdk_callback_is_verified_the_same_way(shop):
    order = shop.order("portone")
    paid = driver.pay(shop, order, sdk="1.2.0", amount=100)
    assert paid["rsp"]["success"] is True                   # the old SDK says "success"; the shop reads PortOne
    assert complete(shop, paid["rsp"]).json()["status"] == "forged"


class Blackhole:
    """A TCP server that accepts connections and never answers: a PortOne that times out."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        self.sock.close()


def test_timeout_makes_the_order_unknown_until_portone_answers(shop):
    order = shop.order("portone")
    paid = driver.pay(shop, order)
    hole = Blackhole()
    shop.app.config.update(EMULATOR_URL=hole.url, PG_TIMEOUT=0.3)
    try:
        resp = complete(shop, paid["rsp"])
    finally:
        shop.app.config.update(EMULATOR_URL="", PG_TIMEOUT=10)
        hole.close()
    body = resp.json()
    assert resp.status_code == 503 and body["status"] == "unknown" and "not known" in body["message"]
    assert named(shop, order, "portone.unknown") and named(shop, order, "portone.still_unknown")
    assert "Outcome unknown" in result_page(shop, order)
    # PortOne answers again: the next notice settles it from what PortOne says.
    hook = shop.post("/webhooks/portone", json={"imp_uid": paid["imp_uid"]}, csrf=False)
    assert hook.status_code == 200 and hook.json()["status"] == "paid"
    assert "Paid and verified" in result_page(shop, order)


def test_webhook_asks_to_be_sent_again_when_portone_cannot_be_asked(shop):
    order = shop.order("portone")
    paid = driver.pay(shop, order)
    hole = Blackhole()
    shop.app.config.update(EMULATOR_URL=hole.url, PG_TIMEOUT=0.3)
    try:
        resp = shop.post("/webhooks/portone", json={"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"]},
                         csrf=False)
    finally:
        shop.app.config.update(EMULATOR_URL="", PG_TIMEOUT=10)
        hole.close()
    assert resp.status_code == 503 and resp.json()["result"] == "retry"
    assert status(shop, order) == "pending"        # a webhook is only a hint: nothing is decided on it
    assert shop.post("/webhooks/portone", json={"imp_uid": paid["imp_uid"]}, csrf=False).json()["status"] == "paid"


def test_refunds_made_at_portone_show_on_the_order(shop, api):
    order = shop.order("portone")                                   # 15,000원
    paid = driver.pay(shop, order, notice_url=notice(shop))
    assert complete(shop, paid["rsp"]).json()["status"] == "paid"
    # The merchant refunds 5,000원 in PortOne's console (by API here): PortOne's webhook tells the shop.
    assert api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"], "amount": 5000}).json()["code"] == 0
    wait_for(lambda: status(shop, order) == "partially_refunded", "the partial refund webhook")
    page = result_page(shop, order)
    assert "Paid, partly refunded" in page and "KRW 5,000" in page
    assert api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"]}).json()["code"] == 0   # the rest
    wait_for(lambda: status(shop, order) == "cancelled", "the full refund webhook")
    assert "Cancelled and refunded" in result_page(shop, order) and "KRW 15,000" in result_page(shop, order)


def test_a_tampered_virtual_account_is_closed_at_portone_and_the_order_stays_payable(shop, api):
    order = shop.order("portone", pay_method="vbank")
    tampered = driver.pay(shop, order, pay_method="vbank", amount=100)
    assert api.payment(tampered["imp_uid"])["vbank_num"]                    # an account for 100원 was issued
    body = complete(shop, tampered["rsp"]).json()
    assert body["status"] == "forged"
    assert api.payment(tampered["imp_uid"])["status"] == "cancelled"      # closed: nobody can pay into it
    assert [s["name"] for s in named(shop, order, "portone.revoke_vbank")] == ["portone.revoke_vbank"]
    honest = driver.pay(shop, order, pay_method="vbank")
    assert complete(shop, honest["rsp"]).json()["status"] == "awaiting_deposit"
