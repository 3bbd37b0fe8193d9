/**
 * The card a payment was charged on, put back where a sync overwrote it. Before the fix in
 * `PaymentSync.apply` (the gateway's card id is never copied), every read of a payment copied the
 * gateway's `card.id` into `saved_card_id`. For a PayPlug link on which the customer ticked "save my
 * card", that id is the card the link saved, not one it was charged on: the reports counted such a
 * link under "Saved card (no reader)", Process payment called it a saved card charge, and a refused
 * card would have been blamed on it.
 *
 * The journal still holds the truth: a payment the till made sent its create with the card it was to
 * be charged on (the operation's `savedCardId`, null for a link), under the payment's own key; a
 * payment the till took in (adopted, an installment part) was never charged on a card by the till, so
 * any card id on it came from a sync. Only rows the gateway answered about (a transaction id) can have
 * been overwritten: a payment still waiting for its tip keeps the card it will be charged on, though
 * its create is not written yet. Nothing else changes (not `updated_at`: the payment did not).
 */
import type { Migration } from './types';

interface Row {
  id: string;
  savedCardId: string;
  params: string | null;
}

export const migration: Migration = {
  version: 19,
  name: 'charged-card',
  up: (db) => {
    const rows = db
      .prepare(
        `SELECT p.id, p.saved_card_id AS savedCardId, o.params
         FROM payments p LEFT JOIN operations o ON o.idempotency_key = p.idempotency_key AND o.kind = 'create'
         WHERE p.saved_card_id IS NOT NULL AND p.transaction_id IS NOT NULL`,
      )
      .all<Row>();
    const update = db.prepare('UPDATE payments SET saved_card_id = ? WHERE id = ?');
    for (const row of rows) {
      const charged = chargedCard(row.params);
      if (charged !== row.savedCardId) update.run(charged, row.id);
    }
  },
};

/** The card a create was sent to charge, or null (a link, or no create: a payment taken in). */
function chargedCard(params: string | null): string | null {
  if (params === null) return null;
  try {
    const parsed: unknown = JSON.parse(params);
    const card = (parsed as { savedCardId?: unknown } | null)?.savedCardId;
    return typeof card === 'string' ? card : null;
  } catch {
    return null;
  }
}
