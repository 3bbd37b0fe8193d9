/**
 * The app's settings: mode, the gateway the till uses and each gateway's address, the embedded
 * sandbox, simulated-reader behaviour. Plain values live in the journal's settings table;
 * credentials live in a SecretStore, write-only from the screen (shown masked). This module also
 * enforces key hygiene: a test key is never used in live mode and the other way round, live mode
 * talks https only, and switching mode drops the old mode's keys. Each gateway keeps its own
 * credentials, so switching the till from one gateway to another and back loses nothing.
 */
import {
  isPluralUat,
  PLURAL_URLS,
  type GatewayName,
  type Mode,
  type ParsedCommandInput,
  type SettingsView,
  type SplitMerchant,
} from '../../common/contract';
import {
  hasUrlCredentials,
  MASKED_CREDENTIALS,
  maskUrlCredentials,
  urlCredentials,
  withoutUrlCredentials,
  withUrlCredentials,
} from '../../common/url-credentials';
import { randomBytes } from 'node:crypto';
import { errorText, HostError } from '../core/errors';
import { maskKey } from '../core/masking';
import type { Journal } from '../store/journal';
import { CachedSecretStore, type SecretName, type SecretStore } from './secrets';

export const DEFAULT_API_BASE_URL = 'https://plutopayus.com/api';
export const DEFAULT_PAYPLUG_URL = 'https://api.payplug.com';
/** Plural's UAT (test) and production bases (the Settings screen offers the same two). */
export { PLURAL_URLS };

export interface Settings {
  mode: Mode;
  gateway: GatewayName;
  /** PlutoPay's API base. */
  apiBaseUrl: string;
  payplugApiBaseUrl: string;
  /** A public URL PayPlug may notify (optional: the till never depends on it). */
  payplugNotificationUrl: string | null;
  pluralApiBaseUrl: string;
  pluralClientId: string | null;
  embeddedSandbox: boolean;
  autoPresentDelayMs: number;
  webhookPort: number | null;
  /** The shop as receipts name it; null: the gateway account's name. */
  shopName: string | null;
  /** Receipt header lines under the name (street, town). */
  shopAddress: string[];
  /** Printed at the bottom of the customer copy (VAT number, returns policy…). */
  receiptFooter: string[];
  /** IANA zone of the shop: receipts' local times and the business day's boundaries. */
  timeZone: string;
  /** Ask for a tip (customer display, or typed by the cashier). */
  tipping: boolean;
  /** Tip percentages offered as buttons, of the amount before the tip. */
  tipPresets: number[];
  /** Serial port of the ESC/POS receipt printer; null: none. */
  receiptPrinterPort: string | null;
  /** Columns of the printer's paper: 32 (58 mm), 42 or 48 (80 mm). */
  receiptWidth: 32 | 42 | 48;
  /** What is printed by itself when a payment is approved. */
  printReceipts: 'off' | 'customer' | 'both';
  /** Pulse the cash drawer with the merchant copy. */
  drawerKick: boolean;
  /** The merchants split payments are shared with, as the shop named them (common/split-merchants.ts). */
  splitMerchants: SplitMerchant[];
}

/** The computer's own zone, the default for a new till (UTC where Intl cannot tell). */
export function systemTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

const DEFAULTS: Settings = {
  mode: 'test',
  gateway: 'plutopay',
  apiBaseUrl: DEFAULT_API_BASE_URL,
  payplugApiBaseUrl: DEFAULT_PAYPLUG_URL,
  payplugNotificationUrl: null,
  pluralApiBaseUrl: PLURAL_URLS.uat,
  pluralClientId: null,
  embeddedSandbox: true,
  autoPresentDelayMs: 0,
  webhookPort: null,
  shopName: null,
  shopAddress: [],
  receiptFooter: [],
  timeZone: systemTimeZone(),
  tipping: false,
  tipPresets: [10, 15, 20],
  receiptPrinterPort: null,
  receiptWidth: 42,
  printReceipts: 'customer',
  drawerKick: false,
  splitMerchants: [],
};

const PLAIN_KEYS = Object.keys(DEFAULTS) as (keyof Settings)[];

/** The credentials each gateway needs, by the name they are stored under. */
const GATEWAY_SECRETS: Record<GatewayName, readonly SecretName[]> = {
  plutopay: ['secretKey', 'publishableKey', 'webhookSecret'],
  payplug: ['payplugSecretKey'],
  plural: ['pluralClientSecret', 'pluralSignatureKey'],
};

/** Every gateway's secrets, in one list (the developer log masks them in each entry it writes). */
const ALL_GATEWAY_SECRETS: readonly SecretName[] = Object.values(GATEWAY_SECRETS).flat();

