// @vitest-environment jsdom
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AttentionChange, AttentionView } from '../../common/contract';
import { money } from '../../renderer/src/lib/format';
import { ATTENTION_PAGE } from '../../renderer/src/screens/Attention';
import { FakeBridge, fail, makePayment, makeSnapshot, minutesAgo, ok, renderApp } from './helpers';

const ITEM = {
  createdAt: minutesAgo(4),
  reason: 'The reader was unplugged while authorising the card.',
  advice: 'Check the reader or its last receipt.',
  since: minutesAgo(3),
  unsettledRefund: null,
  testMode: false,
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

  it('offers nothing to settle on a payment made on another account: only what to switch back', async () => {
    // Made on the embedded sandbox, now turned off: the till cannot read it, and nothing the cashier
    // marks here could be checked (the host refuses it too).
    const payment = makePayment({
      id: 'pay_elsewhere01',
      status: 'unknown',
      transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c50',
      readerId: 'rdr_sim1',
      amount: 2100,
    });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [payment],
        attention: [
          {
            paymentId: payment.id,
            amount: payment.amount,
            currency: payment.currency,
            ...ITEM,
            testMode: true,
            reason: 'This payment was made on the embedded sandbox, which is turned off.',
            advice: 'Turn the embedded sandbox back on in Settings (F7) to follow it.',
            otherAccount: true,
          },
        ],
      }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€21\.00/ });
    expect(within(item).getByText(/Turn the embedded sandbox back on in Settings \(F7\)/)).toBeTruthy();
    for (const name of [
      'Mark as handled',
      'The card was charged',
      'The card was not charged',
      'It was charged there: enter its id',
      'It was not charged there',
    ])
      expect(within(item).queryByRole('button', { name })).toBeNull();
  });

  it('withdraws a confirmation the payment no longer offers, says so, and keeps the focus on the item', async () => {
    // The host learned the outcome while the cashier was confirming "charged": "Yes" stayed on
    // screen for a choice the payment no longer had, and a press was refused as a conflict.
    const payment = makePayment({
      id: 'pay_unknown005',
      status: 'unknown',
      transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c49',
      readerId: 'rdr_sim1',
      amount: 2600,
    });
    const item = { paymentId: payment.id, amount: payment.amount, currency: payment.currency, ...ITEM };
    const bridge = new FakeBridge(makeSnapshot({ payments: [payment], attention: [item] }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const article = screen.getByRole('article', { name: /€26\.00/ });
    await user.click(within(article).getByRole('button', { name: 'The card was charged' }));
    let seq = bridge.snapshot.seq;
    act(() => {
      bridge.push({ seq: ++seq, type: 'payment', payment: { ...payment, status: 'failed' } });
      bridge.push({
        seq: ++seq,
        type: 'attention',
        changed: [{ ...item, reason: 'The reader said the card was declined.' }],
        removed: [],
      });
    });
    expect(within(article).queryByRole('button', { name: 'Yes: the reader shows it approved' })).toBeNull();
    expect(within(article).getByRole('status').textContent).toMatch(/changed while you were confirming/);
    expect(document.activeElement).toBe(document.getElementById(`attention-${payment.id}`));
    await user.keyboard('{Enter}');
    expect(bridge.count('attention.resolve')).toBe(0);
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
            testMode: false,
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
    // The button pressed is drawn again: the focus goes back to it, not to the page.
    expect(document.activeElement).toBe(within(unknownItem).getByRole('button', { name: 'The card was not charged' }));
    // Escape backs out the same way.
    await user.click(within(unknownItem).getByRole('button', { name: 'The card was charged' }));
    await user.keyboard('{Escape}');
    expect(document.activeElement).toBe(within(unknownItem).getByRole('button', { name: 'The card was charged' }));
    // Enter only asks again.
    await user.keyboard('{Enter}');
    expect(bridge.count('attention.resolve')).toBe(0);
    await user.keyboard('{Escape}');
    const infoItem = screen.getByRole('article', { name: /€7\.00/ });
    expect(within(infoItem).queryByRole('button', { name: 'The card was charged' })).toBeNull();
    await user.click(within(infoItem).getByRole('button', { name: 'Mark as handled' }));
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([{ paymentId: info.id, resolution: 'dismiss' }]),
    );
  });
});

