/** /v1/payments: create, retrieve, list, the three PATCH forms; and their refunds. */
import type { RouteSpec } from '../../http/router';
import { stateError, Validator } from '../errors';
import { refundJson as refundBody } from '../domain/model';
import type { CreatePaymentInput } from '../domain/payments';
import type { Services } from '../services';
import * as input from './inputs';

const CREATE_FIELDS = [
  'amount',
  'authorized_amount',
  'currency',
  'customer',
  'hosted_payment',
  'notification_url',
  'payment_method',
  'force_3ds',
  'save_card',
  'allow_save_card',
  'description',
  'metadata',
];

function createInput(s: Services, body: Readonly<Record<string, unknown>>): CreatePaymentInput {
  const v = new Validator();
  const p = v.body(body, CREATE_FIELDS);
  const amount = input.amount(p, v, 'amount', false);
  const authorized = input.amount(p, v, 'authorized_amount', false);
  if (p.has('amount') && p.has('authorized_amount')) {
    v.add('authorized_amount', 'Give amount or authorized_amount (a deferred payment), not both.');
  } else if (!p.has('amount') && !p.has('authorized_amount')) {
    v.add('amount', 'The amount is required (or authorized_amount, for a deferred payment).');
  }
  const currency = input.currency(p, v);
  const paymentMethod = v.check(() => p.string('payment_method', { max: 100 }) ?? null, null);
  const saveCard = input.bool(p, v, 'save_card');
  const allowSaveCard = input.bool(p, v, 'allow_save_card');
  const force3ds = input.bool(p, v, 'force_3ds');
  const hosted = input.hostedPayment(p, v, true);
  const customer = input.customer(p, v, {
    identity: paymentMethod !== null || saveCard || allowSaveCard,
    email: hosted?.sent_by === 'EMAIL',
    phone: hosted?.sent_by === 'SMS',
  });
  if (saveCard && allowSaveCard)
    v.add('allow_save_card', 'save_card and allow_save_card cannot be used together: choose one.');
  if (paymentMethod !== null) {
    if (hosted !== null)
      v.add('hosted_payment', 'A payment with a payment_method has no payment page: hosted_payment must be null.');
    if (saveCard || allowSaveCard)
      v.add(saveCard ? 'save_card' : 'allow_save_card', 'The card of a payment_method is already saved.');
    const card = s.payments.savedCard(paymentMethod);
    if (!card) v.add('payment_method', `No such card: ${paymentMethod}. Use the card id of a saved card.`);
    else if (card.usable_until <= s.ctx.clock.now())
      v.add(
        'payment_method',
        `The card ${paymentMethod} can no longer be used (card ids last 15 months, and never past the card's expiry).`,
      );
  }
  const notificationUrl = input.notificationUrl(p, v);
  const description = input.description(p, v);
  const metadata = input.metadata(p, v);
  v.done();
  return {
    amount: (amount ?? authorized)!,
    deferred: authorized !== undefined,
    currency,
    customer,
    hosted: paymentMethod !== null ? null : (hosted ?? { return_url: null, cancel_url: null, sent_by: null }),
    notification_url: notificationUrl,
    payment_method: paymentMethod,
    force_3ds: force3ds,
    save_card: saveCard,
    allow_save_card: allowSaveCard,
    description,
    metadata,
  };
}

export function paymentRoutes(s: Services): RouteSpec[] {
  const { payments } = s;
  return [
    {
      method: 'POST',
      path: '/v1/payments',
      auth: 'secret',
      handler: (req) => ({ status: 201, json: payments.json(payments.create(createInput(s, req.body))) }),
    },
    {
      method: 'GET',
      path: '/v1/payments',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const { page, perPage } = input.pagination(req.query);
        return {
          status: 200,
          json: input.listJson(page, perPage, payments.list(page, perPage), (row) => payments.json(row)),
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/payments/{payment_id}',
      resource: (req) => payments.get(req.params.payment_id!),
      auth: 'secret',
      handler: (req) => ({ status: 200, json: payments.json(payments.get(req.params.payment_id!)) }),
    },
    {
      method: 'PATCH',
      path: '/v1/payments/{payment_id}',
      resource: (req) => payments.get(req.params.payment_id!),
      auth: 'secret',
      handler: (req) => {
        const id = req.params.payment_id!;
        const v = new Validator();
        const p = v.body(req.body, ['aborted', 'captured', 'metadata']);
        const given = (['aborted', 'captured', 'metadata'] as const).filter((name) => p.has(name) && !p.isNull(name));
        if (given.length !== 1) {
          const message = 'Give exactly one of aborted (true), captured (true) or metadata.';
          for (const name of given.length === 0 ? (['aborted', 'captured', 'metadata'] as const) : given)
            v.add(name, message);
          v.done();
        }
        const action = given[0]!;
        if (action === 'metadata') {
          const metadata = input.metadata(p, v);
          v.done();
          return { status: 200, json: payments.json(payments.updateMetadata(id, metadata ?? {})) };
        }
        const flag = v.check(() => p.bool(action), undefined);
        if (flag === false) v.add(action, 'This parameter must be true.');
        v.done();
        return { status: 200, json: payments.json(action === 'aborted' ? payments.abort(id) : payments.capture(id)) };
      },
    },
    {
      method: 'POST',
      path: '/v1/payments/{payment_id}/refunds',
      resource: (req) => payments.get(req.params.payment_id!),
      auth: 'secret',
      handler: (req) => {
        const v = new Validator();
        const p = v.body(req.body, ['amount', 'metadata']);
        const amount = v.check(() => {
          const value = p.int('amount');
          if (value === undefined) return null;
          if (value < 10)
            throw stateError(`The minimum refund is 10 cents. The amount you provided is ${value} cents.`, 'amount');
          return value;
        }, null);
        const metadata = input.metadata(p, v);
        v.done();
        return { status: 201, json: refundBody(payments.refund(req.params.payment_id!, amount, metadata)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/payments/{payment_id}/refunds',
      resource: (req) => payments.get(req.params.payment_id!),
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const { page, perPage } = input.pagination(req.query);
        const result = payments.listRefunds(req.params.payment_id!, page, perPage);
        return { status: 200, json: input.listJson(page, perPage, result, refundBody) };
      },
    },
    {
      method: 'GET',
      path: '/v1/payments/{payment_id}/refunds/{refund_id}',
      resource: (req) => payments.getRefund(req.params.payment_id!, req.params.refund_id!),
      auth: 'secret',
      handler: (req) => ({
        status: 200,
        json: refundBody(payments.getRefund(req.params.payment_id!, req.params.refund_id!)),
      }),
    },
  ];
}
