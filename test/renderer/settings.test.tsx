// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import type { DevLogEntry, InstallmentPlanView } from '../../common/contract';
import { settingsChanges } from '../../renderer/src/screens/Settings';
import {
  fail,
  FakeBridge,
  makePayment,
  makeSettings,
  makeSnapshot,
  ok,
  renderApp,
  gatewayFor,
  shownAlert,
} from './helpers';

function entry(id: number, summary: string, kind: DevLogEntry['kind'] = 'request', detail?: string): DevLogEntry {
  return { id, at: '2026-01-05T10:00:00Z', kind, summary, ...(detail ? { detail } : {}) };
}

function settingsBridge() {
  const bridge = new FakeBridge(
    makeSnapshot({
      settings: makeSettings({ secretKey: 'sk_test_…9f3a', publishableKey: null, autoPresentDelayMs: 2500 }),
    }),
  );
  bridge.on('settings.update', (input) =>
    ok(
      makeSettings({
        ...input,
        secretKey: input.secretKey ? 'sk_test_…abcd' : 'sk_test_…9f3a',
        publishableKey: null,
        autoPresentDelayMs: input.autoPresentDelayMs ?? 2500,
      }),
    ),
  );
  bridge.on('devlog.list', () =>
    ok([
      entry(1, 'POST /v1/terminal/create-payment 200', 'request', 'Authorization: Bearer sk_test_…9f3a'),
      entry(2, 'webhook payment.succeeded', 'event'),
    ]),
  );
  return bridge;
}

