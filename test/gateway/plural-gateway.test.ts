/**
 * Plural specifics beyond the port contract, through the port, over real HTTP against the sandbox
 * (127.0.0.1, port 0, in memory): creating orders (references, tags, splits and the local refusals
 * that send nothing), pre-authorisation, split settlements (release in full or in part with the
 * DO_NOT_RECOVER refund of the rest, cancel, and neither repeated after a lost answer), refunds per
 * split, signed returns and webhooks, strict amounts, errors and the list.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, GatewayUnreachable } from '../../main/gateway/errors';
import type { HttpLogEntry } from '../../main/gateway/http';
import { createPluralGateway, PLURAL_CAPABILITIES, PLURAL_LIMITS, type PluralGateway } from '../../main/gateway/plural';
import { chargeReference } from '../../main/gateway/plural/references';
import type { GatewayPayment, NewPayment, SplitLine } from '../../main/gateway/port';
import { receiver } from '../sandbox/helpers';
import { FakeClock } from '../support/fake-clock';
import { caught } from './helpers';
import { startPluralHarness, type PluralHarness, type WireOrderJson } from './plural-support';

const START = Date.UTC(2026, 1, 16, 16, 18, 0);
const APPROVED = '4111111111111111';
const CHALLENGE = '4000000000001091';
const DECLINED = '4000000000000002';

let clock: FakeClock;
let h: PluralHarness;
let log: HttpLogEntry[];
/** Set to drop the answer of the next matching request (committed, connection destroyed). */
let dropNext: ((method: string, path: string) => boolean) | null = null;
let gateway: PluralGateway;
let counter = 0;

/** A request answered 429 (Retry-After: 2) instead of being sent: picked as `dropNext` picks. */
let throttleNext: ((method: string, path: string) => boolean) | null = null;

/** Turns the sandbox's drop-after-commit on for exactly the request `dropNext` picks. */
const droppingFetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = init?.method ?? 'GET';
  if (throttleNext?.(method, url.pathname)) {
    throttleNext = null;
    return new Response(JSON.stringify({ code: 'RATE_LIMITED', message: 'Too many requests' }), {
      status: 429,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '2' },
    });
  }
  const pick = dropNext?.(method, url.pathname) ?? false;
  if (pick) {
    dropNext = null;
    h.sandbox.plural.setFaults({ drop_after_commit_rate: 1 });
  }
  try {
    return await fetch(input, init);
  } finally {
    if (pick) h.sandbox.plural.setFaults({ drop_after_commit_rate: 0 });
  }
}) as typeof fetch;

beforeAll(async () => {
  clock = new FakeClock(START);
  h = await startPluralHarness({ clock });
  log = [];
  gateway = h.make({
    callbackUrl: 'https://shop.example/plural/return?till=1',
    http: { timeoutMs: 5_000, onRequest: (entry) => log.push(entry), fetchImpl: droppingFetch },
  });
  // Warm the token so that no test's first request is the token's.
  await gateway.account();
});

afterAll(async () => {
  await h.close();
});

afterEach(() => {
  dropNext = null;
  throttleNext = null;
});

function newPayment(overrides: Partial<NewPayment> = {}): NewPayment {
  counter += 1;
  return {
    amount: 50000,
    currency: 'INR',
    captureMethod: 'automatic',
    description: `Order ${counter}`,
    customerId: null,
    receiptEmail: null,
    orderReference: `T1/2026.02:#${counter}`,
    paymentId: `pay_plural${String(counter).padStart(6, '0')}`,
    channel: 'link',
    ...overrides,
  };
}
const key = (what: string) => `pos-${what}-${counter}`;

/** ₹500: ₹300 held for merchant 1324, ₹200 settled at once to 1233. */
const SPLITS: SplitLine[] = [
  { merchantId: '1324', settlementReference: 'kshjhfk', amount: 30000, onHold: true },
  { merchantId: '1233', settlementReference: null, amount: 20000, onHold: false },
];

async function paidSplitOrder(overrides: Partial<NewPayment> = {}): Promise<GatewayPayment> {
  const created = await gateway.create(newPayment({ splits: SPLITS, ...overrides }), key('split'));
  return gateway.simulateLinkPayment(created.id, APPROVED);
}

const held = (payment: GatewayPayment) => payment.splits![0]!;
const settledAtOnce = (payment: GatewayPayment) => payment.splits![1]!;
const changes = (entries: HttpLogEntry[]) =>
  entries.filter((entry) => entry.method !== 'GET').map((entry) => `${entry.method} ${entry.path.split('/').pop()}`);

async function wireOrder(id: string): Promise<WireOrderJson & Record<string, unknown>> {
  return (await h.call<{ data: WireOrderJson & Record<string, unknown> }>('GET', `/api/pay/v1/orders/${id}`)).body.data;
}

// -----------------------------------------------------------------------------------------------

