"""The emulated PortOne V2 REST API over real HTTP: auth, payments per status, the paid-once rule,
pre-registration, cancels and every cancel error, list filter and paging, manual confirm, webhooks."""
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from standardwebhooks.webhooks import Webhook

from tests.drivers import faults
from tests.drivers import portone_v2 as drv
from tests.drivers.emulator import deliveries, until
from tests.drivers.receiver import Receiver


@pytest.fixture
def api(site):
    return drv.Api(site)


@pytest.fixture
def receiver(site):
    r = Receiver().allowed_by(site)
    site.emulator.config["EMULATOR_PORTONE_V2_WEBHOOK_URL"] = r.url
    yield r
    r.close()


def refused(resp, status, kind):
    """The error answer: PortOne's status for the type and the {type, message} body."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["type"] == kind and isinstance(body["message"], str) and body["message"], body
    return body


# --- auth ---------------------------------------------------------------------------------------

def test_requests_without_the_api_secret_are_unauthorized(site, api):
    payment_id = drv.paid(site)
    for headers in ({}, {"Authorization": "PortOne wrong"}, {"Authorization": "Bearer nope"},
                    {"Authorization": drv.cfg(site, "API_SECRET")}):
        refused(api.get("/payments/" + payment_id, headers=headers), 401, "UNAUTHORIZED")


def test_login_with_the_api_secret_gives_a_bearer_token_and_a_refresh(site, api):
    refused(api.post("/login/api-secret", {"apiSecret": "wrong"}, headers={}), 401, "UNAUTHORIZED")
    refused(api.post("/login/api-secret", {}, headers={}), 400, "INVALID_REQUEST")
    tokens = api.post("/login/api-secret", {"apiSecret": drv.cfg(site, "API_SECRET")}, headers={}).json()
    assert set(tokens) == {"accessToken", "refreshToken"}
    payment_id = drv.paid(site)
    bearer = {"Authorization": "Bearer " + tokens["accessToken"]}
    assert api.get("/payments/" + payment_id, headers=bearer).json()["status"] == "PAID"
    renewed = api.post("/token/refresh", {"refreshToken": tokens["refreshToken"]}, headers={}).json()
    assert renewed["accessToken"] != tokens["accessToken"]
    refused(api.post("/token/refresh", {"refreshToken": tokens["refreshToken"]}, headers={}), 401, "UNAUTHORIZED")
    site.advance_clock(31 * 60)                     # access tokens live 30 minutes
    refused(api.get("/payments/" + payment_id, headers={"Authorization": "Bearer " + renewed["accessToken"]}),
            401, "UNAUTHORIZED")


def test_another_store_is_forbidden_and_an_unknown_payment_not_found(site, api):
    payment_id = drv.paid(site)
    refused(api.get(f"/payments/{payment_id}?storeId=store-someone-else"), 403, "FORBIDDEN")
    assert api.get(f"/payments/{payment_id}?storeId={drv.cfg(site, 'STORE_ID')}").json()["id"] == payment_id
    refused(api.get("/payments/no-such-payment"), 404, "PAYMENT_NOT_FOUND")


# --- payments and their statuses ----------------------------------------------------------------

def test_a_payment_shows_the_object_of_its_status(site, api):
    request = drv.payment_request(site, amount=15000, customData={"item": "shoes"},
                                  customer={"fullName": "홍길동", "email": "buyer@example.com"})
    opened = drv.open_window(site, request).json()
    ready = api.payment(request["paymentId"])
    assert ready["status"] == "READY" and ready["transactionId"] == opened["txId"] and "paidAt" not in ready
    assert ready["channel"]["type"] == "TEST" and ready["channel"]["key"] == drv.cfg(site, "CHANNEL_KEY")
    assert ready["customData"] == '{"item":"shoes"}' and ready["customer"] == {"name": "홍길동",
                                                                              "email": "buyer@example.com"}
    drv.decide(site, opened["txId"], "approve", card_code="HYUNDAI_CARD")
    paid = api.payment(request["paymentId"])
    assert paid["status"] == "PAID" and paid["amount"]["total"] == paid["amount"]["paid"] == 15000
    assert paid["method"]["type"] == "PaymentMethodCard" and paid["method"]["card"]["publisher"] == "HYUNDAI_CARD"
    assert paid["paidAt"] and paid["pgTxId"] and paid["disputes"] == [] and paid["version"] == "V2"


def test_the_live_channel_shows_type_live(site, api):
    payment_id = drv.paid(site, live=True)
    channel = api.payment(payment_id)["channel"]
    assert channel["type"] == "LIVE" and channel["key"] == drv.cfg(site, "LIVE_CHANNEL_KEY")


def test_a_decline_fails_the_payment_with_the_pg_codes(site, api):
    result = drv.pay(site, "decline_insufficient")
    assert result["response"]["code"] == "FAILURE_TYPE_PG"
    assert result["response"]["pgCode"] == "REJECT_ACCOUNT_PAYMENT"
    failed = api.payment(result["response"]["paymentId"])
    assert failed["status"] == "FAILED" and failed["failure"]["pgCode"] == "REJECT_ACCOUNT_PAYMENT"
    assert failed["failure"]["reason"] == result["response"]["message"] and failed["failedAt"]


def test_one_payment_id_may_be_tried_many_times_but_paid_once(site, api):
    request = drv.payment_request(site)
    first = drv.pay(site, "decline_refused", request=request)
    closed = drv.pay(site, "close", request=request)
    assert closed["response"]["code"] == "FAILURE_TYPE_PG" and closed["response"]["pgCode"] == "PAY_PROCESS_CANCELED"
    assert api.payment(request["paymentId"])["status"] == "READY"          # a closed window stays READY
    third = drv.pay(site, "approve", request=request)
    assert len({first["txId"], closed["txId"], third["txId"]}) == 3
    payment = api.payment(request["paymentId"])
    assert payment["status"] == "PAID" and payment["transactionId"] == third["txId"]
    again = drv.pay(site, "approve", request=request)
    assert again["refused"] and again["response"]["code"] == "PaymentAlreadyPaid"
    assert api.payment(request["paymentId"])["transactionId"] == third["txId"]
    attempts = api.get(f"/payments/{request['paymentId']}/transactions").json()["items"]
    assert [(t["id"], t["status"]) for t in attempts] == [(first["txId"], "FAILED"), (closed["txId"], "READY"),
                                                          (third["txId"], "PAID")]
    assert {t["paymentId"] for t in attempts} == {request["paymentId"]}
    refused(api.get("/payments/nope/transactions"), 404, "PAYMENT_NOT_FOUND")


def test_a_window_left_open_cannot_pay_twice(site, api):
    request = drv.payment_request(site)
    one = drv.open_window(site, request).json()["txId"]
    two = drv.open_window(site, request).json()["txId"]
    assert drv.decide(site, two).json()["rsp"].get("code") is None
    late = drv.decide(site, one).json()["rsp"]
    assert late["code"] == "PaymentAlreadyPaid"
    assert api.payment(request["paymentId"])["transactionId"] == two
    assert drv.decide(site, two).status_code == 409                       # the window decides once


def test_requests_the_sdk_refuses_before_any_window(site, api):
    base = drv.payment_request(site)
    for change, code in (({"storeId": "store-nope"}, "StoreNotFound"), ({"channelKey": "nope"}, "ChannelNotFound"),
                         ({"totalAmount": "1000"}, "RequestParseFailed"),
                         ({"payMethod": "PAYPAL"}, "RequestParseFailed"), ({"orderName": None}, "RequestParseFailed"),
                         ({"noticeUrls": ["ftp://x"]}, "RequestParseFailed"), ({"totalAmount": 0}, "RequestParseFailed"),
                         ({"taxFreeAmount": 5000}, "RequestParseFailed"), ({"customer": "me"}, "RequestParseFailed"),
                         ({"currency": "won"}, "RequestParseFailed"), ({"country": "Korea"}, "RequestParseFailed"),
                         ({"easyPay": {"easyPayProvider": "MYPAY"}}, "RequestParseFailed"),
                         ({"totalAmount": 2 ** 70}, "RequestParseFailed")):
        result = drv.pay(site, request={**base, **change})
        assert result["refused"] and result["response"]["code"] == code, (change, result)
    refused(api.get("/payments/" + base["paymentId"]), 404, "PAYMENT_NOT_FOUND")


def test_currency_in_the_guides_old_form_is_accepted(site, api):
    payment_id = drv.paid(site, currency="CURRENCY_KRW")
    assert api.payment(payment_id)["currency"] == "KRW"


# --- pre-registration ---------------------------------------------------------------------------

def test_pre_registered_amount_must_match(site, api):
    payment_id = drv.new_id()
    resp = api.post(f"/payments/{payment_id}/pre-register", {"totalAmount": 5000, "currency": "KRW"})
    assert resp.status_code == 200 and resp.json() == {}
    wrong = drv.pay(site, payment_id=payment_id, amount=100)
    assert wrong["refused"] and wrong["response"]["code"] == "AmountNotEqualToPredefined"
    refused(api.get("/payments/" + payment_id), 404, "PAYMENT_NOT_FOUND")
    drv.paid(site, payment_id=payment_id, amount=5000)
    refused(api.post(f"/payments/{payment_id}/pre-register", {"totalAmount": 1}), 409, "ALREADY_PAID")
    refused(api.post(f"/payments/{drv.new_id()}/pre-register", {"totalAmount": "5000"}), 400, "INVALID_REQUEST")


# --- cancel -------------------------------------------------------------------------------------

def test_partial_then_full_cancel(site, api):
    payment_id = drv.paid(site, amount=10000)
    refused(api.cancel(payment_id, amount=3000, currentCancellableAmount=9000), 409,
            "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN")
    first = api.cancel(payment_id, amount=3000, currentCancellableAmount=10000).json()["cancellation"]
    assert first["status"] == "SUCCEEDED" and first["totalAmount"] == 3000 and first["trigger"] == "API"
    partial = api.payment(payment_id)
    assert partial["status"] == "PARTIAL_CANCELLED" and partial["amount"]["cancelled"] == 3000
    assert [c["id"] for c in partial["cancellations"]] == [first["id"]] and partial["cancelledAt"]
    refused(api.cancel(payment_id, amount=7001), 409, "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT")
    rest = api.cancel(payment_id, currentCancellableAmount=7000).json()["cancellation"]
    assert rest["totalAmount"] == 7000
    cancelled = api.payment(payment_id)
    assert cancelled["status"] == "CANCELLED" and cancelled["amount"]["cancelled"] == 10000
    assert len(cancelled["cancellations"]) == 2
    refused(api.cancel(payment_id), 409, "PAYMENT_ALREADY_CANCELLED")


def test_cancel_errors_change_nothing(site, api):
    payment_id = drv.paid(site, amount=11000, taxFreeAmount=1000)
    for body, status, kind in (({"amount": 2000, "taxFreeAmount": 1001}, 409,
                                "CANCEL_TAX_FREE_AMOUNT_EXCEEDS_CANCELLABLE_TAX_FREE_AMOUNT"),
                               ({"amount": 2000, "vatAmount": 1001}, 409,
                                "CANCEL_TAX_AMOUNT_EXCEEDS_CANCELLABLE_TAX_AMOUNT"),
                               ({"amount": 1000, "taxFreeAmount": 600, "vatAmount": 500}, 409,
                                "SUM_OF_PARTS_EXCEEDS_CANCEL_AMOUNT"),
                               ({"amount": -5}, 400, "INVALID_REQUEST"), ({"amount": 1.5}, 400, "INVALID_REQUEST"),
                               ({"amount": 2 ** 70}, 400, "INVALID_REQUEST"),
                               ({"reason": ""}, 400, "INVALID_REQUEST")):
        refused(api.cancel(payment_id, **body), status, kind)
    refused(api.post(f"/payments/{payment_id}/cancel", {"amount": 100}), 400, "INVALID_REQUEST")   # no reason
    bad_json = api.post(f"/payments/{payment_id}/cancel", data="{oops", headers={
        **api.headers, "Content-Type": "application/json"})
    refused(bad_json, 400, "INVALID_REQUEST")
    payment = api.payment(payment_id)
    assert payment["status"] == "PAID" and payment["cancellations"] == []
    refused(api.cancel("no-such-payment"), 404, "PAYMENT_NOT_FOUND")
    failed = drv.pay(site, "decline_refused")["response"]["paymentId"]
    refused(api.cancel(failed), 409, "PAYMENT_NOT_PAID")


def test_a_virtual_account_cancel_needs_a_refund_account(site, api):
    result = drv.pay(site, pay_method="VIRTUAL_ACCOUNT", amount=20000)
    payment_id = result["response"]["paymentId"]
    issued = api.payment(payment_id)
    assert issued["status"] == "VIRTUAL_ACCOUNT_ISSUED" and issued["method"]["accountNumber"].startswith("X")
    refused(api.cancel(payment_id), 409, "PAYMENT_NOT_PAID")
    deposited = site.http.post(f"{site.url}/emulator/portone-v2/console/transactions/{result['txId']}/deposit",
                               json={}, timeout=30)
    assert deposited.json()["payment"]["status"] == "PAID"
    refused(api.cancel(payment_id), 400, "INVALID_REQUEST")
    refused(api.cancel(payment_id, refundAccount={"bank": "SHINHAN"}), 400, "INVALID_REQUEST")
    ok = api.cancel(payment_id, refundAccount={"bank": "SHINHAN", "number": "110123456789", "holderName": "홍길동"})
    assert ok.json()["cancellation"]["totalAmount"] == 20000
    assert api.payment(payment_id)["status"] == "CANCELLED"


# --- list ---------------------------------------------------------------------------------------

def test_list_filters_and_pages(site, api):
    paid = [drv.paid(site) for _ in range(3)]
    live = drv.paid(site, live=True)
    failed = drv.pay(site, "decline_invalid_card")["response"]["paymentId"]

    def listed(body):
        resp = api.get("/payments", params={"requestBody": json.dumps(body)})
        assert resp.status_code == 200, resp.text
        return resp.json()

    everything = listed({})
    assert everything["page"]["totalCount"] == 5
    assert [p["id"] for p in everything["items"]] == [failed, live, *reversed(paid)]   # newest first
    only_paid = listed({"filter": {"status": ["PAID"], "isTest": True, "sortOrder": "ASC"}})
    assert [p["id"] for p in only_paid["items"]] == paid
    assert [p["id"] for p in listed({"filter": {"isTest": False}})["items"]] == [live]
    assert [p["id"] for p in listed({"filter": {"status": ["FAILED"]}})["items"]] == [failed]
    second = listed({"page": {"number": 1, "size": 2}, "filter": {"sortOrder": "ASC"}})
    assert second["page"] == {"number": 1, "size": 2, "totalCount": 5}
    assert [p["id"] for p in second["items"]] == [paid[2], live]
    assert listed({"filter": {"from": "2000-01-01T00:00:00Z", "until": "2000-01-02T00:00:00Z"}})["items"] == []
    by_body = api.get("/payments", json={"filter": {"methods": ["CARD"], "status": ["FAILED", "PAID"]}}).json()
    assert by_body["page"]["totalCount"] == 5
    for bad in ({"filter": {"status": ["DONE"]}}, {"page": {"size": 0}}, {"filter": {"from": "yesterday"}},
                {"filter": "PAID"}):
        refused(api.get("/payments", params={"requestBody": json.dumps(bad)}), 400, "INVALID_REQUEST")
    refused(api.get("/payments", params={"requestBody": "{"}), 400, "INVALID_REQUEST")
    for hostile in ("[" * 2000 + "]" * 2000, '{"page": {"number": NaN}}',
                    '{"page": {"number": %d}}' % 2 ** 70):        # the JSON rules of every body, in the query too
        refused(api.get("/payments", params={"requestBody": hostile}), 400, "INVALID_REQUEST")


# --- manual confirm -----------------------------------------------------------------------------

def test_manual_confirm_with_confirm_url(site, api):
    hook = Receiver().allowed_by(site)
    try:
        request = drv.payment_request(site, amount=3000, confirmUrl=hook.url)
        result = drv.pay(site, request=request)
        token = result["response"]["paymentToken"]
        assert api.payment(request["paymentId"])["status"] == "READY"
        confirm_body = hook.wait_for(1)[0]
        assert confirm_body["type"] == "Transaction.Confirm"
        assert confirm_body["data"] == {"storeId": drv.cfg(site, "STORE_ID"), "paymentId": request["paymentId"],
                                        "transactionId": result["txId"], "totalAmount": 3000}
    finally:
        hook.close()
    path = f"/payments/{request['paymentId']}/confirm"
    refused(api.post(path, {"paymentToken": "wrong"}), 400, "INVALID_PAYMENT_TOKEN")
    refused(api.post(path, {"paymentToken": token, "totalAmount": 3001}), 409, "INFORMATION_MISMATCH")
    assert api.payment(request["paymentId"])["status"] == "READY"
    done = api.post(path, {"paymentToken": token, "totalAmount": 3000, "currency": "KRW"}).json()
    payment = api.payment(request["paymentId"])
    assert payment["status"] == "PAID" and done == {"pgTxId": payment["pgTxId"], "paidAt": payment["paidAt"]}
    refused(api.post(path, {"paymentToken": token}), 409, "ALREADY_PAID")


# --- webhooks -----------------------------------------------------------------------------------

def test_webhooks_are_signed_with_every_active_secret(site, receiver):
    rotated = "whsec_" + "bmV3LXNlY3JldC1mb3Itcm90YXRpb24tMDAwMDAwMDA="
    site.emulator.config["EMULATOR_PORTONE_V2_WEBHOOK_SECRET_2"] = rotated
    result = drv.pay(site)
    ready, paid = receiver.wait_for(2)
    assert ready["type"] == "Transaction.Ready" and paid["type"] == "Transaction.Paid"
    assert paid["data"] == {"storeId": drv.cfg(site, "STORE_ID"), "paymentId": result["response"]["paymentId"],
                            "transactionId": result["txId"]}
    headers, text = receiver.headers[1], receiver.hits[1][2]
    assert receiver.hits[1][1] == "application/json" and len(headers["Webhook-Signature"].split(" ")) == 2
    for secret in (drv.cfg(site, "WEBHOOK_SECRET"), rotated):
        assert Webhook(secret).verify(text, headers) == paid
    with pytest.raises(Exception):
        Webhook("whsec_" + "d3Jvbmctc2VjcmV0").verify(text, headers)


def test_notice_urls_override_the_console_url(site, receiver):
    other = Receiver().allowed_by(site)
    try:
        payment_id = drv.paid(site, noticeUrls=[other.url])
        assert [b["type"] for b in other.wait_for(2)] == ["Transaction.Ready", "Transaction.Paid"]
    finally:
        other.close()
    assert {d["url"] for d in deliveries(site, payment_id)} == {other.url}   # recorded as they are queued
    assert receiver.hits == []


def test_failed_delivery_is_retried_on_the_emulator_clock(site, api, receiver):
    receiver.fail_first = 2
    site.emulator.config["EMULATOR_WEBHOOK_TIME_SCALE"] = 60        # documented minutes are real minutes
    payment_id = drv.pay(site, "decline_refused", request=drv.payment_request(site))["response"]["paymentId"]
    assert len(receiver.wait_for(2)) == 2                           # Ready and Failed, both answered 500
    log = api.payment(payment_id)["webhooks"]
    assert [w["status"] for w in log] == ["FAILED_NOT_OK_RESPONSE"] * 2
    assert {w["response"]["code"] for w in log} == {"500"} and {w["maxExecutionCount"] for w in log} == {6}
    site.advance_clock(60)                                          # the first retry is due after 1 minute
    assert len(receiver.wait_for(4)) == 4
    assert until(lambda: [w["status"] for w in api.payment(payment_id)["webhooks"]] == ["SUCCEEDED"] * 2)
    assert [w["currentExecutionCount"] for w in api.payment(payment_id)["webhooks"]] == [2, 2]
    assert receiver.bodies()[2:] == receiver.bodies()[:2]            # a retry repeats the same body


def test_cancel_webhooks_carry_the_cancellation_id(site, api, receiver):
    payment_id = drv.paid(site, amount=5000)
    partial = api.cancel(payment_id, amount=1000).json()["cancellation"]
    full = api.cancel(payment_id).json()["cancellation"]
    bodies = receiver.wait_for(4)
    assert [b["type"] for b in bodies] == ["Transaction.Ready", "Transaction.Paid", "Transaction.PartialCancelled",
                                           "Transaction.Cancelled"]
    assert [b["data"].get("cancellationId") for b in bodies[2:]] == [partial["id"], full["id"]]
    quiet = drv.paid(site)
    api.cancel(quiet, skipWebhook=True)
    assert [d["event"] for d in deliveries(site, quiet)] == ["Transaction.Ready", "Transaction.Paid"]  # no Cancelled


def test_resend_webhook(site, api, receiver):
    payment_id = drv.paid(site)
    receiver.wait_for(2)
    assert until(lambda: len(api.payment(payment_id)["webhooks"]) == 2)
    paid_hook = api.payment(payment_id)["webhooks"][1]
    resent = api.post(f"/payments/{payment_id}/resend-webhook", {"webhookId": paid_hook["id"]})
    assert resent.status_code == 200, resent.text
    webhook = resent.json()["webhook"]
    assert webhook["trigger"] == "MANUAL" and webhook["id"] != paid_hook["id"]
    assert webhook["paymentStatus"] == "PAID"
    assert receiver.wait_for(3)[2] == receiver.bodies()[1]
    refused(api.post(f"/payments/{payment_id}/resend-webhook", {"webhookId": "whk_nope"}), 404, "WEBHOOK_NOT_FOUND")
    refused(api.post("/payments/nope/resend-webhook", {}), 404, "PAYMENT_NOT_FOUND")
    for _ in range(4):
        api.post(f"/payments/{payment_id}/resend-webhook", {"webhookId": paid_hook["id"]})
    refused(api.post(f"/payments/{payment_id}/resend-webhook", {"webhookId": paid_hook["id"]}), 400,
            "MAX_WEBHOOK_RETRY_COUNT_REACHED")


def test_legacy_webhook_version(site, receiver):
    site.emulator.config["EMULATOR_PORTONE_V2_WEBHOOK_VERSION"] = "2024-01-01"
    result = drv.pay(site)
    ready, paid = receiver.wait_for(2)
    assert paid == {"payment_id": result["response"]["paymentId"], "tx_id": result["txId"], "status": "Paid"}
    assert Webhook(drv.cfg(site, "WEBHOOK_SECRET")).verify(receiver.hits[1][2], receiver.headers[1]) == paid


def test_virtual_account_deposit_notifies_paid(site, api, receiver):
    result = drv.pay(site, pay_method="VIRTUAL_ACCOUNT")
    site.http.post(f"{site.url}/emulator/portone-v2/console/transactions/{result['txId']}/deposit", timeout=30)
    bodies = receiver.wait_for(3)
    assert [b["type"] for b in bodies] == ["Transaction.Ready", "Transaction.VirtualAccountIssued",
                                           "Transaction.Paid"]
    assert until(lambda: len(api.payment(result["response"]["paymentId"])["webhooks"]) == 3)
    log = api.payment(result["response"]["paymentId"])["webhooks"]
    assert log[2]["trigger"] == "VIRTUAL_ACCOUNT_DEPOSIT" and log[2]["paymentStatus"] == "PAID"


# --- faults -------------------------------------------------------------------------------------

def test_faults_apply_to_the_v2_endpoints(site, api):
    payment_id = drv.paid(site)
    faults.arm(site, "portone_v2", "get_payment", "error_5xx")
    resp = api.get("/payments/" + payment_id)
    assert resp.status_code == 500 and resp.json()["type"] == "INTERNAL_SERVER_ERROR"
    assert api.payment(payment_id)["status"] == "PAID"
    faults.arm(site, "portone_v2", "cancel", "error_5xx")
    assert api.cancel(payment_id).status_code == 500
    assert api.payment(payment_id)["status"] == "PAID"               # the fault answered without acting


def test_pay_pending_then_the_pg_approves(site, api, receiver):
    result = drv.pay(site, "pending", pay_method="EASY_PAY", easyPay={"easyPayProvider": "NAVERPAY"})
    payment_id = result["response"]["paymentId"]
    assert "code" not in result["response"]
    pending = api.payment(payment_id)
    assert pending["status"] == "PAY_PENDING" and pending["pgTxId"] and "paidAt" not in pending
    assert pending["method"] == {"type": "PaymentMethodEasyPay", "provider": "NAVERPAY"}
    refused(api.cancel(payment_id), 409, "PAYMENT_NOT_PAID")
    approved = site.http.post(f"{site.url}/emulator/portone-v2/console/transactions/{result['txId']}/approve-pending",
                              json={}, timeout=30)
    assert approved.json()["payment"]["status"] == "PAID"
    assert [b["type"] for b in receiver.wait_for(3)] == ["Transaction.Ready", "Transaction.PayPending",
                                                         "Transaction.Paid"]
    assert until(lambda: len(api.payment(payment_id)["webhooks"]) == 3)
    assert api.payment(payment_id)["webhooks"][2]["trigger"] == "ASYNC_PAY_APPROVED"
    again = site.http.post(f"{site.url}/emulator/portone-v2/console/transactions/{result['txId']}/approve-pending",
                           json={}, timeout=30)
    assert again.status_code == 409


def test_a_duplicated_webhook_keeps_its_webhook_id(site, receiver):
    faults.arm(site, "portone_v2", "webhook", "duplicate", count=2)
    drv.paid(site)
    hits = receiver.wait_for(4)
    assert len(hits) == 4 and hits[0] == hits[1] and hits[2] == hits[3]
    ids = [h["Webhook-Id"] for h in receiver.headers]
    assert ids[0] == ids[1] != ids[2] == ids[3]
    faults.arm(site, "portone_v2", "webhook", "never")
    dropped = drv.paid(site)
    assert [(d["event"], d["status"]) for d in deliveries(site, dropped)][0] == ("Transaction.Ready", "dropped")
    assert receiver.wait_for(5)[4]["type"] == "Transaction.Paid"     # the Paid after it went out


def test_a_slow_answer_still_approves(site, api):
    site.emulator.config["EMULATOR_SLOW_SECONDS"] = 0.01
    result = drv.pay(site, "slow", pay_method="TRANSFER")
    payment = api.payment(result["response"]["paymentId"])
    assert payment["status"] == "PAID" and payment["method"] == {"type": "PaymentMethodTransfer", "bank": "SHINHAN"}


def test_windows_approved_at_once_pay_one_attempt(site, api):
    request = drv.payment_request(site)
    windows = [drv.open_window(site, request).json()["txId"] for _ in range(6)]
    with ThreadPoolExecutor(len(windows)) as pool:
        answers = list(pool.map(lambda tx_id: drv.decide(site, tx_id).json()["rsp"], windows))
    assert sorted(a.get("code", "ok") for a in answers) == ["PaymentAlreadyPaid"] * 5 + ["ok"]
    winner = next(a["txId"] for a in answers if "code" not in a)
    assert api.payment(request["paymentId"])["transactionId"] == winner
    listed = api.get("/payments", params={"requestBody": json.dumps({"filter": {"status": ["PAID"]}})}).json()
    assert listed["page"]["totalCount"] == 1


def test_console_cancel_cancels_the_rest_with_trigger_console(site, api):
    result = drv.pay(site, amount=9000)
    api.cancel(result["response"]["paymentId"], amount=4000)
    url = f"{site.url}/emulator/portone-v2/console/transactions/{result['txId']}/cancel"
    payment = site.http.post(url, json={}, timeout=30).json()["payment"]
    assert payment["status"] == "CANCELLED" and payment["amount"]["cancelled"] == 9000
    assert [(c["totalAmount"], c["trigger"]) for c in payment["cancellations"]] == [(4000, "API"), (5000, "CONSOLE")]
    assert site.http.post(url, json={}, timeout=30).status_code == 409
