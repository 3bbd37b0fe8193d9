/**
 * Plural's access token and request headers, over real HTTP against the sandbox on a FakeClock
 * shared by the sandbox and the client: one token cached, a new one a minute before it expires,
 * one more after a 401 (the request then resent once), one request for concurrent callers; the
 * token never in a log entry or an error message; a fresh Request-ID on every request.
 */
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { GatewayError, GatewayUnreachable } from '../../main/gateway/errors';
import type { HttpLogEntry } from '../../main/gateway/http';
import type { PluralGateway } from '../../main/gateway/plural';
import type { NewPayment } from '../../main/gateway/port';
import { FakeClock } from '../support/fake-clock';
import { caught } from './helpers';
import { startPluralHarness, type PluralHarness } from './plural-support';

const START = Date.UTC(2026, 1, 16, 16, 18, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Sent {
  method: string;
  path: string;
  headers: Headers;
}

/** A fetch that records what is sent and every token answered, and may rewrite the token answer. */
function spyFetch(rewriteToken?: (json: Record<string, unknown>) => Record<string, unknown>) {
  const sent: Sent[] = [];
  const tokens: string[] = [];
  const impl = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    sent.push({ method: init?.method ?? 'GET', path: url.pathname, headers: new Headers(init?.headers) });
    const response = await fetch(input, init);
    if (!url.pathname.endsWith('/api/auth/v1/token') || !response.ok) return response;
    const json = (await response.json()) as Record<string, unknown>;
    tokens.push(String(json.access_token));
    return new Response(JSON.stringify(rewriteToken ? rewriteToken(json) : json), {
      status: response.status,
      headers: { 'Content-Type': 'application/json' },
    });
  }) as typeof fetch;
  return { sent, tokens, impl };
}

let clock: FakeClock;
let h: PluralHarness;
let log: HttpLogEntry[];
let spy: ReturnType<typeof spyFetch>;
let gateway: PluralGateway;
let counter = 0;

function newPayment(): NewPayment {
  counter += 1;
  return {
    amount: 2500,
    currency: 'INR',
    captureMethod: 'automatic',
    description: null,
    customerId: null,
    receiptEmail: null,
    orderReference: `TOKEN-${counter}`,
    paymentId: `pay_token${counter}`,
    channel: 'link',
  };
}

const tokenCalls = () => log.filter((entry) => entry.path.endsWith('/api/auth/v1/token'));
const steps = () => log.map((entry) => `${entry.method} ${entry.path.replace(/^\/plural/, '')} ${entry.status}`);

beforeEach(async () => {
  clock = new FakeClock(START);
  h = await startPluralHarness({ clock });
  log = [];
  spy = spyFetch();
  gateway = h.make({ http: { timeoutMs: 5_000, onRequest: (entry) => log.push(entry), fetchImpl: spy.impl } });
});

afterEach(async () => {
  await h.close();
});

