/**
 * The Plural API under {plural.url}: the token, orders (create, by id, by merchant_order_reference),
 * card payments, capture and cancel of a pre-authorisation, split settlement release and cancel, and
 * refunds. Every success is 200 with the order in `{"data": …}`.
 */
import { Params } from '../../http/params';
import type { Reply, RouteSpec } from '../../http/router';
import type { PluralServices } from '../services';
import { checkRequestHeaders, withToken } from './guard';
import { captureInput, createOrderInput, paymentInput, refundInput, releaseInput } from './input';

const PAY = '/api/pay/v1';

export function apiRoutes(s: PluralServices): RouteSpec[] {
  const { auth, orders, settlements } = s;
  const order = (row: Parameters<typeof orders.json>[0]): Reply => ({ status: 200, json: { data: orders.json(row) } });

  return [
    {
      method: 'POST',
      path: '/api/auth/v1/token',
      auth: 'none',
      handler: (req) => {
        checkRequestHeaders(req.headers);
        const p = Params.body(req.body, ['client_id', 'client_secret', 'grant_type']);
        const clientId = p.string('client_id', { required: true, trim: false, max: 200 });
        const clientSecret = p.string('client_secret', { required: true, trim: false, max: 200 });
        p.oneOf('grant_type', ['client_credentials'] as const, { required: true });
        return { status: 200, json: auth.issue(clientId, clientSecret) };
      },
    },
    {
      method: 'POST',
      path: `${PAY}/orders`,
      auth: 'bearer',
      handler: withToken(auth, (req) => order(orders.create(createOrderInput(req.body)))),
    },
    {
      method: 'GET',
      path: `${PAY}/orders/reference/{merchant_order_reference}`,
      resource: withToken(auth, (req) => orders.getByReference(req.params.merchant_order_reference!)),
      auth: 'bearer',
      handler: withToken(auth, (req) => order(orders.getByReference(req.params.merchant_order_reference!))),
    },
    {
      method: 'GET',
      path: `${PAY}/orders/{order_id}`,
      resource: withToken(auth, (req) => orders.get(req.params.order_id!)),
      auth: 'bearer',
      handler: withToken(auth, (req) => order(orders.get(req.params.order_id!))),
    },
    {
      method: 'POST',
      path: `${PAY}/orders/{order_id}/payments`,
      resource: withToken(auth, (req) => orders.get(req.params.order_id!)),
      auth: 'bearer',
      handler: withToken(auth, (req) => {
        const result = orders.pay(req.params.order_id!, paymentInput(req.body, s.ctx.clock.now()));
        return order(result.order);
      }),
    },
    {
      method: 'PUT',
      path: `${PAY}/orders/{order_id}/capture`,
      resource: withToken(auth, (req) => orders.get(req.params.order_id!)),
      auth: 'bearer',
      handler: withToken(auth, (req) => {
        const input = captureInput(req.body);
        return order(orders.capture(req.params.order_id!, input.reference, input.amount));
      }),
    },
    {
      method: 'PUT',
      path: `${PAY}/orders/{order_id}/cancel`,
      resource: withToken(auth, (req) => orders.get(req.params.order_id!)),
      auth: 'bearer',
      handler: withToken(auth, (req) => {
        Params.body(req.body, []);
        return order(orders.cancel(req.params.order_id!));
      }),
    },
    // The reference prints this path with its placeholders unfilled,
    // /orders/orderId/settlementId/settlementId/release: the literal segment is `settlementId`.
    {
      method: 'PATCH',
      path: `${PAY}/orders/{order_id}/settlementId/{settlement_id}/release`,
      resource: withToken(auth, (req) => settlements.get(req.params.order_id!, req.params.settlement_id!)),
      auth: 'bearer',
      handler: withToken(auth, (req) =>
        order(settlements.release(req.params.order_id!, req.params.settlement_id!, releaseInput(req.body))),
      ),
    },
    {
      method: 'PATCH',
      path: `${PAY}/orders/{order_id}/settlementId/{settlement_id}/cancel`,
      resource: withToken(auth, (req) => settlements.get(req.params.order_id!, req.params.settlement_id!)),
      auth: 'bearer',
      handler: withToken(auth, (req) => {
        Params.body(req.body, []);
        return order(settlements.cancel(req.params.order_id!, req.params.settlement_id!));
      }),
    },
    {
      method: 'POST',
      path: `${PAY}/refunds/{order_id}`,
      resource: withToken(auth, (req) => orders.get(req.params.order_id!)),
      auth: 'bearer',
      handler: withToken(auth, (req) => order(settlements.refund(req.params.order_id!, refundInput(req.body)))),
    },
  ];
}
