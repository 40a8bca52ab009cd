"""Emulator faults over real HTTP: 5xx, timeouts before and after acting, a down endpoint, webhook
duplicates / reordering / lateness / loss, count consumption, the control API and the dashboard."""
import json
import threading
import time

import pytest
import requests

from tests.drivers.receiver import Receiver
from tests.drivers import faults
from tests.drivers.emulator import console_token, deliveries
from tests.drivers import portone
from tests.drivers import toss

CLIENT_TIMEOUT = 0.4   # a merchant's read timeout, shorter than the emulator's fault delay


@pytest.fixture
def quick(site):
    """Timeout faults hold answers 1.5 s (the default is 15 s)."""
    site.emulator.config["EMULATOR_FAULT_DELAY_S"] = 1.5
    return site


@pytest.fixture
def receiver(site):
    r = Receiver().allowed_by(site)
    yield r
    r.close()


# ---- REST faults ----------------------------------------------------------------------------------

def test_portone_5xx_answers_in_portone_envelope_and_does_not_cancel(site):
    api = portone.Api(site)
    order = site.order("portone")
    imp_uid = portone.pay(site, order)["imp_uid"]
    faults.arm(site, "portone", "cancel", "error_5xx")
    resp = api.post("/payments/cancel", json={"imp_uid": imp_uid})
    assert resp.status_code == 500
    assert resp.json() == {"code": -1, "message": "Internal Server Error", "response": None}
    assert api.payment(imp_uid)["status"] == "paid"          # the PG did not act
    again = api.post("/payments/cancel", json={"imp_uid": imp_uid})   # the one use is spent
    assert again.status_code == 200 and again.json()["response"]["status"] == "cancelled"


def test_toss_5xx_answers_in_toss_envelope_and_does_not_confirm(site):
    order = site.order("toss")
    key = toss.approved(site, order)
    faults.arm(site, "toss", "confirm", "error_5xx")
    resp = toss.confirm(site, key, order)
    assert resp.status_code == 500
    assert resp.json() == {"code": "FAILED_INTERNAL_SYSTEM_PROCESSING",
                           "message": "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요."}
    by_order = toss.api(site, "GET", f"/v1/payments/orders/{order['order_id']}")
    assert by_order.json()["status"] == "IN_PROGRESS"         # not confirmed
    again = toss.confirm(site, key, order)
    assert again.status_code == 200 and again.json()["status"] == "DONE"


def _paid_and_cancel(site, pg):
    """A paid payment of pg and a function that asks the PG to cancel it: (cancel(), the PG's status of it)."""
    from tests.drivers import portone_v2
    if pg == "portone":
        imp_uid = portone.pay(site, site.order("portone"))["imp_uid"]
        api = portone.Api(site)
        return (lambda: api.post("/payments/cancel", json={"imp_uid": imp_uid}),
                lambda: api.payment(imp_uid)["status"])
    if pg == "portone_v2":
        payment_id, api = portone_v2.paid(site), portone_v2.Api(site)
        return (lambda: api.post(f"/payments/{payment_id}/cancel", {"reason": "buyer asked"}),
                lambda: api.payment(payment_id)["status"])
    order = site.order("toss")
    key = toss.approved(site, order)
    assert toss.confirm(site, key, order).status_code == 200
    return (lambda: toss.api(site, "POST", f"/v1/payments/{key}/cancel", {"cancelReason": "buyer asked"}),
            lambda: toss.record(site, key)["status"])


