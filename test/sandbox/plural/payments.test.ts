/** Card payments (frictionless, challenge, declined), attempts, capture and cancel of a pre-authorisation. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  expectedSignature,
  inr,
  PluralApi,
  startPlural,
  type Order,
  type PluralError,
  type PluralHarness,
} from './helpers';

let h: PluralHarness;
beforeEach(async () => {
  h = await startPlural();
});
afterEach(() => h.close());

const CALLBACK = 'http://127.0.0.1:9/plural/return?shop=7';

/** Attempts made on each order so far: every attempt has its own merchant_payment_reference. */
const attempts = new Map<string, number>();

async function payByApi(orderId: string, card: string, value = 50000): Promise<Order> {
  const attempt = (attempts.get(orderId) ?? 0) + 1;
  attempts.set(orderId, attempt);
  const body = PluralApi.paymentBody(card, value, `pay-ref-${attempt}`);
  return h.api.ok('POST', `/api/pay/v1/orders/${orderId}/payments`, body);
}

/** Submits the challenge page's form as a browser would. */
async function answerChallenge(challengeUrl: string, result: 'success' | 'failure'): Promise<Response> {
  const token = new URL(challengeUrl).searchParams.get('token')!;
  return fetch(`${h.api.url}/web/auth/landing`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, result }).toString(),
    redirect: 'manual',
  });
}

function redirectParams(location: string | null): Record<string, string> {
  const url = new URL(location!);
  expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:9/plural/return');
  expect(url.searchParams.get('shop')).toBe('7');
  const params = Object.fromEntries(url.searchParams);
  delete params.shop;
  return params;
}

