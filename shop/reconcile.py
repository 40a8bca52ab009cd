"""Reconciliation and audit: `flask reconcile` (and POST /flows/reconcile) asks the PG about every order and
settles it; `flask audit` compares every order with the PG's records and prints each breach of the money
invariant.

An order stays open when the shop never learnt the outcome: the buyer's browser died before the callback
or /success, a webhook never came, the PG's answer was lost, or the shop restarted in the middle of a
flow. And a payment can reach the PG for an order the shop already settled or gave up on. Reconcile asks
the PG by order id about orders of every status and settles each through the same functions the routes
use (each provider's flow.py); each action is a step of that order's flow. It also retries every cancel
the shop still owes (shop.settle). Running it while requests are in flight is safe: the status changes
once (orders.transition) and a Toss confirm carries the Idempotency-Key /success uses.
"""
import time
from dataclasses import dataclass

import click
from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from i18n import msg

from . import orders, providers, settle, steps
from . import views as shop_views
from .http import PGError

bp = Blueprint("reconcile", __name__, cli_group=None)

ABANDON_AFTER_S = 30 * 60   # Toss expires an unfinished window after 30 minutes; PortOne gets the same
LOOK_BACK_DAYS = 30         # orders older than this are left alone (their PG records are settled long since)


@dataclass(frozen=True)
class Result:
    order_id: str
    pg: str
    before: str
    after: str
    left: str | None     # None: acted; 'no_answer': the PG gave no usable answer; 'waiting': nothing to do yet
    action: str = "settle"   # or 'cancel': a cancel the shop owes, retried

    @property
    def settled(self):
        return self.left is None and self.after != self.before


def run(pg=None, older_than=0.0, abandon_after=ABANDON_AFTER_S, days=LOOK_BACK_DAYS, statuses=tuple(orders.Status)):
    """Retry every cancel the shop owes, then reconcile every order of the last `days` days in `statuses` (by
    default any: a late or second payment may reach the PG for a settled or given-up order). Returns [Result]."""
    results = []
    for row in orders.cancels(states=("pending",)):
        if pg in (None, row["pg"]):
            order = orders.get(row["order_id"])
            results.append(_one(order, "cancel", lambda o, pid=row["payment_id"], p=row["pg"]: _retry(o, p, pid)))
    since = time.time() - days * 86400
    for order in orders.open_orders(pg, older_than, statuses=statuses, since=since):
        results.append(_one(order, "settle", lambda o: providers.get(o["pg"]).flow.reconcile(o, abandon_after)))
    return results


def _retry(order, pg, payment_id):
    flow = steps.Flow(order["id"], pg)
    flow.record("reconcile", msg("Reconcile: the cancel of payment %(payment_id)s did not go through before; "
                                 "trying again", payment_id=payment_id), phase="settle", to=pg)
    with steps.bound(flow):
        done = settle.retry_cancel(flow, payment_id, providers.get(pg).flow.cancel)
    return None if done else "no_answer"


def _one(order, action, act):
    try:
        left = act(order)
    except Exception:   # one order's surprise must not stop the others; it stays as it was
        current_app.logger.exception("reconcile: order %s failed", order["id"])
        left = "error"
    return Result(order["id"], order["pg"], order["status"], orders.get(order["id"])["status"], left, action)


def audit(pg=None, days=LOOK_BACK_DAYS):
    """Every breach of the money invariant among the orders of the last `days` days, as plain lines.

    A breach: the PG holds money (or awaits a deposit) for one of the shop's orders under a payment that
    is not the one that settled it, and the shop has not cancelled it (nor asked a person to, for a
    virtual account); or the shop shows an order paid that the PG does not hold that money for.
    """
    breaches = []
    since = time.time() - days * 86400
    for order in orders.open_orders(pg, 0, statuses=tuple(orders.Status), since=since):
        try:
            held = providers.get(order["pg"]).flow.holdings(order)
        except PGError as e:
            breaches.append(f"{order['id']}: the PG could not be asked ({type(e).__name__}); audit again")
            continue
        breaches += _breaches(order, held)
    return breaches


