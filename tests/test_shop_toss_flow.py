"""The shop's Toss flow over real HTTP against the emulated Toss: success, fail, webhooks, checkout."""
import base64
import re
import threading
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from shop import catalog
from tests.drivers import faults
from tests.drivers.emulator import until
from tests.drivers import toss as driver

SECRET_KEY = "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6"   # the public docs widget secret key (emulator mode)
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{SECRET_KEY}:".encode()).decode()}


# --- helpers: what a user, the shop's records and the PG's records say -------------------------

def pg_payment(site, payment_key):
    """The PG's own record, read the way any merchant reads it."""
    resp = site.http.get(f"{site.url}/emulator/toss/v1/payments/{payment_key}", headers=AUTH, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def status_of(site, order_id):
    return site.get(f"/api/flows/{order_id}/steps").json()["status"]


def steps_of(site, order_id):
    return site.get(f"/api/flows/{order_id}/steps").json()["steps"]


def named(steps, name):
    return [s for s in steps if s["name"] == name]


def moves_to(steps, status):
    """The steps in which this order's status changed to `status` (one per real transition)."""
    return [s for s in named(steps, "toss.status") if f"→ {status}:" in s["summary"]]


def with_query(url, **changes):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def path_of(url):
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def priced(monkeypatch):
    """Add a product at a given price (the emulator declines by the amount's last two digits)."""
    def add(price):
        monkeypatch.setitem(catalog.PRODUCTS, f"test{price}", {"name": f"Test item {price}", "price": price})
        return f"test{price}"
    return add


@pytest.fixture
def quiet(site):
    """Toss's own webhooks go nowhere (a closed port): only what the test does reaches the shop."""
    site.emulator.config["EMULATOR_TOSS_WEBHOOK_URL"] = "http://127.0.0.1:9/unreachable"
    return site


def paid_via_success(site, order, **pay):
    got = driver.pay(site, order, **pay)
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    return got, page


# --- approve ------------------------------------------------------------------------------------

@pytest.mark.parametrize("product, quantity, coupons, amount", [
    ("shoes", 1, [], 15000),
    ("shoes", 1, ["TOSS5000"], 10000),
    ("jacket", 1, ["TOSS5000", "WELCOME10"], 89000 - 5000 - 8900),
    ("shoes", 2, ["BIG30K"], 22000),
])
def test_approved_payment_is_confirmed_for_the_discounted_amount(site, product, quantity, coupons, amount):
    order = site.order("toss", product, quantity, coupons)
    assert order["amount"] == amount
    got, page = paid_via_success(site, order)
    assert page.status_code == 200
    assert "Paid and verified" in page.text
    assert f"{amount:,}" in page.text
    record = pg_payment(site, got["paymentKey"])
    assert (record["status"], record["totalAmount"], record["orderId"]) == ("DONE", amount, order["order_id"])
    assert status_of(site, order["order_id"]) == "paid"
    steps = steps_of(site, order["order_id"])
    names = [s["name"] for s in steps]
    # the window's outcome, then the redirect; checks happen before the confirm, the response after it
    assert names.index("toss.window") < names.index("toss.success_redirect") < names.index("toss.check_amount")
    assert steps[names.index("toss.window")]["phase"] == "authenticate"
    assert names.index("toss.check_amount") < names.index("toss.confirm") < names.index("toss.check_total_amount")
    assert all(s["verdict"] == "pass" for s in steps if s["name"].startswith("toss.check_"))
    assert len(moves_to(steps, "paid")) == 1


def test_no_secret_reaches_the_page_or_the_step_log(site):
    order = site.order("toss", "shoes")
    got, page = paid_via_success(site, order)
    secret = pg_payment(site, got["paymentKey"])["secret"]
    log = site.get(f"/api/flows/{order['order_id']}/steps").text
    flow_page = site.get(f"/flows/{order['order_id']}").text
    for text in (page.text, log, flow_page):
        assert secret not in text and SECRET_KEY not in text
        assert AUTH["Authorization"].split()[1] not in text


# --- declines on the window → /fail -------------------------------------------------------------

@pytest.mark.parametrize("outcome, code, words", [
    ("decline_insufficient", "REJECT_CARD_PAYMENT", "balance is too low"),
    ("decline_refused", "REJECT_CARD_COMPANY", "card company refused"),
    ("decline_invalid_card", "INVALID_CARD_NUMBER", "card number is wrong"),
])
def test_declined_payment_is_explained_on_fail_and_the_order_fails(site, outcome, code, words):
    order = site.order("toss", "shoes", buyer_name="Kim")
    got = driver.pay(site, order, outcome=outcome)
    assert "/fail?" in got["redirect_url"]
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    assert page.status_code == 200
    assert code in page.text and words in page.text and "Nothing was charged" in page.text
    assert status_of(site, order["order_id"]) == "failed"
    assert pg_payment(site, got["paymentKey"])["status"] == "ABORTED"
    steps = steps_of(site, order["order_id"])
    names = [s["name"] for s in steps]
    # the order failed only after the shop read the PG's record (on /fail, or from Toss's own webhook)
    first_read = min(names.index(n) for n in ("toss.find_payment", "toss.get_payment") if n in names)
    assert first_read < names.index("toss.status")
    assert not named(steps, "toss.confirm")


def test_fail_redirect_does_not_unpay_a_paid_order(site):
    order = site.order("toss", "shoes")
    paid_via_success(site, order)
    page = site.get("/fail?" + urlencode({"code": "PAY_PROCESS_CANCELED", "message": "취소",
                                          "orderId": order["order_id"]}))
    assert page.status_code == 200
    assert status_of(site, order["order_id"]) == "paid"


def test_fail_redirect_while_the_pg_cannot_be_asked_leaves_the_order_open(quiet):
    site = quiet
    order = site.order("toss", "shoes")
    got = driver.pay(site, order, outcome="decline_refused")
    faults.arm(site, "toss", "get_by_order", "down")
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    assert "card company refused" in page.text and "stays open" in page.text
    assert status_of(site, order["order_id"]) == "pending"


def test_fail_page_without_an_order_still_explains(site):
    page = site.get("/fail?code=SOMETHING_NEW&message=x&lang=en")
    assert page.status_code == 200 and "did not go through" in page.text and "SOMETHING_NEW" in page.text


# --- confirm refused / unknown outcomes ---------------------------------------------------------

def test_confirm_refused_by_the_card_company_fails_with_plain_reason(site, priced):
    order = site.order("toss", priced(10002))      # the emulator declines confirms of amounts ending in 02
    got, page = paid_via_success(site, order)
    assert "Not paid" in page.text and "card company refused" in page.text
    assert status_of(site, order["order_id"]) == "failed"
    assert pg_payment(site, got["paymentKey"])["status"] == "ABORTED"


def test_confirm_5xx_is_settled_from_what_the_pg_says(site, priced):
    order = site.order("toss", priced(10005))      # 500 FAILED_INTERNAL_SYSTEM_PROCESSING
    got, _ = paid_via_success(site, order)
    steps = steps_of(site, order["order_id"])
    assert [s["name"] for s in steps if s["name"] in ("toss.confirm", "toss.find_payment")] == \
        ["toss.confirm", "toss.find_payment"]
    assert status_of(site, order["order_id"]) == "failed"
    assert pg_payment(site, got["paymentKey"])["status"] == "ABORTED"


def test_confirm_5xx_without_acting_is_retried_with_the_same_key(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    faults.arm(site, "toss", "confirm", "error_5xx")          # Toss answers 500 and does nothing
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    assert "Paid and verified" in page.text
    steps = steps_of(site, order["order_id"])
    confirms = named(steps, "toss.confirm")
    assert [c["exchange"]["response"]["status"] for c in confirms] == [500, 200]
    assert len({c["exchange"]["request"]["headers"]["Idempotency-Key"] for c in confirms}) == 1
    assert named(steps, "toss.find_payment") and named(steps, "toss.confirm_retry")
    assert pg_payment(site, got["paymentKey"])["status"] == "DONE"


def test_lost_confirm_answer_is_recovered_by_asking_the_pg(site):
    faults.fast(site)
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    faults.arm(site, "toss", "confirm", "timeout_after")      # Toss confirms; the answer never arrives
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    assert "Paid and verified" in page.text
    assert status_of(site, order["order_id"]) == "paid"
    steps = steps_of(site, order["order_id"])
    [confirm] = named(steps, "toss.confirm")
    assert confirm["kind"] == "fault" and "outcome unknown" in confirm["summary"]
    assert named(steps, "toss.find_payment")
    assert pg_payment(site, got["paymentKey"])["status"] == "DONE"


def test_confirm_that_timed_out_before_acting_is_retried_with_the_same_key(site):
    faults.fast(site)
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    faults.arm(site, "toss", "confirm", "timeout_before")     # Toss did nothing
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    assert "Paid and verified" in page.text
    steps = steps_of(site, order["order_id"])
    confirms = named(steps, "toss.confirm")
    assert [c["kind"] for c in confirms] == ["fault", "http_out"]
    assert len({c["exchange"]["request"]["headers"]["Idempotency-Key"] for c in confirms}) == 1
    assert named(steps, "toss.confirm_retry")
    assert len(moves_to(steps, "paid")) == 1


def test_when_the_pg_cannot_say_the_order_is_unknown_until_asked_again(site):
    faults.fast(site)
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    faults.arm(site, "toss", "confirm", "timeout_before", count=0)
    faults.arm(site, "toss", "get_by_order", "down", count=0)
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    assert "Outcome unknown" in page.text and "no clear answer" in page.text
    assert status_of(site, order["order_id"]) == "unknown"
    assert pg_payment(site, got["paymentKey"])["status"] == "IN_PROGRESS"
    faults.clear(site)
    again = site.get(path_of(got["redirect_url"]) + "&lang=en")   # the buyer reloads: the shop asks again
    assert "Paid and verified" in again.text
    assert status_of(site, order["order_id"]) == "paid"


def test_confirm_after_the_10_minute_window_is_explained(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    site.advance_clock(11 * 60)
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    assert "within 10 minutes" in page.text and "Nothing was charged" in page.text
    assert status_of(site, order["order_id"]) == "failed"
    assert pg_payment(site, got["paymentKey"])["status"] == "EXPIRED"


# --- refresh and duplicates ---------------------------------------------------------------------

def test_refreshed_success_page_shows_the_same_result_without_confirming_again(site):
    order = site.order("toss", "shoes", coupons=["TOSS5000"])
    got, first = paid_via_success(site, order)
    second = site.get(path_of(got["redirect_url"]))
    assert second.status_code == 200
    assert text_of(first.text) == text_of(second.text)
    steps = steps_of(site, order["order_id"])
    assert len(named(steps, "toss.confirm")) == 1
    assert len(moves_to(steps, "paid")) == 1
    assert named(steps, "toss.show_settled")
    record = pg_payment(site, got["paymentKey"])
    assert (record["status"], record["totalAmount"]) == ("DONE", 10000)


def test_concurrent_duplicate_success_requests_confirm_once(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    pages = [None, None]
    start = threading.Barrier(2)

    def visit(i):
        start.wait()
        pages[i] = site.http.get(got["redirect_url"], timeout=30)
    threads = [threading.Thread(target=visit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.status_code for p in pages] == [200, 200]
    assert all("data-status=\"paid\"" in p.text for p in pages)
    steps = steps_of(site, order["order_id"])
    assert len(moves_to(steps, "paid")) == 1
    # every confirm that reached Toss carried the same Idempotency-Key: the second got the replayed answer
    keys = {s["exchange"]["request"]["headers"]["Idempotency-Key"] for s in named(steps, "toss.confirm")}
    assert keys == {f"confirm-{order['order_id']}-{got['paymentKey']}"}
    assert pg_payment(site, got["paymentKey"])["status"] == "DONE"


# --- tampering ----------------------------------------------------------------------------------

def test_tampered_amount_in_the_success_url_is_refused_and_not_confirmed(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    page = site.get(path_of(with_query(got["redirect_url"], amount="100")) + "&lang=en")
    assert page.status_code == 400
    assert "Payment not confirmed" in page.text and "nothing was charged" in page.text
    assert "KRW 100" in page.text and "KRW 15,000" in page.text
    assert pg_payment(site, got["paymentKey"])["status"] == "IN_PROGRESS"
    assert status_of(site, order["order_id"]) == "pending"
    steps = steps_of(site, order["order_id"])
    [check] = named(steps, "toss.check_amount")
    assert (check["verdict"], check["expected"], check["actual"]) == ("fail", "15000", "100")
    assert not named(steps, "toss.confirm")
    # the honest redirect still works afterwards
    assert "Paid and verified" in site.get(path_of(got["redirect_url"]) + "&lang=en").text


def test_amount_tampered_in_the_browser_sdk_call_is_refused(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order, amount=1000)      # the page handed the widget a smaller amount
    page = site.get(path_of(got["redirect_url"]))
    assert page.status_code == 400
    assert pg_payment(site, got["paymentKey"])["status"] == "IN_PROGRESS"
    assert status_of(site, order["order_id"]) == "pending"


def test_tampered_sdk_amount_with_an_edited_url_is_refused_by_toss_itself(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order, amount=1000)      # Toss authenticated 1,000 won
    page = site.get(path_of(with_query(got["redirect_url"], amount="15000")) + "&lang=en")
    # the shop's own checks pass (the URL was edited to match), so Toss's amount check refuses the confirm
    assert "Not paid" in page.text and "Nothing was charged" in page.text
    assert status_of(site, order["order_id"]) == "failed"
    assert pg_payment(site, got["paymentKey"])["status"] == "IN_PROGRESS"
    assert [s["name"] for s in steps_of(site, order["order_id"]) if s["name"].startswith("toss.confirm")] == \
        ["toss.confirm", "toss.confirm_refused"]


def test_success_url_for_an_unknown_order_is_refused(site):
    page = site.get("/success?paymentType=NORMAL&orderId=order-nope-123&paymentKey=tgen_x&amount=100&lang=en")
    assert page.status_code == 404 and "no such order" in page.text


def test_payment_key_of_another_order_is_not_confirmed_for_this_one(site):
    mine, other = site.order("toss", "shoes"), site.order("toss", "shoes")
    got_other = driver.pay(site, other)
    got_mine = driver.pay(site, mine)
    forged = with_query(got_mine["redirect_url"], paymentKey=got_other["paymentKey"])
    page = site.get(path_of(forged) + "&lang=en")
    assert page.status_code == 409 and "does not belong to this order" in page.text
    assert status_of(site, mine["order_id"]) == "pending"
    assert pg_payment(site, got_other["paymentKey"])["status"] == "IN_PROGRESS"
    # both honest redirects still work
    assert "Paid and verified" in site.get(path_of(got_other["redirect_url"]) + "&lang=en").text
    assert "Paid and verified" in site.get(path_of(got_mine["redirect_url"]) + "&lang=en").text


def test_payment_confirmed_elsewhere_for_another_amount_is_cancelled_as_forged(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order, amount=1000)
    # Someone holding the secret key confirms the 1,000 won payment behind the shop's back.
    resp = site.http.post(f"{site.url}/emulator/toss/v1/payments/confirm", headers=AUTH, timeout=10,
                          json={"paymentKey": got["paymentKey"], "orderId": order["order_id"], "amount": 1000})
    assert resp.status_code == 200
    hook = site.post("/webhooks/toss", csrf=False, json={
        "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
        "data": {"paymentKey": got["paymentKey"], "orderId": order["order_id"], "status": "DONE"}})
    assert hook.status_code == 200
    assert status_of(site, order["order_id"]) == "forged"
    # Toss's own webhook may be handling it at the same moment: one of the two cancels it, once.
    assert until(lambda: pg_payment(site, got["paymentKey"])["status"] == "CANCELED")
    assert until(lambda: "cancelled at the PG" in site.get(f"/orders/{order['order_id']}?lang=en").text)
    result = site.get(f"/orders/{order['order_id']}?lang=en").text
    assert "A payment that did not match was refused" in result and "cancelled at the PG" in result
    assert got["paymentKey"] in result


# --- virtual account and DEPOSIT_CALLBACK -------------------------------------------------------

def issue_virtual_account(site):
    order = site.order("toss", "shoes", buyer_name="Kim")
    got, page = paid_via_success(site, order, method="가상계좌")
    return order, got, page


def test_virtual_account_waits_for_the_deposit_then_the_callback_pays_it(site):
    order, got, page = issue_virtual_account(site)
    record = pg_payment(site, got["paymentKey"])
    number = record["virtualAccount"]["accountNumber"]
    assert record["status"] == "WAITING_FOR_DEPOSIT"
    assert number in page.text and "우리은행" in page.text
    assert status_of(site, order["order_id"]) == "awaiting_deposit"
    assert record["secret"] not in page.text
    # The bank receives the money: Toss sends DEPOSIT_CALLBACK (with the secret) to /webhooks/toss.
    deposit = site.http.post(f"{site.url}/emulator/toss/payments/{got['paymentKey']}/deposit", json={},
                             timeout=10)
    assert deposit.status_code == 200
    assert until(lambda: status_of(site, order["order_id"]) == "paid")
    steps = steps_of(site, order["order_id"])
    assert any(s["name"] == "toss.check_deposit_secret" and s["verdict"] == "pass" for s in steps)
    assert len(moves_to(steps, "paid")) == 1
    assert "The deposit arrived" in site.get(f"/orders/{order['order_id']}?lang=en").text


def test_deposit_callback_with_a_wrong_secret_changes_nothing(quiet):
    site = quiet
    order, got, _ = issue_virtual_account(site)
    resp = site.post("/webhooks/toss", csrf=False, json={
        "createdAt": "2026-01-01T12:00:00.000000", "secret": "ps_" + "x" * 28, "status": "DONE",
        "transactionKey": "txrd_forged", "orderId": order["order_id"]})
    assert resp.status_code == 200 and resp.json()["applied"] is False
    assert status_of(site, order["order_id"]) == "awaiting_deposit"
    [check] = named(steps_of(site, order["order_id"]), "toss.check_deposit_secret")
    assert (check["verdict"], check["actual"]) == ("fail", "a different secret")
    assert pg_payment(site, got["paymentKey"])["status"] == "WAITING_FOR_DEPOSIT"


def test_deposit_callback_with_the_right_secret_pays_only_what_the_pg_confirms(quiet):
    site = quiet                                    # the test delivers the callbacks by hand
    order, got, _ = issue_virtual_account(site)
    secret = pg_payment(site, got["paymentKey"])["secret"]
    callback = {"createdAt": "2026-01-01T12:00:00.000000", "secret": secret, "status": "DONE",
                "transactionKey": "txrd_1", "orderId": order["order_id"]}
    # The right secret but no money yet: the PG's record still says WAITING_FOR_DEPOSIT.
    early = site.post("/webhooks/toss", csrf=False, json=callback)
    assert early.status_code == 200 and early.json()["status"] == "awaiting_deposit"
    site.http.post(f"{site.url}/emulator/toss/payments/{got['paymentKey']}/deposit", json={}, timeout=10)
    resp = site.post("/webhooks/toss", csrf=False, json=callback)
    assert resp.status_code == 200 and resp.json()["status"] == "paid"
    again = site.post("/webhooks/toss", csrf=False, json=callback)           # a retry: nothing more happens
    assert again.status_code == 200 and again.json()["status"] == "paid"
    steps = steps_of(site, order["order_id"])
    assert len(moves_to(steps, "paid")) == 1
    assert [s["verdict"] for s in named(steps, "toss.check_deposit_secret")] == ["pass"] * 3


# --- PAYMENT_STATUS_CHANGED -----------------------------------------------------------------------

def status_changed(site, payment_key, order_id, status="DONE"):
    return site.post("/webhooks/toss", csrf=False, json={
        "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
        "data": {"paymentKey": payment_key, "orderId": order_id, "status": status, "totalAmount": 1}})


def test_status_webhook_before_success_is_read_back_and_not_believed(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    resp = status_changed(site, got["paymentKey"], order["order_id"])      # claims DONE: it is not
    assert resp.status_code == 200
    assert status_of(site, order["order_id"]) == "pending"
    page = site.get(path_of(got["redirect_url"]) + "&lang=en")
    assert "Paid and verified" in page.text
    assert status_of(site, order["order_id"]) == "paid"


def test_status_webhook_settles_an_order_whose_confirm_answer_was_lost(site):
    faults.fast(site)
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    faults.arm(site, "toss", "confirm", "timeout_after")
    faults.arm(site, "toss", "get_by_order", "down", count=0)
    site.get(path_of(got["redirect_url"]))
    # The buyer's page could not settle it (the order is unknown, unless the webhook already came).
    assert status_of(site, order["order_id"]) in ("unknown", "paid")
    # Toss's own PAYMENT_STATUS_CHANGED (DONE) arrives: the shop reads it back and settles.
    assert until(lambda: status_of(site, order["order_id"]) == "paid")
    steps = steps_of(site, order["order_id"])
    assert any(s["name"] == "toss.get_payment" and s["phase"] == "notify" for s in steps)
    assert len(moves_to(steps, "paid")) == 1
    faults.clear(site)
    assert "Paid and verified" in site.get(path_of(got["redirect_url"]) + "&lang=en").text


def test_duplicate_status_webhooks_change_the_order_once(site):
    order = site.order("toss", "shoes")
    got, _ = paid_via_success(site, order)
    for _ in range(3):
        assert status_changed(site, got["paymentKey"], order["order_id"]).status_code == 200
    assert status_of(site, order["order_id"]) == "paid"
    assert len(moves_to(steps_of(site, order["order_id"]), "paid")) == 1


@pytest.mark.parametrize("body, content_type, status, error", [
    ("{not json", "application/json", 400, "BAD_WEBHOOK"),
    ('{"eventType": "PAYMENT_STATUS_CHANGED"}', "application/json", 400, "BAD_WEBHOOK"),
    ('{"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "tgen_x", "orderId": "order-nope-1"}}',
     "application/json", 404, "UNKNOWN_ORDER"),
    ('{"secret": "ps_x", "status": "DONE", "orderId": "order-nope-1"}', "application/json", 404, "UNKNOWN_ORDER"),
])
def test_bad_webhooks_get_a_clear_4xx(site, body, content_type, status, error):
    resp = site.http.post(site.url + "/webhooks/toss", data=body, headers={"Content-Type": content_type},
                          timeout=10)
    assert resp.status_code == status and resp.json()["error"] == error


def test_webhook_for_a_payment_unknown_to_the_pg_changes_nothing(site):
    order = site.order("toss", "shoes")
    resp = status_changed(site, "tgen_20260101000000nope1", order["order_id"])
    assert resp.status_code == 400 and resp.json()["error"] == "UNKNOWN_PAYMENT"
    assert status_of(site, order["order_id"]) == "pending"
    assert named(steps_of(site, order["order_id"]), "toss.webhook")


# --- the server-created checkout (POST /v1/payments) --------------------------------------------

def server_checkout(site, **form):
    data = {"csrf_token": site.csrf(), "product_id": "shoes", "quantity": "1", "buyer_name": "Kim",
            "buyer_email": "kim@example.com", **form}
    return site.http.post(site.url + "/toss/checkout?lang=en", data=data, allow_redirects=False, timeout=30)


def test_server_created_checkout_goes_to_the_pg_page_and_gets_paid(site):
    resp = server_checkout(site, coupons="TOSS5000")
    assert resp.status_code == 303
    checkout_url = resp.headers["Location"]
    payment_key = re.search(r"/v1/payments/([^/]+)/checkout$", checkout_url).group(1)
    record = pg_payment(site, payment_key)
    assert (record["status"], record["totalAmount"]) == ("READY", 10000)
    assert site.http.get(checkout_url, timeout=10).status_code == 200
    decided = site.http.post(f"{site.url}/emulator/toss/window/{payment_key}/decide", json={"outcome": "approve"},
                             timeout=10).json()
    page = site.get(path_of(decided["redirect_url"]) + "&lang=en")
    assert "Paid and verified" in page.text and "10,000" in page.text
    assert pg_payment(site, payment_key)["status"] == "DONE"
    assert status_of(site, record["orderId"]) == "paid"


def test_server_created_checkout_closed_by_the_buyer_stays_payable_as_toss_has_it(site):
    resp = server_checkout(site)
    payment_key = re.search(r"/v1/payments/([^/]+)/checkout$", resp.headers["Location"]).group(1)
    decided = site.http.post(f"{site.url}/emulator/toss/window/{payment_key}/decide", json={"outcome": "close"},
                             timeout=10).json()
    page = site.get(path_of(decided["redirect_url"]) + "&lang=en")
    assert "PAY_PROCESS_CANCELED" in page.text and "closed or cancelled" in page.text
    order_id = pg_payment(site, payment_key)["orderId"]
    assert pg_payment(site, payment_key)["status"] == "READY"
    assert status_of(site, order_id) == "pending"     # the failUrl is the browser's word; Toss's record decides


def test_server_created_checkout_refuses_an_expired_coupon(site):
    resp = server_checkout(site, coupons="SUMMER2025")
    assert resp.status_code == 400
    assert "SUMMER2025 expired" in resp.text


def test_server_created_checkout_needs_the_csrf_token(site):
    resp = site.http.post(site.url + "/toss/checkout", data={"product_id": "shoes"}, allow_redirects=False,
                          timeout=10)
    assert resp.status_code == 403


def test_a_partial_refund_at_toss_shows_on_the_order(site):
    order = site.order("toss", "shoes")
    got = driver.pay(site, order)
    assert 'data-status="paid"' in site.get(path_of(got["redirect_url"])).text
    cancel = site.http.post(f"{site.url}/emulator/toss/v1/payments/{got['paymentKey']}/cancel", headers=AUTH,
                            json={"cancelReason": "one item returned", "cancelAmount": 5000}, timeout=10)
    assert cancel.status_code == 200 and cancel.json()["status"] == "PARTIAL_CANCELED"
    hook = site.post("/webhooks/toss", csrf=False, json={
        "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
        "data": {"paymentKey": got["paymentKey"], "orderId": order["order_id"], "status": "PARTIAL_CANCELED"}})
    assert hook.status_code == 200 and hook.json()["status"] == "partially_refunded"
    page = site.get(f"/orders/{order['order_id']}?lang=en").text
    assert "Paid, partly refunded" in page and "KRW 5,000" in page


def test_a_success_url_opened_in_another_browser_shows_the_status_only(site):
    order = site.order("toss", "shoes", buyer_name="Kim Minsu")
    got = driver.pay(site, order, method="가상계좌")
    assert 'data-status="awaiting_deposit"' in site.get(path_of(got["redirect_url"])).text   # the buyer
    stranger = requests.get(got["redirect_url"] + "&lang=en", timeout=10)                      # a copied URL
    account = pg_payment(site, got["paymentKey"])["virtualAccount"]["accountNumber"]
    assert stranger.status_code == 200 and "placed in another browser" in stranger.text
    assert account not in stranger.text and "Kim Minsu" not in stranger.text
