"""The emulated Toss Payments: REST API, browser SDK stand-in, hosted window and webhooks."""
from flask import Blueprint

bp = Blueprint("toss", __name__)