def _breaches(order, held):
    status, kept = order["status"], order["pg_payment_id"]
    owed = {r["payment_id"]: r["state"] for r in orders.cancels(order["id"])}
    out = []
    for payment_id, amount, kind in held:
        if payment_id == kept and status in (*orders.SETTLED, orders.Status.AWAITING_DEPOSIT):
            expected = order["amount"] - (order["refunded"] or 0)
            if kind == "paid" and status == orders.Status.AWAITING_DEPOSIT:
                out.append(f"{order['id']}: {payment_id} is paid at the PG but the shop still awaits the deposit")
            elif amount != expected and kind == "paid":
                out.append(f"{order['id']}: the PG holds {amount} for {payment_id}, the shop expects {expected}")
            continue
        if owed.get(payment_id) == "refund_account":
            continue   # a virtual account: a person was asked (a recorded step) to refund it
        out.append(f"{order['id']} ({status}): the PG holds {amount} ({kind}) for {payment_id}, which the shop "
                   f"neither kept nor cancelled")
    if status in (orders.Status.PAID, orders.Status.PARTIALLY_REFUNDED) and not any(
            p == kept and k == "paid" for p, _a, k in held):
        out.append(f"{order['id']}: the shop shows {status} by {kept}, but the PG holds no such payment")
    return out


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
        done = len([r for r in cancels if r.left is None])
        text += " " + _("Cancels of payments the shop does not keep, retried: %(done)s done, %(pending)s still "
                        "pending.", done=done, pending=len(cancels) - done)
    return text


def line(r):
    """One line per order for the report."""
    pg = providers.get(r.pg).title
    if r.action == "cancel":
        what = (_("the payment the shop does not keep is now cancelled at the PG") if r.left is None
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
@click.option("--pg", type=click.Choice(providers.ids()), help="Only this PG's orders.")
@click.option("--older-than", type=float, default=0.0, show_default=True,
              help="Only orders not updated for this many seconds (leave flows in progress alone).")
@click.option("--abandon-after", type=float, default=ABANDON_AFTER_S, show_default=True,
              help="A payable order the PG has no completed payment for is given up (expired) once it is this many "
              "seconds old.")
@click.option("--days", type=float, default=LOOK_BACK_DAYS, show_default=True,
              help="Look at orders created in the last this many days (any status).")
@click.option("--lang", default=None, help="Language of the report (default: the site's default language). "
              "Reasons and steps are stored as messages, shown later in each reader's language.")
def reconcile_command(pg, older_than, abandon_after, days, lang):
    """Ask the PG about every order and settle it; retry the cancels the shop owes."""
    with force_locale(lang or current_app.config.get("BABEL_DEFAULT_LOCALE", "ko")):
        results = run(pg, older_than, abandon_after, days)
        for r in results:
            click.echo(line(r))
        click.echo(summary(results))


@bp.cli.command("audit")
@click.option("--pg", type=click.Choice(providers.ids()), help="Only this PG's orders.")
@click.option("--days", type=float, default=LOOK_BACK_DAYS, show_default=True,
              help="Look at orders created in the last this many days.")
def audit_command(pg, days):
    """Compare every order with the PG's records; print each breach of the money invariant (exit 1 if any)."""
    breaches = audit(pg, days)
    for line_ in breaches:
        click.echo(line_)
    click.echo(f"{len(breaches)} breach(es) of the money invariant.")
    if breaches:
        raise SystemExit(1)


@bp.post("/flows/reconcile")
def reconcile_now():
    """The button on /flows: reconcile the orders that can still be paid, and the cancels the shop owes, now;
    then show what happened. (Anyone may press it: settled orders are left to `flask reconcile`, so a press
    costs one PG call per open order, and adds nothing to a settled order's log.)"""
    results = run(abandon_after=current_app.config.get("RECONCILE_ABANDON_AFTER_S", ABANDON_AFTER_S),
                  statuses=orders.PAYABLE)
    flash(summary(results), "reconcile")
    for r in results:
        flash(line(r), "reconcile-item")
    return redirect(url_for("flows.flow_list"), 303)
