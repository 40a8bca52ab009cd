"""Reads the shop's settings from the environment and `.env`; knows each PG's mode and base URLs."""
import os

from dotenv import load_dotenv
from urllib.parse import urlsplit

from flask import current_app

from keyfile import instance_secret

from . import providers

# Config keys whose values are secrets besides each provider's own (Provider.secret_keys).
SECRET_KEYS = ("SECRET_KEY",)


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
        PORTONE_PG=_env("PORTONE_PG", "html5_inicis"),
        PG_TIMEOUT=float(_env("PG_TIMEOUT", "10")),
        MAX_CONTENT_LENGTH=int(_env("MAX_CONTENT_LENGTH", str(64 * 1024))),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_env("SESSION_COOKIE_SECURE", "0") == "1",
        BENCH_ROUTES=_env("BENCH_ROUTES", "0") == "1",
    )
    for p in providers.all():
        cfg[f"{p.prefix}MODE"] = _env(f"{p.prefix}MODE", "emulator")
        for key in (*p.live_keys, *p.emulator_keys):   # emulator_keys beyond live_keys are optional live
            cfg[key] = _env(key)
        for key, default in p.extra.get("settings", {}).items():   # optional, in any mode
            cfg[key] = _env(key, default)
    if test_config:
        cfg.update(test_config)
    if cfg.get("TRUSTED_HOSTS") is None:
        cfg["TRUSTED_HOSTS"] = trusted_hosts(cfg["SITE_URL"], _env("ALLOWED_HOSTS", ""))
    cfg["SECRET_KEY"] = cfg.get("SECRET_KEY") or _env("SECRET_KEY") or instance_secret(os.path.join(app.instance_path, "secret_key"))
    for p in providers.all():
        mode = cfg[f"{p.prefix}MODE"]
        if mode not in ("emulator", "live"):
            raise ConfigError(f"{p.prefix}MODE must be 'emulator' or 'live', not {mode!r}")
        for key in p.live_keys:
            if mode == "live" and not cfg.get(key):
                raise ConfigError(f"{p.prefix}MODE=live needs {key} in .env or the environment")
        if mode == "emulator":
            cfg.update(p.emulator_keys)


def mode(provider):
    return current_app.config[f"{provider.upper()}_MODE"]


def modes():
    """{provider id: 'emulator' | 'live'} for every provider."""
    return {p.id: mode(p.id) for p in providers.all()}
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
    p = providers.get(provider)
    if mode(provider) == "live":
        return p.live_api
    return emulator_url() + p.emulator_path


def sdk_url(provider, emulated_path):
    """The PG's browser SDK script: the real one in live mode, else the emulator's stand-in at emulated_path."""
    if mode(provider) == "live":
        return providers.get(provider).live_sdk
    return emulator_url() + emulated_path


def pg_origins():
    """The only origins the shop sends a PG call (and so its keys) to: each PG's configured API base."""
    return {origin(api_base(p.id)) for p in providers.all()}


def site_url():
    """This shop's own origin, for URLs handed to the PG (callbacks, webhooks, redirects): SITE_URL,
    never the request's Host."""
    return current_app.config["SITE_URL"].rstrip("/")


def secret_values():
    """(config key, value) for every configured secret, for redaction."""
    cfg = current_app.config
    keys = SECRET_KEYS + tuple(k for p in providers.all() for k in p.secret_keys)
    return [(k, cfg[k]) for k in keys if cfg.get(k)]
