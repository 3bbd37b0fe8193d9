/**
 * The counter's whole day. A payment keeps its tip (and the amount before it, whether the
 * customer still has to choose it, and what its create will send besides the payment once the
 * tip is known), what the reader said beyond approved/declined (entry mode,
 * authorisation code, the terminal's own ticket lines) and who charged it: the gateway, or a
 * terminal that charges through the shop's own bank ("standalone"). A reader can be marked as
 * such a terminal. Receipts printed, failed or asked for by email are recorded per payment, and
 * Z reports (numbered, closing a business day) are kept append-only: triggers refuse any change
 * or deletion, so the day's figures stay what they were when the day was closed.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 6,
  name: 'counter-day',
  up: (db) =>
    db.exec(`
  ALTER TABLE payments ADD COLUMN pre_tip_amount INTEGER;
  ALTER TABLE payments ADD COLUMN tip_amount INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE payments ADD COLUMN tip_percent REAL;
  ALTER TABLE payments ADD COLUMN tip_state TEXT CHECK (tip_state IN ('awaiting', 'chosen'));
  ALTER TABLE payments ADD COLUMN create_extras TEXT;
  ALTER TABLE payments ADD COLUMN entry_mode TEXT;
  ALTER TABLE payments ADD COLUMN auth_code TEXT;
  ALTER TABLE payments ADD COLUMN terminal_lines TEXT;
  ALTER TABLE payments ADD COLUMN charged_by TEXT NOT NULL DEFAULT 'gateway' CHECK (charged_by IN ('gateway', 'terminal'));

  ALTER TABLE readers ADD COLUMN standalone INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE receipts (
    id INTEGER PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    channel TEXT NOT NULL CHECK (channel IN ('print', 'email')),
    copies TEXT NOT NULL,
    duplicate INTEGER NOT NULL DEFAULT 0,
    destination TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'printed', 'failed', 'requested', 'sent')),
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX receipts_payment ON receipts (payment_id, id);
  CREATE INDEX receipts_open ON receipts (id) WHERE state IN ('pending', 'failed');

  CREATE TABLE z_reports (
    mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    number INTEGER NOT NULL CHECK (number > 0),
    business_date TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    override TEXT,
    report TEXT NOT NULL,
    reconciliation TEXT,
    digest TEXT NOT NULL,
    PRIMARY KEY (mode, number),
    UNIQUE (mode, business_date)
  );
  CREATE TRIGGER z_reports_immutable_update BEFORE UPDATE ON z_reports
    BEGIN SELECT RAISE(ABORT, 'a Z report is immutable once closed'); END;
  CREATE TRIGGER z_reports_immutable_delete BEFORE DELETE ON z_reports
    BEGIN SELECT RAISE(ABORT, 'a Z report is immutable once closed'); END;
  `),
};
