"""The shop's own source as pages: /code/shop/<file> (one file, line anchors) and /code/compare (both PGs).

Files are read at request time, so a page always shows the code that runs. Only files under
shop/ are served (never .env, instance/ or anything a path could climb to), and any configured
secret that appears in them is shown as a [REDACTED:NAME] marker.
"""
import ast
import os
import re

from flask import Blueprint, abort, render_template, url_for
from flask_babel import lazy_gettext as _l

from shop import config, providers, redact

bp = Blueprint("code", __name__)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOP = os.path.join(ROOT, "shop")
SHOWN = (".py", ".sql")
MIN_SECRET = 8   # a shorter "secret" (a test's SECRET_KEY = "x") would only garble the code, not hide anything
REF = re.compile(r"^(shop/[A-Za-z0-9_/]+\.(?:py|sql)):(\d+)(?: ([A-Za-z_][A-Za-z0-9_]*))?$")

# The files every PG package has, with the same role in each (shown side by side).
ROLES = (
    ("client", _l("The only place that knows the PG's URLs and field names.")),
    ("verify", _l("Pure checks of the PG's answer against the stored order: no I/O.")),
    ("flow", _l("What the shop does with the PG's answer: settle the order once, cancel what it does not keep, "
                "reconcile.")),
    ("views", _l("The routes the PG and the browser call: thin, they parse the request and call the flow.")),
)


def resolve(path):
    """The absolute path of a servable source file for 'shop/...', or None.

    Refused: anything outside shop/ (.., absolute paths, symlinks leading out), hidden files,
    __pycache__, and files that are not Python or SQL.
    """
    if not isinstance(path, str) or not path.startswith("shop/") or "\\" in path or "\0" in path:
        return None
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.startswith((".", "__pycache__")) for p in parts):
        return None
    full = os.path.realpath(os.path.join(ROOT, *parts))
    if not full.startswith(SHOP + os.sep) or not full.endswith(SHOWN) or not os.path.isfile(full):
        return None
    return full


def source(path):
    """{path, lines, functions} of a shop file, secrets redacted; None when it may not be shown."""
    full = resolve(path)
    if full is None:
        return None
    with open(full, encoding="utf-8") as f:
        text = f.read()
    shown = _redacted(text)
    lines = shown.split("\n")
    if shown.endswith("\n"):
        lines.pop()
    return {"path": path, "lines": lines, "functions": functions(text) if path.endswith(".py") else []}


def _redacted(text):
    """The source with every configured secret (e.g. the Toss docs secret key) as a [REDACTED:NAME] marker."""
    for name, value in config.secret_values():
        if len(value) >= MIN_SECRET:
            text = text.replace(value, redact.marker(name))
    return text


def functions(text):
    """[(name, first line, last line)] of the module's functions and classes, in file order."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out.append((node.name, first, node.end_lineno))
    return out


@bp.app_template_global()
def code_link(code_ref):
    """{url, text} for a step's code_ref 'shop/x.py:42 func' (a link to that line), or None."""
    m = REF.match(code_ref or "")
    if not m or resolve(m.group(1)) is None:
        return None
    args = {"fn": m.group(3)} if m.group(3) else {}
    return {"url": url_for("code.show", path=m.group(1), **args) + f"#L{m.group(2)}", "text": code_ref,
            "path": m.group(1), "line": int(m.group(2)), "function": m.group(3)}


@bp.get("/code/compare")
def compare():
    """Every provider's client, verify, flow and views files side by side, read now from disk."""
    roles = []
    for role, about in ROLES:
        files = {pg: source(f"shop/{pg}/{role}.py") for pg in providers.ids()}
        roles.append({"role": role, "about": about, "files": files})
    return render_template("code/compare.html", roles=roles)


@bp.get("/code/<path:path>")
def show(path):
    """One source file of the shop, each line an anchor (#L42); ?fn=name highlights that function."""
    src = source(path)
    if src is None:
        abort(404)
    return render_template("code/file.html", src=src)
