/** /v1/checkout/sessions and the hosted page at /pay/cs_… */
import { DEFAULT_TEST_CARD } from '../../../common/test-cards';
import { CHECKOUT_STATUSES, type SessionRow } from '../domain/checkout';
import { formatted } from '../../core/money';
import { badRequest } from '../../http/errors';
import { Params } from '../../http/params';
import { FAILURE_TITLE } from '../../core/html';
import { asPages, type Reply, type RouteSpec } from '../../http/router';
import type { Services } from '../services';
import { checkoutPage, messagePage } from './hosted-page';
import { AMOUNT } from './transactions';
import { created, list, ok } from './replies';

function closedPage(session: SessionRow, live: boolean): Reply {
  if (session.status === 'complete')
    return {
      status: 200,
      html: messagePage('Already paid', 'This checkout session has been paid. You can close this page.', live),
    };
  if (session.status === 'expired')
    return {
      status: 410,
      html: messagePage(
        'Session expired',
        'This checkout session has expired. Ask the merchant for a new payment link.',
        live,
      ),
    };
  return { status: 409, html: messagePage('Payment unavailable', 'This payment can no longer be completed.', live) };
}

export function checkoutRoutes(s: Services): RouteSpec[] {
  const { checkout } = s;
  const live = s.ctx.mode === 'live';

  const page = (
    session: SessionRow,
    status: number,
    form: { email?: string | null; name?: string | null; card?: string; error?: string | null } = {},
  ): Reply => ({
    status,
    html: checkoutPage({
      live,
      reference: session.reference,
      merchant: s.merchant.name,
      description: session.description,
      amount: formatted(session.amount, session.currency),
      collectEmail: session.collect_email === 1,
      collectName: session.collect_name === 1,
      email: form.email ?? session.customer_email,
      name: form.name ?? null,
      cardNumber: form.card ?? DEFAULT_TEST_CARD.replace(/(\d{4})(?=\d)/g, '$1 '),
      error: form.error ?? null,
    }),
  });

  const notFoundPage: Reply = {
    status: 404,
    html: messagePage('Not found', 'There is no checkout session at this address.', live),
  };
  const failed = (failure: { status: number; message: string }): Reply => ({
    status: failure.status,
    html: messagePage(FAILURE_TITLE, failure.message, live),
  });

  const routes: RouteSpec[] = [
    {
      method: 'POST',
      path: '/v1/checkout/sessions',
      auth: 'secret',
      handler: (req) => {
        const p = Params.body(req.body, [
          'amount',
          'currency',
          'description',
          'success_url',
          'cancel_url',
          'customer_email',
          'collect_email',
          'collect_name',
          'metadata',
        ]);
        const session = checkout.create({
          amount: p.int('amount', AMOUNT),
          currency: p.currency('currency') ?? s.merchant.defaultCurrency,
          description: p.string('description', { max: 500 }) ?? null,
          success_url: p.url('success_url') ?? null,
          cancel_url: p.url('cancel_url') ?? null,
          customer_email: p.email('customer_email') ?? null,
          collect_email: p.bool('collect_email') ?? false,
          collect_name: p.bool('collect_name') ?? false,
          metadata: p.metadata() ?? {},
        });
        return created(checkout.sessionJson(session));
      },
    },
    {
      method: 'GET',
      path: '/v1/checkout/sessions',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const p = Params.query(req.query, ['status', 'page', 'per_page', 'size']);
        if (p.has('per_page') && p.has('size'))
          throw badRequest('Give per_page or size, not both.', 'size', 'parameter_conflict');
        const page = p.int('page', { min: 1 }) ?? 1;
        const size = p.int('per_page', { min: 1, max: 100 }) ?? p.int('size', { min: 1, max: 100 }) ?? 10;
        return list(checkout.list(p.oneOf('status', CHECKOUT_STATUSES), page, size), (row) =>
          checkout.sessionJson(row),
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/checkout/sessions/{id}',
      resource: (req) => checkout.get(req.params.id!),
      auth: 'secret',
      handler: (req) => ok(checkout.sessionJson(checkout.get(req.params.id!))),
    },

    // ---- the hosted page (a browser, no API key) ----
    {
      method: 'GET',
      path: '/pay/{reference}',
      query: 'page',
      auth: 'none',
      handler: (req) => {
        const session = req.params.reference!.startsWith('cs_') ? checkout.find(req.params.reference!) : undefined;
        if (!session) return notFoundPage;
        return session.status === 'open' ? page(session, 200) : closedPage(session, live);
      },
    },
    {
      method: 'POST',
      path: '/pay/{reference}',
      auth: 'none',
      body: 'form',
      handler: (req) => {
        const session = req.params.reference!.startsWith('cs_') ? checkout.find(req.params.reference!) : undefined;
        if (!session) return notFoundPage;
        const field = (name: string): string | null => {
          const value = req.body[name];
          return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
        };
        const form = { card_number: field('card_number') ?? '', email: field('email'), name: field('name') };
        const outcome = checkout.pay(session.reference, form);
        if (outcome.kind === 'closed') return closedPage(outcome.session, live);
        if (outcome.kind === 'declined' || outcome.kind === 'invalid')
          return page(outcome.session, outcome.kind === 'declined' ? 402 : 400, {
            email: form.email,
            name: form.name,
            card: form.card_number,
            error: outcome.message,
          });
        if (outcome.redirect) return { status: 303, headers: { Location: outcome.redirect } };
        return {
          status: 200,
          html: messagePage(
            'Payment complete',
            `Thank you. ${formatted(session.amount, session.currency)} was paid to ${s.merchant.name}.`,
            live,
          ),
        };
      },
    },
    {
      method: 'POST',
      path: '/pay/{reference}/cancel',
      auth: 'none',
      body: 'form',
      handler: (req) => {
        const session = req.params.reference!.startsWith('cs_') ? checkout.find(req.params.reference!) : undefined;
        if (!session) return notFoundPage;
        // The session stays open (the customer may come back) until it expires.
        if (session.cancel_url) return { status: 303, headers: { Location: session.cancel_url } };
        return {
          status: 200,
          html: messagePage('Payment canceled', 'You canceled the payment. You can close this page.', live),
        };
      },
    },
  ];
  return asPages(routes, failed);
}
