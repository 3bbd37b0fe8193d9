/**
 * The pages a customer's browser sees, plain HTML with form POSTs (no scripts, nothing loaded from
 * anywhere; every value rendered is escaped):
 *
 * - the order's checkout page, `redirect_url` = {plural.url}/checkout/{token} (what the QR at the
 *   counter opens): enter a test card, go through the challenge if the card needs one;
 * - the 3-D Secure challenge page, `challenge_url` = {plural.url}/web/auth/landing/?token=…:
 *   complete or fail the authentication.
 *
 * Once an attempt is decided the browser is sent (303) to the order's callback_url with the signed
 * fields order_id, status, error_code and error_message; without a callback_url a result page shows.
 */
import { ApiError } from '../../http/errors';
import { asPages, type Reply, type RouteSpec } from '../../http/router';
import { formatted } from '../../core/money';
import { escapeHtml, FAILURE_TITLE, hostedPage, messageContent, type HostedPageLook } from '../../core/html';
import type { OrderRow, PaymentRow } from '../domain/model';
import { DEFAULT_PLURAL_CARD, PLURAL_TEST_CARDS } from '../../../common/plural-test-cards';
import type { PluralServices } from '../services';

const LOOK: HostedPageLook = { gateway: 'Plural', background: '#eef1f6', ink: '#1d3b8b' };

function messagePage(status: number, title: string, message: string, live: boolean): Reply {
  return {
    status,
    html: hostedPage(LOOK, live, title, messageContent(title, message)),
  };
}

const PAYABLE: readonly string[] = ['CREATED', 'PENDING', 'ATTEMPTED'];

const notFound = (live: boolean): Reply =>
  messagePage(404, 'Not found', 'There is nothing to pay at this address.', live);

function closedPage(order: OrderRow, live: boolean): Reply {
  if (order.status === 'FAILED' || order.status === 'CANCELLED') {
    return messagePage(
      409,
      'Payment unavailable',
      'This order can no longer be paid. Ask the merchant for a new one.',
      live,
    );
  }
  return messagePage(200, 'Already paid', 'This order has been paid. You can close this page.', live);
}

/** The card number as typed ("4111 1111 1111 1111"), digits only; null when it cannot be one. */
function cardDigits(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const digits = text.replace(/[\s-]/g, '');
  return /^\d{12,23}$/.test(digits) ? digits : null;
}

