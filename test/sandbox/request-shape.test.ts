/**
 * What a request sends that a route does not take, in all three emulators: a body on a GET or a
 * DELETE (refused, not ignored: list filters sent as JSON would silently list everything), and a
 * method the path does not take (answered with the methods it does take, in `Allow`).
 */
import http from 'node:http';
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

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** fetch refuses a body on GET; node:http sends what a client may send. */
function raw(method: string, path: string, key: string, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Authorization: `Bearer ${key}` };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const request = http.request(`${sandbox.url}${path}`, { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          headers: response.headers,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

const keys = () => ({ plutopay: sandbox.secret_key, payplug: sandbox.payplug.secret_key, plural: token });

describe('a body on a route that takes none', () => {
  it('is refused with 400 body_not_allowed in each format, after the id is found', async () => {
    const before = await raw('GET', '/v1/transactions', sandbox.secret_key);
    const filtered = await raw('GET', '/v1/transactions', sandbox.secret_key, '{"status": "failed"}');
    expect(filtered.status).toBe(400);
    expect(filtered.body.error).toMatchObject({ type: 'invalid_request', code: 'body_not_allowed' });
    expect((filtered.body.error as { message: string }).message).toContain('send its parameters in the query string');
    expect(before.status).toBe(200);

    const pp = await raw('GET', '/payplug/v1/payments', keys().payplug, '{"per_page": 1}');
    expect(pp.status).toBe(400);
    expect(pp.body).toMatchObject({ object: 'error', details: {} });
    expect(pp.body.message).toContain('takes no request body');

    const order = await raw('GET', '/plural/api/pay/v1/orders/reference/nothing', keys().plural, '{"x": 1}');
    expect(order.status).toBe(404);
    const endpoint = await raw(
      'POST',
      '/plural/_sandbox/webhook-endpoints',
      keys().plural,
      JSON.stringify({ url: 'http://127.0.0.1:9/hook' }),
    );
    const id = (endpoint.body as { id: string }).id;
    const pl = await raw('DELETE', `/plural/_sandbox/webhook-endpoints/${id}`, keys().plural, '{"x": 1}');
    expect(pl.status).toBe(400);
    expect(pl.body).toMatchObject({ code: 'INVALID_REQUEST' });
    // Refused, so not deleted: the same DELETE without the body still finds it.
    expect((await raw('DELETE', `/plural/_sandbox/webhook-endpoints/${id}`, keys().plural)).status).toBe(200);
  });

  it('an empty body or an empty object is no body', async () => {
    const customer = await raw('POST', '/v1/customers', sandbox.secret_key, '{"email": "a@example.com"}');
    const id = (customer.body as { id: string }).id;
    expect((await raw('GET', `/v1/customers/${id}`, sandbox.secret_key, '')).status).toBe(200);
    expect((await raw('DELETE', `/v1/customers/${id}`, sandbox.secret_key, ' {} ')).status).toBe(200);
  });
});

describe('a method the path does not take', () => {
  it('is answered with the methods it takes in Allow, in all three emulators', async () => {
    const cases: Array<[string, string, string, number]> = [
      ['OPTIONS', '/v1/transactions', keys().plutopay, 404],
      ['HEAD', '/v1/transactions', keys().plutopay, 404],
      ['OPTIONS', '/payplug/v1/payments', keys().payplug, 405],
      ['DELETE', '/payplug/v1/payments', keys().payplug, 405],
      ['OPTIONS', '/plural/api/pay/v1/orders', keys().plural, 404],
    ];
    for (const [method, path, key, status] of cases) {
      const answer = await raw(method, path, key);
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(answer.headers.allow, `${method} ${path}`).toMatch(/\bPOST\b/);
    }
    expect((await raw('GET', '/v1/nothing-here', keys().plutopay)).headers.allow).toBeUndefined();
  });
});

describe('a path with an empty segment', () => {
  it('is no route: 404 naming the path as sent, in the format of the API it names', async () => {
    const cases: Array<[string, string, (body: Record<string, unknown>) => unknown]> = [
      ['/v1//transactions', keys().plutopay, (b) => (b.error as { code: string }).code],
      ['//v1/transactions', keys().plutopay, (b) => (b.error as { code: string }).code],
      ['/v1/transactions//', keys().plutopay, (b) => (b.error as { code: string }).code],
      ['/payplug//v1/payments', keys().payplug, (b) => b.object],
      ['/plural/api/pay/v1//orders/reference/x', keys().plural, (b) => b.code],
    ];
    const expected = ['route_not_found', 'route_not_found', 'route_not_found', 'error', 'NOT_FOUND'];
    for (const [index, [path, key, shape]] of cases.entries()) {
      const answer = await raw('GET', path, key);
      expect(answer.status, path).toBe(404);
      expect(shape(answer.body), path).toBe(expected[index]);
      expect(JSON.stringify(answer.body), path).toContain(`GET ${path}): the path has an empty segment`);
    }
    // One trailing slash is still the route.
    expect((await raw('GET', '/v1/transactions/', keys().plutopay)).status).toBe(200);
  });
});

describe('a key given twice in a JSON body', () => {
  it('is refused naming it, as a repeated query parameter is, in all three emulators', async () => {
    const before = await raw('GET', '/v1/transactions', keys().plutopay);
    const plutopay = await raw('POST', '/v1/transactions', keys().plutopay, '{"amount": 100, "amount": 5000}');
    expect(plutopay.status).toBe(400);
    expect(plutopay.body.error).toMatchObject({ code: 'parameter_duplicated', param: 'amount' });
    const after = await raw('GET', '/v1/transactions', keys().plutopay);
    expect((after.body.meta as { total: number }).total).toBe((before.body.meta as { total: number }).total);

    const payplug = await raw(
      'POST',
      '/payplug/v1/payments',
      keys().payplug,
      '{"amount": 1000, "currency": "EUR", "currency": "EUR"}',
    );
    expect(payplug.status).toBe(400);
    expect(payplug.body.details).toMatchObject({ currency: 'currency may be given only once' });

    const plural = await raw('POST', '/plural/api/pay/v1/orders', keys().plural, '{"a": 1, "a": 1}');
    expect(plural.status).toBe(400);
    expect(plural.body).toMatchObject({ code: 'INVALID_REQUEST', param: 'a' });
  });
});

describe('a JSON body nested very deep', () => {
  it('is refused as a body error (400), in each emulator’s format, never a 500', async () => {
    const deep = (levels: number) => `{"metadata": {"a": ${'['.repeat(levels)}${']'.repeat(levels)}}}`;
    const message = 'The request body is nested more than 32 levels deep; no parameter of this API is.';
    for (const levels of [30, 31, 10_000, 400_000]) {
      const plutopay = await raw('POST', '/v1/transactions', keys().plutopay, deep(levels));
      const payplug = await raw('POST', '/payplug/v1/payments', keys().payplug, deep(levels));
      const plural = await raw('POST', '/plural/api/pay/v1/orders', keys().plural, deep(levels));
      if (levels === 30) {
        // 32 levels in all (the body, metadata, 30 arrays) is the limit: within it the parameters
        // are read, and found wrong.
        for (const answer of [plutopay, payplug, plural]) {
          expect([400, 422]).toContain(answer.status);
          expect(JSON.stringify(answer.body)).not.toContain('nested more than');
        }
        continue;
      }
      for (const answer of [plutopay, payplug, plural]) expect(answer.status, `${levels}`).toBe(400);
      expect(plutopay.body.error).toMatchObject({ code: 'invalid_json', message });
      expect(payplug.body).toMatchObject({ object: 'error', message, details: {} });
      expect(plural.body).toMatchObject({ code: 'INVALID_REQUEST', message });
    }
  });
});
