"""The site's entry point: wires the shop (the merchant), the viewer (the sandbox's pages) and the lab, and
mounts the emulator at /emulator."""
import importlib

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import emulator
import i18n
import viewer
import webjson
from lab import views as lab_views
from shop import config, db, errors, security


def create_app(test_config=None, emulator_config=None):
    """Build the shop app; in emulator mode the fake PGs answer under /emulator."""
    app = Flask(__name__, instance_relative_config=True)
    webjson.init_app(app)
    config.load(app, test_config)
    db.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)

    from shop import billing, providers, reconcile, views
    app.register_blueprint(views.bp)
    app.register_blueprint(billing.bp)   # /subscription: automatic payments (each PG's routes do the calls)
    for provider in providers.all():   # each provider's routes: shop/<id>/views.py
        app.register_blueprint(importlib.import_module(f"shop.{provider.id}.views").bp)
    app.register_blueprint(reconcile.bp)
    viewer.init_app(app)   # the sandbox's own pages: flows, compare, walkthrough, source pages
    from shop import prune
    prune.init_app(app)
    lab_views.init_app(app)  # the attack lab, only while both PGs are the emulator
    if app.config["BENCH_ROUTES"]:
        from viewer import bench
        app.register_blueprint(bench.bp)

    if app.config["MOUNT_EMULATOR"]:
        emu = emulator.create_app(emulator_config)
        app.extensions["emulator"] = emu
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/emulator": emu})
    return app
