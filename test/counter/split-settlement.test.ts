/**
 * Split settlement in the X and Z reports: the period's approved split payments per currency, and
 * each merchant's shares of them held, released or returned as they stood at the period's end —
 * in the model, the printout (goldens at 32/42/48) and the CSV (its own `split` rows).
 */
import { describe, expect, it } from 'vitest';
import type { ReportPayment, ReportSplitShare, ZReport } from '../../main/reports';
import { closeDay, dayWindow, paymentsCsv, reportText, verifyZReport, xReport } from '../../main/reports';
import { RECEIPT_WIDTHS } from '../../main/receipts';
import { expectGolden } from './golden';
import { DATE, TZ, payment, refund, resetIds, sameDayCaptures, sameDayRefunds } from './report-fixtures';

const WINDOW = dayWindow(DATE, TZ);
const AT = '2026-03-29T22:05:00.000Z';

function plural(over: Partial<ReportPayment>): ReportPayment {
  return payment({ currency: 'INR', gateway: 'Plural', movedBy: 'Plural', readerLabel: 'Pay by link', ...over });
}

function share(of: ReportPayment, merchantId: string, amount: number, status: string, released = 0): ReportSplitShare {
  return { paymentId: of.id, merchantId, amount, status, released };
}

/** A food court's day: two split payments, one declined with shares, one sale without. */
function foodCourt() {
  resetIds();
  const lunch = plural({ amount: 150_000, captured: 150_000 });
  const dinner = plural({ amount: 80_000, captured: 80_000, createdAt: '2026-03-29T18:00:00.000Z' });
  const declined = plural({ amount: 20_000, captured: 0, status: 'failed' });
  const coffee = payment({ amount: 450, captured: 450 });
  const payments = [lunch, dinner, declined, coffee];
  const splits = [
    share(lunch, 'SHOP', 50_000, 'RELEASED', 50_000),
    share(lunch, 'FOOD-1', 60_000, 'HOLD'),
    share(lunch, 'FOOD-2', 40_000, 'RELEASED', 30_000),
    share(dinner, 'SHOP', 30_000, 'RELEASED', 30_000),
    share(dinner, 'FOOD-1', 50_000, 'CANCELLED'),
    share(declined, 'FOOD-2', 20_000, 'REQUESTED'),
  ];
  return { payments, splits };
}

function input() {
  const { payments, splits } = foodCourt();
  return {
    payments,
    splits,
    refunds: sameDayRefunds(payments),
    captures: sameDayCaptures(payments),
    window: WINDOW,
    testMode: false,
  };
}

