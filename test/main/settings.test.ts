import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { MemorySecretStore } from '../../main/config/secrets';
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

  it('a change that keeps the account is not an account change', () => {
    const { settings } = store();
    expect(settings.update({ autoPresentDelayMs: 1500 }).accountChanged).toBe(false);
    expect(settings.get().autoPresentDelayMs).toBe(1500);
  });
});
