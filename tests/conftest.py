"""Test fixtures: a fresh site per test (temporary databases), served for real on 127.0.0.1."""
import os
import re
import threading

import pytest
import requests
from werkzeug.serving import make_server

from app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def app(tmp_path):
    app = create_app({
        "TESTING": True,
        "SHOP_DATABASE": str(tmp_path / "shop.sqlite3"),
        "SECRET_KEY": "test-secret-key",
    }, emulator_config={
        "TESTING": True,
        "EMULATOR_DATABASE": str(tmp_path / "emulator.sqlite3"),
    })
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


class Site:
    """The site served on an ephemeral loopback port, with a browser-like HTTP session."""

    def __init__(self, app, url):
        self.app, self.url = app, url
        self.http = requests.Session()
        self._csrf = None

    @property
    def emulator(self):
        return self.app.extensions["emulator"]

    def csrf(self):
        if self._csrf is None:
            page = self.http.get(self.url + "/").text
            self._csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        return self._csrf

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.get(self.url + path, **kw)

    def post(self, path, json=None, data=None, csrf=True, **kw):
        headers = kw.pop("headers", {})
        if csrf:
            headers["X-CSRF-Token"] = self.csrf()
        kw.setdefault("timeout", 30)
        return self.http.post(self.url + path, json=json, data=data, headers=headers, **kw)

    def order(self, pg, product_id="shoes", quantity=1, coupons=(), **fields):
        """Create an order as the checkout page does; returns the JSON answer."""
        resp = self.post("/api/orders", json={"pg": pg, "product_id": product_id, "quantity": quantity,
                                              "coupons": list(coupons), **fields})
        assert resp.status_code == 201, resp.text
        return resp.json()

    def advance_clock(self, seconds):
        resp = self.http.post(self.url + "/emulator/clock", json={"advance": seconds}, timeout=10)
        assert resp.ok, resp.text


@pytest.fixture
def site(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["SITE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Site(app, url)
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=15000)   # on a busy 2-core machine a window can take more than the default 5 s
    with sync_playwright() as pw:
        kwargs = {"headless": True, "args": CHROMIUM_ARGS}
        if os.path.exists(CHROMIUM):
            kwargs["executable_path"] = CHROMIUM
        b = pw.chromium.launch(**kwargs)
        yield b
        b.close()


@pytest.fixture
def page(browser, site):
    """A fresh browser tab (own cookies) whose console errors fail the test at teardown."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(15000)
    p = context.new_page()
    errors = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and
         "Content Security Policy" in msg.text else None)
    p.site = site
    yield p
    context.close()
    assert not errors, f"the page reported errors: {errors}"
