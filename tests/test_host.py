"""Keys and calls go only where configured: the request's Host, an absolute request target or forwarding
headers never choose where the shop sends its PG keys or which URLs it hands to the PG."""
import re
import socket

import pytest
import requests

from app import create_app
from shop import steps, config, http, orders
from shop.db import get_db
from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver
from tests.drivers.receiver import Receiver


@pytest.fixture
def stranger():
    """The stranger's server: keeps every request it gets."""
    server = Receiver()
    yield server
    server.close()


def netloc(url):
    return url.split("/", 3)[2]


def raw_get(site, target):
    """GET with an absolute request target (the Host header names the site): (status, whole answer)."""
    host, port = netloc(site.url).split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {netloc(site.url)}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split()[1]), answer.decode(errors="replace")


def shop_order(site, order_id):
    with site.app.app_context():
        return dict(orders.get(order_id))


def test_an_unknown_host_is_a_400_and_changes_nothing(site):
    order = site.order("portone")
    paid = portone_driver.pay(site, order)
    forged = site.post("/payments/complete", json={"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"]},
                       headers={"Host": "evil.example"})
    assert forged.status_code == 400 and forged.json()["error"] == "BAD_REQUEST"
    page = site.get("/?lang=en", headers={"Host": "evil.example"})
    assert page.status_code == 400 and "Bad request" in page.text
    assert shop_order(site, order["order_id"])["status"] == "pending"


def test_a_host_naming_the_strangers_port_sends_nothing_there(site, stranger):
    """127.0.0.1 is a trusted name (the port is not checked): the Host still chooses nothing."""
    order = site.order("portone")
    paid = portone_driver.pay(site, order)
    done = site.post("/payments/complete", json={"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"]},
                     headers={"Host": netloc(stranger.origin)})
    assert done.status_code == 200 and done.json()["status"] == "paid"
    assert stranger.hits == []                               # no key, no token went to the stranger
    assert shop_order(site, order["order_id"])["pg_payment_id"] == paid["imp_uid"]
    toss = site.order("toss")
    page = site.get("/", headers={"Host": netloc(stranger.origin)}).text
    assert f'data-success-url="{site.url}/success"' in page
    got = toss_driver.pay(site, toss)
    assert site.get(got["redirect_url"].replace(site.url, ""), headers={"Host": netloc(stranger.origin)}).ok
    assert stranger.hits == [] and shop_order(site, toss["order_id"])["status"] == "paid"


def test_an_absolute_request_target_is_a_400(site, stranger):
    assert raw_get(site, "http://evil.example/")[0] == 400
    status, page = raw_get(site, stranger.origin + "/")      # a trusted name, the stranger's port
    assert status == 200 and f'data-notice-url="{site.url}/webhooks/portone"' in page
    assert stranger.hits == []


def test_forwarding_headers_choose_nothing(site, stranger):
    forwarded = {"X-Forwarded-Host": netloc(stranger.origin), "X-Forwarded-Proto": "https",
                 "Forwarded": f"host={netloc(stranger.origin)}"}
    page = site.get("/", headers=forwarded).text
    urls = re.findall(r'data-(?:notice|redirect|success|fail)-url="([^"]+)"', page)
    assert len(urls) == 4 and all(u.startswith(site.url + "/") for u in urls), urls
    assert re.search(rf'<script src="{re.escape(site.url)}/emulator/portone/v1/iamport\.js"', page)

    order = site.order("portone")
    paid = portone_driver.pay(site, order)
    done = site.post("/payments/complete", json={"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"]},
                     headers=forwarded)
    assert done.status_code == 200 and done.json()["status"] == "paid"
    assert stranger.hits == []                               # the read-back went to the configured emulator
    assert shop_order(site, order["order_id"])["pg_payment_id"] == paid["imp_uid"]