/** The credentials that name the account: changing one of the active gateway's is a new account. */
const ACCOUNT_SECRETS: Record<GatewayName, readonly SecretName[]> = {
  plutopay: ['secretKey'],
  payplug: ['payplugSecretKey'],
  plural: ['pluralClientSecret', 'pluralSignatureKey'],
};

/** The settings holding a gateway's address, with the gateway's name as Settings shows it. */
const GATEWAY_ADDRESSES = [
  ['apiBaseUrl', 'PlutoPay'],
  ['payplugApiBaseUrl', 'PayPlug'],
  ['pluralApiBaseUrl', 'Plural'],
] as const;
type GatewayAddress = (typeof GATEWAY_ADDRESSES)[number][0];

/** Secrets that carry their mode in their prefix (sk_test_… / sk_live_…). */
const MODE_MARKED: readonly SecretName[] = ['secretKey', 'publishableKey', 'payplugSecretKey'];

export type SettingsUpdate = ParsedCommandInput<'settings.update'>;

/** The customer display's key: 24 random bytes, in hex (as the cashier's launch token). */
const DISPLAY_TOKEN = /^[0-9a-f]{48}$/;
const newDisplayToken = () => randomBytes(24).toString('hex');

export class SettingsStore {
  private readonly secrets: SecretStore;

  constructor(
    private readonly journal: Journal,
    secrets: SecretStore,
    initial: Partial<Settings> = {},
  ) {
    this.secrets = new CachedSecretStore(secrets);
    for (const [key, value] of Object.entries(initial)) {
      if (value !== undefined && this.journal.getSetting(key) === undefined) this.journal.setSetting(key, value);
    }
    this.addressNotices = this.dropCredentialsFromAddresses();
    this.droppedAtStart = this.dropKeysOfTheOtherMode();
  }

  /**
   * What was taken out of a gateway address found at start, by the address's setting: said in
   * Settings (and logged by the host) until that address is saved again.
   */
  private readonly addressNotices: Partial<Record<GatewayAddress, string>>;

  /** What Settings says of the addresses found at start (see dropCredentialsFromAddresses). */
  notices(): string[] {
    return Object.values(this.addressNotices);
  }

  /**
   * A gateway address with a user name or password (https://shop:…@gw…) is refused when saved, but one
   * saved before that was kept, shown in clear and would be read at every start. Its user name and
   * password are taken out and the address kept without them, on disk too; every other setting stays.
   */
  private dropCredentialsFromAddresses(): Partial<Record<GatewayAddress, string>> {
    const notices: Partial<Record<GatewayAddress, string>> = {};
    for (const [key, gateway] of GATEWAY_ADDRESSES) {
      const stored = this.journal.getSetting<unknown>(key);
      if (typeof stored !== 'string' || !hasUrlCredentials(stored)) continue;
      const clean = withoutUrlCredentials(stored);
      this.journal.setSetting(key, clean);
      notices[key] =
        `The ${gateway} address held a user name or password (saved before such addresses were refused): they ` +
        `were taken out and are never sent; the address is now ${clean}. A gateway's key goes in its own field.`;
    }
    return notices;
  }

  /** Keys found at start that belonged to the other mode, and were dropped (see dropKeysOfTheOtherMode). */
  readonly droppedAtStart: readonly SecretName[];

  /**
   * A save writes the keys (to the keychain or the secrets file) and the settings (to the journal)
   * one after the other: killed in between, a till could come back in test mode holding live keys,
   * or the reverse (found by a tester, 4 kills in 40). A key of the other mode is never used: it is
   * dropped at start, and the owner enters it again.
   */
  private dropKeysOfTheOtherMode(): SecretName[] {
    const { mode } = this.get();
    const dropped = MODE_MARKED.filter((name) => {
      const key = this.secrets.get(name);
      return key !== null && keyMode(key) !== mode;
    });
    for (const name of dropped) this.secrets.set(name, null);
    return dropped;
  }

  /**
   * Settings change only through update() (this store is their only writer), so they are read
   * from the journal once and kept: get() runs on most commands and reader events.
   */
  private cached: Settings | null = null;

  get(): Settings {
    this.cached ??= this.load();
    return { ...this.cached };
  }

  private load(): Settings {
    const settings = { ...DEFAULTS };
    for (const key of PLAIN_KEYS) {
      const stored = this.journal.getSetting<Settings[typeof key]>(key);
      if (stored !== undefined) (settings as Record<string, unknown>)[key] = stored;
    }
    // The sandbox is a test-mode tool: live mode always talks to the configured gateway.
    settings.embeddedSandbox = settings.mode === 'test' && settings.embeddedSandbox;
    return settings;
  }

  secret(name: SecretName): string | null {
    return this.secrets.get(name);
  }

