/**
 * The PlutoPay-compatible sandbox, embeddable: `startSandbox()` opens (or creates) its database,
 * listens on 127.0.0.1 and resolves once it accepts requests. It stands alone like the real
 * service: it imports nothing from main/, drivers/ or renderer/, and nothing from Electron.
 */
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../common/clock';
import { adminRoutes } from './api/admin';
import { checkoutRoutes } from './api/checkout';
import { customerRoutes } from './api/customers';
import { payoutDisputeRoutes } from './api/payouts-disputes';
import { terminalRoutes } from './api/terminals';
import { transactionRoutes } from './api/transactions';
import { webhookRoutes } from './api/webhooks';
import type { Context, Mode } from './domain/context';
import type { Faults } from './domain/faults';
import { cryptoIds } from './domain/ids';
import { seedDemoData } from './domain/seed';
import { unauthorized } from './http/errors';
import { Router } from './http/router';
import { createApiServer } from './http/server';
import { createServices } from './services';
import { openDatabase, Statements } from './store/database';

export type { Faults } from './domain/faults';
export type { Mode } from './domain/context';
export { defaultDatabasePath } from './paths';
export { EVENT_TYPES, type EventType } from './domain/events';
export { sign as signWebhookBody } from './domain/webhooks';

export interface SandboxOptions {
  /** Default 0 (a free port). The CLI defaults to 4242. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A file path or ':memory:' (the default). */
  db?: string;
  mode?: Mode;
  clock?: Clock;
  faults?: Partial<Faults>;
  /** Lifecycle and error lines (never per request). Default: silent. */
  log?: (line: string) => void;
  /** Demo payouts and disputes (and the payments they belong to) on a new database. Default true. */
  seed?: boolean;
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
  close(): Promise<void>;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = options.host ?? '127.0.0.1';
  const mode: Mode = options.mode ?? 'test';
  const dbPath = options.db ?? ':memory:';
  const log = options.log ?? (() => {});
  let url = '';

  const db = openDatabase(dbPath);
  const ctx: Context = {
    db,
    sql: new Statements(db),
    clock: options.clock ?? systemClock,
    ids: cryptoIds,
    mode,
    baseUrl: () => url,
    log,
  };
  const services = createServices(ctx);
  try {
    db.transaction(() => {
      const isNew = services.merchant.ensure();
      if (isNew && options.seed !== false)
        seedDemoData(ctx, services.payoutsDisputes, services.merchant.defaultCurrency);
    }).immediate();
    if (options.faults) services.faults.set(options.faults);
    services.terminals.markHostedOffline();
  } catch (error) {
    db.close();
    throw error;
  }

  const keys = services.merchant.keys();
  const otherMode = mode === 'test' ? 'live' : 'test';
  const router = new Router();
  for (const routes of [
    transactionRoutes,
    customerRoutes,
    terminalRoutes,
    webhookRoutes,
    checkoutRoutes,
    payoutDisputeRoutes,
    adminRoutes,
  ]) {
    router.addAll(routes(services));
  }
  const server = createApiServer({
    router,
    faults: services.faults,
    log,
    checkKey: (bearer) => {
      const kind = services.merchant.kindOf(bearer);
      if (kind) return kind;
      if (bearer.startsWith(`sk_${otherMode}_`) || bearer.startsWith(`pk_${otherMode}_`)) {
        return unauthorized(
          `This is the PlutoPay sandbox running in ${mode} mode: ${otherMode}-mode keys (sk_${otherMode}_…, pk_${otherMode}_…) are refused. Use this sandbox's sk_${mode}_ key.`,
          'wrong_mode_key',
        );
      }
      return unauthorized('Invalid API key provided.', 'api_key_invalid');
    },
  });

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
  services.webhooks.resume();
  log(`PlutoPay sandbox (${mode} mode) listening on ${url}, database ${dbPath}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      services.links.shutdown();
      services.payments.shutdown();
      await services.webhooks.close();
      // Let the long polls answered by shutdown() flush before the sockets go.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
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
    secret_key: keys.secret_key,
    publishable_key: keys.publishable_key,
    get webhook_secret() {
      return db.open ? services.webhooks.latestSecret() : null;
    },
    setFaults: (faults) => void services.faults.set(faults),
    faults: () => services.faults.current,
    webhooksIdle: () => services.webhooks.idle(),
    close,
  };
}