describe('the access token', () => {
  it('is fetched once and used until a minute before it expires, then renewed before the next call', async () => {
    const made = await gateway.create(newPayment(), 'tok-1');
    await gateway.retrieve(made.id);
    expect(tokenCalls()).toHaveLength(1);

    clock.advance(HOUR - MINUTE - 1);
    await gateway.retrieve(made.id);
    expect(tokenCalls()).toHaveLength(1);

    log.length = 0;
    clock.advance(2);
    await gateway.retrieve(made.id);
    // Renewed ahead of time: no 401 on the way.
    expect(steps()).toEqual(['POST /api/auth/v1/token 200', `GET /api/pay/v1/orders/${made.id} 200`]);
    expect(spy.tokens).toHaveLength(2);
    expect(spy.tokens[1]).not.toBe(spy.tokens[0]);
  });

  it('is renewed on time when the till’s wall clock is set back or forward (its life counts on the monotonic clock)', async () => {
    // The till's own clock, apart from the sandbox's: NTP or the cashier moves the till's only.
    const till = new FakeClock(START);
    const own = h.make({
      clock: till,
      http: { timeoutMs: 5_000, onRequest: (entry) => log.push(entry), fetchImpl: spy.impl },
    });
    const both = (ms: number) => {
      clock.advance(ms);
      till.advance(ms);
    };
    const made = await own.create(newPayment(), 'tok-wall');
    expect(tokenCalls()).toHaveLength(1);

    // Set forward two hours: no time passed, the token is as fresh as it was.
    till.jump(2 * HOUR);
    log.length = 0;
    await own.retrieve(made.id);
    expect(steps()).toEqual([`GET /api/pay/v1/orders/${made.id} 200`]);

    // Then back three hours. A minute before the token's hour is up it is renewed, as always —
    // not hours late, each call refused first. (An `expires_at` read later on a till clock an hour
    // behind Plural's still says an hour too much: that skew ends in the 401 and one renewal.)
    till.jump(-3 * HOUR);
    both(HOUR - MINUTE + 1);
    log.length = 0;
    await own.retrieve(made.id);
    expect(steps()).toEqual(['POST /api/auth/v1/token 200', `GET /api/pay/v1/orders/${made.id} 200`]);
    expect(log.some((entry) => entry.status === 401)).toBe(false);
  });

  it('is renewed once after a 401, and the refused request is sent once more (with a new Request-ID)', async () => {
    const made = await gateway.create(newPayment(), 'tok-2');
    // Plural's clock runs ahead of the till's: the token expires there first.
    await h.advanceSandbox(3600);
    log.length = 0;
    spy.sent.length = 0;
    const read = await gateway.retrieve(made.id);
    expect(read.id).toBe(made.id);
    expect(steps()).toEqual([
      `GET /api/pay/v1/orders/${made.id} 401`,
      'POST /api/auth/v1/token 200',
      `GET /api/pay/v1/orders/${made.id} 200`,
    ]);
    const [refused, , resent] = spy.sent;
    expect(refused!.headers.get('authorization')).toBe(`Bearer ${spy.tokens[0]}`);
    expect(resent!.headers.get('authorization')).toBe(`Bearer ${spy.tokens[1]}`);
    expect(resent!.headers.get('request-id')).not.toBe(refused!.headers.get('request-id'));
  });

  it('is renewed only once: a second 401 is the caller’s', async () => {
    const made = await gateway.create(newPayment(), 'tok-3');
    const refusing = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.pathname.includes('/api/pay/'))
        return new Response(JSON.stringify({ code: 'UNAUTHORIZED', message: 'Invalid access token.' }), {
          status: 401,
          headers: { 'Content-Type': 'application/json' },
        });
      return spy.impl(input, init);
    }) as typeof fetch;
    const stubborn = h.make({ http: { onRequest: (entry) => log.push(entry), fetchImpl: refusing } });
    log.length = 0;
    const error = await caught(stubborn.retrieve(made.id));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 401, type: 'UNAUTHORIZED', code: 'UNAUTHORIZED' });
    expect(steps()).toEqual([
      'POST /api/auth/v1/token 200',
      `GET /api/pay/v1/orders/${made.id} 401`,
      'POST /api/auth/v1/token 200',
      `GET /api/pay/v1/orders/${made.id} 401`,
    ]);
  });

  it('is fetched with one request for callers that need it at the same time', async () => {
    const made = await h.make().create(newPayment(), 'tok-4');
    const reads = await Promise.all(Array.from({ length: 5 }, () => gateway.retrieve(made.id)));
    expect(reads.map((read) => read.id)).toEqual(Array(5).fill(made.id));
    expect(tokenCalls()).toHaveLength(1);
  });

  it('takes expires_in (seconds) as well as expires_at', async () => {
    const seconds = spyFetch(({ access_token }) => ({ access_token, expires_in: 600 }));
    const other = h.make({ http: { onRequest: (entry) => log.push(entry), fetchImpl: seconds.impl } });
    const made = await other.create(newPayment(), 'tok-5');
    clock.advance(540_000 - 1);
    await other.retrieve(made.id);
    expect(seconds.tokens).toHaveLength(1);
    clock.advance(1);
    await other.retrieve(made.id);
    expect(seconds.tokens).toHaveLength(2);

    // A short-lived token is renewed at half its life.
    const brief = spyFetch(({ access_token }) => ({ access_token, expires_in: '40' }));
    const third = h.make({ http: { fetchImpl: brief.impl } });
    await third.retrieve(made.id);
    clock.advance(19_999);
    await third.retrieve(made.id);
    expect(brief.tokens).toHaveLength(1);
    clock.advance(1);
    await third.retrieve(made.id);
    expect(brief.tokens).toHaveLength(2);
  });

  it('takes the sooner expiry when the answer carries both spellings, and reads a zone-less expires_at as UTC', async () => {
    // expires_in 10 minutes, expires_at an hour away: the token is renewed at 9 minutes.
    const both = spyFetch(({ access_token, expires_at }) => ({ access_token, expires_at, expires_in: 600 }));
    const other = h.make({ http: { fetchImpl: both.impl } });
    const made = await other.create(newPayment(), 'tok-both');
    clock.advance(540_000 - 1);
    await other.retrieve(made.id);
    expect(both.tokens).toHaveLength(1);
    clock.advance(1);
    await other.retrieve(made.id);
    expect(both.tokens).toHaveLength(2);

    // The reference's timestamps are UTC; one written without a zone is not read in the till's zone
    // (here India's, five and a half hours ahead: read locally, the token would outlive itself).
    const zone = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    onTestFinished(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });
    const zoneless = spyFetch(({ access_token }) => ({
      access_token,
      expires_at: new Date(clock.now() + 10 * MINUTE).toISOString().replace('Z', '') + '140',
    }));
    const third = h.make({ http: { fetchImpl: zoneless.impl } });
    await third.retrieve(made.id);
    clock.advance(9 * MINUTE - 1);
    await third.retrieve(made.id);
    expect(zoneless.tokens).toHaveLength(1);
    clock.advance(1);
    await third.retrieve(made.id);
    expect(zoneless.tokens).toHaveLength(2);
  });

  it('is refused with wrong credentials as a GatewayError, without retrying', async () => {
    const wrong = h.make({ clientSecret: 'not-the-secret', http: { onRequest: (entry) => log.push(entry) } });
    const error = await caught(wrong.retrieve('v1-260216161800-aa-AAAAAA'));
    expect(error).toMatchObject({ status: 401, type: 'UNAUTHORIZED' });
    expect(steps()).toEqual(['POST /api/auth/v1/token 401']);
    await expect(wrong.health()).rejects.toBeInstanceOf(GatewayError);
  });

  it('never appears in a log entry or an error message, nor does the client secret', async () => {
    const made = await gateway.create(newPayment(), 'tok-6');
    await gateway.simulateLinkPayment(made.id, '4111111111111111');
    await gateway.refund(made.id, { amount: 500 }, 'tok-6-refund');
    await h.advanceSandbox(3600);
    await gateway.retrieve(made.id);
    const errors: unknown[] = [
      await caught(gateway.retrieve('v1-000000000000-aa-NOPE00')),
      await caught(gateway.capture(made.id, undefined, 'tok-6-capture')),
      await caught(gateway.refund(made.id, { amount: 999_999 }, 'tok-6-over')),
    ];
    h.sandbox.plural.setFaults({ error_rate: 1 });
    errors.push(await caught(gateway.retrieve(made.id)));
    h.sandbox.plural.setFaults({ error_rate: 0 });
    clock.advance(HOUR);
    h.sandbox.plural.setFaults({ error_rate: 1 });
    errors.push(await caught(gateway.retrieve(made.id)));
    h.sandbox.plural.setFaults({ error_rate: 0 });
    const broken = spyFetch(({ access_token }) => ({ access_token, expires_at: 'whenever' }));
    errors.push(await caught(h.make({ http: { fetchImpl: broken.impl } }).retrieve(made.id)));

    expect(errors.map((error) => (error as Error).constructor.name)).toEqual([
      'GatewayError',
      'GatewayError',
      // Over what is left: refused by the app on Plural's rules, before any call.
      'LocalRefusal',
      'GatewayUnreachable',
      'GatewayUnreachable',
      // The token's answer was not in the expected form: answered, but unusable.
      'GatewayUnreadable',
    ]);
    expect(errors[5]).toBeInstanceOf(GatewayUnreachable);
    const tokens = [...spy.tokens, ...broken.tokens];
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    const visible = [
      JSON.stringify(log),
      ...errors.map((error) => `${(error as Error).message} ${JSON.stringify(error)}`),
      JSON.stringify(gateway),
    ].join('\n');
    for (const token of tokens) expect(visible).not.toContain(token);
    expect(visible).not.toContain(h.sandbox.plural.client_secret);
    expect(Object.keys(gateway)).not.toContain('tokens');
  });
});

