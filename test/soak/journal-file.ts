/**
 * Reads the host's journal file (read-only, after the host stopped) into the comparison's view.
 * The soak never writes to it: the host is the only writer.
 */
import Database from 'better-sqlite3';
import type { JournalOperation, JournalPayment, JournalView } from './compare';

export function readJournal(path: string): JournalView {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const payments = db
      .prepare(
        `SELECT id, order_reference AS orderReference, attempt, idempotency_key AS idempotencyKey, origin, status,
           transaction_id AS transactionId, amount, amount_captured AS amountCaptured, amount_refunded AS amountRefunded,
           attention_reason AS attentionReason, attention_since AS attentionSince
         FROM payments ORDER BY created_at, id`,
      )
      .all() as JournalPayment[];
    const operations = db
      .prepare(
        'SELECT payment_id AS paymentId, kind, idempotency_key AS idempotencyKey, state FROM operations ORDER BY id',
      )
      .all() as JournalOperation[];
    return { payments, operations };
  } finally {
    db.close();
  }
}
