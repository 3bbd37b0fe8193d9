/**
 * Plural's wire, without a server: the schemas (amounts that may come as strings, read strictly),
 * the error format, the status table row by row, the references, how a refund is drawn from splits,
 * and both signatures against vectors computed independently with openssl.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../main/gateway/errors';
import { failureCode, STATUS_TABLE, toPayment, toRefund } from '../../main/gateway/plural/map';
import {
  captureReference,
  chargeReference,
  chargeTags,
  refundReference,
  refundTags,
  settlementLineReference,
  tagValue,
} from '../../main/gateway/plural/references';
import {
  AmountSchema,
  ORDER_STATUSES,
  OrderSchema,
  parsePluralError,
  TokenSchema,
  type WireOrder,
  type WireOrderInput,
} from '../../main/gateway/plural/schemas';
import { returnSignedString, verifyReturnParams } from '../../main/gateway/plural/signature';
import {
  allocateRefund,
  chargeMoney,
  drawFromShares,
  explicitRefund,
  proRata,
  releasable,
} from '../../main/gateway/plural/splits';
import { caught } from './helpers';

/** The emulator's documented example key (docs/sandbox-plural.md). */
const KEY = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

/**
 * Vectors computed with `printf '%s' "$STRING" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY`
 * (OpenSSL 3.0.19), independently of the code under test. The first two are the reference's own
 * sample pairs (its signing examples); the next two its return-URL samples, which say
 * `payment_status`; the last one UTF-8 beyond ASCII.
 */
const VECTORS: Array<{ params: Record<string, string>; text: string; signature: string }> = [
  {
    params: { order_id: 'random_order_id', status: 'AUTHORIZED' },
    text: 'order_id=random_order_id&status=AUTHORIZED',
    signature: '0ff80cc2ea344e55b9da16d1f9fd89e895fe3e4d2e3831966054e29ab4a0be84',
  },
  {
    params: {
      status: 'FAILED',
      order_id: 'v1-4405071524-aa-qlAtAf',
      error_message: 'Consumer Authentication required',
      error_code: 'USER_AUTHENTICATION_FAILED',
    },
    text: 'error_code=USER_AUTHENTICATION_FAILED&error_message=Consumer Authentication required&order_id=v1-4405071524-aa-qlAtAf&status=FAILED',
    signature: '350e56d3f14b086d8175a6ba3287642f27d8f08295463a9d93e10252b23b6caf',
  },
  {
    params: { order_id: 'v1-4405071524-aa-qlAtAf', payment_status: 'AUTHORIZED' },
    text: 'order_id=v1-4405071524-aa-qlAtAf&payment_status=AUTHORIZED',
    signature: '026e778b98bf8ad78aab1a38dc57206f9bd86d487cba61af795e2f60dce60251',
  },
  {
    params: {
      order_id: 'v1-4405071524-aa-qlAtAf',
      payment_status: 'AUTHORIZED',
      error_code: 'USER_AUTHENTICATION_REQUIRED',
      error_message: 'Consumer Authentication Required',
    },
    text: 'error_code=USER_AUTHENTICATION_REQUIRED&error_message=Consumer Authentication Required&order_id=v1-4405071524-aa-qlAtAf&payment_status=AUTHORIZED',
    signature: 'fa7b4a8850eb93f410c5c9a90886f410953c3d608d45e22e974639550fa01d87',
  },
  {
    params: { order_id: 'v1-1', status: 'FAILED', error_code: 'DECLINED', error_message: 'Carte refusée — ₹ 1 250' },
    text: 'error_code=DECLINED&error_message=Carte refusée — ₹ 1 250&order_id=v1-1&status=FAILED',
    signature: '75b08b0fc2ec3d58d49a3c01103caa3687a9664b2820114709b42aa6390f4304',
  },
];

// -----------------------------------------------------------------------------------------------

const inr = (value: number | string) => ({ value, currency: 'INR' });

/** A charge order as Plural writes it, fresh. */
function order(overrides: Partial<WireOrderInput> = {}): WireOrder {
  return OrderSchema.parse({
    order_id: 'v1-260101000000-aa-AbC123',
    merchant_order_reference: 'T1_42-0123456789abcdef',
    type: 'CHARGE',
    status: 'CREATED',
    merchant_id: '528970',
    order_amount: inr(50000),
    pre_auth: false,
    allowed_payment_methods: ['CARD'],
    notes: 'Two coffees',
    redirect_url: 'https://checkout.example/pay/abc',
    purchase_details: {
      customer: { email_id: 'kevin@example.in', first_name: 'Kevin', last_name: 'Bob' },
      merchant_metadata: { pos_order: 'T1/42', pos_payment: 'pay_1', pos_key: 'pos-T1/42-1', pos_customer: 'cus_9' },
    },
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    integration_mode: 'SEAMLESS',
    payment_retries_remaining: 10,
    ...overrides,
  });
}

