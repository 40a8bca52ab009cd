"""Every answer of the emulated PortOne V2 API validates against PortOne's official OpenAPI schema
(tests/schemas/portone-v2.openapi.json), walked through one payment's life and each error."""
import functools
import json
import os
from datetime import datetime

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tests.drivers import portone_v2 as drv
from tests.drivers.emulator import until
from tests.drivers.receiver import Receiver

SCHEMA = os.path.join(os.path.dirname(__file__), "schemas", "portone-v2.openapi.json")
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    """RFC 3339 with a time zone, as the schema's `format: date-time` means."""
    return not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def _with_discriminators(node):
    """OpenAPI's discriminator as JSON Schema: the value of the property picks the one schema to check
    (plain oneOf cannot tell e.g. PaidPayment from ReadyPayment, which have no `const`)."""
    if isinstance(node, list):
        return [_with_discriminators(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _with_discriminators(v) for k, v in node.items()}
    disc = node.pop("discriminator", None)
    if disc and "oneOf" in node:
        prop, mapping = disc["propertyName"], disc["mapping"]
        node.pop("oneOf")
        node["required"] = [prop]
        node["properties"] = {prop: {"enum": sorted(mapping)}}
        node["allOf"] = [{"if": {"properties": {prop: {"const": value}}}, "then": {"$ref": ref}}
                         for value, ref in mapping.items()]
    return node


@functools.cache
def _components():
    with open(SCHEMA, encoding="utf-8") as f:
        return _with_discriminators(json.load(f)["components"])


def validate(body, name):
    """Raise jsonschema.ValidationError unless body is a valid components/schemas/<name>."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": _components()}
    Draft202012Validator(schema, format_checker=FORMATS).validate(body)


def check(resp, name, status=200):
    assert resp.status_code == status, resp.text
    validate(resp.json(), name)
    return resp.json()


def test_the_validator_tells_statuses_apart():
    """The check can fail: a PAID payment without paidAt, or a READY one with a wrong amount, is refused."""
    from jsonschema import ValidationError
    paid = {"status": "PAID", "id": "p", "transactionId": "t", "merchantId": "m", "storeId": "s",
            "channel": {"type": "TEST", "pgProvider": "TOSSPAYMENTS", "pgMerchantId": "x"}, "version": "V2",
            "requestedAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
            "statusChangedAt": "2026-01-01T00:00:00Z", "orderName": "o",
            "amount": {"total": 1, "taxFree": 0, "discount": 0, "paid": 1, "cancelled": 0, "cancelledTaxFree": 0},
            "currency": "KRW", "customer": {}, "origin": {"platformType": "PC", "ipAddress": "127.0.0.1"},
            "paidAt": "2026-01-01T00:00:00Z", "disputes": []}
    validate(paid, "Payment")
    for broken in ({k: v for k, v in paid.items() if k != "paidAt"}, dict(paid, status="DONE"),
                   dict(paid, amount={"total": "1"}), dict(paid, requestedAt="yesterday")):
        with pytest.raises(ValidationError):
            validate(broken, "Payment")


def test_every_answer_of_a_payments_life_matches_the_schema(site):
    api, receiver = drv.Api(site), Receiver().allowed_by(site)
    site.emulator.config["EMULATOR_PORTONE_V2_WEBHOOK_URL"] = receiver.url
    try:
        check(api.post("/login/api-secret", {"apiSecret": drv.cfg(site, "API_SECRET")}, headers={}),
              "LoginViaApiSecretResponse")
        check(api.post("/login/api-secret", {"apiSecret": "wrong"}, headers={}), "LoginViaApiSecretError", 401)
        check(api.get("/payments/nope", headers={}), "GetPaymentError", 401)
        check(api.get("/payments/nope"), "GetPaymentError", 404)
        check(api.get("/payments/nope?storeId=other"), "GetPaymentError", 403)

        request = drv.payment_request(site, amount=10000, taxFreeAmount=1000, customData={"item": "shoes"},
                                      customer={"fullName": "홍길동", "phoneNumber": "01012345678", "gender": "MALE",
                                                "birthYear": 1990, "address": {"country": "KR"}},
                                      products=[{"id": "shoes", "name": "신발", "amount": 10000, "quantity": 1,
                                                 "tag": 7, "link": "https://shop.example/shoes"}])
        payment_id = request["paymentId"]
        check(api.post(f"/payments/{payment_id}/pre-register", {"totalAmount": 10000, "currency": "KRW"}),
              "PreRegisterPaymentResponse")
        check(api.post(f"/payments/{payment_id}/pre-register", {"totalAmount": "x"}), "PreRegisterPaymentError", 400)
        tx_id = drv.open_window(site, request).json()["txId"]
        check(api.get("/payments/" + payment_id), "Payment")                         # READY
        drv.decide(site, tx_id)
        assert check(api.get("/payments/" + payment_id), "Payment")["status"] == "PAID"
        check(api.post(f"/payments/{payment_id}/pre-register", {"totalAmount": 1}), "PreRegisterPaymentError", 409)
        check(api.cancel(payment_id, amount=2000, currentCancellableAmount=10000), "CancelPaymentResponse")
        assert check(api.get("/payments/" + payment_id), "Payment")["status"] == "PARTIAL_CANCELLED"
        for body, status in (({"amount": 99999}, 409), ({"currentCancellableAmount": 1}, 409),
                             ({"amount": 100, "taxFreeAmount": 999}, 409), ({"amount": 100, "vatAmount": 999}, 409),
                             ({"amount": 100, "taxFreeAmount": 60, "vatAmount": 50}, 409), ({"amount": "1"}, 400)):
            check(api.cancel(payment_id, **body), "CancelPaymentError", status)
        check(api.cancel(payment_id), "CancelPaymentResponse")
        assert check(api.get("/payments/" + payment_id), "Payment")["status"] == "CANCELLED"
        check(api.get(f"/payments/{payment_id}/transactions"), "GetPaymentTransactionsResponse")
        check(api.get("/payments/nope/transactions"), "GetPaymentTransactionsError", 404)
        check(api.cancel(payment_id), "CancelPaymentError", 409)
        check(api.cancel("nope"), "CancelPaymentError", 404)

        failed = drv.pay(site, "decline_insufficient")["response"]["paymentId"]
        assert check(api.get("/payments/" + failed), "Payment")["status"] == "FAILED"
        check(api.cancel(failed), "CancelPaymentError", 409)
        va = drv.pay(site, pay_method="VIRTUAL_ACCOUNT")
        va_id = va["response"]["paymentId"]
        assert check(api.get("/payments/" + va_id), "Payment")["status"] == "VIRTUAL_ACCOUNT_ISSUED"
        site.http.post(f"{site.url}/emulator/portone-v2/console/transactions/{va['txId']}/deposit", timeout=30)
        check(api.cancel(va_id), "CancelPaymentError", 400)
        pending = drv.pay(site, "pending")["response"]["paymentId"]
        assert check(api.get("/payments/" + pending), "Payment")["status"] == "PAY_PENDING"
        retried = drv.payment_request(site)
        for outcome in ("decline_refused", "close", "pending"):
            drv.pay(site, outcome, request=retried)
        items = check(api.get(f"/payments/{retried['paymentId']}/transactions"), "GetPaymentTransactionsResponse")
        assert [t["status"] for t in items["items"]] == ["FAILED", "READY", "PAY_PENDING"]
        for method in ("TRANSFER", "MOBILE", "EASY_PAY"):
            check(api.get("/payments/" + drv.paid(site, pay_method=method, live=True, isEscrow=True,
                                                  country="KR", isCulturalExpense=True)), "Payment")

        assert len(receiver.wait_for(18)) >= 18
        assert until(lambda: all(w.get("status") for w in api.payment(payment_id)["webhooks"]))
        check(api.get("/payments/" + payment_id), "Payment")                     # with its webhook log
        hook_id = api.payment(payment_id)["webhooks"][0]["id"]
        check(api.post(f"/payments/{payment_id}/resend-webhook", {"webhookId": hook_id}), "ResendWebhookResponse")
        check(api.post(f"/payments/{payment_id}/resend-webhook", {"webhookId": "x"}), "ResendWebhookError", 404)

        listed = check(api.get("/payments", params={"requestBody": json.dumps(
            {"page": {"number": 0, "size": 50}, "filter": {"sortBy": "STATUS_CHANGED_AT"}})}), "GetPaymentsResponse")
        assert listed["page"]["totalCount"] == 8
        check(api.get("/payments", params={"requestBody": '{"page": 1}'}), "GetPaymentsError", 400)

        confirm_request = drv.payment_request(site, confirmUrl=receiver.url)
        token = drv.pay(site, request=confirm_request)["response"]["paymentToken"]
        path = f"/payments/{confirm_request['paymentId']}/confirm"
        check(api.post(path, {"paymentToken": "bad"}), "ConfirmPaymentError", 400)
        check(api.post(path, {"paymentToken": token, "totalAmount": 1}), "ConfirmPaymentError", 409)
        check(api.post(path, {"paymentToken": token}), "ConfirmedPaymentSummary")
        check(api.post(path, {"paymentToken": token}), "ConfirmPaymentError", 409)
    finally:
        receiver.close()
