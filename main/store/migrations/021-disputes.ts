/**
 * Disputes (chargebacks) the till read from its gateway: one row per dispute, per gateway and mode,
 * as last read (a later read replaces an earlier one, never the reverse). `seen_at` is when the till
 * first learned of it, `closed_at` when it learned it was won or lost (null while open: the payment
 * is in Needs attention). The disputed payment is found by its transaction id when it is read, so a
 * payment the till takes in later shows its dispute too.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 21,
  name: 'disputes',
  up: (db) => {
    db.exec(`
      CREATE TABLE disputes (
        gateway TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
        id TEXT NOT NULL,
        reference TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        amount INTEGER NOT NULL,
        currency TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('needs_response', 'under_review', 'won', 'lost')),
        reason TEXT NOT NULL,
        evidence_due_by TEXT,
        opened_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        closed_at TEXT,
        PRIMARY KEY (gateway, mode, id)
      );
      CREATE INDEX disputes_transaction ON disputes (transaction_id);
      CREATE INDEX disputes_open ON disputes (closed_at) WHERE closed_at IS NULL;
    `);
  },
};
