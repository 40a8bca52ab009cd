"""Whose data is shown: the order page answers only the session that placed the order, and the log pages
mask the buyer's name, email, phone and account numbers for everyone else (not for that buyer)."""
import json
import re

import pytest
import requests

from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver

NAME, EMAIL = "Kim Minsu", "minsu.kim@example.com"


def stranger_get(site, path):
    """The same site from another browser (its own session)."""
    return requests.get(site.url + path, timeout=30)


def paid_with_virtual_account(site, pg):
    """An order paid into a virtual account by the site's own session; (order id, account number)."""
    order = site.order(pg, buyer_name=NAME, buyer_email=EMAIL)
    if pg == "toss":
        got = toss_driver.pay(site, order, method="가상계좌")
        assert site.get(got["redirect_url"].replace(site.url, "")).status_code == 200
        account = toss_driver.record(site, got["paymentKey"])["virtualAccount"]["accountNumber"]
    else:
        paid = portone_driver.pay(site, order, pay_method="vbank")
        done = site.post("/payments/complete", json={"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"]})
        assert done.status_code == 200, done.text
        account = portone_driver.Api(site).payment(paid["imp_uid"])["vbank_num"]
    return order["order_id"], account


def log_pages(order_id):
    return [f"/flows/{order_id}?lang=en", f"/api/flows/{order_id}", f"/flows/{order_id}.json",
            f"/api/flows/{order_id}/steps", f"/api/flows/{order_id}/steps?after=1",
            f"/flows/compare?a={order_id}&b={order_id}", "/flows?lang=en", "/api/flows"]


@pytest.mark.parametrize("pg", ["toss", "portone"])
def test_the_order_page_answers_only_the_buyers_session(site, pg):
    order_id, account = paid_with_virtual_account(site, pg)
    own = site.get(f"/orders/{order_id}?lang=en")
    assert own.status_code == 200 and account in own.text and "Waiting for the deposit" in own.text
    other = stranger_get(site, f"/orders/{order_id}?lang=en")
    assert other.status_code == 404 and "Not found" in other.text
    assert account not in other.text and NAME not in other.text
    assert stranger_get(site, "/orders/no-such-order").status_code == 404      # the same answer


@pytest.mark.parametrize("pg", ["toss", "portone"])
def test_the_log_pages_mask_personal_data_for_everyone_but_the_buyer(site, pg):
    order_id, account = paid_with_virtual_account(site, pg)
    for path in log_pages(order_id):
        own = site.get(path)
        assert own.status_code == 200, path
        other = stranger_get(site, path)
        assert other.status_code == 200, path
        for secret in (NAME, EMAIL, account):
            assert secret not in other.text, (path, secret)
        if f"/{order_id}" in path and "compare" not in path:       # the pages that show the buyer
            assert "K*" in other.text, path                           # masked, not dropped
    own = site.get(f"/api/flows/{order_id}").json()
    assert (own["order"]["buyer_name"], own["order"]["buyer_email"]) == (NAME, EMAIL)
    assert account in json.dumps(own["steps"], ensure_ascii=False)
    theirs = stranger_get(site, f"/api/flows/{order_id}").json()
    assert theirs["order"]["buyer_name"] == "K********" and theirs["order"]["buyer_email"].startswith("m***")
    assert [s["name"] for s in theirs["steps"]] == [s["name"] for s in own["steps"]]
    assert theirs["order"]["status"] == own["order"]["status"] == "awaiting_deposit"


def test_a_name_that_reaches_a_summary_or_a_url_is_masked_too(site):
    order = site.order("toss", buyer_name="Mallory Q", buyer_email="mq@example.com")
    # The page reports a browser event whose values carry the buyer's name (as text and URL-encoded).
    sent = site.post(f"/api/flows/{order['order_id']}/events", json={
        "phase": "return", "name": "toss.rejection", "summary_key": "toss.rejection",
        "values": {"code": "USER_CANCEL", "message": "Mallory Q closed it"},
        "data": {"customerName": "Mallory Q", "url": "/fail?name=Mallory%20Q&mail=mq%40example.com"}})
    assert sent.status_code == 201
    text = stranger_get(site, f"/flows/{order['order_id']}?lang=en").text
    assert "Mallory" not in text and "mq@example.com" not in text and "mq%40example.com" not in text
    assert "Mallory Q closed it" in site.get(f"/flows/{order['order_id']}?lang=en").text


def test_a_stranger_cannot_report_browser_events_into_someone_elses_flow(site):
    order = site.order("portone")
    stranger = requests.Session()
    page = stranger.get(site.url + "/", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    sent = stranger.post(f"{site.url}/api/flows/{order['order_id']}/events", headers={"X-CSRF-Token": token},
                         timeout=10, json={"phase": "return", "name": "portone.callback",
                                           "summary_key": "portone.callback_error",
                                           "values": {"code": "F400", "message": "x"},
                                           "data": {"error_code": "F400", "error_msg": "사용자가 결제를 취소하셨습니다"}})
    assert sent.status_code == 404 and sent.json()["error"] == "NOT_FOUND"
    steps = site.get(f"/api/flows/{order['order_id']}/steps").json()["steps"]
    assert not [s for s in steps if s["reported"]]                       # nothing of the stranger's was stored
    result = site.get(f"/orders/{order['order_id']}?lang=en").text
    assert "Waiting for the payment" in result and "nothing was charged" not in result


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_strangers_callback_words_never_explain_the_buyers_order(site, method):
    """PortOne's callback and m_redirect_url take anyone's merchant_uid (order ids are public): a stranger's
    error_msg is logged as what was received, but never becomes the words of the buyer's result page or the
    flows list."""
    order = site.order("portone")
    stranger = requests.Session()
    page = stranger.get(site.url + "/", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    said = {"merchant_uid": order["order_id"], "error_code": "F999", "error_msg": "CALL 010-9999-0000 NOW"}
    if method == "GET":
        stranger.get(site.url + "/payments/complete", params=said, timeout=10)
    else:
        stranger.post(site.url + "/payments/complete", json=said, headers={"X-CSRF-Token": token}, timeout=10)
    result = site.get(f"/orders/{order['order_id']}?lang=en").text
    assert "CALL 010-9999-0000" not in result and "Waiting for the payment" in result
    row = next(r for r in site.get("/api/flows?lang=en").json()["flows"] if r["id"] == order["order_id"])
    assert (row["shown"], row["word"]) == ("pending", "")
    assert site.get(f"/api/flows/{order['order_id']}/steps").json()["status"] == "pending"
    # the buyer's own browser reporting the same is believed as an explanation (it never moves the order)
    site.get("/payments/complete", params=said)
    assert "CALL 010-9999-0000" in site.get(f"/orders/{order['order_id']}?lang=en").text
