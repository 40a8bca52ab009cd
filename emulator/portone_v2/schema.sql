-- The emulated PortOne V2's records: access tokens, payment attempts (transactions), pre-registrations
-- and the V2 facts of each webhook it sent (the sending itself is in the shared deliveries table).

CREATE TABLE IF NOT EXISTS portone_v2_tokens (
    access_token  TEXT PRIMARY KEY,
    refresh_token TEXT NOT NULL,
    expires_at    REAL NOT NULL,       -- emulator clock; the access token is valid while now < expires_at
    refresh_until REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS portone_v2_tokens_refresh ON portone_v2_tokens (refresh_token);

-- One row per requestPayment attempt; a paymentId may have many, only one of them can be paid.
CREATE TABLE IF NOT EXISTS portone_v2_transactions (
    tx_id             TEXT PRIMARY KEY,      -- uuid, the SDK's txId and the payment's transactionId
    payment_id        TEXT NOT NULL,
    store_id          TEXT NOT NULL,
    channel_key       TEXT NOT NULL,
    pay_method        TEXT NOT NULL,         -- CARD | VIRTUAL_ACCOUNT | TRANSFER | MOBILE | EASY_PAY
    order_name        TEXT NOT NULL,
    total_amount      INTEGER NOT NULL,
    tax_free_amount   INTEGER NOT NULL DEFAULT 0,
    vat_amount        INTEGER,
    currency          TEXT NOT NULL,
    customer          TEXT NOT NULL DEFAULT '{}',   -- JSON (API field names)
    products          TEXT,                         -- JSON list or NULL
    custom_data       TEXT,                         -- JSON string, as the API returns it
    notice_urls       TEXT NOT NULL DEFAULT '[]',
    redirect_url      TEXT,
    force_redirect    INTEGER NOT NULL DEFAULT 0,
    confirm_url       TEXT,
    easy_pay_provider TEXT,
    is_escrow         INTEGER NOT NULL DEFAULT 0,
    is_cultural       INTEGER NOT NULL DEFAULT 0,
    country           TEXT,
    platform          TEXT NOT NULL,         -- PC | MOBILE
    ip_address        TEXT NOT NULL,
    user_agent        TEXT,
    page_url          TEXT,
    status            TEXT NOT NULL,         -- READY | PAY_PENDING | VIRTUAL_ACCOUNT_ISSUED | PAID | FAILED |
                                             -- PARTIAL_CANCELLED | CANCELLED
    method            TEXT,                  -- JSON PaymentMethod, once the buyer chose
    pg_tx_id          TEXT,
    payment_token     TEXT,                  -- manual confirm (confirmUrl): the token /confirm needs
    failure           TEXT,                  -- JSON {reason, pgCode, pgMessage}
    cancelled_amount  INTEGER NOT NULL DEFAULT 0,
    cancelled_tax_free INTEGER NOT NULL DEFAULT 0,
    cancelled_vat     INTEGER NOT NULL DEFAULT 0,
    cancellations     TEXT NOT NULL DEFAULT '[]',  -- JSON list of PaymentCancellation
    requested_at      REAL NOT NULL,         -- emulator clock, UNIX s
    updated_at        REAL NOT NULL,
    status_changed_at REAL NOT NULL,
    paid_at           REAL,
    failed_at         REAL,
    cancelled_at      REAL,
    window_state      TEXT NOT NULL DEFAULT 'open'   -- open | decided
);
CREATE INDEX IF NOT EXISTS portone_v2_tx_payment ON portone_v2_transactions (payment_id, requested_at);

CREATE TABLE IF NOT EXISTS portone_v2_preregs (
    payment_id      TEXT PRIMARY KEY,
    store_id        TEXT NOT NULL,
    total_amount    INTEGER,
    tax_free_amount INTEGER,
    currency        TEXT,
    created_at      REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS portone_v2_webhooks (
    delivery_id    INTEGER PRIMARY KEY,     -- deliveries.id
    webhook_id     TEXT NOT NULL UNIQUE,    -- PaymentWebhook.id and the webhook-id header
    payment_id     TEXT NOT NULL,
    tx_id          TEXT NOT NULL,
    payment_status TEXT NOT NULL,           -- the payment's status the webhook announced
    trigger        TEXT,                    -- MANUAL | VIRTUAL_ACCOUNT_DEPOSIT | NULL
    resent_from    TEXT,                    -- the webhook_id a manual resend repeats
    created_at     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS portone_v2_webhooks_payment ON portone_v2_webhooks (payment_id);
