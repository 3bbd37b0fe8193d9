// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import {
  deferred,
  fail,
  FakeBridge,
  findShownAlert,
  makePayment,
  makeReader,
  makeSettings,
  makeSnapshot,
  minutesAgo,
  ok,
  renderApp,
} from './helpers';
import { defaultReader } from '../../renderer/src/store/selectors';

const discovered = makeReader({
  id: 'rdr_usb_found',
  label: 'Concert on /dev/ttyACM0',
  kind: 'concert',
  foundBy: 'usb',
  deviceId: 'usb:1234:5678:SN42',
  path: '/dev/ttyACM0',
  serialNumber: 'SN42',
  status: 'unpaired',
  lastSeenAt: null,
  canPresentTestCards: false,
});

function readersBridge() {
  const payment = makePayment({
    id: 'pay_onreader01',
    amount: 999,
    status: 'in_progress',
    readerStage: 'waiting_for_card',
  });
  return new FakeBridge(
    makeSnapshot({
      payments: [payment],
      readers: [
        makeReader({
          lastSeenAt: minutesAgo(3),
          action: {
            paymentId: payment.id,
            transactionId: '11111111-2222-3333-4444-555555555555',
            stage: 'waiting_for_card',
            status: 'in_progress',
          },
        }),
        makeReader({
          id: 'rdr_cloud1',
          label: 'Terrace',
          kind: 'cloud',
          hosted: false,
          foundBy: 'cloud',
          status: 'reconnecting',
          statusDetail: 'Link lost; next try in 4 s',
          canPresentTestCards: false,
        }),
        discovered,
      ],
    }),
  );
}

