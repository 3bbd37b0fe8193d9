/**
 * Which currencies each emulator takes a payment in. ISO 4217 also lists fund codes and index units
 * (CLF, USN, BOV, CHE, …): known codes, but no money a payment is settled in. Each gateway refuses
 * them with its own error shape, and nothing is created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { pluralToken } from '../support/plural';

let sandbox: RunningSandbox;
let token = '';
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
  token = await pluralToken(sandbox);
});
afterAll(() => sandbox.close());

async function post(
  path: string,
  key: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(path: string, key: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${sandbox.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  return (await response.json()) as Record<string, unknown>;
}

const FUNDS = ['CLF', 'usn', 'BOV', 'CHE', 'CHW', 'COU', 'MXV', 'UYI', 'UYW'];

describe('PlutoPay', () => {
  it('refuses a fund code on every route that takes a currency, 422 currency_not_supported, nothing created', async () => {
    // Found by an integrator: CLF, USN, BOV and CHE were taken as currencies.
    const total = async (path: string) => ((await get(path, sandbox.secret_key)).meta as { total: number }).total;
    const before = [await total('/v1/transactions'), await total('/v1/checkout/sessions')];
    for (const code of FUNDS) {
      for (const path of ['/v1/transactions', '/v1/checkout/sessions', '/_sandbox/payouts']) {
        const answer = await post(path, sandbox.secret_key, { amount: 2500, currency: code });
        expect(answer.status, `${path} ${code}`).toBe(422);
        expect(answer.body.error, `${path} ${code}`).toMatchObject({
          type: 'invalid_request',
          code: 'currency_not_supported',
          param: 'currency',
        });
        expect((answer.body.error as { message: string }).message).toContain(code.toLowerCase());
      }
    }
    expect([await total('/v1/transactions'), await total('/v1/checkout/sessions')]).toEqual(before);
    // The currencies around them are still taken: the peso, the franc, the dollar, the yen.
    for (const code of ['clp', 'CHF', 'usd', 'jpy', 'kwd', 'bob']) {
      const answer = await post('/v1/transactions', sandbox.secret_key, { amount: 2500, currency: code });
      expect(answer.status, code).toBe(201);
      expect(answer.body.currency).toBe(code.toLowerCase());
    }
    // An unknown code is still a 400 currency_unknown.
    const unknown = await post('/v1/transactions', sandbox.secret_key, { amount: 2500, currency: 'xyz' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'currency_unknown', param: 'currency' });
  });
});

describe('PayPlug and Plural', () => {
  it('take their one currency only, so a fund code is refused in their own shapes', async () => {
    for (const code of ['CLF', 'CHE', 'USN']) {
      const payplug = await post('/payplug/v1/payments', sandbox.payplug.secret_key, { amount: 1000, currency: code });
      expect(payplug.status, code).toBe(400);
      expect(payplug.body).toMatchObject({ object: 'error', details: { currency: expect.stringContaining('EUR') } });

      const plural = await post('/plural/api/pay/v1/orders', token, {
        merchant_order_reference: `fund-${code}`,
        order_amount: { value: 10000, currency: code },
      });
      expect(plural.status, code).toBe(400);
      expect(plural.body).toMatchObject({ code: 'INVALID_REQUEST', param: 'order_amount.currency' });
    }
  });
});
