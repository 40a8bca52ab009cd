"""The walkthrough's slides and the flows it follows, and the source pages its steps link to (/code/...)."""
import json
import os
import re
import shutil
from html import unescape

import pytest

from viewer import code
from shop.steps import PHASES
from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def config_of(page):
    m = re.search(r'<script type="application/json" id="walkthrough-config">(.*?)</script>', page, re.S)
    return json.loads(unescape(m.group(1)))


def text_of(html):
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def slide(page, slide_id):
    """The HTML of one slide: from its <li> to the next slide's."""
    parts = re.split(r'(?=<li class="wt-slide)', page)
    found = [p for p in parts if p.startswith(f'<li class="wt-slide') and f'id="{slide_id}"' in p.split(">", 1)[0]]
    assert len(found) == 1, slide_id
    return found[0]


def paid_portone(site):
    order = site.order("portone")
    got = portone_driver.pay(site, order)
    assert site.post("/payments/complete", json={"imp_uid": got["imp_uid"],
                                                 "merchant_uid": order["order_id"]}).status_code == 200
    return order


def paid_toss(site):
    order = site.order("toss")
    got = toss_driver.pay(site, order)
    assert site.http.get(got["redirect_url"], timeout=30).ok
    return order


# ---- the walkthrough ---------------------------------------------------------------------------

def test_slides_go_through_the_nine_phases_side_by_side(site):
    page = site.get("/walkthrough?lang=en").text
    ids = re.findall(r'<li class="wt-slide[^"]*" id="([^"]+)"', page)
    assert ids == ["slide-start", *[f"slide-{p}-{part}" for p in PHASES for part in ("before", "after")],
                   "slide-end"]
    leads = set()
    for number, phase in enumerate(PHASES, 1):
        before, after = slide(page, f"slide-{phase}-before"), slide(page, f"slide-{phase}-after")
        assert f"{number} / 9" in text_of(before) and "what is about to happen" in text_of(before)
        lead = re.search(r'<p class="wt-lead">(.*?)</p>', before, re.S).group(1)
        leads.add(lead)
        # two columns on the same phase row: what each PG does, then its recorded steps and what to notice
        assert re.findall(r'<section class="wt-column" data-pg="(\w+)"', before) == ["portone", "toss"]
        assert re.findall(r'<ol class="wt-steps" data-pg="(\w+)" data-phase="(\w+)"', after) == \
            [("portone", phase), ("toss", phase)]
        assert after.count('class="wt-notice"') == 2
    assert len(leads) == 9
    verify = text_of(slide(page, "slide-verify-after"))
    assert "Notice the amount check" in verify
    assert "Notice the confirm" in text_of(slide(page, "slide-approve-after"))
    assert "Notice the webhook" in text_of(slide(page, "slide-notify-after"))
    # the start slide embeds the real checkout panels and the product picker their scripts read
    start = slide(page, "slide-start")
    for element in ('id="product"', 'id="quantity"', 'id="portone-panel"', 'id="toss-panel"', 'id="portone-pay"',
                    'id="toss-pay"', 'data-customer-key='):
        assert element in start, element


def test_follows_this_browsers_newest_orders_since_it_started(site):
    before = site.order("portone")                       # made before the walkthrough: not followed
    first = site.get("/walkthrough?lang=en").text
    assert config_of(first)["flows"] == {"portone": None, "toss": None}
    portone_order, toss_order = paid_portone(site), paid_toss(site)
    cfg = config_of(site.get("/walkthrough").text)
    assert cfg["flows"] == {"portone": portone_order["order_id"], "toss": toss_order["order_id"]}
    assert before["order_id"] not in cfg["flows"].values()
    # the JSON the slides read has the steps of each phase, with the shop code that recorded them
    steps = site.get(cfg["flow_api"].replace("__ID__", toss_order["order_id"])).json()["steps"]
    assert {"toss.confirm", "toss.check_amount", "toss.check_total_amount"} <= {s["name"] for s in steps}
    assert all(s["phase"] in PHASES for s in steps)
    # another browser's orders are not this walkthrough's
    import requests
    other = requests.Session()
    page = other.get(site.url + "/walkthrough", timeout=10).text
    assert config_of(page)["flows"] == {"portone": None, "toss": None}


def test_named_flows_restart_and_leave(site):
    site.get("/walkthrough")
    p, t = site.order("portone"), site.order("toss")
    cfg = config_of(site.get(f"/walkthrough?portone={p['order_id']}&toss={t['order_id']}").text)
    assert cfg["flows"] == {"portone": p["order_id"], "toss": t["order_id"]}
    # a flow of the other PG (or none at all) is not taken for this column
    cfg = config_of(site.get(f"/walkthrough?portone={t['order_id']}&toss=nope").text)
    assert cfg["flows"] == {"portone": p["order_id"], "toss": t["order_id"]}
    # while the walkthrough runs, other pages offer the way back to it
    result = site.get(f"/orders/{p['order_id']}?lang=en").text
    assert 'id="wt-resume"' in result and "Continue the walkthrough" in result
    assert site.post("/walkthrough/restart", data={}, allow_redirects=False).status_code == 302
    assert config_of(site.get("/walkthrough").text)["flows"] == {"portone": None, "toss": None}
    assert site.post("/walkthrough/end", data={}, allow_redirects=False).status_code == 302
    assert 'id="wt-resume"' not in site.get(f"/orders/{p['order_id']}").text


