"""Whose data is shown: the buyer's session owns its orders; everyone else sees the log with the buyer's
personal data (name, email, phone, account numbers) masked, in the order and inside recorded exchanges."""
import hmac
import json
import re
from urllib.parse import quote, quote_plus

from flask import session

# Keys (lower-case, without _ and -) whose values are personal wherever they appear: PortOne V1 and Toss.
PERSONAL = {"buyername", "buyeremail", "buyertel", "buyeraddr", "buyerpostcode", "customername",
            "customeremail", "customermobilephone", "customerphone", "mobilephone", "accountnumber",
            "holdername", "vbanknum", "vbankholder", "depositorname", "refundholder", "refundaccount"}


def owns(order):
    """True when this browser's session placed the order (same customer_key)."""
    key = session.get("customer_key")
    return bool(key) and order is not None and hmac.compare_digest(str(key), str(order["customer_key"] or ""))


def _personal(key):
    return str(key).lower().replace("_", "").replace("-", "") in PERSONAL


def hide(value):
    """'H*****': the first character kept, so a reader sees that something is there."""
    text = str(value)
    return text[:1] + "*" * max(len(text) - 1, 2)


def _collect(node, found):
    if isinstance(node, dict):
        for k, v in node.items():
            if _personal(k) and isinstance(v, (str, int)) and not isinstance(v, bool):
                found.add(str(v))
            else:
                _collect(v, found)
    elif isinstance(node, list):
        for v in node:
            _collect(v, found)


def _account(vbank):
    """The account number in the order's stored virtual account ({bank, number, holder, due})."""
    try:
        number = json.loads(vbank or "null")
    except ValueError:
        return None
    return str(number.get("number") or "") if isinstance(number, dict) else None


def masker(order, rows=()):
    """None when this browser placed the order (its buyer sees everything); else mask(value), which
    returns a copy of any JSON-like value with the order's personal data hidden: under a personal key,
    and wherever one of those values appears in a text (also URL-encoded)."""
    if owns(order):
        return None
    found = {order["buyer_name"], order["buyer_email"], _account(order["vbank"])}
    for row in rows:
        _collect(row.get("exchange"), found)
    variants = {form for v in found if v and len(v) >= 2 for form in (v, quote(v, safe=""), quote_plus(v))}
    pattern = re.compile("|".join(map(re.escape, sorted(variants, key=len, reverse=True)))) if variants else None

    def mask(node):
        if isinstance(node, dict):
            return {k: hide(v) if _personal(k) and v not in (None, "") and not isinstance(v, (dict, list))
                    else mask(v) for k, v in node.items()}
        if isinstance(node, list):
            return [mask(v) for v in node]
        if isinstance(node, str) and pattern is not None:
            return pattern.sub(lambda m: hide(m.group(0)), node)
        return node
    return mask
