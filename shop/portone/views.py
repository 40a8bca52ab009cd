"""Routes of the shop's PortOne flow (stub until the PortOne checkout lands)."""
from flask import Blueprint

bp = Blueprint("portone", __name__)