const CARD = {
  card_type: 'CREDIT',
  network_name: 'VISA',
  issuer_name: 'HDFC',
  last4_digit: '1111',
};

function payment(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: `v1-260101000000-aa-AbC123-cc-${status.toLowerCase()}`,
    status,
    payment_amount: inr(50000),
    payment_method: 'CARD',
    payment_option: { card_data: CARD },
    created_at: '2026-01-01T00:01:00.000Z',
    updated_at: '2026-01-01T00:02:00.000Z',
    ...extra,
  };
}

const declined = payment('FAILED', {
  payment_option: { card_data: { ...CARD, last4_digit: '0002' } },
  error_detail: { code: 'PAYMENT_DECLINED', message: 'The issuer declined the payment.' },
});

function refundOrder(n: number, value: number, lines: Array<Record<string, unknown>> = [], status = 'PROCESSED') {
  return OrderSchema.parse({
    order_id: `v1-260101000100-aa-Rf000${n}`,
    parent_order_id: 'v1-260101000000-aa-AbC123',
    merchant_order_reference: `v1-260101000000-aa-AbC123-R${n}`,
    type: 'REFUND',
    status,
    order_amount: inr(value),
    purchase_details: {
      merchant_metadata: { pos_key: `refund-${n}`, pos_op: 'refund', pos_reason: `reason ${n}` },
      ...(lines.length > 0 ? { split_info: { split_type: 'AMOUNT', split_details: lines } } : {}),
    },
    created_at: '2026-01-01T00:10:00.000Z',
  });
}

// -----------------------------------------------------------------------------------------------

describe('amounts, read strictly', () => {
  it('takes an integer or a string of digits, and nothing else', () => {
    expect(AmountSchema.parse(inr(21000)).value).toBe(21000);
    expect(AmountSchema.parse(inr('21000')).value).toBe(21000);
    expect(AmountSchema.parse(inr('0')).value).toBe(0);
    for (const value of ['12.5', '', '1e3', '-5', ' 1', '1 ', '0x10', '21000.00', '+1', '１２']) {
      expect(AmountSchema.safeParse(inr(value)).success, JSON.stringify(value)).toBe(false);
    }
    for (const value of [12.5, -1, Number.NaN, Infinity, 2 ** 53]) {
      expect(AmountSchema.safeParse(inr(value)).success, String(value)).toBe(false);
    }
    expect(AmountSchema.safeParse({ value: 100 }).success).toBe(false);
    expect(AmountSchema.safeParse({ value: true, currency: 'INR' }).success).toBe(false);
  });

  it('reads them wherever an order carries money', () => {
    const parsed = order({
      status: 'PARTIALLY_CAPTURED',
      pre_auth: true,
      order_amount: inr('50000'),
      payments: [
        payment('PROCESSED', {
          payment_amount: inr('50000'),
          capture_data: [{ merchant_capture_reference: 'cap', capture_amount: inr('30000') }],
        }),
      ],
    });
    expect(toPayment(parsed)).toMatchObject({ amount: 50000, amountCaptured: 30000, status: 'succeeded' });
    expect(OrderSchema.safeParse({ ...parsed, order_amount: inr('500.00') }).success).toBe(false);
  });

  it('refuses a status nobody documented (the till never guesses whether money moved)', () => {
    expect(OrderSchema.safeParse({ ...order(), status: 'REVERSED' }).success).toBe(false);
    expect(OrderSchema.safeParse({ ...order(), created_at: 'yesterday' }).success).toBe(false);
  });

  it('takes either token expiry, and quotes no value when a token answer is malformed', () => {
    expect(TokenSchema.parse({ access_token: 'abc', expires_in: 3600 }).expires_in).toBe(3600);
    expect(TokenSchema.parse({ access_token: 'abc', expires_at: '2026-01-01T01:00:00Z' }).expires_at).toBeDefined();
    const secret = 'tok_this_must_never_be_quoted_0123456789';
    for (const body of [
      { access_token: secret },
      { access_token: secret, expires_in: 'soon' },
      { access_token: secret, expires_at: 'later' },
    ]) {
      const result = TokenSchema.safeParse(body);
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues)).not.toContain(secret);
    }
  });
});

