"""The emulated PortOne V1 REST API over real HTTP: tokens, lookups, paging, prepare and cancel."""
import re
import uuid

import pytest
import requests

from tests.drivers import portone as drv

UNAUTHORIZED = {"code": -1, "message": "Unauthorized", "response": None}
NOT_FOUND = "존재하지 않는 결제정보입니다."


def order(amount=15000, order_id=None):
    return {"order_id": order_id or f"order-{uuid.uuid4().hex[:12]}", "order_name": "Running shoes",
            "amount": amount, "buyer_name": "Hong Gildong", "buyer_email": "buyer@example.com"}


@pytest.fixture
def api(site):
    return drv.Api(site)


# --- tokens --------------------------------------------------------------------------------

def test_get_token_json_then_form_gives_the_same_30_minute_token(site, api):
    first = api.get_token()
    assert first.status_code == 200 and first.headers["Content-Type"] == "application/json; charset=UTF-8"
    body = first.json()
    assert body["code"] == 0 and body["message"] is None
    token = body["response"]
    assert set(token) == {"access_token", "now", "expired_at"}
    assert isinstance(token["now"], int) and token["expired_at"] - token["now"] == 1800
    cfg = site.emulator.config
    form = requests.post(api.base + "/users/getToken", data={
        "imp_key": cfg["EMULATOR_PORTONE_IMP_KEY"], "imp_secret": cfg["EMULATOR_PORTONE_IMP_SECRET"]}, timeout=10)
    assert form.json()["response"]["access_token"] == token["access_token"]
    assert form.json()["response"]["expired_at"] == token["expired_at"]


def test_get_token_refuses_missing_params_and_wrong_credentials(api):
    missing = api.get_token(imp_key="emulator_imp_key")
    assert missing.status_code == 400
    assert missing.json() == {"code": -1, "message": "imp_key, imp_secret 파라메터가 누락되었습니다.",
                              "response": None}
    wrong = api.get_token(imp_key="emulator_imp_key", imp_secret="not-the-secret")
    assert wrong.status_code == 401 and wrong.json() == UNAUTHORIZED


def test_token_is_extended_by_5_minutes_when_under_a_minute_is_left(site, api):
    first = api.get_token().json()["response"]
    site.advance_clock(1800 - 30)
    second = api.get_token().json()["response"]
    assert second["access_token"] == first["access_token"]
    assert second["expired_at"] == first["expired_at"] + 300
    site.advance_clock(60)      # past the original expiry, within the extension
    assert api.get("/payments/imp_000000000000",
                   headers={"Authorization": first["access_token"]}).status_code == 404


def test_expired_token_is_refused_and_a_new_one_is_issued(site, api):
    old = api.get_token().json()["response"]
    site.advance_clock(1801)
    refused = api.get("/payments/imp_000000000000", headers={"Authorization": old["access_token"]})
    assert refused.status_code == 401 and refused.json() == UNAUTHORIZED
    new = api.get_token().json()["response"]
    assert new["access_token"] != old["access_token"] and new["expired_at"] - new["now"] == 1800


@pytest.mark.parametrize("header", ["raw", "bearer", "x-imp"])
def test_the_three_token_headers_are_accepted(site, api, header):
    paid = drv.pay(site, order())
    token = api.token()
    headers = {"raw": {"Authorization": token}, "bearer": {"Authorization": f"Bearer {token}"},
               "x-imp": {"X-ImpTokenHeader": token}}[header]
    resp = api.get("/payments/" + paid["imp_uid"], headers=headers)
    assert resp.status_code == 200 and resp.json()["response"]["status"] == "paid"


def test_authorization_header_wins_over_x_imp_token_header(site, api):
    paid = drv.pay(site, order())
    token = api.token()
    path = "/payments/" + paid["imp_uid"]
    assert api.get(path, headers={"Authorization": "wrong", "X-ImpTokenHeader": token}).status_code == 401
    assert api.get(path, headers={"Authorization": token, "X-ImpTokenHeader": "wrong"}).status_code == 200
    missing = api.get(path, headers={})
    assert missing.status_code == 401 and missing.json() == UNAUTHORIZED


# --- lookups -------------------------------------------------------------------------------

