"""What a PG's record of a payment does to an order: one vocabulary of checks and outcomes for every
provider, one table from outcome to order transition, and the cancels that keep the money invariant.

The money invariant: every payment the PG holds money for under one of the shop's order ids is either
the one payment that settled that order, or the shop cancels it (and keeps trying until it is done).
A provider's verify.py turns its PG's record into a Verdict; apply() is the only place that acts on it.
"""
import time
from dataclasses import dataclass, field
from enum import StrEnum

from i18n import msg

from . import orders
from .http import PGError, trouble
from .orders import Status
from .steps import helper


@dataclass(frozen=True)
class Check:
    """One comparison the shop made: its name (the step name without the provider), whether it passed,
    one plain line (an i18n.msg()), and the two values compared."""
    name: str
    ok: bool
    summary: str
    expected: object = None
    actual: object = None


class Outcome(StrEnum):
    PAID = "paid"                          # the money is in and every check passed
    AWAITING_DEPOSIT = "awaiting_deposit"  # a virtual account was issued; the money comes later
    OPEN = "open"                          # not finished at the PG (window open, not confirmed): nothing yet
    DECLINED = "declined"                  # failed, aborted or expired at the PG: no money moved
    REFUNDED = "refunded"                  # paid, then cancelled at the PG in part or in full
    MISMATCH = "mismatch"                  # this order's payment, but it does not match: refuse it
    NOT_OURS = "not_ours"                  # the record is another order's: touch nothing


@dataclass(frozen=True)
class Verdict:
    """A PG's record of one payment, judged against one order (by the provider's verify.py)."""
    outcome: Outcome
    checks: tuple
    payment_id: str
    reason: str                    # the order's reason if this record settles it (an i18n.msg())
    holds_money: bool = False      # the PG holds (or awaits) money for it now
    refunded: int = 0              # won cancelled at the PG so far
    fields: dict = field(default_factory=dict)   # what the order keeps when it settles (vbank, pg_secret)


@dataclass
class Answer:
    """What a request learnt: the order as it is now, and the answer for whoever asked (a flow's return)."""
    order: object
    http_status: int = 200
    error: str = None
    message: str = ""      # a stored i18n.msg() (rendered when answered)


FREE = (Status.PENDING, Status.UNKNOWN, Status.FAILED, Status.FORGED)   # payable, holding no payment

# outcome -> (the statuses it may move an order from, the status it moves it to). Besides this table:
# a payment that holds money but is not the one the order keeps is cancelled (apply()).
TABLE = {
    Outcome.PAID: ((*FREE, Status.AWAITING_DEPOSIT), Status.PAID),
    Outcome.AWAITING_DEPOSIT: (FREE, Status.AWAITING_DEPOSIT),
    Outcome.DECLINED: (FREE, Status.FAILED),
    Outcome.MISMATCH: (FREE, Status.FORGED),
}


def apply(flow, order, verdict, cancel):
    """Settle `order` from one PG record: one transition at most, and a cancel of a payment it does not keep.

    cancel(flow, payment_id) cancels a payment at the PG and returns 'done' or 'refund_account' (a virtual
    account already paid into: a person must get the buyer's refund account); it raises PGError when the
    PG gave no usable answer. Returns the order as it is afterwards.
    """
    with flow.at("settle"):
        for _ in range(3):   # a transition lost to a concurrent request: look again at what won
            order = orders.get(order["id"])
            done = _apply_once(flow, order, verdict, cancel)
            if done:
                break
    return orders.get(order["id"])


