/**
 * The gateway the till uses right now, built from its settings: the embedded sandbox's emulator
 * of it in test mode (the sandbox is started on first need and serves all three), or the account
 * configured in Settings. Rebuilt when the gateway, the account or the mode changes; the old
 * gateway's cached state (its account, its client) goes with it.
 */
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Clock } from '../../common/clock';
import type { GatewayName, MerchantView } from '../../common/contract';
import type { SettingsStore } from '../config/settings';
import { HostError } from '../core/errors';
import { accountNameOf, SANDBOX_ACCOUNT } from '../gateway/accounts';
import type { PaymentGateway } from '../gateway/port';
import { createGateway, GATEWAY_LABELS, type GatewayConfig, type HttpTuning } from '../gateway/registry';
import type { DevLog } from './devlog';
import { isLoopbackHost } from '../../common/loopback';

/** `url` when it points at this machine (where the embedded sandbox delivers), else null. */
function onThisMachine(url: string | null): string | null {
  if (!url) return null;
  try {
    return isLoopbackHost(new URL(url).hostname) ? url : null;
  } catch {
    return null;
  }
}

/** The embedded sandbox, as the host needs it (sandbox/index.ts provides startSandbox). */
export interface EmbeddedSandbox {
  url: string;
  secret_key: string;
  publishable_key: string;
  payplug: { url: string; secret_key: string };
  plural: { url: string; client_id: string; client_secret: string; signature_key: string };
  close(): Promise<void>;
}

export interface ActiveGatewayOptions {
  settings: SettingsStore;
  dataDir: string | null;
  startSandbox?: (options: { db: string }) => Promise<EmbeddedSandbox>;
  http: HttpTuning;
  devlog: DevLog;
  /** The host's clock, for what a gateway decides by the date (PayPlug: an installment's "today"). */
  clock?: Clock;
  /** Overrides the settle window of a gateway that has one (tests; see capabilities.resendAfterUnknownMs). */
  settleWindowMs?: number;
  /**
   * Where a gateway with signed returns sends the customer's browser back (the host's loopback
   * return route), or null: asked on every create.
   */
  returnUrl?: (gateway: GatewayName) => string | null;
  /**
   * Where the name of the account last read is kept (the journal), so that receipts and reports
   * printed before the account is read again — just after a start, or all along while the gateway
   * is unreachable — still carry the shop's name.
   */
  names?: {
    get(): KnownAccountName | undefined;
    set(known: KnownAccountName): void;
  };
}

/** The business name an account gave when it was last read, with which account it is. */
export interface KnownAccountName {
  /** The gateway, the mode and the account (account()). */
  account: string;
  name: string | null;
}

export class ActiveGateway {
  private sandbox: EmbeddedSandbox | null = null;
  private current: PaymentGateway | null = null;
  private baseUrls: Partial<Record<GatewayName, string>> = {};
  private accountName: string | null = null;
  /** The gateways forName built, each with what its settings were (configKey). */
  private readonly others = new Map<GatewayName, { key: string; gateway: PaymentGateway }>();
  merchant: MerchantView | null = null;
  /** The configuration under way: configurations run one after the other (see configure()). */
  private configuring: Promise<void> = Promise.resolve();

  constructor(private readonly options: ActiveGatewayOptions) {}

  private settleWindow(): { settleWindowMs?: number } {
    const ms = this.options.settleWindowMs;
    return ms !== undefined ? { settleWindowMs: ms } : {};
  }

  /** The gateway, or a HostError saying what Settings still needs. */
  get(): PaymentGateway {
    if (!this.current) {
      const name = this.options.settings.get().gateway;
      throw new HostError(
        'not_configured',
        `${GATEWAY_LABELS[name]} has no credentials for this mode yet. Add them in Settings (F7).`,
      );
    }
    return this.current;
  }

  /** The gateway when configured, else null (for views). */
  peek(): PaymentGateway | null {
    return this.current;
  }

