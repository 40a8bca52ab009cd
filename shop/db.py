"""The shop's SQLite database: one connection per app context (borrowed from the process's idle ones), schema from schema.sql."""
import os

import click
from flask import current_app, g

import sqlitedb

SCHEMA = os.path.join(os.path.dirname(__file__), "schema.sql")


def get_db():
    if "db" not in g:
        g.db_path = current_app.config["SHOP_DATABASE"]
        g.db = sqlitedb.borrow(g.db_path, [SCHEMA])
    return g.db


def transaction():
    """`with transaction() as db:` — one write-locked transaction on the shop's database."""
    return sqlitedb.transaction(get_db())


def close_db(_exc=None):
    conn = g.pop("db", None)
    if conn is not None:
        sqlitedb.give_back(g.pop("db_path"), conn)


@click.command("init-db")
def init_db_command():
    """Create the shop's tables if they do not exist."""
    get_db()
    click.echo("shop database ready: " + current_app.config["SHOP_DATABASE"])


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
