/**
 * Reconciliation of a busy day: the gateway's list is read to its end, however many pages it
 * holds, and when it cannot be (past the most pages one reconciliation reads) the result says the
 * comparison is incomplete instead of calling the payments it did not read "journal only".
 */
import { describe, expect, it, vi } from 'vitest';
import type { Settings } from '../../main/config/settings';
import { CounterReports } from '../../main/counter/reports';
import type { GatewayPayment, PaymentGateway, PaymentQuery } from '../../main/gateway/port';
import { Journal } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { ManualClock, seedJournal } from '../bench/seed';
import { FakeGateway } from '../support/fake-gateway';

/** 19:00 in Paris on 2026-06-10: the busy day's last payment. */
const EVENING = Date.UTC(2026, 5, 10, 17);

function busyDay(count: number, gatewayMaxPages?: number) {
  const clock = new ManualClock(EVENING);
  const journal = new Journal(openDatabase(':memory:', { durability: 'normal' }), clock);
  // The bench's seeder: settled payments, each with its gateway id, spread over ten hours.
  seedJournal(journal, clock, { count, endAt: EVENING, spanMs: 10 * 3_600_000, orderPrefix: 'BUSY' });
  clock.current = EVENING + 3_600_000;
  // The gateway lists the same payments, oldest first, a page of at most 100 at a time.
  const listed = journal.paymentsCreatedBetween('test', '2026-06-10T00:00:00.000Z', '2026-06-11T00:00:00.000Z').map(
    (r) =>
      ({
        id: r.transactionId!,
        orderReference: r.orderReference,
        amount: r.amount,
        currency: r.currency,
        status: r.status,
        amountRefunded: r.amountRefunded,
        createdAt: r.createdAt,
      }) as GatewayPayment,
  );
  expect(listed).toHaveLength(count);
  const gateway = new FakeGateway();
  const pages: number[] = [];
  const list: PaymentGateway['list'] = (query: PaymentQuery) => {
    pages.push(query.page);
    const size = Math.min(query.size, 100);
    const data = listed.slice((query.page - 1) * size, query.page * size);
    const lastPage = Math.max(1, Math.ceil(listed.length / size));
    return Promise.resolve({ data, meta: { currentPage: query.page, lastPage, perPage: size, total: listed.length } });
  };
  Object.assign(gateway, { list });
  const settings = { mode: 'test', timeZone: 'Europe/Paris', receiptWidth: 42, shopName: 'Café' };
  const reports = new CounterReports({
    journal,
    clock,
    settings: () => settings as unknown as Settings,
    gateway: () => gateway,
    readerLabel: () => 'Counter 1',
    accountName: () => null,
    print: () => Promise.resolve({ state: 'printed', error: null }),
    ...(gatewayMaxPages ? { gatewayMaxPages } : {}),
  });
  return { journal, reports, pages };
}

describe('reconciliation of a busy day', () => {
  it('reads the whole of the gateway’s list past 5 000 payments, looking them up in the journal in batches', async () => {
    // Found by a tester: the list was read for 50 pages of 100 and no more, and the 150 payments of
    // the day after the 5 000th showed as "journal only", with nothing saying the list was cut.
    const d = busyDay(5_150);
    const lookups = vi.spyOn(d.journal, 'findByTransactionId');
    const result = await d.reports.reconcile('2026-06-10', []);
    expect(result.differences.filter((x) => x.cause === 'journal_only')).toEqual([]);
    expect(d.pages).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(result).toMatchObject({ ok: true, matchedByGatewayId: 5_150, differences: [] });
    expect(result.incomplete).toBeUndefined();
    expect(result.totals[0]!.gateway).toEqual(result.totals[0]!.journal);
    // One query per 500 gateway rows, not one per row.
    expect(lookups).not.toHaveBeenCalled();
  });

  it('says plainly that the comparison is incomplete when the list is longer than it reads', async () => {
    const d = busyDay(1_250, 3);
    const result = await d.reports.reconcile('2026-06-10', []);
    expect(d.pages).toEqual([1, 2, 3]);
    // The 950 payments it did not read are not "journal only": they were not compared at all.
    expect(result.differences).toEqual([]);
    expect(result.ok).toBe(false);
    expect(result.matchedByGatewayId).toBe(300);
    expect(result.incomplete).toEqual({ read: 300, listed: 1_250, more: false, unchecked: 950 });
    expect(result.gateway.note).toMatch(/^Incomplete: .* lists 1250 payments .* only the first 300 were read\./);
    expect(result.gateway.note).toMatch(/950 of the journal's payments could not be checked/);
  });
});
