/** /v1/payouts and /v1/disputes (read-only, as in the reference). */
import { DISPUTE_STATUSES, PAYOUT_STATUSES, disputeJson, payoutJson } from '../domain/payouts-disputes';
import { Params, pageParams } from '../../http/params';
import type { RouteSpec } from '../../http/router';
import type { Services } from '../services';
import { list, ok } from './replies';

export function payoutDisputeRoutes(s: Services): RouteSpec[] {
  const store = s.payoutsDisputes;
  return [
    {
      method: 'GET',
      path: '/v1/payouts',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const p = Params.query(req.query, ['status', 'page', 'size']);
        const { page, size } = pageParams(p);
        return list(store.payouts(p.oneOf('status', PAYOUT_STATUSES), page, size), payoutJson);
      },
    },
    {
      method: 'GET',
      path: '/v1/payouts/{id}',
      resource: (req) => store.payout(req.params.id!),
      auth: 'secret',
      handler: (req) => ok(payoutJson(store.payout(req.params.id!))),
    },
    {
      method: 'GET',
      path: '/v1/disputes',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const p = Params.query(req.query, ['status', 'page', 'size']);
        const { page, size } = pageParams(p);
        return list(store.disputes(p.oneOf('status', DISPUTE_STATUSES), page, size), disputeJson);
      },
    },
    {
      method: 'GET',
      path: '/v1/disputes/{id}',
      resource: (req) => store.dispute(req.params.id!),
      auth: 'secret',
      handler: (req) => ok(disputeJson(store.dispute(req.params.id!))),
    },
  ];
}
