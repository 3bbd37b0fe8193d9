/** Sandbox-only routes under /_sandbox (secret key): faults, clock, ledger, notification log. */
import type { RouteSpec } from '../../http/router';
import { advanceClock, faultInput, setFaultsAfterCommit } from '../../core/admin';
import { liveFlag } from '../../core/context';
import { pickFaults, type Faults } from '../../core/faults';
import type { PaymentRow, RefundRow } from '../domain/model';
import { seconds } from '../domain/model';
import type { Services } from '../services';
import { listJson, pagination } from './inputs';

/** The fault settings that apply to PayPlug (simulated readers are PlutoPay's). */
export const FAULT_FIELDS = ['latency_ms', 'error_rate', 'drop_after_commit_rate', 'seed'] as const;
export type PayPlugFaults = Pick<Faults, (typeof FAULT_FIELDS)[number]>;

export function faultsJson(faults: Readonly<Faults>): PayPlugFaults {
  return pickFaults(faults, FAULT_FIELDS);
}

/** A payment's state as the ledger names it (an authorization past its 7 days is told apart). */
function ledgerStatus(row: PaymentRow, now: number): string {
  if (row.state === 'authorized' && row.authorization_expires_at !== null && now >= row.authorization_expires_at)
    return 'authorization_expired';
  return row.state;
}

/** Every payment and refund of the running mode, oldest first, for comparing with a client's journal. */
function ledger(s: Services): Record<string, unknown> {
  const isLive = liveFlag(s.ctx);
  const now = s.ctx.clock.now();
  const payments = (
    s.ctx.sql.get('SELECT * FROM payplug_payments WHERE is_live = ? ORDER BY seq').all(isLive) as PaymentRow[]
  ).map((row) => ({
    id: row.id,
    amount: row.amount,
    currency: row.currency,
    status: ledgerStatus(row, now),
    is_paid: row.state === 'paid',
    // Kept once a card authorised it, through a capture, an abort or the authorisation's expiry.
    authorized: row.authorized_at !== null,
    deferred: row.deferred === 1,
    captured: row.state === 'paid',
    amount_refunded: row.amount_refunded,
    is_refunded: row.amount_refunded > 0 && row.amount_refunded === row.amount,
    failure_code: row.failure_code,
    last_attempt_code: row.last_attempt_code,
    installment_plan_id: row.installment_plan_id,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as unknown),
    created_at: seconds(row.created_at),
  }));
  const refunds = (
    s.ctx.sql.get('SELECT * FROM payplug_refunds WHERE is_live = ? ORDER BY seq').all(isLive) as RefundRow[]
  ).map((row) => ({
    id: row.id,
    payment_id: row.payment_id,
    amount: row.amount,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as unknown),
    created_at: seconds(row.created_at),
  }));
  return { payments, refunds };
}

export function adminRoutes(s: Services): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/_sandbox/faults',
      auth: 'secret',
      handler: () => ({ status: 200, json: faultsJson(s.faults.current) }),
    },
    {
      method: 'PUT',
      path: '/_sandbox/faults',
      auth: 'secret',
      handler: async (req) => ({
        status: 200,
        json: faultsJson(await setFaultsAfterCommit(s.ctx, s.faults, faultInput(req.body, FAULT_FIELDS))),
      }),
    },
    {
      method: 'POST',
      path: '/_sandbox/clock',
      auth: 'secret',
      handler: async (req) => ({ status: 200, json: await advanceClock(s.ctx, req.body) }),
    },
    { method: 'GET', path: '/_sandbox/ledger', auth: 'secret', handler: () => ({ status: 200, json: ledger(s) }) },
    {
      method: 'GET',
      path: '/_sandbox/notifications',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const { page, perPage } = pagination(req.query);
        return { status: 200, json: listJson(page, perPage, s.notifications.log(page, perPage), (row) => row) };
      },
    },
  ];
}
