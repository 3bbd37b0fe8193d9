/**
 * PayPlug specifics beyond the port contract: the status mapping row by row (wire objects built
 * here, and real ones from the emulator), pay-by-link URLs and their 15 minutes, deferred capture
 * and its 7 days, saved cards, installment plans, the metadata tags, lists, notifications and
 * error mapping. Everything runs over real HTTP against the sandbox on 127.0.0.1, port 0.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { GatewayError, GatewayUnreachable, GatewayUnreadable } from '../../main/gateway/errors';
import { GatewayHttp } from '../../main/gateway/http';
import { paymentLimitIssues } from '../../main/gateway/limits';
import type { NewInstallmentPlan, NewPayment } from '../../main/gateway/port';
import {
  createPayPlugGateway,
  PAYPLUG_CAPABILITIES,
  PAYPLUG_SETTLE_WINDOW_MS,
  PAYPLUG_LIMITS,
  type PayPlugConfig,
  type PayPlugGateway,
} from '../../main/gateway/payplug';
import { paymentStatus, toInstallmentPlan, toPayment, toRefund } from '../../main/gateway/payplug/map';
import { verifyPayPlugNotification } from '../../main/gateway/payplug/notifications';
import {
  InstallmentPlanSchema,
  parsePayPlugError,
  PaymentSchema,
  RefundSchema,
  type WirePaymentInput,
} from '../../main/gateway/payplug/schemas';
import { fitsMetadataLimits, paymentTags, refundTags, TAG, tagValue } from '../../main/gateway/payplug/tags';
import { startSandbox } from '../../sandbox/index';
import { badServer, caught, closedPortUrl, notificationReceiver, sandboxCall } from './helpers';

const CUSTOMER = { email: 'john.watson@example.net', firstName: 'John', lastName: 'Watson' };
const APPROVED = '4242424242424242';
const DECLINED = '4000000000000051';

interface Ledger {
  payments: Array<{
    id: string;
    status: string;
    installment_plan_id: string | null;
    metadata: Record<string, unknown> | null;
  }>;
  refunds: Array<{ id: string; payment_id: string; metadata: Record<string, unknown> | null }>;
}

/**
 * A sandbox and a PayPlug gateway on it. The sandbox runs on the real clock, or on a fake one
 * (started at the real time, so "today" agrees) that moves only by `advance`.
 */
async function startPayPlug(config: Partial<PayPlugConfig> = {}, clock?: FakeClock) {
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false, ...(clock ? { clock } : {}) });
  const { url, secret_key: secretKey } = sandbox.payplug;
  const make = (overrides: Partial<PayPlugConfig> = {}): PayPlugGateway =>
    createPayPlugGateway({
      baseUrl: url,
      secretKey,
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/canceled',
      http: { timeoutMs: 5_000 },
      ...config,
      ...overrides,
    });
  return {
    sandbox,
    gateway: make(),
    make,
    url,
    secretKey,
    ledger: () => sandboxCall<Ledger>(url, secretKey, 'GET', '/_sandbox/ledger'),
    advance: (seconds: number) =>
      sandboxCall<{ now: string }>(url, secretKey, 'POST', '/_sandbox/clock', { advance_seconds: seconds }),
    close: () => sandbox.close(),
  };
}
type Harness = Awaited<ReturnType<typeof startPayPlug>>;

let counter = 0;
function newPayment(overrides: Partial<NewPayment> = {}): NewPayment {
  counter += 1;
  return {
    amount: 2500,
    currency: 'EUR',
    captureMethod: 'automatic',
    description: `Order ${counter}`,
    customerId: null,
    receiptEmail: null,
    orderReference: `T1-${counter}`,
    paymentId: `pay_test${String(counter).padStart(12, '0')}`,
    channel: 'link',
    ...overrides,
  };
}
const key = (what: string) => `pos-${what}-${counter}`;

