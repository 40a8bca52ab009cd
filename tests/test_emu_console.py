"""The emulator's console over real HTTP: cross-site and tokenless posts refused with nothing changed, the
console's own forms (token from its page) work and say what they did, the optional password, and the calls
that stay open (PG REST APIs, SDK endpoints, JSON control calls)."""
import uuid

import pytest
import requests

from tests.drivers import portone, portone_v2, toss
from tests.drivers.emulator import console_token, deliveries, until

EVIL = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site", "Accept": "text/html"}


def order(amount=15000):
    return {"order_id": f"order-{uuid.uuid4().hex[:12]}", "order_name": "Running shoes", "amount": amount,
            "customer_key": "cust_" + uuid.uuid4().hex[:8]}


def clock_offset(site):
    return requests.get(site.url + "/emulator/clock", timeout=10).json()["offset"]


@pytest.fixture
def vbank(site):
    """A PortOne virtual account waiting for its deposit (ready), with its webhook to the site itself."""
    issued = portone.pay(site, order(), pay_method="vbank", notice_url=site.url + "/webhooks/portone")
    return issued["imp_uid"]


@pytest.fixture
def toss_vbank(site):
    o = order()
    key = toss.approved(site, o, method="가상계좌")
    assert toss.confirm(site, key, o).json()["status"] == "WAITING_FOR_DEPOSIT"
    return key


def test_cross_site_posts_change_nothing(site, vbank, toss_vbank):
    paid = portone.pay(site, order())["imp_uid"]
    api = portone.Api(site)
    [first] = deliveries(site, vbank)
    forged = [("/emulator/clock", {"advance": "86400"}), ("/emulator/faults", {"target": "toss:confirm",
                                                                              "kind": "down", "count": "0"}),
              (f"/emulator/portone/payments/{vbank}/deposit", {}),
              (f"/emulator/toss/payments/{toss_vbank}/deposit", {}),
              (f"/emulator/portone/payments/{paid}/console-cancel", {}),
              (f"/emulator/deliveries/{first['id']}/resend", {}), ("/emulator/faults/clear", {})]
    for path, form in forged:
        resp = requests.post(site.url + path + "?lang=en", data=form, headers=EVIL, timeout=10)
        assert resp.status_code == 403 and "did not come from the emulator" in resp.text, path
        as_json = requests.post(site.url + path, json=form, headers=dict(EVIL, Accept="application/json"),
                                timeout=10)
        assert as_json.status_code == 403 and as_json.json()["error"] == "FORBIDDEN", path
    assert clock_offset(site) == 0
    assert requests.get(site.url + "/emulator/faults", timeout=10).json() == []
    assert api.payment(vbank)["status"] == "ready" and api.payment(paid)["status"] == "paid"
    assert toss.record(site, toss_vbank)["status"] == "WAITING_FOR_DEPOSIT"
    assert len(deliveries(site, vbank)) == 1


def test_a_same_site_form_without_the_token_is_refused_too(site, vbank):
    own = {"Origin": site.url, "Sec-Fetch-Site": "same-origin"}
    resp = requests.post(f"{site.url}/emulator/portone/payments/{vbank}/deposit", headers=own, timeout=10)
    assert resp.status_code == 403
    plain_form = requests.post(site.url + "/emulator/clock", data={"advance": "600"}, timeout=10)  # no browser headers
    assert plain_form.status_code == 403
    assert portone.Api(site).payment(vbank)["status"] == "ready" and clock_offset(site) == 0


def test_the_consoles_own_forms_work_and_say_what_they_did(site, vbank):
    http = requests.Session()
    page = http.get(site.url + "/emulator/?lang=en", timeout=10).text
    token = console_token(page)
    assert f'name="csrf_token" value="{token}"' in page
    merchant_uid = portone.Api(site).payment(vbank)["merchant_uid"]
    browser = {"Origin": site.url, "Sec-Fetch-Site": "same-origin"}
    done = http.post(f"{site.url}/emulator/portone/payments/{vbank}/deposit?lang=en", headers=browser,
                     data={"csrf_token": token}, timeout=10)
    assert done.status_code == 200 and done.url.startswith(site.url + "/emulator/")
    assert f"Deposited: {vbank} is now paid; its webhook is queued." in done.text
    assert f'href="{site.url}/flows/{merchant_uid}"' in done.text            # the flow it changed
    assert portone.Api(site).payment(vbank)["status"] == "paid"
    v2 = portone_v2.pay(site, request=portone_v2.payment_request(site, pay_method="VIRTUAL_ACCOUNT"))
    payment_id = v2["response"]["paymentId"]
    done = http.post(f"{site.url}/emulator/portone-v2/console/transactions/{v2['txId']}/deposit?lang=en",
                     headers=browser, data={"csrf_token": token}, timeout=10)       # PortOne V2's button says it too
    assert f"Deposited: {payment_id} is now PAID; its webhook is queued." in done.text
    assert f'href="{site.url}/flows/{payment_id}"' in done.text
    assert portone_v2.Api(site).payment(payment_id)["status"] == "PAID"
    moved = http.post(site.url + "/emulator/clock?lang=en", data={"advance": "600", "csrf_token": token},
                      headers=browser, timeout=10)
    assert "The clock moved 10 minutes ahead: it is now 20" in moved.text and " KST." in moved.text
    assert 590 <= clock_offset(site) <= 610
    assert http.post(site.url + "/emulator/clock", json={"reset": True}, headers=dict(browser, **{
        "X-CSRF-Token": token}), timeout=10).json()["offset"] == 0