PAYMENT_FIELDS = {
    "imp_uid", "merchant_uid", "pay_method", "channel", "pg_provider", "emb_pg_provider", "pg_tid", "pg_id",
    "escrow", "apply_num", "bank_code", "bank_name", "card_code", "card_name", "card_quota", "card_number",
    "card_type", "card_issuer_code", "card_issuer_name", "card_publisher_code", "card_publisher_name",
    "vbank_code", "vbank_name", "vbank_num", "vbank_holder", "vbank_date", "vbank_issued_at", "name", "amount",
    "cancel_amount", "currency", "buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode",
    "custom_data", "user_agent", "status", "started_at", "paid_at", "failed_at", "cancelled_at", "fail_reason",
    "cancel_reason", "receipt_url", "cancel_history", "cancel_receipt_urls", "cash_receipt_issued",
    "customer_uid", "customer_uid_usage", "promotion", "sandbox"}


def test_paid_card_payment_has_every_documented_field(site, api):
    o = order(15000)
    paid = drv.pay(site, o)
    p = api.payment(paid["imp_uid"])
    assert set(p) == PAYMENT_FIELDS
    assert re.fullmatch(r"imp_\d{12}", p["imp_uid"]) and p["merchant_uid"] == o["order_id"]
    assert p["status"] == "paid" and p["amount"] == 15000 and p["cancel_amount"] == 0 and p["currency"] == "KRW"
    assert p["pay_method"] == "card" and p["pg_provider"] == "html5_inicis" and p["pg_id"] == "INIpayTest"
    assert p["pg_tid"].startswith("StdpayCARDINIpayTest") and re.fullmatch(r"\d{8}", p["apply_num"])
    assert re.fullmatch(r"\d{6}\*{6}\d{3}\*", p["card_number"]) and p["card_name"] and p["card_code"]
    assert p["card_quota"] == 0 and p["card_type"] == 0
    assert all(isinstance(p[k], int) for k in ("started_at", "paid_at", "failed_at", "cancelled_at"))
    assert p["paid_at"] >= p["started_at"] > 0 and p["failed_at"] == 0 and p["cancelled_at"] == 0
    assert p["vbank_date"] == 0 and p["vbank_num"] is None and p["cancel_history"] == []
    assert p["buyer_name"] == "Hong Gildong" and p["name"] == "Running shoes"
    assert p["receipt_url"] == f"{site.url}/emulator/portone/slips/{p['imp_uid']}" and p["sandbox"] is True


def test_unknown_imp_uid_is_404_with_the_real_message(api):
    resp = api.get("/payments/imp_000000000000")
    assert resp.status_code == 404 and resp.json() == {"code": -1, "message": NOT_FOUND, "response": None}


def test_many_payments_by_ids_answers_207_when_some_are_missing(site, api):
    a, b = drv.pay(site, order()), drv.pay(site, order(9000))
    merchant_uid_b = api.payment(b["imp_uid"])["merchant_uid"]
    both = api.get("/payments", params={"imp_uid[]": [a["imp_uid"]], "merchant_uid[]": [merchant_uid_b]})
    assert both.status_code == 200
    assert {p["imp_uid"] for p in both.json()["response"]} == {a["imp_uid"], b["imp_uid"]}
    partial = api.get("/payments", params={"imp_uid[]": [a["imp_uid"], "imp_000000000000"]})
    assert partial.status_code == 207 and [p["imp_uid"] for p in partial.json()["response"]] == [a["imp_uid"]]
    none = api.get("/payments", params={"imp_uid[]": ["imp_000000000000"]})
    assert none.status_code == 404 and none.json()["message"] == NOT_FOUND


def test_find_by_merchant_uid_with_status_and_sorting(site, api):
    o = order()
    failed = drv.pay(site, o, outcome="decline_refused")
    site.advance_clock(10)
    paid = drv.pay(site, o)
    find = api.get(f"/payments/find/{o['order_id']}")
    assert find.status_code == 200 and find.json()["response"]["imp_uid"] == paid["imp_uid"]
    assert api.get(f"/payments/find/{o['order_id']}", params={"sorting": "started"}).json()["response"][
        "imp_uid"] == failed["imp_uid"]
    by_status = api.get(f"/payments/find/{o['order_id']}/failed").json()["response"]
    assert by_status["imp_uid"] == failed["imp_uid"] and by_status["status"] == "failed"
    assert api.get(f"/payments/find/{o['order_id']}/cancelled").status_code == 404
    unknown = api.get("/payments/find/no-such-order")
    assert unknown.status_code == 404 and unknown.json()["message"] == NOT_FOUND
    assert api.get(f"/payments/find/{o['order_id']}/bogus").json()["message"] == "지원되지 않는 상태값입니다."


