/**
 * The payment page a phone opens from payment_url (GET, form POST per test card, redirects), and
 * POST /_sandbox/payments/{id}/pay, which must give the same result for the same card.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CUSTOMER,
  START,
  startPayPlug,
  unix,
  type PayPlugError,
  type PayPlugHarness,
  type PaymentJson,
} from './helpers';

let h: PayPlugHarness;
beforeEach(async () => {
  h = await startPayPlug();
});
afterEach(() => h.close());

const RETURN_URL = 'https://shop.example/success?id=42';
const CANCEL_URL = 'https://shop.example/cancel?id=42';

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  };
}

const CARD = { card_number: '4242 4242 4242 4242', exp_month: '12', exp_year: '2029', cvc: '123' };

/** Every test card of the reference, and what it gives. */
const CARDS: Array<[string, string | null, boolean]> = [
  ['4242 4242 4242 4242', null, false],
  ['5500 0055 5555 5559', null, false],
  ['4000 0000 0000 0051', 'card_declined', false],
  ['4000 0000 0000 0085', 'processing_error', false],
  ['4000 0000 0000 0077', 'insufficient_funds', false],
  ['5184 6800 0000 0170', '3ds_declined', true],
  ['5184 6800 0000 0097', 'incorrect_number', false],
  ['5184 6800 0000 0121', 'fraud_suspected', false],
  // Any other number, even a valid one, is declined; so is the reference's misprinted 12-digit 4242 card.
  ['4111 1111 1111 1111', 'card_declined', false],
  ['4242 4242 4242', 'card_declined', false],
];

