"""PortOne's own Python client (PyPI iamport-rest-client, written for api.iamport.kr) against the emulator.

Only its base URL changes; everything else is the library as published.
"""
import uuid

import pytest
from iamport import Iamport

from tests.drivers import portone as drv


@pytest.fixture
def iamport(site):
    cfg = site.emulator.config
    return Iamport(imp_key=cfg["EMULATOR_PORTONE_IMP_KEY"], imp_secret=cfg["EMULATOR_PORTONE_IMP_SECRET"],
                   imp_url=site.url + "/emulator/portone/")


def order(amount):
    return {"order_id": f"order-{uuid.uuid4().hex[:12]}", "order_name": "Running shoes", "amount": amount}


def test_official_client_finds_verifies_and_cancels_a_payment(site, iamport):
    o = order(15000)
    paid = drv.pay(site, o)
    by_merchant = iamport.find_by_merchant_uid(o["order_id"])
    assert by_merchant["imp_uid"] == paid["imp_uid"] and by_merchant["status"] == "paid"
    assert iamport.find_by_imp_uid(paid["imp_uid"])["amount"] == 15000
    assert iamport.is_paid(15000, merchant_uid=o["order_id"]) is True
    assert iamport.is_paid(1000, imp_uid=paid["imp_uid"]) is False          # a tampered amount
    partial = iamport.cancel("one size smaller", imp_uid=paid["imp_uid"], amount=5000)
    assert partial["status"] == "paid" and partial["cancel_amount"] == 5000
    full = iamport.cancel("changed my mind", merchant_uid=o["order_id"])
    assert full["status"] == "cancelled" and full["cancel_amount"] == 15000
    with pytest.raises(Iamport.ResponseError) as refused:
        iamport.cancel("again", imp_uid=paid["imp_uid"])
    assert refused.value.code == 1 and refused.value.message == "이미 전액취소된 주문입니다."


def test_official_client_prepares_and_sees_errors_as_the_real_api_gives_them(site, iamport):
    o = order(9000)
    assert iamport.prepare(o["order_id"], 9000) == {"merchant_uid": o["order_id"], "amount": 9000,
                                                      "currency": None}
    assert iamport.prepare_validate(o["order_id"], 9000) is True
    assert iamport.prepare_validate(o["order_id"], 100) is False
    with pytest.raises(Iamport.ResponseError) as duplicate:
        iamport.prepare(o["order_id"], 9000)
    assert duplicate.value.code == 1
    assert drv.pay(site, o, amount=100)["window_error"] is not None         # the prepared amount holds
    with pytest.raises(Iamport.HttpError) as missing:
        iamport.find_by_imp_uid("imp_000000000000")
    assert missing.value.code == 404
    with pytest.raises(Iamport.ResponseError) as nothing:
        iamport.cancel("no such payment", imp_uid="imp_000000000000")
    assert nothing.value.message == "취소할 결제건이 존재하지 않습니다."
    wrong = Iamport("emulator_imp_key", "wrong-secret", imp_url=iamport.imp_url)
    with pytest.raises(Iamport.HttpError) as unauthorized:
        wrong.find_by_imp_uid("imp_000000000000")
    assert unauthorized.value.code == 401
