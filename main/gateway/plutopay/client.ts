/**
 * Typed PlutoPay calls with the merchant's secret key, in PlutoPay's wire terms (index.ts maps them
 * to the port). Every create-like call carries the idempotency key the journal stored before the
 * first send.
 */
import { z } from 'zod';
import { GatewayError, GatewayUnreadable } from '../errors';
import type { GatewayHttp } from '../http';
import type { PaymentLimits } from '../limits';
import {
  CheckoutSessionPageSchema,
  CheckoutSessionSchema,
  DisputePageSchema,
  DisputeSchema,
  MerchantSchema,
  ReaderListSchema,
  ReaderSchema,
  RefundPageSchema,
  RefundSchema,
  TerminalPageSchema,
  TerminalSchema,
  TransactionPageSchema,
  TransactionSchema,
  type CheckoutSession,
  type Dispute,
  type GatewayReader,
  type Merchant,
  type Refund,
  type Terminal,
  type Transaction,
} from './schemas';

/** PlutoPay's largest amount, in minor units (its sandbox refuses more with `amount_too_large`). */
export const PLUTOPAY_MAX_AMOUNT = 99_999_999;

/** PlutoPay's documented limits on a new payment (amount 50 to 99,999,999; description up to 500 UTF-16 units). */
export const PLUTOPAY_LIMITS: PaymentLimits = {
  amount: { min: 50, max: PLUTOPAY_MAX_AMOUNT },
  currencies: null,
  description: { max: 500, unit: 'utf16' },
  refund: { min: 1 },
};

export interface CreatePaymentParams {
  amount: number;
  /** ISO alpha; sent lower case as the API shows it. */
  currency: string;
  capture_method: 'automatic' | 'manual';
  description?: string;
  customer_id?: string;
  receipt_email?: string;
  terminal_id?: string;
  metadata?: Record<string, string>;
}

export interface CheckoutSessionParams {
  amount: number;
  /** ISO alpha; sent lower case as the API shows it. */
  currency: string;
  description?: string;
  customer_email?: string;
  metadata: Record<string, string>;
}

export interface TransactionQuery {
  search?: string;
  status?: string;
  payment_method_type?: string;
  date_from?: string;
  date_to?: string;
  sortField?: string;
  sortOrder?: 'asc' | 'desc';
  page?: number;
  size?: number;
}

const HealthSchema = z.looseObject({ status: z.string() });

/**
 * A request sent with an idempotency key, answered 409 Conflict: the key's first request is still
 * being worked on (PlutoPay's reference names no 409; idempotent APIs answer it so). That is no
 * refusal — the first send may yet take effect — but an unknown outcome: the engine retrieves and
 * resends with the same key. Taken for a refusal, a refund whose first answer was lost was shown as
 * refused while PlutoPay made it, and the cashier's second refund paid the customer twice.
 */
async function keyed<T>(send: Promise<T>): Promise<T> {
  try {
    return await send;
  } catch (error) {
    if (error instanceof GatewayError && error.status === 409)
      throw new GatewayUnreadable(
        `PlutoPay was still working on an earlier send of this request (409 Conflict: ${error.message}).`,
        409,
      );
    throw error;
  }
}

/** How many pages of 100 refunds a payment's refunds are read from (PayPlug's bound too). */
const MAX_REFUND_PAGES = 20;

const DeletedSchema = z.looseObject({ deleted: z.boolean().optional() });

export class PlutoPayClient {
  constructor(
    private readonly http: GatewayHttp,
    private readonly secretKey: string,
  ) {}

  private get auth() {
    return { auth: this.secretKey };
  }

  health(timeoutMs = 3_000): Promise<{ status: string }> {
    return this.http.request(HealthSchema, 'GET', '/v1/health', { ...this.auth, timeoutMs });
  }

  merchant(): Promise<Merchant> {
    return this.http.request(MerchantSchema, 'GET', '/v1/merchant', this.auth);
  }

