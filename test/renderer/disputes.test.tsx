// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AttentionView, DisputeView, PaymentView, TransactionDetail } from '../../common/contract';
import {
  FakeBridge,
  gatewayFor,
  makePayment,
  makeSnapshot,
  makeTransaction,
  minutesAgo,
  ok,
  renderApp,
} from './helpers';

const TX_ID = '01a1fe48-3b93-7e92-a497-af21643e6c77';

function makeDispute(over: Partial<DisputeView> = {}): DisputeView {
  return {
    id: '01a1fe48-0000-7e92-a497-af21643e6c01',
    reference: 'dp_abc123',
    gateway: 'plutopay',
    transactionId: TX_ID,
    paymentId: 'pay_disputed01',
    amount: 2000,
    currency: 'EUR',
    status: 'needs_response',
    reason: 'product_not_received',
    evidenceDueBy: '2099-12-08T10:00:00.000Z',
    openedAt: minutesAgo(60),
    seenAt: minutesAgo(5),
    closedAt: null,
    testMode: false,
    ...over,
  };
}

/** A Needs attention item for a disputed payment: the dispute's words unless `over` says otherwise. */
function disputedItem(payment: PaymentView, dispute: DisputeView, over: Partial<AttentionView> = {}): AttentionView {
  return {
    paymentId: payment.id,
    createdAt: payment.createdAt,
    amount: payment.amount,
    currency: payment.currency,
    testMode: false,
    reason: "The customer's bank disputes €20.00 of this payment (product not received).",
    advice: 'Respond to dispute dp_abc123 on the PlutoPay dashboard before 2099-12-08, with the receipt.',
    since: dispute.seenAt,
    unsettledRefund: null,
    dispute,
    ...over,
  };
}

describe('disputes (chargebacks) on screen', () => {
  it('Needs attention says what the bank disputes and where to respond, with nothing to mark as handled', async () => {
    const payment = makePayment({ id: 'pay_disputed01', status: 'succeeded', transactionId: TX_ID, amount: 2500 });
    const dispute = makeDispute();
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [payment],
        attention: [disputedItem(payment, dispute)],
      }),
    );
    bridge.on('transactions.get', () =>
      ok({
        offline: false,
        transaction: makeTransaction({ id: TX_ID, reference: 'txn_disputed' }),
        refunds: [],
        timeline: [{ at: minutesAgo(5), event: 'dispute_opened', detail: '€20.00, product_not_received (dp_abc123)' }],
        payment,
        disputes: [dispute],
      } satisfies TransactionDetail),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€25\.00/ });
    expect(
      within(item).getByText(/The customer's bank disputes €20\.00 of this payment \(product not received\)/),
    ).toBeTruthy();
    expect(within(item).getByText(/on the PlutoPay dashboard/)).toBeTruthy();
    expect(
      within(item).getByText(/^Dispute dp_abc123 · €20\.00 · product not received · Needs a response, evidence due /),
    ).toBeTruthy();
    // It clears by itself once the bank decides: no "Mark as handled" that would hide it.
    expect(within(item).queryByRole('button', { name: 'Mark as handled' })).toBeNull();

    await user.click(within(item).getByRole('button', { name: 'Details and timeline' }));
    await waitFor(() => expect(bridge.inputs('transactions.get')).toEqual([{ transactionId: TX_ID }]));
    const section = await screen.findByRole('region', { name: 'Disputes' });
    expect(within(section).getByText(/not a refund/)).toBeTruthy();
    const row = within(section).getByText('dp_abc123').closest('tr')!;
    expect(within(row).getByText('€20.00')).toBeTruthy();
    expect(within(row).getByText('Needs a response')).toBeTruthy();
    expect(screen.getByText(/Dispute opened/)).toBeTruthy();
  });

  it('an item also in doubt for its own reason can be marked as handled, and says the dispute stays', async () => {
    const payment = makePayment({ id: 'pay_disputed01', status: 'succeeded', transactionId: TX_ID, amount: 2500 });
    const dispute = makeDispute();
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [payment],
        attention: [
          disputedItem(payment, dispute, {
            reason: 'The receipt could not be printed.',
            advice: 'Print it again from the payment, or give the customer the emailed one.',
            since: minutesAgo(2),
            ownReason: true,
          }),
        ],
      }),
    );
    bridge.on('attention.resolve', () => ok({ ...payment, attention: null }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€25\.00/ });
    const mark = within(item).getByRole('button', { name: 'Mark as handled' });
    // What marking does not clear is said next to it (and read with the button).
    expect(mark.getAttribute('aria-describedby')).toBeTruthy();
    expect(document.getElementById(mark.getAttribute('aria-describedby')!)?.textContent).toMatch(
      /clears only what happened above: the dispute keeps this payment here until the bank decides/,
    );
    await user.click(mark);
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([{ paymentId: payment.id, resolution: 'dismiss' }]),
    );
    expect(await within(item).findByText('Cleared. The dispute stays here until the bank decides.')).toBeTruthy();
  });

  it("Transactions lists the gateway's disputes, one on a payment this till never handled included", async () => {
    const bridge = new FakeBridge(makeSnapshot({ gateway: gatewayFor('plutopay') }));
    bridge.on('transactions.list', () =>
      ok({ data: [makeTransaction()], meta: { currentPage: 1, lastPage: 1, perPage: 25, total: 1 }, offline: false }),
    );
    bridge.on('disputes.list', () =>
      ok({
        disputes: [
          makeDispute(),
          makeDispute({
            id: 'other',
            reference: 'dp_elsewhere',
            paymentId: null,
            status: 'lost',
            closedAt: minutesAgo(1),
            reason: 'fraudulent',
          }),
        ],
        readProblem: null,
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    const section = await screen.findByRole('region', { name: 'Disputes' });
    expect(bridge.inputs('disputes.list')[0]).toEqual({ refresh: true });
    expect(within(section).getByText(/1 open: respond to each on the gateway's dashboard/)).toBeTruthy();
    const lost = within(section).getByText('dp_elsewhere').closest('tr')!;
    expect(within(lost).getByText('Lost')).toBeTruthy();
    expect(within(lost).getByRole('button', { name: 'Payment of dispute dp_elsewhere' }).textContent).toMatch(
      /not this till/,
    );
    await user.click(within(section).getByRole('button', { name: 'Payment of dispute dp_abc123' }));
    await waitFor(() => expect(bridge.inputs('transactions.get')).toEqual([{ transactionId: TX_ID }]));
  });

  it('a gateway without disputes (PayPlug) asks for none', async () => {
    const bridge = new FakeBridge(makeSnapshot({ gateway: gatewayFor('payplug') }));
    bridge.on('transactions.list', () =>
      ok({ data: [makeTransaction()], meta: { currentPage: 1, lastPage: 1, perPage: 25, total: 1 }, offline: false }),
    );
    await renderApp(bridge, { screen: 'transactions' });
    expect(await screen.findByText('pi_0001')).toBeTruthy();
    expect(bridge.count('disputes.list')).toBe(0);
    expect(screen.queryByRole('region', { name: 'Disputes' })).toBeNull();
  });
});
