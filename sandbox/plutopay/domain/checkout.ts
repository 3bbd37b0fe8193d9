/**
 * Checkout sessions: a pending card payment plus a hosted page (served by the sandbox at /pay/cs_…)
 * where a test card completes it. A session expires at its time on the sandbox clock (a timer, and a
 * catch-up before every request; one whose commit failed is tried again), its payment canceled with
 * it, whether or not anyone reads the session. A session follows its payment however that is decided
 * (the page, POST …/confirm, a cancel): complete once it succeeds, expired at once when it can no
 * longer succeed.
 */
import { normaliseCardNumber } from '../../../common/test-cards';
import { notFound } from '../../http/errors';
import type { Metadata } from '../../http/params';
import { inTransaction, liveFlag, type Context } from '../../core/context';
import { DueTimer } from '../../core/due-timer';
import { paginate, type Page } from '../../core/pagination';
import { DAY, iso, isoOrNull } from '../../core/time';
import { amountJson } from './money-json';
import { decideCard } from './test-cards';
import type { TransactionRow, Transactions } from './transactions';

export const CHECKOUT_TTL_MS = DAY;
/** The longest email (as the API's `customer_email`) and name the hosted page takes, in UTF-16 units. */
export const CHECKOUT_FIELD_MAX = { email: 254, name: 200 } as const;
export const CHECKOUT_STATUSES = ['open', 'complete', 'expired'] as const;
export type CheckoutStatus = (typeof CHECKOUT_STATUSES)[number];

export interface SessionRow {
  seq: number;
  id: string;
  reference: string;
  transaction_id: string;
  amount: number;
  currency: string;
  status: CheckoutStatus;
  description: string | null;
  success_url: string | null;
  cancel_url: string | null;
  customer_email: string | null;
  customer_name: string | null;
  collect_email: number;
  collect_name: number;
  metadata: string;
  expires_at: number;
  completed_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CheckoutInput {
  amount: number;
  currency: string;
  description: string | null;
  success_url: string | null;
  cancel_url: string | null;
  customer_email: string | null;
  collect_email: boolean;
  collect_name: boolean;
  metadata: Metadata;
}

export type PayOutcome =
  | { kind: 'paid'; session: SessionRow; redirect: string | null }
  | { kind: 'declined'; session: SessionRow; message: string }
  /** A form the page cannot use (card number, a field it collects): no attempt is recorded. */
  | { kind: 'invalid'; session: SessionRow; message: string }
  | { kind: 'closed'; session: SessionRow };

export function successRedirect(successUrl: string, reference: string): string {
  const url = new URL(successUrl);
  url.searchParams.set('checkout_ref', reference);
  return url.toString();
}

export class Checkout {
  private readonly due: DueTimer;

  constructor(
    private readonly ctx: Context,
    private readonly transactions: Transactions,
  ) {
    transactions.decided = (txn) => this.follow(txn);
    this.due = new DueTimer(
      ctx,
      'checkout expiry',
      () => {
        const { at } = this.ctx.sql
          .get("SELECT MIN(expires_at) AS at FROM checkout_sessions WHERE status = 'open' AND is_live = ?")
          .get(liveFlag(this.ctx)) as { at: number | null };
        return at;
      },
      (now) => this.expireDue(now),
    );
  }

  /**
   * Expires every session past its time, then waits on the sandbox clock for the next one. Cheap
   * when nothing is due: the armed timer knows the earliest expiry, as long as arm() runs after a
   * session is made. A catch-up whose commit fails is tried again (sandbox/core/due-timer.ts).
   */
  catchUp(force = false): void {
    this.due.catchUp(force);
  }

  /** Arms the timer for the earliest open session's expiry. */
  arm(): void {
    this.due.arm();
  }

  stop(): void {
    this.due.stop();
  }