def test_the_sdk_endpoints_and_rest_apis_stay_open_to_pages_and_servers(site):
    o = order()
    params = portone.request_pay_params(o)
    opened = requests.post(site.url + "/emulator/portone/sdk/payments", headers=EVIL, timeout=10, json={
        "user_code": "imp00000000", "params": params, "sdk": "1.3.0", "page_url": "http://evil.example/"})
    assert opened.status_code == 200 and opened.json()["imp_uid"]
    decided = requests.post(f"{site.url}/emulator/portone/window/{opened.json()['imp_uid']}/decide", headers=EVIL,
                            json={"outcome": "approve"}, timeout=10)
    assert decided.status_code == 200 and "error_code" not in decided.json()["rsp"]
    token = requests.post(site.url + "/emulator/portone/users/getToken", timeout=10, data={
        "imp_key": site.emulator.config["EMULATOR_PORTONE_IMP_KEY"],
        "imp_secret": site.emulator.config["EMULATOR_PORTONE_IMP_SECRET"]})   # a form body, as PortOne accepts
    assert token.status_code == 200 and token.json()["response"]["access_token"]
    assert requests.post(site.url + "/emulator/clock", json={"advance": 60}, timeout=10).json()["offset"] >= 60


def test_the_console_password(site, vbank):
    site.emulator.config["EMULATOR_CONSOLE_PASSWORD"] = "correct horse"
    for path in ("/emulator/", f"/emulator/deliveries/{deliveries(site, vbank)[0]['id']}", "/emulator/clock",
                 "/emulator/faults"):
        asked = requests.get(site.url + path + "?lang=en", timeout=10)
        assert asked.status_code == 401 and asked.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert "needs its password (EMULATOR_CONSOLE_PASSWORD)" in asked.text and "correct horse" not in asked.text
        assert requests.get(site.url + path, auth=("me", "wrong"), timeout=10).status_code == 401
        assert requests.get(site.url + path, auth=("anyone", "correct horse"), timeout=10).status_code == 200
    assert requests.post(site.url + "/emulator/clock", json={"advance": 600}, timeout=10).status_code == 401
    deposit = requests.post(f"{site.url}/emulator/portone/payments/{vbank}/deposit", json={}, timeout=10)
    assert deposit.status_code == 401
    v2 = portone_v2.pay(site)                                                # every PG's console buttons
    for path in (f"/portone-v2/console/transactions/{v2['txId']}/cancel",
                 f"/portone-v2/console/transactions/{v2['txId']}/deposit",
                 f"/portone-v2/console/transactions/{v2['txId']}/approve-pending", "/portone/nightly-cancel"):
        assert requests.post(site.url + "/emulator" + path, json={"enabled": True}, timeout=10).status_code == 401
    assert portone_v2.Api(site).payment(v2["response"]["paymentId"])["status"] == "PAID"   # not cancelled
    assert requests.get(site.url + "/emulator/portone/nightly-cancel", auth=("x", "correct horse"),
                        timeout=10).json()["enabled"] is False
    assert clock_offset_with(site, ("x", "correct horse")) == 0
    assert portone.Api(site).payment(vbank)["status"] == "ready"           # the REST API needs no console password
    moved = requests.post(site.url + "/emulator/clock", json={"advance": 600}, auth=("x", "correct horse"),
                          timeout=10)
    assert moved.status_code == 200 and moved.json()["offset"] >= 600
    assert toss.start(site, order())["status"] == 200                        # nor does the SDK


def clock_offset_with(site, auth):
    return requests.get(site.url + "/emulator/clock", auth=auth, timeout=10).json()["offset"]


def test_refused_targets_show_on_the_dashboard_naming_the_setting(site):
    paid = portone.pay(site, order(), notice_url="http://169.254.169.254/latest/meta-data/")
    assert until(lambda: deliveries(site, paid["imp_uid"]))
    page = requests.get(site.url + "/emulator/?lang=en", timeout=10).text
    assert "http://169.254.169.254:80 is not an allowed webhook origin" in page
    assert "EMULATOR_WEBHOOK_ALLOWED_ORIGINS" in page


def test_the_payment_list_filters_by_pg_status_and_order(site, vbank):
    o = order()
    paid = portone.pay(site, o)["imp_uid"]
    key = toss.approved(site, order())

    def page(query):    # the payments part of the dashboard (the deliveries below name payments too)
        return requests.get(site.url + "/emulator/?lang=en&" + query, timeout=10).text.split('id="deliveries"')[0]
    both = page("")
    assert paid in both and vbank in both and key in both
    only_toss = page("pg=toss")
    assert key in only_toss and paid not in only_toss and "PortOne payments" not in only_toss
    ready = page("status=ready")
    assert vbank in ready and paid not in ready
    one = page("order=" + o["order_id"][6:])
    assert paid in one and vbank not in one and key not in one
    assert 'value="ready" selected' in ready
