/** OAuth tokens on the sandbox clock, and the Request-ID / Request-Timestamp headers. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPlural, START, type PluralError, type PluralHarness } from './helpers';

let h: PluralHarness;
beforeEach(async () => {
  h = await startPlural();
});
afterEach(() => h.close());

const HOUR = 3_600_000;

function credentials(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: h.sandbox.plural.client_id,
    client_secret: h.sandbox.plural.client_secret,
    grant_type: 'client_credentials',
    ...overrides,
  };
}

describe('POST /api/auth/v1/token', () => {
  it('issues a token that expires an hour later on the sandbox clock (expires_at)', async () => {
    const answer = await h.api.call<{ access_token: string; expires_at: string }>(
      'POST',
      '/api/auth/v1/token',
      credentials(),
      { token: null },
    );
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['access_token', 'expires_at']);
    expect(answer.body.access_token.length).toBeGreaterThanOrEqual(1);
    expect(answer.body.access_token.length).toBeLessThanOrEqual(8192);
    expect(answer.body.expires_at).toBe(new Date(START + HOUR).toISOString());
    const token = answer.body.access_token;
    expect((await h.api.call('GET', '/api/pay/v1/orders/v1-x', undefined, { token })).status).toBe(404);
    h.clock.advance(HOUR - 1);
    expect((await h.api.call('GET', '/api/pay/v1/orders/v1-x', undefined, { token })).status).toBe(404);
    h.clock.advance(1);
    const expired = await h.api.call<PluralError>('GET', '/api/pay/v1/orders/v1-x', undefined, { token });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ code: 'UNAUTHORIZED', message: expect.stringMatching(/expired/) });
  });

  it('POST /_sandbox/clock expires tokens too', async () => {
    const moved = await h.api.call<{ now: string }>('POST', '/_sandbox/clock', { advance_seconds: 3600 });
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.now)).toBe(START + HOUR);
    // Written as Plural writes every timestamp: ISO 8601 UTC with milliseconds.
    expect(moved.body.now).toBe(new Date(START + HOUR).toISOString());
    expect((await h.api.call('GET', '/_sandbox/ledger')).status).toBe(401);
    await h.api.login();
    expect((await h.api.call('GET', '/_sandbox/ledger')).status).toBe(200);
    expect((await h.api.call('POST', '/_sandbox/clock', { advance_seconds: -1 })).status).toBe(400);
  });

  it('a new token does not revoke the previous one', async () => {
    const first = h.api.token!;
    await h.api.login();
    expect(h.api.token).not.toBe(first);
    expect((await h.api.call('GET', '/_sandbox/ledger', undefined, { token: first })).status).toBe(200);
  });

  it('refuses wrong credentials with 401 and malformed requests with 400, in Plural’s format', async () => {
    const cases: Array<[Record<string, unknown>, number, string | undefined]> = [
      [credentials({ client_secret: 'wrong' }), 401, undefined],
      [credentials({ client_id: 'a17ce30e-f88e-4f81-ada1-c3b4909ed232' }), 401, undefined],
      [credentials({ grant_type: 'password' }), 400, 'grant_type'],
      [credentials({ grant_type: undefined }), 400, 'grant_type'],
      [credentials({ client_id: undefined }), 400, 'client_id'],
      [credentials({ client_secret: 42 }), 400, 'client_secret'],
      [credentials({ scope: 'all' }), 400, 'scope'],
    ];
    for (const [body, status, param] of cases) {
      const answer = await h.api.call<PluralError>('POST', '/api/auth/v1/token', body, { token: null });
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.code).toBe(status === 401 ? 'UNAUTHORIZED' : 'INVALID_REQUEST');
      expect(answer.body.param).toBe(param);
    }
    const notJson = await h.api.call<PluralError>('POST', '/api/auth/v1/token', undefined, {
      token: null,
      raw: '{"client_id":',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('INVALID_REQUEST');
  });

  it('every API and admin route refuses a missing or unknown token', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/api/pay/v1/orders'],
      ['GET', '/api/pay/v1/orders/v1-x'],
      ['GET', '/api/pay/v1/orders/reference/r'],
      ['POST', '/api/pay/v1/orders/v1-x/payments'],
      ['PUT', '/api/pay/v1/orders/v1-x/capture'],
      ['PUT', '/api/pay/v1/orders/v1-x/cancel'],
      ['PATCH', '/api/pay/v1/orders/v1-x/settlementId/s/release'],
      ['PATCH', '/api/pay/v1/orders/v1-x/settlementId/s/cancel'],
      ['POST', '/api/pay/v1/refunds/v1-x'],
      ['POST', '/_sandbox/orders/v1-x/pay'],
      ['POST', '/_sandbox/clock'],
      ['GET', '/_sandbox/faults'],
      ['GET', '/_sandbox/ledger'],
      ['GET', '/_sandbox/webhook-endpoints'],
    ];
    for (const [method, path] of routes) {
      for (const token of [null, 'not-a-token']) {
        const body = method === 'GET' ? undefined : {};
        const answer = await h.api.call<PluralError>(method, path, body, { token });
        expect(answer.status, `${method} ${path} ${token}`).toBe(401);
        expect(answer.body.code).toBe('UNAUTHORIZED');
      }
    }
  });
});

describe('Request-ID and Request-Timestamp', () => {
  it('are optional, but refused with 400 when malformed', async () => {
    const none = await h.api.call('GET', '/_sandbox/ledger', undefined, {
      headers: { 'Request-ID': '', 'Request-Timestamp': '' },
    });
    // An empty header is malformed, not absent.
    expect(none.status).toBe(400);
    const bare = await fetch(`${h.api.url}/_sandbox/ledger`, { headers: { Authorization: `Bearer ${h.api.token}` } });
    expect(bare.status).toBe(200);
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'Request-ID': 'c17ce30f-f88e-4f81-ada1' }, 'Request-ID'],
      [{ 'Request-ID': 'not a uuid' }, 'Request-ID'],
      [{ 'Request-Timestamp': '2024-07-09 07:57:08' }, 'Request-Timestamp'],
      [{ 'Request-Timestamp': '2024-07-09T07:57:08+05:30' }, 'Request-Timestamp'],
      [{ 'Request-Timestamp': '2024-02-30T07:57:08.022Z' }, 'Request-Timestamp'],
      [{ 'Request-Timestamp': '1720511828' }, 'Request-Timestamp'],
    ];
    for (const [headers, param] of cases) {
      const answer = await h.api.call<PluralError>('POST', '/api/pay/v1/orders', {}, { headers });
      expect(answer.status, JSON.stringify(headers)).toBe(400);
      expect(answer.body).toMatchObject({ code: 'INVALID_REQUEST', param });
    }
    // The token route checks them as well, before the credentials.
    const token = await h.api.call<PluralError>('POST', '/api/auth/v1/token', credentials(), {
      token: null,
      headers: { 'Request-ID': 'x' },
    });
    expect(token.status).toBe(400);
  });

  it('accept the reference’s own examples, and a timestamp far from the sandbox clock', async () => {
    const answer = await h.api.call('GET', '/_sandbox/ledger', undefined, {
      headers: {
        'Request-ID': 'c17ce30f-f88e-4f81-ada1-c3b4909ed235',
        'Request-Timestamp': '2024-07-09T07:57:08.022Z',
      },
    });
    expect(answer.status).toBe(200);
    const seconds = await h.api.call('GET', '/_sandbox/ledger', undefined, {
      headers: { 'Request-Timestamp': '2030-01-01T00:00:00Z' },
    });
    expect(seconds.status).toBe(200);
  });
});

describe('errors', () => {
  it('an unknown route under /plural is a 404 in Plural’s format', async () => {
    const answer = await h.api.call<PluralError>('GET', '/api/pay/v1/nothing');
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('NOT_FOUND');
    const wrongMethod = await h.api.call<PluralError>('DELETE', '/api/pay/v1/orders/v1-x');
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.body.code).toBe('NOT_FOUND');
  });
});
