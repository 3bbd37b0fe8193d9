/** The order's checkout page (redirect_url): what a customer's phone opens from the QR at the counter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectedSignature, startPlural, type PluralHarness } from './helpers';

let h: PluralHarness;
beforeEach(async () => {
  h = await startPlural();
});
afterEach(() => h.close());

const CALLBACK = 'http://127.0.0.1:9/return';

function submit(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

function signedParams(location: string | null): Record<string, string> {
  const url = new URL(location!);
  expect(`${url.origin}${url.pathname}`).toBe(CALLBACK);
  const params = Object.fromEntries(url.searchParams);
  expect(params.signature).toBe(expectedSignature(h.sandbox.plural.signature_key, params));
  return params;
}

describe('GET redirect_url', () => {
  it('serves a plain HTML form (no scripts) with the amount, the test cards and escaped notes', async () => {
    const order = await h.api.createOrder({ notes: '<b>Table 4</b> & "friends"' });
    const page = await fetch(order.redirect_url!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('₹500.00');
    expect(html).toContain('&#60;b&#62;Table 4&#60;/b&#62; &#38; &#34;friends&#34;');
    expect(html).not.toContain('<b>Table 4</b>');
    expect(html).toContain(`action="${new URL(order.redirect_url!).pathname}"`);
    for (const card of ['4111111111111111', '4000000000001091', '4000000000000002']) expect(html).toContain(card);
    expect((await fetch(`${h.api.url}/checkout/unknown-token`)).status).toBe(404);
  });
});

describe('POST redirect_url', () => {
  it('a frictionless card pays the order and redirects to the callback with a signature that verifies', async () => {
    const order = await h.api.createOrder({ callback_url: CALLBACK });
    const answer = await submit(order.redirect_url!, { card_number: '4111 1111 1111 1111' });
    expect(answer.status).toBe(303);
    expect(signedParams(answer.headers.get('location'))).toMatchObject({
      order_id: order.order_id,
      status: 'PROCESSED',
    });
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).status).toBe('PROCESSED');
    // The page of a paid order says so, and takes no second payment.
    const again = await fetch(order.redirect_url!);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Already paid');
    const second = await submit(order.redirect_url!, { card_number: '4111111111111111' });
    expect(await second.text()).toContain('Already paid');
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).payments).toHaveLength(1);
  });

  it('a 3-D Secure card goes through the challenge page, then to the callback (pre_auth: AUTHORIZED)', async () => {
    const order = await h.api.createOrder({ callback_url: CALLBACK, pre_auth: true });
    const toChallenge = await submit(order.redirect_url!, { card_number: '4000-0000-0000-1091' });
    expect(toChallenge.status).toBe(303);
    const challengeUrl = toChallenge.headers.get('location')!;
    expect(challengeUrl).toMatch(new RegExp(`^${h.api.url}/web/auth/landing/\\?token=`));
    const page = await fetch(challengeUrl);
    expect(page.status).toBe(200);
    const token = new URL(challengeUrl).searchParams.get('token')!;
    const answer = await submit(`${h.api.url}/web/auth/landing`, { token, result: 'success' });
    expect(answer.status).toBe(303);
    expect(signedParams(answer.headers.get('location'))).toEqual({
      order_id: order.order_id,
      status: 'AUTHORIZED',
      signature: expect.any(String),
    });
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).status).toBe('AUTHORIZED');
  });

  it('a declined card redirects with the error; the customer can come back and pay with another card', async () => {
    const order = await h.api.createOrder({ callback_url: CALLBACK });
    const declined = await submit(order.redirect_url!, { card_number: '4000000000009995' });
    expect(declined.status).toBe(303);
    expect(signedParams(declined.headers.get('location'))).toMatchObject({
      status: 'FAILED',
      error_code: 'INSUFFICIENT_FUNDS',
      error_message: 'The card has insufficient funds.',
    });
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).status).toBe('ATTEMPTED');
    expect((await fetch(order.redirect_url!)).status).toBe(200);
    const paid = await submit(order.redirect_url!, { card_number: '5555555555554444' });
    expect(signedParams(paid.headers.get('location')).status).toBe('PROCESSED');
  });

  it('without a callback_url shows the result; a malformed card number re-shows the form and counts no attempt', async () => {
    const order = await h.api.createOrder();
    const bad = await submit(order.redirect_url!, { card_number: '1234' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('12 to 23 digits');
    const missing = await submit(order.redirect_url!, {});
    expect(missing.status).toBe(400);
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).payment_retries_remaining).toBe(10);
    const declined = await submit(order.redirect_url!, { card_number: '4000000000000002' });
    expect(declined.status).toBe(200);
    expect(await declined.text()).toContain('Payment failed');
    const paid = await submit(order.redirect_url!, { card_number: '4111111111111111' });
    expect(await paid.text()).toContain('Payment complete');
  });

  it('an order that refuses cards shows the refusal on the form; a cancelled order cannot be paid', async () => {
    const upi = await h.api.createOrder({ allowed_payment_methods: ['UPI'] });
    const refused = await submit(upi.redirect_url!, { card_number: '4111111111111111' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('does not allow CARD');
    const order = await h.api.createOrder({ pre_auth: true });
    await h.api.pay(order.order_id);
    await h.api.ok('PUT', `/api/pay/v1/orders/${order.order_id}/cancel`);
    const page = await fetch(order.redirect_url!);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('can no longer be paid');
  });
});
