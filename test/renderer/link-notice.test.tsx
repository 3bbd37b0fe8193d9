// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, within } from '@testing-library/react';
import type { PaymentView } from '../../common/contract';
import { FakeBridge, makePayment, makeSnapshot, renderApp, shownRegions } from './helpers';

/**
 * A payment by link settled while the cashier is on another screen: the customer display shows it,
 * and the cashier is told in a polite banner — once, without losing their place.
 */
function pendingLink(over: Partial<PaymentView> = {}): PaymentView {
  return makePayment({
    id: 'pay_link000001',
    gateway: 'plutopay',
    channel: 'link',
    status: 'pending',
    orderReference: 'ORD-123',
    amount: 1250,
    currency: 'EUR',
    payUrl: 'http://127.0.0.1:4010/pay/cs_1',
    payUrlExpiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    updatedAt: new Date(Date.now() - 60_000).toISOString(),
    ...over,
  });
}

const later = (minutes = 1) => new Date(Date.now() + minutes * 60_000).toISOString();

/** The app on `screen`, with `payment` the link waiting for the customer (the snapshot's seq is 5). */
async function elsewhere(payment: PaymentView, on: 'create' | 'process' = 'create') {
  const bridge = new FakeBridge(makeSnapshot({ seq: 5, payments: [payment] }));
  const rendered = await renderApp(bridge);
  act(() => {
    if (on === 'process') rendered.store.getState().selectPayment(payment.id);
    rendered.store.getState().setScreen(on);
  });
  return rendered;
}

const linkBanner = () => shownRegions('status').filter((el) => el.classList.contains('banner--link'));