describe('Needs attention: a page at a time, however many payments are in doubt', () => {
  // After a long gateway outage: thousands of payments in doubt, every one kept. The screen drew a
  // form for each (buttons and all), slow to open and to use.
  const BASE = Date.UTC(2026, 4, 1, 12);
  const attentionItem = (i: number): AttentionView => ({
    paymentId: `pay_doubt${String(i).padStart(6, '0')}`,
    // The host's order: the newest payment first.
    createdAt: new Date(BASE - i * 1_000).toISOString(),
    amount: 100 + i,
    currency: i % 3 === 2 ? 'USD' : 'EUR',
    reason: 'The gateway did not answer.',
    advice: 'Check again once it is back.',
    since: minutesAgo(30),
    unsettledRefund: null,
    testMode: false,
  });
  const many = (n: number) => Array.from({ length: n }, (_, i) => attentionItem(i));
  /** What the items from `from` on hold, as the screen words it (EUR, then USD). */
  const holding = (list: AttentionView[], from: number) => {
    const rest = list.slice(from);
    const sum = (currency: string) =>
      rest.filter((item) => item.currency === currency).reduce((total, item) => total + item.amount, 0);
    return `${money(sum('EUR'), 'EUR')} + ${money(sum('USD'), 'USD')}`;
  };
  // Role queries walk the whole tree: count the list's own children and the buttons by their text.
  const list = () => document.querySelector<HTMLElement>('ul[aria-label="Payments needing attention"]')!;
  const drawn = () => [...list().children].map((li) => (li as HTMLElement).dataset.paymentId);
  const buttons = (text: string) => [...document.querySelectorAll('button')].filter((b) => b.textContent === text);
  const notShown = () => document.querySelector<HTMLElement>('[aria-label="Payments not shown"]');
  const titleOf = (item: AttentionView) => document.getElementById(`attention-${item.paymentId}`);

  /**
   * The host: an item resolved leaves Needs attention by an event, sent here when the test says
   * (after the command's answer: the confirmation is gone by then, and the item is still drawn).
   */
  function hostResolving(bridge: FakeBridge) {
    let seq = bridge.snapshot.seq;
    const resolved: string[] = [];
    const push = (change: AttentionChange) => bridge.push({ seq: ++seq, type: 'attention', ...change });
    bridge.on('attention.resolve', (input) => {
      resolved.push(input.paymentId);
      return ok(makePayment({ id: input.paymentId, status: 'canceled', attention: null }));
    });
    return {
      push,
      /** Sends the events of the items resolved so far, once their answers are on screen. */
      async settle() {
        await waitFor(() => expect(resolved.length).toBeGreaterThan(0));
        await screen.findAllByText(/^(Cleared\.|Recorded: )/);
        act(() => push({ changed: [], removed: resolved.splice(0) }));
      },
    };
  }

  it('draws the first 50 of 3 000, says what the rest hold, and shows 50 more on request', async () => {
    const all = many(3_000);
    const bridge = new FakeBridge(makeSnapshot({ attention: all }));
    const { user } = await renderApp(bridge);
    expect(screen.getByRole('button', { name: 'Needs attention (3000)' })).toBeTruthy();
    await user.keyboard('{F8}');
    expect(drawn()).toEqual(all.slice(0, ATTENTION_PAGE).map((item) => item.paymentId));
    expect(document.querySelectorAll('article')).toHaveLength(50);
    expect(buttons('Check again')).toHaveLength(50);
    expect(buttons('Mark as handled')).toHaveLength(50);
    expect(notShown()!.textContent).toContain(
      `Showing 50 of 3000 payments, newest first. 2950 more are not shown, holding ${holding(all, 50)}.`,
    );

    await user.click(within(notShown()!).getByRole('button', { name: 'Show 50 more' }));
    expect(drawn()).toEqual(all.slice(0, 100).map((item) => item.paymentId));
    expect(buttons('Check again')).toHaveLength(100);
    expect(notShown()!.textContent).toContain(
      `Showing 100 of 3000 payments, newest first. 2900 more are not shown, holding ${holding(all, 100)}.`,
    );
    // The focus goes to the first item it drew, not back to the top of the list.
    expect(document.activeElement).toBe(titleOf(all[50]!));
    // The sidebar's count is the whole list's.
    expect(screen.getByRole('button', { name: 'Needs attention (3000)' })).toBeTruthy();
  });

  it('never adds test money to real money, and marks a test payment as such', async () => {
    // Needs attention lists both modes: the "holding" line added the test payments' amounts to the
    // live ones, and nothing on an item said it was a test.
    const all = many(60).map((item, i) => ({ ...item, currency: 'EUR', amount: 100, testMode: i % 2 === 1 }));
    const { user } = await renderApp(new FakeBridge(makeSnapshot({ attention: all })));
    await user.keyboard('{F8}');
    expect(notShown()!.textContent).toContain(
      `10 more are not shown, holding ${money(500, 'EUR')} + ${money(500, 'EUR')} in test mode.`,
    );
    expect(titleOf(all[1]!)!.textContent).toMatch(/test mode$/);
    expect(titleOf(all[0]!)!.textContent).not.toMatch(/test mode/);
  });

  it('says nothing is left out when every item is drawn, and "Show 1 more" for the last one', async () => {
    const all = many(51);
    const { user } = await renderApp(new FakeBridge(makeSnapshot({ attention: all })));
    await user.keyboard('{F8}');
    expect(drawn()).toHaveLength(50);
    expect(notShown()!.textContent).toContain(
      `1 more is not shown, holding ${money(all[50]!.amount, all[50]!.currency)}.`,
    );
    await user.click(within(notShown()!).getByRole('button', { name: 'Show 1 more' }));
    expect(drawn()).toHaveLength(51);
    expect(notShown()).toBeNull();
    expect(document.activeElement).toBe(titleOf(all[50]!));
  });

  it('resolving an item moves the next one up and the focus onto it, never to the page', async () => {
    const all = many(3_000);
    const bridge = new FakeBridge(makeSnapshot({ attention: all }));
    const host = hostResolving(bridge);
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');

    // The first: the one after it takes the focus, and the 51st moves up into the page.
    await user.click(buttons('Mark as handled')[0]!);
    await host.settle();
    expect(drawn()).toEqual(all.slice(1, 51).map((item) => item.paymentId));
    expect(document.activeElement).toBe(titleOf(all[1]!));
    expect(screen.getByRole('button', { name: 'Needs attention (2999)' })).toBeTruthy();
    expect(notShown()!.textContent).toContain(
      `Showing 50 of 2999 payments, newest first. 2949 more are not shown, holding ${holding(all, 51)}.`,
    );

    // From the keyboard, the last drawn: the focus goes to the one that moved up in its place.
    const last = buttons('Mark as handled')[49]!;
    act(() => last.focus());
    await user.keyboard('{Enter}');
    await host.settle();
    expect(drawn()).toEqual([...all.slice(1, 50), all[51]!].map((item) => item.paymentId));
    expect(document.activeElement).toBe(titleOf(all[51]!));
    expect(bridge.inputs('attention.resolve')).toEqual([
      { paymentId: all[0]!.paymentId, resolution: 'dismiss' },
      { paymentId: all[50]!.paymentId, resolution: 'dismiss' },
    ]);
    expect(screen.getByRole('button', { name: 'Needs attention (2998)' })).toBeTruthy();
  });

  it('after a confirmed "charged", the focus is on the next item (Enter there does nothing)', async () => {
    const all = many(120);
    const unknown = makePayment({
      id: all[0]!.paymentId,
      status: 'unknown',
      transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c47',
      readerId: 'rdr_sim1',
      amount: all[0]!.amount,
    });
    const bridge = new FakeBridge(makeSnapshot({ payments: [unknown], attention: all }));
    const host = hostResolving(bridge);
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€1\.00/ });
    await user.click(within(item).getByRole('button', { name: 'The card was charged' }));
    await user.keyboard('{Enter}');
    await host.settle();
    expect(drawn()[0]).toBe(all[1]!.paymentId);
    expect(bridge.inputs('attention.resolve')).toEqual([{ paymentId: unknown.id, resolution: 'charged' }]);
    expect(document.activeElement).toBe(titleOf(all[1]!));
    await user.keyboard('{Enter}');
    expect(bridge.count('attention.resolve')).toBe(1);
    expect(drawn()).toHaveLength(50);
  });

  it('"Check again" on an item still in doubt leaves the focus on it', async () => {
    const all = many(60);
    const bridge = new FakeBridge(makeSnapshot({ attention: all }));
    bridge.on('attention.retry', (input) => ok(makePayment({ id: input.paymentId, status: 'unknown' })));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const check = buttons('Check again')[3]!;
    await user.click(check);
    expect(await screen.findByText(/^Checked again: the payment is now/)).toBeTruthy();
    expect(document.activeElement).toBe(check);
  });

  /** The host's newest item, ahead of every other. */
  const newestItem = (n: number): AttentionView => ({
    ...attentionItem(0),
    paymentId: `pay_newest${String(n).padStart(4, '0')}`,
    createdAt: new Date(BASE + n * 60_000).toISOString(),
  });

  it('an item being confirmed stays drawn, its confirmation kept, when new items push it off the page', async () => {
    // Found in review: the last item on the page, mid-confirmation ("The card was charged" →
    // "Yes: …"), was pushed onto the next page by a new item at the top, and the confirmation
    // went with it, silently; the focus jumped to another item.
    const all = many(60);
    const last = all[ATTENTION_PAGE - 1]!;
    const unknown = makePayment({
      id: last.paymentId,
      status: 'unknown',
      transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c48',
      readerId: 'rdr_sim1',
      amount: last.amount,
      currency: last.currency,
    });
    const bridge = new FakeBridge(makeSnapshot({ payments: [unknown], attention: all }));
    const host = hostResolving(bridge);
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', {
      name: new RegExp(money(last.amount, last.currency).replace('.', '\\.')),
    });
    await user.click(within(item).getByRole('button', { name: 'The card was charged' }));
    const yes = within(item).getByRole('button', { name: 'Yes: the reader shows it approved' });
    expect(document.activeElement).toBe(yes);

    const first = newestItem(1);
    const second = newestItem(2);
    act(() => host.push({ changed: [first, second], removed: [] }));
    const order = [second, first, ...all];
    // The page is the first 50 in the host's order, then the item being confirmed, where it was.
    expect(drawn()).toEqual([...order.slice(0, ATTENTION_PAGE), last].map((i) => i.paymentId));
    expect(document.activeElement).toBe(yes);
    expect(yes.isConnected).toBe(true);
    // What is not shown leaves out the item drawn.
    const rest = order.slice(ATTENTION_PAGE).filter((i) => i.paymentId !== last.paymentId);
    expect(notShown()!.textContent).toContain(
      `Showing 51 of 62 payments, newest first. ${rest.length} more are not shown, holding ${holding(rest, 0)}.`,
    );

    // Enter confirms this payment, the one the cashier was reading: no other.
    await user.keyboard('{Enter}');
    await host.settle();
    expect(bridge.inputs('attention.resolve')).toEqual([{ paymentId: last.paymentId, resolution: 'charged' }]);
    expect(drawn()).toEqual(order.slice(0, ATTENTION_PAGE).map((i) => i.paymentId));
    expect(drawn()).not.toContain(last.paymentId);
  });

  it('the item the focus is in stays drawn while new items arrive; it joins the next page once left', async () => {
    const all = many(60);
    const last = all[ATTENTION_PAGE - 1]!;
    const bridge = new FakeBridge(makeSnapshot({ attention: all }));
    const host = hostResolving(bridge);
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const check = buttons('Check again')[ATTENTION_PAGE - 1]!;
    act(() => check.focus());
    act(() => host.push({ changed: [newestItem(1)], removed: [] }));
    expect(drawn()).toHaveLength(ATTENTION_PAGE + 1);
    expect(drawn().at(-1)).toBe(last.paymentId);
    expect(document.activeElement).toBe(check);
    // The cashier moves on (here to the screen's title): the item takes its place on the next page.
    act(() => screen.getByRole('heading', { level: 1, name: 'Needs attention' }).focus());
    expect(drawn()).toHaveLength(ATTENTION_PAGE);
    expect(drawn()).not.toContain(last.paymentId);
    expect(notShown()!.textContent).toContain('11 more are not shown');
  });

  it('new items take their place in the host’s order, and the count line follows', async () => {
    const all = many(3_000);
    const bridge = new FakeBridge(makeSnapshot({ attention: all }));
    const host = hostResolving(bridge);
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const newest = {
      ...attentionItem(0),
      paymentId: 'pay_newest0001',
      createdAt: new Date(BASE + 60_000).toISOString(),
    };
    const between = {
      ...attentionItem(10),
      paymentId: 'pay_between001',
      createdAt: new Date(BASE - 9_500).toISOString(),
    };
    act(() => host.push({ changed: [newest, between], removed: [] }));
    const order = [newest, ...all.slice(0, 10), between, ...all.slice(10)];
    expect(drawn()).toEqual(order.slice(0, 50).map((item) => item.paymentId));
    expect(screen.getByRole('button', { name: 'Needs attention (3002)' })).toBeTruthy();
    expect(notShown()!.textContent).toContain(
      `Showing 50 of 3002 payments, newest first. 2952 more are not shown, holding ${holding(order, 50)}.`,
    );
    // One not drawn leaves: the page is as it was, the count line one less.
    act(() => host.push({ changed: [], removed: [all[2_000]!.paymentId] }));
    expect(drawn()).toEqual(order.slice(0, 50).map((item) => item.paymentId));
    expect(notShown()!.textContent).toContain('2951 more are not shown');
    expect(screen.getByRole('button', { name: 'Needs attention (3001)' })).toBeTruthy();
  });
});

