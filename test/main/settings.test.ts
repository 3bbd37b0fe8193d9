import { describe, expect, it } from 'vitest';
import { parseCommandInput } from '../../common/contract';
import { FakeClock } from '../support/fake-clock';
import { CachedSecretStore, MemorySecretStore, type SecretName } from '../../main/config/secrets';
import { SettingsStore } from '../../main/config/settings';
import { HostError } from '../../main/core/errors';
import { Journal } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';

function store() {
  const secrets = new MemorySecretStore();
  return { secrets, settings: new SettingsStore(new Journal(openDatabase(':memory:'), new FakeClock()), secrets) };
}

describe('settings and key hygiene', () => {
  it('starts in test mode with the embedded sandbox', () => {
    const { settings } = store();
    expect(settings.get()).toMatchObject({ mode: 'test', embeddedSandbox: true });
    expect(settings.view({ plutopay: 'http://127.0.0.1:1' }).apiBaseUrl).toBe('http://127.0.0.1:1');
  });

  it('shows keys masked and never returns them', () => {
    const { settings } = store();
    settings.update({ secretKey: 'sk_test_abcdefgh1234', embeddedSandbox: false });
    const view = settings.view({ plutopay: 'x' });
    expect(view.secretKey).toBe('sk_test_…1234');
    expect(JSON.stringify(view)).not.toContain('abcdefgh');
  });

  it('refuses a live key in test mode and a test key in live mode', () => {
    const { settings } = store();
    expect(() => settings.update({ secretKey: 'sk_live_abcdefgh1234' })).toThrow(
      /live key cannot be used in test mode/,
    );
    expect(() =>
      settings.update({ mode: 'live', secretKey: 'sk_test_abcdefgh1234', apiBaseUrl: 'https://gw.example' }),
    ).toThrow(HostError);
    expect(settings.get().mode).toBe('test');
  });

  it("refuses a PayPlug key of the other mode as PlutoPay's, and drops it when the mode switches", () => {
    const { settings, secrets } = store();
    expect(() => settings.update({ gateway: 'payplug', payplugSecretKey: 'sk_live_abcdefgh1234' })).toThrow(
      /live key cannot be used in test mode/,
    );
    expect(secrets.get('payplugSecretKey')).toBeNull();
    settings.update({ gateway: 'payplug', payplugSecretKey: 'sk_test_abcdefgh1234', embeddedSandbox: false });
    expect(() =>
      settings.update({
        mode: 'live',
        payplugSecretKey: 'sk_test_abcdefgh5678',
        payplugApiBaseUrl: 'https://pp.example',
      }),
    ).toThrow(/test key cannot be used in live mode/);
    expect(settings.get().mode).toBe('test');
    expect(secrets.get('payplugSecretKey')).toBe('sk_test_abcdefgh1234');
    settings.update({ mode: 'live', payplugApiBaseUrl: 'https://pp.example' });
    expect(secrets.get('payplugSecretKey')).toBeNull();
  });

  it("switching mode drops the old mode's keys and reports an account change", () => {
    const { settings, secrets } = store();
    settings.update({ secretKey: 'sk_test_abcdefgh1234', embeddedSandbox: false });
    const { accountChanged } = settings.update({ mode: 'live', apiBaseUrl: 'https://gw.example' });
    expect(accountChanged).toBe(true);
    expect(secrets.get('secretKey')).toBeNull();
    expect(settings.get()).toMatchObject({ mode: 'live', embeddedSandbox: false });
  });

  it('live mode needs https and no embedded sandbox', () => {
    const { settings } = store();
    expect(() => settings.update({ mode: 'live', apiBaseUrl: 'http://gw.example' })).toThrow(/https/);
    expect(() => settings.update({ mode: 'live', apiBaseUrl: 'https://gw.example', embeddedSandbox: true })).toThrow(
      /test mode only/,
    );
  });

  it("refuses Plural's UAT in live mode however its address is written", () => {
    // Found by an attack on the till: only the exact string was refused, so a trailing slash (as
    // copied from a browser's address bar) or capitals took live payments on the test environment.
    for (const uat of [
      'https://pluraluat.v2.pinepg.in',
      'https://pluraluat.v2.pinepg.in/',
      'https://PluralUAT.v2.pinepg.in',
      'https://pluraluat.v2.pinepg.in:443',
      'https://pluraluat.v2.pinepg.in./',
      'https://pluraluat.v2.pinepg.in/api',
    ]) {
      const { settings } = store();
      expect(() =>
        settings.update({ mode: 'live', apiBaseUrl: 'https://gw.example', gateway: 'plural', pluralApiBaseUrl: uat }),
      ).toThrow(/UAT environment is for test mode/);
      expect(settings.get().mode).toBe('test');
    }
    const { settings } = store();
    settings.update({ mode: 'live', gateway: 'plural', pluralApiBaseUrl: 'https://api.pluralpay.in/' });
    expect(settings.get()).toMatchObject({ mode: 'live', gateway: 'plural' });
  });

  it('a change that keeps the account is not an account change', () => {
    const { settings } = store();
    expect(settings.update({ autoPresentDelayMs: 1500 }).accountChanged).toBe(false);
    expect(settings.get().autoPresentDelayMs).toBe(1500);
  });

  it('keeps the counter settings: shop, time zone, tipping, receipt printer', () => {
    const { settings } = store();
    expect(settings.get()).toMatchObject({ tipping: false, tipPresets: [10, 15, 20], receiptWidth: 42 });
    const { accountChanged } = settings.update({
      shopName: 'Café des Arts',
      shopAddress: ['12 rue de la Paix', '75002 Paris'],
      timeZone: 'Europe/Paris',
      tipping: true,
      tipPresets: [5, 12.5],
      receiptPrinterPort: '/dev/ttyUSB0',
      receiptWidth: 48,
      printReceipts: 'both',
      drawerKick: true,
    });
    expect(accountChanged).toBe(false);
    const view = settings.view({}, null, { url: 'http://127.0.0.1:1/#display=ab', connected: 1 });
    expect(view.counter).toEqual({
      shopName: 'Café des Arts',
      shopAddress: ['12 rue de la Paix', '75002 Paris'],
      receiptFooter: [],
      timeZone: 'Europe/Paris',
      tipping: { enabled: true, presets: [5, 12.5] },
      printer: { port: '/dev/ttyUSB0', width: 48, print: 'both', drawerKick: true, problem: null },
      customerDisplay: { url: 'http://127.0.0.1:1/#display=ab', connected: 1 },
    });
    // Empty text clears: the shop name falls back to the account's, the printer is removed.
    settings.update({ shopName: '', receiptPrinterPort: '' });
    expect(settings.get()).toMatchObject({ shopName: null, receiptPrinterPort: null });
  });

  it('says what is wrong with a key, without echoing it', () => {
    // Found by a tester: every malformed key was told it "must start with sk_test_ or sk_live_".
    const problem = (input: Record<string, string>) => {
      const parsed = parseCommandInput('settings.update', input);
      return parsed.ok ? null : parsed.error.issues?.[0]?.message;
    };
    expect(problem({ secretKey: 'sk_test_short' })).toBe(
      'secret key is too short: sk_test_ then at least 8 letters or digits',
    );
    expect(problem({ secretKey: 'sk_test_ABCDEFGH1234567-xyz' })).toMatch(/^secret key has a character a key does not/);
    expect(problem({ publishableKey: 'sk_test_ABCDEFGH12345678' })).toBe(
      'publishable key must start with pk_test_ or pk_live_',
    );
    expect(problem({ payplugSecretKey: `sk_live_${'a'.repeat(201)}` })).toMatch(/^PayPlug secret key is too long/);
    expect(problem({ webhookSecret: 'whsec_ABCDEFGH12345678' })).toBeNull();
    expect(problem({ secretKey: '' })).toBeNull();
    for (const input of [{ secretKey: 'sk_test_SECRETVALUE-1' }, { secretKey: 'nope_SECRETVALUE' }])
      expect(JSON.stringify(parseCommandInput('settings.update', input))).not.toContain('SECRETVALUE');
  });

  it('refuses a gateway address with a ?query or #fragment: every request path is added to it', () => {
    for (const field of ['apiBaseUrl', 'payplugApiBaseUrl', 'pluralApiBaseUrl'])
      for (const url of ['https://api.example.com/v1?x=1', 'https://api.example.com/#top']) {
        const parsed = parseCommandInput('settings.update', { [field]: url });
        expect(parsed.ok ? null : parsed.error.issues?.[0]?.message).toBe(
          'a gateway address has no ?query or #fragment',
        );
      }
    expect(parseCommandInput('settings.update', { apiBaseUrl: 'https://api.example.com/api/' }).ok).toBe(true);
  });

  it('refuses a gateway address carrying a user name or password, without echoing it', () => {
    // Found in a security review: https://shop:PASSWORD@gw… was saved, shown in Settings and written
    // to the developer log in clear, and every call then failed as "the gateway is unreachable"
    // (fetch refuses a URL with credentials), with no word of why.
    for (const field of ['apiBaseUrl', 'payplugApiBaseUrl', 'pluralApiBaseUrl'])
      for (const url of ['https://shop:SECRETVALUE@api.example.com', 'https://SECRETVALUE@api.example.com/api']) {
        const parsed = parseCommandInput('settings.update', { [field]: url });
        expect(parsed.ok ? null : parsed.error.issues).toEqual([
          expect.objectContaining({
            path: field,
            message: 'a gateway address has no user name or password (…@): the key goes in its own field',
          }),
        ]);
        expect(JSON.stringify(parsed)).not.toContain('SECRETVALUE');
      }
    // An @ further on is no credential.
    expect(parseCommandInput('settings.update', { apiBaseUrl: 'https://api.example.com/@shop' }).ok).toBe(true);
  });

  it("shows the PayPlug notification URL's user name and password masked, and keeps them for their host only", () => {
    // Found in a security review: a forwarder's password in the notification URL was shown in
    // Settings (and sent to the screen) in clear.
    const { settings } = store();
    settings.update({ payplugNotificationUrl: 'https://shop:SECRETPASS@hooks.example/pos' });
    const view = settings.view({});
    expect(view.payplug.notificationUrl).toBe('https://…@hooks.example/pos');
    expect(JSON.stringify(view)).not.toContain('SECRETPASS');
    // PayPlug is still given the whole URL: its notifications must get through the forwarder.
    expect(settings.get().payplugNotificationUrl).toBe('https://shop:SECRETPASS@hooks.example/pos');
    // Sent back masked with another path (the Settings form shows it so): the stored ones are kept.
    settings.update({ payplugNotificationUrl: 'https://…@hooks.example/till' });
    expect(settings.get().payplugNotificationUrl).toBe('https://shop:SECRETPASS@hooks.example/till');
    // Never for another host: they must be typed again.
    for (const url of ['https://…@elsewhere.example/till', 'http://…@hooks.example/till']) {
      let refused: unknown;
      try {
        settings.update({ payplugNotificationUrl: url });
      } catch (error) {
        refused = error;
      }
      expect(refused).toMatchObject({
        code: 'validation',
        extra: { issues: [expect.objectContaining({ path: 'payplugNotificationUrl' })] },
      });
    }
    expect(settings.get().payplugNotificationUrl).toBe('https://shop:SECRETPASS@hooks.example/till');
    // A URL without them is shown as it is.
    settings.update({ payplugNotificationUrl: 'https://hooks.example/pos' });
    expect(settings.view({}).payplug.notificationUrl).toBe('https://hooks.example/pos');
    expect(() => settings.update({ payplugNotificationUrl: 'https://…@hooks.example/pos' })).toThrow(HostError);
  });

  it('refuses a gateway address ending in a version: the client adds /v1 itself, and every call 404ed', () => {
    // Found by a tester: https://…/api/v1 was saved without a word, and every call went to /api/v1/v1/….
    for (const field of ['apiBaseUrl', 'payplugApiBaseUrl', 'pluralApiBaseUrl'])
      for (const url of [
        'https://api.example.com/v1',
        'https://api.example.com/api/v1/',
        'https://api.example.com/V2',
      ]) {
        const parsed = parseCommandInput('settings.update', { [field]: url });
        expect(parsed.ok ? null : parsed.error.issues).toEqual([
          expect.objectContaining({
            path: field,
            message: 'leave out the version at the end (/v1): the till adds it to every request',
          }),
        ]);
      }
    for (const url of ['https://api.example.com/api', 'https://api.example.com/v1beta/', 'https://v1.example.com'])
      expect(parseCommandInput('settings.update', { apiBaseUrl: url }).ok).toBe(true);
  });

  it('refuses a time zone Intl does not know and tip presets above 100 %', () => {
    expect(parseCommandInput('settings.update', { timeZone: 'Mars/Olympus' }).ok).toBe(false);
    // Typed in any case, kept as IANA spells it (reports print it).
    expect(parseCommandInput('settings.update', { timeZone: 'europe/paris' })).toMatchObject({
      ok: true,
      value: { timeZone: 'Europe/Paris' },
    });
    expect(parseCommandInput('settings.update', { timeZone: 'utc' })).toMatchObject({ value: { timeZone: 'UTC' } });
    expect(parseCommandInput('settings.update', { tipPresets: [150] }).ok).toBe(false);
    expect(parseCommandInput('settings.update', { tipPresets: [12.345] }).ok).toBe(false);
    // Two buttons alike are refused by any client, naming the repeat.
    expect(parseCommandInput('settings.update', { tipPresets: [5, 5, 5] })).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'tipPresets.1', message: '5 % is there twice: each preset once' }] },
    });
    expect(parseCommandInput('settings.update', { receiptWidth: 40 }).ok).toBe(false);
    // A client secret too short to be masked by value wherever it appears is refused; empty clears it.
    expect(parseCommandInput('settings.update', { pluralClientSecret: 'abcd' })).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'pluralClientSecret' }] },
    });
    expect(parseCommandInput('settings.update', { pluralClientSecret: '' }).ok).toBe(true);
    expect(parseCommandInput('settings.update', { pluralClientSecret: 'cs_0123456789' }).ok).toBe(true);
    expect(parseCommandInput('settings.update', { timeZone: 'America/Santiago', tipPresets: [10, 15, 20] }).ok).toBe(
      true,
    );
  });

  it('a key of the other mode found at start (a save killed half-way) is dropped, never used', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    const secrets = new MemorySecretStore();
    // Killed after the keys were written, before the settings: live keys, still in test mode.
    secrets.set('secretKey', 'sk_live_abcdefghijklmnop');
    secrets.set('publishableKey', 'pk_test_abcdefghijklmnop');
    const settings = new SettingsStore(journal, secrets);
    expect(settings.get().mode).toBe('test');
    expect(settings.droppedAtStart).toEqual(['secretKey']);
    expect([settings.secret('secretKey'), secrets.get('secretKey')]).toEqual([null, null]);
    expect(settings.secret('publishableKey')).toBe('pk_test_abcdefghijklmnop');
    expect(new SettingsStore(journal, secrets).droppedAtStart).toEqual([]);
  });

  it('a gateway address with a user name or password saved before they were refused loses them at start, nothing else', () => {
    // Found in a security review: such an address is refused when saved, but one saved before was
    // read at every start, shown in Settings in clear and kept as the account's name.
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    journal.setSetting('embeddedSandbox', false);
    journal.setSetting('apiBaseUrl', 'https://shop:SECRETPASS@gw.example/api');
    journal.setSetting('payplugApiBaseUrl', 'https://SECRETUSER@pp.example');
    journal.setSetting('pluralApiBaseUrl', 'https://plural.example/api');
    journal.setSetting('shopName', 'Corner shop');
    journal.setSetting('payplugNotificationUrl', 'https://hooks.example/pos');
    const secrets = new MemorySecretStore();
    secrets.set('secretKey', 'sk_test_abcdefghijklmnop');
    const settings = new SettingsStore(journal, secrets);
    expect(settings.get()).toMatchObject({
      embeddedSandbox: false,
      apiBaseUrl: 'https://gw.example/api',
      payplugApiBaseUrl: 'https://pp.example',
      pluralApiBaseUrl: 'https://plural.example/api',
      shopName: 'Corner shop',
      payplugNotificationUrl: 'https://hooks.example/pos',
    });
    expect(settings.secret('secretKey')).toBe('sk_test_abcdefghijklmnop');
    // Taken out on disk too: the next start finds nothing to say.
    expect(journal.getSetting('apiBaseUrl')).toBe('https://gw.example/api');
    expect(new SettingsStore(journal, secrets).notices()).toEqual([]);
    const view = settings.view({});
    expect(view.notices).toEqual([
      expect.stringMatching(/^The PlutoPay address held a user name or password .*now https:\/\/gw\.example\/api\./),
      expect.stringMatching(/^The PayPlug address held a user name or password .*now https:\/\/pp\.example\./),
    ]);
    expect(JSON.stringify(view)).not.toMatch(/SECRET/);
    // Saving that address again is the answer: its notice goes, the other's stays.
    settings.update({ apiBaseUrl: 'https://gw.example/api' });
    expect(settings.view({}).notices).toEqual([expect.stringMatching(/^The PayPlug address/)]);
  });

  it('reads each secret from its store once, sees what is set, and keeps what it held after a refused write', () => {
    const store = new MemorySecretStore();
    const reads: SecretName[] = [];
    let refuse = false;
    const counting = {
      kind: store.kind,
      get: (name: SecretName) => (reads.push(name), store.get(name)),
      set: (name: SecretName, value: string | null) => {
        if (refuse) throw new Error('the keychain is locked');
        store.set(name, value);
      },
    };
    store.set('secretKey', 'sk_test_one');
    const cached = new CachedSecretStore(counting);
    expect([cached.get('secretKey'), cached.get('secretKey'), cached.get('webhookSecret')]).toEqual([
      'sk_test_one',
      'sk_test_one',
      null,
    ]);
    expect(reads).toEqual(['secretKey', 'webhookSecret']);
    cached.set('secretKey', 'sk_test_two');
    expect(cached.get('secretKey')).toBe('sk_test_two');
    refuse = true;
    expect(() => cached.set('secretKey', 'sk_test_three')).toThrow(/locked/);
    // Not asked again: a damaged file would refuse the read too, and every command with it.
    expect(cached.get('secretKey')).toBe('sk_test_two');
    expect(reads).toEqual(['secretKey', 'webhookSecret']);
  });
});