describe('the gateway', () => {
  it('states Plural’s capabilities and limits', () => {
    expect(gateway).toMatchObject({ name: 'plural', label: 'Plural', capabilities: PLURAL_CAPABILITIES });
    expect(PLURAL_CAPABILITIES).toEqual({
      readerLink: false,
      cloudReaders: false,
      payByLink: true,
      deferredCapture: { authorizationDays: null },
      deferredCaptureByLink: true,
      partialCapture: true,
      partialRefund: true,
      installments: null,
      savedCards: false,
      splitSettlement: true,
      idempotencyKeys: false,
      resendAfterUnknownMs: 0,
      signedNotifications: true,
      listsPayments: false,
      transactionSearch: false,
      transactionSearchFinds: [],
      filtersLinks: false,
      cancelsUnpaidLink: false,
      simulateCards: true,
      paymentNotes: false,
      receiptEmail: false,
      disputes: false,
      paymentMethods: ['link'],
    });
    expect(PLURAL_LIMITS).toEqual({
      amount: { min: 100, max: 100_000_000 },
      currencies: ['INR'],
      description: { max: 500, unit: 'utf16' },
      refund: { min: 100 },
    });
    expect(gateway.notifications?.path).toBe('/webhooks/plural');
  });

  it('lists nothing, without a call (Plural has no order listing; the host lists its journal)', async () => {
    log.length = 0;
    expect(await gateway.list({ sortField: 'amount', sortOrder: 'asc', page: 3, size: 500, search: 'x' })).toEqual({
      data: [],
      meta: { currentPage: 3, lastPage: 1, perPage: 100, total: 0 },
    });
    expect(log).toEqual([]);
  });

  it('is in live mode only against Plural’s production host, where test cards are refused locally', async () => {
    const token = (async () =>
      new Response(JSON.stringify({ access_token: 'a', expires_in: 3600 }), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      })) as unknown as typeof fetch;
    const live = createPluralGateway({
      baseUrl: 'https://api.pluralpay.in',
      clientId: 'c',
      clientSecret: 's',
      signatureKey: '00',
      http: { fetchImpl: token },
    });
    expect(await live.account()).toMatchObject({ testMode: false, defaultCurrency: 'INR', id: 'plural_live' });
    expect(await caught(live.simulateLinkPayment('v1-x', APPROVED))).toMatchObject({ code: 'live_mode' });
    const uat = createPluralGateway({
      baseUrl: 'https://pluraluat.v2.pinepg.in',
      clientId: 'c',
      clientSecret: 's',
      signatureKey: '00',
      http: { fetchImpl: token },
    });
    expect(await uat.account()).toMatchObject({ testMode: true, id: 'plural_test' });
  });
});

