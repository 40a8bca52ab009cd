"""The shop's Toss SDK v2 orders and automatic payments over real HTTP against the emulated Toss: widget and
payment-window orders confirmed with their own secret key, card registration, charges (approved, declined),
cancels, another buyer refused, and the billing key kept out of every page, JSON answer and step."""
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.drivers import toss as driver
from tests.drivers.toss import API_CLIENT_KEY, API_SECRET, WIDGET_SECRET


@pytest.fixture(autouse=True)
def english(site):
    site.http.cookies.set("lang", "en")


def steps_of(site, order_id):
    return site.get(f"/api/flows/{order_id}/steps").json()["steps"]


def order_json(site, order_id):
    return site.get(f"/api/flows/{order_id}").json()["order"]


def named(steps, name):
    return [s for s in steps if s["name"] == name]


def path_of(url):
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def pay_v2(site, order, client_key, product, method="카드", outcome="approve"):
    """What the v2 SDK sends (widgets() or payment()) and the buyer's button. Returns the window's answer."""
    started = driver.start(site, order, method=method, clientKey=client_key, product=product)
    assert started["status"] == 200, started
    return dict(driver.decide(site, started["paymentKey"], outcome), paymentKey=started["paymentKey"])


# --- SDK v2 orders ---------------------------------------------------------------------------------

def test_a_v2_widget_order_is_confirmed_with_the_widget_secret(site):
    order = site.order("toss", sdk="v2")
    assert order["sdk"] == "v2"
    done = pay_v2(site, order, driver.CLIENT_KEY, "widget")
    page = site.get(path_of(done["redirect_url"]))
    assert page.status_code == 200 and "Paid and verified" in page.text
    assert order_json(site, order["order_id"])["status"] == "paid"
    assert driver.record(site, done["paymentKey"], secret=WIDGET_SECRET)["status"] == "DONE"
    [confirm] = named(steps_of(site, order["order_id"]), "toss.confirm")
    assert confirm["exchange"]["request"]["headers"]["Authorization"] == "Basic [REDACTED:TOSS_SECRET_KEY:base64]"


def test_a_payment_window_order_is_confirmed_with_the_api_secret(site):
    order = site.order("toss", sdk="v2-payment", pay_method="CARD")
    done = pay_v2(site, order, API_CLIENT_KEY, "payment", method="CARD")
    page = site.get(path_of(done["redirect_url"]))
    assert page.status_code == 200 and "Paid and verified" in page.text
    assert order_json(site, order["order_id"])["status"] == "paid"
    record = driver.record(site, done["paymentKey"], secret=API_SECRET)
    assert (record["status"], record["totalAmount"]) == ("DONE", order["amount"])
    steps = steps_of(site, order["order_id"])
    [confirm] = named(steps, "toss.confirm")
    assert confirm["exchange"]["request"]["headers"]["Authorization"] == \
        "Basic [REDACTED:TOSS_API_SECRET_KEY:base64]"
    assert "TOSS_API_SECRET_KEY" in named(steps, "toss.auth")[0]["summary"]


def test_a_payment_window_virtual_account_waits_for_the_deposit(site):
    order = site.order("toss", sdk="v2-payment", pay_method="VIRTUAL_ACCOUNT")
    done = pay_v2(site, order, API_CLIENT_KEY, "payment", method="VIRTUAL_ACCOUNT")
    page = site.get(path_of(done["redirect_url"]))
    assert "Waiting for the deposit" in page.text and 'id="vbank-num"' in page.text
    assert order_json(site, order["order_id"])["status"] == "awaiting_deposit"


def test_an_unknown_sdk_is_refused_and_nothing_is_stored(site):
    resp = site.post("/api/orders", json={"pg": "toss", "product_id": "shoes", "quantity": 1, "sdk": "v9"})
    assert resp.status_code == 400 and resp.json()["error"] == "BAD_FIELD" and "v2-payment" in resp.json()["message"]
    resp = site.post("/api/orders", json={"pg": "toss", "product_id": "shoes", "quantity": 1, "sdk": ["v2"]})
    assert resp.status_code == 400 and resp.json()["error"] == "BAD_FIELD"
    assert site.get("/api/flows?pg=toss").json()["flows"] == []