describe('split settlement', () => {
  it('totals the approved split payments per currency and shares them out by merchant', () => {
    const report = xReport({ ...input(), generatedAt: AT });
    expect(report.splitSettlement).toEqual([
      {
        currency: 'INR',
        payments: 2,
        amount: 230_000,
        merchants: [
          { merchantId: 'FOOD-1', shares: 2, amount: 110_000, held: 60_000, released: 0, returned: 50_000 },
          { merchantId: 'FOOD-2', shares: 1, amount: 40_000, held: 0, released: 30_000, returned: 10_000 },
          { merchantId: 'SHOP', shares: 2, amount: 80_000, held: 0, released: 80_000, returned: 0 },
        ],
      },
    ]);
    // Every merchant's shares add up to the split payments' total.
    for (const t of report.splitSettlement!) {
      expect(t.merchants.reduce((sum, m) => sum + m.amount, 0)).toBe(t.amount);
      for (const m of t.merchants) expect(m.held + m.released + m.returned).toBe(m.amount);
    }
  });

  it('after a partial capture counts only captured money: what moved first, the rest shared by the held shares', () => {
    // Found hunting: ₹1,000 in two held shares, ₹500 captured, the ₹600 share cancelled: Plural gave
    // back the ₹500 there was, and the section said "returned ₹600, held ₹400".
    resetIds();
    const section = (payments: ReportPayment[], splits: ReportSplitShare[], captures = sameDayCaptures(payments)) =>
      xReport({ payments, splits, refunds: [], captures, window: WINDOW, testMode: false, generatedAt: AT })
        .splitSettlement![0]!;
    const figures = (t: ReturnType<typeof section>) =>
      t.merchants.map((m) => [m.merchantId, m.amount, m.held, m.released, m.returned]);
    const pre = plural({ amount: 100_000, captured: 50_000 });
    const a = (status: string, at?: string) => ({ ...share(pre, 'A', 60_000, status), ...(at ? { at } : {}) });
    const b = (status: string, released = 0, at?: string) => ({
      ...share(pre, 'B', 40_000, status, released),
      ...(at ? { at } : {}),
    });

    // Captured, nothing settled: the held shares share the ₹500 in proportion (₹300, ₹200).
    const held = section([pre], [a('HOLD'), b('HOLD')]);
    expect(held.amount).toBe(50_000);
    expect(figures(held)).toEqual([
      ['A', 30_000, 30_000, 0, 0],
      ['B', 20_000, 20_000, 0, 0],
    ]);
    // A cancelled: its ₹500 went back, nothing is left for B.
    expect(figures(section([pre], [a('CANCELLED'), b('HOLD')]))).toEqual([
      ['A', 50_000, 0, 0, 50_000],
      ['B', 0, 0, 0, 0],
    ]);
    // B released ₹100 at 10:00, then A cancelled at 11:00: B's ₹100 settled, its ₹300 rest went back
    // first, then A's cancel had ₹100 left to give back. In the order it moved, not the shares' order.
    const moved = section(
      [pre],
      [a('CANCELLED', '2026-03-29T11:00:00.000Z'), b('RELEASED', 10_000, '2026-03-29T10:00:00.000Z')],
    );
    expect(figures(moved)).toEqual([
      ['A', 10_000, 0, 0, 10_000],
      ['B', 40_000, 0, 10_000, 30_000],
    ]);
    for (const t of [held, moved]) {
      expect(t.merchants.reduce((sum, m) => sum + m.amount, 0)).toBe(t.amount);
      for (const m of t.merchants) expect(m.held + m.released + m.returned).toBe(m.amount);
    }
    // Captured only after the period's end (a Z closed after midnight): at the end it was still
    // authorised, and its shares held whole.
    const later = [refund(pre, 50_000, '2026-03-30T01:00:00.000Z')];
    expect(figures(section([pre], [a('HOLD'), b('HOLD')], later))).toEqual([
      ['A', 60_000, 60_000, 0, 0],
      ['B', 40_000, 40_000, 0, 0],
    ]);
  });

  it('is absent from a day without split payments, so such a report reads as before', () => {
    const { splits, ...rest } = input();
    expect(splits.length).toBeGreaterThan(0);
    expect(xReport({ ...rest, generatedAt: AT })).not.toHaveProperty('splitSettlement');
  });

  it('is kept in the Z under its digest; a Z closed before it was kept still verifies and prints', () => {
    const result = closeDay({ ...input(), closedAt: AT, closedBy: 'Asha', previous: null });
    if (!result.ok) throw new Error(result.message);
    expect(result.z.splitSettlement?.[0]?.amount).toBe(230_000);
    expect(verifyZReport(result.z)).toBe(true);
    const changed = structuredClone(result.z) as { -readonly [K in keyof ZReport]: ZReport[K] };
    changed.splitSettlement = [{ ...result.z.splitSettlement![0]!, amount: 1 }];
    expect(verifyZReport(changed)).toBe(false);

    const { splits: _none, ...older } = input();
    const old = closeDay({ ...older, closedAt: AT, closedBy: 'Asha', previous: null });
    if (!old.ok) throw new Error(old.message);
    expect(verifyZReport(old.z)).toBe(true);
    expect(reportText(old.z, 42)).not.toContain('SPLIT SETTLEMENT');
  });

  it('refuses a share that is not whole minor units', () => {
    const bad = input();
    expect(() => xReport({ ...bad, splits: [{ ...bad.splits[0]!, released: 1.5 }], generatedAt: AT })).toThrow(
      /whole minor units/,
    );
  });

  for (const width of RECEIPT_WIDTHS) {
    it(`prints the section at ${width} columns`, () => {
      const out = reportText(xReport({ ...input(), generatedAt: AT }), width, { shopName: 'Food Court' });
      for (const row of out.split('\n')) expect([...row].length).toBeLessThanOrEqual(width);
      expectGolden(`reports/x-report-splits.w${width}.txt`, out);
    });
  }

  it('writes split rows of their own in the CSV, money columns empty, the rows above unchanged', () => {
    const data = input();
    const report = xReport({ ...data, generatedAt: AT });
    const without = paymentsCsv(data.payments, data.refunds, data.captures, WINDOW);
    const csv = paymentsCsv(data.payments, data.refunds, data.captures, WINDOW, undefined, report.splitSettlement);
    expect(csv.startsWith(without)).toBe(true);
    expect(csv.slice(without.length).split('\r\n')).toEqual([
      'split,2026-03-29,,,2 split payments: 2300.00,INR,,,,,,,,,,,',
      'split,2026-03-29,,,share 1100.00; held 600.00; released 0.00; returned 500.00,INR,,,,,,,,,FOOD-1,,',
      'split,2026-03-29,,,share 400.00; held 0.00; released 300.00; returned 100.00,INR,,,,,,,,,FOOD-2,,',
      'split,2026-03-29,,,share 800.00; held 0.00; released 800.00; returned 0.00,INR,,,,,,,,,SHOP,,',
      '',
    ]);
  });
});
