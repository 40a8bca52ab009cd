"""The site's entry point: wires the shop and mounts the emulator at /emulator."""
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import emulator
import i18n
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

    from shop import flows, reconcile, views
    from shop.portone import views as portone_views
    from shop.toss import views as toss_views
    app.register_blueprint(views.bp)
    app.register_blueprint(flows.bp)
    app.register_blueprint(portone_views.bp)
    app.register_blueprint(toss_views.bp)
    app.register_blueprint(reconcile.bp)
    from shop import code, walkthrough
    app.register_blueprint(walkthrough.bp)
    app.register_blueprint(code.bp)
    lab_views.init_app(app)  # the attack lab, only while both PGs are the emulator
    if app.config["BENCH_ROUTES"]:
        from shop import bench
        app.register_blueprint(bench.bp)

    if app.config["MOUNT_EMULATOR"]:
        emu = emulator.create_app(emulator_config)
        app.extensions["emulator"] = emu
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/emulator": emu})
    return app
