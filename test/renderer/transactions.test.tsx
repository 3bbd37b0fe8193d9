// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import type {
  CommandInput,
  DisputeView,
  InstallmentPlanView,
  NotSentReason,
  RefundView,
  TransactionDetail,
  TransactionView,
} from '../../common/contract';
import {
  deferred,
  fail,
  FakeBridge,
  findShownAlert,
  gatewayFor,
  makePayment,
  makeSettings,
  makeSnapshot,
  makeTransaction,
  ok,
  renderApp,
  shownAlert,
} from './helpers';

const TX_ID = '11111111-2222-3333-4444-555555555555';

function pageOf(data: TransactionView[], currentPage = 1, lastPage = 3, offline = false) {
  return { data, meta: { currentPage, lastPage, perPage: 25, total: 60 }, offline };
}

function listBridge() {
  const bridge = new FakeBridge();
  bridge.on('transactions.list', (input: CommandInput<'transactions.list'>) =>
    ok(pageOf([makeTransaction({ id: TX_ID, reference: `pi_page${input.page ?? 1}` })], input.page ?? 1)),
  );
  return bridge;
}

describe('Transactions screen', () => {
  it('loads the first page with the API defaults and shows the rows', async () => {
    const bridge = listBridge();
    const { user } = await renderApp(bridge);
    await user.keyboard('{F5}');
    expect(await screen.findByText('pi_page1')).toBeTruthy();
    expect(bridge.inputs('transactions.list')[0]).toEqual({
      sortField: 'created_at',
      sortOrder: 'desc',
      page: 1,
      size: 25,
    });
    const row = screen.getByText('pi_page1').closest('tr')!;
    expect(within(row).getByText('€20.00')).toBeTruthy();
    expect(within(row).getByText('Succeeded')).toBeTruthy();
    expect(screen.getByText('60 transactions · page 1 of 3')).toBeTruthy();
  });

  it('says what Search finds: descriptions and emails where the gateway searches, only the start of a reference where the till does', async () => {
    // Found by a tester: on Plural the hint offered descriptions and emails, which found nothing.
    const bridge = new FakeBridge(makeSnapshot({ gateway: gatewayFor('plutopay') }));
    bridge.on('transactions.list', () => ok(pageOf([], 1, 1)));
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    const search = await screen.findByRole('searchbox', { name: 'Search' });
    const hint = () => document.getElementById(search.getAttribute('aria-describedby')!.split(' ')[0]!)!.textContent;
    expect(hint()).toBe('Order reference, transaction reference, description or email');
    // The shop's terminals' payments are the till's alone, and so is every payment with Plural.
    await user.selectOptions(screen.getByLabelText('Charged by'), 'terminal');
    expect(hint()).toBe('The start of an order reference or a transaction reference');
    await user.selectOptions(screen.getByLabelText('Charged by'), 'gateway');
    act(() =>
      bridge.push({
        seq: bridge.snapshot.seq + 1,
        type: 'settings',
        settings: makeSettings({ gateway: 'plural' }),
        mode: 'test',
        merchant: null,
        gateway: gatewayFor('plural'),
      }),
    );
    await waitFor(() => expect(hint()).toBe('The start of an order reference or a transaction reference'));
    // Found in a cashier-day hunt: PayPlug's search finds a card's last four digits, unsaid.
    act(() =>
      bridge.push({
        seq: bridge.snapshot.seq + 2,
        type: 'settings',
        settings: makeSettings({ gateway: 'payplug' }),
        mode: 'test',
        merchant: null,
        gateway: gatewayFor('payplug'),
      }),
    );
    await waitFor(() =>
      expect(hint()).toBe("Order reference, transaction reference, description, email or a card's last four digits"),
    );
  });

  it('a payment captured in part shows what was taken, of what was authorised, like its receipt', async () => {
    // Found by a tester: $50.00 authorised, $20.00 captured read "$50.00 · Succeeded" in the list.
    const bridge = new FakeBridge();
    const rows = [
      // PlutoPay: captured in part.
      makeTransaction({ id: 'pi_part', reference: 'pi_part', currency: 'USD', amount: 5000, amountCaptured: 2000 }),
      // Plural: captured in part, then some of it refunded.
      makeTransaction({
        id: 'v1-part-refunded',
        reference: 'v1-part-refunded',
        currency: 'INR',
        amount: 80_000,
        amountCaptured: 60_000,
        amountRefunded: 10_000,
        status: 'partially_refunded',
      }),
      // Captured whole, and an authorisation not captured yet: the amount alone.
      makeTransaction({ id: 'pi_whole', reference: 'pi_whole', currency: 'USD', amount: 5000, amountCaptured: 5000 }),
      makeTransaction({
        id: 'pi_held',
        reference: 'pi_held',
        currency: 'USD',
        amount: 5000,
        amountCaptured: 0,
        amountCapturable: 5000,
        status: 'requires_capture',
        captureMethod: 'manual',
      }),
    ];
    bridge.on('transactions.list', () => ok(pageOf(rows, 1, 1)));
    const { user } = await renderApp(bridge);
    await user.keyboard('{F5}');
    const amountOf = async (reference: string) =>
      (await screen.findByText(reference)).closest('tr')!.querySelector('td.num')!.textContent;
    expect(await amountOf('pi_part')).toBe('$20.00 of $50.00 authorised');
    expect(await amountOf('v1-part-refunded')).toBe('₹600.00 of ₹800.00 authorised');
    expect(await amountOf('pi_whole')).toBe('$50.00');
    expect(await amountOf('pi_held')).toBe('$50.00');
    const refunded = screen.getByText('v1-part-refunded').closest('tr')!;
    expect(within(refunded).getByText(/₹100\.00 refunded/)).toBeTruthy();
  });

  it('a part of an installment plan says which part it is in Method, not "Link"', async () => {
    // Found in a review: the later parts, which the gateway charges by itself, read as links.
    const bridge = new FakeBridge();
    const rows = [
      makeTransaction({
        id: 'tx_1',
        reference: 'pay_part1',
        paymentMethodType: 'link',
        installment: { part: 1, of: 3 },
      }),
      makeTransaction({
        id: 'tx_2',
        reference: 'pay_part2',
        paymentMethodType: 'card',
        installment: { part: 2, of: 3 },
      }),
      makeTransaction({ id: 'tx_3', reference: 'pay_plain', paymentMethodType: 'link' }),
    ];
    bridge.on('transactions.list', () => ok(pageOf(rows, 1, 1)));
    await renderApp(bridge, { screen: 'transactions' });
    const method = async (reference: string) =>
      (await screen.findByText(reference)).closest('tr')!.querySelectorAll('td')[5]!.textContent;
    expect(await method('pay_part1')).toBe('Installment 1 of 3 (link) •••• 4242');
    expect(await method('pay_part2')).toBe('Installment 2 of 3 •••• 4242');
    expect(await method('pay_plain')).toBe('Link •••• 4242');
  });

  it('sends search, status, method, dates and sort to the API, and starts again at page 1', async () => {
    const bridge = listBridge();
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pi_page1');
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByText('pi_page2');
    await user.type(screen.getByLabelText('Search'), 'coffee');
    await user.selectOptions(screen.getByLabelText('Status'), 'partially_refunded');
    await user.selectOptions(screen.getByLabelText('Method'), 'terminal');
    await user.type(screen.getByLabelText('From'), '2026-01-01');
    await user.type(screen.getByLabelText('To'), '2026-01-31');
    await user.selectOptions(screen.getByLabelText('Sort by'), 'Amount, highest first');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(bridge.count('transactions.list')).toBe(3));
    expect(bridge.inputs('transactions.list')[2]).toEqual({
      search: 'coffee',
      status: 'partially_refunded',
      paymentMethodType: 'terminal',
      dateFrom: '2026-01-01',
      dateTo: '2026-01-31',
      sortField: 'amount',
      sortOrder: 'desc',
      page: 1,
      size: 25,
    });
  });

  it('Enter in a filter list searches, as in the Search field: it does not open the list', async () => {
    // Chromium opens a closed select on Enter: from Status or Sort by, Enter searched nothing.
    const bridge = listBridge();
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pi_page1');
    await user.selectOptions(screen.getByLabelText('Status'), 'partially_refunded');
    screen.getByLabelText('Sort by').focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(bridge.count('transactions.list')).toBe(2));
    expect(bridge.inputs('transactions.list')[1]).toMatchObject({ status: 'partially_refunded', page: 1 });
  });

  it('lets a long order reference wrap after its hyphens, never mid-number, its text unchanged', async () => {
    // A narrow column cut "pos-20261130-175118-…" anywhere: the browser does not break after a
    // hyphen followed by digits (it reads as a minus sign).
    const bridge = listBridge();
    bridge.on('transactions.list', () =>
      ok(pageOf([makeTransaction({ reference: 'txn_long', orderReference: 'pos-20261130-175118-e3d97170' })], 1, 1)),
    );
    await renderApp(bridge, { screen: 'transactions' });
    const cell = (await screen.findByText('pos-20261130-175118-e3d97170')).closest('td')!;
    expect(cell.textContent).toBe('pos-20261130-175118-e3d97170');
    expect([...cell.childNodes].map((n) => (n.nodeName === 'WBR' ? '|' : n.textContent)).join('')).toBe(
      'pos-|20261130-|175118-|e3d97170',
    );
  });

  it('refuses a date range that ends before it starts', async () => {
    const bridge = listBridge();
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pi_page1');
    await user.type(screen.getByLabelText('From'), '2026-02-01');
    await user.type(screen.getByLabelText('To'), '2026-01-01');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(screen.getByText('The "From" date is after the "To" date.')).toBeTruthy();
    expect(bridge.count('transactions.list')).toBe(1);
  });

  it('keeps the last list under a refused date range: nothing is fetched, "0 transactions" is not said', async () => {
    // Found by a cashier: with From after To, the list said "0 transactions · No transactions match"
    // under the date error, as if the refused range had been searched.
    const bridge = listBridge();
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pi_page1');
    await user.type(screen.getByLabelText('From'), '2026-02-01');
    await user.type(screen.getByLabelText('To'), '2026-01-01{Enter}');
    expect(screen.getByText('The "From" date is after the "To" date.')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(bridge.count('transactions.list')).toBe(1);
    expect(screen.getByText('pi_page1')).toBeTruthy();
    expect(screen.getByText('60 transactions · page 1 of 3')).toBeTruthy();
    expect(screen.queryByText('No transactions match.')).toBeNull();
  });

  it('announces a refused date range, which the From field describes', async () => {
    // Found with a screen reader: Search said nothing, the message sat by From, away from the focus.
    const bridge = listBridge();
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pi_page1');
    await user.type(screen.getByLabelText('From'), '2026-02-01');
    await user.type(screen.getByLabelText('To'), '2026-01-01');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(shownAlert().textContent).toBe('Check the highlighted fields.');
    const from = screen.getByLabelText('From');
    expect(from.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(from.getAttribute('aria-describedby')!)?.textContent).toBe(
      'The "From" date is after the "To" date.',
    );
  });

  it('pages with Previous / Next, off at the ends but still focusable', async () => {
    const bridge = listBridge();
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pi_page1');
    const previous = screen.getByRole('button', { name: 'Previous page' });
    expect(previous.getAttribute('aria-disabled')).toBe('true');
    await user.click(previous);
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByText('pi_page2');
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('pi_page3')).toBeTruthy();
    const next = screen.getByRole('button', { name: 'Next page' });
    expect(next.getAttribute('aria-disabled')).toBe('true');
    // Not disabled: a disabled button would drop the focus (it went to Search, found by a tester).
    expect((next as HTMLButtonElement).disabled).toBe(false);
    await user.click(next);
    expect(bridge.inputs('transactions.list').map((i) => i.page)).toEqual([1, 2, 3]);
  });

  it('opens a journaled row by the till’s own payment id: two accounts’ payments may share a gateway id', async () => {
    const bridge = new FakeBridge();
    const rows = [
      makeTransaction({ id: 'tx-1', paymentId: 'pay_mine00000001', reference: 'REF-MINE' }),
      makeTransaction({ id: 'tx-1', paymentId: 'pay_theirs000001', reference: 'REF-THEIRS' }),
    ];
    bridge.on('transactions.list', () => ok(pageOf(rows, 1, 1, true)));
    bridge.on('transactions.get', () =>
      ok({ offline: true, transaction: rows[1]!, refunds: [], timeline: [], payment: null }),
    );
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await user.click(await screen.findByRole('button', { name: 'Details for REF-THEIRS' }));
    await waitFor(() => expect(bridge.inputs('transactions.get')).toEqual([{ transactionId: 'pay_theirs000001' }]));
    // Back, the focus is on the row that was opened, not on the other account's of the same id.
    await screen.findByRole('button', { name: 'Back to transactions' });
    await user.keyboard('{Escape}');
    const details = await screen.findByRole('button', { name: 'Details for REF-THEIRS' });
    await waitFor(() => expect(document.activeElement).toBe(details));
  });

  it('opens a search’s match taken with the previous gateway read only, saying a refund needs the switch back', async () => {
    // Found in a defect hunt: a PayPlug link paid after the switch to Plural was "switch back to see or
    // refund it", although the till reads it with PayPlug's keys; only its refund needs PayPlug.
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'plural' }), gateway: gatewayFor('plural'), readers: [] }),
    );
    bridge.on('transactions.list', () =>
      ok({
        ...pageOf([], 1, 1),
        elsewhere: [
          { gateway: 'payplug', count: 1, readable: [{ paymentId: 'pay_payplug0001', orderReference: 'LINK-7' }] },
        ],
      }),
    );
    const refundNotHere =
      'This payment was taken with PayPlug; the till now uses Plural. Switch back to PayPlug in Settings (F7) to refund it.';
    bridge.on('transactions.get', () =>
      ok({
        offline: false,
        transaction: makeTransaction({ id: 'pay_pp_1', reference: 'pay_pp_1', currency: 'EUR', status: 'succeeded' }),
        refunds: [],
        timeline: [],
        payment: makePayment({ id: 'pay_payplug0001', gateway: 'payplug', channel: 'link', status: 'succeeded' }),
        refundNotHere,
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    const search = await screen.findByRole('searchbox', { name: 'Search' });
    await user.type(search, 'LINK-7{Enter}');
    expect((await screen.findByText(/taken with PayPlug matches/)).textContent).toBe(
      '1 payment taken with PayPlug matches this search, not listed while the till uses Plural: open it below to ' +
        'see it, read from PayPlug; switch back to PayPlug in Settings (F7) to refund, capture or cancel it.',
    );
    await user.click(screen.getByRole('button', { name: 'Details for LINK-7 (PayPlug)' }));
    await waitFor(() => expect(bridge.inputs('transactions.get')).toEqual([{ transactionId: 'pay_payplug0001' }]));
    expect(await screen.findByText(refundNotHere)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Refund' })).toBeNull();
  });

  it('Esc from Details goes back to the same page, the focus on the row that was opened', async () => {
    const bridge = listBridge();
    bridge.on('transactions.get', () =>
      ok({
        offline: false,
        transaction: makeTransaction({ id: TX_ID, reference: 'pi_page2' }),
        refunds: [],
        timeline: [],
        payment: null,
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pi_page1');
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByText('pi_page2');
    await user.click(screen.getByRole('button', { name: 'Details for pi_page2' }));
    await screen.findByRole('button', { name: 'Back to transactions' });
    await user.keyboard('{Escape}');
    const details = await screen.findByRole('button', { name: 'Details for pi_page2' });
    await waitFor(() => expect(document.activeElement).toBe(details));
    expect(screen.getByText('60 transactions · page 2 of 3')).toBeTruthy();
  });

  it('follows a payment that changes while the list is open, on the same page, the focus kept', async () => {
    // Found by using the app: the customer paid a link while the cashier had Transactions open;
    // the row kept reading "Pending" until the screen was left and opened again.
    const payment = makePayment({ id: 'pay_follow0001', channel: 'link', status: 'pending' });
    const bridge = new FakeBridge(makeSnapshot({ seq: 5, payments: [payment] }));
    let status: TransactionView['status'] = 'pending';
    bridge.on('transactions.list', (input: CommandInput<'transactions.list'>) =>
      ok(pageOf([makeTransaction({ id: TX_ID, reference: 'pay_follow', status })], input.page ?? 1)),
    );
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pay_follow');
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    const details = await screen.findByRole('button', { name: 'Details for pay_follow' });
    await waitFor(() => expect(screen.getByText('60 transactions · page 2 of 3')).toBeTruthy());
    details.focus();
    const row = () => screen.getByText('pay_follow').closest('tr')!;
    expect(within(row()).getByText('Pending')).toBeTruthy();

    status = 'requires_capture';
    act(() => bridge.push({ seq: 6, type: 'payment', payment: { ...payment, status: 'requires_capture' } }));
    await waitFor(() => expect(within(row()).getByText('Authorised — to capture')).toBeTruthy());
    expect(bridge.inputs('transactions.list').map((i) => i.page)).toEqual([1, 2, 2]);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Details for pay_follow' }));
  });

  it('lists installment plans with their status in the words Process payment uses', async () => {
    // Found by using the app: the list said "(active)" where the plan's panel says "running".
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
    );
    bridge.on('transactions.list', () => ok(pageOf([], 1, 1)));
    bridge.on('installments.list', () =>
      ok([
        {
          id: 'ipl_list000001',
          gateway: 'payplug' as const,
          gatewayPlanId: 'inst_1',
          orderReference: 'ORD-PLAN',
          amount: 9000,
          currency: 'EUR',
          status: 'active' as const,
          schedule: [],
          customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
          payUrl: null,
          payUrlExpiresAt: null,
          failure: null,
          notFollowed: null,
          createdAt: new Date().toISOString(),
        },
      ]),
    );
    await renderApp(bridge, { screen: 'transactions' });
    expect((await screen.findByRole('button', { name: /Grace Hopper, order ORD-PLAN/ })).textContent).toMatch(
      /\(running\)$/,
    );
  });

  it('a plan opened from Transactions goes back there with Esc, the focus on its button', async () => {
    // Found in a cashier-day hunt: every other detail view goes back with Esc; a plan's did not.
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
    );
    bridge.on('transactions.list', () => ok(pageOf([], 1, 1)));
    bridge.on('installments.list', () =>
      ok([
        {
          id: 'ipl_back000001',
          gateway: 'payplug' as const,
          gatewayPlanId: 'inst_1',
          orderReference: 'ORD-BACK',
          amount: 9000,
          currency: 'EUR',
          status: 'completed' as const,
          schedule: [],
          customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
          payUrl: null,
          payUrlExpiresAt: null,
          failure: null,
          notFollowed: null,
          createdAt: new Date().toISOString(),
        },
      ]),
    );
    const { store, user } = await renderApp(bridge, { screen: 'transactions' });
    await user.click(await screen.findByRole('button', { name: /Grace Hopper, order ORD-BACK/ }));
    await screen.findByRole('heading', { name: 'Installment plan' });
    expect(screen.getByRole('button', { name: 'Back to transactions' }).getAttribute('aria-keyshortcuts')).toBe(
      'Escape',
    );
    await user.keyboard('{Escape}');
    expect(store.getState().ui.screen).toBe('transactions');
    const button = await screen.findByRole('button', { name: /Grace Hopper, order ORD-BACK/ });
    await waitFor(() => expect(document.activeElement).toBe(button));
    // Shown again otherwise (F2 later): no way back to a list it was not opened from.
    act(() => {
      store.getState().showPlan(store.getState().ui.selectedPlan);
      store.getState().setScreen('process');
    });
    await screen.findByRole('heading', { name: 'Installment plan' });
    expect(screen.queryByRole('button', { name: 'Back to transactions' })).toBeNull();
  });

  it('a plan opened from Transactions is read again: the list’s copy is marked meanwhile, then replaced', async () => {
    // Found by a tester: opened from the list, the plan said "running / Scheduled" after PayPlug had
    // charged part 2, until F5.
    const listed: InstallmentPlanView = {
      id: 'ipl_read000001',
      gateway: 'payplug',
      gatewayPlanId: 'inst_1',
      orderReference: 'ORD-READ',
      amount: 9000,
      currency: 'EUR',
      status: 'active',
      schedule: [
        { date: '2026-11-30', amount: 3000, paymentIds: ['pay_1'], paid: true, state: 'paid' },
        { date: '2026-12-30', amount: 3000, paymentIds: [], paid: false, state: 'scheduled' },
        { date: '2027-01-30', amount: 3000, paymentIds: [], paid: false, state: 'scheduled' },
      ],
      customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
      payUrl: null,
      payUrlExpiresAt: null,
      failure: null,
      notFollowed: null,
      createdAt: new Date().toISOString(),
    };
    const fresh: InstallmentPlanView = {
      ...listed,
      schedule: [
        listed.schedule[0]!,
        { ...listed.schedule[1]!, paymentIds: ['pay_2'], paid: true, state: 'paid' },
        listed.schedule[2]!,
      ],
    };
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
    );
    bridge.on('transactions.list', () => ok(pageOf([], 1, 1)));
    bridge.on('installments.list', () => ok([listed]));
    const answer = deferred<InstallmentPlanView>();
    bridge.on('installments.get', async () => ok(await answer.promise));
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await user.click(await screen.findByRole('button', { name: /Grace Hopper, order ORD-READ/ }));
    await screen.findByRole('heading', { name: 'Installment plan' });
    const states = () =>
      within(screen.getByRole('table'))
        .getAllByRole('row')
        .slice(1)
        .map((row) => row.lastElementChild?.textContent);
    // The list's copy at once, said to be so while PayPlug is asked.
    expect(states()).toEqual(['Paid', 'Scheduled', 'Scheduled']);
    expect(screen.getByText('As the list read it: reading it again from PayPlug…')).toBeTruthy();
    expect(bridge.inputs('installments.get')).toEqual([{ planId: listed.id }]);
    act(() => answer.resolve(fresh));
    await waitFor(() => expect(states()).toEqual(['Paid', 'Paid', 'Scheduled']));
    expect(screen.queryByText(/As the list read it/)).toBeNull();
  });

  it('a plan opened from Transactions that cannot be read again says it is shown as the list read it', async () => {
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
    );
    bridge.on('transactions.list', () => ok(pageOf([], 1, 1)));
    bridge.on('installments.list', () =>
      ok([
        {
          id: 'ipl_read000002',
          gateway: 'payplug' as const,
          gatewayPlanId: 'inst_2',
          orderReference: 'ORD-UNREAD',
          amount: 9000,
          currency: 'EUR',
          status: 'active' as const,
          schedule: [],
          customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
          payUrl: null,
          payUrlExpiresAt: null,
          failure: null,
          notFollowed: null,
          createdAt: new Date().toISOString(),
        },
      ]),
    );
    bridge.on('installments.get', () => fail('offline', 'PayPlug did not answer.'));
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await user.click(await screen.findByRole('button', { name: /Grace Hopper, order ORD-UNREAD/ }));
    await screen.findByText('As the list read it: not read again now. PayPlug did not answer.');
  });

  it('says a link nobody paid before it lapsed expired, not a bare "Failed"', async () => {
    const bridge = new FakeBridge();
    bridge.on('transactions.list', () =>
      ok(
        pageOf(
          [
            makeTransaction({ id: TX_ID, reference: 'pay_lapsed', status: 'failed', failureCode: 'link_expired' }),
            makeTransaction({
              id: `${TX_ID}0`,
              reference: 'pay_refused',
              status: 'failed',
              failureCode: 'card_declined',
            }),
          ],
          1,
          1,
        ),
      ),
    );
    await renderApp(bridge, { screen: 'transactions' });
    const row = (reference: string) => screen.getByText(reference).closest('tr')!;
    await screen.findByText('pay_lapsed');
    expect(within(row('pay_lapsed')).getByText('Failed: link expired, not paid')).toBeTruthy();
    expect(within(row('pay_refused')).getByText('Failed')).toBeTruthy();
  });

  it('says how a payment the gateway never had ended, and that it was not charged, not a bare status', async () => {
    const bridge = new FakeBridge();
    const unsent = (reference: string, status: 'canceled' | 'failed', notSent: NotSentReason) =>
      makeTransaction({ id: reference, reference, status, notSent });
    bridge.on('transactions.list', () =>
      ok(
        pageOf(
          [
            unsent('pay_unsent', 'canceled', 'canceled'),
            unsent('pay_tipwait', 'canceled', 'canceled_awaiting_tip'),
            unsent('pay_notmade', 'failed', 'not_made'),
            unsent('pay_refused', 'failed', 'refused'),
            unsent('pay_neversent', 'failed', 'not_sent'),
            makeTransaction({ id: TX_ID, reference: 'pay_voided', status: 'canceled' }),
          ],
          1,
          6,
        ),
      ),
    );
    await renderApp(bridge, { screen: 'transactions' });
    const row = (reference: string) => screen.getByText(reference).closest('tr')!;
    await screen.findByText('pay_unsent');
    expect(within(row('pay_unsent')).getByText('Canceled before it was sent: not charged')).toBeTruthy();
    expect(within(row('pay_tipwait')).getByText('Canceled while waiting for the tip: not charged')).toBeTruthy();
    expect(within(row('pay_notmade')).getByText('Recorded as not made: not charged')).toBeTruthy();
    expect(within(row('pay_refused')).getByText('Refused by the gateway: not charged')).toBeTruthy();
    expect(within(row('pay_neversent')).getByText('Never sent (gateway unreachable): not charged')).toBeTruthy();
    expect(within(row('pay_voided')).getByText('Canceled')).toBeTruthy();
  });

  it('says "more than" when the gateway gives no count, only that more pages follow', async () => {
    // Found by a tester: PayPlug's page 1 said "26 transactions · page 1 of 2", page 2 "30".
    const bridge = new FakeBridge();
    bridge.on('transactions.list', () =>
      ok({
        data: [makeTransaction({ id: TX_ID, reference: 'pay_more' })],
        meta: { currentPage: 1, lastPage: 2, perPage: 25, total: 26, more: true as const },
        offline: false,
      }),
    );
    await renderApp(bridge, { screen: 'transactions' });
    expect(await screen.findByText('More than 25 transactions · page 1 of 2 or more')).toBeTruthy();
  });

  it('a search that fails clears the rows of the previous one', async () => {
    const bridge = listBridge();
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pi_page1');
    bridge.on('transactions.list', () => fail('gateway', 'The gateway refused: payment_method_type is invalid'));
    await user.selectOptions(screen.getByLabelText('Method'), 'link');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect((await findShownAlert()).textContent).toMatch(/payment_method_type is invalid/);
    expect(screen.queryByText('pi_page1')).toBeNull();
    expect(screen.queryByText(/60 transactions/)).toBeNull();
  });

  it("offers only the methods the till's gateway produces (PayPlug: link, card), and a terminal's own", async () => {
    // Found by a tester: on PayPlug the Method filter offered Card, Wallet, Bank transfer and Terminal.
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
    );
    bridge.on('transactions.list', () => ok(pageOf([makeTransaction({ id: TX_ID, reference: 'pay_1' })], 1, 1)));
    const { user } = await renderApp(bridge, { screen: 'transactions' });
    await screen.findByText('pay_1');
    const methods = () =>
      within(screen.getByLabelText('Method'))
        .getAllByRole('option')
        .map((o) => (o as HTMLOptionElement).value);
    expect(methods()).toEqual(['', 'link', 'card']);
    // The payments terminals charged through the shop's own bank were all paid on the terminal.
    await user.selectOptions(screen.getByLabelText('Charged by'), 'terminal');
    expect(methods()).toEqual(['', 'terminal']);
  });

  it('shows the API error when the list cannot load', async () => {
    const bridge = new FakeBridge();
    bridge.on('transactions.list', () => fail('offline', 'The gateway did not answer.'));
    await renderApp(bridge, { screen: 'transactions' });
    const alert = await findShownAlert();
    expect(alert.textContent).toMatch(/Could not load transactions\. The gateway did not answer\./);
    expect(alert.textContent).toMatch(/try again when it is back/);
  });

  describe('detail and refund', () => {
    /** `hold` lets a test keep a refund in progress until it says so. */
    function detailBridge(transaction: TransactionView, hold: () => Promise<void> = () => Promise.resolve()) {
      const bridge = listBridge();
      let current: TransactionDetail = {
        offline: false,
        transaction,
        refunds: [],
        timeline: [
          { at: '2026-01-05T10:00:00Z', event: 'created', detail: null },
          { at: '2026-01-05T10:00:05Z', event: 'reader_sent', detail: 'Counter 1' },
        ],
        payment: makePayment({ id: 'pay_detail0001', transactionId: transaction.id }),
      };
      bridge.on('transactions.get', () => ok(current));
      bridge.on('payments.refund', async (input) => {
        await hold();
        const amount = input.amount ?? transaction.amount - transaction.amountRefunded;
        current = {
          ...current,
          transaction: {
            ...current.transaction,
            amountRefunded: current.transaction.amountRefunded + amount,
            status: 'partially_refunded',
          },
          refunds: [
            {
              id: 'ref_1',
              reference: 're_1',
              amount,
              currency: 'EUR',
              status: 'succeeded',
              reason: input.reason ?? null,
              createdAt: '2026-01-05T11:00:00Z',
            },
          ],
        };
        return ok(makePayment({ id: 'pay_detail0001', status: 'partially_refunded', amountRefunded: amount }));
      });
      return bridge;
    }

    it('while the gateway is down, says the list and the detail are the till’s own records, and still refunds', async () => {
      const transaction = makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 2000, amountCaptured: 2000 });
      const bridge = detailBridge(transaction);
      bridge.on('transactions.list', () => ok(pageOf([transaction], 1, 1, true)));
      bridge.on('transactions.get', () =>
        ok({
          offline: true,
          transaction,
          refunds: [],
          timeline: [],
          payment: makePayment({ id: 'pay_detail0001', transactionId: TX_ID }),
        }),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      expect(await screen.findByText(/The gateway is not answering: these are this till's own payments/)).toBeTruthy();
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      expect(await screen.findByText(/A refund made now is queued and sent when the gateway is back/)).toBeTruthy();
      await user.click(screen.getByRole('button', { name: 'Refund' }));
      await waitFor(() => expect(bridge.inputs('payments.refund')).toHaveLength(1));
    });

    it('a list the gateway answered unreadably says so, not that the gateway is not answering', async () => {
      const transaction = makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 2000, amountCaptured: 2000 });
      const bridge = detailBridge(transaction);
      bridge.on('transactions.list', () =>
        ok({ ...pageOf([transaction], 1, 1), unreadable: "The gateway's answer to GET /v1/transactions is not JSON." }),
      );
      await renderApp(bridge, { screen: 'transactions' });
      expect(
        await screen.findByText(
          "The gateway answered with a list this till could not read: these are this till's own payments with it. Open one to refund it. (The gateway's answer to GET /v1/transactions is not JSON.)",
        ),
      ).toBeTruthy();
      expect(screen.queryByText(/The gateway is not answering/)).toBeNull();
    });

    it('a payment’s details the gateway answered unreadably say so, not that it is not answering', async () => {
      const transaction = makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 2000, amountCaptured: 2000 });
      const bridge = detailBridge(transaction);
      bridge.on('transactions.get', () =>
        ok({
          offline: false,
          unreadable: "The gateway's answer to GET /v1/transactions/pi_page1 is not JSON.",
          transaction,
          refunds: [],
          timeline: [],
          payment: null,
        }),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      expect(
        await screen.findByText(
          "The gateway answered about this payment in a way this till could not read: this is the till's own record of it, and it is in Needs attention until the gateway answers readably. (The gateway's answer to GET /v1/transactions/pi_page1 is not JSON.)",
        ),
      ).toBeTruthy();
      expect(screen.queryByText(/The gateway is not answering/)).toBeNull();
    });

    it('Enter twice on a partial refund refunds the part once, never what is left', async () => {
      // Found by a tester: the field offered the rest with the cursor still in it, so a second Enter
      // refunded the whole payment.
      const bridge = detailBridge(
        makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 5000, amountCaptured: 5000 }),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      await user.clear(amount);
      await user.type(amount, '100{Enter}');
      expect(await screen.findByText('Refunded €1.00.')).toBeTruthy();
      expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Transaction pi_page1' }));
      await user.keyboard('{Enter}');
      await waitFor(() => expect(bridge.count('transactions.get')).toBe(2));
      expect(bridge.inputs('payments.refund')).toEqual([{ paymentId: TX_ID, amount: 100 }]);
    });

    it('opens the detail with its timeline, refunds a part, and reloads it', async () => {
      const bridge = detailBridge(
        makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 2000, amountCaptured: 2000 }),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      expect(await screen.findByRole('heading', { name: 'Transaction pi_page1' })).toBeTruthy();
      expect(bridge.inputs('transactions.get')).toEqual([{ transactionId: TX_ID }]);
      // Two ids, each named for what it is: the reference in the heading, the API's id below.
      expect(screen.getByText("Gateway's API id").nextElementSibling?.textContent).toBe(TX_ID);
      expect(screen.getByText('Reader sent')).toBeTruthy();
      expect(screen.getByText('No refunds.')).toBeTruthy();

      const amount = screen.getByLabelText('Refund amount') as HTMLInputElement;
      expect(amount.value).toBe('€20.00');
      await user.clear(amount);
      await user.type(amount, '750');
      await user.type(screen.getByLabelText('Reason (optional)'), 'Cold coffee');
      await user.click(screen.getByRole('button', { name: 'Refund' }));
      await waitFor(() =>
        expect(bridge.inputs('payments.refund')).toEqual([{ paymentId: TX_ID, amount: 750, reason: 'Cold coffee' }]),
      );
      expect(await screen.findByText('Refunded €7.50.')).toBeTruthy();
      await waitFor(() => expect(bridge.count('transactions.get')).toBe(2));
      expect(await screen.findByText('Cold coffee')).toBeTruthy();
      // What is left to refund is offered next.
      expect((screen.getByLabelText('Refund amount') as HTMLInputElement).value).toBe('€12.50');
    });

    it('refuses to refund more than is left, showing the amount as typed, never a shorter one', async () => {
      const bridge = detailBridge(
        makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 3100, amountCaptured: 3100 }),
      );
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      await user.clear(amount);
      await user.type(amount, '3200');
      expect(amount.value).toBe('€32.00');
      expect(screen.getByText('The amount can be at most €31.00.')).toBeTruthy();
      await user.click(screen.getByRole('button', { name: 'Refund' }));
      expect(bridge.count('payments.refund')).toBe(0);
      expect(shownAlert().textContent).toMatch(/Not refunded/);
    });

    it('refuses a negative refund amount on its field, and sends nothing', async () => {
      // Found by a tester: the field dropped a typed minus, so "-1" refunded €0.01.
      const bridge = detailBridge(
        makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 3100, amountCaptured: 3100 }),
      );
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      await user.clear(amount);
      await user.type(amount, '-1');
      expect(amount.value).toBe('\u2212€0.01');
      expect(amount.getAttribute('aria-invalid')).toBe('true');
      expect(screen.getByText('An amount cannot be negative: delete the minus sign.')).toBeTruthy();
      await user.click(screen.getByRole('button', { name: 'Refund' }));
      await user.type(amount, '{Enter}');
      expect(bridge.count('payments.refund')).toBe(0);
      // Deleted, the minus leaves a plain amount that refunds.
      await user.clear(amount);
      await user.type(amount, '100');
      expect(amount.value).toBe('€1.00');
      expect(amount.getAttribute('aria-invalid')).not.toBe('true');
      await user.click(screen.getByRole('button', { name: 'Refund' }));
      await waitFor(() => expect(bridge.inputs('payments.refund')).toEqual([{ paymentId: TX_ID, amount: 100 }]));
    });

    it('a full refund names its amount, never "whatever is left"', async () => {
      const bridge = detailBridge(makeTransaction({ id: TX_ID, reference: 'pi_page1' }));
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      await user.click(await screen.findByRole('button', { name: 'Refund' }));
      await waitFor(() => expect(bridge.inputs('payments.refund')).toEqual([{ paymentId: TX_ID, amount: 2000 }]));
    });

    it('keeps an amount typed while an earlier refund is being made, and refunds exactly that', async () => {
      const first = deferred<void>();
      let calls = 0;
      const bridge = detailBridge(
        makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 1000, amountCaptured: 1000 }),
        () => (++calls === 1 ? first.promise : Promise.resolve()),
      );
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      await user.clear(amount);
      await user.type(amount, '420');
      await user.click(screen.getByRole('button', { name: 'Refund' }));
      await waitFor(() => expect(bridge.count('payments.refund')).toBe(1));

      // The next customer's refund is typed while the first one is still being made.
      await user.clear(amount);
      await user.type(amount, '300');
      await user.type(amount, '{Enter}');
      expect(bridge.count('payments.refund')).toBe(1);
      expect(screen.getByText('Refunding €4.20… Another refund can be made once it is done.')).toBeTruthy();

      first.resolve();
      expect(await screen.findByText('Refunded €4.20.')).toBeTruthy();
      await waitFor(() => expect(bridge.count('transactions.get')).toBe(2));
      await screen.findByText('Up to €5.80. Type a smaller amount for a partial refund.');
      // The reloaded detail (€5.80 left) does not replace what the cashier typed.
      expect((screen.getByLabelText('Refund amount') as HTMLInputElement).value).toBe('€3.00');

      await user.click(screen.getByRole('button', { name: 'Refund' }));
      await waitFor(() =>
        expect(bridge.inputs('payments.refund')).toEqual([
          { paymentId: TX_ID, amount: 420 },
          { paymentId: TX_ID, amount: 300 },
        ]),
      );
      expect(await screen.findByText('Refunded €3.00.')).toBeTruthy();
    });

    it('takes the next amount typed while a refund is made as a new amount, and keeps the cursor there', async () => {
      // Found in Chromium: Enter on €1.00, then 2 0 0 typed for the next customer read €1,002.00 (the
      // digits went after the amount being refunded), and once the refund was made the cursor was on
      // the title, so the Enter that followed refunded nothing.
      const first = deferred<void>();
      let calls = 0;
      const bridge = detailBridge(
        makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 1000, amountCaptured: 1000 }),
        () => (++calls === 1 ? first.promise : Promise.resolve()),
      );
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      await user.clear(amount);
      await user.type(amount, '100{Enter}');
      await waitFor(() => expect(bridge.count('payments.refund')).toBe(1));
      expect(screen.getByText('Refunding €1.00… Another refund can be made once it is done.')).toBeTruthy();
      await user.keyboard('300');
      expect(amount.value).toBe('€3.00');

      first.resolve();
      expect(await screen.findByText('Refunded €1.00.')).toBeTruthy();
      await screen.findByText('Up to €9.00. Type a smaller amount for a partial refund.');
      const field = screen.getByLabelText('Refund amount') as HTMLInputElement;
      expect(field.value).toBe('€3.00');
      expect(document.activeElement).toBe(field);
      await user.keyboard('{Enter}');
      await waitFor(() =>
        expect(bridge.inputs('payments.refund')).toEqual([
          { paymentId: TX_ID, amount: 100 },
          { paymentId: TX_ID, amount: 300 },
        ]),
      );
    });

    it('a refund refused puts back the amount it was for, unless another was typed meanwhile', async () => {
      const bridge = detailBridge(makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 1000 }));
      bridge.on('payments.refund', () => fail('gateway', 'The gateway refused the refund.'));
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      await user.clear(amount);
      await user.type(amount, '420{Enter}');
      expect(await screen.findByText(/The gateway refused the refund/)).toBeTruthy();
      expect(amount.value).toBe('€4.20');
    });

    it('a note saved as it already is sends nothing and says nothing changed', async () => {
      // Found in Chromium (PayPlug): Save note pressed again on the same note wrote it to the gateway
      // again and added a second identical "Note — …" to the payment's timeline.
      const payment = makePayment({ id: 'pay_detail0001', gateway: 'payplug', transactionId: TX_ID });
      const bridge = new FakeBridge(
        makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), payments: [payment] }),
      );
      let note: string | null = 'Gift wrap';
      bridge.on('transactions.get', () =>
        ok({
          offline: false,
          transaction: { ...makeTransaction({ id: TX_ID, reference: 'pay_1' }), note },
          refunds: [],
          timeline: [],
          payment,
        }),
      );
      bridge.on('payments.annotate', (input) => {
        note = input.note || null;
        return ok(payment);
      });
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      const field = (await screen.findByLabelText('Note kept with the payment')) as HTMLInputElement;
      expect(field.value).toBe('Gift wrap');
      await user.click(screen.getByRole('button', { name: 'Save note' }));
      expect(await screen.findByText('Nothing changed: the note is already saved with the payment.')).toBeTruthy();
      expect(bridge.count('payments.annotate')).toBe(0);
      // Changed, it is saved.
      await user.type(field, ', blue paper');
      await user.click(screen.getByRole('button', { name: 'Save note' }));
      await waitFor(() =>
        expect(bridge.inputs('payments.annotate')).toEqual([{ paymentId: payment.id, note: 'Gift wrap, blue paper' }]),
      );
    });

    it('shows a refused refund next to the amount and in an alert', async () => {
      const bridge = detailBridge(makeTransaction({ id: TX_ID, reference: 'pi_page1' }));
      bridge.on('payments.refund', () =>
        fail('validation', 'amount: more than what is left to refund', {
          issues: [{ path: 'amount', message: 'more than what is left to refund' }],
        }),
      );
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      await user.click(await screen.findByRole('button', { name: 'Refund' }));
      expect(await screen.findByText('Amount: more than what is left to refund.')).toBeTruthy();
      expect(shownAlert().textContent).toMatch(/Not refunded/);
    });

    it('a refund refused once another tab refunded the payment in full is still said, with the form gone', async () => {
      // Found in Chromium with two tabs on one payment's details: the other tab's refusal went with
      // its refund form, and nothing on screen said the refund pressed there was not made.
      const paid = makePayment({
        id: 'pay_detail0001',
        transactionId: TX_ID,
        status: 'succeeded',
        amount: 2000,
        amountCaptured: 2000,
      });
      const bridge = detailBridge(makeTransaction({ id: TX_ID, reference: 'pi_page1' }));
      bridge.snapshot = makeSnapshot({ seq: 1, payments: [paid] });
      const refusal = deferred<ReturnType<typeof fail>>();
      bridge.on('payments.refund', () => refusal.promise);
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      await user.click(await screen.findByRole('button', { name: 'Refund' }));
      // Meanwhile the other tab refunds all of it: the details are read again and offer no refund.
      const refunded = makeTransaction({ id: TX_ID, reference: 'pi_page1', status: 'refunded', amountRefunded: 2000 });
      bridge.on('transactions.get', () =>
        ok({ offline: false, transaction: refunded, refunds: [], timeline: [], payment: paid }),
      );
      act(() =>
        bridge.push({
          seq: 2,
          type: 'payment',
          payment: { ...paid, status: 'refunded', amountRefunded: 2000, updatedAt: new Date().toISOString() },
        }),
      );
      await waitFor(() => expect(screen.queryByLabelText('Refund amount')).toBeNull());
      const message = 'The refund amount can be at most €0.00, what is left to refund.';
      refusal.resolve(fail('validation', message, { issues: [{ path: 'amount', message }] }));
      await waitFor(() =>
        expect(shownAlert().textContent).toBe('Not refunded: €20.00 — this payment is refunded already.'),
      );
    });

    it('a payment refunded in full says so where the refund form was, and offers no refund', async () => {
      // Found using the app: the form only went away, and a refund pressed elsewhere was refused with
      // "The refund amount can be at most €0.00, what is left to refund".
      const bridge = detailBridge(
        makeTransaction({ id: TX_ID, reference: 'pi_page1', status: 'refunded', amountRefunded: 2000 }),
      );
      const { store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      expect(await screen.findByText('Nothing is left to refund: €20.00 was refunded already.')).toBeTruthy();
      expect(screen.queryByLabelText('Refund amount')).toBeNull();
      expect(screen.queryByRole('button', { name: 'Refund' })).toBeNull();
    });

    it('a refund the host kept to send (queued) is asked for: the form does not offer it again', async () => {
      // Found in a cashier-day hunt on PayPlug: a refund answered with a 500 was kept to send, but the
      // form put its amount back with the message as if nothing was made; Enter again made a second.
      const transaction = makeTransaction({ id: TX_ID, reference: 'pi_page1', amount: 3100, amountCaptured: 3100 });
      const bridge = detailBridge(transaction);
      let refunds: RefundView[] = [];
      bridge.on('transactions.get', () =>
        ok({
          offline: false,
          transaction,
          refunds,
          timeline: [],
          payment: makePayment({ id: 'pay_detail0001', transactionId: TX_ID }),
        }),
      );
      const message =
        'The gateway is unreachable (The gateway failed (500)). The refund is queued and will be sent automatically when the connection returns.';
      bridge.on('payments.refund', (input) => {
        refunds = [
          {
            id: 'refund-pay_detail0001-1',
            reference: 'refund-pay_detail0001-1',
            amount: input.amount!,
            currency: 'EUR',
            status: 'queued',
            reason: 'queued: not at PayPlug yet; the till sends it by itself',
            createdAt: '2026-01-05T11:00:00Z',
          },
        ];
        return fail('offline', message, { queued: true });
      });
      const { store, user } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      await user.clear(amount);
      await user.type(amount, '31');
      await user.type(screen.getByLabelText('Reason (optional)'), 'Wrong size{Enter}');
      await waitFor(() => expect(bridge.inputs('payments.refund')).toHaveLength(1));
      expect(await screen.findByText(message)).toBeTruthy();
      // Read again: the queued €0.31 is listed, only the rest is offered, and the reason is not kept.
      await waitFor(() => expect(amount.value).toBe('€30.69'));
      expect((screen.getByLabelText('Reason (optional)') as HTMLInputElement).value).toBe('');
      expect(screen.queryByText(/^Not refunded/)).toBeNull();
      expect(document.activeElement?.tagName).toBe('H1');
      await user.keyboard('{Enter}');
      expect(bridge.inputs('payments.refund')).toHaveLength(1);
    });

    it('the rest of a payment asked for and queued is not offered again: said as waiting for the gateway', async () => {
      // Found using the app: with the gateway down, the details kept offering the €15.00 already queued,
      // and the host refused it as "at most €0.00"; a cashier could take that as the refund being lost.
      const transaction = makeTransaction({
        id: TX_ID,
        reference: 'pi_page1',
        status: 'partially_refunded',
        amountRefunded: 500,
      });
      const queued = (amount: number) => ({
        id: `refund-pay_detail0001-${amount}`,
        reference: `refund-pay_detail0001-${amount}`,
        amount,
        currency: 'EUR',
        status: 'queued',
        reason: 'queued: sent when the gateway answers',
        createdAt: '2026-01-05T11:00:00Z',
      });
      let refunds = [queued(1000)];
      const bridge = detailBridge(transaction);
      bridge.on('transactions.get', () =>
        ok({
          offline: true,
          transaction,
          refunds,
          timeline: [],
          payment: makePayment({ id: 'pay_detail0001', transactionId: TX_ID, amountRefunded: 500 }),
        }),
      );
      const { store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      // €10.00 of the €15.00 left is queued: only €5.00 is offered.
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      expect(amount.value).toBe('€5.00');
      expect(screen.getByText(/^Up to €5\.00\./)).toBeTruthy();
      // All of it queued: nothing is offered, and the details say the refunds asked for will be sent.
      refunds = [queued(1000), queued(500)];
      act(() => store.getState().openTransaction(null));
      act(() => store.getState().openTransaction(TX_ID));
      expect(
        await screen.findByText(
          'Nothing is left to refund: €5.00 was refunded already and 2 refunds of €15.00 already asked for are ' +
            'waiting for PlutoPay. They will be sent when PlutoPay is reachable: do not refund again.',
        ),
      ).toBeTruthy();
      expect(screen.queryByLabelText('Refund amount')).toBeNull();
      expect(screen.queryByRole('button', { name: 'Refund' })).toBeNull();
    });

    it('a refund the gateway holds as pending is said as not yet confirmed, not as refunded', async () => {
      // Found reading the details: a Plural refund order not yet processed was said as "€20.00 was refunded
      // already", so the cashier could not tell it would still go through.
      const transaction = makeTransaction({
        id: TX_ID,
        reference: 'pi_page1',
        status: 'refunded',
        amountRefunded: 2000,
      });
      const bridge = detailBridge(transaction);
      bridge.on('transactions.get', () =>
        ok({
          offline: false,
          transaction,
          refunds: [
            {
              id: 're_pending',
              reference: 're_pending',
              amount: 2000,
              currency: 'EUR',
              status: 'pending',
              reason: null,
              createdAt: '2026-01-05T11:00:00Z',
            },
          ],
          timeline: [],
          payment: makePayment({ id: 'pay_detail0001', transactionId: TX_ID, amountRefunded: 2000 }),
        }),
      );
      const { store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      expect(
        await screen.findByText(
          'Nothing is left to refund: a refund of €20.00 asked for is not yet confirmed by PlutoPay. ' +
            'PlutoPay is still processing it: do not refund again.',
        ),
      ).toBeTruthy();
      expect(screen.queryByLabelText('Refund amount')).toBeNull();
    });

    it("money the customer's bank disputes is not offered for refund, in the host's words", async () => {
      // Found using the app: the form offered all €20.00 of a payment with €15.00 disputed, and the host
      // refused it afterwards ("at most €5.00: the customer's bank disputes €15.00 of this payment").
      const transaction = makeTransaction({ id: TX_ID, reference: 'pi_page1' });
      const dispute = (amount: number, status: DisputeView['status']): DisputeView => ({
        id: `dp_${amount}_${status}`,
        reference: `dp_${amount}_${status}`,
        gateway: 'plutopay',
        transactionId: TX_ID,
        paymentId: 'pay_detail0001',
        amount,
        currency: 'EUR',
        status,
        reason: 'fraudulent',
        evidenceDueBy: null,
        openedAt: '2026-01-05T11:00:00Z',
        seenAt: '2026-01-05T11:00:00Z',
        closedAt: status === 'needs_response' ? null : '2026-01-06T11:00:00Z',
        testMode: false,
      });
      let disputes = [dispute(1500, 'needs_response'), dispute(300, 'won')];
      const bridge = detailBridge(transaction);
      bridge.on('transactions.get', () =>
        ok({
          offline: false,
          transaction,
          refunds: [],
          timeline: [],
          payment: makePayment({ id: 'pay_detail0001', transactionId: TX_ID }),
          disputes,
        }),
      );
      const { user, store } = await renderApp(bridge, { screen: 'transactions' });
      store.getState().openTransaction(TX_ID);
      // €15.00 disputed (the won one gave its money back): €5.00 is offered.
      const amount = (await screen.findByLabelText('Refund amount')) as HTMLInputElement;
      expect(amount.value).toBe('€5.00');
      expect(
        screen.getByText(
          "Up to €5.00: the customer's bank disputes €15.00 of this payment. Type a smaller amount for a partial refund.",
        ),
      ).toBeTruthy();
      await user.clear(amount);
      await user.type(amount, '1000');
      await user.click(screen.getByRole('button', { name: 'Refund' }));
      expect(await screen.findByText('The amount can be at most €5.00.')).toBeTruthy();
      expect(bridge.count('payments.refund')).toBe(0);
      // All of it disputed (the bank took it back): nothing is offered, and the details say why.
      disputes = [dispute(2000, 'lost')];
      act(() => store.getState().openTransaction(null));
      act(() => store.getState().openTransaction(TX_ID));
      expect(
        await screen.findByText("Nothing is left to refund: the customer's bank disputes €20.00 of this payment."),
      ).toBeTruthy();
      expect(screen.queryByLabelText('Refund amount')).toBeNull();
    });

    it('a gateway whose reference is its API id shows that id once, in the heading', async () => {
      const transaction = makeTransaction({ id: 'pay_same01', reference: 'pay_same01', amountCaptured: 2000 });
      const bridge = detailBridge(transaction);
      bridge.on('transactions.list', () => ok(pageOf([transaction], 1, 1, false)));
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pay_same01' }));
      expect(await screen.findByRole('heading', { name: 'Transaction pay_same01' })).toBeTruthy();
      expect(screen.queryByText("Gateway's API id")).toBeNull();
      expect(screen.getAllByText(/pay_same01/).filter((e) => e.tagName === 'DD')).toEqual([]);
    });

    it("a payment on the shop's own-bank terminal names the till's trm_… id as the terminal payment's, not a gateway's", async () => {
      // Found by a tester: its details listed trm_… as "Gateway's API id" (no gateway ever saw it).
      const transaction = makeTransaction({ id: 'trm_01JQ7Z3N8B2D', reference: 'A00001', amountCaptured: 2000 });
      const bridge = detailBridge(transaction);
      bridge.on('transactions.list', () => ok(pageOf([transaction], 1, 1, false)));
      bridge.on('transactions.get', () =>
        ok({
          offline: false,
          transaction,
          refunds: [],
          timeline: [],
          payment: makePayment({ id: 'pay_terminal01', transactionId: transaction.id, chargedBy: 'terminal' }),
        }),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for A00001' }));
      expect(await screen.findByRole('heading', { name: 'Transaction A00001' })).toBeTruthy();
      expect(screen.queryByText("Gateway's API id")).toBeNull();
      expect(screen.getByText('Terminal payment id').nextElementSibling?.textContent).toBe('trm_01JQ7Z3N8B2D');
    });

    it('says when an authorisation lapses, and where to capture it', async () => {
      // Found by using the app: a PayPlug authorisation's details said "Authorised — to capture"
      // and nothing of its 7 days, nor where it is captured; only F4 said how long was left.
      const expires = new Date(Date.now() + (6 * 24 + 23) * 3_600_000 + 120_000).toISOString();
      const bridge = detailBridge(
        makeTransaction({
          id: TX_ID,
          reference: 'pi_page1',
          status: 'requires_capture',
          amountCaptured: 0,
          amountCapturable: 2000,
          captureMethod: 'manual',
          authorizationExpiresAt: expires,
        }),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      const term = await screen.findByText('Authorisation', { selector: 'dt' });
      expect(term.nextElementSibling!.textContent).toMatch(
        /^Expires .+ \(6 days 23 h left\)\. Capture it, or cancel it, on the Capture screen \(F4\)\.$/,
      );
    });

    it('offers no refund for a failed transaction, and Esc goes back to the list', async () => {
      const bridge = detailBridge(
        makeTransaction({
          id: TX_ID,
          reference: 'pi_page1',
          status: 'failed',
          amountCaptured: 0,
          failureMessage: 'The card was declined.',
          failureCode: 'card_declined',
        }),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      expect(await screen.findByText(/The card was declined\./)).toBeTruthy();
      expect(screen.queryByRole('button', { name: 'Refund' })).toBeNull();
      await user.keyboard('{Escape}');
      expect(await screen.findByRole('heading', { name: 'Transactions' })).toBeTruthy();
    });

    it('offers no note on a payment the till cannot act on here, as no refund', async () => {
      // Another gateway's payment (PlutoPay's, the till on PayPlug, which keeps notes): a note is refused
      // until the switch back, as a refund is, so neither is offered.
      const why =
        "This payment was made with PlutoPay, and the till now uses PayPlug: this is the till's own record of it, as PlutoPay last answered. Switch back to PlutoPay in Settings (F7) to read it again or act on it.";
      const bridge = new FakeBridge(
        makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
      );
      bridge.on('transactions.list', () => ok(pageOf([makeTransaction({ id: TX_ID, reference: 'pi_page1' })], 1)));
      const detail = (refundNotHere?: string): TransactionDetail => ({
        offline: false,
        ...(refundNotHere ? { refundNotHere } : {}),
        transaction: makeTransaction({ id: TX_ID, reference: 'pi_page1', status: 'succeeded' }),
        refunds: [],
        timeline: [],
        payment: makePayment({
          id: 'pay_detail0001',
          gateway: refundNotHere ? 'plutopay' : 'payplug',
          transactionId: TX_ID,
          status: 'succeeded',
          next: [],
        }),
      });
      let answer = detail(why);
      bridge.on('transactions.get', () => ok(answer));
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      expect(await screen.findByText(why)).toBeTruthy();
      expect(screen.queryByLabelText('Note kept with the payment')).toBeNull();
      // A payment of its own gateway: the note is offered.
      answer = detail();
      await user.keyboard('{Escape}');
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      expect(await screen.findByLabelText('Note kept with the payment')).toBeTruthy();
    });

    it('offers no refund the host says it cannot make, and says why', async () => {
      // Made on another account and settled from its dashboard: money is left, but not refundable here.
      const why =
        "This payment was made on PlutoPay another account. Its outcome was recorded from that account's dashboard, not read by the till: refund it on that account's dashboard.";
      const bridge = listBridge();
      bridge.on('transactions.get', () =>
        ok({
          offline: false,
          refundNotHere: why,
          transaction: makeTransaction({ id: TX_ID, reference: 'pi_page1', status: 'succeeded' }),
          refunds: [],
          timeline: [],
          payment: makePayment({ id: 'pay_detail0001', transactionId: TX_ID, status: 'succeeded', next: [] }),
        } satisfies TransactionDetail),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      expect(await screen.findByText(why)).toBeTruthy();
      expect(screen.queryByRole('button', { name: 'Refund' })).toBeNull();
      expect(screen.queryByLabelText('Refund amount')).toBeNull();
    });

    it('lists another gateway’s refund still queued for it, saying when it is sent, and offers no sending', async () => {
      // PayPlug's sale refunded while PayPlug was down, then the till switched to PlutoPay: the refund
      // waits for the switch back, which the row says; nothing here sends it or refunds again.
      const why =
        "This payment was made with PayPlug, and the till now uses PlutoPay: this is the till's own record of it, as PayPlug last answered. Switch back to PayPlug in Settings (F7) to read it again or act on it.";
      const queued = 'queued: sent once the till switches back to PayPlug';
      const bridge = listBridge();
      bridge.on('transactions.get', () =>
        ok({
          offline: false,
          refundNotHere: why,
          transaction: makeTransaction({ id: TX_ID, reference: 'pi_page1', status: 'succeeded' }),
          refunds: [
            {
              id: 'refund-pay_detail0001-1',
              reference: 'refund-pay_detail0001-1',
              amount: 1000,
              currency: 'EUR',
              status: 'queued',
              reason: queued,
              createdAt: '2026-01-01T10:00:00.000Z',
            },
          ],
          timeline: [],
          payment: makePayment({ id: 'pay_detail0001', transactionId: TX_ID, status: 'succeeded', next: [] }),
        } satisfies TransactionDetail),
      );
      const { user } = await renderApp(bridge, { screen: 'transactions' });
      await user.click(await screen.findByRole('button', { name: 'Details for pi_page1' }));
      expect(await screen.findByText(why)).toBeTruthy();
      const row = (await screen.findByText(queued)).closest('tr')!;
      expect(within(row).getByText('€10.00')).toBeTruthy();
      expect(within(row).getByText('Queued')).toBeTruthy();
      expect(within(row).queryByRole('button')).toBeNull();
      expect(screen.queryByRole('button', { name: 'Refund' })).toBeNull();
      expect(screen.queryByLabelText('Refund amount')).toBeNull();
      expect(screen.queryByRole('button', { name: /send|retry/i })).toBeNull();
    });
  });
});
