"""The money invariant, checked the way `flask audit` checks it: after a randomized storm of the lab's
attacks and one `flask reconcile`, no PG holds money for one of the shop's orders under a payment the
shop neither kept nor cancelled, and no order is paid without the PG holding its money."""
import random

import pytest

from lab.attacks import ATTACKS
from shop import orders
from tests.drivers import portone as portone_driver

pytestmark = pytest.mark.slow

STORM = 14   # attacks per run, drawn with repetition from the lab's list


def cli(site, *args):
    return site.app.test_cli_runner().invoke(args=list(args))


def attack(site, name):
    site.app.config["LAB_SETTLE_S"] = 0.5
    resp = site.post(f"/lab/run/{name}?lang=en", json={})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_storm_of_the_labs_attacks_leaves_no_breach_for_the_audit(site):
    site.app.config["RECONCILE_ABANDON_AFTER_S"] = 0
    drawn = random.Random(20261129).choices(sorted(ATTACKS), k=STORM)
    verdicts = [(name, attack(site, name)["verdict"]) for name in drawn]     # every run, repeats included
    assert [v for _, v in verdicts] == ["held"] * STORM, verdicts
    reconciled = cli(site, "reconcile", "--abandon-after", "0", "--lang", "en")
    assert reconciled.exit_code == 0, reconciled.output
    audited = cli(site, "audit")
    assert audited.exit_code == 0, audited.output
    assert audited.output.strip().endswith("0 breach(es) of the money invariant.")


def test_the_audit_names_a_payment_the_shop_neither_kept_nor_cancelled_until_reconcile_cancels_it(site):
    # PortOne takes another payment for a paid order once the first was refunded behind the shop's back
    # (no webhook told the shop): the shop still shows the order paid by the refunded payment.
    p_order = site.order("portone")
    paid = portone_driver.pay(site, p_order)
    assert site.post("/payments/complete", json={"imp_uid": paid["imp_uid"],
                                                 "merchant_uid": p_order["order_id"]}).json()["status"] == "paid"
    api = portone_driver.Api(site)
    assert api.post("/payments/cancel", json={"imp_uid": paid["imp_uid"]}).json()["code"] == 0   # refunded...
    again = portone_driver.pay(site, p_order)                                                     # ...paid again
    assert api.payment(again["imp_uid"])["status"] == "paid"

    audited = cli(site, "audit")
    assert audited.exit_code == 1
    assert again["imp_uid"] in audited.output and p_order["order_id"] in audited.output
    assert "2 breach(es)" in audited.output         # the refunded payment it shows, and the one it never saw

    assert cli(site, "reconcile", "--lang", "en").exit_code == 0
    assert api.payment(again["imp_uid"])["status"] == "cancelled"           # the shop cancelled what it did not keep
    with site.app.app_context():
        [owed] = orders.cancels(p_order["order_id"])
        assert (owed["payment_id"], owed["state"]) == (again["imp_uid"], "done")
    assert cli(site, "audit").exit_code == 0
