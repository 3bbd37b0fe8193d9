/**
 * The Plural (Pine Labs) emulator, mounted under /plural: OAuth tokens, orders with split settlements,
 * card payments with 3-D Secure challenges, pre-authorisations, refunds, signed returns and webhooks,
 * in its own tables. See docs/sandbox-plural.md.
 */
import type { Emulator, KeyKind } from '../http/emulator';
import type { ApiError } from '../http/errors';
import { Router, type RouteSpec } from '../http/router';
import type { Context } from '../core/context';
import { migrate } from '../core/database';
import type { Faults } from '../core/faults';
import { adminRoutes, PLURAL_FAULT_FIELDS, pluralFaults, type PluralFaults } from './api/admin';
import { pageRoutes } from './api/pages';
import { apiRoutes } from './api/routes';
import type { Credentials } from './domain/auth';
import { renderPluralError, unauthorized } from './errors';
import { MIGRATIONS } from './schema';
import { createPluralServices, type PluralServices } from './services';

export const PLURAL_PREFIX = '/plural';
export { PLURAL_FAULT_FIELDS, pluralFaults, type PluralFaults };

export interface PluralEmulator extends Emulator {
  readonly services: PluralServices;
  readonly credentials: Credentials;
}

export function createPlural(ctx: Context, options: { faults?: Partial<Faults> } = {}): PluralEmulator {
  migrate(ctx.db, 'plural', MIGRATIONS);
  const services = createPluralServices(ctx);
  if (options.faults) {
    const relevant = Object.fromEntries(
      PLURAL_FAULT_FIELDS.filter((field) => options.faults![field] !== undefined).map((field) => [
        field,
        options.faults![field],
      ]),
    );
    services.faults.set(relevant);
  }
  const router = new Router();
  // Every route with credentials takes the access token (a header of another form is refused naming it).
  const withAccessToken = (routes: RouteSpec[]): RouteSpec[] =>
    routes.map((route) => (route.auth === 'bearer' ? { ...route, credential: 'access_token' } : route));
  router.addAll(withAccessToken(apiRoutes(services)));
  router.addAll(pageRoutes(services, PLURAL_PREFIX));
  router.addAll(withAccessToken(adminRoutes(services)));

  return {
    name: 'plural',
    prefix: PLURAL_PREFIX,
    router,
    faults: services.faults,
    services,
    credentials: services.auth.credentials,
    // Every Plural route checks its OAuth token itself (auth 'bearer'); no route asks for a key.
    checkKey: (): KeyKind | ApiError => unauthorized('Send a Plural access token.'),
    renderError: renderPluralError,
    // The API (token included) takes faults; the pages and /_sandbox do not.
    faultable: (path) => path.startsWith('/api/'),
    start: () => services.webhooks.resume(),
    shutdown: () => services.webhooks.close(),
  };
}
