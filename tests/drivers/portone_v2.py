"""PortOne V2 test driver: the buyer in the emulated window over plain HTTP (what PortOne.requestPayment and a
click do), and the REST API as a merchant server calls it (`Authorization: PortOne <API secret>`)."""
import uuid

import requests

TIMEOUT = 30


def cfg(site, name):
    """An emulator setting, e.g. cfg(site, "STORE_ID") for EMULATOR_PORTONE_V2_STORE_ID."""
    return site.emulator.config["EMULATOR_PORTONE_V2_" + name]


def new_id():
    return f"payment-{uuid.uuid4()}"


def payment_request(site, payment_id=None, amount=1000, pay_method="CARD", live=False, **extra):
    """The object a shop page passes to PortOne.requestPayment (the guide's fields)."""
    return {"storeId": cfg(site, "STORE_ID"), "channelKey": cfg(site, "LIVE_CHANNEL_KEY" if live else "CHANNEL_KEY"),
            "paymentId": payment_id or new_id(), "orderName": "나이키 와플 트레이너 2 SD", "totalAmount": amount,
            "currency": "KRW", "payMethod": pay_method, **extra}


def open_window(site, request, user_agent=None):
    """POST /sdk/payments as the SDK does. Returns the requests response (200 {txId, window_url} or 400 with
    the PaymentResponse the Promise resolves with: {transactionType, paymentId, code, message})."""
    headers = {"User-Agent": user_agent} if user_agent else {}
    return requests.post(site.url + "/emulator/portone-v2/sdk/payments", timeout=TIMEOUT, headers=headers,
                         json={"request": request, "pageUrl": site.url + "/"})


def decide(site, tx_id, outcome="approve", **extra):
    """The buyer's click in the window: approve | decline_insufficient | decline_refused | decline_invalid_card |
    close | slow. Returns the requests response ({rsp, redirect_url})."""
    return requests.post(f"{site.url}/emulator/portone-v2/window/{tx_id}/decide", timeout=TIMEOUT,
                         json={"outcome": outcome, **extra})


def pay(site, outcome="approve", request=None, **fields):
    """One requestPayment attempt. Returns dict(txId, response, redirect_url, refused): refused is True when
    the SDK failed before any window (response then carries code and message)."""
    request = request or payment_request(site, **fields)
    opened = open_window(site, request)
    if opened.status_code == 400:
        return dict(txId=None, response=opened.json(), redirect_url=None, refused=True)
    assert opened.status_code == 200, opened.text
    tx_id = opened.json()["txId"]
    decided = decide(site, tx_id, outcome)
    assert decided.status_code == 200, decided.text
    body = decided.json()
    return dict(txId=tx_id, response=body["rsp"], redirect_url=body["redirect_url"], refused=False)


def paid(site, **fields):
    """A PAID payment; returns its paymentId."""
    result = pay(site, **fields)
    assert "code" not in result["response"], result
    return result["response"]["paymentId"]


class Api:
    """The emulated REST API at /emulator/portone-v2, as a merchant server calls api.portone.io."""

    def __init__(self, site, secret=None):
        self.site, self.base = site, site.url + "/emulator/portone-v2"
        self.headers = {"Authorization": "PortOne " + (secret or cfg(site, "API_SECRET"))}

    def get(self, path, **kw):
        kw.setdefault("headers", self.headers)
        return requests.get(self.base + path, timeout=TIMEOUT, **kw)

    def post(self, path, json=None, **kw):
        kw.setdefault("headers", self.headers)
        return requests.post(self.base + path, json=json, timeout=TIMEOUT, **kw)

    def payment(self, payment_id):
        resp = self.get("/payments/" + payment_id)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def cancel(self, payment_id, **body):
        return self.post(f"/payments/{payment_id}/cancel", {"reason": "고객 요청", **body})
