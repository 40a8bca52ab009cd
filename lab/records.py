"""What the lab reads to judge an attack: the shop's public order JSON and each PG's own record.

The PG records are read from the emulated PGs' REST APIs with the merchant's keys, the way the
merchant's console would show them; the keys are only sent to the emulator, never returned.
"""
import base64

import requests

TIMEOUT = 15

# Statuses at the PG that mean "the money is held".
PG_PAID = {"portone": {"paid"}, "portone_v2": {"PAID", "PARTIAL_CANCELLED"}, "toss": {"DONE"}}


class Records:
    def __init__(self, site_url, emulator_url, portone_keys, toss_secret_keys, portone_v2_secret=""):
        self.site = site_url.rstrip("/")
        self.emulator = emulator_url.rstrip("/")
        self.portone_keys = portone_keys          # (imp_key, imp_secret)
        self.portone_v2_auth = "PortOne " + portone_v2_secret
        # Toss's widget and API secret keys: a payment is read with the pair whose client key opened it.
        self.toss_auths = ["Basic " + base64.b64encode(f"{key}:".encode()).decode() for key in toss_secret_keys if key]
        self.http = requests.Session()
        self._token = None

    # --- the shop's view of an order (public JSON, as the order page shows it) -------------------

    def order(self, order_id):
        """{status, amount, pg_payment_id, ...} of the shop's order, or None."""
        resp = self.http.get(f"{self.site}/api/flows/{order_id}", timeout=TIMEOUT)
        return resp.json()["order"] if resp.status_code == 200 else None

    def steps(self, order_id):
        resp = self.http.get(f"{self.site}/api/flows/{order_id}/steps", timeout=TIMEOUT)
        return resp.json()["steps"] if resp.status_code == 200 else []

    # --- the PG's own record -----------------------------------------------------------------------

    def _portone_token(self):
        if self._token is None:
            imp_key, imp_secret = self.portone_keys
            resp = self.http.post(f"{self.emulator}/portone/users/getToken", timeout=TIMEOUT,
                                  json={"imp_key": imp_key, "imp_secret": imp_secret})
            self._token = resp.json()["response"]["access_token"]
        return self._token

    def portone(self, imp_uid):
        """{status, amount, cancel_amount, merchant_uid} as PortOne has it, or None when it has none."""
        resp = self.http.get(f"{self.emulator}/portone/payments/{imp_uid}", timeout=TIMEOUT,
                             headers={"Authorization": self._portone_token()})
        if resp.status_code != 200:
            return None
        p = resp.json()["response"]
        return {"pg": "portone", "id": imp_uid, "order_id": p.get("merchant_uid"), "status": p.get("status"),
                "amount": p.get("amount"), "cancelled": p.get("cancel_amount") or 0, "account": p.get("vbank_num")}

    def toss(self, payment_key):
        """{status, amount (totalAmount), balance} as Toss has it, or None when it has none."""
        for auth in self.toss_auths:
            resp = self.http.get(f"{self.emulator}/toss/v1/payments/{payment_key}", timeout=TIMEOUT,
                                 headers={"Authorization": auth})
            if resp.status_code == 200:
                break
        else:
            return None
        p = resp.json()
        return {"pg": "toss", "id": payment_key, "order_id": p.get("orderId"), "status": p.get("status"),
                "amount": p.get("totalAmount"), "cancelled": (p.get("totalAmount") or 0) - (p.get("balanceAmount") or 0)}

    def portone_v2(self, payment_id):
        """{status, amount (amount.total), cancelled, order_id (the paymentId)} as PortOne V2 has it, or None."""
        resp = self.http.get(f"{self.emulator}/portone-v2/payments/{payment_id}", timeout=TIMEOUT,
                             headers={"Authorization": self.portone_v2_auth})
        if resp.status_code != 200:
            return None
        p = resp.json()
        amount = p.get("amount") or {}
        return {"pg": "portone_v2", "id": payment_id, "order_id": p.get("id"), "status": p.get("status"),
                "amount": amount.get("total"), "cancelled": amount.get("cancelled") or 0}

    def payment(self, pg, payment_id):
        return {"portone": self.portone, "portone_v2": self.portone_v2, "toss": self.toss}[pg](payment_id)
