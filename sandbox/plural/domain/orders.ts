/**
 * Orders and their payments: create, look up (by id or merchant_order_reference), pay with a card
 * (frictionless, through a 3-D Secure challenge, or declined), capture or cancel a pre-authorisation,
 * and render an order the way the reference shows it. The rules live in machine.ts.
 */
import type { Metadata } from '../../http/params';
import { inTransaction, liveFlag, type Context } from '../../core/context';
import type { Credentials } from './auth';
import { duplicateRequest, invalidRequest, notFound } from '../errors';
import * as machine from './machine';
import {
  childId,
  digits,
  newOrderId,
  PAYMENT_ATTEMPTS,
  wireTime,
  type OrderRow,
  type PaymentMethod,
  type PaymentRow,
  type SplitRow,
} from './model';
import { signReturnFields } from './signature';
import { decideCard } from './test-cards';
import type { PluralWebhooks } from './webhooks';

export interface Address {
  address1?: string;
  address2?: string;
  address3?: string;
  pincode?: string;
  city?: string;
  state?: string;
  country?: string;
}

export interface Customer {
  email_id?: string;
  first_name?: string;
  last_name?: string;
  customer_id?: string;
  mobile_number?: string;
  billing_address?: Address;
  shipping_address?: Address;
}

export interface SplitInput {
  split_merchant_id: string;
  merchant_settlement_reference: string | null;
  amount: number;
  on_hold: boolean;
}

export interface CreateOrderInput {
  merchant_order_reference: string;
  amount: number;
  pre_auth: boolean;
  allowed_payment_methods: PaymentMethod[] | null;
  notes: string | null;
  callback_url: string | null;
  customer: Customer | null;
  merchant_metadata: Metadata | null;
  splits: SplitInput[] | null;
}

export interface PaymentInput {
  merchant_payment_reference: string | null;
  amount: number;
  card_number: string;
}

/** Where the customer's browser is sent after a payment attempt, and the signed fields it carries. */
export interface ReturnRedirect {
  url: string;
  params: Record<string, string>;
}

const INR = 'INR';

function money(value: number, currency = INR): { value: number; currency: string } {
  return { value, currency };
}

export class Orders {
  constructor(
    private readonly ctx: Context,
    private readonly credentials: Credentials,
    private readonly webhooks: PluralWebhooks,
  ) {}

  // ---- reading -------------------------------------------------------------------------------

  find(id: string): OrderRow | undefined {
    return this.ctx.sql.get('SELECT * FROM plural_orders WHERE id = ? AND is_live = ?').get(id, liveFlag(this.ctx)) as
      OrderRow | undefined;
  }

  get(id: string): OrderRow {
    const order = this.find(id);
    if (!order) throw notFound(`No order with order_id ${id}.`, 'order_id');
    return order;
  }

  getByReference(reference: string): OrderRow {
    const order = this.ctx.sql
      .get('SELECT * FROM plural_orders WHERE merchant_order_reference = ? AND is_live = ?')
      .get(reference, liveFlag(this.ctx)) as OrderRow | undefined;
    if (!order) throw notFound(`No order with merchant_order_reference ${reference}.`, 'merchant_order_reference');
    return order;
  }

  byCheckoutToken(token: string): OrderRow | undefined {
    return this.ctx.sql
      .get('SELECT * FROM plural_orders WHERE checkout_token = ? AND is_live = ?')
      .get(token, liveFlag(this.ctx)) as OrderRow | undefined;
  }

  paymentByChallenge(token: string): PaymentRow | undefined {
    return this.ctx.sql
      .get(
        'SELECT p.* FROM plural_payments p JOIN plural_orders o ON o.id = p.order_id WHERE p.challenge_token = ? AND o.is_live = ?',
      )
      .get(token, liveFlag(this.ctx)) as PaymentRow | undefined;
  }

  payments(orderId: string): PaymentRow[] {
    return this.ctx.sql
      .get('SELECT * FROM plural_payments WHERE order_id = ? ORDER BY seq')
      .all(orderId) as PaymentRow[];
  }

  splits(orderId: string): SplitRow[] {
    return this.ctx.sql.get('SELECT * FROM plural_splits WHERE order_id = ? ORDER BY seq').all(orderId) as SplitRow[];
  }

  /** Refund orders made against a charge, oldest first. */
  refunds(orderId: string): OrderRow[] {
    return this.ctx.sql
      .get("SELECT * FROM plural_orders WHERE parent_order_id = ? AND type = 'REFUND' ORDER BY seq")
      .all(orderId) as OrderRow[];
  }

