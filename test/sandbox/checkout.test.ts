import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiver, start, type ErrorResponse, type Harness, type ListResponse, type TransactionJson } from './helpers';

interface Session {
  id: string;
  reference: string;
  url: string;
  amount: number;
  currency: string;
  status: string;
  expires_at: string;
  transaction_id: string;
  customer_email: string | null;
  customer_name: string | null;
  completed_at: string | null;
}

let h: Harness;
beforeAll(async () => {
  h = await start({ fakeClock: true });
});
afterAll(() => h.close());

async function session(body: Record<string, unknown> = {}): Promise<Session> {
  const answer = await h.api.post<Session>('/v1/checkout/sessions', {
    amount: 2500,
    currency: 'usd',
    description: 'Premium Haircut',
    ...body,
  });
  if (answer.status !== 201) throw new Error(answer.text);
  return answer.body;
}

async function submit(s: Session, fields: Record<string, string>): Promise<Response> {
  return fetch(s.url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
}

describe('checkout sessions API', () => {
  it('creates an open session with a hosted url, expiry and a pending transaction', async () => {
    const s = await session({
      success_url: 'https://yoursite.com/success',
      cancel_url: 'https://yoursite.com/cancel',
      collect_email: true,
    });
    expect(s.reference).toMatch(/^cs_[A-Za-z0-9]{20}$/);
    expect(s.url).toBe(`${h.sandbox.url}/pay/${s.reference}`);
    expect(s).toMatchObject({ amount: 2500, currency: 'usd', status: 'open', expires_at: '2026-02-17T16:18:00+00:00' });
    const txn = await h.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`);
    expect(txn.body).toMatchObject({ status: 'pending', amount: 2500, payment_method_type: 'card' });
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body).toEqual(s);
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.reference}`)).body.id).toBe(s.id);
  });

  it('validates parameters', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ amount: undefined }, 422, 'amount'],
      [{ amount: 10 }, 422, 'amount'],
      [{ success_url: 'javascript:alert(1)' }, 422, 'success_url'],
      [{ cancel_url: 'nope' }, 422, 'cancel_url'],
      [{ customer_email: 'x' }, 422, 'customer_email'],
      [{ collect_email: 'yes' }, 400, 'collect_email'],
      [{ per_page: 5 }, 400, 'per_page'],
    ];
    for (const [body, status, param] of cases) {
      const answer = await h.api.post<ErrorResponse>('/v1/checkout/sessions', { amount: 2500, ...body });
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.error.param).toBe(param);
    }
  });

  it('lists with status, page and per_page', async () => {
    const local = await start({ fakeClock: true });
    try {
      for (let i = 0; i < 3; i++) await local.api.post('/v1/checkout/sessions', { amount: 1000 + i });
      const page = await local.api.get<ListResponse<Session>>('/v1/checkout/sessions?per_page=2&page=2');
      expect(page.body.meta).toEqual({ current_page: 2, last_page: 2, per_page: 2, total: 3 });
      expect(page.body.data.map((s) => s.amount)).toEqual([1000]);
      expect(
        (await local.api.get<ListResponse<Session>>('/v1/checkout/sessions?status=complete')).body.meta.total,
      ).toBe(0);
      expect((await local.api.get<ListResponse<Session>>('/v1/checkout/sessions?size=1')).body.data).toHaveLength(1);
      expect((await local.api.get('/v1/checkout/sessions?per_page=101')).status).toBe(422);
      expect((await local.api.get('/v1/checkout/sessions?status=paid')).status).toBe(400);
    } finally {
      await local.close();
    }
  });

  it('expires after 24 hours: status expired, transaction canceled', async () => {
    const s = await session();
    h.clock!.advance(24 * 3600 * 1000);
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body.status).toBe('expired');
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`)).body.status).toBe('canceled');
    const page = await fetch(s.url);
    expect(page.status).toBe(410);
    expect(
      (await h.api.get<ListResponse<Session>>('/v1/checkout/sessions?status=expired')).body.data.map((x) => x.id),
    ).toContain(s.id);
  });
});

describe('expiry without anyone reading the session', () => {
  it('cancels its payment at the expiry, sends payment.canceled, and no confirm pays it after', async () => {
    const local = await start({ fakeClock: true });
    const rx = await receiver();
    try {
      const hook = await local.api.post('/v1/webhook-endpoints', { url: rx.url, events: ['payment.canceled'] });
      expect(hook.status).toBe(201);
      const created = await local.api.post<Session>('/v1/checkout/sessions', { amount: 2500 });
      const s = created.body;
      // A day and an hour later; the client follows the payment, never the session.
      expect((await local.api.post('/_sandbox/clock', { advance_seconds: 25 * 3600 })).status).toBe(200);
      await local.sandbox.webhooksIdle();
      expect(rx.received.map((r) => (JSON.parse(r.body) as { type: string; data: { id: string } }).data.id)).toEqual([
        s.transaction_id,
      ]);
      const txn = (await local.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`)).body;
      // Canceled as of the session's expiry, not as of whenever it was noticed.
      expect(txn).toMatchObject({ status: 'canceled', canceled_at: s.expires_at });
      const confirm = await local.api.post<ErrorResponse>(`/v1/transactions/${s.transaction_id}/confirm`, {});
      expect(confirm.status).toBe(422);
      expect((await local.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body).toMatchObject({
        status: 'expired',
        completed_at: null,
      });
    } finally {
      await rx.close();
      await local.close();
    }
  });
});