export function pageRoutes(s: PluralServices, prefix: string): RouteSpec[] {
  const { orders } = s;
  const merchant = `Plural sandbox merchant ${s.auth.credentials.merchant_id}`;
  const live = s.ctx.mode === 'live';
  const failed = (failure: { status: number; message: string }): Reply =>
    messagePage(failure.status, FAILURE_TITLE, failure.message, live);

  const checkoutForm = (order: OrderRow, status: number, card: string, error: string | null): Reply => {
    const amount = formatted(order.amount, order.currency);
    const cards = PLURAL_TEST_CARDS.map(
      (c) => `<li><code>${escapeHtml(c.number)}</code> ${escapeHtml(c.label)}</li>`,
    ).join('');
    return {
      status,
      html: hostedPage(
        LOOK,
        live,
        `Pay ${merchant}`,
        `<h1>${escapeHtml(merchant)}</h1>
${order.notes ? `<p>${escapeHtml(order.notes)}</p>` : ''}
<p class="amount">${escapeHtml(amount)}</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(`${prefix}/checkout/${order.checkout_token!}`)}">
<label for="card_number">Card number</label><input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" required value="${escapeHtml(card)}">
<button type="submit">Pay ${escapeHtml(amount)}</button>
</form>
<details><summary>Test cards</summary><ul>${cards}</ul></details>`,
      ),
    };
  };

  /** After a decided attempt: to the callback URL, signed, or a result page. */
  const finished = (order: OrderRow, payment: PaymentRow): Reply => {
    const redirect = orders.returnRedirect(order, payment);
    if (redirect) return { status: 303, headers: { Location: redirect.url } };
    return payment.status === 'FAILED'
      ? messagePage(200, 'Payment failed', payment.error_message ?? 'The payment failed.', live)
      : messagePage(200, 'Payment complete', `Thank you. ${formatted(order.amount, order.currency)} was paid.`, live);
  };

  const routes: RouteSpec[] = [
    {
      method: 'GET',
      path: '/checkout/{token}',
      query: 'page',
      auth: 'none',
      handler: (req) => {
        const order = orders.byCheckoutToken(req.params.token!);
        if (!order) return notFound(live);
        if (!PAYABLE.includes(order.status)) return closedPage(order, live);
        return checkoutForm(order, 200, DEFAULT_PLURAL_CARD.replace(/(\d{4})(?=\d)/g, '$1 '), null);
      },
    },
    {
      method: 'POST',
      path: '/checkout/{token}',
      auth: 'none',
      body: 'form',
      handler: (req) => {
        const order = orders.byCheckoutToken(req.params.token!);
        if (!order) return notFound(live);
        const typed = typeof req.body.card_number === 'string' ? req.body.card_number.slice(0, 40) : '';
        const number = cardDigits(typed);
        if (number === null) return checkoutForm(order, 400, typed, 'Enter a card number of 12 to 23 digits.');
        let result;
        try {
          result = orders.pay(order.id, {
            merchant_payment_reference: null,
            amount: order.amount,
            card_number: number,
          });
        } catch (error) {
          if (!(error instanceof ApiError) || error.status >= 500) throw error;
          const now = orders.get(order.id);
          return PAYABLE.includes(now.status)
            ? checkoutForm(now, error.status, typed, error.message)
            : closedPage(now, live);
        }
        if (result.payment.status === 'PENDING')
          return { status: 303, headers: { Location: orders.challengeUrl(result.payment.challenge_token!) } };
        return finished(result.order, result.payment);
      },
    },
    {
      method: 'GET',
      path: '/web/auth/landing',
      query: 'page',
      auth: 'none',
      handler: (req) => {
        const token = req.query.get('token');
        const payment = token ? orders.paymentByChallenge(token) : undefined;
        if (!payment) return notFound(live);
        if (payment.status !== 'PENDING')
          return messagePage(
            409,
            'Authentication closed',
            'This authentication is no longer waiting. You can close this page.',
            live,
          );
        const order = orders.get(payment.order_id);
        return {
          status: 200,
          html: hostedPage(
            LOOK,
            live,
            '3-D Secure authentication',
            `<h1>Authenticate this payment</h1>
<p>${escapeHtml(merchant)}</p>
<p class="amount">${escapeHtml(formatted(order.amount, order.currency))}</p>
<p>${escapeHtml(payment.card_network)} card ending ${escapeHtml(payment.card_last4)}. In the sandbox no code is needed: choose the outcome.</p>
<form method="post" action="${escapeHtml(`${prefix}/web/auth/landing`)}">
<input type="hidden" name="token" value="${escapeHtml(token!)}">
<button type="submit" name="result" value="success">Complete authentication</button>
<button type="submit" name="result" value="failure" class="secondary">Fail authentication</button>
</form>`,
          ),
        };
      },
    },
    {
      method: 'POST',
      path: '/web/auth/landing',
      auth: 'none',
      body: 'form',
      handler: (req) => {
        const { token, result } = req.body;
        if (typeof token !== 'string' || !orders.paymentByChallenge(token)) return notFound(live);
        if (result !== 'success' && result !== 'failure')
          return messagePage(400, 'Choose an outcome', 'Complete or fail the authentication.', live);
        const outcome = orders.completeChallenge(token, result === 'success');
        if (!outcome)
          return messagePage(
            409,
            'Authentication closed',
            'This authentication is no longer waiting. You can close this page.',
            live,
          );
        return finished(outcome.order, outcome.payment);
      },
    },
  ];
  return asPages(routes, failed);
}
