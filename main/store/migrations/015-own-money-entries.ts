/**
 * Refunds and captures count in the reports of the till that made them. A payment another till or
 * the website took, which this till only looked up (to refund, capture or cancel it), is not this
 * till's sale: the money this till moves on it counts here, on the day it was moved, and nothing
 * else of it does. The triggers of migrations 010 and 011 counted every change of its refunded or
 * captured total, so reading it again after the other till refunded it (Details, a notification)
 * put the other till's refund in this till's day too: in two tills' Zs.
 *
 * Now a change of those totals is an entry only for a payment this till took (made here, or adopted
 * on its reader or installment plan, as `takenHere` in main/counter/reports.ts); for any other, this
 * till's own refund or capture operation is the entry, when it is done: its amount (a capture
 * without one takes all that was capturable; the operation is done before its answer is applied),
 * at the time it was done. Entries already recorded are kept: which of them another till made
 * cannot be told now.
 */
import type { Migration } from './types';

/** Taken by this till: made here, or adopted on one of its readers or installment plans. */
const TAKEN_HERE = `(NEW.origin = 'local' OR NEW.reader_id IS NOT NULL OR NEW.installment_plan_id IS NOT NULL)`;
const ELSEWHERE = `p.origin <> 'local' AND p.reader_id IS NULL AND p.installment_plan_id IS NULL`;

export const migration: Migration = {
  version: 15,
  name: 'own-money-entries',
  up: (db) =>
    db.exec(`
  DROP TRIGGER payments_refund_entry_update;
  CREATE TRIGGER payments_refund_entry_update AFTER UPDATE OF amount_refunded ON payments
    WHEN NEW.amount_refunded <> OLD.amount_refunded AND ${TAKEN_HERE}
  BEGIN
    INSERT INTO refund_entries (payment_id, amount, at)
      VALUES (NEW.id, NEW.amount_refunded - OLD.amount_refunded, NEW.updated_at);
  END;
  DROP TRIGGER payments_capture_entry_update;
  CREATE TRIGGER payments_capture_entry_update AFTER UPDATE OF amount_captured ON payments
    WHEN NEW.amount_captured <> OLD.amount_captured AND ${TAKEN_HERE}
  BEGIN
    INSERT INTO capture_entries (payment_id, amount, at)
      VALUES (NEW.id, NEW.amount_captured - OLD.amount_captured, NEW.updated_at);
  END;
  CREATE TRIGGER operations_refund_entry_elsewhere AFTER UPDATE OF state ON operations
    WHEN NEW.kind = 'refund' AND NEW.state = 'done' AND OLD.state <> 'done'
  BEGIN
    INSERT INTO refund_entries (payment_id, amount, at)
      SELECT p.id, COALESCE(json_extract(NEW.params, '$.amount'), p.amount_captured - p.amount_refunded), NEW.updated_at
      FROM payments p WHERE p.id = NEW.payment_id AND ${ELSEWHERE};
  END;
  CREATE TRIGGER operations_capture_entry_elsewhere AFTER UPDATE OF state ON operations
    WHEN NEW.kind = 'capture' AND NEW.state = 'done' AND OLD.state <> 'done'
  BEGIN
    INSERT INTO capture_entries (payment_id, amount, at)
      SELECT p.id, COALESCE(json_extract(NEW.params, '$.amount'), p.amount_capturable), NEW.updated_at
      FROM payments p WHERE p.id = NEW.payment_id AND ${ELSEWHERE};
  END;
  `),
};
