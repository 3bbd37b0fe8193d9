/** Helpers for the Plural emulator tests: a sandbox on port 0, a token, and typed calls over HTTP. */
import { createHmac, randomUUID } from 'node:crypto';
import { FakeClock } from '../../support/fake-clock';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../../sandbox/index';
import type { Answer } from '../helpers';

export const START = Date.UTC(2026, 1, 16, 16, 18, 0);

export interface Money {
  value: number;
  currency: string;
}

export interface PluralError {
  code: string;
  message: string;
  param?: string;
}

export interface Split {
  split_merchant_id: string;
  split_settlement_id: string;
  merchant_settlement_reference?: string;
  amount: Money;
  on_hold: boolean;
  status: string;
  updated_at: string;
  release_amount?: Money;
}

export interface RefundLine {
  parent_order_split_settlement_id: string;
  split_merchant_id: string;
  split_settlement_id: string;
  merchant_settlement_reference: string;
  amount: Money;
  status?: string;
}

export interface Payment {
  id: string;
  merchant_payment_reference?: string;
  status: string;
  payment_amount: Money;
  payment_method: string;
  payment_option?: { card_data: Record<string, unknown> };
  acquirer_data?: Record<string, unknown>;
  capture_data?: Array<{ merchant_capture_reference: string; capture_amount: Money; created_at: string }>;
  error_detail?: { code: string; message: string };
}

export interface Order {
  order_id: string;
  parent_order_id?: string;
  merchant_order_reference: string;
  type: 'CHARGE' | 'REFUND';
  status: string;
  challenge_url?: string;
  merchant_id: string;
  order_amount: Money;
  pre_auth?: boolean;
  allowed_payment_methods?: string[];
  notes?: string;
  callback_url?: string;
  redirect_url?: string;
  purchase_details: {
    customer?: Record<string, unknown>;
    merchant_metadata?: Record<string, unknown>;
    split_info?: { split_type: string; split_details: Array<Split & RefundLine> };
  };
  payments?: Payment[];
  created_at: string;
  updated_at: string;
  integration_mode: string;
  payment_retries_remaining: number;
}

export interface ReturnRedirect {
  url: string;
  params: Record<string, string>;
}

export function inr(value: number): Money {
  return { value, currency: 'INR' };
}

/** The return-URL signature, computed here independently of the emulator's code. */
export function expectedSignature(signatureKeyHex: string, params: Record<string, string>): string {
  const text = Object.keys(params)
    .filter((key) => key !== 'signature')
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&');
  return createHmac('sha256', Buffer.from(signatureKeyHex, 'hex')).update(text, 'utf8').digest('hex');
}

export class PluralApi {
  token: string | undefined;

  constructor(readonly sandbox: RunningSandbox) {}

  get url(): string {
    return this.sandbox.plural.url;
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    options: { token?: string | null; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = {
      'Request-ID': randomUUID(),
      'Request-Timestamp': new Date().toISOString(),
      accept: 'application/json',
      ...options.headers,
    };
    const token = options.token === null ? undefined : (options.token ?? this.token);
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    let payload: string | undefined = options.raw;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${this.url}${path}`, { method, headers, body: payload, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  }

  /** A new token for this sandbox's credentials (kept for later calls). */
  async login(): Promise<string> {
    const answer = await this.call<{ access_token: string; expires_at: string }>(
      'POST',
      '/api/auth/v1/token',
      {
        client_id: this.sandbox.plural.client_id,
        client_secret: this.sandbox.plural.client_secret,
        grant_type: 'client_credentials',
      },
      { token: null },
    );
    if (answer.status !== 200) throw new Error(`token: ${answer.status} ${answer.text}`);
    this.token = answer.body.access_token;
    return this.token;
  }

  /** An order answer's `data`, failing on anything but 200. */
  async ok(method: string, path: string, body?: unknown): Promise<Order> {
    const answer = await this.call<{ data: Order }>(method, path, body);
    if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
    return answer.body.data;
  }

  async createOrder(overrides: Record<string, unknown> = {}): Promise<Order> {
    return this.ok('POST', '/api/pay/v1/orders', {
      merchant_order_reference: `ref-${randomUUID()}`,
      order_amount: inr(50000),
      ...overrides,
    });
  }

  /** An order of 500.00 split 300.00 held for merchant 1324 and 200.00 released at once to 1233. */
  async splitOrder(overrides: Record<string, unknown> = {}): Promise<Order> {
    return this.createOrder({
      purchase_details: {
        split_info: {
          split_type: 'AMOUNT',
          split_details: [
            { split_merchant_id: '1324', merchant_settlement_reference: 'kshjhfk', amount: inr(30000), on_hold: true },
            { split_merchant_id: '1233', amount: inr(20000), on_hold: false },
          ],
        },
      },
      ...overrides,
    });
  }

  /** The seamless create-payment body for a card. */
  static paymentBody(cardNumber: string, value = 50000, reference: string = randomUUID()): Record<string, unknown> {
    return {
      payments: [
        {
          merchant_payment_reference: reference,
          payment_method: 'CARD',
          payment_amount: inr(value),
          payment_option: {
            card_details: {
              name: 'Anil Reddy',
              card_number: cardNumber,
              cvv: '272',
              expiry_month: '04',
              expiry_year: '2029',
              registered_mobile_number: '9876543210',
            },
          },
        },
      ],
    };
  }

  async pay(orderId: string, cardNumber = '4111111111111111'): Promise<{ data: Order; return: ReturnRedirect | null }> {
    const answer = await this.call<{ data: Order; return: ReturnRedirect | null }>(
      'POST',
      `/_sandbox/orders/${orderId}/pay`,
      { card_number: cardNumber },
    );
    if (answer.status !== 200) throw new Error(`pay: ${answer.status} ${answer.text}`);
    return answer.body;
  }

  async ledger(): Promise<Array<Record<string, unknown> & { merchant_order_reference: string }>> {
    const answer = await this.call<{ orders: Array<Record<string, unknown> & { merchant_order_reference: string }> }>(
      'GET',
      '/_sandbox/ledger',
    );
    return answer.body.orders;
  }
}

export interface PluralHarness {
  sandbox: RunningSandbox;
  api: PluralApi;
  clock: FakeClock;
  close(): Promise<void>;
}

/** A sandbox on 127.0.0.1:0 with an in-memory database, a fake clock and a token. */
export async function startPlural(options: SandboxOptions = {}): Promise<PluralHarness> {
  const clock = new FakeClock(START);
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false, clock, ...options });
  const api = new PluralApi(sandbox);
  await api.login();
  return { sandbox, api, clock, close: () => sandbox.close() };
}
