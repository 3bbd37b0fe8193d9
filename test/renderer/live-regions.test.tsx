// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import {
  fail,
  FakeBridge,
  makePayment,
  makeReader,
  makeSnapshot,
  minutesAgo,
  ok,
  renderApp,
  shownRegions,
} from './helpers';

/**
 * Many screen readers announce only a change inside a live region that was already on the page: a
 * message drawn with its text already in a new role="status"/"alert" element is often read by none.
 * Each message path below is checked for that: its region is on the page, empty, before the
 * message, and the message is that same element's text changing in place.
 */
type Regions = Map<Element, string>;

function regionsNow(container: HTMLElement = document.body): Regions {
  return new Map(
    Array.from(container.querySelectorAll('[role="status"], [role="alert"]')).map((el) => [el, el.textContent ?? '']),
  );
}

function expectSaidInPlace(before: Regions, role: 'status' | 'alert', text: RegExp, container?: HTMLElement) {
  const region = shownRegions(role, container).find((el) => text.test(el.textContent ?? ''));
  expect(region, `a ${role} saying ${text}`).toBeTruthy();
  expect(before.has(region!), `the ${role} saying ${text} was on the page before`).toBe(true);
  expect(before.get(region!)).toBe('');
}

describe('Messages are said in live regions already on the page', () => {
  it('Readers: the answer to Refresh, and a refused Reconnect', async () => {
    const bridge = new FakeBridge(makeSnapshot({ readers: [makeReader()] }));
    bridge.on('readers.list', () => ok([makeReader()]));
    bridge.on('readers.reconnect', () => fail('conflict', 'The reader is being forgotten.'));
    const { user } = await renderApp(bridge, { screen: 'readers' });
    let before = regionsNow();
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expectSaidInPlace(before, 'status', /Reader list refreshed\./));
    before = regionsNow();
    await user.click(screen.getByRole('button', { name: 'Reconnect' }));
    await waitFor(() => expectSaidInPlace(before, 'alert', /being forgotten/));
  });

  it('Needs attention: "Checked again" in its item', async () => {
    const payment = makePayment({ id: 'pay_live00001', status: 'failed', amount: 1200 });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [payment],
        attention: [
          {
            paymentId: payment.id,
            amount: payment.amount,
            currency: payment.currency,
            createdAt: minutesAgo(4),
            reason: 'The gateway did not answer.',
            advice: 'Check again.',
            since: minutesAgo(3),
            unsettledRefund: null,
            testMode: false,
          },
        ],
      }),
    );
    bridge.on('attention.retry', () => ok({ ...payment, status: 'succeeded' }));
    const { user } = await renderApp(bridge, { screen: 'attention' });
    const item = screen.getByRole('article', { name: /€12\.00/ });
    const before = regionsNow(item);
    await user.click(within(item).getByRole('button', { name: 'Check again' }));
    await waitFor(() => expectSaidInPlace(before, 'status', /Checked again: the payment is now/, item));
  });

  it('Process payment: a decline, and "Waiting for card" after "Sent"', async () => {
    const payment = makePayment({
      id: 'pay_live00002',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'sent',
    });
    const bridge = new FakeBridge(makeSnapshot({ payments: [payment], readers: [makeReader()] }));
    const { store } = await renderApp(bridge, { screen: 'process' });
    act(() => store.getState().selectPayment(payment.id));
    const state = document.querySelector('.payment-state')!;
    const before = regionsNow();
    act(() =>
      bridge.push({
        seq: 11,
        type: 'payment',
        payment: { ...payment, readerStage: 'waiting_for_card' },
      }),
    );
    expect(document.querySelector('.payment-state')).toBe(state);
    act(() =>
      bridge.push({
        seq: 12,
        type: 'payment',
        payment: {
          ...payment,
          status: 'pending',
          readerStage: null,
          decline: { code: 'card_declined', message: 'Card declined.', anotherCard: true, kind: 'declined' },
        },
      }),
    );
    expectSaidInPlace(before, 'alert', /Declined: Card declined\./);
    expect(document.querySelector('.payment-state')).toBe(state);
  });

  it('Banners: the gateway going offline', async () => {
    const bridge = new FakeBridge();
    const { store } = await renderApp(bridge);
    const before = regionsNow();
    act(() =>
      bridge.push({
        seq: store.getState().host.seq + 1,
        type: 'connectivity',
        connectivity: {
          gateway: 'offline',
          lastError: 'connect ECONNREFUSED',
          queued: { count: 0, totals: [] },
          recovering: null,
        },
      }),
    );
    expectSaidInPlace(before, 'status', /The payment gateway is offline\./);
  });

  it('Simulate: "Card presented" stays in its region when the reader stops waiting', async () => {
    const payment = makePayment({
      id: 'pay_live00003',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'waiting_for_card',
    });
    const waiting = makeReader({
      action: { paymentId: payment.id, transactionId: 'tx_live3', stage: 'waiting_for_card', status: 'in_progress' },
    });
    const bridge = new FakeBridge(makeSnapshot({ payments: [payment], readers: [waiting] }));
    bridge.on('simulate.presentCard', () => ok(makeReader()));
    const { user } = await renderApp(bridge, { screen: 'simulate' });
    const before = regionsNow();
    await user.click(screen.getByRole('button', { name: 'Present card' }));
    await waitFor(() => expectSaidInPlace(before, 'status', /presented on Counter 1/));
    const said = shownRegions('status').find((el) => /presented on Counter 1/.test(el.textContent ?? ''))!;
    // The card ends the reader's wait: the form gives way to "No reader is waiting", the message stays.
    act(() => bridge.push({ seq: 11, type: 'readers', readers: [makeReader()] }));
    expect(screen.getByText(/No reader is waiting for a card/)).toBeTruthy();
    expect(said.isConnected).toBe(true);
    expect(said.textContent).toMatch(/presented on Counter 1/);
  });
});
