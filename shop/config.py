"""Reads the shop's settings from the environment and `.env`; knows each PG's mode and base URLs."""
import os
import secrets

from dotenv import load_dotenv
from urllib.parse import urlsplit

from flask import current_app

PROVIDERS = ("portone", "toss")

# The real PG hosts and scripts, used in live mode only.
LIVE = {
    "portone": {"api": "https://api.iamport.kr", "sdk": "https://cdn.iamport.kr/v1/iamport.js",
                "hosts": ["https://cdn.iamport.kr", "https://api.iamport.kr", "https://*.iamport.kr",
                          "https://*.iamport.co"]},
    "toss": {"api": "https://api.tosspayments.com",
             "sdk": "https://js.tosspayments.com/v1/payment-widget",
             "hosts": ["https://js.tosspayments.com", "https://api.tosspayments.com",
                       "https://*.tosspayments.com"]},
}

# Keys that must be set in live mode, per provider.
LIVE_KEYS = {
    "portone": ("PORTONE_IMP_CODE", "PORTONE_IMP_KEY", "PORTONE_IMP_SECRET"),
    "toss": ("TOSS_CLIENT_KEY", "TOSS_SECRET_KEY"),
}

# What the shop uses against the built-in emulator. The Toss pair is the public docs pair
# (anyone may use it); the PortOne pair is the emulator's own test merchant.
EMULATOR_KEYS = {
    "PORTONE_IMP_CODE": "imp00000000",
    "PORTONE_IMP_KEY": "emulator_imp_key",
    "PORTONE_IMP_SECRET": "emulator_imp_secret_0000000000000000000000000000000000000000",
    "TOSS_CLIENT_KEY": "test_gck_docs_Ovk5rk1EwkEbP0W43n07xlzm",
    "TOSS_SECRET_KEY": "test_gsk_docs_OaPz8L5KdmQXkzRz3y47BMw6",
}

# Config keys whose values are secrets: never shown, always redacted.
SECRET_KEYS = ("PORTONE_IMP_KEY", "PORTONE_IMP_SECRET", "TOSS_SECRET_KEY", "SECRET_KEY")


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names the key."""


def _env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def load(app, test_config=None):
    """Fill app.config from .env, the environment and test_config (in that order of strength)."""
    load_dotenv(os.path.join(app.root_path, ".env"))
    os.makedirs(app.instance_path, exist_ok=True)
    cfg = app.config
    cfg.update(
        SHOP_DATABASE=_env("SHOP_DATABASE", os.path.join(app.instance_path, "shop.sqlite3")),
        EMULATOR_DATABASE=_env("EMULATOR_DATABASE", os.path.join(app.instance_path, "emulator.sqlite3")),
        SITE_URL=_env("SITE_URL", "http://127.0.0.1:5000").rstrip("/"),
        EMULATOR_URL=(_env("EMULATOR_URL", "") or "").rstrip("/"),
        MOUNT_EMULATOR=_env("MOUNT_EMULATOR", "1") != "0",
        PORTONE_MODE=_env("PORTONE_MODE", "emulator"),
        TOSS_MODE=_env("TOSS_MODE", "emulator"),
        PORTONE_PG=_env("PORTONE_PG", "html5_inicis"),
        PG_TIMEOUT=float(_env("PG_TIMEOUT", "10")),
        MAX_CONTENT_LENGTH=int(_env("MAX_CONTENT_LENGTH", str(64 * 1024))),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_env("SESSION_COOKIE_SECURE", "0") == "1",
        BENCH_ROUTES=_env("BENCH_ROUTES", "0") == "1",
    )
    for key in LIVE_KEYS["portone"] + LIVE_KEYS["toss"]:
        cfg[key] = _env(key)
    if test_config:
        cfg.update(test_config)
    if cfg.get("TRUSTED_HOSTS") is None:
        cfg["TRUSTED_HOSTS"] = trusted_hosts(cfg["SITE_URL"], _env("ALLOWED_HOSTS", ""))
    cfg["SECRET_KEY"] = cfg.get("SECRET_KEY") or _env("SECRET_KEY") or _instance_secret(app)
    for provider in PROVIDERS:
        mode = cfg[f"{provider.upper()}_MODE"]
        if mode not in ("emulator", "live"):
            raise ConfigError(f"{provider.upper()}_MODE must be 'emulator' or 'live', not {mode!r}")
        for key in LIVE_KEYS[provider]:
            if mode == "live" and not cfg.get(key):
                raise ConfigError(f"{provider.upper()}_MODE=live needs {key} in .env or the environment")
            if mode == "emulator":
                cfg[key] = EMULATOR_KEYS[key]


def _instance_secret(app):
    """A session key kept in the instance folder, so every worker process signs alike."""
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        # Written whole to a private file, then linked into place: racing workers all read one key.
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as f:
        return f.read().strip()


def mode(provider):
    return current_app.config[f"{provider.upper()}_MODE"]


LOOPBACK = ("127.0.0.1", "localhost")


def trusted_hosts(site_url, allowed=""):
    """The Host names this site answers (Flask's TRUSTED_HOSTS; any other Host gets a 400): SITE_URL's
    host and the comma-separated ALLOWED_HOSTS. A loopback SITE_URL also answers its loopback twin
    (127.0.0.1 / localhost: the same machine)."""
    host = urlsplit(site_url).hostname or ""
    hosts = [host, *LOOPBACK] if host in LOOPBACK else [host]
    return hosts + [h.strip() for h in allowed.split(",") if h.strip()]


def origin(url):
    """'scheme://host:port' of a URL, lower-cased, as the browser and http.py compare them."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def emulator_url():
    """Where the emulator answers: EMULATOR_URL, else SITE_URL/emulator. Never the request's Host: a
    forged Host must not choose where the shop sends its keys."""
    cfg = current_app.config
    return cfg["EMULATOR_URL"] or cfg["SITE_URL"].rstrip("/") + "/emulator"


def api_base(provider):
    """The PG's REST base URL: the real host in live mode, the emulator's otherwise."""
    if mode(provider) == "live":
        return LIVE[provider]["api"]
    return f"{emulator_url()}/{provider}"


def pg_origins():
    """The only origins the shop sends a PG call (and so its keys) to: each PG's configured API base."""
    return {origin(api_base(p)) for p in PROVIDERS}


def site_url():
    """This shop's own origin, for URLs handed to the PG (callbacks, webhooks, redirects): SITE_URL,
    never the request's Host."""
    return current_app.config["SITE_URL"].rstrip("/")


def secret_values():
    """(config key, value) for every configured secret, for redaction."""
    cfg = current_app.config
    return [(k, cfg[k]) for k in SECRET_KEYS if cfg.get(k)]
