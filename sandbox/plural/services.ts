/** Builds the Plural emulator's domain services over one context, in dependency order. */
import type { Context } from '../core/context';
import { FaultInjector } from '../core/faults';
import { Auth } from './domain/auth';
import { Orders } from './domain/orders';
import { Settlements } from './domain/settlements';
import { PluralWebhooks } from './domain/webhooks';

export interface PluralServices {
  readonly ctx: Context;
  readonly auth: Auth;
  readonly webhooks: PluralWebhooks;
  readonly orders: Orders;
  readonly settlements: Settlements;
  readonly faults: FaultInjector;
}

export function createPluralServices(ctx: Context): PluralServices {
  const auth = new Auth(ctx);
  const webhooks = new PluralWebhooks(ctx, auth.credentials.signature_key);
  const orders = new Orders(ctx, auth.credentials, webhooks);
  const settlements = new Settlements(ctx, orders, webhooks);
  return { ctx, auth, webhooks, orders, settlements, faults: new FaultInjector() };
}
