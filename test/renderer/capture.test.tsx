// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import type { GatewayName, PaymentView } from '../../common/contract';
import {
  fail,
  FakeBridge,
  makePayment,
  makeSettings,
  makeSnapshot,
  makeTransaction,
  minutesAgo,
  ok,
  renderApp,
  findShownAlert,
} from './helpers';

function authorised(over: Partial<PaymentView> = {}): PaymentView {
  return makePayment({
    id: 'pay_auth000001',
    transactionId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    status: 'requires_capture',
    captureMethod: 'manual',
    amount: 5000,
    amountCapturable: 5000,
    description: 'Hotel deposit',
    createdAt: minutesAgo(12),
    updatedAt: minutesAgo(12),
    ...over,
  });
}

function heldOf(payments: PaymentView[]) {
  const held = new Map<string, { currency: string; count: number; amount: number }>();
  for (const p of payments) {
    const h = held.get(p.currency) ?? { currency: p.currency, count: 0, amount: 0 };
    h.count++;
    h.amount += p.amountCapturable;
    held.set(p.currency, h);
  }
  return [...held.values()];
}

function bridgeWith(
  payments: PaymentView[],
  gatewayOnly = [
    makeTransaction({
      id: '99999999-8888-7777-6666-555555555555',
      status: 'requires_capture',
      amount: 3000,
      amountCapturable: 3000,
      amountCaptured: 0,
      description: 'Phone order',
      createdAt: minutesAgo(125),
    }),
  ],
  mode: 'test' | 'live' = 'test',
  gateway: GatewayName = 'plutopay',
) {
  const bridge = new FakeBridge(makeSnapshot({ payments, settings: makeSettings({ mode, gateway }) }));
  bridge.on('payments.uncaptured', () => ok({ payments, total: payments.length, held: heldOf(payments) }));
  bridge.on('transactions.list', () =>
    ok({
      // The gateway also reports the host's own authorisation; it must be listed once.
      data: [
        ...gatewayOnly,
        makeTransaction({
          id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
          status: 'requires_capture',
          amount: 5000,
          amountCapturable: 5000,
        }),
      ],
      meta: { currentPage: 1, lastPage: 1, perPage: 100, total: 2 },
      offline: false,
    }),
  );
  return bridge;
}

