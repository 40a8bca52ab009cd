-- The emulated PortOne V1's records: access tokens, payments, pre-registered amounts, billing keys, settings.

CREATE TABLE IF NOT EXISTS portone_tokens (
    access_token TEXT PRIMARY KEY,
    imp_key      TEXT NOT NULL,
    issued_at    INTEGER NOT NULL,     -- UNIX s, emulator clock
    expired_at   INTEGER NOT NULL      -- valid while now < expired_at
);
CREATE INDEX IF NOT EXISTS portone_tokens_key ON portone_tokens (imp_key, expired_at);

CREATE TABLE IF NOT EXISTS portone_payments (
    imp_uid             TEXT PRIMARY KEY,   -- imp_ + 12 digits
    merchant_uid        TEXT NOT NULL,
    user_code           TEXT NOT NULL,
    sdk                 TEXT NOT NULL,      -- 1.3.0 (v1/iamport.js) | 1.2.0 (legacy rsp)
    pay_method          TEXT NOT NULL,
    channel             TEXT NOT NULL,      -- pc | mobile (m_redirect_url given)
    pg_provider         TEXT NOT NULL,
    emb_pg_provider     TEXT,
    pg_tid              TEXT,
    pg_id               TEXT,
    escrow              INTEGER NOT NULL DEFAULT 0,
    apply_num           TEXT,
    bank_code           TEXT,
    bank_name           TEXT,
    card_code           TEXT,
    card_name           TEXT,
    card_number         TEXT,
    card_quota          INTEGER NOT NULL DEFAULT 0,
    card_type           INTEGER,
    vbank_code          TEXT,
    vbank_name          TEXT,
    vbank_num           TEXT,
    vbank_holder        TEXT,
    vbank_date          INTEGER NOT NULL DEFAULT 0,
    vbank_issued_at     INTEGER NOT NULL DEFAULT 0,
    name                TEXT,
    amount              NUMERIC NOT NULL,
    cancel_amount       NUMERIC NOT NULL DEFAULT 0,
    currency            TEXT NOT NULL,
    buyer_name          TEXT,
    buyer_email         TEXT,
    buyer_tel           TEXT,
    buyer_addr          TEXT,
    buyer_postcode      TEXT,
    custom_data         TEXT,               -- JSON string, as the real API keeps it
    user_agent          TEXT,
    status              TEXT NOT NULL,      -- ready | paid | failed | cancelled
    started_at          INTEGER NOT NULL,
    paid_at             INTEGER NOT NULL DEFAULT 0,
    failed_at           INTEGER NOT NULL DEFAULT 0,
    cancelled_at        INTEGER NOT NULL DEFAULT 0,
    updated_at          INTEGER NOT NULL,
    fail_reason         TEXT,
    cancel_reason       TEXT,
    cancel_history      TEXT NOT NULL DEFAULT '[]',  -- JSON list of cancellations
    notice_urls         TEXT NOT NULL DEFAULT '[]',  -- JSON list from request_pay's notice_url
    m_redirect_url      TEXT,
    page_url            TEXT,
    vbank_due           TEXT,               -- as the page sent it
    window_state        TEXT NOT NULL DEFAULT 'open', -- open | decided
    customer_uid        TEXT,               -- billing key used or issued (정기결제)
    customer_uid_usage  TEXT,               -- NULL | issue | payment
    pg_cancelled_at     INTEGER NOT NULL DEFAULT 0,   -- the PG's own test-mode nightly cancel (not PortOne's)
    cash_receipt        TEXT                -- JSON of the issued cash receipt (ReceiptAnnotation)
);
CREATE INDEX IF NOT EXISTS portone_payments_merchant ON portone_payments (merchant_uid);
CREATE INDEX IF NOT EXISTS portone_payments_started ON portone_payments (started_at);

CREATE TABLE IF NOT EXISTS portone_prepares (
    merchant_uid TEXT PRIMARY KEY,
    amount       NUMERIC NOT NULL,
    currency     TEXT,                       -- NULL: not checked
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS portone_customers (   -- billing keys (빌링키) by the merchant's customer_uid
    customer_uid      TEXT PRIMARY KEY,
    pg_provider       TEXT NOT NULL,
    pg_id             TEXT NOT NULL,
    card_code         TEXT NOT NULL,
    card_name         TEXT NOT NULL,
    card_number       TEXT NOT NULL,            -- masked
    customer_id       TEXT,
    customer_name     TEXT,
    customer_tel      TEXT,
    customer_email    TEXT,
    customer_addr     TEXT,
    customer_postcode TEXT,
    inserted          INTEGER NOT NULL,
    updated           INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS portone_settings (    -- emulator switches, e.g. nightly_cancel = '1'
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
