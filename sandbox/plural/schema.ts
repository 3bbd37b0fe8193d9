/**
 * The Plural emulator's tables, as numbered migrations (recorded under `plural` in schema_versions,
 * independently of the other emulators). Timestamps are integers (epoch ms); JSON columns are TEXT.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  -- Credentials (client_id, client_secret, signature_key) and the merchant id, made once per database.
  CREATE TABLE plural_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE plural_tokens (
    token TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- Charges and refunds alike are orders (a refund is an order of type REFUND with a parent).
  CREATE TABLE plural_orders (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    merchant_order_reference TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    parent_order_id TEXT,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    pre_auth INTEGER NOT NULL,
    allowed_payment_methods TEXT,
    notes TEXT,
    callback_url TEXT,
    customer TEXT,
    merchant_metadata TEXT,
    split_type TEXT,
    captured INTEGER NOT NULL DEFAULT 0,
    refunded INTEGER NOT NULL DEFAULT 0,
    payment_retries_remaining INTEGER NOT NULL,
    checkout_token TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX plural_orders_parent ON plural_orders (parent_order_id);

  CREATE TABLE plural_payments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    merchant_payment_reference TEXT,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    card_network TEXT NOT NULL,
    card_type TEXT NOT NULL,
    card_issuer TEXT NOT NULL,
    card_last4 TEXT NOT NULL,
    challenge_token TEXT UNIQUE,
    error_code TEXT,
    error_message TEXT,
    approval_code TEXT,
    acquirer_reference TEXT,
    rrn TEXT,
    capture_reference TEXT,
    captured INTEGER,
    captured_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX plural_payments_order ON plural_payments (order_id, seq);

  -- A split of a charge order, or (with parent_split_id) a split line of a refund order.
  CREATE TABLE plural_splits (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    parent_split_id TEXT,
    split_merchant_id TEXT NOT NULL,
    merchant_settlement_reference TEXT,
    amount INTEGER NOT NULL,
    status TEXT,
    release_amount INTEGER,
    refunded_recovered INTEGER NOT NULL DEFAULT 0,
    refunded_unrecovered INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX plural_splits_order ON plural_splits (order_id, seq);

  CREATE TABLE plural_webhook_endpoints (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    events TEXT,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE plural_webhook_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE plural_webhook_deliveries (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_status_code INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX plural_webhook_deliveries_due ON plural_webhook_deliveries (status, next_attempt_at);
  `,
  /* 2 */ `
  -- The mode (1 live, 0 test) an order or endpoint was made in: a mode only sees its own (core liveFlag).
  -- Payments, splits and refund orders follow their order. Older rows are test-mode data.
  ALTER TABLE plural_orders ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE plural_webhook_endpoints ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;
  `,
];
