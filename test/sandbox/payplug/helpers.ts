/** Helpers for the PayPlug emulator tests: a sandbox on port 0 and a client for its /payplug API. */
import { FakeClock } from '../../support/fake-clock';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../../sandbox/index';
import { Api } from '../helpers';

export { receiver, tick } from '../helpers';

export interface PayPlugError {
  object: 'error';
  message: string;
  id: string;
  details?: Record<string, unknown>;
}

export interface PaymentJson {
  id: string;
  object: 'payment';
  is_live: boolean;
  amount: number;
  amount_refunded: number;
  authorization: { authorized_amount: number; authorized_at: number | null; expires_at: number | null } | null;
  currency: string;
  created_at: number;
  installment_plan_id: string | null;
  is_paid: boolean;
  paid_at: number | null;
  is_refunded: boolean;
  is_3ds: boolean | null;
  save_card: boolean;
  allow_save_card: boolean;
  card: {
    last4: string | null;
    country: string | null;
    exp_month: number | null;
    exp_year: number | null;
    brand: string | null;
    id: string | null;
  };
  customer: Record<string, string | null>;
  hosted_payment: {
    payment_url: string;
    return_url: string | null;
    cancel_url: string | null;
    paid_at: number | null;
    sent_by: string | null;
  } | null;
  notification: { url: string | null; response_code: number | null };
  failure: { code: string; message: string } | null;
  description: string | null;
  metadata: Record<string, unknown> | null;
}

export interface RefundJson {
  id: string;
  payment_id: string;
  object: 'refund';
  is_live: boolean;
  amount: number;
  currency: string;
  created_at: number;
  metadata: Record<string, unknown> | null;
}

export interface PlanJson {
  id: string;
  object: 'installment_plan';
  is_live: boolean;
  is_active: boolean;
  currency: string;
  created_at: number;
  is_fully_paid: boolean;
  customer: Record<string, string | null>;
  hosted_payment: { payment_url: string; return_url: string | null; cancel_url: string | null };
  notification: { url: string | null };
  schedule: Array<{ date: string; amount: number; payment_ids: string[] }>;
  failure: { code: string; message: string } | null;
  metadata: Record<string, unknown> | null;
}

export interface ListJson<T> {
  object: 'list';
  page: number;
  per_page: number;
  has_more: boolean;
  data: T[];
}

export interface LedgerJson {
  payments: Array<{
    id: string;
    amount: number;
    status: string;
    is_paid: boolean;
    deferred: boolean;
    captured: boolean;
    amount_refunded: number;
    failure_code: string | null;
    metadata: Record<string, unknown> | null;
  }>;
  refunds: Array<{ id: string; payment_id: string; amount: number; metadata: Record<string, unknown> | null }>;
}

export const CUSTOMER = { email: 'john.watson@example.net', first_name: 'John', last_name: 'Watson' };

/** 2026-02-16 16:18:00 UTC, as the other sandbox tests. */
export const START = Date.UTC(2026, 1, 16, 16, 18, 0);

export interface PayPlugHarness {
  sandbox: RunningSandbox;
  /** Calls {payplug.url}…, with the PayPlug secret key. */
  api: Api;
  clock: FakeClock;
  close(): Promise<void>;
  /** Creates a payment (201 or throws). */
  payment(body?: Record<string, unknown>): Promise<PaymentJson>;
  /** POST /_sandbox/payments/{id}/pay with a card number. */
  pay(id: string, card?: string, extra?: Record<string, unknown>): Promise<PaymentJson>;
  /** POST /_sandbox/clock. */
  advance(seconds: number): Promise<void>;
}

export async function startPayPlug(options: SandboxOptions = {}): Promise<PayPlugHarness> {
  const clock = new FakeClock(START);
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false, clock, ...options });
  const api = new Api(sandbox.payplug.url, sandbox.payplug.secret_key);
  return {
    sandbox,
    api,
    clock,
    close: () => sandbox.close(),
    async payment(body = {}) {
      const answer = await api.post<PaymentJson>('/v1/payments', { amount: 3300, currency: 'EUR', ...body });
      if (answer.status !== 201) throw new Error(`create failed: ${answer.status} ${answer.text}`);
      return answer.body;
    },
    async pay(id, card = '4242424242424242', extra = {}) {
      const answer = await api.post<PaymentJson>(`/_sandbox/payments/${id}/pay`, { card_number: card, ...extra });
      if (answer.status !== 200) throw new Error(`pay failed: ${answer.status} ${answer.text}`);
      return answer.body;
    },
    async advance(seconds) {
      const answer = await api.post('/_sandbox/clock', { advance_seconds: seconds });
      if (answer.status !== 200) throw new Error(`clock failed: ${answer.status} ${answer.text}`);
    },
  };
}

export function unix(ms: number): number {
  return Math.floor(ms / 1000);
}