  /**
   * An open session whose payment left pending ends with it: `complete` when the payment took the
   * money, `expired` at once (expires_at = now) when it was canceled or declined for good, since no
   * card can complete it any more.
   */
  private follow(txn: TransactionRow): void {
    if (txn.status === 'pending') return;
    const session = this.ctx.sql
      .get("SELECT * FROM checkout_sessions WHERE transaction_id = ? AND status = 'open'")
      .get(txn.id) as SessionRow | undefined;
    if (!session) return;
    const now = this.ctx.clock.now();
    if (txn.status === 'failed' || txn.status === 'canceled') {
      this.ctx.sql
        .get("UPDATE checkout_sessions SET status = 'expired', expires_at = ?, updated_at = ? WHERE id = ?")
        .run(Math.min(now, session.expires_at), now, session.id);
    } else {
      this.ctx.sql
        .get("UPDATE checkout_sessions SET status = 'complete', completed_at = ?, updated_at = ? WHERE id = ?")
        .run(txn.captured_at ?? now, now, session.id);
    }
  }

  sessionJson(row: SessionRow): Record<string, unknown> {
    return {
      id: row.id,
      reference: row.reference,
      url: `${this.ctx.baseUrl()}/pay/${row.reference}`,
      ...amountJson(row),
      currency: row.currency,
      status: row.status,
      description: row.description,
      success_url: row.success_url,
      cancel_url: row.cancel_url,
      customer_email: row.customer_email,
      customer_name: row.customer_name,
      collect_email: row.collect_email === 1,
      collect_name: row.collect_name === 1,
      metadata: JSON.parse(row.metadata) as Metadata,
      expires_at: iso(row.expires_at),
      completed_at: isoOrNull(row.completed_at),
      transaction_id: row.transaction_id,
      created_at: iso(row.created_at),
    };
  }

  create(input: CheckoutInput): SessionRow {
    return inTransaction(this.ctx, () => {
      const txn = this.transactions.create({
        amount: input.amount,
        currency: input.currency,
        payment_method_type: 'card',
        payment_method: null,
        confirm: false,
        capture_method: 'automatic',
        customer_id: null,
        terminal_id: null,
        description: input.description,
        receipt_email: input.customer_email,
        metadata: input.metadata,
        idempotency_key: null,
        endpoint: 'POST /v1/checkout/sessions',
      }).value;
      const now = this.ctx.clock.now();
      const row: SessionRow = {
        seq: 0,
        id: this.ctx.ids.uuid(now),
        reference: `cs_${this.ctx.ids.alnum(20)}`,
        transaction_id: txn.id,
        amount: input.amount,
        currency: input.currency,
        status: 'open',
        description: input.description,
        success_url: input.success_url,
        cancel_url: input.cancel_url,
        customer_email: input.customer_email,
        customer_name: null,
        collect_email: input.collect_email ? 1 : 0,
        collect_name: input.collect_name ? 1 : 0,
        metadata: JSON.stringify(input.metadata),
        expires_at: now + CHECKOUT_TTL_MS,
        completed_at: null,
        created_at: now,
        updated_at: now,
      };
      const result = this.ctx.sql
        .get(
          `INSERT INTO checkout_sessions (id, reference, transaction_id, amount, currency, status, description, success_url, cancel_url,
           customer_email, customer_name, collect_email, collect_name, metadata, expires_at, completed_at, created_at, updated_at, is_live)
           VALUES (@id, @reference, @transaction_id, @amount, @currency, @status, @description, @success_url, @cancel_url,
           @customer_email, @customer_name, @collect_email, @collect_name, @metadata, @expires_at, @completed_at, @created_at, @updated_at, ?)`,
        )
        .run(liveFlag(this.ctx), row);
      row.seq = Number(result.lastInsertRowid);
      this.arm();
      return row;
    });
  }

