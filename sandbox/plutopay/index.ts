/**
 * The PlutoPay emulator: its services over the shared database, its routes at the root of the
 * sandbox, its keys (sk_/pk_ per mode) and its error format `{"error": {...}}`.
 */
import type { Emulator, KeyKind } from '../http/emulator';
import type { ApiError } from '../http/errors';
import { unauthorized } from '../http/errors';
import { Router, type Handler } from '../http/router';
import type { Context } from '../core/context';
import { migrate } from '../core/database';
import type { Faults } from '../core/faults';
import { adminRoutes } from './api/admin';
import { checkoutRoutes } from './api/checkout';
import { customerRoutes } from './api/customers';
import { payoutDisputeRoutes } from './api/payouts-disputes';
import { terminalRoutes } from './api/terminals';
import { transactionRoutes } from './api/transactions';
import { webhookRoutes } from './api/webhooks';
import { seedDemoData } from './domain/seed';
import { MIGRATIONS } from './schema';
import { createServices, type Services } from './services';

export interface PlutoPayEmulator extends Emulator {
  readonly services: Services;
  readonly secret_key: string;
  readonly publishable_key: string;
  /** The newest webhook endpoint's signing secret; null until an endpoint exists. */
  webhookSecret(): string | null;
}

export function createPlutoPay(ctx: Context, options: { seed?: boolean; faults?: Partial<Faults> }): PlutoPayEmulator {
  migrate(ctx.db, 'plutopay', MIGRATIONS);
  const services = createServices(ctx);
  ctx.db
    .transaction(() => {
      const isNew = services.merchant.ensure();
      if (isNew && options.seed !== false)
        seedDemoData(ctx, services.payoutsDisputes, services.merchant.defaultCurrency);
    })
    .immediate();
  if (options.faults) services.faults.set(options.faults);
  services.terminals.markHostedOffline();

  // Every request first expires the checkout sessions the clock has passed (and cancels their
  // payments), so no answer shows a payment its session's expiry has ended as still pending.
  const timed =
    (handler: Handler): Handler =>
    (request) => {
      services.checkout.catchUp();
      return handler(request);
    };
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
    router.addAll(routes(services).map((route) => ({ ...route, handler: timed(route.handler) })));
  }
  const keys = services.merchant.keys();
  const otherMode = ctx.mode === 'test' ? 'live' : 'test';

  return {
    name: 'plutopay',
    prefix: '',
    router,
    faults: services.faults,
    services,
    secret_key: keys.secret_key,
    publishable_key: keys.publishable_key,
    webhookSecret: () => (ctx.db.open ? services.webhooks.latestSecret() : null),
    checkKey(bearer): KeyKind | ApiError {
      if (bearer === undefined) {
        return unauthorized('No API key provided. Send it as "Authorization: Bearer sk_test_…".', 'api_key_missing');
      }
      const kind = services.merchant.kindOf(bearer);
      if (kind) return kind;
      if (bearer.startsWith(`sk_${otherMode}_`) || bearer.startsWith(`pk_${otherMode}_`)) {
        return unauthorized(
          `This is the PlutoPay sandbox running in ${ctx.mode} mode: ${otherMode}-mode keys (sk_${otherMode}_…, pk_${otherMode}_…) are refused. Use this sandbox's sk_${ctx.mode}_ key.`,
          'wrong_mode_key',
        );
      }
      return unauthorized('Invalid API key provided.', 'api_key_invalid');
    },
    renderError: (error) => ({ status: error.status, json: error.toBody() }),
    // The API under /v1 takes faults; health, the admin routes and the hosted page do not.
    faultable: (path) => path.startsWith('/v1/') && path !== '/v1/health',
    start() {
      services.webhooks.resume();
      services.checkout.catchUp(true);
    },
    async shutdown() {
      services.checkout.stop();
      services.links.shutdown();
      services.payments.shutdown();
      await services.webhooks.close();
    },
  };
}
