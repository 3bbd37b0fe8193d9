/**
 * The first schema: payments, their timelines, the remote operations, paired readers, settings.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 1,
  name: 'initial',
  up: (db) =>
    db.exec(`
  CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    order_reference TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL CHECK (origin IN ('local', 'adopted')),
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    description TEXT,
    capture_method TEXT NOT NULL,
    customer_id TEXT,
    receipt_email TEXT,
    status TEXT NOT NULL,
    transaction_id TEXT UNIQUE,
    reference TEXT,
    reader_id TEXT,
    reader_stage TEXT,
    action_id TEXT,
    decline_code TEXT,
    decline_message TEXT,
    card_brand TEXT,
    card_last4 TEXT,
    amount_capturable INTEGER NOT NULL DEFAULT 0,
    amount_captured INTEGER NOT NULL DEFAULT 0,
    amount_refunded INTEGER NOT NULL DEFAULT 0,
    attention_reason TEXT,
    attention_advice TEXT,
    attention_since TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (order_reference, attempt)
  );
  CREATE INDEX payments_created ON payments (created_at DESC);
  CREATE INDEX payments_status ON payments (status, created_at DESC);
  CREATE INDEX payments_reference ON payments (reference);
  CREATE INDEX payments_attention ON payments (attention_since) WHERE attention_since IS NOT NULL;

  CREATE TABLE payment_events (
    id INTEGER PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX payment_events_payment ON payment_events (payment_id, id);

  CREATE TABLE operations (
    id INTEGER PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    kind TEXT NOT NULL CHECK (kind IN ('create', 'process', 'report', 'capture', 'cancel', 'refund')),
    idempotency_key TEXT NOT NULL UNIQUE,
    params TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX operations_pending ON operations (state, id);
  CREATE INDEX operations_payment ON operations (payment_id, id);

  CREATE TABLE readers (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    registration_code TEXT NOT NULL,
    terminal_id TEXT,
    processor_id TEXT,
    created_at TEXT NOT NULL
  );

  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `),
};
