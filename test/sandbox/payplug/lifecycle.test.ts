/** What the clock does to payments (15-minute pages, 7-day authorizations) and saved cards. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CUSTOMER,
  START,
  startPayPlug,
  unix,
  type LedgerJson,
  type PayPlugError,
  type PayPlugHarness,
  type PaymentJson,
} from './helpers';

const MINUTE = 60;
const DAY = 86_400;
let h: PayPlugHarness;
beforeEach(async () => {
  h = await startPayPlug();
});
afterEach(() => h.close());

async function get(id: string): Promise<PaymentJson> {
  return (await h.api.get<PaymentJson>(`/v1/payments/${id}`)).body;
}

describe('the 15-minute payment page', () => {
  it('an untried payment fails with timeout at 15 minutes, not before', async () => {
    const p = await h.payment();
    await h.advance(15 * MINUTE - 1);
    expect((await get(p.id)).failure).toBeNull();
    expect((await fetch(p.hosted_payment!.payment_url)).status).toBe(200);
    await h.advance(1);
    expect((await get(p.id)).failure).toEqual({
      code: 'timeout',
      message: 'The customer has not tried to pay and left the payment page.',
    });
    const page = await fetch(p.hosted_payment!.payment_url);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('expired');
    expect((await h.api.post(`/_sandbox/payments/${p.id}/pay`, { card_number: '4242424242424242' })).status).toBe(400);
  });

  it('after failed attempts, it fails at 15 minutes with the last attempt’s code', async () => {
    const p = await h.payment();
    await h.pay(p.id, '4000000000000051');
    await h.pay(p.id, '4000000000000085');
    expect((await get(p.id)).failure).toBeNull();
    await h.advance(15 * MINUTE);
    expect((await get(p.id)).failure).toEqual({
      code: 'processing_error',
      message: 'Error while processing the card.',
    });
  });

  it('paid after failed attempts: no failure', async () => {
    const p = await h.payment();
    await h.pay(p.id, '4000000000000051');
    await h.pay(p.id);
    await h.advance(20 * MINUTE);
    expect(await get(p.id)).toMatchObject({ is_paid: true, failure: null });
  });

  it('the clock also moves on real time: a request after the deadline sees the expiry', async () => {
    const p = await h.payment();
    h.clock.advance(15 * MINUTE * 1000);
    expect((await get(p.id)).failure!.code).toBe('timeout');
  });

  it('a payment with hosted_payment.sent_by never expires', async () => {
    for (const sent_by of ['EMAIL', 'SMS', 'OTHER']) {
      const p = await h.payment({
        customer: { ...CUSTOMER, phone_number: '33612345678' },
        hosted_payment: { sent_by },
      });
      expect(p.hosted_payment!.sent_by).toBe(sent_by);
      await h.advance(30 * DAY);
      expect((await get(p.id)).failure).toBeNull();
      expect((await h.pay(p.id)).is_paid).toBe(true);
    }
  });
});

describe('the 7-day authorization of a deferred payment', () => {
  it('can be captured through the 7th calendar day (UTC) counting the authorization day, not after', async () => {
    // The reference: "expires 7 calendar days after its authorization", and its example authorized at
    // 12:51:42 UTC expires at 00:00 UTC seven dates later (1555073502 → 1555632000), not 7 × 24 h later.
    const create = async (): Promise<PaymentJson> =>
      (await h.api.post<PaymentJson>('/v1/payments', { authorized_amount: 5000, currency: 'EUR' })).body;
    const early = await create();
    const late = await create();
    await h.advance(10 * MINUTE);
    const authorized = await h.pay(late.id);
    await h.pay(early.id);
    const authorizedAt = unix(START) + 10 * MINUTE; // 2026-02-16T16:28:00Z
    const expiresAt = unix(Date.UTC(2026, 1, 23)); // 2026-02-23T00:00:00Z
    expect(authorized.authorization).toEqual({
      authorized_amount: 5000,
      authorized_at: authorizedAt,
      expires_at: expiresAt,
    });
    // Authorized means the page is done: it never times out.
    await h.advance(expiresAt - authorizedAt - 1);
    expect((await get(late.id)).failure).toBeNull();
    const captured = await h.api.call<PaymentJson>('PATCH', `/v1/payments/${early.id}`, { captured: true });
    expect(captured.status).toBe(200);
    expect(captured.body.is_paid).toBe(true);
    await h.advance(1);
    const refused = await h.api.call<PayPlugError>('PATCH', `/v1/payments/${late.id}`, { captured: true });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual({
      captured: 'The authorization has expired: this payment can no longer be captured.',
    });
    // The reference has the client watch authorization.expires_at; the object itself does not change.
    expect(await get(late.id)).toMatchObject({ is_paid: false, failure: null });
    const ledger = (await h.api.get<LedgerJson>('/_sandbox/ledger')).body;
    expect(ledger.payments.find((p) => p.id === late.id)).toMatchObject({
      status: 'authorization_expired',
      captured: false,
      deferred: true,
    });
  });

  it('a deferred payment not authorized in 15 minutes times out like any other', async () => {
    const p = (await h.api.post<PaymentJson>('/v1/payments', { authorized_amount: 5000, currency: 'EUR' })).body;
    await h.advance(15 * MINUTE);
    expect((await get(p.id)).failure!.code).toBe('timeout');
  });
});

describe('saved cards', () => {
  it('save_card: the card id comes once paid, and pays one-click payments at once', async () => {
    const first = await h.payment({ save_card: true, customer: CUSTOMER });
    expect(first.card.id).toBeNull();
    const paid = await h.pay(first.id, '5500005555555559');
    expect(paid.save_card).toBe(true);
    expect(paid.is_3ds).toBe(true);
    expect(paid.card.id).toMatch(/^card_[0-9a-f]{32}$/);
    const answer = await h.api.post<PaymentJson>('/v1/payments', {
      amount: 1000,
      currency: 'EUR',
      payment_method: paid.card.id,
      customer: CUSTOMER,
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      amount: 1000,
      is_paid: true,
      paid_at: unix(START),
      hosted_payment: null,
      is_3ds: false,
      save_card: false,
      failure: null,
      metadata: null,
      notification: { url: null, response_code: null },
      card: { id: paid.card.id, last4: '5559', brand: 'Mastercard', exp_month: 12 },
    });
    const deferred = await h.api.post<PaymentJson>('/v1/payments', {
      authorized_amount: 1000,
      currency: 'EUR',
      payment_method: paid.card.id,
      customer: CUSTOMER,
    });
    expect(deferred.body).toMatchObject({ is_paid: false, authorization: { authorized_at: unix(START) } });
  });

  it('allow_save_card: saved only when the customer ticks the box', async () => {
    const declined = await h.payment({ allow_save_card: true, customer: CUSTOMER });
    expect((await h.pay(declined.id)).card.id).toBeNull();
    const accepted = await h.payment({ allow_save_card: true, customer: CUSTOMER });
    expect((await h.pay(accepted.id, '4242424242424242', { save_card: true })).card.id).toMatch(/^card_/);
    const page = await fetch(accepted.hosted_payment!.payment_url);
    expect(await page.text()).not.toContain('required>Save');
    const optional = await h.payment({ allow_save_card: true, customer: CUSTOMER });
    const html = await (await fetch(optional.hosted_payment!.payment_url)).text();
    expect(html).toContain('name="save_card"');
    expect(html).not.toMatch(/name="save_card" value="1" checked/);
  });

  it('a payment that offers no saving refuses "save my card" from its page', async () => {
    // Found by a tester: it was quietly ignored (paid, no card kept); refusing the opposite was not.
    const p = await h.payment({ customer: CUSTOMER });
    const refused = await h.api.post<PayPlugError>(`/_sandbox/payments/${p.id}/pay`, {
      card_number: '4242424242424242',
      save_card: true,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toHaveProperty('save_card');
    expect((await get(p.id)).is_paid).toBe(false);
  });

  it('a customer missing for sent_by SMS is asked for the phone number, not a name and email', async () => {
    const sms = await h.api.post<PayPlugError>('/v1/payments', {
      amount: 1000,
      currency: 'EUR',
      hosted_payment: { sent_by: 'SMS' },
    });
    expect(sms.status).toBe(400);
    expect(JSON.stringify(sms.body)).toContain('The customer is required for this payment (phone_number).');
  });

  it('save_card: the page box is ticked and cannot be refused', async () => {
    const p = await h.payment({ save_card: true, customer: CUSTOMER });
    expect(await (await fetch(p.hosted_payment!.payment_url)).text()).toMatch(
      /name="save_card" value="1" checked required/,
    );
    const refused = await h.api.post<PayPlugError>(`/_sandbox/payments/${p.id}/pay`, {
      card_number: '4242424242424242',
      save_card: false,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toHaveProperty('save_card');
    const form = await fetch(p.hosted_payment!.payment_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'card_number=4242424242424242&exp_month=12&exp_year=2030&cvc=123',
    });
    expect(form.status).toBe(400);
    expect((await get(p.id)).is_paid).toBe(false);
  });

  it('a card id works for 15 months, and never after the card expires', async () => {
    const p = await h.payment({ save_card: true, customer: CUSTOMER });
    const cardId = (await h.pay(p.id, '4242424242424242', { exp_month: 12, exp_year: 2030 })).card.id!;
    const oneClick = { amount: 1000, currency: 'EUR', payment_method: cardId, customer: CUSTOMER };
    await h.advance(300 * DAY);
    await h.advance(150 * DAY);
    expect((await h.api.post('/v1/payments', oneClick)).status).toBe(201);
    await h.advance(20 * DAY);
    const refused = await h.api.post<PayPlugError>('/v1/payments', oneClick);
    expect(refused.status).toBe(400);
    expect(refused.body.details).toHaveProperty('payment_method');

    // Now 2027-06-03: a card expiring at the end of June 2027 works until July starts.
    const short = await h.payment({ save_card: true, customer: CUSTOMER });
    const shortId = (await h.pay(short.id, '4242424242424242', { exp_month: 6, exp_year: 2027 })).card.id!;
    expect((await h.api.post('/v1/payments', { ...oneClick, payment_method: shortId })).status).toBe(201);
    await h.advance(30 * DAY);
    expect((await h.api.post('/v1/payments', { ...oneClick, payment_method: shortId })).status).toBe(400);
  });

  it('refuses payment_method together with hosted_payment or save_card', async () => {
    const p = await h.payment({ save_card: true, customer: CUSTOMER });
    const cardId = (await h.pay(p.id)).card.id!;
    const withPage = await h.api.post<PayPlugError>('/v1/payments', {
      amount: 1000,
      currency: 'EUR',
      payment_method: cardId,
      customer: CUSTOMER,
      hosted_payment: { return_url: 'https://shop.example/ok' },
    });
    expect(withPage.status).toBe(400);
    expect(withPage.body.details).toHaveProperty('hosted_payment');
    const resave = await h.api.post<PayPlugError>('/v1/payments', {
      amount: 1000,
      currency: 'EUR',
      payment_method: cardId,
      customer: CUSTOMER,
      save_card: true,
    });
    expect(resave.body.details).toHaveProperty('save_card');
  });
});
