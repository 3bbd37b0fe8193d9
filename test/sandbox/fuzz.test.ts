import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../../common/prng';
import { Api, simulatedReader, start, type ErrorResponse, type Harness, type TerminalJson } from './helpers';

/** Values that break naive validators: wrong types, extremes, odd strings, nesting. */
const NASTY: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  49,
  50,
  2 ** 53,
  -(2 ** 53),
  1e308,
  '',
  ' ',
  '0',
  '2500',
  'null',
  'undefined',
  '<script>alert(1)</script>',
  "'; DROP TABLE transactions; --",
  '🙂'.repeat(50),
  'x'.repeat(3000),
  '\u0000',
  '%00',
  [],
  [1, 2],
  ['payment.succeeded'],
  {},
  { a: 1 },
  { __proto__: { polluted: true } },
  { constructor: { prototype: {} } },
  'usd',
  'EUR',
  'manual',
  'terminal',
  'simulated',
  'http://127.0.0.1/x',
  'a@b.co',
  '4000000000000002',
];
const FIELDS = [
  'amount',
  'currency',
  'payment_method',
  'payment_method_type',
  'confirm',
  'capture_method',
  'customer_id',
  'description',
  'receipt_email',
  'metadata',
  'idempotency_key',
  'reason',
  'name',
  'email',
  'country',
  'registration_code',
  'location_name',
  'payment_intent_id',
  'reader_id',
  'card_number',
  'url',
  'events',
  'success_url',
  'collect_email',
  'outcome',
  'card',
  'failure_code',
  'transaction_id',
  'status',
  'latency_ms',
  'error_rate',
  '__proto__',
  'constructor',
];

let h: Harness;
let routes: Array<[string, string, Api]>;

beforeAll(async () => {
  h = await start({ fakeClock: true });
  const reader = await simulatedReader(h.api);
  const hosted = (await h.api.post<TerminalJson>('/v1/terminals', { name: 'H', registration_code: 'host-fuzz' })).body;
  const paid = await h.api.payment({ amount: 2500, confirm: true });
  const customer = (await h.api.post<{ id: string }>('/v1/customers', { name: 'F' })).body;
  const endpoint = (await h.api.post<{ id: string }>('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/x' })).body;
  const payout = (await h.api.post<{ id: string }>('/_sandbox/payouts', { amount: 100 })).body;
  const token = (await h.api.post<{ secret: string }>('/v1/terminal/connection-token')).body.secret;
  const link = (await h.api.post<{ secret: string }>('/v1/terminal/link', { reader_id: hosted.id }, { key: token }))
    .body.secret;
  const linkApi = new Api(h.sandbox.url, link);
  routes = [
    ['POST', '/v1/transactions', h.api],
    ['POST', `/v1/transactions/${paid.id}/capture`, h.api],
    ['POST', `/v1/transactions/${paid.id}/cancel`, h.api],
    ['POST', `/v1/transactions/${paid.id}/confirm`, h.api],
    ['POST', `/v1/transactions/${paid.id}/refunds`, h.api],
    ['POST', '/v1/customers', h.api],
    ['PUT', `/v1/customers/${customer.id}`, h.api],
    ['POST', '/v1/terminals', h.api],
    ['PUT', `/v1/terminals/${reader.id}`, h.api],
    ['POST', '/v1/terminal/connection-token', h.api],
    ['POST', '/v1/terminal/create-payment', h.api],
    ['POST', '/v1/terminal/process-payment', h.api],
    ['POST', '/v1/terminal/simulate-payment', h.api],
    ['POST', `/v1/terminal/readers/${reader.id}/cancel-action`, h.api],
    ['POST', '/v1/webhook-endpoints', h.api],
    ['PUT', `/v1/webhook-endpoints/${endpoint.id}`, h.api],
    ['POST', '/v1/checkout/sessions', h.api],
    ['POST', '/v1/payment-intents', h.api],
    ['PUT', '/_sandbox/faults', h.api],
    ['POST', '/_sandbox/disputes', h.api],
    ['POST', '/_sandbox/payouts', h.api],
    ['POST', `/_sandbox/payouts/${payout.id}/settle`, h.api],
    ['POST', '/v1/terminal/link/actions/act_x/result', linkApi],
  ];
});
afterAll(() => h.close());

describe('fuzz', () => {
  it('random bodies on every mutating route get a documented answer, never a 500', async () => {
    const prng = new Prng(20260216);
    for (let round = 0; round < 12; round++) {
      for (const [method, path, api] of routes) {
        const body: Record<string, unknown> = {};
        const count = prng.int(4);
        for (let i = 0; i < count; i++) body[FIELDS[prng.int(FIELDS.length)]!] = NASTY[prng.int(NASTY.length)];
        const answer = await api.call<ErrorResponse>(method, path, body);
        expect(answer.status, `${method} ${path} ${JSON.stringify(body).slice(0, 200)}`).toBeLessThan(500);
        if (answer.status >= 400) {
          expect([
            'invalid_request',
            'authentication_error',
            'payment_error',
            'capture_error',
            'cancel_error',
            'terminal_error',
          ]).toContain(answer.body.error.type);
          expect(typeof answer.body.error.message).toBe('string');
        }
      }
    }
    // Faults may have been switched on by the fuzz: the server still answers health.
    h.sandbox.setFaults({ latency_ms: 0, error_rate: 0, drop_after_commit_rate: 0, reader_timeout_ms: null });
    expect((await h.api.get('/v1/health')).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('random query strings on every list get a documented answer', async () => {
    const prng = new Prng(7);
    const lists = [
      '/v1/transactions',
      '/v1/customers',
      '/v1/terminals',
      '/v1/payouts',
      '/v1/disputes',
      '/v1/webhook-endpoints',
      '/v1/checkout/sessions',
      '/_sandbox/webhook-deliveries',
    ];
    const keys = [
      'page',
      'size',
      'per_page',
      'status',
      'search',
      'sortField',
      'sortOrder',
      'date_from',
      'date_to',
      'email',
      'country',
      'location_name',
      'x',
    ];
    const values = [
      '',
      '0',
      '1',
      '-1',
      '100',
      '101',
      '1e2',
      'abc',
      '%',
      '_',
      "'",
      '2026-02-16',
      'asc',
      'amount',
      'online',
      'paid',
      '%E0%A4%A',
    ];
    for (let round = 0; round < 20; round++) {
      for (const path of lists) {
        const query = Array.from(
          { length: 1 + prng.int(3) },
          () => `${keys[prng.int(keys.length)]}=${values[prng.int(values.length)]}`,
        ).join('&');
        const answer = await h.api.get<ErrorResponse>(`${path}?${query}`);
        expect(answer.status, `${path}?${query}`).toBeLessThan(500);
        expect([200, 400, 422]).toContain(answer.status);
      }
    }
  });
});
