/**
 * Demo data for a new database, so the payouts and disputes screens have something to show.
 * Deterministic: the same ids, references and amounts every time (timestamps are relative to the
 * database's creation). Disputes need payments to be filed against, so four past payments are
 * seeded too (metadata `{"seed": "demo"}`, flagged `seeded` in the ledger). `seed: false` skips it all.
 */
import { SeededIds } from '../../core/ids';
import { formatted } from '../../core/money';
import { liveFlag, type Context } from '../../core/context';
import type { DisputeReason, DisputeStatus, PayoutsAndDisputes, PayoutStatus } from './payouts-disputes';
import { DAY, HOUR, isoDate } from '../../core/time';

const SEED = 0x5eed;

interface SeedPayment {
  daysAgo: number;
  amount: number;
  type: 'terminal' | 'card';
  brand: string;
  last4: string;
  refunded: number;
  description: string;
  dispute: { status: DisputeStatus; reason: DisputeReason };
}

const PAYMENTS: readonly SeedPayment[] = [
  {
    daysAgo: 3,
    amount: 4250,
    type: 'terminal',
    brand: 'visa',
    last4: '4242',
    refunded: 0,
    description: 'Demo: flat white and pastries',
    dispute: { status: 'needs_response', reason: 'fraudulent' },
  },
  {
    daysAgo: 6,
    amount: 12900,
    type: 'card',
    brand: 'mastercard',
    last4: '5559',
    refunded: 0,
    description: 'Demo: coffee beans subscription',
    dispute: { status: 'under_review', reason: 'product_not_received' },
  },
  {
    daysAgo: 12,
    amount: 2500,
    type: 'terminal',
    brand: 'visa',
    last4: '4242',
    refunded: 500,
    description: 'Demo: lunch menu',
    dispute: { status: 'won', reason: 'duplicate' },
  },
  {
    daysAgo: 20,
    amount: 8800,
    type: 'card',
    brand: 'visa',
    last4: '4242',
    refunded: 0,
    description: 'Demo: catering order',
    dispute: { status: 'lost', reason: 'general' },
  },
];

const PAYOUTS: ReadonlyArray<{ daysAgo: number; amount: number; status: PayoutStatus }> = [
  { daysAgo: 21, amount: 184_320, status: 'paid' },
  { daysAgo: 14, amount: 201_775, status: 'paid' },
  { daysAgo: 10, amount: 96_410, status: 'failed' },
  { daysAgo: 7, amount: 176_050, status: 'paid' },
  { daysAgo: 2, amount: 158_990, status: 'in_transit' },
  { daysAgo: 0, amount: 42_135, status: 'pending' },
];

export function seedDemoData(ctx: Context, store: PayoutsAndDisputes, currency: string): void {
  const ids = new SeededIds(SEED);
  const now = ctx.clock.now();
  const insertTxn = ctx.sql.get(
    `INSERT INTO transactions (id, reference, status, amount, amount_refunded, amount_capturable, amount_captured, currency,
     payment_method_type, capture_method, description, metadata, card_brand, card_last4, seeded, captured_at, created_at, updated_at, is_live)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, 'automatic', ?, '{"seed":"demo"}', ?, ?, 1, ?, ?, ?, ?)`,
  );
  for (const p of PAYMENTS) {
    const at = now - p.daysAgo * DAY - 5 * HOUR;
    const id = ids.uuid(at);
    const status = p.refunded === 0 ? 'succeeded' : p.refunded === p.amount ? 'refunded' : 'partially_refunded';
    insertTxn.run(
      id,
      `txn_${ids.alnum(20)}`,
      status,
      p.amount,
      p.refunded,
      p.amount,
      currency,
      p.type,
      p.description,
      p.brand,
      p.last4,
      at,
      at,
      at,
      liveFlag(ctx),
    );
    if (p.refunded > 0) {
      ctx.sql
        .get(
          `INSERT INTO refunds (id, reference, transaction_id, amount, currency, status, reason, metadata, created_at) VALUES (?, ?, ?, ?, ?, 'succeeded', 'requested_by_customer', '{"seed":"demo"}', ?)`,
        )
        .run(ids.uuid(at + HOUR), `re_${ids.alnum(20)}`, id, p.refunded, currency, at + HOUR);
    }
    const openedAt = at + 2 * DAY > now ? at + HOUR * 2 : at + 2 * DAY;
    store.insertDispute({
      seq: 0,
      id: ids.uuid(openedAt),
      reference: `dp_${ids.alnum(20)}`,
      transaction_id: id,
      amount: p.amount - p.refunded,
      currency,
      status: p.dispute.status,
      reason: p.dispute.reason,
      evidence_due_by:
        p.dispute.status === 'needs_response' || p.dispute.status === 'under_review' ? openedAt + 7 * DAY : null,
      created_at: openedAt,
      updated_at: openedAt,
    });
  }
  for (const p of PAYOUTS) {
    const at = now - p.daysAgo * DAY - 2 * HOUR;
    store.insertPayout({
      seq: 0,
      id: ids.uuid(at),
      reference: `po_${ids.alnum(20)}`,
      amount: p.amount,
      currency,
      status: p.status,
      arrival_date: isoDate(at + (p.status === 'paid' || p.status === 'failed' ? 1 : 2) * DAY),
      description: `PLUTOPAY PAYOUT ${formatted(p.amount, currency)}`,
      failure_code: p.status === 'failed' ? 'account_closed' : null,
      failure_message: p.status === 'failed' ? 'The bank account has been closed.' : null,
      created_at: at,
      updated_at: at,
    });
  }
}
