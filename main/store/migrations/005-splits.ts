/**
 * Split settlement: each payment's shares, one row per merchant, as the till asked for them and as
 * the gateway last said (its id for the share, HOLD / RELEASED / CANCELLED, what was released to
 * the merchant and what was refunded from it). Releases and cancels of a share are operations like
 * captures and refunds (kinds `release` and `cancel_split` in the operations table, which pins no
 * kind since 004): journaled with their key before they are sent, retrieved before a retry.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 5,
  name: 'splits',
  up: (db) =>
    db.exec(`
  CREATE TABLE payment_splits (
    payment_id TEXT NOT NULL REFERENCES payments (id),
    position INTEGER NOT NULL,
    split_id TEXT,
    merchant_id TEXT NOT NULL,
    settlement_reference TEXT,
    amount INTEGER NOT NULL,
    on_hold INTEGER NOT NULL CHECK (on_hold IN (0, 1)),
    status TEXT NOT NULL,
    released_amount INTEGER NOT NULL DEFAULT 0,
    refunded_amount INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (payment_id, position)
  );
  CREATE INDEX payment_splits_held ON payment_splits (payment_id) WHERE status = 'HOLD';
  `),
};
