/**
 * Query parameters on routes that change something: refused as a GET refuses an unknown one (same
 * status, code and message), in each gateway's own error format, and nothing is changed. Before,
 * `POST /v1/transactions?x=1` made a payment, the query silently dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type ErrorResponse, type Harness } from './helpers';
import { CUSTOMER, startPayPlug, type PayPlugError, type PayPlugHarness } from './payplug/helpers';
import { startPlural, type PluralError, type PluralHarness } from './plural/helpers';

describe('PlutoPay: an unknown query parameter on POST, PUT or DELETE', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.close());

  it('is refused as on GET, and nothing is changed', async () => {
    const onGet = await h.api.get<ErrorResponse>('/v1/transactions?x=1');
    expect(onGet.status).toBe(400);
    const refusal = onGet.body;
    expect(refusal).toEqual({
      error: { type: 'invalid_request', message: 'Unknown query parameter: x', param: 'x', code: 'parameter_unknown' },
    });

    const create = await h.api.post<ErrorResponse>('/v1/transactions?x=1', { amount: 1500, currency: 'usd' });
    expect({ status: create.status, body: create.body }).toEqual({ status: 400, body: refusal });
    expect((await h.api.get<{ data: unknown[] }>('/v1/transactions')).body.data).toEqual([]);

    const customer = await h.api.post<{ id: string; name: string }>('/v1/customers', { name: 'Ann' });
    expect(customer.status).toBe(201);
    const rename = await h.api.put<ErrorResponse>(`/v1/customers/${customer.body.id}?x=1`, { name: 'Bob' });
    expect({ status: rename.status, body: rename.body }).toEqual({ status: 400, body: refusal });
    const remove = await h.api.del<ErrorResponse>(`/v1/customers/${customer.body.id}?x=1`);
    expect({ status: remove.status, body: remove.body }).toEqual({ status: 400, body: refusal });
    const kept = await h.api.get<{ name: string }>(`/v1/customers/${customer.body.id}`);
    expect(kept).toMatchObject({ status: 200, body: { name: 'Ann' } });
  });

  it('names the first unknown parameter, and an empty query is no parameter', async () => {
    const create = await h.api.post<ErrorResponse>('/v1/transactions?expand=card&x=1', { amount: 1500 });
    expect(create.status).toBe(400);
    expect(create.body.error).toMatchObject({ param: 'expand', message: 'Unknown query parameter: expand' });
    const bare = await h.api.post('/v1/transactions?', { amount: 1500, currency: 'usd' });
    expect(bare.status).toBe(201);
  });

  it('a request without the key is still told so first', async () => {
    const create = await h.api.post<ErrorResponse>('/v1/transactions?x=1', { amount: 1500 }, { key: null });
    expect(create.status).toBe(401);
  });
});

describe('PayPlug: an unknown query parameter on POST', () => {
  let p: PayPlugHarness;
  beforeAll(async () => {
    p = await startPayPlug();
  });
  afterAll(() => p.close());

  it('is refused as on GET, in its own format, and no payment is made', async () => {
    const onGet = await p.api.get<PayPlugError>('/v1/payments?x=1');
    expect(onGet.status).toBe(400);
    const { id: _getId, ...refusal } = onGet.body;
    expect(refusal).toEqual({
      object: 'error',
      message: 'Wrong or missing parameters (see details).',
      details: { x: 'Unknown query parameter: x' },
    });

    const create = await p.api.post<PayPlugError>('/v1/payments?x=1', { amount: 3300, currency: 'EUR' });
    expect(create.status).toBe(400);
    const { id: _postId, ...refused } = create.body;
    expect(refused).toEqual(refusal);
    expect((await p.api.get<{ data: unknown[] }>('/v1/payments')).body.data).toEqual([]);
  });
});

describe('Plural: an unknown query parameter on POST', () => {
  let r: PluralHarness;
  beforeAll(async () => {
    r = await startPlural();
  });
  afterAll(() => r.close());

  it('is refused as on GET, in its own format, and no order is made', async () => {
    const onGet = await r.api.call<PluralError>('GET', '/_sandbox/webhook-deliveries?x=1');
    expect(onGet.status).toBe(400);
    expect(onGet.body).toMatchObject({ code: 'INVALID_REQUEST', message: 'Unknown query parameter: x' });

    const create = await r.api.call<PluralError>('POST', '/api/pay/v1/orders?x=1', {
      merchant_order_reference: 'query-1',
      order_amount: { value: 50000, currency: 'INR' },
    });
    expect({ status: create.status, body: create.body }).toEqual({ status: 400, body: onGet.body });
    expect(await r.api.ledger()).toEqual([]);
  });
});

describe('PlutoPay: an unknown query parameter on a GET that takes none', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.close());

  it('is refused on every single-item and unpaged read, as a list refuses it', async () => {
    const refusal = (await h.api.get<ErrorResponse>('/v1/transactions?x=1')).body;
    const payment = await h.api.payment({ amount: 1500, currency: 'usd' });
    const customer = await h.api.post<{ id: string }>('/v1/customers', { name: 'Ann' });
    const paths = [
      `/v1/transactions/${payment.id}`,
      `/v1/customers/${customer.body.id}`,
      '/v1/merchant',
      '/v1/health',
      '/v1/terminal/readers',
      '/_sandbox/faults',
      '/_sandbox/ledger',
    ];
    for (const path of paths) {
      const plain = await h.api.get(path);
      expect({ path, status: plain.status }).toEqual({ path, status: 200 });
      const refused = await h.api.get<ErrorResponse>(`${path}?x=1`);
      expect({ path, status: refused.status, body: refused.body }).toEqual({ path, status: 400, body: refusal });
    }
  });

  it('is refused once the id is found (an unknown id is 404 first), and an empty query is no parameter', async () => {
    const missing = await h.api.get<ErrorResponse>('/v1/transactions/txn_missing?expand=card');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'resource_missing' });
    const payment = await h.api.payment({ amount: 1500, currency: 'usd' });
    const found = await h.api.get<ErrorResponse>(`/v1/transactions/${payment.id}?expand=card`);
    expect(found.status).toBe(400);
    expect(found.body.error).toMatchObject({ param: 'expand', code: 'parameter_unknown' });
    expect((await h.api.get(`/v1/transactions/${payment.id}?`)).status).toBe(200);
  });

  it('the hosted page, opened by a browser, still ignores what it does not read', async () => {
    const session = await h.api.post<{ id: string; url: string }>('/v1/checkout/sessions', {
      amount: 1500,
      currency: 'usd',
      success_url: 'http://127.0.0.1/ok',
      cancel_url: 'http://127.0.0.1/cancel',
    });
    expect(session.status).toBe(201);
    const page = await fetch(`${session.body.url}?utm_source=mail`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('PayPlug: an unknown query parameter on a GET that takes none', () => {
  let p: PayPlugHarness;
  beforeAll(async () => {
    p = await startPayPlug();
  });
  afterAll(() => p.close());

  it('is refused on a payment, a refund and a plan, in its own format', async () => {
    const { id: _listId, ...refusal } = (await p.api.get<PayPlugError>('/v1/payments?x=1')).body;
    const payment = await p.payment();
    await p.pay(payment.id);
    const refund = await p.api.post<{ id: string }>(`/v1/payments/${payment.id}/refunds`, { amount: 100 });
    expect(refund.status).toBe(201);
    const plan = await p.api.post<{ id: string }>('/v1/installment_plans', {
      currency: 'EUR',
      customer: CUSTOMER,
      hosted_payment: { return_url: 'https://example.net/ok', cancel_url: 'https://example.net/cancel' },
      schedule: [
        { date: 'TODAY', amount: 1000 },
        { date: '2026-03-02', amount: 1000 },
      ],
    });
    expect(plan.status, plan.text).toBe(201);
    const paths = [
      `/v1/payments/${payment.id}`,
      `/v1/payments/${payment.id}/refunds/${refund.body.id}`,
      `/v1/installment_plans/${plan.body.id}`,
    ];
    for (const path of paths) {
      expect({ path, status: (await p.api.get(path)).status }).toEqual({ path, status: 200 });
      const refused = await p.api.get<PayPlugError>(`${path}?x=1`);
      const { id: _id, ...body } = refused.body;
      expect({ path, status: refused.status, body }).toEqual({ path, status: 400, body: refusal });
    }
  });
});

describe('Plural: an unknown query parameter on a GET that takes none', () => {
  let r: PluralHarness;
  beforeAll(async () => {
    r = await startPlural();
  });
  afterAll(() => r.close());

  it('is refused on an order, by id and by reference, in its own format', async () => {
    const refusal = (await r.api.call<PluralError>('GET', '/_sandbox/webhook-deliveries?x=1')).body;
    const order = await r.api.createOrder({ merchant_order_reference: 'query-single' });
    for (const path of [`/api/pay/v1/orders/${order.order_id}`, '/api/pay/v1/orders/reference/query-single']) {
      expect({ path, status: (await r.api.call('GET', path)).status }).toEqual({ path, status: 200 });
      const refused = await r.api.call<PluralError>('GET', `${path}?x=1`);
      expect({ path, status: refused.status, body: refused.body }).toEqual({ path, status: 400, body: refusal });
    }
  });
});

describe('a query string that is not UTF-8', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.close());

  it('is refused (400) rather than searched for with U+FFFD, as a body or a form is', async () => {
    expect((await h.api.post('/v1/customers', { name: 'Café Lumière' })).status).toBe(201);
    await h.api.payment({ amount: 2500, description: 'Café crème' });
    for (const path of ['/v1/transactions?search=Caf%E9', '/v1/customers?search=Caf%E9', '/v1/transactions?%E9=1']) {
      const refused = await h.api.get<ErrorResponse>(path);
      expect(refused.status, path).toBe(400);
      expect(refused.body.error).toMatchObject({ type: 'invalid_request', code: 'invalid_query' });
      expect(refused.body.error.message).toContain('not UTF-8');
    }
    // The same text sent in UTF-8 finds what it names.
    const found = await h.api.get<{ data: Array<{ description: string }> }>('/v1/transactions?search=Caf%C3%A9');
    expect(found.body.data.map((t) => t.description)).toEqual(['Café crème']);
    const customers = await h.api.get<{ data: Array<{ name: string }> }>('/v1/customers?search=Caf%C3%A9');
    expect(customers.body.data.map((c) => c.name)).toEqual(['Café Lumière']);
  });
});