  /**
   * The key in the customer display's address (web mode's `#display=…`): kept with the other secrets,
   * so the address the shop bookmarked on the second screen outlives a restart; made on first need.
   * A store that cannot keep it (a data directory others can write, a damaged secrets file) gives one
   * for this launch only, and `displayTokenProblem` says why (never the key).
   */
  displayToken(): string {
    if (this.launchDisplayToken) return this.launchDisplayToken;
    let kept: string | null;
    try {
      kept = this.secrets.get('customerDisplayToken');
    } catch (error) {
      return this.keepDisplayToken(newDisplayToken(), error);
    }
    return kept && DISPLAY_TOKEN.test(kept) ? kept : this.newDisplayToken();
  }

  /** A new key for the customer display's address, kept: the old address stops working. */
  newDisplayToken(): string {
    return this.keepDisplayToken(newDisplayToken(), null);
  }

  /** Why the customer display's address will not outlive this launch, or null. */
  displayTokenProblem: string | null = null;
  private launchDisplayToken: string | null = null;

  private keepDisplayToken(token: string, readError: unknown): string {
    if (readError === null) {
      try {
        this.secrets.set('customerDisplayToken', token);
        this.launchDisplayToken = null;
        this.displayTokenProblem = null;
        return token;
      } catch (error) {
        readError = error;
      }
    }
    this.launchDisplayToken = token;
    this.displayTokenProblem = errorText(readError);
    return token;
  }

  /** Every secret held now (the developer log masks them wherever they appear). */
  heldSecrets(): string[] {
    const held: string[] = [];
    if (this.launchDisplayToken) held.push(this.launchDisplayToken);
    for (const name of [...ALL_GATEWAY_SECRETS, 'customerDisplayToken' as const]) {
      const value = this.secrets.get(name);
      if (value !== null) held.push(value);
    }
    return held;
  }

  view(
    apiBaseUrlInUse: Partial<Record<GatewayName, string>>,
    webhookUrl: string | null = null,
    customerDisplay: SettingsView['counter']['customerDisplay'] = { url: null, connected: 0 },
    webhookError: string | null = null,
    printerProblem: string | null = null,
  ): SettingsView {
    const settings = this.get();
    const inUse = (name: GatewayName, configured: string) =>
      settings.embeddedSandbox ? (apiBaseUrlInUse[name] ?? configured) : configured;
    return {
      mode: settings.mode,
      gateway: settings.gateway,
      notices: this.notices(),
      apiBaseUrl: inUse('plutopay', settings.apiBaseUrl),
      embeddedSandbox: settings.embeddedSandbox,
      secretKey: maskKey(this.secrets.get('secretKey')),
      publishableKey: maskKey(this.secrets.get('publishableKey')),
      secretStorage: this.secrets.kind,
      autoPresentDelayMs: settings.autoPresentDelayMs,
      webhookSecret: maskKey(this.secrets.get('webhookSecret')),
      webhookUrl,
      webhookPort: settings.webhookPort,
      webhookError,
      payplug: {
        apiBaseUrl: inUse('payplug', settings.payplugApiBaseUrl),
        secretKey: maskKey(this.secrets.get('payplugSecretKey')),
        // A forwarder's user name and password in it are shown masked, as the keys are.
        notificationUrl: settings.payplugNotificationUrl && maskUrlCredentials(settings.payplugNotificationUrl),
      },
      plural: {
        apiBaseUrl: inUse('plural', settings.pluralApiBaseUrl),
        clientId: settings.pluralClientId,
        clientSecret: maskKey(this.secrets.get('pluralClientSecret')),
        signatureKey: maskKey(this.secrets.get('pluralSignatureKey')),
      },
      counter: {
        shopName: settings.shopName,
        shopAddress: settings.shopAddress,
        receiptFooter: settings.receiptFooter,
        timeZone: settings.timeZone,
        tipping: { enabled: settings.tipping, presets: settings.tipPresets },
        printer: {
          port: settings.receiptPrinterPort,
          width: settings.receiptWidth,
          print: settings.printReceipts,
          drawerKick: settings.drawerKick,
          problem: settings.receiptPrinterPort ? printerProblem : null,
        },
        customerDisplay,
      },
      splitMerchants: settings.splitMerchants,
    };
  }

