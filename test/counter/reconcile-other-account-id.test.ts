/**
 * A day's reconciliation reads the gateway's list on the account the till uses now. A payment the
 * till made on another account (before Settings named this one) may have the same gateway id as one
 * of this account's (ids are unique per account only): the listed payment is this account's, filed
 * under its own date, never under the other payment's day.
 */
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../main/config/settings';
import { CounterReports } from '../../main/counter/reports';
import type { GatewayPayment, PaymentGateway } from '../../main/gateway/port';
import { Journal, newPaymentRecord } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { ManualClock } from '../bench/seed';
import { FakeGateway } from '../support/fake-gateway';

const FIRST = 'https://first.example sk_test_…aaaa';
const SECOND = 'https://second.example sk_test_…bbbb';

describe('reconciliation with an id another account’s payment has too', () => {
  it('files the listed payment under its own day, not the other payment’s', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 11, 10));
    const journal = new Journal(openDatabase(':memory:', { durability: 'normal' }), clock);
    // Made here on the first account, on the 11th.
    journal.insertPayment(
      newPaymentRecord({
        id: 'pay_first',
        gateway: 'plutopay',
        mode: 'test',
        gatewayAccount: FIRST,
        orderReference: 'ORD-FIRST',
        attempt: 1,
        idempotencyKey: 'k-first',
        origin: 'local',
        amount: 1500,
        currency: 'EUR',
        captureMethod: 'automatic',
        status: 'succeeded',
        transactionId: 'txn_same',
        amountCaptured: 1500,
      }),
      'created',
    );
    // The second account, read now, lists its own txn_same on the 10th: a sale the till never saw.
    const theirs = {
      id: 'txn_same',
      orderReference: 'WEB-SECOND',
      amount: 2500,
      currency: 'EUR',
      status: 'succeeded',
      amountRefunded: 0,
      amountCaptured: 2500,
      createdAt: new Date(Date.UTC(2026, 5, 10, 9)).toISOString(),
    } as GatewayPayment;
    const gateway = new FakeGateway();
    const list: PaymentGateway['list'] = () =>
      Promise.resolve({ data: [theirs], meta: { currentPage: 1, lastPage: 1, perPage: 100, total: 1 } });
    Object.assign(gateway, { list });
    const settings = { mode: 'test', timeZone: 'UTC', receiptWidth: 42, shopName: 'Café' };
    const reports = new CounterReports({
      journal,
      clock,
      settings: () => settings as unknown as Settings,
      gateway: () => gateway,
      gatewayAccountOf: () => SECOND,
      readerLabel: () => null,
      accountName: () => null,
      print: () => Promise.resolve({ state: 'printed', error: null }),
    });
    const result = await reports.reconcile('2026-06-10', []);
    // Compared, as a sale of the day the journal does not have (it was dropped: filed on the 11th).
    expect(result.differences).toMatchObject([{ cause: 'gateway_only', gatewayId: 'txn_same' }]);
  });
});