describe('Capture screen', () => {
  it('lists uncaptured authorisations from the host and the gateway, once each, with their age', async () => {
    const bridge = bridgeWith([authorised()]);
    const { user } = await renderApp(bridge);
    await user.keyboard('{F4}');
    const list = await screen.findByRole('list', { name: 'Uncaptured authorisations' });
    const items = within(list).getAllByRole('group');
    expect(items).toHaveLength(2);
    // Oldest first.
    expect(items[0]!.textContent).toMatch(/€30.00 — Phone order/);
    expect(items[0]!.textContent).toMatch(/Authorised 2 h 5 min ago/);
    expect(items[1]!.textContent).toMatch(/€50.00 — Hotel deposit/);
    expect(items[1]!.textContent).toMatch(/Authorised 12 min ago/);
    expect(bridge.inputs('payments.uncaptured')).toEqual([{ offset: 0, limit: 100 }]);
    expect(bridge.inputs('transactions.list')[0]).toMatchObject({ status: 'requires_capture' });
  });

  it('says which authorisations already have a capture or cancel queued, instead of only "Nothing to capture"', async () => {
    const bridge = bridgeWith([authorised({ queuedOperations: 1, next: [], orderReference: 'ORD-Q' })], []);
    const { user } = await renderApp(bridge);
    await user.keyboard('{F4}');
    const said = await screen.findByText(
      '1 authorisation (€50.00, order ORD-Q) has its capture or cancel queued: sent when the gateway is reachable again.',
    );
    // Said to a screen reader too: a capture pressed while the gateway is unreachable ends up here.
    expect(said.getAttribute('role')).toBe('status');
  });

  it('counts an authorisation whose capture is queued as shown, not as one more not shown', async () => {
    // The host counts every authorisation; the screen counted as shown only those it offers to
    // capture. One with its capture queued (the gateway offline) or made with another gateway was
    // "1 more not shown, holding €50.00" for ever, and "Show 1 more" showed nothing more.
    const payments = [
      authorised(),
      authorised({
        id: 'pay_auth000002',
        transactionId: 'bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee',
        queuedOperations: 1,
        next: [],
        orderReference: 'ORD-Q',
      }),
    ];
    const { user } = await renderApp(bridgeWith(payments, []));
    await user.keyboard('{F4}');
    await screen.findByRole('group', { name: /Hotel deposit/ });
    expect(
      await screen.findByText(/1 authorisation \(€50.00, order ORD-Q\) has its capture or cancel queued/),
    ).toBeTruthy();
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(document.querySelector('[aria-label="Authorisations not shown"]')).toBeNull();
  });

  it('says the mode to switch back to for an authorisation of the other mode, with the gateway where it differs', async () => {
    // Found in a cashier-day hunt: a test authorisation, the till now live, was told "switch back to
    // PlutoPay", which alone does not bring it back.
    const payments = [
      authorised({ id: 'pay_auth000003', testMode: true, next: [], orderReference: 'ORD-T' }),
      authorised({
        id: 'pay_auth000004',
        transactionId: 'cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee',
        gateway: 'payplug',
        testMode: true,
        next: [],
        orderReference: 'ORD-P',
      }),
      authorised({
        id: 'pay_auth000005',
        transactionId: 'dddddddd-bbbb-cccc-dddd-eeeeeeeeeeee',
        gateway: 'payplug',
        testMode: false,
        next: [],
        orderReference: 'ORD-L',
      }),
    ];
    const { user } = await renderApp(bridgeWith(payments, [], 'live'));
    await user.keyboard('{F4}');
    // Named for what differs: some another gateway, some another mode.
    const notice = await screen.findByRole('region', {
      name: 'Authorisations taken with another gateway or in another mode',
    });
    expect([...notice.querySelectorAll('p')].map((p) => p.textContent).sort()).toEqual([
      '1 authorisation taken in test mode (€50.00, order ORD-T) is not offered here: the till is now in live mode. ' +
        'Switch back to test mode in Settings (F7) to capture or cancel it.',
      '1 authorisation taken with PayPlug (€50.00, order ORD-L) is not offered here: the till now uses PlutoPay. ' +
        'Switch back to PayPlug in Settings (F7) to capture or cancel it.',
      '1 authorisation taken with PayPlug in test mode (€50.00, order ORD-P) is not offered here: the till now uses ' +
        'PlutoPay in live mode. Switch back to PayPlug and test mode in Settings (F7) to capture or cancel it.',
    ]);
  });

  it('names the region for what differs: the mode alone, or the gateway and the mode', async () => {
    // Found in a defect hunt: a test authorisation, the same gateway, the till now live, was listed
    // under "Authorisations taken with another gateway", which sent the cashier to the wrong setting.
    const testOne = authorised({ id: 'pay_auth000003', testMode: true, next: [], orderReference: 'ORD-T' });
    const { user, unmount } = await renderApp(bridgeWith([testOne], [], 'live'));
    await user.keyboard('{F4}');
    const notice = await screen.findByRole('region', { name: 'Authorisations taken in another mode' });
    expect(notice.textContent).toMatch(/^1 authorisation taken in test mode \(€50\.00, order ORD-T\)/);
    expect(screen.queryByRole('region', { name: /another gateway/ })).toBeNull();
    unmount();

    const both = authorised({
      id: 'pay_auth000004',
      transactionId: 'cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee',
      gateway: 'payplug',
      testMode: true,
      next: [],
      orderReference: 'ORD-P',
    });
    const again = await renderApp(bridgeWith([both], [], 'live'));
    await again.user.keyboard('{F4}');
    expect(
      (await screen.findByRole('region', { name: 'Authorisations taken with another gateway and in another mode' }))
        .textContent,
    ).toMatch(/^1 authorisation taken with PayPlug in test mode/);
  });

  it('says how long an authorisation has left in days and hours, not rounded down to the day', async () => {
    // A 7-day authorisation taken a minute ago read "6 days left".
    const sevenDays = new Date(Date.now() + 7 * 86_400_000 - 60_000).toISOString();
    const { user } = await renderApp(bridgeWith([authorised({ authorizationExpiresAt: sevenDays })], []));
    await user.keyboard('{F4}');
    const list = await screen.findByRole('list', { name: 'Uncaptured authorisations' });
    expect(list.textContent).toMatch(/Authorisation: 6 days 23 h left before it expires/);
  });

  it('warns, as an alert, once an authorisation has less than a day left, and still offers its capture', async () => {
    const soon = new Date(Date.now() + 5 * 3_600_000 + 30 * 60_000).toISOString();
    const { user } = await renderApp(bridgeWith([authorised({ authorizationExpiresAt: soon })], []));
    await user.keyboard('{F4}');
    const item = await screen.findByRole('group', { name: /Hotel deposit/ });
    const alerts = within(item)
      .getAllByRole('alert')
      .map((a) => a.textContent)
      .filter(Boolean);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^Expires soon: 5 h (29|30) min left to capture it before the money is released\.$/);
    // The calm line is for authorisations with time to spare: said once, not twice.
    expect(item.textContent).not.toMatch(/before it expires/);
    expect(within(item).getByRole('button', { name: 'Capture' })).toBeTruthy();
  });

  it('offers no capture of a lapsed authorisation, from the host or the gateway alone, only its cancel', async () => {
    const lapsed = new Date(Date.now() - 3_600_000).toISOString();
    const bridge = bridgeWith(
      [authorised({ authorizationExpiresAt: lapsed })],
      [
        makeTransaction({
          id: '99999999-8888-7777-6666-555555555555',
          status: 'requires_capture',
          amount: 3000,
          amountCapturable: 3000,
          amountCaptured: 0,
          description: 'Phone order',
          createdAt: minutesAgo(8 * 24 * 60),
          authorizationExpiresAt: lapsed,
        }),
        makeTransaction({
          id: '77777777-8888-7777-6666-555555555555',
          status: 'requires_capture',
          amount: 2000,
          amountCapturable: 2000,
          amountCaptured: 0,
          description: 'Web order',
          createdAt: minutesAgo(60),
          authorizationExpiresAt: new Date(Date.now() + 3 * 86_400_000 + 60_000).toISOString(),
        }),
      ],
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F4}');
    for (const name of [/Hotel deposit/, /Phone order/]) {
      const item = await screen.findByRole('group', { name });
      expect(item.textContent).toMatch(/The authorisation has expired: it can no longer be captured\./);
      expect(within(item).queryByRole('button', { name: 'Capture' })).toBeNull();
      expect(within(item).queryByLabelText('Capture amount')).toBeNull();
      expect(within(item).getByRole('button', { name: 'Cancel authorisation' })).toBeTruthy();
    }
    const live = await screen.findByRole('group', { name: /Web order/ });
    expect(live.textContent).toMatch(/Authorisation: 3 days \d* ?h? ?\d* ?(min )?left before it expires/);
    expect(within(live).getByRole('button', { name: 'Capture' })).toBeTruthy();
  });

  it('captures part of an authorisation', async () => {
    const payment = authorised();
    const bridge = bridgeWith([payment], []);
    bridge.on('payments.capture', () =>
      ok({
        ...payment,
        status: 'succeeded',
        amountCaptured: 3250,
        amountCapturable: 0,
        updatedAt: new Date().toISOString(),
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /€50.00 — Hotel deposit/ });
    const amount = within(item).getByLabelText('Capture amount') as HTMLInputElement;
    expect(amount.value).toBe('€50.00');
    await user.clear(amount);
    await user.type(amount, '3250');
    expect(amount.value).toBe('€32.50');
    await user.click(within(item).getByRole('button', { name: 'Capture' }));
    await waitFor(() => expect(bridge.inputs('payments.capture')).toEqual([{ paymentId: payment.id, amount: 3250 }]));
    expect(await screen.findByText('Captured €32.50 of €50.00 (Hotel deposit).')).toBeTruthy();
  });

  it('captures the full amount without sending an amount', async () => {
    const payment = authorised();
    const bridge = bridgeWith([payment], []);
    bridge.on('payments.capture', () =>
      ok({ ...payment, status: 'succeeded', amountCaptured: 5000, amountCapturable: 0 }),
    );
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /Hotel deposit/ });
    await user.click(within(item).getByRole('button', { name: 'Capture' }));
    await waitFor(() => expect(bridge.inputs('payments.capture')).toEqual([{ paymentId: payment.id }]));
    // All of it: said as such, not "€50.00 of €50.00" (found by using the app).
    expect(await screen.findByText('Captured €50.00 (Hotel deposit).')).toBeTruthy();
  });

  it('offers no amount to type where the gateway captures only the whole authorisation (PayPlug)', async () => {
    const payment = authorised({ gateway: 'payplug' });
    const bridge = bridgeWith([payment], [], 'test', 'payplug');
    bridge.on('payments.capture', () =>
      ok({ ...payment, status: 'succeeded', amountCaptured: 5000, amountCapturable: 0 }),
    );
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /Hotel deposit/ });
    // A part typed here would only be refused once sent: the amount is said, not asked.
    expect(within(item).queryByLabelText('Capture amount')).toBeNull();
    expect(within(item).getByText(/captures the whole €50\.00; refund any difference afterwards/)).toBeTruthy();
    await user.click(within(item).getByRole('button', { name: 'Capture €50.00' }));
    await waitFor(() => expect(bridge.inputs('payments.capture')).toEqual([{ paymentId: payment.id }]));
    expect(await screen.findByText('Captured €50.00 (Hotel deposit).')).toBeTruthy();
  });

  it('refuses to capture more than was authorised, showing the amount as typed, never a shorter one', async () => {
    const payment = authorised();
    const bridge = bridgeWith([payment], []);
    bridge.on('payments.capture', () =>
      ok({ ...payment, status: 'succeeded', amountCaptured: 5000, amountCapturable: 0 }),
    );
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /Hotel deposit/ });
    const amount = within(item).getByLabelText('Capture amount') as HTMLInputElement;
    // One digit too many: €500.00 stays on screen, flagged (it used to stay €50.00 and be captured).
    await user.type(amount, '0');
    expect(amount.value).toBe('€500.00');
    expect(within(item).getByText('The amount can be at most €50.00.')).toBeTruthy();
    expect(amount.getAttribute('aria-invalid')).toBe('true');
    await user.click(within(item).getByRole('button', { name: 'Capture' }));
    await user.type(amount, '{Enter}');
    expect(bridge.count('payments.capture')).toBe(0);
    await user.type(amount, '{Backspace}');
    expect(amount.value).toBe('€50.00');
    expect(within(item).queryByText('The amount can be at most €50.00.')).toBeNull();
    await user.click(within(item).getByRole('button', { name: 'Capture' }));
    await waitFor(() => expect(bridge.inputs('payments.capture')).toEqual([{ paymentId: payment.id }]));
  });

  it("a refused capture's mark goes as soon as the amount is edited, the typed amount kept", async () => {
    // Found by a UI hunt on Plural: the gateway's refusal stayed on the amount (and "Not done" under
    // it) after the amount was corrected, though a field's mark goes as soon as it is edited.
    const payment = authorised();
    const bridge = bridgeWith([payment], []);
    bridge.on('payments.capture', () =>
      fail('validation', 'Check the capture.', {
        issues: [{ path: 'amount', message: 'The gateway captures at least €1.00.' }],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /Hotel deposit/ });
    const amount = within(item).getByLabelText('Capture amount') as HTMLInputElement;
    await user.clear(amount);
    await user.type(amount, '50');
    await user.click(within(item).getByRole('button', { name: 'Capture' }));
    expect(await within(item).findByText('The gateway captures at least €1.00.')).toBeTruthy();
    expect(amount.getAttribute('aria-invalid')).toBe('true');
    await user.type(amount, '0');
    expect(amount.value).toBe('€5.00');
    expect(within(item).queryByText('The gateway captures at least €1.00.')).toBeNull();
    expect(amount.getAttribute('aria-invalid')).not.toBe('true');
    expect(bridge.count('payments.capture')).toBe(1);
  });

  it('refuses a negative partial capture on its field, and sends nothing', async () => {
    const payment = authorised();
    const bridge = bridgeWith([payment], []);
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /Hotel deposit/ });
    const amount = within(item).getByLabelText('Capture amount') as HTMLInputElement;
    await user.clear(amount);
    await user.type(amount, '-1');
    expect(amount.value).toBe('\u2212€0.01');
    expect(within(item).getByText('An amount cannot be negative: delete the minus sign.')).toBeTruthy();
    await user.click(within(item).getByRole('button', { name: 'Capture' }));
    await user.type(amount, '{Enter}');
    expect(bridge.count('payments.capture')).toBe(0);
  });

  it('keeps the focus in the screen from the keyboard: on the confirmation, then back in the screen', async () => {
    const payment = authorised();
    const bridge = bridgeWith([payment], []);
    bridge.on('payments.cancel', () =>
      ok({ ...payment, status: 'canceled', amountCapturable: 0, updatedAt: new Date().toISOString() }),
    );
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /Hotel deposit/ });
    within(item).getByRole('button', { name: 'Cancel authorisation' }).focus();
    await user.keyboard('{Enter}');
    // The confirmation takes the place (and the focus) of the button pressed: Enter confirms.
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'Yes, cancel the authorisation' }));
    await user.keyboard('{Enter}');
    await waitFor(() => expect(screen.queryByRole('group', { name: /Hotel deposit/ })).toBeNull());
    // The item (and the focused button) went away: the focus is back in the screen, not on the page.
    await waitFor(() => expect(document.activeElement).not.toBe(document.body));
    expect(document.querySelector('main')!.contains(document.activeElement)).toBe(true);
  });

  it('Escape on the confirmation keeps the authorisation, and a later Enter confirms nothing', async () => {
    // Found by a tester: Escape left the focus on "Yes", and the next Enter canceled it.
    const payment = authorised();
    const bridge = bridgeWith([payment], []);
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /Hotel deposit/ });
    within(item).getByRole('button', { name: 'Cancel authorisation' }).focus();
    await user.keyboard('{Enter}');
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'Yes, cancel the authorisation' }));
    await user.keyboard('{Escape}');
    expect(within(item).queryByRole('button', { name: 'Yes, cancel the authorisation' })).toBeNull();
    // Back on the button that opened it: Enter only asks again.
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'Cancel authorisation' }));
    await user.keyboard('{Enter}');
    expect(bridge.count('payments.cancel')).toBe(0);
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'Yes, cancel the authorisation' }));
  });

  it('cancels an authorisation after a confirmation, using the gateway id for gateway-only ones', async () => {
    const bridge = bridgeWith([]);
    bridge.on('payments.cancel', () =>
      fail('gateway', 'The authorisation has already expired.', { gatewayType: 'invalid_request_error' }),
    );
    const { user } = await renderApp(bridge, { screen: 'capture' });
    const item = await screen.findByRole('group', { name: /Phone order/ });
    await user.click(within(item).getByRole('button', { name: 'Cancel authorisation' }));
    expect(bridge.count('payments.cancel')).toBe(0);
    await user.click(within(item).getByRole('button', { name: 'Yes, cancel the authorisation' }));
    await waitFor(() =>
      expect(bridge.inputs('payments.cancel')).toEqual([{ paymentId: '99999999-8888-7777-6666-555555555555' }]),
    );
    expect((await findShownAlert(item)).textContent).toMatch(/already expired/);
  });

  it('drops an authorisation as soon as the host reports it captured', async () => {
    const payment = authorised();
    const bridge = bridgeWith([payment], []);
    const { store } = await renderApp(bridge, { screen: 'capture' });
    await screen.findByRole('group', { name: /Hotel deposit/ });
    act(() =>
      bridge.push({
        seq: 11,
        type: 'payment',
        payment: { ...payment, status: 'succeeded', amountCapturable: 0, updatedAt: new Date().toISOString() },
      }),
    );
    await waitFor(() => expect(screen.queryByRole('group', { name: /Hotel deposit/ })).toBeNull());
    expect(screen.getByText('Nothing to capture.')).toBeTruthy();
    expect(store.getState().host.seq).toBe(11);
  });

  it('says how many authorisations are not shown and what they hold, and shows them on request', async () => {
    // A busy shop: 250 authorisations wait. The screen took the newest 200 and said nothing of the
    // 50 oldest — the nearest to lapsing.
    const all = Array.from({ length: 250 }, (_, i) =>
      authorised({
        id: `pay_auth${String(i).padStart(6, '0')}`,
        transactionId: null,
        orderReference: `ORD-${i}`,
        description: `Deposit ${i}`,
        amount: 1000,
        amountCapturable: 1000,
        createdAt: minutesAgo(500 - i),
      }),
    );
    // Role queries walk the whole tree: over hundreds of forms, jsdom takes seconds for each.
    const items = (list: HTMLElement) => [...list.children].filter((c) => c.tagName === 'LI');
    const notShownOrNull = () => document.querySelector<HTMLElement>('[aria-label="Authorisations not shown"]');
    const notShown = () => notShownOrNull()!;
    const bridge = new FakeBridge(makeSnapshot({ payments: [] }));
    bridge.on('payments.uncaptured', (input) =>
      ok({
        payments: all.slice(input.offset ?? 0, (input.offset ?? 0) + (input.limit ?? 100)),
        total: 250,
        held: heldOf(all),
      }),
    );
    bridge.on('transactions.list', () =>
      ok({ data: [], meta: { currentPage: 1, lastPage: 1, perPage: 100, total: 0 }, offline: false }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F4}');
    const list = await screen.findByRole('list', { name: 'Uncaptured authorisations' });
    expect(items(list)).toHaveLength(100);
    expect(items(list)[0]!.textContent).toMatch(/— Deposit 0Authorised/);
    const rest = notShown();
    expect(rest.textContent).toContain('Showing 100 of 250 authorisations.');
    expect(rest.textContent).toContain('150 more are not shown, holding €1,500.00.');
    await user.click(within(rest).getByRole('button', { name: 'Show 100 more' }));
    await waitFor(() => expect(items(list)).toHaveLength(200));
    expect(notShown().textContent).toContain('50 more are not shown, holding €500.00.');
    await user.click(within(notShown()).getByRole('button', { name: 'Show 50 more' }));
    await waitFor(() => expect(items(list)).toHaveLength(250));
    expect(notShownOrNull()).toBeNull();

    // The page reconnects: the snapshot carries none of them, and the list read them from the mirror.
    const before = bridge.count('session.snapshot');
    act(() => bridge.setConnection('closed'));
    act(() => bridge.setConnection('open'));
    await waitFor(() => expect(bridge.count('session.snapshot')).toBe(before + 1));
    // Found again: with nothing to list, the list itself leaves the page.
    const listed = () => document.querySelector<HTMLElement>('[aria-label="Uncaptured authorisations"]');
    await waitFor(() => expect(listed() && items(listed()!)).toHaveLength(250));
    expect(notShownOrNull()).toBeNull();
  });

  it('keeps "not shown" right while authorisations change with the screen open', async () => {
    // The count was the host's total as first read less the pages read: the newest authorisations
    // the snapshot put on screen were also counted as not shown, and one captured elsewhere (shown
    // or not) left the count as it was until the screen was opened again.
    let all = Array.from({ length: 250 }, (_, i) =>
      authorised({
        id: `pay_auth${String(i).padStart(6, '0')}`,
        transactionId: null,
        orderReference: `ORD-${i}`,
        description: `Deposit ${i}`,
        amount: 1000,
        amountCapturable: 1000,
        createdAt: minutesAgo(500 - i),
      }),
    );
    const items = (list: HTMLElement) => [...list.children].filter((c) => c.tagName === 'LI');
    const notShown = () => document.querySelector<HTMLElement>('[aria-label="Authorisations not shown"]')!;
    // The snapshot carries the newest 10.
    const bridge = new FakeBridge(makeSnapshot({ seq: 10, payments: all.slice(240) }));
    bridge.on('payments.uncaptured', (input) =>
      ok({
        payments: all.slice(input.offset ?? 0, (input.offset ?? 0) + (input.limit ?? 100)),
        total: all.length,
        held: heldOf(all),
      }),
    );
    bridge.on('transactions.list', () =>
      ok({ data: [], meta: { currentPage: 1, lastPage: 1, perPage: 100, total: 0 }, offline: false }),
    );
    await renderApp(bridge, { screen: 'capture' });
    const list = await screen.findByRole('list', { name: 'Uncaptured authorisations' });
    await waitFor(() => expect(items(list)).toHaveLength(110));
    expect(notShown().textContent).toContain('Showing 110 of 250 authorisations.');
    expect(notShown().textContent).toContain('140 more are not shown, holding €1,400.00.');
    const reads = bridge.count('payments.uncaptured');
    const gatewayReads = bridge.count('transactions.list');

    // Captured elsewhere: one not shown (Deposit 200), then one shown (Deposit 0).
    const captured = (p: PaymentView): PaymentView => ({
      ...p,
      status: 'succeeded',
      amountCapturable: 0,
      amountCaptured: p.amount,
      updatedAt: new Date().toISOString(),
    });
    const hidden = all[200]!;
    all = all.filter((p) => p.id !== hidden.id);
    act(() => bridge.push({ seq: 11, type: 'payment', payment: captured(hidden) }));
    await waitFor(() => expect(notShown().textContent).toContain('139 more are not shown, holding €1,390.00.'));
    expect(notShown().textContent).toContain('Showing 110 of 249 authorisations.');
    const oldest = all[0]!;
    all = all.filter((p) => p.id !== oldest.id);
    act(() => bridge.push({ seq: 12, type: 'payment', payment: captured(oldest) }));
    await waitFor(() => expect(notShown().textContent).toContain('Showing 110 of 248 authorisations.'));
    expect(notShown().textContent).toContain('138 more are not shown, holding €1,380.00.');
    expect(items(list)[0]!.textContent).toMatch(/— Deposit 1Authorised/);
    // Read again from the host, not the gateway's list.
    expect(bridge.count('payments.uncaptured')).toBeGreaterThan(reads);
    expect(bridge.count('transactions.list')).toBe(gatewayReads);
  });

  it('says when the gateway lists more authorisations than the page it was asked for', async () => {
    const bridge = new FakeBridge(makeSnapshot({ payments: [] }));
    bridge.on('payments.uncaptured', () => ok({ payments: [], total: 0, held: [] }));
    bridge.on('transactions.list', () =>
      ok({
        data: [
          makeTransaction({ status: 'requires_capture', amount: 3000, amountCapturable: 3000, amountCaptured: 0 }),
        ],
        meta: { currentPage: 1, lastPage: 3, perPage: 100, total: 260 },
        offline: false,
      }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F4}');
    expect(
      await screen.findByText(/The gateway lists 259 more authorisations than the oldest 1 checked here/),
    ).toBeTruthy();
  });
});
