/**
 * Payments and their state machine:
 *
 *   open ──approved attempt──▶ paid                   (immediate payment)
 *     │  └─approved attempt──▶ authorized ──capture──▶ paid   (deferred: authorized_amount)
 *     │                           └──abort──▶ failed (aborted)
 *     ├──declined attempt──▶ open (the customer may try again; the attempt is remembered)
 *     ├──15 minutes pass──▶ failed (timeout, or the last attempt's code)
 *     ├──customer cancels──▶ failed (canceled, or the last attempt's code)
 *     └──abort──▶ failed (aborted)
 *
 * `failure` is set only when the payment can no longer be paid, so a client never mistakes a
 * declined attempt, after which the customer may still pay, for the end of the payment.
 */
import { notFound } from '../../http/errors';
import type { Metadata } from '../../http/params';
import { inTransaction, liveFlag, type Context } from '../../core/context';
import { paginate } from '../../core/pagination';
import { DAY, MINUTE } from '../../core/time';
import { stateError } from '../errors';
import type { Notifications } from './notifications';
import { paymentJson, refundJson, type Customer, type PaymentRow, type RefundRow, type SentBy } from './model';
import { cardDetails, cardExpiresAt, decideCard, failureMessage, THREE_DS_CARD, type CardDetails } from './test-cards';

/** An unpaid payment page expires 15 minutes after the payment is created. */
export const PAYMENT_PAGE_TTL_MS = 15 * MINUTE;
/**
 * A deferred payment must be captured within 7 calendar days of its authorization, the day of the
 * authorization counting as the first: it expires at 00:00 UTC seven dates later (the reference's
 * example authorizes at 12:51:42 UTC and expires at midnight, not 7 × 24 h later).
 */
export const AUTHORIZATION_DAYS = 7;

export function authorizationExpiresAt(authorizedAt: number): number {
  return (Math.floor(authorizedAt / DAY) + AUTHORIZATION_DAYS) * DAY;
}
export const MIN_REFUND = 10;

export interface CreatePaymentInput {
  amount: number;
  deferred: boolean;
  currency: string;
  customer: Customer;
  /** null: no payment page (a one-click payment with a saved card). */
  hosted: { return_url: string | null; cancel_url: string | null; sent_by: SentBy | null } | null;
  notification_url: string | null;
  /** A saved card id: the payment is decided at once. */
  payment_method: string | null;
  force_3ds: boolean;
  save_card: boolean;
  allow_save_card: boolean;
  description: string | null;
  metadata: Metadata | null;
  installment_plan_id?: string;
  /**
   * When it was made, if not now: a later installment is made and charged as of 00:00 UTC of its
   * date, even when the clock reaches it only later (a jump, a restart): never created after it was paid.
   */
  created_at?: number;
}

export interface CardAttempt {
  number: string;
  exp_month: number;
  exp_year: number;
  /** The page's "save my card" box (only matters with allow_save_card). */
  save_card: boolean;
  /** Customer fields the page asked for because the merchant did not give them. */
  customer?: Partial<Pick<Customer, 'first_name' | 'last_name' | 'email'>>;
}

export type AttemptResult =
  { payment: PaymentRow; approved: true } | { payment: PaymentRow; approved: false; code: string };

/** What the installment plans need to hear about their first payment. */
export interface PlanHooks {
  /** The card must stay valid until the last installment (its date, 00:00 UTC). */
  lastInstallmentAt(planId: string): number;
  firstInstallmentPaid(planId: string, card: CardDetails, at: number): void;
  /** A payment of the plan failed (the first one: expired, canceled or aborted). */
  installmentFailed(planId: string, at: number): void;
}

interface SavedCardRow {
  id: string;
  number: string;
  exp_month: number;
  exp_year: number;
  usable_until: number;
}