describe('POST /api/pay/v1/orders/{order_id}/payments', () => {
  it('a frictionless card processes the order at once', async () => {
    const created = await h.api.createOrder({ callback_url: CALLBACK });
    const order = await payByApi(created.order_id, '4111111111111111');
    expect(order.status).toBe('PROCESSED');
    expect(order).not.toHaveProperty('challenge_url');
    expect(order.payment_retries_remaining).toBe(9);
    expect(order.payments).toHaveLength(1);
    expect(order.payments![0]).toMatchObject({
      id: `${created.order_id}-cc-a`,
      merchant_payment_reference: 'pay-ref-1',
      status: 'PROCESSED',
      payment_amount: inr(50000),
      payment_method: 'CARD',
      payment_option: {
        card_data: {
          card_type: 'CREDIT',
          network_name: 'VISA',
          issuer_name: 'HDFC',
          last4_digit: '1111',
          country_code: 'IND',
        },
      },
      acquirer_data: { is_aggregator: true },
    });
    expect(order.payments![0]!.acquirer_data!.approval_code).toMatch(/^\d{6}$/);
    expect(order.payments![0]!.acquirer_data!.rrn).toMatch(/^\d{12}$/);
    // A processed order takes no second payment.
    const again = await h.api.call<PluralError>(
      'POST',
      `/api/pay/v1/orders/${created.order_id}/payments`,
      PluralApi.paymentBody('4111111111111111'),
    );
    expect(again.status).toBe(422);
    expect(again.body.code).toBe('INVALID_ORDER_STATE');
  });

  it('a 3-D Secure card answers PENDING with a challenge_url; passing it processes the order and redirects signed', async () => {
    const created = await h.api.createOrder({ callback_url: CALLBACK });
    const pending = await payByApi(created.order_id, '4000000000001091');
    expect(pending.status).toBe('PENDING');
    expect(pending.payments![0]!.status).toBe('PENDING');
    expect(pending.challenge_url).toMatch(new RegExp(`^${h.api.url}/web/auth/landing/\\?token=[A-Za-z0-9]{40}$`));
    expect(await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`)).toMatchObject({
      status: 'PENDING',
      challenge_url: pending.challenge_url,
    });

    const page = await fetch(pending.challenge_url!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('₹500.00');
    expect(html).toContain('ending 1091');
    expect(html).toContain('action="/plural/web/auth/landing"');

    const answer = await answerChallenge(pending.challenge_url!, 'success');
    expect(answer.status).toBe(303);
    const params = redirectParams(answer.headers.get('location'));
    expect(params).toEqual({ order_id: created.order_id, status: 'PROCESSED', signature: expect.any(String) });
    expect(params.signature).toBe(expectedSignature(h.sandbox.plural.signature_key, params));

    const done = await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`);
    expect(done.status).toBe('PROCESSED');
    expect(done).not.toHaveProperty('challenge_url');
    // The challenge is over: the page and a second answer say so.
    expect((await fetch(pending.challenge_url!)).status).toBe(409);
    expect((await answerChallenge(pending.challenge_url!, 'failure')).status).toBe(409);
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`)).status).toBe('PROCESSED');
  });

  it('a failed challenge fails the payment (ATTEMPTED) and redirects with the error, signed', async () => {
    const created = await h.api.createOrder({ callback_url: CALLBACK, pre_auth: true });
    const pending = await payByApi(created.order_id, '5200000000001096');
    const answer = await answerChallenge(pending.challenge_url!, 'failure');
    expect(answer.status).toBe(303);
    const params = redirectParams(answer.headers.get('location'));
    expect(params).toEqual({
      order_id: created.order_id,
      status: 'FAILED',
      error_code: 'USER_AUTHENTICATION_FAILED',
      error_message: 'Consumer Authentication required',
      signature: expectedSignature(h.sandbox.plural.signature_key, {
        error_code: 'USER_AUTHENTICATION_FAILED',
        error_message: 'Consumer Authentication required',
        order_id: created.order_id,
        status: 'FAILED',
      }),
    });
    const order = await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`);
    expect(order.status).toBe('ATTEMPTED');
    expect(order.payments![0]).toMatchObject({
      status: 'FAILED',
      error_detail: { code: 'USER_AUTHENTICATION_FAILED', message: 'Consumer Authentication required' },
    });
    // Another attempt on the same order: it is authorized this time (pre_auth).
    const retried = await payByApi(created.order_id, '4111111111111111');
    expect(retried.status).toBe('AUTHORIZED');
    expect(retried.payments!.map((p) => [p.id.slice(-4), p.status])).toEqual([
      ['cc-a', 'FAILED'],
      ['cc-b', 'AUTHORIZED'],
    ]);
  });

  it('the challenge page without a callback_url shows the result; bad answers are refused', async () => {
    const created = await h.api.createOrder();
    const pending = await payByApi(created.order_id, '4000000000001091');
    const token = new URL(pending.challenge_url!).searchParams.get('token')!;
    const bad = await fetch(`${h.api.url}/web/auth/landing`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, result: 'maybe' }).toString(),
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${h.api.url}/web/auth/landing/?token=unknown`)).status).toBe(404);
    expect((await fetch(`${h.api.url}/web/auth/landing`)).status).toBe(404);
    const answer = await answerChallenge(pending.challenge_url!, 'success');
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('Payment complete');
  });

  it('a declined card leaves the order ATTEMPTED; the tenth failed attempt makes it FAILED', async () => {
    const created = await h.api.createOrder();
    const first = await payByApi(created.order_id, '4000000000000002');
    expect(first.status).toBe('ATTEMPTED');
    expect(first.payments![0]).toMatchObject({
      status: 'FAILED',
      error_detail: { code: 'PAYMENT_DECLINED', message: 'The issuer declined the payment.' },
    });
    const funds = await payByApi(created.order_id, '4000000000009995');
    expect(funds.payments![1]!.error_detail!.code).toBe('INSUFFICIENT_FUNDS');
    let order = funds;
    for (let attempt = 3; attempt <= 10; attempt++) order = await payByApi(created.order_id, '4242424242424242');
    expect(order.status).toBe('FAILED');
    expect(order.payment_retries_remaining).toBe(0);
    expect(order.payments).toHaveLength(10);
    expect(order.payments![9]!.error_detail!.message).toMatch(/not a sandbox test card/i);
    const eleventh = await h.api.call<PluralError>(
      'POST',
      `/api/pay/v1/orders/${created.order_id}/payments`,
      PluralApi.paymentBody('4111111111111111'),
    );
    expect(eleventh.status).toBe(422);
    expect(eleventh.body.code).toBe('INVALID_ORDER_STATE');
  });

  it('a new attempt replaces a challenge still waiting', async () => {
    const created = await h.api.createOrder();
    const pending = await payByApi(created.order_id, '4000000000001091');
    const order = await payByApi(created.order_id, '5555555555554444');
    expect(order.status).toBe('PROCESSED');
    expect(order.payments![0]).toMatchObject({ status: 'FAILED', error_detail: { code: 'PAYMENT_ABANDONED' } });
    expect((await fetch(pending.challenge_url!)).status).toBe(409);
  });

  it('a merchant_payment_reference is used once: a retried attempt is refused (409) and abandons nothing', async () => {
    const created = await h.api.createOrder();
    const body = PluralApi.paymentBody('4000000000001091', 50000, 'till-attempt-1');
    const pending = await h.api.ok('POST', `/api/pay/v1/orders/${created.order_id}/payments`, body);
    expect(pending.status).toBe('PENDING');
    // The answer was lost; the client sends the same attempt again.
    const retried = await h.api.call<PluralError>('POST', `/api/pay/v1/orders/${created.order_id}/payments`, body);
    expect(retried.status).toBe(409);
    expect(retried.body).toMatchObject({
      code: 'DUPLICATE_REQUEST',
      param: 'payments[0].merchant_payment_reference',
    });
    const order = await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`);
    expect(order).toMatchObject({
      status: 'PENDING',
      challenge_url: pending.challenge_url,
      payment_retries_remaining: 9,
    });
    expect(order.payments).toHaveLength(1);
    expect(order.payments![0]).toMatchObject({ merchant_payment_reference: 'till-attempt-1', status: 'PENDING' });
    // A declined attempt's reference is spent too; a new attempt takes a new one.
    const declined = await h.api.createOrder();
    const card = PluralApi.paymentBody('4000000000000002', 50000, 'till-attempt-2');
    expect((await h.api.ok('POST', `/api/pay/v1/orders/${declined.order_id}/payments`, card)).status).toBe('ATTEMPTED');
    expect((await h.api.call('POST', `/api/pay/v1/orders/${declined.order_id}/payments`, card)).status).toBe(409);
  });

  it('the attempt that paid the order, sent again, is refused as a duplicate (409), not as a state (422)', async () => {
    for (const [card, status] of [
      ['4111111111111111', 'PROCESSED'],
      ['4000000000000002', 'ATTEMPTED'],
    ] as const) {
      const created = await h.api.createOrder();
      const body = PluralApi.paymentBody(card, 50000, 'till-attempt-1');
      expect((await h.api.ok('POST', `/api/pay/v1/orders/${created.order_id}/payments`, body)).status).toBe(status);
      // The answer was lost; the client sends the same attempt again.
      const retried = await h.api.call<PluralError>('POST', `/api/pay/v1/orders/${created.order_id}/payments`, body);
      expect(retried.status).toBe(409);
      expect(retried.body).toMatchObject({
        code: 'DUPLICATE_REQUEST',
        param: 'payments[0].merchant_payment_reference',
      });
      const order = await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`);
      expect(order).toMatchObject({ status, payment_retries_remaining: 9 });
      expect(order.payments).toHaveLength(1);
    }
    // A new attempt on a paid order is still refused for its state.
    const paid = await h.api.createOrder();
    await payByApi(paid.order_id, '4111111111111111');
    const another = await h.api.call<PluralError>(
      'POST',
      `/api/pay/v1/orders/${paid.order_id}/payments`,
      PluralApi.paymentBody('4111111111111111', 50000, 'a-new-attempt'),
    );
    expect(another.status).toBe(422);
    expect(another.body.code).toBe('INVALID_ORDER_STATE');
  });

  it('a merchant_payment_reference is kept exactly as sent: surrounding white space makes another', async () => {
    const created = await h.api.createOrder();
    const path = `/api/pay/v1/orders/${created.order_id}/payments`;
    await h.api.ok('POST', path, PluralApi.paymentBody('4000000000000002', 50000, 'attempt-1'));
    // Another attempt, not a resend: taken, and answered with its reference as sent.
    const order = await h.api.ok('POST', path, PluralApi.paymentBody('4111111111111111', 50000, 'attempt-1 '));
    expect(order.status).toBe('PROCESSED');
    expect(order.payments!.map((p) => p.merchant_payment_reference)).toEqual(['attempt-1', 'attempt-1 ']);
    // White space alone is no reference.
    const blank = await h.api.createOrder();
    const refused = await h.api.call<PluralError>(
      'POST',
      `/api/pay/v1/orders/${blank.order_id}/payments`,
      PluralApi.paymentBody('4111111111111111', 50000, '   '),
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'INVALID_REQUEST', param: 'payments[0].merchant_payment_reference' });
  });

  it('refuses malformed payments with 400 and changes nothing', async () => {
    const created = await h.api.createOrder({ allowed_payment_methods: ['CARD', 'UPI'] });
    const card = (overrides: Record<string, unknown>) => {
      const body = PluralApi.paymentBody('4111111111111111') as { payments: Array<Record<string, unknown>> };
      const payment = body.payments[0]!;
      const option = payment.payment_option as { card_details: Record<string, unknown> };
      option.card_details = { ...option.card_details, ...overrides };
      return body;
    };
    const one = (overrides: Record<string, unknown>) => {
      const body = PluralApi.paymentBody('4111111111111111') as { payments: Array<Record<string, unknown>> };
      body.payments[0] = { ...body.payments[0]!, ...overrides };
      return body;
    };
    const at = 'payments[0].payment_option.card_details';
    const cases: Array<[unknown, string]> = [
      [{}, 'payments'],
      [{ payments: [] }, 'payments'],
      [{ payments: [one({}).payments[0], one({}).payments[0]] }, 'payments'],
      [one({ payment_method: 'UPI' }), 'payments[0].payment_method'],
      [one({ merchant_payment_reference: undefined }), 'payments[0].merchant_payment_reference'],
      [one({ payment_amount: inr(40000) }), 'payments[0].payment_amount.value'],
      [one({ payment_amount: { value: 50000, currency: 'EUR' } }), 'payments[0].payment_amount.currency'],
      [one({ payment_option: {} }), 'payments[0].payment_option.card_details'],
      [card({ card_number: '4111 1111 1111 1111' }), `${at}.card_number`],
      [card({ card_number: '41111111111' }), `${at}.card_number`],
      [card({ card_number: 4111111111111111 }), `${at}.card_number`],
      [card({ cvv: '12' }), `${at}.cvv`],
      [card({ expiry_month: '13' }), `${at}.expiry_month`],
      [card({ expiry_month: '4' }), `${at}.expiry_month`],
      [card({ expiry_year: '29' }), `${at}.expiry_year`],
      [card({ expiry_year: '2026', expiry_month: '01' }), `${at}.expiry_year`],
      [card({ name: '' }), `${at}.name`],
      [card({ registered_mobile_number: '12' }), `${at}.registered_mobile_number`],
      [card({ save: 'yes' }), `${at}.save`],
      [card({ pin: '1234' }), `${at}.pin`],
    ];
    for (const [body, param] of cases) {
      const answer = await h.api.call<PluralError>('POST', `/api/pay/v1/orders/${created.order_id}/payments`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.param, JSON.stringify(body)).toBe(param);
    }
    const upiOnly = await h.api.createOrder({ allowed_payment_methods: ['UPI'] });
    const refused = await h.api.call<PluralError>(
      'POST',
      `/api/pay/v1/orders/${upiOnly.order_id}/payments`,
      PluralApi.paymentBody('4111111111111111'),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.param).toBe('payments[0].payment_method');
    const missing = await h.api.call<PluralError>(
      'POST',
      '/api/pay/v1/orders/v1-000000000000-aa-none00/payments',
      PluralApi.paymentBody('4111111111111111'),
    );
    expect(missing.status).toBe(404);
    const unchanged = await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`);
    expect(unchanged).toMatchObject({ status: 'CREATED', payment_retries_remaining: 10 });
    expect(unchanged).not.toHaveProperty('payments');
  });
});