describe('parsePluralError', () => {
  it('keeps code, message and param; anything else is not Plural’s', () => {
    expect(
      parsePluralError({ code: 'AMOUNT_EXCEEDED', message: 'Only 100 left', param: 'order_amount.value' }, 422),
    ).toEqual({
      type: 'AMOUNT_EXCEEDED',
      message: 'Only 100 left',
      param: 'order_amount.value',
      code: 'AMOUNT_EXCEEDED',
    });
    expect(parsePluralError({ code: 'NOT_FOUND', message: '' }, 404)).toMatchObject({ param: null, code: 'NOT_FOUND' });
    expect(parsePluralError({ code: 'NOT_FOUND', message: '' }, 404)!.message).toContain('NOT_FOUND');
    expect(parsePluralError({ error: { type: 'x' } }, 400)).toBeNull();
    expect(parsePluralError('<html>', 400)).toBeNull();
  });
});

// -----------------------------------------------------------------------------------------------
// The status table (main/gateway/plural/map.ts), every row

describe('the status table', () => {
  const paid = [payment('PROCESSED')];
  const rows: Array<[string, Partial<WireOrderInput>, Record<string, unknown>]> = [
    ['CREATED', {}, { status: 'pending', payUrl: 'https://checkout.example/pay/abc', failure: null, card: null }],
    [
      'PENDING',
      { payments: [payment('PENDING')], challenge_url: 'https://challenge.example' },
      { status: 'pending', payUrl: 'https://checkout.example/pay/abc', failure: null, card: null },
    ],
    [
      'ATTEMPTED',
      { payments: [declined], payment_retries_remaining: 9 },
      {
        status: 'pending',
        payUrl: 'https://checkout.example/pay/abc',
        failure: { code: 'card_declined', message: 'The issuer declined the payment.' },
        card: null,
      },
    ],
    [
      'AUTHORIZED',
      { pre_auth: true, payments: [payment('AUTHORIZED')] },
      {
        status: 'requires_capture',
        payUrl: null,
        amountCapturable: 50000,
        amountCaptured: 0,
        captureMethod: 'manual',
        card: { brand: 'visa', last4: '1111' },
      },
    ],
    [
      'PROCESSED',
      { payments: paid },
      { status: 'succeeded', payUrl: null, amountCaptured: 50000, capturedAt: '2026-01-01T00:02:00.000Z' },
    ],
    [
      'PARTIALLY_CAPTURED',
      {
        pre_auth: true,
        payments: [
          payment('PROCESSED', {
            capture_data: [
              { merchant_capture_reference: 'c', capture_amount: inr(20000), created_at: '2026-01-01T00:05:00Z' },
            ],
          }),
        ],
      },
      { status: 'succeeded', amountCaptured: 20000, amountCapturable: 0, capturedAt: '2026-01-01T00:05:00.000Z' },
    ],
    ['PARTIALLY_REFUNDED', { payments: paid }, { status: 'partially_refunded', amountCaptured: 50000, payUrl: null }],
    ['FULLY_REFUNDED', { payments: paid }, { status: 'refunded', amountRefunded: 50000, payUrl: null }],
    ['REFUNDED', { payments: paid }, { status: 'refunded', amountRefunded: 50000 }],
    [
      'CANCELLED',
      { pre_auth: true, payments: [payment('CANCELLED')] },
      {
        status: 'canceled',
        payUrl: null,
        amountCaptured: 0,
        amountCapturable: 0,
        card: { brand: 'visa', last4: '1111' },
      },
    ],
    [
      'FAILED',
      { payments: [declined], payment_retries_remaining: 0 },
      {
        status: 'failed',
        payUrl: null,
        failure: { code: 'card_declined', message: 'The issuer declined the payment.' },
      },
    ],
  ];

  it('has a row for every documented status, and tests each', () => {
    expect(Object.keys(STATUS_TABLE).sort()).toEqual([...ORDER_STATUSES].sort());
    expect(rows.map(([status]) => status).sort()).toEqual([...ORDER_STATUSES].sort());
  });

  for (const [status, overrides, expected] of rows) {
    it(`${status} → ${String(expected.status)}`, () => {
      const mapped = toPayment(order({ status: status as WireOrderInput['status'], ...overrides }));
      expect(mapped).toMatchObject(expected);
      expect(mapped.status).toBe(STATUS_TABLE[status as keyof typeof STATUS_TABLE]);
    });
  }

  it('closes the checkout page of an ATTEMPTED order with no attempt left', () => {
    expect(
      toPayment(order({ status: 'ATTEMPTED', payments: [declined], payment_retries_remaining: 0 })).payUrl,
    ).toBeNull();
  });

  it('maps the rest of the order: ids, tags, customer, paise, INR', () => {
    expect(toPayment(order())).toEqual({
      id: 'v1-260101000000-aa-AbC123',
      reference: 'v1-260101000000-aa-AbC123',
      orderReference: 'T1/42',
      status: 'pending',
      amount: 50000,
      currency: 'INR',
      amountCapturable: 0,
      amountCaptured: 0,
      amountRefunded: 0,
      captureMethod: 'automatic',
      card: null,
      failure: null,
      description: 'Two coffees',
      receiptEmail: 'kevin@example.in',
      customerId: 'cus_9',
      methodType: 'link',
      terminalId: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      capturedAt: null,
      payUrl: 'https://checkout.example/pay/abc',
      payUrlExpiresAt: null,
      authorizationExpiresAt: null,
      installmentPlanId: null,
      savedCardId: null,
      splits: null,
    });
    // An order this app did not make: its own reference.
    expect(toPayment(order({ purchase_details: {} })).orderReference).toBe('T1_42-0123456789abcdef');
  });

  it('names failures in the app’s terms where it can', () => {
    expect(failureCode('PAYMENT_DECLINED')).toBe('card_declined');
    expect(failureCode('INSUFFICIENT_FUNDS')).toBe('insufficient_funds');
    expect(failureCode('USER_AUTHENTICATION_FAILED')).toBe('3ds_declined');
    expect(failureCode('SOMETHING_NEW')).toBe('something_new');
  });

  it('adds up the refunds found, and shows each split’s money', () => {
    const split = (id: string, amount: number, status: string, extra: Record<string, unknown> = {}) => ({
      split_merchant_id: id === 'a' ? '1324' : '1233',
      split_settlement_id: `v1-260101000000-aa-AbC123-ss-${id}`,
      amount: inr(amount),
      on_hold: status === 'HOLD',
      status,
      ...extra,
    });
    const charge = order({
      status: 'PARTIALLY_REFUNDED',
      payments: [payment('PROCESSED')],
      purchase_details: {
        split_info: {
          split_type: 'AMOUNT',
          split_details: [
            split('a', 30000, 'RELEASED', { merchant_settlement_reference: 'kshjhfk', release_amount: inr(20000) }),
            split('b', 20000, 'RELEASED'),
          ],
        },
      },
    });
    const refunds = [
      refundOrder(1, 10000, [
        {
          parent_order_split_settlement_id: 'v1-260101000000-aa-AbC123-ss-a',
          split_merchant_id: 1324,
          split_settlement_id: 'x-ss-a',
          merchant_settlement_reference: 'r1',
          amount: inr('10000'),
          status: 'DO_NOT_RECOVER',
        },
      ]),
      refundOrder(2, 5000, [
        {
          parent_order_split_settlement_id: 'v1-260101000000-aa-AbC123-ss-b',
          split_merchant_id: '1233',
          split_settlement_id: 'y-ss-a',
          merchant_settlement_reference: 'r2',
          amount: inr(5000),
        },
      ]),
    ];
    const mapped = toPayment(charge, refunds);
    expect(mapped.amountRefunded).toBe(15000);
    expect(mapped.splits).toEqual([
      {
        id: 'v1-260101000000-aa-AbC123-ss-a',
        merchantId: '1324',
        settlementReference: 'kshjhfk',
        amount: 30000,
        onHold: false,
        status: 'RELEASED',
        releasedAmount: 20000,
        refundedAmount: 10000,
        releasable: 0,
      },
      {
        id: 'v1-260101000000-aa-AbC123-ss-b',
        merchantId: '1233',
        settlementReference: null,
        amount: 20000,
        onHold: false,
        status: 'RELEASED',
        releasedAmount: 20000,
        refundedAmount: 5000,
        releasable: 0,
      },
    ]);
    // Before the money arrives, nothing is settled (a split without hold says RELEASED already).
    expect(toPayment({ ...charge, status: 'CREATED', payments: [] }).splits!.map((s) => s.releasedAmount)).toEqual([
      0, 0,
    ]);
    expect(toRefund(refunds[0]!)).toEqual({
      id: 'v1-260101000100-aa-Rf0001',
      reference: 'v1-260101000000-aa-AbC123-R1',
      paymentId: 'v1-260101000000-aa-AbC123',
      amount: 10000,
      currency: 'INR',
      status: 'succeeded',
      reason: 'reason 1',
      createdAt: '2026-01-01T00:10:00.000Z',
    });
  });
});