def _apply_once(flow, order, v, cancel):
    """One attempt; False when a concurrent request changed the order first."""
    status, mine = order["status"], order["pg_payment_id"] == v.payment_id
    if v.outcome == Outcome.NOT_OURS:
        flow.record("not_ours", msg("The PG's record is another order's: nothing changes"), verdict="fail")
        return True
    if v.outcome == Outcome.OPEN:
        flow.record("nothing_yet", msg("The PG has not finished this payment: nothing to settle yet"))
        return True
    if v.outcome == Outcome.REFUNDED and (mine or status in FREE or status == Status.AWAITING_DEPOSIT):
        return _refunded(flow, order, v, cancel)
    if v.outcome == Outcome.MISMATCH:
        return _mismatch(flow, order, v, cancel)
    if v.outcome == Outcome.DECLINED:
        return _declined(flow, order, v)
    # PAID, AWAITING_DEPOSIT, or a refunded payment of an order settled by another one.
    if mine and status in (*orders.SETTLED, Status.AWAITING_DEPOSIT) and \
            not (status == Status.AWAITING_DEPOSIT and v.outcome == Outcome.PAID):
        flow.record("already_settled", msg("No change: this payment already settled the order (%(status)s)",
                                           status=status))
        return True
    sources, target = TABLE.get(v.outcome, ((), None))
    if status in sources and not (status == Status.AWAITING_DEPOSIT and v.outcome != Outcome.PAID):
        before = order["pg_payment_id"] if status == Status.AWAITING_DEPOSIT and not mine else None
        if not move(flow, order, (status,), target, v.reason, pg_payment_id=v.payment_id, **v.fields):
            return False
        if before:   # a virtual account was waiting; another payment settled the order first
            refuse(flow, order, before, msg("another payment of this order settled it first"), cancel)
        return True
    if v.holds_money:
        why = (msg("the order was given up (%(status)s) before this payment came", status=status)
               if status == Status.EXPIRED else
               msg("the order is already settled by payment %(kept)s", kept=order["pg_payment_id"] or "-"))
        refuse(flow, order, v.payment_id, why, cancel)
    else:
        flow.record("nothing_held", msg("This payment holds no money at the PG any more: nothing to do"))
    return True


@helper
def _mismatch(flow, order, v, cancel):
    """This order's payment, but it does not match: cancel it if it holds money; the order stays payable."""
    if v.holds_money:
        refuse(flow, order, v.payment_id, v.reason, cancel)
    status = order["status"]
    return status not in FREE or status == Status.FORGED or move(flow, order, (status,), Status.FORGED, v.reason)


@helper
def _declined(flow, order, v):
    """A failed attempt: the order says so and stays payable; a settled order is not undone by it."""
    status = order["status"]
    if status == Status.FAILED:
        return True
    if status in FREE or (status == Status.AWAITING_DEPOSIT and order["pg_payment_id"] == v.payment_id):
        return move(flow, order, (status,), Status.FAILED, v.reason)
    flow.record("declined_ignored", msg("The PG reports a failed attempt, but the order is %(status)s: nothing "
                                        "changes", status=status))
    return True


@helper
def _refunded(flow, order, v, cancel):
    """A payment refunded in part or in full at the PG: the order shows it (refunded won, status)."""
    target = Status.PARTIALLY_REFUNDED if v.holds_money else Status.CANCELLED
    mine = order["pg_payment_id"] == v.payment_id
    if not mine and not v.holds_money:
        flow.record("nothing_held", msg("This payment was refunded in full at the PG before the shop kept it: "
                                        "nothing is held, the order stays %(status)s", status=order["status"]))
        return True
    if v.refunded <= (order["refunded"] or 0) and mine:
        flow.record("already_settled", msg("No change: the order already shows %(refunded_won)s refunded",
                                           refunded_won=order["refunded"]))
        return True
    reason = (msg("%(refunded_won)s of this payment was refunded at the PG.", refunded_won=v.refunded)
              if v.holds_money else msg("The payment was refunded in full at the PG."))
    sources = (*orders.SETTLED, Status.AWAITING_DEPOSIT) if mine else (*FREE, Status.AWAITING_DEPOSIT)
    if order["status"] not in sources:
        flow.record("already_settled", msg("No change: the order is %(status)s", status=order["status"]))
        return True
    waiting = order["pg_payment_id"] if order["status"] == Status.AWAITING_DEPOSIT and not mine else None
    if not move(flow, order, (order["status"],), target, reason, pg_payment_id=v.payment_id, refunded=v.refunded,
                **v.fields):
        return False
    if waiting:   # the virtual account that was waiting is not kept now that another payment settled the order
        refuse(flow, order, waiting, msg("another payment of this order settled it first"), cancel)
    return True