def test_the_checkout_page_remembers_the_toss_sdk_choice(site):
    assert 'id="toss-panel"' in site.get("/").text
    v2 = site.get("/?toss_sdk=v2").text
    assert 'id="toss2-panel"' in v2 and "/emulator/toss/v2/standard" in v2 and API_CLIENT_KEY in v2
    again = site.get("/").text
    assert 'id="toss2-panel"' in again and 'data-sdk="v2" aria-current="true"' in again
    assert 'id="toss-panel"' in site.get("/?toss_sdk=v1").text


# --- automatic payments ---------------------------------------------------------------------------

def register(site, outcome="approve"):
    """Open a registration on the shop, register the card in Toss's window, follow the redirect."""
    reg = site.post("/toss/billing/registrations", json={})
    assert reg.status_code == 201, reg.text
    reg = reg.json()
    assert set(reg) == {"order_id", "customer_key", "success_url", "fail_url"}
    answer = driver.billing_auth(site, reg["customer_key"], outcome=outcome, successUrl=reg["success_url"],
                                 failUrl=reg["fail_url"])
    return reg, answer


def registered(site):
    reg, answer = register(site)
    page = site.get(path_of(answer["redirect_url"]))
    assert page.status_code == 200 and 'id="toss-card-number"' in page.text, page.text
    return reg


def charge(site, plan):
    page = site.post("/toss/billing/charge", data={"plan": plan})
    assert page.status_code == 200, page.text
    order_id = re.search(r'id="order-([^"]+)"', page.text).group(1)
    return order_id, page


def billing_keys(site):
    from emulator import db
    with site.emulator.app_context():
        return [r["billing_key"] for r in db.get_db().execute("SELECT billing_key FROM toss_billing_keys")]


def test_register_a_card_then_charge_it_from_the_server(site):
    reg = registered(site)
    assert order_json(site, reg["order_id"])["status"] == "registered"
    rsteps = steps_of(site, reg["order_id"])
    [issue] = named(rsteps, "toss.issue_billing_key")
    assert issue["exchange"]["response"]["body"]["billingKey"] == "[REDACTED:billingKey]"
    assert named(rsteps, "toss.store_billing_key")[0]["verdict"] == "pass"

    order_id, page = charge(site, "basic")
    assert "Paid and verified" in page.text
    order = order_json(site, order_id)
    assert (order["status"], order["amount"]) == ("paid", 9900)
    record = driver.record(site, order["pg_payment_id"], secret=API_SECRET)
    assert (record["status"], record["type"], record["totalAmount"], record["orderId"]) == \
        ("DONE", "BILLING", 9900, order_id)
    [call] = named(steps_of(site, order_id), "toss.charge_billing")
    assert "[REDACTED:billingKey]" in call["exchange"]["request"]["url"]


def test_a_declined_charge_fails_the_order_and_nothing_is_charged(site):
    registered(site)
    order_id, page = charge(site, "declined")
    order = order_json(site, order_id)
    assert order["status"] == "failed" and "refused" in order["reason"]
    assert "REJECT_CARD_PAYMENT" in json.dumps(named(steps_of(site, order_id), "toss.charge_refused"))
    found = driver.api(site, "GET", f"/v1/payments/orders/{order_id}", secret=API_SECRET).json()
    assert found["status"] == "ABORTED"


def test_cancel_a_charge_refunds_it_at_toss(site):
    registered(site)
    order_id, _ = charge(site, "plus")
    page = site.post(f"/toss/billing/charges/{order_id}/cancel", data={})
    assert page.status_code == 200 and "Cancelled and refunded" in page.text
    order = order_json(site, order_id)
    assert order["status"] == "cancelled"
    assert driver.record(site, order["pg_payment_id"], secret=API_SECRET)["status"] == "CANCELED"
    again = site.post(f"/toss/billing/charges/{order_id}/cancel", data={})
    assert again.status_code == 409