// -----------------------------------------------------------------------------------------------

describe('references', () => {
  const PLURAL = /^[A-Za-z0-9_-]{1,50}$/;

  it('maps an order reference deterministically, unique per attempt, within Plural’s 50 characters', () => {
    const ref = chargeReference('T1/2026.03:#45', 'pos-T1/2026.03:#45-1');
    expect(ref).toMatch(/^T1_2026_03__45-[0-9a-f]{16}$/);
    expect(chargeReference('T1/2026.03:#45', 'pos-T1/2026.03:#45-1')).toBe(ref);
    expect(chargeReference('T1/2026.03:#45', 'pos-T1/2026.03:#45-2')).not.toBe(ref);
    // Same readable part, other order: the digest still tells them apart.
    expect(chargeReference('T1:2026.03/#45', 'pos-T1/2026.03:#45-1')).not.toBe(ref);
    const long = chargeReference('x'.repeat(64), 'k');
    expect(long).toHaveLength(50);
    expect(long.startsWith('x'.repeat(33) + '-')).toBe(true);
    for (const odd of ['', '🙂🙂', 'ä.ö', ' ', '#'.repeat(64)]) expect(chargeReference(odd, 'k')).toMatch(PLURAL);
    expect(chargeReference('', 'k')).toMatch(/^order-/);
  });

  it('numbers refunds after the order id, with room for their settlement lines', () => {
    expect(refundReference('v1-260101000000-aa-AbC123', 1)).toBe('v1-260101000000-aa-AbC123-R1');
    expect(settlementLineReference('v1-260101000000-aa-AbC123-R1', 0)).toBe('v1-260101000000-aa-AbC123-R1-S1');
    const long = refundReference('v1-'.padEnd(50, 'z'), 100);
    expect(long).toMatch(/^rf-[0-9a-f]{20}-R100$/);
    expect(settlementLineReference(long, 19)).toMatch(PLURAL);
    expect(refundReference('bad id/with slash', 1)).toMatch(PLURAL);
    expect(captureReference('pos-capture-1')).toMatch(/^cap-[0-9a-f]{24}$/);
  });

  it('tags the app’s ids and keys, shortening only what is too long', () => {
    expect(chargeTags({ orderReference: 'T1/42', paymentId: 'pay_1', key: 'k', customerId: null })).toEqual({
      pos_order: 'T1/42',
      pos_payment: 'pay_1',
      pos_key: 'k',
    });
    expect(tagValue('k'.repeat(64))).toBe('k'.repeat(64));
    expect(tagValue('k'.repeat(65))).toMatch(/^k{40}~[0-9a-f]{23}$/);
    expect(refundTags({ key: 'k', op: 'release', reason: `  ${'r'.repeat(300)} ` }).pos_reason).toHaveLength(200);
    expect(refundTags({ key: 'k', op: 'refund', reason: '  ' })).toEqual({ pos_key: 'k', pos_op: 'refund' });
  });
});