def after_reconcile(flow, before, abandon_after, pg):
    """The end of a provider's reconcile: None when the order changed; 'waiting' when it is settled or still
    young; else the order is given up (EXPIRED: a payment that comes later is cancelled) and None."""
    now = orders.get(before["id"])
    if now["status"] != before["status"]:
        return None
    if now["status"] not in FREE:
        return "waiting"
    age = time.time() - now["created_at"]
    if age < abandon_after:
        orders.transition(now["id"], (Status.UNKNOWN,), Status.PENDING,
                          msg("Nothing was paid: %(pg)s has not completed this payment.", pg=pg))
        flow.record("reconcile", msg("%(pg)s has no completed payment for this order %(age)s s after it was created: "
                                     "the buyer may still pay (it is closed after %(limit)s s)", pg=pg,
                                     age=int(age), limit=int(abandon_after)), phase="settle")
        return "waiting"
    move(flow, now, FREE, Status.EXPIRED, msg(
        "Not paid: %(pg)s has no completed payment for this order %(minutes)s minutes after it was created, so the "
        "shop closed it. Nothing was charged; a payment made after this is refunded.", pg=pg,
        minutes=int(abandon_after // 60)))
    return None


@helper
def move(flow, order, from_statuses, to_status, reason, **fields):
    """One status change through orders.transition; the step says whether this call won."""
    moved = bool(from_statuses) and orders.transition(order["id"], from_statuses, to_status, reason, **fields)
    if moved:
        good = to_status in (Status.PAID, Status.AWAITING_DEPOSIT)
        flow.record("status", msg("Order %(before)s → %(after)s: %(reason)s", before=order["status"],
                                  after=to_status, reason=reason), phase="settle",
                    verdict="pass" if good else "fail", expected=order["status"], actual=to_status)
    else:
        now = orders.get(order["id"])["status"]
        flow.record("status_unchanged", msg("Order is already %(status)s: this %(wanted)s did not apply",
                                            status=now, wanted=to_status), phase="settle")
    return moved


@helper
def refuse(flow, order, payment_id, why, cancel):
    """A payment the order does not keep: remember it must be cancelled, and try now. True when done."""
    if not orders.cancel_needed(flow.provider, payment_id, order["id"], why):
        row = orders.cancel_of(flow.provider, payment_id)
        flow.record("refuse_payment", msg("Payment %(payment_id)s was refused before; its cancel is already handled "
                                          "(%(state)s)", payment_id=payment_id, state=row["state"]), phase="settle")
        return row["state"] == "done"
    flow.record("refuse_payment", msg("Payment %(payment_id)s is not kept (%(why)s): the shop cancels it at the PG",
                                      payment_id=payment_id, why=why), phase="settle", verdict="fail")
    return retry_cancel(flow, payment_id, cancel)


def refusal_words(reason, provider, payment_id):
    """The refused payment's reason, with where its cancel stands (an i18n.msg())."""
    row = orders.cancel_of(provider, payment_id)
    if row is None or row["state"] == "done":
        return reason
    if row["state"] == "refund_account":
        return msg("%(reason)s Refunding it needs the buyer's bank account: a person will do it.", reason=reason)
    return msg("%(reason)s Cancelling it at the PG has not gone through yet; the shop will try again.",
               reason=reason)


@helper
def retry_cancel(flow, payment_id, cancel):
    """Cancel one payment the shop owes a cancel for; the result is kept in pg_cancels. True when done."""
    try:
        state = cancel(flow, payment_id)
    except PGError as e:
        orders.cancel_state(flow.provider, payment_id, "pending", trouble(e, flow.provider))
        flow.record("cancel_pending", msg("The cancel of %(payment_id)s did not go through (%(trouble)s): "
                                          "reconcile (flask reconcile, or the button on /flows) tries again",
                                          payment_id=payment_id, trouble=trouble(e, flow.provider)),
                    phase="settle", verdict="fail")
        return False
    orders.cancel_state(flow.provider, payment_id, state)
    if state == "refund_account":
        flow.record("cancel_needs_account", msg("Payment %(payment_id)s is a virtual account already paid into: "
                                                "refunding it needs the buyer's bank account, so a person must "
                                                "cancel it in the PG's console", payment_id=payment_id),
                    phase="settle", verdict="fail")
        return False
    flow.record("cancelled", msg("Payment %(payment_id)s is cancelled at the PG: it holds no money",
                                 payment_id=payment_id), phase="settle", verdict="pass")
    return True
