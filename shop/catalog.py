"""The shop's products and coupons, and the pure arithmetic of an order's amount.

The server owns these: the browser only names a product, a quantity and coupon codes.
"""
from dataclasses import dataclass
from datetime import date


def N_(message):
    """Marks a message for the translation catalog; the view translates it when it answers."""
    return message


PRODUCTS = {
    "shoes": {"name": N_("Running shoes"), "price": 15000},
    "jacket": {"name": N_("Rain jacket"), "price": 89000},
    "socks": {"name": N_("Wool socks"), "price": 3000},
}
MAX_QUANTITY = 10
MIN_AMOUNT = 100  # won: the least a card payment may charge
MAX_COUPONS = 3   # codes per order; each once, their discounts add up

# kind: 'fixed' (won off) or 'percent'; min_order: subtotal needed; expires: last valid day;
# single_use: once per customer.
COUPONS = {
    "TOSS5000": {"kind": "fixed", "value": 5000, "min_order": 0, "expires": None, "single_use": False},
    "WELCOME10": {"kind": "percent", "value": 10, "min_order": 0, "expires": None, "single_use": False},
    "BIG30K": {"kind": "fixed", "value": 8000, "min_order": 30000, "expires": None, "single_use": False},
    "SUMMER2025": {"kind": "percent", "value": 20, "min_order": 0, "expires": date(2025, 8, 31),
                   "single_use": False},
    "FIRSTBUY": {"kind": "fixed", "value": 3000, "min_order": 0, "expires": None, "single_use": True},
}
FIXED_COUPON = "TOSS5000"  # the fixed 5,000원 coupon from the Toss widget docs


class OrderRefused(ValueError):
    """The order cannot be made as asked. `code` is stable; `message` is for people."""

    def __init__(self, error, message, **params):
        super().__init__(message)
        self.code = error
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Quote:
    product_id: str
    quantity: int
    order_name: str
    subtotal: int
    discount: int
    amount: int
    coupons: tuple
    lines: tuple = ()     # (code, won off) per granted coupon


def normalize_code(code):
    return (code or "").strip().upper()


def quote(product_id, quantity, coupon_codes, today, used_single=(), translate=str):
    """Price an order. Returns a Quote or raises OrderRefused.

    coupon_codes: codes the buyer asked for, applied in order; used_single: single-use codes
    this customer has already redeemed; translate: puts the product's name (the order name the
    PG shows) in the buyer's language.
    """
    product = PRODUCTS.get(product_id)
    if product is None:
        raise OrderRefused("UNKNOWN_PRODUCT", N_("There is no such product."))
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise OrderRefused("BAD_QUANTITY", N_("Quantity must be a whole number from 1 to 10."))
    subtotal = product["price"] * quantity
    lines = _coupon_lines(coupon_codes, subtotal, today, used_single)
    granted = [code for code, _ in lines]
    discount = sum(off for _, off in lines)
    amount = subtotal - discount
    if amount < MIN_AMOUNT:
        raise OrderRefused("AMOUNT_TOO_LOW", N_("With these coupons the amount would be %(amount)s won; "
                           "an order must be at least %(min)s won."), amount=amount, min=MIN_AMOUNT)
    return Quote(product_id, quantity, order_name(product_id, quantity, translate), subtotal, discount, amount,
                 tuple(granted), tuple(lines))


def _coupon_lines(coupon_codes, subtotal, today, used_single):
    """(code, won off) for each coupon asked, in order; raises OrderRefused for one that cannot be granted."""
    granted, lines = [], []
    for raw in coupon_codes:
        code = normalize_code(raw)
        if not code:
            continue
        coupon = COUPONS.get(code)
        if coupon is None:
            raise OrderRefused("UNKNOWN_COUPON", N_("Coupon %(code)s does not exist."), code=code)
        if code in granted:
            raise OrderRefused("DUPLICATE_COUPON", N_("Coupon %(code)s can be used once per order."), code=code)
        if coupon["expires"] and today > coupon["expires"]:
            raise OrderRefused("EXPIRED_COUPON", N_("Coupon %(code)s expired on %(date)s."), code=code,
                               date=coupon["expires"].isoformat())
        if subtotal < coupon["min_order"]:
            raise OrderRefused("MIN_ORDER_NOT_MET", N_("Coupon %(code)s needs an order of at least %(min)s won."),
                               code=code, min=coupon["min_order"])
        if coupon["single_use"] and code in used_single:
            raise OrderRefused("COUPON_ALREADY_USED", N_("Coupon %(code)s has already been used."), code=code)
        off = coupon["value"] if coupon["kind"] == "fixed" else subtotal * coupon["value"] // 100
        granted.append(code)
        lines.append((code, off))
    return lines


def order_name(product_id, quantity, translate=str):
    """The product's name (× quantity) in the reader's language; the id itself for a product no longer sold."""
    product = PRODUCTS.get(product_id)
    label = translate(product["name"]) if product else str(product_id)
    return label if quantity == 1 else f"{label} x {quantity}"
