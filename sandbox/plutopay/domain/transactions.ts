/**
 * Transactions: create (with idempotency enforced by the database), retrieve, list, confirm,
 * capture, cancel, and the approval/decline entry points used by readers and the hosted page.
 */
import { normaliseCardNumber, DEFAULT_TEST_CARD } from '../../../common/test-cards';
import { ApiError, conflict, invalid, notFound } from '../../http/errors';
import type { Metadata } from '../../http/params';
import { inTransaction, liveFlag, type Context } from '../../core/context';
import type { Outbox } from './events';
import { decideCard } from './test-cards';
import type { AmountJson } from './money-json';
import { formatted } from '../../core/money';
import { paginate, type Page } from '../../core/pagination';
import { isoOrNull, iso, DAY } from '../../core/time';
import * as machine from './transaction-machine';
import type { CaptureMethod, MoneyState, Step, TransactionStatus } from './transaction-machine';

export const PAYMENT_METHOD_TYPES = ['card', 'wallet', 'bank_transfer', 'terminal'] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

export interface TransactionRow {
  seq: number;
  id: string;
  reference: string;
  status: TransactionStatus;
  amount: number;
  amount_refunded: number;
  amount_capturable: number;
  amount_captured: number;
  currency: string;
  payment_method_type: PaymentMethodType;
  capture_method: CaptureMethod;
  description: string | null;
  customer_id: string | null;
  terminal_id: string | null;
  receipt_email: string | null;
  metadata: string;
  card_brand: string | null;
  card_last4: string | null;
  failure_code: string | null;
  failure_message: string | null;
  client_secret: string | null;
  idempotency_key: string | null;
  idempotency_params: string | null;
  capture_key: string | null;
  cancel_key: string | null;
  seeded: number;
  /** The mode it was made in (core liveFlag). */
  is_live: number;
  captured_at: number | null;
  canceled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CreateTransactionInput {
  amount: number;
  currency: string;
  payment_method_type: PaymentMethodType;
  payment_method: string | null;
  confirm: boolean;
  capture_method: CaptureMethod;
  customer_id: string | null;
  terminal_id: string | null;
  description: string | null;
  receipt_email: string | null;
  metadata: Metadata;
  idempotency_key: string | null;
  /** The route that creates it (`POST /v1/…`): a key is bound to it. */
  endpoint: string;
  /** Payment intents get a client secret. */
  with_client_secret?: boolean;
}

/**
 * What an idempotency key is bound to, in the order a mismatch is reported: first the endpoint that
 * used it (the transaction key space is shared by several), then the parameters after defaults.
 */
const IDEMPOTENT_PARAMS = [
  'endpoint',
  'amount',
  'currency',
  'payment_method_type',
  'payment_method',
  'confirm',
  'capture_method',
  'customer_id',
  'terminal_id',
  'description',
  'receipt_email',
  'metadata',
] as const;

export function canonicalMetadata(metadata: Metadata): string {
  // Keys already in order (the usual case) need no sorted copy: an object's own key order is its
  // integer-like keys ascending, then the others as inserted, so a copy built from the sorted
  // entries would list its keys exactly as the object does.
  if (keysSorted(metadata)) return JSON.stringify(metadata);
  return JSON.stringify(Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function keysSorted(object: object): boolean {
  let previous: string | undefined;
  for (const key in object) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
  }
  return true;
}

function idempotencyParams(input: CreateTransactionInput): string {
  return JSON.stringify(
    IDEMPOTENT_PARAMS.map((name) => (name === 'metadata' ? canonicalMetadata(input.metadata) : input[name])),
  );
}

/** The first parameter whose value differs between two idempotencyParams() strings. */
export function firstDifference(stored: string, given: string, names: readonly string[]): string {
  const a = JSON.parse(stored) as unknown[];
  const b = JSON.parse(given) as unknown[];
  const index = names.findIndex((_, i) => JSON.stringify(a[i]) !== JSON.stringify(b[i]));
  return names[index] ?? names[0]!;
}

/** A key sent to another request than the one it names: refused whatever the parameters. */
export function keyUsedBy(endpoint: string): ApiError {
  return invalid(
    `This idempotency_key was already used with ${endpoint}: a key names one request. Use a new key.`,
    'idempotency_key',
    'idempotency_key_reused',
  );
}

/**
 * The request a key already names among captures, cancels and refunds (creates are found by their
 * UNIQUE column), as "METHOD path", or undefined. PlutoPay's keys are one space, in both modes: a key
 * names one request on one endpoint, so one used anywhere else is refused, never acted on.
 */
export function actionKeyUse(ctx: Context, key: string): string | undefined {
  // One statement, not three: every keyed create asks it.
  const used = ctx.sql
    .get(
      `SELECT 'capture' AS action, id FROM transactions WHERE capture_key = ?
       UNION ALL SELECT 'cancel', id FROM transactions WHERE cancel_key = ?
       UNION ALL SELECT 'refunds', transaction_id FROM refunds WHERE idempotency_key = ?
       LIMIT 1`,
    )
    .get(key, key, key) as { action: string; id: string } | undefined;
  return used ? `POST /v1/transactions/${used.id}/${used.action}` : undefined;
}

/** Refuses a key that names any request already (a create, capture, cancel or refund). */
export function refuseUsedKey(ctx: Context, key: string): void {
  const created = ctx.sql.get('SELECT idempotency_params FROM transactions WHERE idempotency_key = ?').get(key) as
    { idempotency_params: string | null } | undefined;
  if (created) {
    const endpoint =
      created.idempotency_params === null ? undefined : (JSON.parse(created.idempotency_params) as unknown[])[0];
    // A key stored before keys named their endpoint was a POST /v1/transactions or a sibling create.
    throw keyUsedBy(typeof endpoint === 'string' ? endpoint : 'a create request');
  }
  const action = actionKeyUse(ctx, key);
  if (action !== undefined) throw keyUsedBy(action);
}

export function idempotencyMismatch(param: string): ApiError {
  return invalid(
    `This idempotency_key was already used with a different value of ${param}. Use a new key for a different request.`,
    param,
    'idempotency_key_reused',
  );
}

export interface TransactionJson extends AmountJson {
  id: string;
  reference: string;
  type: 'payment';
  status: TransactionStatus;
  amount_refunded: number;
  amount_capturable: number;
  amount_captured: number;
  currency: string;
  payment_method_type: PaymentMethodType;
  capture_method: CaptureMethod;
  description: string | null;
  customer_id: string | null;
  terminal_id: string | null;
  receipt_email: string | null;
  metadata: Metadata;
  card: { brand: string; last4: string } | null;
  failure_code: string | null;
  failure_message: string | null;
  captured_at: string | null;
  canceled_at: string | null;
  created_at: string;
  updated_at: string;
  client_secret?: string;
}

export function transactionJson(row: TransactionRow): TransactionJson {
  return {
    id: row.id,
    reference: row.reference,
    type: 'payment',
    status: row.status,
    amount: row.amount,
    amount_formatted: formatted(row.amount, row.currency),
    amount_refunded: row.amount_refunded,
    amount_capturable: row.amount_capturable,
    amount_captured: row.amount_captured,
    currency: row.currency,
    payment_method_type: row.payment_method_type,
    capture_method: row.capture_method,
    description: row.description,
    customer_id: row.customer_id,
    terminal_id: row.terminal_id,
    receipt_email: row.receipt_email,
    metadata: JSON.parse(row.metadata) as Metadata,
    card: row.card_brand !== null && row.card_last4 !== null ? { brand: row.card_brand, last4: row.card_last4 } : null,
    failure_code: row.failure_code,
    failure_message: row.failure_message,
    captured_at: isoOrNull(row.captured_at),
    canceled_at: isoOrNull(row.canceled_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export interface Created<T> {
  value: T;
  /** True when an idempotency key matched an earlier request: answer 200 with Idempotent-Replayed. */
  replayed: boolean;
}

export interface TransactionFilters {
  search?: string;
  status?: TransactionStatus;
  payment_method_type?: PaymentMethodType;
  date_from?: number;
  date_to?: number;
  sortField: 'created_at' | 'amount' | 'status' | 'updated_at';
  sortOrder: 'asc' | 'desc';
  page: number;
  size: number;
}

export type Card = { brand: string; last4: string };

// Positional parameters: binding 23 values by name costs a property lookup each, on every create.
const INSERT = `INSERT INTO transactions (id, reference, status, amount, amount_refunded, amount_capturable, amount_captured,
  currency, payment_method_type, capture_method, description, customer_id, terminal_id, receipt_email, metadata,
  card_brand, card_last4, failure_code, failure_message, client_secret, idempotency_key, idempotency_params,
  captured_at, created_at, updated_at, is_live)
  VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (idempotency_key) DO NOTHING`;

function insertArgs(row: TransactionRow): unknown[] {
  return [
    row.id,
    row.reference,
    row.status,
    row.amount,
    row.amount_capturable,
    row.amount_captured,
    row.currency,
    row.payment_method_type,
    row.capture_method,
    row.description,
    row.customer_id,
    row.terminal_id,
    row.receipt_email,
    row.metadata,
    row.card_brand,
    row.card_last4,
    row.failure_code,
    row.failure_message,
    row.client_secret,
    row.idempotency_key,
    row.idempotency_params,
    row.captured_at,
    row.created_at,
    row.created_at,
    row.is_live,
  ];
}

const SAVE = `UPDATE transactions SET status = @status, amount_refunded = @amount_refunded,
  amount_capturable = @amount_capturable, amount_captured = @amount_captured, terminal_id = @terminal_id,
  card_brand = @card_brand, card_last4 = @card_last4, failure_code = @failure_code, failure_message = @failure_message,
  capture_key = @capture_key, cancel_key = @cancel_key, captured_at = @captured_at, canceled_at = @canceled_at,
  updated_at = @updated_at WHERE id = @id`;

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class Transactions {
  /** Set by the terminal module: cancels the reader action of a payment that is being canceled. */
  cancelReaderActions: (transactionId: string) => void = () => {};
  /** Set by the checkout module: a payment left pending (approved, declined for good, canceled). */
  decided: (row: TransactionRow) => void = () => {};

  constructor(
    private readonly ctx: Context,
    private readonly outbox: Outbox,
  ) {}

  find(idOrReference: string): TransactionRow | undefined {
    const column = idOrReference.startsWith('txn_') ? 'reference' : 'id';
    return this.ctx.sql
      .get(`SELECT * FROM transactions WHERE ${column} = ? AND is_live = ?`)
      .get(idOrReference, liveFlag(this.ctx)) as TransactionRow | undefined;
  }

  get(idOrReference: string, param?: string): TransactionRow {
    const row = this.find(idOrReference);
    if (!row) throw notFound(`No such transaction: ${idOrReference}`, param);
    return row;
  }

  save(row: TransactionRow): void {
    row.updated_at = this.ctx.clock.now();
    this.ctx.sql.get(SAVE).run(row);
  }

  /** Applies a machine step to a row (the caller saves). */
  private apply(row: TransactionRow, step: Step): TransactionRow {
    if (step.refused) throw new ApiError(422, step.type, step.message, { code: step.code, param: step.param });
    row.status = step.status;
    row.amount_capturable = step.amount_capturable;
    row.amount_captured = step.amount_captured;
    row.amount_refunded = step.amount_refunded;
    return row;
  }

  create(input: CreateTransactionInput): Created<TransactionRow> {
    // The parameters as sent; once the terminal is resolved, as stored (its uuid for a tmr_… id).
    const sent = input.idempotency_key === null ? '' : idempotencyParams(input);
    let params = sent;
    const live = liveFlag(this.ctx);
    const byKey = (): TransactionRow | undefined =>
      input.idempotency_key === null
        ? undefined
        : (this.ctx.sql.get('SELECT * FROM transactions WHERE idempotency_key = ?').get(input.idempotency_key) as
            TransactionRow | undefined);
    return inTransaction(this.ctx, () => {
      // A reference that no longer resolves must not hide a replay (the customer may have been deleted since).
      const missing = (error: ApiError): Created<TransactionRow> => {
        const existing = byKey();
        if (existing) return this.replay(existing, params, sent);
        throw error;
      };
      if (
        input.customer_id !== null &&
        !this.ctx.sql.get('SELECT 1 FROM customers WHERE id = ? AND is_live = ?').get(input.customer_id, live)
      ) {
        return missing(notFound(`No such customer: ${input.customer_id}`, 'customer_id'));
      }
      let terminalId: string | null = null;
      if (input.terminal_id !== null) {
        // Accept the terminal's uuid or its reader id (tmr_…); store the uuid.
        const terminal = this.ctx.sql
          .get('SELECT id FROM terminals WHERE (id = ? OR processor_id = ?) AND is_live = ?')
          .get(input.terminal_id, input.terminal_id, live) as { id: string } | undefined;
        if (!terminal) return missing(notFound(`No such terminal: ${input.terminal_id}`, 'terminal_id'));
        terminalId = terminal.id;
        // Either id names the same terminal, so the same request: the key is bound to the uuid.
        if (input.idempotency_key !== null) params = idempotencyParams({ ...input, terminal_id: terminalId });
      }
      const now = this.ctx.clock.now();
      const id = this.ctx.ids.uuid(now);
      const row: TransactionRow = {
        seq: 0,
        id,
        reference: `txn_${this.ctx.ids.alnum(20)}`,
        status: 'pending',
        amount: input.amount,
        amount_refunded: 0,
        amount_capturable: 0,
        amount_captured: 0,
        currency: input.currency,
        payment_method_type: input.payment_method_type,
        capture_method: input.capture_method,
        description: input.description,
        customer_id: input.customer_id,
        terminal_id: terminalId,
        receipt_email: input.receipt_email,
        metadata: JSON.stringify(input.metadata),
        card_brand: null,
        card_last4: null,
        failure_code: null,
        failure_message: null,
        client_secret: input.with_client_secret ? `pi_${id.replace(/-/g, '')}_secret_${this.ctx.ids.alnum(24)}` : null,
        idempotency_key: input.idempotency_key,
        idempotency_params: input.idempotency_key === null ? null : params,
        capture_key: null,
        cancel_key: null,
        seeded: 0,
        is_live: live,
        captured_at: null,
        canceled_at: null,
        created_at: now,
        updated_at: now,
      };
      if (input.idempotency_key !== null) {
        // A key an action used is refused, unless a create used it too (then the insert replays);
        // the create is looked for only then, as almost every key is new.
        const action = actionKeyUse(this.ctx, input.idempotency_key);
        if (action !== undefined && !byKey()) throw keyUsedBy(action);
      }
      if (input.confirm) this.decideConfirmation(row, input.payment_method);
      // The UNIQUE idempotency_key column decides: insert first, and a conflict means "replay".
      const result = this.ctx.sql.get(INSERT).run(insertArgs(row));
      if (result.changes === 0) return this.replay(byKey()!, params, sent);
      row.seq = Number(result.lastInsertRowid);
      if (row.status !== 'pending') this.emitOutcome(row);
      return { value: row, replayed: false };
    });
  }

  /**
   * The payment a key already names, for a request with `params` (as stored) or, as a key bound
   * before terminal ids were resolved (or whose terminal is gone) may hold them, `sent`.
   */
  private replay(existing: TransactionRow, params: string, sent: string): Created<TransactionRow> {
    // Keys are unique in the database, not per mode: one the other mode used is refused, never replayed.
    if (existing.is_live !== liveFlag(this.ctx)) {
      throw invalid(
        `This idempotency_key was already used in ${existing.is_live === 1 ? 'live' : 'test'} mode. Use a new key.`,
        'idempotency_key',
        'idempotency_key_reused',
      );
    }
    if (existing.idempotency_params !== params && existing.idempotency_params !== sent) {
      const stored = existing.idempotency_params ?? params;
      // A key stored before keys named their endpoint (an older sandbox.db) holds the parameters
      // only: compared as it was bound then, the same request replays instead of being refused.
      if ((JSON.parse(stored) as unknown[]).length === IDEMPOTENT_PARAMS.length - 1) {
        const given = JSON.stringify((JSON.parse(params) as unknown[]).slice(1));
        if (stored === given) return { value: existing, replayed: true };
        throw idempotencyMismatch(firstDifference(stored, given, IDEMPOTENT_PARAMS.slice(1)));
      }
      const param = firstDifference(stored, params, IDEMPOTENT_PARAMS);
      if (param === 'endpoint') {
        const used = (JSON.parse(stored) as unknown[])[0];
        throw keyUsedBy(typeof used === 'string' ? used : 'another endpoint');
      }
      throw idempotencyMismatch(param);
    }
    return { value: existing, replayed: true };
  }

  /** Test-card rules for an API confirmation (every card declines in live mode): a decline is final. */
  private decideConfirmation(row: TransactionRow, paymentMethod: string | null): void {
    const card = (paymentMethod !== null && normaliseCardNumber(paymentMethod)) || DEFAULT_TEST_CARD;
    const outcome = decideCard(row.amount, card, this.ctx.mode);
    const withCard = row.payment_method_type === 'card' || row.payment_method_type === 'wallet';
    if (withCard) {
      row.card_brand = outcome.brand;
      row.card_last4 = outcome.last4;
    }
    if (outcome.approved) {
      this.apply(row, machine.approve(row, row.capture_method));
      if (row.status === 'succeeded') row.captured_at = this.ctx.clock.now();
    } else {
      this.apply(row, machine.fail(row));
      row.failure_code = outcome.code;
      row.failure_message = outcome.message;
    }
  }

  private emitOutcome(row: TransactionRow): void {
    if (row.status === 'failed') this.outbox.emit('payment.failed', transactionJson(row));
    else if (row.status === 'succeeded' || row.status === 'requires_capture')
      this.outbox.emit('payment.succeeded', transactionJson(row));
  }

  /** POST /v1/transactions/{id}/confirm: decide a pending API payment with the test-card rules. */
  confirm(id: string, paymentMethod: string | null): TransactionRow {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      if (row.payment_method_type === 'terminal') {
        throw conflict(
          'payment_error',
          'A terminal payment is confirmed on a reader: use process-payment.',
          'terminal_payment',
        );
      }
      if (row.status !== 'pending') {
        throw conflict(
          'payment_error',
          `This payment is ${row.status}; only a pending payment can be confirmed.`,
          'payment_intent_unexpected_state',
        );
      }
      this.decideConfirmation(row, paymentMethod);
      this.save(row);
      this.emitOutcome(row);
      this.decided(row);
      return row;
    });
  }

  /** A reader or the hosted page approved a card. */
  approve(row: TransactionRow, card: Card | null): void {
    this.apply(row, machine.approve(row, row.capture_method));
    const now = this.ctx.clock.now();
    if (row.status === 'succeeded') row.captured_at = now;
    if (card) {
      row.card_brand = card.brand;
      row.card_last4 = card.last4;
    }
    row.failure_code = null;
    row.failure_message = null;
    this.save(row);
    this.outbox.emit('payment.succeeded', transactionJson(row));
    this.decided(row);
  }

  /** A reader attempt was declined or failed: the payment stays pending so another card can be tried. */
  recordDecline(row: TransactionRow, code: string, message: string, card: Card | null): void {
    row.failure_code = code;
    row.failure_message = message;
    if (card) {
      row.card_brand = card.brand;
      row.card_last4 = card.last4;
    }
    this.save(row);
    this.outbox.emit('payment.failed', transactionJson(row));
  }

  capture(id: string, amount: number | undefined, key: string | null): Created<TransactionRow> {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      if (key !== null && row.capture_key === key) {
        // Compared after defaults: no amount asked for everything capturable then, the whole authorisation.
        if ((amount ?? row.amount) !== row.amount_captured) throw idempotencyMismatch('amount');
        return { value: row, replayed: true };
      }
      if (key !== null) refuseUsedKey(this.ctx, key);
      this.apply(row, machine.capture(row, amount));
      row.captured_at = this.ctx.clock.now();
      row.capture_key = key;
      this.save(row);
      this.outbox.emit('payment.succeeded', transactionJson(row));
      return { value: row, replayed: false };
    });
  }

  cancel(id: string, key: string | null): Created<TransactionRow> {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      if (key !== null && row.cancel_key === key) return { value: row, replayed: true };
      if (key !== null) refuseUsedKey(this.ctx, key);
      this.apply(row, machine.cancel(row));
      row.canceled_at = this.ctx.clock.now();
      row.cancel_key = key;
      this.save(row);
      this.cancelReaderActions(row.id);
      this.outbox.emit('payment.canceled', transactionJson(row));
      this.decided(row);
      return { value: row, replayed: false };
    });
  }

  /** Cancels a pending payment for the sandbox itself (an expired checkout session). */
  /** Cancels a pending payment whose session expired `at` (as of then). */
  expire(row: TransactionRow, at: number): void {
    if (row.status !== 'pending') return;
    this.apply(row, machine.cancel(row));
    row.canceled_at = at;
    this.save(row);
    this.cancelReaderActions(row.id);
    this.outbox.emit('payment.canceled', transactionJson(row));
  }

  list(filters: TransactionFilters): Page<TransactionRow> {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (filters.search !== undefined) {
      where.push(
        "(reference LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' OR receipt_email LIKE ? ESCAPE '\\')",
      );
      const like = `%${escapeLike(filters.search)}%`;
      args.push(like, like, like);
    }
    if (filters.status !== undefined) {
      where.push('status = ?');
      args.push(filters.status);
    }
    if (filters.payment_method_type !== undefined) {
      where.push('payment_method_type = ?');
      args.push(filters.payment_method_type);
    }
    if (filters.date_from !== undefined) {
      where.push('created_at >= ?');
      args.push(filters.date_from);
    }
    if (filters.date_to !== undefined) {
      where.push('created_at < ?');
      args.push(filters.date_to + DAY);
    }
    const order = filters.sortOrder === 'asc' ? 'ASC' : 'DESC';
    return paginate<TransactionRow>(this.ctx, {
      from: `transactions WHERE ${['is_live = ?', ...where].join(' AND ')}`,
      args: [liveFlag(this.ctx), ...args],
      orderBy: `${filters.sortField} ${order}, seq ${order}`,
      page: filters.page,
      size: filters.size,
    });
  }
}

export type { MoneyState };
