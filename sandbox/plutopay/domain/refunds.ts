/**
 * Refunds: full by default, partial by amount, never more than what remains. A key replays the
 * refund of its transaction (UNIQUE (transaction_id, idempotency_key)); one that names any other
 * request — another payment's refund, a create, a capture or a cancel — is refused (refuseUsedKey).
 */
import type { Metadata } from '../../http/params';
import { inTransaction, type Context } from '../../core/context';
import type { Outbox } from './events';
import { heldByDisputes } from './payouts-disputes';
import { amountJson, type AmountJson } from './money-json';
import { paginate, type Page } from '../../core/pagination';
import { iso } from '../../core/time';
import * as machine from './transaction-machine';
import { ApiError } from '../../http/errors';
import {
  canonicalMetadata,
  firstDifference,
  idempotencyMismatch,
  refuseUsedKey,
  transactionJson,
  type Created,
  type TransactionJson,
  type TransactionRow,
  type Transactions,
} from './transactions';

export interface RefundRow {
  seq: number;
  id: string;
  reference: string;
  transaction_id: string;
  amount: number;
  currency: string;
  status: 'succeeded';
  reason: string | null;
  metadata: string;
  idempotency_key: string | null;
  idempotency_params: string | null;
  created_at: number;
}

export interface RefundInput {
  amount: number | null;
  reason: string | null;
  metadata: Metadata;
  idempotency_key: string | null;
}

const REFUND_PARAMS = ['amount', 'reason', 'metadata'] as const;

export interface RefundJson extends AmountJson {
  id: string;
  reference: string;
  transaction_id: string;
  currency: string;
  status: 'succeeded';
  reason: string | null;
  metadata: Metadata;
  created_at: string;
  transaction?: TransactionJson;
}

export function refundJson(row: RefundRow, transaction?: TransactionRow): RefundJson {
  const json: RefundJson = {
    id: row.id,
    reference: row.reference,
    transaction_id: row.transaction_id,
    ...amountJson(row),
    currency: row.currency,
    status: row.status,
    reason: row.reason,
    metadata: JSON.parse(row.metadata) as Metadata,
    created_at: iso(row.created_at),
  };
  if (transaction) json.transaction = transactionJson(transaction);
  return json;
}

export class Refunds {
  constructor(
    private readonly ctx: Context,
    private readonly transactions: Transactions,
    private readonly outbox: Outbox,
  ) {}

  create(transactionId: string, input: RefundInput): Created<{ refund: RefundRow; transaction: TransactionRow }> {
    // A key is bound to the request after defaults: an omitted amount is the remainder as the key's
    // first request found it (kept as a 4th element), so "no amount" and that amount are one request.
    const bound = (amount: number | null): unknown[] => [amount, input.reason, canonicalMetadata(input.metadata)];
    const replay = (existing: RefundRow): void => {
      const stored =
        existing.idempotency_params === null ? null : (JSON.parse(existing.idempotency_params) as unknown[]);
      const given = JSON.stringify(bound(input.amount ?? (stored?.[3] as number | null | undefined) ?? null));
      const first = stored === null ? given : JSON.stringify(stored.slice(0, REFUND_PARAMS.length));
      if (first !== given) throw idempotencyMismatch(firstDifference(first, given, REFUND_PARAMS));
    };
    return inTransaction(this.ctx, () => {
      const txn = this.transactions.get(transactionId);
      const byKey = this.ctx.sql.get('SELECT * FROM refunds WHERE transaction_id = ? AND idempotency_key = ?');
      if (input.idempotency_key !== null) {
        const existing = byKey.get(txn.id, input.idempotency_key) as RefundRow | undefined;
        if (existing) {
          replay(existing);
          return { value: { refund: existing, transaction: txn }, replayed: true };
        }
        refuseUsedKey(this.ctx, input.idempotency_key);
      }
      // Money a dispute holds (open or lost) is not refunded as well: the cardholder would get it twice.
      const held = heldByDisputes(this.ctx, txn.id);
      const remainder = Math.max(0, machine.refundable(txn) - held);
      const step = machine.refund(txn, input.amount ?? (held > 0 ? remainder : undefined));
      if (step.refused) throw new ApiError(422, step.type, step.message, { code: step.code, param: step.param });
      if (held > 0 && (step.refunded > remainder || step.refunded <= 0)) {
        throw new ApiError(
          422,
          'payment_error',
          remainder === 0
            ? `This payment's captured, unrefunded amount is held by its disputes (${held}); nothing can be refunded.`
            : `The refund amount (${step.refunded}) is more than what its disputes leave to refund (${remainder}; disputes hold ${held}).`,
          { code: 'charge_disputed', param: 'amount' },
        );
      }
      const now = this.ctx.clock.now();
      const refund: RefundRow = {
        seq: 0,
        id: this.ctx.ids.uuid(now),
        reference: `re_${this.ctx.ids.alnum(20)}`,
        transaction_id: txn.id,
        amount: step.refunded,
        currency: txn.currency,
        status: 'succeeded',
        reason: input.reason,
        metadata: JSON.stringify(input.metadata),
        idempotency_key: input.idempotency_key,
        idempotency_params:
          input.idempotency_key === null ? null : JSON.stringify([...bound(step.refunded), remainder]),
        created_at: now,
      };
      const result = this.ctx.sql
        .get(
          `INSERT INTO refunds (id, reference, transaction_id, amount, currency, status, reason, metadata, idempotency_key, idempotency_params, created_at)
           VALUES (@id, @reference, @transaction_id, @amount, @currency, @status, @reason, @metadata, @idempotency_key, @idempotency_params, @created_at)
           ON CONFLICT (transaction_id, idempotency_key) DO NOTHING`,
        )
        .run(refund);
      if (result.changes === 0) {
        const existing = byKey.get(txn.id, input.idempotency_key) as RefundRow;
        replay(existing);
        return { value: { refund: existing, transaction: this.transactions.get(txn.id) }, replayed: true };
      }
      refund.seq = Number(result.lastInsertRowid);
      txn.amount_refunded = step.amount_refunded;
      txn.status = step.status;
      this.transactions.save(txn);
      this.outbox.emit('refund.created', refundJson(refund, txn));
      return { value: { refund, transaction: txn }, replayed: false };
    });
  }

  list(transactionId: string, page: number, size: number): Page<RefundRow> {
    const txn = this.transactions.get(transactionId);
    return paginate<RefundRow>(this.ctx, {
      from: 'refunds WHERE transaction_id = ?',
      args: [txn.id],
      orderBy: 'created_at DESC, seq DESC',
      page,
      size,
    });
  }
}