describe('a link settled while the cashier is on another screen', () => {
  it('is told politely once, without taking the focus, and F2 opens it', async () => {
    const payment = pendingLink();
    const { bridge, store, user } = await elsewhere(payment);
    const focused = document.activeElement;
    expect(linkBanner()).toEqual([]);

    act(() =>
      bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'succeeded', updatedAt: later() } }),
    );
    const [banner] = linkBanner();
    expect(banner?.getAttribute('role')).toBe('status');
    expect(banner?.textContent).toMatch(/^€12\.50 paid by link — ORD-123\. F2 to see it\./);
    expect(document.activeElement).toBe(focused);
    expect(store.getState().ui.screen).toBe('create');

    // The same payment reported again (its receipt printed, say) is not told again once dismissed.
    await user.click(within(banner!).getByRole('button', { name: 'Dismiss' }));
    expect(linkBanner()).toEqual([]);
    act(() =>
      bridge.push({ seq: 7, type: 'payment', payment: { ...payment, status: 'succeeded', updatedAt: later(2) } }),
    );
    expect(linkBanner()).toEqual([]);
  });

  it('Dismiss from the keyboard puts the focus back into the screen, not on the page', async () => {
    // Found by the accessibility e2e: the focused Dismiss went with its banner and left the focus on
    // <body>, so the next Tab started again from the top of the page.
    const payment = pendingLink();
    const { bridge, user } = await elsewhere(payment);
    act(() =>
      bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'succeeded', updatedAt: later() } }),
    );
    const [banner] = linkBanner();
    within(banner!).getByRole('button', { name: 'Dismiss' }).focus();
    await user.keyboard('{Enter}');
    expect(linkBanner()).toEqual([]);
    expect(document.querySelector('main')!.contains(document.activeElement)).toBe(true);
  });

  it('F2 shows the payment told of on Process payment, and the notice goes', async () => {
    const payment = pendingLink();
    const { bridge, store, user } = await elsewhere(payment);
    act(() => store.getState().selectPayment(null));
    act(() =>
      bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'succeeded', updatedAt: later() } }),
    );
    expect(linkBanner()).toHaveLength(1);
    await user.keyboard('{F2}');
    expect(store.getState().ui.screen).toBe('process');
    expect(store.getState().ui.selectedPaymentId).toBe(payment.id);
    expect(linkBanner()).toEqual([]);
  });

  it('F2 keeps a card payment under way in front; the notice stays until that payment is opened', async () => {
    const payment = pendingLink();
    const card = makePayment({ id: 'pay_card000002', status: 'in_progress', readerId: 'rdr_sim1' });
    const bridge = new FakeBridge(makeSnapshot({ seq: 5, payments: [payment, card] }));
    const { store, user } = await renderApp(bridge);
    act(() => {
      store.getState().selectPayment(card.id);
      store.getState().setScreen('create');
    });
    act(() =>
      bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'succeeded', updatedAt: later() } }),
    );
    await user.keyboard('{F2}');
    expect(store.getState().ui.selectedPaymentId).toBe(card.id);
    expect(linkBanner()).toHaveLength(1);
    await user.click(within(linkBanner()[0]!).getByRole('button', { name: 'Open (F2)' }));
    expect(store.getState().ui.selectedPaymentId).toBe(card.id);
    act(() => store.getState().selectPayment(payment.id));
    expect(linkBanner()).toEqual([]);
  });

  it('says why a link was not paid: lapsed, or declined', async () => {
    const payment = pendingLink();
    const { bridge } = await elsewhere(payment);
    act(() =>
      bridge.push({
        seq: 6,
        type: 'payment',
        payment: {
          ...payment,
          status: 'failed',
          decline: { code: 'link_expired', message: 'The payment link expired.', anotherCard: false, kind: 'declined' },
          updatedAt: later(),
        },
      }),
    );
    expect(linkBanner()[0]?.textContent).toMatch(/^€12\.50 by link — ORD-123 not paid: link expired\. F2 to see it\./);

    const other = pendingLink({ id: 'pay_link000002', orderReference: 'ORD-124', amount: 1800 });
    act(() => bridge.push({ seq: 7, type: 'payment', payment: other }));
    act(() =>
      bridge.push({
        seq: 8,
        type: 'payment',
        payment: {
          ...other,
          status: 'failed',
          decline: {
            code: 'card_declined',
            message: 'Card declined. Ask for another card.',
            anotherCard: true,
            kind: 'declined',
          },
          updatedAt: later(),
        },
      }),
    );
    expect(linkBanner()[0]?.textContent).toMatch(/^€18\.00 by link — ORD-124 not paid: card declined\. F2/);
  });

  it('a link canceled once its time ran out is told as expired; one canceled before is not told', async () => {
    const payment = pendingLink({ payUrlExpiresAt: new Date(Date.now() + 30_000).toISOString() });
    const { bridge, store } = await elsewhere(payment);
    act(() =>
      bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'canceled', updatedAt: later() } }),
    );
    expect(linkBanner()[0]?.textContent).toMatch(/not paid: link expired/);

    const withdrawn = pendingLink({ id: 'pay_link000003', orderReference: 'ORD-125' });
    act(() => store.getState().dismissLinkNotice());
    act(() => bridge.push({ seq: 7, type: 'payment', payment: withdrawn }));
    act(() =>
      bridge.push({
        seq: 8,
        type: 'payment',
        payment: { ...withdrawn, status: 'canceled', updatedAt: new Date().toISOString() },
      }),
    );
    expect(linkBanner().map((el) => el.textContent)).not.toContainEqual(expect.stringMatching(/ORD-125/));
  });

  it('says nothing of the payment the cashier is looking at on Process payment, then or later', async () => {
    const payment = pendingLink();
    const { bridge, store } = await elsewhere(payment, 'process');
    act(() =>
      bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'succeeded', updatedAt: later() } }),
    );
    expect(linkBanner()).toEqual([]);
    act(() => store.getState().setScreen('create'));
    act(() =>
      bridge.push({ seq: 7, type: 'payment', payment: { ...payment, status: 'succeeded', updatedAt: later(2) } }),
    );
    expect(linkBanner()).toEqual([]);
  });

  it('tells a card payment on a reader nothing: the cashier is at the counter with it', async () => {
    const payment = makePayment({ id: 'pay_card000001', status: 'in_progress', readerId: 'rdr_sim1' });
    const { bridge, store } = await elsewhere(payment);
    act(() => store.getState().setScreen('create'));
    act(() =>
      bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'succeeded', updatedAt: later() } }),
    );
    expect(linkBanner()).toEqual([]);
  });
});