  createTerminalPayment(params: CreatePaymentParams, idempotencyKey: string): Promise<Transaction> {
    return keyed(
      this.http.request(TransactionSchema, 'POST', '/v1/terminal/create-payment', {
        ...this.auth,
        body: { ...params, currency: params.currency.toLowerCase(), idempotency_key: idempotencyKey },
      }),
    );
  }

  /** A hosted payment page for a new pending transaction. PlutoPay takes no idempotency key here. */
  createCheckoutSession(params: CheckoutSessionParams): Promise<CheckoutSession> {
    return this.http.request(CheckoutSessionSchema, 'POST', '/v1/checkout/sessions', {
      ...this.auth,
      body: { ...params, currency: params.currency.toLowerCase() },
    });
  }

  /** Checkout sessions, newest first. */
  listCheckoutSessions(query: { status?: 'open'; page: number; per_page: number }) {
    return this.http.request(CheckoutSessionPageSchema, 'GET', '/v1/checkout/sessions', {
      ...this.auth,
      query: { ...query },
    });
  }

  /** Whether the key is a live one (test cards are refused there). */
  get isLive(): boolean {
    return this.secretKey.startsWith('sk_live_');
  }

  /**
   * Test mode: what the customer's phone does on the checkout page — posts a card number to it.
   * The page answers HTML (paid, declined, closed), not the API's JSON: the outcome is read from
   * the transaction afterwards. Only the embedded or a standalone sandbox is ever asked this.
   */
  async payOnHostedPage(pageUrl: string, cardNumber: string): Promise<void> {
    await this.http.postForm(pageUrl, { card_number: cardNumber });
  }

  getTransaction(id: string): Promise<Transaction> {
    return this.http.request(TransactionSchema, 'GET', `/v1/transactions/${encodeURIComponent(id)}`, this.auth);
  }

  listTransactions(query: TransactionQuery) {
    return this.http.request(TransactionPageSchema, 'GET', '/v1/transactions', { ...this.auth, query: { ...query } });
  }

  capture(id: string, amount: number | undefined, idempotencyKey: string): Promise<Transaction> {
    return keyed(
      this.http.request(TransactionSchema, 'POST', `/v1/transactions/${encodeURIComponent(id)}/capture`, {
        ...this.auth,
        body: { ...(amount !== undefined ? { amount } : {}), idempotency_key: idempotencyKey },
      }),
    );
  }

  cancel(id: string, idempotencyKey: string): Promise<Transaction> {
    return keyed(
      this.http.request(TransactionSchema, 'POST', `/v1/transactions/${encodeURIComponent(id)}/cancel`, {
        ...this.auth,
        body: { idempotency_key: idempotencyKey },
      }),
    );
  }

  refund(id: string, params: { amount?: number; reason?: string }, idempotencyKey: string): Promise<Refund> {
    return keyed(
      this.http.request(RefundSchema, 'POST', `/v1/transactions/${encodeURIComponent(id)}/refunds`, {
        ...this.auth,
        body: { ...params, idempotency_key: idempotencyKey },
      }),
    );
  }

  /**
   * Every refund of a payment, each once: page after page of 100 (a payment refunded a cup at a time
   * can have more), bounded. A page other than the one asked for, or one that only repeats earlier
   * refunds while more are said to follow, cannot be read: a short list would show less refunded.
   */
  async listRefunds(id: string): Promise<Refund[]> {
    const path = `/v1/transactions/${encodeURIComponent(id)}/refunds`;
    const out: Refund[] = [];
    const seen = new Set<string>();
    for (let page = 1; page <= MAX_REFUND_PAGES; page++) {
      const answer = await this.http.request(RefundPageSchema, 'GET', path, {
        ...this.auth,
        query: { page, size: 100 },
      });
      // Another page than the one asked for (a cache, a gateway ignoring `page`) cannot be read as it.
      if (answer.meta && answer.meta.current_page !== page)
        throw new GatewayUnreadable(
          `PlutoPay answered page ${answer.meta.current_page} of the refunds of ${id} when asked for page ${page}.`,
        );
      const fresh = answer.data.filter((refund) => !seen.has(refund.id));
      for (const refund of fresh) seen.add(refund.id);
      out.push(...fresh);
      // Without the list's meta (not PlutoPay's form), the one page is all there is to read.
      if (!answer.meta || page >= answer.meta.last_page || answer.data.length === 0) break;
      if (fresh.length === 0)
        throw new GatewayUnreadable(
          `PlutoPay's page ${page} of the refunds of ${id} holds only refunds its earlier pages gave, and says more follow: its pages cannot be read.`,
        );
    }
    return out;
  }

