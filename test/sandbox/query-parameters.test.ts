/**
 * Query parameters on routes that change something: refused as a GET refuses an unknown one (same
 * status, code and message), in each gateway's own error format, and nothing is changed. Before,
 * `POST /v1/transactions?x=1` made a payment, the query silently dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type ErrorResponse, type Harness } from './helpers';
import { startPayPlug, type PayPlugError, type PayPlugHarness } from './payplug/helpers';
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
