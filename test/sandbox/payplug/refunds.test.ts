/** Refund endpoints: create, retrieve, list (GET: the reference's "POST" for listing is a misprint). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  START,
  startPayPlug,
  unix,
  type ListJson,
  type PayPlugError,
  type PayPlugHarness,
  type PaymentJson,
  type RefundJson,
} from './helpers';

let h: PayPlugHarness;
let paid: PaymentJson;
beforeEach(async () => {
  h = await startPayPlug();
  paid = await h.payment({ amount: 3300 });
  await h.pay(paid.id);
});
afterEach(() => h.close());

describe('POST /v1/payments/{payment_id}/refunds (create a refund)', () => {
  it('refunds part of a payment, with every documented field', async () => {
    const answer = await h.api.post<RefundJson>(`/v1/payments/${paid.id}/refunds`, {
      amount: 358,
      metadata: { customer_id: 42, reason: 'The delivery was delayed' },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.id).toMatch(/^re_[A-Za-z0-9]{22}$/);
    expect(answer.body).toEqual({
      id: answer.body.id,
      payment_id: paid.id,
      object: 'refund',
      is_live: false,
      amount: 358,
      currency: 'EUR',
      created_at: unix(START),
      metadata: { customer_id: 42, reason: 'The delivery was delayed' },
    });
    const payment = (await h.api.get<PaymentJson>(`/v1/payments/${paid.id}`)).body;
    expect(payment).toMatchObject({ amount_refunded: 358, is_refunded: false, is_paid: true });
  });

  it('without an amount refunds what is left, then refuses another refund', async () => {
    await h.api.post(`/v1/payments/${paid.id}/refunds`, { amount: 300 });
    const rest = await h.api.post<RefundJson>(`/v1/payments/${paid.id}/refunds`, {});
    expect(rest.status).toBe(201);
    expect(rest.body.amount).toBe(3000);
    expect(rest.body.metadata).toBeNull();
    const payment = (await h.api.get<PaymentJson>(`/v1/payments/${paid.id}`)).body;
    expect(payment).toMatchObject({ amount_refunded: 3300, is_refunded: true });
    const again = await h.api.post<PayPlugError>(`/v1/payments/${paid.id}/refunds`, {});
    expect(again.status).toBe(400);
    expect(again.body.message).toBe('This payment has already been fully refunded.');
    expect(again.body.details).toEqual({ amount: 'This payment has already been fully refunded.' });
  });

  it('refuses more than is left, less than 10 cents, and unpaid payments', async () => {
    await h.api.post(`/v1/payments/${paid.id}/refunds`, { amount: 3000 });
    const tooMuch = await h.api.post<PayPlugError>(`/v1/payments/${paid.id}/refunds`, { amount: 301 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.details).toHaveProperty('amount');
    const tiny = await h.api.post<PayPlugError>(`/v1/payments/${paid.id}/refunds`, { amount: 9 });
    expect(tiny.status).toBe(400);
    expect(tiny.body.details).toHaveProperty('amount');
    expect((await h.api.post(`/v1/payments/${paid.id}/refunds`, { amount: 10 })).status).toBe(201);
    const unpaid = await h.payment();
    const refused = await h.api.post<PayPlugError>(`/v1/payments/${unpaid.id}/refunds`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/has not been paid/);
    const deferred = (await h.api.post<PaymentJson>('/v1/payments', { authorized_amount: 1000, currency: 'EUR' })).body;
    await h.pay(deferred.id);
    // Authorized is not paid: capture first.
    expect((await h.api.post(`/v1/payments/${deferred.id}/refunds`, {})).status).toBe(400);
    expect((await h.api.post('/v1/payments/pay_nope/refunds', {})).status).toBe(404);
    expect((await h.api.get<PaymentJson>(`/v1/payments/${paid.id}`)).body.amount_refunded).toBe(3010);
  });

  it('refuses malformed parameters with details', async () => {
    for (const body of [{ amount: '100' }, { amount: 10.5 }, { reason: 'x' }, { metadata: 'x' }]) {
      const answer = await h.api.post<PayPlugError>(`/v1/payments/${paid.id}/refunds`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(answer.body.details!)).toHaveLength(1);
    }
    expect((await h.api.get<PaymentJson>(`/v1/payments/${paid.id}`)).body.amount_refunded).toBe(0);
  });
});

describe('GET /v1/payments/{payment_id}/refunds/{refund_id} (retrieve a refund)', () => {
  it('answers the refund; 404 for an unknown refund or one of another payment', async () => {
    const refund = (await h.api.post<RefundJson>(`/v1/payments/${paid.id}/refunds`, { amount: 500 })).body;
    const answer = await h.api.get<RefundJson>(`/v1/payments/${paid.id}/refunds/${refund.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(refund);
    const other = await h.payment();
    expect((await h.api.get(`/v1/payments/${other.id}/refunds/${refund.id}`)).status).toBe(404);
    expect((await h.api.get(`/v1/payments/${paid.id}/refunds/re_nope`)).status).toBe(404);
  });
});

describe('GET /v1/payments/{payment_id}/refunds (list all refunds)', () => {
  it('lists the payment’s refunds newest first, paginated like payments', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await h.api.post<RefundJson>(`/v1/payments/${paid.id}/refunds`, { amount: 100 + i })).body.id);
      h.clock.advance(1000);
    }
    const list = await h.api.get<ListJson<RefundJson>>(`/v1/payments/${paid.id}/refunds`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ object: 'list', page: 0, per_page: 10, has_more: false });
    expect(list.body.data.map((r) => r.id)).toEqual([...ids].reverse());
    const paged = await h.api.get<ListJson<RefundJson>>(`/v1/payments/${paid.id}/refunds?page=0&per_page=2`);
    expect(paged.body).toMatchObject({ has_more: true, per_page: 2 });
    expect(paged.body.data).toHaveLength(2);
    expect((await h.api.get('/v1/payments/pay_nope/refunds')).status).toBe(404);
  });

  it('listing with POST creates a refund instead: POST on this path is "create"', async () => {
    const answer = await h.api.post<RefundJson>(`/v1/payments/${paid.id}/refunds`);
    expect(answer.status).toBe(201);
    expect(answer.body.object).toBe('refund');
  });
});