describe('Settings screen', () => {
  it('shows keys masked and never puts them in an input', async () => {
    const { user } = await renderApp(settingsBridge());
    await user.keyboard('{F7}');
    const secret = screen.getByLabelText('Secret key') as HTMLInputElement;
    expect(secret.type).toBe('password');
    expect(secret.value).toBe('');
    expect(screen.getByText('Stored: sk_test_…9f3a. Type a new key to replace it.')).toBeTruthy();
    expect(screen.getByText('No key stored.')).toBeTruthy();
    expect((screen.getByLabelText('Auto-present delay (seconds)') as HTMLInputElement).value).toBe('2.5');
    expect((screen.getByLabelText('API URL') as HTMLInputElement).value).toBe('http://127.0.0.1:4010');
  });

  it('says what the till took out of the settings it found at start', async () => {
    const notice = 'The PayPlug address held a user name or password (saved before such addresses were refused): …';
    const { user } = await renderApp(new FakeBridge(makeSnapshot({ settings: makeSettings({ notices: [notice] }) })));
    await user.keyboard('{F7}');
    expect(screen.getByText(notice)).toBeTruthy();
  });

  it('sends only what changed, then clears the typed key', async () => {
    const bridge = settingsBridge();
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.type(screen.getByLabelText('Secret key'), 'sk_test_abcdefgh1234abcd');
    await user.clear(screen.getByLabelText('Auto-present delay (seconds)'));
    await user.type(screen.getByLabelText('Auto-present delay (seconds)'), '4');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(bridge.inputs('settings.update')).toEqual([
        { secretKey: 'sk_test_abcdefgh1234abcd', autoPresentDelayMs: 4000 },
      ]),
    );
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    expect((screen.getByLabelText('Secret key') as HTMLInputElement).value).toBe('');
  });

  it('"Settings saved." goes once a field is changed again: an unsaved choice is never said saved', async () => {
    // Found in Chromium: after a save, choosing another gateway showed "Saving switches the till to
    // PayPlug…" above a "Settings saved." that was about the previous save.
    const bridge = settingsBridge();
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.clear(screen.getByLabelText('Auto-present delay (seconds)'));
    await user.type(screen.getByLabelText('Auto-present delay (seconds)'), '4');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    await user.click(screen.getByRole('radio', { name: /^PayPlug/ }));
    expect(screen.queryByText('Settings saved.')).toBeNull();
  });

  it('after a save every field shows what is saved: the sandbox’s addresses are not sent back as changes', async () => {
    const bridge = settingsBridge();
    // Without the embedded sandbox, PayPlug's and Plural's own addresses are in use again.
    bridge.on('settings.update', (input) =>
      ok(
        makeSettings({
          ...input,
          embeddedSandbox: false,
          payplug: { apiBaseUrl: 'https://api.payplug.com', secretKey: null, notificationUrl: null },
          plural: {
            apiBaseUrl: 'https://pluraluat.v2.pinepg.in',
            clientId: null,
            clientSecret: null,
            signatureKey: null,
          },
        }),
      ),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(screen.getByRole('checkbox', { name: /Embedded sandbox/ }));
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    await user.type(screen.getByLabelText('Secret key'), 'sk_test_abcdefgh1234abcd');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(bridge.count('settings.update')).toBe(2));
    expect(bridge.inputs('settings.update')).toEqual([
      { embeddedSandbox: false },
      { secretKey: 'sk_test_abcdefgh1234abcd' },
    ]);
  });

  it('removes a stored key only when asked', async () => {
    const bridge = settingsBridge();
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(screen.getByRole('checkbox', { name: 'Remove the stored key' }));
    expect((screen.getByLabelText('Secret key') as HTMLInputElement).disabled).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(bridge.inputs('settings.update')).toEqual([{ secretKey: '' }]));
  });

  it('warns before switching to live mode and sends mode, URL and sandbox changes', async () => {
    const bridge = settingsBridge();
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(screen.getByRole('radio', { name: 'Live (real cards are charged)' }));
    expect(screen.getByText(/Saving switches to live mode/)).toBeTruthy();
    await user.clear(screen.getByLabelText('API URL'));
    await user.type(screen.getByLabelText('API URL'), 'https://api.plutopay.example');
    await user.click(screen.getByRole('checkbox', { name: /Embedded sandbox/ }));
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(bridge.inputs('settings.update')).toEqual([
        { mode: 'live', apiBaseUrl: 'https://api.plutopay.example', embeddedSandbox: false },
      ]),
    );
  });

  it('warns before switching gateway while its payments are not finished: an open link can still be paid', async () => {
    // Found by using the app: a PayPlug link was open when the till switched to Plural; the note
    // said PayPlug's payments "stay as they are", and the customer paid it, unseen by the till.
    const link = makePayment({
      gateway: 'payplug',
      channel: 'link',
      amount: 777,
      currency: 'EUR',
      payUrl: 'http://127.0.0.1:9/payplug/pay/test/abc',
    });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [link, makePayment({ gateway: 'payplug', status: 'succeeded' })],
        settings: makeSettings({ gateway: 'payplug' }),
        gateway: gatewayFor('payplug'),
        readers: [],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    expect(screen.queryByText(/not finished/)).toBeNull();
    await user.click(screen.getByRole('radio', { name: /^Plural/ }));
    // Read on with PayPlug's keys after the switch (it said the till "no longer follows it", since it does).
    expect(screen.getByText(/not finished/).textContent).toBe(
      "1 payment with PayPlug is not finished (€7.77): once switched, the till still reads it with PayPlug's keys " +
        '(keep them in Settings) and records it paid, but can no longer cancel it. If the sale is off, cancel it ' +
        'first on Process payment (F2), or switch back to PayPlug later to do so.',
    );
  });

  it('says a payment not sent to a reader is no longer followed once the till switches gateway', async () => {
    const waiting = makePayment({ gateway: 'plutopay', amount: 1200, currency: 'EUR' });
    const bridge = new FakeBridge(makeSnapshot({ payments: [waiting], readers: [] }));
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(screen.getByRole('radio', { name: /^PayPlug/ }));
    expect(screen.getByText(/not finished/).textContent).toBe(
      '1 payment with PlutoPay is not finished (€12.00): once switched, the till no longer follows it, though a ' +
        'customer can still pay an open link. Finish or cancel it first on Process payment (F2), or switch back ' +
        'to PlutoPay later to finish it.',
    );
  });

  it('warns before a switch of mode alone as before a switch of gateway, naming the mode left', async () => {
    // Found in a defect hunt: going live with a test link still open and a test authorisation not
    // captured said nothing, while a switch of gateway warned of both; once live, neither is followed.
    const link = makePayment({ gateway: 'payplug', channel: 'link', amount: 777, currency: 'EUR', testMode: true });
    const held = makePayment({
      gateway: 'payplug',
      testMode: true,
      status: 'requires_capture',
      captureMethod: 'manual',
      amount: 4000,
      amountCapturable: 4000,
      currency: 'EUR',
    });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [link, held],
        settings: makeSettings({ gateway: 'payplug' }),
        gateway: gatewayFor('payplug'),
        readers: [],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    const warnings = () =>
      within(screen.getByRole('group', { name: 'Gateway' }))
        .getAllByRole('status')
        .map((region) => region.textContent)
        .filter(Boolean);
    expect(warnings()).toEqual([]);
    await user.click(screen.getByRole('radio', { name: 'Live (real cards are charged)' }));
    expect(warnings()).toEqual([
      '1 payment with PayPlug in test mode is not finished (€7.77): once switched, the till no longer follows it, ' +
        'though a customer can still pay an open link. Finish or cancel it first on Process payment (F2), or ' +
        'switch back to PayPlug in test mode later to finish it.',
      '1 authorisation with PayPlug in test mode is not captured yet (€40.00): once switched, Capture (F4) no ' +
        'longer offers it, and the money held on the card is not collected. Capture or cancel it first on Capture ' +
        '(F4), or switch back to PayPlug in test mode later to do so before it expires.',
    ]);
    // Back to the mode the till is in: nothing is left behind.
    await user.click(screen.getByRole('radio', { name: /^Test/ }));
    expect(warnings()).toEqual([]);
  });

  it('warns before the embedded sandbox is turned off, or the gateway’s keys changed, as before a switch', async () => {
    // Found in a defect hunt: a change of account leaves the payments, authorisations and plans of the
    // account in use behind as a switch of gateway does, but the save said nothing of them.
    const link = makePayment({ gateway: 'payplug', channel: 'link', amount: 777, currency: 'EUR' });
    const held = makePayment({
      gateway: 'payplug',
      status: 'requires_capture',
      captureMethod: 'manual',
      amount: 4000,
      amountCapturable: 4000,
      currency: 'EUR',
    });
    // Already another account's (made on the shop's own before the sandbox was turned on): it comes back.
    const theirs = makePayment({
      gateway: 'payplug',
      channel: 'link',
      amount: 500,
      currency: 'EUR',
      otherAccount: true,
    });
    const plan: InstallmentPlanView = {
      id: 'a',
      gateway: 'payplug',
      gatewayPlanId: 'inst_a',
      orderReference: 'ORD-a',
      amount: 9000,
      currency: 'EUR',
      status: 'active',
      schedule: [{ date: '2026-11-30', amount: 3000, paymentIds: ['pay_1'], paid: true, state: 'paid' }],
      customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
      payUrl: null,
      payUrlExpiresAt: null,
      failure: null,
      notFollowed: null,
      createdAt: '2026-11-30T10:00:00Z',
    };
    const start = (embeddedSandbox: boolean) => {
      const bridge = new FakeBridge(
        makeSnapshot({
          payments: [link, held, theirs],
          settings: makeSettings({ gateway: 'payplug', embeddedSandbox }),
          gateway: gatewayFor('payplug'),
          readers: [],
        }),
      );
      bridge.on('installments.list', () => ok([plan]));
      return renderApp(bridge, { screen: 'settings' });
    };
    const warnings = () =>
      screen
        .getAllByRole('status')
        .map((region) => region.textContent ?? '')
        .filter((text) => /not finished|not captured|still running/.test(text));

    const first = await start(true);
    expect(warnings()).toEqual([]);
    await first.user.click(screen.getByRole('checkbox', { name: /^Embedded sandbox/ }));
    await waitFor(() => expect(warnings()).toHaveLength(3));
    expect(warnings()).toEqual([
      '1 payment with PayPlug on the embedded sandbox is not finished (€7.77): once switched, the till no longer ' +
        'follows it, though a customer can still pay an open link. Finish or cancel it first on Process payment ' +
        '(F2), or switch back to PayPlug on the embedded sandbox later to finish it.',
      '1 authorisation with PayPlug on the embedded sandbox is not captured yet (€40.00): once switched, Capture ' +
        '(F4) no longer offers it, and the money held on the card is not collected. Capture or cancel it first on ' +
        'Capture (F4), or switch back to PayPlug on the embedded sandbox later to do so before it expires.',
      '1 installment plan with PayPlug on the embedded sandbox is still running: PayPlug charges the later parts ' +
        'on their dates, but once switched the till no longer takes them in, nor can it abort it, until it is ' +
        'back on the embedded sandbox.',
    ]);
    // Turned back on: nothing is left behind.
    await first.user.click(screen.getByRole('checkbox', { name: /^Embedded sandbox/ }));
    expect(warnings()).toEqual([]);
    first.unmount();

    // The shop's own account: a new secret key names the account in use now.
    const second = await start(false);
    expect(warnings()).toEqual([]);
    await second.user.type(screen.getByLabelText('PayPlug secret key'), 'sk_test_new');
    await waitFor(() => expect(warnings()).toHaveLength(3));
    expect(warnings()[0]).toMatch(
      /^1 payment with PayPlug on the account in use now is not finished \(€7\.77\): once switched, the till no longer follows it/,
    );
    await second.user.clear(screen.getByLabelText('PayPlug secret key'));
    expect(warnings()).toEqual([]);
  });

  it('names the mode of payments still open in another mode than the till’s, as a switch leaves them', async () => {
    // Live on PayPlug with a test link left open from before going live: the switch's warning said
    // "with PayPlug", and switching back to PayPlug alone would not bring it back.
    const payments = [
      makePayment({
        id: 'pay_test',
        gateway: 'payplug',
        channel: 'link',
        amount: 777,
        currency: 'EUR',
        testMode: true,
      }),
      makePayment({
        id: 'pay_live',
        gateway: 'payplug',
        channel: 'link',
        amount: 500,
        currency: 'EUR',
        testMode: false,
      }),
    ];
    const bridge = new FakeBridge(
      makeSnapshot({
        mode: 'live',
        payments,
        settings: makeSettings({ gateway: 'payplug', mode: 'live' }),
        gateway: gatewayFor('payplug'),
        readers: [],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(screen.getByRole('radio', { name: /^Plural/ }));
    expect(screen.getByText(/not finished/).textContent).toBe(
      '1 payment with PayPlug in test mode is not finished (€7.77): the till follows it only with PayPlug in test ' +
        'mode. Switch back to PayPlug in test mode later to finish it. ' +
        "1 payment with PayPlug is not finished (€5.00): once switched, the till still reads it with PayPlug's " +
        'keys (keep them in Settings) and records it paid, but can no longer cancel it. If the sale is off, cancel ' +
        'it first on Process payment (F2), or switch back to PayPlug later to do so.',
    );
    // Going back to test mode alone brings the test link back: only the live one is left behind.
    await user.click(screen.getByRole('radio', { name: /^PayPlug/ }));
    await user.click(screen.getByRole('radio', { name: /^Test/ }));
    expect(screen.getByText(/not finished/).textContent).toMatch(
      /^1 payment with PayPlug in live mode is not finished \(€5\.00\): once switched/,
    );
  });

  it("says a switch's warnings in live regions already on the page, so each is heard as the radio is chosen", async () => {
    // Found by the accessibility e2e: the warnings were drawn as plain paragraphs after the radios, so
    // a screen-reader user arrowing to another gateway (or to live mode) heard nothing of them.
    const link = makePayment({ gateway: 'payplug', channel: 'link', amount: 777, currency: 'EUR' });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [link],
        settings: makeSettings({ gateway: 'payplug' }),
        gateway: gatewayFor('payplug'),
        readers: [],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    const group = (name: string) => within(screen.getByRole('group', { name }));
    const gatewayRegions = group('Gateway').getAllByRole('status');
    const modeRegions = group('Mode').getAllByRole('status');
    expect([...gatewayRegions, ...modeRegions].map((region) => region.textContent)).toEqual(['', '', '', '']);
    await user.click(screen.getByRole('radio', { name: /^Plural/ }));
    expect(gatewayRegions[0]!.textContent).toMatch(/^1 payment with PayPlug is not finished \(€7\.77\)/);
    await user.click(screen.getByRole('radio', { name: 'Live (real cards are charged)' }));
    expect(modeRegions[0]!.textContent).toBe('Saving switches to live mode: real cards will be charged.');
  });

  it("names the mode to switch back to for authorisations left behind when it is not the till's", async () => {
    // Found in a cashier-day hunt: going live and to Plural, a test authorisation with PayPlug was told
    // to "switch back" (to PayPlug), which alone would not bring it back.
    const held = (testMode: boolean, amount: number) =>
      makePayment({
        gateway: 'payplug',
        testMode,
        status: 'requires_capture',
        captureMethod: 'manual',
        amount,
        amountCapturable: amount,
        currency: 'EUR',
      });
    const bridge = new FakeBridge(
      makeSnapshot({
        payments: [held(true, 4000), held(false, 2500)],
        settings: makeSettings({ gateway: 'payplug' }),
        gateway: gatewayFor('payplug'),
        readers: [],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(screen.getByRole('radio', { name: 'Live (real cards are charged)' }));
    await user.click(screen.getByRole('radio', { name: /^Plural/ }));
    const warning = within(screen.getByRole('group', { name: 'Gateway' }))
      .getAllByRole('status')
      .map((region) => region.textContent)
      .find((text) => /authorisation/.test(text ?? ''));
    expect(warning).toBe(
      '1 authorisation with PayPlug in test mode is not captured yet (€40.00): once switched, Capture (F4) no ' +
        'longer offers it, and the money held on the card is not collected. Capture or cancel it first on Capture ' +
        '(F4), or switch back to PayPlug in test mode later to do so before it expires. ' +
        '1 authorisation with PayPlug is not captured yet (€25.00): Capture (F4) offers it only with PayPlug. ' +
        'Switch back to PayPlug later to capture or cancel it before it expires.',
    );
  });

  it('says before switching gateway that its running plans are still followed, with its keys kept', async () => {
    const plan = (id: string, status: string): InstallmentPlanView => ({
      id,
      gateway: 'payplug',
      gatewayPlanId: `inst_${id}`,
      orderReference: `ORD-${id}`,
      amount: 9000,
      currency: 'EUR',
      status,
      schedule: [{ date: '2026-11-30', amount: 3000, paymentIds: ['pay_1'], paid: true, state: 'paid' }],
      customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
      payUrl: null,
      payUrlExpiresAt: null,
      failure: null,
      notFollowed: null,
      createdAt: '2026-11-30T10:00:00Z',
    });
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
    );
    bridge.on('installments.list', () => ok([plan('a', 'active'), plan('b', 'aborted'), plan('c', 'completed')]));
    const { user } = await renderApp(bridge, { screen: 'settings' });
    expect(bridge.count('installments.list')).toBe(0);
    await user.click(screen.getByRole('radio', { name: /^Plural/ }));
    expect((await screen.findByText(/still running/)).textContent).toBe(
      '1 installment plan with PayPlug is still running: PayPlug charges the later parts on their dates, and the ' +
        "till goes on taking them in with PayPlug's keys (keep them in Settings until it ends), and Abort plan " +
        'ends one with them too.',
    );
    await user.click(screen.getByRole('radio', { name: /^PayPlug/ }));
    expect(screen.queryByText(/still running/)).toBeNull();
  });

  it('says before a switch of mode that the running plans of the mode left are no longer followed', async () => {
    // Found in a defect hunt: going live said nothing of a test plan PayPlug goes on charging, which
    // the till no longer takes in once live (a switch of gateway said its plans were still followed).
    const plan = (id: string, notFollowed: string | null): InstallmentPlanView => ({
      id,
      gateway: 'payplug',
      gatewayPlanId: `inst_${id}`,
      orderReference: `ORD-${id}`,
      amount: 9000,
      currency: 'EUR',
      status: 'active',
      schedule: [{ date: '2026-11-30', amount: 3000, paymentIds: ['pay_1'], paid: true, state: 'paid' }],
      customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
      payUrl: null,
      payUrlExpiresAt: null,
      failure: null,
      notFollowed,
      createdAt: '2026-11-30T10:00:00Z',
    });
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
    );
    // One of the test mode followed now; one of live mode, not followed now, comes back once live.
    bridge.on('installments.list', () => ok([plan('a', null), plan('b', 'A plan made in live mode …')]));
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(screen.getByRole('radio', { name: 'Live (real cards are charged)' }));
    expect((await screen.findByText(/still running/)).textContent).toBe(
      '1 installment plan with PayPlug in test mode is still running: PayPlug charges the later parts on their ' +
        'dates, but once switched the till no longer takes them in, nor can it abort it, until it is back in test mode.',
    );
    await user.click(screen.getByRole('radio', { name: /^Test/ }));
    expect(screen.queryByText(/still running/)).toBeNull();
  });

  it('does not ask to cancel what the gateway cannot withdraw (a Plural link) before a switch', async () => {
    const link = makePayment({ gateway: 'plural', channel: 'link', amount: 50000, currency: 'INR', next: [] });
    const bridge = new FakeBridge(
      makeSnapshot({ payments: [link], settings: makeSettings({ gateway: 'plural' }), readers: [] }),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.click(screen.getByRole('radio', { name: /^PayPlug/ }));
    expect(screen.getByText(/not finished/).textContent).toMatch(
      /^1 payment with Plural is not finished \(₹500\.00\): once switched, the till still reads it with Plural's keys \(keep them in Settings\) and records it paid\. Plural cannot withdraw an open link, and sets it no time limit: let it be paid\.$/,
    );
  });

  it('shows the host’s field issues next to the key, and the mode badge follows the host', async () => {
    const bridge = settingsBridge();
    bridge.on('settings.update', () =>
      fail('validation', 'secretKey: secret key must start with sk_test_ or sk_live_', {
        issues: [{ path: 'secretKey', message: 'secret key must start with sk_test_ or sk_live_' }],
      }),
    );
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.type(screen.getByLabelText('Secret key'), 'pk_wrong{Enter}');
    expect(await screen.findByText('Secret key must start with sk_test_ or sk_live_.')).toBeTruthy();
    expect(screen.getByLabelText('Secret key').getAttribute('aria-invalid')).toBe('true');
    expect(shownAlert().textContent).toMatch(/Not saved/);
    expect(screen.getByText('TEST MODE')).toBeTruthy();
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
    expect(screen.getByText('LIVE')).toBeTruthy();
  });

  it("shows PayPlug's field issues next to their fields, not again with the field's name in the alert", async () => {
    // Found by a tester: a pk_… key as PayPlug's secret key said, under Save,
    // "Not saved. payplugSecretKey: PayPlug secret key must start with sk_test_ or sk_live_".
    const bridge = new FakeBridge(
      makeSnapshot({ settings: makeSettings({ gateway: 'payplug' }), gateway: gatewayFor('payplug'), readers: [] }),
    );
    const issues = {
      payplugSecretKey: [
        'PayPlug secret key must start with sk_test_ or sk_live_',
        'PayPlug secret key must start with sk_test_ or sk_live_.',
      ],
      payplugApiBaseUrl: ['https required in live mode', 'PayPlug API URL: https required in live mode.'],
      payplugNotificationUrl: ['not a URL', 'The notification URL is not a URL.'],
    } as const;
    for (const [path, [message, shown]] of Object.entries(issues)) {
      bridge.on('settings.update', () => fail('validation', `${path}: ${message}`, { issues: [{ path, message }] }));
      const { user, unmount } = await renderApp(bridge, { screen: 'settings' });
      await user.type(screen.getByLabelText('PayPlug secret key'), 'pk_test_abcdef123456');
      await user.click(screen.getByRole('button', { name: 'Save settings' }));
      expect(await screen.findByText(shown)).toBeTruthy();
      expect(shownAlert().textContent).toBe('Not saved. Check the highlighted fields.');
      unmount();
    }
  });

  it('refuses an auto-present delay that is not 0–600 seconds', async () => {
    const bridge = settingsBridge();
    const { user } = await renderApp(bridge, { screen: 'settings' });
    await user.clear(screen.getByLabelText('Auto-present delay (seconds)'));
    await user.type(screen.getByLabelText('Auto-present delay (seconds)'), '900');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(screen.getAllByText('Auto-present delay: a number of seconds from 0 to 600.').length).toBeGreaterThan(0);
    expect(bridge.count('settings.update')).toBe(0);
    // The cursor is in the field to fix, not left on Save settings.
    expect(document.activeElement).toBe(screen.getByLabelText('Auto-present delay (seconds)'));
  });

  it('shows the developer log newest first and appends log events as they arrive', async () => {
    const bridge = settingsBridge();
    await renderApp(bridge, { screen: 'settings' });
    const list = await screen.findByRole('list', { name: 'Log entries' });
    expect(bridge.inputs('devlog.list')).toEqual([{ limit: 200 }]);
    const items = () => [...list.querySelectorAll('li')].map((li) => li.textContent ?? '');
    expect(items()[0]).toMatch(/webhook payment\.succeeded/);
    expect(items()[1]).toMatch(/POST \/v1\/terminal\/create-payment 200/);
    act(() => bridge.push({ seq: 11, type: 'log', entry: entry(3, 'reader rdr_sim1 online', 'reader') }));
    expect(items()[0]).toMatch(/reader rdr_sim1 online/);
    expect(items()).toHaveLength(3);
  });

  it("lets the keyboard reach the developer log's list, which scrolls on its own", async () => {
    // Found by the accessibility e2e (axe's scrollable-region-focusable): with entries holding no
    // Detail to focus, the scrolling list could not be scrolled from the keyboard.
    const bridge = settingsBridge();
    await renderApp(bridge, { screen: 'settings' });
    const list = await screen.findByRole('list', { name: 'Log entries' });
    expect(list.tabIndex).toBe(0);
  });
});

describe('settings: forwarded webhooks', () => {
  it('turns the receiver on with any free port and stores the signing secret write-only', () => {
    const current = makeSettings();
    const base = {
      mode: 'test' as const,
      apiBaseUrl: current.apiBaseUrl,
      embeddedSandbox: true,
      autoPresentSeconds: '0',
      secretKey: '',
      publishableKey: '',
    };
    expect(
      settingsChanges(
        current,
        { ...base, webhooksOn: true, webhookPort: '', webhookSecret: 'whsec_abcdefgh1234' },
        { secretKey: false, publishableKey: false },
      ),
    ).toEqual({
      webhookPort: 0,
      webhookSecret: 'whsec_abcdefgh1234',
    });
    const running = makeSettings({
      webhookPort: 0,
      webhookUrl: 'http://127.0.0.1:5000/webhooks/plutopay',
      webhookSecret: 'whsec_…1234',
    });
    expect(
      settingsChanges(
        running,
        { ...base, webhooksOn: true, webhookPort: '' },
        { secretKey: false, publishableKey: false },
      ),
    ).toEqual({});
    expect(
      settingsChanges(
        running,
        { ...base, webhooksOn: false },
        { secretKey: false, publishableKey: false, webhookSecret: true },
      ),
    ).toEqual({ webhookPort: null, webhookSecret: '' });
    expect(
      settingsChanges(
        running,
        { ...base, webhooksOn: true, webhookPort: '70000' },
        { secretKey: false, publishableKey: false },
      ),
    ).toMatchObject({ path: 'webhookPort' });
  });

  it('a receiver whose port was taken says so, and Save asks for the same port again', async () => {
    const stuck = makeSettings({
      webhookPort: 8123,
      webhookError: 'port 8123 on 127.0.0.1 is in use by another program',
    });
    const base = {
      mode: 'test' as const,
      apiBaseUrl: stuck.apiBaseUrl,
      embeddedSandbox: true,
      autoPresentSeconds: '0',
      secretKey: '',
      publishableKey: '',
    };
    const keys = { secretKey: false, publishableKey: false };
    expect(settingsChanges(stuck, { ...base, webhooksOn: true, webhookPort: '8123' }, keys)).toEqual({
      webhookPort: 8123,
    });
    expect(settingsChanges(stuck, { ...base, webhooksOn: true, webhookPort: '' }, keys)).toEqual({ webhookPort: 0 });
    const bridge = new FakeBridge(makeSnapshot({ settings: stuck }));
    await renderApp(bridge, { screen: 'settings' });
    expect(
      await screen.findByText(/^Not receiving notifications: port 8123 on 127\.0\.0\.1 is in use by another program\./),
    ).toBeTruthy();
  });
});
