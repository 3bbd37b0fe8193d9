/**
 * The PayPlug emulator, mounted under /payplug: its routes, its secret key (sk_test_… or
 * sk_live_…, one per mode, kept in the database), its error format, and the clock-driven parts
 * (page expiry, installments, notification retries) that resume after a restart.
 */
import type { Emulator, KeyKind } from '../http/emulator';
import { ApiError, unauthorized } from '../http/errors';
import type { Handler } from '../http/router';
import { Router } from '../http/router';
import type { Context } from '../core/context';
import { migrate } from '../core/database';
import type { Faults } from '../core/faults';
import { adminRoutes, FAULT_FIELDS as PAYPLUG_FAULT_FIELDS, faultsJson, type PayPlugFaults } from './api/admin';
import { pageRoutes } from './api/pages';
import { paymentRoutes } from './api/payments';
import { planRoutes } from './api/plans';
import { renderError } from './errors';
import { MIGRATIONS } from './schema';
import { createServices, type Services } from './services';

export const PAYPLUG_PREFIX = '/payplug';
export { PAYPLUG_FAULT_FIELDS, type PayPlugFaults };

export interface PayPlugEmulator extends Emulator {
  readonly services: Services;
  readonly secret_key: string;
  currentFaults(): PayPlugFaults;
}

/**
 * PayPlug answers 405 to a method a known path does not take (any method, HEAD and OPTIONS too);
 * the shared server would say 404.
 */
function methodNotAllowed(method: string, allowed: readonly string[]): ApiError {
  return new ApiError(405, 'method_not_allowed', `${method} is not allowed here; use ${allowed.join(', ')}.`);
}

export function createPayPlug(ctx: Context, options: { faults?: Partial<Faults> } = {}): PayPlugEmulator {
  migrate(ctx.db, 'payplug', MIGRATIONS);
  const services = createServices(ctx);
  if (options.faults) services.faults.set(options.faults);
  const { timeline } = services;

  // Every request first applies what the clock has brought about, and re-arms the timer after.
  const timed =
    (handler: Handler): Handler =>
    async (request) => {
      timeline.catchUp();
      try {
        return await handler(request);
      } finally {
        timeline.arm();
      }
    };
  const routes = [
    ...paymentRoutes(services),
    ...planRoutes(services),
    ...pageRoutes(services, PAYPLUG_PREFIX),
    ...adminRoutes(services),
  ].map((route) => ({ ...route, handler: timed(route.handler) }));
  const router = new Router();
  router.addAll(routes);

  const otherMode = ctx.mode === 'test' ? 'live' : 'test';
  return {
    name: 'payplug',
    prefix: PAYPLUG_PREFIX,
    router,
    faults: services.faults,
    services,
    secret_key: services.secretKey,
    currentFaults: () => faultsJson(services.faults.current),
    checkKey(bearer): KeyKind | ApiError {
      if (bearer === undefined)
        return unauthorized(
          'You did not provide any Authentication HTTP header. You must authenticate with your LIVE or TEST API key.',
        );
      if (bearer === services.secretKey) return 'secret';
      if (bearer.startsWith(`sk_${otherMode}_`))
        return unauthorized(
          `This PayPlug sandbox runs in ${ctx.mode} mode: ${otherMode} keys (sk_${otherMode}_…) are refused. Use its sk_${ctx.mode}_ key.`,
        );
      return unauthorized('The API key you provided is invalid. You must authenticate with your LIVE or TEST API key.');
    },
    renderError: (error) => renderError(error, ctx.ids),
    methodNotAllowed,
    // The API takes injected faults; the payment page and the /_sandbox routes do not.
    faultable: (path) => path.startsWith('/v1/'),
    start() {
      services.notifications.resume();
      timeline.catchUp(true);
    },
    async shutdown() {
      timeline.stop();
      await services.notifications.close();
    },
  };
}
