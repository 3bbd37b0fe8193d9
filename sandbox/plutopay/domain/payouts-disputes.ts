/**
 * Payouts and disputes: read-only in the API, as in the reference. New ones come from the sandbox's
 * admin routes (open a dispute on a payment, create and settle a payout), which emit the webhooks.
 */
import { conflict, notFound } from '../../http/errors';
import { inTransaction, liveFlag, type Context } from '../../core/context';
import type { Outbox } from './events';
import { amountJson } from './money-json';
import { paginate, type Page } from '../../core/pagination';
import { DAY, iso, isoDate, isoOrNull } from '../../core/time';
import type { Transactions } from './transactions';

/**
 * What a payment's disputes hold: every one not won (open, under review, or lost). That money is the
 * cardholder's bank's, so it can be neither disputed again nor refunded.
 */
export function heldByDisputes(ctx: Context, transactionId: string): number {
  const row = ctx.sql
    .get("SELECT COALESCE(SUM(amount), 0) AS held FROM disputes WHERE transaction_id = ? AND status != 'won'")
    .get(transactionId) as { held: number };
  return row.held;
}

export const PAYOUT_STATUSES = ['paid', 'pending', 'in_transit', 'failed'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];
export const DISPUTE_STATUSES = ['needs_response', 'under_review', 'won', 'lost'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
export const DISPUTE_REASONS = [
  'fraudulent',
  'duplicate',
  'product_not_received',
  'product_unacceptable',
  'subscription_canceled',
  'credit_not_processed',
  'general',
] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

export interface PayoutRow {
  seq: number;
  id: string;
  reference: string;
  amount: number;
  currency: string;
  status: PayoutStatus;
  arrival_date: string;
  description: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: number;
  updated_at: number;
}

export interface DisputeRow {
  seq: number;
  id: string;
  reference: string;
  transaction_id: string;
  amount: number;
  currency: string;
  status: DisputeStatus;
  reason: DisputeReason;
  evidence_due_by: number | null;
  created_at: number;
  updated_at: number;
}

export function payoutJson(row: PayoutRow): Record<string, unknown> {
  return {
    id: row.id,
    reference: row.reference,
    ...amountJson(row),
    currency: row.currency,
    status: row.status,
    arrival_date: row.arrival_date,
    description: row.description,
    failure_code: row.failure_code,
    failure_message: row.failure_message,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export function disputeJson(row: DisputeRow): Record<string, unknown> {
  return {
    id: row.id,
    reference: row.reference,
    transaction_id: row.transaction_id,
    ...amountJson(row),
    currency: row.currency,
    status: row.status,
    reason: row.reason,
    evidence_due_by: isoOrNull(row.evidence_due_by),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

const INSERT_PAYOUT = `INSERT INTO payouts (is_live, id, reference, amount, currency, status, arrival_date, description, failure_code, failure_message, created_at, updated_at)
  VALUES (?, @id, @reference, @amount, @currency, @status, @arrival_date, @description, @failure_code, @failure_message, @created_at, @updated_at)`;
const INSERT_DISPUTE = `INSERT INTO disputes (is_live, id, reference, transaction_id, amount, currency, status, reason, evidence_due_by, created_at, updated_at)
  VALUES (?, @id, @reference, @transaction_id, @amount, @currency, @status, @reason, @evidence_due_by, @created_at, @updated_at)`;

export class PayoutsAndDisputes {
  constructor(
    private readonly ctx: Context,
    private readonly transactions: Transactions,
    private readonly outbox: Outbox,
  ) {}

  insertPayout(row: PayoutRow): void {
    row.seq = Number(this.ctx.sql.get(INSERT_PAYOUT).run(liveFlag(this.ctx), row).lastInsertRowid);
  }

  insertDispute(row: DisputeRow): void {
    row.seq = Number(this.ctx.sql.get(INSERT_DISPUTE).run(liveFlag(this.ctx), row).lastInsertRowid);
  }

  payout(id: string): PayoutRow {
    const column = id.startsWith('po_') ? 'reference' : 'id';
    const row = this.ctx.sql
      .get(`SELECT * FROM payouts WHERE ${column} = ? AND is_live = ?`)
      .get(id, liveFlag(this.ctx)) as PayoutRow | undefined;
    if (!row) throw notFound(`No such payout: ${id}`);
    return row;
  }

  dispute(id: string): DisputeRow {
    const column = id.startsWith('dp_') ? 'reference' : 'id';
    const row = this.ctx.sql
      .get(`SELECT * FROM disputes WHERE ${column} = ? AND is_live = ?`)
      .get(id, liveFlag(this.ctx)) as DisputeRow | undefined;
    if (!row) throw notFound(`No such dispute: ${id}`);
    return row;
  }

  payouts(status: PayoutStatus | undefined, page: number, size: number): Page<PayoutRow> {
    return paginate<PayoutRow>(this.ctx, {
      from: `payouts WHERE is_live = ?${status === undefined ? '' : ' AND status = ?'}`,
      args: status === undefined ? [liveFlag(this.ctx)] : [liveFlag(this.ctx), status],
      orderBy: 'created_at DESC, seq DESC',
      page,
      size,
    });
  }

  disputes(status: DisputeStatus | undefined, page: number, size: number): Page<DisputeRow> {
    return paginate<DisputeRow>(this.ctx, {
      from: `disputes WHERE is_live = ?${status === undefined ? '' : ' AND status = ?'}`,
      args: status === undefined ? [liveFlag(this.ctx)] : [liveFlag(this.ctx), status],
      orderBy: 'created_at DESC, seq DESC',
      page,
      size,
    });
  }

  /** POST /_sandbox/disputes: the cardholder disputes a captured payment. */
  openDispute(input: { transaction_id: string; amount?: number; reason?: DisputeReason }): DisputeRow {
    return inTransaction(this.ctx, () => {
      const txn = this.transactions.get(input.transaction_id, 'transaction_id');
      if (txn.status !== 'succeeded' && txn.status !== 'partially_refunded') {
        throw conflict(
          'payment_error',
          `This payment is ${txn.status}; only a captured payment can be disputed.`,
          'payment_not_disputable',
          'transaction_id',
        );
      }
      // Money another dispute holds (open, or lost) cannot be disputed again; a won one came back.
      const held = heldByDisputes(this.ctx, txn.id);
      const disputable = txn.amount_captured - txn.amount_refunded - held;
      if (disputable <= 0) {
        throw conflict(
          'payment_error',
          `This payment's captured, unrefunded amount is already disputed in full (${held}).`,
          'payment_not_disputable',
          'transaction_id',
        );
      }
      const amount = input.amount ?? disputable;
      if (amount > disputable) {
        throw conflict(
          'payment_error',
          `The dispute amount is more than the captured, unrefunded amount not already disputed (${disputable}).`,
          'amount_too_large',
          'amount',
        );
      }
      const now = this.ctx.clock.now();
      const row: DisputeRow = {
        seq: 0,
        id: this.ctx.ids.uuid(now),
        reference: `dp_${this.ctx.ids.alnum(20)}`,
        transaction_id: txn.id,
        amount,
        currency: txn.currency,
        status: 'needs_response',
        reason: input.reason ?? 'general',
        evidence_due_by: now + 7 * DAY,
        created_at: now,
        updated_at: now,
      };
      this.insertDispute(row);
      this.outbox.emit('dispute.created', disputeJson(row));
      return row;
    });
  }

  /**
   * POST /_sandbox/disputes/{id}/settle: the shop answered (under_review), or the bank decided (won,
   * lost). The reference names no event for it (only dispute.created): none is sent.
   */
  settleDispute(id: string, status: 'under_review' | 'won' | 'lost'): DisputeRow {
    return inTransaction(this.ctx, () => {
      const row = this.dispute(id);
      if (row.status === 'won' || row.status === 'lost')
        throw conflict('invalid_request', `This dispute is already ${row.status}.`, 'dispute_closed');
      if (row.status === status)
        throw conflict('invalid_request', `This dispute is already ${status}.`, 'dispute_unchanged');
      row.status = status;
      row.updated_at = this.ctx.clock.now();
      if (status !== 'under_review') row.evidence_due_by = null;
      this.ctx.sql
        .get(
          'UPDATE disputes SET status = @status, evidence_due_by = @evidence_due_by, updated_at = @updated_at WHERE id = @id',
        )
        .run(row);
      return row;
    });
  }

  /** POST /_sandbox/payouts: a new pending payout. */
  createPayout(input: { amount: number; currency: string; description?: string }): PayoutRow {
    const now = this.ctx.clock.now();
    const row: PayoutRow = {
      seq: 0,
      id: this.ctx.ids.uuid(now),
      reference: `po_${this.ctx.ids.alnum(20)}`,
      amount: input.amount,
      currency: input.currency,
      status: 'pending',
      arrival_date: isoDate(now + 2 * DAY),
      description: input.description ?? 'PLUTOPAY PAYOUT',
      failure_code: null,
      failure_message: null,
      created_at: now,
      updated_at: now,
    };
    this.insertPayout(row);
    return row;
  }

  /** POST /_sandbox/payouts/{id}/settle: the bank paid it out, or refused it. */
  settlePayout(id: string, outcome: 'paid' | 'failed', failureCode?: string): PayoutRow {
    return inTransaction(this.ctx, () => {
      const row = this.payout(id);
      if (row.status !== 'pending' && row.status !== 'in_transit') {
        throw conflict('invalid_request', `This payout is already ${row.status}.`, 'payout_settled');
      }
      const now = this.ctx.clock.now();
      row.status = outcome;
      row.updated_at = now;
      if (outcome === 'paid') {
        row.arrival_date = isoDate(now);
      } else {
        row.failure_code = failureCode ?? 'account_closed';
        row.failure_message = 'The bank account has been closed.';
        if (failureCode && failureCode !== 'account_closed')
          row.failure_message = `The payout failed (${failureCode}).`;
      }
      this.ctx.sql
        .get(
          'UPDATE payouts SET status = @status, arrival_date = @arrival_date, failure_code = @failure_code, failure_message = @failure_message, updated_at = @updated_at WHERE id = @id',
        )
        .run(row);
      this.outbox.emit(outcome === 'paid' ? 'payout.paid' : 'payout.failed', payoutJson(row));
      return row;
    });
  }
}
