"""The benchmark's baseline route, GET /bench/floor (registered only when BENCH_ROUTES=1).

The floor is the least a payment verification can cost in this server: one loopback HTTP
call to the emulator and one SQLite insert and commit, with nothing else around them.
"""
import threading
import time

import requests
from flask import Blueprint, current_app, jsonify

from shop import config
from shop.db import get_db

bp = Blueprint("bench", __name__)
_local = threading.local()
_tables = set()
_TABLE = "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, at REAL NOT NULL, status INTEGER)"


def _session():
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


@bp.get("/bench/floor")
def floor():
    """Ask the emulator its time (a trivial endpoint), store one row, answer what it saw."""
    resp = _session().get(config.emulator_url() + "/clock", timeout=(3.05, 10))
    db = get_db()
    if current_app.config["SHOP_DATABASE"] not in _tables:
        db.execute(_TABLE)
        _tables.add(current_app.config["SHOP_DATABASE"])
    db.execute("INSERT INTO bench_floor (at, status) VALUES (?, ?)", (time.time(), resp.status_code))
    return jsonify(emulator_status=resp.status_code)
