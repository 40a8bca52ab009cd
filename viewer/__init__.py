"""The sandbox's own pages, apart from the merchant: the flows list, one flow's timeline and sequence diagram,
the compare page, the explanations, the walkthrough and the source pages. They read the shop's step log;
a merchant copying shop/ leaves this package behind."""


def init_app(app):
    from . import code, flows, walkthrough
    app.register_blueprint(flows.bp)
    app.register_blueprint(walkthrough.bp)
    app.register_blueprint(code.bp)