describe('Needs attention: a create the gateway never confirmed', () => {
  function unknownCreate(amount: number) {
    const payment = makePayment({ status: 'unknown', transactionId: null, readerId: null, amount, gateway: 'payplug' });
    const item: AttentionView = {
      paymentId: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      ...ITEM,
      reason: 'The gateway did not confirm this payment was created.',
      advice: "Look for it on the gateway's dashboard and say whether it was made.",
      unknownCreate: true,
    };
    const bridge = new FakeBridge(makeSnapshot({ payments: [payment], attention: [item] }));
    return { payment, bridge };
  }

  it('"it was made": asks its id and who checked, says what is missing, and sends nothing before the record', async () => {
    const { payment, bridge } = unknownCreate(1234);
    bridge.on('attention.resolve', () =>
      ok({ ...payment, status: 'pending', transactionId: 'pay_gw1', attention: null }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€12\.34/ });
    // Only the two answers a create can have: no reader outcome, no "Mark as handled".
    expect(within(item).queryByRole('button', { name: /card was charged/ })).toBeNull();
    expect(within(item).queryByRole('button', { name: 'Mark as handled' })).toBeNull();
    await user.click(within(item).getByRole('button', { name: 'It was made: enter its id' }));
    const id = within(item).getByRole('textbox', { name: "Its id on the gateway's dashboard" });
    expect(document.activeElement).toBe(id);
    // Nothing typed: said on the field, the focus on it, nothing sent.
    await user.keyboard('{Enter}');
    expect(bridge.count('attention.resolve')).toBe(0);
    expect(within(item).getByText("Type the payment's id as the gateway's dashboard shows it.")).toBeTruthy();
    expect(id.getAttribute('aria-invalid')).toBe('true');
    await user.type(id, 'pay_gw1');
    await user.type(within(item).getByRole('textbox', { name: 'Checked by' }), 'Sam');
    await user.click(within(item).getByRole('button', { name: 'Record: it was made' }));
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([
        { paymentId: payment.id, resolution: 'created', gatewayPaymentId: 'pay_gw1', by: 'Sam' },
      ]),
    );
    expect(await within(item).findByText(/Recorded: the payment is now/)).toBeTruthy();
  });

  it("says the host's refusal on the field it names, keeps what was typed and the focus in the form", async () => {
    const { bridge } = unknownCreate(2222);
    const message = 'PayPlug payment pay_other is not this payment: it is for €9.99, not €22.22. Nothing was recorded.';
    bridge.on('attention.resolve', () =>
      fail('validation', message, {
        issues: [{ path: 'gatewayPaymentId', message: 'not this payment: it is for €9.99, not €22.22' }],
      }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€22\.22/ });
    await user.click(within(item).getByRole('button', { name: 'It was made: enter its id' }));
    await user.keyboard('pay_other');
    await user.type(within(item).getByRole('textbox', { name: 'Checked by' }), 'Sam{Enter}');
    await waitFor(() => expect(bridge.count('attention.resolve')).toBe(1));
    const id = within(item).getByRole('textbox', { name: "Its id on the gateway's dashboard" }) as HTMLInputElement;
    await waitFor(() => expect(document.activeElement).toBe(id));
    expect(id.value).toBe('pay_other');
    expect(
      within(item).getByText("The gateway's payment id is not this payment: it is for €9.99, not €22.22."),
    ).toBeTruthy();
    expect(within(item).getByText(message)).toBeTruthy();
  });

  it('"it was not made" by keyboard alone: who and why, recorded; Escape closes the form, back on its button', async () => {
    const { payment, bridge } = unknownCreate(3456);
    bridge.on('attention.resolve', () => ok({ ...payment, status: 'failed', attention: null }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€34\.56/ });
    const notMade = within(item).getByRole('button', { name: 'It was not made' });
    notMade.focus();
    await user.keyboard('{Enter}');
    expect(document.activeElement).toBe(within(item).getByRole('textbox', { name: 'Checked by' }));
    await user.keyboard('{Escape}');
    expect(within(item).queryByRole('form')).toBeNull();
    // Backed out: the focus is back on the button that opened the form, where Enter opens it again.
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'It was not made' }));
    expect(bridge.count('attention.resolve')).toBe(0);

    await user.keyboard('{Enter}');
    await user.keyboard('Sam');
    await user.tab();
    await user.keyboard('Not on the dashboard{Enter}');
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([
        { paymentId: payment.id, resolution: 'not_created', by: 'Sam', reason: 'Not on the dashboard' },
      ]),
    );
    expect(await within(item).findByText('Recorded: the payment is now failed.')).toBeTruthy();
  });

  it('"Back" on "it was made" puts the focus back on its button, not on the item\'s title', async () => {
    const { bridge } = unknownCreate(4567);
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€45\.67/ });
    await user.click(within(item).getByRole('button', { name: 'It was made: enter its id' }));
    await user.keyboard('pay_typed');
    await user.click(within(item).getByRole('button', { name: 'Back' }));
    expect(within(item).queryByRole('form')).toBeNull();
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'It was made: enter its id' }));
    expect(bridge.count('attention.resolve')).toBe(0);
  });

  it('opens its details and timeline from the journal: who decided what, no refund offered', async () => {
    const { payment, bridge } = unknownCreate(3456);
    bridge.on('transactions.get', (input) =>
      ok({
        offline: false,
        journalOnly: true,
        transaction: {
          id: input.transactionId,
          reference: input.transactionId,
          orderReference: payment.orderReference,
          status: 'pending',
          amount: 3456,
          amountFormatted: '€34.56',
          amountRefunded: 0,
          amountCaptured: 0,
          amountCapturable: 0,
          currency: 'EUR',
          paymentMethodType: 'terminal',
          captureMethod: 'automatic',
          description: null,
          receiptEmail: null,
          terminalId: null,
          card: null,
          failureCode: null,
          failureMessage: null,
          note: null,
          createdAt: minutesAgo(10),
          capturedAt: null,
          authorizationExpiresAt: null,
        },
        refunds: [],
        timeline: [
          { at: minutesAgo(10), event: 'created', detail: null },
          { at: minutesAgo(2), event: 'cashier_not_created', detail: 'Sam: not on the dashboard at 10:40' },
        ],
        payment,
      }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€34\.56/ });
    await user.click(within(item).getByRole('button', { name: 'Details and timeline' }));
    expect(await screen.findByRole('heading', { name: `Payment ${payment.id}` })).toBeTruthy();
    expect(bridge.inputs('transactions.get')).toEqual([{ transactionId: payment.id }]);
    expect(screen.getByText(/The gateway has no transaction for this payment/)).toBeTruthy();
    expect(screen.getByText(/Sam: not on the dashboard at 10:40/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Refund' })).toBeNull();
  });
});