describe('capture and cancel (pre_auth)', () => {
  async function authorized(extra: Record<string, unknown> = {}): Promise<Order> {
    const created = await h.api.createOrder({ pre_auth: true, ...extra });
    const order = (await h.api.pay(created.order_id)).data;
    expect(order.status).toBe('AUTHORIZED');
    expect(order.payments![0]!.status).toBe('AUTHORIZED');
    return order;
  }

  it('captures the authorized amount: PROCESSED, with capture_data', async () => {
    const order = await authorized();
    h.clock.advance(60_000);
    const captured = await h.api.ok('PUT', `/api/pay/v1/orders/${order.order_id}/capture`, {
      merchant_capture_reference: 'cap-1',
      capture_amount: inr(50000),
    });
    expect(captured.status).toBe('PROCESSED');
    expect(captured.payments![0]).toMatchObject({
      status: 'PROCESSED',
      capture_data: [
        { merchant_capture_reference: 'cap-1', capture_amount: inr(50000), created_at: '2026-02-16T16:19:00.000Z' },
      ],
    });
    // Only once.
    const again = await h.api.call<PluralError>('PUT', `/api/pay/v1/orders/${order.order_id}/capture`, {
      merchant_capture_reference: 'cap-1',
      capture_amount: inr(50000),
    });
    expect(again.status).toBe(422);
    expect(again.body.code).toBe('INVALID_ORDER_STATE');
    expect((await h.api.call('PUT', `/api/pay/v1/orders/${order.order_id}/cancel`)).status).toBe(422);
  });

  it('a partial capture makes the order PARTIALLY_CAPTURED; refunds are limited to what was captured', async () => {
    const order = await authorized();
    const captured = await h.api.ok('PUT', `/api/pay/v1/orders/${order.order_id}/capture`, {
      merchant_capture_reference: 'cap-2',
      capture_amount: inr(40000),
    });
    expect(captured.status).toBe('PARTIALLY_CAPTURED');
    const tooMuch = await h.api.call<PluralError>('POST', `/api/pay/v1/refunds/${order.order_id}`, {
      merchant_order_reference: 'refund-too-much',
      order_amount: inr(40001),
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.code).toBe('AMOUNT_EXCEEDED');
    const refund = await h.api.ok('POST', `/api/pay/v1/refunds/${order.order_id}`, {
      merchant_order_reference: 'refund-all',
      order_amount: inr(40000),
    });
    expect(refund.status).toBe('PROCESSED');
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).status).toBe('FULLY_REFUNDED');
  });

  it('cancel makes an AUTHORIZED order CANCELLED; nothing else can be captured or cancelled', async () => {
    const order = await authorized();
    const cancelled = await h.api.ok('PUT', `/api/pay/v1/orders/${order.order_id}/cancel`);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.payments![0]!.status).toBe('CANCELLED');
    for (const path of ['capture', 'cancel']) {
      const answer = await h.api.call<PluralError>('PUT', `/api/pay/v1/orders/${order.order_id}/${path}`, {
        ...(path === 'capture' ? { merchant_capture_reference: 'c', capture_amount: inr(50000) } : {}),
      });
      expect(answer.status).toBe(422);
      expect(answer.body.code).toBe('INVALID_ORDER_STATE');
    }
  });

  it('refuses capture and cancel before authorization and on orders without pre_auth', async () => {
    const created = await h.api.createOrder({ pre_auth: true });
    const processed = (await h.api.pay((await h.api.createOrder()).order_id)).data;
    for (const id of [created.order_id, processed.order_id]) {
      const capture = await h.api.call<PluralError>('PUT', `/api/pay/v1/orders/${id}/capture`, {
        merchant_capture_reference: 'c',
        capture_amount: inr(50000),
      });
      expect(capture.status).toBe(422);
      expect(capture.body).toMatchObject({ code: 'INVALID_ORDER_STATE' });
      expect(capture.body.message).toMatch(/only an AUTHORIZED order/);
      const cancel = await h.api.call<PluralError>('PUT', `/api/pay/v1/orders/${id}/cancel`);
      expect(cancel.status).toBe(422);
    }
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${created.order_id}`)).status).toBe('CREATED');
  });

  it('refuses a malformed or excessive capture', async () => {
    const order = await authorized();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ capture_amount: inr(50000) }, 400, 'merchant_capture_reference'],
      [{ merchant_capture_reference: 'c' }, 400, 'capture_amount'],
      [{ merchant_capture_reference: 'c', capture_amount: inr(50) }, 400, 'capture_amount.value'],
      [{ merchant_capture_reference: 'c', capture_amount: inr(50001) }, 422, 'capture_amount.value'],
      [{ merchant_capture_reference: 'c', capture_amount: inr(50000), extra: true }, 400, 'extra'],
    ];
    for (const [body, status, param] of cases) {
      const answer = await h.api.call<PluralError>('PUT', `/api/pay/v1/orders/${order.order_id}/capture`, body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.param).toBe(param);
    }
    expect((await h.api.call('PUT', `/api/pay/v1/orders/${order.order_id}/cancel`, { reason: 'x' })).status).toBe(400);
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).status).toBe('AUTHORIZED');
  });
});

describe('POST /_sandbox/orders/{order_id}/pay', () => {
  it('pays as the customer would, passing the challenge, and returns the signed redirect', async () => {
    const created = await h.api.createOrder({ callback_url: CALLBACK });
    const paid = await h.api.pay(created.order_id, '4000000000001091');
    expect(paid.data.status).toBe('PROCESSED');
    expect(paid.data.payments![0]).toMatchObject({ status: 'PROCESSED' });
    expect(paid.return!.params).toEqual({
      order_id: created.order_id,
      status: 'PROCESSED',
      signature: expectedSignature(h.sandbox.plural.signature_key, { order_id: created.order_id, status: 'PROCESSED' }),
    });
    expect(redirectParams(paid.return!.url)).toEqual(paid.return!.params);
  });

  it('defaults to the approving test card; a declined card returns the failure redirect', async () => {
    const order = await h.api.createOrder({ callback_url: CALLBACK, pre_auth: true });
    const declined = await h.api.pay(order.order_id, '4000 0000 0000 0002');
    expect(declined.data.status).toBe('ATTEMPTED');
    expect(declined.return!.params).toMatchObject({ status: 'FAILED', error_code: 'PAYMENT_DECLINED' });
    expect(declined.return!.params.signature).toBe(
      expectedSignature(h.sandbox.plural.signature_key, declined.return!.params),
    );
    const answer = await h.api.call<{ data: Order; return: unknown }>('POST', `/_sandbox/orders/${order.order_id}/pay`);
    expect(answer.body.data.status).toBe('AUTHORIZED');
    const noCallback = await h.api.pay((await h.api.createOrder()).order_id);
    expect(noCallback.return).toBeNull();
  });

  it('refuses an order that cannot be paid, an unknown order and a malformed card number', async () => {
    const order = await h.api.createOrder();
    await h.api.pay(order.order_id);
    const again = await h.api.call<PluralError>('POST', `/_sandbox/orders/${order.order_id}/pay`, {});
    expect(again.status).toBe(422);
    expect(again.body.code).toBe('INVALID_ORDER_STATE');
    expect((await h.api.call('POST', '/_sandbox/orders/v1-none/pay', {})).status).toBe(404);
    const bad = await h.api.call<PluralError>('POST', `/_sandbox/orders/${order.order_id}/pay`, { card_number: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.param).toBe('card_number');
  });
});
