/**
 * Split settlement in the day's reports, through the host against the sandbox's Plural: a food
 * court's split payments, their shares held, released in part and cancelled, and a release made
 * after the period's end that the Z (closed after midnight) counts as still held at the end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import type { TestHost } from '../support/host';
import { ShiftedClock } from '../support/payplug';
import { payOrder, plural, pluralTill, pluralTillBehindProxy } from '../support/plural';

/**
 * ₹1,000 pre-authorised on Plural in two held shares (M-1 ₹600, M-2 ₹400), its order paid: the
 * payment the partial-capture cases start from (it reaches requires_capture at the gateway).
 */
async function preAuthorisedSplit(t: TestHost, orderReference: string) {
  const created = await t.call('payments.create', {
    amount: 100_000,
    currency: 'INR',
    orderReference,
    captureMethod: 'manual',
    splits: [
      { merchantId: 'M-1', amount: 60_000, onHold: true },
      { merchantId: 'M-2', amount: 40_000, onHold: true },
    ],
  });
  await payOrder(t, created.transactionId!);
  return created;
}

describe('split settlement in the reports, on Plural', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function splitPayment(t: TestHost, orderReference: string, amount: number, splits: object[]) {
    const created = await t.call('payments.create', { amount, currency: 'INR', orderReference, splits });
    await payOrder(t, created.transactionId!);
    return t.waitForPayment(created.id, (p) => p.status === 'succeeded' && p.splits.every((s) => s.id !== null));
  }

  it('X and Z say what of the split payments is each merchant’s: held, released, returned at the period’s end', async () => {
    // 22:00 in Kolkata tomorrow (the clock only moves forward), on the till and the sandbox alike.
    const clock = new ShiftedClock();
    const today = new Date();
    const evening = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1, 16, 30);
    clock.offsetMs = evening - Date.now();
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = await pluralTill({ sandbox, clock });
    cleanup.push(() => t.close());
    await t.call('settings.update', { timeZone: 'Asia/Kolkata' });
    const date = new Date(evening).toISOString().slice(0, 10);

    // ₹1,000: ₹600 held for stall M-1, ₹400 settled at once to M-2.
    const lunch = await splitPayment(t, 'COURT-1', 100_000, [
      { merchantId: 'M-1', amount: 60_000, onHold: true },
      { merchantId: 'M-2', amount: 40_000 },
    ]);
    // ₹500: ₹300 held for M-1, released ₹200 (₹100 back to the customer); ₹200 held for M-3, cancelled.
    const dinner = await splitPayment(t, 'COURT-2', 50_000, [
      { merchantId: 'M-1', amount: 30_000, onHold: true },
      { merchantId: 'M-3', amount: 20_000, onHold: true },
    ]);
    await t.call('settlements.release', { paymentId: dinner.id, splitId: dinner.splits[0]!.id!, amount: 20_000 });
    await t.call('settlements.cancel', { paymentId: dinner.id, splitId: dinner.splits[1]!.id! });
    // A plain sale on the same till: not a split payment, not in the section.
    await t.call('payments.create', { amount: 9_900, currency: 'INR', orderReference: 'TEA-1' }).then(async (p) => {
      await payOrder(t, p.transactionId!);
      await t.waitForPayment(p.id, (q) => q.status === 'succeeded');
    });

    const atEnd = (lunchHeld: number) => [
      {
        currency: 'INR',
        payments: 2,
        amount: 150_000,
        merchants: [
          {
            merchantId: 'M-1',
            shares: 2,
            amount: 90_000,
            held: lunchHeld,
            released: 20_000 + 60_000 - lunchHeld,
            returned: 10_000,
          },
          { merchantId: 'M-2', shares: 1, amount: 40_000, held: 0, released: 40_000, returned: 0 },
          { merchantId: 'M-3', shares: 1, amount: 20_000, held: 0, released: 0, returned: 20_000 },
        ],
      },
    ];
    const x = await t.call('reports.x', {});
    expect(x.splitSettlement).toEqual(atEnd(60_000));
    expect(x.text).toContain('SPLIT SETTLEMENT');
    // The whole split payments are the till's takings (₹1,590 with the tea), less what went back.
    expect(x.totals).toEqual([expect.objectContaining({ currency: 'INR', captured: 159_900, refunded: 30_000 })]);

    // Past midnight, lunch's held share is released; then the day is closed. The Z's period ends at
    // midnight: the share was still held then.
    clock.offsetMs += 2.5 * 3_600_000;
    await t.call('settlements.release', { paymentId: lunch.id, splitId: lunch.splits[0]!.id! });
    const z = await t.call('reports.close', { date, closedBy: 'Asha' });
    expect(z.z?.number).toBe(1);
    expect(z.splitSettlement).toEqual(atEnd(60_000));
    const printed = z.text.slice(z.text.indexOf('SPLIT SETTLEMENT'));
    expect(printed).toMatch(
      /^M-1 · 2 shares\nShare +₹900\.00\nHeld +₹600\.00\nReleased +₹200\.00\nReturned +₹100\.00$/m,
    );

    // Stored as it was: read again, the same; its CSV has the split rows.
    expect((await t.call('reports.get', { number: 1 })).splitSettlement).toEqual(atEnd(60_000));
    const csv = (await t.call('reports.csv', { number: 1 })).content.split('\r\n');
    expect(csv.filter((row) => row.startsWith('split,'))).toEqual([
      `split,${date},,,2 split payments: 1500.00,INR,,,,,,,,,,,`,
      `split,${date},,,share 900.00; held 600.00; released 200.00; returned 100.00,INR,,,,,,,,,M-1,,`,
      `split,${date},,,share 400.00; held 0.00; released 400.00; returned 0.00,INR,,,,,,,,,M-2,,`,
      `split,${date},,,share 200.00; held 0.00; released 0.00; returned 200.00,INR,,,,,,,,,M-3,,`,
    ]);

    // The next day has no split payment of its own: no section, whatever was released in it.
    const next = await t.call('reports.x', {});
    expect(next.date).not.toBe(date);
    expect(next.splitSettlement).toEqual([]);
    expect(next.text).not.toContain('SPLIT SETTLEMENT');
  });

  it('after a partial capture, the shares count only what was captured: returned is what went back', async () => {
    // Found hunting: ₹1,000 pre-authorised in two held shares, ₹500 captured, M-1's ₹600 cancelled.
    // Plural gave back the ₹500 captured (there was no more), and M-2's share can no longer be
    // released; the section said "returned ₹600, held ₹400" while only ₹500 was ever taken.
    const till = await pluralTillBehindProxy();
    cleanup.push(() => till.close());
    const { t, proxy } = till;
    const created = await preAuthorisedSplit(t, 'PRE-1');
    await t.waitForPayment(created.id, (p) => p.status === 'requires_capture');
    // Authorised, not captured yet: the shares are held whole.
    const merchants = async () => (await t.call('reports.x', {})).splitSettlement?.[0];
    expect(await merchants()).toMatchObject({
      payments: 1,
      amount: 100_000,
      merchants: [
        { merchantId: 'M-1', amount: 60_000, held: 60_000, released: 0, returned: 0 },
        { merchantId: 'M-2', amount: 40_000, held: 40_000, released: 0, returned: 0 },
      ],
    });

    await t.call('payments.capture', { paymentId: created.id, amount: 50_000 });
    const captured = await t.waitForPayment(created.id, (p) => p.splits[0]?.next.includes('cancel') === true);
    // The Settlements list says the same: ₹500 held, not the shares' ₹1,000.
    const settlements = () => t.call('settlements.list', { offset: 0, limit: 100 });
    expect(captured.splits.map((s) => s.held)).toEqual([30_000, 20_000]);
    expect((await settlements()).held).toEqual([{ currency: 'INR', count: 1, amount: 50_000 }]);
    // ₹500 captured, nothing settled yet: the held shares share it, in proportion to their amounts.
    expect(await merchants()).toMatchObject({
      payments: 1,
      amount: 50_000,
      merchants: [
        { merchantId: 'M-1', amount: 30_000, held: 30_000, released: 0, returned: 0 },
        { merchantId: 'M-2', amount: 20_000, held: 20_000, released: 0, returned: 0 },
      ],
    });

    const cancelled = await t.call('settlements.cancel', { paymentId: created.id, splitId: captured.splits[0]!.id! });
    expect(cancelled).toMatchObject({ amountCaptured: 50_000, amountRefunded: 50_000 });
    expect(cancelled.splits[1]).toMatchObject({ status: 'HOLD', releasable: 0, held: 0 });
    // Nothing is held any more: the ₹400 share has no captured money left.
    expect((await settlements()).held).toEqual([]);
    // Refused for what it is (it said "this one is refunded"), and before anything is sent to Plural.
    const sent: string[] = [];
    proxy.rewrite = (method, path) => {
      sent.push(`${method} ${path}`);
      return null;
    };
    const refused = await t.fail('settlements.release', { paymentId: created.id, splitId: captured.splits[1]!.id! });
    expect(refused).toMatchObject({
      code: 'conflict',
      message:
        'No captured money is left to release the share of M-2 (₹400.00): only ₹500.00 of this payment was captured, and the other shares have taken it (settled, or given back to the customer). Nothing can be settled to M-2 from this payment.',
    });
    expect(sent).toEqual([]);
    proxy.rewrite = () => null;

    const x = await t.call('reports.x', {});
    expect(x.totals).toEqual([expect.objectContaining({ captured: 50_000, refunded: 50_000, net: 0 })]);
    // What moved: M-1's cancel gave back the ₹500 captured; nothing is left for M-2's share.
    expect(x.splitSettlement).toEqual([
      {
        currency: 'INR',
        payments: 1,
        amount: 50_000,
        merchants: [
          { merchantId: 'M-1', shares: 1, amount: 50_000, held: 0, released: 0, returned: 50_000 },
          { merchantId: 'M-2', shares: 1, amount: 0, held: 0, released: 0, returned: 0 },
        ],
      },
    ]);
  });

  it('a share not held of an authorised pre-authorisation is released at capture, never "returned"', async () => {
    // Found by a UI hunt: ₹1,000 pre-authorised, ₹400 for NH settled at once (not held), ₹600 held.
    // Before capture Plural says NH is RELEASED with nothing settled yet; the X report read that as
    // "Returned ₹400.00" (given back to the customer) though nothing was, while Settlements said
    // "settled once the payment is paid". Counted whole, it is the merchant's: released.
    const t = await pluralTill();
    cleanup.push(() => t.close());
    const created = await t.call('payments.create', {
      amount: 100_000,
      currency: 'INR',
      orderReference: 'AUTH-NH-1',
      captureMethod: 'manual',
      splits: [
        { merchantId: 'NH', amount: 40_000, onHold: false },
        { merchantId: 'HH', amount: 60_000, onHold: true },
      ],
    });
    await payOrder(t, created.transactionId!);
    const authorised = await t.waitForPayment(
      created.id,
      (p) => p.status === 'requires_capture' && p.splits.every((s) => s.id !== null),
    );
    expect(authorised.splits.map((s) => [s.status, s.releasedAmount])).toEqual([
      ['RELEASED', 0],
      ['HOLD', 0],
    ]);
    const section = [
      {
        currency: 'INR',
        payments: 1,
        amount: 100_000,
        merchants: [
          { merchantId: 'HH', shares: 1, amount: 60_000, held: 60_000, released: 0, returned: 0 },
          { merchantId: 'NH', shares: 1, amount: 40_000, held: 0, released: 40_000, returned: 0 },
        ],
      },
    ];
    expect((await t.call('reports.x', {})).splitSettlement).toEqual(section);
    // Captured in full: NH settled for real, and the report reads the same.
    const captured = await t.call('payments.capture', { paymentId: created.id });
    expect(captured.splits.map((s) => [s.status, s.releasedAmount])).toEqual([
      ['RELEASED', 40_000],
      ['HOLD', 0],
    ]);
    expect((await t.call('reports.x', {})).splitSettlement).toEqual(section);
  });

  it('a pre-authorisation voided while its shares are held holds nothing: nothing was captured', async () => {
    // Found hunting: ₹1,000 pre-authorised in two held shares, then voided (cancelled before any
    // capture). Plural leaves the shares HOLD, and the till counted them whole: the Settlements list
    // said ₹1,000 held, money that was never taken.
    const t = await pluralTill();
    cleanup.push(() => t.close());
    const created = await preAuthorisedSplit(t, 'VOID-1');
    const authorised = await t.waitForPayment(
      created.id,
      (p) => p.status === 'requires_capture' && p.splits.every((s) => s.id !== null),
    );
    const settlements = (held = false) => t.call('settlements.list', { offset: 0, limit: 100, held });
    // Authorised: held whole, until captured or voided.
    expect((await settlements()).held).toEqual([{ currency: 'INR', count: 1, amount: 100_000 }]);

    const voided = await t.call('payments.cancel', { paymentId: created.id });
    expect(voided).toMatchObject({ status: 'canceled', amountCaptured: 0 });
    // What Plural does with the shares on a void: nothing — its order says CANCELLED, its shares HOLD.
    const order = await plural<{
      data: { status: string; purchase_details: { split_info: { split_details: { status: string }[] } } };
    }>(t, 'GET', `/api/pay/v1/orders/${created.transactionId}`);
    expect(order.json.data.status).toBe('CANCELLED');
    expect(order.json.data.purchase_details.split_info.split_details.map((s) => s.status)).toEqual(['HOLD', 'HOLD']);
    expect(voided.splits.map((s) => s.status)).toEqual(['HOLD', 'HOLD']);

    // The till says nothing is held: each share, the list's totals, the held-only list, the report.
    expect(voided.splits.map((s) => s.held)).toEqual([0, 0]);
    expect(voided.splits.map((s) => s.next)).toEqual([[], []]);
    const listed = await settlements();
    expect(listed.held).toEqual([]);
    expect(listed.payments.map((p) => p.id)).toEqual([authorised.id]);
    expect((await settlements(true)).payments).toEqual([]);
    expect((await t.call('reports.x', {})).splitSettlement).toEqual([]);
  });

  it('a link not paid yet holds nothing: its held shares wait for the payment, then count once paid', async () => {
    // Found by a tester: a link sent, the customer not paid yet. Plural says HOLD from the order's
    // creation, and the Settlements list counted ₹400 held, money nobody had paid.
    const t = await pluralTill();
    cleanup.push(() => t.close());
    const created = await t.call('payments.create', {
      amount: 40_000,
      currency: 'INR',
      orderReference: 'LINK-1',
      splits: [
        { merchantId: 'M-1', amount: 30_000, onHold: true },
        { merchantId: 'M-2', amount: 10_000, onHold: true },
      ],
    });
    const sent = await t.waitForPayment(created.id, (p) => p.splits.every((s) => s.id !== null));
    expect(sent).toMatchObject({ status: 'pending', amountCaptured: 0 });
    // What Plural says of the shares of an order nobody paid: HOLD.
    const order = await plural<{
      data: { status: string; purchase_details: { split_info: { split_details: { status: string }[] } } };
    }>(t, 'GET', `/api/pay/v1/orders/${created.transactionId}`);
    expect(order.json.data.status).toBe('CREATED');
    expect(order.json.data.purchase_details.split_info.split_details.map((s) => s.status)).toEqual(['HOLD', 'HOLD']);

    // The till says what it is: waiting for the payment, nothing held, not closed, nothing offered.
    expect(sent.splits.map((s) => [s.status, s.held, s.awaitingPayment, s.closed, s.next])).toEqual([
      ['HOLD', 0, true, false, []],
      ['HOLD', 0, true, false, []],
    ]);
    const list = (held = false) => t.call('settlements.list', { offset: 0, limit: 100, held });
    expect((await list()).held).toEqual([]);
    expect((await list()).payments.map((p) => p.orderReference)).toEqual(['LINK-1']);
    expect((await list(true)).payments).toEqual([]);
    // A payment with a share really held, made earlier, is listed before it.
    const earlier = await t.call('payments.create', {
      amount: 10_000,
      currency: 'INR',
      orderReference: 'HELD-2',
      splits: [{ merchantId: 'M-3', amount: 10_000, onHold: true }],
    });
    await payOrder(t, earlier.transactionId!);
    await t.waitForPayment(earlier.id, (p) => p.status === 'succeeded' && p.splits.every((s) => s.id));
    expect((await list()).payments.map((p) => p.orderReference)).toEqual(['HELD-2', 'LINK-1']);
    expect((await list()).held).toEqual([{ currency: 'INR', count: 1, amount: 10_000 }]);

    // Paid: its shares are held, whole, and can be settled.
    await payOrder(t, created.transactionId!);
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    expect(paid.splits.map((s) => [s.held, s.awaitingPayment, s.next])).toEqual([
      [30_000, false, ['release', 'cancel']],
      [10_000, false, ['release', 'cancel']],
    ]);
    expect((await list()).held).toEqual([{ currency: 'INR', count: 2, amount: 50_000 }]);
    expect((await list(true)).payments.map((p) => p.orderReference).sort()).toEqual(['HELD-2', 'LINK-1']);
  });

  it('a held share no captured money is left for is closed: nothing to settle, nothing offered', async () => {
    // Found hunting: ₹500 of ₹1,000 captured, M-1's ₹600 share cancelled (the ₹500 went back). M-2's
    // ₹400 share stayed HOLD for ever, listed first as held, with a cancel that Plural refuses on a
    // refunded payment ("this one is refunded").
    const t = await pluralTill();
    cleanup.push(() => t.close());
    const created = await preAuthorisedSplit(t, 'SPENT-1');
    await t.waitForPayment(created.id, (p) => p.status === 'requires_capture' && p.splits.every((s) => s.id));
    await t.call('payments.capture', { paymentId: created.id, amount: 50_000 });
    const captured = await t.waitForPayment(created.id, (p) => p.splits[0]?.next.includes('cancel') === true);
    expect(captured.splits.map((s) => s.closed)).toEqual([false, false]);
    const spent = await t.call('settlements.cancel', { paymentId: created.id, splitId: captured.splits[0]!.id! });
    expect(spent.status).toBe('refunded');

    // Plural still says HOLD; the till says what it is: closed, nothing to settle, no action.
    expect(spent.splits[1]).toMatchObject({ status: 'HOLD', held: 0, closed: true, releasable: 0, next: [] });
    // A cancel sent all the same is refused, and nothing changes.
    const refused = await t.fail('settlements.cancel', { paymentId: created.id, splitId: captured.splits[1]!.id! });
    expect(refused).toMatchObject({ code: 'conflict' });
    // Not listed as held: not in the held-only list, not first, not in the totals.
    const list = (held: boolean) => t.call('settlements.list', { offset: 0, limit: 100, held });
    expect((await list(true)).payments).toEqual([]);
    expect((await list(false)).held).toEqual([]);
    // A payment with a share really held is listed before it.
    const later = await t.call('payments.create', {
      amount: 10_000,
      currency: 'INR',
      orderReference: 'HELD-1',
      splits: [{ merchantId: 'M-3', amount: 10_000, onHold: true }],
    });
    await payOrder(t, later.transactionId!);
    await t.waitForPayment(later.id, (p) => p.status === 'succeeded' && p.splits.every((s) => s.id));
    const older = await t.call('payments.create', {
      amount: 10_000,
      currency: 'INR',
      orderReference: 'DONE-1',
      splits: [{ merchantId: 'M-3', amount: 10_000 }],
    });
    await payOrder(t, older.transactionId!);
    await t.waitForPayment(older.id, (p) => p.status === 'succeeded' && p.splits.every((s) => s.id));
    expect((await list(false)).payments.map((p) => p.orderReference)).toEqual(['HELD-1', 'DONE-1', 'SPENT-1']);
    expect((await list(true)).payments.map((p) => p.orderReference)).toEqual(['HELD-1']);
  });
  it('a closed share on a partly refunded payment can be cancelled at Plural; where Plural refuses, the host does', async () => {
    // ₹1,000 pre-authorised in two held shares, ₹500 captured; ₹300 of M-1's ₹600 released, the ₹200
    // of captured money left refunded with it. M-2's ₹400 share has nothing left (closed), but Plural
    // still says HOLD, and takes a cancel of it on the partly refunded order: it moves no money and
    // tidies the share there. It offered nothing.
    const till = await pluralTillBehindProxy();
    cleanup.push(() => till.close());
    const { t, proxy } = till;
    const created = await preAuthorisedSplit(t, 'TIDY-1');
    await t.waitForPayment(created.id, (p) => p.status === 'requires_capture' && p.splits.every((s) => s.id));
    await t.call('payments.capture', { paymentId: created.id, amount: 50_000 });
    const captured = await t.waitForPayment(created.id, (p) => p.splits[0]?.next.includes('cancel') === true);
    const [m1, m2] = captured.splits.map((s) => s.id!);
    const released = await t.call('settlements.release', { paymentId: created.id, splitId: m1!, amount: 30_000 });
    expect(released).toMatchObject({ status: 'partially_refunded', amountCaptured: 50_000, amountRefunded: 20_000 });
    // Closed, and what Plural would take is offered: a cancel.
    expect(released.splits[1]).toMatchObject({ status: 'HOLD', held: 0, closed: true, next: ['cancel'] });

    const tidied = await t.call('settlements.cancel', { paymentId: created.id, splitId: m2! });
    // No money moved; the share is cancelled at Plural too.
    expect(tidied).toMatchObject({ amountCaptured: 50_000, amountRefunded: 20_000 });
    expect(tidied.splits[1]).toMatchObject({ status: 'CANCELLED', closed: false, refundedAmount: 0, next: [] });
    const order = await plural<{
      data: { purchase_details: { split_info: { split_details: { status: string }[] } } };
    }>(t, 'GET', `/api/pay/v1/orders/${created.transactionId}`);
    expect(order.json.data.purchase_details.split_info.split_details.map((s) => s.status)).toEqual([
      'RELEASED',
      'CANCELLED',
    ]);
    expect((await t.call('settlements.list', { offset: 0, limit: 100 })).held).toEqual([]);

    // Fully refunded, another payment's closed share: nothing offered, and refused by the host itself,
    // saying why, before anything is sent to Plural.
    const spentCreated = await preAuthorisedSplit(t, 'SPENT-2');
    await t.waitForPayment(spentCreated.id, (p) => p.status === 'requires_capture' && p.splits.every((s) => s.id));
    await t.call('payments.capture', { paymentId: spentCreated.id, amount: 50_000 });
    const spentCaptured = await t.waitForPayment(spentCreated.id, (p) => p.splits[0]?.next.includes('cancel') === true);
    const spent = await t.call('settlements.cancel', {
      paymentId: spentCreated.id,
      splitId: spentCaptured.splits[0]!.id!,
    });
    expect(spent.status).toBe('refunded');
    expect(spent.splits[1]).toMatchObject({ status: 'HOLD', closed: true, next: [] });
    const sent: string[] = [];
    proxy.rewrite = (method, path) => {
      sent.push(`${method} ${path}`);
      return null;
    };
    const refused = await t.fail('settlements.cancel', { paymentId: spentCreated.id, splitId: spent.splits[1]!.id! });
    expect(refused).toMatchObject({
      code: 'conflict',
      message:
        'The share of M-2 (₹400.00) is closed: no captured money is left for it, and Plural takes no cancel of a share once the payment is refunded. Nothing is left to settle or give back.',
    });
    const release = await t.fail('settlements.release', { paymentId: spentCreated.id, splitId: spent.splits[1]!.id! });
    expect(release).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^No captured money is left/) });
    expect(sent).toEqual([]);
    proxy.rewrite = () => null;
  });

  it("the merchant copy names each share's merchant as Settings does, the id beside it", async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const t = await pluralTill({ sandbox });
    cleanup.push(() => t.close());
    await t.call('settings.update', { splitMerchants: [{ id: 'M-1', name: 'Stall 7 — Noodles' }] });
    const paid = await splitPayment(t, 'COURT-NAMES', 50_000, [
      { merchantId: 'M-1', amount: 30_000, onHold: true },
      { merchantId: 'M-2', amount: 20_000 },
    ]);
    const { content } = await t.call('receipts.render', { paymentId: paid.id, copy: 'merchant', format: 'text' });
    const shares = content.slice(content.indexOf('SHARES'));
    expect(shares).toMatch(/^Stall 7 — Noodles \(M-1\) +₹300\.00$/m);
    // A merchant Settings does not name: its id alone.
    expect(shares).toMatch(/^M-2 +₹200\.00$/m);
  });
});
