-- The emulator's shared tables: its clock and every webhook it sent.

CREATE TABLE IF NOT EXISTS clock (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    skew REAL NOT NULL              -- seconds added to real time
);
INSERT OR IGNORE INTO clock (id, skew) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    pg              TEXT NOT NULL,      -- portone | toss
    event           TEXT NOT NULL,      -- e.g. 'paid', 'PAYMENT_STATUS_CHANGED'
    payment_ref     TEXT NOT NULL,      -- imp_uid / paymentKey
    url             TEXT NOT NULL,
    content_type    TEXT NOT NULL,      -- json | form
    body            TEXT NOT NULL,      -- JSON of the payload
    schedule        TEXT NOT NULL,      -- JSON list: retry delays in documented minutes
    status          TEXT NOT NULL,      -- pending | delivered | failed (faults: held | dropped)
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,      -- emulator clock
    claimed_until   REAL,               -- real time; a worker holding the delivery
    last_status     INTEGER,
    last_error      TEXT,
    created_at      REAL NOT NULL       -- emulator clock
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_payment ON deliveries (payment_ref);

CREATE TABLE IF NOT EXISTS delivery_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    at          REAL NOT NULL,          -- emulator clock
    status_code INTEGER,                -- NULL when the shop could not be reached
    error       TEXT,
    duration_ms REAL,
    response    TEXT                    -- the first 2,000 characters the shop answered
);
CREATE INDEX IF NOT EXISTS attempts_delivery ON delivery_attempts (delivery_id);

-- Faults armed from the dashboard or by tests (emulator/faults.py), and each one applied.
CREATE TABLE IF NOT EXISTS faults (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pg         TEXT NOT NULL,           -- portone | toss
    target     TEXT NOT NULL,           -- an endpoint name from faults.TARGETS, or 'webhook'
    kind       TEXT NOT NULL,           -- error_5xx | timeout_before | timeout_after | down |
                                        -- duplicate | reorder | late | never
    count      INTEGER NOT NULL,        -- requests it affects; 0 = until cleared
    used       INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL            -- emulator clock
);
CREATE INDEX IF NOT EXISTS faults_target ON faults (pg, target);

CREATE TABLE IF NOT EXISTS fault_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    fault_id    INTEGER NOT NULL,       -- the fault may since have been cleared
    at          REAL NOT NULL,          -- emulator clock
    pg          TEXT NOT NULL,
    target      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    method      TEXT,                   -- REST: the request
    path        TEXT,                   -- REST: the request path; webhooks: the event
    ref         TEXT,                   -- the payment or order it was about
    status_code INTEGER,                -- the answer given (timeout_after: the delayed real answer)
    delay_s     REAL,                   -- timeouts: real seconds held; late: emulator seconds
    delivery_id INTEGER,                -- webhooks: the delivery affected
    detail      TEXT                    -- JSON, e.g. {"copy": <delivery id>} for duplicate
);
