-- The emulated Toss Payments' own records: payments and idempotency keys.

CREATE TABLE IF NOT EXISTS toss_payments (
    payment_key      TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL,
    order_name       TEXT NOT NULL,
    key_set          TEXT NOT NULL,      -- widget | api: which public docs key pair created it
    flow             TEXT NOT NULL,      -- sdk (widget, redirect) | promise (widget, no URLs) | checkout (POST /v1/payments)
    origin           TEXT,               -- the merchant site's origin: default webhook target
    requested_method TEXT NOT NULL,      -- Korean method picked before the window opened
    method           TEXT,               -- Korean method; NULL until the buyer authenticated
    amount           INTEGER NOT NULL,   -- totalAmount, in won
    balance_amount   INTEGER NOT NULL,
    status           TEXT NOT NULL,      -- READY IN_PROGRESS WAITING_FOR_DEPOSIT DONE CANCELED PARTIAL_CANCELED ABORTED EXPIRED
    requested_at     REAL NOT NULL,      -- emulator clock
    authenticated_at REAL,
    approved_at      REAL,
    expires_at       REAL,               -- deadline while READY (30 min) or IN_PROGRESS (10 min)
    secret           TEXT NOT NULL,
    customer_key     TEXT,
    customer_name    TEXT,
    customer_email   TEXT,
    customer_phone   TEXT,
    success_url      TEXT,
    fail_url         TEXT,
    last_transaction_key TEXT,
    failure_code     TEXT,
    failure_message  TEXT,
    details          TEXT NOT NULL DEFAULT '{}',   -- JSON: card, virtualAccount, transfer, mobilePhone, easyPay
    cancels          TEXT,                         -- JSON list of cancel objects, NULL before the first
    metadata         TEXT,                         -- JSON
    updated_at       REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS toss_payments_order ON toss_payments (order_id);
CREATE INDEX IF NOT EXISTS toss_payments_due ON toss_payments (status, expires_at);
CREATE INDEX IF NOT EXISTS toss_payments_recent ON toss_payments (requested_at);

CREATE TABLE IF NOT EXISTS toss_idempotency (
    idem_key    TEXT NOT NULL,
    api_key     TEXT NOT NULL,       -- sha256 of the secret key that sent it
    path        TEXT NOT NULL,
    method      TEXT NOT NULL,
    state       TEXT NOT NULL,       -- processing | done
    status_code INTEGER,
    body        TEXT,
    created_at  REAL NOT NULL,       -- emulator clock; valid 15 days
    PRIMARY KEY (idem_key, api_key, path, method)
);