def test_restart_needs_the_csrf_token(site):
    assert site.post("/walkthrough/restart", data={}, csrf=False).status_code == 403


# ---- the source pages --------------------------------------------------------------------------

def test_every_step_links_to_the_line_and_function_that_recorded_it(site):
    orders = [paid_portone(site), paid_toss(site)]
    refs = {s["code_ref"] for o in orders for s in site.get(f"/api/flows/{o['order_id']}").json()["steps"]}
    shop_refs = sorted(r for r in refs if r and r.startswith("shop/"))
    assert len(shop_refs) >= 8
    for ref in shop_refs:
        path, line, func = re.fullmatch(r"(shop/[\w/]+\.py):(\d+) (\w+)", ref).groups()
        page = site.get(f"/code/{path}?fn={func}&lang=en").text
        m = re.search(rf'<span class="line( in-fn)?" id="L{line}">', page)
        assert m and m.group(1), f"{ref}: line {line} is not inside the highlighted function {func}"
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            source_line = f.read().split("\n")[int(line) - 1]
        shown = re.search(rf'id="L{line}">.*?</a>(.*?)\n</span>', page, re.S).group(1)
        assert unescape(shown) == source_line
    # the flow page links each step to its line too
    flow = site.get(f"/flows/{orders[1]['order_id']}").text
    assert re.search(r'<a class="code-link" href="/code/shop/toss/[a-z]+\.py\?fn=\w+#L\d+">', flow)


@pytest.mark.parametrize("path", [
    "/code/shop/../app.py", "/code/shop/%2e%2e/app.py", "/code/app.py", "/code/.env", "/code/shop/.env",
    "/code/instance/secret_key", "/code/shop/__pycache__/views.cpython-311.pyc", "/code/shop//views.py",
    "/code/shop/schema", "/code/templates/base.html", "/code/%2Fetc/passwd", "/code/shop/portone",
])
def test_only_shop_source_files_are_shown(site, path):
    resp = site.get(path)
    assert resp.status_code == 404
    assert "import " not in resp.text and "SECRET" not in resp.text


def test_a_symlink_out_of_shop_is_refused(tmp_path, monkeypatch):
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "ok.py").write_text("x = 1\n")
    (tmp_path / "outside.py").write_text("SECRET = 'x'\n")
    os.symlink(tmp_path / "outside.py", shop / "leak.py")
    monkeypatch.setattr(code, "ROOT", str(tmp_path))
    monkeypatch.setattr(code, "SHOP", str(shop))
    assert code.resolve("shop/ok.py") == str(shop / "ok.py")
    assert code.resolve("shop/leak.py") is None


def test_configured_secrets_never_show_in_source(site):
    page = site.get("/code/shop/toss/__init__.py").text + site.get("/code/shop/portone/__init__.py").text
    for key in ("TOSS_SECRET_KEY", "PORTONE_IMP_SECRET", "PORTONE_IMP_KEY"):
        value = site.app.config[key]
        assert value not in page
    assert "[REDACTED:TOSS_SECRET_KEY]" in page
    assert "emulator_keys" in page   # the rest of the file is there


def test_integrations_side_by_side_are_read_from_disk_at_request_time(site, tmp_path, monkeypatch):
    page = site.get("/code/compare?lang=en").text
    for role in ("client", "verify", "views"):
        section = re.search(rf'<section class="code-role" id="role-{role}".*?</section>\s*(?=<section class="code-role"|</section>)',
                            page, re.S).group(0)
        assert re.findall(r'<div class="code-column" data-pg="(\w+)"', section) == ["portone", "portone_v2", "toss"]
        for pg in ("portone", "portone_v2", "toss"):
            with open(os.path.join(ROOT, "shop", pg, f"{role}.py"), encoding="utf-8") as f:
                first_def = re.search(r"^def (\w+)", f.read(), re.M).group(1)
            assert f'id="{pg}-{role}-L1"' in section and f"def {first_def}(" in unescape(section)
    # change a file: the next request shows the change (nothing is cached)
    copy = tmp_path / "shop"
    shutil.copytree(os.path.join(ROOT, "shop"), copy)
    monkeypatch.setattr(code, "ROOT", str(tmp_path))
    monkeypatch.setattr(code, "SHOP", str(copy))
    with open(copy / "toss" / "verify.py", "a", encoding="utf-8") as f:
        f.write("\n\ndef added_just_now():\n    return 'fresh'\n")
    assert "added_just_now" in site.get("/code/compare").text


def test_the_portone_column_follows_v2_when_chosen(site):
    page = site.get("/walkthrough?lang=en&portone=v2").text
    assert config_of(page)["pgs"] == ["portone_v2", "toss"] and config_of(page)["flows"] == {
        "portone_v2": None, "toss": None}
    assert 'id="portone-v2-panel"' in page and 'id="portone-panel"' not in page
    assert "The Promise resolves with paymentId" in text_of(slide(page, "slide-return-before"))
    made = site.post("/portone-v2/orders", json={"product_id": "shoes", "pay_method": "CARD"}).json()
    again = config_of(site.get("/walkthrough?lang=en").text)   # the choice is remembered
    assert again["flows"] == {"portone_v2": made["order_id"], "toss": None}
    assert config_of(site.get("/walkthrough?lang=en&portone=v1").text)["pgs"] == ["portone", "toss"]
