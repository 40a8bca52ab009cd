"""The step-log pages and JSON (/flows, /flows/<id>, /api/flows)."""
from flask import Blueprint, abort, jsonify, render_template, request

from . import orders, steps

bp = Blueprint("flows", __name__)


@bp.get("/api/flows/<order_id>/steps")
def flow_steps(order_id):
    """Steps after ?after=<step id>, for the live log."""
    order = orders.get(order_id)
    if order is None:
        abort(404)
    after = request.args.get("after", 0, type=int)
    return jsonify(order_id=order_id, status=order["status"], steps=steps.for_order(order_id, after))


@bp.get("/flows/<order_id>")
def flow(order_id):
    order = orders.get(order_id)
    if order is None:
        abort(404)
    return render_template("flow.html", order=order, steps=steps.for_order(order_id), phases=steps.PHASES)
