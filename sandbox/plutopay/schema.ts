/**
 * The sandbox's schema, as numbered migrations. PRAGMA user_version records how many have run, so
 * a database written by an older sandbox is upgraded in place and one written by a newer sandbox is
 * refused instead of being misread. Timestamps are integers (epoch ms); JSON columns are TEXT.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE customers (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    email TEXT, name TEXT, phone TEXT, external_id TEXT,
    address_line1 TEXT, city TEXT, state TEXT, postal_code TEXT, country TEXT,
    metadata TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );

  CREATE TABLE transactions (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    amount_refunded INTEGER NOT NULL DEFAULT 0,
    amount_capturable INTEGER NOT NULL DEFAULT 0,
    amount_captured INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    payment_method_type TEXT NOT NULL,
    capture_method TEXT NOT NULL,
    description TEXT, customer_id TEXT, terminal_id TEXT, receipt_email TEXT,
    metadata TEXT NOT NULL,
    card_brand TEXT, card_last4 TEXT,
    failure_code TEXT, failure_message TEXT,
    client_secret TEXT,
    -- NULLs are distinct in a UNIQUE column: only keyed requests are deduplicated, by the database.
    idempotency_key TEXT UNIQUE,
    idempotency_params TEXT,
    capture_key TEXT, cancel_key TEXT,
    seeded INTEGER NOT NULL DEFAULT 0,
    captured_at INTEGER, canceled_at INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX transactions_created ON transactions (created_at);
  CREATE INDEX transactions_status ON transactions (status);

  CREATE TABLE refunds (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    transaction_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    metadata TEXT NOT NULL,
    idempotency_key TEXT,
    idempotency_params TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (transaction_id, idempotency_key)
  );

  CREATE TABLE terminals (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    processor_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    device_type TEXT,
    serial_number TEXT,
    -- The pairing code, unique so two terminals can never claim one device. The bare code
    -- "simulated" is stored as NULL: any number of simulated readers may use it.
    registration_code TEXT UNIQUE,
    location_name TEXT, location_address TEXT, software_version TEXT,
    last_seen_at INTEGER,
    action_id TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );

  CREATE TABLE reader_actions (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    terminal_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    capture_method TEXT NOT NULL,
    presented_card TEXT,
    failure_code TEXT, failure_message TEXT,
    result TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX reader_actions_transaction ON reader_actions (transaction_id, status);

  CREATE TABLE checkout_sessions (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    transaction_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT, success_url TEXT, cancel_url TEXT,
    customer_email TEXT, customer_name TEXT,
    collect_email INTEGER NOT NULL, collect_name INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    expires_at INTEGER NOT NULL, completed_at INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX checkout_open ON checkout_sessions (status, expires_at);

  CREATE TABLE payouts (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    arrival_date TEXT NOT NULL,
    description TEXT,
    failure_code TEXT, failure_message TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );

  CREATE TABLE disputes (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    transaction_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence_due_by INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );

  CREATE TABLE webhook_endpoints (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    events TEXT,
    description TEXT,
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );

  CREATE TABLE webhook_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_status_code INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
  `,
  /* 2 */ `
  -- The mode (1 live, 0 test) each object was made in: a mode only sees its own (core liveFlag).
  -- Rows from before this column are test-mode data, the default mode.
  ALTER TABLE customers ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE transactions ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE terminals ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE checkout_sessions ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE payouts ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE disputes ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE webhook_endpoints ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX transactions_live_created ON transactions (is_live, created_at);
  `,
  /* 3 */ `
  -- A session follows its payment: found by transaction when the payment is decided.
  CREATE INDEX checkout_transaction ON checkout_sessions (transaction_id);
  `,
  /* 4 */ `
  -- One key space: a create, capture, cancel or refund key is looked for everywhere before it is used.
  CREATE INDEX transactions_capture_key ON transactions (capture_key) WHERE capture_key IS NOT NULL;
  CREATE INDEX transactions_cancel_key ON transactions (cancel_key) WHERE cancel_key IS NOT NULL;
  CREATE INDEX refunds_key ON refunds (idempotency_key) WHERE idempotency_key IS NOT NULL;
  `,
  /* 5 */ `
  -- Every list and count filters on is_live, so transactions_live_created (is_live, created_at)
  -- serves them all; this one only cost a page write on every create.
  DROP INDEX IF EXISTS transactions_created;
  `,
  /* 6 */ `
  -- Every refund and every dispute opened sums what a payment's disputes hold (heldByDisputes):
  -- without this it read the whole disputes table each time.
  CREATE INDEX disputes_transaction ON disputes (transaction_id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