describe('creating a payment', () => {
  it('sends the order as Plural takes it: reference, pre_auth, CARD, notes, callback, customer, tags, splits', async () => {
    const input = newPayment({
      captureMethod: 'manual',
      customerId: 'cus_42',
      receiptEmail: 'receipts@example.in',
      customer: { email: 'kevin@example.in', firstName: 'Kevin', lastName: 'Bob' },
      splits: SPLITS,
    });
    const created = await gateway.create(input, key('create'));
    expect(created).toMatchObject({
      status: 'pending',
      amount: 50000,
      currency: 'INR',
      captureMethod: 'manual',
      orderReference: input.orderReference,
      description: input.description,
      receiptEmail: 'kevin@example.in',
      customerId: 'cus_42',
      methodType: 'link',
      amountCaptured: 0,
      splits: [
        { merchantId: '1324', settlementReference: 'kshjhfk', amount: 30000, onHold: true, status: 'HOLD' },
        { merchantId: '1233', settlementReference: null, amount: 20000, onHold: false, status: 'RELEASED' },
      ],
    });
    expect(created.payUrl).toMatch(new RegExp(`^${h.sandbox.plural.url}/checkout/`));
    expect(created.splits!.map((split) => [split.releasedAmount, split.refundedAmount])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const wire = await wireOrder(created.id);
    expect(wire).toMatchObject({
      merchant_order_reference: chargeReference(input.orderReference, key('create')),
      pre_auth: true,
      allowed_payment_methods: ['CARD'],
      notes: input.description,
      callback_url: 'https://shop.example/plural/return?till=1',
      purchase_details: {
        customer: { email_id: 'kevin@example.in', first_name: 'Kevin', last_name: 'Bob' },
        merchant_metadata: {
          pos_order: input.orderReference,
          pos_payment: input.paymentId,
          pos_key: key('create'),
          pos_customer: 'cus_42',
        },
        split_info: { split_type: 'AMOUNT' },
      },
    });
    expect(wire.merchant_order_reference).toMatch(/^T1_2026_02__\d+-[0-9a-f]{16}$/);
  });

  it('gives each attempt of an order its own reference, and finds each by its key', async () => {
    const input = newPayment();
    const first = await gateway.create(input, `pos-${input.orderReference}-1`);
    const second = await gateway.create(input, `pos-${input.orderReference}-2`);
    expect(second.id).not.toBe(first.id);
    expect((await gateway.findCreated(input, `pos-${input.orderReference}-1`))?.id).toBe(first.id);
    expect((await gateway.findCreated(input, `pos-${input.orderReference}-2`))?.id).toBe(second.id);
    expect(await gateway.findCreated(input, `pos-${input.orderReference}-3`)).toBeNull();
  });

  it('never makes a second order when a create is resent after its answer was lost', async () => {
    const input = newPayment();
    dropNext = (method, path) => method === 'POST' && path.endsWith('/api/pay/v1/orders');
    const lost = await caught(gateway.create(input, key('resent')));
    expect(lost).toBeInstanceOf(GatewayUnreachable);
    expect((lost as GatewayUnreachable).outcome).toBe('unknown');
    // Even without looking first: the reference is taken (409), so the order made is the answer.
    const again = await gateway.create(input, key('resent'));
    const ledger = await h.ledger();
    const reference = chargeReference(input.orderReference, key('resent'));
    expect(ledger.filter((order) => order.merchant_order_reference === reference).map((o) => o.order_id)).toEqual([
      again.id,
    ]);
  });

  it('refuses locally, before any request, what Plural would refuse', async () => {
    const fresh = h.make({ http: { onRequest: (entry) => log.push(entry) } });
    log.length = 0;
    const cases: Array<[Partial<NewPayment>, string, string]> = [
      [
        {
          splits: [
            { merchantId: '1324', settlementReference: null, amount: 30000, onHold: true },
            { merchantId: '1233', settlementReference: null, amount: 19999, onHold: false },
          ],
        },
        'splits',
        'split_sum_mismatch',
      ],
      [
        {
          splits: [
            { merchantId: '1324', settlementReference: null, amount: 49950, onHold: true },
            { merchantId: '1233', settlementReference: null, amount: 50, onHold: false },
          ],
        },
        'splits.1.amount',
        'split_invalid',
      ],
      [
        { splits: [{ merchantId: ' ', settlementReference: null, amount: 50000, onHold: true }] },
        'splits.0.merchantId',
        'split_invalid',
      ],
      [
        { splits: [{ merchantId: 'm', settlementReference: 'r'.repeat(51), amount: 50000, onHold: true }] },
        'splits.0.settlementReference',
        'split_invalid',
      ],
      [{ channel: 'card_present' }, 'channel', 'channel_unsupported'],
      [{ currency: 'EUR' }, 'currency', 'currency_unsupported'],
      [{ savedCardId: 'card_1' }, 'savedCardId', 'saved_cards_unsupported'],
    ];
    for (const [overrides, param, code] of cases) {
      const refused = await caught(fresh.create(newPayment(overrides), key('refused')));
      expect(refused, code).toBeInstanceOf(GatewayError);
      expect(refused, code).toMatchObject({ status: 400, type: 'invalid_request', param, code });
      expect((refused as Error).message).not.toBe('');
    }
    const sum = await caught(fresh.create(newPayment(cases[0]![0]), key('sum')));
    expect((sum as Error).message).toBe(
      "The shares add up to ₹499.99 but the payment is ₹500.00: the merchants' shares must add up to the payment exactly.",
    );
    // Not even a token was asked for.
    expect(log).toEqual([]);
  });

  it('maps Plural’s refusals to GatewayError(status, code, message, param, code)', async () => {
    const odd = h.make({ callbackUrl: 'not a url' });
    const refused = await caught(odd.create(newPayment(), key('odd')));
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({
      status: 400,
      type: 'INVALID_REQUEST',
      code: 'INVALID_REQUEST',
      param: 'callback_url',
    });
    const missing = await caught(gateway.retrieve('v1-260216161800-aa-NOSUCH'));
    expect(missing).toMatchObject({ status: 404, type: 'NOT_FOUND', code: 'NOT_FOUND' });
  });
});

describe('a payment through its states', () => {
  it('pending while a card is declined (failure kept), then paid', async () => {
    const created = await gateway.create(newPayment(), key('declined'));
    const declined = await gateway.simulateLinkPayment(created.id, DECLINED);
    expect(declined).toMatchObject({
      status: 'pending',
      failure: { code: 'card_declined', message: 'The issuer declined the payment.' },
      card: null,
      payUrl: created.payUrl,
    });
    const paid = await gateway.simulateLinkPayment(created.id, CHALLENGE);
    expect(paid).toMatchObject({
      status: 'succeeded',
      failure: null,
      card: { brand: 'visa', last4: '1091' },
      payUrl: null,
      amountCaptured: 50000,
    });
    expect(paid.capturedAt).toBe(new Date(START).toISOString());
  });

  it('pre-authorised: no capture before AUTHORIZED; then captured in part', async () => {
    const created = await gateway.create(newPayment({ captureMethod: 'manual' }), key('preauth'));
    const early = await caught(gateway.capture(created.id, undefined, key('early')));
    expect(early).toBeInstanceOf(GatewayError);
    expect(early).toMatchObject({ status: 422, type: 'INVALID_ORDER_STATE', code: 'INVALID_ORDER_STATE' });
    const authorized = await gateway.simulateLinkPayment(created.id, APPROVED);
    expect(authorized).toMatchObject({ status: 'requires_capture', amountCapturable: 50000, amountCaptured: 0 });
    const captured = await gateway.capture(created.id, 30000, key('capture'));
    expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: 30000, amountCapturable: 0 });
    const twice = await caught(gateway.capture(created.id, 20000, key('capture-2')));
    expect(twice).toMatchObject({ status: 422, code: 'INVALID_ORDER_STATE' });
    const refunded = await gateway.refund(created.id, {}, key('refund'));
    expect(refunded).toMatchObject({ status: 'refunded', amountRefunded: 30000 });
  });

  it('refuses locally a capture Plural would refuse: under ₹1, or short of the shares settled at once', async () => {
    const created = await gateway.create(newPayment({ captureMethod: 'manual', splits: SPLITS }), key('cap-split'));
    await gateway.simulateLinkPayment(created.id, APPROVED);
    log.length = 0;
    const tiny = await caught(gateway.capture(created.id, 50, key('cap-tiny')));
    expect(tiny).toMatchObject({ status: 400, code: 'capture_amount_invalid', param: 'amount' });
    expect((tiny as Error).message).toBe(
      'A capture is from ₹1.00 up to the authorised ₹500.00, in whole paise; not ₹0.50.',
    );
    const short = await caught(gateway.capture(created.id, 10000, key('cap-short')));
    expect(short).toMatchObject({ status: 400, code: 'capture_amount_invalid', param: 'amount' });
    expect((short as Error).message).toBe(
      '₹200.00 of this payment is settled to merchant 1233 as soon as it is captured (not held): capture at least ₹200.00, not ₹100.00.',
    );
    expect(changes(log)).toEqual([]);
    const captured = await gateway.capture(created.id, 20000, key('cap-ok'));
    expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: 20000 });
  });

  it('a capture whose answer was lost is not sent again', async () => {
    const created = await gateway.create(newPayment({ captureMethod: 'manual' }), key('lost-capture'));
    await gateway.simulateLinkPayment(created.id, APPROVED);
    dropNext = (method, path) => method === 'PUT' && path.endsWith('/capture');
    const lost = await caught(gateway.capture(created.id, undefined, key('capture')));
    expect(lost).toMatchObject({ outcome: 'unknown' });
    log.length = 0;
    const again = await gateway.capture(created.id, undefined, key('capture'));
    expect(again).toMatchObject({ status: 'succeeded', amountCaptured: 50000 });
    expect(changes(log)).toEqual([]);
    expect((await h.ledgerOrder(created.id)).captured).toBe(50000);
  });

  it('cancel: an authorisation is cancelled (again: no error); an unpaid order cannot be withdrawn', async () => {
    const created = await gateway.create(newPayment({ captureMethod: 'manual' }), key('cancel'));
    const unpaid = await caught(gateway.cancel(created.id, key('cancel-unpaid')));
    expect(unpaid).toMatchObject({ status: 400, code: 'cancel_unpaid_unsupported', param: 'id' });
    expect((await gateway.retrieve(created.id)).status).toBe('pending');
    await gateway.simulateLinkPayment(created.id, APPROVED);
    const canceled = await gateway.cancel(created.id, key('cancel-op'));
    expect(canceled).toMatchObject({ status: 'canceled', amountCapturable: 0, payUrl: null });
    expect(await gateway.cancel(created.id, key('cancel-op'))).toMatchObject({ status: 'canceled' });
    const capture = await caught(gateway.capture(created.id, undefined, key('capture')));
    expect(capture).toMatchObject({ status: 422, code: 'INVALID_ORDER_STATE' });
    // A paid order without pre_auth: Plural's refusal passes through.
    const paid = await gateway.simulateLinkPayment((await gateway.create(newPayment(), key('p'))).id, APPROVED);
    expect(await caught(gateway.cancel(paid.id, key('cancel-paid')))).toMatchObject({
      status: 422,
      code: 'INVALID_ORDER_STATE',
    });
  });
});