  /**
   * The gateway of that name as its settings make it now — the active one for the till's own, else
   * one built for the call from that gateway's URL and credentials (each gateway keeps its own, see
   * settings) — or null when none are set up for it in this mode. For reading another gateway's
   * records (a day's reconciliation when the shop switched gateway that day), never for taking
   * payments.
   */
  forName(name: GatewayName): PaymentGateway | null {
    if (this.current?.name === name) return this.current;
    if (this.options.settings.get().gateway === name) return null;
    const config = this.sandbox ? this.sandboxConfig(this.sandbox, name) : this.accountConfig(name);
    if (!config) return null;
    // Kept while its settings stay the same: one client (and Plural's one token) for the reads of a
    // plan or a link made before a switch, not a new one for each read.
    const same = configKey(config);
    const kept = this.others.get(name);
    if (kept?.key === same) return kept.gateway;
    try {
      const gateway = createGateway(config, this.options.http);
      this.others.set(name, { key: same, gateway });
      return gateway;
    } catch {
      return null;
    }
  }

  /**
   * Which account the active gateway reads, as records that belong to one account keep it (a dispute,
   * a payment; see gateway/accounts.ts). Null while the gateway is not configured.
   */
  account(): string | null {
    return this.current ? this.accountName : null;
  }

  /**
   * Which account the gateway of that name is read with now (account(), for the active one; else the
   * one forName builds), or null while the till holds no keys for it in this mode. A plan made before
   * a switch of gateway is followed only while this is still the account it was made on.
   */
  accountFor(name: GatewayName): string | null {
    if (this.current?.name === name) return this.accountName;
    if (this.options.settings.get().gateway === name) return null;
    if (this.sandbox) return SANDBOX_ACCOUNT;
    const config = this.accountConfig(name);
    return config ? accountNameOf(config) : null;
  }

  get sandboxUrl(): string | null {
    return this.sandbox?.url ?? null;
  }

  /** The URL each gateway is reached at now (for the settings screen). */
  urls(): Partial<Record<GatewayName, string>> {
    return this.baseUrls;
  }

  /**
   * Builds the gateway from the settings as they are now. Configurations run one after the other:
   * two at once (two Settings saves switching the account) both found no sandbox while the first
   * was starting one, and started a second on the same sandbox.db, which a database file refuses
   * (one sandbox per file); a sandbox being closed could also be kept as if it still ran.
   */
  configure(): Promise<void> {
    const run = this.configuring.then(() => this.configureNow());
    this.configuring = run.catch(() => undefined);
    return run;
  }

