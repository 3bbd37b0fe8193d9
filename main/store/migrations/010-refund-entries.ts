/**
 * Refunds dated by when they were made. A payment keeps only its refunded total, so a report could
 * count a refund only with the payment's own day: a sale refunded after its day was closed was in
 * no Z at all. Every change of a payment's refunded total is now an entry with its time, written
 * by a trigger so that every path that records a refund (the cashier's, a terminal's, one the
 * gateway reports) makes one.
 *
 * Older refunds get the best time the journal holds: each refund operation done, at its last
 * update; what the gateway refunded besides, at the payment's last refund event (or its last
 * update). A Z closed before this counted its sales' refunds as they were when it closed (after
 * its period's end when closed the next morning): a refund it counted is dated in its period, so
 * the day after does not count it again (found by a tester).
 */
import type { Migration } from './types';

interface RefundedPayment {
  id: string;
  refunded: number;
  createdAt: string;
  updatedAt: string;
  /** When the Z that counted this payment closed, if one did. */
  countedUntil: string | null;
}

export const migration: Migration = {
  version: 10,
  name: 'refund-entries',
  up: (db) => {
    db.exec(`
  CREATE TABLE refund_entries (
    id INTEGER PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    amount INTEGER NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX refund_entries_at ON refund_entries (at, id);
  CREATE INDEX refund_entries_payment ON refund_entries (payment_id);
  `);
    const operations = db.prepare(
      `SELECT params, updated_at AS at FROM operations WHERE payment_id = ? AND kind = 'refund' AND state = 'done' ORDER BY id`,
    );
    const lastEvent = db.prepare(
      `SELECT MAX(at) AS at FROM payment_events WHERE payment_id = ? AND event IN ('refunded', 'partially_refunded')`,
    );
    const insert = db.prepare('INSERT INTO refund_entries (payment_id, amount, at) VALUES (?, ?, ?)');
    const refunded = db
      .prepare(
        `SELECT p.id, p.amount_refunded AS refunded, p.created_at AS createdAt, p.updated_at AS updatedAt,
           (SELECT z.closed_at FROM z_reports z WHERE z.mode = p.mode
              AND p.created_at >= z.window_start AND p.created_at < z.window_end) AS countedUntil
         FROM payments p WHERE p.amount_refunded <> 0`,
      )
      .all<RefundedPayment>();
    for (const payment of refunded) {
      // Counted by its Z already: dated in that Z's period (the payment's own time is in it).
      const dated = (at: string) => (payment.countedUntil && at <= payment.countedUntil ? payment.createdAt : at);
      let left = payment.refunded;
      for (const op of operations.all<{ params: string; at: string }>(payment.id)) {
        const amount = (JSON.parse(op.params) as { amount?: unknown }).amount;
        if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0 || amount > left) continue;
        insert.run(payment.id, amount, dated(op.at));
        left -= amount;
      }
      if (left !== 0) {
        const event = lastEvent.get<{ at: string | null }>(payment.id)?.at;
        insert.run(payment.id, left, dated(event ?? payment.updatedAt));
      }
    }
    // After the backfill: from here on, the journal's own writes make the entries.
    db.exec(`
  CREATE TRIGGER payments_refund_entry_update AFTER UPDATE OF amount_refunded ON payments
    WHEN NEW.amount_refunded <> OLD.amount_refunded
  BEGIN
    INSERT INTO refund_entries (payment_id, amount, at)
      VALUES (NEW.id, NEW.amount_refunded - OLD.amount_refunded, NEW.updated_at);
  END;
  CREATE TRIGGER payments_refund_entry_insert AFTER INSERT ON payments
    WHEN NEW.amount_refunded <> 0
  BEGIN
    INSERT INTO refund_entries (payment_id, amount, at) VALUES (NEW.id, NEW.amount_refunded, NEW.created_at);
  END;
  `);
  },
};
