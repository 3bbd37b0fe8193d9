/**
 * Tips in the end-of-day reports are the tips the shop captured and kept: a shop that pays its
 * staff from "Tips" must not pay a tip that was never captured, or that went back to the customer
 * with a refund. X, Z, CSV and the printed report say the same. Through the host, against the sandbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host';

describe('tips in the reports', () => {
  let t: TestHost;
  afterEach(async () => {
    await t?.close();
  });

  async function charge(amount: number, tip: number, manual: boolean) {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', {
      amount,
      currency: 'KWD',
      tip: { kind: 'custom', amount: tip },
      ...(manual ? { captureMethod: 'manual' } : {}),
      readerId: reader.id,
    });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    return t.waitForPayment(created.id, (p) => p.status === (manual ? 'requires_capture' : 'succeeded'));
  }

  /** The CSV's `tip` column of the row whose first columns match. */
  function tipColumn(csv: string, rowType: string, id?: string): string | undefined {
    const rows = csv.split('\r\n').map((line) => line.split(','));
    const tip = rows[0]!.indexOf('tip');
    return rows.find((row) => row[0] === rowType && (id === undefined || row[2] === id))?.[tip];
  }

  it('count only the tip captured and kept: none below the bill, none after a full refund', async () => {
    // Found in a defect hunt: Tips summed every approved payment's whole tip — 0.150 KWD for a
    // payment approved for 1.350 (1.200 + tip 0.150) of which only 1.000 was captured, and the
    // tip of a payment refunded in full — money the shop never kept, paid out to the staff.
    t = await startTestHost();
    await t.call('settings.update', { tipping: true });
    const short = await charge(1200, 150, true);
    const refunded = await charge(2000, 300, false);
    const above = await charge(1000, 200, true);

    // Authorised, nothing captured yet: no tip is counted.
    expect((await t.call('reports.x', {})).totals).toEqual([
      expect.objectContaining({ currency: 'KWD', approvedAmount: 4850, tips: 300, captured: 2300 }),
    ]);
    await t.call('payments.capture', { paymentId: short.id, amount: 1000 });
    await t.waitForPayment(short.id, (p) => p.amountCaptured === 1000);
    await t.call('payments.capture', { paymentId: above.id, amount: 1100 });
    await t.waitForPayment(above.id, (p) => p.amountCaptured === 1100);
    await t.call('payments.refund', { paymentId: refunded.id });
    await t.waitForPayment(refunded.id, (p) => p.status === 'refunded');

    // 1.000 of a 1.200 bill: no tip. 1.100 of a 1.000 bill: 0.100 of its 0.200 tip. Refunded: none.
    const x = await t.call('reports.x', {});
    expect(x.totals).toEqual([
      expect.objectContaining({ currency: 'KWD', approvedAmount: 4850, tips: 100, captured: 4400, refunded: 2300 }),
    ]);
    expect(x.byReader).toEqual([expect.objectContaining({ key: 'Simulated reader 1', tips: 100 })]);
    const xCsv = (await t.call('reports.csv', {})).content;
    expect(tipColumn(xCsv, 'total')).toBe('0.100');
    expect([short, refunded, above].map((p) => tipColumn(xCsv, 'payment', p.id))).toEqual(['0.000', '0.000', '0.100']);
    expect(x.text).toMatch(/^Tips +KWD 0\.100$/m);

    const z = await t.call('reports.close', { closedBy: 'Ada' });
    expect(z.totals).toEqual([expect.objectContaining({ tips: 100 })]);
    expect(z.text).toMatch(/^Tips +KWD 0\.100$/m);
    const zCsv = (await t.call('reports.csv', { number: 1 })).content;
    expect(tipColumn(zCsv, 'total')).toBe('0.100');
    expect([short, refunded, above].map((p) => tipColumn(zCsv, 'payment', p.id))).toEqual(['0.000', '0.000', '0.100']);
  });
});