  private async configureNow(): Promise<void> {
    const settings = this.options.settings.get();
    if (settings.embeddedSandbox) {
      if (!this.sandbox) {
        if (!this.options.startSandbox) throw new Error('embedded sandbox requested but not available');
        this.sandbox = await this.options.startSandbox({
          db: this.options.dataDir ? join(this.options.dataDir, 'sandbox.db') : ':memory:',
        });
        this.options.devlog.add('event', `Embedded sandbox running at ${this.sandbox.url}`);
      }
    } else if (this.sandbox) {
      await this.sandbox.close();
      this.sandbox = null;
    }
    const config = this.sandbox ? this.sandboxConfig(this.sandbox) : this.accountConfig();
    this.others.clear();
    this.baseUrls = this.sandbox
      ? { plutopay: this.sandbox.url, payplug: this.sandbox.payplug.url, plural: this.sandbox.plural.url }
      : {};
    this.merchant = null;
    this.accountName = this.sandbox ? SANDBOX_ACCOUNT : config ? accountNameOf(config) : null;
    try {
      this.current = config ? createGateway(config, this.options.http) : null;
    } catch (error) {
      // A gateway this build cannot drive must not keep the till from starting: it stays
      // unconfigured (every command says so) and Settings can switch to another one.
      this.current = null;
      this.options.devlog.add(
        'error',
        `${GATEWAY_LABELS[config!.name]} cannot be used`,
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  /** Reads the account behind the gateway (its name and currency for the screen). */
  async loadAccount(mode: 'test' | 'live'): Promise<void> {
    const gateway = this.current;
    if (!gateway) return;
    const { devlog } = this.options;
    try {
      const account = await gateway.account();
      this.merchant = account;
      const known = this.knownAccount(mode);
      const name = account.businessName ?? null;
      const kept = this.options.names?.get();
      if (known && (kept?.account !== known || kept.name !== name)) this.options.names?.set({ account: known, name });
      if (account.testMode !== (mode === 'test')) {
        devlog.add(
          'error',
          `The ${gateway.label} account is in ${account.testMode ? 'test' : 'live'} mode but the app is in ${mode} mode.`,
        );
      }
    } catch (error) {
      devlog.add(
        'request',
        'Could not load the merchant account',
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  /**
   * The account's business name (receipts and reports say it when Settings names no shop): as read
   * at the gateway, else as it was last read on this same account, else null.
   */
  businessName(): string | null {
    if (this.merchant) return this.merchant.businessName ?? null;
    const known = this.knownAccount(this.options.settings.get().mode);
    const kept = known ? this.options.names?.get() : undefined;
    return kept?.account === known ? kept.name : null;
  }

  private knownAccount(mode: 'test' | 'live'): string | null {
    const account = this.account();
    return this.current && account ? `${this.current.name} ${mode} ${account}` : null;
  }

  async close(): Promise<void> {
    if (this.sandbox) await this.sandbox.close();
    this.sandbox = null;
  }

  private sandboxConfig(sandbox: EmbeddedSandbox, name = this.options.settings.get().gateway): GatewayConfig {
    const { settings } = this.options;
    switch (name) {
      case 'plutopay':
        return {
          name: 'plutopay',
          baseUrl: sandbox.url,
          secretKey: sandbox.secret_key,
          webhookSecret: () => settings.secret('webhookSecret'),
        };
      case 'payplug':
        return {
          name: 'payplug',
          baseUrl: sandbox.payplug.url,
          secretKey: sandbox.payplug.secret_key,
          // The URL in Settings is the account's, public; the sandbox delivers to this machine only
          // and refuses any other, which refused every payment. Loopback ones are sent.
          notificationUrl: () => onThisMachine(settings.get().payplugNotificationUrl),
          ...(this.options.clock ? { clock: this.options.clock } : {}),
          ...this.settleWindow(),
        };
      case 'plural':
        return {
          name: 'plural',
          baseUrl: sandbox.plural.url,
          clientId: sandbox.plural.client_id,
          clientSecret: sandbox.plural.client_secret,
          signatureKey: sandbox.plural.signature_key,
          callbackUrl: () => this.options.returnUrl?.('plural') ?? null,
        };
    }
  }

  /** The account typed in Settings, or null while a credential is missing. */
  private accountConfig(name = this.options.settings.get().gateway): GatewayConfig | null {
    const { settings } = this.options;
    const current = settings.get();
    switch (name) {
      case 'plutopay': {
        const secretKey = settings.secret('secretKey');
        return secretKey
          ? {
              name: 'plutopay',
              baseUrl: current.apiBaseUrl,
              secretKey,
              webhookSecret: () => settings.secret('webhookSecret'),
            }
          : null;
      }
      case 'payplug': {
        const secretKey = settings.secret('payplugSecretKey');
        return secretKey
          ? {
              name: 'payplug',
              baseUrl: current.payplugApiBaseUrl,
              secretKey,
              // Read at each create: a URL changed in Settings applies at once (no new account).
              notificationUrl: () => settings.get().payplugNotificationUrl,
              ...(this.options.clock ? { clock: this.options.clock } : {}),
              ...this.settleWindow(),
            }
          : null;
      }
      case 'plural': {
        const clientSecret = settings.secret('pluralClientSecret');
        const signatureKey = settings.secret('pluralSignatureKey');
        return current.pluralClientId && clientSecret && signatureKey
          ? {
              name: 'plural',
              baseUrl: current.pluralApiBaseUrl,
              clientId: current.pluralClientId,
              clientSecret,
              signatureKey,
              callbackUrl: () => this.options.returnUrl?.('plural') ?? null,
            }
          : null;
      }
    }
  }
}

/**
 * What a gateway's settings were when it was built, as a digest (they hold its keys): the same digest,
 * the same account and keys. Functions (read at each call) and the clock are not part of it.
 */
function configKey(config: GatewayConfig): string {
  const plain = JSON.stringify(config, (field, value: unknown) => (field === 'clock' ? undefined : value));
  return createHash('sha256').update(plain).digest('hex');
}
