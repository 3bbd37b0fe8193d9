/** Installment plans: create, retrieve, abort, and the schedule charged on the sandbox clock. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CUSTOMER,
  START,
  receiver,
  startPayPlug,
  unix,
  type PayPlugError,
  type PayPlugHarness,
  type PaymentJson,
  type PlanJson,
} from './helpers';

const DAY = 86_400;
let h: PayPlugHarness;
beforeEach(async () => {
  h = await startPayPlug();
});
afterEach(() => h.close());

const SCHEDULE = [
  { date: 'TODAY', amount: 1000 },
  { date: '2026-03-02', amount: 2050 },
  { date: '2026-04-02', amount: 1026 },
];

async function plan(body: Record<string, unknown> = {}): Promise<PlanJson> {
  const answer = await h.api.post<PlanJson>('/v1/installment_plans', {
    currency: 'EUR',
    schedule: SCHEDULE,
    customer: CUSTOMER,
    hosted_payment: { return_url: 'https://example.net/success?id=42', cancel_url: 'https://example.net/cancel?id=42' },
    metadata: { customer_id: 42 },
    ...body,
  });
  if (answer.status !== 201) throw new Error(answer.text);
  return answer.body;
}

describe('POST /v1/installment_plans (create an installment plan)', () => {
  it('answers 201 with every documented field; the first installment is a payment on a page', async () => {
    const created = await plan({ notification_url: 'http://127.0.0.1:9/n' });
    expect(created.id).toMatch(/^inst_[A-Za-z0-9]{22}$/);
    expect(created).toMatchObject({
      object: 'installment_plan',
      is_live: false,
      is_active: true,
      currency: 'EUR',
      created_at: unix(START),
      is_fully_paid: false,
      customer: { ...CUSTOMER, address1: null, address2: null, postcode: null, city: null, country: null },
      hosted_payment: {
        payment_url: `${h.sandbox.payplug.url}/pay/test/${created.id.slice(5)}`,
        return_url: 'https://example.net/success?id=42',
        cancel_url: 'https://example.net/cancel?id=42',
      },
      notification: { url: 'http://127.0.0.1:9/n' },
      failure: null,
      metadata: { customer_id: 42 },
    });
    // TODAY is written as the date it stands for.
    expect(created.schedule.map((e) => [e.date, e.amount, e.payment_ids.length])).toEqual([
      ['2026-02-16', 1000, 1],
      ['2026-03-02', 2050, 0],
      ['2026-04-02', 1026, 0],
    ]);
    const first = (await h.api.get<PaymentJson>(`/v1/payments/${created.schedule[0]!.payment_ids[0]}`)).body;
    expect(first).toMatchObject({
      amount: 1000,
      installment_plan_id: created.id,
      is_paid: false,
      notification: { url: 'http://127.0.0.1:9/n' },
    });
    // The plan's page pays the first installment.
    const page = await fetch(created.hosted_payment.payment_url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('First of 3 installments');
  });

  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ['no schedule', { schedule: undefined }, 'schedule'],
    ['one installment', { schedule: [{ date: 'TODAY', amount: 1000 }] }, 'schedule'],
    [
      'five installments',
      { schedule: Array.from({ length: 5 }, (_, i) => ({ date: `2026-0${i + 3}-01`, amount: 1000 })) },
      'schedule',
    ],
    [
      'a first date that is not today',
      {
        schedule: [
          { date: '2026-02-17', amount: 1000 },
          { date: '2026-03-17', amount: 1000 },
        ],
      },
      'schedule',
    ],
    [
      'dates out of order',
      {
        schedule: [
          { date: 'TODAY', amount: 1000 },
          { date: '2026-04-01', amount: 1000 },
          { date: '2026-03-01', amount: 1000 },
        ],
      },
      'schedule',
    ],
    [
      'an impossible date',
      {
        schedule: [
          { date: 'TODAY', amount: 1000 },
          { date: '2026-02-30', amount: 1000 },
        ],
      },
      'schedule',
    ],
    [
      'an installment below 100 cents',
      {
        schedule: [
          { date: 'TODAY', amount: 1000 },
          { date: '2026-03-01', amount: 99 },
        ],
      },
      'schedule',
    ],
    [
      'a total above 2,000,000',
      {
        schedule: [
          { date: 'TODAY', amount: 1_000_000 },
          { date: '2026-03-01', amount: 1_000_001 },
        ],
      },
      'schedule',
    ],
    [
      'an unknown installment field',
      {
        schedule: [
          { date: 'TODAY', amount: 1000, note: 'x' },
          { date: '2026-03-01', amount: 1000 },
        ],
      },
      'schedule',
    ],
    ['no customer', { customer: undefined }, 'customer'],
    ['a customer without email', { customer: { first_name: 'J', last_name: 'W' } }, 'customer'],
    ['a phone number (not a plan field)', { customer: { ...CUSTOMER, phone_number: '33612345678' } }, 'customer'],
    ['another currency', { currency: 'USD' }, 'currency'],
    ['sent_by (not a plan field)', { hosted_payment: { sent_by: 'EMAIL' } }, 'hosted_payment'],
    ['a notification_url elsewhere', { notification_url: 'https://example.net/n' }, 'notification_url'],
  ];
  for (const [name, body, param] of refusals) {
    it(`refuses ${name} with 400 and details.${param}`, async () => {
      const answer = await h.api.post<PayPlugError>('/v1/installment_plans', {
        currency: 'EUR',
        schedule: SCHEDULE,
        customer: CUSTOMER,
        ...body,
      });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.body.details).toHaveProperty(param);
    });
  }

  it('names every unknown field of an installment, not just the first', async () => {
    const answer = await h.api.post<PayPlugError>('/v1/installment_plans', {
      currency: 'EUR',
      customer: CUSTOMER,
      schedule: [
        { date: 'TODAY', amount: 1000, note: 'x', label: 'y' },
        { date: '2026-03-01', amount: 1000 },
      ],
    });
    expect(answer.status).toBe(400);
    expect(Object.keys((answer.body.details as { schedule: Record<string, object> }).schedule['0']!)).toEqual([
      'note',
      'label',
    ]);
  });

  it('names only the wrong date, not the correct dates after it', async () => {
    for (const [schedule, wrong] of [
      [
        [
          { date: '2026-03-05', amount: 1000 },
          { date: '2026-03-02', amount: 1000 },
        ],
        '0',
      ],
      [
        [
          { date: 'TODAY', amount: 1000 },
          { date: 'March 2', amount: 1000 },
          { date: '2026-04-02', amount: 1000 },
        ],
        '1',
      ],
    ] as const) {
      const answer = await h.api.post<PayPlugError>('/v1/installment_plans', {
        currency: 'EUR',
        customer: CUSTOMER,
        schedule,
      });
      expect(answer.status).toBe(400);
      expect(Object.keys((answer.body.details as { schedule: Record<string, object> }).schedule)).toEqual([wrong]);
    }
  });

  it('names the wrong installment in details', async () => {
    const answer = await h.api.post<PayPlugError>('/v1/installment_plans', {
      currency: 'EUR',
      customer: CUSTOMER,
      schedule: [
        { date: 'TODAY', amount: 1000 },
        { date: '2026-03-01', amount: 50 },
      ],
    });
    expect(answer.body.details).toEqual({
      schedule: { '1': { amount: 'The minimum amount is 1 EUR (100 cents). The amount you provided is 50 cents.' } },
    });
  });
});

describe('the schedule on the clock', () => {
  it('charges each installment at 00:00 UTC of its date to the first installment’s card, then is fully paid', async () => {
    const rx = await receiver();
    try {
      const created = await plan({ notification_url: rx.url });
      await h.pay(created.schedule[0]!.payment_ids[0]!, '5500005555555559');
      let current = (await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body;
      expect(current.schedule[1]!.payment_ids).toEqual([]);
      // 2026-03-01 23:59:59 UTC: not yet.
      await h.advance(unix(Date.UTC(2026, 2, 2)) - unix(START) - 1);
      current = (await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body;
      expect(current.schedule[1]!.payment_ids).toEqual([]);
      await h.advance(1);
      current = (await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body;
      expect(current.schedule[1]!.payment_ids).toHaveLength(1);
      const second = (await h.api.get<PaymentJson>(`/v1/payments/${current.schedule[1]!.payment_ids[0]}`)).body;
      expect(second).toMatchObject({
        amount: 2050,
        is_paid: true,
        paid_at: unix(Date.UTC(2026, 2, 2)),
        // Made as of its date too, not when the clock was next looked at: never created after it was paid.
        created_at: unix(Date.UTC(2026, 2, 2)),
        installment_plan_id: created.id,
        hosted_payment: null,
        card: { last4: '5559', brand: 'Mastercard' },
      });
      expect(current).toMatchObject({ is_active: true, is_fully_paid: false });
      // One jump past the last date charges what is left, each as of its own date.
      await h.advance(90 * DAY);
      current = (await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body;
      expect(current).toMatchObject({ is_active: false, is_fully_paid: true, failure: null });
      const third = (await h.api.get<PaymentJson>(`/v1/payments/${current.schedule[2]!.payment_ids[0]}`)).body;
      expect(third).toMatchObject({
        amount: 1026,
        is_paid: true,
        paid_at: unix(Date.UTC(2026, 3, 2)),
        created_at: unix(Date.UTC(2026, 3, 2)),
      });
      await h.sandbox.payplug.notificationsIdle();
      const bodies = rx.received.map((r) => JSON.parse(r.body) as PaymentJson);
      expect(bodies.map((b) => [b.object, b.amount, b.is_paid])).toEqual([
        ['payment', 1000, true],
        ['payment', 2050, true],
        ['payment', 1026, true],
      ]);
      const refused = await h.api.call<PayPlugError>('PATCH', `/v1/installment_plans/${created.id}`, { aborted: true });
      expect(refused.status).toBe(400);
      expect(refused.body.message).toMatch(/fully paid/);
    } finally {
      await rx.close();
    }
  });

  it('a plan’s payments carry the customer as every payment does: language en, the same fields in order', async () => {
    const created = await plan();
    const firstId = created.schedule[0]!.payment_ids[0]!;
    await h.pay(firstId);
    await h.advance(unix(Date.UTC(2026, 2, 2)) - unix(START));
    const current = (await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body;
    const plain = (await h.api.post<PaymentJson>('/v1/payments', { amount: 1000, currency: 'EUR', customer: CUSTOMER }))
      .body;
    for (const id of [firstId, current.schedule[1]!.payment_ids[0]!]) {
      const customer = (await h.api.get<PaymentJson>(`/v1/payments/${id}`)).body.customer;
      expect(customer).toEqual({ ...plain.customer, language: 'en' });
      expect(Object.keys(customer)).toEqual(Object.keys(plain.customer));
    }
  });

  it('fails with failed_payment when the first installment is not paid in 15 minutes', async () => {
    const created = await plan();
    await h.advance(15 * 60);
    const current = (await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body;
    expect(current).toMatchObject({
      is_active: false,
      is_fully_paid: false,
      failure: { code: 'failed_payment', message: 'A payment has failed.' },
    });
    const first = (await h.api.get<PaymentJson>(`/v1/payments/${current.schedule[0]!.payment_ids[0]}`)).body;
    expect(first.failure!.code).toBe('timeout');
    await h.advance(90 * DAY);
    expect((await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body.schedule[1]!.payment_ids).toEqual(
      [],
    );
  });

  it('refuses a card that expires before the last installment (card_expiration_date_prior_to_last_installment_date)', async () => {
    const created = await plan();
    const firstId = created.schedule[0]!.payment_ids[0]!;
    const answer = await h.api.post<PaymentJson>(`/_sandbox/payments/${firstId}/pay`, {
      card_number: '4242424242424242',
      exp_month: 3,
      exp_year: 2026,
    });
    expect(answer.headers.get('x-sandbox-attempt')).toBe('card_expiration_date_prior_to_last_installment_date');
    expect(answer.body.is_paid).toBe(false);
    await h.pay(firstId, '4242424242424242', { exp_month: 4, exp_year: 2026 });
    expect((await h.api.get<PaymentJson>(`/v1/payments/${firstId}`)).body.is_paid).toBe(true);
  });
});

describe('GET /v1/installment_plans/{id} and PATCH {aborted: true}', () => {
  it('retrieves a plan; 404 for an unknown one', async () => {
    const created = await plan();
    const answer = await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(created);
    expect((await h.api.get<PayPlugError>('/v1/installment_plans/inst_nope')).status).toBe(404);
  });

  it('aborting stops future installments, closes the first page, and notifies the plan object', async () => {
    const rx = await receiver();
    try {
      const created = await plan({ notification_url: rx.url });
      const answer = await h.api.call<PlanJson>('PATCH', `/v1/installment_plans/${created.id}`, { aborted: true });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        is_active: false,
        failure: { code: 'aborted', message: 'You have aborted the transaction.' },
      });
      const first = (await h.api.get<PaymentJson>(`/v1/payments/${created.schedule[0]!.payment_ids[0]}`)).body;
      expect(first.failure!.code).toBe('aborted');
      expect((await fetch(created.hosted_payment.payment_url)).status).toBe(410);
      const again = await h.api.call<PayPlugError>('PATCH', `/v1/installment_plans/${created.id}`, { aborted: true });
      expect(again.status).toBe(400);
      expect(again.body.details).toHaveProperty('aborted');
      await h.sandbox.payplug.notificationsIdle();
      expect(rx.received.map((r) => (JSON.parse(r.body) as { object: string }).object)).toEqual(['installment_plan']);
    } finally {
      await rx.close();
    }
  });

  it('aborting after the first installment was paid leaves it paid and charges nothing more', async () => {
    const created = await plan();
    await h.pay(created.schedule[0]!.payment_ids[0]!);
    await h.api.call('PATCH', `/v1/installment_plans/${created.id}`, { aborted: true });
    await h.advance(90 * DAY);
    const current = (await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body;
    expect(current.schedule.map((e) => e.payment_ids.length)).toEqual([1, 0, 0]);
    expect((await h.api.get<PaymentJson>(`/v1/payments/${created.schedule[0]!.payment_ids[0]}`)).body.is_paid).toBe(
      true,
    );
  });

  it('refuses aborted other than true', async () => {
    const created = await plan();
    for (const body of [{}, { aborted: false }, { aborted: 'true' }, { metadata: {} }]) {
      const answer = await h.api.call<PayPlugError>('PATCH', `/v1/installment_plans/${created.id}`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect((await h.api.get<PlanJson>(`/v1/installment_plans/${created.id}`)).body.is_active).toBe(true);
  });
});
