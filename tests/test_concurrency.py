"""50 concurrent requests about one payment on the threaded single-process server: callbacks,
m_redirect_url / successUrl visits, webhooks and the reconcile button, mixed. Exactly one of them
moves the order to paid, the PG shows one payment moved once, and the step log accounts for every
request. (tests/test_multiworker.py runs a similar storm across two gunicorn worker processes.)
"""
import json
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.drivers import portone
from tests.drivers import toss

STORM = 50
AT_ONCE = 10          # a bounded pool: each shop request may hold a second server thread for the emulator
TIME_LIMIT_S = 120    # the whole storm, not each request
TOSS_AUTH = ("test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6", "")


def storm(calls):
    with ThreadPoolExecutor(AT_ONCE) as pool:
        return list(pool.map(lambda call: call(), calls, timeout=TIME_LIMIT_S))


def flow(site, oid):
    return site.get(f"/api/flows/{oid}").json()


def named(steps, name):
    return [s for s in steps if s["name"] == name]


def csrf_form(site):
    return {"csrf_token": site.csrf()}


def test_portone_storm_of_callbacks_redirects_webhooks_and_reconciles_pays_once(site):
    site.get("/?lang=en")
    order = site.order("portone")
    paid = portone.pay(site, order)
    oid, body = order["order_id"], {"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"]}
    kinds = ["callback", "redirect", "webhook", "callback", "webhook"] * 9 + ["reconcile"] * 5
    calls = {
        "callback": lambda: site.post("/payments/complete", json=body),
        "redirect": lambda: site.get("/payments/complete", params=body, allow_redirects=False),
        "webhook": lambda: requests.post(site.url + "/webhooks/portone", json=dict(body, status="paid"), timeout=30),
        "reconcile": lambda: site.http.post(site.url + "/flows/reconcile", data=csrf_form(site),
                                            allow_redirects=False, timeout=30),
    }
    answers = list(zip(kinds, storm([calls[k] for k in kinds])))
    assert len(answers) == STORM
    assert all(r.status_code == {"callback": 200, "webhook": 200, "redirect": 303, "reconcile": 303}[k]
               for k, r in answers), [(k, r.status_code, r.text[:200]) for k, r in answers]
    # Every answer tells the truth: PortOne said paid to every request that asked it.
    assert {r.json()["status"] for k, r in answers if k in ("callback", "webhook")} == {"paid"}

    data = flow(site, oid)
    steps = data["steps"]
    won = named(steps, "portone.status")
    assert len(won) == 1 and won[0]["actual"] == "paid" and won[0]["expected"] == "pending"
    lost = named(steps, "portone.already_settled")
    reconciled = [s for s in named(steps, "portone.reconcile") if "settling from that record" in s["summary"]]
    # One outcome step per request that read the payment: the winner, and everyone else 'already settled'.
    assert len(won) + len(lost) == kinds.count("callback") + kinds.count("redirect") + kinds.count("webhook") \
        + len(reconciled)
    assert len(named(steps, "portone.webhook")) == kinds.count("webhook")
    assert data["order"]["status"] == "paid" and data["order"]["pg_payment_id"] == paid["imp_uid"]
    assert not named(steps, "portone.cancel") and not named(steps, "portone.unknown")
    at_pg = portone.Api(site).payment(paid["imp_uid"])
    assert at_pg["status"] == "paid" and at_pg["amount"] == order["amount"] and at_pg["cancel_amount"] == 0
    assert "Paid and verified" in site.get(f"/orders/{oid}").text


def test_toss_storm_of_success_visits_webhooks_and_reconciles_confirms_once(site):
    site.get("/?lang=en")
    order = site.order("toss")
    got = toss.pay(site, order)
    key, oid = got["paymentKey"], order["order_id"]
    success_path = got["redirect_url"].replace(site.url, "")
    hook = {"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-11-26T12:00:00.000000",
            "data": {"paymentKey": key, "orderId": oid, "status": "DONE"}}
    kinds = ["success", "success", "webhook", "success", "reconcile"] * 10
    calls = {
        "success": lambda: site.get(success_path),
        "webhook": lambda: requests.post(site.url + "/webhooks/toss", json=hook, timeout=30),
        "reconcile": lambda: site.http.post(site.url + "/flows/reconcile", data=csrf_form(site),
                                            allow_redirects=False, timeout=30),
    }
    answers = list(zip(kinds, storm([calls[k] for k in kinds])))
    assert all(r.status_code == (303 if k == "reconcile" else 200) for k, r in answers), \
        [(k, r.status_code, r.text[:200]) for k, r in answers]
    # Every buyer's page shows the one true outcome, however its request got there.
    assert all('data-status="paid"' in r.text for k, r in answers if k == "success")

    data = flow(site, oid)
    steps = data["steps"]
    moves = named(steps, "toss.status")
    assert len(moves) == 1 and "pending → paid" in moves[0]["summary"], [m["summary"] for m in moves]
    assert len(named(steps, "toss.success_redirect")) == kinds.count("success")
    confirms = named(steps, "toss.confirm")
    assert confirms and {c["exchange"]["request"]["headers"]["Idempotency-Key"] for c in confirms} == \
        {f"confirm-{oid}-{key}"}
    assert data["order"]["status"] == "paid" and data["order"]["pg_payment_id"] == key

    record = requests.get(f"{site.url}/emulator/toss/v1/payments/{key}", auth=TOSS_AUTH, timeout=10).json()
    assert record["status"] == "DONE" and record["totalAmount"] == order["amount"] and not record.get("cancels")
    # Toss approved once: every 200 confirm answer is the same approval, and one DONE notice was queued.
    approvals = {(c["exchange"]["response"]["body"]["approvedAt"]) for c in confirms
                 if c["kind"] == "http_out" and c["exchange"]["response"]["status"] == 200}
    assert approvals == {record["approvedAt"]}
    with site.emulator.app_context():
        from emulator import webhooks
        notices = [json.loads(d["body"])["data"]["status"] for d in webhooks.for_payment(key)]
    assert notices == ["DONE"]
    assert "Paid and verified" in site.get(f"/orders/{oid}").text
