"""PortOne's own Python server SDK (portone-server-sdk), given the emulator as its base URL, works unchanged:
get, list, pre-register, cancel, its typed errors, and its verification of a webhook the emulator really sent."""
import pytest
from portone_server_sdk import PaymentClient, errors, webhook
from portone_server_sdk.common import PageInput
from portone_server_sdk.payment import (CancelPaymentBodyRefundAccount, PaidPayment, PartialCancelledPayment,
                                        PaymentFilterInput, ReadyPayment, VirtualAccountIssuedPayment)

from tests.drivers import portone_v2 as drv
from tests.drivers.receiver import Receiver


@pytest.fixture
def client(site):
    return PaymentClient(secret=drv.cfg(site, "API_SECRET"), base_url=site.url + "/emulator/portone-v2")


def test_get_payment_gives_the_sdks_typed_payments(site, client):
    request = drv.payment_request(site, amount=2500, customData={"item": "shoes"})
    tx_id = drv.open_window(site, request).json()["txId"]
    assert isinstance(client.get_payment(payment_id=request["paymentId"]), ReadyPayment)
    drv.decide(site, tx_id)
    payment = client.get_payment(payment_id=request["paymentId"])
    assert isinstance(payment, PaidPayment)
    assert payment.amount.total == 2500 and payment.channel.type == "TEST" and payment.transaction_id == tx_id
    assert payment.custom_data == '{"item":"shoes"}' and payment.method.card.publisher == "SHINHAN_CARD"
    va = drv.pay(site, pay_method="VIRTUAL_ACCOUNT")["response"]["paymentId"]
    assert isinstance(client.get_payment(payment_id=va), VirtualAccountIssuedPayment)


def test_typed_errors(site, client):
    with pytest.raises(errors.PaymentNotFoundError):
        client.get_payment(payment_id="no-such-payment")
    with pytest.raises(errors.UnauthorizedError):
        PaymentClient(secret="wrong", base_url=site.url + "/emulator/portone-v2").get_payment(payment_id="x")
    payment_id = drv.paid(site, amount=1000)
    with pytest.raises(errors.CancelAmountExceedsCancellableAmountError):
        client.cancel_payment(payment_id=payment_id, reason="too much", amount=1001)
    with pytest.raises(errors.AlreadyPaidError):
        client.pre_register_payment(payment_id=payment_id, total_amount=1000, currency="KRW")


def test_list_pre_register_and_cancel(site, client):
    payment_id = drv.new_id()
    client.pre_register_payment(payment_id=payment_id, total_amount=8000, currency="KRW")
    assert drv.pay(site, payment_id=payment_id, amount=7000)["response"]["code"] == "AmountNotEqualToPredefined"
    drv.paid(site, payment_id=payment_id, amount=8000)
    drv.pay(site, "decline_refused")
    listed = client.get_payments(page=PageInput(number=0, size=10), filter=PaymentFilterInput(status=["PAID"]))
    assert [p.id for p in listed.items] == [payment_id] and listed.page.total_count == 1
    cancelled = client.cancel_payment(payment_id=payment_id, reason="부분 환불", amount=3000,
                                      current_cancellable_amount=8000).cancellation
    assert cancelled.total_amount == 3000
    payment = client.get_payment(payment_id=payment_id)
    assert isinstance(payment, PartialCancelledPayment) and payment.amount.cancelled == 3000
    va = drv.pay(site, pay_method="VIRTUAL_ACCOUNT", amount=5000)
    site.http.post(f"{site.url}/emulator/portone-v2/console/transactions/{va['txId']}/deposit", timeout=30)
    refund = CancelPaymentBodyRefundAccount(bank="SHINHAN", number="110123456789", holder_name="홍길동")
    assert client.cancel_payment(payment_id=va["response"]["paymentId"], reason="환불",
                                 refund_account=refund).cancellation.total_amount == 5000


def test_the_sdk_verifies_a_webhook_the_emulator_sent(site):
    receiver = Receiver().allowed_by(site)
    site.emulator.config["EMULATOR_PORTONE_V2_WEBHOOK_URL"] = receiver.url
    try:
        result = drv.pay(site)
        assert len(receiver.wait_for(2)) >= 2
    finally:
        receiver.close()
    text, headers = receiver.hits[1][2], receiver.headers[1]
    event = webhook.verify(drv.cfg(site, "WEBHOOK_SECRET"), text, {k.lower(): v for k, v in headers.items()})
    assert isinstance(event, webhook.WebhookTransactionPaid)
    assert event.data.payment_id == result["response"]["paymentId"] and event.data.transaction_id == result["txId"]
    with pytest.raises(webhook.WebhookVerificationError):
        webhook.verify(drv.cfg(site, "WEBHOOK_SECRET"), text.replace("Paid", "Failed"),
                       {k.lower(): v for k, v in headers.items()})
