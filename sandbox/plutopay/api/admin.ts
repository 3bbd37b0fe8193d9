/** Sandbox-only routes under /_sandbox (secret key): faults, ledger, test triggers, webhook log. */
import { advanceClock, faultInput, setFaultsAfterCommit } from '../../core/admin';
import { MAX_AMOUNT } from './transactions';
import { ledger } from '../domain/ledger';
import { DISPUTE_REASONS, disputeJson, payoutJson } from '../domain/payouts-disputes';
import { badRequest } from '../../http/errors';
import { Params, pageParams } from '../../http/params';
import type { RouteSpec } from '../../http/router';
import type { Services } from '../services';
import { created, list, ok } from './replies';

const FAULT_FIELDS = ['latency_ms', 'error_rate', 'drop_after_commit_rate', 'reader_timeout_ms', 'seed'] as const;

export function adminRoutes(s: Services): RouteSpec[] {
  return [
    { method: 'GET', path: '/_sandbox/faults', auth: 'secret', handler: () => ok(s.faults.current) },
    {
      method: 'PUT',
      path: '/_sandbox/faults',
      auth: 'secret',
      handler: async (req) => ok(await setFaultsAfterCommit(s.ctx, s.faults, faultInput(req.body, FAULT_FIELDS))),
    },
    { method: 'GET', path: '/_sandbox/ledger', auth: 'secret', handler: () => ok(ledger(s.ctx)) },
    {
      method: 'POST',
      path: '/_sandbox/clock',
      auth: 'secret',
      handler: async (req) => ok(await advanceClock(s.ctx, req.body)),
    },
    {
      method: 'POST',
      path: '/_sandbox/disputes',
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['transaction_id', 'amount', 'reason']);
        const dispute = s.payoutsDisputes.openDispute({
          transaction_id: p.string('transaction_id', { required: true, max: 100 }),
          amount: p.int('amount', { min: 1, max: MAX_AMOUNT }),
          reason: p.oneOf('reason', DISPUTE_REASONS),
        });
        return created(disputeJson(dispute));
      },
    },
    {
      method: 'POST',
      path: '/_sandbox/disputes/{id}/settle',
      resource: (req) => s.payoutsDisputes.dispute(req.params.id!),
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['status']);
        const status = p.oneOf('status', ['under_review', 'won', 'lost'] as const, { required: true });
        return ok(disputeJson(s.payoutsDisputes.settleDispute(req.params.id!, status)));
      },
    },
    {
      method: 'POST',
      path: '/_sandbox/payouts',
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['amount', 'currency', 'description']);
        const payout = s.payoutsDisputes.createPayout({
          amount: p.int('amount', { required: true, min: 1, max: MAX_AMOUNT }),
          currency: p.currency('currency') ?? s.merchant.defaultCurrency,
          description: p.string('description', { max: 200 }),
        });
        return created(payoutJson(payout));
      },
    },
    {
      method: 'POST',
      path: '/_sandbox/payouts/{id}/settle',
      resource: (req) => s.payoutsDisputes.payout(req.params.id!),
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['status', 'failure_code']);
        const status = p.oneOf('status', ['paid', 'failed'] as const, { required: true });
        const failureCode = p.string('failure_code', { max: 100 });
        if (failureCode !== undefined && status !== 'failed')
          throw badRequest('failure_code is only allowed with status failed', 'failure_code', 'parameter_unknown');
        return ok(payoutJson(s.payoutsDisputes.settlePayout(req.params.id!, status, failureCode)));
      },
    },
    {
      method: 'GET',
      path: '/_sandbox/webhook-deliveries',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const { page, size } = pageParams(Params.query(req.query, ['page', 'size']));
        return list(s.webhooks.deliveries(page, size), (row) => row);
      },
    },
  ];
}
