/**
 * Business days on the fake clock, in the shop's zone across both DST changes: the X report's
 * period, the Z that closes it (numbered, chained, kept), the next day from zero — including
 * after a Z closed before midnight — and the override a Z needs while payments need attention.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DayReportView } from '../../common/contract/views';
import type { Settings } from '../../main/config/settings';
import { CounterReports, REPORT_PAGE } from '../../main/counter/reports';
import { HostError } from '../../main/core/errors';
import type { PaymentGateway } from '../../main/gateway/port';
import { canonicalJson } from '../../main/reports';
import { Journal, newPaymentRecord, type PaymentPatch } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';

function setup(startIso: string, zone = 'Europe/Paris') {
  const clock = new FakeClock(Date.parse(startIso));
  const journal = new Journal(openDatabase(':memory:'), clock);
  const settings = {
    mode: 'test',
    timeZone: zone,
    receiptWidth: 42,
    shopName: 'Café',
    receiptPrinterPort: null,
  } as unknown as Settings;
  const reports = new CounterReports({
    journal,
    clock,
    settings: () => settings,
    gateway: () => null,
    readerLabel: () => 'Counter 1',
    accountName: () => null,
    print: () => Promise.resolve({ state: 'printed', error: null }),
  });
  let n = 0;
  /** A payment created at `iso` (the clock moves there) and settled as given. */
  const pay = (iso: string, amount: number, patch: PaymentPatch = {}) => {
    clock.advance(Date.parse(iso) - clock.now());
    n++;
    const id = `pay_day${String(n).padStart(9, '0')}`;
    journal.insertPayment(
      newPaymentRecord({
        id,
        gateway: 'plutopay',
        mode: 'test',
        orderReference: `DAY-${n}`,
        attempt: 1,
        idempotencyKey: `pos-DAY-${n}-1`,
        origin: 'local',
        amount,
        currency: 'EUR',
        captureMethod: 'automatic',
        status: 'creating',
      }),
      'created',
    );
    return journal.updatePayment(id, {
      status: 'succeeded',
      amountCaptured: amount,
      transactionId: `tr_${n}`,
      cardBrand: 'visa',
      ...patch,
    });
  };
  const at = (iso: string) => clock.advance(Date.parse(iso) - clock.now());
  return { clock, journal, reports, pay, at, settings: settings as { timeZone: string } };
}

