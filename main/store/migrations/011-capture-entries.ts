/**
 * Captures dated by when they were made, as refunds are (migration 010). A report counted a
 * payment's captured amount with the payment's own day, so an authorisation captured after its
 * day's Z was in no report at all: that Z counted it as pending capture, the next day's report did
 * not count it, and a later refund of it made the days' net go below what the gateway holds (found
 * by a tester with a deferred-capture link).
 *
 * Every change of a payment's captured total is an entry, made by a trigger. A payment taken in
 * after the fact with money already captured gets none from its insert: what another till or the website captured is not this till's (an
 * installment taken in records its own entry, see Journal.recordCaptured).
 *
 * Older captures: a payment a Z counted (created in its period) is dated in that period, since the
 * Z counted its captured amount as it was when it closed; a capture the Z could not have seen (made
 * after it closed) is dated when the capture operation finished. Other payments' captures are dated
 * by their capture operation, else by the payment's own time (automatic capture). The refunds'
 * insert trigger stops dating a taken-in payment's earlier refunds at the moment it was taken in,
 * for the same reason.
 */
import type { Migration } from './types';

interface CapturedPayment {
  id: string;
  captured: number;
  createdAt: string;
  /** When its capture operation finished, if it had one. */
  capturedAt: string | null;
  /** When the Z that counted this payment closed, if one did. */
  countedUntil: string | null;
}

export const migration: Migration = {
  version: 11,
  name: 'capture-entries',
  up: (db) => {
    db.exec(`
  CREATE TABLE capture_entries (
    id INTEGER PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    amount INTEGER NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX capture_entries_at ON capture_entries (at, id);
  CREATE INDEX capture_entries_payment ON capture_entries (payment_id);
  `);
    const captured = db
      .prepare(
        `SELECT p.id, p.amount_captured AS captured, p.created_at AS createdAt,
           (SELECT MAX(o.updated_at) FROM operations o WHERE o.payment_id = p.id AND o.kind = 'capture' AND o.state = 'done')
             AS capturedAt,
           (SELECT z.closed_at FROM z_reports z WHERE z.mode = p.mode
              AND p.created_at >= z.window_start AND p.created_at < z.window_end) AS countedUntil
         FROM payments p WHERE p.amount_captured <> 0`,
      )
      .all<CapturedPayment>();
    const insert = db.prepare('INSERT INTO capture_entries (payment_id, amount, at) VALUES (?, ?, ?)');
    for (const payment of captured) {
      const at = payment.capturedAt ?? payment.createdAt;
      const counted = payment.countedUntil !== null && at <= payment.countedUntil;
      insert.run(payment.id, payment.captured, counted ? payment.createdAt : at);
    }
    db.exec(`
  CREATE TRIGGER payments_capture_entry_update AFTER UPDATE OF amount_captured ON payments
    WHEN NEW.amount_captured <> OLD.amount_captured
  BEGIN
    INSERT INTO capture_entries (payment_id, amount, at)
      VALUES (NEW.id, NEW.amount_captured - OLD.amount_captured, NEW.updated_at);
  END;
  CREATE TRIGGER payments_capture_entry_insert AFTER INSERT ON payments
    WHEN NEW.amount_captured <> 0 AND NEW.origin = 'local'
  BEGIN
    INSERT INTO capture_entries (payment_id, amount, at) VALUES (NEW.id, NEW.amount_captured, NEW.created_at);
  END;
  DROP TRIGGER payments_refund_entry_insert;
  CREATE TRIGGER payments_refund_entry_insert AFTER INSERT ON payments
    WHEN NEW.amount_refunded <> 0 AND NEW.origin = 'local'
  BEGIN
    INSERT INTO refund_entries (payment_id, amount, at) VALUES (NEW.id, NEW.amount_refunded, NEW.created_at);
  END;
  `);
  },
};