describe('GET {payment_url}', () => {
  it('serves a plain HTML form: no scripts, nothing loaded from elsewhere, values escaped', async () => {
    const p = await h.payment({
      description: '<script>alert(1)</script> & co',
      hosted_payment: { return_url: RETURN_URL },
    });
    const page = await fetch(p.hosted_payment!.payment_url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; co');
    expect(html).toContain('€33.00');
    expect(html).toContain(`action="/payplug/pay/test/${p.id.slice(4)}"`);
    expect(html).toContain(`action="/payplug/pay/test/${p.id.slice(4)}/cancel"`);
    // The merchant gave no customer: the page asks for the name and email.
    for (const name of ['first_name', 'last_name', 'email', 'card_number', 'exp_month', 'exp_year', 'cvc'])
      expect(html).toContain(`name="${name}"`);
    expect(html).not.toContain('name="save_card"');
  });

  it('answers 404 for an unknown page and needs no key', async () => {
    const p = await h.payment();
    expect((await fetch(`${h.sandbox.payplug.url}/pay/test/nope`)).status).toBe(404);
    expect((await fetch(`${h.sandbox.payplug.url}/pay/${p.id.slice(4)}`)).status).toBe(404);
  });
});

describe('POST {payment_url} with each test card', () => {
  for (const [number, code, is3ds] of CARDS) {
    it(`${number}: ${code ?? 'paid'}`, async () => {
      const p = await h.payment({
        customer: CUSTOMER,
        hosted_payment: { return_url: RETURN_URL, cancel_url: CANCEL_URL },
      });
      const answer = await fetch(p.hosted_payment!.payment_url, form({ ...CARD, card_number: number }));
      const after = (await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body;
      if (code === null) {
        expect(answer.status).toBe(303);
        expect(answer.headers.get('location')).toBe(RETURN_URL);
        expect(after).toMatchObject({ is_paid: true, paid_at: unix(START), failure: null, is_3ds: false });
        expect(after.card).toMatchObject({
          last4: number.slice(-4),
          exp_month: 12,
          exp_year: 2029,
          country: 'FR',
          id: null,
        });
        expect((await fetch(p.hosted_payment!.payment_url)).status).toBe(200);
      } else {
        // A declined attempt shows the reason and lets the customer try again on the same page.
        expect(answer.status).toBe(402);
        const html = await answer.text();
        expect(html).toContain('role="alert"');
        expect(html).toContain(`href="${RETURN_URL}"`);
        expect(after).toMatchObject({ is_paid: false, failure: null, is_3ds: is3ds });
        const retry = await fetch(p.hosted_payment!.payment_url, form(CARD));
        expect(retry.status).toBe(303);
        expect((await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body.is_paid).toBe(true);
      }
    });
  }

  it('a form the page cannot use is answered with the page and an error, and is not an attempt', async () => {
    const p = await h.payment({ customer: CUSTOMER });
    for (const fields of [
      { ...CARD, card_number: '42' },
      { ...CARD, exp_month: '13' },
      { ...CARD, exp_year: '2025' },
      { ...CARD, exp_month: '1', exp_year: '2026' },
      { ...CARD, cvc: '' },
      { ...CARD, email: 'nope' },
    ]) {
      const answer = await fetch(p.hosted_payment!.payment_url, form(fields));
      expect(answer.status, JSON.stringify(fields)).toBe(400);
      expect(await answer.text()).toContain('role="alert"');
    }
    const ledger = (await h.api.get<{ payments: Array<{ last_attempt_code: string | null }> }>('/_sandbox/ledger'))
      .body;
    expect(ledger.payments[0]!.last_attempt_code).toBeNull();
    // The current month is still valid (cards run to the end of their month).
    const paid = await fetch(p.hosted_payment!.payment_url, form({ ...CARD, exp_month: '2', exp_year: '26' }));
    expect(paid.status).toBe(200);
    expect(await paid.text()).toContain('Payment complete');
  });

  it('fills the customer fields the page asked for', async () => {
    const p = await h.payment();
    await fetch(
      p.hosted_payment!.payment_url,
      form({ ...CARD, first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.net' }),
    );
    const after = (await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body;
    expect(after.customer).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.net' });
  });

  it('refuses a name or an email longer than the API takes, rather than storing it cut', async () => {
    const p = await h.payment();
    const long = 'Wolfeschlegelsteinhausenbergerdorff'.repeat(4); // 140 characters
    const cases: Array<[Record<string, string>, string]> = [
      [{ first_name: long, last_name: 'Lovelace' }, 'Enter a first name of at most 100 characters.'],
      [{ first_name: 'Ada', last_name: long }, 'Enter a last name of at most 100 characters.'],
      [{ first_name: 'Ada', last_name: 'Lovelace', email: `${'a'.repeat(250)}@example.net` }, 'an email address'],
    ];
    for (const [fields, problem] of cases) {
      const answer = await fetch(p.hosted_payment!.payment_url, form({ ...CARD, ...fields }));
      expect(answer.status, problem).toBe(400);
      const html = await answer.text();
      expect(html).toContain(problem);
      expect(html).toContain('maxlength="100"');
    }
    const after = (await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body;
    expect(after.is_paid).toBe(false);
    expect(after.customer.last_name).toBeNull();
    // Exactly at the limit is taken as typed.
    const paid = await fetch(
      p.hosted_payment!.payment_url,
      form({ ...CARD, first_name: 'A', last_name: long.slice(0, 100) }),
    );
    expect(paid.status).toBe(200);
    expect((await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body.customer.last_name).toBe(long.slice(0, 100));
  });

  it('refuses a form that is not UTF-8 with the error page: no attempt, no name stored with U+FFFD', async () => {
    const p = await h.payment();
    const latin1 = `${new URLSearchParams(CARD).toString()}&first_name=Ren%E9&last_name=Dupont`;
    const answer = await fetch(p.hosted_payment!.payment_url, { ...form({}), body: latin1 });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await answer.text()).toContain('The form was not sent as UTF-8 text, so it was not read');
    const after = (await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body;
    expect(after.is_paid).toBe(false);
    expect(after.customer).not.toMatchObject({ last_name: 'Dupont' });
  });

  it('without a return_url, a paid page says so instead of redirecting', async () => {
    const p = await h.payment();
    const answer = await fetch(p.hosted_payment!.payment_url, form(CARD));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('Payment complete');
    const again = await fetch(p.hosted_payment!.payment_url, form(CARD));
    expect(again.status).toBe(200);
    expect((await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body.amount).toBe(3300);
  });
});

describe('POST {payment_url}/cancel', () => {
  it('without an attempt: failure canceled, redirect to cancel_url, no more paying', async () => {
    const p = await h.payment({ hosted_payment: { return_url: RETURN_URL, cancel_url: CANCEL_URL } });
    const answer = await fetch(`${p.hosted_payment!.payment_url}/cancel`, form({}));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe(CANCEL_URL);
    const after = (await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body;
    expect(after.failure).toEqual({ code: 'canceled', message: 'The payment was canceled by the customer.' });
    expect((await fetch(p.hosted_payment!.payment_url, form(CARD))).status).toBe(410);
    expect((await h.api.post(`/_sandbox/payments/${p.id}/pay`, { card_number: '4242424242424242' })).status).toBe(400);
  });

  it('after a failed attempt: the failure is the last attempt’s', async () => {
    const p = await h.payment();
    await h.pay(p.id, '4000000000000077');
    const answer = await fetch(`${p.hosted_payment!.payment_url}/cancel`, form({}));
    expect(answer.status).toBe(200);
    const after = (await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body;
    expect(after.failure).toEqual({ code: 'insufficient_funds', message: 'Insufficient funds to cover the payment.' });
  });
});

describe('POST /_sandbox/payments/{payment_id}/pay', () => {
  for (const [number, code, is3ds] of CARDS) {
    it(`${number}: the same as the page (${code ?? 'paid'})`, async () => {
      const p = await h.payment();
      const answer = await h.api.post<PaymentJson>(`/_sandbox/payments/${p.id}/pay`, { card_number: number });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-sandbox-attempt')).toBe(code ?? 'approved');
      expect(answer.body).toMatchObject({ id: p.id, is_paid: code === null, failure: null, is_3ds: is3ds });
      expect((await h.api.get<PaymentJson>(`/v1/payments/${p.id}`)).body).toEqual(answer.body);
    });
  }

  it('3-D Secure is on with force_3ds and when a card is saved', async () => {
    const forced = await h.payment({ force_3ds: true });
    expect((await h.pay(forced.id)).is_3ds).toBe(true);
    const saving = await h.payment({ customer: CUSTOMER, allow_save_card: true });
    expect((await h.pay(saving.id)).is_3ds).toBe(true);
  });

  it('refuses what the page would: bad numbers, expired cards, closed payments; needs the key', async () => {
    const p = await h.payment();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'card_number'],
      [{ card_number: '42' }, 'card_number'],
      [{ card_number: 4242424242424242 }, 'card_number'],
      [{ card_number: '4242424242424242', exp_month: 13 }, 'exp_month'],
      [{ card_number: '4242424242424242', exp_month: 1, exp_year: 2026 }, 'exp_year'],
      [{ card_number: '4242424242424242', cvc: '123' }, 'cvc'],
    ];
    for (const [body, param] of cases) {
      const answer = await h.api.post<PayPlugError>(`/_sandbox/payments/${p.id}/pay`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.details).toHaveProperty(param);
    }
    expect((await h.api.post('/_sandbox/payments/pay_nope/pay', { card_number: '4242424242424242' })).status).toBe(404);
    expect(
      (await h.api.post(`/_sandbox/payments/${p.id}/pay`, { card_number: '4242424242424242' }, { key: null })).status,
    ).toBe(401);
    await h.pay(p.id);
    const closed = await h.api.post<PayPlugError>(`/_sandbox/payments/${p.id}/pay`, {
      card_number: '4242424242424242',
    });
    expect(closed.status).toBe(400);
    expect(closed.body.details).toHaveProperty('card_number');
  });
});
