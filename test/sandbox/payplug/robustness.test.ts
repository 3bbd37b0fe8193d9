/**
 * Keys and modes, the error format of the routes themselves, injected faults, restarts on a file
 * database, and malformed requests that must get a documented 4xx and change nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../support/fake-clock';
import { Prng } from '../../../common/prng';
import { startSandbox } from '../../../sandbox/index';
import { Api } from '../helpers';
import {
  CUSTOMER,
  START,
  receiver,
  startPayPlug,
  type LedgerJson,
  type ListJson,
  type PayPlugError,
  type PayPlugHarness,
  type PaymentJson,
  type PlanJson,
} from './helpers';

describe('keys and modes', () => {
  let h: PayPlugHarness;
  beforeEach(async () => {
    h = await startPayPlug();
  });
  afterEach(() => h.close());

  it('refuses a missing, unknown or other-mode key with 401 in PayPlug format', async () => {
    const missing = await h.api.get<PayPlugError>('/v1/payments', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      object: 'error',
      message:
        'You did not provide any Authentication HTTP header. You must authenticate with your LIVE or TEST API key.',
      id: missing.body.id,
    });
    const live = await h.api.get<PayPlugError>('/v1/payments', { key: 'sk_live_43b7e007298f57f7aedee32800a52301' });
    expect(live.status).toBe(401);
    expect(live.body.message).toMatch(/test mode: live keys/);
    expect((await h.api.get('/v1/payments', { key: 'sk_test_7c5cb3b54abcf5062f056639e809368c' })).status).toBe(401);
    // Each gateway has its own key.
    expect((await h.api.get('/v1/payments', { key: h.sandbox.secret_key })).status).toBe(401);
    const plutopay = new Api(h.sandbox.url, h.sandbox.payplug.secret_key);
    expect((await plutopay.get('/v1/transactions')).status).toBe(401);
    for (const path of ['/_sandbox/faults', '/_sandbox/ledger', '/_sandbox/notifications'])
      expect((await h.api.get(path, { key: null })).status, path).toBe(401);
  });

  it('emulates a live account: sk_live_ key, is_live, /pay/ pages where test cards are declined, no /pay shortcut', async () => {
    const live = await startPayPlug({ mode: 'live' });
    try {
      expect(live.sandbox.payplug.secret_key).toMatch(/^sk_live_[0-9a-f]{32}$/);
      const p = await live.payment({ customer: CUSTOMER });
      expect(p.is_live).toBe(true);
      expect(p.hosted_payment!.payment_url).toBe(`${live.sandbox.payplug.url}/pay/${p.id.slice(4)}`);
      const answer = await fetch(p.hosted_payment!.payment_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'card_number=4242424242424242&exp_month=12&exp_year=2030&cvc=123',
      });
      expect(answer.status).toBe(402);
      const forbidden = await live.api.post<PayPlugError>(`/_sandbox/payments/${p.id}/pay`, {
        card_number: '4242424242424242',
      });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.object).toBe('error');
      const test = await live.api.get<PayPlugError>('/v1/payments', {
        key: 'sk_test_7c5cb3b54abcf5062f056639e809368c',
      });
      expect(test.status).toBe(401);
      expect(test.body.message).toMatch(/live mode: test keys/);
      await live.advance(15 * 60);
      expect((await live.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body.failure!.code).toBe('card_declined');
    } finally {
      await live.close();
    }
  });

  it('answers unknown routes 404 and unknown methods 405, in PayPlug format', async () => {
    const unknown = await h.api.get<PayPlugError>('/v1/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.object).toBe('error');
    for (const [method, path] of [
      ['DELETE', '/v1/payments'],
      ['PUT', '/v1/payments/pay_x'],
      ['POST', '/v1/payments/pay_x'],
      ['PATCH', '/v1/payments/pay_x/refunds'],
      ['GET', '/v1/installment_plans'],
      ['DELETE', '/v1/installment_plans/inst_x'],
    ] as const) {
      const answer = await h.api.call<PayPlugError>(method, path);
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.body.object).toBe('error');
    }
    // Methods no route takes at all answer 405 too on a known path (HEAD has no body to check).
    for (const method of ['HEAD', 'OPTIONS']) {
      const answer = await h.api.call<PayPlugError>(method, '/v1/payments');
      expect(answer.status, `${method} /v1/payments`).toBe(405);
      if (method === 'OPTIONS') expect(answer.body.object).toBe('error');
    }
    expect((await h.api.call('OPTIONS', '/v1/nothing')).status).toBe(404);
    const notJson = await h.api.call<PayPlugError>('POST', '/v1/payments', undefined, {
      raw: '{"amount":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({
      object: 'error',
      message: expect.stringMatching(/^The request body is not valid JSON \(.+\)\.$/),
      details: {},
    });
  });
});

describe('faults', () => {
  let h: PayPlugHarness;
  beforeEach(async () => {
    h = await startPayPlug();
  });
  afterEach(() => h.close());

  async function ledger(): Promise<LedgerJson> {
    return (await h.api.get<LedgerJson>('/_sandbox/ledger')).body;
  }

  it('GET/PUT /_sandbox/faults; PayPlug’s faults are its own', async () => {
    expect((await h.api.get('/_sandbox/faults')).body).toEqual({
      latency_ms: 0,
      error_rate: 0,
      drop_after_commit_rate: 0,
      seed: null,
    });
    const set = await h.api.put('/_sandbox/faults', { error_rate: 0.5, seed: 7 });
    expect(set.body).toEqual({ latency_ms: 0, error_rate: 0.5, drop_after_commit_rate: 0, seed: 7 });
    expect(h.sandbox.payplug.faults()).toEqual(set.body);
    expect(h.sandbox.faults().error_rate).toBe(0);
    for (const body of [{ error_rate: 2 }, { error_rate: '1' }, { latency_ms: -1 }, { reader_timeout_ms: 5 }]) {
      const answer = await h.api.put<PayPlugError>('/_sandbox/faults', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.details).toBeDefined();
    }
    expect((await h.api.get('/_sandbox/faults')).body).toEqual(set.body);
  });

  it('error_rate 1: the API answers 500 before changing anything; pages and /_sandbox still work', async () => {
    const open = await h.payment();
    h.sandbox.payplug.setFaults({ error_rate: 1 });
    const refused = await h.api.post<PayPlugError>('/v1/payments', { amount: 1000, currency: 'EUR' });
    expect(refused.status).toBe(500);
    expect(refused.body.object).toBe('error');
    expect((await h.api.get(`/v1/payments/${open.id}`)).status).toBe(500);
    expect((await ledger()).payments).toHaveLength(1);
    expect((await fetch(open.hosted_payment!.payment_url)).status).toBe(200);
    expect((await h.pay(open.id)).is_paid).toBe(true);
    // PlutoPay is unaffected.
    expect((await new Api(h.sandbox.url, h.sandbox.secret_key).get('/v1/health')).status).toBe(200);
  });

  it('drop_after_commit_rate 1: the connection drops but the change is committed', async () => {
    h.sandbox.payplug.setFaults({ drop_after_commit_rate: 1 });
    await expect(
      h.api.post('/v1/payments', { amount: 1234, currency: 'EUR', metadata: { order_ref: 'T1-dropped' } }),
    ).rejects.toThrow();
    const committed = (await ledger()).payments;
    expect(committed).toHaveLength(1);
    expect(committed[0]).toMatchObject({ amount: 1234, status: 'open', metadata: { order_ref: 'T1-dropped' } });
    // Reads are never dropped, so the client can find what it sent by its order reference.
    const list = await h.api.get<ListJson<PaymentJson>>('/v1/payments');
    expect(list.status).toBe(200);
    expect(list.body.data[0]!.metadata).toEqual({ order_ref: 'T1-dropped' });
    // A refused request is not a change: it is answered.
    expect((await h.api.post('/v1/payments', { amount: 5, currency: 'EUR' })).status).toBe(400);
  });

  it('startSandbox({faults}) (the CLI flags) applies to PayPlug too', async () => {
    const both = await startSandbox({ port: 0, faults: { error_rate: 1 }, seed: false });
    try {
      const api = new Api(both.payplug.url, both.payplug.secret_key);
      expect((await api.get('/v1/payments')).status).toBe(500);
      expect(both.payplug.faults().error_rate).toBe(1);
    } finally {
      await both.close();
    }
  });
});

describe('restart on a file database', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'payplug-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the key and every object, and resumes expiries, installments and notification retries', async () => {
    const db = join(dir, 'sandbox.db');
    const rx = await receiver(1);
    try {
      const clock = new FakeClock(START);
      const first = await startSandbox({ port: 0, db, clock, seed: false });
      const api = new Api(first.payplug.url, first.payplug.secret_key);
      const paid = (
        await api.post<PaymentJson>('/v1/payments', {
          amount: 2500,
          currency: 'EUR',
          save_card: true,
          customer: CUSTOMER,
          notification_url: rx.url,
          metadata: { order_ref: 'T1-1', n: 1 },
        })
      ).body;
      await api.post(`/_sandbox/payments/${paid.id}/pay`, { card_number: '4242424242424242' });
      await api.post(`/v1/payments/${paid.id}/refunds`, { amount: 500 });
      await first.payplug.notificationsIdle();
      expect(rx.received).toHaveLength(2);
      const open = (await api.post<PaymentJson>('/v1/payments', { amount: 1000, currency: 'EUR' })).body;
      const plan = (
        await api.post<PlanJson>('/v1/installment_plans', {
          currency: 'EUR',
          customer: CUSTOMER,
          schedule: [
            { date: 'TODAY', amount: 1000 },
            { date: '2026-03-01', amount: 1000 },
          ],
        })
      ).body;
      await api.post(`/_sandbox/payments/${plan.schedule[0]!.payment_ids[0]}/pay`, { card_number: '4242424242424242' });
      const before = (await api.get<LedgerJson>('/_sandbox/ledger')).body;
      const key = first.payplug.secret_key;
      await first.close();

      const second = await startSandbox({ port: 0, db, clock: new FakeClock(START + 60_000), seed: false });
      try {
        expect(second.payplug.secret_key).toBe(key);
        const again = new Api(second.payplug.url, second.payplug.secret_key);
        expect((await again.get<LedgerJson>('/_sandbox/ledger')).body).toEqual(before);
        const reread = (await again.get<PaymentJson>(`/v1/payments/${paid.id}`)).body;
        expect(reread).toMatchObject({ amount_refunded: 500, metadata: { order_ref: 'T1-1', n: 1 } });
        // The paid notification was answered 500 and the refund's 200 (the last answer is kept); the
        // paid one's retry, due a minute after, runs on the new clock.
        expect(reread.notification.response_code).toBe(200);
        await second.payplug.notificationsIdle();
        expect(rx.received).toHaveLength(3);
        expect(JSON.parse(rx.received[2]!.body)).toMatchObject({ id: paid.id, object: 'payment', is_paid: true });
        // The saved card still pays.
        const oneClick = await again.post<PaymentJson>('/v1/payments', {
          amount: 700,
          currency: 'EUR',
          payment_method: reread.card.id,
          customer: CUSTOMER,
        });
        expect(oneClick.body.is_paid).toBe(true);
        // The open page still expires 15 minutes after it was created, and the installment falls due.
        await again.post('/_sandbox/clock', { advance_seconds: 14 * 60 });
        expect((await again.get<PaymentJson>(`/v1/payments/${open.id}`)).body.failure!.code).toBe('timeout');
        await again.post('/_sandbox/clock', { advance_seconds: 14 * 86400 });
        const current = (await again.get<PlanJson>(`/v1/installment_plans/${plan.id}`)).body;
        expect(current).toMatchObject({ is_fully_paid: true, is_active: false });
      } finally {
        await second.close();
      }
      // A live run of the same database has its own key and sees none of the test objects.
      const live = await startSandbox({ port: 0, db, mode: 'live', seed: false });
      try {
        expect(live.payplug.secret_key).toMatch(/^sk_live_/);
        const liveApi = new Api(live.payplug.url, live.payplug.secret_key);
        expect((await liveApi.get<ListJson<PaymentJson>>('/v1/payments')).body.data).toEqual([]);
        expect((await liveApi.get(`/v1/payments/${paid.id}`)).status).toBe(404);
      } finally {
        await live.close();
      }
    } finally {
      await rx.close();
    }
  });
});

describe('malformed requests', () => {
  const NASTY: unknown[] = [
    null,
    true,
    0,
    -1,
    1.5,
    99,
    2 ** 53,
    1e308,
    '',
    ' ',
    '3300',
    'EUR',
    'eur',
    'TODAY',
    '2026-13-01',
    '<script>alert(1)</script>',
    "'; DROP TABLE payplug_payments; --",
    'x'.repeat(3000),
    '\u0000',
    [],
    [{ date: 'TODAY', amount: 'x' }],
    {},
    { a: { b: 1 } },
    { first_name: 5 },
    { constructor: { prototype: {} } },
    'https://example.net/n',
    'card_nope',
    '4000000000000051',
  ];
  const FIELDS = [
    'amount',
    'authorized_amount',
    'currency',
    'customer',
    'hosted_payment',
    'notification_url',
    'payment_method',
    'force_3ds',
    'save_card',
    'allow_save_card',
    'description',
    'metadata',
    'aborted',
    'captured',
    'schedule',
    'card_number',
    'exp_month',
    'exp_year',
    'x',
  ];

  it('get a documented 4xx in PayPlug format and change nothing', async () => {
    const h = await startPayPlug();
    try {
      const open = await h.payment({ customer: CUSTOMER, metadata: { order_ref: 'fixed' } });
      const paid = await h.payment();
      await h.pay(paid.id);
      const plan = (
        await h.api.post<PlanJson>('/v1/installment_plans', {
          currency: 'EUR',
          customer: CUSTOMER,
          schedule: [
            { date: 'TODAY', amount: 1000 },
            { date: '2026-03-01', amount: 1000 },
          ],
        })
      ).body;
      const routes: Array<[string, string]> = [
        ['POST', '/v1/payments'],
        ['PATCH', `/v1/payments/${open.id}`],
        ['PATCH', `/v1/payments/${paid.id}`],
        ['POST', `/v1/payments/${paid.id}/refunds`],
        ['POST', '/v1/installment_plans'],
        ['PATCH', `/v1/installment_plans/${plan.id}`],
        ['POST', `/_sandbox/payments/${open.id}/pay`],
        ['POST', '/_sandbox/clock'],
      ];
      const snapshot = async (): Promise<string> =>
        JSON.stringify([
          (await h.api.get('/_sandbox/ledger')).body,
          (await h.api.get(`/v1/installment_plans/${plan.id}`)).body,
          (await h.api.get(`/v1/payments/${open.id}`)).body,
          (await h.api.get('/_sandbox/notifications')).body,
        ]);
      const prng = new Prng(20260216);
      let refused = 0;
      for (let round = 0; round < 25; round++) {
        for (const [method, path] of routes) {
          const body: Record<string, unknown> = {};
          const count = 1 + prng.int(3);
          for (let i = 0; i < count; i++) body[FIELDS[prng.int(FIELDS.length)]!] = NASTY[prng.int(NASTY.length)];
          const before = await snapshot();
          const answer = await h.api.call<PayPlugError>(method, path, body);
          const label = `${method} ${path} ${JSON.stringify(body).slice(0, 200)}`;
          expect(answer.status, label).toBeLessThan(500);
          if (answer.status < 300) continue;
          refused += 1;
          expect(answer.status, label).toBe(400);
          expect(answer.body.object, label).toBe('error');
          expect(typeof answer.body.message).toBe('string');
          expect(answer.body.id).toMatch(/^[0-9a-f]{32}$/);
          expect(typeof answer.body.details, label).toBe('object');
          expect(await snapshot(), label).toBe(before);
        }
      }
      expect(refused).toBeGreaterThan(150);
      // Bodies that are not JSON objects at all.
      for (const raw of ['', 'null', '[]', '"x"', '{', '{"amount": 1e999}', '{"__proto__": {"x": 1}}', '\u0000']) {
        const before = await snapshot();
        const answer = await h.api.call<PayPlugError>('POST', '/v1/payments', undefined, {
          raw,
          headers: { 'Content-Type': 'application/json' },
        });
        expect(answer.status, raw).toBe(400);
        expect(answer.body.details, raw).toBeDefined();
        expect(await snapshot()).toBe(before);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // The refusal names the parameter, even one called __proto__.
      const proto = await h.api.call<PayPlugError>('POST', '/v1/payments', undefined, {
        raw: '{"amount": 1000, "currency": "EUR", "metadata": {"__proto__": {"x": 1}}}',
        headers: { 'Content-Type': 'application/json' },
      });
      expect(proto.status).toBe(400);
      // (A plain `__proto__:` in a literal would set the prototype; a computed key is a key.)
      const named = { metadata: { ['__proto__']: 'metadata.__proto__: the key "__proto__" is not allowed' } };
      expect(JSON.stringify(proto.body.details)).toBe(JSON.stringify(named));
    } finally {
      await h.close();
    }
  });

  it('random query strings on the lists get 200 or 400', async () => {
    const h = await startPayPlug();
    try {
      const paid = await h.payment();
      await h.pay(paid.id);
      const prng = new Prng(7);
      const keys = ['page', 'per_page', 'limit', 'x'];
      const values = ['', '0', '1', '-1', '100', '101', '1e2', 'abc', '%', '99999999999999999', '%E0%A4%A'];
      for (let round = 0; round < 30; round++) {
        for (const path of ['/v1/payments', `/v1/payments/${paid.id}/refunds`, '/_sandbox/notifications']) {
          const query = Array.from(
            { length: 1 + prng.int(2) },
            () => `${keys[prng.int(keys.length)]}=${values[prng.int(values.length)]}`,
          ).join('&');
          const answer = await h.api.get(`${path}?${query}`);
          expect([200, 400], `${path}?${query}`).toContain(answer.status);
        }
      }
    } finally {
      await h.close();
    }
  });
});

describe('the clock route', () => {
  it('POST /_sandbox/clock moves the clock every emulator shares', async () => {
    const h = await startPayPlug();
    try {
      const moved = await h.api.post<{ now: string }>('/_sandbox/clock', { advance_seconds: 3600 });
      expect(moved.status).toBe(200);
      expect(Date.parse(moved.body.now)).toBe(START + 3_600_000);
      const plutopay = new Api(h.sandbox.url, h.sandbox.secret_key);
      expect(Date.parse(String((await plutopay.get('/v1/health')).body.timestamp))).toBe(START + 3_600_000);
      expect((await h.api.post('/_sandbox/clock', { advance_seconds: -5 })).status).toBe(400);
      expect((await h.api.post('/_sandbox/clock', {})).status).toBe(400);
    } finally {
      await h.close();
    }
  });
});

describe('a 400 names every wrong parameter, and metadata keeps what it stores', () => {
  let h: Awaited<ReturnType<typeof startPayPlug>>;
  beforeEach(async () => {
    h = await startPayPlug();
  });
  afterEach(() => h.close());

  const raw = (method: string, path: string, text: string) =>
    h.api.call<PayPlugError & { metadata?: Record<string, unknown> }>(method, path, undefined, {
      raw: text,
      headers: { 'Content-Type': 'application/json' },
    });

  it('an unknown parameter is named with the others, not instead of them', async () => {
    const answer = await h.api.post<PayPlugError>('/v1/payments', { amount: '1000', foo: 1, bar: true });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual({
      foo: 'Unknown parameter: foo',
      bar: 'Unknown parameter: bar',
      amount: expect.stringContaining('integer'),
      currency: expect.stringContaining('required'),
    });
    const p = await h.payment();
    const refund = await h.api.post<PayPlugError>(`/v1/payments/${p.id}/refunds`, { amount: 'x', nope: 1 });
    expect(Object.keys(refund.body.details!).sort()).toEqual(['amount', 'nope']);
    const patch = await h.api.call<PayPlugError>('PATCH', `/v1/payments/${p.id}`, { captured: 'yes', extra: 1 });
    expect(Object.keys(patch.body.details!).sort()).toEqual(['captured', 'extra']);
    expect((await h.api.get<LedgerJson>('/_sandbox/ledger')).body.payments).toHaveLength(1);
  });

  it('a metadata value of the wrong type is refused naming its key', async () => {
    const refused = await h.api.post<PayPlugError>('/v1/payments', {
      amount: 1000,
      currency: 'EUR',
      metadata: { ok: 'x', cart: ['a'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual({
      metadata: { cart: 'metadata.cart must be a string, a number or a boolean, not an array' },
    });
    expect((await h.api.get<LedgerJson>('/_sandbox/ledger')).body.payments).toHaveLength(0);
  });

  it('an integer it could not keep exactly is refused, naming the key; safe numbers round-trip', async () => {
    const refused = await raw(
      'POST',
      '/v1/payments',
      '{"amount":1000,"currency":"EUR","metadata":{"order_no":12345678901234567890,"ok":"x"}}',
    );
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual({ metadata: { order_no: expect.stringContaining('send it as a string') } });
    expect((await h.api.get<LedgerJson>('/_sandbox/ledger')).body.payments).toHaveLength(0);
    const kept = await raw(
      'POST',
      '/v1/payments',
      '{"amount":1000,"currency":"EUR","metadata":{"big":9007199254740991,"neg":-9007199254740991,"s":"12345678901234567890","x":1.5}}',
    );
    expect(kept.status).toBe(201);
    expect(kept.text).toContain(
      '"metadata":{"big":9007199254740991,"neg":-9007199254740991,"s":"12345678901234567890","x":1.5}',
    );
  });
});