def test_a_pg_call_to_an_unconfigured_origin_is_refused_before_anything_is_sent(site, stranger):
    order = site.order("toss")
    with site.app.app_context():
        with pytest.raises(http.ForeignOrigin), steps.bound(steps.Flow(order["order_id"], "toss", "approve")):
            http.call("confirm", "POST", stranger.origin + "/v1/payments/confirm", summary="Confirm",
                      json_body={"secretKey": site.app.config["TOSS_SECRET_KEY"]},
                      headers={"Authorization": toss_driver.basic(site.app.config["TOSS_SECRET_KEY"])})
        step = get_db().execute("SELECT kind, verdict, summary, exchange FROM steps WHERE name = 'toss.confirm'"
                                ).fetchone()
        assert config.pg_origins() == {site.url}
    assert stranger.hits == []
    assert (step["kind"], step["verdict"]) == ("fault", "fail") and '"error": "refused"' in step["exchange"]
    page = site.get(f"/flows/{order['order_id']}?lang=en").text
    assert "not a configured PG" in page and site.app.config["TOSS_SECRET_KEY"] not in page


def test_a_redirect_from_the_pg_is_not_followed(site, stranger):
    """A 307 would resend the same body (the imp_secret) wherever it points."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response
    import threading

    def moved(environ, start_response):
        return Response("", 307, {"Location": stranger.origin + "/users/getToken"})(environ, start_response)
    server = make_server("127.0.0.1", 0, moved, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.app.config["EMULATOR_URL"] = f"http://127.0.0.1:{server.server_port}/emulator"
    try:
        with site.app.app_context():
            resp = http.call("get_token", "POST", config.api_base("portone") + "/users/getToken", summary="Token",
                             json_body={"imp_secret": site.app.config["PORTONE_IMP_SECRET"]})
    finally:
        server.shutdown()
    assert resp.status_code == 307 and stranger.hits == []


def test_allowed_hosts_are_served_and_urls_still_come_from_site_url(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "shop.example, .tunnel.example")
    app = create_app({"TESTING": True, "SHOP_DATABASE": str(tmp_path / "s.sqlite3"), "SECRET_KEY": "k",
                      "SITE_URL": "https://pay.example"}, emulator_config={
        "TESTING": True, "EMULATOR_DATABASE": str(tmp_path / "e.sqlite3")})
    client = app.test_client()
    assert app.config["TRUSTED_HOSTS"] == ["pay.example", "shop.example", ".tunnel.example"]
    for host in ("pay.example", "shop.example", "a.tunnel.example"):
        page = client.get("/", base_url=f"https://{host}").get_data(as_text=True)
        assert 'data-notice-url="https://pay.example/webhooks/portone"' in page, host
    assert client.get("/", base_url="https://evil.example").status_code == 400
    assert client.get("/", base_url="http://localhost").status_code == 400   # not a loopback SITE_URL


def test_the_lab_runs_against_site_url_not_the_host(site, stranger):
    resp = requests.post(site.url + "/lab/run/portone-replay", json={}, timeout=60,
                         headers={"X-CSRF-Token": site.csrf(), "Host": netloc(stranger.origin)},
                         cookies=site.http.cookies)
    assert resp.status_code == 200 and resp.json()["verdict"] == "held"
    assert stranger.hits == []                               # the lab's keys went to the configured emulator


def test_the_emulator_is_reached_directly_whatever_proxy_the_environment_names(site, stranger, monkeypatch):
    """The shop's calls to its emulator go straight to it: an HTTP(S)_PROXY in the environment (here a
    stranger's server) never receives them, nor the secret they carry."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, stranger.origin)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with site.app.app_context():
        resp = http.call("get_token", "POST", config.api_base("portone") + "/users/getToken", summary="Token",
                         json_body={"imp_key": site.app.config["PORTONE_IMP_KEY"],
                                    "imp_secret": site.app.config["PORTONE_IMP_SECRET"]})
    assert resp.status_code == 200 and resp.json()["response"]["access_token"]
    assert stranger.hits == []
