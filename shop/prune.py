"""`flask prune`: deletes settled flows (orders and their steps) older than N days, so the step log stays bounded."""
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from . import orders
from .db import transaction


def prune(days, now=None):
    """Delete every settled order created more than `days` days ago, with its steps and coupon
    redemptions. Open orders (pending, awaiting a deposit, unknown) are kept for reconciliation.
    Also kept: an order with a cancel the shop still owes (pg_cancels not done) and a card registration whose
    billing key is saved. Returns (orders deleted, steps deleted)."""
    cutoff = (now or time.time()) - days * 86400
    final = ",".join("?" * len(orders.FINAL))
    old = (f"SELECT id FROM orders WHERE created_at < ? AND status IN ({final})"
           " AND id NOT IN (SELECT order_id FROM pg_cancels WHERE state != 'done')"
           " AND id NOT IN (SELECT order_id FROM billing_keys)")
    args = [cutoff, *orders.FINAL]
    with transaction() as db:
        deleted_steps = db.execute(f"DELETE FROM steps WHERE order_id IN ({old})", args).rowcount
        db.execute(f"DELETE FROM coupon_redemptions WHERE order_id IN ({old})", args)
        db.execute(f"DELETE FROM pg_cancels WHERE order_id IN ({old})", args)
        deleted_orders = db.execute(f"DELETE FROM orders WHERE id IN ({old})", args).rowcount
    return deleted_orders, deleted_steps


@click.command("prune")
@with_appcontext
@click.option("--days", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Delete settled flows created more than this many days ago.")
def prune_command(days):
    """Delete settled flows older than --days (their steps with them); open orders are kept."""
    deleted_orders, deleted_steps = prune(days)
    click.echo(f"pruned {deleted_orders} flow(s) and {deleted_steps} step(s) older than {days:g} day(s) "
               f"from {current_app.config['SHOP_DATABASE']}")


def init_app(app):
    app.cli.add_command(prune_command)