def test_find_all_pages_through_one_merchant_uid(site, api):
    o = order()
    uids = []
    for _ in range(3):
        uids.append(drv.pay(site, o, outcome="close")["imp_uid"])
        site.advance_clock(5)
    first = api.get(f"/payments/findAll/{o['order_id']}", params={"limit": 2}).json()["response"]
    assert first["total"] == 3 and first["previous"] == 0 and first["next"] == 2
    assert [p["imp_uid"] for p in first["list"]] == uids[::-1][:2]
    second = api.get(f"/payments/findAll/{o['order_id']}/ready", params={"limit": 2, "page": 2}).json()["response"]
    assert second["previous"] == 1 and second["next"] == 0 and [p["imp_uid"] for p in second["list"]] == [uids[0]]
    oldest_first = api.get(f"/payments/findAll/{o['order_id']}", params={"sorting": "started"}).json()["response"]
    assert [p["imp_uid"] for p in oldest_first["list"]] == uids
    assert api.get(f"/payments/findAll/{o['order_id']}/paid").status_code == 404
    assert api.get(f"/payments/findAll/{o['order_id']}", params={"limit": 1001}).status_code == 400


def test_payments_by_status_is_paged_and_filtered_by_time(site, api):
    paid = [drv.pay(site, order())["imp_uid"] for _ in range(3)]
    drv.pay(site, order(), outcome="decline_insufficient")
    page = api.get("/payments/status/paid", params={"limit": 2}).json()["response"]
    assert page["total"] == 3 and page["next"] == 2 and len(page["list"]) == 2
    assert {p["status"] for p in page["list"]} == {"paid"}
    everything = api.get("/payments/status/all").json()["response"]
    assert everything["total"] == 4 and set(paid) <= {p["imp_uid"] for p in everything["list"]}
    now = api.get_token().json()["response"]["now"]
    before = api.get("/payments/status/paid", params={"from": now - 86400, "to": now - 3600}).json()["response"]
    assert before == {"total": 0, "previous": 0, "next": 0, "list": []}
    bad = api.get("/payments/status/bogus")
    assert bad.status_code == 400 and bad.json()["message"] == "지원되지 않는 상태값입니다."
    assert api.get("/payments/status/paid", params={"from": now - 91 * 86400, "to": now}).status_code == 400
    assert api.get("/payments/status/paid", params={"page": 5}).status_code == 400


# --- prepare -------------------------------------------------------------------------------

def test_prepare_register_duplicate_change_and_read(api):
    created = api.post("/payments/prepare", json={"merchant_uid": "order-prep-1", "amount": 15000})
    assert created.json() == {"code": 0, "message": None,
                              "response": {"merchant_uid": "order-prep-1", "amount": 15000, "currency": None}}
    again = api.post("/payments/prepare", data={"merchant_uid": "order-prep-1", "amount": "9000"})
    assert again.status_code == 200 and again.json()["code"] == 1
    assert again.json()["message"] == "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다)."
    changed = api.put("/payments/prepare", json={"merchant_uid": "order-prep-1", "amount": 12000})
    assert changed.json()["response"]["amount"] == 12000
    assert api.get("/payments/prepare/order-prep-1").json()["response"]["amount"] == 12000
    for resp in (api.get("/payments/prepare/no-such-order"),
                 api.put("/payments/prepare", json={"merchant_uid": "no-such-order", "amount": 1})):
        assert resp.status_code == 404
        assert resp.json() == {"code": -1, "message": "사전등록된 결제정보가 존재하지 않습니다.", "response": None}
    assert api.post("/payments/prepare", json={"merchant_uid": "order-prep-2"}).status_code == 400


def test_prepared_amount_is_enforced_before_the_window_opens(site, api):
    o = order(15000)
    api.post("/payments/prepare", json={"merchant_uid": o["order_id"], "amount": 15000})
    tampered = drv.pay(site, o, amount=100)
    assert tampered["imp_uid"] is None and tampered["window_error"]["error_code"]
    assert "사전등록" in tampered["window_error"]["error_msg"]
    assert api.get(f"/payments/find/{o['order_id']}").status_code == 404      # no payment was created
    assert api.payment(drv.pay(site, o)["imp_uid"])["status"] == "paid"


# --- cancel --------------------------------------------------------------------------------

