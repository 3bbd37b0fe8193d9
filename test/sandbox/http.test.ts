import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket } from '../support/sockets';
import { start, type ErrorResponse, type Harness, type ListResponse, type TransactionJson } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await start();
});
afterAll(() => h.close());

async function transactionCount(): Promise<number> {
  return (await h.api.get<ListResponse<TransactionJson>>('/v1/transactions')).body.meta.total;
}

describe('health and merchant', () => {
  it('GET /v1/health needs no key and reports status, version and timestamp', async () => {
    const answer = await h.api.get<{ status: string; version: string; timestamp: string }>('/v1/health', { key: null });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ok');
    expect(answer.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(answer.body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
  });

  it('GET /v1/merchant has the documented fields and test_mode true', async () => {
    const answer = await h.api.get<Record<string, unknown>>('/v1/merchant');
    expect(answer.status).toBe(200);
    for (const field of [
      'id',
      'business_name',
      'display_name',
      'email',
      'phone',
      'country',
      'default_currency',
      'status',
      'kyc_status',
      'test_mode',
      'created_at',
    ]) {
      expect(answer.body).toHaveProperty(field);
    }
    expect(answer.body.test_mode).toBe(true);
    expect(answer.body.default_currency).toBe('usd');
    expect(answer.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keys have the documented prefixes', () => {
    expect(h.sandbox.secret_key).toMatch(/^sk_test_[A-Za-z0-9]{32}$/);
    expect(h.sandbox.publishable_key).toMatch(/^pk_test_[A-Za-z0-9]{32}$/);
    expect(h.sandbox.webhook_secret).toBeNull();
  });
});

describe('authentication', () => {
  it('a missing key is 401 authentication_error', async () => {
    const answer = await h.api.get<ErrorResponse>('/v1/merchant', { key: null });
    expect(answer.status).toBe(401);
    expect(answer.body.error.type).toBe('authentication_error');
  });

  it('an unknown key is 401', async () => {
    const answer = await h.api.get<ErrorResponse>('/v1/merchant', { key: 'sk_test_nope' });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('api_key_invalid');
  });

  it('a non-Bearer Authorization header is 401, saying how it was sent, never echoing the key', async () => {
    const cases: Array<[string, string]> = [
      [`Basic ${h.sandbox.secret_key}`, 'it was sent as "Basic …"'],
      [h.sandbox.secret_key, 'it was sent as a value with no scheme (the key alone?)'],
      ['Bearer', 'it was sent as "Bearer" followed by no key'],
      [`Bearer ${h.sandbox.secret_key} x`, 'it was sent as "Bearer" followed by 2 words, not one key'],
    ];
    for (const [header, said] of cases) {
      const answer = await h.api.call<ErrorResponse>('GET', '/v1/merchant', undefined, {
        key: null,
        headers: { Authorization: header },
      });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatchObject({ type: 'authentication_error', code: 'authorization_malformed' });
      expect(answer.body.error.message).toBe(`The Authorization header must be "Bearer <secret key>"; ${said}.`);
      expect(answer.text).not.toContain(h.sandbox.secret_key);
    }
    // PayPlug's format, and no longer "you did not provide any Authentication HTTP header".
    const payplug = await fetch(`${h.sandbox.payplug.url}/v1/payments`, {
      headers: { Authorization: h.sandbox.payplug.secret_key },
    });
    expect(payplug.status).toBe(401);
    expect(await payplug.json()).toMatchObject({
      object: 'error',
      message: expect.stringContaining('must be "Bearer <secret key>"'),
    });
    // No header at all is still the missing key.
    const none = await h.api.get<ErrorResponse>('/v1/merchant', { key: null });
    expect(none.body.error.code).toBe('api_key_missing');
  });

  it('a valid token or link secret sent without "Bearer" is told so (Plural, the reader link), not "unknown"', async () => {
    const plural = h.sandbox.plural;
    const issued = await fetch(`${plural.url}/api/auth/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        client_id: plural.client_id,
        client_secret: plural.client_secret,
        grant_type: 'client_credentials',
      }),
    });
    const { access_token } = (await issued.json()) as { access_token: string };
    for (const header of [access_token, `Basic ${access_token}`]) {
      const answer = await fetch(`${plural.url}/api/pay/v1/orders/reference/none`, {
        headers: { Authorization: header },
      });
      expect(answer.status).toBe(401);
      const body = (await answer.json()) as { code: string; message: string };
      expect(body.code).toBe('UNAUTHORIZED');
      expect(body.message).toMatch(/^The Authorization header must be "Bearer <access_token>"; it was sent as /);
      expect(body.message).not.toContain(access_token);
    }

    const terminal = await h.api.post<{ processor_terminal_id: string }>('/v1/terminals', {
      name: 'Hosted',
      registration_code: 'host-malformed-auth',
    });
    const token = await h.api.post<{ secret: string }>('/v1/terminal/connection-token', {});
    const open = await h.api.call<ErrorResponse>(
      'POST',
      '/v1/terminal/link',
      { reader_id: terminal.body.processor_terminal_id },
      { key: null, headers: { Authorization: token.body.secret } },
    );
    expect(open.status).toBe(401);
    expect(open.body.error).toMatchObject({ type: 'authentication_error', code: 'authorization_malformed' });
    expect(open.body.error.message).toBe(
      'The Authorization header must be "Bearer <connection token>"; it was sent as a value with no scheme (the key alone?).',
    );
    // Refused before the token is looked at: it is not redeemed, and opens the link once sent right.
    const link = await h.api.call<{ secret: string }>(
      'POST',
      '/v1/terminal/link',
      { reader_id: terminal.body.processor_terminal_id },
      { key: token.body.secret },
    );
    expect(link.status).toBe(201);
    const poll = await h.api.call<ErrorResponse>('GET', '/v1/terminal/link/poll?wait_ms=0', undefined, {
      key: null,
      headers: { Authorization: link.body.secret },
    });
    expect(poll.status).toBe(401);
    expect(poll.body.error.code).toBe('authorization_malformed');
    expect(poll.body.error.message).toContain('"Bearer <link secret>"');
    await h.api.call('DELETE', '/v1/terminal/link', undefined, { key: link.body.secret });
  });

  it('live keys are refused with a message saying this is the sandbox in test mode', async () => {
    for (const key of ['sk_live_abc', 'pk_live_abc']) {
      const answer = await h.api.get<ErrorResponse>('/v1/merchant', { key });
      expect(answer.status).toBe(401);
      expect(answer.body.error.type).toBe('authentication_error');
      expect(answer.body.error.message).toMatch(/sandbox.*test mode/);
      expect(answer.body.error.code).toBe('wrong_mode_key');
    }
  });

  it('the publishable key may mint connection tokens but nothing that needs the secret key (403)', async () => {
    const pk = h.sandbox.publishable_key;
    expect((await h.api.post('/v1/terminal/connection-token', {}, { key: pk })).status).toBe(201);
    for (const [method, path] of [
      ['GET', '/v1/merchant'],
      ['GET', '/v1/transactions'],
      ['POST', '/v1/transactions'],
      ['GET', '/_sandbox/ledger'],
    ] as const) {
      const answer = await h.api.call<ErrorResponse>(method, path, method === 'POST' ? { amount: 100 } : undefined, {
        key: pk,
      });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.type).toBe('authentication_error');
    }
  });

  it('a connection token is not an API key', async () => {
    const token = (await h.api.post<{ secret: string }>('/v1/terminal/connection-token')).body.secret;
    expect((await h.api.get('/v1/merchant', { key: token })).status).toBe(401);
  });
});

describe('robustness: bad input is a documented 4xx and changes nothing', () => {
  it('malformed JSON is 400 invalid_request', async () => {
    const before = await transactionCount();
    const answer = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 2500,',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.type).toBe('invalid_request');
    expect(answer.body.error.code).toBe('invalid_json');
    expect(await transactionCount()).toBe(before);
  });

  it('a JSON body that is not an object is 400', async () => {
    for (const raw of ['[1,2]', 'null', '42', '"text"']) {
      const answer = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, { raw });
      expect(answer.status, raw).toBe(400);
    }
  });

  it('JSON is accepted whatever the Content-Type says (curl -d sends form encoding)', async () => {
    const answer = await h.api.call<TransactionJson>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 2500}',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.amount).toBe(2500);
  });

  it('a form-encoded body is refused saying where the JSON broke and which Content-Type it came with', async () => {
    const before = await transactionCount();
    const form = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, {
      raw: 'amount=2500',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(400);
    expect(form.body.error.code).toBe('invalid_json');
    expect(form.body.error.message).toContain('Content-Type: application/x-www-form-urlencoded');
    expect(form.body.error.message).toContain('send a JSON object with Content-Type: application/json');
    const cut = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 2500,',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(cut.body.error.message).toMatch(/^The request body is not valid JSON \(.*position 16.*\)\.$/);
    expect(await transactionCount()).toBe(before);
  });

  it("a compressed body is 415 naming its Content-Encoding, in each sandbox's error format", async () => {
    const before = await transactionCount();
    const zipped = gzipSync(JSON.stringify({ amount: 2500, currency: 'usd' }));
    const send = (path: string, key: string | undefined, encoding: string) =>
      fetch(`${h.sandbox.url}${path}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Encoding': encoding,
          ...(key ? { Authorization: `Bearer ${key}` } : {}),
        },
        body: zipped,
      });
    const cases: Array<[string, string | undefined, (body: Record<string, unknown>) => unknown]> = [
      ['/v1/transactions', h.sandbox.secret_key, (b) => (b.error as { code: string }).code],
      ['/payplug/v1/payments', h.sandbox.payplug.secret_key, (b) => b.object],
      ['/plural/api/auth/v1/token', undefined, (b) => b.code],
    ];
    const expected = ['unsupported_content_encoding', 'error', 'INVALID_REQUEST'];
    for (const [index, [path, key, shape]] of cases.entries()) {
      for (const encoding of ['gzip', 'br']) {
        const answer = await send(path, key, encoding);
        const body = (await answer.json()) as Record<string, unknown>;
        expect(answer.status, path).toBe(415);
        expect(shape(body), path).toBe(expected[index]);
        expect(JSON.stringify(body)).toContain(`Content-Encoding: ${encoding}`);
      }
    }
    expect(await transactionCount()).toBe(before);
    // identity is no encoding at all.
    const plain = await h.api.call<TransactionJson>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 2500}',
      headers: { 'Content-Encoding': 'identity' },
    });
    expect(plain.status).toBe(201);
  });

  it('a body over 1 MiB is 400 and creates nothing', async () => {
    const before = await transactionCount();
    const answer = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, {
      raw: JSON.stringify({ amount: 2500, description: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('body_too_large');
    expect(await transactionCount()).toBe(before);
    // The connection and the server are still fine.
    expect((await h.api.get('/v1/health')).status).toBe(200);
  });

  it('a body declared over 1 MiB with Expect: 100-continue is refused before it is sent (curl, a large upload)', async () => {
    const before = await transactionCount();
    const { port } = new URL(h.sandbox.url);
    const cases: Array<[string, string, (body: Record<string, unknown>) => unknown]> = [
      ['/v1/transactions', `Bearer ${h.sandbox.secret_key}`, (body) => (body.error as { code: string }).code],
      ['/payplug/v1/payments', `Bearer ${h.sandbox.payplug.secret_key}`, (body) => body.object],
    ];
    // 20 MiB: past the size the sandbox drains to answer, where it used to cut the connection.
    for (const length of [2 * 1024 * 1024, 20 * 1024 * 1024]) {
      for (const [path, authorization, shape] of cases) {
        const raw = await openSocket(Number(port));
        raw.socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`,
        );
        // No "100 Continue" first (no body is asked for): the answer, then the close.
        await new Promise((resolve) => raw.socket.once('data', resolve));
        expect(raw.received, `${path} ${length}`).toMatch(/^HTTP\/1\.1 400 /);
        const text = await raw.closed;
        expect(text, `${path} ${length}`).toMatch(/^HTTP\/1\.1 400 /);
        expect(text).toMatch(/\r\nconnection: close\r\n/i);
        const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
        expect(shape(body)).toBe(path.startsWith('/payplug') ? 'error' : 'body_too_large');
        expect(JSON.stringify(body)).toContain('Request body larger than 1048576 bytes.');
      }
    }
    // A body within the limit is still asked for and taken.
    const small = await openSocket(Number(port));
    const json = '{"amount": 2500}';
    const asked = await small.exchange(
      `POST /v1/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.sandbox.secret_key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${json.length}\r\nExpect: 100-continue\r\n\r\n`,
    );
    expect(asked).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(await small.exchange(json)).toMatch(/^HTTP\/1\.1 201 /);
    small.socket.destroy();
    expect(await transactionCount()).toBe(before + 1);
  });

  it('wrong types are 400 with the offending param', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ amount: '2500' }, 'amount'],
      [{ amount: 25.5 }, 'amount'],
      [{ amount: true }, 'amount'],
      [{ amount: 2500, currency: 5 }, 'currency'],
      [{ amount: 2500, currency: 'xyz' }, 'currency'],
      [{ amount: 2500, confirm: 'yes' }, 'confirm'],
      [{ amount: 2500, metadata: [] }, 'metadata'],
      [{ amount: 2500, metadata: { a: { nested: true } } }, 'metadata.a'],
      [{ amount: 2500, capture_method: 'later' }, 'capture_method'],
      [{ amount: 2500, payment_method_type: 'cash' }, 'payment_method_type'],
      [{ amount: 2500, description: ['a'] }, 'description'],
      [{ amount: 2500, surprise: 1 }, 'surprise'],
    ];
    const before = await transactionCount();
    for (const [body, param] of cases) {
      const answer = await h.api.post<ErrorResponse>('/v1/transactions', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.type).toBe('invalid_request');
      expect(answer.body.error.param, JSON.stringify(body)).toBe(param);
    }
    expect(await transactionCount()).toBe(before);
  });

  it('unknown routes and methods are 404 invalid_request', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing'],
      ['GET', '/'],
      ['PATCH', '/v1/transactions'],
      ['DELETE', '/v1/transactions'],
      ['GET', '/v2/transactions'],
    ] as const) {
      const answer = await h.api.call<ErrorResponse>(method, path);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error.type).toBe('invalid_request');
    }
  });

  it('weird ids are 404, never 500', async () => {
    for (const id of [
      'x',
      "'; DROP TABLE transactions; --",
      '%E0%A4%A',
      '%00',
      'a'.repeat(5000),
      '..%2F..%2Fetc%2Fpasswd',
      '🙂',
      '019c3770-a922-7219-a12d-7297ae5bfbc3',
    ]) {
      for (const path of [
        `/v1/transactions/${id}`,
        `/v1/customers/${id}`,
        `/v1/terminals/${id}`,
        `/v1/payouts/${id}`,
        `/v1/disputes/${id}`,
        `/v1/webhook-endpoints/${id}`,
        `/v1/checkout/sessions/${id}`,
        `/v1/terminal/readers/${id}`,
      ]) {
        const answer = await h.api.get<ErrorResponse>(path);
        expect(answer.status, path.slice(0, 80)).toBe(404);
        expect(answer.body.error.type).toBe('invalid_request');
      }
    }
    expect(await transactionCount()).toBeGreaterThanOrEqual(0);
  });

  it('a trailing slash reaches the same route', async () => {
    expect((await h.api.get('/v1/merchant/')).status).toBe(200);
  });

  it('a query integer too long to take is out of range, not "not an integer"', async () => {
    const page = await h.api.get<ErrorResponse>('/v1/transactions?page=99999999999999999999');
    expect(page.status).toBe(422);
    expect(page.body.error).toMatchObject({
      param: 'page',
      code: 'value_too_large',
      message: 'page must be at most 999999999999999',
    });
    const size = await h.api.get<ErrorResponse>('/v1/transactions?size=12345678901234567');
    expect(size.body.error).toMatchObject({ param: 'size', message: 'size must be at most 100' });
    const negative = await h.api.get<ErrorResponse>('/v1/transactions?page=-12345678901234567');
    expect(negative.body.error).toMatchObject({ param: 'page', message: 'page must be at least 1' });
    expect((await h.api.get<ErrorResponse>('/v1/transactions?page=1.5')).body.error.message).toBe(
      'page must be an integer',
    );
  });

  it('duplicate and unknown query parameters are 400 with the param', async () => {
    const dup = await h.api.get<ErrorResponse>('/v1/transactions?status=pending&status=failed');
    expect(dup.status).toBe(400);
    expect(dup.body.error.param).toBe('status');
    const unknown = await h.api.get<ErrorResponse>('/v1/transactions?colour=red');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe('colour');
  });

  it('errors never leak a stack and always have the documented shape', async () => {
    const answer = await h.api.post<ErrorResponse>('/v1/transactions', { amount: 10 });
    expect(Object.keys(answer.body)).toEqual(['error']);
    expect(Object.keys(answer.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(answer.text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('JSON the sandbox cannot keep as sent (issue 9 #15)', () => {
  it('a number past the double range is refused with 400 naming the parameter, and nothing is created', async () => {
    const before = await transactionCount();
    const answer = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 1000, "currency": "usd", "metadata": {"k": 1e400}}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      type: 'invalid_request',
      param: 'metadata.k',
      code: 'parameter_invalid_type',
    });
    expect(await transactionCount()).toBe(before);
  });

  it('a metadata value of the wrong type or length names its key, and nothing is created', async () => {
    const before = await transactionCount();
    const nested = await h.api.post<ErrorResponse>('/v1/transactions', {
      amount: 1000,
      metadata: { ok: 'x', order: { id: 1 } },
    });
    expect(nested.status).toBe(400);
    expect(nested.body.error).toMatchObject({
      param: 'metadata.order',
      message: 'metadata.order must be a string, a number or a boolean, not an object',
    });
    const long = await h.api.post<ErrorResponse>('/v1/transactions', {
      amount: 1000,
      metadata: { note: 'n'.repeat(501) },
    });
    expect(long.status).toBe(422);
    expect(long.body.error).toMatchObject({ param: 'metadata.note', code: 'metadata_value_too_long' });
    const key = await h.api.post<ErrorResponse>('/v1/transactions', {
      amount: 1000,
      metadata: { ['k'.repeat(41)]: 'v' },
    });
    expect(key.status).toBe(422);
    expect(key.body.error.message).toContain('not 41');
    expect(await transactionCount()).toBe(before);
  });

  it('a __proto__ key is refused with 400 naming it instead of being dropped', async () => {
    const before = await transactionCount();
    const answer = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 1000, "currency": "usd", "metadata": {"__proto__": {"x": "1"}, "a": "b"}}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ param: 'metadata.__proto__', code: 'parameter_invalid_key' });
    expect(await transactionCount()).toBe(before);
  });

  it('half a surrogate pair is refused naming the parameter, and nothing is stored to poison a list', async () => {
    const before = await transactionCount();
    const value = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 1000, "metadata": {"note": "ok \\ud800"}}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(value.status).toBe(400);
    expect(value.body.error).toMatchObject({ param: 'metadata.note', code: 'parameter_invalid_text' });
    expect(value.body.error.message).toContain('\\ud800');
    const key = await h.api.call<ErrorResponse>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 1000, "metadata": {"\\udc00": "x"}}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(key.status).toBe(400);
    expect(key.body.error).toMatchObject({ param: 'metadata', code: 'parameter_invalid_key' });
    // A whole pair (an emoji, escaped or not) is text.
    const emoji = await h.api.call<TransactionJson>('POST', '/v1/transactions', undefined, {
      raw: '{"amount": 1000, "description": "\\ud83d\\ude00 ☕"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(emoji.status).toBe(201);
    expect(emoji.body.description).toBe('😀 ☕');
    expect(await transactionCount()).toBe(before + 1);
    const payplug = await fetch(`${h.sandbox.payplug.url}/v1/payments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.sandbox.payplug.secret_key}`, 'Content-Type': 'application/json' },
      body: '{"amount": 1000, "currency": "EUR", "description": "\\udfff"}',
    });
    expect(payplug.status).toBe(400);
    expect(((await payplug.json()) as { details: Record<string, string> }).details).toEqual({
      description: expect.stringContaining('surrogate'),
    });
  });

  it('a body that is not UTF-8 is refused, never stored with its bytes replaced', async () => {
    const before = await transactionCount();
    // "café" in Latin-1: E9 is no UTF-8 sequence, and was read as U+FFFD.
    const latin1 = Buffer.from('{"amount": 1000, "description": "caf\u00e9"}', 'latin1');
    const answer = await fetch(`${h.sandbox.url}/v1/transactions`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${h.sandbox.secret_key}`,
        'Content-Type': 'application/json; charset=iso-8859-1',
      },
      body: latin1,
    });
    expect(answer.status).toBe(400);
    const refused = (await answer.json()) as ErrorResponse;
    expect(refused.error).toMatchObject({ type: 'invalid_request', code: 'invalid_json' });
    expect(refused.error.message).toMatch(
      /not UTF-8 text \(it was sent with Content-Type: application\/json; charset=iso-8859-1\)/,
    );
    expect(await transactionCount()).toBe(before);
    const payplug = await fetch(`${h.sandbox.payplug.url}/v1/payments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.sandbox.payplug.secret_key}`, 'Content-Type': 'application/json' },
      body: Buffer.from('{"amount": 1000, "currency": "EUR", "description": "caf\u00e9"}', 'latin1'),
    });
    expect(payplug.status).toBe(400);
    expect(((await payplug.json()) as { message: string }).message).toMatch(
      /not UTF-8 text; send JSON encoded in UTF-8/,
    );
    // The same text in UTF-8 is taken as sent.
    const utf8 = await h.api.call<TransactionJson>('POST', '/v1/transactions', { amount: 1000, description: 'café' });
    expect(utf8.body.description).toBe('café');
  });

  it('a body starting with a byte-order mark is refused saying so in words, in each emulator', async () => {
    const before = await transactionCount();
    const bom = (json: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]);
    const send = (url: string, key: string | undefined, json: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
        body: bom(json),
      });
    const cases: Array<[Response, (body: Record<string, unknown>) => unknown]> = [
      [
        await send(`${h.sandbox.url}/v1/transactions`, h.sandbox.secret_key, '{"amount": 1000}'),
        (b) => (b.error as { message: string }).message,
      ],
      [
        await send(`${h.sandbox.payplug.url}/v1/payments`, h.sandbox.payplug.secret_key, '{"amount": 1000}'),
        (b) => b.message,
      ],
      [await send(`${h.sandbox.plural.url}/api/auth/v1/token`, undefined, '{}'), (b) => b.message],
    ];
    for (const [answer, message] of cases) {
      expect(answer.status, answer.url).toBe(400);
      const text = String(message((await answer.json()) as Record<string, unknown>));
      expect(text).toBe(
        'The request body starts with a UTF-8 byte-order mark (bytes EF BB BF); send the JSON without it.',
      );
      expect(text).not.toContain('\uFEFF');
    }
    expect(await transactionCount()).toBe(before);
  });

  it('a query string past the header limit gets the documented error body, not a bare 431', async () => {
    const answer = await h.api.get<ErrorResponse>(`/v1/transactions?search=${'a'.repeat(20_000)}`);
    expect(answer.status).toBe(431);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request', code: 'request_too_large' });
  });
});