  // ---- writing -------------------------------------------------------------------------------

  /**
   * A reference can name one order only, charge or refund, in either mode (references are unique in the
   * database, so one used in test mode is refused in live mode); the database's UNIQUE decides races.
   */
  checkReferenceFree(reference: string, param: string): void {
    const taken = this.ctx.sql.get('SELECT 1 FROM plural_orders WHERE merchant_order_reference = ?').get(reference);
    if (taken) {
      throw duplicateRequest(
        `merchant_order_reference ${reference} is already used; look the order up with GET /api/pay/v1/orders/reference/${reference}.`,
        param,
      );
    }
  }

  create(input: CreateOrderInput): OrderRow {
    return inTransaction(this.ctx, () => {
      this.checkReferenceFree(input.merchant_order_reference, 'merchant_order_reference');
      const now = this.ctx.clock.now();
      const order: OrderRow = {
        seq: 0,
        id: newOrderId(this.ctx.ids, now),
        merchant_order_reference: input.merchant_order_reference,
        type: 'CHARGE',
        parent_order_id: null,
        status: 'CREATED',
        amount: input.amount,
        currency: INR,
        pre_auth: input.pre_auth ? 1 : 0,
        allowed_payment_methods: input.allowed_payment_methods ? JSON.stringify(input.allowed_payment_methods) : null,
        notes: input.notes,
        callback_url: input.callback_url,
        customer: input.customer ? JSON.stringify(input.customer) : null,
        merchant_metadata: input.merchant_metadata ? JSON.stringify(input.merchant_metadata) : null,
        split_type: input.splits ? 'AMOUNT' : null,
        captured: 0,
        refunded: 0,
        payment_retries_remaining: PAYMENT_ATTEMPTS,
        checkout_token: this.ctx.ids.alnum(32),
        created_at: now,
        updated_at: now,
      };
      this.insertOrder(order);
      (input.splits ?? []).forEach((split, index) =>
        this.insertSplit({
          seq: 0,
          id: childId(order.id, 'ss', index),
          order_id: order.id,
          parent_split_id: null,
          split_merchant_id: split.split_merchant_id,
          merchant_settlement_reference: split.merchant_settlement_reference,
          amount: split.amount,
          status: split.on_hold ? 'HOLD' : 'RELEASED',
          release_amount: null,
          refunded_recovered: 0,
          refunded_unrecovered: 0,
          updated_at: now,
        }),
      );
      return order;
    });
  }

  insertOrder(order: OrderRow): void {
    const result = this.ctx.sql
      .get(
        `INSERT INTO plural_orders (id, merchant_order_reference, type, parent_order_id, status, amount, currency, pre_auth,
         allowed_payment_methods, notes, callback_url, customer, merchant_metadata, split_type, captured, refunded,
         payment_retries_remaining, checkout_token, created_at, updated_at, is_live)
         VALUES (@id, @merchant_order_reference, @type, @parent_order_id, @status, @amount, @currency, @pre_auth,
         @allowed_payment_methods, @notes, @callback_url, @customer, @merchant_metadata, @split_type, @captured, @refunded,
         @payment_retries_remaining, @checkout_token, @created_at, @updated_at, ?)`,
      )
      .run(liveFlag(this.ctx), order);
    order.seq = Number(result.lastInsertRowid);
  }

  saveOrder(order: OrderRow): void {
    this.ctx.sql
      .get(
        `UPDATE plural_orders SET status = @status, captured = @captured, refunded = @refunded,
         payment_retries_remaining = @payment_retries_remaining, updated_at = @updated_at WHERE id = @id`,
      )
      .run(order);
  }

  insertSplit(split: SplitRow): void {
    const result = this.ctx.sql
      .get(
        `INSERT INTO plural_splits (id, order_id, parent_split_id, split_merchant_id, merchant_settlement_reference, amount,
         status, release_amount, refunded_recovered, refunded_unrecovered, updated_at)
         VALUES (@id, @order_id, @parent_split_id, @split_merchant_id, @merchant_settlement_reference, @amount,
         @status, @release_amount, @refunded_recovered, @refunded_unrecovered, @updated_at)`,
      )
      .run(split);
    split.seq = Number(result.lastInsertRowid);
  }

  saveSplit(split: SplitRow): void {
    this.ctx.sql
      .get(
        `UPDATE plural_splits SET status = @status, release_amount = @release_amount, refunded_recovered = @refunded_recovered,
         refunded_unrecovered = @refunded_unrecovered, updated_at = @updated_at WHERE id = @id`,
      )
      .run(split);
  }

