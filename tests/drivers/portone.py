"""Acts as the buyer in the emulated PortOne window over plain HTTP: what IMP.request_pay and a click do."""
import requests

TIMEOUT = 30


def request_pay_params(order, pay_method="card", m_redirect_url=None, notice_url=None, amount=None,
                       pg="html5_inicis"):
    """The params a shop page passes to IMP.request_pay for this order."""
    params = {"pg": pg, "pay_method": pay_method, "merchant_uid": order["order_id"],
              "name": order["order_name"], "amount": order["amount"] if amount is None else amount,
              "currency": "KRW", "buyer_name": order.get("buyer_name"), "buyer_email": order.get("buyer_email")}
    if pay_method == "phone":
        params["digital"] = False
    if notice_url is not None:
        params["notice_url"] = notice_url
    if m_redirect_url is not None:
        params["m_redirect_url"] = m_redirect_url
    return {k: v for k, v in params.items() if v not in (None, "")}


def open_window(site, params, sdk="1.3.0", user_code=None):
    """POST /sdk/payments as the SDK does. Returns the requests response (200 or 400)."""
    user_code = user_code or site.emulator.config["EMULATOR_PORTONE_IMP_CODE"]
    return requests.post(site.url + "/emulator/portone/sdk/payments", timeout=TIMEOUT, json={
        "user_code": user_code, "params": params, "sdk": sdk, "page_url": site.url + "/"})


def decide(site, imp_uid, outcome="approve", **extra):
    """The buyer's click in the window. Returns the requests response ({rsp, redirect_url})."""
    return requests.post(f"{site.url}/emulator/portone/window/{imp_uid}/decide", timeout=TIMEOUT,
                         json={"outcome": outcome, **extra})


def pay(site, order, pay_method="card", outcome="approve", m_redirect_url=None, notice_url=None,
        sdk="1.3.0", amount=None, pg="html5_inicis"):
    """Pay `order` in the emulated window. amount=None uses order["amount"] (another simulates tampering).

    Returns dict(imp_uid, rsp, redirect_url, window_error): window_error is the SDK call's 400 answer
    ({error_code, error_msg}) when the window was refused (then rsp is what the callback would get).
    """
    params = request_pay_params(order, pay_method, m_redirect_url, notice_url, amount, pg)
    opened = open_window(site, params, sdk)
    if opened.status_code == 400:
        error = opened.json()
        rsp = {"imp_uid": None, "merchant_uid": params["merchant_uid"], **error}
        if sdk == "1.2.0":
            rsp["success"] = False
        return dict(imp_uid=None, rsp=rsp, redirect_url=None, window_error=error)
    assert opened.status_code == 200, opened.text
    imp_uid = opened.json()["imp_uid"]
    decided = decide(site, imp_uid, outcome)
    assert decided.status_code == 200, decided.text
    body = decided.json()
    return dict(imp_uid=imp_uid, rsp=body["rsp"], redirect_url=body["redirect_url"], window_error=None)


class Api:
    """The emulated V1 REST API with a token, as a merchant server calls it."""

    def __init__(self, site):
        self.site, self.base = site, site.url + "/emulator/portone"
        self.session = requests.Session()

    def get_token(self, **body):
        cfg = self.site.emulator.config
        body = body or {"imp_key": cfg["EMULATOR_PORTONE_IMP_KEY"],
                        "imp_secret": cfg["EMULATOR_PORTONE_IMP_SECRET"]}
        return self.session.post(self.base + "/users/getToken", json=body, timeout=TIMEOUT)

    def token(self):
        return self.get_token().json()["response"]["access_token"]

    def get(self, path, **kw):
        kw.setdefault("headers", {"Authorization": self.token()})
        return self.session.get(self.base + path, timeout=TIMEOUT, **kw)

    def post(self, path, json=None, data=None, **kw):
        kw.setdefault("headers", {"Authorization": self.token()})
        return self.session.post(self.base + path, json=json, data=data, timeout=TIMEOUT, **kw)

    def put(self, path, json=None, **kw):
        kw.setdefault("headers", {"Authorization": self.token()})
        return self.session.put(self.base + path, json=json, timeout=TIMEOUT, **kw)

    def delete(self, path, **kw):
        kw.setdefault("headers", {"Authorization": self.token()})
        return self.session.delete(self.base + path, timeout=TIMEOUT, **kw)

    def payment(self, imp_uid):
        """The Payment object (response of GET /payments/{imp_uid})."""
        resp = self.get("/payments/" + imp_uid)
        assert resp.status_code == 200, resp.text
        return resp.json()["response"]