  /**
   * Applies an update after checking it as a whole. Returns whether the gateway account, the
   * gateway or the mode changed, in which case the caller must drop sessions, links and cached
   * gateway state.
   */
  update(update: SettingsUpdate, beforeAccountChange?: () => void): { accountChanged: boolean } {
    const before = this.get();
    if (update.payplugNotificationUrl)
      update = {
        ...update,
        payplugNotificationUrl: unmasked(update.payplugNotificationUrl, before.payplugNotificationUrl),
      };
    const mode = update.mode ?? before.mode;
    // Switching mode drops the old mode's keys rather than keep a key of the wrong kind around.
    const modeSwitch = mode !== before.mode;
    const given: Partial<Record<SecretName, string | undefined>> = {
      secretKey: update.secretKey,
      publishableKey: update.publishableKey,
      webhookSecret: update.webhookSecret,
      payplugSecretKey: update.payplugSecretKey,
      pluralClientSecret: update.pluralClientSecret,
      pluralSignatureKey: update.pluralSignatureKey,
    };
    const next = new Map<SecretName, string | null>();
    for (const name of ALL_GATEWAY_SECRETS) {
      const value = given[name];
      next.set(name, value !== undefined ? value || null : modeSwitch ? null : this.secrets.get(name));
    }
    for (const name of MODE_MARKED) {
      const key = next.get(name);
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
    if (mode === 'live') {
      for (const [path, url] of [
        ['apiBaseUrl', update.apiBaseUrl ?? before.apiBaseUrl],
        ['payplugApiBaseUrl', update.payplugApiBaseUrl ?? before.payplugApiBaseUrl],
        ['pluralApiBaseUrl', update.pluralApiBaseUrl ?? before.pluralApiBaseUrl],
      ] as const) {
        if (new URL(url).protocol !== 'https:') {
          throw new HostError('validation', 'Live mode needs https:// gateway URLs.', {
            issues: [{ path, message: 'https required in live mode' }],
          });
        }
      }
      const pluralUrl = update.pluralApiBaseUrl ?? before.pluralApiBaseUrl;
      if ((update.gateway ?? before.gateway) === 'plural' && isPluralUat(pluralUrl)) {
        throw new HostError('validation', "Plural's UAT environment is for test mode; choose the live URL.", {
          issues: [{ path: 'pluralApiBaseUrl', message: 'UAT in live mode' }],
        });
      }
    }
    // What the host must refuse to drop (a payment on a reader) is asked before anything is written.
    if (beforeAccountChange) {
      const prospective = { ...before };
      for (const key of PLAIN_KEYS) {
        const value = (update as Partial<Record<keyof Settings, unknown>>)[key];
        if (value !== undefined) (prospective as Record<string, unknown>)[key] = value === '' ? null : value;
      }
      if (accountDiffers(before, prospective, given)) beforeAccountChange();
    }
    try {
      for (const [name, value] of next) this.secrets.set(name, value);
    } catch (error) {
      throw new HostError('conflict', errorText(error));
    }
    this.cached = null;
    for (const [key] of GATEWAY_ADDRESSES) if (update[key] !== undefined) delete this.addressNotices[key];
    // The settings move together: a kill leaves the old ones or the new ones, never half.
    this.journal.atomically(() => {
      for (const key of PLAIN_KEYS) {
        const value = (update as Partial<Record<keyof Settings, unknown>>)[key];
        if (value !== undefined) this.journal.setSetting(key, value === '' ? null : value);
      }
    });
    return { accountChanged: accountDiffers(before, this.get(), given) };
  }
}

/**
 * Settings shows the PayPlug notification URL's user name and password masked (`https://…@hooks…`), so
 * the URL comes back so when something else in it was edited: the stored ones are kept — only for the
 * same scheme, host and port, so they never go to another host than the one they were typed for.
 */
function unmasked(given: string, stored: string | null): string {
  if (urlCredentials(given) !== MASKED_CREDENTIALS) return given;
  const kept = stored && hasUrlCredentials(stored) ? urlCredentials(stored) : null;
  if (kept === null || new URL(stored!).origin !== new URL(given).origin)
    throw new HostError('validation', 'The notification URL needs its user name and password typed again.', {
      issues: [
        {
          path: 'payplugNotificationUrl',
          message: `type its user name and password again in place of ${MASKED_CREDENTIALS}: they are kept for the address they were typed with only`,
        },
      ],
    });
  return withUrlCredentials(given, kept);
}

/** Another gateway, account or mode: the host must drop its sessions, links and cached gateway state. */
function accountDiffers(
  before: Settings,
  after: Settings,
  given: Partial<Record<SecretName, string | undefined>>,
): boolean {
  return (
    before.mode !== after.mode ||
    before.gateway !== after.gateway ||
    before.embeddedSandbox !== after.embeddedSandbox ||
    (!after.embeddedSandbox && baseOf(before) !== baseOf(after)) ||
    before.pluralClientId !== after.pluralClientId ||
    ACCOUNT_SECRETS[after.gateway].some((name) => given[name] !== undefined)
  );
}

/** The address of the gateway the till uses. */
function baseOf(settings: Settings): string {
  return settings.gateway === 'plutopay'
    ? settings.apiBaseUrl
    : settings.gateway === 'payplug'
      ? settings.payplugApiBaseUrl
      : settings.pluralApiBaseUrl;
}

export function keyMode(key: string): Mode {
  return /^(sk|pk)_live_/.test(key) ? 'live' : 'test';
}