  insertPayment(payment: PaymentRow): void {
    const result = this.ctx.sql
      .get(
        `INSERT INTO plural_payments (id, order_id, merchant_payment_reference, status, amount, currency, card_network, card_type,
         card_issuer, card_last4, challenge_token, error_code, error_message, approval_code, acquirer_reference, rrn,
         capture_reference, captured, captured_at, created_at, updated_at)
         VALUES (@id, @order_id, @merchant_payment_reference, @status, @amount, @currency, @card_network, @card_type,
         @card_issuer, @card_last4, @challenge_token, @error_code, @error_message, @approval_code, @acquirer_reference, @rrn,
         @capture_reference, @captured, @captured_at, @created_at, @updated_at)`,
      )
      .run(payment);
    payment.seq = Number(result.lastInsertRowid);
  }

  private savePayment(payment: PaymentRow): void {
    this.ctx.sql
      .get(
        `UPDATE plural_payments SET status = @status, error_code = @error_code, error_message = @error_message,
         approval_code = @approval_code, acquirer_reference = @acquirer_reference, rrn = @rrn,
         capture_reference = @capture_reference, captured = @captured, captured_at = @captured_at, updated_at = @updated_at
         WHERE id = @id`,
      )
      .run(payment);
  }

  // ---- payments ------------------------------------------------------------------------------

  /**
   * A card payment attempt (the seamless API, the checkout page and the sandbox shortcut all come
   * here). A frictionless card is decided at once; a challenge card leaves the order PENDING until
   * the challenge page is answered. A new attempt replaces a challenge still waiting.
   */
  pay(orderId: string, input: PaymentInput): { order: OrderRow; payment: PaymentRow } {
    return inTransaction(this.ctx, () => {
      const order = this.get(orderId);
      // Plural's merchant_payment_reference is unique: a retry of an attempt whose answer was lost
      // is told so (and reads the order), instead of abandoning the attempt's challenge for a new one.
      // Checked before the order's state: the attempt that paid the order is told it is a duplicate
      // (409), as while it waited, not that the order takes no payment (422).
      const reference = input.merchant_payment_reference;
      const used =
        reference === null
          ? undefined
          : this.payments(order.id).find((p) => p.merchant_payment_reference === reference);
      if (used !== undefined) {
        throw duplicateRequest(
          `merchant_payment_reference ${reference} is already used by payment ${used.id} of this order; read the order with GET /api/pay/v1/orders/${order.id}.`,
          'payments[0].merchant_payment_reference',
        );
      }
      machine.checkPayable(order);
      const allowed =
        order.allowed_payment_methods === null ? null : (JSON.parse(order.allowed_payment_methods) as string[]);
      if (allowed !== null && !allowed.includes('CARD')) {
        throw invalidRequest(
          'This order does not allow CARD payments (allowed_payment_methods).',
          'payments[0].payment_method',
        );
      }
      if (input.amount !== order.amount) {
        throw invalidRequest(
          `payment_amount.value (${input.amount}) must equal the order amount (${order.amount}).`,
          'payments[0].payment_amount.value',
        );
      }
      const now = this.ctx.clock.now();
      for (const waiting of this.payments(order.id).filter((p) => p.status === 'PENDING')) {
        this.fail(waiting, 'PAYMENT_ABANDONED', 'A newer payment attempt replaced this one.', now);
      }
      const card = decideCard(input.card_number, this.ctx.mode);
      const payment: PaymentRow = {
        seq: 0,
        id: childId(order.id, 'cc', this.payments(order.id).length),
        order_id: order.id,
        merchant_payment_reference: input.merchant_payment_reference,
        status: 'PENDING',
        amount: order.amount,
        currency: order.currency,
        card_network: card.network,
        card_type: card.cardType,
        card_issuer: card.issuer,
        card_last4: input.card_number.slice(-4),
        challenge_token: card.outcome.kind === 'challenge' ? this.ctx.ids.alnum(40) : null,
        error_code: null,
        error_message: null,
        approval_code: null,
        acquirer_reference: null,
        rrn: null,
        capture_reference: null,
        captured: null,
        captured_at: null,
        created_at: now,
        updated_at: now,
      };
      this.insertPayment(payment);
      order.payment_retries_remaining -= 1;
      order.updated_at = now;
      if (card.outcome.kind === 'approved') this.approve(order, payment, now);
      else if (card.outcome.kind === 'declined')
        this.decline(order, payment, card.outcome.code, card.outcome.message, now);
      else {
        order.status = 'PENDING';
        this.saveOrder(order);
      }
      return { order, payment };
    });
  }

