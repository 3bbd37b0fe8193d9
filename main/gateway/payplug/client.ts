/**
 * Typed PayPlug calls with the merchant's secret key (`Authorization: Bearer sk_…`), in PayPlug's
 * wire terms; index.ts maps them to the port. PayPlug's reference asks for no version header, so
 * none is sent. There are no idempotency keys: index.ts tags objects instead (see tags.ts).
 */
import type { z } from 'zod';
import type { GatewayHttp } from '../http';
import type { PaymentLimits } from '../limits';
import {
  InstallmentPlanSchema,
  PaymentListSchema,
  PaymentSchema,
  RefundListSchema,
  RefundSchema,
  type WireInstallmentPlan,
  type WirePayment,
  type WireRefund,
} from './schemas';

/** PayPlug's documented limits on a new payment: 1–20,000 EUR, EUR only, description ≤ 80 characters. */
export const PAYPLUG_LIMITS: PaymentLimits = {
  amount: { min: 100, max: 2_000_000 },
  currencies: ['EUR'],
  description: { max: 80, unit: 'utf16' },
  // Every refund is at least 10 cents.
  refund: { min: 10 },
  // A saved card's id works for 15 months (and never past the card's own expiry).
  savedCardMonths: 15,
};

/** PayPlug lists at most 100 objects a page (more is answered with 100, without an error). */
export const MAX_PER_PAGE = 100;

export interface WireCustomer {
  email?: string;
  first_name?: string;
  last_name?: string;
}

export interface CreatePaymentBody {
  /** Immediate payment; exactly one of amount / authorized_amount. */
  amount?: number;
  /** Deferred payment: authorized on the page, captured later (within 7 days). */
  authorized_amount?: number;
  currency: string;
  customer?: WireCustomer;
  hosted_payment?: { return_url?: string; cancel_url?: string };
  notification_url?: string;
  /** A saved card id (one click): no page; needs customer first_name, last_name and email. */
  payment_method?: string;
  allow_save_card?: boolean;
  description?: string;
  metadata?: Record<string, string>;
}

export interface CreatePlanBody {
  currency: string;
  schedule: Array<{ date: string; amount: number }>;
  customer: Required<WireCustomer>;
  hosted_payment?: { return_url?: string; cancel_url?: string };
  notification_url?: string;
  metadata?: Record<string, string>;
}

export interface ListPage<T> {
  page: number;
  perPage: number;
  hasMore: boolean;
  data: T[];
}

export class PayPlugClient {
  constructor(
    private readonly http: GatewayHttp,
    private readonly secretKey: string,
  ) {}

  /** A live key (sk_live_…); the prefix is how PayPlug tells the modes apart. */
  get isLive(): boolean {
    return this.secretKey.startsWith('sk_live_');
  }

  private call<S extends z.ZodType>(
    schema: S,
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    options: { body?: Record<string, unknown>; query?: Record<string, number>; timeoutMs?: number } = {},
  ): Promise<z.output<S>> {
    return this.http.request(schema, method, path, { auth: this.secretKey, ...options });
  }

  // Payments ------------------------------------------------------------------------------------

  createPayment(body: CreatePaymentBody): Promise<WirePayment> {
    return this.call(PaymentSchema, 'POST', '/v1/payments', { body: { ...body } });
  }

  getPayment(id: string): Promise<WirePayment> {
    return this.call(PaymentSchema, 'GET', `/v1/payments/${encodeURIComponent(id)}`);
  }

  /** Newest first; `page` counts from 0; `perPage` at most 100. */
  async listPayments(page: number, perPage: number, timeoutMs?: number): Promise<ListPage<WirePayment>> {
    const list = await this.call(PaymentListSchema, 'GET', '/v1/payments', {
      query: { page, per_page: Math.min(perPage, MAX_PER_PAGE) },
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    return { page: list.page, perPage: list.per_page, hasMore: list.has_more, data: list.data };
  }

  /** PATCH {aborted: true}: an unpaid (or authorized, uncaptured) payment can no longer be paid. */
  abortPayment(id: string): Promise<WirePayment> {
    return this.call(PaymentSchema, 'PATCH', `/v1/payments/${encodeURIComponent(id)}`, { body: { aborted: true } });
  }

  /** PATCH {captured: true}: the whole authorized amount (PayPlug takes no amount). */
  capturePayment(id: string): Promise<WirePayment> {
    return this.call(PaymentSchema, 'PATCH', `/v1/payments/${encodeURIComponent(id)}`, { body: { captured: true } });
  }

  /** PATCH {metadata}: replaces every key (send all of them). */
  updatePaymentMetadata(id: string, metadata: Record<string, string>): Promise<WirePayment> {
    return this.call(PaymentSchema, 'PATCH', `/v1/payments/${encodeURIComponent(id)}`, { body: { metadata } });
  }

  // Refunds -------------------------------------------------------------------------------------

  /** `amount` absent: what is left. Every refund is at least 10 cents. */
  createRefund(paymentId: string, body: { amount?: number; metadata?: Record<string, string> }): Promise<WireRefund> {
    return this.call(RefundSchema, 'POST', `/v1/payments/${encodeURIComponent(paymentId)}/refunds`, {
      body: { ...body },
    });
  }

  getRefund(paymentId: string, refundId: string): Promise<WireRefund> {
    return this.call(
      RefundSchema,
      'GET',
      `/v1/payments/${encodeURIComponent(paymentId)}/refunds/${encodeURIComponent(refundId)}`,
    );
  }

  /** Listing is a GET (the reference's endpoint table says POST, which would create a refund). */
  async listRefunds(paymentId: string, page: number, perPage: number): Promise<ListPage<WireRefund>> {
    const list = await this.call(RefundListSchema, 'GET', `/v1/payments/${encodeURIComponent(paymentId)}/refunds`, {
      query: { page, per_page: Math.min(perPage, MAX_PER_PAGE) },
    });
    return { page: list.page, perPage: list.per_page, hasMore: list.has_more, data: list.data };
  }

  // Installment plans ---------------------------------------------------------------------------

  createInstallmentPlan(body: CreatePlanBody): Promise<WireInstallmentPlan> {
    return this.call(InstallmentPlanSchema, 'POST', '/v1/installment_plans', { body: { ...body } });
  }

  getInstallmentPlan(id: string): Promise<WireInstallmentPlan> {
    return this.call(InstallmentPlanSchema, 'GET', `/v1/installment_plans/${encodeURIComponent(id)}`);
  }

  abortInstallmentPlan(id: string): Promise<WireInstallmentPlan> {
    return this.call(InstallmentPlanSchema, 'PATCH', `/v1/installment_plans/${encodeURIComponent(id)}`, {
      body: { aborted: true },
    });
  }

  // The sandbox ---------------------------------------------------------------------------------

  /**
   * The app's PayPlug sandbox only (POST /_sandbox/payments/{id}/pay): a card attempt on a payment
   * page, as the customer would make it. PayPlug itself has no such call (404 there).
   */
  sandboxPay(id: string, body: { card_number: string; save_card?: boolean }): Promise<WirePayment> {
    return this.call(PaymentSchema, 'POST', `/_sandbox/payments/${encodeURIComponent(id)}/pay`, { body: { ...body } });
  }
}