describe('split settlements', () => {
  it('cannot move before the order is paid', async () => {
    const created = await gateway.create(newPayment({ splits: SPLITS }), key('unpaid'));
    const refused = await caught(gateway.settlements.release(created.id, held(created).id, undefined, key('rel')));
    expect(refused).toMatchObject({ status: 422, code: 'INVALID_ORDER_STATE' });
    const unknown = await caught(gateway.settlements.release(created.id, 'nope', undefined, key('rel')));
    expect(unknown).toMatchObject({ status: 400, code: 'split_unknown', param: 'splitId' });
  });

  it('releases a held split in full: settled, nothing refunded', async () => {
    const paid = await paidSplitOrder();
    expect(held(paid)).toMatchObject({ status: 'HOLD', releasedAmount: 0 });
    expect(settledAtOnce(paid)).toMatchObject({ status: 'RELEASED', releasedAmount: 20000 });
    const released = await gateway.settlements.release(paid.id, held(paid).id, undefined, key('release'));
    expect(released).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
    expect(held(released)).toMatchObject({ status: 'RELEASED', releasedAmount: 30000, refundedAmount: 0 });
    const ledger = await h.ledgerOrder(paid.id);
    expect(ledger.splits[0]).toMatchObject({ status: 'RELEASED', released: 30000, unsettled_remainder: 0 });
    expect(ledger.refunds).toEqual([]);
    // The same release again: nothing to do. Another amount: refused, Plural releases once.
    log.length = 0;
    await gateway.settlements.release(paid.id, held(paid).id, 30000, key('release'));
    expect(changes(log)).toEqual([]);
    expect(await caught(gateway.settlements.release(paid.id, held(paid).id, 20000, key('other')))).toMatchObject({
      code: 'split_not_held',
    });
    expect(
      await caught(gateway.settlements.release(paid.id, settledAtOnce(paid).id, 10000, key('free'))),
    ).toMatchObject({ code: 'split_not_held' });
  });

  it('releases part of a split and refunds the rest DO_NOT_RECOVER, as Plural requires', async () => {
    const paid = await paidSplitOrder();
    const released = await gateway.settlements.release(paid.id, held(paid).id, 20000, key('partial'));
    expect(released).toMatchObject({ status: 'partially_refunded', amountRefunded: 10000, amountCaptured: 50000 });
    expect(held(released)).toMatchObject({ status: 'RELEASED', releasedAmount: 20000, refundedAmount: 10000 });
    const ledger = await h.ledgerOrder(paid.id);
    expect(ledger.splits[0]).toMatchObject({
      release_amount: 20000,
      released: 20000,
      refunded_not_recovered: 10000,
      unsettled_remainder: 0,
    });
    expect(ledger.refunds).toHaveLength(1);
    expect(ledger.refunds[0]).toMatchObject({
      merchant_order_reference: `${paid.id}-R1`,
      amount: 10000,
      splits: [{ parent_order_split_settlement_id: held(paid).id, amount: 10000, status: 'DO_NOT_RECOVER' }],
    });
    expect(await gateway.refunds(paid.id)).toEqual([
      expect.objectContaining({ paymentId: paid.id, amount: 10000, status: 'succeeded', reason: null }),
    ]);
  });

  it('refuses locally a release Plural could not finish', async () => {
    const paid = await paidSplitOrder();
    const id = held(paid).id;
    for (const amount of [29950, 30001, 99, 100.5]) {
      const refused = await caught(gateway.settlements.release(paid.id, id, amount, key('bad')));
      expect(refused, String(amount)).toMatchObject({ status: 400, code: 'release_amount_invalid', param: 'amount' });
    }
    expect((await h.ledgerOrder(paid.id)).splits[0]!.status).toBe('HOLD');
  });

  it('refuses locally a release beyond what a partial capture left to settle', async () => {
    const created = await gateway.create(newPayment({ captureMethod: 'manual', splits: SPLITS }), key('rel-part'));
    await gateway.simulateLinkPayment(created.id, APPROVED);
    const paid = await gateway.capture(created.id, 30000, key('rel-part-capture'));
    // ₹300 captured, ₹200 of it settled at once to 1233: ₹100 is left to settle to 1324.
    log.length = 0;
    for (const amount of [undefined, 15000]) {
      const refused = await caught(gateway.settlements.release(paid.id, held(paid).id, amount, key('rel-over')));
      expect(refused, String(amount)).toMatchObject({ status: 400, code: 'release_amount_invalid', param: 'amount' });
      expect((refused as Error).message).toBe(
        "Only ₹100.00 of this payment's captured money is left to settle: release at most ₹100.00 of 1324's share (the rest is refunded to the customer as far as it was captured), or cancel the share.",
      );
    }
    expect(changes(log)).toEqual([]);
    const released = await gateway.settlements.release(paid.id, held(paid).id, 10000, key('rel-ok'));
    expect(held(released)).toMatchObject({ status: 'RELEASED', releasedAmount: 10000 });
  });

  it('released again after a lost answer: neither released nor refunded twice', async () => {
    const paid = await paidSplitOrder();
    const id = held(paid).id;
    dropNext = (method, path) => method === 'PATCH' && path.endsWith('/release');
    const lost = await caught(gateway.settlements.release(paid.id, id, 20000, key('lost')));
    expect(lost).toBeInstanceOf(GatewayUnreachable);
    expect((lost as GatewayUnreachable).outcome).toBe('unknown');
    log.length = 0;
    const again = await gateway.settlements.release(paid.id, id, 20000, key('lost'));
    expect(changes(log)).toEqual([`POST ${paid.id}`]);
    expect(held(again)).toMatchObject({ releasedAmount: 20000, refundedAmount: 10000 });
    // And once more after the refund's answer was lost too.
    const other = await paidSplitOrder();
    dropNext = (method, path) => method === 'POST' && path.includes('/refunds/');
    const lostRefund = await caught(gateway.settlements.release(other.id, held(other).id, 25000, key('lost-r')));
    expect(lostRefund).toMatchObject({ outcome: 'unknown' });
    log.length = 0;
    const done = await gateway.settlements.release(other.id, held(other).id, 25000, key('lost-r'));
    expect(changes(log)).toEqual([]);
    expect(held(done)).toMatchObject({ releasedAmount: 25000, refundedAmount: 5000 });
    for (const [orderId, refunded] of [
      [paid.id, 10000],
      [other.id, 5000],
    ] as const) {
      const ledger = await h.ledgerOrder(orderId);
      expect(ledger.refunds.map((refund) => refund.amount)).toEqual([refunded]);
      expect(ledger.splits[0]).toMatchObject({ refunded_not_recovered: refunded, unsettled_remainder: 0 });
    }
  });

  it('cancels a held split, refunds it whole DO_NOT_RECOVER, and does neither twice', async () => {
    const paid = await paidSplitOrder();
    const id = held(paid).id;
    dropNext = (method, path) => method === 'PATCH' && path.endsWith('/cancel');
    expect(await caught(gateway.settlements.cancel(paid.id, id, key('cancel')))).toMatchObject({ outcome: 'unknown' });
    log.length = 0;
    const canceled = await gateway.settlements.cancel(paid.id, id, key('cancel'));
    expect(changes(log)).toEqual([`POST ${paid.id}`]);
    expect(canceled).toMatchObject({ status: 'partially_refunded', amountRefunded: 30000 });
    expect(held(canceled)).toMatchObject({ status: 'CANCELLED', releasedAmount: 0, refundedAmount: 30000 });
    log.length = 0;
    await gateway.settlements.cancel(paid.id, id, key('cancel'));
    expect(changes(log)).toEqual([]);
    const ledger = await h.ledgerOrder(paid.id);
    expect(ledger.splits[0]).toMatchObject({
      status: 'CANCELLED',
      refunded_not_recovered: 30000,
      unsettled_remainder: 0,
    });
    expect(ledger.refunds.map((refund) => refund.splits)).toEqual([
      [
        {
          parent_order_split_settlement_id: id,
          amount: 30000,
          status: 'DO_NOT_RECOVER',
          split_settlement_id: expect.any(String),
        },
      ],
    ]);
    // A split settled to its merchant cannot be cancelled: Plural's refusal passes through.
    const refused = await caught(gateway.settlements.cancel(paid.id, settledAtOnce(paid).id, key('cancel-b')));
    expect(refused).toMatchObject({ status: 422, code: 'INVALID_SPLIT_STATE' });
  });
});

