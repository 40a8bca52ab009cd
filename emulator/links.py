"""Absolute links to the emulator's own pages (receipts, checkout) without a URL build on every answer."""
import re

from flask import request, url_for

_SAFE = re.compile(r"[A-Za-z0-9_.~-]+")
_templates = {}   # (host, script root, endpoint, fixed values, value names) -> url with placeholders


def external(endpoint, **values):
    """The same string as url_for(endpoint, **values, _external=True). A per-request URL build costs about
    a tenth of a payment lookup; the URL is built once per host and endpoint, with placeholders that
    each answer fills in (only for values that need no quoting, else url_for itself)."""
    if not all(isinstance(v, str) and _SAFE.fullmatch(v) for v in values.values()):
        return url_for(endpoint, _external=True, **values)
    names = tuple(sorted(values))
    env = request.environ   # (request.host_url itself is rebuilt on every access)
    key = (env.get("wsgi.url_scheme"), env.get("HTTP_HOST"), env.get("SERVER_NAME"), env.get("SERVER_PORT"),
           env.get("SCRIPT_NAME"), endpoint, names)
    template = _templates.get(key)
    if template is None:
        if len(_templates) > 256:    # the Host header is the client's: keep the cache small
            _templates.clear()
        template = _templates[key] = url_for(endpoint, _external=True,
                                             **{name: f"ZQX{i}QXZ" for i, name in enumerate(names)})
    for i, name in enumerate(names):
        template = template.replace(f"ZQX{i}QXZ", values[name])
    return template