  /** The customer's answer on the challenge page; null when the challenge is no longer waiting. */
  completeChallenge(token: string, passed: boolean): { order: OrderRow; payment: PaymentRow } | null {
    return inTransaction(this.ctx, () => {
      const payment = this.paymentByChallenge(token);
      if (!payment || payment.status !== 'PENDING') return null;
      const order = this.get(payment.order_id);
      const now = this.ctx.clock.now();
      order.updated_at = now;
      // The error pair the reference gives for a failed authentication.
      if (passed) this.approve(order, payment, now);
      else this.decline(order, payment, 'USER_AUTHENTICATION_FAILED', 'Consumer Authentication required', now);
      return { order, payment };
    });
  }

  private approve(order: OrderRow, payment: PaymentRow, now: number): void {
    order.status = machine.approvedStatus(order);
    if (order.status === 'PROCESSED') order.captured = order.amount;
    payment.status = order.status === 'PROCESSED' ? 'PROCESSED' : 'AUTHORIZED';
    payment.approval_code = digits(this.ctx.ids, 6);
    payment.acquirer_reference = digits(this.ctx.ids, 15);
    payment.rrn = digits(this.ctx.ids, 12);
    payment.updated_at = now;
    this.savePayment(payment);
    this.saveOrder(order);
    this.webhooks.emit(order.status === 'PROCESSED' ? 'ORDER_PROCESSED' : 'ORDER_AUTHORIZED', this.json(order));
  }

  private decline(order: OrderRow, payment: PaymentRow, code: string, message: string, now: number): void {
    this.fail(payment, code, message, now);
    order.status = machine.failedStatus(order);
    this.saveOrder(order);
    this.webhooks.emit('ORDER_FAILED', this.json(order));
  }

  private fail(payment: PaymentRow, code: string, message: string, now: number): void {
    payment.status = 'FAILED';
    payment.error_code = code;
    payment.error_message = message;
    payment.updated_at = now;
    this.savePayment(payment);
  }

  capture(orderId: string, reference: string, amount: number): OrderRow {
    return inTransaction(this.ctx, () => {
      const order = this.get(orderId);
      const status = machine.capture(order, this.splits(order.id), amount);
      const now = this.ctx.clock.now();
      const payment = this.payments(order.id).find((p) => p.status === 'AUTHORIZED')!;
      payment.status = 'PROCESSED';
      payment.capture_reference = reference;
      payment.captured = amount;
      payment.captured_at = now;
      payment.updated_at = now;
      this.savePayment(payment);
      order.status = status;
      order.captured = amount;
      order.updated_at = now;
      this.saveOrder(order);
      this.webhooks.emit('ORDER_PROCESSED', this.json(order));
      return order;
    });
  }

  cancel(orderId: string): OrderRow {
    return inTransaction(this.ctx, () => {
      const order = this.get(orderId);
      order.status = machine.cancel(order);
      const now = this.ctx.clock.now();
      const payment = this.payments(order.id).find((p) => p.status === 'AUTHORIZED')!;
      payment.status = 'CANCELLED';
      payment.updated_at = now;
      this.savePayment(payment);
      order.updated_at = now;
      this.saveOrder(order);
      this.webhooks.emit('ORDER_CANCELLED', this.json(order));
      return order;
    });
  }

  // ---- the customer's browser ----------------------------------------------------------------

  challengeUrl(token: string): string {
    return `${this.ctx.baseUrl()}/web/auth/landing/?token=${token}`;
  }

  checkoutUrl(token: string): string {
    return `${this.ctx.baseUrl()}/checkout/${token}`;
  }

  /** The signed redirect to the order's callback_url after an attempt finished (null without one). */
  returnRedirect(order: OrderRow, payment: PaymentRow): ReturnRedirect | null {
    if (order.callback_url === null) return null;
    const fields: Record<string, string> = { order_id: order.id, status: payment.status };
    if (payment.error_code !== null) fields.error_code = payment.error_code;
    if (payment.error_message !== null) fields.error_message = payment.error_message;
    const params = { ...fields, signature: signReturnFields(this.credentials.signature_key, fields) };
    const url = new URL(order.callback_url);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return { url: url.toString(), params };
  }

  // ---- rendering -----------------------------------------------------------------------------