describe('a 429 in the middle of a split step or a refund', () => {
  // Found hunting 429s: the step after the one that changed something (the share's money refunded
  // after its cancel, the payment read after the refund) met a 429, and the whole call said "not
  // sent" — taken as nothing done, though the share was cancelled or the refund made.
  it('before anything changed: not sent', async () => {
    const paid = await paidSplitOrder();
    throttleNext = (method) => method === 'GET';
    const error = await caught(gateway.settlements.cancel(paid.id, held(paid).id, key('cancel')));
    expect(error).toMatchObject({ name: 'GatewayUnreachable', outcome: 'not_sent', retryAfterMs: 2_000 });
  });

  it("after a share was cancelled, its money's refund throttled: unknown, with the wait kept", async () => {
    const paid = await paidSplitOrder();
    throttleNext = (method, path) => method === 'POST' && path.includes('/refunds/');
    const error = await caught(gateway.settlements.cancel(paid.id, held(paid).id, key('cancel')));
    expect(error).toMatchObject({ name: 'GatewayUnreachable', outcome: 'unknown', retryAfterMs: 2_000 });
    expect((error as Error).message).toMatch(/^Plural cancelled the share, but the gateway is limiting/);
    // Sent again with its key, it finishes what is left: the share's money refunded once.
    const done = await gateway.settlements.cancel(paid.id, held(paid).id, key('cancel'));
    expect(held(done)).toMatchObject({ status: 'CANCELLED' });
    expect((await h.ledgerOrder(paid.id)).refunds).toHaveLength(1);
  });

  it('after the refund was made, the read of the payment throttled: unknown, never not sent', async () => {
    const paid = await paidSplitOrder();
    let refunded = false;
    throttleNext = (method, path) => {
      if (method === 'POST' && path.includes('/refunds/')) refunded = true;
      return refunded && method === 'GET';
    };
    const error = await caught(gateway.refund(paid.id, { amount: 10000 }, key('refund')));
    expect(error).toMatchObject({ name: 'GatewayUnreachable', outcome: 'unknown', retryAfterMs: 2_000 });
    expect((error as Error).message).toMatch(/^Plural made the refund, but/);
    expect(await gateway.refundExists(paid.id, key('refund'))).toBe(true);
  });
});

