/**
 * Sandbox-only routes under {plural.url}/_sandbox, all with a valid access token (like the API):
 * pay an order as its customer would, move the clock, faults, the ledger, webhook endpoints and
 * their delivery log. They never take injected faults.
 */
import { Params, pageParams } from '../../http/params';
import type { RouteSpec } from '../../http/router';
import { advanceClock, faultInput, setFaultsAfterCommit } from '../../core/admin';
import { inTransaction } from '../../core/context';
import { pickFaults, type Faults } from '../../core/faults';
import { pluralLedger } from '../domain/ledger';
import { DEFAULT_PLURAL_CARD } from '../../../common/plural-test-cards';
import { PLURAL_EVENT_TYPES, pluralEndpointJson } from '../domain/webhooks';
import { wireTime } from '../domain/model';
import { forbidden, invalidRequest } from '../errors';
import type { PluralServices } from '../services';
import { withToken } from './guard';

/** reader_timeout_ms has no meaning without card readers. */
export const PLURAL_FAULT_FIELDS = ['latency_ms', 'error_rate', 'drop_after_commit_rate', 'seed'] as const;
export type PluralFaults = Pick<Faults, (typeof PLURAL_FAULT_FIELDS)[number]>;

export function pluralFaults(faults: Readonly<Faults>): PluralFaults {
  return pickFaults(faults, PLURAL_FAULT_FIELDS);
}

export function adminRoutes(s: PluralServices): RouteSpec[] {
  const { auth, orders, webhooks } = s;
  const admin = (spec: Omit<RouteSpec, 'auth'>): RouteSpec => ({
    ...spec,
    auth: 'bearer',
    ...(spec.resource ? { resource: withToken(auth, spec.resource) } : {}),
    handler: withToken(auth, spec.handler),
  });

  return [
    admin({
      method: 'POST',
      path: '/_sandbox/orders/{order_id}/pay',
      // Test mode is checked first, as the handler does.
      resource: (req) => {
        if (s.ctx.mode === 'live') throw forbidden('Paying an order from the sandbox is for test mode only.');
        return orders.get(req.params.order_id!);
      },
      handler: (req) => {
        if (s.ctx.mode === 'live') throw forbidden('Paying an order from the sandbox is for test mode only.');
        const p = Params.body(req.body, ['card_number']);
        const typed = p.string('card_number', { max: 40 }) ?? DEFAULT_PLURAL_CARD;
        const number = typed.replace(/[\s-]/g, '');
        if (!/^\d{12,23}$/.test(number)) throw invalidRequest('card_number must be 12–23 digits', 'card_number');
        const { order, payment } = inTransaction(s.ctx, () => {
          const id = req.params.order_id!;
          const attempt = orders.pay(id, {
            merchant_payment_reference: null,
            amount: orders.get(id).amount,
            card_number: number,
          });
          // The customer passes the challenge, as on the challenge page.
          return attempt.payment.status === 'PENDING'
            ? orders.completeChallenge(attempt.payment.challenge_token!, true)!
            : attempt;
        });
        return { status: 200, json: { data: orders.json(order), return: orders.returnRedirect(order, payment) } };
      },
    }),
    admin({
      method: 'POST',
      path: '/_sandbox/clock',
      handler: async (req) => ({ status: 200, json: await advanceClock(s.ctx, req.body, wireTime) }),
    }),
    admin({
      method: 'GET',
      path: '/_sandbox/faults',
      handler: () => ({ status: 200, json: pluralFaults(s.faults.current) }),
    }),
    admin({
      method: 'PUT',
      path: '/_sandbox/faults',
      handler: async (req) => ({
        status: 200,
        json: pluralFaults(await setFaultsAfterCommit(s.ctx, s.faults, faultInput(req.body, PLURAL_FAULT_FIELDS))),
      }),
    }),
    admin({
      method: 'GET',
      path: '/_sandbox/ledger',
      handler: () => ({ status: 200, json: pluralLedger(s.ctx, orders) }),
    }),
    admin({
      method: 'POST',
      path: '/_sandbox/webhook-endpoints',
      handler: (req) => {
        const p = Params.body(req.body, ['url', 'events']);
        const url = p.url('url', { required: true, loopback: true })!;
        const events = p.list('events', PLURAL_EVENT_TYPES) ?? null;
        return { status: 200, json: pluralEndpointJson(webhooks.create(url, events)) };
      },
    }),
    admin({
      method: 'GET',
      path: '/_sandbox/webhook-endpoints',
      handler: () => ({ status: 200, json: { data: webhooks.list().map(pluralEndpointJson) } }),
    }),
    admin({
      method: 'DELETE',
      path: '/_sandbox/webhook-endpoints/{id}',
      body: 'none',
      handler: (req) => {
        webhooks.delete(req.params.id!);
        return { status: 200, json: { id: req.params.id!, deleted: true } };
      },
    }),
    admin({
      method: 'GET',
      path: '/_sandbox/webhook-deliveries',
      query: 'checked',
      handler: (req) => {
        const { page, size } = pageParams(Params.query(req.query, ['page', 'size']));
        const log = webhooks.deliveries(page, size);
        return { status: 200, json: { data: log.rows, meta: log.meta } };
      },
    }),
  ];
}