// -----------------------------------------------------------------------------------------------

describe('drawing a refund from splits', () => {
  const ID = 'v1-260101000000-aa-AbC123';
  function charge(
    splits: Array<{ s: string; amount: number; status: string; release?: number }>,
    options: { refunds?: WireOrder[]; captured?: number } = {},
  ) {
    const amount = splits.reduce((sum, split) => sum + split.amount, 0);
    const wire = order({
      status: options.refunds?.length ? 'PARTIALLY_REFUNDED' : 'PROCESSED',
      order_amount: inr(amount),
      pre_auth: options.captured !== undefined,
      payments: [
        payment('PROCESSED', {
          ...(options.captured !== undefined
            ? { capture_data: [{ merchant_capture_reference: 'c', capture_amount: inr(options.captured) }] }
            : {}),
        }),
      ],
      purchase_details: {
        split_info: {
          split_type: 'AMOUNT',
          split_details: splits.map((split) => ({
            split_merchant_id: `m-${split.s}`,
            split_settlement_id: `${ID}-ss-${split.s}`,
            amount: inr(split.amount),
            on_hold: split.status === 'HOLD',
            status: split.status,
            ...(split.release !== undefined ? { release_amount: inr(split.release) } : {}),
          })),
        },
      },
    });
    return chargeMoney(wire, options.refunds ?? []);
  }
  const summary = (plan: ReturnType<typeof allocateRefund>) => ({
    cancel: plan.cancel.map((id) => id.slice(-1)),
    lines: plan.lines.map((line) => [line.split.id.slice(-1), line.amount, line.doNotRecover ? 'DNR' : 'recover']),
  });

  it('a held split releases what captured money is left: whole, in part leaving ₹1 or more, or nothing', () => {
    const held = (money: ReturnType<typeof charge>) => releasable(money, money.splits[0]!);
    // Everything captured: the whole share.
    expect(
      held(
        charge([
          { s: 'a', amount: 30000, status: 'HOLD' },
          { s: 'b', amount: 20000, status: 'RELEASED' },
        ]),
      ),
    ).toBe(30000);
    // ₹300 captured, ₹200 settled to b: ₹100 is left for a.
    const split = [
      { s: 'a', amount: 30000, status: 'HOLD' },
      { s: 'b', amount: 20000, status: 'RELEASED' },
    ];
    expect(held(charge(split, { captured: 30000 }))).toBe(10000);
    // ₹499.50 captured: ₹299.50 left, but the rest refunded must be at least ₹1: ₹299.00.
    expect(held(charge(split, { captured: 49950 }))).toBe(29900);
    // ₹200.50 captured: 50 paise left, under Plural's ₹1: nothing can be released, only cancelled.
    expect(held(charge(split, { captured: 20050 }))).toBe(0);
    // Not held: nothing to release.
    expect(releasable(charge(split), charge(split).splits[1]!)).toBe(0);
  });

  it('shares pro rata with largest remainders, never a line under ₹1', () => {
    expect(proRata(1000, [3000, 1000])).toEqual([750, 250]);
    expect(proRata(1001, [1000, 1000, 1000])).toEqual([334, 334, 333]);
    expect(proRata(150, [1000, 1000])).toEqual([150, 0]);
    expect(proRata(250, [1000, 1000, 50])).toEqual([125, 125, 0]);
    expect(proRata(300, [100, 100, 100])).toEqual([100, 100, 100]);
    expect(proRata(301, [100, 100, 100])).toBeNull();
    expect(proRata(0, [100])).toEqual([0]);
  });

  it('takes held splits whole first, then recovers from released ones pro rata', () => {
    const money = charge([
      { s: 'a', amount: 30000, status: 'HOLD' },
      { s: 'b', amount: 15000, status: 'RELEASED' },
      { s: 'c', amount: 5000, status: 'RELEASED' },
    ]);
    expect(summary(allocateRefund(money, 50000))).toEqual({
      cancel: ['a'],
      lines: [
        ['a', 30000, 'DNR'],
        ['b', 15000, 'recover'],
        ['c', 5000, 'recover'],
      ],
    });
    expect(summary(allocateRefund(money, 34000))).toEqual({
      cancel: ['a'],
      lines: [
        ['a', 30000, 'DNR'],
        ['b', 3000, 'recover'],
        ['c', 1000, 'recover'],
      ],
    });
    // The held split does not fit: never part of it.
    expect(summary(allocateRefund(money, 8000))).toEqual({
      cancel: [],
      lines: [
        ['b', 6000, 'recover'],
        ['c', 2000, 'recover'],
      ],
    });
  });

  it('draws first on money nobody was paid: a cancelled split, the rest of a partial release', () => {
    const refunds = [
      refundOrder(1, 5000, [
        {
          parent_order_split_settlement_id: `${ID}-ss-a`,
          split_merchant_id: 'm-a',
          split_settlement_id: 'r-ss-a',
          merchant_settlement_reference: 'r',
          amount: inr(5000),
          status: 'DO_NOT_RECOVER',
        },
      ]),
    ];
    const money = charge(
      [
        { s: 'a', amount: 30000, status: 'RELEASED', release: 20000 },
        { s: 'b', amount: 10000, status: 'CANCELLED' },
        { s: 'c', amount: 10000, status: 'RELEASED' },
      ],
      { refunds },
    );
    // a: 30000 released 20000, 5000 of its rest refunded already → 5000 left; b: cancelled, 10000;
    // then c, released. (A split appears once per refund, so a is not also recovered from.)
    expect(summary(allocateRefund(money, 18000))).toEqual({
      cancel: [],
      lines: [
        ['a', 5000, 'DNR'],
        ['b', 10000, 'DNR'],
        ['c', 3000, 'recover'],
      ],
    });
    // Never leaving less than ₹1 to draw next: of 15050, b gives 9950 so that c's line is ₹1.
    expect(summary(allocateRefund(money, 15050))).toEqual({
      cancel: [],
      lines: [
        ['a', 5000, 'DNR'],
        ['b', 9950, 'DNR'],
        ['c', 100, 'recover'],
      ],
    });
  });

  it('refuses locally what only part of a held split could cover', async () => {
    const money = charge([
      { s: 'a', amount: 30000, status: 'HOLD' },
      { s: 'b', amount: 5000, status: 'RELEASED' },
    ]);
    const refused = await caught(Promise.resolve().then(() => allocateRefund(money, 10000)));
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 400, type: 'invalid_request', code: 'refund_uncovered', param: 'amount' });
    // In the cashier's terms: the held share in the way and the nearest amounts that can be drawn, in
    // rupees, and merchants instead of split ids (it used to say "₹100.00 … (v1-…-ss-a)"). The host
    // says the same before anything is journaled or queued (drawFromShares).
    expect((refused as GatewayError).message).toBe(
      "Plural cannot take ₹100.00 from these shares without part of m-a's held share, which goes back only whole: refund ₹50.00, or ₹300.00, or choose the share to take it from.",
    );
    const named = await caught(
      Promise.resolve().then(() => explicitRefund(money, [{ splitId: `${ID}-ss-a`, amount: 1000 }])),
    );
    expect((named as GatewayError).message).toBe(
      "m-a's share is held: Plural refunds a held share only whole (₹300.00). Refund all of it, or release it first to refund part of it.",
    );
  });

  it('draws from the shares as the till last read them, after the refunds queued before it (the port’s drawRefund)', async () => {
    // ₹500: ₹300 held for 1324, ₹200 settled to 1233, as the journal keeps them.
    const shares = {
      captured: 50000,
      refunded: 0,
      splits: [
        { id: 'ss-1324', merchantId: '1324', amount: 30000, status: 'HOLD', releasedAmount: 0, refundedAmount: 0 },
        {
          id: 'ss-1233',
          merchantId: '1233',
          amount: 20000,
          status: 'RELEASED',
          releasedAmount: 20000,
          refundedAmount: 0,
        },
      ],
    };
    const refusal = async (amount: number, queued: Parameters<typeof drawFromShares>[2] = []) => {
      const refused = await caught(Promise.resolve().then(() => drawFromShares(shares, amount, queued)));
      expect(refused).toMatchObject({ status: 400, code: 'refund_uncovered', param: 'amount' });
      return (refused as GatewayError).message;
    };
    expect(drawFromShares(shares, 20000)).toEqual([{ splitId: 'ss-1233', amount: 20000 }]);
    expect(drawFromShares(shares, 30000)).toEqual([{ splitId: 'ss-1324', amount: 30000 }]);
    expect(drawFromShares(shares, 50000)).toEqual([
      { splitId: 'ss-1324', amount: 30000 },
      { splitId: 'ss-1233', amount: 20000 },
    ]);
    expect(await refusal(25000)).toBe(
      "Plural cannot take ₹250.00 from these shares without part of 1324's held share, which goes back only whole: refund ₹200.00, or ₹300.00, or choose the share to take it from.",
    );
    // ₹200 queued (drawn from 1233): only the held share whole is left to draw from.
    expect(await refusal(10000, [{ amount: 20000 }])).toBe(
      "Plural cannot take ₹100.00 from these shares without part of 1324's held share, which goes back only whole: refund ₹300.00, or choose the share to take it from.",
    );
    expect(drawFromShares(shares, 30000, [{ amount: 20000 }])).toEqual([{ splitId: 'ss-1324', amount: 30000 }]);
    // The held share queued by name: ₹100 comes from 1233.
    expect(drawFromShares(shares, 10000, [{ amount: 30000, splits: [{ splitId: 'ss-1324', amount: 30000 }] }])).toEqual(
      [{ splitId: 'ss-1233', amount: 10000 }],
    );
    // A queued refund Plural will refuse takes nothing.
    expect(drawFromShares(shares, 20000, [{ amount: 25000 }])).toEqual([{ splitId: 'ss-1233', amount: 20000 }]);
    // A partly released share whose rest was refunded with its release: that refund was never settled,
    // so the share still has all it was settled to recover, pro rata with the other.
    expect(
      drawFromShares(
        {
          captured: 50000,
          refunded: 10000,
          splits: [
            {
              id: 'a',
              merchantId: 'a',
              amount: 30000,
              status: 'RELEASED',
              releasedAmount: 20000,
              refundedAmount: 10000,
            },
            { id: 'b', merchantId: 'b', amount: 20000, status: 'RELEASED', releasedAmount: 20000, refundedAmount: 0 },
          ],
        },
        5000,
      ),
    ).toEqual([
      { splitId: 'a', amount: 2500 },
      { splitId: 'b', amount: 2500 },
    ]);
    // Not split: nothing to draw from.
    expect(drawFromShares({ captured: 50000, refunded: 0, splits: [] }, 25000)).toEqual([]);
  });

  it('checks splits the till names: held ones only whole, released ones within what is left', async () => {
    const money = charge([
      { s: 'a', amount: 30000, status: 'HOLD' },
      { s: 'b', amount: 20000, status: 'RELEASED' },
    ]);
    expect(
      summary(
        explicitRefund(money, [
          { splitId: `${ID}-ss-a`, amount: 30000 },
          { splitId: `${ID}-ss-b`, amount: 500 },
        ]),
      ),
    ).toEqual({
      cancel: ['a'],
      lines: [
        ['a', 30000, 'DNR'],
        ['b', 500, 'recover'],
      ],
    });
    for (const lines of [
      [{ splitId: `${ID}-ss-a`, amount: 1000 }],
      [{ splitId: `${ID}-ss-b`, amount: 20001 }],
      [{ splitId: `${ID}-ss-b`, amount: 99 }],
      [{ splitId: `${ID}-ss-z`, amount: 1000 }],
      [
        { splitId: `${ID}-ss-b`, amount: 1000 },
        { splitId: `${ID}-ss-b`, amount: 1000 },
      ],
    ]) {
      const refused = await caught(Promise.resolve().then(() => explicitRefund(money, lines)));
      expect(refused, JSON.stringify(lines)).toMatchObject({ code: 'refund_split_invalid', param: 'splits' });
    }
  });
});

