-- The shop's own records. One order is one checkout attempt ("flow"); its steps are the log.

CREATE TABLE IF NOT EXISTS orders (
    id            TEXT PRIMARY KEY,          -- merchant_uid (PortOne) / orderId (Toss)
    pg            TEXT NOT NULL,             -- the provider id (shop/providers.py)
    sdk           TEXT NOT NULL DEFAULT '',  -- which browser SDK the page used (Toss: v1 | v2 | v2-payment)
    product_id    TEXT NOT NULL,
    quantity      INTEGER NOT NULL,
    order_name    TEXT NOT NULL,
    subtotal      INTEGER NOT NULL,          -- won, before coupons
    discount      INTEGER NOT NULL,          -- won
    amount        INTEGER NOT NULL,          -- won, what the buyer must pay
    coupons       TEXT NOT NULL DEFAULT '',  -- comma-separated coupon codes granted
    pay_method    TEXT NOT NULL DEFAULT '',
    customer_key  TEXT NOT NULL DEFAULT '',
    buyer_name    TEXT NOT NULL DEFAULT '',
    buyer_email   TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,             -- see shop.orders.Status
    pg_payment_id TEXT,                      -- imp_uid / paymentKey, once known
    pg_secret     TEXT,                      -- Toss payment secret (DEPOSIT_CALLBACK check); never shown
    vbank         TEXT,                      -- JSON: virtual account to pay into
    reason        TEXT NOT NULL DEFAULT '',  -- why the status is what it is, in plain words
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    paid_at       REAL,
    refunded      INTEGER NOT NULL DEFAULT 0 -- won refunded at the PG after it was paid
);
CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at DESC);
CREATE INDEX IF NOT EXISTS orders_pg_created ON orders (pg, created_at DESC);
CREATE INDEX IF NOT EXISTS orders_status_created ON orders (status, created_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS orders_pg_payment ON orders (pg, pg_payment_id);

-- A single-use coupon is redeemed once per customer; released when the order ends unpaid.
CREATE TABLE IF NOT EXISTS coupon_redemptions (
    code         TEXT NOT NULL,
    customer_key TEXT NOT NULL,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    PRIMARY KEY (code, customer_key)
);

CREATE TABLE IF NOT EXISTS steps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    phase       TEXT NOT NULL,             -- one of shop.steps.PHASES
    name        TEXT NOT NULL,             -- provider-prefixed, e.g. 'portone.get_token'
    kind        TEXT NOT NULL,             -- http_out | http_in | check | browser | state | fault
    actor_from  TEXT NOT NULL,             -- browser | shop | portone | toss
    actor_to    TEXT NOT NULL,
    summary     TEXT NOT NULL,             -- one plain line: what happened
    verdict     TEXT,                      -- pass | fail | info | NULL
    expected    TEXT,                      -- for checks: what the shop stored
    actual      TEXT,                      -- for checks: what it was shown
    reported    INTEGER NOT NULL DEFAULT 0,-- 1 = reported by the browser, not verified
    exchange    TEXT,                      -- JSON of the redacted HTTP exchange
    code_ref    TEXT,                      -- 'shop/portone/views.py:42 complete'
    started_at  REAL NOT NULL,
    duration_ms REAL
);
CREATE INDEX IF NOT EXISTS steps_order ON steps (order_id, id);

-- PG access tokens, shared by every worker process (PortOne V1 getToken).
CREATE TABLE IF NOT EXISTS pg_tokens (
    provider   TEXT PRIMARY KEY,
    token      TEXT NOT NULL,
    expires_at REAL NOT NULL
);

-- Payments at the PG that are not the one that settled their order (a second payment, one for an order
-- the shop gave up on, one that did not match): the shop cancels each and keeps trying until it is done.
CREATE TABLE IF NOT EXISTS pg_cancels (
    pg         TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    order_id   TEXT NOT NULL REFERENCES orders (id),
    why        TEXT NOT NULL,           -- a stored message: why it is not kept
    state      TEXT NOT NULL,           -- pending | done | refund_account (a person must act)
    tries      INTEGER NOT NULL DEFAULT 0,
    trouble    TEXT,                    -- what went wrong with the last try
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (pg, payment_id)
);
CREATE INDEX IF NOT EXISTS pg_cancels_order ON pg_cancels (order_id);
CREATE INDEX IF NOT EXISTS pg_cancels_state ON pg_cancels (state);

-- Cards registered for automatic payments (shop/billing.py): one per customer and PG. billing_key is a
-- secret: it never reaches a page, a JSON answer or a step (redacted as [REDACTED:billingKey]).
CREATE TABLE IF NOT EXISTS billing_keys (
    customer_key TEXT NOT NULL,
    pg           TEXT NOT NULL,
    billing_key  TEXT NOT NULL,
    card_company TEXT NOT NULL DEFAULT '',
    card_number  TEXT NOT NULL DEFAULT '',   -- masked by the PG
    order_id     TEXT NOT NULL REFERENCES orders (id),   -- the registration's flow
    created_at   REAL NOT NULL,
    PRIMARY KEY (customer_key, pg)
);
