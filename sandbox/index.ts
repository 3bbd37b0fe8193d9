/**
 * The gateway sandbox, embeddable: `startSandbox()` opens (or creates) its database, listens on
 * 127.0.0.1 and resolves once it accepts requests. PlutoPay is served at the root, PayPlug under
 * /payplug, Plural under /plural. It stands alone like the real service: it imports nothing from
 * main/, drivers/ or renderer/, and nothing from Electron.
 */
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../common/clock';
import { loopbackBindAddress } from '../common/loopback';
import { maskUrlCredentials } from '../common/url-credentials';
import type { Emulator } from './http/emulator';
import { createApiServer } from './http/server';
import {
  createPayPlug,
  PAYPLUG_FAULT_FIELDS,
  PAYPLUG_PREFIX,
  type PayPlugEmulator,
  type PayPlugFaults,
} from './payplug';
import {
  createPlural,
  PLURAL_FAULT_FIELDS,
  PLURAL_PREFIX,
  pluralFaults,
  type PluralEmulator,
  type PluralFaults,
} from './plural';
import { createPlutoPay, type PlutoPayEmulator } from './plutopay';
import { inTransaction, type Context, type Mode } from './core/context';
import { onlyFaultFields, type Faults } from './core/faults';
import { AdvanceableClock, databaseOffset, savedAdvance, type OffsetStore } from './core/clock';
import { cryptoIds } from './core/ids';
import { migrate, openDatabase, Statements, type Db } from './core/database';
import { groupCommit } from './core/group-commit';
import { MIGRATIONS as SHARED_MIGRATIONS } from './core/schema';

export type { Faults } from './core/faults';
export type { Mode } from './core/context';
export type { PayPlugFaults } from './payplug';
export type { PluralFaults } from './plural';
export { defaultDatabasePath } from './paths';
export { EVENT_TYPES, type EventType } from './plutopay/domain/events';
export { sign as signWebhookBody } from './plutopay/domain/webhooks';

export interface SandboxOptions {
  /** Default 0 (a free port). The CLI defaults to 4242. */
  port?: number;
  /** Default 127.0.0.1; only a loopback address (sandboxHost). */
  host?: string;
  /** A file path or ':memory:' (the default). */
  db?: string;
  mode?: Mode;
  clock?: Clock;
  faults?: Partial<Faults>;
  /** Lifecycle and error lines (never per request; a URL's user name and password masked). Default: silent. */
  log?: (line: string) => void;
  /** Demo payouts and disputes (and the payments they belong to) on a new database. Default true. */
  seed?: boolean;
}

/** The PayPlug emulator of a running sandbox. */
export interface RunningPayPlug {
  /** Its base URL (the sandbox's URL + /payplug): the API is at `${url}/v1/…`. */
  readonly url: string;
  readonly secret_key: string;
  setFaults(faults: Partial<PayPlugFaults>): void;
  faults(): Readonly<PayPlugFaults>;
  /** Resolves when every due notification has been attempted and none is in flight. */
  notificationsIdle(): Promise<void>;
}

/** The Plural emulator of a running sandbox (under /plural on the same server). */
export interface PluralSandbox {
  /** http://127.0.0.1:PORT/plural: the base URL of /api/auth/v1/token and /api/pay/v1/…. */
  readonly url: string;
  readonly client_id: string;
  readonly client_secret: string;
  /** Hex; HMAC-SHA256 key (hex-decoded) of the return-URL and webhook signatures. */
  readonly signature_key: string;
  /** Latency, error and drop rates and seed; reader_timeout_ms is refused (RangeError), as by the route. */
  setFaults(faults: Partial<PluralFaults>): void;
  faults(): Readonly<PluralFaults>;
  /** Resolves when every due Plural webhook delivery has been attempted and none is in flight. */
  webhooksIdle(): Promise<void>;
}

export interface RunningSandbox {
  readonly url: string;
  readonly secret_key: string;
  readonly publishable_key: string;
  /** The newest webhook endpoint's signing secret; null until an endpoint exists. */
  readonly webhook_secret: string | null;
  readonly port: number;
  readonly mode: Mode;
  readonly db: string;
  setFaults(faults: Partial<Faults>): void;
  faults(): Readonly<Faults>;
  /** Resolves when every due webhook delivery has been attempted and none is in flight. */
  webhooksIdle(): Promise<void>;
  readonly payplug: RunningPayPlug;
  readonly plural: PluralSandbox;
  close(): Promise<void>;
}

/**
 * The address to bind for `host`: a loopback one only (127.0.0.1, ::1 or localhost). The sandbox
 * holds test keys and money-like state, and its emulated live mode issues live-looking keys:
 * like the till's own servers, it listens on loopback only, never where the network reaches it.
 */