@pytest.mark.parametrize("pg, status, body, held, cancelled", [
    ("portone", 200, {"code": 1, "message": "[PG사 오류] 카드사에서 취소를 거절했습니다.", "response": None},
     "paid", "cancelled"),
    ("portone_v2", 502, {"type": "PG_PROVIDER", "message": "PG사에서 오류를 전달했습니다.",
                         "pgCode": "CANCEL_REJECTED", "pgMessage": "카드사에서 취소를 거절했습니다."}, "PAID", "CANCELLED"),
    ("toss", 400, {"code": "REFUND_REJECTED", "message": "환불이 거절됐습니다. 결제사에 문의 부탁드립니다."},
     "DONE", "CANCELED"),
])
def test_a_refused_cancel_answers_as_the_pg_does_and_leaves_the_money_where_it_was(site, pg, status, body, held,
                                                                                   cancelled):
    cancel, pg_status = _paid_and_cancel(site, pg)
    faults.arm(site, pg, "cancel", "refused")
    resp = cancel()
    assert (resp.status_code, resp.json()) == (status, body)
    assert pg_status() == held                                         # nothing was refunded
    assert cancel().status_code == 200 and pg_status() == cancelled    # the one use is spent
    if pg == "portone_v2":
        from tests.test_emu_portone_v2_schema import validate
        validate(body, "CancelPaymentError")                           # PortOne's own schema


def test_refused_is_only_for_cancel_endpoints(site):
    resp = requests.post(site.url + "/emulator/faults", json={"pg": "toss", "target": "confirm", "kind": "refused"},
                         timeout=10)
    assert resp.status_code == 400 and "refused is for the cancel endpoints" in resp.json()["message"]
    assert faults.faults(site) == []


def test_toss_confirm_timeout_before_acting_leaves_the_payment_unconfirmed(quick):
    site = quick
    order = site.order("toss")
    key = toss.approved(site, order)
    faults.arm(site, "toss", "confirm", "timeout_before")
    with pytest.raises(requests.ReadTimeout):
        site.http.post(site.url + "/emulator/toss/v1/payments/confirm", timeout=CLIENT_TIMEOUT,
                       json={"paymentKey": key, "orderId": order["order_id"], "amount": order["amount"]},
                       headers={"Authorization": toss.basic(toss.WIDGET_SECRET)})
    by_order = toss.api(site, "GET", f"/v1/payments/orders/{order['order_id']}")
    assert by_order.status_code == 200 and by_order.json()["status"] == "IN_PROGRESS"
    assert toss.confirm(site, key, order).json()["status"] == "DONE"   # a retry confirms once


def test_toss_confirm_timeout_after_acting_is_done_when_asked_by_order(quick):
    site = quick
    order = site.order("toss")
    key = toss.approved(site, order)
    faults.arm(site, "toss", "confirm", "timeout_after")
    with pytest.raises(requests.ReadTimeout):
        site.http.post(site.url + "/emulator/toss/v1/payments/confirm", timeout=CLIENT_TIMEOUT,
                       json={"paymentKey": key, "orderId": order["order_id"], "amount": order["amount"]},
                       headers={"Authorization": toss.basic(toss.WIDGET_SECRET)})
    by_order = toss.api(site, "GET", f"/v1/payments/orders/{order['order_id']}")
    assert by_order.json()["status"] == "DONE" and by_order.json()["paymentKey"] == key   # it did act
    twice = toss.confirm(site, key, order)                   # confirming again is refused by the PG
    assert twice.status_code == 400 and twice.json()["code"] == "ALREADY_PROCESSED_PAYMENT"
    event = faults.events(site)[0]
    assert (event["kind"], event["method"], event["path"]) == ("timeout_after", "POST",
                                                               "/toss/v1/payments/confirm")
    assert event["ref"] == order["order_id"] and event["status_code"] == 200 and event["delay_s"] == 1.5
    assert "delayed the answer (HTTP 200) by 1.5 s" in event["summary"]


def test_a_slow_answer_still_arrives_to_a_patient_client(quick):
    site = quick
    api = portone.Api(site)
    imp_uid = portone.pay(site, site.order("portone"))["imp_uid"]
    token = api.token()
    faults.arm(site, "portone", "get_payment", "timeout_after")
    started = time.monotonic()
    resp = requests.get(f"{site.url}/emulator/portone/payments/{imp_uid}", headers={"Authorization": token},
                        timeout=10)
    assert time.monotonic() - started >= 1.5
    assert resp.status_code == 200 and resp.json()["response"]["status"] == "paid"
    assert resp.headers["X-Emulator-Fault"] == "timeout_after"


