/** The PayPlug emulator's services over one context, wired in dependency order. */
import type { Context } from '../core/context';
import { FaultInjector } from '../core/faults';
import { Notifications } from './domain/notifications';
import { Payments } from './domain/payments';
import { InstallmentPlans } from './domain/plans';
import { Timeline } from './domain/timeline';

export interface Services {
  readonly ctx: Context;
  readonly secretKey: string;
  readonly notifications: Notifications;
  readonly payments: Payments;
  readonly plans: InstallmentPlans;
  readonly timeline: Timeline;
  readonly faults: FaultInjector;
}

/**
 * The secret key of the running mode: made the first time a database is opened in that mode and
 * kept in it, so a restarted sandbox answers to the same key.
 */
function secretKey(ctx: Context): string {
  const name = `key.${ctx.mode}.secret`;
  const existing = ctx.sql.get('SELECT value FROM payplug_meta WHERE key = ?').get(name) as
    { value: string } | undefined;
  if (existing) return existing.value;
  const value = `sk_${ctx.mode}_${ctx.ids.hex(16)}`;
  ctx.sql.get('INSERT INTO payplug_meta (key, value) VALUES (?, ?)').run(name, value);
  return value;
}

export function createServices(ctx: Context): Services {
  const notifications = new Notifications(ctx);
  const payments = new Payments(ctx, notifications);
  const plans = new InstallmentPlans(ctx, payments, notifications);
  return {
    ctx,
    secretKey: secretKey(ctx),
    notifications,
    payments,
    plans,
    timeline: new Timeline(ctx, payments, plans),
    faults: new FaultInjector(),
  };
}
