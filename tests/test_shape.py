"""The provider shape: every registered provider is one package with the same roles, its steps carry its
prefix, both PGs' webhook read-backs fall in the same phase, and a step's file:line is the decision."""
import importlib

import pytest
import requests

from shop import providers
from tests.drivers import portone as portone_driver
from tests.drivers import toss as toss_driver
from tests.drivers.emulator import until


@pytest.mark.parametrize("provider", providers.all(), ids=lambda p: p.id)
def test_a_provider_is_one_package_with_the_same_roles(provider):
    for role in ("client", "verify", "flow", "views"):
        importlib.import_module(f"shop.{provider.id}.{role}")
    flow = provider.flow
    assert all(callable(getattr(flow, name, None)) for name in ("reconcile", "cancel", "holdings"))
    assert provider.live_api.startswith("https://") and provider.live_sdk.startswith("https://")
    assert set(provider.live_keys) <= set(provider.emulator_keys)          # every live key has an emulator value
    assert set(provider.secret_keys) <= {*provider.emulator_keys, *provider.extra.get("settings", {})}


def flow_steps(site, order_id):
    return site.get(f"/api/flows/{order_id}/steps").json()["steps"]


def test_both_pgs_read_back_after_a_webhook_in_the_notify_phase(site):
    p_order = site.order("portone")
    paid = portone_driver.pay(site, p_order, notice_url=site.url + "/webhooks/portone")
    assert until(lambda: any(s["name"] == "portone.status" for s in flow_steps(site, p_order["order_id"])))

    t_order = site.order("toss")
    got = toss_driver.pay(site, t_order)
    toss_driver.confirm(site, got["paymentKey"], t_order)             # confirmed elsewhere; the webhook tells
    hook = requests.post(site.url + "/webhooks/toss", timeout=10, json={
        "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2026-01-01T12:00:00.000000",
        "data": {"paymentKey": got["paymentKey"], "orderId": t_order["order_id"], "status": "DONE"}})
    assert hook.status_code == 200

    read = {}
    for pg, order_id in (("portone", p_order["order_id"]), ("toss", t_order["order_id"])):
        steps = flow_steps(site, order_id)
        webhook_at = next(i for i, s in enumerate(steps) if s["name"] == f"{pg}.webhook")
        read[pg] = next(s for s in steps[webhook_at:] if s["name"] == f"{pg}.get_payment")
        assert all(s["name"].startswith(pg + ".") for s in steps)      # one prefix per flow, no 'shop.' steps
    assert read["portone"]["phase"] == read["toss"]["phase"] == "notify"
    assert paid["imp_uid"] in read["portone"]["exchange"]["request"]["url"]


def test_a_status_step_names_the_decision_not_a_helper(site):
    order = site.order("portone")
    paid = portone_driver.pay(site, order)
    site.post("/payments/complete", json={"imp_uid": paid["imp_uid"], "merchant_uid": order["order_id"]})
    steps = flow_steps(site, order["order_id"])
    [status] = [s for s in steps if s["name"] == "portone.status"]
    [read] = [s for s in steps if s["name"] == "portone.get_payment"]
    assert status["code_ref"].startswith("shop/settle.py:") and " move" not in status["code_ref"]
    assert read["code_ref"].startswith("shop/portone/flow.py:")        # not the client that carried it out