describe('Needs attention: a payment of another of the shop’s accounts, its key rolled', () => {
  function elsewhere(amount: number, manualCapture = false) {
    const payment = makePayment({
      status: 'pending',
      channel: 'link',
      transactionId: 'txn_first1',
      amount,
      ...(manualCapture ? { captureMethod: 'manual' as const } : {}),
    });
    const item: AttentionView = {
      paymentId: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      ...ITEM,
      reason: 'This payment was made on PlutoPay the account at http://127.0.0.1:1 with the key sk_test_…abcd.',
      advice:
        "Put back the URL http://127.0.0.1:1 and the key sk_test_…abcd in Settings (F7) to follow it. If that key was rolled or the account closed, check the payment on that account's dashboard and record here whether it was charged.",
      otherAccount: true,
      settleElsewhere: true,
      ...(manualCapture ? { manualCapture: true } : {}),
    };
    const bridge = new FakeBridge(makeSnapshot({ payments: [payment], attention: [item] }));
    return { payment, bridge };
  }

  it('"charged there": asks its id and who checked, says what is missing, and sends nothing before the record', async () => {
    const { payment, bridge } = elsewhere(1500);
    bridge.on('attention.resolve', () => ok({ ...payment, status: 'succeeded', attention: null }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€15\.00/ });
    // Only the two answers that account's dashboard can give: nothing to mark, no create to settle.
    for (const name of ['Mark as handled', 'The card was charged', 'It was made: enter its id'])
      expect(within(item).queryByRole('button', { name })).toBeNull();
    await user.click(within(item).getByRole('button', { name: 'It was charged there: enter its id' }));
    const form = within(item).getByRole('form', { name: 'The payment was charged on that account' });
    const id = within(form).getByRole('textbox', { name: "Its id on the gateway's dashboard" });
    expect(document.activeElement).toBe(id);
    expect(within(form).getByText(/the till cannot read that account to check it/)).toBeTruthy();
    await user.keyboard('{Enter}');
    expect(bridge.count('attention.resolve')).toBe(0);
    expect(within(item).getByText("Type the payment's id as the gateway's dashboard shows it.")).toBeTruthy();
    expect(within(item).getByText('Type who checked the dashboard.')).toBeTruthy();
    await user.type(id, 'txn_first1');
    await user.type(within(form).getByRole('textbox', { name: 'Checked by' }), 'Owner Ann');
    await user.click(within(form).getByRole('button', { name: 'Record: it was charged there' }));
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([
        { paymentId: payment.id, resolution: 'charged', gatewayPaymentId: 'txn_first1', by: 'Owner Ann' },
      ]),
    );
    expect(await within(item).findByText(/Recorded: the payment is now/)).toBeTruthy();
  });

  it('"charged there" of a payment captured later asks whether it was captured or only authorised', async () => {
    const { payment, bridge } = elsewhere(4000, true);
    bridge.on('attention.resolve', () =>
      ok({ ...payment, status: 'requires_capture', amountCapturable: 4000, attention: null }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€40\.00/ });
    await user.click(within(item).getByRole('button', { name: 'It was charged there: enter its id' }));
    const form = within(item).getByRole('form', { name: 'The payment was charged on that account' });
    await user.type(within(form).getByRole('textbox', { name: "Its id on the gateway's dashboard" }), 'txn_first1');
    await user.type(within(form).getByRole('textbox', { name: 'Checked by' }), 'Owner Ann');
    // Not said: nothing is sent, and the choice is asked for, focused.
    await user.click(within(form).getByRole('button', { name: 'Record: it was charged there' }));
    expect(bridge.count('attention.resolve')).toBe(0);
    expect(within(form).getByText('Say whether the dashboard shows it captured or only authorised.')).toBeTruthy();
    const authorised = within(form).getByRole('radio', { name: /^Authorised only, not captured/ });
    expect(document.activeElement).toBe(within(form).getByRole('radio', { name: /^Captured/ }));
    await user.click(authorised);
    await user.click(within(form).getByRole('button', { name: 'Record: it was charged there' }));
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([
        {
          paymentId: payment.id,
          resolution: 'charged',
          gatewayPaymentId: 'txn_first1',
          by: 'Owner Ann',
          captured: false,
        },
      ]),
    );
  });

  it('"not charged there" by keyboard alone: who and what the dashboard shows; Escape backs out', async () => {
    const { payment, bridge } = elsewhere(2500);
    bridge.on('attention.resolve', () => ok({ ...payment, status: 'failed', attention: null }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F8}');
    const item = screen.getByRole('article', { name: /€25\.00/ });
    const notCharged = within(item).getByRole('button', { name: 'It was not charged there' });
    notCharged.focus();
    await user.keyboard('{Enter}');
    expect(within(item).getByRole('form', { name: 'The payment was not charged on that account' })).toBeTruthy();
    expect(document.activeElement).toBe(within(item).getByRole('textbox', { name: 'Checked by' }));
    await user.keyboard('{Escape}');
    expect(within(item).queryByRole('form')).toBeNull();
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'It was not charged there' }));
    expect(bridge.count('attention.resolve')).toBe(0);

    await user.keyboard('{Enter}');
    await user.keyboard('Sam');
    await user.tab();
    await user.keyboard('Link expired, unpaid{Enter}');
    await waitFor(() =>
      expect(bridge.inputs('attention.resolve')).toEqual([
        { paymentId: payment.id, resolution: 'not_charged', by: 'Sam', reason: 'Link expired, unpaid' },
      ]),
    );
    expect(await within(item).findByText('Recorded: the payment is now failed.')).toBeTruthy();
  });
});
