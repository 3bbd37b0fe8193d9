/**
 * A gateway's transaction ids are unique per account only: two accounts of one gateway (the shop's
 * own before and after Settings named another URL and key) can each hold a payment `fake-1`. What
 * the account the till reads now names — a notification, a reader's action, its list of transactions,
 * a payment's details — is never matched to the payment the till made on the other account. Two fake
 * gateways stand in for the two accounts (each numbers its payments from 1).
 */
import { describe, expect, it } from 'vitest';
import type { ReaderAction } from '../../main/gateway/port';
import { DisputeWatch } from '../../main/payments/disputes';
import { listTransactions } from '../../main/payments/transactions';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';
import { FakeGateway } from '../support/fake-gateway';
import { paymentTill, settle } from '../support/payment-till';

const FIRST = 'https://first.example sk_test_…aaaa';
const SECOND = 'https://second.example sk_test_…bbbb';

/**
 * A till that made a payment (`fake-1`, order ORD-FIRST) on the first account, then was switched to
 * the second, whose own `fake-1` (order WEB-SECOND, the same money) the till never saw.
 */
async function switchedWithTheSameId() {
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
  const first = new FakeGateway();
  const second = new FakeGateway();
  const on = { gateway: first, account: FIRST };
  const till = paymentTill(openDatabase(':memory:'), clock, () => on.gateway, { gatewayAccount: () => on.account });
  const made = await till.service.commands.create({
    amount: 4000,
    currency: 'EUR',
    captureMethod: 'automatic',
    orderReference: 'ORD-FIRST',
  });
  expect(made).toMatchObject({ transactionId: 'fake-1' });
  on.gateway = second;
  on.account = SECOND;
  till.service.engine.accountSwitched();
  const theirs = await second.create(
    {
      amount: 4000,
      currency: 'EUR',
      captureMethod: 'automatic',
      orderReference: 'WEB-SECOND',
      description: null,
      receiptEmail: null,
      customerId: null,
      paymentId: 'pay_elsewhere',
      channel: 'card_present',
    },
    'their-key',
  );
  expect(theirs.id).toBe('fake-1');
  const mine = till.journal.getPayment(made.id)!;
  return { ...till, first, second, mine, clock };
}

