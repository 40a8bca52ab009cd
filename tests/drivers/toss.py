"""Toss test driver: acts as the buyer in the emulated Toss window over plain HTTP, as the widget does."""
from urllib.parse import parse_qs, urlsplit

CLIENT_KEY = "test_gck_docs_Ovk5rk1EwkEbP0W43n07xlzm"   # the public docs widget key


def start(site, order, method="카드", amount=None, **extra):
    """What requestPayment sends before the window opens. Returns the emulator's JSON answer
    ({paymentKey, window_url}, or {code, message} with `status` added when refused)."""
    body = {"clientKey": CLIENT_KEY, "customerKey": order["customer_key"],
            "amount": order["amount"] if amount is None else amount, "orderId": order["order_id"],
            "orderName": order["order_name"], "method": method, "successUrl": site.url + "/success",
            "failUrl": site.url + "/fail", "customerName": order.get("buyer_name"),
            "customerEmail": order.get("buyer_email"), "page_url": site.url + "/", **extra}
    resp = site.http.post(site.url + "/emulator/toss/sdk/payments", json=body, timeout=30)
    return dict(resp.json(), status=resp.status_code)


def decide(site, payment_key, outcome):
    """The buyer's button in the window. Returns the emulator's JSON answer."""
    resp = site.http.post(f"{site.url}/emulator/toss/window/{payment_key}/decide", json={"outcome": outcome},
                          timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.json()


def pay(site, order, method="카드", outcome="approve", amount=None):
    """Open the window for `order` (amount=None: the order's amount; another amount simulates a tampered
    browser) and choose `outcome`: approve | decline_insufficient | decline_refused | decline_invalid_card |
    close | slow. Returns dict(paymentKey, redirect_url (success or fail URL) or None, rejection or None)."""
    started = start(site, order, method=method, amount=amount)
    assert started["status"] == 200, started
    answer = decide(site, started["paymentKey"], outcome)
    return dict(paymentKey=started["paymentKey"], redirect_url=answer.get("redirect_url"),
                rejection=answer.get("rejection"))


# ---- REST helpers for emulator tests ----------------------------------------------------------------

WIDGET_SECRET = "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6"
API_CLIENT_KEY = "test_ck_D5GePWvyJnrK0W0k6q8gLzN97Eoq"
API_SECRET = "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R"


def basic(secret):
    import base64
    return "Basic " + base64.b64encode((secret + ":").encode()).decode()


def api(site, method, path, json=None, secret=WIDGET_SECRET, headers=None):
    """Call the emulated Toss REST API (path like '/v1/payments/confirm') as a merchant server would."""
    h = {"Authorization": basic(secret)} if secret else {}
    h.update(headers or {})
    return site.http.request(method, site.url + "/emulator/toss" + path, json=json, headers=h, timeout=30)


def approved(site, order, method="카드", amount=None):
    """A payment authenticated in the window (IN_PROGRESS), ready to confirm. Returns its paymentKey."""
    result = pay(site, order, method=method, amount=amount)
    assert result["redirect_url"] and "/success?" in result["redirect_url"], result
    return result["paymentKey"]


def confirm(site, payment_key, order, amount=None, secret=WIDGET_SECRET, headers=None):
    return api(site, "POST", "/v1/payments/confirm",
               {"paymentKey": payment_key, "orderId": order["order_id"],
                "amount": order["amount"] if amount is None else amount}, secret=secret, headers=headers)


def record(site, payment_key, secret=WIDGET_SECRET):
    """The emulated Toss's own record of a payment (GET /v1/payments/{paymentKey}); must exist."""
    resp = api(site, "GET", f"/v1/payments/{payment_key}", secret=secret)
    assert resp.status_code == 200, resp.text
    return resp.json()


# ---- billing (자동결제) ---------------------------------------------------------------------------

def billing_auth(site, customer_key, outcome="approve", client_key=API_CLIENT_KEY, **extra):
    """payment({customerKey}).requestBillingAuth({method: "CARD", successUrl, failUrl}) and the buyer's button in
    the registration window. Returns the window's JSON answer (redirect_url with customerKey and authKey when
    approved), or the SDK refusal {code, message, status}."""
    body = {"clientKey": client_key, "customerKey": customer_key, "method": "CARD",
            "successUrl": site.url + "/billing/success", "failUrl": site.url + "/billing/fail",
            "page_url": site.url + "/", **extra}
    resp = site.http.post(site.url + "/emulator/toss/sdk/billing-auths", json=body, timeout=30)
    if resp.status_code != 200:
        return dict(resp.json(), status=resp.status_code)
    decided = site.http.post(site.url + f"/emulator/toss/billing/window/{resp.json()['window_id']}/decide",
                             json={"outcome": outcome}, timeout=30)
    assert decided.status_code == 200, decided.text
    return decided.json()


def billing_key(site, customer_key):
    """A card registered for customer_key and exchanged for its billing key. Returns the Billing object."""
    query = parse_qs(urlsplit(billing_auth(site, customer_key)["redirect_url"]).query)
    resp = api(site, "POST", "/v1/billing/authorizations/issue",
               {"authKey": query["authKey"][0], "customerKey": customer_key}, secret=API_SECRET)
    assert resp.status_code == 200, resp.text
    return resp.json()
