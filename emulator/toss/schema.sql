-- The emulated Toss Payments' own records: payments, idempotency keys, billing authorizations and keys.

CREATE TABLE IF NOT EXISTS toss_payments (
    payment_key      TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL,
    order_name       TEXT NOT NULL,
    key_set          TEXT NOT NULL,      -- widget | api: which public docs key pair created it
    flow             TEXT NOT NULL,      -- sdk (SDK, redirect) | promise (SDK, no URLs) | checkout (POST /v1/payments) | billing (POST /v1/billing/{billingKey})
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

-- Billing (자동결제): a card-registration window (requestBillingAuth), then the billing key it issues.
CREATE TABLE IF NOT EXISTS toss_billing_auths (
    auth_id          TEXT PRIMARY KEY,   -- the registration window's id (never shown to the merchant)
    auth_key         TEXT UNIQUE,        -- given on successUrl once the buyer registered the card
    key_set          TEXT NOT NULL,
    customer_key     TEXT NOT NULL,
    method           TEXT NOT NULL,      -- 카드
    origin           TEXT,               -- the merchant page's origin
    success_url      TEXT NOT NULL,
    fail_url         TEXT NOT NULL,
    customer_name    TEXT,
    customer_email   TEXT,
    status           TEXT NOT NULL,      -- READY | AUTHENTICATED | ABORTED | ISSUED
    created_at       REAL NOT NULL,      -- emulator clock
    authenticated_at REAL
);

CREATE TABLE IF NOT EXISTS toss_billing_keys (
    billing_key      TEXT PRIMARY KEY,
    key_set          TEXT NOT NULL,
    customer_key     TEXT NOT NULL,
    card_number      TEXT NOT NULL,      -- masked
    authenticated_at REAL NOT NULL,
    created_at       REAL NOT NULL
);