describe('Readers screen', () => {
  it('lists paired readers with status in role=status, last seen and current action; discovered devices apart', async () => {
    const { user } = await renderApp(readersBridge());
    await user.keyboard('{F6}');
    const counter = screen.getByRole('article', { name: /Counter 1/ });
    expect(within(counter).getByRole('status').textContent).toBe('Online');
    expect(within(counter).getByText(/Last seen 3 min ago/)).toBeTruthy();
    expect(within(counter).getByText(/Busy with €9.99 — waiting for card/)).toBeTruthy();
    const terrace = screen.getByRole('article', { name: /Terrace/ });
    expect(within(terrace).getByRole('status').textContent).toBe('Reconnecting… — Link lost; next try in 4 s');
    expect(within(terrace).getByText(/hosted by the gateway/)).toBeTruthy();
    const found = screen.getByRole('region', { name: 'Found, not paired' });
    expect(within(found).getByRole('article', { name: /Concert on \/dev\/ttyACM0/ })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Paired readers' }).textContent).not.toMatch(/ttyACM0/);
  });

  it('pairs a discovered device by its device id', async () => {
    const bridge = readersBridge();
    bridge.on('readers.pair', () =>
      ok({ ...discovered, id: 'rdr_concert1', label: 'Concert SN42', status: 'connecting' }),
    );
    const { user, store } = await renderApp(bridge, { screen: 'readers' });
    const found = screen.getByRole('article', { name: /Concert on \/dev\/ttyACM0/ });
    await user.click(within(found).getByRole('button', { name: 'Pair' }));
    await waitFor(() => expect(bridge.inputs('readers.pair')).toEqual([{ deviceId: 'usb:1234:5678:SN42' }]));
    expect(await screen.findByText('Concert SN42 is paired.')).toBeTruthy();
    expect(store.getState().host.readers.some((r) => r.id === 'rdr_concert1')).toBe(true);
  });

  it('Refresh looks for readers now, so a terminal just plugged in is listed at once', async () => {
    // Found in review: Refresh only read the list again; a terminal plugged in waited for the next
    // discovery poll, and one that was busy at its last probe for its next one (up to a minute).
    const bridge = new FakeBridge(makeSnapshot({ readers: [makeReader()] }));
    bridge.on('readers.scan', () => ok([makeReader(), discovered]));
    const { user } = await renderApp(bridge, { screen: 'readers' });
    expect(screen.queryByRole('article', { name: /Concert on \/dev\/ttyACM0/ })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(bridge.inputs('readers.scan')).toEqual([{}]));
    const found = await screen.findByRole('article', { name: /Concert on \/dev\/ttyACM0/ });
    expect(within(found).getByRole('button', { name: 'Pair' })).toBeTruthy();
    expect(await screen.findByText('Reader list refreshed.')).toBeTruthy();
    expect(bridge.inputs('readers.list')).toEqual([]);
  });

  it('pairs a cloud reader by registration code, validating the code first', async () => {
    const bridge = readersBridge();
    bridge.on('readers.pair', () => ok(makeReader({ id: 'rdr_cloud2', label: 'Bar', kind: 'cloud', hosted: false })));
    const { user } = await renderApp(bridge, { screen: 'readers' });
    await user.type(screen.getByLabelText('Registration code'), 'bad code!');
    await user.click(screen.getByRole('button', { name: 'Pair reader' }));
    expect(screen.getByText(/Type the code the reader shows/)).toBeTruthy();
    expect(bridge.count('readers.pair')).toBe(0);
    await user.clear(screen.getByLabelText('Registration code'));
    await user.type(screen.getByLabelText('Registration code'), 'simulated-wpe');
    await user.type(screen.getByLabelText('Label (optional)'), 'Bar');
    await user.type(screen.getByLabelText('Location (optional)'), 'Upstairs{Enter}');
    await waitFor(() =>
      expect(bridge.inputs('readers.pair')).toEqual([
        { registrationCode: 'simulated-wpe', label: 'Bar', locationName: 'Upstairs' },
      ]),
    );
    expect(await screen.findByText('Bar is paired.')).toBeTruthy();
    expect((screen.getByLabelText('Registration code') as HTMLInputElement).value).toBe('');
  });

  it('shows the host’s refusal of a registration code next to the field', async () => {
    const bridge = readersBridge();
    bridge.on('readers.pair', () =>
      fail('gateway', 'registrationCode: no reader has this registration code', {
        issues: [{ path: 'registrationCode', message: 'no reader has this registration code' }],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'readers' });
    await user.type(screen.getByLabelText('Registration code'), 'nope{Enter}');
    expect(await screen.findByText('No reader has this registration code.')).toBeTruthy();
    expect(screen.getByLabelText('Registration code').getAttribute('aria-invalid')).toBe('true');
  });

  it('adds a simulated reader in test mode only', async () => {
    const bridge = readersBridge();
    bridge.on('readers.addSimulated', (input) =>
      ok(makeReader({ id: 'rdr_sim9', label: input.label ?? 'Simulated reader 2' })),
    );
    const { user } = await renderApp(bridge, { screen: 'readers' });
    await user.type(screen.getByLabelText('Simulated reader label (optional)'), 'Drive-through');
    await user.click(screen.getByRole('button', { name: 'Add simulated reader' }));
    await waitFor(() => expect(bridge.inputs('readers.addSimulated')).toEqual([{ label: 'Drive-through' }]));
    expect(await screen.findByRole('article', { name: /Drive-through/ })).toBeTruthy();
  });

  it('puts the cursor in the field a refused pairing or simulated reader marks, as the other forms do', async () => {
    // Found by a tester: a blank registration code, or a simulated reader named like another, was
    // marked on its field while the focus stayed on the button.
    const bridge = readersBridge();
    bridge.on('readers.addSimulated', () =>
      fail('validation', 'label: another reader has this name', {
        issues: [{ path: 'label', message: 'another reader has this name' }],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'readers' });
    await user.click(screen.getByRole('button', { name: 'Pair reader' }));
    const code = screen.getByLabelText('Registration code');
    expect(code.getAttribute('aria-invalid')).toBe('true');
    await waitFor(() => expect(document.activeElement).toBe(code));

    const label = screen.getByLabelText('Simulated reader label (optional)');
    await user.type(label, 'Simulated reader 1');
    await user.click(screen.getByRole('button', { name: 'Add simulated reader' }));
    await waitFor(() => expect(label.getAttribute('aria-invalid')).toBe('true'));
    expect(document.activeElement).toBe(label);
    expect((label as HTMLInputElement).value).toBe('Simulated reader 1');
  });

  it('has no "Add simulated reader" in live mode', async () => {
    await renderApp(new FakeBridge(makeSnapshot({ mode: 'live', settings: makeSettings({ mode: 'live' }) })), {
      screen: 'readers',
    });
    expect(screen.queryByRole('button', { name: 'Add simulated reader' })).toBeNull();
  });

  it('offers no Reconnect for a reader left idle while the gateway takes payments by link', async () => {
    const settings = makeSettings({ gateway: 'payplug' });
    const idle = makeReader({ id: 'rdr_sim_idle', label: 'Counter sim', kind: 'simulated', hosted: true });
    const ownBank = makeReader({ id: 'rdr_own_bank', label: 'Own bank', hosted: true, standalone: true });
    await renderApp(new FakeBridge(makeSnapshot({ settings, readers: [idle, ownBank] })), { screen: 'readers' });
    const idleItem = screen.getByRole('article', { name: /Counter sim/ });
    expect(within(idleItem).queryByRole('button', { name: 'Reconnect' })).toBeNull();
    expect(within(idleItem).getByRole('button', { name: 'Forget' })).toBeTruthy();
    // A terminal on the shop's own bank needs no gateway: it still reconnects.
    const ownBankItem = screen.getByRole('article', { name: /Own bank/ });
    expect(within(ownBankItem).getByRole('button', { name: 'Reconnect' })).toBeTruthy();
  });

  it("warns in test mode that a real terminal on the shop's bank still charges cards, and asks with it", async () => {
    const warning = "Test mode does not stop this terminal charging cards: it charges through the shop's bank.";
    const concert = (over: Parameters<typeof makeReader>[0]) =>
      makeReader({ kind: 'concert', foundBy: 'usb', canPresentTestCards: false, ...over });
    const readers = [
      concert({ id: 'rdr_bank', label: 'Desk 5000', standalone: true }),
      concert({ id: 'rdr_gw', label: 'Move 5000', standalone: false }),
      makeReader({ id: 'rdr_sim_bank', label: 'Sim on bank', standalone: true }),
    ];
    const bridge = new FakeBridge(makeSnapshot({ readers }));
    bridge.on('readers.configure', (input) =>
      ok(concert({ id: input.readerId, label: 'Move 5000', standalone: input.standalone ?? false })),
    );
    const { user } = await renderApp(bridge, { screen: 'readers' });

    const bank = screen.getByRole('article', { name: /Desk 5000/ });
    expect(within(bank).getByRole('note').textContent).toBe(warning);
    // A simulated reader charges nothing, on the shop's bank or not; one on the gateway has no warning.
    expect(within(screen.getByRole('article', { name: /Sim on bank/ })).queryByRole('note')).toBeNull();
    const gw = screen.getByRole('article', { name: /Move 5000/ });
    expect(within(gw).queryByRole('note')).toBeNull();

    // Switching a real terminal to the shop's bank in test mode: the confirmation says it too.
    await user.click(within(gw).getByRole('checkbox'));
    const yes = within(gw).getByRole('button', { name: "Yes: Move 5000 charges through the shop's own bank" });
    expect(document.activeElement).toBe(yes);
    expect(within(gw).getByRole('note').textContent).toBe(warning);
    expect(yes.getAttribute('aria-describedby')).toBe(within(gw).getByRole('note').id);
    await user.click(yes);
    await waitFor(() => expect(bridge.inputs('readers.configure')).toEqual([{ readerId: 'rdr_gw', standalone: true }]));
  });

  it("has no test-mode warning on a terminal on the shop's bank in live mode", async () => {
    const bank = makeReader({ id: 'rdr_bank', label: 'Desk 5000', kind: 'concert', standalone: true });
    await renderApp(
      new FakeBridge(makeSnapshot({ mode: 'live', settings: makeSettings({ mode: 'live' }), readers: [bank] })),
      { screen: 'readers' },
    );
    expect(within(screen.getByRole('article', { name: /Desk 5000/ })).queryByRole('note')).toBeNull();
  });

  it('renames a reader this app drives: Enter saves, Escape keeps the old name, focus back on Rename', async () => {
    const bridge = readersBridge();
    bridge.on('readers.configure', (input) =>
      ok(makeReader({ id: input.readerId, label: input.label ?? 'Counter 1' })),
    );
    const { user } = await renderApp(bridge, { screen: 'readers' });
    const counter = () => screen.getByRole('article', { name: /Counter 1|Till 1/ });
    // A gateway's own reader is named at the gateway: no Rename there.
    expect(
      within(screen.getByRole('article', { name: /Terrace/ })).queryByRole('button', { name: 'Rename' }),
    ).toBeNull();

    await user.click(within(counter()).getByRole('button', { name: 'Rename' }));
    const name = within(counter()).getByLabelText('New name') as HTMLInputElement;
    expect(document.activeElement).toBe(name);
    expect(name.value).toBe('Counter 1');
    await user.keyboard('{Escape}');
    expect(bridge.count('readers.configure')).toBe(0);
    expect(document.activeElement).toBe(within(counter()).getByRole('button', { name: 'Rename' }));

    // An empty name is refused here, on the field.
    await user.keyboard('{Enter}');
    await user.clear(within(counter()).getByLabelText('New name'));
    await user.keyboard('{Enter}');
    expect(bridge.count('readers.configure')).toBe(0);
    expect(within(counter()).getByText('Type a name.')).toBeTruthy();

    await user.type(within(counter()).getByLabelText('New name'), 'Till 1{Enter}');
    await waitFor(() =>
      expect(bridge.inputs('readers.configure')).toEqual([{ readerId: 'rdr_sim1', label: 'Till 1' }]),
    );
    await waitFor(() => expect(screen.getByText('Counter 1 is now called Till 1.')).toBeTruthy());
    expect(document.activeElement).toBe(within(counter()).getByRole('button', { name: 'Rename' }));
  });

  it('shows the host’s refusal of a new name next to the field, keeping what was typed', async () => {
    const bridge = readersBridge();
    bridge.on('readers.configure', () =>
      fail('validation', 'label: at most 60 characters', {
        issues: [{ path: 'label', message: 'at most 60 characters' }],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'readers' });
    const counter = () => screen.getByRole('article', { name: /Counter 1/ });
    await user.click(within(counter()).getByRole('button', { name: 'Rename' }));
    await user.type(within(counter()).getByLabelText('New name'), ' 2{Enter}');
    expect(await within(counter()).findByText('Label: at most 60 characters.')).toBeTruthy();
    const name = within(counter()).getByLabelText('New name') as HTMLInputElement;
    expect(name.value).toBe('Counter 1 2');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(name);
  });

  it('reconnects a reader, and forgets one only after confirmation', async () => {
    const bridge = readersBridge();
    bridge.on('readers.reconnect', (input) =>
      ok(makeReader({ id: input.readerId, label: 'Terrace', status: 'connecting' })),
    );
    bridge.on('readers.forget', () => ok({ forgotten: true as const }));
    const { user, store } = await renderApp(bridge, { screen: 'readers' });
    const terrace = screen.getByRole('article', { name: /Terrace/ });
    await user.click(within(terrace).getByRole('button', { name: 'Reconnect' }));
    await waitFor(() => expect(bridge.inputs('readers.reconnect')).toEqual([{ readerId: 'rdr_cloud1' }]));
    expect(within(screen.getByRole('article', { name: /Terrace/ })).getByRole('status').textContent).toBe(
      'Connecting…',
    );

    await user.click(within(screen.getByRole('article', { name: /Terrace/ })).getByRole('button', { name: 'Forget' }));
    expect(bridge.count('readers.forget')).toBe(0);
    // The confirmation has the focus: Enter would forget.
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Yes, forget Terrace' }));
    await user.click(screen.getByRole('button', { name: 'Yes, forget Terrace' }));
    await waitFor(() => expect(bridge.inputs('readers.forget')).toEqual([{ readerId: 'rdr_cloud1' }]));
    await waitFor(() => expect(screen.queryByRole('article', { name: /Terrace/ })).toBeNull());
    expect(store.getState().host.readers.map((r) => r.id)).not.toContain('rdr_cloud1');
  });

  it('a reader holding a payment offers neither Forget nor the own-bank box: says why, keeps the focus', async () => {
    // Found by a tester: Forget was offered on a busy reader, refused only after "Yes, forget", and the
    // focus then went to the screen's title. The own-bank box did nothing, and said nothing.
    const desk = makeReader({
      id: 'rdr_desk',
      label: 'Desk 5000',
      kind: 'concert',
      action: { paymentId: null, transactionId: 'tx_on', stage: 'waiting_for_card', status: 'in_progress' },
    });
    const bridge = new FakeBridge(makeSnapshot({ readers: [desk] }));
    const { user } = await renderApp(bridge, { screen: 'readers' });
    const item = screen.getByRole('article', { name: /Desk 5000/ });
    const reason = /Desk 5000 holds a payment: it cannot be forgotten, nor where its money goes changed/;
    const forget = within(item).getByRole('button', { name: 'Forget' });
    expect(forget.getAttribute('aria-disabled')).toBe('true');
    expect(document.getElementById(forget.getAttribute('aria-describedby')!)?.textContent).toMatch(reason);
    act(() => forget.focus());
    await user.keyboard('{Enter}');
    expect(within(item).queryByRole('button', { name: /^Yes, forget/ })).toBeNull();
    expect(document.activeElement).toBe(forget);
    await waitFor(() => expect(screen.getAllByText(reason).length).toBeGreaterThan(1));

    const box = within(item).getByRole('checkbox', { name: /charges through its own bank/ });
    expect(document.getElementById(box.getAttribute('aria-describedby')!)?.textContent).toMatch(reason);
    act(() => box.focus());
    await user.keyboard(' ');
    expect(within(item).queryByRole('button', { name: /^Yes: Desk 5000/ })).toBeNull();
    expect(document.activeElement).toBe(box);
    expect(bridge.count('readers.forget')).toBe(0);
    expect(bridge.count('readers.configure')).toBe(0);
  });

  it('a Forget the host refuses after "Yes" gives the focus back to Forget, with the reason heard', async () => {
    const desk = makeReader({ id: 'rdr_desk', label: 'Desk 5000', kind: 'concert' });
    const bridge = new FakeBridge(makeSnapshot({ readers: [desk] }));
    bridge.on('readers.forget', () => fail('conflict', 'This terminal is making a refund. Let it finish first.'));
    const { user } = await renderApp(bridge, { screen: 'readers' });
    const item = screen.getByRole('article', { name: /Desk 5000/ });
    act(() => within(item).getByRole('button', { name: 'Forget' }).focus());
    await user.keyboard('{Enter}');
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'Yes, forget Desk 5000' }));
    await user.keyboard('{Enter}');
    await waitFor(() => expect(bridge.count('readers.forget')).toBe(1));
    expect((await findShownAlert()).textContent).toMatch(/making a refund/);
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'Forget' }));
  });

  it('withdraws "Yes, forget" when a payment arrives on the reader, and keeps the focus on Forget', async () => {
    const desk = makeReader({ id: 'rdr_desk', label: 'Desk 5000', kind: 'concert' });
    const bridge = new FakeBridge(makeSnapshot({ readers: [desk] }));
    const { user } = await renderApp(bridge, { screen: 'readers' });
    const item = screen.getByRole('article', { name: /Desk 5000/ });
    act(() => within(item).getByRole('button', { name: 'Forget' }).focus());
    await user.keyboard('{Enter}');
    act(() =>
      bridge.push({
        seq: bridge.snapshot.seq + 1,
        type: 'readers',
        readers: [
          {
            ...desk,
            action: { paymentId: null, transactionId: 'tx_arrived', stage: 'waiting_for_card', status: 'in_progress' },
          },
        ],
      }),
    );
    expect(within(item).queryByRole('button', { name: /^Yes, forget/ })).toBeNull();
    expect(screen.getByText(/Desk 5000 started taking a payment, so it cannot be forgotten now/)).toBeTruthy();
    expect(document.activeElement).toBe(within(item).getByRole('button', { name: 'Forget' }));
    expect(bridge.count('readers.forget')).toBe(0);
  });

  it('keeps the focus on the reader while its commands run, and on the box around its confirmation', async () => {
    // Found from the keyboard: Reconnect was disabled while the host worked, which drops the focus
    // to the page (Enter then did nothing); confirming or backing out of "charges through its own
    // bank" sent it to the screen's title, far from the reader.
    const desk = makeReader({ id: 'rdr_desk', label: 'Desk 5000', kind: 'concert', status: 'reconnecting' });
    const bridge = new FakeBridge(makeSnapshot({ readers: [desk] }));
    const reconnecting = deferred<ReturnType<typeof ok>>();
    bridge.on('readers.reconnect', () => reconnecting.promise as never);
    const configuring = deferred<ReturnType<typeof ok>>();
    bridge.on('readers.configure', () => configuring.promise as never);
    const { user } = await renderApp(bridge, { screen: 'readers' });
    const item = screen.getByRole('article', { name: /Desk 5000/ });

    const reconnect = within(item).getByRole('button', { name: 'Reconnect' });
    act(() => reconnect.focus());
    await user.keyboard('{Enter}');
    expect(reconnect).not.toHaveProperty('disabled', true);
    expect(reconnect.getAttribute('aria-disabled')).toBe('true');
    expect(document.activeElement).toBe(reconnect);
    await user.keyboard('{Enter}');
    expect(bridge.count('readers.reconnect')).toBe(1);
    await act(async () => reconnecting.resolve(ok({ ...desk, status: 'connecting' })));
    expect(reconnect.getAttribute('aria-disabled')).toBe('false');
    expect(document.activeElement).toBe(reconnect);

    const box = within(item).getByRole('checkbox', { name: /charges through its own bank/ });
    act(() => box.focus());
    await user.keyboard(' ');
    await user.keyboard('{Escape}');
    expect(document.activeElement).toBe(box);
    await user.keyboard(' ');
    await user.keyboard('{Enter}');
    expect(bridge.inputs('readers.configure')).toEqual([{ readerId: 'rdr_desk', standalone: true }]);
    expect(document.activeElement).toBe(box);
    // A second Space while the host works asks nothing.
    await user.keyboard(' ');
    expect(within(item).queryByRole('button', { name: /^Yes: Desk 5000/ })).toBeNull();
    await act(async () => configuring.resolve(ok({ ...desk, standalone: true })));
    expect(document.activeElement).toBe(box);
  });

  it('withdraws the own-bank confirmation when a payment arrives on the reader, says why, keeps the focus', async () => {
    // Found by a tester: a payment sent to the reader while "Yes: … charges through the shop's own
    // bank" was open left the "Yes" on screen; pressed, the host refused it (the reader holds a payment).
    const desk = makeReader({ id: 'rdr_desk', label: 'Desk 5000', kind: 'concert' });
    const bridge = new FakeBridge(makeSnapshot({ readers: [desk] }));
    const { user } = await renderApp(bridge, { screen: 'readers' });
    const item = screen.getByRole('article', { name: /Desk 5000/ });
    const box = within(item).getByRole('checkbox', { name: /charges through its own bank/ });
    act(() => box.focus());
    await user.keyboard(' ');
    const yes = within(item).getByRole('button', { name: "Yes: Desk 5000 charges through the shop's own bank" });
    expect(document.activeElement).toBe(yes);
    act(() =>
      bridge.push({
        seq: bridge.snapshot.seq + 1,
        type: 'readers',
        readers: [
          {
            ...desk,
            action: { paymentId: null, transactionId: 'tx_arrived', stage: 'waiting_for_card', status: 'in_progress' },
          },
        ],
      }),
    );
    expect(within(item).queryByRole('button', { name: /^Yes: Desk 5000/ })).toBeNull();
    expect(within(item).queryByRole('button', { name: 'Leave it as it is' })).toBeNull();
    expect(screen.getByText(/Desk 5000 started taking a payment, .*nothing was changed/)).toBeTruthy();
    expect(document.activeElement).toBe(box);
    await user.keyboard('{Enter}');
    await user.keyboard(' ');
    expect(within(item).queryByRole('button', { name: /^Yes: Desk 5000/ })).toBeNull();
    expect(bridge.count('readers.configure')).toBe(0);
  });

  it('withdraws the own-bank confirmation when the reader was set that way elsewhere', async () => {
    const desk = makeReader({ id: 'rdr_desk', label: 'Desk 5000', kind: 'concert' });
    const bridge = new FakeBridge(makeSnapshot({ readers: [desk] }));
    const { user } = await renderApp(bridge, { screen: 'readers' });
    const item = screen.getByRole('article', { name: /Desk 5000/ });
    const box = within(item).getByRole('checkbox', { name: /charges through its own bank/ });
    act(() => box.focus());
    await user.keyboard(' ');
    act(() => bridge.push({ seq: bridge.snapshot.seq + 1, type: 'readers', readers: [{ ...desk, standalone: true }] }));
    expect(within(item).queryByRole('button', { name: /^Yes: Desk 5000/ })).toBeNull();
    expect(screen.getByText(/Desk 5000 already charges through the shop's own bank/)).toBeTruthy();
    expect(document.activeElement).toBe(box);
    expect(bridge.count('readers.configure')).toBe(0);
  });

  it('shows a reader busy only with a payment on it or one it may hold, not with its finished last one', async () => {
    const action = (status: string) => ({ paymentId: null, transactionId: `tx_${status}`, stage: null, status });
    const readers = [
      makeReader({ id: 'rdr_done', label: 'Done reader', kind: 'cloud', hosted: false, action: action('succeeded') }),
      makeReader({ id: 'rdr_held', label: 'Held reader', action: action('unknown') }),
    ];
    const { store } = await renderApp(new FakeBridge(makeSnapshot({ readers })), { screen: 'readers' });
    expect(within(screen.getByRole('article', { name: /Done reader/ })).getByText('No current action.')).toBeTruthy();
    expect(
      // What to do, not the bare status word ("Busy with … — unknown").
      within(screen.getByRole('article', { name: /Held reader/ })).getByText(
        /Busy with .* — outcome not known: the reader may have charged the card\. .*Needs attention \(F8\).*Do not charge the customer again/,
      ),
    ).toBeTruthy();
    expect(defaultReader(store.getState())?.id).toBe('rdr_done');
  });

  it('shows a named port no driver claims with why and Try again, never Pair, and follows it once it answers', async () => {
    const port = makeReader({
      id: 'rdr_port__dev_pts_7',
      label: '/dev/pts/7',
      kind: 'port',
      foundBy: 'serial',
      deviceId: null,
      path: '/dev/pts/7',
      serialNumber: null,
      model: null,
      softwareVersion: null,
      terminalId: null,
      status: 'unpaired',
      statusDetail:
        "No reader: concert probe failed: cannot open /dev/pts/7: Permission denied: this user may not use the port (add it to the port's group, e.g. dialout, then log in again). It is asked again by itself (within a minute), or now with Try again.",
      lastSeenAt: null,
      canPresentTestCards: false,
    });
    const bridge = new FakeBridge(makeSnapshot({ readers: [port] }));
    bridge.on('readers.reconnect', () => ok(port));
    const { user, store } = await renderApp(bridge, { screen: 'readers' });
    const found = screen.getByRole('region', { name: 'Found, not paired' });
    const item = within(found).getByRole('article', { name: '/dev/pts/7 · Serial port, no reader recognised' });
    expect(within(item).getByRole('status').textContent).toMatch(
      /^No reader: concert probe failed: cannot open \/dev\/pts\/7: Permission denied: this user may not use the port \(add it to the port's group, e\.g\. dialout/,
    );
    expect(within(item).queryByRole('button', { name: 'Pair' })).toBeNull();
    expect(screen.getByText('No reader is paired yet.')).toBeTruthy();
    // Never a reader to take a payment with.
    expect(defaultReader(store.getState())).toBeNull();

    await user.click(within(item).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(bridge.inputs('readers.reconnect')).toEqual([{ readerId: 'rdr_port__dev_pts_7' }]));
    expect(await screen.findByText('Trying /dev/pts/7 again.')).toBeTruthy();

    // A terminal answers there: the host's next readers event shows it as a device to pair.
    act(() =>
      bridge.push({
        seq: 11,
        type: 'readers',
        readers: [
          {
            ...discovered,
            id: 'rdr_device_serial__dev_pts_7',
            label: 'Ingenico terminal on /dev/pts/7',
            foundBy: 'serial',
            deviceId: 'serial:/dev/pts/7',
            path: '/dev/pts/7',
          },
        ],
      }),
    );
    const terminal = within(found).getByRole('article', {
      name: /Ingenico terminal on \/dev\/pts\/7 · Concert terminal/,
    });
    expect(within(terminal).getByRole('button', { name: 'Pair' })).toBeTruthy();
    expect(within(found).queryByRole('button', { name: 'Try again' })).toBeNull();
  });

  it('follows readers events pushed by the host', async () => {
    const bridge = readersBridge();
    await renderApp(bridge, { screen: 'readers' });
    act(() =>
      bridge.push({
        seq: 11,
        type: 'readers',
        readers: [makeReader({ status: 'offline', statusDetail: 'No answer for 2 min' })],
      }),
    );
    expect(within(screen.getByRole('article', { name: /Counter 1/ })).getByRole('status').textContent).toBe(
      'Offline — No answer for 2 min',
    );
    expect(screen.queryByRole('article', { name: /Terrace/ })).toBeNull();
  });
});
