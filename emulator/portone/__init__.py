"""The emulated PortOne: REST API, browser SDK stand-in, hosted window and webhooks."""
from flask import Blueprint

bp = Blueprint("portone", __name__)
