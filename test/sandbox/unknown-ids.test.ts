/**
 * An unknown id is 404 whatever else the request gets wrong (a bad body, one that is not JSON, an
 * unknown query parameter), on every route that names an object, in all three emulators: the
 * object is looked for right after authentication, before the query and the body are checked.
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

const UUID = '019c3770-a922-7219-a12d-7297ae5bfbc3';
type Gateway = 'plutopay' | 'payplug' | 'plural';

const ROUTES: Array<[Gateway, string, string]> = [
  ['plutopay', 'GET', `/v1/transactions/${UUID}`],
  ['plutopay', 'POST', `/v1/transactions/${UUID}/capture`],
  ['plutopay', 'POST', `/v1/transactions/${UUID}/cancel`],
  ['plutopay', 'POST', `/v1/transactions/${UUID}/confirm`],
  ['plutopay', 'POST', `/v1/transactions/${UUID}/refunds`],
  ['plutopay', 'GET', `/v1/transactions/${UUID}/refunds`],
  ['plutopay', 'GET', `/v1/customers/${UUID}`],
  ['plutopay', 'PUT', `/v1/customers/${UUID}`],
  ['plutopay', 'DELETE', `/v1/customers/${UUID}`],
  ['plutopay', 'PUT', `/v1/terminals/${UUID}`],
  ['plutopay', 'DELETE', `/v1/terminals/${UUID}`],
  ['plutopay', 'GET', '/v1/terminal/readers/tmr_unknown'],
  ['plutopay', 'POST', '/v1/terminal/readers/tmr_unknown/cancel-action'],
  ['plutopay', 'PUT', `/v1/webhook-endpoints/${UUID}`],
  ['plutopay', 'POST', `/v1/webhook-endpoints/${UUID}/test`],
  ['plutopay', 'GET', `/v1/payouts/${UUID}`],
  ['plutopay', 'GET', `/v1/disputes/${UUID}`],
  ['plutopay', 'GET', `/v1/checkout/sessions/${UUID}`],
  ['plutopay', 'POST', `/_sandbox/payouts/${UUID}/settle`],
  ['payplug', 'GET', '/payplug/v1/payments/pay_unknown'],
  ['payplug', 'PATCH', '/payplug/v1/payments/pay_unknown'],
  ['payplug', 'POST', '/payplug/v1/payments/pay_unknown/refunds'],
  ['payplug', 'GET', '/payplug/v1/payments/pay_unknown/refunds'],
  ['payplug', 'GET', '/payplug/v1/payments/pay_unknown/refunds/re_unknown'],
  ['payplug', 'PATCH', '/payplug/v1/installment_plans/inst_unknown'],
  ['payplug', 'POST', '/payplug/_sandbox/payments/pay_unknown/pay'],
  ['plural', 'GET', '/plural/api/pay/v1/orders/v1-unknown'],
  ['plural', 'GET', '/plural/api/pay/v1/orders/reference/unknown-ref'],
  ['plural', 'POST', '/plural/api/pay/v1/orders/v1-unknown/payments'],
  ['plural', 'PUT', '/plural/api/pay/v1/orders/v1-unknown/capture'],
  ['plural', 'PUT', '/plural/api/pay/v1/orders/v1-unknown/cancel'],
  ['plural', 'PATCH', '/plural/api/pay/v1/orders/v1-unknown/settlementId/v1-unknown-ss-a/release'],
  ['plural', 'PATCH', '/plural/api/pay/v1/orders/v1-unknown/settlementId/v1-unknown-ss-a/cancel'],
  ['plural', 'POST', '/plural/api/pay/v1/refunds/v1-unknown'],
  ['plural', 'POST', '/plural/_sandbox/orders/v1-unknown/pay'],
];

function keyOf(gateway: Gateway): string {
  return gateway === 'plutopay' ? sandbox.secret_key : gateway === 'payplug' ? sandbox.payplug.secret_key : token;
}

/** The not-found answer in the gateway's own format. */
function isNotFound(gateway: Gateway, body: Record<string, unknown>): boolean {
  if (gateway === 'plutopay') return (body.error as { code?: string } | undefined)?.code === 'resource_missing';
  if (gateway === 'payplug') return body.object === 'error' && body.details === undefined;
  return body.code === 'NOT_FOUND';
}

async function send(method: string, path: string, key: string | undefined, body?: string) {
  const answer = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), 'Content-Type': 'application/json' },
    body,
  });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

describe('an unknown id is 404 before the query and the body are checked', () => {
  it.each(ROUTES)('%s %s %s', async (gateway, method, path) => {
    const bodies = method === 'GET' || method === 'DELETE' ? [undefined] : ['{"bogus_field": 1}', '{not json'];
    for (const body of bodies) {
      for (const query of ['', '?bogus_query=1']) {
        const answer = await send(method, `${path}${query}`, keyOf(gateway), body);
        expect(answer.status, `${body} ${query}`).toBe(404);
        expect(isNotFound(gateway, answer.body), JSON.stringify(answer.body)).toBe(true);
      }
    }
    // Authentication still comes first: no key, no answer about the object.
    expect((await send(method, path, undefined, bodies[0])).status).toBe(401);
  });

  it('a known id with a bad body is still refused for its body', async () => {
    const created = await send('POST', '/v1/transactions', sandbox.secret_key, '{"amount": 2500}');
    const id = (created.body as { id: string }).id;
    const answer = await send('POST', `/v1/transactions/${id}/capture`, sandbox.secret_key, '{"bogus_field": 1}');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'parameter_unknown', param: 'bogus_field' });
  });
});