def test_the_billing_key_never_reaches_a_page_json_or_step(site):
    reg = registered(site)
    order_id, _ = charge(site, "basic")
    [key] = billing_keys(site)
    seen = [site.get("/subscription").text, site.get(f"/api/flows/{order_id}").text,
            site.get(f"/api/flows/{reg['order_id']}").text, site.get(f"/flows/{order_id}").text,
            site.get(f"/flows/{reg['order_id']}").text, site.get(f"/flows/{order_id}.json").text,
            site.get("/api/flows").text]
    assert all(key not in text for text in seen)
    assert "[REDACTED:billingKey]" in site.get(f"/api/flows/{reg['order_id']}").text


def test_a_closed_or_failed_registration_registers_nothing(site):
    reg, answer = register(site, outcome="decline_invalid_card")
    page = site.get(path_of(answer["redirect_url"]))
    assert 'id="toss-no-card"' in page.text and "INVALID_CARD_NUMBER" in page.text
    assert order_json(site, reg["order_id"])["status"] == "failed"
    assert billing_keys(site) == []
    refused = site.post("/toss/billing/charge", data={"plan": "basic"})
    assert refused.status_code == 400 and "No card is registered" in refused.text


@pytest.fixture
def stranger(site):
    """Another browser session on the same site (its own cookies, customer key and CSRF token)."""
    from tests.conftest import Site
    other = Site(site.app, site.url)
    other.http.cookies.set("lang", "en")
    yield other
    other.http.close()


def test_another_buyer_can_neither_use_nor_cancel_someone_elses_card(site, stranger):
    reg, answer = register(site)
    # the stranger replays the victim's success URL (customerKey and authKey) in its own session
    replay = stranger.get(path_of(answer["redirect_url"]))
    assert replay.status_code == 404
    assert billing_keys(site) == []
    # the victim's own return still works; then the stranger tries to charge and cancel
    assert 'id="toss-card-number"' in site.get(path_of(answer["redirect_url"])).text
    order_id, _ = charge(site, "basic")
    theirs = stranger.post("/toss/billing/charge", data={"plan": "basic", "customer_key": reg["customer_key"]})
    assert theirs.status_code == 400 and "No card is registered" in theirs.text
    cancel = stranger.post(f"/toss/billing/charges/{order_id}/cancel", data={})
    assert cancel.status_code == 404
    assert order_json(site, order_id)["status"] == "paid"
    charged = driver.api(site, "GET", f"/v1/payments/orders/{order_id}", secret=API_SECRET).json()
    assert charged["status"] == "DONE"


def test_a_success_url_with_another_customer_key_is_refused(site):
    reg, answer = register(site)
    query = parse_qs(urlsplit(answer["redirect_url"]).query)
    forged = f"/toss/billing/success?reg={reg['order_id']}&customerKey=cust_other&authKey={query['authKey'][0]}"
    page = site.get(forged)
    assert page.status_code == 400 and "not this buyer" in page.text
    assert order_json(site, reg["order_id"])["status"] == "pending"
    assert billing_keys(site) == []


def test_bad_billing_input_gets_a_clear_4xx(site):
    assert site.post("/toss/billing/charge", data={"plan": "basic"}).status_code == 400
    registered(site)
    bad = site.post("/toss/billing/charge", data={"plan": "nope"})
    assert bad.status_code == 400 and "no such plan" in bad.text
    assert site.post("/toss/billing/charges/order-nope/cancel", data={}).status_code == 404
    assert site.get("/toss/billing/success?reg=nope&customerKey=x&authKey=y").status_code == 404


# --- the log, compare and walkthrough -------------------------------------------------------------------