  /** Open sessions past expires_at become expired, and their pending payment is canceled, as of then. */
  private expireDue(now: number): void {
    const due = this.ctx.sql
      .get("SELECT * FROM checkout_sessions WHERE status = 'open' AND expires_at <= ? AND is_live = ?")
      .all(now, liveFlag(this.ctx)) as SessionRow[];
    if (due.length === 0) return;
    inTransaction(this.ctx, () => {
      for (const row of due) {
        const txn = this.transactions.find(row.transaction_id);
        // A payment decided before sessions followed their payments: the session ends as it does.
        if (txn && txn.status !== 'pending') {
          this.follow(txn);
          continue;
        }
        this.ctx.sql
          .get("UPDATE checkout_sessions SET status = 'expired', updated_at = ? WHERE id = ?")
          .run(row.expires_at, row.id);
        if (txn) this.transactions.expire(txn, row.expires_at);
      }
    });
  }

  find(idOrReference: string): SessionRow | undefined {
    this.catchUp();
    const column = idOrReference.startsWith('cs_') ? 'reference' : 'id';
    return this.ctx.sql
      .get(`SELECT * FROM checkout_sessions WHERE ${column} = ? AND is_live = ?`)
      .get(idOrReference, liveFlag(this.ctx)) as SessionRow | undefined;
  }

  get(idOrReference: string): SessionRow {
    const row = this.find(idOrReference);
    if (!row) throw notFound(`No such checkout session: ${idOrReference}`);
    return row;
  }

  list(status: CheckoutStatus | undefined, page: number, size: number): Page<SessionRow> {
    this.catchUp();
    return paginate<SessionRow>(this.ctx, {
      from: `checkout_sessions WHERE is_live = ?${status === undefined ? '' : ' AND status = ?'}`,
      args: status === undefined ? [liveFlag(this.ctx)] : [liveFlag(this.ctx), status],
      orderBy: 'created_at DESC, seq DESC',
      page,
      size,
    });
  }

  transactionOf(row: SessionRow): TransactionRow | undefined {
    return this.transactions.find(row.transaction_id);
  }

  /** The hosted page's form: a test card number, and the email/name when the session collects them. */
  pay(reference: string, form: { card_number: string; email: string | null; name: string | null }): PayOutcome {
    return inTransaction(this.ctx, () => {
      const session = this.get(reference);
      if (session.status !== 'open') return { kind: 'closed', session };
      const txn = this.transactions.get(session.transaction_id);
      if (txn.status !== 'pending') return { kind: 'closed', session };
      const number = normaliseCardNumber(form.card_number);
      if (number === null) return { kind: 'invalid', session, message: 'Enter a card number of 12 to 19 digits.' };
      if (session.collect_email === 1 && (form.email === null || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.email))) {
        return { kind: 'invalid', session, message: 'Enter a valid email address.' };
      }
      if (session.collect_name === 1 && (form.name === null || form.name.length === 0)) {
        return { kind: 'invalid', session, message: 'Enter the name on the card.' };
      }
      // Refused, not cut: the session would keep an address or a name the customer never typed.
      if (form.email !== null && form.email.length > CHECKOUT_FIELD_MAX.email) {
        const message = `Enter an email address of at most ${CHECKOUT_FIELD_MAX.email} characters.`;
        return { kind: 'invalid', session, message };
      }
      if (form.name !== null && form.name.length > CHECKOUT_FIELD_MAX.name) {
        return { kind: 'invalid', session, message: `Enter a name of at most ${CHECKOUT_FIELD_MAX.name} characters.` };
      }
      const outcome = decideCard(session.amount, number, this.ctx.mode);
      const card = { brand: outcome.brand, last4: outcome.last4 };
      if (!outcome.approved) {
        this.transactions.recordDecline(txn, outcome.code, outcome.message, card);
        return { kind: 'declined', session, message: outcome.message };
      }
      // Approving completes the session (follow); the page adds what the customer typed.
      this.transactions.approve(txn, card);
      const paid = this.get(session.reference);
      if (form.email) paid.customer_email = form.email;
      if (form.name) paid.customer_name = form.name;
      this.ctx.sql
        .get(
          'UPDATE checkout_sessions SET customer_email = @customer_email, customer_name = @customer_name WHERE id = @id',
        )
        .run(paid);
      return {
        kind: 'paid',
        session: paid,
        redirect: session.success_url === null ? null : successRedirect(session.success_url, session.reference),
      };
    });
  }
}