describe('business days across DST', () => {
  it('the spring day is 23 hours; a Z closed before midnight hands the rest to the next day, from zero', async () => {
    const d = setup('2026-03-28T22:00:00.000Z');
    d.pay('2026-03-28T23:30:00.000Z', 1250, { tipAmount: 150, preTipAmount: 1100, tipState: 'chosen' }); // 00:30 local
    d.pay('2026-03-29T09:00:00.000Z', 2000);
    d.pay('2026-03-29T10:00:00.000Z', 800, { status: 'failed', amountCaptured: 0, declineCode: 'card_declined' });
    d.at('2026-03-29T20:00:00.000Z');
    const x = await d.reports.x();
    expect(x).toMatchObject({ kind: 'X', date: '2026-03-29', hours: 23, paymentCount: 3, z: null });
    expect(x.start).toBe('2026-03-28T23:00:00.000Z');
    expect(x.totals).toEqual([
      expect.objectContaining({
        currency: 'EUR',
        approvedCount: 2,
        approvedAmount: 3250,
        declinedCount: 1,
        tips: 150,
        captured: 3250,
        net: 3250,
      }),
    ]);
    expect(x.text).toContain('Day length');

    // Closed at 23:00 local: the period ends there.
    d.at('2026-03-29T21:00:00.000Z');
    const z1 = await d.reports.close({ closedBy: 'Ada' });
    expect(z1).toMatchObject({ kind: 'Z', date: '2026-03-29', end: '2026-03-29T21:00:00.000Z', hours: 22 });
    expect(z1.z).toMatchObject({ number: 1, closedBy: 'Ada', override: null, previousDigest: null, valid: true });
    expect(z1.totals[0]).toMatchObject({ approvedAmount: 3250, tips: 150 });

    // A late customer at 23:30 local belongs to the next business day, which starts at the close.
    d.pay('2026-03-29T21:30:00.000Z', 500);
    expect(d.reports.currentDate()).toBe('2026-03-30');
    const next = await d.reports.x();
    expect(next).toMatchObject({ date: '2026-03-30', start: '2026-03-29T21:00:00.000Z', paymentCount: 1 });
    expect(next.totals[0]).toMatchObject({ approvedAmount: 500 });
    // The closed day never changes, and cannot be closed twice.
    expect((await d.reports.x('2026-03-29')).z?.number).toBe(1);
    await expect(d.reports.close({ date: '2026-03-29', closedBy: 'Ada' })).rejects.toThrow(HostError);

    d.at('2026-03-30T21:00:00.000Z');
    const z2 = await d.reports.close({ closedBy: 'Ben' });
    expect(z2.z).toMatchObject({ number: 2, previousDigest: z1.z!.digest, valid: true });
    expect(z2.totals[0]).toMatchObject({ approvedCount: 1, approvedAmount: 500 });
    expect(d.reports.list(10).map((z) => [z.number, z.date, z.valid])).toEqual([
      [2, '2026-03-30', true],
      [1, '2026-03-29', true],
    ]);
    const csv = await d.reports.csv({ number: 1 });
    expect(csv.filename).toBe('z-0001-2026-03-29-test.csv');
    expect(csv.content.split('\r\n').filter((l) => l.startsWith('payment,'))).toHaveLength(3);
  });

  it('an authorisation past its expiry is no longer money pending capture', async () => {
    const d = setup('2026-06-10T08:00:00.000Z');
    const deferred = (iso: string, amount: number, expiresAt: string) =>
      d.pay(iso, amount, {
        status: 'requires_capture',
        amountCaptured: 0,
        amountCapturable: amount,
        authorizationExpiresAt: expiresAt,
      });
    deferred('2026-06-10T09:00:00.000Z', 3000, '2026-06-17T09:00:00.000Z');
    deferred('2026-06-10T10:00:00.000Z', 500, '2026-06-10T16:00:00.000Z');
    d.at('2026-06-10T12:00:00.000Z');
    expect((await d.reports.x()).totals[0]).toMatchObject({ approvedCount: 2, pendingCapture: 3500 });
    d.at('2026-06-10T17:00:00.000Z');
    expect((await d.reports.x()).totals[0]).toMatchObject({ approvedCount: 2, pendingCapture: 3000 });
  });

  it('an authorisation captured after its day’s Z counts on the day it was captured; every Z adds up', async () => {
    const d = setup('2026-05-04T08:00:00.000Z');
    const held = d.pay('2026-05-04T09:00:00.000Z', 5000, {
      status: 'requires_capture',
      amountCaptured: 0,
      amountCapturable: 5000,
    });
    d.at('2026-05-04T20:00:00.000Z');
    const z1 = await d.reports.close({ closedBy: 'Ada' });
    expect(z1.totals[0]).toMatchObject({ approvedAmount: 5000, captured: 0, pendingCapture: 5000, net: 0 });

    // Captured the next day (before it went, the day's X counted it as today's money).
    d.at('2026-05-05T10:00:00.000Z');
    d.journal.updatePayment(held.id, { status: 'succeeded', amountCaptured: 5000, amountCapturable: 0 });
    d.at('2026-05-05T20:00:00.000Z');
    const z2 = await d.reports.close({ closedBy: 'Ben' });
    expect(z2).toMatchObject({ paymentCount: 0 });
    expect(z2.totals[0]).toMatchObject({ payments: 0, captured: 5000, refunded: 0, net: 5000 });
    const csv = (await d.reports.csv({ number: 2 })).content.split('\r\n');
    expect(csv.filter((line) => line.startsWith('capture,'))).toEqual([expect.stringContaining(held.id)]);

    // Refunded the day after: the three days net to what the gateway holds, nothing.
    d.at('2026-05-06T10:00:00.000Z');
    d.journal.updatePayment(held.id, { status: 'refunded', amountRefunded: 5000 });
    d.at('2026-05-06T20:00:00.000Z');
    const z3 = await d.reports.close({ closedBy: 'Cy' });
    expect(z3.totals[0]).toMatchObject({ refunded: 5000, net: -5000 });
    expect([z1, z2, z3].reduce((sum, z) => sum + z.totals[0]!.net, 0)).toBe(0);
  });

  describe('a late sale whose capture comes after midnight, before the Z is closed', () => {
    // Found in review: the Z of the 4th, closed at 00:30 on the 5th, showed the 23:5x sale as
    // approved with captured and pending capture both 0 — its capture (00:10) is the 5th's money, and
    // by the close the payment was no longer requires_capture. At the Z's end (midnight) it was
    // authorised and not captured: that is pending capture.
    const cases = [
      {
        variant: 'manual capture: authorised at 23:55, captured by the cashier at 00:10',
        sale: (d: ReturnType<typeof setup>) => {
          const held = d.pay('2026-05-04T21:55:00.000Z', 5000, {
            status: 'requires_capture',
            amountCaptured: 0,
            amountCapturable: 5000,
          });
          d.at('2026-05-04T22:10:00.000Z');
          d.journal.updatePayment(held.id, { status: 'succeeded', amountCaptured: 5000, amountCapturable: 0 });
          return held.id;
        },
      },
      {
        variant: 'automatic capture: on the reader at 23:58, the approval (and capture) recorded at 00:02',
        sale: (d: ReturnType<typeof setup>) => {
          const late = d.pay('2026-05-04T21:58:00.000Z', 5000, { status: 'in_progress', amountCaptured: 0 });
          d.at('2026-05-04T22:02:00.000Z');
          d.journal.updatePayment(late.id, { status: 'succeeded', amountCaptured: 5000 });
          return late.id;
        },
      },
    ];
    for (const { variant, sale } of cases) {
      it(variant, async () => {
        const d = setup('2026-05-04T08:00:00.000Z');
        d.pay('2026-05-04T09:00:00.000Z', 1000);
        const id = sale(d);
        // 00:30 on the 5th (local): the 4th is closed after midnight, its period ends at midnight.
        d.at('2026-05-04T22:30:00.000Z');
        const z1 = await d.reports.close({ date: '2026-05-04', closedBy: 'Ada' });
        expect(z1).toMatchObject({ date: '2026-05-04', end: '2026-05-04T22:00:00.000Z', paymentCount: 2 });
        expect(z1.totals[0]).toMatchObject({ approvedAmount: 6000, captured: 1000, pendingCapture: 5000, net: 1000 });
        // What the 4th approved is captured on it or still pending at its end: nothing falls between.
        expect(z1.totals[0]!.captured + z1.totals[0]!.pendingCapture).toBe(z1.totals[0]!.approvedAmount);
        expect(z1.byReader[0]).toMatchObject({ pendingCapture: 5000 });
        expect(z1.text).toMatch(/^Pending capture +€50\.00$/m);
        const csv1 = (await d.reports.csv({ number: 1 })).content.split('\r\n');
        expect(
          csv1
            .find((line) => line.includes(id))!
            .split(',')
            .slice(8, 12),
        ).toEqual(['0.00', '50.00', '0.00', '0.00']);
        expect(
          csv1
            .find((line) => line.startsWith('total,'))!
            .split(',')
            .slice(8, 12),
        ).toEqual(['10.00', '50.00', '0.00', '10.00']);
        // Read back as stored, the same.
        expect((await d.reports.x('2026-05-04')).totals[0]).toMatchObject({ pendingCapture: 5000 });

        // The capture is the 5th's money: its Z counts it, once.
        d.at('2026-05-05T20:00:00.000Z');
        const z2 = await d.reports.close({ closedBy: 'Ben' });
        expect(z2).toMatchObject({ date: '2026-05-05', paymentCount: 0 });
        expect(z2.totals[0]).toMatchObject({ captured: 5000, pendingCapture: 0, net: 5000 });
        // Across the two days, every cent approved is captured once.
        expect(z1.totals[0]!.captured + z2.totals[0]!.captured).toBe(z1.totals[0]!.approvedAmount);
        expect(z1.totals[0]!.net + z2.totals[0]!.net).toBe(6000);
      });
    }
  });

  it('keeps apart who moved the money: each gateway, and the shop’s bank terminals; an older Z still shows', async () => {
    // Found in review: the shop's bank's money was summed into the gateways' totals.
    const d = setup('2026-06-10T06:00:00.000Z');
    d.pay('2026-06-10T08:00:00.000Z', 1000);
    d.pay('2026-06-10T09:00:00.000Z', 2500, { gateway: 'payplug' });
    const banked = d.pay('2026-06-10T10:00:00.000Z', 4000, { chargedBy: 'terminal', transactionId: null });
    d.at('2026-06-10T20:00:00.000Z');
    const z1 = await d.reports.close({ closedBy: 'Ada' });
    const figures = (groups: DayReportView['byMover']) =>
      groups!.map((g) => [g.key, g.currency, g.approvedAmount, g.captured, g.refunded, g.net]);
    expect(figures(z1.byMover)).toEqual([
      ['PayPlug', 'EUR', 2500, 2500, 0, 2500],
      ['PlutoPay', 'EUR', 1000, 1000, 0, 1000],
      ["Terminal (shop's bank)", 'EUR', 4000, 4000, 0, 4000],
    ]);
    expect(z1.text).toMatch(/BY WHO MOVED THE MONEY\n\nPayPlug · EUR\nApproved \(1\) +€25\.00/);
    const csv1 = (await d.reports.csv({ number: 1 })).content.split('\r\n');
    expect(csv1.filter((line) => line.startsWith('moved_by,'))).toEqual([
      'moved_by,2026-06-10,,,1 approved of 1,EUR,25.00,0.00,25.00,0.00,0.00,25.00,,,PayPlug,,',
      'moved_by,2026-06-10,,,1 approved of 1,EUR,10.00,0.00,10.00,0.00,0.00,10.00,,,PlutoPay,,',
      "moved_by,2026-06-10,,,1 approved of 1,EUR,40.00,0.00,40.00,0.00,0.00,40.00,,,Terminal (shop's bank),,",
    ]);

    // The next day, the bank's terminal sale is refunded in part: the bank's money, that day.
    d.at('2026-06-11T09:00:00.000Z');
    d.journal.updatePayment(banked.id, { status: 'partially_refunded', amountRefunded: 300 });
    const x = await d.reports.x();
    expect(figures(x.byMover)).toEqual([["Terminal (shop's bank)", 'EUR', 0, 0, 300, -300]]);
    const refundRow = (await d.reports.csv({})).content.split('\r\n').find((line) => line.startsWith('refund,'));
    expect(refundRow!.split(',')[14]).toBe("Terminal (shop's bank)");

    // A Z closed before the breakdown was kept (no byMover, rows without movedBy) still displays.
    const stored = JSON.parse(d.journal.getZReport('test', 1)!.report) as Record<string, unknown>;
    const { digest: _digest, byMover: _byMover, ...rest } = stored;
    void _digest;
    void _byMover;
    const unmoved = (items: unknown) =>
      (items as Record<string, unknown>[]).map(({ movedBy: _m, ...item }) => (void _m, item));
    const older = {
      ...rest,
      payments: unmoved(rest.payments),
      captures: unmoved(rest.captures),
      refunds: unmoved(rest.refunds),
    };
    const digest = createHash('sha256').update(canonicalJson(older)).digest('hex');
    const o = setup('2026-06-11T09:00:00.000Z');
    o.journal.insertZReport({
      ...d.journal.getZReport('test', 1)!,
      report: JSON.stringify({ ...older, digest }),
      reconciliation: null,
      digest,
    });
    const old = o.reports.get(1);
    expect(old).toMatchObject({ byMover: null, z: { valid: true } });
    expect(old.totals[0]).toMatchObject({ approvedAmount: 7500 });
    expect(old.text).not.toContain('BY WHO MOVED THE MONEY');
    expect(old.text).toContain('BY READER');
    const oldCsv = (await o.reports.csv({ number: 1 })).content;
    expect(oldCsv).not.toContain('moved_by');
    expect(oldCsv).toContain('total,2026-06-10,,,3 approved of 3,EUR,75.00');
  });

  it('the autumn day is 25 hours, and its 01:30 happens twice', async () => {
    const d = setup('2026-10-24T22:00:00.000Z');
    d.pay('2026-10-24T23:30:00.000Z', 100); // 01:30 +02:00
    d.pay('2026-10-25T00:30:00.000Z', 200); // 02:30 +02:00
    d.pay('2026-10-25T01:30:00.000Z', 300); // 02:30 +01:00, the second time
    d.pay('2026-10-25T22:59:00.000Z', 400); // 23:59 +01:00
    d.pay('2026-10-25T23:00:00.000Z', 500); // midnight: the next day
    const x = await d.reports.x('2026-10-25');
    expect(x).toMatchObject({
      hours: 25,
      paymentCount: 4,
      start: '2026-10-24T22:00:00.000Z',
      end: '2026-10-25T23:00:00.000Z',
    });
    expect(x.totals[0]).toMatchObject({ approvedAmount: 1000 });
    expect(await d.reports.close({ date: '2026-10-25', closedBy: 'Ada' })).toMatchObject({
      hours: 25,
      paymentCount: 4,
    });
    expect((await d.reports.x('2026-10-26')).paymentCount).toBe(1);
  });

  it('an X for a date after the open day is refused: it would show the open day’s payments under it', async () => {
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    await expect(d.reports.x('2026-06-03')).rejects.toMatchObject({
      code: 'conflict',
      message: '2026-06-03 has not started yet: the open day is 2026-06-01.',
    });
    // After an evening Z the next day is the open one: its X is there, the day after's is not.
    d.at('2026-06-01T18:00:00.000Z');
    await d.reports.close({ closedBy: 'Ada' });
    d.pay('2026-06-01T19:00:00.000Z', 500);
    expect(await d.reports.x('2026-06-02')).toMatchObject({ date: '2026-06-02', paymentCount: 1 });
    await expect(d.reports.x('2026-06-03')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a day closed in the evening cannot be closed again, and the next day closes on its own date', async () => {
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.at('2026-06-01T18:00:00.000Z'); // 20:00 in Paris
    expect((await d.reports.close({ closedBy: 'Ada' })).z?.number).toBe(1);

    // The same evening, again: refused, whether the day is named or not; nothing is stored.
    d.at('2026-06-01T19:00:00.000Z');
    const again = await d.reports.close({ closedBy: 'Ada' }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(HostError);
    expect(again).toMatchObject({ code: 'conflict', message: expect.stringMatching(/2026-06-01.*already closed/) });
    await expect(d.reports.close({ date: '2026-06-01', closedBy: 'Ada' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/already closed/),
    });
    await expect(d.reports.close({ date: '2026-06-02', closedBy: 'Ada' })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(d.reports.list(10).map((z) => [z.number, z.date])).toEqual([[1, '2026-06-01']]);

    // The late customer counts for the next day, whose period started at the close. Its X says it
    // cannot be closed yet, in place of the Close the day it would refuse (found in a defect hunt).
    d.pay('2026-06-01T20:00:00.000Z', 500);
    expect(await d.reports.x()).toMatchObject({
      date: '2026-06-02',
      start: '2026-06-01T18:00:00.000Z',
      paymentCount: 1,
      closesLater:
        'Today (2026-06-01) is already closed (Z 1). What is taken from now on counts for 2026-06-02, which can be ' +
        'closed on that day.',
    });
    d.at('2026-06-02T18:00:00.000Z');
    expect(await d.reports.x()).toMatchObject({ date: '2026-06-02', closesLater: null });
    const z2 = await d.reports.close({ closedBy: 'Ben' });
    expect(z2).toMatchObject({ date: '2026-06-02', paymentCount: 1, z: { number: 2 } });
    expect(z2.closesLater).toBeNull();
    expect(await d.reports.x()).toMatchObject({
      date: '2026-06-03',
      start: '2026-06-02T18:00:00.000Z',
      paymentCount: 0,
    });
  });

  it('a payment taken after the clock was set back behind a Z counts in the next day, not in none', async () => {
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.at('2026-06-01T18:00:00.000Z');
    const z1 = await d.reports.close({ closedBy: 'Ada' });
    // NTP sets the till's time back 30 minutes (it ran fast), and a customer pays right away.
    d.clock.jump(-30 * 60_000);
    d.pay('2026-06-01T17:40:00.000Z', 700);
    const x = await d.reports.x();
    expect(x).toMatchObject({ date: '2026-06-02', start: z1.end, paymentCount: 1 });
    d.at('2026-06-02T18:00:00.000Z');
    const z2 = await d.reports.close({ closedBy: 'Ben' });
    expect(z2).toMatchObject({ paymentCount: 1 });
  });

  it('a Z with the clock a year ahead is refused unless an override says the clock is right', async () => {
    // The cashier set the till's date a year ahead by mistake in the evening and closed the day: the
    // Z was dated a year ahead for good, and once the clock was corrected every later payment,
    // refund and capture was dated at that future end (and no Z could close for a year).
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.at('2027-06-01T18:00:00.000Z');
    const refused = await d.reports.close({ closedBy: 'Ada' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HostError);
    expect(refused).toMatchObject({ code: 'conflict' });
    expect((refused as HostError).message).toMatch(
      /the till's clock says 2027-06-01 20:00 \+02:00, 365 days after the last payment or Z it recorded \(2026-06-01 11:00 \+02:00\)/,
    );
    expect((refused as HostError).message).toMatch(/set it right first/);
    expect(d.journal.lastZReport('test')).toBeUndefined();

    // The clock is set right: the day closes, and what follows is dated by the clock.
    d.clock.jump(Date.parse('2026-06-01T18:00:00.000Z') - d.clock.now());
    const z = await d.reports.close({ closedBy: 'Ada' });
    expect(z).toMatchObject({ date: '2026-06-01', end: '2026-06-01T18:00:00.000Z', clockWarning: null });
    expect(z.z?.override).toBeNull();
    const next = d.pay('2026-06-02T09:00:00.000Z', 700);
    expect(next.createdAt).toBe('2026-06-02T09:00:00.000Z');
  });

  it('a Z after a long closing is in doubt too; an override saying the clock is right closes it, recorded', async () => {
    const d = setup('2026-07-31T08:00:00.000Z');
    d.pay('2026-07-31T09:00:00.000Z', 1000);
    // Three weeks of holidays, the day not closed before them.
    d.at('2026-08-21T18:00:00.000Z');
    await expect(d.reports.close({ closedBy: 'Ada' })).rejects.toThrow(/21 days after the last payment/);
    const z = await d.reports.close({
      closedBy: 'Ada',
      override: { by: 'Manager', reason: 'Closed for holidays; the clock is right' },
    });
    expect(z.z?.override).toEqual({ by: 'Manager', reason: 'Closed for holidays; the clock is right' });
    expect(z.text).toContain('CLOSED WITH AN OVERRIDE');
    // A long weekend is not in doubt.
    d.pay('2026-08-22T09:00:00.000Z', 500);
    d.at('2026-08-25T18:00:00.000Z');
    const weekend = await d.reports.close({ closedBy: 'Ben' });
    expect(weekend.z?.override).toBeNull();
  });

  it('says so while the clock is behind the last Z: everything is then dated at its end', async () => {
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.at('2026-06-01T18:00:00.000Z');
    await d.reports.close({ closedBy: 'Ada' });
    // An NTP step of a minute is not worth a warning.
    d.clock.jump(-60_000);
    expect((await d.reports.x()).clockWarning).toBeNull();
    // Set back two hours: what is recorded now is dated at the Z's end, and the reports say so.
    d.clock.jump(-2 * 3_600_000);
    const paid = d.journal.insertPayment(
      newPaymentRecord({
        id: 'pay_behind',
        gateway: 'plutopay',
        mode: 'test',
        orderReference: 'BEHIND-1',
        attempt: 1,
        idempotencyKey: 'pos-BEHIND-1-1',
        origin: 'local',
        amount: 300,
        currency: 'EUR',
        captureMethod: 'automatic',
        status: 'creating',
      }),
      'created',
    );
    expect(paid.createdAt).toBe('2026-06-01T18:00:00.000Z');
    const x = await d.reports.x();
    expect(x.clockWarning).toMatch(
      /The till's clock \(2026-06-01 17:59 \+02:00\) is behind the end of the last Z report \(2026-06-01 20:00 \+02:00\)/,
    );
    expect(x.clockWarning).toMatch(/recorded at that end/);
    expect(d.reports.get(1).clockWarning).toBe(x.clockWarning);
    // The clock passes the Z's end: no warning.
    d.at('2026-06-01T18:10:00.000Z');
    expect((await d.reports.x()).clockWarning).toBeNull();
  });

  it('a day nobody closed goes into the next Z: every payment is in one Z, none in two', async () => {
    // Found by a tester: the 11th's Z started at its own midnight, so the unclosed 10th was in no Z.
    const d = setup('2026-03-09T08:00:00.000Z');
    d.pay('2026-03-09T10:00:00.000Z', 1000);
    d.at('2026-03-09T21:00:00.000Z');
    const first = await d.reports.close({ closedBy: 'Ada' });
    d.pay('2026-03-10T10:00:00.000Z', 2000); // nobody closes the 10th
    d.pay('2026-03-11T10:00:00.000Z', 3000);
    d.at('2026-03-11T21:00:00.000Z');
    const second = await d.reports.close({ closedBy: 'Ben' });
    expect(second).toMatchObject({ date: '2026-03-11', start: first.end, hours: 48, paymentCount: 2 });
    expect(second.totals[0]).toMatchObject({ currency: 'EUR', approvedAmount: 5000 });
    const zs = d.reports.list(10);
    expect(zs.reduce((sum, z) => sum + z.totals.reduce((s, t) => s + t.approvedAmount, 0), 0)).toBe(6000);
  });

  it('a time zone moved east after a Z: the next day starts where the Z ended, nothing counted twice', async () => {
    // Found by a tester: New York → Tokyo after a Z, and the next X counted the closed day's payment again.
    const d = setup('2026-03-10T12:00:00.000Z', 'America/New_York');
    d.pay('2026-03-10T20:00:00.000Z', 1000); // 16:00 in New York on the 10th, 05:00 in Tokyo on the 11th
    d.at('2026-03-11T05:00:00.000Z'); // 01:00 in New York: the 10th is closed after its midnight
    return d.reports.close({ date: '2026-03-10', closedBy: 'Ada' }).then(async (closed) => {
      expect(closed).toMatchObject({ end: '2026-03-11T04:00:00.000Z', paymentCount: 1 });
      d.settings.timeZone = 'Asia/Tokyo';
      const x = await d.reports.x();
      expect(x).toMatchObject({ date: '2026-03-11', start: closed.end, paymentCount: 0 });
      // The Z keeps the zone it was closed in, for the screen to show its times in it.
      expect(d.reports.list(10).map((z) => [z.number, z.timeZone])).toEqual([[1, 'America/New_York']]);
      // And west (Tokyo → Los Angeles): no hours left out between the two periods either.
      d.settings.timeZone = 'America/Los_Angeles';
      expect((await d.reports.x('2026-03-11')).start).toBe(closed.end);
    });
  });

  it('a time zone moved west before the first Z: the hours it moved out of the day are in the Z', async () => {
    // Found hunting: Paris → New York at noon, before the till's first Z. That period started at New
    // York's midnight, so a sale at 02:30 in Paris (20:30 the evening before in New York) was in no
    // Z: the day before cannot be closed once this one is.
    const d = setup('2026-06-10T00:00:00.000Z');
    d.pay('2026-06-10T00:30:00.000Z', 1000); // 02:30 in Paris
    d.pay('2026-06-10T12:00:00.000Z', 2000);
    d.settings.timeZone = 'America/New_York';
    d.at('2026-06-10T22:00:00.000Z'); // 18:00 in New York
    const x = await d.reports.x();
    expect(x).toMatchObject({ date: '2026-06-10', start: '2026-06-10T00:30:00.000Z', paymentCount: 2 });
    const z = await d.reports.close({ closedBy: 'Ada' });
    expect(z).toMatchObject({ start: x.start, paymentCount: 2 });
    expect(z.totals[0]).toMatchObject({ approvedAmount: 3000, captured: 3000, net: 3000 });
    expect(z.text).toMatch(/From +2026-06-09 20:30 -04:00/);
  });

  it('a zone moved east past a Z’s end: no period runs backwards, no payment is in two Zs', async () => {
    // Found hunting: Pago Pago (-11) closes the 10th after its midnight, then the shop's zone is set to
    // Kiritimati (+14), where the 11th ended an hour before that Z's end. The 11th could be shown and
    // closed as a period of -1 hour, and the next Z then started inside Z 1, counting its sale again.
    const d = setup('2026-03-10T20:00:00.000Z', 'Pacific/Pago_Pago');
    d.pay('2026-03-11T10:30:00.000Z', 1000); // 23:30 on the 10th in Pago Pago
    d.at('2026-03-11T11:30:00.000Z'); // 00:30 on the 11th
    const z1 = await d.reports.close({ date: '2026-03-10', closedBy: 'Ada' });
    expect(z1).toMatchObject({ end: '2026-03-11T11:00:00.000Z', paymentCount: 1 });
    d.settings.timeZone = 'Pacific/Kiritimati'; // now 01:30 on the 12th
    const gone =
      /2026-03-11 ended in Pacific\/Kiritimati .* before the period of the last Z did \(Z 1, 2026-03-10.*The open day is 2026-03-12/;
    await expect(d.reports.x('2026-03-11')).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(gone),
    });
    await expect(d.reports.close({ date: '2026-03-11', closedBy: 'Ben' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(gone),
    });
    expect(await d.reports.x()).toMatchObject({ date: '2026-03-12', start: z1.end, paymentCount: 0 });
    // With the clock set back two hours too (23:30 on the 11th there), the open day is still the 12th.
    d.clock.jump(-2 * 3_600_000);
    expect(await d.reports.x()).toMatchObject({ date: '2026-03-12', start: z1.end });
    d.clock.jump(2 * 3_600_000);
    d.pay('2026-03-11T12:00:00.000Z', 500);
    d.at('2026-03-12T09:00:00.000Z');
    const z2 = await d.reports.close({ closedBy: 'Ben' });
    expect(z2).toMatchObject({ date: '2026-03-12', start: z1.end, paymentCount: 1, z: { number: 2 } });
    expect(z2.totals[0]).toMatchObject({ approvedAmount: 500 });
  });

  it('a Z is refused while the clock is behind the last Z’s end: its period would run backwards', async () => {
    // Found hunting: an evening Z in Paris, the zone moved to Kiritimati (where the next date has begun),
    // then NTP sets the clock back two hours. The Z closed with its end before its start.
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.at('2026-06-01T21:50:00.000Z'); // 23:50 in Paris
    const z1 = await d.reports.close({ closedBy: 'Ada' });
    d.settings.timeZone = 'Pacific/Kiritimati';
    d.clock.jump(-2 * 3_600_000);
    await expect(d.reports.close({ closedBy: 'Ben' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(
        /the till's clock \(2026-06-02 09:50 \+14:00\) is behind the end of the last Z report \(2026-06-02 11:50 \+14:00\)/,
      ),
    });
    expect(d.reports.list(10).map((z) => z.number)).toEqual([1]);
    // Once the clock has passed it, the day closes from there.
    d.at('2026-06-01T23:00:00.000Z');
    expect(await d.reports.close({ closedBy: 'Ben' })).toMatchObject({
      start: z1.end,
      end: '2026-06-01T23:00:00.000Z',
    });
  });

  it('days before the first Z are in it: a till used for two days before its first close', async () => {
    const d = setup('2026-06-08T08:00:00.000Z');
    d.pay('2026-06-08T09:00:00.000Z', 1000);
    d.pay('2026-06-09T09:00:00.000Z', 2000);
    d.at('2026-06-09T18:00:00.000Z');
    const z = await d.reports.close({ closedBy: 'Ada' });
    expect(z).toMatchObject({ date: '2026-06-09', start: '2026-06-08T09:00:00.000Z', paymentCount: 2 });
    expect(z.totals[0]).toMatchObject({ approvedAmount: 3000 });
  });

  it('two closes at once: one closes the day, the other is told it is being closed', async () => {
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.at('2026-06-01T18:00:00.000Z');
    const [first, second] = await Promise.allSettled([
      d.reports.close({ closedBy: 'Ada' }),
      d.reports.close({ date: '2026-06-01', closedBy: 'Ben' }),
    ]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { date: '2026-06-01', z: { number: 1 } } });
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'conflict' } });
    expect((second as PromiseRejectedResult).reason).toBeInstanceOf(HostError);
    expect(d.reports.list(10)).toHaveLength(1);
  });

  it('a Z is stored under the mode it was computed in, even if the mode switches while it closes', async () => {
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.at('2026-06-01T18:00:00.000Z');
    const settings = { mode: 'test', timeZone: 'Europe/Paris', receiptWidth: 42, shopName: 'Café' };
    const reports = new CounterReports({
      journal: d.journal,
      clock: d.clock,
      settings: () => settings as unknown as Settings,
      // Asked for the reconciliation once the Z is computed: the cashier switches to live then.
      gateway: () => {
        settings.mode = 'live';
        return null;
      },
      readerLabel: () => 'Counter 1',
      accountName: () => null,
      print: () => Promise.resolve({ state: 'printed', error: null }),
    });
    const z = await reports.close({ closedBy: 'Ada' });
    expect(z).toMatchObject({ testMode: true, paymentCount: 1, z: { number: 1 } });
    expect(d.journal.listZReports('test', 5).map((r) => r.number)).toEqual([1]);
    expect(d.journal.listZReports('live', 5)).toEqual([]);
  });

  it('refuses to close while a payment needs attention, unless an override says who and why', async () => {
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000, {
      status: 'unknown',
      amountCaptured: 0,
      attentionReason: 'The reader lost contact',
      attentionSince: '2026-06-01T09:01:00.000Z',
    });
    d.at('2026-06-01T18:00:00.000Z');
    const refused = await d.reports.close({ closedBy: 'Ada' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HostError);
    expect((refused as HostError).message).toMatch(/1 payment needs attention/);
    expect(d.journal.listZReports('test', 5)).toEqual([]);
    const z = await d.reports.close({
      closedBy: 'Ada',
      override: { by: 'Manager Eve', reason: 'terminal ticket checked' },
    });
    expect(z.z?.override).toEqual({ by: 'Manager Eve', reason: 'terminal ticket checked' });
    expect(z.attention).toHaveLength(1);
    expect(z.text).toContain('CLOSED WITH AN OVERRIDE');
    expect(d.journal.lastZReport('test')?.override).toEqual({ by: 'Manager Eve', reason: 'terminal ticket checked' });
  });
});

it('a link paid after a Z closed over it counts in Captured on the day it is paid, as no sale; the message says so', async () => {
  // Found hunting: the refusal said such a payment "would be in no report", but its money is in the
  // day it is paid (a capture that day), while no day counts the sale: the Z counted it not paid yet.
  const d = setup('2026-06-01T08:00:00.000Z');
  d.pay('2026-06-01T09:00:00.000Z', 1000);
  const link = d.pay('2026-06-01T10:00:00.000Z', 500, { status: 'pending', amountCaptured: 0 });
  d.at('2026-06-01T18:00:00.000Z');
  const refused = await d.reports.close({ closedBy: 'Ada' }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(HostError);
  expect((refused as HostError).message).toBe(
    'The day cannot be closed: 1 payment is not paid yet: DAY-2 (not paid yet). Cancel it, or close with a ' +
      'recorded override (paid after the close, its money counts in Captured on the day it is paid, and in ' +
      'no day as a sale).',
  );
  const z = await d.reports.close({ closedBy: 'Ada', override: { by: 'Eve', reason: 'link left open' } });
  expect(z.totals).toEqual([expect.objectContaining({ approvedCount: 1, openCount: 1, captured: 1000 })]);

  // Paid the next morning: its money is that day's Captured; the sale is counted by no day.
  d.at('2026-06-02T09:00:00.000Z');
  d.journal.updatePayment(link.id, { status: 'succeeded', amountCaptured: 500 }, 'succeeded');
  const next = await d.reports.x();
  expect(next).toMatchObject({ date: '2026-06-02', paymentCount: 0 });
  expect(next.totals).toEqual([
    expect.objectContaining({ approvedCount: 0, approvedAmount: 0, captured: 500, net: 500 }),
  ]);
});

describe('a busy shop', () => {
  /** A payment needing attention (outcome unknown), created now, in `mode`. */
  const inDoubt = (d: ReturnType<typeof setup>, n: number, mode: 'test' | 'live') => {
    const id = `pay_doubt${String(n).padStart(8, '0')}`;
    d.journal.insertPayment(
      newPaymentRecord({
        id,
        gateway: 'plutopay',
        mode,
        orderReference: `DOUBT-${n}`,
        attempt: 1,
        idempotencyKey: `pos-DOUBT-${n}-1`,
        origin: 'local',
        amount: 1000,
        currency: 'EUR',
        captureMethod: 'automatic',
        status: 'unknown',
        attentionSince: new Date(d.clock.now()).toISOString(),
        attentionReason: 'Outcome unknown',
      }),
      'created',
    );
    d.clock.advance(1000);
  };

  it('lists every earlier payment needing attention, and refuses the Z for one behind 500 of the other mode', async () => {
    // The reports took the newest 500 attention items of either mode, then kept the report's mode:
    // of yesterday's 521, 520 newer test items hid the live one, and the live Z closed without it.
    const d = setup('2026-05-03T07:00:00.000Z');
    inDoubt(d, 0, 'live');
    for (let n = 1; n <= 520; n++) inDoubt(d, n, 'test');
    d.at('2026-05-04T18:00:00.000Z');
    const test = await d.reports.x();
    expect(test.attention).toHaveLength(520);
    // Yesterday was never closed: its payments are in today's period, the till's first.
    expect(test.attention.every((a) => a.inWindow)).toBe(true);
    (d.settings as unknown as { mode: string }).mode = 'live';
    const live = await d.reports.x();
    expect(live.attention.map((a) => a.id)).toEqual(['pay_doubt00000000']);
    await expect(d.reports.close({ closedBy: 'Ann' })).rejects.toThrow(/attention/);
  });

  it('refuses the Z for a payment that went to Needs attention while the report read later pages', async () => {
    // The Z reads the day a page at a time and the attention items last: a payment read fine on the
    // first page that went to Needs attention meanwhile was kept as the page read it, and the Z
    // closed over a payment in doubt.
    const d = setup('2026-05-04T07:00:00.000Z');
    // Pages enough that the change lands while a later page is still to be read (the Z is taken
    // at the cut-off once the last page is read: a change after it is the next day's).
    for (let n = 0; n < REPORT_PAGE * 2 + 10; n++) d.pay('2026-05-04T09:00:00.000Z', 100 + n);
    d.at('2026-05-04T18:00:00.000Z');
    const closing = d.reports.close({ closedBy: 'Ann' });
    setImmediate(() =>
      d.journal.updatePayment(
        'pay_day000000001',
        {
          status: 'unknown',
          attentionSince: new Date(d.clock.now()).toISOString(),
          attentionReason: 'Outcome unknown',
        },
        'outcome_unknown',
        'the reader lost the card',
      ),
    );
    await expect(closing).rejects.toThrow(/1 payment needs attention/);
  });

  it('refuses the Z for a payment sent to a reader while the report read later pages', async () => {
    // Only attention items were read again after the pages: a payment the first page read as not
    // paid yet, sent to a reader meanwhile, was kept as the page read it, and the override for
    // unpaid payments closed the Z over a payment on a reader (approved after it, in no report).
    const d = setup('2026-05-04T07:00:00.000Z');
    d.pay('2026-05-04T08:00:00.000Z', 500, { status: 'pending', amountCaptured: 0 });
    // Pages enough that the change lands while a later page is still to be read.
    for (let n = 0; n < REPORT_PAGE * 2 + 10; n++) d.pay('2026-05-04T09:00:00.000Z', 100 + n);
    d.at('2026-05-04T18:00:00.000Z');
    const closing = d.reports.close({ closedBy: 'Ann', override: { by: 'Ann', reason: 'link never paid' } });
    setImmediate(() => d.journal.updatePayment('pay_day000000001', { status: 'in_progress' }, 'sent_to_reader'));
    await expect(closing).rejects.toThrow(/1 payment is still in progress: DAY-1 \(on the reader\)/);
    expect(d.journal.lastZReport('test')).toBeUndefined();
  });

  it("builds a busy day's X, CSV and Z a page at a time, letting the till go on between pages", async () => {
    // 10 000 payments held the single-threaded host for most of a second per report: no reader
    // event, customer display or other window was served meanwhile. Payments made at the same
    // instant straddle the pages, so none is read twice or skipped.
    const d = setup('2026-05-04T07:00:00.000Z');
    const count = REPORT_PAGE * 3 + 17;
    for (let n = 0; n < count; n++)
      d.pay(`2026-05-04T${String(8 + Math.floor(n / 700)).padStart(2, '0')}:00:00.000Z`, 100 + n);
    d.at('2026-05-04T18:00:00.000Z');
    const turnsDuring = async <T>(build: () => Promise<T>): Promise<{ value: T; turns: number }> => {
      let turns = 0;
      let building = true;
      const turn = () => {
        if (!building) return;
        turns++;
        setImmediate(turn);
      };
      setImmediate(turn);
      const value = await build();
      building = false;
      return { value, turns };
    };
    const expected = (count * (count - 1)) / 2 + 100 * count;
    const x = await turnsDuring(() => d.reports.x());
    expect(x.value.totals[0]).toMatchObject({ payments: count, approvedCount: count, captured: expected });
    expect(x.turns).toBeGreaterThanOrEqual(3);
    const csv = await turnsDuring(() => d.reports.csv({}));
    const lines = csv.value.content.split('\r\n');
    expect(lines.filter((l) => l.startsWith('payment,'))).toHaveLength(count);
    expect(new Set(lines.filter((l) => l.startsWith('payment,')).map((l) => l.split(',')[2])).size).toBe(count);
    expect(csv.turns).toBeGreaterThanOrEqual(3);
    const z = await turnsDuring(() => d.reports.close({ closedBy: 'Ann' }));
    expect(z.value).toMatchObject({ kind: 'Z', paymentCount: count });
    expect(z.turns).toBeGreaterThanOrEqual(3);
  });
});

describe('what happens while a day closes', () => {
  /** A gateway whose list (the reconciliation) answers only when the test says so. */
  function deferredGateway() {
    let answer: (value: unknown) => void = () => undefined;
    const answered = new Promise((resolve) => (answer = resolve));
    const state = { asked: 0 };
    const gateway = {
      name: 'plutopay',
      label: 'PlutoPay',
      capabilities: { listsPayments: true },
      list: () => {
        state.asked++;
        return answered;
      },
    } as unknown as PaymentGateway;
    return {
      gateway,
      state,
      answer: () => answer({ data: [], meta: { total: 0, lastPage: 1, more: false } }),
    };
  }

  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };

  it('stores the Z at its cut-off before asking the gateway; what happens meanwhile is the next day’s', async () => {
    // The Z was stored only once the gateway had answered for the reconciliation: meanwhile the day
    // still looked open (the X counted payments the Z would not, a second close queued behind the
    // first), and a slow gateway held the close for as long as it took.
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.pay('2026-06-01T10:00:00.000Z', 2000, { status: 'requires_capture', amountCaptured: 0, amountCapturable: 2000 });
    d.at('2026-06-01T18:00:00.000Z');
    const slow = deferredGateway();
    const reports = new CounterReports({
      journal: d.journal,
      clock: d.clock,
      settings: () => ({ mode: 'test', timeZone: 'Europe/Paris', receiptWidth: 42, shopName: 'Café' }) as Settings,
      gateway: () => slow.gateway,
      readerLabel: () => 'Counter 1',
      accountName: () => null,
      print: () => Promise.resolve({ state: 'printed', error: null }),
    });
    const closing = reports.close({ closedBy: 'Ada' });
    while (slow.state.asked === 0) await turns(1);

    // The gateway is being asked: the day is closed already, at the cut-off.
    expect(d.journal.lastZReport('test')).toMatchObject({
      number: 1,
      businessDate: '2026-06-01',
      windowEnd: '2026-06-01T18:00:00.000Z',
      closedAt: '2026-06-01T18:00:00.000Z',
      reconciliation: null,
    });
    expect(reports.currentDate()).toBe('2026-06-02');
    // A second close is refused at once, not queued behind the gateway.
    let second: unknown = 'pending';
    reports.close({ closedBy: 'Ben' }).then(
      () => (second = 'closed'),
      (error: unknown) => (second = error),
    );
    await turns(3);
    expect(second).toBeInstanceOf(HostError);
    expect((second as HostError).code).toBe('conflict');

    // Meanwhile a customer pays and the authorisation is captured.
    d.pay('2026-06-01T18:05:00.000Z', 500);
    d.at('2026-06-01T18:06:00.000Z');
    d.journal.updatePayment('pay_day000000002', { status: 'succeeded', amountCaptured: 2000, amountCapturable: 0 });
    slow.answer();
    const z = await closing;
    expect(z).toMatchObject({ kind: 'Z', paymentCount: 2, end: '2026-06-01T18:00:00.000Z', z: { number: 1 } });
    expect(z.totals[0]).toMatchObject({ approvedAmount: 3000, captured: 1000, pendingCapture: 2000 });
    // The reconciliation of the Z's own period is kept with it once the gateway answered.
    expect(z.reconciliation).toMatchObject({ start: z.start, end: z.end });
    expect(d.journal.getZReport('test', 1)?.reconciliation).not.toBeNull();

    const next = await reports.x();
    expect(next).toMatchObject({ date: '2026-06-02', start: '2026-06-01T18:00:00.000Z', paymentCount: 1 });
    expect(next.totals[0]).toMatchObject({ approvedAmount: 500, captured: 2500 });
  });

  it('a Z closed while the gateway did not answer takes its reconciliation from the first one made since', async () => {
    // Closed offline, the Z kept no reconciliation, and nothing could ever add one: the day's check
    // against the gateway was lost for good.
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.at('2026-06-01T18:00:00.000Z');
    let online = false;
    let active = 'plutopay';
    const gateway = {
      get name() {
        return active;
      },
      label: 'PlutoPay',
      capabilities: { listsPayments: true },
      list: () =>
        online
          ? Promise.resolve({ data: [], meta: { total: 0, lastPage: 1, more: false } })
          : Promise.reject(new Error('connect ECONNREFUSED')),
    } as unknown as PaymentGateway;
    const reports = new CounterReports({
      journal: d.journal,
      clock: d.clock,
      settings: () => ({ mode: 'test', timeZone: 'Europe/Paris', receiptWidth: 42, shopName: 'Café' }) as Settings,
      gateway: () => gateway,
      readerLabel: () => 'Counter 1',
      accountName: () => null,
      print: () => Promise.resolve({ state: 'printed', error: null }),
    });
    const closed = await reports.close({ closedBy: 'Ada' });
    expect(closed.reconciliation).toBeNull();
    await expect(reports.reconcile('2026-06-01', [])).rejects.toThrow(/ECONNREFUSED/);
    expect(d.journal.getZReport('test', 1)?.reconciliation).toBeNull();

    online = true;
    // The till switched gateway since, and PlutoPay (the day's) has no credentials here: the day's
    // payments could not be compared, so nothing is kept.
    active = 'payplug';
    await reports.reconcile('2026-06-01', []);
    expect(d.journal.getZReport('test', 1)?.reconciliation).toBeNull();
    active = 'plutopay';
    // Typed terminal totals are the cashier's check of the moment, not the close's: not kept.
    await reports.reconcile('2026-06-01', [{ currency: 'EUR', count: 1, amount: 1000 }]);
    expect(d.journal.getZReport('test', 1)?.reconciliation).toBeNull();
    const made = await reports.reconcile('2026-06-01', []);
    // The journal's payment is not on the (empty) gateway list: a difference, kept with the Z.
    expect(made.ok).toBe(false);
    const z = reports.get(1);
    expect(z.reconciliation).toEqual(made);
    expect(z.z).toMatchObject({ number: 1, valid: true });
    // Kept once: a later reconciliation is shown, never written over the Z's.
    d.pay('2026-06-02T09:00:00.000Z', 700);
    await reports.reconcile('2026-06-01', []);
    expect(reports.get(1).reconciliation).toEqual(made);
  });

  /** A gateway listing the given payments (GatewayPayment's fields the reconciliation reads). */
  function listing(name: string, label: string, rows: () => { id: string; ref: string; amount: number }[] | Error) {
    return {
      name,
      label,
      capabilities: { listsPayments: true },
      list: () => {
        const listed = rows();
        if (listed instanceof Error) return Promise.reject(listed);
        return Promise.resolve({
          data: listed.map((r) => ({
            id: r.id,
            orderReference: r.ref,
            amount: r.amount,
            currency: 'EUR',
            status: 'succeeded',
            amountRefunded: 0,
            createdAt: '2026-06-01T12:00:00.000Z',
          })),
          meta: { total: listed.length, lastPage: 1, more: false },
        });
      },
    } as unknown as PaymentGateway;
  }

  it('a day on two gateways is reconciled against each one; kept once both could be compared', async () => {
    // The shop switched from PlutoPay to PayPlug at noon. The reconciliation was kept only for a day
    // of one gateway (the till's own): this day's was never kept, and its PlutoPay payments were
    // never compared with PlutoPay's records.
    const d = setup('2026-06-01T08:00:00.000Z');
    d.pay('2026-06-01T09:00:00.000Z', 1000);
    d.pay('2026-06-01T13:00:00.000Z', 2500, { gateway: 'payplug', transactionId: 'pay_pp1' });
    d.at('2026-06-01T18:00:00.000Z');
    const payplug = listing('payplug', 'PayPlug', () => [{ id: 'pay_pp1', ref: 'DAY-2', amount: 2500 }]);
    let plutopay: PaymentGateway | null = null;
    const reports = new CounterReports({
      journal: d.journal,
      clock: d.clock,
      settings: () => ({ mode: 'test', timeZone: 'Europe/Paris', receiptWidth: 42, shopName: 'Café' }) as Settings,
      gateway: () => payplug,
      gatewayFor: (name) => (name === 'payplug' ? payplug : plutopay),
      readerLabel: () => 'Counter 1',
      accountName: () => null,
      print: () => Promise.resolve({ state: 'printed', error: null }),
    });

    // PlutoPay has no credentials in this mode: its payment is not compared, and the result says so.
    const closed = await reports.close({ closedBy: 'Ada' });
    expect(closed.reconciliation).toBeNull();
    expect(closed.text).toContain('NOT RECONCILED');
    const partial = await reports.reconcile('2026-06-01', []);
    expect(partial.ok).toBe(false);
    expect(partial.gateways).toEqual([
      expect.objectContaining({ name: 'plutopay', compared: false, gap: 'not_configured', payments: 1 }),
      expect.objectContaining({ name: 'payplug', compared: true, matched: 1, differences: 0, payments: 1 }),
    ]);
    expect(partial.gateways![0]!.note).toMatch(/PlutoPay .*no credentials/);
    expect(d.journal.getZReport('test', 1)?.reconciliation).toBeNull();

    // PlutoPay does not answer: said, and still not kept.
    plutopay = listing('plutopay', 'PlutoPay', () => new Error('connect ECONNREFUSED'));
    const unanswered = await reports.reconcile('2026-06-01', []);
    expect(unanswered.gateways![0]).toMatchObject({ name: 'plutopay', compared: false, gap: 'unreachable' });
    expect(unanswered.gateways![0]!.note).toMatch(/ECONNREFUSED/);
    expect(d.journal.getZReport('test', 1)?.reconciliation).toBeNull();

    // Its credentials are back: each gateway's payments against its own list, kept with the Z.
    plutopay = listing('plutopay', 'PlutoPay', () => [
      { id: 'tr_1', ref: 'DAY-1', amount: 1000 },
      { id: 'tr_web', ref: 'WEB-9', amount: 4200 },
    ]);
    const made = await reports.reconcile('2026-06-01', []);
    expect(made.gateways).toEqual([
      expect.objectContaining({ name: 'plutopay', compared: true, matched: 1, differences: 1 }),
      expect.objectContaining({ name: 'payplug', compared: true, matched: 1, differences: 0 }),
    ]);
    expect(made.differences).toEqual([
      expect.objectContaining({ cause: 'gateway_only', gatewayId: 'tr_web', gateway: 'PlutoPay' }),
    ]);
    expect(made.totals).toEqual([
      {
        currency: 'EUR',
        journal: { count: 2, amount: 3500 },
        gateway: { count: 3, amount: 7700 },
        terminal: null,
        terminalJournal: null,
      },
    ]);
    const z = reports.get(1);
    expect(z.reconciliation).toEqual(made);
    // Printed and exported with the Z: each gateway's verdict, each difference with its gateway.
    expect(z.text).toMatch(/RECONCILIATION/);
    expect(z.text).toMatch(/PlutoPay\s+1 difference/);
    expect(z.text).toMatch(/PayPlug\s+agreed \(1\)/);
    expect(z.text.replace(/\s+/g, ' ')).toContain('PlutoPay · WEB-9: gateway transaction tr_web');
    const csv = (await reports.csv({ number: 1 })).content.split('\r\n');
    expect(csv.filter((l) => l.startsWith('reconciliation,'))).toEqual([
      'reconciliation,2026-06-01,,,"1 difference, 1 matched",,,,,,,,,,PlutoPay,,',
      'reconciliation,2026-06-01,,,"agreed, 1 matched",,,,,,,,,,PayPlug,,',
    ]);
    expect(csv.filter((l) => l.startsWith('difference,'))).toEqual([
      expect.stringMatching(/^difference,2026-06-01,,WEB-9,"?gateway_only: .*,EUR,,,,,,,,,PlutoPay,tr_web,$/),
    ]);
  });

  it('takes the cut-off when the last page is read: a payment that changed meanwhile counts once, with its money', async () => {
    // The cut-off was the moment the close began, the rows were read pages later: an authorisation
    // captured in between was read as captured, its capture dated after the cut-off. The Z counted
    // it neither as pending capture nor as captured; the next day counted a capture of nothing.
    const d = setup('2026-05-04T07:00:00.000Z');
    d.pay('2026-05-04T08:00:00.000Z', 2000, { status: 'requires_capture', amountCaptured: 0, amountCapturable: 2000 });
    const others = REPORT_PAGE * 2 + 10;
    for (let n = 0; n < others; n++) d.pay('2026-05-04T09:00:00.000Z', 100);
    d.at('2026-05-04T18:00:00.000Z');
    const closing = d.reports.close({ closedBy: 'Ann' });
    // While the second page is read: captured a second after the close began; time goes on.
    setImmediate(() => {
      d.clock.advance(1000);
      d.journal.updatePayment('pay_day000000001', { status: 'succeeded', amountCaptured: 2000, amountCapturable: 0 });
      d.clock.advance(1000);
    });
    const z = await closing;
    const all = 2000 + others * 100;
    expect(z.totals[0]).toMatchObject({ approvedAmount: all, captured: all, pendingCapture: 0 });
    expect(z.end).toBe(z.z!.closedAt);
    const next = await d.reports.x();
    expect(next.totals).toEqual([]);
  });
});
