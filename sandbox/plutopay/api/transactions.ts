/** /v1/merchant, /v1/health, /v1/transactions (+ capture, cancel, confirm, refunds), /v1/payment-intents. */
import type { CreateTransactionInput, PaymentMethodType } from '../domain/transactions';
import { PAYMENT_METHOD_TYPES, transactionJson } from '../domain/transactions';
import { TRANSACTION_STATUSES } from '../domain/transaction-machine';
import { refundJson } from '../domain/refunds';
import { iso } from '../../core/time';
import { invalid } from '../../http/errors';
import { Params, pageParams } from '../../http/params';
import type { RouteSpec } from '../../http/router';
import type { Services } from '../services';
import { createdOrReplayed, list, ok, okOrReplayed } from './replies';

export const SANDBOX_VERSION = '1.0.0';

/** PlutoPay's largest amount in minor units (eight digits, as its readers' amount field). */
export const MAX_AMOUNT = 99_999_999;

export const AMOUNT = {
  required: true,
  min: 50,
  max: MAX_AMOUNT,
  minCode: 'amount_too_small',
  maxCode: 'amount_too_large',
} as const;

/**
 * A request's `idempotency_key`, exactly as sent: a key is an opaque token, so `"k "` and `"k"` are two
 * keys (trimmed, the second request was answered with the first one's payment).
 */
export function idempotencyKey(p: Params): string | null {
  return p.string('idempotency_key', { min: 1, max: 255, exact: true }) ?? null;
}

/** The parameters shared by every payment-creating endpoint. */
export function paymentInput(
  s: Services,
  p: Params,
  endpoint: string,
  fixed: { payment_method_type?: PaymentMethodType; with_client_secret?: boolean } = {},
): CreateTransactionInput {
  return {
    endpoint,
    amount: p.int('amount', AMOUNT),
    currency: p.currency('currency') ?? s.merchant.defaultCurrency,
    payment_method_type: fixed.payment_method_type ?? p.oneOf('payment_method_type', PAYMENT_METHOD_TYPES) ?? 'card',
    payment_method: p.string('payment_method', { max: 100 }) ?? null,
    confirm: p.bool('confirm') ?? false,
    capture_method: p.oneOf('capture_method', ['automatic', 'manual'] as const) ?? 'automatic',
    customer_id: p.string('customer_id', { max: 100 }) ?? null,
    terminal_id: p.string('terminal_id', { max: 100 }) ?? null,
    description: p.string('description', { max: 500 }) ?? null,
    receipt_email: p.email('receipt_email') ?? null,
    metadata: p.metadata() ?? {},
    idempotency_key: idempotencyKey(p),
    with_client_secret: fixed.with_client_secret,
  };
}

export function transactionRoutes(s: Services): RouteSpec[] {
  return [
    {
      method: 'GET',
      path: '/v1/health',
      auth: 'none',
      handler: () =>
        ok({
          status: 'ok',
          version: SANDBOX_VERSION,
          timestamp: iso(s.ctx.clock.now()),
          sandbox: true,
          mode: s.ctx.mode,
        }),
    },
    { method: 'GET', path: '/v1/merchant', auth: 'secret', handler: () => ok(s.merchant.toJson()) },
    {
      method: 'POST',
      path: '/v1/transactions',
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, [
          'amount',
          'currency',
          'payment_method',
          'payment_method_type',
          'confirm',
          'capture_method',
          'customer_id',
          'description',
          'receipt_email',
          'metadata',
          'idempotency_key',
        ]);
        const input = paymentInput(s, p, 'POST /v1/transactions');
        if (input.confirm && input.payment_method_type === 'terminal') {
          throw invalid(
            'A terminal payment is confirmed on a reader (process-payment), not with confirm.',
            'confirm',
            'terminal_confirm',
          );
        }
        return createdOrReplayed(s.transactions.create(input), transactionJson);
      },
    },
    {
      method: 'GET',
      path: '/v1/transactions',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const p = Params.query(req.query, [
          'search',
          'status',
          'payment_method_type',
          'date_from',
          'date_to',
          'sortField',
          'sortOrder',
          'page',
          'size',
        ]);
        const { page, size } = pageParams(p);
        return list(
          s.transactions.list({
            search: p.string('search', { max: 200 }),
            status: p.oneOf('status', TRANSACTION_STATUSES),
            payment_method_type: p.oneOf('payment_method_type', PAYMENT_METHOD_TYPES),
            date_from: p.date('date_from'),
            date_to: p.date('date_to'),
            sortField: p.oneOf('sortField', ['created_at', 'amount', 'status', 'updated_at'] as const) ?? 'created_at',
            sortOrder: p.oneOf('sortOrder', ['asc', 'desc'] as const) ?? 'desc',
            page,
            size,
          }),
          transactionJson,
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/transactions/{id}',
      resource: (req) => s.transactions.get(req.params.id!),
      auth: 'secret',
      handler: (req) => ok(transactionJson(s.transactions.get(req.params.id!))),
    },
    {
      method: 'POST',
      path: '/v1/transactions/{id}/capture',
      resource: (req) => s.transactions.get(req.params.id!),
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['amount', 'idempotency_key']);
        const amount = p.int('amount', { min: 1, max: MAX_AMOUNT });
        const key = idempotencyKey(p);
        return okOrReplayed(s.transactions.capture(req.params.id!, amount, key), transactionJson);
      },
    },
    {
      method: 'POST',
      path: '/v1/transactions/{id}/cancel',
      resource: (req) => s.transactions.get(req.params.id!),
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['idempotency_key']);
        return okOrReplayed(s.transactions.cancel(req.params.id!, idempotencyKey(p)), transactionJson);
      },
    },
    {
      method: 'POST',
      path: '/v1/transactions/{id}/confirm',
      resource: (req) => s.transactions.get(req.params.id!),
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['payment_method']);
        return ok(
          transactionJson(s.transactions.confirm(req.params.id!, p.string('payment_method', { max: 100 }) ?? null)),
        );
      },
    },
    {
      method: 'POST',
      path: '/v1/transactions/{id}/refunds',
      resource: (req) => s.transactions.get(req.params.id!),
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, ['amount', 'reason', 'metadata', 'idempotency_key']);
        const result = s.refunds.create(req.params.id!, {
          amount: p.int('amount', { min: 1, max: MAX_AMOUNT }) ?? null,
          reason: p.string('reason', { max: 200 }) ?? null,
          metadata: p.metadata() ?? {},
          idempotency_key: idempotencyKey(p),
        });
        return createdOrReplayed(result, (v) => refundJson(v.refund, v.transaction));
      },
    },
    {
      method: 'GET',
      path: '/v1/transactions/{id}/refunds',
      resource: (req) => s.transactions.get(req.params.id!),
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const { page, size } = pageParams(Params.query(req.query, ['page', 'size']));
        return list(s.refunds.list(req.params.id!, page, size), (row) => refundJson(row));
      },
    },
    {
      method: 'POST',
      path: '/v1/payment-intents',
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, [
          'amount',
          'currency',
          'description',
          'customer_id',
          'receipt_email',
          'metadata',
          'capture_method',
          'idempotency_key',
        ]);
        const result = s.transactions.create(
          paymentInput(s, p, 'POST /v1/payment-intents', { payment_method_type: 'card', with_client_secret: true }),
        );
        return createdOrReplayed(result, (row) => ({ ...transactionJson(row), client_secret: row.client_secret }));
      },
    },
  ];
}
