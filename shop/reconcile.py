"""Reconciliation: asks the PG about every unsettled order and settles it (`flask reconcile`, POST /flows/reconcile).

An order stays open when the shop never learnt the outcome: the buyer's browser died before the
callback or /success, a webhook never came, the PG's answer was lost, or the shop restarted in
the middle of a flow. Reconcile asks the PG by order id and settles each order through the same
functions the routes use (shop.portone.views / shop.toss.views); each action is a step of that
order's flow. It also retries the cancel of a forged payment whose cancel did not go through.
Running it while requests are in flight is safe: the status changes once (orders.transition)
and a Toss confirm carries the Idempotency-Key /success uses.
"""
from dataclasses import dataclass

import click
from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from . import config, orders
from . import views as shop_views
from .orders import Status
from .portone import views as portone
from .toss import views as toss

bp = Blueprint("reconcile", __name__, cli_group=None)

PGS = {"portone": portone, "toss": toss}
ABANDON_AFTER_S = 30 * 60   # Toss expires an unfinished window after 30 minutes; PortOne gets the same


@dataclass(frozen=True)
class Result:
    order_id: str
    pg: str
    before: str
    after: str
    left: str | None     # None: acted; 'no_answer': the PG gave no usable answer; 'waiting': nothing to do yet
    action: str = "settle"   # or 'cancel': a forged payment's cancel retried

    @property
    def settled(self):
        return self.left is None and (self.after != self.before or self.action == "cancel")


def run(pg=None, older_than=0.0, abandon_after=ABANDON_AFTER_S):
    """Reconcile every open order (and every forged order whose cancel is pending). Returns [Result]."""
    # Forged orders first, so a cancel that fails in this very run is retried by the next run, not at once.
    forged = [o for o in orders.open_orders(pg, older_than, statuses=(Status.FORGED,))
              if PGS[o["pg"]].needs_cancel(o)]
    results = [_one(order, "cancel", lambda o: PGS[o["pg"]].retry_cancel(o)) for order in forged]
    for order in orders.open_orders(pg, older_than):
        results.append(_one(order, "settle", lambda o: PGS[o["pg"]].reconcile(o, abandon_after)))
    return results


def _one(order, action, act):
    try:
        left = act(order)
    except Exception:   # one order's surprise must not stop the others; it stays as it was
        current_app.logger.exception("reconcile: order %s failed", order["id"])
        left = "error"
    return Result(order["id"], order["pg"], order["status"], orders.get(order["id"])["status"], left, action)


def summary(results):
    """One line: how many open orders were checked, settled (by outcome) and left open; and the cancels
    of forged payments that were retried."""
    checked = [r for r in results if r.action == "settle"]
    settled = [r for r in checked if r.settled]
    by_status = {}
    for r in settled:
        by_status[r.after] = by_status.get(r.after, 0) + 1
    how = ", ".join(f"{_status_word(s)}: {n}" for s, n in sorted(by_status.items()))
    text = _("Checked %(checked)s orders: %(settled)s settled%(how)s, %(open)s left as they were.",
             checked=len(checked), settled=len(settled), how=f" ({how})" if how else "",
             open=len(checked) - len(settled))
    cancels = [r for r in results if r.action == "cancel"]
    if cancels:
        done = len([r for r in cancels if r.settled])
        text += " " + _("Cancels of forged payments retried: %(done)s done, %(pending)s still pending.",
                        done=done, pending=len(cancels) - done)
    return text


def line(r):
    """One line per order for the report."""
    pg = "PortOne" if r.pg == "portone" else "Toss Payments"
    if r.action == "cancel":
        what = (_("the forged payment is now cancelled at the PG") if r.settled
                else _("the cancel at the PG has still not gone through"))
    elif r.settled:
        what = _("%(before)s → %(after)s", before=_status_word(r.before), after=_status_word(r.after))
    elif r.left == "no_answer":
        what = _("left %(status)s: the PG gave no usable answer", status=_status_word(r.after))
    elif r.left == "error":
        what = _("left %(status)s: the shop hit an error (see its log)", status=_status_word(r.after))
    else:
        what = _("left %(status)s: nothing to settle yet", status=_status_word(r.after))
    return f"{r.order_id} ({pg}): {what}"


def _status_word(status):
    return str(shop_views.status_title(status))


@bp.cli.command("reconcile")
@click.option("--pg", type=click.Choice(config.PROVIDERS), help="Only this PG's orders.")
@click.option("--older-than", type=float, default=0.0, show_default=True,
              help="Only orders not updated for this many seconds (leave flows in progress alone).")
@click.option("--abandon-after", type=float, default=ABANDON_AFTER_S, show_default=True,
              help="An order the PG has no payment for is marked failed once it is this many seconds old.")
@click.option("--lang", default=None, help="Language of the report (default: the site's default language). "
              "Reasons and steps are stored as messages, shown later in each reader's language.")
def reconcile_command(pg, older_than, abandon_after, lang):
    """Ask the PG about every pending or unknown order and settle it."""
    with force_locale(lang or current_app.config.get("BABEL_DEFAULT_LOCALE", "ko")):
        results = run(pg, older_than, abandon_after)
        for r in results:
            click.echo(line(r))
        click.echo(summary(results))


@bp.post("/flows/reconcile")
def reconcile_now():
    """The button on /flows: reconcile every open order now, then show what happened."""
    results = run()
    flash(summary(results), "reconcile")
    for r in results:
        flash(line(r), "reconcile-item")
    return redirect(url_for("flows.flow_list"), 303)
