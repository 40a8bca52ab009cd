"""The IMP stand-in in real Chromium, on the emulator's own bare test page (the shop's page has its own tests)."""
import json
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from tests.drivers import portone as drv


def rsp_of(page):
    out = page.locator("#t-rsp")
    expect(out).not_to_be_empty()
    return json.loads(out.inner_text())


@pytest.mark.browser
def test_request_pay_opens_the_window_and_calls_back(page):
    page.goto(page.site.url + "/emulator/portone/sdk-test?lang=en")
    page.get_by_role("button", name="Pay").click()
    window = page.frame_locator("iframe.imp-emulator-window")
    expect(window.locator(".imp-amount")).to_have_text("KRW 1,000")
    window.get_by_role("button", name="Approve the payment").click()
    rsp = rsp_of(page)
    assert rsp["merchant_uid"].startswith("sdk-test-") and rsp["status"] == "paid" and "success" not in rsp
    expect(page.locator(".imp-emulator-modal")).to_have_count(0)
    assert drv.Api(page.site).payment(rsp["imp_uid"])["status"] == "paid"


@pytest.mark.browser
def test_a_string_amount_is_refused_without_a_window(page):
    page.goto(page.site.url + "/emulator/portone/sdk-test?lang=en")
    page.locator("#t-amount-as-text").check()
    page.get_by_role("button", name="Pay").click()
    rsp = rsp_of(page)
    assert rsp["imp_uid"] is None and rsp["error_code"] == "F400" and "amount" in rsp["error_msg"]
    expect(page.locator(".imp-emulator-modal")).to_have_count(0)


@pytest.mark.browser
def test_legacy_script_gives_the_1_2_0_rsp(page):
    page.goto(page.site.url + "/emulator/portone/sdk-test?sdk=1.2.0&lang=en")
    page.get_by_role("button", name="Pay").click()
    page.frame_locator("iframe.imp-emulator-window").get_by_role("button", name="Close the window").click()
    rsp = rsp_of(page)
    assert rsp["success"] is False and rsp["error_code"] == "F400" and rsp["status"] == "failed"
    assert rsp["error_msg"] == "[결제포기] 사용자가 결제를 취소하셨습니다" and rsp["custom_data"] == '{"from": "sdk-test"}'
    assert drv.Api(page.site).payment(rsp["imp_uid"])["status"] == "ready"      # PortOne keeps it ready


@pytest.mark.browser
def test_sdk_works_from_a_page_on_another_origin(page):
    """EMULATOR_URL on another host: the script finds the emulator from its own src (CORS, postMessage)."""
    emu = page.site.url + "/emulator/portone"
    html = f"""<!doctype html><meta charset="utf-8"><title>other shop</title>
<script src="{emu}/v1/iamport.js"></script><script src="{emu}/static/sdk-test.js" defer></script>
<form id="sdk-test" data-imp-code="imp00000000"><input id="t-merchant-uid"><input id="t-amount" value="2500">
<select id="t-pay-method"><option>card</option></select><input type="checkbox" id="t-amount-as-text">
<button type="submit">Pay</button></form><pre id="t-rsp"></pre>"""
    server = make_server("127.0.0.1", 0, Response(html, content_type="text/html"), threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        page.get_by_role("button", name="Pay").click()
        page.frame_locator("iframe.imp-emulator-window").get_by_role("button", name="Decline: invalid card").click()
        rsp = rsp_of(page)
        assert rsp["error_code"] == "F1002" and rsp["imp_uid"].startswith("imp_")
        assert drv.Api(page.site).payment(rsp["imp_uid"])["status"] == "failed"
    finally:
        server.shutdown()
