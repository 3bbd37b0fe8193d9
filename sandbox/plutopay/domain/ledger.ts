/** GET /_sandbox/ledger: every transaction and refund with its idempotency key, for soak comparisons. */
import { liveFlag, type Context } from '../../core/context';
import { iso } from '../../core/time';

export function ledger(ctx: Context): Record<string, unknown> {
  const transactions = (
    ctx.sql
      .get(
        'SELECT id, reference, idempotency_key, status, amount, amount_captured, amount_refunded, currency, payment_method_type, seeded, created_at FROM transactions WHERE is_live = ? ORDER BY seq',
      )
      .all(liveFlag(ctx)) as Array<{ seeded: number; created_at: number } & Record<string, unknown>>
  ).map((row) => ({ ...row, seeded: row.seeded === 1, created_at: iso(row.created_at) }));
  const refunds = (
    ctx.sql
      .get(
        'SELECT r.id, r.reference, r.transaction_id, r.idempotency_key, r.amount, r.currency, r.created_at FROM refunds r JOIN transactions t ON t.id = r.transaction_id WHERE t.is_live = ? ORDER BY r.seq',
      )
      .all(liveFlag(ctx)) as Array<{ created_at: number } & Record<string, unknown>>
  ).map((row) => ({ ...row, created_at: iso(row.created_at) }));
  return { transactions, refunds };
}