const INSERT = `INSERT INTO payplug_payments (id, is_live, state, amount, amount_refunded, currency, deferred, authorized_at,
  authorization_expires_at, paid_at, is_3ds, save_card, allow_save_card, force_3ds, card_id, card_last4, card_country,
  card_exp_month, card_exp_year, card_brand, customer, hosted, return_url, cancel_url, sent_by, expires_at,
  notification_url, notification_response_code, failure_code, failure_message, last_attempt_code, last_attempt_message,
  attempts, description, metadata, installment_plan_id, created_at, updated_at)
  VALUES (@id, @is_live, @state, @amount, 0, @currency, @deferred, @authorized_at, @authorization_expires_at, @paid_at,
  @is_3ds, @save_card, @allow_save_card, @force_3ds, @card_id, @card_last4, @card_country, @card_exp_month,
  @card_exp_year, @card_brand, @customer, @hosted, @return_url, @cancel_url, @sent_by, @expires_at, @notification_url,
  NULL, @failure_code, @failure_message, @last_attempt_code, @last_attempt_message, @attempts, @description, @metadata,
  @installment_plan_id, @created_at, @updated_at)`;

const SAVE = `UPDATE payplug_payments SET state = @state, amount_refunded = @amount_refunded, authorized_at = @authorized_at,
  authorization_expires_at = @authorization_expires_at, paid_at = @paid_at, is_3ds = @is_3ds, card_id = @card_id,
  card_last4 = @card_last4, card_country = @card_country, card_exp_month = @card_exp_month,
  card_exp_year = @card_exp_year, card_brand = @card_brand, customer = @customer, failure_code = @failure_code,
  failure_message = @failure_message, last_attempt_code = @last_attempt_code,
  last_attempt_message = @last_attempt_message, attempts = @attempts, metadata = @metadata, updated_at = @updated_at
  WHERE id = @id`;

export class Payments {
  private plans: PlanHooks | null = null;

  constructor(
    private readonly ctx: Context,
    private readonly notifications: Notifications,
  ) {}

  attachPlans(hooks: PlanHooks): void {
    this.plans = hooks;
  }

  private get isLive(): number {
    return liveFlag(this.ctx);
  }

  json(row: PaymentRow): Record<string, unknown> & { id: string } {
    return paymentJson(row, this.ctx.baseUrl());
  }

  find(id: string): PaymentRow | undefined {
    return this.ctx.sql.get('SELECT * FROM payplug_payments WHERE id = ? AND is_live = ?').get(id, this.isLive) as
      PaymentRow | undefined;
  }

  get(id: string): PaymentRow {
    const row = this.find(id);
    if (!row) throw notFound(`No such payment: ${id}`);
    return row;
  }

  /** Newest first, as the reference lists them; `page` counts from 0. */
  list(page: number, perPage: number): { rows: PaymentRow[]; hasMore: boolean } {
    const result = paginate<PaymentRow>(this.ctx, {
      from: 'payplug_payments WHERE is_live = ?',
      args: [this.isLive],
      orderBy: 'created_at DESC, seq DESC',
      page: page + 1,
      size: perPage,
    });
    return { rows: result.rows, hasMore: (page + 1) * perPage < result.meta.total };
  }

  /** A saved card that a one-click payment may use, or null when it is unknown or no longer usable. */
  savedCard(id: string): SavedCardRow | null {
    const row = this.ctx.sql
      .get('SELECT id, number, exp_month, exp_year, usable_until FROM payplug_cards WHERE id = ? AND is_live = ?')
      .get(id, this.isLive) as SavedCardRow | undefined;
    return row ?? null;
  }

  create(input: CreatePaymentInput): PaymentRow {
    return inTransaction(this.ctx, () => {
      const now = input.created_at ?? this.ctx.clock.now();
      const row: PaymentRow = {
        seq: 0,
        id: `pay_${this.ctx.ids.alnum(22)}`,
        is_live: this.isLive,
        state: 'open',
        amount: input.amount,
        amount_refunded: 0,
        currency: input.currency,
        deferred: input.deferred ? 1 : 0,
        authorized_at: null,
        authorization_expires_at: null,
        paid_at: null,
        is_3ds: null,
        save_card: input.save_card ? 1 : 0,
        allow_save_card: input.allow_save_card ? 1 : 0,
        force_3ds: input.force_3ds ? 1 : 0,
        card_id: null,
        card_last4: null,
        card_country: null,
        card_exp_month: null,
        card_exp_year: null,
        card_brand: null,
        customer: JSON.stringify(input.customer),
        hosted: input.hosted ? 1 : 0,
        return_url: input.hosted?.return_url ?? null,
        cancel_url: input.hosted?.cancel_url ?? null,
        sent_by: input.hosted?.sent_by ?? null,
        expires_at: input.hosted && input.hosted.sent_by === null ? now + PAYMENT_PAGE_TTL_MS : null,
        notification_url: input.notification_url,
        notification_response_code: null,
        failure_code: null,
        failure_message: null,
        last_attempt_code: null,
        last_attempt_message: null,
        attempts: 0,
        description: input.description,
        metadata: input.metadata === null ? null : JSON.stringify(input.metadata),
        installment_plan_id: input.installment_plan_id ?? null,
        created_at: now,
        updated_at: now,
      };
      row.seq = Number(this.ctx.sql.get(INSERT).run(row).lastInsertRowid);
      if (input.payment_method !== null) this.chargeSavedCard(row, input.payment_method, now);
      return row;
    });
  }

