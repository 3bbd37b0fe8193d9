/** Payments endpoints, one block per row of the reference's endpoint table, over real HTTP. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CUSTOMER,
  START,
  startPayPlug,
  unix,
  type ListJson,
  type PayPlugError,
  type PayPlugHarness,
  type PaymentJson,
} from './helpers';

let h: PayPlugHarness;
beforeEach(async () => {
  h = await startPayPlug();
});
afterEach(() => h.close());

describe('POST /v1/payments (create a payment)', () => {
  it('answers 201 with every documented field of the payment object', async () => {
    const answer = await h.api.post<PaymentJson>('/v1/payments', {
      amount: 3300,
      currency: 'EUR',
      customer: CUSTOMER,
      hosted_payment: {
        return_url: 'https://example.net/success?id=42',
        cancel_url: 'https://example.net/cancel?id=42',
      },
      notification_url: 'http://127.0.0.1:9/notifications?id=42',
      metadata: { customer_id: '42' },
      save_card: false,
      force_3ds: true,
      description: 'Two coffees',
    });
    expect(answer.status).toBe(201);
    const p = answer.body;
    expect(Object.keys(p).sort()).toEqual(
      [
        'id',
        'object',
        'is_live',
        'amount',
        'amount_refunded',
        'authorization',
        'currency',
        'created_at',
        'installment_plan_id',
        'is_paid',
        'paid_at',
        'is_refunded',
        'is_3ds',
        'save_card',
        'allow_save_card',
        'card',
        'customer',
        'hosted_payment',
        'notification',
        'failure',
        'description',
        'metadata',
      ].sort(),
    );
    expect(p.id).toMatch(/^pay_[A-Za-z0-9]{22}$/);
    expect(p).toMatchObject({
      object: 'payment',
      is_live: false,
      amount: 3300,
      amount_refunded: 0,
      authorization: null,
      currency: 'EUR',
      created_at: unix(START),
      installment_plan_id: null,
      is_paid: false,
      paid_at: null,
      is_refunded: false,
      is_3ds: null,
      save_card: false,
      allow_save_card: false,
      card: { last4: null, country: null, exp_month: null, exp_year: null, brand: null, id: null },
      customer: {
        first_name: 'John',
        last_name: 'Watson',
        email: 'john.watson@example.net',
        phone_number: null,
        address1: null,
        address2: null,
        postcode: null,
        city: null,
        country: null,
        language: 'en',
      },
      hosted_payment: {
        return_url: 'https://example.net/success?id=42',
        cancel_url: 'https://example.net/cancel?id=42',
        paid_at: null,
        sent_by: null,
      },
      notification: { url: 'http://127.0.0.1:9/notifications?id=42', response_code: null },
      failure: null,
      description: 'Two coffees',
      metadata: { customer_id: '42' },
    });
    // Test mode pages live under /pay/test/, named after the payment id.
    expect(p.hosted_payment!.payment_url).toBe(`${h.sandbox.payplug.url}/pay/test/${p.id.slice(4)}`);
  });

  it('takes every customer field, and the minimum and maximum amounts', async () => {
    const customer = {
      ...CUSTOMER,
      phone_number: '33612345678',
      address1: '221B Baker Street',
      address2: 'Flat B',
      postcode: 'NW16XE',
      city: 'London',
      country: 'gb',
      language: 'fr',
    };
    const low = await h.payment({ amount: 100, customer });
    expect(low.customer).toEqual({ ...customer, country: 'GB' });
    expect((await h.payment({ amount: 2_000_000 })).amount).toBe(2_000_000);
  });

  it('without hosted_payment still gives a payment page (no return or cancel URL)', async () => {
    const p = await h.payment();
    expect(p.hosted_payment).toMatchObject({ return_url: null, cancel_url: null, sent_by: null });
    expect(p.hosted_payment!.payment_url).toContain('/payplug/pay/test/');
    expect(p.metadata).toBeNull();
    expect(p.customer.first_name).toBeNull();
  });

  it('a deferred payment (authorized_amount) has an authorization object from the start', async () => {
    const answer = await h.api.post<PaymentJson>('/v1/payments', { authorized_amount: 3300, currency: 'EUR' });
    expect(answer.status).toBe(201);
    expect(answer.body.amount).toBe(3300);
    expect(answer.body.authorization).toEqual({ authorized_amount: 3300, authorized_at: null, expires_at: null });
  });

  it('answers 400 naming every wrong or missing parameter, nested like the request', async () => {
    const answer = await h.api.post<PayPlugError>('/v1/payments', {
      amount: 5,
      customer: { first_name: 'x'.repeat(101), email: 'not-an-email' },
      force_3ds: 'yes',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.object).toBe('error');
    expect(answer.body.message).toBe('Wrong or missing parameters (see details).');
    expect(answer.body.id).toMatch(/^[0-9a-f]{32}$/);
    expect(answer.body.details).toEqual({
      amount: 'The minimum amount is 1 EUR (100 cents). The amount you provided is 5 cents.',
      currency: 'currency is required',
      customer: {
        first_name: 'customer.first_name must be at most 100 characters',
        email: 'email must be an email address',
      },
      force_3ds: 'force_3ds must be a boolean, not a string',
    });
  });

  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ['no amount', { currency: 'EUR' }, 'amount'],
    ['both amounts', { amount: 1000, authorized_amount: 1000, currency: 'EUR' }, 'authorized_amount'],
    ['amount below 100', { amount: 99, currency: 'EUR' }, 'amount'],
    ['amount above 2,000,000', { amount: 2_000_001, currency: 'EUR' }, 'amount'],
    ['authorized_amount below 100', { authorized_amount: 99, currency: 'EUR' }, 'authorized_amount'],
    ['amount not an integer', { amount: 10.5, currency: 'EUR' }, 'amount'],
    ['amount as a string', { amount: '1000', currency: 'EUR' }, 'amount'],
    ['another currency', { amount: 1000, currency: 'USD' }, 'currency'],
    ['lower-case eur', { amount: 1000, currency: 'eur' }, 'currency'],
    ['unknown parameter', { amount: 1000, currency: 'EUR', idempotency_key: 'k' }, 'idempotency_key'],
    ['description over 80', { amount: 1000, currency: 'EUR', description: 'd'.repeat(81) }, 'description'],
    [
      'return_url not http(s)',
      { amount: 1000, currency: 'EUR', hosted_payment: { return_url: 'ftp://x' } },
      'hosted_payment',
    ],
    ['unknown sent_by', { amount: 1000, currency: 'EUR', hosted_payment: { sent_by: 'FAX' } }, 'hosted_payment'],
    [
      'sent_by EMAIL without email',
      { amount: 1000, currency: 'EUR', hosted_payment: { sent_by: 'EMAIL' } },
      'customer',
    ],
    [
      'sent_by SMS without phone',
      { amount: 1000, currency: 'EUR', customer: CUSTOMER, hosted_payment: { sent_by: 'SMS' } },
      'customer',
    ],
    ['phone with +', { amount: 1000, currency: 'EUR', customer: { phone_number: '+33612345678' } }, 'customer'],
    ['country of 3 letters', { amount: 1000, currency: 'EUR', customer: { country: 'FRA' } }, 'customer'],
    ['unsupported language', { amount: 1000, currency: 'EUR', customer: { language: 'de' } }, 'customer'],
    ['postcode over 16', { amount: 1000, currency: 'EUR', customer: { postcode: '1'.repeat(17) } }, 'customer'],
    ['unknown customer field', { amount: 1000, currency: 'EUR', customer: { age: 3 } }, 'customer.age'],
    ['save_card without customer', { amount: 1000, currency: 'EUR', save_card: true }, 'customer'],
    [
      'allow_save_card without names',
      { amount: 1000, currency: 'EUR', allow_save_card: true, customer: { email: 'a@b.co' } },
      'customer',
    ],
    [
      'save_card and allow_save_card',
      { amount: 1000, currency: 'EUR', customer: CUSTOMER, save_card: true, allow_save_card: true },
      'allow_save_card',
    ],
    [
      'notification_url not loopback',
      { amount: 1000, currency: 'EUR', notification_url: 'https://example.net/n' },
      'notification_url',
    ],
    [
      'payment_method unknown',
      { amount: 1000, currency: 'EUR', customer: CUSTOMER, payment_method: 'card_nope' },
      'payment_method',
    ],
    ['payment_method without customer', { amount: 1000, currency: 'EUR', payment_method: 'card_nope' }, 'customer'],
    ['metadata an array', { amount: 1000, currency: 'EUR', metadata: ['a'] }, 'metadata'],
    ['metadata nested', { amount: 1000, currency: 'EUR', metadata: { a: { b: 1 } } }, 'metadata'],
    [
      'metadata of 11 keys',
      {
        amount: 1000,
        currency: 'EUR',
        metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])),
      },
      'metadata',
    ],
    ['metadata key over 20', { amount: 1000, currency: 'EUR', metadata: { ['k'.repeat(21)]: 1 } }, 'metadata'],
    [
      'metadata values over 500 in all',
      { amount: 1000, currency: 'EUR', metadata: { a: 'x'.repeat(300), b: 'y'.repeat(201) } },
      'metadata',
    ],
  ];
  for (const [name, body, param] of refusals) {
    it(`refuses ${name} with 400 and details.${param}`, async () => {
      const answer = await h.api.post<PayPlugError>('/v1/payments', body);
      expect(answer.status, answer.text).toBe(400);
      const [top, nested] = param.split('.');
      expect(answer.body.details).toHaveProperty(top!);
      if (nested) expect(answer.body.details![top!]).toHaveProperty(nested);
    });
  }

  it('names the currency it was sent when refusing it', async () => {
    const answer = await h.api.post<PayPlugError>('/v1/payments', { amount: 1000, currency: 'USD' });
    expect(answer.body.details).toMatchObject({ currency: 'EUR is the only supported currency (value: USD).' });
  });

  it('accepts metadata at its limits: 10 keys of 20 characters, values totalling 500', async () => {
    const metadata = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`key_${i}`.padEnd(20, 'x'), 'v'.repeat(50)]),
    );
    expect((await h.payment({ metadata })).metadata).toEqual(metadata);
  });
});

describe('GET /v1/payments/{payment_id} (retrieve a payment)', () => {
  it('answers the payment as created, metadata exactly as sent (types and key order kept)', async () => {
    const metadata = { order_ref: 'T1-000042', customer_id: 42, vip: true, ratio: 0.5, note: 'caf\u00e9 \u2615' };
    const created = await h.payment({ metadata });
    const answer = await h.api.get<PaymentJson>(`/v1/payments/${created.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(created);
    expect(answer.text).toContain(JSON.stringify(metadata));
  });

  it('answers 404 in PayPlug format for an unknown id', async () => {
    const answer = await h.api.get<PayPlugError>('/v1/payments/pay_unknown');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ object: 'error', message: 'No such payment: pay_unknown' });
    expect(answer.body).not.toHaveProperty('details');
  });
});

describe('GET /v1/payments (list all payments)', () => {
  it('lists newest first, 10 by default, with page from 0 and has_more', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push((await h.payment({ metadata: { order_ref: `order-${i}` } })).id);
      h.clock.advance(1000);
    }
    const newestFirst = [...ids].reverse();
    const first = await h.api.get<ListJson<PaymentJson>>('/v1/payments');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object: 'list', page: 0, per_page: 10, has_more: true });
    expect(first.body.data.map((p) => p.id)).toEqual(newestFirst.slice(0, 10));
    // The reference's example: 12 objects, per_page=8, the ninth is on page 1.
    const second = await h.api.get<ListJson<PaymentJson>>('/v1/payments?page=1&per_page=8');
    expect(second.body).toMatchObject({ page: 1, per_page: 8, has_more: false });
    expect(second.body.data.map((p) => p.id)).toEqual(newestFirst.slice(8));
    const beyond = await h.api.get<ListJson<PaymentJson>>('/v1/payments?page=5&per_page=8');
    expect(beyond.body).toMatchObject({ data: [], has_more: false });
    // However far past the data, as PlutoPay and Plural answer (before, past page 1,000,000 was a 400).
    for (const page of [5_000_000, 999_999_999_999_999]) {
      const far = await h.api.get<ListJson<PaymentJson>>(`/v1/payments?page=${page}&per_page=100`);
      expect({ status: far.status, body: far.body }).toEqual({
        status: 200,
        body: { object: 'list', page, per_page: 100, has_more: false, data: [] },
      });
    }
  });

  it('orders payments created in the same second newest first too', async () => {
    const a = await h.payment();
    const b = await h.payment();
    const c = await h.payment();
    const list = await h.api.get<ListJson<PaymentJson>>('/v1/payments?per_page=3');
    expect(list.body.data.map((p) => p.id)).toEqual([c.id, b.id, a.id]);
  });

  it('answers 100 objects (no error) when per_page is above 100', async () => {
    for (let i = 0; i < 101; i++) await h.payment();
    const list = await h.api.get<ListJson<PaymentJson>>('/v1/payments?per_page=500');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ per_page: 100, has_more: true });
    expect(list.body.data).toHaveLength(100);
    // However far above: a number too long for any integer the sandbox keeps is still above 100.
    const huge = await h.api.get<ListJson<PaymentJson>>('/v1/payments?per_page=99999999999999999999');
    expect(huge.status).toBe(200);
    expect(huge.body).toMatchObject({ per_page: 100, has_more: true });
  });

  it('finds a payment by the order reference in its metadata (PayPlug has no idempotency key)', async () => {
    for (let i = 0; i < 5; i++) await h.payment({ metadata: { order_ref: `T1-${i}` } });
    const list = await h.api.get<ListJson<PaymentJson>>('/v1/payments?per_page=20');
    const found = list.body.data.filter((p) => p.metadata?.order_ref === 'T1-3');
    expect(found).toHaveLength(1);
  });

  for (const query of ['page=-1', 'page=x', 'per_page=0', 'per_page=1.5', 'sort=asc', 'page=1&page=2']) {
    it(`refuses ?${query} with 400`, async () => {
      const answer = await h.api.get<PayPlugError>(`/v1/payments?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body.object).toBe('error');
      expect(answer.body.details).toBeDefined();
    });
  }
});

describe('PATCH /v1/payments/{payment_id} (abort a payment)', () => {
  it('aborts an unpaid payment: failure aborted, the page closes', async () => {
    const p = await h.payment();
    const answer = await h.api.call<PaymentJson>('PATCH', `/v1/payments/${p.id}`, { aborted: true });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      is_paid: false,
      failure: { code: 'aborted', message: 'You have aborted the transaction.' },
    });
    const page = await fetch(p.hosted_payment!.payment_url);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('no longer available');
  });

  it('refuses to abort a paid or a failed payment', async () => {
    const paid = await h.payment();
    await h.pay(paid.id);
    const refused = await h.api.call<PayPlugError>('PATCH', `/v1/payments/${paid.id}`, { aborted: true });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toHaveProperty('aborted');
    const aborted = await h.payment();
    await h.api.call('PATCH', `/v1/payments/${aborted.id}`, { aborted: true });
    expect((await h.api.call('PATCH', `/v1/payments/${aborted.id}`, { aborted: true })).status).toBe(400);
  });

  it('refuses aborted: false and non-boolean values', async () => {
    const p = await h.payment();
    for (const value of [false, 'true', 1]) {
      const answer = await h.api.call<PayPlugError>('PATCH', `/v1/payments/${p.id}`, { aborted: value });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toHaveProperty('aborted');
    }
    expect((await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body.failure).toBeNull();
  });
});

describe('PATCH /v1/payments/{payment_id} (capture a payment)', () => {
  it('captures an authorized deferred payment within 7 days', async () => {
    const p = (
      await h.api.post<PaymentJson>('/v1/payments', { authorized_amount: 3300, currency: 'EUR', customer: CUSTOMER })
    ).body;
    const authorized = await h.pay(p.id);
    expect(authorized).toMatchObject({
      is_paid: false,
      paid_at: null,
      // 7 calendar days, the authorization day first: 00:00 UTC on 2026-02-23.
      authorization: { authorized_amount: 3300, authorized_at: unix(START), expires_at: unix(Date.UTC(2026, 1, 23)) },
      card: { last4: '4242', brand: 'Visa', country: 'FR' },
    });
    await h.advance(6 * 86400);
    const captured = await h.api.call<PaymentJson>('PATCH', `/v1/payments/${p.id}`, { captured: true });
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ is_paid: true, paid_at: unix(START) + 6 * 86400, failure: null });
    expect(captured.body.authorization!.authorized_at).toBe(unix(START));
    expect(captured.body.hosted_payment!.paid_at).toBe(captured.body.paid_at);
  });

  it('refuses to capture a payment that is not deferred, not yet authorized, or already captured', async () => {
    const immediate = await h.payment();
    await h.pay(immediate.id);
    const notDeferred = await h.api.call<PayPlugError>('PATCH', `/v1/payments/${immediate.id}`, { captured: true });
    expect(notDeferred.status).toBe(400);
    expect(notDeferred.body.details).toHaveProperty('captured');
    const deferred = (await h.api.post<PaymentJson>('/v1/payments', { authorized_amount: 1000, currency: 'EUR' })).body;
    expect((await h.api.call('PATCH', `/v1/payments/${deferred.id}`, { captured: true })).status).toBe(400);
    await h.pay(deferred.id);
    expect((await h.api.call('PATCH', `/v1/payments/${deferred.id}`, { captured: true })).status).toBe(200);
    expect((await h.api.call('PATCH', `/v1/payments/${deferred.id}`, { captured: true })).status).toBe(400);
    expect((await h.api.call('PATCH', `/v1/payments/${deferred.id}`, { captured: false })).status).toBe(400);
  });

  it('an authorized payment can be aborted instead of captured', async () => {
    const deferred = (await h.api.post<PaymentJson>('/v1/payments', { authorized_amount: 1000, currency: 'EUR' })).body;
    await h.pay(deferred.id);
    const aborted = await h.api.call<PaymentJson>('PATCH', `/v1/payments/${deferred.id}`, { aborted: true });
    expect(aborted.body.failure!.code).toBe('aborted');
    expect((await h.api.call('PATCH', `/v1/payments/${deferred.id}`, { captured: true })).status).toBe(400);
  });
});

describe('PATCH /v1/payments/{payment_id} (update metadata)', () => {
  it('replaces every key, in any state', async () => {
    const p = await h.payment({ metadata: { customer_id: 42, order_ref: 'A' } });
    await h.pay(p.id);
    const answer = await h.api.call<PaymentJson>('PATCH', `/v1/payments/${p.id}`, {
      metadata: { customer_id: 42, comment: 'asked questions about size' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.metadata).toEqual({ customer_id: 42, comment: 'asked questions about size' });
    expect(answer.body.is_paid).toBe(true);
    const cleared = await h.api.call<PaymentJson>('PATCH', `/v1/payments/${p.id}`, { metadata: {} });
    expect(cleared.body.metadata).toEqual({});
  });

  it('takes exactly one of aborted, captured or metadata', async () => {
    const p = await h.payment();
    for (const body of [
      {},
      { aborted: true, metadata: { a: 1 } },
      { aborted: true, captured: true },
      { metadata: null },
    ]) {
      const answer = await h.api.call<PayPlugError>('PATCH', `/v1/payments/${p.id}`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.message).toBe('Wrong or missing parameters (see details).');
    }
    const bad = await h.api.call<PayPlugError>('PATCH', `/v1/payments/${p.id}`, { metadata: { k: { nested: 1 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toHaveProperty('metadata');
    expect((await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body).toEqual(p);
    expect((await h.api.call('PATCH', '/v1/payments/pay_nope', { aborted: true })).status).toBe(404);
  });
});