describe('refunds of a split payment', () => {
  it('from the splits the till names: recovered from a released one', async () => {
    const paid = await paidSplitOrder();
    const refunded = await gateway.refund(
      paid.id,
      { amount: 5000, reason: 'One cup returned', splits: [{ splitId: settledAtOnce(paid).id, amount: 5000 }] },
      key('named'),
    );
    expect(refunded).toMatchObject({ status: 'partially_refunded', amountRefunded: 5000 });
    expect(settledAtOnce(refunded)).toMatchObject({ releasedAmount: 20000, refundedAmount: 5000 });
    const ledger = await h.ledgerOrder(paid.id);
    expect(ledger.splits[1]).toMatchObject({ refunded_recovered: 5000 });
    expect(ledger.refunds[0]!.splits).toEqual([
      expect.objectContaining({ parent_order_split_settlement_id: settledAtOnce(paid).id, amount: 5000, status: null }),
    ]);
    expect((await gateway.refunds(paid.id))[0]).toMatchObject({ reason: 'One cup returned', amount: 5000 });
  });

  it('in full without naming splits: the held split cancelled and refunded, the settled one recovered', async () => {
    const paid = await paidSplitOrder();
    const refunded = await gateway.refund(paid.id, {}, key('all'));
    expect(refunded).toMatchObject({ status: 'refunded', amountRefunded: 50000 });
    expect(held(refunded)).toMatchObject({ status: 'CANCELLED', refundedAmount: 30000 });
    expect(settledAtOnce(refunded)).toMatchObject({ status: 'RELEASED', refundedAmount: 20000 });
    const ledger = await h.ledgerOrder(paid.id);
    expect(ledger.status).toBe('FULLY_REFUNDED');
    expect(ledger.refunds[0]!.splits.map((line) => [line.amount, line.status])).toEqual([
      [30000, 'DO_NOT_RECOVER'],
      [20000, null],
    ]);
  });

  it('refuses locally a part that only part of a held split could give, changing nothing', async () => {
    const paid = await paidSplitOrder();
    log.length = 0;
    const refused = await caught(gateway.refund(paid.id, { amount: 25000 }, key('part')));
    expect(refused).toMatchObject({ status: 400, code: 'refund_uncovered', param: 'amount' });
    expect(changes(log)).toEqual([]);
    // The rule the port exposes (the host's check before journaling or queueing) says the same words.
    const words =
      "Plural cannot take ₹250.00 from these shares without part of 1324's held share, which goes back only whole: refund ₹200.00, or ₹300.00, or choose the share to take it from.";
    expect((refused as GatewayError).message).toBe(words);
    const shares = { captured: paid.amountCaptured, refunded: paid.amountRefunded, splits: paid.splits! };
    expect(await caught(Promise.resolve().then(() => gateway.drawRefund!(shares, 25000)))).toMatchObject({
      code: 'refund_uncovered',
      message: words,
    });
    expect(gateway.drawRefund!(shares, 20000)).toEqual([{ splitId: settledAtOnce(paid).id, amount: 20000 }]);
    const named = await caught(
      gateway.refund(paid.id, { splits: [{ splitId: held(paid).id, amount: 1000 }] }, key('part-named')),
    );
    expect(named).toMatchObject({ code: 'refund_split_invalid' });
    const over = await caught(gateway.refund(paid.id, { amount: 50001 }, key('over')));
    expect(over).toMatchObject({ code: 'refund_amount_invalid' });
    expect(changes(log)).toEqual([]);
  });

  it('a held share named whole after a partial capture: refused saying what was captured of it', async () => {
    const created = await gateway.create(newPayment({ captureMethod: 'manual', splits: SPLITS }), key('held-part'));
    await gateway.simulateLinkPayment(created.id, APPROVED);
    const paid = await gateway.capture(created.id, 30000, key('held-part-capture'));
    log.length = 0;
    const refused = await caught(
      gateway.refund(paid.id, { amount: 30000, splits: [{ splitId: held(paid).id, amount: 30000 }] }, key('held-r')),
    );
    expect(refused).toMatchObject({ status: 400, code: 'refund_split_invalid', param: 'splits' });
    expect((refused as Error).message).toBe(
      "Only ₹100.00 of 1324's share (₹300.00) was captured and not settled: cancel the share on Settlements to refund that to the customer, or take the refund from another share.",
    );
    expect(changes(log)).toEqual([]);
  });

  it('a refund is found by its key, and never made twice', async () => {
    const paid = await gateway.simulateLinkPayment((await gateway.create(newPayment(), key('k'))).id, APPROVED);
    dropNext = (method, path) => method === 'POST' && path.includes('/refunds/');
    expect(await caught(gateway.refund(paid.id, { amount: 1000 }, key('refund-1')))).toMatchObject({
      outcome: 'unknown',
    });
    expect(await gateway.refundExists(paid.id, key('refund-1'))).toBe(true);
    expect(await gateway.refundExists(paid.id, key('refund-never'))).toBe(false);
    log.length = 0;
    const again = await gateway.refund(paid.id, { amount: 1000 }, key('refund-1'));
    expect(again.amountRefunded).toBe(1000);
    expect(changes(log)).toEqual([]);
    await gateway.refund(paid.id, { amount: 2000, reason: 'Second' }, key('refund-2'));
    const refunds = await gateway.refunds(paid.id);
    expect(refunds.map((refund) => [refund.reference, refund.amount])).toEqual([
      [`${paid.id}-R1`, 1000],
      [`${paid.id}-R2`, 2000],
    ]);
    const ledger = await h.ledgerOrder(paid.id);
    expect(ledger.refunded).toBe(3000);
  });

  it('of an unpaid payment, refused locally', async () => {
    const created = await gateway.create(newPayment(), key('unpaid-refund'));
    expect(await caught(gateway.refund(created.id, {}, key('r')))).toMatchObject({ code: 'not_refundable' });
  });
});