export function sandboxHost(host: string): string {
  const address = loopbackBindAddress(host);
  if (address === null)
    throw new Error(
      `--host must be a loopback address (127.0.0.1, ::1 or localhost), not "${host}": the sandbox holds test keys and money-like state`,
    );
  return address;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  // Refused before the database file is opened (or made).
  if (options.host !== undefined) sandboxHost(options.host);
  return startSandboxOn(openDatabase(options.db ?? ':memory:'), options);
}

/**
 * startSandbox on a database already opened with openDatabase(options.db), which it owns from then
 * on: for tests that must reach the sandbox's own connection (a pragma only it can set).
 */
export async function startSandboxOn(db: Db, options: SandboxOptions = {}): Promise<RunningSandbox> {
  let host: string;
  try {
    host = sandboxHost(options.host ?? '127.0.0.1');
  } catch (error) {
    db.close();
    throw error;
  }
  const mode: Mode = options.mode ?? 'test';
  const dbPath = options.db ?? ':memory:';
  // A webhook or notification URL may carry a user name and password: no log line shows them.
  const given = options.log;
  const log = given ? (line: string) => given(maskUrlCredentials(line)) : () => {};
  let url = '';

  let clock: AdvanceableClock;
  let offsets: OffsetStore;
  try {
    migrate(db, 'sandbox', SHARED_MIGRATIONS);
    // The clock is as far ahead as it was when this database was last used.
    offsets = databaseOffset(db);
    clock = new AdvanceableClock(options.clock ?? systemClock, offsets.load());
  } catch (error) {
    if (db.open) db.close();
    throw error;
  }
  const shared: Omit<Context, 'baseUrl'> = {
    db,
    sql: new Statements(db),
    clock,
    ids: cryptoIds,
    mode,
    log,
    advanceClock: savedAdvance(clock, db, offsets, (save) => inTransaction(shared as Context, save)),
  };
  const contextAt = (prefix: string): Context => ({ ...shared, baseUrl: () => url + prefix });
  let plutopay: PlutoPayEmulator;
  let payplug: PayPlugEmulator;
  let plural: PluralEmulator;
  try {
    plutopay = createPlutoPay(contextAt(''), {
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
    });
    payplug = createPayPlug(contextAt(PAYPLUG_PREFIX), options.faults ? { faults: options.faults } : {});
    plural = createPlural(contextAt(PLURAL_PREFIX), options.faults ? { faults: options.faults } : {});
  } catch (error) {
    if (db.open) db.close();
    throw error;
  }
  const emulators: Emulator[] = [plutopay, payplug, plural];
  const commits = groupCommit(db);
  commits.log = log;
  // What the emulators wrote while starting (migrations included) is committed before anything runs.
  if (!commits.flush()) {
    db.close();
    throw new Error(`the sandbox could not commit its database ${dbPath} while starting`);
  }
  const server = createApiServer({ emulators, log, commits });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    db.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  url = `http://${hostForUrl(host)}:${port}`;
  for (const emulator of emulators) emulator.start?.();
  commits.flush();
  log(`PlutoPay sandbox (${mode} mode) listening on ${url}, database ${dbPath}`);
  log(`PayPlug at ${url}${PAYPLUG_PREFIX}, Plural at ${url}${PLURAL_PREFIX}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const emulator of emulators) await emulator.shutdown?.();
      // What the last turn wrote is committed (and its answers sent) before anything closes.
      commits.flush();
      // Let the long polls answered by shutdown() flush before the sockets go.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // A timer or a last socket event may have written since.
      commits.flush();
      db.close();
      log('PlutoPay sandbox closed');
    })();
    return closing;
  };

  return {
    url,
    port,
    mode,
    db: dbPath,
    secret_key: plutopay.secret_key,
    publishable_key: plutopay.publishable_key,
    get webhook_secret() {
      return plutopay.webhookSecret();
    },
    setFaults: (faults) => void plutopay.faults.set(faults),
    faults: () => plutopay.faults.current,
    webhooksIdle: () => plutopay.services.webhooks.idle(),
    payplug: {
      url: url + PAYPLUG_PREFIX,
      secret_key: payplug.secret_key,
      setFaults: (faults) => void payplug.faults.set(onlyFaultFields(faults, PAYPLUG_FAULT_FIELDS)),
      faults: () => payplug.currentFaults(),
      notificationsIdle: () => payplug.services.notifications.idle(),
    },
    plural: {
      url: url + PLURAL_PREFIX,
      client_id: plural.credentials.client_id,
      client_secret: plural.credentials.client_secret,
      signature_key: plural.credentials.signature_key,
      setFaults: (faults) => void plural.faults.set(onlyFaultFields(faults, PLURAL_FAULT_FIELDS)),
      faults: () => pluralFaults(plural.faults.current),
      webhooksIdle: () => plural.services.webhooks.idle(),
    },
    close,
  };
}
