"""Every answer of the emulated PortOne V1 validates against PortOne's own V1 schema (Swagger 2.0), walked in use."""
import copy
import json
import os
import uuid

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.drivers import portone as drv

SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "schemas", "portone-v1.openapi.json")
NUMERIC = ("maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems")
# The 200 answer of the billing-key operations names its two alternatives as properties; the operation's
# description says a plain billing key answers CustomerResponse (a "super billing key" the other one).
NAMED_ALTERNATIVES = {"CustomerResponse"}
# PortOne answers GET /payments/prepare/{unknown} with 404 and a message (node-iamporter's tests, run
# against the live API, read it that way); the schema declares only 200 and 401 there.
UNDECLARED = {("get", "/payments/prepare/{merchant_uid}", 404)}


def _load():
    with open(SCHEMA_FILE, encoding="utf-8") as f:
        doc = json.load(f)
    definitions = doc["definitions"]

    def fix(node):
        if isinstance(node, dict):
            for key in NUMERIC:               # quirk: numeric keywords written as strings
                if isinstance(node.get(key), str):
                    node[key] = int(node[key])
            props = node.get("properties")
            if isinstance(props, dict):       # quirk: PortOne sends null for absent optional values
                required = set(node.get("required", ()))
                for name, prop in props.items():
                    if name not in required and isinstance(prop, dict):
                        props[name] = {"anyOf": [copy.deepcopy(prop), {"type": "null"}]}
            for value in list(node.values()):
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)

    # quirk: the prepare annotation's required list is copied from the paged annotation
    prepare = definitions["PaymentPrepareAnnotation"]
    prepare["required"] = [k for k in prepare["required"] if k not in ("total", "previous", "next")]
    fix(doc)
    # Field-level strictness: a PortOne object carries no field the schema does not declare (the envelope
    # and the other bases that answers extend with allOf stay open).
    bases = {part["$ref"].rsplit("/", 1)[1] for d in definitions.values() for part in d.get("allOf", ())
             if "$ref" in part}
    for name, definition in definitions.items():
        if name.endswith("Annotation") and "properties" in definition and name not in bases:
            definition["additionalProperties"] = False
    return doc


DOC = _load()
REGISTRY = Registry().with_resource("urn:portone-v1", Resource.from_contents(DOC, default_specification=DRAFT4))


def validator(ref):
    return Draft4Validator({"$ref": "urn:portone-v1" + ref}, registry=REGISTRY)