def test_full_cancel_then_double_cancel(site, api):
    paid = drv.pay(site, order(15000))
    resp = api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"], "reason": "customer asked"})
    p = resp.json()["response"]
    assert resp.json()["code"] == 0 and p["status"] == "cancelled" and p["cancel_amount"] == 15000
    assert p["amount"] == 15000 and p["cancelled_at"] > 0 and p["cancel_reason"] == "customer asked"
    [entry] = p["cancel_history"]
    assert entry["amount"] == 15000 and entry["reason"] == "customer asked" and entry["pg_tid"] == p["pg_tid"]
    assert re.fullmatch(r"[A-Z0-9]{20}", entry["cancellation_id"]) and entry["cancelled_at"] == p["cancelled_at"]
    assert entry["receipt_url"] == p["receipt_url"] and p["cancel_receipt_urls"] == [p["receipt_url"]]
    again = api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"]})
    assert again.status_code == 200 and again.json() == {"code": 1, "message": "이미 전액취소된 주문입니다.",
                                                          "response": None}


def test_partial_cancels_keep_the_payment_paid_until_nothing_is_left(site, api):
    o = order(15000)
    paid = drv.pay(site, o)
    first = api.post("/payments/cancel", data={"merchant_uid": o["order_id"], "amount": "5000",
                                               "checksum": "15000"}).json()["response"]
    assert first["status"] == "paid" and first["cancel_amount"] == 5000 and len(first["cancel_history"]) == 1
    stale = api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"], "amount": 1000, "checksum": 15000})
    assert stale.json()["code"] == 1 and "checksum" in stale.json()["message"]
    too_much = api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"], "amount": 10001})
    assert too_much.json()["code"] == 1 and too_much.json()["response"] is None
    assert api.payment(paid["imp_uid"])["cancel_amount"] == 5000
    rest = api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"], "checksum": 10000}).json()["response"]
    assert rest["status"] == "cancelled" and rest["cancel_amount"] == 15000
    assert [c["amount"] for c in rest["cancel_history"]] == [5000, 10000]
    assert len({c["cancellation_id"] for c in rest["cancel_history"]}) == 2


def test_cancel_refusals_are_http_200_with_code_1(site, api):
    o = order()
    paid = drv.pay(site, o)
    precedence = api.post("/payments/cancel", json={"imp_uid": "imp_000000000000", "merchant_uid": o["order_id"]})
    assert precedence.status_code == 200
    assert precedence.json() == {"code": 1, "message": "취소할 결제건이 존재하지 않습니다.", "response": None}
    assert api.payment(paid["imp_uid"])["status"] == "paid"
    no_id = api.post("/payments/cancel", json={"reason": "x"})
    assert no_id.status_code == 200 and no_id.json()["code"] == 1 and "지정해주셔야합니다." in no_id.json()["message"]
    unpaid = drv.pay(site, order(), outcome="close")
    assert api.post("/payments/cancel", json={"imp_uid": unpaid["imp_uid"]}).json()["message"] == \
        "취소할 결제건이 존재하지 않습니다."
    assert api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"]},
                    headers={"Authorization": "bad"}).status_code == 401


def test_vbank_refund_needs_the_refund_account(site, api):
    issued = drv.pay(site, order(), pay_method="vbank")
    requests.post(f"{api.base}/payments/{issued['imp_uid']}/deposit", json={}, timeout=10)
    refused = api.post("/payments/cancel", json={"imp_uid": issued["imp_uid"]})
    assert refused.json()["code"] == 1 and "refund_account" in refused.json()["message"]
    done = api.post("/payments/cancel", json={"imp_uid": issued["imp_uid"], "refund_holder": "홍길동",
                                              "refund_bank": "088", "refund_account": "110123456789"})
    assert done.json()["response"]["status"] == "cancelled"


# --- what PortOne's own integration guide does, and the other operations a learner meets ----

def test_the_guides_44_character_merchant_uid_works_on_every_path(site, api):
    """PortOne's guide builds `payment-${crypto.randomUUID()}` (44 characters), over the reference's 40."""
    o = order(15000, order_id=f"payment-{uuid.uuid4()}")
    assert len(o["order_id"]) == 44
    assert api.post("/payments/prepare", json={"merchant_uid": o["order_id"], "amount": 15000}).json()["code"] == 0
    assert api.get(f"/payments/prepare/{o['order_id']}").json()["response"]["merchant_uid"] == o["order_id"]
    imp_uid = drv.pay(site, o)["imp_uid"]
    assert api.get(f"/payments/find/{o['order_id']}").json()["response"]["imp_uid"] == imp_uid
    assert api.get(f"/payments/findAll/{o['order_id']}/paid").json()["response"]["total"] == 1
    assert api.get("/payments", params={"merchant_uid[]": o["order_id"]}).json()["response"][0]["imp_uid"] == imp_uid
    cancelled = api.post("/payments/cancel", json={"merchant_uid": o["order_id"]}).json()
    assert cancelled["code"] == 0 and cancelled["response"]["status"] == "cancelled"
    too_long = drv.open_window(site, drv.request_pay_params(order(order_id="x" * 81)))
    assert too_long.status_code == 400 and "80" in too_long.json()["error_msg"]


