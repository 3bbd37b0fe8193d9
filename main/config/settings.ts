/**
 * The app's settings: mode, gateway URL, embedded sandbox, simulated-reader behaviour. Plain
 * values live in the journal's settings table; keys live in a SecretStore. This module also
 * enforces key hygiene: a test key is never used in live mode and the other way round.
 */
import type { Mode, ParsedCommandInput, SettingsView } from '../../common/contract';
import { maskKey } from '../host/devlog';
import { HostError } from '../host/errors';
import type { Journal } from '../store/journal';
import type { SecretStore } from './secrets';

export const DEFAULT_API_BASE_URL = 'https://plutopayus.com/api';

export interface Settings {
  mode: Mode;
  apiBaseUrl: string;
  embeddedSandbox: boolean;
  autoPresentDelayMs: number;
  webhookPort: number | null;
}

const DEFAULTS: Settings = {
  mode: 'test',
  apiBaseUrl: DEFAULT_API_BASE_URL,
  embeddedSandbox: true,
  autoPresentDelayMs: 0,
  webhookPort: null,
};

export type SettingsUpdate = ParsedCommandInput<'settings.update'>;

export class SettingsStore {
  constructor(
    private readonly journal: Journal,
    private readonly secrets: SecretStore,
    initial: Partial<Settings> = {},
  ) {
    for (const [key, value] of Object.entries(initial)) {
      if (value !== undefined && this.journal.getSetting(key) === undefined) this.journal.setSetting(key, value);
    }
  }

  /**
   * Settings change only through update() (this store is their only writer), so they are read
   * from the journal once and kept: get() runs on most commands and reader events, and reading
   * five rows each time was a tenth of the SQL the host ran per payment (issue #6).
   */
  private cached: Settings | null = null;

  get(): Settings {
    this.cached ??= this.load();
    return { ...this.cached };
  }

  private load(): Settings {
    const read = <K extends keyof Settings>(key: K): Settings[K] =>
      this.journal.getSetting<Settings[K]>(key) ?? DEFAULTS[key];
    const mode = read('mode');
    return {
      mode,
      apiBaseUrl: read('apiBaseUrl'),
      // The sandbox is a test-mode tool: live mode always talks to the configured gateway.
      embeddedSandbox: mode === 'test' && read('embeddedSandbox'),
      autoPresentDelayMs: read('autoPresentDelayMs'),
      webhookPort: read('webhookPort'),
    };
  }

  webhookSecret(): string | null {
    return this.secrets.get('webhookSecret');
  }

  secretKey(): string | null {
    return this.secrets.get('secretKey');
  }

  view(apiBaseUrlInUse: string, webhookUrl: string | null = null): SettingsView {
    const settings = this.get();
    return {
      mode: settings.mode,
      apiBaseUrl: settings.embeddedSandbox ? apiBaseUrlInUse : settings.apiBaseUrl,
      embeddedSandbox: settings.embeddedSandbox,
      secretKey: maskKey(this.secrets.get('secretKey')),
      publishableKey: maskKey(this.secrets.get('publishableKey')),
      secretStorage: this.secrets.kind,
      autoPresentDelayMs: settings.autoPresentDelayMs,
      webhookSecret: maskKey(this.secrets.get('webhookSecret')),
      webhookUrl,
      webhookPort: settings.webhookPort,
    };
  }

  /**
   * Applies an update after checking it as a whole. Returns whether the gateway account or mode
   * changed, in which case the caller must drop sessions, links and cached gateway state.
   */
  update(update: SettingsUpdate): { accountChanged: boolean } {
    const before = this.get();
    const mode = update.mode ?? before.mode;
    // Switching mode drops the old mode's keys rather than keep a key of the wrong kind around.
    const modeSwitch = mode !== before.mode;
    const kept = (name: 'secretKey' | 'publishableKey') => (modeSwitch ? null : this.secrets.get(name));
    const secretKey = update.secretKey !== undefined ? update.secretKey || null : kept('secretKey');
    const publishableKey = update.publishableKey !== undefined ? update.publishableKey || null : kept('publishableKey');
    for (const [name, key] of [
      ['secretKey', secretKey],
      ['publishableKey', publishableKey],
    ] as const) {
      if (key && keyMode(key) !== mode) {
        throw new HostError('validation', `A ${keyMode(key)} key cannot be used in ${mode} mode.`, {
          issues: [{ path: name, message: `${keyMode(key)} key in ${mode} mode` }],
        });
      }
    }
    if (mode === 'live' && update.embeddedSandbox === true) {
      throw new HostError('validation', 'The embedded sandbox is for test mode only.', {
        issues: [{ path: 'embeddedSandbox', message: 'test mode only' }],
      });
    }
    if (mode === 'live' && new URL(update.apiBaseUrl ?? before.apiBaseUrl).protocol !== 'https:') {
      throw new HostError('validation', 'Live mode needs an https:// API URL.', {
        issues: [{ path: 'apiBaseUrl', message: 'https required in live mode' }],
      });
    }
    try {
      this.secrets.set('secretKey', secretKey);
      this.secrets.set('publishableKey', publishableKey);
      if (update.webhookSecret !== undefined) this.secrets.set('webhookSecret', update.webhookSecret || null);
    } catch (error) {
      throw new HostError('conflict', error instanceof Error ? error.message : String(error));
    }
    this.cached = null;
    for (const key of ['mode', 'apiBaseUrl', 'embeddedSandbox', 'autoPresentDelayMs', 'webhookPort'] as const) {
      if (update[key] !== undefined) this.journal.setSetting(key, update[key]);
    }
    const after = this.get();
    const accountChanged =
      before.mode !== after.mode ||
      before.embeddedSandbox !== after.embeddedSandbox ||
      (!after.embeddedSandbox && before.apiBaseUrl !== after.apiBaseUrl) ||
      update.secretKey !== undefined;
    return { accountChanged };
  }
}

export function keyMode(key: string): Mode {
  return /^(sk|pk)_live_/.test(key) ? 'live' : 'test';
}