class Walk:
    """Calls the emulated API and checks each answer against the operation's declared responses."""

    def __init__(self, site):
        self.api = drv.Api(site)
        self.checked = []

    def check(self, method, template, resp):
        op = DOC["paths"][template][method]
        status = resp.status_code
        body = resp.json()
        assert str(status) in op["responses"] or (method, template, status) in UNDECLARED, \
            f"{method.upper()} {template} answered {status}, which the schema does not declare: {body}"
        declared = op["responses"].get(str(status), {}).get("schema")
        if declared and "$ref" not in declared:
            name, = NAMED_ALTERNATIVES & set(declared.get("properties", {}))
            declared = {"$ref": f"#/definitions/{name}"}
        ref = declared["$ref"] if declared else "#/definitions/ResponseAnnotation"
        errors = sorted(validator(ref).iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, f"{method.upper()} {template} {status}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5])
        if status not in (200, 207):
            assert body["code"] != 0 and body["response"] is None and body["message"]
        self.checked.append((method, template, status, body["code"]))
        return body

    def get(self, template, path, **kw):
        return self.check("get", template, self.api.get(path, **kw))

    def post(self, template, path, json=None):
        return self.check("post", template, self.api.post(path, json=json))

    def put(self, template, path, json=None):
        return self.check("put", template, self.api.put(path, json=json))

    def delete(self, template, path):
        resp = self.api.session.delete(self.api.base + path, headers={"Authorization": self.api.token()},
                                       timeout=30)
        return self.check("delete", template, resp)


def order(amount=15000):
    return {"order_id": f"order-{uuid.uuid4().hex[:12]}", "order_name": "Running shoes", "amount": amount,
            "buyer_name": "Hong Gildong", "buyer_email": "buyer@example.com"}


def test_every_answer_of_a_realistic_walk_matches_portones_schema(site):
    w = Walk(site)
    cfg = site.emulator.config
    tok = w.check("post", "/users/getToken", w.api.get_token())
    assert tok["response"]["access_token"]
    w.check("post", "/users/getToken", w.api.get_token(imp_key=cfg["EMULATOR_PORTONE_IMP_KEY"], imp_secret="x"))
    w.check("get", "/payments/{imp_uid}", w.api.get("/payments/imp_000000000000", headers={}))      # no token

    # pre-registration
    pre = order(15000)
    w.post("/payments/prepare", "/payments/prepare", {"merchant_uid": pre["order_id"], "amount": 20000})
    assert w.post("/payments/prepare", "/payments/prepare",
                  {"merchant_uid": pre["order_id"], "amount": 20000})["code"] == 1
    w.put("/payments/prepare", "/payments/prepare", {"merchant_uid": pre["order_id"], "amount": 15000})
    assert w.get("/payments/prepare/{merchant_uid}", f"/payments/prepare/{pre['order_id']}")["response"][
        "amount"] == 15000
    w.put("/payments/prepare", "/payments/prepare", {"merchant_uid": "never-registered", "amount": 1})
    w.get("/payments/prepare/{merchant_uid}", "/payments/prepare/never-registered")

    # pay by each method, a decline and a closed window
    paid = {m: drv.pay(site, pre if m == "card" else order(), pay_method=m)["imp_uid"]
            for m in ("card", "trans", "vbank", "phone", "samsung")}
    declined = drv.pay(site, order(), outcome="decline_refused")["imp_uid"]
    closed = drv.pay(site, order(), outcome="close")["imp_uid"]
    for imp_uid in [*paid.values(), declined, closed]:
        p = w.get("/payments/{imp_uid}", f"/payments/{imp_uid}")["response"]
        assert p["sandbox"] is True
    w.get("/payments/{imp_uid}", "/payments/imp_000000000000")

    # lookups by every path
    w.get("/payments", "/payments", params={"imp_uid[]": [paid["card"], declined]})
    w.get("/payments", "/payments", params={"imp_uid[]": [paid["card"], "imp_000000000000"]})
    w.get("/payments", "/payments", params={"merchant_uid[]": ["nobody"]})
    w.get("/payments/find/{merchant_uid}/{payment_status}", f"/payments/find/{pre['order_id']}")
    w.get("/payments/find/{merchant_uid}/{payment_status}", f"/payments/find/{pre['order_id']}/paid")
    w.get("/payments/find/{merchant_uid}/{payment_status}", "/payments/find/nobody")
    w.get("/payments/findAll/{merchant_uid}/{payment_status}", f"/payments/findAll/{pre['order_id']}")
    w.get("/payments/findAll/{merchant_uid}/{payment_status}", f"/payments/findAll/{pre['order_id']}/paid")
    w.get("/payments/findAll/{merchant_uid}/{payment_status}", "/payments/findAll/nobody")
    w.get("/payments/findAll/{merchant_uid}/{payment_status}", f"/payments/findAll/{pre['order_id']}",
          params={"limit": 0})
    for status in ("all", "ready", "paid", "failed", "cancelled"):
        w.get("/payments/status/{payment_status}", f"/payments/status/{status}")
    w.get("/payments/status/{payment_status}", "/payments/status/refunded")
    w.get("/payments/{imp_uid}/balance", f"/payments/{paid['card']}/balance")
    w.get("/payments/{imp_uid}/balance", "/payments/imp_000000000000/balance")
    w.get("/users/pg", "/users/pg")

    # cancels: partial, full, refused
    w.post("/payments/cancel", "/payments/cancel", {"imp_uid": paid["card"], "amount": 5000, "reason": "size"})
    w.post("/payments/cancel", "/payments/cancel", {"imp_uid": paid["card"], "checksum": 10000})
    assert w.post("/payments/cancel", "/payments/cancel", {"imp_uid": paid["card"]})["code"] == 1
    assert w.post("/payments/cancel", "/payments/cancel", {"imp_uid": "imp_000000000000"})["code"] == 1
    w.get("/payments/status/{payment_status}", "/payments/status/cancelled")

    # virtual accounts and cash receipts
    w.delete("/vbanks/{imp_uid}", f"/vbanks/{paid['vbank']}")
    w.delete("/vbanks/{imp_uid}", f"/vbanks/{paid['vbank']}")
    w.delete("/vbanks/{imp_uid}", "/vbanks/imp_000000000000")
    w.get("/receipts/{imp_uid}", f"/receipts/{paid['trans']}")
    w.post("/receipts/{imp_uid}", f"/receipts/{paid['trans']}", {"identifier": "01012345678", "type": "person"})
    w.get("/receipts/{imp_uid}", f"/receipts/{paid['trans']}")
    w.delete("/receipts/{imp_uid}", f"/receipts/{paid['trans']}")
    w.post("/receipts/{imp_uid}", f"/receipts/{paid['card']}", {"identifier": "01012345678"})

    # billing keys and payments with them
    card = {"card_number": "4092-0230-1234-1234", "expiry": "2099-12", "birth": "800101", "pwd_2digit": "00"}
    w.post("/subscribe/customers/{customer_uid}", "/subscribe/customers/cust-walk",
           {**card, "customer_name": "Hong Gildong"})
    w.get("/subscribe/customers/{customer_uid}", "/subscribe/customers/cust-walk")
    w.post("/subscribe/payments/again", "/subscribe/payments/again",
           {"customer_uid": "cust-walk", "merchant_uid": order()["order_id"], "amount": 9900, "name": "Monthly"})
    failed = w.post("/subscribe/payments/again", "/subscribe/payments/again",
                    {"customer_uid": "cust-walk", "merchant_uid": order()["order_id"], "amount": 9901,
                     "name": "Monthly"})
    assert failed["code"] == 0 and failed["response"]["status"] == "failed"
    w.post("/subscribe/payments/again", "/subscribe/payments/again",
           {"customer_uid": "nobody", "merchant_uid": order()["order_id"], "amount": 9900, "name": "Monthly"})
    w.post("/subscribe/payments/onetime", "/subscribe/payments/onetime",
           {**card, "merchant_uid": order()["order_id"], "amount": 5000, "name": "Once"})
    w.post("/subscribe/payments/onetime", "/subscribe/payments/onetime",
           {**card, "expiry": "2001-01", "merchant_uid": order()["order_id"], "amount": 5000, "name": "Once"})
    w.delete("/subscribe/customers/{customer_uid}", "/subscribe/customers/cust-walk")
    w.get("/subscribe/customers/{customer_uid}", "/subscribe/customers/cust-walk")
    w.delete("/subscribe/customers/{customer_uid}", "/subscribe/customers/cust-walk")

    statuses = {s for _m, _t, s, _c in w.checked}
    operations = {(m, t) for m, t, _s, _c in w.checked}
    assert statuses == {200, 207, 400, 401, 404} and len(operations) == 21


@pytest.mark.parametrize("quirk_free_body, ref", [
    ({"code": 0, "message": None, "response": {"imp_uid": "imp_1", "merchant_uid": "m", "amount": 1,
                                               "cancel_amount": 0, "currency": "KRW", "status": "paid"}},
     "#/definitions/PaymentResponse"),
    ({"code": 0, "message": None, "response": {"merchant_uid": "m", "amount": 1, "currency": None,
                                               "invented": 1}}, "#/definitions/PaymentPrepareResponse"),
])
def test_the_check_can_fail(quirk_free_body, ref):
    """A payment without sandbox, and a field the schema does not declare, are caught."""
    assert list(validator(ref).iter_errors(quirk_free_body))