def test_portone_cancel_timeout_after_acting_really_cancels(quick):
    site = quick
    api = portone.Api(site)
    imp_uid = portone.pay(site, site.order("portone"))["imp_uid"]
    token = api.token()
    faults.arm(site, "portone", "cancel", "timeout_after")
    with pytest.raises(requests.ReadTimeout):
        requests.post(site.url + "/emulator/portone/payments/cancel", json={"imp_uid": imp_uid},
                      headers={"Authorization": token}, timeout=CLIENT_TIMEOUT)
    assert api.payment(imp_uid)["status"] == "cancelled"


def test_portone_find_timeout_before_then_answers_next_time(quick):
    site = quick
    api = portone.Api(site)
    order = site.order("portone")
    portone.pay(site, order)
    token = api.token()
    faults.arm(site, "portone", "find_payment", "timeout_before")
    url = f"{site.url}/emulator/portone/payments/find/{order['order_id']}"
    with pytest.raises(requests.ReadTimeout):
        requests.get(url, headers={"Authorization": token}, timeout=CLIENT_TIMEOUT)
    resp = requests.get(url, headers={"Authorization": token}, timeout=10)
    assert resp.json()["response"]["status"] == "paid"


def test_token_endpoint_down_closes_the_connection_without_issuing(site):
    api = portone.Api(site)
    faults.arm(site, "portone", "get_token", "down")
    with pytest.raises(requests.ConnectionError):
        api.get_token()
    with site.emulator.app_context():
        from emulator import db
        assert db.get_db().execute("SELECT COUNT(*) FROM portone_tokens").fetchone()[0] == 0
    resp = api.get_token()                                   # back up after the one use
    assert resp.status_code == 200 and resp.json()["response"]["access_token"]
    event = faults.events(site)[0]
    assert event["kind"] == "down" and event["path"] == "/portone/users/getToken"
    assert "closed the connection" in event["summary"]


def test_down_without_a_socket_is_503_with_no_body(site):
    faults.arm(site, "toss", "get_by_order", "down")
    resp = site.emulator.test_client().get("/toss/v1/payments/orders/x",
                                           headers={"Authorization": toss.basic(toss.WIDGET_SECRET)})
    assert resp.status_code == 503 and resp.data == b""


def test_count_is_consumed_and_zero_means_until_cleared(site):
    api = portone.Api(site)
    fault = faults.arm(site, "portone", "get_token", "error_5xx", count=2)
    assert (fault["count"], fault["used"], fault["remaining"], fault["active"]) == (2, 0, 2, True)
    assert [api.get_token().status_code for _ in range(3)] == [500, 500, 200]
    assert faults.faults(site)[0] == {**fault, "used": 2, "remaining": 0, "active": False}
    faults.arm(site, "portone", "get_token", "error_5xx", count=0)
    assert [api.get_token().status_code for _ in range(4)] == [500] * 4
    assert faults.faults(site)[0]["remaining"] is None and faults.faults(site)[0]["used"] == 4
    assert faults.clear(site) == 2
    assert api.get_token().status_code == 200 and faults.faults(site) == []
    assert len(faults.events(site)) == 6                     # the log is kept


def test_a_fault_hits_only_its_own_endpoint_and_pg(site):
    order = site.order("toss")
    key = toss.approved(site, order)
    faults.arm(site, "toss", "get_by_order", "error_5xx")
    faults.arm(site, "portone", "get_payment", "error_5xx")
    assert toss.api(site, "GET", f"/v1/payments/{key}").status_code == 200
    assert toss.confirm(site, key, order).status_code == 200
    assert toss.api(site, "GET", f"/v1/payments/orders/{order['order_id']}").status_code == 500
    assert toss.api(site, "GET", f"/v1/payments/orders/{order['order_id']}").status_code == 200


