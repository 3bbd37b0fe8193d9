// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import type { InstallmentPlanView } from '../../common/contract';
import {
  fail,
  FakeBridge,
  makePayment,
  makeReader,
  makeSettings,
  makeSnapshot,
  minutesAgo,
  ok,
  renderApp,
  gatewayFor,
  findShownAlert,
} from './helpers';

function waitingSnapshot(amount = 1250) {
  const payment = makePayment({
    id: 'pay_sim0000001',
    amount,
    status: 'in_progress',
    readerId: 'rdr_sim1',
    readerStage: 'waiting_for_card',
  });
  const reader = makeReader({
    action: {
      paymentId: payment.id,
      transactionId: '11111111-2222-3333-4444-555555555555',
      stage: 'waiting_for_card',
      status: 'in_progress',
    },
  });
  return makeSnapshot({ payments: [payment], readers: [reader, makeReader({ id: 'rdr_idle', label: 'Idle reader' })] });
}

describe('Simulate payment screen', () => {
  it('is marked TEST MODE and presents the chosen test card on the waiting reader', async () => {
    const bridge = new FakeBridge(waitingSnapshot());
    bridge.on('simulate.presentCard', (input) => ok(makeReader({ id: input.readerId })));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    expect(screen.getByRole('heading', { name: 'Simulate payment' })).toBeTruthy();
    expect(screen.getByText('TEST MODE — simulated cards')).toBeTruthy();
    const readers = screen.getByRole('group', { name: 'Reader waiting for a card' });
    expect(within(readers).getAllByRole('radio')).toHaveLength(1);
    expect(within(readers).getByRole('radio', { name: /Counter 1 — €12.50 \(waiting for card\)/ })).toBeTruthy();

    await user.click(screen.getByRole('radio', { name: /Insufficient funds/ }));
    expect(screen.getByText(/Expected outcome: Declined: insufficient_funds/)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Present card' }));
    await waitFor(() =>
      expect(bridge.inputs('simulate.presentCard')).toEqual([{ readerId: 'rdr_sim1', cardNumber: '4000000000000077' }]),
    );
    expect(await screen.findByText(/Card 4000 0000 0000 0077 presented on Counter 1/)).toBeTruthy();
  });

  it('opens with the focus on Present card when a reader waits: Enter presents the approving card', async () => {
    // Found in a cashier hunt: F3 opened on its title, so Enter did nothing and Present card was
    // several Tabs away, though the reader and the card are already chosen.
    const bridge = new FakeBridge(waitingSnapshot());
    bridge.on('simulate.presentCard', (input) => ok(makeReader({ id: input.readerId })));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Present card' })));
    await user.keyboard('{Enter}');
    await waitFor(() =>
      expect(bridge.inputs('simulate.presentCard')).toEqual([{ readerId: 'rdr_sim1', cardNumber: '4242424242424242' }]),
    );
  });

  it('opens on its title when nothing can be presented: a reader the "No answer" fault holds', async () => {
    const snapshot = waitingSnapshot();
    const bridge = new FakeBridge({
      ...snapshot,
      readers: snapshot.readers.map((r) => (r.id === 'rdr_sim1' ? { ...r, heldByFault: 'no_answer' as const } : r)),
    });
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Simulate payment', level: 1 })),
    );
  });

  it('chooses the reader of the payment on Process payment, not the first waiting one', async () => {
    const first = waitingSnapshot();
    const second = makePayment({
      id: 'pay_sim0000002',
      amount: 4200,
      status: 'in_progress',
      readerId: 'rdr_sim2',
      readerStage: 'waiting_for_card',
    });
    const otherReader = makeReader({
      id: 'rdr_sim2',
      label: 'Counter 2',
      action: { paymentId: second.id, transactionId: 'txn-2', stage: 'waiting_for_card', status: 'in_progress' },
    });
    const bridge = new FakeBridge({
      ...first,
      payments: [...first.payments, second],
      readers: [...first.readers, otherReader],
    });
    bridge.on('simulate.presentCard', (input) => ok(makeReader({ id: input.readerId })));
    const { user, store } = await renderApp(bridge);
    act(() => {
      store.getState().selectPayment(second.id);
      store.getState().setScreen('process');
    });
    await user.keyboard('{F3}');
    const readers = screen.getByRole('group', { name: 'Reader waiting for a card' });
    expect((within(readers).getByRole('radio', { name: /Counter 2/ }) as HTMLInputElement).checked).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Present card' }));
    await waitFor(() => expect(bridge.inputs('simulate.presentCard')[0]?.readerId).toBe('rdr_sim2'));
  });

  it('a reader the "No answer" fault holds: says the fault\'s effect, not "Approved", and offers no card', async () => {
    // Found by a tester: "Expected outcome: Approved", then Present card answered "This reader is not
    // waiting for a card."
    const snapshot = waitingSnapshot();
    const bridge = new FakeBridge({
      ...snapshot,
      readers: snapshot.readers.map((r) => (r.id === 'rdr_sim1' ? { ...r, heldByFault: 'no_answer' as const } : r)),
    });
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    expect(screen.getByRole('radio', { name: /Counter 1 — €12.50 .*“No answer” fault: ignores cards/ })).toBeTruthy();
    expect(screen.queryByText(/Expected outcome: Approved/)).toBeNull();
    expect(screen.getByText(/Expected outcome: no answer\. Counter 1 has the “No answer” fault/)).toBeTruthy();
    const present = screen.getByRole('button', { name: 'Present card' }) as HTMLButtonElement;
    expect(present.disabled).toBe(true);
    expect(document.getElementById(present.getAttribute('aria-describedby')!)?.textContent).toMatch(
      /ignores any card on this payment/,
    );
    await user.click(present);
    expect(bridge.inputs('simulate.presentCard')).toEqual([]);
  });

  it('says which outcome the test amount gives', async () => {
    const { user } = await renderApp(new FakeBridge(waitingSnapshot(1005)));
    await user.keyboard('{F3}');
    expect(
      screen.getByText(/last two digits in minor units are 05, so an approving card is declined with generic_decline/),
    ).toBeTruthy();
    expect(screen.getByText(/Expected outcome: Declined: generic_decline/)).toBeTruthy();
  });

  it("names the test amount's digits in minor units, not cents, for a currency without them", async () => {
    // Found by an integrator: ¥501 said "ends in .01"; a yen amount has no cents, the rule reads its last two digits.
    const snapshot = waitingSnapshot(501);
    const bridge = new FakeBridge({ ...snapshot, payments: snapshot.payments.map((p) => ({ ...p, currency: 'JPY' })) });
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    expect(
      screen.getByText(
        /Test amount ¥501: its last two digits in minor units are 01, so an approving card is declined with call_issuer/,
      ),
    ).toBeTruthy();
    expect(screen.queryByText(/\.01/)).toBeNull();
  });

  it('accepts another card number and validates it', async () => {
    const bridge = new FakeBridge(waitingSnapshot(1000));
    bridge.on('simulate.presentCard', (input) => ok(makeReader({ id: input.readerId })));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    await user.click(screen.getByRole('radio', { name: 'Another card number' }));
    await user.type(screen.getByLabelText('Card number'), '1234');
    expect(screen.getByText('Card number: 12 to 19 digits.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Present card' }) as HTMLButtonElement).disabled).toBe(true);
    await user.clear(screen.getByLabelText('Card number'));
    await user.type(screen.getByLabelText('Card number'), '5500 0055 5555 5559');
    expect(screen.getByText(/Expected outcome: Approved \(mastercard •••• 5559\)/)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Present card' }));
    await waitFor(() => expect(bridge.inputs('simulate.presentCard')[0]?.cardNumber).toBe('5500005555555559'));
  });

  it('says so when no reader is waiting for a card', async () => {
    const { user } = await renderApp(new FakeBridge());
    await user.keyboard('{F3}');
    expect(screen.getByText(/No reader is waiting for a card/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Present card' })).toBeNull();
  });

  it('injects a fault into a simulated reader and reports errors', async () => {
    const bridge = new FakeBridge();
    bridge.on('simulate.setFault', (input) =>
      input.fault === 'busy' ? fail('conflict', 'The reader is in the middle of a payment.') : ok(makeReader()),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    await user.selectOptions(screen.getByLabelText('Fault'), 'disconnect_mid_payment');
    await user.click(screen.getByRole('button', { name: 'Set fault' }));
    await waitFor(() =>
      expect(bridge.inputs('simulate.setFault')).toEqual([{ readerId: 'rdr_sim1', fault: 'disconnect_mid_payment' }]),
    );
    expect(await screen.findByText('Counter 1 will disconnect in the middle of its next payment.')).toBeTruthy();
    await user.selectOptions(screen.getByLabelText('Fault'), 'busy');
    await user.click(screen.getByRole('button', { name: 'Set fault' }));
    expect((await findShownAlert()).textContent).toMatch(/in the middle of a payment/);
  });

  it('Enter in the Fault list sets the fault, as the button does: it does not open the list', async () => {
    const bridge = new FakeBridge();
    bridge.on('simulate.setFault', () => ok(makeReader()));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    const fault = screen.getByLabelText('Fault');
    await user.selectOptions(fault, 'disconnect_mid_payment');
    fault.focus();
    await user.keyboard('{Enter}');
    await waitFor(() =>
      expect(bridge.inputs('simulate.setFault')).toEqual([{ readerId: 'rdr_sim1', fault: 'disconnect_mid_payment' }]),
    );
  });

  it('is hidden in live mode: no nav entry, and F3 does nothing', async () => {
    const bridge = new FakeBridge(makeSnapshot({ mode: 'live', settings: makeSettings({ mode: 'live' }) }));
    const { user, store } = await renderApp(bridge);
    expect(screen.queryByRole('button', { name: 'Simulate payment' })).toBeNull();
    expect(screen.getByText('LIVE')).toBeTruthy();
    expect(screen.queryByText('TEST MODE')).toBeNull();
    await user.keyboard('{F3}');
    expect(store.getState().ui.screen).toBe('create');
    expect(screen.queryByText('TEST MODE — simulated cards')).toBeNull();
  });

  it('leaves the screen when the host switches to live mode', async () => {
    const bridge = new FakeBridge(waitingSnapshot());
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    expect(screen.getByText('TEST MODE — simulated cards')).toBeTruthy();
    act(() =>
      bridge.push({
        seq: 11,
        type: 'settings',
        settings: makeSettings({ mode: 'live' }),
        mode: 'live',
        merchant: null,
        gateway: gatewayFor('plutopay'),
      }),
    );
    expect(screen.queryByText('TEST MODE — simulated cards')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Present card' })).toBeNull();
    expect(screen.getByText(/only in test mode/)).toBeTruthy();
  });

  it('offers no PlutoPay card for a link when the gateway names no test cards', async () => {
    // The screen used to fall back on PlutoPay's cards for any gateway that named none (PayPlug).
    const link = makePayment({
      id: 'pay_link000003',
      gateway: 'payplug',
      channel: 'link',
      status: 'pending',
      transactionId: 'pay_gw3',
      payUrl: 'http://127.0.0.1:4010/payplug/pay/y',
    });
    const gateway = { ...gatewayFor('payplug'), linkTestCards: [] };
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway, readers: [], payments: [link] }),
    );
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    expect(screen.getByRole('heading', { name: 'Simulate payment' })).toBeTruthy();
    expect(screen.queryByRole('radio', { name: /4242/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Pay the link' })).toBeNull();
  });

  it("offers the gateway's own link test cards when its sandbox has them (Plural)", async () => {
    const link = makePayment({
      id: 'pay_link000001',
      gateway: 'plural',
      channel: 'link',
      amount: 50_000,
      currency: 'INR',
      transactionId: 'v1-order',
      payUrl: 'http://127.0.0.1:4010/plural/checkout/tok',
    });
    const gateway = {
      ...gatewayFor('plural'),
      linkTestCards: [
        { number: '4111111111111111', label: 'Visa — approved' },
        { number: '4000000000001091', label: 'Visa — 3-D Secure challenge, passed' },
      ],
    };
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'plural' }), gateway, readers: [], payments: [link] }),
    );
    bridge.on('simulate.payLink', () => ok({ ...link, status: 'succeeded', payUrl: null }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    const cards = within(screen.getByRole('group', { name: 'Test card' }));
    expect(cards.getAllByRole('radio').map((r) => (r as HTMLInputElement).value)).toEqual([
      '4111111111111111',
      '4000000000001091',
    ]);
    await user.click(cards.getByRole('radio', { name: /3-D Secure/ }));
    await user.click(screen.getByRole('button', { name: 'Pay the link' }));
    await waitFor(() =>
      expect(bridge.inputs('simulate.payLink')).toEqual([
        { paymentId: 'pay_link000001', cardNumber: '4000000000001091' },
      ]),
    );
    // Plural keeps no cards: nothing to tick.
    expect(screen.queryByRole('checkbox', { name: /save my card/ })).toBeNull();
  });

  it('with a gateway that keeps cards, the customer can tick "save my card" on the link', async () => {
    const link = makePayment({
      id: 'pay_link000002',
      channel: 'link',
      status: 'pending',
      gateway: 'payplug',
      transactionId: 'pay_5iHMDxy4ABR4YBVW4UscIn',
      payUrl: 'http://127.0.0.1:4010/payplug/pay/x',
    });
    const bridge = new FakeBridge(
      makeSnapshot({
        settings: makeSettings({ gateway: 'payplug' }),
        gateway: gatewayFor('payplug'),
        readers: [],
        payments: [link],
      }),
    );
    bridge.on('simulate.payLink', () => ok({ ...link, status: 'succeeded', payUrl: null }));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F3}');
    // PayPlug's own test cards, as the host names them: not PlutoPay's (4000 0000 0000 0002 is not PayPlug's).
    const offered = within(screen.getByRole('group', { name: 'Test card' }))
      .getAllByRole('radio')
      .map((r) => (r as HTMLInputElement).value);
    expect(offered).toEqual(gatewayFor('payplug').linkTestCards.map((c) => c.number));
    expect(offered).not.toContain('4000000000000002');
    await user.click(screen.getByRole('checkbox', { name: /save my card/ }));
    await user.click(screen.getByRole('button', { name: 'Pay the link' }));
    await waitFor(() =>
      expect(bridge.inputs('simulate.payLink')).toEqual([
        { paymentId: 'pay_link000002', cardNumber: '4242424242424242', saveCard: true },
      ]),
    );
  });

  describe('Pay a payment link: which link is chosen at first', () => {
    const link = (id: string, amount: number, minutes: number, over: Parameters<typeof makePayment>[0] = {}) =>
      makePayment({
        id,
        gateway: 'payplug',
        channel: 'link',
        status: 'pending',
        amount,
        transactionId: `pay_gw_${id}`,
        payUrl: `http://127.0.0.1:4010/payplug/pay/${id}`,
        createdAt: minutesAgo(minutes),
        ...over,
      });
    // Listed oldest first, as the host's snapshot has them; the plan's part is not the newest.
    const older = link('pay_older00001', 1250, 30);
    const part = link('pay_part000001', 3000, 10, { installmentPlanId: 'ipl_sim000001', orderReference: 'ORD-P#1' });
    const latest = link('pay_latest0001', 4200, 2);
    const plan: InstallmentPlanView = {
      id: 'ipl_sim000001',
      gateway: 'payplug',
      gatewayPlanId: 'inst_1',
      orderReference: 'ORD-P',
      amount: 9000,
      currency: 'EUR',
      status: 'active',
      schedule: [
        { date: '2026-11-30', amount: 3000, paymentIds: ['pay_gw_pay_part000001'], paid: false, state: 'waiting' },
        { date: '2026-12-30', amount: 3000, paymentIds: [], paid: false, state: 'scheduled' },
        { date: '2027-01-30', amount: 3000, paymentIds: [], paid: false, state: 'scheduled' },
      ],
      customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
      payUrl: part.payUrl,
      payUrlExpiresAt: null,
      failure: null,
      notFollowed: null,
      createdAt: minutesAgo(10),
    };

    async function payWithProcessShowing(show: 'plan' | 'older' | 'nothing') {
      const bridge = new FakeBridge(
        makeSnapshot({
          settings: makeSettings({ gateway: 'payplug' }),
          gateway: gatewayFor('payplug'),
          readers: [],
          payments: [older, part, latest],
        }),
      );
      bridge.on('simulate.payLink', (input) => ok({ ...part, id: input.paymentId, status: 'succeeded' }));
      const { user, store } = await renderApp(bridge);
      act(() => {
        if (show === 'plan') store.getState().showPlan(plan);
        if (show === 'older') store.getState().selectPayment(older.id);
        store.getState().setScreen('process');
      });
      await user.keyboard('{F3}');
      const chosen = within(screen.getByRole('group', { name: 'Payment link waiting to be paid' }))
        .getAllByRole('radio')
        .find((r) => (r as HTMLInputElement).checked) as HTMLInputElement;
      // The screen opens on Pay the link (found in a cashier hunt: four Tabs from the title): Enter pays.
      await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Pay the link' })));
      await user.keyboard('{Enter}');
      await waitFor(() => expect(bridge.inputs('simulate.payLink')).toHaveLength(1));
      return { chosen: chosen.value, paid: bridge.inputs('simulate.payLink')[0]!.paymentId };
    }

    it('the installment plan shown on Process payment: its first part', async () => {
      // Found by a tester: with two links open, F3 then "Pay the link" paid an older €12.50 link
      // instead of the installment shown on Process.
      expect(await payWithProcessShowing('plan')).toEqual({ chosen: part.id, paid: part.id });
    });

    it('the payment shown on Process payment, even an older one', async () => {
      expect(await payWithProcessShowing('older')).toEqual({ chosen: older.id, paid: older.id });
    });

    it('with no link on Process payment, the newest open link', async () => {
      expect(await payWithProcessShowing('nothing')).toEqual({ chosen: latest.id, paid: latest.id });
    });
  });
});