  /** One-click: the saved card is charged at once; there is no page and no second attempt. */
  private chargeSavedCard(row: PaymentRow, cardId: string, now: number): void {
    const card = this.savedCard(cardId);
    if (!card) throw new Error(`saved card ${cardId} vanished`);
    const outcome = decideCard(card.number, this.ctx.mode);
    row.is_3ds = row.force_3ds;
    row.attempts = 1;
    this.setCard(row, cardDetails(card.number, card.exp_month, card.exp_year), card.id);
    if (outcome.approved) this.approve(row, now);
    else this.fail(row, outcome.code, failureMessage(outcome.code), now, now);
    this.save(row);
  }

  /** A card attempt from the payment page (or POST /_sandbox/payments/{id}/pay). */
  attempt(id: string, card: CardAttempt): AttemptResult {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      this.requirePayable(row, 'card_number');
      const now = this.ctx.clock.now();
      if (card.customer) {
        const customer = JSON.parse(row.customer) as Customer;
        for (const [key, value] of Object.entries(card.customer))
          if (value && customer[key as keyof typeof card.customer] === null)
            customer[key as keyof typeof card.customer] = value;
        row.customer = JSON.stringify(customer);
      }
      // Saving a card (mandatory or chosen) and force_3ds turn 3-D Secure on; the 3-D Secure test card always uses it.
      row.is_3ds = row.force_3ds || row.save_card || row.allow_save_card || card.number === THREE_DS_CARD ? 1 : 0;
      row.attempts += 1;
      let outcome = decideCard(card.number, this.ctx.mode);
      if (
        outcome.approved &&
        row.installment_plan_id !== null &&
        this.plans &&
        cardExpiresAt(card.exp_month, card.exp_year) <= this.plans.lastInstallmentAt(row.installment_plan_id)
      ) {
        outcome = { approved: false, code: 'card_expiration_date_prior_to_last_installment_date' };
      }
      row.updated_at = now;
      if (!outcome.approved) {
        row.last_attempt_code = outcome.code;
        row.last_attempt_message = failureMessage(outcome.code);
        this.save(row);
        return { payment: row, approved: false, code: outcome.code };
      }
      const details = cardDetails(card.number, card.exp_month, card.exp_year);
      const keep = row.save_card === 1 || (row.allow_save_card === 1 && card.save_card);
      this.setCard(row, details, keep ? this.saveCard(details, now) : null);
      this.approve(row, now);
      this.save(row);
      if (row.installment_plan_id !== null) this.plans?.firstInstallmentPaid(row.installment_plan_id, details, now);
      return { payment: row, approved: true };
    });
  }

  /** The page's "Cancel payment": the payment ends now. */
  cancelByCustomer(id: string): PaymentRow {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      this.requirePayable(row, 'aborted');
      const now = this.ctx.clock.now();
      // Without an attempt the merchant is never told; after failed attempts it is, at the 15-minute mark.
      if (row.attempts === 0) this.fail(row, 'canceled', failureMessage('canceled'), now, null);
      else this.fail(row, row.last_attempt_code!, row.last_attempt_message!, now, Math.max(now, row.expires_at ?? now));
      this.save(row);
      return row;
    });
  }

  /** PATCH {aborted: true}: an unpaid (or authorized, uncaptured) payment ends; no notification. */
  abort(id: string): PaymentRow {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      if (row.state === 'paid') throw stateError('This payment is already paid: it cannot be aborted.', 'aborted');
      if (row.state === 'failed') throw stateError('This payment has already failed: it cannot be aborted.', 'aborted');
      const now = this.ctx.clock.now();
      this.fail(row, 'aborted', failureMessage('aborted'), now, null);
      this.save(row);
      return row;
    });
  }

  /** PATCH {captured: true}: a deferred payment's authorization becomes a payment. */
  capture(id: string): PaymentRow {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      const now = this.ctx.clock.now();
      if (row.deferred !== 1)
        throw stateError('This payment is not a deferred payment: there is nothing to capture.', 'captured');
      if (row.state === 'paid') throw stateError('This payment has already been captured.', 'captured');
      if (row.state === 'failed') throw stateError('This payment has failed: it cannot be captured.', 'captured');
      if (row.state === 'open')
        throw stateError('This payment has not been authorized by the customer yet.', 'captured');
      if (row.authorization_expires_at !== null && now >= row.authorization_expires_at)
        throw stateError('The authorization has expired: this payment can no longer be captured.', 'captured');
      row.state = 'paid';
      row.paid_at = now;
      row.updated_at = now;
      this.save(row);
      this.notify(row, now);
      return row;
    });
  }

  /** PATCH {metadata}: replaces every key. */
  updateMetadata(id: string, metadata: Metadata): PaymentRow {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      row.metadata = JSON.stringify(metadata);
      row.updated_at = this.ctx.clock.now();
      this.save(row);
      return row;
    });
  }

  refund(paymentId: string, amount: number | null, metadata: Metadata | null): RefundRow {
    return inTransaction(this.ctx, () => {
      const row = this.get(paymentId);
      if (row.state !== 'paid') throw stateError('This payment has not been paid: it cannot be refunded.', 'amount');
      const left = row.amount - row.amount_refunded;
      if (left === 0) throw stateError('This payment has already been fully refunded.', 'amount');
      const value = amount ?? left;
      if (value > left) {
        throw stateError(
          `The amount to refund (${value} cents) is more than what is left to refund on this payment (${left} cents).`,
          'amount',
        );
      }
      if (value < MIN_REFUND) {
        throw stateError(
          `The minimum refund is ${MIN_REFUND} cents; ${value} cents are left to refund on this payment.`,
          'amount',
        );
      }
      const now = this.ctx.clock.now();
      const refund: RefundRow = {
        seq: 0,
        id: `re_${this.ctx.ids.alnum(22)}`,
        payment_id: row.id,
        is_live: row.is_live,
        amount: value,
        currency: row.currency,
        metadata: metadata === null ? null : JSON.stringify(metadata),
        created_at: now,
      };
      refund.seq = Number(
        this.ctx.sql
          .get(
            'INSERT INTO payplug_refunds (id, payment_id, is_live, amount, currency, metadata, created_at) VALUES (@id, @payment_id, @is_live, @amount, @currency, @metadata, @created_at)',
          )
          .run(refund).lastInsertRowid,
      );
      row.amount_refunded += value;
      row.updated_at = now;
      this.save(row);
      this.notifications.enqueue(row.notification_url, 'refund', refundJson(refund), row.id, now);
      return refund;
    });
  }

  getRefund(paymentId: string, refundId: string): RefundRow {
    const payment = this.get(paymentId);
    const row = this.ctx.sql
      .get('SELECT * FROM payplug_refunds WHERE id = ? AND payment_id = ?')
      .get(refundId, payment.id) as RefundRow | undefined;
    if (!row) throw notFound(`No such refund: ${refundId} (payment ${payment.id})`);
    return row;
  }

  listRefunds(paymentId: string, page: number, perPage: number): { rows: RefundRow[]; hasMore: boolean } {
    const payment = this.get(paymentId);
    const result = paginate<RefundRow>(this.ctx, {
      from: 'payplug_refunds WHERE payment_id = ?',
      args: [payment.id],
      orderBy: 'created_at DESC, seq DESC',
      page: page + 1,
      size: perPage,
    });
    return { rows: result.rows, hasMore: (page + 1) * perPage < result.meta.total };
  }

  /** Installment plans: an installment charged on its date to the card of the first one. */
  chargeInstallment(
    planId: string,
    input: Pick<CreatePaymentInput, 'amount' | 'customer' | 'notification_url'>,
    card: CardDetails,
    at: number,
  ): PaymentRow {
    const row: PaymentRow = this.create({
      ...input,
      deferred: false,
      currency: 'EUR',
      hosted: null,
      payment_method: null,
      force_3ds: false,
      save_card: false,
      allow_save_card: false,
      description: null,
      metadata: null,
      installment_plan_id: planId,
      created_at: at,
    });
    row.is_3ds = 0;
    row.attempts = 1;
    this.setCard(row, card, null);
    const outcome = decideCard(card.number, this.ctx.mode);
    if (outcome.approved) this.approve(row, at);
    else this.fail(row, outcome.code, failureMessage(outcome.code), at, at);
    this.save(row);
    return row;
  }

  /**
   * Unpaid payment pages whose 15 minutes are over fail (with timeout, or the last attempt's code).
   * Only the running mode's: the other mode's catch up, as of their own deadline, when it runs again.
   */
  expireDue(now: number): void {
    const due = this.ctx.sql
      .get(
        "SELECT * FROM payplug_payments WHERE state = 'open' AND expires_at <= ? AND is_live = ? ORDER BY expires_at, seq",
      )
      .all(now, this.isLive) as PaymentRow[];
    for (const row of due) {
      const at = row.expires_at!;
      if (row.attempts === 0) this.fail(row, 'timeout', failureMessage('timeout'), at, at);
      else this.fail(row, row.last_attempt_code!, row.last_attempt_message!, at, at);
      this.save(row);
    }
  }

  /** When the earliest open payment page expires, or null. */
  nextExpiry(): number | null {
    return (
      this.ctx.sql
        .get("SELECT MIN(expires_at) AS at FROM payplug_payments WHERE state = 'open' AND is_live = ?")
        .get(this.isLive) as { at: number | null }
    ).at;
  }

  private requirePayable(row: PaymentRow, param: string): void {
    if (row.state !== 'open' || row.hosted !== 1)
      throw stateError('This payment can no longer be paid: it is paid, authorized or has failed.', param);
  }

  private setCard(row: PaymentRow, card: CardDetails, cardId: string | null): void {
    row.card_last4 = card.last4;
    row.card_country = card.country;
    row.card_exp_month = card.exp_month;
    row.card_exp_year = card.exp_year;
    row.card_brand = card.brand;
    row.card_id = cardId;
  }

  /** Stores a card for one-click payments; its id works for 15 months (or until the card expires). */
  private saveCard(card: CardDetails, now: number): string {
    const id = `card_${this.ctx.ids.hex(16)}`;
    const created = new Date(now);
    const fifteenMonths = Date.UTC(
      created.getUTCFullYear(),
      created.getUTCMonth() + 15,
      created.getUTCDate(),
      created.getUTCHours(),
      created.getUTCMinutes(),
      created.getUTCSeconds(),
    );
    this.ctx.sql
      .get(
        `INSERT INTO payplug_cards (id, is_live, number, last4, brand, country, exp_month, exp_year, usable_until, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        this.isLive,
        card.number,
        card.last4,
        card.brand,
        card.country,
        card.exp_month,
        card.exp_year,
        Math.min(fifteenMonths, cardExpiresAt(card.exp_month, card.exp_year)),
        now,
      );
    return id;
  }

  private approve(row: PaymentRow, at: number): void {
    row.updated_at = this.ctx.clock.now();
    if (row.deferred === 1) {
      row.state = 'authorized';
      row.authorized_at = at;
      row.authorization_expires_at = authorizationExpiresAt(at);
    } else {
      row.state = 'paid';
      row.paid_at = at;
    }
    this.notify(row, at);
  }

  /** Final failure; `notifyAt` null means the merchant is not told (aborted, canceled without attempts). */
  private fail(row: PaymentRow, code: string, message: string, at: number, notifyAt: number | null): void {
    const wasPlanPayment = row.installment_plan_id !== null && row.state !== 'failed';
    row.state = 'failed';
    row.failure_code = code;
    row.failure_message = message;
    row.updated_at = this.ctx.clock.now();
    if (notifyAt !== null) this.notify(row, notifyAt);
    if (wasPlanPayment) this.plans?.installmentFailed(row.installment_plan_id!, at);
  }

  private notify(row: PaymentRow, at: number): void {
    // The body is the payment as it will be once saved: save() runs in the same transaction.
    this.notifications.enqueue(row.notification_url, 'payment', this.json(row), row.id, at);
  }

  private save(row: PaymentRow): void {
    this.ctx.sql.get(SAVE).run(row);
  }
}