describe('a transaction id of the account read now, when another account’s payment has it too', () => {
  it('a notification naming it does not read the other account’s payment', async () => {
    const t = await switchedWithTheSameId();
    expect(t.service.notified('fake-1')).toBe('ignored');
    await settle();
    expect(t.journal.timeline(t.mine.id).map((e) => e.event)).not.toContain('read_again_later');
    t.close();
  });

  it('the Transactions list shows the account’s own order reference, and a search finds only its payments', async () => {
    const t = await switchedWithTheSameId();
    const deps = {
      gateway: t.second,
      journal: t.journal,
      reading: { gateway: t.second.name, mode: 'test' as const, gatewayAccount: SECOND },
      timeZone: 'UTC',
      connectivity: () => 'online' as const,
      reached: () => undefined,
    };
    const list = await listTransactions(
      { sortField: 'created_at', sortOrder: 'desc', page: 1, size: 25 } as never,
      deps,
    );
    expect(list.data.map((row) => [row.id, row.orderReference])).toEqual([['fake-1', 'WEB-SECOND']]);
    // The first account's order: the till's payment is not read with the second account's key (that
    // read answered with the second account's fake-1, listed as a match of ORD-FIRST).
    const search = await listTransactions(
      { search: 'ORD-FIRST', sortField: 'created_at', sortOrder: 'desc', page: 1, size: 25 } as never,
      deps,
    );
    expect(search.data).toEqual([]);
    t.close();
  });

  it('its details are the account’s payment, not the other account’s', async () => {
    const t = await switchedWithTheSameId();
    const detail = await t.service.commands.detail('fake-1');
    expect(detail.transaction).toMatchObject({ id: 'fake-1', orderReference: 'WEB-SECOND' });
    expect(detail.payment).toBeNull();
    // The till's own payment, by its own id, is still the first account's, and says so.
    await expect(t.service.commands.detail(t.mine.id)).rejects.toThrow(/first\.example/);
    t.close();
  });

  it('a reader action for it is never recorded on the other account’s payment', async () => {
    const t = await switchedWithTheSameId();
    const action: ReaderAction = {
      id: 'act_second',
      paymentId: 'fake-1',
      amount: 4000,
      currency: 'EUR',
      status: 'in_progress',
      presentedCard: null,
    };
    await t.service.readerEvents.started('rdr_x', action);
    expect(t.journal.getPayment(t.mine.id)).toMatchObject({
      status: t.mine.status,
      actionId: t.mine.actionId,
      readerId: t.mine.readerId,
    });
    // The second account's payment joined the journal beside it (ids are unique per account).
    const theirs = t.journal.findByTransactionId('fake-1', t.service.engine.reading()!)!;
    expect(theirs).toMatchObject({
      orderReference: 'WEB-SECOND',
      gatewayAccount: SECOND,
      actionId: 'act_second',
      status: 'in_progress',
    });
    expect(theirs.id).not.toBe(t.mine.id);
    // Its refund and receipt are its own: looked up by the id, the account read now answers.
    const refunded = await t.service.commands.resolve('fake-1');
    expect(refunded.id).toBe(theirs.id);
    t.close();
  });

  it('the disputes a payment’s details show are its own account’s, not the account in use’s on the same id', async () => {
    const t = await switchedWithTheSameId();
    const dispute = (account: string, id: string) => ({
      gateway: 'plutopay' as const,
      mode: 'test' as const,
      account,
      id,
      reference: id.toUpperCase(),
      transactionId: 'fake-1',
      amount: 4000,
      currency: 'EUR',
      status: 'needs_response' as const,
      reason: 'fraudulent',
      evidenceDueBy: null,
      openedAt: '2026-06-01T09:00:00.000Z',
      updatedAt: '2026-06-01T09:00:00.000Z',
    });
    // Each account's bank disputes its own fake-1.
    t.journal.recordDispute(dispute(FIRST, 'dp_first'));
    t.journal.recordDispute(dispute(SECOND, 'dp_second'));
    const disputes = new DisputeWatch(t.service.engine, { logError: () => undefined });
    // The till's payment, made on the first account (shown from the journal: that account is not read).
    const mine = { transaction: { id: 'fake-1' }, payment: t.service.engine.view(t.mine) };
    expect(disputes.on(mine, 'plutopay').map((d) => d.id)).toEqual(['dp_first']);
    // The second account's fake-1, read with the account in use: its own dispute only.
    const theirs = await t.service.commands.detail('fake-1');
    expect(disputes.on(theirs, 'plutopay').map((d) => d.id)).toEqual(['dp_second']);
    disputes.close();
    t.close();
  });

  it('the journaled list names each account’s row by the till’s own payment id, and each opens its own', async () => {
    const t = await switchedWithTheSameId();
    // The second account's fake-1, looked up to refund: it joins the journal beside the till's.
    const theirs = await t.service.commands.resolve('fake-1');
    expect(theirs.id).not.toBe(t.mine.id);
    // A gateway without a list (Plural's case, or PlutoPay's offline): the rows are the journal's.
    const listless = Object.create(t.second, {
      capabilities: { value: { ...t.second.capabilities, listsPayments: false } },
    }) as typeof t.second;
    const list = await listTransactions({ sortField: 'created_at', sortOrder: 'desc', page: 1, size: 25 } as never, {
      gateway: listless,
      journal: t.journal,
      reading: { gateway: t.second.name, mode: 'test' as const, gatewayAccount: SECOND },
      timeZone: 'UTC',
      connectivity: () => 'offline' as const,
      reached: () => undefined,
    });
    const rows = list.data.map((row) => [row.id, row.paymentId, row.orderReference]);
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['fake-1', t.mine.id, 'ORD-FIRST'],
        ['fake-1', theirs.id, 'WEB-SECOND'],
      ]),
    );
    // Opened by that id, each row is its own payment: the second account's shows its own, and the
    // first's says which account it is on, never the second's payment of the same gateway id.
    expect((await t.service.commands.detail(theirs.id)).payment?.id).toBe(theirs.id);
    await expect(t.service.commands.detail(t.mine.id)).rejects.toThrow(/first\.example/);
    // The gateway id the cashier types is still the account read now's.
    expect((await t.service.commands.detail('fake-1')).payment?.id).toBe(theirs.id);
    t.close();
  });
});