  /**
   * One page of the disputes, newest first (`status`: only those in that state, the list's filter).
   * Another page than the one asked for (a cache, a gateway ignoring `page`) is unreadable: taken as
   * the page asked for, the host asked for the next one for ever while `last_page` said more follow.
   */
  async listDisputes(
    page: number,
    size = 100,
    status?: Dispute['status'],
  ): Promise<{ data: Dispute[]; meta: { last_page: number } }> {
    const query = status === undefined ? { page, size } : { status, page, size };
    const answer = await this.http.request(DisputePageSchema, 'GET', '/v1/disputes', { ...this.auth, query });
    if (answer.meta.current_page !== page)
      throw new GatewayUnreadable(
        `PlutoPay answered page ${answer.meta.current_page} of its disputes when asked for page ${page}.`,
      );
    return answer;
  }

  getDispute(id: string): Promise<Dispute> {
    return this.http.request(DisputeSchema, 'GET', `/v1/disputes/${encodeURIComponent(id)}`, this.auth);
  }

  processPayment(paymentIntentId: string, readerId: string): Promise<GatewayReader> {
    return this.http.request(ReaderSchema, 'POST', '/v1/terminal/process-payment', {
      ...this.auth,
      body: { payment_intent_id: paymentIntentId, reader_id: readerId },
    });
  }

  simulatePayment(readerId: string, cardNumber?: string): Promise<GatewayReader> {
    return this.http.request(ReaderSchema, 'POST', '/v1/terminal/simulate-payment', {
      ...this.auth,
      body: { reader_id: readerId, ...(cardNumber ? { card_number: cardNumber } : {}) },
    });
  }

  cancelReaderAction(readerId: string): Promise<GatewayReader> {
    return this.http.request(
      ReaderSchema,
      'POST',
      `/v1/terminal/readers/${encodeURIComponent(readerId)}/cancel-action`,
      this.auth,
    );
  }

  async listReaders(): Promise<GatewayReader[]> {
    return (await this.http.request(ReaderListSchema, 'GET', '/v1/terminal/readers', this.auth)).data;
  }

  getReader(readerId: string): Promise<GatewayReader> {
    return this.http.request(ReaderSchema, 'GET', `/v1/terminal/readers/${encodeURIComponent(readerId)}`, this.auth);
  }

  createTerminal(params: { name: string; registration_code: string; location_name?: string }): Promise<Terminal> {
    return this.http.request(TerminalSchema, 'POST', '/v1/terminals', { ...this.auth, body: { ...params } });
  }

  async findTerminalBySerial(serialNumber: string): Promise<Terminal | undefined> {
    const page = await this.http.request(TerminalPageSchema, 'GET', '/v1/terminals', {
      ...this.auth,
      query: { serial_number: serialNumber, size: 100 },
    });
    return page.data.find((t) => t.serial_number === serialNumber);
  }

  getTerminal(id: string): Promise<Terminal> {
    return this.http.request(TerminalSchema, 'GET', `/v1/terminals/${encodeURIComponent(id)}`, this.auth);
  }

  async deleteTerminal(id: string): Promise<void> {
    await this.http.request(DeletedSchema, 'DELETE', `/v1/terminals/${encodeURIComponent(id)}`, this.auth);
  }
}
