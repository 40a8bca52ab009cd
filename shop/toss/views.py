"""Routes of the shop's Toss Payments flow (stub until the Toss Payments checkout lands)."""
from flask import Blueprint

bp = Blueprint("toss", __name__)
