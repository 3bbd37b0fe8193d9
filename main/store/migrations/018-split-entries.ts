/**
 * Split shares dated by when their state changed, as captures and refunds are (migrations 010,
 * 011). A payment's shares are rewritten whole each time the gateway is read (Journal.setSplits), so
 * their `updated_at` says when they were last read, not when a share was released or cancelled: a
 * report could only say what the shares are now, not what they were at its period's end.
 *
 * An entry is made, by a trigger, whenever a share is written with another merchant, amount, status
 * or released amount than its last entry: dated when the till learned it (a release made here, or
 * one the gateway reports when read). Older shares get one entry each, at their last read: the best
 * time the journal holds.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 18,
  name: 'split-entries',
  up: (db) =>
    db.exec(`
  CREATE TABLE split_entries (
    id INTEGER PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    position INTEGER NOT NULL,
    merchant_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    status TEXT NOT NULL,
    released_amount INTEGER NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX split_entries_share ON split_entries (payment_id, position, id);
  INSERT INTO split_entries (payment_id, position, merchant_id, amount, status, released_amount, at)
    SELECT payment_id, position, merchant_id, amount, status, released_amount, updated_at
      FROM payment_splits ORDER BY updated_at, payment_id, position;
  CREATE TRIGGER payment_splits_entry AFTER INSERT ON payment_splits
    WHEN NOT EXISTS (
      SELECT 1 FROM split_entries e
       WHERE e.id = (SELECT MAX(id) FROM split_entries WHERE payment_id = NEW.payment_id AND position = NEW.position)
         AND e.merchant_id = NEW.merchant_id AND e.amount = NEW.amount AND e.status = NEW.status
         AND e.released_amount = NEW.released_amount)
  BEGIN
    INSERT INTO split_entries (payment_id, position, merchant_id, amount, status, released_amount, at)
      VALUES (NEW.payment_id, NEW.position, NEW.merchant_id, NEW.amount, NEW.status, NEW.released_amount, NEW.updated_at);
  END;
  `),
};