describe('the hosted page', () => {
  it('is plain HTML with no external resources; everything rendered is escaped', async () => {
    const s = await session({
      description: '<script>alert("x")</script> & "quotes"',
      customer_email: "o'neil@example.com",
      collect_email: true,
      collect_name: true,
    });
    const response = await fetch(s.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).not.toContain('<script');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#34;quotes&#34;');
    expect(html).toContain('o&#39;neil@example.com');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(html).toContain(`action="/pay/${s.reference}"`);
    expect(html).toContain('$25.00');
    expect(html).toContain('name="email"');
    expect(html).toContain('name="name"');
  });

  it('a form that is not UTF-8 is refused with the error page, nothing paid; the same in UTF-8 is kept as typed', async () => {
    const s = await session({ collect_name: true });
    const card = 'card_number=4242+4242+4242+4242&name=';
    // "René" as a page posting Latin-1 sends it: escaped (%E9), or as raw bytes (curl --data-binary).
    for (const body of [`${card}Ren%E9`, Buffer.from(`${card}Ren\u00e9`, 'latin1')]) {
      const refused = await fetch(s.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
        redirect: 'manual',
      });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await refused.text()).toContain('The form was not sent as UTF-8 text, so it was not read');
    }
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body).toMatchObject({
      status: 'open',
      customer_name: null,
    });
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`)).body.status).toBe('pending');

    // A % that escapes nothing stays as typed, as browsers read it.
    const paid = await fetch(s.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `${card}Ren%C3%A9+100%`,
      redirect: 'manual',
    });
    expect(paid.status).toBe(200);
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body.customer_name).toBe('René 100%');
  });

  it('a test card completes it and redirects to success_url?checkout_ref=…', async () => {
    const s = await session({ success_url: 'https://yoursite.com/success?order=7', collect_email: true });
    const response = await submit(s, { card_number: '4242 4242 4242 4242', email: 'buyer@example.com' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://yoursite.com/success');
    expect(location.searchParams.get('order')).toBe('7');
    expect(location.searchParams.get('checkout_ref')).toBe(s.reference);
    const after = (await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body;
    expect(after).toMatchObject({ status: 'complete', customer_email: 'buyer@example.com' });
    expect(after.completed_at).not.toBeNull();
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`)).body).toMatchObject({
      status: 'succeeded',
      card: { brand: 'visa', last4: '4242' },
    });
    // Paying twice is not possible.
    const again = await submit(s, { card_number: '4242424242424242', email: 'buyer@example.com' });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Already paid');
  });

  it('a declining card shows the decline (role=alert) and keeps the session open', async () => {
    const s = await session();
    const response = await submit(s, { card_number: '4000000000000077' });
    expect(response.status).toBe(402);
    const html = await response.text();
    expect(html).toMatch(/role="alert">Insufficient funds\./);
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body.status).toBe('open');
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`)).body).toMatchObject({
      status: 'pending',
      failure_code: 'insufficient_funds',
    });
    // A form the page cannot use is no attempt: 400 (as PayPlug's and Plural's pages), not a decline's 402.
    const bad = await submit(s, { card_number: 'abc' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('12 to 19 digits');
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`)).body).toMatchObject({
      status: 'pending',
      failure_code: 'insufficient_funds',
    });
  });

  it('a test amount declines by its last two digits in minor units, and the page says so in any currency', async () => {
    // Found by an integrator: ¥501 declined with call_issuer while the page and the docs said "ending in .01".
    const yen = await session({ amount: 501, currency: 'jpy' });
    const html = await (await fetch(yen.url)).text();
    expect(html).toContain('¥501');
    expect(html).toContain(
      'last two digits in minor units are 01, 05, 55, 65 or 75 declines ($10.01, ¥501, KWD 1.001)',
    );
    expect(html).not.toContain('ending in .01');
    const declined = await submit(yen, { card_number: '4242424242424242' });
    expect(declined.status).toBe(402);
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${yen.transaction_id}`)).body.failure_code).toBe(
      'call_issuer',
    );
    const dinars = await session({ amount: 1001, currency: 'kwd' });
    expect((await submit(dinars, { card_number: '4242424242424242' })).status).toBe(402);
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${dinars.transaction_id}`)).body.failure_code).toBe(
      'call_issuer',
    );
    const approved = await session({ amount: 1010, currency: 'kwd' });
    expect((await submit(approved, { card_number: '4242424242424242' })).status).toBe(200);
  });

  it('requires the fields it collects', async () => {
    const s = await session({ collect_email: true, collect_name: true });
    const noEmail = await submit(s, { card_number: '4242424242424242', name: 'A' });
    expect(noEmail.status).toBe(400);
    expect(await noEmail.text()).toContain('valid email');
    const noName = await submit(s, { card_number: '4242424242424242', email: 'a@b.co' });
    expect(noName.status).toBe(400);
    expect(await noName.text()).toContain('name on the card');
    const ok = await submit(s, { card_number: '4242424242424242', email: 'a@b.co', name: 'Ann' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Payment complete');
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body.customer_name).toBe('Ann');
  });

  it('refuses an email or a name longer than it keeps, rather than storing it cut', async () => {
    const s = await session({ collect_email: true, collect_name: true });
    const longEmail = `${'a'.repeat(250)}@b.co`;
    const longName = 'Ann '.repeat(60).trim();
    for (const [fields, problem] of [
      [{ email: longEmail, name: 'Ann' }, 'Enter an email address of at most 254 characters.'],
      [{ email: 'a@b.co', name: longName }, 'Enter a name of at most 200 characters.'],
    ] as const) {
      const answer = await submit(s, { card_number: '4242424242424242', ...fields });
      expect(answer.status, problem).toBe(400);
      const html = await answer.text();
      expect(html).toContain(problem);
      expect(html).toContain('maxlength="200"');
    }
    const after = (await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body;
    expect(after).toMatchObject({ status: 'open', customer_email: null, customer_name: null });
    const name = longName.slice(0, 200);
    expect((await submit(s, { card_number: '4242424242424242', email: 'a@b.co', name })).status).toBe(200);
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body.customer_name).toBe(name.trim());
  });

  it('cancel redirects to cancel_url and leaves the session open', async () => {
    const s = await session({ cancel_url: 'https://yoursite.com/cancel' });
    const response = await fetch(`${s.url}/cancel`, { method: 'POST', redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://yoursite.com/cancel');
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body.status).toBe('open');
  });

  it('unknown sessions are a 404 page', async () => {
    for (const path of ['/pay/cs_nope', '/pay/<b>', '/pay/txn_x']) {
      const response = await fetch(`${h.sandbox.url}${path}`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('<b>');
    }
  });
});

describe('a session follows its payment, however it is decided', () => {
  it('POST /v1/transactions/{id}/confirm completes it at once, and it never expires after', async () => {
    const s = await session();
    const confirmed = await h.api.post<TransactionJson>(`/v1/transactions/${s.transaction_id}/confirm`, {});
    expect(confirmed.body.status).toBe('succeeded');
    const now = await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`);
    expect(now.body).toMatchObject({ status: 'complete', completed_at: confirmed.body.captured_at });
    h.clock!.advance(24 * 3600 * 1000 + 1000);
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.reference}`)).body.status).toBe('complete');
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`)).body.status).toBe('succeeded');
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Already paid');
  });

  it('a canceled payment expires the session at once', async () => {
    const s = await session();
    expect((await h.api.post(`/v1/transactions/${s.transaction_id}/cancel`, {})).status).toBe(200);
    const after = (await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body;
    expect(after).toMatchObject({ status: 'expired', completed_at: null });
    expect(Date.parse(after.expires_at)).toBeLessThan(Date.parse(s.expires_at));
    expect((await fetch(s.url)).status).toBe(410);
    expect(
      (await h.api.get<ListResponse<Session>>('/v1/checkout/sessions?status=open')).body.data.map((x) => x.id),
    ).not.toContain(s.id);
  });

  it('a confirmation declined for good expires it too', async () => {
    const s = await session();
    const declined = await h.api.post<TransactionJson>(`/v1/transactions/${s.transaction_id}/confirm`, {
      payment_method: '4000000000000002',
    });
    expect(declined.body.status).toBe('failed');
    expect((await h.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body.status).toBe('expired');
  });
});

describe('payment intents', () => {
  it('creates a pending card payment with a client_secret; replays keep it', async () => {
    const answer = await h.api.post<TransactionJson & { client_secret: string }>('/v1/payment-intents', {
      amount: 2500,
      currency: 'usd',
      description: 'Order #1234',
      idempotency_key: 'pi-1',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ status: 'pending', payment_method_type: 'card', amount: 2500 });
    expect(answer.body.client_secret).toMatch(
      new RegExp(`^pi_${answer.body.id.replace(/-/g, '')}_secret_[A-Za-z0-9]+$`),
    );
    const replay = await h.api.post<TransactionJson & { client_secret: string }>('/v1/payment-intents', {
      amount: 2500,
      currency: 'usd',
      description: 'Order #1234',
      idempotency_key: 'pi-1',
    });
    expect(replay.status).toBe(200);
    expect(replay.body.client_secret).toBe(answer.body.client_secret);
    expect((await h.api.post<ErrorResponse>('/v1/payment-intents', { amount: 20 })).status).toBe(422);
    expect(
      (await h.api.post<ErrorResponse>('/v1/payment-intents', { amount: 2000, confirm: true })).body.error.param,
    ).toBe('confirm');
    // Confirming it with a test card completes it.
    const confirmed = await h.api.post<TransactionJson>(`/v1/transactions/${answer.body.id}/confirm`, {
      payment_method: '4242424242424242',
    });
    expect(confirmed.body.status).toBe('succeeded');
  });
});

describe('live mode', () => {
  it('the hosted page says the sandbox runs as a live account, not "test mode"', async () => {
    const live = await start({ mode: 'live' });
    try {
      const answer = await live.api.post<Session>('/v1/checkout/sessions', { amount: 2500, currency: 'usd' });
      expect(answer.status).toBe(201);
      const page = await (await fetch(answer.body.url)).text();
      expect(page).toContain('PlutoPay sandbox · live mode (emulated: test cards are declined)');
      expect(page).not.toContain('test mode');
    } finally {
      await live.close();
    }
  });

  it('declines the test cards, on the API and the hosted page, as a live account would', async () => {
    const live = await start({ mode: 'live' });
    const declined = {
      failure_code: 'card_declined',
      failure_message: 'Test cards do not work in live mode: this sandbox emulates a live account.',
    };
    try {
      const created = await live.api.post<TransactionJson>('/v1/transactions', {
        amount: 2500,
        confirm: true,
        payment_method: '4242424242424242',
      });
      expect(created.body).toMatchObject({ status: 'failed', ...declined });
      const pending = await live.api.post<TransactionJson>('/v1/transactions', { amount: 2500 });
      const confirmed = await live.api.post<TransactionJson>(`/v1/transactions/${pending.body.id}/confirm`, {
        payment_method: '5500005555555559',
      });
      expect(confirmed.body).toMatchObject({ status: 'failed', ...declined });

      const s = (await live.api.post<Session>('/v1/checkout/sessions', { amount: 2500, currency: 'usd' })).body;
      const response = await fetch(s.url, {
        method: 'POST',
        body: new URLSearchParams({ card_number: '4242 4242 4242 4242' }),
        redirect: 'manual',
      });
      expect(response.status).toBe(402);
      expect(await response.text()).toContain(`role="alert">${declined.failure_message}`);
      expect((await live.api.get<Session>(`/v1/checkout/sessions/${s.id}`)).body.status).toBe('open');
      expect((await live.api.get<TransactionJson>(`/v1/transactions/${s.transaction_id}`)).body).toMatchObject({
        status: 'pending',
        ...declined,
      });
    } finally {
      await live.close();
    }
  });
});
