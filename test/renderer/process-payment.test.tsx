// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import type { CommandResult, InstallmentPlanView, PaymentView, Result } from '../../common/contract';
import {
  deferred,
  fail,
  FakeBridge,
  gatewayFor,
  makeDisplay,
  makePayment,
  makeReader,
  makeSettings,
  makeSnapshot,
  memoryPreferences,
  ok,
  renderApp,
  findShownAlert,
  shownAlert,
  shownRegions,
} from './helpers';

function setup(payment: PaymentView, readers = [makeReader()]) {
  const bridge = new FakeBridge(makeSnapshot({ seq: 5, payments: [payment], readers }));
  return bridge;
}

async function openProcess(bridge: FakeBridge, paymentId: string) {
  const rendered = await renderApp(bridge);
  act(() => {
    rendered.store.getState().selectPayment(paymentId);
    rendered.store.getState().setScreen('process');
  });
  await screen.findByRole('heading', { name: 'Process payment' });
  return rendered;
}

function paymentStatus() {
  return screen.getAllByRole('status').find((el) => el.classList.contains('payment-state'))!;
}

describe('Process payment screen', () => {
  it('a split payment captured in part shows what it took, and each share as it now stands', async () => {
    // Found by a tester on Plural: ₹500.00 "Approved" for ₹300.00 captured, and a share cancelled on
    // Settlements still listed as plainly shared.
    const share = {
      id: 'v1-part-ss-a',
      merchantId: '1324',
      settlementReference: null,
      amount: 30_000,
      onHold: true,
      status: 'RELEASED',
      releasedAmount: 30_000,
      refundedAmount: 0,
      held: 0,
      closed: false,
      awaitingPayment: false,
      outcomeUnknown: false,
      releasable: 0,
      refundable: 0,
      pending: false,
      next: [],
    };
    const payment = makePayment({
      id: 'pay_partcap01',
      gateway: 'plural',
      channel: 'link',
      currency: 'INR',
      amount: 50_000,
      amountCaptured: 30_000,
      status: 'succeeded',
      captureMethod: 'manual',
      splits: [share, { ...share, id: 'v1-part-ss-b', merchantId: '1233', amount: 20_000, status: 'CANCELLED' }],
    });
    const bridge = new FakeBridge(
      makeSnapshot({
        seq: 5,
        payments: [payment],
        readers: [],
        settings: makeSettings({ gateway: 'plural' }),
        gateway: gatewayFor('plural'),
      }),
    );
    await openProcess(bridge, payment.id);
    expect(document.querySelector('.payment-card__amount')!.textContent).toBe('₹300.00');
    expect(screen.getByText('of ₹500.00 authorised')).toBeTruthy();
    expect(screen.getByText(/^Shared between merchants:/).textContent).toBe(
      'Shared between merchants: 1324 ₹300.00 (released) · 1233 ₹200.00 (cancelled)',
    );
  });

  it('opened afresh on a payment whose cancel the host holds: it says so, and nothing sends it on', async () => {
    // Found by reloading after Esc while the payment was being created: "No payment is selected",
    // the payment listed as merely Creating, the cancel nowhere to be seen.
    const payment = makePayment({ id: 'pay_held_cancel', status: 'creating', cancelAsked: true });
    const { user } = await renderApp(setup(payment));
    await user.keyboard('{F2}');
    await waitFor(() => expect(paymentStatus().textContent).toMatch(/^Cancelling… The payment is cancelled as soon/));
    expect(screen.queryByText('No payment is selected.')).toBeNull();
    expect((screen.getByRole('button', { name: 'Cancel payment' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Send to reader' }) as HTMLButtonElement).disabled).toBe(true);
  });

  describe('reloaded right after Esc, before the host reported the payment', () => {
    const reader = makeReader({ id: 'rdr_counter1', label: 'Counter 1', status: 'online' });

    /** Enter, then Esc before the host answers: the tab's session storage as a reload finds it. */
    async function chargedThenEscaped() {
      const session = memoryPreferences();
      const bridge = new FakeBridge(makeSnapshot({ seq: 1, readers: [reader] }));
      bridge.on('payments.create', () => new Promise(() => undefined));
      bridge.on('payments.cancelCreate', () => new Promise(() => undefined));
      const first = await renderApp(bridge, { session });
      await first.user.type(screen.getByLabelText('Amount'), '1118');
      await first.user.keyboard('{Enter}');
      await waitFor(() => expect(paymentStatus().textContent).toMatch(/^Creating the payment/));
      await first.user.keyboard('{Escape}');
      await waitFor(() => expect(paymentStatus().textContent).toMatch(/^Cancelling… /));
      const { orderReference } = bridge.inputs('payments.create')[0]!;
      first.unmount();
      // The host journaled it canceled, nothing sent (the cancel overtook its create).
      const canceled = makePayment({ id: 'pay_esc_reload', orderReference, amount: 1118, status: 'canceled' });
      return { session, canceled };
    }

    it('opens on the payment and says how it ended: canceled, no money taken', async () => {
      // Found by pressing Esc right after Enter and reloading: the page opened on an empty form, and
      // F2 said "No payment is selected"; the cashier could not tell what had become of the sale.
      const { session, canceled } = await chargedThenEscaped();
      await renderApp(new FakeBridge(makeSnapshot({ seq: 9, readers: [reader], payments: [canceled] })), { session });
      await screen.findByRole('heading', { name: 'Process payment', level: 1 });
      expect(paymentStatus().textContent).toMatch(/^Canceled\. No money was taken\./);
      expect(document.querySelector('.payment-card__amount')!.textContent).toBe('€11.18');
      expect(screen.queryByText('No payment is selected.')).toBeNull();
      // Never sent, never waiting for a card: the progress shows only its result.
      const progress = within(screen.getByRole('list', { name: 'Progress' }));
      expect(progress.getAllByRole('listitem').map((step) => step.className)).toEqual([
        'steps__item',
        'steps__item',
        'steps__item',
        'steps__item steps__item--current',
      ]);
    });

    it('the payment reported only after the page started again: shown as soon as it is', async () => {
      const { session, canceled } = await chargedThenEscaped();
      const bridge = new FakeBridge(makeSnapshot({ seq: 9, readers: [reader] }));
      await renderApp(bridge, { session });
      await screen.findByRole('heading', { name: 'Process payment', level: 1 });
      act(() => bridge.push({ seq: 10, type: 'payment', payment: canceled }));
      await waitFor(() => expect(paymentStatus().textContent).toMatch(/^Canceled\. No money was taken\./));
    });

    it('not once the cashier has left it, nor when it ended more than a few minutes ago', async () => {
      const { session, canceled } = await chargedThenEscaped();
      const long = { ...canceled, updatedAt: new Date(Date.now() - 6 * 60_000).toISOString() };
      const stale = await renderApp(new FakeBridge(makeSnapshot({ seq: 9, readers: [reader], payments: [long] })), {
        session,
      });
      expect(await screen.findByRole('heading', { name: 'Create payment', level: 1 })).toBeTruthy();
      stale.unmount();
      const again = await chargedThenEscaped();
      const left = await renderApp(
        new FakeBridge(makeSnapshot({ seq: 9, readers: [reader], payments: [again.canceled] })),
        { session: again.session },
      );
      await screen.findByRole('heading', { name: 'Process payment', level: 1 });
      await left.user.keyboard('{F1}');
      left.unmount();
      await renderApp(new FakeBridge(makeSnapshot({ seq: 9, readers: [reader], payments: [again.canceled] })), {
        session: again.session,
      });
      expect(await screen.findByRole('heading', { name: 'Create payment', level: 1 })).toBeTruthy();
    });
  });

  it('a later part of an installment plan says which part it is, not "pay by link"', async () => {
    // Found in a review: the gateway charges the later parts by itself; only the first is a link.
    const part = (id: string, installment: { part: number; of: number }) =>
      makePayment({
        id,
        channel: 'link',
        status: 'succeeded',
        orderReference: `SOFA-3#${installment.part}`,
        installmentPlanId: 'ipl_sofa',
        installment,
      });
    const bridge = new FakeBridge(
      makeSnapshot({
        seq: 5,
        payments: [part('pay_part2', { part: 2, of: 3 }), part('pay_part1', { part: 1, of: 3 })],
      }),
    );
    const rendered = await openProcess(bridge, 'pay_part2');
    const meta = () => document.querySelector('.payment-card__meta')!.textContent;
    expect(meta()).toContain('Order SOFA-3#2 · installment 2 of 3');
    expect(meta()).not.toContain('pay by link');
    act(() => rendered.store.getState().selectPayment('pay_part1'));
    await waitFor(() => expect(meta()).toContain('Order SOFA-3#1 · installment 1 of 3, pay by link'));
  });

  it('shows the live reader stage in role=status as events arrive: sent → waiting for card → processing → approved', async () => {
    const payment = makePayment({
      id: 'pay_live000001',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'sent',
    });
    const bridge = setup(payment);
    await openProcess(bridge, payment.id);
    expect(paymentStatus().textContent).toMatch(/Sent to the reader/);

    act(() =>
      bridge.push({
        seq: 6,
        type: 'payment',
        payment: { ...payment, readerStage: 'waiting_for_card', updatedAt: new Date().toISOString() },
      }),
    );
    expect(paymentStatus().textContent).toMatch(/Waiting for card/);
    expect(screen.getByRole('list', { name: 'Progress' }).querySelector('[aria-current="step"]')?.textContent).toBe(
      'Waiting for card',
    );

    act(() => bridge.push({ seq: 7, type: 'payment', payment: { ...payment, readerStage: 'processing' } }));
    expect(paymentStatus().textContent).toMatch(/Processing/);
    expect((screen.getByRole('button', { name: 'Cancel payment' }) as HTMLButtonElement).disabled).toBe(true);

    act(() =>
      bridge.push({
        seq: 8,
        type: 'payment',
        payment: { ...payment, status: 'succeeded', readerStage: null, card: { brand: 'visa', last4: '4242' } },
      }),
    );
    expect(paymentStatus().textContent).toMatch(/Approved/);
    expect(screen.queryByRole('button', { name: 'Cancel payment' })).toBeNull();
    expect(screen.getByText(/visa •••• 4242/)).toBeTruthy();
  });

  it('in test mode, points the cashier to the simulate screen while a simulated reader waits for a card', async () => {
    const payment = makePayment({
      id: 'pay_hint000001',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'waiting_for_card',
    });
    const { user, store } = await openProcess(setup(payment), payment.id);
    await user.click(screen.getByRole('button', { name: 'Present a test card (F3)' }));
    expect(store.getState().ui.screen).toBe('simulate');
  });

  it('shows no test-card hint in live mode', async () => {
    const payment = makePayment({
      id: 'pay_hint000002',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'waiting_for_card',
    });
    const bridge = new FakeBridge(
      makeSnapshot({
        seq: 5,
        mode: 'live',
        payments: [payment],
        readers: [makeReader({ canPresentTestCards: false })],
      }),
    );
    await openProcess(bridge, payment.id);
    expect(screen.queryByRole('button', { name: 'Present a test card (F3)' })).toBeNull();
  });

  it('Esc cancels the payment while the card is not yet authorised', async () => {
    const payment = makePayment({
      id: 'pay_esc0000001',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'waiting_for_card',
    });
    const bridge = setup(payment);
    bridge.on('payments.cancel', () =>
      ok({ ...payment, status: 'canceled', readerStage: null, updatedAt: new Date(Date.now() + 1000).toISOString() }),
    );
    const { user } = await openProcess(bridge, payment.id);
    await user.keyboard('{Escape}');
    await waitFor(() => expect(bridge.inputs('payments.cancel')).toEqual([{ paymentId: payment.id }]));
    expect(await screen.findByText(/Canceled\. No money was taken/)).toBeTruthy();
  });

  /** A payment on the reader, Esc pressed, its cancel answered only when the test says so. */
  async function cancelRacingApproval(id: string) {
    const payment = makePayment({ id, status: 'in_progress', readerId: 'rdr_sim1', readerStage: 'waiting_for_card' });
    const bridge = setup(payment);
    const answer = deferred<Result<CommandResult<'payments.cancel'>>>();
    bridge.on('payments.cancel', () => answer.promise);
    const { user } = await openProcess(bridge, payment.id);
    await user.keyboard('{Escape}');
    await waitFor(() => expect(bridge.count('payments.cancel')).toBe(1));
    const refuse = async () => {
      answer.resolve(
        fail('conflict', 'The gateway refused: This payment is already paid: it cannot be aborted.', {
          gatewayType: 'invalid_request',
        }),
      );
      await answer.promise;
    };
    const approve = () =>
      bridge.push({
        seq: 6,
        type: 'payment',
        payment: {
          ...payment,
          status: 'succeeded',
          payUrl: null,
          next: ['refund'],
          updatedAt: new Date(Date.now() + 1000).toISOString(),
        },
      });
    return { refuse, approve };
  }

  it('a Cancel refused because the customer paid just then leaves no error under Approved', async () => {
    const race = await cancelRacingApproval('pay_race000001');
    // The refusal first, then the approval (either order may happen).
    await act(race.refuse);
    expect(shownAlert().textContent).toMatch(/already paid/);
    act(race.approve);
    expect(paymentStatus().textContent).toMatch(/Approved/);
    expect(screen.queryByText(/already paid/)).toBeNull();
  });

  it('a Cancel refused after the approval is already on screen is not shown either', async () => {
    const race = await cancelRacingApproval('pay_race000002');
    act(race.approve);
    await act(race.refuse);
    expect(paymentStatus().textContent).toMatch(/Approved/);
    expect(screen.queryByText(/already paid/)).toBeNull();
  });

  it('offers Esc only while there is something to cancel: not once the payment is approved', async () => {
    const payment = makePayment({
      id: 'pay_esc0000003',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'waiting_for_card',
    });
    const bridge = setup(payment);
    await openProcess(bridge, payment.id);
    expect(screen.getByText('Esc cancels the payment while the card is not yet authorised.')).toBeTruthy();
    act(() =>
      bridge.push({
        seq: 6,
        type: 'payment',
        payment: {
          ...payment,
          status: 'succeeded',
          readerStage: null,
          updatedAt: new Date(Date.now() + 1000).toISOString(),
        },
      }),
    );
    await screen.findByText(/Approved\. The payment is complete/);
    expect(screen.queryByText(/Esc cancels/)).toBeNull();
  });

  it('Esc does nothing while the card is being authorised', async () => {
    const payment = makePayment({
      id: 'pay_esc0000002',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'processing',
    });
    const bridge = setup(payment);
    const { user } = await openProcess(bridge, payment.id);
    await user.keyboard('{Escape}');
    expect(bridge.count('payments.cancel')).toBe(0);
    expect(screen.getByText(/cannot be canceled now/)).toBeTruthy();
  });

  it('a Concert terminal that took the payment: no Cancel, Esc does nothing, and the hint says to stop it on the terminal', async () => {
    // Found in a defect hunt: under "Waiting for card" the screen offered Cancel payment (Esc), and
    // the host's refusal said the card was being authorised while the customer had not touched it.
    const terminal = makeReader({ id: 'rdr_desk', label: 'Desk', kind: 'concert', cancelsUntil: 'request' });
    const sent = makePayment({ id: 'pay_taken00001', status: 'in_progress', readerId: 'rdr_desk', readerStage: null });
    const bridge = setup(sent, [terminal]);
    const { user } = await openProcess(bridge, sent.id);
    // Sent, not yet taken: the terminal can still refuse the request, so the till can cancel.
    expect(screen.getByText('Esc cancels the payment while the card is not yet authorised.')).toBeTruthy();
    act(() =>
      bridge.push({
        seq: 6,
        type: 'payment',
        payment: { ...sent, readerStage: 'waiting_for_card', updatedAt: new Date(Date.now() + 1000).toISOString() },
      }),
    );
    await screen.findByText(/Desk has the payment: the till can no longer cancel it\. .*on the reader itself/);
    expect(screen.queryByText(/Esc cancels/)).toBeNull();
    expect((screen.getByRole('button', { name: 'Cancel payment' }) as HTMLButtonElement).disabled).toBe(true);
    await user.keyboard('{Escape}');
    expect(bridge.count('payments.cancel')).toBe(0);
  });

  it('shows a decline in role=alert and retries the same payment on the same reader with "Try another card"', async () => {
    // The host keeps a declined payment 'pending' with the decline, so another card can be tried.
    const payment = makePayment({
      id: 'pay_decline001',
      status: 'pending',
      readerId: 'rdr_sim1',
      decline: {
        code: 'insufficient_funds',
        message: 'Not enough funds on this card. Ask for another card.',
        anotherCard: true,
        kind: 'declined',
      },
    });
    const bridge = setup(payment);
    bridge.on('payments.process', (input) =>
      ok({
        ...payment,
        status: 'in_progress',
        decline: null,
        readerId: input.readerId,
        readerStage: 'sent',
        updatedAt: new Date(Date.now() + 1000).toISOString(),
      }),
    );
    const { user } = await openProcess(bridge, payment.id);
    const alert = shownAlert();
    expect(alert.textContent).toMatch(/Declined: Not enough funds on this card/);
    await user.click(screen.getByRole('button', { name: 'Try another card' }));
    await waitFor(() =>
      expect(bridge.inputs('payments.process')).toEqual([{ paymentId: payment.id, readerId: 'rdr_sim1' }]),
    );
    await waitFor(() => expect(shownRegions('alert')).toEqual([]));
    expect(paymentStatus().textContent).toMatch(/Sent to the reader/);
  });

  it('moves the focus to "Try another card" when a decline arrives, so Enter retries', async () => {
    const payment = makePayment({
      id: 'pay_decline003',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'processing',
    });
    const bridge = setup(payment);
    bridge.on('payments.process', (input) =>
      ok({
        ...payment,
        readerId: input.readerId,
        readerStage: 'sent',
        updatedAt: new Date(Date.now() + 5000).toISOString(),
      }),
    );
    const { user } = await openProcess(bridge, payment.id);
    act(() =>
      bridge.push({
        seq: 6,
        type: 'payment',
        payment: {
          ...payment,
          status: 'pending',
          readerStage: null,
          decline: {
            code: 'card_declined',
            message: 'Card declined. Ask for another card.',
            anotherCard: true,
            kind: 'declined',
          },
        },
      }),
    );
    expect(shownAlert().textContent).toBe('Declined: Card declined. Ask for another card.');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Try another card' }));
    await user.keyboard('{Enter}');
    await waitFor(() =>
      expect(bridge.inputs('payments.process')).toEqual([{ paymentId: payment.id, readerId: 'rdr_sim1' }]),
    );
  });

  it('offers "Send to reader" instead of "Try another card" when another card will not help', async () => {
    const payment = makePayment({
      id: 'pay_decline002',
      status: 'pending',
      decline: {
        code: 'reader_busy',
        message: 'The reader is busy. Wait for it to finish, then try again.',
        anotherCard: false,
        kind: 'declined',
      },
    });
    await openProcess(setup(payment), payment.id);
    expect(shownAlert().textContent).toMatch(/reader is busy/);
    expect(screen.queryByRole('button', { name: 'Try another card' })).toBeNull();
    expect((screen.getByRole('button', { name: 'Send to reader' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('treats a failed payment as final: decline shown, nothing to send or cancel, a new payment offered', async () => {
    const payment = makePayment({
      id: 'pay_decline004',
      status: 'failed',
      decline: {
        code: 'fraud_suspected',
        message: 'Declined for security reasons. Ask for another form of payment.',
        anotherCard: true,
        kind: 'declined',
      },
    });
    const { user, store } = await openProcess(setup(payment), payment.id);
    expect(shownAlert().textContent).toMatch(/security reasons/);
    expect(screen.queryByRole('button', { name: 'Try another card' })).toBeNull();
    expect((screen.getByRole('button', { name: 'Send to reader' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Cancel payment' }) as HTMLButtonElement).disabled).toBe(true);
    await user.click(screen.getByRole('button', { name: 'New payment (F1)' }));
    expect(store.getState().ui.screen).toBe('create');
  });

  it('does not show an old decline while the payment is back on the reader', async () => {
    const payment = makePayment({
      id: 'pay_decline005',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'waiting_for_card',
      decline: {
        code: 'card_declined',
        message: 'Card declined. Ask for another card.',
        anotherCard: true,
        kind: 'declined',
      },
    });
    await openProcess(setup(payment), payment.id);
    expect(shownRegions('alert')).toEqual([]);
    expect(paymentStatus().textContent).toMatch(/Waiting for card/);
  });

  it('disables "Send to reader" while the push is in flight and while the payment is on the reader', async () => {
    const payment = makePayment({ id: 'pay_flight0001', status: 'pending' });
    const bridge = setup(payment);
    const pending = deferred<Result<CommandResult<'payments.process'>>>();
    bridge.on('payments.process', () => pending.promise);
    const { user } = await openProcess(bridge, payment.id);
    const send = screen.getByRole('button', { name: 'Send to reader' }) as HTMLButtonElement;
    expect(send.disabled).toBe(false);
    await user.click(send);
    expect(send.disabled).toBe(true);
    await user.click(send);
    expect(bridge.count('payments.process')).toBe(1);
    await act(async () =>
      pending.resolve(
        ok({
          ...payment,
          status: 'in_progress',
          readerId: 'rdr_sim1',
          readerStage: 'sent',
          updatedAt: new Date(Date.now() + 1000).toISOString(),
        }),
      ),
    );
    expect((screen.getByRole('button', { name: 'Send to reader' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('lets the cashier pick another online reader; offline readers cannot be picked', async () => {
    const payment = makePayment({ id: 'pay_pick000001', status: 'pending' });
    const readers = [
      makeReader(),
      makeReader({ id: 'rdr_sim2', label: 'Counter 2' }),
      makeReader({ id: 'rdr_off', label: 'Back office', status: 'offline' }),
    ];
    const bridge = setup(payment, readers);
    bridge.on('payments.process', (input) =>
      ok({ ...payment, status: 'in_progress', readerId: input.readerId, readerStage: 'sent' }),
    );
    const { user } = await openProcess(bridge, payment.id);
    const group = screen.getByRole('group', { name: 'Reader' });
    expect((within(group).getByRole('radio', { name: /Back office/ }) as HTMLInputElement).disabled).toBe(true);
    await user.click(within(group).getByRole('radio', { name: /Counter 2/ }));
    await user.click(screen.getByRole('button', { name: 'Send to reader' }));
    await waitFor(() =>
      expect(bridge.inputs('payments.process')).toEqual([{ paymentId: payment.id, readerId: 'rdr_sim2' }]),
    );
  });

  it('shows a failed push as an error with the host’s message, without re-sending it', async () => {
    const payment = makePayment({ id: 'pay_busy000001', status: 'pending' });
    const bridge = setup(payment);
    bridge.on('payments.process', () => fail('conflict', 'Reader Counter 1 is busy with another payment.'));
    const { user } = await openProcess(bridge, payment.id);
    await user.click(screen.getByRole('button', { name: 'Send to reader' }));
    const alert = await findShownAlert();
    // The host's words alone: a conflict's message says what happened and what to do.
    expect(alert.textContent).toBe('Reader Counter 1 is busy with another payment.');
    expect(bridge.count('payments.process')).toBe(1);
  });

  it('refreshes from the host (instead of re-sending) when the connection drops during a push', async () => {
    const payment = makePayment({ id: 'pay_drop000001', status: 'pending' });
    const bridge = setup(payment);
    bridge.on('payments.process', () => fail('internal', 'Connection to the host was lost before it answered.'));
    const { user } = await openProcess(bridge, payment.id);
    const before = bridge.count('session.snapshot');
    await user.click(screen.getByRole('button', { name: 'Send to reader' }));
    await waitFor(() => expect(bridge.count('session.snapshot')).toBe(before + 1));
    expect(bridge.count('payments.process')).toBe(1);
    expect(shownAlert().textContent).toMatch(/Connection to the host was lost/);
  });

  it('without a selected payment, lists open payments to pick from', async () => {
    const payment = makePayment({ id: 'pay_open000001', status: 'pending', amount: 4200, description: 'Table 4' });
    const { user, store } = await renderApp(setup(payment), { screen: 'process' });
    await user.click(screen.getByRole('button', { name: /€42.00 — Table 4/ }));
    expect(store.getState().ui.selectedPaymentId).toBe(payment.id);
    expect(screen.getByRole('button', { name: 'Send to reader' })).toBeTruthy();
  });

  it('without a selection, shows the one payment under way at once (after a reload, say)', async () => {
    const onReader = makePayment({ id: 'pay_onread001', status: 'in_progress', readerStage: 'waiting_for_card' });
    const waiting = makePayment({ id: 'pay_waiting01', status: 'pending', description: 'Table 9' });
    const { store } = await renderApp(
      new FakeBridge(makeSnapshot({ seq: 5, payments: [onReader, waiting], readers: [makeReader()] })),
      { screen: 'process' },
    );
    await waitFor(() => expect(store.getState().ui.selectedPaymentId).toBe(onReader.id));
    expect(paymentStatus().textContent).toMatch(/Waiting for card/);
    // Two under way: the cashier picks.
    const other = makePayment({ id: 'pay_onread002', status: 'in_progress', readerStage: 'sent' });
    const two = await renderApp(
      new FakeBridge(makeSnapshot({ seq: 5, payments: [onReader, other], readers: [makeReader()] })),
      { screen: 'process' },
    );
    expect(two.store.getState().ui.selectedPaymentId).toBe(null);
  });

  it('says what an unknown outcome waits for: the reader, or the gateway (issue 9 #8)', async () => {
    const onReader = makePayment({
      id: 'pay_unknown001',
      transactionId: 'tx_unknown',
      status: 'unknown',
      readerId: 'rdr_sim1',
    });
    const bridge = setup(onReader);
    await openProcess(bridge, onReader.id);
    expect(paymentStatus().textContent).toMatch(/waiting for the reader to say whether the card was charged/);
    expect(paymentStatus().textContent).not.toMatch(/checking with the gateway/);
    act(() => bridge.push({ seq: 6, type: 'payment', payment: { ...onReader, transactionId: null, readerId: null } }));
    expect(paymentStatus().textContent).toMatch(/asking the gateway whether the payment was created/);
  });

  it('never asks for another reader for a payment that may have been charged', async () => {
    // Found by a tester pulling a Concert terminal mid-payment: under "do not charge again" the
    // screen said "Pick an online reader first.", as if sending it elsewhere were the next step.
    const payment = makePayment({ id: 'pay_unplug001', status: 'unknown', readerId: 'rdr_sim1' });
    const bridge = setup(payment, [makeReader({ status: 'offline', statusDetail: 'Reader disconnected' })]);
    await openProcess(bridge, payment.id);
    expect(paymentStatus().textContent).toMatch(/Do not charge again/);
    expect((screen.getByRole('button', { name: 'Send to reader' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByText(/Pick an online reader/)).toBeNull();
    // A payment that can be sent still says why it cannot be yet.
    act(() => bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'pending', readerId: null } }));
    expect(screen.getByText(/Pick an online reader first\./)).toBeTruthy();
  });

  it('names the reader once, with its state and detail (issue 9 #11)', async () => {
    const payment = makePayment({ id: 'pay_rdrstate01', status: 'pending' });
    const bridge = setup(payment, [makeReader({ statusDetail: 'Link healthy' })]);
    await openProcess(bridge, payment.id);
    expect(screen.getByRole('radio', { name: /Counter 1 — Online \(Link healthy\)/ })).toBeTruthy();
    expect(screen.getAllByText(/Counter 1/)).toHaveLength(1);
  });

  it('says a reader holding this payment is busy with this payment, not another one (issue 9 #5)', async () => {
    const payment = makePayment({
      id: 'pay_busy000001',
      transactionId: 'tx_busy',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'waiting_for_card',
    });
    const reader = makeReader({
      action: { paymentId: payment.id, transactionId: 'tx_busy', stage: 'waiting_for_card', status: 'in_progress' },
    });
    const other = makeReader({
      id: 'rdr_sim2',
      label: 'Counter 2',
      action: { paymentId: 'pay_other', transactionId: 'tx_other', stage: 'waiting_for_card', status: 'in_progress' },
    });
    await openProcess(setup(payment, [reader, other]), payment.id);
    expect(screen.getByRole('radio', { name: /Counter 1 — Online, with this payment/ })).toBeTruthy();
    expect(screen.getByRole('radio', { name: /Counter 2 — Online, busy with another payment/ })).toBeTruthy();
  });

  it('never names another reader for a payment whose reader is not in the list', async () => {
    // Found by a tester: a payment on a cloud reader forgotten elsewhere showed "Sent to the reader…
    // (Counter 1)", the picker's fallback, and that reader as the one busy with it.
    const payment = makePayment({
      id: 'pay_gone000001',
      transactionId: 'tx_gone',
      status: 'in_progress',
      readerId: 'tmr_forgotten',
      readerStage: 'sent',
    });
    await openProcess(setup(payment, [makeReader()]), payment.id);
    expect(paymentStatus().textContent).toMatch(/a reader not in the list/);
    expect(paymentStatus().textContent).not.toMatch(/Counter 1/);
    expect((screen.getByRole('radio', { name: /Counter 1/ }) as HTMLInputElement).checked).toBe(false);
  });

  it('a reader timeout is "not completed", not a decline, and offers "Send to reader again" (issue 9 #6)', async () => {
    const payment = makePayment({
      id: 'pay_timeout001',
      status: 'pending',
      readerId: 'rdr_sim1',
      decline: {
        code: 'reader_timeout',
        message: 'No card was presented in time.',
        anotherCard: true,
        kind: 'not_completed',
      },
    });
    await openProcess(setup(payment), payment.id);
    const alert = shownAlert();
    expect(alert.textContent).toBe('Not completed: No card was presented in time.');
    expect(screen.getByRole('list', { name: 'Progress' }).querySelector('[aria-current="step"]')?.textContent).toBe(
      'Not completed',
    );
    expect(paymentStatus().textContent).toMatch(/send it to the reader again/);
    expect(screen.queryByRole('button', { name: 'Try another card' })).toBeNull();
    expect(document.activeElement?.textContent).toBe('Send to reader again');
    expect(document.body.textContent).not.toMatch(/Declined/);
  });

  it('focuses "Try another card" whenever the cashier comes back to a declined payment (issue 9 #4)', async () => {
    const payment = makePayment({
      id: 'pay_refocus001',
      status: 'pending',
      readerId: 'rdr_sim1',
      decline: {
        code: 'card_declined',
        message: 'Card declined. Ask for another card.',
        anotherCard: true,
        kind: 'declined',
      },
    });
    const { user, store } = await openProcess(setup(payment), payment.id);
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Try another card'));
    // F3 to another screen and F2 back, as the README's test-mode steps do.
    await user.keyboard('{F1}');
    expect(store.getState().ui.screen).toBe('create');
    await user.keyboard('{F2}');
    await screen.findByRole('heading', { name: 'Process payment' });
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Try another card'));
    // F8 then opening the payment again lands there too.
    act(() => store.getState().setScreen('attention'));
    act(() => {
      store.getState().selectPayment(payment.id);
      store.getState().setScreen('process');
    });
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Try another card'));
  });

  it('shows an unpaid link with Cancel where the gateway can withdraw it, and without where it cannot', async () => {
    const link = { channel: 'link' as const, payUrl: 'http://127.0.0.1:9/pay/abc', payUrlExpiresAt: null };
    const payplug = makePayment({ id: 'pay_link000001', gateway: 'payplug', currency: 'EUR', ...link });
    const onPayPlug = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [payplug], readers: [], settings: makeSettings({ gateway: 'payplug' }) }),
    );
    const first = await openProcess(onPayPlug, payplug.id);
    expect(screen.getByRole('button', { name: 'Cancel payment' })).toBeTruthy();
    first.unmount();

    // Plural keeps the checkout page open: the host offers no cancel, and the screen says what to do.
    const plural = makePayment({
      id: 'pay_link000002',
      gateway: 'plural',
      currency: 'INR',
      next: ['show_link'],
      ...link,
    });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [plural], readers: [], settings: makeSettings({ gateway: 'plural' }) }),
    );
    await openProcess(bridge, plural.id);
    expect(screen.queryByRole('button', { name: 'Cancel payment' })).toBeNull();
    // Plural gives its page no end: the screen promises none (it said "until it expires").
    expect(screen.getByText(/cannot be withdrawn, and it has no time limit: it stays open\./)).toBeTruthy();
    expect(screen.queryByText(/until it expires/)).toBeNull();
    // While the customer pays, Enter does nothing: the focus is on the title, not on New payment,
    // where a habitual Enter took the QR off the counter screen (found by using the app).
    const title = screen.getByRole('heading', { name: 'Process payment', level: 1 });
    await waitFor(() => expect(document.activeElement).toBe(title));
  });

  it('takes an unpaid Plural link off the customer display, where its code stayed up for the next customer', async () => {
    // Found in a defect hunt: the screen said "take the code down", but nothing took it off the
    // customer display, which kept the QR and its amount until the next payment was started.
    const plural = makePayment({
      id: 'pay_link000003',
      gateway: 'plural',
      currency: 'INR',
      next: ['show_link'],
      channel: 'link',
      payUrl: 'http://127.0.0.1:9/pay/abc',
      payUrlExpiresAt: null,
    });
    const shown = makeDisplay({ version: 4, phase: 'qr', paymentId: plural.id, currency: 'INR', amount: 1250 });
    const bridge = new FakeBridge(
      makeSnapshot({
        seq: 5,
        payments: [plural],
        readers: [],
        settings: makeSettings({ gateway: 'plural' }),
        display: shown,
      }),
    ).on('display.takeDown', () => ok(makeDisplay({ version: 5 })));
    const { user } = await openProcess(bridge, plural.id);
    await user.click(screen.getByRole('button', { name: 'Take the code off the customer display' }));
    expect(bridge.inputs('display.takeDown')).toEqual([{ paymentId: plural.id }]);
    // The display's own event says it is down: the button goes.
    act(() => bridge.push({ type: 'display', seq: 6, display: makeDisplay({ version: 5 }) }));
    await waitFor(() =>
      expect(screen.queryByRole('button', { name: 'Take the code off the customer display' })).toBeNull(),
    );
  });

  it('a link that ends while the cashier watches puts the focus on New payment, so Enter starts the next sale', async () => {
    // Found by using the app (PayPlug and Plural): the customer paid the QR, the screen turned to
    // Approved, and Enter did nothing — the focus stayed on the title where the open link had put it.
    const link = { channel: 'link' as const, payUrl: 'http://127.0.0.1:9/pay/abc', payUrlExpiresAt: null };
    for (const gateway of ['plural', 'payplug'] as const) {
      const payment = makePayment({
        id: `pay_watched_${gateway}`,
        gateway,
        currency: gateway === 'plural' ? 'INR' : 'EUR',
        next: gateway === 'plural' ? ['show_link'] : ['cancel', 'show_link'],
        ...link,
      });
      const bridge = new FakeBridge(
        makeSnapshot({ seq: 5, payments: [payment], readers: [], settings: makeSettings({ gateway }) }),
      );
      const { unmount } = await openProcess(bridge, payment.id);
      const title = screen.getByRole('heading', { name: 'Process payment', level: 1 });
      await waitFor(() => expect(document.activeElement).toBe(title));
      const paid = { ...payment, status: 'succeeded' as const, payUrl: null, next: ['refund' as const] };
      act(() => bridge.push({ seq: 6, type: 'payment', payment: paid }));
      await waitFor(() => expect(paymentStatus().textContent).toMatch(/^Approved/));
      await waitFor(() =>
        expect(document.activeElement).toBe(screen.getByRole('button', { name: 'New payment (F1)' })),
      );
      unmount();
    }
  });

  it('a card payment that ends on its reader while watched puts the focus on New payment, as a link does', async () => {
    // Found in a defect hunt: approved on the reader (or cancelled with Esc) while the cashier
    // watched, the screen turned to Approved (Canceled) and Enter did nothing: the focus stayed on
    // the title, and New payment (F1) was not focused even when the screen was opened again.
    for (const [ending, status] of [
      ['approved', 'succeeded'],
      ['cancelled', 'canceled'],
      ['authorised', 'requires_capture'],
    ] as const) {
      const payment = makePayment({
        id: `pay_card_${ending}`,
        status: 'in_progress',
        readerId: 'rdr_sim1',
        readerStage: 'waiting_for_card',
        next: ['cancel'],
      });
      const bridge = setup(payment);
      const { unmount } = await openProcess(bridge, payment.id);
      const title = screen.getByRole('heading', { name: 'Process payment', level: 1 });
      await waitFor(() => expect(document.activeElement).toBe(title));
      const ended = {
        ...payment,
        status,
        readerStage: null,
        next: [],
        updatedAt: new Date(Date.now() + 1000).toISOString(),
      };
      act(() => bridge.push({ seq: 6, type: 'payment', payment: ended }));
      await waitFor(() => expect(paymentStatus().textContent).not.toMatch(/Waiting for card/));
      await waitFor(() =>
        expect(document.activeElement).toBe(screen.getByRole('button', { name: 'New payment (F1)' })),
      );
      unmount();
    }
  });

  it('a card payment whose outcome is not known keeps the focus where it was: nothing invites charging again', async () => {
    const payment = makePayment({
      id: 'pay_card_unknown',
      status: 'in_progress',
      readerId: 'rdr_sim1',
      readerStage: 'waiting_for_card',
    });
    const bridge = setup(payment);
    await openProcess(bridge, payment.id);
    const title = screen.getByRole('heading', { name: 'Process payment', level: 1 });
    await waitFor(() => expect(document.activeElement).toBe(title));
    const unknown = {
      ...payment,
      status: 'unknown' as const,
      readerStage: null,
      next: [],
      updatedAt: new Date(Date.now() + 1000).toISOString(),
    };
    act(() => bridge.push({ seq: 6, type: 'payment', payment: unknown }));
    await waitFor(() => expect(paymentStatus().textContent).toMatch(/Outcome not known/));
    expect(document.activeElement).toBe(title);
  });

  it('while the host is out of reach, says Esc cancels only once it is back, rather than promising it now', async () => {
    // Found in Chromium: with the host gone, "Esc cancels the payment while the customer has not
    // paid." stayed under a disabled Cancel payment, and Esc did nothing, without a word.
    const payment = makePayment({
      id: 'pay_link_offline',
      gateway: 'payplug',
      currency: 'EUR',
      channel: 'link',
      payUrl: 'http://127.0.0.1:9/pay/abc',
      payUrlExpiresAt: null,
      next: ['cancel', 'show_link'],
    });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [payment], readers: [], settings: makeSettings({ gateway: 'payplug' }) }),
    );
    await openProcess(bridge, payment.id);
    expect(screen.getByText('Esc cancels the payment while the customer has not paid.')).toBeTruthy();
    act(() => bridge.setConnection('closed'));
    expect(screen.queryByText('Esc cancels the payment while the customer has not paid.')).toBeNull();
    expect(
      screen.getByText('Not connected to the host: Esc cancels the payment once the connection is back.'),
    ).toBeTruthy();
  });

  it('a link ending leaves alone a focus the cashier put elsewhere', async () => {
    const payment = makePayment({
      id: 'pay_watched_else',
      gateway: 'payplug',
      currency: 'EUR',
      channel: 'link',
      payUrl: 'http://127.0.0.1:9/pay/abc',
      payUrlExpiresAt: null,
      next: ['cancel', 'show_link'],
    });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [payment], readers: [], settings: makeSettings({ gateway: 'payplug' }) }),
    );
    await openProcess(bridge, payment.id);
    const menu = screen.getByRole('button', { name: /Transactions/ });
    act(() => menu.focus());
    const canceled = { ...payment, status: 'canceled' as const, payUrl: null, next: [] };
    act(() => bridge.push({ seq: 6, type: 'payment', payment: canceled }));
    await waitFor(() => expect(paymentStatus().textContent).toMatch(/^Canceled/));
    expect(document.activeElement).toBe(menu);
  });

  it('says a link that expired unpaid was not completed, never that a card was declined', async () => {
    // Found by using the app: a PayPlug link nobody paid in 15 minutes read "Declined." and
    // "Declined: The payment link expired…", though no card was tried (the customer display says
    // "The payment link has expired. No money was taken.").
    const expired = makePayment({
      id: 'pay_link000004',
      gateway: 'payplug',
      currency: 'EUR',
      channel: 'link',
      status: 'failed',
      decline: {
        code: 'link_expired',
        message: 'The payment link expired before the customer paid. Start a new payment if they still want to pay.',
        anotherCard: false,
        kind: 'not_completed',
      },
    });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [expired], readers: [], settings: makeSettings({ gateway: 'payplug' }) }),
    );
    await openProcess(bridge, expired.id);
    expect(paymentStatus().textContent).toBe('Not completed. No money was taken.');
    const alert = await findShownAlert();
    expect(alert.textContent).toBe(
      'Not completed: The payment link expired before the customer paid. Start a new payment if they still want to pay.',
    );
    expect(document.body.textContent).not.toMatch(/Declined/);
  });

  it('shows an open payment of the gateway the till used before as not followed, without its QR', async () => {
    // Found by using the app: after switching PayPlug → Plural, a PayPlug link showed its QR as
    // waiting to be paid, with Plural's "cannot be withdrawn", and F3 offered Plural's test cards.
    // Not followed: the till no longer holds PayPlug's key (Needs attention says so).
    const link = { channel: 'link' as const, payUrl: 'http://127.0.0.1:9/pay/abc', payUrlExpiresAt: null };
    const earlier = makePayment({
      id: 'pay_link000003',
      gateway: 'payplug',
      currency: 'EUR',
      next: [],
      transactionId: 'pay_pp_abc',
      attention: {
        paymentId: 'pay_link000003',
        createdAt: '2026-01-05T10:00:00Z',
        amount: 1250,
        currency: 'EUR',
        testMode: true,
        reason: "This link was made with PayPlug, and the till no longer holds PayPlug's secret key",
        advice: 'Without switching back to PayPlug, enter its secret key again in Settings (F7) to follow it.',
        since: '2026-01-05T10:00:00Z',
        unsettledRefund: null,
      },
      ...link,
    });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [earlier], readers: [], settings: makeSettings({ gateway: 'plural' }) }),
    );
    const { user } = await openProcess(bridge, earlier.id);
    expect(screen.getByRole('note').textContent).toMatch(
      /Taken with PayPlug\. The till now uses Plural, so this payment is not followed.*Switch back to PayPlug in Settings \(F7\)/,
    );
    expect(screen.queryByRole('img', { name: /QR code of the payment link/ })).toBeNull();
    // No "(the QR code below)" with no code below: what the till last knew, said as such.
    expect(paymentStatus().textContent).toBe('Last known here: Pending.');
    expect(screen.queryByText(/cannot be withdrawn/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Cancel payment' })).toBeNull();
    await user.keyboard('{F3}');
    expect(screen.queryByRole('heading', { name: 'Pay a payment link' })).toBeNull();
  });

  it('says an open link of the gateway the till used before is still followed with its keys, not "not followed"', async () => {
    // Found in a defect hunt: the till reads such a link with PayPlug's keys and records it paid, but
    // the screen said it was not followed and its state might be out of date.
    const earlier = makePayment({
      id: 'pay_link000004',
      gateway: 'payplug',
      currency: 'EUR',
      next: [],
      channel: 'link',
      transactionId: 'pay_pp_def',
      payUrl: 'http://127.0.0.1:9/pay/def',
    });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [earlier], readers: [], settings: makeSettings({ gateway: 'plural' }) }),
    );
    await openProcess(bridge, earlier.id);
    expect(screen.getByRole('note').textContent).toBe(
      "Taken with PayPlug. The till now uses Plural and still follows this link with PayPlug's keys: paid, it " +
        'shows as paid here. Switch back to PayPlug in Settings (F7) to finish, cancel or refund it.',
    );
    expect(paymentStatus().textContent).not.toMatch(/Last known here/);
    expect(screen.queryByRole('button', { name: 'Cancel payment' })).toBeNull();
  });

  it('shows an open payment of the other mode as one the till does not act on, naming the mode', async () => {
    // Found in a defect hunt: live on the same gateway, a test link showed its QR and Cancel payment,
    // which the host refused ("made in test mode"), and nothing said why.
    const testLink = makePayment({
      id: 'pay_link000005',
      testMode: true,
      currency: 'EUR',
      channel: 'link',
      transactionId: 'pay_pt_ghi',
      payUrl: 'http://127.0.0.1:9/pay/ghi',
    });
    const bridge = new FakeBridge(makeSnapshot({ seq: 5, mode: 'live', payments: [testLink], readers: [] }));
    await openProcess(bridge, testLink.id);
    expect(screen.getByRole('note').textContent).toBe(
      'Taken in test mode. The till is now in live mode, so this payment is not followed and its state may be out ' +
        'of date (a customer may still pay its link). Switch back to test mode in Settings (F7) to finish, cancel ' +
        'or refund it.',
    );
    expect(screen.queryByRole('img', { name: /QR code of the payment link/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Cancel payment' })).toBeNull();
  });
});

describe('Process payment: an installment plan', () => {
  const plan: InstallmentPlanView = {
    id: 'ipl_panel00001',
    gateway: 'payplug',
    gatewayPlanId: 'inst_1',
    orderReference: 'ORD-PLAN',
    amount: 9000,
    currency: 'EUR',
    status: 'active',
    schedule: [
      { date: '2026-11-30', amount: 3000, paymentIds: ['pay_1'], paid: false, state: 'waiting' },
      { date: '2026-12-30', amount: 3000, paymentIds: [], paid: false, state: 'scheduled' },
      { date: '2027-01-30', amount: 3000, paymentIds: [], paid: false, state: 'scheduled' },
    ],
    customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
    payUrl: 'http://127.0.0.1:1/payplug/pay/test/1',
    payUrlExpiresAt: new Date(Date.now() + 14 * 60_000).toISOString(),
    failure: null,
    notFollowed: null,
    createdAt: new Date().toISOString(),
  };
  /** A till on PayPlug, whose plans these are. */
  const onPayPlug = () => makeSnapshot({ seq: 5, readers: [], settings: makeSettings({ gateway: 'payplug' }) });
  const rows = () =>
    within(screen.getByRole('table'))
      .getAllByRole('row')
      .slice(1)
      .map((row) => row.lastElementChild?.textContent);

  it('says the first part waits for the customer, how long its link lasts, and follows the plan as it ends', async () => {
    const bridge = new FakeBridge(onPayPlug());
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan(plan);
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    expect(rows()).toEqual(['Waiting for the customer', 'Scheduled', 'Scheduled']);
    expect(screen.getByRole('timer').textContent).toMatch(/^Link valid for 1[34]:\d\d$/);
    // The link lapsed unpaid: PayPlug failed the plan. No QR, no Abort, and the rows say why.
    act(() =>
      bridge.push({
        seq: 6,
        type: 'plan',
        plan: {
          ...plan,
          status: 'failed',
          payUrl: null,
          payUrlExpiresAt: null,
          failure: null,
          schedule: [
            { ...plan.schedule[0]!, state: 'expired' },
            { ...plan.schedule[1]!, state: 'not_charged' },
            { ...plan.schedule[2]!, state: 'not_charged' },
          ],
        },
      }),
    );
    expect(rows()).toEqual(['Link expired', 'Not paid', 'Not paid']);
    expect(screen.queryByRole('img', { name: /QR code/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Abort plan' })).toBeNull();
    // In the till's words, not the gateway's bare "failed (A payment has failed.)".
    const said = () => screen.getAllByRole('status').map((el) => el.textContent ?? '');
    expect(said()).toContain(
      '€90.00 in 3 installments for Grace Hopper: ended, a part was not paid: no further part is charged',
    );
    // Aborted: no "(You have aborted the transaction.)" — a plan is no transaction.
    act(() => bridge.push({ seq: 7, type: 'plan', plan: { ...plan, status: 'aborted', payUrl: null, failure: null } }));
    expect(said()).toContain('€90.00 in 3 installments for Grace Hopper: aborted, no further part is charged');
  });

  it('shows the schedule\'s dates as the app writes dates, not as "2026-11-30"', async () => {
    // Found in a cashier-day hunt: the schedule alone wrote its dates ISO-style.
    const bridge = new FakeBridge(onPayPlug());
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan(plan);
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    const dates = within(screen.getByRole('table'))
      .getAllByRole('row')
      .slice(1)
      .map((row) => row.firstElementChild?.textContent);
    expect(dates).toEqual(['30 Nov 2026', '30 Dec 2026', '30 Jan 2027']);
  });

  it('offers New payment (F1) once the first part is paid or the plan ended, not while the customer pays', async () => {
    // Found in a cashier-day hunt: every other finished payment offers the next sale; a plan did not.
    const bridge = new FakeBridge(onPayPlug());
    bridge.on('installments.abort', () =>
      ok({
        ...plan,
        status: 'aborted',
        payUrl: null,
        payUrlExpiresAt: null,
        schedule: [plan.schedule[0]!, ...plan.schedule.slice(1).map((e) => ({ ...e, state: 'canceled' as const }))],
      }),
    );
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan(plan);
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    expect(screen.queryByRole('button', { name: 'New payment (F1)' })).toBeNull();
    // The first part paid: the rest is charged on its dates, the counter is free.
    act(() =>
      bridge.push({
        seq: 6,
        type: 'plan',
        plan: {
          ...plan,
          payUrl: null,
          payUrlExpiresAt: null,
          schedule: [{ ...plan.schedule[0]!, paid: true, state: 'paid' }, ...plan.schedule.slice(1)],
        },
      }),
    );
    expect(screen.getByRole('button', { name: 'New payment (F1)' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Abort plan' })).toBeTruthy();
    // Aborted: New payment (F1) is still there, and goes to Create payment.
    await rendered.user.click(screen.getByRole('button', { name: 'Abort plan' }));
    await rendered.user.click(screen.getByRole('button', { name: 'Yes, abort the plan' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Abort plan' })).toBeNull());
    await rendered.user.click(screen.getByRole('button', { name: 'New payment (F1)' }));
    expect(rendered.store.getState().ui.screen).toBe('create');
  });

  it('the first part paid while the panel is watched puts the focus on New payment (F1): Enter starts the next sale', async () => {
    // Found in a cashier hunt: the focus stayed on the title, so Enter did nothing, though a link
    // paid on screen focuses New payment.
    const bridge = new FakeBridge(onPayPlug());
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan(plan);
      rendered.store.getState().setScreen('process');
    });
    const title = await screen.findByRole('heading', { name: 'Installment plan' });
    await waitFor(() => expect(document.activeElement).toBe(title));
    act(() =>
      bridge.push({
        seq: 6,
        type: 'plan',
        plan: {
          ...plan,
          payUrl: null,
          payUrlExpiresAt: null,
          schedule: [{ ...plan.schedule[0]!, paid: true, state: 'paid' }, ...plan.schedule.slice(1)],
        },
      }),
    );
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'New payment (F1)' })));
    expect(screen.getByRole('button', { name: 'Abort plan' })).toBeTruthy();
    await rendered.user.keyboard('{Enter}');
    expect(rendered.store.getState().ui.screen).toBe('create');
    expect(bridge.count('installments.abort')).toBe(0);
  });

  it('a plan whose abort the gateway has not confirmed says it is being aborted, with no QR and no second Abort', async () => {
    const bridge = new FakeBridge(onPayPlug());
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan({ ...plan, status: 'aborting', payUrl: null, payUrlExpiresAt: null });
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    expect(
      screen
        .getAllByRole('status')
        .some((el) => /: being aborted — the till confirms it with the gateway/.test(el.textContent ?? '')),
    ).toBe(true);
    expect(screen.queryByRole('img', { name: /QR code/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Abort plan' })).toBeNull();
    expect(screen.getByRole('button', { name: 'New payment (F1)' })).toBeTruthy();
  });

  it('after a reload, F2 shows the plan of an unpaid first part, not the part as a lone link', async () => {
    // Found by using the app: reloaded mid-plan, F2 showed the first part as a lone link with
    // Cancel payment (Esc), and another QR than the plan's; Esc ended the whole plan, unconfirmed.
    const first = makePayment({
      id: 'pay_1',
      gateway: 'payplug',
      channel: 'link',
      orderReference: 'ORD-PLAN#1',
      amount: 3000,
      payUrl: 'http://127.0.0.1:1/payplug/pay/test/part',
      installmentPlanId: plan.id,
      next: ['show_link'],
    });
    const bridge = new FakeBridge(
      makeSnapshot({ seq: 5, payments: [first], readers: [], settings: makeSettings({ gateway: 'payplug' }) }),
    );
    bridge.on('installments.list', () => ok([plan]));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F2}');
    await screen.findByRole('heading', { name: 'Installment plan' });
    expect(rows()).toEqual(['Waiting for the customer', 'Scheduled', 'Scheduled']);
    expect(screen.getByRole('button', { name: 'Abort plan' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel payment' })).toBeNull();
    await user.keyboard('{Escape}');
    expect(bridge.count('payments.cancel')).toBe(0);
  });

  it('shows a plan of the gateway the till used before as still followed with it: no QR, Abort with its keys', async () => {
    // Found by using the app: after switching PayPlug → Plural, the plan's panel still showed its QR
    // and Abort plan, which answered "Plural does not take payments in installments." Abort then went
    // from the panel, though the host aborts such a plan with the keys it follows it with.
    const bridge = new FakeBridge(makeSnapshot({ seq: 5, readers: [], settings: makeSettings({ gateway: 'plural' }) }));
    bridge.on('installments.abort', () => ok({ ...plan, status: 'aborted' }));
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan(plan);
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    const note = screen.getByRole('note').textContent;
    expect(note).toMatch(
      /Taken with PayPlug\. The till now uses Plural and still follows this plan with PayPlug.*Abort plan ends it with PayPlug's keys\. Switch back to PayPlug in Settings \(F7\) to show its QR code\./,
    );
    expect(note).not.toMatch(/not followed/);
    expect(screen.queryByRole('img', { name: /QR code/ })).toBeNull();
    await rendered.user.click(screen.getByRole('button', { name: 'Abort plan' }));
    await rendered.user.click(screen.getByRole('button', { name: 'Yes, abort the plan' }));
    await waitFor(() => expect(bridge.count('installments.abort')).toBe(1));
  });

  it.each([
    {
      // Its gateway's key was removed (the till is on Plural now).
      why: 'its gateway’s key was removed',
      snapshot: () => makeSnapshot({ seq: 5, readers: [], settings: makeSettings({ gateway: 'plural' }) }),
      notFollowed:
        "This till no longer holds PayPlug's secret key, so this plan is not followed: the parts PayPlug charges, " +
        'declines or aborts do not reach Transactions, Needs attention or the reports. Enter the secret key again in ' +
        'Settings (F7) to follow it; the till need not switch back to PayPlug.',
    },
    {
      // The till switched to live mode on PayPlug: a test plan's QR and Abort are the test account's.
      why: 'it is of the other mode, on its own gateway too',
      snapshot: onPayPlug,
      notFollowed:
        "This plan was made in test mode and the till is in live mode, holding only PayPlug's live keys, which " +
        'cannot see it, so this plan is not followed: the parts PayPlug charges, declines or aborts do not reach ' +
        'Transactions, Needs attention or the reports. Switch back to test mode in Settings (F7) to follow it.',
    },
  ])('says what the shop must do when a plan is not followed ($why), without its QR or Abort', async (scene) => {
    const rendered = await renderApp(new FakeBridge(scene.snapshot()));
    act(() => {
      rendered.store.getState().showPlan({ ...plan, notFollowed: scene.notFollowed });
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    expect(screen.getByRole('note').textContent).toBe(`Not followed. ${scene.notFollowed}`);
    expect(screen.queryByRole('img', { name: /QR code/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Abort plan' })).toBeNull();
  });

  it('Abort plan asks first: Escape keeps the plan, Enter on the confirmation aborts it', async () => {
    // Found by a UI hunt: one key press aborted the plan, stopping the customer's later installments.
    const bridge = new FakeBridge(onPayPlug());
    bridge.on('installments.abort', () => ok({ ...plan, status: 'aborted', payUrl: null, payUrlExpiresAt: null }));
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan(plan);
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    const { user } = rendered;
    screen.getByRole('button', { name: 'Abort plan' }).focus();
    await user.keyboard('{Enter}');
    expect(bridge.count('installments.abort')).toBe(0);
    const yes = screen.getByRole('button', { name: 'Yes, abort the plan' });
    expect(document.activeElement).toBe(yes);
    // What aborting does is heard with the "Yes".
    expect(document.getElementById(yes.getAttribute('aria-describedby')!)!.textContent).toBe(
      'Aborting stops the 3 installments not paid yet: the customer is not charged for them. It cannot be undone.',
    );
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('button', { name: 'Yes, abort the plan' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Abort plan' }));
    // Enter on it only asks again.
    await user.keyboard('{Enter}');
    expect(bridge.count('installments.abort')).toBe(0);
    await user.keyboard('{Enter}');
    await waitFor(() => expect(bridge.inputs('installments.abort')).toEqual([{ planId: plan.id }]));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Abort plan' })).toBeNull());
  });

  it('an abort being confirmed is withdrawn when the plan ends meanwhile, and says so', async () => {
    const bridge = new FakeBridge(onPayPlug());
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan(plan);
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    await rendered.user.click(screen.getByRole('button', { name: 'Abort plan' }));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Yes, abort the plan' }));
    act(() => bridge.push({ seq: 6, type: 'plan', plan: { ...plan, status: 'completed', payUrl: null } }));
    expect(screen.queryByRole('button', { name: 'Yes, abort the plan' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Installment plan' }));
    expect(
      shownRegions('status').some(
        (el) => el.textContent === 'The plan ended while you were confirming: nothing was aborted.',
      ),
    ).toBe(true);
    await rendered.user.keyboard('{Enter}');
    expect(bridge.count('installments.abort')).toBe(0);
  });

  it('a second part charged later reads Paid as the plan event says', async () => {
    const bridge = new FakeBridge(onPayPlug());
    const rendered = await renderApp(bridge);
    act(() => {
      rendered.store.getState().showPlan({
        ...plan,
        payUrl: null,
        payUrlExpiresAt: null,
        schedule: [{ ...plan.schedule[0]!, paid: true, state: 'paid' }, plan.schedule[1]!, plan.schedule[2]!],
      });
      rendered.store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    expect(rows()).toEqual(['Paid', 'Scheduled', 'Scheduled']);
    act(() =>
      bridge.push({
        seq: 6,
        type: 'plan',
        plan: {
          ...plan,
          payUrl: null,
          payUrlExpiresAt: null,
          schedule: [
            { ...plan.schedule[0]!, paid: true, state: 'paid' },
            { ...plan.schedule[1]!, paymentIds: ['pay_2'], paid: true, state: 'paid' },
            plan.schedule[2]!,
          ],
        },
      }),
    );
    expect(rows()).toEqual(['Paid', 'Paid', 'Scheduled']);
  });

  it('says how many open payments the snapshot did not carry and what they are for, and lists them on request', async () => {
    // A busy shop: 620 open payments (unpaid links). The snapshot carried the newest 500 and the
    // Process screen never showed the 120 oldest, nor said they existed.
    const all = Array.from({ length: 620 }, (_, i) =>
      makePayment({
        id: `pay_open${String(i).padStart(8, '0')}`,
        orderReference: `OPEN-${i}`,
        description: `Link ${i}`,
        status: 'pending',
        channel: 'link',
        amount: 1000,
        currency: 'EUR',
        createdAt: new Date(Date.parse('2026-06-01T08:00:00.000Z') + i * 1000).toISOString(),
      }),
    ).reverse();
    const bridge = new FakeBridge(makeSnapshot({ payments: all.slice(0, 500) }));
    bridge.on('payments.open', (input) =>
      ok({
        payments: all.slice(input.offset ?? 0, (input.offset ?? 0) + (input.limit ?? 100)),
        total: 620,
        open: [{ currency: 'EUR', count: 620, amount: 620_000 }],
      }),
    );
    await renderApp(bridge, { screen: 'process' });
    const list = (await screen.findByRole('heading', { name: 'Open payments' })).nextElementSibling!;
    // Role queries walk the whole tree: over hundreds of items, jsdom takes seconds for each.
    const items = () => [...list.children].filter((c) => c.tagName === 'LI');
    const notShown = () => document.querySelector<HTMLElement>('[aria-label="Open payments not shown"]');
    await waitFor(() => expect(notShown()).not.toBeNull());
    expect(items()).toHaveLength(500);
    expect(notShown()!.textContent).toContain('Showing the newest 500 of 620 open payments.');
    expect(notShown()!.textContent).toContain('120 older are not shown, for €1,200.00.');
    notShown()!.querySelector('button')!.click();
    await waitFor(() => expect(items()).toHaveLength(600));
    // The pages reach the mirror as they come, before the list's own count: wait for that too.
    await waitFor(() => expect(notShown()!.textContent).toContain('20 older are not shown, for €200.00.'));
    expect(notShown()!.querySelector('button')!.textContent).toBe('Show 20 more');
    notShown()!.querySelector('button')!.click();
    await waitFor(() => expect(items()).toHaveLength(620));
    expect(notShown()).toBeNull();
    expect(items().at(-1)!.textContent).toContain('Link 0');

    // The oldest link is paid while the page is disconnected: the snapshot carries only the newest
    // open payments, so the list kept it as the page had read it, open.
    all.splice(619, 1);
    act(() => bridge.setConnection('closed'));
    act(() => bridge.setConnection('open'));
    await waitFor(() => expect(items()).toHaveLength(619));
    expect(items().at(-1)!.textContent).toContain('Link 1');
  });

  it('keeps "older not shown" right while open payments change with the list open', async () => {
    // The count was the host's total as first read less the pages read: an older link paid while
    // the list was open (and one made since) left it as it was until the screen was opened again.
    const link = (i: number) =>
      makePayment({
        id: `pay_open${String(i).padStart(8, '0')}`,
        orderReference: `OPEN-${i}`,
        description: `Link ${i}`,
        status: 'pending',
        channel: 'link',
        amount: 1000,
        currency: 'EUR',
        createdAt: new Date(Date.parse('2026-06-01T08:00:00.000Z') + i * 1000).toISOString(),
      });
    let all = Array.from({ length: 150 }, (_, i) => link(i)).reverse();
    const bridge = new FakeBridge(makeSnapshot({ seq: 10, payments: all.slice(0, 50) }));
    bridge.on('payments.open', (input) =>
      ok({
        payments: all.slice(input.offset ?? 0, (input.offset ?? 0) + (input.limit ?? 100)),
        total: all.length,
        open: [{ currency: 'EUR', count: all.length, amount: all.length * 1000 }],
      }),
    );
    await renderApp(bridge, { screen: 'process' });
    const list = (await screen.findByRole('heading', { name: 'Open payments' })).nextElementSibling!;
    const items = () => [...list.children].filter((c) => c.tagName === 'LI');
    const notShown = () => document.querySelector<HTMLElement>('[aria-label="Open payments not shown"]');
    await waitFor(() => expect(items()).toHaveLength(100));
    expect(notShown()!.textContent).toContain('50 older are not shown, for €500.00.');

    // Link 10, not shown, is paid.
    const paid = all.find((p) => p.id === 'pay_open00000010')!;
    all = all.filter((p) => p !== paid);
    act(() =>
      bridge.push({
        seq: 11,
        type: 'payment',
        payment: { ...paid, status: 'succeeded', amountCaptured: 1000, updatedAt: new Date().toISOString() },
      }),
    );
    await waitFor(() => expect(notShown()!.textContent).toContain('49 older are not shown, for €490.00.'));
    expect(notShown()!.textContent).toContain('Showing the newest 100 of 149 open payments.');

    // A new link: shown at the top, and the count of the older ones stays right.
    const made = link(500);
    all = [made, ...all];
    act(() => bridge.push({ seq: 12, type: 'payment', payment: made }));
    await waitFor(() => expect(notShown()!.textContent).toContain('Showing the newest 101 of 150 open payments.'));
    expect(notShown()!.textContent).toContain('49 older are not shown, for €490.00.');
    expect(items()[0]!.textContent).toContain('Link 500');
  });
});
