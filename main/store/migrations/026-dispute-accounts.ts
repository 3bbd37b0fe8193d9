/**
 * Each dispute keeps the account that reported it (see ActiveGateway.account: `sandbox`, or the
 * account's address and masked key). Keyed by gateway and mode only, after the shop changed PlutoPay's
 * URL and key (same mode) the old account's disputes stayed in Transactions and Needs attention as
 * "open… shown as last read", checked one by one with the new key, which cannot see them; and two
 * accounts may hand out the same dispute id (two sandboxes do), which then overwrote each other.
 *
 * The key becomes (gateway, mode, account, id), so the table is made again. Older rows never recorded
 * the account: they get '' and are shown with none, until an account reports the same dispute (same
 * id, same transaction) again, which claims the row (Journal.recordDispute): its timeline lines are
 * not written twice. Those no account reports again stay stored.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 26,
  name: 'dispute-accounts',
  up: (db) =>
    db.exec(`
  CREATE TABLE disputes_v25 (
    gateway TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    account TEXT NOT NULL,
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
    PRIMARY KEY (gateway, mode, account, id)
  );
  INSERT INTO disputes_v25 (gateway, mode, account, id, reference, transaction_id, amount, currency, status,
    reason, evidence_due_by, opened_at, updated_at, seen_at, closed_at)
  SELECT gateway, mode, '', id, reference, transaction_id, amount, currency, status, reason, evidence_due_by,
    opened_at, updated_at, seen_at, closed_at FROM disputes;
  DROP TABLE disputes;
  ALTER TABLE disputes_v25 RENAME TO disputes;
  CREATE INDEX disputes_transaction ON disputes (transaction_id);
  CREATE INDEX disputes_open ON disputes (closed_at) WHERE closed_at IS NULL;
  `),
};
