// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeBridge, makePayment, makeSnapshot, minutesAgo, ok, renderApp } from './helpers';

const ITEM = {
  createdAt: minutesAgo(4),
  reason: 'The reader was unplugged while authorising the card.',
  advice: 'Check the reader or its last receipt.',
  since: minutesAgo(3),
  unsettledRefund: null,
};

describe('Needs attention: settling what only the cashier can know', () => {
  it('records "charged" only after an explicit confirmation', async () => {
    const payment = makePayment({
      id: 'pay_unknown002',
      status: 'unknown',
      transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c44',
      readerId: 'rdr_sim1',
      amount: 1800,
    });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [payment],
        attention: [{ paymentId: payment.id, amount: payment.amount, currency: payment.currency, ...ITEM }],
      }),
    );
    bridge.on('attention.resolve', () => ok({ ...payment, status: 'succeeded', attention: null }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€18\.00/ });
    await user.click(within(item).getByRole('button', { name: 'The card was charged' }));
    expect(bridge.count('attention.resolve')).toBe(0);
    // The confirmation has the focus: Enter would confirm.
    expect(document.activeElement).toBe(
      within(item).getByRole('button', { name: 'Yes: the reader shows it approved' }),
    );
    await user.click(within(item).getByRole('button', { name: 'Yes: the reader shows it approved' }));
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([{ paymentId: payment.id, resolution: 'charged' }]),
    );
    expect(await within(item).findByText(/Recorded: the payment is now/)).toBeTruthy();
  });

  it('settles a refund the terminal never answered from its ticket, never by "Mark as handled"', async () => {
    const payment = makePayment({ id: 'pay_refund0001', status: 'succeeded', amount: 4000, amountCaptured: 4000 });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [payment],
        attention: [
          {
            paymentId: payment.id,
            amount: payment.amount,
            currency: payment.currency,
            ...ITEM,
            unsettledRefund: { amount: 1500 },
          },
        ],
      }),
    );
    bridge.on('attention.resolve', () =>
      ok({ ...payment, status: 'partially_refunded', amountRefunded: 1500, attention: null }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€40\.00/ });
    expect(within(item).queryByRole('button', { name: 'Mark as handled' })).toBeNull();
    expect(within(item).queryByRole('button', { name: 'The card was charged' })).toBeNull();
    await user.click(within(item).getByRole('button', { name: 'The card was credited €15.00' }));
    expect(bridge.count('attention.resolve')).toBe(0);
    await user.click(within(item).getByRole('button', { name: 'Yes: the terminal ticket shows the credit' }));
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([{ paymentId: payment.id, resolution: 'credited' }]),
    );
    expect(await within(item).findByText('Recorded: the payment is now partially refunded.')).toBeTruthy();
  });

  it('advice that sends the cashier to Needs attention says "here" on that screen', async () => {
    const payment = makePayment({ id: 'pay_unknown004', status: 'unknown', readerId: 'rdr_sim1', amount: 1200 });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [payment],
        attention: [
          {
            paymentId: payment.id,
            amount: payment.amount,
            currency: payment.currency,
            ...ITEM,
            advice:
              'The reader may have charged this card. Check the reader or its last receipt, then say what it shows in Needs attention (F8).',
          },
        ],
      }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€12\.00/ });
    expect(item.textContent).toContain('then say what it shows here.');
    expect(item.textContent).not.toContain('(F8)');
  });

  it('"not charged" can be backed out of, and an informational item can be marked handled', async () => {
    const unknown = makePayment({
      id: 'pay_unknown003',
      status: 'unknown',
      transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c45',
      readerId: 'rdr_sim1',
      amount: 900,
    });
    const info = makePayment({
      id: 'pay_handled01',
      status: 'canceled',
      transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c46',
      amount: 700,
    });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [unknown, info],
        attention: [
          { paymentId: unknown.id, amount: unknown.amount, currency: unknown.currency, ...ITEM },
          { paymentId: info.id, amount: info.amount, currency: info.currency, ...ITEM },
        ],
      }),
    );
    bridge.on('attention.resolve', () => ok({ ...info, attention: null }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const unknownItem = screen.getByRole('article', { name: /€9\.00/ });
    expect(within(unknownItem).queryByRole('button', { name: 'Mark as handled' })).toBeNull();
    await user.click(within(unknownItem).getByRole('button', { name: 'The card was not charged' }));
    await user.click(within(unknownItem).getByRole('button', { name: 'Back' }));
    expect(within(unknownItem).getByRole('button', { name: 'The card was not charged' })).toBeTruthy();
    const infoItem = screen.getByRole('article', { name: /€7\.00/ });
    expect(within(infoItem).queryByRole('button', { name: 'The card was charged' })).toBeNull();
    await user.click(within(infoItem).getByRole('button', { name: 'Mark as handled' }));
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([{ paymentId: info.id, resolution: 'dismiss' }]),
    );
  });
});
