// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../../renderer/src/App';
import { NoToken } from '../../renderer/src/screens/NoToken';
import { createPosStore } from '../../renderer/src/store';
import { StoreProvider } from '../../renderer/src/store/context';
import {
  deferred,
  fail,
  FakeBridge,
  makePayment,
  makeSettings,
  makeSnapshot,
  memoryPreferences,
  minutesAgo,
  ok,
  renderApp,
  shownAlert,
} from './helpers';

describe('App shell', () => {
  it("names the shop in the header: Settings' name first, then the account's, then the app's", async () => {
    const base = makeSettings();
    const named = makeSettings({ counter: { ...base.counter, shopName: 'Le Petit Zinc' } });
    await renderApp(new FakeBridge(makeSnapshot({ settings: named })));
    expect(screen.getByRole('banner').textContent).toContain('Le Petit Zinc');
  });

  it('says the app, not an invented account name, for a gateway that keeps none, and asks for the shop name', async () => {
    const settings = makeSettings({ gateway: 'payplug' });
    const merchant = {
      id: 'payplug_test',
      businessName: null,
      displayName: null,
      defaultCurrency: 'EUR',
      testMode: true,
    };
    const { user } = await renderApp(new FakeBridge(makeSnapshot({ settings, merchant })));
    expect(screen.getByRole('banner').textContent).toContain('POS Terminal Companion');
    await user.keyboard('{F7}');
    const field = await screen.findByLabelText('Shop name on receipts');
    expect(field.getAttribute('aria-describedby')).toBeTruthy();
    expect(document.getElementById(field.getAttribute('aria-describedby')!.split(' ')[0]!)!.textContent).toContain(
      'PayPlug keeps no name for the account',
    );
  });

  it('shows the test-mode badge and the F-key hints in the nav', async () => {
    await renderApp();
    expect(screen.getByText('TEST MODE')).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Screens' });
    const create = within(nav).getByRole('button', { name: 'Create payment' });
    expect(create.getAttribute('aria-keyshortcuts')).toBe('F1');
    expect(create.getAttribute('aria-current')).toBe('page');
    expect(within(nav).getByText('F7')).toBeTruthy();
    expect(within(nav).getByRole('button', { name: 'Settings' }).getAttribute('aria-keyshortcuts')).toBe('F7');
  });

  it('shows no mode until the host has said which, and says at once when the link is refused (issue 9 #10)', async () => {
    const bridge = new FakeBridge();
    const held = deferred<ReturnType<typeof ok>>();
    bridge.on('session.snapshot', () => held.promise as never);
    const store = createPosStore(bridge, { preferences: memoryPreferences() });
    store.start();
    render(
      <StoreProvider store={store}>
        <App />
      </StoreProvider>,
    );
    expect(screen.queryByText('TEST MODE')).toBeNull();
    expect(screen.queryByText('LIVE')).toBeNull();
    act(() => bridge.setConnection('refused'));
    expect(shownAlert().textContent).toMatch(/Open the URL printed by npm start/);
    expect(screen.queryByText(/Reconnecting/)).toBeNull();
  });

  it('stops claiming a mode once the host has refused this page (it restarted with another token)', async () => {
    // Found by a tester: the old tab kept TEST MODE beside "not connected to the running app".
    const bridge = new FakeBridge();
    await renderApp(bridge);
    expect(screen.getByText('TEST MODE')).toBeTruthy();
    act(() => bridge.setConnection('refused'));
    expect(shownAlert().textContent).toMatch(/not connected to the running app/);
    expect(screen.queryByText('TEST MODE')).toBeNull();
    expect(screen.queryByText('LIVE')).toBeNull();
  });

  it('once the host has refused this page, offers no Refresh that "tries again when the connection is back"', async () => {
    // Found in Chromium: after the host restarted, the old tab said it was not connected to the
    // running app and, under it, "Could not refresh from the host: Not connected to the host
    // (reconnecting)… try again when the connection is back" with a Refresh that could never work.
    const bridge = new FakeBridge();
    const { store } = await renderApp(bridge);
    act(() => bridge.setConnection('closed'));
    act(() => store.getState().setLink({ syncError: 'Connection to the host was lost before it answered.' }));
    act(() => bridge.setConnection('refused'));
    expect(shownAlert().textContent).toMatch(/not connected to the running app/);
    expect(screen.queryByText(/Could not refresh from the host/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Refresh' })).toBeNull();
  });

  it('switches screens with F1–F8 and moves focus into the new screen', async () => {
    const bridge = new FakeBridge();
    bridge.on('payments.list', () => ok([]));
    bridge.on('transactions.list', () =>
      ok({ data: [], meta: { currentPage: 1, lastPage: 1, perPage: 25, total: 0 }, offline: false }),
    );
    const { user, store } = await renderApp(bridge);
    const expected: [string, string][] = [
      ['{F2}', 'Process payment'],
      ['{F4}', 'Capture'],
      ['{F5}', 'Transactions'],
      ['{F6}', 'Readers'],
      ['{F7}', 'Settings'],
      ['{F8}', 'Needs attention'],
      ['{F3}', 'Simulate payment'],
    ];
    for (const [key, heading] of expected) {
      await user.keyboard(key);
      expect(screen.getByRole('heading', { level: 1, name: heading })).toBeTruthy();
    }
    expect(
      within(screen.getByRole('navigation'))
        .getByRole('button', { name: 'Simulate payment' })
        .getAttribute('aria-current'),
    ).toBe('page');
    await user.keyboard('{F5}');
    expect(document.activeElement).toBe(screen.getByLabelText('Search'));
    await user.keyboard('{F1}');
    expect(store.getState().ui.screen).toBe('create');
    expect(document.activeElement).toBe(screen.getByLabelText('Amount'));
    // The key of the screen already shown puts the focus back on its first field (from the menu, say).
    within(screen.getByRole('navigation')).getByRole('button', { name: 'Transactions' }).focus();
    await user.keyboard('{F1}');
    expect(store.getState().ui.screen).toBe('create');
    expect(document.activeElement).toBe(screen.getByLabelText('Amount'));
  });

  it('keeps a draft while the cashier visits other screens', async () => {
    const { user } = await renderApp();
    await user.type(screen.getByLabelText('Amount'), '1999');
    await user.keyboard('{F6}');
    await user.keyboard('{F1}');
    expect((screen.getByLabelText('Amount') as HTMLInputElement).value).toBe('€19.99');
  });

  it('opens on the payment under way when the page is reloaded mid-payment, its QR on screen', async () => {
    // Found by using the app: reloaded while the customer scanned a PayPlug link, the page opened on
    // an empty Create form (Enter would charge the sale again); the QR was only behind F2.
    const link = makePayment({
      id: 'pay_reload0001',
      gateway: 'payplug',
      channel: 'link',
      payUrl: 'http://127.0.0.1:9/payplug/pay/test/abc',
    });
    const paid = makePayment({ id: 'pay_reload0002', status: 'succeeded' });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [link, paid], readers: [], settings: makeSettings({ gateway: 'payplug' }) }),
    );
    await renderApp(bridge);
    const title = await screen.findByRole('heading', { name: 'Process payment', level: 1 });
    expect(screen.getByRole('img', { name: /QR code of the payment link/ })).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(title));
  });

  it('opens on Create when no payment, or more than one, is under way', async () => {
    const links = [1, 2].map((i) =>
      makePayment({ id: `pay_reload100${i}`, channel: 'link', payUrl: `http://127.0.0.1:9/pay/${i}` }),
    );
    const first = await renderApp(new FakeBridge(makeSnapshot({ seq: 5, payments: links })));
    expect(await screen.findByRole('heading', { name: 'Create payment', level: 1 })).toBeTruthy();
    first.unmount();
    // A link taken with the gateway the till used before a switch is not followed: not under way here.
    const earlier = makePayment({ gateway: 'payplug', channel: 'link', payUrl: 'http://127.0.0.1:9/pay/3' });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [earlier], settings: makeSettings({ gateway: 'plural' }), readers: [] }),
    );
    const { user } = await renderApp(bridge);
    expect(await screen.findByRole('heading', { name: 'Create payment', level: 1 })).toBeTruthy();
    await user.keyboard('{F2}');
    await screen.findByRole('heading', { name: 'Process payment', level: 1 });
    expect(screen.queryByText(/Taken with PayPlug/)).toBeNull();
  });

  it('opens on Create when the only link under way was taken in the other mode', async () => {
    // Found in a defect hunt: live on the same gateway, a test link left open was opened as the
    // payment under way, its QR on screen as if a customer could pay it here.
    const testLink = makePayment({ testMode: true, channel: 'link', payUrl: 'http://127.0.0.1:9/pay/4' });
    await renderApp(new FakeBridge(makeSnapshot({ seq: 5, mode: 'live', payments: [testLink], readers: [] })));
    expect(await screen.findByRole('heading', { name: 'Create payment', level: 1 })).toBeTruthy();
  });

  it('shows an offline banner with the queued count and totals', async () => {
    const bridge = new FakeBridge();
    await renderApp(bridge);
    expect(screen.queryByText('The payment gateway is offline.')).toBeNull();
    act(() =>
      bridge.push({
        seq: 11,
        type: 'connectivity',
        connectivity: {
          gateway: 'offline',
          lastError: 'connect ECONNREFUSED',
          queued: {
            count: 3,
            totals: [
              { currency: 'EUR', amount: 2500 },
              { currency: 'USD', amount: 400 },
            ],
          },
          recovering: null,
        },
      }),
    );
    const banner = screen.getByText('The payment gateway is offline.').closest('[role="status"]')!;
    expect(banner.textContent).toMatch(/3 operations queued \(€25.00 \+ \$4.00\); they will be sent when it is back\./);
    expect(banner.textContent).toMatch(/Last error: connect ECONNREFUSED/);
    act(() =>
      bridge.push({
        seq: 12,
        type: 'connectivity',
        connectivity: { gateway: 'online', lastError: null, queued: { count: 0, totals: [] }, recovering: null },
      }),
    );
    expect(screen.queryByText('The payment gateway is offline.')).toBeNull();
  });

  it('says the gateway is slowing the till down, not that it is offline, while it throttles the till', async () => {
    const bridge = new FakeBridge();
    await renderApp(bridge);
    act(() =>
      bridge.push({
        seq: 11,
        type: 'connectivity',
        connectivity: {
          gateway: 'offline',
          throttled: true,
          lastError: "The gateway is limiting this till's requests (429 Too Many Requests; it asked to wait 30 s).",
          queued: { count: 1, totals: [{ currency: 'EUR', amount: 1000 }] },
          recovering: null,
        },
      }),
    );
    expect(screen.queryByText('The payment gateway is offline.')).toBeNull();
    const banner = screen.getByText('The payment gateway is slowing this till down.').closest('[role="status"]')!;
    expect(banner.textContent).toMatch(
      /asked the till to wait \(429 Too Many Requests\): nothing is sent until then\./,
    );
    expect(banner.textContent).toMatch(/1 operation queued \(€10.00\); they will be sent when it is back\./);
  });

  it('turns an offline banner into "slowing this till down" when a throttle starts while offline', async () => {
    // The host tells the screens of a throttle that starts while the till is offline already (and of
    // a new reason): the banner follows it without any online/offline change in between.
    const bridge = new FakeBridge();
    await renderApp(bridge);
    const offline = (seq: number, lastError: string, throttled = false) =>
      act(() =>
        bridge.push({
          seq,
          type: 'connectivity',
          connectivity: {
            gateway: 'offline',
            throttled,
            lastError,
            queued: { count: 0, totals: [] },
            recovering: null,
          },
        }),
      );
    offline(11, 'The gateway failed (503): HTTP 503 with a malformed body');
    expect(screen.getByText('The payment gateway is offline.').closest('[role="status"]')!.textContent).toMatch(
      /Last error: The gateway failed \(503\)/,
    );
    offline(12, 'The gateway did not answer in time.');
    expect(screen.getByText('The payment gateway is offline.').closest('[role="status"]')!.textContent).toMatch(
      /Last error: The gateway did not answer in time\./,
    );
    offline(13, "The gateway is limiting this till's requests (429 Too Many Requests; it asked to wait 30 s).", true);
    expect(screen.queryByText('The payment gateway is offline.')).toBeNull();
    expect(screen.getByText('The payment gateway is slowing this till down.')).toBeTruthy();
  });

  it('shows "Reconnecting to the host…" while the bridge is closed, disables Charge, and resyncs after reconnect', async () => {
    const bridge = new FakeBridge();
    const { user } = await renderApp(bridge);
    await user.type(screen.getByLabelText('Amount'), '100');
    act(() => bridge.setConnection('closed'));
    const status = screen.getByText('Reconnecting to the host…').closest('[role="status"]');
    expect(status).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Charge' }) as HTMLButtonElement).disabled).toBe(true);
    const before = bridge.count('session.snapshot');
    bridge.snapshot = makeSnapshot({
      seq: 40,
      attention: [
        {
          paymentId: 'pay_att0000001',
          createdAt: minutesAgo(2),
          amount: 1000,
          currency: 'EUR',
          reason: 'r',
          advice: 'a',
          since: minutesAgo(1),
          unsettledRefund: null,
          testMode: false,
        },
      ],
    });
    act(() => bridge.setConnection('open'));
    await waitFor(() => expect(bridge.count('session.snapshot')).toBe(before + 1));
    await waitFor(() => expect(screen.queryByText('Reconnecting to the host…')).toBeNull());
    expect((screen.getByRole('button', { name: 'Charge' }) as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getByRole('button', { name: /Needs attention \(1\)/ })).toBeTruthy();
  });

  it('asks for a fresh snapshot when an event skips a sequence number, and drops stale events', async () => {
    const bridge = new FakeBridge(makeSnapshot({ seq: 10 }));
    const { store } = await renderApp(bridge);
    const payment = makePayment({ id: 'pay_gap0000001', status: 'pending' });
    // Stale: already covered by the snapshot.
    act(() => bridge.push({ seq: 9, type: 'payment', payment }));
    expect(store.getState().host.payments[payment.id]).toBeUndefined();
    expect(bridge.count('session.snapshot')).toBe(1);
    // Gap: 11 is missing.
    bridge.snapshot = makeSnapshot({ seq: 12, payments: [{ ...payment, status: 'in_progress', readerStage: 'sent' }] });
    act(() =>
      bridge.push({
        seq: 13,
        type: 'payment',
        payment: { ...payment, status: 'in_progress', readerStage: 'waiting_for_card' },
      }),
    );
    await waitFor(() => expect(bridge.count('session.snapshot')).toBe(2));
    await waitFor(() => expect(store.getState().host.seq).toBe(13));
    expect(store.getState().host.payments[payment.id]?.readerStage).toBe('waiting_for_card');
  });

  it('lists what needs attention with reason and advice, reachable from the nav with a count', async () => {
    const payment = makePayment({ id: 'pay_unknown001', status: 'unknown', amount: 4500, description: 'Table 9' });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [payment],
        attention: [
          {
            paymentId: payment.id,
            createdAt: payment.createdAt,
            amount: payment.amount,
            currency: payment.currency,
            reason: 'The reader disconnected while the card was being authorised.',
            advice: 'Do not charge again. The host will ask the gateway; check the customer’s receipt.',
            since: minutesAgo(7),
            unsettledRefund: null,
            testMode: false,
          },
        ],
      }),
    );
    bridge.on('attention.retry', () => ok({ ...payment, status: 'succeeded', updatedAt: new Date().toISOString() }));
    const { user, store } = await renderApp(bridge);
    await user.click(screen.getByRole('button', { name: 'Needs attention (1)' }));
    const item = screen.getByRole('article', { name: '€45.00 — Table 9' });
    expect(within(item).getByText(/reader disconnected while the card was being authorised/)).toBeTruthy();
    expect(within(item).getByText(/Do not charge again/)).toBeTruthy();
    expect(within(item).getByText(/Since 7 min ago/)).toBeTruthy();
    await user.click(within(item).getByRole('button', { name: 'Check again' }));
    await waitFor(() => expect(bridge.inputs('attention.retry')).toEqual([{ paymentId: payment.id }]));
    expect(await within(item).findByText('Checked again: the payment is now succeeded.')).toBeTruthy();
    await user.click(within(item).getByRole('button', { name: 'Open payment' }));
    expect(store.getState().ui.screen).toBe('process');
    expect(store.getState().ui.selectedPaymentId).toBe(payment.id);
  });

  it('says what happened when the first snapshot cannot be loaded, and retries', async () => {
    const bridge = new FakeBridge();
    let calls = 0;
    bridge.on('session.snapshot', () =>
      ++calls === 1 ? fail('internal', 'The host is still starting.') : ok(makeSnapshot()),
    );
    const store = createPosStore(bridge);
    store.start();
    const user = userEvent.setup();
    render(
      <StoreProvider store={store}>
        <App />
      </StoreProvider>,
    );
    expect(await screen.findByText("Could not load the host's state: The host is still starting.")).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByLabelText('Amount')).toBeTruthy();
  });

  it('without a token, web mode explains how to open the app', () => {
    render(<NoToken />);
    expect(screen.getByRole('heading', { name: 'Open the app from the link the host printed' })).toBeTruthy();
    expect(screen.getByText(/npm run web/)).toBeTruthy();
  });
});
