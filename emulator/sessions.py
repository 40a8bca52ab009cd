"""The emulator's cookie sessions: Flask's own, with the cookie signer built once per key, not per request."""
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    """Flask builds a new signer for every request, about a tenth of a payment lookup; it depends only
    on the secret keys, so one is kept per set of keys."""

    def __init__(self):
        self._signers = {}

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = self._signers[keys] = super().get_signing_serializer(app)
        return signer