// -----------------------------------------------------------------------------------------------

describe('the return-URL signature', () => {
  it('signs the present fields sorted by key, as the openssl vectors say', () => {
    for (const vector of VECTORS) {
      expect(returnSignedString(vector.params)).toBe(vector.text);
      // A FAILED attempt is said so (the page the customer sees); an error_code alone is not a failure.
      expect(verifyReturnParams(KEY, { ...vector.params, signature: vector.signature })).toEqual({
        ok: true,
        paymentId: vector.params.order_id,
        failed: (vector.params.status ?? vector.params.payment_status) === 'FAILED',
      });
    }
  });

  it('compares without regard to case (the reference’s sample code upper-cases its hex)', () => {
    const [vector] = VECTORS;
    expect(verifyReturnParams(KEY, { ...vector!.params, signature: vector!.signature.toUpperCase() }).ok).toBe(true);
    expect(verifyReturnParams(KEY.toUpperCase(), { ...vector!.params, signature: vector!.signature }).ok).toBe(true);
  });

  it('ignores the shop’s own parameters, and refuses any tampered, added or missing signed field', () => {
    const vector = VECTORS[1]!;
    const signed = { ...vector.params, signature: vector.signature };
    expect(verifyReturnParams(KEY, { ...signed, utm_source: 'qr', table: '7' }).ok).toBe(true);
    const tampered: Array<Record<string, string>> = [
      { ...signed, status: 'PROCESSED' },
      { ...signed, order_id: 'v1-4405071524-aa-qlAtAg' },
      { ...signed, error_message: 'Consumer Authentication required ' },
      { ...signed, payment_status: 'PROCESSED' },
      Object.fromEntries(Object.entries(signed).filter(([key]) => key !== 'error_code')),
      { ...signed, signature: vector.signature.replace(/.$/, (c) => (c === '0' ? '1' : '0')) },
      { ...signed, signature: vector.signature.slice(0, 62) },
      { ...signed, signature: `${vector.signature}00` },
      { ...signed, signature: 'z'.repeat(64) },
    ];
    for (const params of tampered) expect(verifyReturnParams(KEY, params).ok, JSON.stringify(params)).toBe(false);
    expect(verifyReturnParams(KEY, { order_id: 'v1', status: 'PROCESSED' })).toMatchObject({ ok: false });
    expect(verifyReturnParams(KEY, { status: 'PROCESSED', signature: vector.signature })).toMatchObject({ ok: false });
    expect(verifyReturnParams('not hex', signed)).toMatchObject({ ok: false });
    expect(verifyReturnParams(KEY.replace(/^9/, '8'), signed).ok).toBe(false);
  });
});