  /** The order as the reference shows it (without the `{"data": …}` wrapper). */
  json(order: OrderRow): Record<string, unknown> {
    const payments = this.payments(order.id);
    const splits = this.splits(order.id);
    const json: Record<string, unknown> = { order_id: order.id };
    if (order.parent_order_id !== null) json.parent_order_id = order.parent_order_id;
    json.merchant_order_reference = order.merchant_order_reference;
    json.type = order.type;
    json.status = order.status;
    const challenge = payments.find((p) => p.status === 'PENDING' && p.challenge_token !== null);
    if (challenge) json.challenge_url = this.challengeUrl(challenge.challenge_token!);
    json.merchant_id = this.credentials.merchant_id;
    json.order_amount = money(order.amount, order.currency);
    if (order.type === 'CHARGE') {
      json.pre_auth = order.pre_auth === 1;
      if (order.allowed_payment_methods !== null)
        json.allowed_payment_methods = JSON.parse(order.allowed_payment_methods);
      if (order.notes !== null) json.notes = order.notes;
      if (order.callback_url !== null) json.callback_url = order.callback_url;
      json.redirect_url = this.checkoutUrl(order.checkout_token!);
    }
    const purchase: Record<string, unknown> = {};
    if (order.customer !== null) {
      const customer = JSON.parse(order.customer) as Customer;
      purchase.customer = {
        ...customer,
        billing_address: customer.billing_address ?? {},
        shipping_address: customer.shipping_address ?? {},
      };
    }
    if (order.merchant_metadata !== null) purchase.merchant_metadata = JSON.parse(order.merchant_metadata);
    if (order.split_type !== null) {
      purchase.split_info = {
        split_type: order.split_type,
        split_details: splits.map((split) => (order.type === 'CHARGE' ? splitJson(split) : refundLineJson(split))),
      };
    }
    json.purchase_details = purchase;
    if (payments.length > 0) json.payments = payments.map((payment) => paymentJson(payment, order.type));
    json.created_at = wireTime(order.created_at);
    json.updated_at = wireTime(order.updated_at);
    json.integration_mode = 'SEAMLESS';
    json.payment_retries_remaining = order.payment_retries_remaining;
    return json;
  }
}

function splitJson(split: SplitRow): Record<string, unknown> {
  const json: Record<string, unknown> = {
    split_merchant_id: split.split_merchant_id,
    split_settlement_id: split.id,
  };
  if (split.merchant_settlement_reference !== null)
    json.merchant_settlement_reference = split.merchant_settlement_reference;
  json.amount = money(split.amount);
  json.on_hold = split.status === 'HOLD';
  json.status = split.status;
  json.updated_at = wireTime(split.updated_at);
  if (split.release_amount !== null) json.release_amount = money(split.release_amount);
  return json;
}

function refundLineJson(line: SplitRow): Record<string, unknown> {
  const json: Record<string, unknown> = {
    parent_order_split_settlement_id: line.parent_split_id,
    split_merchant_id: line.split_merchant_id,
    split_settlement_id: line.id,
    merchant_settlement_reference: line.merchant_settlement_reference,
    amount: money(line.amount),
  };
  if (line.status !== null) json.status = line.status;
  return json;
}

function paymentJson(payment: PaymentRow, type: OrderRow['type']): Record<string, unknown> {
  const json: Record<string, unknown> = { id: payment.id };
  if (payment.merchant_payment_reference !== null) json.merchant_payment_reference = payment.merchant_payment_reference;
  json.status = payment.status;
  json.payment_amount = money(payment.amount, payment.currency);
  json.payment_method = 'CARD';
  if (type === 'CHARGE') {
    json.payment_option = {
      card_data: {
        card_type: payment.card_type,
        network_name: payment.card_network,
        issuer_name: payment.card_issuer,
        card_category: 'CONSUMER',
        country_code: 'IND',
        token_txn_type: 'ALT_TOKEN',
        last4_digit: payment.card_last4,
        is_native_otp_eligible: false,
      },
    };
  }
  if (payment.acquirer_reference !== null) {
    json.acquirer_data = {
      approval_code: payment.approval_code ?? '',
      acquirer_reference: payment.acquirer_reference,
      rrn: payment.rrn ?? '',
      is_aggregator: true,
    };
  }
  if (payment.capture_reference !== null) {
    json.capture_data = [
      {
        merchant_capture_reference: payment.capture_reference,
        capture_amount: money(payment.captured!, payment.currency),
        created_at: wireTime(payment.captured_at!),
      },
    ];
  }
  if (payment.error_code !== null) json.error_detail = { code: payment.error_code, message: payment.error_message };
  json.created_at = wireTime(payment.created_at);
  json.updated_at = wireTime(payment.updated_at);
  return json;
}
