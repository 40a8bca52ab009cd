"""A page copied from PortOne's V1 guide (no jQuery) runs on the emulator in Chromium: with the script
address changed, and with the real CDN address kept and routed to the emulator."""
import json
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from tests.drivers import portone as drv

pytestmark = pytest.mark.browser

CDN = {"1.3.0": "https://cdn.iamport.kr/v1/iamport.js", "1.2.0": "https://cdn.iamport.kr/js/iamport.payment-1.2.0.js"}
EMULATOR_PATH = {"1.3.0": "/emulator/portone/v1/iamport.js", "1.2.0": "/emulator/portone/js/iamport.payment-1.2.0.js"}

# As PortOne's guide writes it (opi/ko/integration/start/v1/auth): IMP.init, a channelKey, a
# `payment-${crypto.randomUUID()}` order id, and `response.error_code != null` as the failure test.
GUIDE_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>주문하기</title>
<script src="%(script)s"></script></head>
<body>
<button type="button" id="pay" onclick="requestPay()">결제하기</button>
<p id="result"></p>
<script>
  IMP.init("imp00000000");
  function requestPay() {
    IMP.request_pay(
      {
        channelKey: "%(channel_key)s",
        pay_method: "card",
        merchant_uid: `payment-${crypto.randomUUID()}`,
        name: "노르웨이 회전 의자",
        amount: 64900,
        buyer_email: "gildong@gmail.com",
        buyer_name: "홍길동",
        buyer_tel: "010-4242-4242",
        buyer_addr: "서울특별시 강남구 신사동",
        buyer_postcode: "01181",
      },
      function (response) {
        if (response.error_code != null) {
          document.getElementById("result").textContent = "결제에 실패하였습니다. 에러 내용: " + response.error_msg;
          return;
        }
        document.getElementById("result").textContent = JSON.stringify(response);
      },
    );
  }
</script>
</body></html>"""


@pytest.fixture
def merchant_page(page):
    """Serves a page on its own origin (a merchant's site, not the emulator's); yields a function(html) -> URL."""
    servers = []

    def serve(html):
        server = make_server("127.0.0.1", 0, Response(html, content_type="text/html; charset=utf-8"), threaded=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/checkout"

    yield serve
    for server in servers:
        server.shutdown()


def channel_key(site, pg_provider):
    return next(c["channel_key"] for c in drv.Api(site).get("/users/pg").json()["response"]
                if c["pg_provider"] == pg_provider and c["type"] == "payment")


def pay_on(page, url, button="Approve the payment"):
    page.goto(url)
    page.get_by_role("button", name="결제하기").click()
    page.frame_locator("iframe.imp-emulator-window").get_by_role("button", name=button).click()
    result = page.locator("#result")
    expect(result).not_to_be_empty()
    expect(page.locator(".imp-emulator-modal")).to_have_count(0)
    return result.inner_text()


@pytest.mark.parametrize("sdk", ["1.3.0", "1.2.0"])
def test_guide_page_with_the_script_address_changed(page, merchant_page, sdk):
    site = page.site
    url = merchant_page(GUIDE_PAGE % {"script": site.url + EMULATOR_PATH[sdk],
                                      "channel_key": channel_key(site, "html5_inicis")})
    rsp = json.loads(pay_on(page, url))
    assert rsp["merchant_uid"].startswith("payment-") and len(rsp["merchant_uid"]) == 44
    assert ("success" in rsp) is (sdk == "1.2.0") and rsp["paid_amount"] == 64900
    p = drv.Api(site).payment(rsp["imp_uid"])
    assert p["status"] == "paid" and p["pg_id"] == "INIpayTest" and p["merchant_uid"] == rsp["merchant_uid"]


@pytest.mark.parametrize("sdk", ["1.3.0", "1.2.0"])
def test_guide_page_keeping_the_real_cdn_address_routed_to_the_emulator(page, merchant_page, sdk):
    site = page.site
    fetched = []

    def to_emulator(route):
        fetched.append(route.request.url)
        route.fulfill(response=route.fetch(url=site.url + EMULATOR_PATH[sdk]))

    page.route(CDN[sdk], to_emulator)
    url = merchant_page(GUIDE_PAGE % {"script": CDN[sdk], "channel_key": channel_key(site, "tosspayments")})
    rsp = json.loads(pay_on(page, url))
    assert fetched == [CDN[sdk]]
    if sdk == "1.3.0":            # (new) Toss Payments is one of the new PG modules: the ids only
        assert set(rsp) == {"imp_uid", "merchant_uid"}
    else:
        assert rsp["success"] is True and rsp["pg_provider"] == "tosspayments"
    p = drv.Api(site).payment(rsp["imp_uid"])
    assert p["status"] == "paid" and p["pg_provider"] == "tosspayments" and len(p["merchant_uid"]) == 44


def test_guide_page_on_the_real_cdn_address_reports_a_decline(page, merchant_page):
    site = page.site
    page.route(CDN["1.3.0"], lambda route: route.fulfill(response=route.fetch(url=site.url + EMULATOR_PATH["1.3.0"])))
    url = merchant_page(GUIDE_PAGE % {"script": CDN["1.3.0"], "channel_key": channel_key(site, "kcp")})
    text = pay_on(page, url, button="Decline: card company refused")
    assert text.startswith("결제에 실패하였습니다. 에러 내용: ") and "거절" in text