def test_a_fault_is_used_once_across_concurrent_requests(site):
    api = portone.Api(site)
    faults.arm(site, "portone", "get_token", "error_5xx", count=3)
    codes = []
    threads = [threading.Thread(target=lambda: codes.append(api.get_token().status_code)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] * 5 + [500] * 3


# ---- webhook faults -------------------------------------------------------------------------------

def test_duplicate_webhook_is_delivered_twice(site, receiver):
    faults.arm(site, "portone", "webhook", "duplicate")
    order = site.order("portone")
    imp_uid = portone.pay(site, order, notice_url=receiver.url)["imp_uid"]
    bodies = receiver.wait_for(2)
    assert bodies == [{"imp_uid": imp_uid, "merchant_uid": order["order_id"], "status": "paid"}] * 2
    kept = deliveries(site, imp_uid)
    assert len(kept) == 2 and all(d["status"] == "delivered" for d in kept)
    assert "twice" in faults.events(site)[0]["summary"]


def test_reordered_webhooks_arrive_newest_first(site, receiver):
    faults.arm(site, "portone", "webhook", "reorder", count=2)
    api = portone.Api(site)
    imp_uid = portone.pay(site, site.order("portone"), notice_url=receiver.url)["imp_uid"]
    assert [d["status"] for d in deliveries(site, imp_uid)] == ["held"]
    assert api.post("/payments/cancel", json={"imp_uid": imp_uid}).json()["response"]["status"] == "cancelled"
    assert [b["status"] for b in receiver.wait_for(2)] == ["cancelled", "paid"]


def test_held_webhooks_are_sent_when_the_fault_is_cleared(site, receiver):
    faults.arm(site, "portone", "webhook", "reorder", count=0)
    imp_uid = portone.pay(site, site.order("portone"), notice_url=receiver.url)["imp_uid"]
    assert [d["status"] for d in deliveries(site, imp_uid)] == ["held"]
    faults.clear(site)
    assert [b["imp_uid"] for b in receiver.wait_for(1)] == [imp_uid]


def test_late_webhook_waits_for_the_emulator_clock(site, receiver):
    site.emulator.config["EMULATOR_FAULT_LATE_S"] = 300
    faults.arm(site, "portone", "webhook", "late")
    api = portone.Api(site)
    imp_uid = portone.pay(site, site.order("portone"), notice_url=receiver.url)["imp_uid"]
    api.post("/payments/cancel", json={"imp_uid": imp_uid})  # the next webhook is on time
    assert [b["status"] for b in receiver.wait_for(1)] == ["cancelled"]
    paid = deliveries(site, imp_uid)[0]
    assert paid["event"] == "paid" and paid["status"] == "pending" and paid["attempts"] == 0
    site.advance_clock(301)
    assert [b["status"] for b in receiver.wait_for(2)] == ["cancelled", "paid"]
    assert "300 s of emulator time" in faults.events(site)[0]["summary"]


def test_never_sent_webhook_is_kept_as_dropped(site, receiver):
    faults.arm(site, "portone", "webhook", "never")
    api = portone.Api(site)
    imp_uid = portone.pay(site, site.order("portone"), notice_url=receiver.url)["imp_uid"]
    api.post("/payments/cancel", json={"imp_uid": imp_uid})
    assert [b["status"] for b in receiver.wait_for(1)] == ["cancelled"]
    site.advance_clock(3600)
    later = portone.pay(site, site.order("portone"), notice_url=receiver.url)["imp_uid"]  # sent after the move
    assert [(b["imp_uid"], b["status"]) for b in receiver.wait_for(2)] == [(imp_uid, "cancelled"), (later, "paid")]
    paid = deliveries(site, imp_uid)[0]
    assert (paid["event"], paid["status"], paid["attempts"]) == ("paid", "dropped", 0)


def test_toss_webhook_fault_does_not_touch_portone(site, receiver):
    site.emulator.config["EMULATOR_TOSS_WEBHOOK_URL"] = receiver.url
    faults.arm(site, "toss", "webhook", "duplicate")
    imp_uid = portone.pay(site, site.order("portone"), notice_url=receiver.url)["imp_uid"]
    assert len(receiver.wait_for(1)) == 1
    order = site.order("toss")
    key = toss.approved(site, order)
    assert toss.confirm(site, key, order).status_code == 200
    bodies = receiver.wait_for(3)
    assert [b.get("imp_uid") or b["data"]["paymentKey"] for b in bodies] == [imp_uid, key, key]
    assert len(deliveries(site, imp_uid)) == 1


# ---- control API and dashboard --------------------------------------------------------------------

@pytest.mark.parametrize("body, words", [
    ({"pg": "paypal", "target": "confirm", "kind": "error_5xx"}, "pg must be one of: portone, portone_v2, toss"),
    ({"pg": "portone", "target": "confirm", "kind": "error_5xx"}, "target for portone must be one of"),
    ({"pg": "toss", "target": "webhook", "kind": "error_5xx"}, "kind for toss webhook must be one of: duplicate"),
    ({"pg": "toss", "target": "confirm", "kind": "never"}, "kind for toss confirm must be one of: error_5xx"),
    ({"pg": "toss", "target": "confirm", "kind": "down", "count": -1}, "count must be a whole number"),
    ({"pg": "toss", "target": "confirm", "kind": "down", "count": 1.5}, "count must be a whole number"),
    ({"pg": "toss", "target": "confirm", "kind": "down", "count": True}, "count must be a whole number"),
    ({"pg": "toss", "target": "confirm", "kind": "down", "count": 1001}, "count must be a whole number"),
    ({"pg": "toss", "target": "webhook", "kind": "reorder", "count": 1}, "reorder needs count 2 or more"),
    (["toss"], "Send JSON"),
])
def test_invalid_faults_are_refused_with_a_reason(site, body, words):
    resp = requests.post(site.url + "/emulator/faults", json=body, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "BAD_REQUEST"
    assert words in resp.json()["message"]
    assert faults.faults(site) == []


def test_arm_list_delete_and_defaults(site):
    f = faults.arm(site, "toss", "webhook", "reorder")
    assert f["count"] == 2 and f["endpoint"] == "webhooks"
    g = faults.arm(site, "toss", "cancel", "timeout_after")
    assert g["count"] == 1 and g["endpoint"] == "POST /v1/payments/{paymentKey}/cancel"
    assert [x["id"] for x in faults.faults(site)] == [g["id"], f["id"]]
    assert requests.delete(f"{site.url}/emulator/faults/{f['id']}", timeout=10).json() == {"deleted": f["id"]}
    assert requests.delete(f"{site.url}/emulator/faults/{f['id']}", timeout=10).status_code == 404
    assert [x["id"] for x in faults.faults(site)] == [g["id"]]


def test_dashboard_arms_shows_and_clears_faults(site):
    http = requests.Session()
    page = http.get(site.url + "/emulator/?lang=en", timeout=10).text
    assert "No fault is armed" in page and 'value="toss:confirm"' in page
    token = console_token(page)
    resp = http.post(site.url + "/emulator/faults", data={"target": "toss:confirm", "kind": "timeout_after",
                                                         "count": "3", "csrf_token": token}, timeout=10)
    assert resp.status_code == 200 and "No fault is armed" not in resp.text
    assert [(f["pg"], f["target"], f["kind"], f["count"]) for f in faults.faults(site)] == \
        [("toss", "confirm", "timeout_after", 3)]
    refused = http.post(site.url + "/emulator/faults", data={"target": "toss:webhook", "kind": "down",
                                                            "csrf_token": token}, timeout=10)
    assert "kind for toss webhook must be one of" in refused.text
    faults.arm(site, "portone", "get_token", "error_5xx")
    portone.Api(site).get_token()
    page = http.get(site.url + "/emulator/?lang=en", timeout=10).text
    assert "get_token: answered HTTP 500 without acting" in page and "/portone/users/getToken" in page
    page = http.post(site.url + "/emulator/faults/clear", timeout=10).text
    assert "No fault is armed" in page and faults.faults(site) == []
    assert "answered HTTP 500 without acting" in page           # the log stays