describe('request headers', () => {
  it('carry a fresh Request-ID and a Request-Timestamp on every request, the token request included', async () => {
    const made = await gateway.create(newPayment(), 'hdr-1');
    await gateway.retrieve(made.id);
    await gateway.simulateLinkPayment(made.id, '4111111111111111');
    await gateway.refund(made.id, {}, 'hdr-1-refund');
    expect(spy.sent.length).toBeGreaterThanOrEqual(6);
    const ids = spy.sent.map((request) => request.headers.get('request-id'));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const request of spy.sent) {
      expect(request.headers.get('request-timestamp')).toBe(new Date(START).toISOString());
    }
    const [token, ...api] = spy.sent;
    expect(token!.path).toBe('/plural/api/auth/v1/token');
    expect(token!.headers.has('authorization')).toBe(false);
    for (const request of api) expect(request.headers.get('authorization')).toMatch(/^Bearer \S+$/);
  });

  it('are accepted by the sandbox, which refuses malformed ones', async () => {
    // The sandbox validates both headers when present: every call above succeeding proves their
    // shape; a malformed one is refused (so a regression here would show as INVALID_REQUEST).
    const answer = await fetch(`${h.sandbox.plural.url}/api/auth/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Request-ID': 'not-a-uuid' },
      body: JSON.stringify({
        client_id: h.sandbox.plural.client_id,
        client_secret: h.sandbox.plural.client_secret,
        grant_type: 'client_credentials',
      }),
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { param: string }).param).toBe('Request-ID');
  });
});
