"""The emulator's SQLite database (the PGs' records, never the shop's)."""
import functools
import glob
import os

from flask import current_app, g

import sqlitedb

HERE = os.path.dirname(__file__)


@functools.cache  # looked up once per process, not on every request's connect()
def schema_files():
    """The core schema first, then each PG's own schema.sql."""
    return (os.path.join(HERE, "schema.sql"), *sorted(glob.glob(os.path.join(HERE, "*", "schema.sql"))))


def connect(path):
    """A connection of its own (the webhook dispatcher's), not borrowed."""
    sqlitedb.ensure_schema(path, schema_files())
    return sqlitedb.connect(path)


def get_db():
    """This request's connection, borrowed from the process's idle ones and given back at teardown."""
    if "emu_db" not in g:
        g.emu_db_path = current_app.config["EMULATOR_DATABASE"]
        g.emu_db = sqlitedb.borrow(g.emu_db_path, schema_files())
    return g.emu_db


def transaction():
    return sqlitedb.transaction(get_db())


def close_db(_exc=None):
    conn = g.pop("emu_db", None)
    if conn is not None:
        sqlitedb.give_back(g.pop("emu_db_path"), conn)


def init_app(app):
    app.teardown_appcontext(close_db)
