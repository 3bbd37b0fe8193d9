// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import {
  fail,
  FakeBridge,
  gatewayFor,
  makePayment,
  makeReader,
  makeSettings,
  makeSnapshot,
  makeTransaction,
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

/**
 * Each live region as it first reached the page: a panel that opens with its message (a screen
 * drawn anew) has no "before" to compare with, so what counts is whether its region came empty.
 */
function watchRegions(): { firstSeen(el: Element): string | undefined; stop(): void } {
  const first = new Map<Element, string>();
  const note = () => {
    for (const el of document.body.querySelectorAll('[role="status"], [role="alert"]'))
      if (!first.has(el)) first.set(el, el.textContent ?? '');
  };
  note();
  const observer = new MutationObserver(note);
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  return { firstSeen: (el) => first.get(el), stop: () => observer.disconnect() };
}

/** The region saying `text` (waited for) reached the page empty: its message was a change in it. */
async function expectHeard(watch: ReturnType<typeof watchRegions>, role: 'status' | 'alert', text: RegExp) {
  const region = await waitFor(() => {
    const found = shownRegions(role).find((el) => text.test(el.textContent ?? ''));
    if (!found) throw new Error(`no ${role} saying ${text}`);
    return found;
  });
  expect(watch.firstSeen(region), `the ${role} saying ${text} first reached the page empty`).toBe('');
}

describe('Messages are said in live regions already on the page', () => {
  it('Readers: the answer to Refresh, and a refused Reconnect', async () => {
    const bridge = new FakeBridge(makeSnapshot({ readers: [makeReader()] }));
    bridge.on('readers.scan', () => ok([makeReader()]));
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

  describe('also in a panel that opens with its message', () => {
    it('Create payment, back with the gateway’s refusal', async () => {
      const bridge = new FakeBridge();
      bridge.on('payments.create', () => fail('gateway', 'The gateway refused the payment.'));
      const { user, store } = await renderApp(bridge);
      const watch = watchRegions();
      await user.type(screen.getByLabelText('Amount'), '730{Enter}');
      await waitFor(() => expect(store.getState().ui.screen).toBe('create'));
      await expectHeard(watch, 'alert', /The gateway refused the payment/);
      watch.stop();
    });

    it('Process payment, showing the payment the host kept when the connection dropped', async () => {
      const bridge = new FakeBridge();
      let created: ReturnType<typeof makePayment> | null = null;
      bridge.on('payments.create', (input) => {
        created = makePayment({ id: 'pay_live00004', orderReference: input.orderReference!, amount: input.amount });
        return fail('internal', 'Connection to the host was lost before it answered.');
      });
      bridge.on('session.snapshot', () => ok({ ...bridge.snapshot, seq: 20, payments: created ? [created] : [] }));
      const { user } = await renderApp(bridge);
      const watch = watchRegions();
      await user.type(screen.getByLabelText('Amount'), '999{Enter}');
      await expectHeard(watch, 'status', /The connection dropped while creating the payment, but the host has it/);
      watch.stop();
    });

    it('Transactions: a payment’s details read while the gateway is offline', async () => {
      const transaction = makeTransaction({ reference: 'pi_offline1', amount: 2000, amountCaptured: 2000 });
      const bridge = new FakeBridge();
      bridge.on('transactions.list', () =>
        ok({ data: [transaction], meta: { currentPage: 1, lastPage: 1, perPage: 25, total: 1 }, offline: true }),
      );
      bridge.on('transactions.get', () =>
        ok({
          offline: true,
          transaction,
          refunds: [],
          timeline: [],
          payment: makePayment({ id: 'pay_live00005', transactionId: transaction.id }),
        }),
      );
      const watch = watchRegions();
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await expectHeard(watch, 'status', /The gateway is not answering: these are this till's own payments/);
      await user.click(await screen.findByRole('button', { name: 'Details for pi_offline1' }));
      await expectHeard(watch, 'status', /A refund made now is queued and sent when the gateway is back/);
      watch.stop();
    });

    it('Create payment: the saved cards Find saved cards found', async () => {
      const bridge = new FakeBridge(
        makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
      );
      const card = {
        cardId: 'card_61ffe43d6272c6bdfa27567611c6045b',
        customer: 'ada@example.com',
        brand: 'visa',
        last4: '4242',
        savedAt: '2026-01-05T10:00:00.000Z',
        expires: '12/2029',
        unusable: null,
      };
      bridge.on('savedCards.list', () =>
        ok([card, { ...card, cardId: 'card_old', last4: '1111', unusable: 'Expired.' }]),
      );
      const { user } = await renderApp(bridge);
      await user.type(screen.getByLabelText('Email'), 'ada@example.com');
      const before = regionsNow();
      await user.click(screen.getByRole('button', { name: 'Find saved cards' }));
      await waitFor(() =>
        expectSaidInPlace(
          before,
          'status',
          /^2 saved cards for ada@example\.com \(1 can no longer be charged\): choose one below to charge it, or pay by link\.$/,
        ),
      );
    });
  });
});