// -----------------------------------------------------------------------------------------------

describe('signed returns and webhooks', () => {
  it('verifies the fields the customer’s browser brings back (a challenge card, a declined card)', async () => {
    const created = await gateway.create(newPayment(), key('return'));
    const declined = await h.pay(created.id, DECLINED);
    expect(declined.return!.params).toMatchObject({
      order_id: created.id,
      status: 'FAILED',
      error_code: 'PAYMENT_DECLINED',
    });
    expect(gateway.verifyReturn(declined.return!.params)).toEqual({ ok: true, paymentId: created.id, failed: true });
    const paid = await h.pay(created.id, CHALLENGE);
    const params = paid.return!.params;
    expect(Object.keys(params).sort()).toEqual(['order_id', 'signature', 'status']);
    expect(gateway.verifyReturn(params)).toEqual({ ok: true, paymentId: created.id, failed: false });
    // As the browser brings them: the shop's own parameter kept on the URL.
    const url = new URL(paid.return!.url);
    expect(gateway.verifyReturn(Object.fromEntries(url.searchParams))).toEqual({
      ok: true,
      paymentId: created.id,
      failed: false,
    });
    expect(gateway.verifyReturn({ ...params, signature: params.signature!.toUpperCase() }).ok).toBe(true);
    expect(gateway.verifyReturn({ ...params, status: 'AUTHORIZED' }).ok).toBe(false);
    expect(gateway.verifyReturn({ ...params, order_id: `${created.id}x` }).ok).toBe(false);
    expect(gateway.verifyReturn({ order_id: created.id, status: 'PROCESSED' }).ok).toBe(false);
  });

  it('verifies Plural’s webhooks: signature, age, replay; names the payment to re-read', async () => {
    const rx = await receiver();
    try {
      await h.call('POST', '/_sandbox/webhook-endpoints', { url: rx.url });
      const paid = await gateway.simulateLinkPayment((await gateway.create(newPayment(), key('hook'))).id, APPROVED);
      await gateway.refund(paid.id, { amount: 500 }, key('hook-refund'));
      await h.sandbox.plural.webhooksIdle();
      await rx.waitFor(2);
      const seen = new Set<string>();
      const remember = (id: string) => (seen.has(id) ? false : (seen.add(id), true));
      const verify = (
        index: number,
        overrides: { body?: string; nowMs?: number; headers?: Record<string, string> } = {},
      ) => {
        const delivery = rx.received[index]!;
        const headers = Object.fromEntries(
          Object.entries(delivery.headers).map(([name, value]) => [
            name,
            Array.isArray(value) ? value.join(', ') : value,
          ]),
        );
        return gateway.notifications!.verify({
          rawBody: Buffer.from(overrides.body ?? delivery.body, 'utf8'),
          headers: { ...headers, ...overrides.headers },
          nowMs: overrides.nowMs ?? clock.now(),
          remember,
        });
      };
      const processed = verify(0);
      expect(processed).toMatchObject({ ok: true, type: 'ORDER_PROCESSED', paymentId: paid.id });
      expect(verify(0)).toEqual({
        ok: false,
        status: 409,
        reason: 'event was already received (replay)',
        eventId: processed.ok ? processed.eventId : null,
      });
      expect(verify(1)).toMatchObject({ ok: true, type: 'REFUND_PROCESSED', paymentId: paid.id });

      seen.clear();
      expect(verify(0, { nowMs: clock.now() + 27 * 3_600_000 + 1_000 })).toMatchObject({
        ok: false,
        status: 400,
        reason: 'event is stale',
      });
      expect(verify(0, { nowMs: clock.now() - 27 * 3_600_000 - 1_000 })).toMatchObject({ ok: false, status: 400 });
      const body = rx.received[0]!.body;
      expect(verify(0, { body: body.replace('"ORDER_PROCESSED"', '"ORDER_FAILED"') })).toMatchObject({
        ok: false,
        status: 401,
      });
      const signature = String(rx.received[0]!.headers['webhook-signature']);
      expect(verify(0, { headers: { 'webhook-timestamp': String(Math.floor(clock.now() / 1000) + 1) } })).toMatchObject(
        {
          ok: false,
          status: 401,
        },
      );
      expect(
        verify(0, { headers: { 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${signature}` } }),
      ).toMatchObject({ ok: true });
      seen.clear();
      expect(verify(0, { headers: { 'webhook-signature': '' } })).toMatchObject({ ok: false, status: 401 });
      expect(verify(0, { headers: { 'webhook-signature': signature.replace('v1,', 'v2,') } })).toMatchObject({
        ok: false,
        status: 401,
      });
      // Nothing refused was remembered: the genuine event still goes through once.
      expect(verify(0)).toMatchObject({ ok: true });
    } finally {
      await rx.close();
    }
  });

  it('takes Plural’s retries of an event, which keep its first timestamp', async () => {
    // A till that could not answer for a few minutes refused every later retry as stale, and the
    // gateway ended up marking its endpoint failing.
    const rx = await receiver(2);
    const endpoint = (await h.call<{ id: string }>('POST', '/_sandbox/webhook-endpoints', { url: rx.url })).body;
    try {
      await gateway.simulateLinkPayment((await gateway.create(newPayment(), key('hook-retry'))).id, APPROVED);
      await h.sandbox.plural.webhooksIdle();
      await rx.waitFor(1);
      await clock.advanceAsync(60_000);
      await h.sandbox.plural.webhooksIdle();
      await rx.waitFor(2);
      await clock.advanceAsync(5 * 60_000);
      await h.sandbox.plural.webhooksIdle();
      await rx.waitFor(3);
      const retry = rx.received[2]!;
      expect(retry.headers['webhook-timestamp']).toBe(rx.received[0]!.headers['webhook-timestamp']);
      const verify = (nowMs: number) =>
        gateway.notifications!.verify({
          rawBody: Buffer.from(retry.body, 'utf8'),
          headers: Object.fromEntries(Object.entries(retry.headers).map(([name, value]) => [name, String(value)])),
          nowMs,
          remember: () => true,
        });
      expect(verify(clock.now())).toMatchObject({ ok: true, type: 'ORDER_PROCESSED' });
      // The last retry, 26 h 36 min after the event, is still taken; older than that is stale.
      const sent = Number(retry.headers['webhook-timestamp']) * 1000;
      expect(verify(sent + (26 * 60 + 36) * 60_000).ok).toBe(true);
      expect(verify(sent + 28 * 3_600_000)).toMatchObject({ ok: false, status: 400, reason: 'event is stale' });
    } finally {
      await h.call('DELETE', `/_sandbox/webhook-endpoints/${endpoint.id}`);
      await rx.close();
    }
  });
});

// -----------------------------------------------------------------------------------------------

describe('answers read strictly', () => {
  /** A loopback server that answers a token, and `order` for every order read. */
  async function stub(order: Record<string, unknown>) {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify(
            req.url?.endsWith('/api/auth/v1/token')
              ? { access_token: 'stub-token', expires_in: 3600 }
              : { data: order },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      gateway: createPluralGateway({ baseUrl: url, clientId: 'c', clientSecret: 's', signatureKey: '00' }),
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  const order = (value: unknown) => ({
    order_id: 'v1-260216161800-aa-StrIng',
    merchant_order_reference: 'x-0000000000000000',
    type: 'CHARGE',
    status: 'PROCESSED',
    order_amount: { value, currency: 'INR' },
    pre_auth: false,
    purchase_details: {},
    created_at: '2026-02-16T16:18:00.000Z',
  });

  it('takes an amount written as digits, and treats any other string as a malformed answer', async () => {
    const digits = await stub(order('2500'));
    try {
      expect(await digits.gateway.retrieve('v1-260216161800-aa-StrIng')).toMatchObject({
        amount: 2500,
        amountCaptured: 2500,
      });
    } finally {
      await digits.close();
    }
    for (const value of ['12.5', '', '1e3', '-100', ' 100']) {
      const bad = await stub(order(value));
      try {
        const error = await caught(bad.gateway.retrieve('v1-260216161800-aa-StrIng'));
        expect(error, JSON.stringify(value)).toBeInstanceOf(GatewayUnreachable);
        expect((error as GatewayUnreachable).outcome).toBe('unknown');
        expect((error as Error).message).toContain('order_amount.value');
      } finally {
        await bad.close();
      }
    }
  });
});
