"""Arms and clears the emulator's faults over its control API, as the attack lab does."""
import requests

TIMEOUT = 10
ENGLISH = {"Accept-Language": "en"}  # labels and summaries in English (the emulator speaks Korean by default)


def arm(site, pg, target, kind, count=None):
    """Arm one fault; returns the fault as JSON. pg: portone | portone_v2 | toss. target: an endpoint name
    (portone: get_token, get_payment, find_payment, cancel, prepare; portone_v2: login, get_payment,
    list_payments, pre_register, cancel, confirm, resend_webhook; toss: confirm, get_payment,
    get_by_order, cancel, create) or 'webhook'. kind: error_5xx | timeout_before | timeout_after | down,
    or for 'webhook': duplicate | reorder | late | never. count: requests affected (0 = until cleared;
    None: 1, or 2 for reorder)."""
    body = {"pg": pg, "target": target, "kind": kind}
    if count is not None:
        body["count"] = count
    resp = requests.post(site.url + "/emulator/faults", json=body, headers=ENGLISH, timeout=TIMEOUT)
    assert resp.status_code == 201, resp.text
    return resp.json()


def clear(site):
    """Remove every armed fault (webhooks held by reorder are sent). Returns how many were removed."""
    resp = requests.post(site.url + "/emulator/faults/clear", json={}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return resp.json()["cleared"]


def faults(site):
    """Every fault armed so far (spent ones too), newest first, with used / remaining / active."""
    return requests.get(site.url + "/emulator/faults", headers=ENGLISH, timeout=TIMEOUT).json()


def events(site, after=0):
    """The faults applied (newest first): kind, method, path, ref, status_code, delay_s, delivery_id,
    summary (what the emulator did, in words)."""
    return requests.get(site.url + "/emulator/faults/events", params={"after": after}, headers=ENGLISH,
                        timeout=TIMEOUT).json()


def fast(site, delay_s=1.0, shop_timeout=0.3):
    """Make timeout faults quick: the emulator holds answers delay_s, the shop gives up after shop_timeout."""
    site.emulator.config["EMULATOR_FAULT_DELAY_S"] = delay_s
    site.app.config["PG_TIMEOUT"] = shop_timeout
