"""The shop's SQLite database: one connection per app context, schema from schema.sql."""
import os
import sqlite3

import click
from flask import current_app, g

import sqlitedb

SCHEMA = os.path.join(os.path.dirname(__file__), "schema.sql")
# Columns added after a database file may have been created: (table, column, declaration).
ADDED = (("orders", "sdk", "TEXT NOT NULL DEFAULT ''"), ("orders", "refunded", "INTEGER NOT NULL DEFAULT 0"))
_upgraded = set()


def get_db():
    if "db" not in g:
        path = current_app.config["SHOP_DATABASE"]
        sqlitedb.ensure_schema(path, [SCHEMA])
        g.db = sqlitedb.connect(path)
        if path not in _upgraded:
            _upgrade(g.db)
            _upgraded.add(path)
    return g.db


def _upgrade(conn):
    """Add the columns an older database file lacks (CREATE TABLE IF NOT EXISTS does not)."""
    for table, column, decl in ADDED:
        have = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            try:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            except sqlite3.OperationalError:   # another process added it meanwhile
                pass


def transaction():
    """`with transaction() as db:` — one write-locked transaction on the shop's database."""
    return sqlitedb.transaction(get_db())


def close_db(_exc=None):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@click.command("init-db")
def init_db_command():
    """Create the shop's tables if they do not exist."""
    get_db()
    click.echo("shop database ready: " + current_app.config["SHOP_DATABASE"])


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