/** The UTC date `offsetDays` from `now`: take `now` from the clock that checks the date. */
function isoDay(offsetDays: number, now = Date.now()): string {
  return new Date(now + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

// -----------------------------------------------------------------------------------------------
// The status mapping, row by row (see the table in main/gateway/payplug/map.ts)

const CREATED = 1_767_225_600; // 2026-01-01T00:00:00Z

/** A payment as PayPlug writes it (every documented attribute), fresh and unpaid. */
function wire(overrides: Partial<WirePaymentInput> = {}): WirePaymentInput {
  return {
    id: 'pay_5iHMDxy4ABR4YBVW4UscIn',
    object: 'payment',
    is_live: false,
    amount: 3300,
    amount_refunded: 0,
    authorization: null,
    currency: 'EUR',
    created_at: CREATED,
    installment_plan_id: null,
    is_paid: false,
    paid_at: null,
    is_refunded: false,
    save_card: false,
    allow_save_card: false,
    card: { last4: null, brand: null, id: null, country: null, exp_month: null, exp_year: null },
    customer: { email: null, first_name: null, last_name: null },
    hosted_payment: {
      payment_url: 'https://secure.payplug.com/pay/test/5iHMDxy4ABR4YBVW4UscIn',
      return_url: null,
      cancel_url: null,
      sent_by: null,
    },
    notification: { url: null, response_code: null },
    failure: null,
    description: null,
    metadata: null,
    ...overrides,
  };
}
const CARD = { last4: '1800', brand: 'Mastercard', id: null, country: 'FR', exp_month: 9, exp_year: 2030 };
const paid = (overrides: Partial<WirePaymentInput> = {}) =>
  wire({ is_paid: true, paid_at: CREATED + 40, card: CARD, ...overrides });
const authorization = (expiresAt = CREATED + 7 * 86_400 + 60) => ({
  authorized_amount: 3300,
  authorized_at: CREATED + 60,
  expires_at: expiresAt,
});
/** Maps through the schema first, so every fixture is also a valid wire object. */
const map = (payment: WirePaymentInput) => toPayment(PaymentSchema.parse(payment));

describe('status mapping, row by row', () => {
  it('row 1: paid and fully refunded → refunded (is_refunded, or amount_refunded reaching amount)', () => {
    expect(map(paid({ is_refunded: true, amount_refunded: 3300 }))).toMatchObject({
      status: 'refunded',
      amountRefunded: 3300,
      amountCaptured: 3300,
    });
    expect(paymentStatus(paid({ is_refunded: false, amount_refunded: 3300 }))).toBe('refunded');
  });

  it('row 2: paid, partly refunded → partially_refunded', () => {
    expect(map(paid({ amount_refunded: 1000 }))).toMatchObject({ status: 'partially_refunded', amountRefunded: 1000 });
  });

  it('row 3: paid → succeeded (immediate, or a captured deferred payment)', () => {
    const immediate = map(paid());
    expect(immediate).toMatchObject({
      status: 'succeeded',
      amountCaptured: 3300,
      amountCapturable: 0,
      captureMethod: 'automatic',
      card: { brand: 'mastercard', last4: '1800' },
      capturedAt: new Date((CREATED + 40) * 1000).toISOString(),
      payUrl: null,
      payUrlExpiresAt: null,
      failure: null,
    });
    const captured = map(paid({ authorization: authorization() }));
    expect(captured).toMatchObject({ status: 'succeeded', captureMethod: 'manual', amountCapturable: 0 });
  });

  it.each(['aborted', 'canceled'])('row 4: failure %s → canceled (the code is kept)', (code) => {
    const message =
      code === 'aborted' ? 'You have aborted the transaction.' : 'The payment was canceled by the customer.';
    expect(map(wire({ failure: { code, message } }))).toMatchObject({
      status: 'canceled',
      failure: { code, message },
      payUrl: null,
      payUrlExpiresAt: null,
    });
    // An authorized, uncaptured payment that was aborted too.
    expect(paymentStatus(wire({ authorization: authorization(), failure: { code, message } }))).toBe('canceled');
  });

  it('row 5: failure timeout (the page expired untried) → failed, as the neutral link_expired', () => {
    const message = 'The customer has not tried to pay and left the payment page.';
    expect(map(wire({ failure: { code: 'timeout', message } }))).toMatchObject({
      status: 'failed',
      failure: { code: 'link_expired', message },
    });
  });

  it.each([
    ['card_declined', 'The card has been rejected.'],
    ['insufficient_funds', 'Insufficient funds to cover the payment.'],
    ['3ds_declined', 'The 3-D secure code has been rejected.'],
    ['processing_error', 'Error while processing the card.'],
    ['incorrect_number', 'The card number is incorrect.'],
    ['fraud_suspected', 'Payment rejected because a fraud has been detected.'],
    ['card_expiration_date_prior_to_last_installment_date', 'The card expiration date is prior to the last …'],
  ])('row 5: failure %s → failed, the code passed through', (code, message) => {
    expect(map(wire({ failure: { code, message } }))).toMatchObject({
      status: 'failed',
      failure: { code, message },
      payUrl: null,
    });
  });

  it('row 6: authorized, not captured → requires_capture, expiry told by authorizationExpiresAt', () => {
    const authorized = map(wire({ authorization: authorization(), card: CARD }));
    expect(authorized).toMatchObject({
      status: 'requires_capture',
      captureMethod: 'manual',
      amountCapturable: 3300,
      amountCaptured: 0,
      payUrl: null,
      authorizationExpiresAt: new Date((CREATED + 7 * 86_400 + 60) * 1000).toISOString(),
    });
    // Past expires_at PayPlug changes nothing: still requires_capture (capture is then refused).
    expect(paymentStatus(wire({ authorization: authorization(CREATED + 1) }))).toBe('requires_capture');
  });

  it('row 7: nothing yet → pending, payable at payUrl for 15 minutes', () => {
    expect(map(wire())).toMatchObject({
      status: 'pending',
      captureMethod: 'automatic',
      methodType: 'link',
      payUrl: 'https://secure.payplug.com/pay/test/5iHMDxy4ABR4YBVW4UscIn',
      payUrlExpiresAt: new Date((CREATED + 900) * 1000).toISOString(),
      card: null,
    });
    // A deferred payment not yet authorized is pending too, and manual.
    const deferred = map(wire({ authorization: { authorized_amount: 3300, authorized_at: null, expires_at: null } }));
    expect(deferred).toMatchObject({ status: 'pending', captureMethod: 'manual', authorizationExpiresAt: null });
    // A page PayPlug sends itself (sent_by) never expires.
    const sent = map(wire({ hosted_payment: { payment_url: 'https://x.example/p', sent_by: 'OTHER' } }));
    expect(sent).toMatchObject({ payUrl: 'https://x.example/p', payUrlExpiresAt: null });
  });

  it('maps the other fields: tags, customer, saved card, plan, method', () => {
    const mapped = map(
      paid({
        currency: 'eur',
        card: { ...CARD, brand: 'CB', id: 'card_e7133426b8de947b37161dfba1897dd1' },
        customer: { email: 'john.watson@example.net', first_name: 'John', last_name: 'Watson' },
        hosted_payment: null,
        installment_plan_id: 'inst_1FTGSRWYHIa7eDkfTo2Usd',
        description: 'Two shirts',
        metadata: { pos_order: 'T1-42', pos_payment: 'pay_abc', pos_key: 'k', pos_customer: 'c-1', other: 42 },
      }),
    );
    expect(mapped).toMatchObject({
      id: 'pay_5iHMDxy4ABR4YBVW4UscIn',
      reference: 'pay_5iHMDxy4ABR4YBVW4UscIn',
      orderReference: 'T1-42',
      customerId: 'c-1',
      currency: 'EUR',
      card: { brand: 'cb', last4: '1800' },
      savedCardId: 'card_e7133426b8de947b37161dfba1897dd1',
      receiptEmail: 'john.watson@example.net',
      installmentPlanId: 'inst_1FTGSRWYHIa7eDkfTo2Usd',
      methodType: 'card',
      description: 'Two shirts',
      terminalId: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    // Someone else's metadata (a number where a tag is expected) is not an order reference.
    expect(map(wire({ metadata: { pos_order: 42 } })).orderReference).toBeNull();
  });

  it('refuses wire objects the host must not read: fractional or negative amounts, another object', () => {
    expect(PaymentSchema.safeParse(wire({ amount: 33.5 })).success).toBe(false);
    expect(PaymentSchema.safeParse(wire({ amount_refunded: -1 })).success).toBe(false);
    expect(PaymentSchema.safeParse({ ...wire(), object: 'refund' }).success).toBe(false);
    expect(PaymentSchema.safeParse({ ...wire(), is_paid: 'yes' }).success).toBe(false);
    expect(
      RefundSchema.safeParse({
        id: 're_1',
        object: 'refund',
        payment_id: 'pay_1',
        is_live: false,
        amount: 0.5,
        currency: 'EUR',
        created_at: CREATED,
        metadata: null,
      }).success,
    ).toBe(false);
  });

  it('maps refunds and plans', () => {
    const refund = RefundSchema.parse({
      id: 're_3NxGqPfSGMHQgLSZH0Mv3B',
      object: 'refund',
      payment_id: 'pay_5iHMDxy4ABR4YBVW4UscIn',
      is_live: false,
      amount: 358,
      currency: 'EUR',
      created_at: CREATED,
      metadata: { pos_key: 'k', pos_reason: 'The delivery was delayed' },
    });
    expect(toRefund(refund)).toEqual({
      id: 're_3NxGqPfSGMHQgLSZH0Mv3B',
      reference: 're_3NxGqPfSGMHQgLSZH0Mv3B',
      paymentId: 'pay_5iHMDxy4ABR4YBVW4UscIn',
      amount: 358,
      currency: 'EUR',
      status: 'succeeded',
      reason: 'The delivery was delayed',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const plan = InstallmentPlanSchema.parse({
      id: 'inst_1FTGSRWYHIa7eDkfTo2Usd',
      object: 'installment_plan',
      is_live: false,
      is_active: false,
      is_fully_paid: false,
      currency: 'EUR',
      created_at: CREATED,
      customer: { first_name: 'John', last_name: 'Watson', email: 'john.watson@example.net' },
      hosted_payment: { payment_url: 'https://secure.payplug.com/pay/1FTG', return_url: null, cancel_url: null },
      notification: { url: null },
      schedule: [
        { date: '2026-01-01', amount: 15000, payment_ids: ['pay_62VazeAbq5ttYietdC2QxR'] },
        { date: '2026-02-01', amount: 15000, payment_ids: [] },
      ],
      failure: { code: 'aborted', message: 'You have aborted the transaction.' },
      metadata: null,
    });
    expect(toInstallmentPlan(plan)).toEqual({
      id: 'inst_1FTGSRWYHIa7eDkfTo2Usd',
      active: false,
      currency: 'EUR',
      schedule: [
        { date: '2026-01-01', amount: 15000, paymentIds: ['pay_62VazeAbq5ttYietdC2QxR'] },
        { date: '2026-02-01', amount: 15000, paymentIds: [] },
      ],
      payUrl: null,
      failure: { code: 'aborted', message: 'You have aborted the transaction.' },
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });
});

// -----------------------------------------------------------------------------------------------
// Errors, tags, notifications, local refusals: no gateway answer needed

describe('PayPlug errors → GatewayError terms', () => {
  it('takes param from the first detail and the details as the message when PayPlug says "see details"', () => {
    expect(
      parsePayPlugError(
        {
          object: 'error',
          message: 'Wrong or missing parameters (see details).',
          id: '349c30b00eac11e5a301a8206650bd9f',
          details: {
            customer: { first_name: 'The first_name is too long. The maximum length is 100 characters.' },
            force_3ds: 'This parameter must be a boolean (true or false).',
          },
        },
        400,
      ),
    ).toEqual({
      type: 'invalid_request',
      message:
        'The first_name is too long. The maximum length is 100 characters. This parameter must be a boolean (true or false).',
      param: 'customer.first_name',
      code: null,
    });
  });

  it('keeps a message that says it all, and types each status', () => {
    const state = parsePayPlugError(
      {
        object: 'error',
        message: 'This payment is already paid: it cannot be aborted.',
        id: 'e1',
        details: { aborted: 'This payment is already paid: it cannot be aborted.' },
      },
      400,
    );
    expect(state).toMatchObject({ message: 'This payment is already paid: it cannot be aborted.', param: 'aborted' });
    for (const [status, type] of [
      [401, 'authentication_error'],
      [403, 'forbidden'],
      [404, 'not_found'],
      [405, 'method_not_allowed'],
      [409, 'invalid_request'],
      [500, 'api_error'],
    ] as const) {
      expect(parsePayPlugError({ object: 'error', message: 'Nope.', id: 'e2' }, status)).toEqual({
        type,
        message: 'Nope.',
        param: null,
        code: null,
      });
    }
  });

  it('reads details as the reference’s table types them (a string) as well as its example does (an object)', () => {
    // Not a refusal read as "no usable answer": that would make a plain 400 an unknown outcome.
    expect(
      parsePayPlugError(
        {
          object: 'error',
          message: 'Wrong or missing parameters (see details).',
          id: 'e3',
          details: 'amount is missing.',
        },
        400,
      ),
    ).toEqual({ type: 'invalid_request', message: 'amount is missing.', param: null, code: null });
    // null details, null id, list leaves, and a message left empty.
    expect(parsePayPlugError({ object: 'error', message: 'Refused.', id: null, details: null }, 400)).toMatchObject({
      message: 'Refused.',
      param: null,
    });
    expect(
      parsePayPlugError(
        {
          object: 'error',
          message: 'See details.',
          details: { schedule: ['Two to four entries.', 'Dates in order.'] },
        },
        400,
      ),
    ).toMatchObject({ message: 'Two to four entries. Dates in order.', param: 'schedule' });
    expect(parsePayPlugError({ object: 'error', message: '', id: 'e4' }, 403)).toEqual({
      type: 'forbidden',
      message: 'PayPlug refused the request (HTTP 403).',
      param: null,
      code: null,
    });
  });

  it('reads nothing that is not a PayPlug error (null: the http layer treats it as no usable answer)', () => {
    expect(parsePayPlugError({ error: { type: 'invalid_request', message: 'PlutoPay' } }, 400)).toBeNull();
    expect(parsePayPlugError({ message: 'no object' }, 400)).toBeNull();
    expect(parsePayPlugError('text', 400)).toBeNull();
    expect(parsePayPlugError(null, 400)).toBeNull();
  });
});

describe('metadata tags', () => {
  it('fit PayPlug limits in the worst case (longest references, a long key, a long reason)', () => {
    const tags = paymentTags({
      orderReference: 'O'.repeat(64),
      paymentId: `pay_${'p'.repeat(16)}`,
      key: `pos-${'O'.repeat(64)}-99`,
      customerId: '3f2b8c1e-6d4a-4f7e-9b1a-2c3d4e5f6a7b',
    });
    expect(Object.keys(tags)).toEqual([TAG.order, TAG.payment, TAG.key, TAG.customer]);
    expect(fitsMetadataLimits(tags)).toBe(true);
    for (const [name, value] of Object.entries(tags)) {
      expect(name.length).toBeLessThanOrEqual(20);
      expect(value.length).toBeLessThanOrEqual(64);
    }
    const refund = refundTags({ key: 'k'.repeat(1_000), reason: `${'r'.repeat(199)}😀 and more` });
    expect(fitsMetadataLimits(refund)).toBe(true);
    expect(refund[TAG.reason]).toBe('r'.repeat(199)); // never half an emoji
    expect(fitsMetadataLimits({ ...tags, ...refund })).toBe(true);
  });

  it('shorten only values over 64 characters, deterministically and without collisions', () => {
    expect(tagValue('pos-T1-42-1')).toBe('pos-T1-42-1');
    expect(tagValue('x'.repeat(64))).toBe('x'.repeat(64));
    const long = `${'a'.repeat(70)}-1`;
    const other = `${'a'.repeat(70)}-2`;
    expect(tagValue(long)).toHaveLength(64);
    expect(tagValue(long)).toBe(tagValue(long));
    expect(tagValue(long)).not.toBe(tagValue(other));
    expect(tagValue(long).startsWith('a'.repeat(40))).toBe(true);
  });
});

describe('notifications (unsigned: a hint naming what to re-read)', () => {
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));
  const verify = (value: unknown, live = false) => verifyPayPlugNotification({ rawBody: body(value), live });

  it('extracts only the payment id, never trusting what the body claims', () => {
    const forged = { ...wire(), is_paid: true, amount: 1, failure: null, metadata: { pos_order: 'T1-1' } };
    expect(verify(forged)).toEqual({
      ok: true,
      eventId: null,
      type: 'payment',
      paymentId: 'pay_5iHMDxy4ABR4YBVW4UscIn',
    });
    expect(
      verify({
        id: 're_3NxGqPfSGMHQgLSZH0Mv3B',
        object: 'refund',
        payment_id: 'pay_5iHMDxy4ABR4YBVW4Usc',
        is_live: false,
      }),
    ).toEqual({ ok: true, eventId: null, type: 'refund', paymentId: 'pay_5iHMDxy4ABR4YBVW4Usc' });
    expect(verify({ id: 'inst_1FTGSRWYHIa7eDkfTo2Usd', object: 'installment_plan', is_live: false })).toEqual({
      ok: true,
      eventId: null,
      type: 'installment_plan',
      paymentId: null,
    });
  });

  it('refuses bodies that are not PayPlug objects, or of the other mode', () => {
    const refused = (raw: Buffer, live = false) => verifyPayPlugNotification({ rawBody: raw, live });
    expect(refused(Buffer.from('not json'))).toMatchObject({ ok: false, status: 400, reason: 'body is not JSON' });
    for (const value of [
      { id: 'evt_1', type: 'payment.succeeded', created_at: '2026-01-01T00:00:00Z', data: { id: 'x' } },
      [wire()],
      { id: 'pay_1', object: 'payment' },
      { id: 'pay_../../etc', object: 'payment', is_live: false },
      { id: 're_1', object: 'refund', is_live: false },
      { id: 'pay_1', object: 'dispute', is_live: false },
    ])
      expect(refused(body(value)), JSON.stringify(value)).toMatchObject({ ok: false, status: 400 });
    expect(refused(body(wire()), true)).toMatchObject({
      ok: false,
      status: 400,
      reason: expect.stringMatching(/test/),
    });
  });

  it('is the port hook on /webhooks/payplug, and remembers nothing (no event id)', () => {
    const gateway = createPayPlugGateway({ baseUrl: 'http://127.0.0.1:9', secretKey: 'sk_test_x' });
    expect(gateway.notifications?.path).toBe('/webhooks/payplug');
    const remember = vi.fn(() => true);
    expect(
      gateway.notifications!.verify({ rawBody: body(wire()), headers: {}, nowMs: Date.now(), remember }),
    ).toMatchObject({ ok: true, paymentId: 'pay_5iHMDxy4ABR4YBVW4UscIn' });
    expect(remember).not.toHaveBeenCalled();
  });
});

describe('refused here, before any call', () => {
  let nowhere: PayPlugGateway;
  // Its today, at noon: no midnight falls between writing a schedule's dates and checking them.
  const clock = new FakeClock(Date.UTC(2026, 5, 10, 12));
  beforeAll(async () => {
    // Any call that left the app would end as GatewayUnreachable: a GatewayError proves it did not.
    nowhere = createPayPlugGateway({ baseUrl: await closedPortUrl(), secretKey: 'sk_test_x', clock });
  });

  const refusal = async (promise: Promise<unknown>, code: string, param: string | null) => {
    const error = await caught(promise);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request', code, param });
    return error as GatewayError;
  };

  it('a shorter settle window is taken in test mode only: a live key keeps PayPlug’s 2 minutes', () => {
    const window = (secretKey: string) =>
      createPayPlugGateway({ baseUrl: 'http://127.0.0.1:9', secretKey, settleWindowMs: 4_000 }).capabilities
        .resendAfterUnknownMs;
    expect(window('sk_test_x')).toBe(4_000);
    expect(window('sk_live_x')).toBe(PAYPLUG_SETTLE_WINDOW_MS);
    expect(PAYPLUG_SETTLE_WINDOW_MS).toBe(120_000);
  });

  it('states its capabilities and limits', () => {
    expect(nowhere).toMatchObject({ name: 'payplug', label: 'PayPlug', capabilities: PAYPLUG_CAPABILITIES });
    expect(PAYPLUG_LIMITS).toEqual({
      amount: { min: 100, max: 2_000_000 },
      currencies: ['EUR'],
      description: { max: 80, unit: 'utf16' },
      refund: { min: 10 },
      // A saved card's id lasts 15 months (then the customer enters the card again).
      savedCardMonths: 15,
    });
    expect(paymentLimitIssues({ amount: 99, currency: 'EUR' }, PAYPLUG_LIMITS, 'PayPlug')).toHaveLength(1);
    expect(paymentLimitIssues({ amount: 2500, currency: 'USD' }, PAYPLUG_LIMITS, 'PayPlug')).toHaveLength(1);
    expect(
      paymentLimitIssues({ amount: 100, currency: 'EUR', description: 'x'.repeat(80) }, PAYPLUG_LIMITS, 'PayPlug'),
    ).toEqual([]);
  });

  it('card-present payments (PayPlug has no readers)', async () => {
    const error = await refusal(
      nowhere.create(newPayment({ channel: 'card_present' }), 'k'),
      'channel_unsupported',
      'channel',
    );
    expect(error.message).toMatch(/no card readers/);
  });

  it('a saved card or an offer to save one without the customer', async () => {
    await refusal(nowhere.create(newPayment({ savedCardId: 'card_1' }), 'k'), 'customer_required', 'customer');
    await refusal(
      nowhere.create(newPayment({ allowSaveCard: true, customer: { ...CUSTOMER, lastName: ' ' } }), 'k'),
      'customer_required',
      'customer',
    );
    await refusal(
      nowhere.create(newPayment({ allowSaveCard: true, customer: { ...CUSTOMER, email: 'nope' } }), 'k'),
      'customer_required',
      'customer.email',
    );
  });

  it('refunds under 10 cents or of a fraction of a cent', async () => {
    await refusal(nowhere.refund('pay_1', { amount: 9 }, 'k'), 'refund_amount_invalid', 'amount');
    await refusal(nowhere.refund('pay_1', { amount: 10.5 }, 'k'), 'refund_amount_invalid', 'amount');
  });

  it('installment schedules PayPlug would refuse, each with a message', async () => {
    const plan = (schedule: NewInstallmentPlan['schedule'], currency = 'EUR'): NewInstallmentPlan => ({
      currency,
      schedule,
      customer: CUSTOMER,
      orderReference: 'T1-plan',
      paymentId: 'pay_plan',
    });
    const today = isoDay(0, clock.now());
    const cases: Array<[NewInstallmentPlan['schedule'], string, RegExp]> = [
      [[{ date: 'TODAY', amount: 1000 }], 'schedule', /2, 3 or 4 installments, not 1/],
      [
        [1, 2, 3, 4, 5].map((i) => ({ date: i === 1 ? 'TODAY' : isoDay(i, clock.now()), amount: 1000 })),
        'schedule',
        /not 5/,
      ],
      [
        [
          { date: 'TODAY', amount: 1000 },
          { date: isoDay(30, clock.now()), amount: 99 },
        ],
        'schedule.1.amount',
        /at least 100/,
      ],
      [
        [
          { date: 'TODAY', amount: 1000.5 },
          { date: isoDay(30, clock.now()), amount: 1000 },
        ],
        'schedule.0.amount',
        /whole number of cents/,
      ],
      [
        [
          { date: isoDay(1, clock.now()), amount: 1000 },
          { date: isoDay(30, clock.now()), amount: 1000 },
        ],
        'schedule.0.date',
        /must be today/,
      ],
      [
        [
          { date: today, amount: 1000 },
          { date: '2026-02-30', amount: 1000 },
        ],
        'schedule.1.date',
        /YYYY-MM-DD/,
      ],
      [
        [
          { date: 'TODAY', amount: 1000 },
          { date: isoDay(30, clock.now()), amount: 1000 },
          { date: isoDay(30, clock.now()), amount: 1000 },
        ],
        'schedule.2.date',
        /must fall after installment 2/,
      ],
      [
        [
          { date: 'TODAY', amount: 1_000_000 },
          { date: isoDay(30, clock.now()), amount: 1_000_001 },
        ],
        'schedule',
        /maximum is 2,000,000/,
      ],
    ];
    for (const [schedule, param, message] of cases) {
      const error = await refusal(
        nowhere.installments.create(plan(schedule), 'k'),
        'installment_schedule_invalid',
        param,
      );
      expect(error.message).toMatch(message);
    }
    await refusal(
      nowhere.installments.create(
        plan(
          [
            { date: 'TODAY', amount: 1000 },
            { date: isoDay(30, clock.now()), amount: 1000 },
          ],
          'USD',
        ),
        'k',
      ),
      'currency_unsupported',
      'currency',
    );
    await refusal(
      nowhere.installments.create(
        {
          ...plan([
            { date: 'TODAY', amount: 1000 },
            { date: isoDay(30, clock.now()), amount: 1000 },
          ]),
          customer: { ...CUSTOMER, firstName: '' },
        },
        'k',
      ),
      'customer_required',
      'customer',
    );
  });

  it('test cards with a live key', async () => {
    const live = createPayPlugGateway({ baseUrl: await closedPortUrl(), secretKey: 'sk_live_x' });
    await refusal(live.simulateLinkPayment('pay_1', APPROVED), 'live_mode', null);
  });
});

// -----------------------------------------------------------------------------------------------
// Against the emulator

describe('PayPlug gateway against the sandbox', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPayPlug();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('maps real payments through every reachable row', async () => {
    const g = h.gateway;
    // Row 7, and a declined attempt leaves it payable (PayPlug sets failure only once it is final).
    const open = await g.create(newPayment(), key('rows'));
    expect(open).toMatchObject({ status: 'pending', failure: null });
    const declined = await g.simulateLinkPayment(open.id, DECLINED);
    expect(declined).toMatchObject({ status: 'pending', failure: null, payUrl: open.payUrl });
    // Rows 3, 2, 1.
    expect(await g.simulateLinkPayment(open.id, APPROVED)).toMatchObject({ status: 'succeeded' });
    expect(await g.refund(open.id, { amount: 500 }, key('rows-r1'))).toMatchObject({ status: 'partially_refunded' });
    expect(await g.refund(open.id, {}, key('rows-r2'))).toMatchObject({ status: 'refunded', amountRefunded: 2500 });
    // Row 4: aborted by this app.
    const aborted = await g.cancel((await g.create(newPayment(), key('rows-abort'))).id, 'k');
    expect(aborted).toMatchObject({ status: 'canceled', failure: { code: 'aborted' } });
    // Row 4: "Cancel payment" on the page, before any card was tried.
    const left = await g.create(newPayment(), key('rows-left'));
    const page = await fetch(`${left.payUrl}/cancel`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual', // the page redirects to cancel_url: never follow it off this machine
    });
    expect(page.status).toBe(303);
    expect(await g.retrieve(left.id)).toMatchObject({ status: 'canceled', failure: { code: 'canceled' } });
    // Row 6, then row 4 for an authorization (cancel = abort).
    const deferred = await g.create(newPayment({ captureMethod: 'manual' }), key('rows-deferred'));
    const authorized = await g.simulateLinkPayment(deferred.id, APPROVED);
    expect(authorized).toMatchObject({ status: 'requires_capture', amountCapturable: 2500, payUrl: null });
    expect(Date.parse(authorized.authorizationExpiresAt!)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(await g.cancel(deferred.id, 'k')).toMatchObject({ status: 'canceled', failure: { code: 'aborted' } });
    const ledger = await h.ledger();
    expect(ledger.payments.find((p) => p.id === deferred.id)?.status).toBe('failed');
  });

  it('gives the hosted page as payUrl while payable, for 15 minutes from creation', async () => {
    const created = await h.gateway.create(newPayment(), key('url'));
    expect(created.payUrl).toMatch(new RegExp(`^${h.url}/pay/test/`));
    expect(Date.parse(created.payUrlExpiresAt!) - Date.parse(created.createdAt)).toBe(15 * 60 * 1000);
    const page = await fetch(created.payUrl!);
    expect(page.status).toBe(200);
    await page.text();
    const paid = await h.gateway.simulateLinkPayment(created.id, APPROVED);
    expect(paid).toMatchObject({ payUrl: null, payUrlExpiresAt: null });
  });

  it('sends what the reference asks for a hosted payment: amount, EUR, customer, URLs, tags', async () => {
    const created = await h.gateway.create(
      newPayment({ receiptEmail: 'jane@example.net', customerId: '3f2b8c1e-6d4a-4f7e-9b1a-2c3d4e5f6a7b' }),
      key('body'),
    );
    const raw = await sandboxCall<Record<string, unknown> & { hosted_payment: Record<string, unknown> }>(
      h.url,
      h.secretKey,
      'GET',
      `/v1/payments/${created.id}`,
    );
    expect(raw).toMatchObject({
      amount: 2500,
      authorization: null,
      currency: 'EUR',
      customer: { email: 'jane@example.net' },
      hosted_payment: { return_url: 'https://shop.example/paid', cancel_url: 'https://shop.example/canceled' },
      notification: { url: null },
      allow_save_card: false,
    });
    expect(created).toMatchObject({
      receiptEmail: 'jane@example.net',
      customerId: '3f2b8c1e-6d4a-4f7e-9b1a-2c3d4e5f6a7b',
    });
  });

  it('captures all or nothing: a partial amount is refused here, the whole amount is captured', async () => {
    const created = await h.gateway.create(newPayment({ captureMethod: 'manual' }), key('capture'));
    await h.gateway.simulateLinkPayment(created.id, APPROVED);
    const partial = await caught(h.gateway.capture(created.id, 1000, 'k'));
    expect(partial).toBeInstanceOf(GatewayError);
    expect(partial).toMatchObject({ code: 'partial_capture_unsupported', param: 'amount' });
    expect((partial as Error).message).toMatch(/whole authorized amount \(2500 cents\)/);
    expect((await h.gateway.retrieve(created.id)).status).toBe('requires_capture');
    expect(await h.gateway.capture(created.id, 2500, 'k')).toMatchObject({ status: 'succeeded', amountCaptured: 2500 });
    const again = await caught(h.gateway.capture(created.id, undefined, 'k'));
    expect(again).toMatchObject({ status: 400, param: 'captured', message: 'This payment has already been captured.' });
  });

  it('cannot cancel a paid payment (PayPlug refuses; refund it instead)', async () => {
    const created = await h.gateway.create(newPayment(), key('cancel-paid'));
    await h.gateway.simulateLinkPayment(created.id, APPROVED);
    const error = await caught(h.gateway.cancel(created.id, 'k'));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request', param: 'aborted' });
  });

  it('saves a card when the customer ticks the box, then charges it in one click', async () => {
    const offered = await h.gateway.create(newPayment({ allowSaveCard: true, customer: CUSTOMER }), key('save'));
    expect(offered.savedCardId).toBeNull();
    const saved = await h.gateway.simulateLinkPayment(offered.id, APPROVED, { saveCard: true });
    expect(saved.savedCardId).toMatch(/^card_[0-9a-f]{32}$/);

    const notTicked = await h.gateway.create(newPayment({ allowSaveCard: true, customer: CUSTOMER }), key('no-save'));
    expect((await h.gateway.simulateLinkPayment(notTicked.id, APPROVED)).savedCardId).toBeNull();

    const oneClick = await h.gateway.create(
      newPayment({ savedCardId: saved.savedCardId, customer: CUSTOMER, amount: 1234 }),
      key('one-click'),
    );
    expect(oneClick).toMatchObject({
      status: 'succeeded',
      amount: 1234,
      methodType: 'card',
      payUrl: null,
      savedCardId: saved.savedCardId,
      card: { brand: 'visa', last4: '4242' },
    });
    const deferred = await h.gateway.create(
      newPayment({ savedCardId: saved.savedCardId, customer: CUSTOMER, captureMethod: 'manual' }),
      key('one-click-deferred'),
    );
    expect(deferred).toMatchObject({ status: 'requires_capture', captureMethod: 'manual' });
    const unknownCard = await caught(
      h.gateway.create(newPayment({ savedCardId: 'card_0000', customer: CUSTOMER }), key('bad-card')),
    );
    expect(unknownCard).toMatchObject({ status: 400, param: 'savedCardId', code: 'saved_card_refused' });
  });

  it('creates, retrieves and aborts an installment plan', async () => {
    const input: NewInstallmentPlan = {
      currency: 'EUR',
      schedule: [
        { date: 'TODAY', amount: 1000 },
        { date: isoDay(30), amount: 1000 },
        { date: isoDay(60), amount: 1300 },
      ],
      customer: CUSTOMER,
      orderReference: 'T1-plan',
      paymentId: 'pay_plan0000000001',
    };
    const plan = await h.gateway.installments.create(input, 'pos-T1-plan-1');
    expect(plan).toMatchObject({ active: true, currency: 'EUR', failure: null });
    expect(plan.schedule.map((entry) => entry.amount)).toEqual([1000, 1000, 1300]);
    expect(plan.schedule[0]!.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(plan.schedule[0]!.paymentIds).toHaveLength(1);
    expect(plan.schedule[1]!.paymentIds).toEqual([]);
    expect(plan.payUrl).toMatch(new RegExp(`^${h.url}/pay/test/`));
    expect(await h.gateway.installments.retrieve(plan.id)).toEqual(plan);

    const first = await h.gateway.retrieve(plan.schedule[0]!.paymentIds[0]!);
    expect(first).toMatchObject({ installmentPlanId: plan.id, amount: 1000, status: 'pending' });

    const aborted = await h.gateway.installments.abort(plan.id);
    expect(aborted).toMatchObject({ id: plan.id, active: false, payUrl: null, failure: { code: 'aborted' } });
    expect(await h.gateway.retrieve(first.id)).toMatchObject({ status: 'canceled', failure: { code: 'aborted' } });
    const again = await caught(h.gateway.installments.abort(plan.id));
    expect(again).toMatchObject({ status: 400, param: 'aborted' });
    const missing = await caught(h.gateway.installments.retrieve('inst_nope'));
    expect(missing).toMatchObject({ status: 404, type: 'not_found' });
  });

  it('finds a plan whose create answer was lost, through its first payment', async () => {
    const input: NewInstallmentPlan = {
      currency: 'EUR',
      schedule: [
        { date: 'TODAY', amount: 1500 },
        { date: isoDay(30), amount: 1500 },
      ],
      customer: CUSTOMER,
      orderReference: 'T1-lost-plan',
      paymentId: 'pay_plan0000000009',
    };
    h.sandbox.payplug.setFaults({ drop_after_commit_rate: 1 });
    let lost: unknown;
    try {
      lost = await caught(h.gateway.installments.create(input, 'pos-T1-lost-plan-1'));
    } finally {
      h.sandbox.payplug.setFaults({ drop_after_commit_rate: 0 });
    }
    expect(lost).toMatchObject({ outcome: 'unknown' });
    // A later payment does not hide it.
    await h.gateway.create(newPayment(), key('after-lost-plan'));
    const found = await h.gateway.installments.findCreated(input, 'pos-T1-lost-plan-1');
    expect(found).toMatchObject({ active: true, schedule: [{ amount: 1500 }, { amount: 1500 }] });
    expect(await h.gateway.installments.findCreated(input, 'pos-T1-lost-plan-2')).toBeNull();
    // One plan, so one first installment, on the gateway.
    const planIds = (await h.ledger()).payments.map((p) => p.installment_plan_id).filter((id) => id !== null);
    expect(planIds.filter((id) => id === found!.id)).toHaveLength(1);
  });

  it('pays the first installment on its page', async () => {
    // On a clock of its own at noon: no midnight falls between writing the first date and checking it.
    const clock = new FakeClock(Date.UTC(2026, 5, 10, 12));
    const own = await startPayPlug({ clock }, clock);
    try {
      const plan = await own.gateway.installments.create(
        {
          currency: 'EUR',
          schedule: [
            { date: isoDay(0, clock.now()), amount: 2000 },
            { date: isoDay(31, clock.now()), amount: 2000 },
          ],
          customer: CUSTOMER,
          orderReference: 'T1-plan-2',
          paymentId: 'pay_plan0000000002',
        },
        'pos-T1-plan-2-1',
      );
      const first = await own.gateway.simulateLinkPayment(plan.schedule[0]!.paymentIds[0]!, APPROVED);
      expect(first).toMatchObject({ status: 'succeeded', installmentPlanId: plan.id });
      expect((await own.gateway.installments.retrieve(plan.id)).active).toBe(true);
    } finally {
      await own.close();
    }
  });

  it("checks a plan's dates on the till's clock, not the computer's (a till whose clock differs)", async () => {
    // The till and its sandbox agree it is 2025-03-10; the computer's own clock says otherwise.
    const clock = new FakeClock(Date.UTC(2025, 2, 10, 9, 30));
    const other = await startPayPlug({ clock }, clock);
    try {
      for (const first of ['TODAY', '2025-03-10']) {
        const plan = await other.gateway.installments.create(
          {
            currency: 'EUR',
            schedule: [
              { date: first, amount: 2000 },
              { date: '2025-04-10', amount: 2000 },
            ],
            customer: CUSTOMER,
            orderReference: `T1-clock-${first}`,
            paymentId: 'pay_plan0000000003',
          },
          `pos-T1-clock-${first}-1`,
        );
        expect(plan.schedule.map((entry) => entry.date)).toEqual(['2025-03-10', '2025-04-10']);
      }
      // The day before the till's today is refused by the till itself, as it names that today.
      const error = await caught(
        other.gateway.installments.create(
          {
            currency: 'EUR',
            schedule: [
              { date: '2025-03-09', amount: 2000 },
              { date: '2025-04-10', amount: 2000 },
            ],
            customer: CUSTOMER,
            orderReference: 'T1-clock-late',
            paymentId: 'pay_plan0000000004',
          },
          'pos-T1-clock-late-1',
        ),
      );
      expect(error).toMatchObject({ code: 'installment_schedule_invalid', param: 'schedule.0.date' });
      expect((error as Error).message).toMatch(/must be today \(2025-03-10\), not 2025-03-09/);
    } finally {
      await other.close();
    }
  });

  it('tags payments and refunds within the metadata limits, and finds them by key', async () => {
    const longKey = `pos-${'R'.repeat(64)}-1`;
    const input = newPayment({ orderReference: 'R'.repeat(64), customerId: '3f2b8c1e-6d4a-4f7e-9b1a-2c3d4e5f6a7b' });
    const created = await h.gateway.create(input, longKey);
    expect(created.orderReference).toBe('R'.repeat(64));
    await h.gateway.simulateLinkPayment(created.id, APPROVED);
    await h.gateway.refund(created.id, { amount: 100, reason: 'Damaged on delivery' }, `refund-${input.paymentId}-1`);
    const ledger = await h.ledger();
    const payment = ledger.payments.find((p) => p.id === created.id)!;
    expect(payment.metadata).toEqual({
      pos_order: 'R'.repeat(64),
      pos_payment: input.paymentId,
      pos_key: tagValue(longKey),
      pos_customer: '3f2b8c1e-6d4a-4f7e-9b1a-2c3d4e5f6a7b',
    });
    const refund = ledger.refunds.find((r) => r.payment_id === created.id)!;
    expect(refund.metadata).toEqual({ pos_key: `refund-${input.paymentId}-1`, pos_reason: 'Damaged on delivery' });
    for (const metadata of [payment.metadata, refund.metadata] as Array<Record<string, string>>)
      expect(fitsMetadataLimits(metadata)).toBe(true);

    expect((await h.gateway.findCreated(input, longKey))?.id).toBe(created.id);
    expect(await h.gateway.findCreated(input, `pos-${'R'.repeat(64)}-2`)).toBeNull();
    expect(await h.gateway.refundExists(created.id, `refund-${input.paymentId}-1`)).toBe(true);
    expect(await h.gateway.refundExists(created.id, `refund-${input.paymentId}-2`)).toBe(false);
    expect((await h.gateway.refunds(created.id))[0]).toMatchObject({ amount: 100, reason: 'Damaged on delivery' });
  });

  it('looks back only so far for a lost create (recentWindow)', async () => {
    const input = newPayment();
    const windowKey = key('window');
    const created = await h.gateway.create(input, windowKey);
    await h.gateway.create(newPayment(), key('window-later'));
    await h.gateway.create(newPayment(), key('window-later'));
    expect(await h.make({ recentWindow: 2 }).findCreated(input, windowKey)).toBeNull();
    expect((await h.make({ recentWindow: 3 }).findCreated(input, windowKey))?.id).toBe(created.id);
    expect((await h.gateway.findCreated(input, windowKey))?.id).toBe(created.id);
  });

  it("looks back to a lost create's first send, however many payments were made since", async () => {
    // Found hunting the offline queue: after a long outage, with more payments made since (other
    // tills, the website) than the 300 newest it looked through, a saved card's charge whose answer
    // was lost was not found, and was sent again: the card charged twice.
    const input = newPayment();
    const lostKey = key('lost-long');
    const created = await h.gateway.create(input, lostKey);
    const since = Date.parse(created.createdAt);
    for (let n = 0; n < 3; n++) await h.gateway.create(newPayment(), key('since-lost'));
    expect((await h.make({ recentWindow: 2 }).findCreated(input, lostKey, since))?.id).toBe(created.id);
    // Allowed to look no further than 3 back: it cannot tell, and says so rather than "not made".
    const short = h.make({ recentWindow: 2, lookbackLimit: 3 });
    const unknown = await caught(short.findCreated(input, lostKey, since));
    expect(unknown).toBeInstanceOf(GatewayUnreadable);
    expect((unknown as Error).message).toMatch(/^PayPlug's 3 newest payments do not reach back to when/);
    // A create first sent after all of these (an hour later): the newest payment is older, so it
    // was not made.
    expect(await short.findCreated(input, key('never-made'), since + 3_600_000)).toBeNull();
    // A till whose clock runs an hour ahead: the newest payments look older than its first send,
    // yet it still reads as far as it would have without `since`.
    const aheadKey = key('ahead');
    const later = await h.gateway.create(newPayment(), aheadKey);
    await h.gateway.create(newPayment(), key('since-ahead'));
    const ahead = h.make({ recentWindow: 3, lookbackLimit: 3 });
    expect((await ahead.findCreated(input, aheadKey, Date.parse(later.createdAt) + 3_600_000))?.id).toBe(later.id);
  });

  it('maps PayPlug refusals to GatewayError (param from details) and 5xx to GatewayUnreachable', async () => {
    const small = await caught(h.gateway.create(newPayment({ amount: 50 }), key('small')));
    expect(small).toBeInstanceOf(GatewayError);
    expect(small).toMatchObject({ status: 400, type: 'invalid_request', param: 'amount', code: null });
    expect((small as Error).message).toBe(
      'The minimum amount is 1 EUR (100 cents). The amount you provided is 50 cents.',
    );

    const several = await caught(
      h.gateway.create(newPayment({ description: 'd'.repeat(81), receiptEmail: 'not-an-email' }), key('several')),
    );
    expect(several).toMatchObject({ status: 400, param: 'customer.email' });
    expect((several as Error).message).toMatch(/email address.*description must be at most 80 characters/);

    const wrongKey = await caught(h.make({ secretKey: 'sk_test_00000000000000000000000000000000' }).account());
    expect(wrongKey).toMatchObject({ status: 401, type: 'authentication_error' });
    const liveKey = await caught(h.make({ secretKey: 'sk_live_00000000000000000000000000000000' }).retrieve('pay_1'));
    expect((liveKey as Error).message).toMatch(/test mode/);

    expect(await caught(h.gateway.retrieve('pay_doesnotexist'))).toMatchObject({ status: 404, type: 'not_found' });

    const http = new GatewayHttp({ baseUrl: h.url, parseError: parsePayPlugError });
    const method = await caught(http.request(PaymentSchema, 'DELETE', '/v1/payments', { auth: h.secretKey }));
    expect(method).toBeInstanceOf(GatewayError);
    expect(method).toMatchObject({ status: 405, type: 'method_not_allowed' });

    const paid = await h.gateway.create(newPayment(), key('over'));
    await h.gateway.simulateLinkPayment(paid.id, APPROVED);
    expect(await caught(h.gateway.refund(paid.id, { amount: 2501 }, 'k'))).toMatchObject({
      status: 400,
      param: 'amount',
    });

    h.sandbox.payplug.setFaults({ error_rate: 1 });
    try {
      const failed = await caught(h.gateway.retrieve(paid.id));
      expect(failed).toBeInstanceOf(GatewayUnreachable);
      expect(failed).toMatchObject({ outcome: 'unknown', status: 500 });
    } finally {
      h.sandbox.payplug.setFaults({ error_rate: 0 });
    }
  });

  it('hands real notifications to verify, which names the payment to re-read', async () => {
    const receiver = await notificationReceiver();
    try {
      const gateway = h.make({ notificationUrl: receiver.url });
      const created = await gateway.create(newPayment(), key('notify'));
      await gateway.simulateLinkPayment(created.id, APPROVED);
      await gateway.refund(created.id, { amount: 300 }, key('notify-refund'));
      await h.sandbox.payplug.notificationsIdle();
      expect(receiver.bodies).toHaveLength(2);
      const verified = receiver.bodies.map((rawBody) =>
        gateway.notifications!.verify({ rawBody, headers: {}, nowMs: Date.now(), remember: () => true }),
      );
      expect(verified).toEqual([
        { ok: true, eventId: null, type: 'payment', paymentId: created.id },
        { ok: true, eventId: null, type: 'refund', paymentId: created.id },
      ]);
      // The host then re-reads the payment: that answer, not the body, is the truth.
      expect(await gateway.retrieve(created.id)).toMatchObject({ status: 'partially_refunded', amountRefunded: 300 });
    } finally {
      await receiver.close();
    }
  });
});

describe('a PayPlug that ignores `page` (or a cache in front of it that does)', () => {
  const REFUND = {
    id: 're_3NxGqPfSGMHQgLSZH0Mv3B',
    object: 'refund',
    payment_id: 'pay_5iHMDxy4ABR4YBVW4UscIn',
    is_live: false,
    amount: 358,
    currency: 'EUR',
    created_at: CREATED,
    metadata: { pos_key: 'refund-other-1' },
  };
  // Every page is the first one again, saying more follow.
  async function repeating(item: unknown) {
    const server = await badServer();
    server.answer(200, JSON.stringify({ object: 'list', page: 0, per_page: 100, has_more: true, data: [item] }));
    let calls = 0;
    const gateway = createPayPlugGateway({
      baseUrl: server.url,
      secretKey: 'sk_test_repeating',
      http: {
        timeoutMs: 5_000,
        // Before, the scan asked again for ever: stop it here so that such a run ends.
        fetchImpl: (input, init) => (++calls > 50 ? Promise.reject(new Error('asked 50 times')) : fetch(input, init)),
      },
    });
    return { gateway, calls: () => calls, close: () => server.close() };
  }

  it('a lost create is not taken as "not made" (which would send it again): the answer is unreadable', async () => {
    const h = await repeating(wire());
    try {
      const error = await caught(h.gateway.findCreated(newPayment(), key('repeating')));
      expect(error).toBeInstanceOf(GatewayUnreachable);
      expect(error).toMatchObject({ outcome: 'unknown' });
      expect((error as Error).message).toBe(
        "PayPlug's page 1 of its payments holds only payments its earlier pages gave, and says more follow: its pages cannot be read.",
      );
      expect(h.calls()).toBe(2);
    } finally {
      await h.close();
    }
  });

  it("a payment's refunds are read once each, not once a page", async () => {
    const h = await repeating(REFUND);
    try {
      const error = await caught(h.gateway.refunds('pay_5iHMDxy4ABR4YBVW4UscIn'));
      expect(error).toMatchObject({ outcome: 'unknown' });
      expect(h.calls()).toBe(2);
    } finally {
      await h.close();
    }
  });
});

describe('lists: PayPlug paging, and local filters over the newest payments', () => {
  let h: Harness;
  const ids: string[] = [];
  beforeAll(async () => {
    h = await startPayPlug();
    for (const [index, amount] of [1500, 500, 2500, 1000, 2000].entries()) {
      const created = await h.gateway.create(
        newPayment({ amount, orderReference: `LIST-${index}`, description: `List ${index}` }),
        key(`list-${index}`),
      );
      if (index % 2 === 1) await h.gateway.simulateLinkPayment(created.id, APPROVED);
      ids.unshift(created.id);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  const query = { sortField: 'created_at', sortOrder: 'desc', page: 1, size: 10 } as const;

  it('passes newest-first pages through; total counts what was seen (plus one while there is more)', async () => {
    const first = await h.gateway.list({ ...query, size: 2 });
    expect(first.data.map((p) => p.id)).toEqual(ids.slice(0, 2));
    expect(first.meta).toEqual({ currentPage: 1, lastPage: 2, perPage: 2, total: 3, more: true });
    const last = await h.gateway.list({ ...query, size: 2, page: 3 });
    expect(last.data.map((p) => p.id)).toEqual(ids.slice(4));
    expect(last.meta).toEqual({ currentPage: 3, lastPage: 3, perPage: 2, total: 5 });
    // Past the end the total is still what exists, not as if every page before had been full.
    const beyond = await h.gateway.list({ ...query, size: 2, page: 4 });
    expect(beyond.data).toEqual([]);
    expect(beyond.meta).toEqual({ currentPage: 4, lastPage: 3, perPage: 2, total: 5 });
    const far = await h.gateway.list({ ...query, size: 2, page: 40 });
    expect(far).toEqual({ data: [], meta: { currentPage: 40, lastPage: 3, perPage: 2, total: 5 } });
    const exact = await h.gateway.list({ ...query, size: 5, page: 3 });
    expect(exact.meta).toEqual({ currentPage: 3, lastPage: 1, perPage: 5, total: 5 });
  });

  it('filters, searches and sorts locally', async () => {
    const succeeded = await h.gateway.list({ ...query, status: 'succeeded' });
    expect(succeeded.data.map((p) => p.orderReference)).toEqual(['LIST-3', 'LIST-1']);
    expect(succeeded.meta).toEqual({ currentPage: 1, lastPage: 1, perPage: 10, total: 2 });
    expect((await h.gateway.list({ ...query, search: 'list-2' })).data.map((p) => p.orderReference)).toEqual([
      'LIST-2',
    ]);
    expect((await h.gateway.list({ ...query, search: ids[0]!.slice(4) })).data).toHaveLength(1);
    const byAmount = await h.gateway.list({ ...query, sortField: 'amount', sortOrder: 'asc', size: 3, page: 2 });
    expect(byAmount.data.map((p) => p.amount)).toEqual([2000, 2500]);
    expect(byAmount.meta).toEqual({ currentPage: 2, lastPage: 2, perPage: 3, total: 5 });
    const oldest = await h.gateway.list({ ...query, sortOrder: 'asc', size: 1 });
    expect(oldest.data[0]?.orderReference).toBe('LIST-0');
    expect((await h.gateway.list({ ...query, methodType: 'link' })).meta.total).toBe(5);
    expect((await h.gateway.list({ ...query, methodType: 'card' })).meta.total).toBe(0);
    expect((await h.gateway.list({ ...query, dateFrom: isoDay(-1), dateTo: isoDay(1) })).meta.total).toBe(5);
    expect((await h.gateway.list({ ...query, dateFrom: isoDay(2) })).meta.total).toBe(0);
  });
});

describe('lists: sorting by status', () => {
  it('sorts by the status name, as PlutoPay and the journal do', async () => {
    const h = await startPayPlug();
    try {
      await h.gateway.create(newPayment({ amount: 1000, orderReference: 'SORT-OPEN' }), key('sort-open'));
      const withdrawn = await h.gateway.create(
        newPayment({ amount: 1000, orderReference: 'SORT-GONE' }),
        key('sort-gone'),
      );
      await h.gateway.cancel(withdrawn.id, key('sort-gone-cancel'));
      const paid = await h.gateway.create(newPayment({ amount: 1000, orderReference: 'SORT-PAID' }), key('sort-paid'));
      await h.gateway.simulateLinkPayment(paid.id, APPROVED);
      const sorted = await h.gateway.list({ sortField: 'status', sortOrder: 'asc', page: 1, size: 10 });
      expect(sorted.data.map((p) => [p.orderReference, p.status])).toEqual([
        ['SORT-GONE', 'canceled'],
        ['SORT-OPEN', 'pending'],
        ['SORT-PAID', 'succeeded'],
      ]);
    } finally {
      await h.close();
    }
  });
});

describe('time on the sandbox clock', () => {
  let h: Harness;
  let clock: FakeClock;
  // A sandbox per test, on a fake clock started at the real time, which the gateway checks dates
  // on too: its time moves only by `advance`, so expiries fall exactly when told, no test sees
  // another's moved clock, and no midnight falls between writing a date and checking it.
  beforeEach(async () => {
    clock = new FakeClock(Date.now());
    h = await startPayPlug({ clock }, clock);
  });
  afterEach(async () => {
    await h?.close();
  });

  it('charges later installments to the same card on their dates', async () => {
    const plan = await h.gateway.installments.create(
      {
        currency: 'EUR',
        schedule: [
          { date: 'TODAY', amount: 1000 },
          { date: isoDay(1, clock.now()), amount: 1100 },
          { date: isoDay(2, clock.now()), amount: 1200 },
        ],
        customer: CUSTOMER,
        orderReference: 'T1-time-plan',
        paymentId: 'pay_plan0000000003',
      },
      'pos-T1-time-plan-1',
    );
    await h.gateway.simulateLinkPayment(plan.schedule[0]!.paymentIds[0]!, APPROVED);
    await h.advance(3 * 86_400);
    const done = await h.gateway.installments.retrieve(plan.id);
    expect(done.active).toBe(false);
    expect(done.failure).toBeNull();
    for (const entry of done.schedule.slice(1)) {
      expect(entry.paymentIds).toHaveLength(1);
      expect(await h.gateway.retrieve(entry.paymentIds[0]!)).toMatchObject({
        status: 'succeeded',
        amount: entry.amount,
        installmentPlanId: plan.id,
        methodType: 'card',
      });
    }
  });

  it('an unpaid link fails after 15 minutes: expired, or the last attempt’s code', async () => {
    const untried = await h.gateway.create(newPayment(), key('expire'));
    const tried = await h.gateway.create(newPayment(), key('expire-tried'));
    await h.gateway.simulateLinkPayment(tried.id, DECLINED);
    await h.advance(14 * 60 + 59);
    expect((await h.gateway.retrieve(untried.id)).status).toBe('pending');
    await h.advance(1);
    expect(await h.gateway.retrieve(untried.id)).toMatchObject({
      status: 'failed',
      failure: { code: 'link_expired', message: 'The customer has not tried to pay and left the payment page.' },
      payUrl: null,
      payUrlExpiresAt: null,
    });
    expect(await h.gateway.retrieve(tried.id)).toMatchObject({ status: 'failed', failure: { code: 'card_declined' } });
    expect(await caught(h.gateway.simulateLinkPayment(untried.id, APPROVED))).toMatchObject({
      status: 400,
      param: 'card_number',
    });
  });

  it('an authorization lapses after 7 days: capture is refused, cancel still ends it', async () => {
    const created = await h.gateway.create(newPayment({ captureMethod: 'manual' }), key('lapse'));
    const authorized = await h.gateway.simulateLinkPayment(created.id, APPROVED);
    const lapse = Date.parse(authorized.authorizationExpiresAt!);
    await h.advance(7 * 86_400);
    const after = await h.gateway.retrieve(created.id);
    expect(after).toMatchObject({
      status: 'requires_capture',
      authorizationExpiresAt: authorized.authorizationExpiresAt,
    });
    const { now } = await h.advance(0);
    expect(Date.parse(now)).toBeGreaterThanOrEqual(lapse);
    const refused = await caught(h.gateway.capture(created.id, undefined, 'k'));
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 400, param: 'captured' });
    expect((refused as Error).message).toMatch(/authorization has expired/);
    expect((await h.ledger()).payments.find((p) => p.id === created.id)?.status).toBe('authorization_expired');
    expect(await h.gateway.cancel(created.id, 'k')).toMatchObject({ status: 'canceled', failure: { code: 'aborted' } });
  });
});