def test_compare_of_a_v1_and_a_v2_toss_flow_says_what_differs_between_the_sdks(site):
    v1 = site.order("toss")
    v2 = site.order("toss", sdk="v2")
    for order in (v1, v2):
        done = pay_v2(site, order, driver.CLIENT_KEY, "widget")
        site.get(path_of(done["redirect_url"]))
    page = site.get(f"/flows/compare?a={v1['order_id']}&b={v2['order_id']}").text
    assert "updateAmount" in page and "setAmount({currency," in page and "widget secret key (test_gsk_)" in page
    mixed = site.get(f"/flows/compare?b={v2['order_id']}").text
    assert "setAmount({currency," not in mixed


def test_billing_steps_are_explained_with_toss_doc_links(site):
    reg = registered(site)
    page = site.get(f"/flows/{reg['order_id']}").text
    assert "exchanges the authKey for a billing key" in page
    assert "docs.tosspayments.com/reference#authkey" in page


def test_the_walkthrough_has_a_v2_path(site):
    page = site.get("/walkthrough?toss_sdk=v2").text
    assert 'id="toss2-panel"' in page and "wt-sdk-difference" in page and "widgets.setAmount" in page
    assert 'id="toss-panel"' in site.get("/walkthrough?toss_sdk=v1").text


def test_reconcile_confirms_a_payment_window_order_with_the_api_secret_after_a_restart(site):
    from tests.test_reconcile import reconcile, restarted
    order = site.order("toss", sdk="v2-payment", pay_method="CARD")
    done = pay_v2(site, order, API_CLIENT_KEY, "payment", method="CARD")   # /success never visited
    registration = site.post("/toss/billing/registrations", json={}).json()   # window never finished
    out = reconcile(restarted(site))
    assert f"{order['order_id']} (Toss Payments): Waiting for the payment → Paid and verified" in out
    assert driver.record(site, done["paymentKey"], secret=API_SECRET)["status"] == "DONE"
    [confirm] = named(steps_of(site, order["order_id"]), "toss.confirm")
    assert confirm["exchange"]["request"]["headers"]["Authorization"] == \
        "Basic [REDACTED:TOSS_API_SECRET_KEY:base64]"
    assert order_json(site, registration["order_id"])["status"] == "pending"   # young: left alone
    reconcile(restarted(site), "--abandon-after", "0")
    assert order_json(site, registration["order_id"])["status"] == "expired"


def test_live_mode_reads_the_api_pair_from_the_environment_and_treats_its_secret_as_one(tmp_path, monkeypatch):
    from app import create_app
    from shop import config, redact
    live = {"SHOP_DATABASE": str(tmp_path / "s.db"), "SECRET_KEY": "x", "MOUNT_EMULATOR": False, "TOSS_MODE": "live",
            "TOSS_CLIENT_KEY": "test_gck_live0000", "TOSS_SECRET_KEY": "test_gsk_live0000"}
    monkeypatch.setenv("TOSS_API_CLIENT_KEY", "test_ck_fromenv0000")
    monkeypatch.setenv("TOSS_API_SECRET_KEY", "test_sk_fromenv0000")
    app = create_app(live)
    assert (app.config["TOSS_API_CLIENT_KEY"], app.config["TOSS_API_SECRET_KEY"]) == \
        ("test_ck_fromenv0000", "test_sk_fromenv0000")
    with app.test_request_context():
        assert ("TOSS_API_SECRET_KEY", "test_sk_fromenv0000") in config.secret_values()
        assert redact.text("key test_sk_fromenv0000") == "key [REDACTED:TOSS_API_SECRET_KEY]"
    monkeypatch.delenv("TOSS_API_CLIENT_KEY")
    monkeypatch.delenv("TOSS_API_SECRET_KEY")
    without = create_app(dict(live, SHOP_DATABASE=str(tmp_path / "t.db")))   # optional in live mode
    page = without.test_client().get("/?toss_sdk=v2").get_data(as_text=True)
    assert 'data-api-client-key=""' in page and "https://js.tosspayments.com/v2/standard" in page
