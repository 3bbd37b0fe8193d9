/**
 * The sandbox's API under random and mutated requests: every one is invalid by construction (an
 * unknown parameter, a wrong type, a malformed body, a bad key), so each must get a documented 4xx
 * error — never a 500 — and nothing in the sandbox may change.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from './helpers';
import { simulatedReader, start, type ErrorResponse, type Harness } from './helpers';

const ERROR_TYPES = [
  'invalid_request',
  'authentication_error',
  'payment_error',
  'capture_error',
  'cancel_error',
  'terminal_error',
];

let h: Harness;
/** Route → a body the route would accept, which the mutations break. */
let routes: { method: 'POST' | 'PUT'; path: string; valid: Record<string, unknown>; api: Api }[];

beforeAll(async () => {
  h = await start({ fakeClock: true });
  const reader = await simulatedReader(h.api);
  const paid = await h.api.payment({ amount: 2500, confirm: true });
  const authorised = await h.api.payment({ amount: 4000, confirm: true, capture_method: 'manual' });
  const pending = await h.api.payment({ amount: 3000 }, '/v1/terminal/create-payment');
  const customer = (await h.api.post<{ id: string }>('/v1/customers', { name: 'F' })).body;
  const endpoint = (await h.api.post<{ id: string }>('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/x' })).body;
  routes = [
    {
      method: 'POST',
      path: '/v1/transactions',
      valid: { amount: 5000, currency: 'usd', description: 'x' },
      api: h.api,
    },
    { method: 'POST', path: `/v1/transactions/${authorised.id}/capture`, valid: { amount: 1000 }, api: h.api },
    { method: 'POST', path: `/v1/transactions/${pending.id}/cancel`, valid: {}, api: h.api },
    { method: 'POST', path: `/v1/transactions/${paid.id}/refunds`, valid: { amount: 100 }, api: h.api },
    { method: 'POST', path: '/v1/customers', valid: { name: 'Ann', email: 'ann@example.com' }, api: h.api },
    { method: 'PUT', path: `/v1/customers/${customer.id}`, valid: { name: 'Bob' }, api: h.api },
    { method: 'POST', path: '/v1/terminals', valid: { name: 'T', registration_code: 'simulated' }, api: h.api },
    { method: 'PUT', path: `/v1/terminals/${reader.id}`, valid: { name: 'Renamed' }, api: h.api },
    { method: 'POST', path: '/v1/terminal/create-payment', valid: { amount: 1200 }, api: h.api },
    {
      method: 'POST',
      path: '/v1/terminal/process-payment',
      valid: { payment_intent_id: pending.id, reader_id: reader.processor_terminal_id },
      api: h.api,
    },
    { method: 'POST', path: '/v1/webhook-endpoints', valid: { url: 'http://127.0.0.1:9/y' }, api: h.api },
    { method: 'PUT', path: `/v1/webhook-endpoints/${endpoint.id}`, valid: { description: 'd' }, api: h.api },
    { method: 'POST', path: '/v1/checkout/sessions', valid: { amount: 2500 }, api: h.api },
    { method: 'POST', path: '/v1/payment-intents', valid: { amount: 2500 }, api: h.api },
  ];
});
afterAll(() => h.close());

/** Everything a client can observe, to prove nothing changed. */
async function state(): Promise<string> {
  const lists = [
    '/v1/transactions?size=100',
    '/v1/customers?size=100',
    '/v1/terminals?size=100',
    '/v1/webhook-endpoints?size=100',
    '/v1/checkout/sessions?size=100',
    '/v1/terminal/readers',
    '/_sandbox/ledger',
  ];
  const answers = await Promise.all(lists.map((path) => h.api.get(path)));
  return JSON.stringify(answers.map((a) => a.body));
}

const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  fc.string({ maxLength: 30 }).filter((s) => !/^\d+$/.test(s)),
);

/** A valid body made invalid: an unknown parameter, or a known one given a value of the wrong kind. */
const mutation = fc.record({
  route: fc.nat(),
  kind: fc.constantFrom('unknown-param', 'wrong-type', 'not-object', 'not-json', 'bad-key', 'no-key'),
  key: fc.string({ minLength: 1, maxLength: 12 }).map((k) => `zz_${k}`),
  value: junk,
  pick: fc.nat(),
});

describe('sandbox API under invalid requests', () => {
  it('answers 2 000 random and mutated requests with documented 4xx errors and changes nothing', async () => {
    const before = await state();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(mutation, async ({ route: index, kind, key, value, pick }) => {
        const route = routes[index % routes.length]!;
        const keys = Object.keys(route.valid);
        let answer;
        if (kind === 'unknown-param') {
          answer = await route.api.call<ErrorResponse>(route.method, route.path, { ...route.valid, [key]: value ?? 1 });
        } else if (kind === 'wrong-type' && keys.length > 0) {
          const field = keys[pick % keys.length]!;
          // An object or array where a scalar is expected is never acceptable.
          answer = await route.api.call<ErrorResponse>(route.method, route.path, {
            ...route.valid,
            [field]: Array.isArray(value) ? { nested: value } : [value],
          });
        } else if (kind === 'not-object') {
          answer = await route.api.call<ErrorResponse>(route.method, route.path, [route.valid]);
        } else if (kind === 'not-json') {
          answer = await route.api.call<ErrorResponse>(route.method, route.path, undefined, {
            raw: `{${JSON.stringify(value)}`,
            headers: { 'Content-Type': 'application/json' },
          });
        } else if (kind === 'bad-key') {
          answer = await route.api.call<ErrorResponse>(route.method, route.path, route.valid, {
            key: `sk_test_${key}`,
          });
        } else {
          answer = await route.api.call<ErrorResponse>(route.method, route.path, route.valid, { key: null });
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect(
          answer.status,
          `${kind} ${route.method} ${route.path}: ${answer.text.slice(0, 200)}`,
        ).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(ERROR_TYPES).toContain(answer.body.error.type);
        expect(typeof answer.body.error.message).toBe('string');
      }),
      { numRuns: 2_000 },
    );
    expect(await state()).toBe(before);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(500);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(100);
  }, 120_000);
});