def test_balance_splits_what_is_left_into_supply_and_vat(site, api):
    imp_uid = drv.pay(site, order(11000))["imp_uid"]
    api.post("/payments/cancel", json={"imp_uid": imp_uid, "amount": 2200})
    body = api.get(f"/payments/{imp_uid}/balance").json()["response"]
    assert body["amount"] == 11000 and body["primary"] == {"tax_free": 0, "supply": 8000, "vat": 800, "service": 0}
    assert body["secondary"] == body["discount"] == body["cash_receipt"] == {"tax_free": 0, "supply": 0, "vat": 0,
                                                                              "service": 0}
    missing = api.get("/payments/imp_000000000000/balance")
    assert missing.status_code == 404 and missing.json()["message"] == NOT_FOUND


def test_users_pg_lists_the_stores_test_channels(api):
    channels = api.get("/users/pg").json()["response"]
    assert {(c["pg_provider"], c["pg_id"], c["type"]) for c in channels} >= {
        ("html5_inicis", "INIpayTest", "payment"), ("kcp", "T0000", "payment"),
        ("html5_inicis", "INIBillTst", "api_payment")}
    assert all(c["sandbox"] is True and c["channel_key"].startswith("channel-key-") for c in channels)
    assert api.get("/users/pg", headers={}).json() == UNAUTHORIZED


def test_channel_key_picks_the_channel_of_the_window(site, api):
    kcp = next(c for c in api.get("/users/pg").json()["response"] if c["pg_provider"] == "kcp")
    params = {k: v for k, v in drv.request_pay_params(order()).items() if k != "pg"}
    opened = drv.open_window(site, {**params, "channelKey": kcp["channel_key"]})
    imp_uid = opened.json()["imp_uid"]
    drv.decide(site, imp_uid)
    p = api.payment(imp_uid)
    assert p["pg_provider"] == "kcp" and p["pg_id"] == "T0000" and p["status"] == "paid"
    unknown = drv.open_window(site, {**params, "merchant_uid": order()["order_id"], "channelKey": "channel-key-x"})
    assert unknown.status_code == 400 and "channel-key-x" in unknown.json()["error_msg"]


def test_revoking_an_unpaid_virtual_account_cancels_it(site, api):
    vbank = drv.pay(site, order(9000), pay_method="vbank")["imp_uid"]
    card = drv.pay(site, order())["imp_uid"]
    revoked = api.delete(f"/vbanks/{vbank}")
    assert revoked.status_code == 200 and revoked.json()["response"]["status"] == "cancelled"
    assert api.payment(vbank)["cancelled_at"] > 0
    for imp_uid, status in ((vbank, 400), (card, 400), ("imp_000000000000", 404)):
        resp = api.delete(f"/vbanks/{imp_uid}")
        assert resp.status_code == status and resp.json()["code"] == -1
    late_deposit = requests.post(f"{api.base}/payments/{vbank}/deposit", json={}, timeout=10)   # dashboard
    assert late_deposit.status_code == 409 and api.payment(vbank)["status"] == "cancelled"


def test_cash_receipts_are_json_at_the_receipts_path(site, api):
    trans = drv.pay(site, order(11000), pay_method="trans")["imp_uid"]
    card = drv.pay(site, order())["imp_uid"]
    none_yet = api.get(f"/receipts/{trans}")
    assert none_yet.status_code == 404 and none_yet.json()["response"] is None
    assert api.get(f"/receipts/{trans}", headers={}).json() == UNAUTHORIZED
    issued = api.post(f"/receipts/{trans}", json={"identifier": "01012345678", "type": "person"}).json()["response"]
    assert issued["amount"] == 11000 and issued["vat"] == 1000 and issued["type"] == "person" and issued["apply_num"]
    assert api.get(f"/receipts/{trans}").json()["response"] == issued
    assert api.payment(trans)["cash_receipt_issued"] is True
    assert api.post(f"/receipts/{card}", json={"identifier": "01012345678"}).status_code == 400
    assert api.post(f"/receipts/{trans}", json={}).status_code == 400
    revoked = api.delete(f"/receipts/{trans}").json()["response"]
    assert revoked["cancelled_at"] > 0 and api.delete(f"/receipts/{trans}").status_code == 400
