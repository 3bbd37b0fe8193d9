/**
 * The payment page (GET/POST {payment_url}, POST {payment_url}/cancel) and the browserless way to
 * do the same, POST /_sandbox/payments/{id}/pay. Both go through `Payments.attempt`, so a card
 * gives the same result whichever is used.
 */
import { ApiError } from '../../http/errors';
import { asPages, type Reply, type RouteSpec } from '../../http/router';
import { FAILURE_TITLE } from '../../core/html';
import { formatted } from '../../core/money';
import { Validator } from '../errors';
import { payPath, type Customer, type PaymentRow, type ScheduleEntry } from '../domain/model';
import { cardExpiresAt, cardNumber } from '../domain/test-cards';
import type { Services } from '../services';
import { ASK_MAX_LENGTH, messagePage, paymentPage, type PaymentPageModel } from './hosted-page';

/** Card expiry as the page and /pay take it: month 1–12, year YYYY (or YY); not in the past. */
export function expiry(month: string, year: string, now: number): { exp_month: number; exp_year: number } | string {
  const m = /^\d{1,2}$/.test(month) ? Number(month) : NaN;
  let y = /^\d{2}$|^\d{4}$/.test(year) ? Number(year) : NaN;
  if (!(m >= 1 && m <= 12)) return 'Enter the expiry month as a number from 1 to 12.';
  if (Number.isNaN(y)) return 'Enter the expiry year as YYYY.';
  if (y < 100) y += 2000;
  if (cardExpiresAt(m, y) <= now) return 'The card has expired.';
  return { exp_month: m, exp_year: y };
}

function defaultExpiryYear(now: number): number {
  return new Date(now).getUTCFullYear() + 3;
}

export function pageRoutes(s: Services, prefix: string): RouteSpec[] {
  const { payments, plans, ctx } = s;
  const live = ctx.mode === 'live';
  const refuseLive = (): void => {
    if (live)
      throw new ApiError(
        403,
        'forbidden',
        'Test cards do not work in live mode: this sandbox emulates a live account.',
      );
  };
  const base = live ? '/pay/{token}' : '/pay/test/{token}';

  /** The payment a page token names: a payment's, or an installment plan's (its first installment). */
  const paymentOf = (token: string): PaymentRow | undefined => {
    const payment = payments.find(`pay_${token}`);
    if (payment) return payment.hosted === 1 ? payment : undefined;
    const plan = plans.find(`inst_${token}`);
    const first = plan ? plans.firstPaymentId(plan) : undefined;
    return first ? payments.find(first) : undefined;
  };

  const notFoundPage: Reply = {
    status: 404,
    html: messagePage('Not found', 'There is no payment at this address.', live),
  };
  const failed = (failure: { status: number; message: string }): Reply => ({
    status: failure.status,
    html: messagePage(FAILURE_TITLE, failure.message, live),
  });

  const closedPage = (row: PaymentRow): Reply => {
    if (row.state === 'paid' || row.state === 'authorized')
      return {
        status: 200,
        html: messagePage(
          row.state === 'paid' ? 'Payment complete' : 'Payment authorized',
          `This payment of ${formatted(row.amount, row.currency)} has been ${row.state === 'paid' ? 'paid' : 'authorized'}. You can close this page.`,
          live,
          row.return_url,
        ),
      };
    const message =
      row.failure_code === 'aborted'
        ? 'This payment is no longer available: the merchant aborted it.'
        : row.failure_code === 'timeout'
          ? 'This payment page has expired. Ask the merchant for a new payment link.'
          : 'This payment can no longer be paid. Ask the merchant for a new payment link.';
    return { status: 410, html: messagePage('Payment unavailable', message, live, row.return_url) };
  };

  const page = (
    row: PaymentRow,
    status: number,
    form: Partial<PaymentPageModel['form']>,
    error: string | null,
  ): Reply => {
    const customer = JSON.parse(row.customer) as Customer;
    let installment: string | null = null;
    if (row.installment_plan_id !== null) {
      const plan = plans.find(row.installment_plan_id);
      const count = plan ? (JSON.parse(plan.schedule) as ScheduleEntry[]).length : 0;
      installment = `First of ${count} installments.`;
    }
    return {
      status,
      html: paymentPage({
        path: prefix + payPath(row.id, live),
        live,
        amount: formatted(row.amount, row.currency),
        description: row.description,
        deferred: row.deferred === 1,
        installment,
        ask: (['first_name', 'last_name', 'email'] as const).filter((name) => customer[name] === null),
        saveCard: row.save_card === 1 ? 'required' : row.allow_save_card === 1 ? 'optional' : 'none',
        returnUrl: row.return_url,
        form: {
          card_number: '4242 4242 4242 4242',
          exp_month: '12',
          exp_year: String(defaultExpiryYear(ctx.clock.now())),
          cvc: '123',
          save_card: false,
          ...form,
        },
        error,
      }),
    };
  };

  const routes: RouteSpec[] = [
    {
      method: 'GET',
      path: base,
      query: 'page',
      auth: 'none',
      handler: (req) => {
        const row = paymentOf(req.params.token!);
        if (!row) return notFoundPage;
        return row.state === 'open' ? page(row, 200, {}, null) : closedPage(row);
      },
    },
    {
      method: 'POST',
      path: base,
      auth: 'none',
      body: 'form',
      handler: (req) => {
        const row = paymentOf(req.params.token!);
        if (!row) return notFoundPage;
        if (row.state !== 'open') return closedPage(row);
        const field = (name: string): string => {
          const value = req.body[name];
          return typeof value === 'string' ? value.trim() : '';
        };
        const form = {
          card_number: field('card_number'),
          exp_month: field('exp_month'),
          exp_year: field('exp_year'),
          cvc: field('cvc'),
          save_card: field('save_card') !== '',
          first_name: field('first_name'),
          last_name: field('last_name'),
          email: field('email'),
        };
        const number = cardNumber(form.card_number);
        const exp = expiry(form.exp_month, form.exp_year, ctx.clock.now());
        let problem: string | null = null;
        if (number === null) problem = 'Enter a card number of 12 to 19 digits.';
        else if (typeof exp === 'string') problem = exp;
        else if (!/^\d{3,4}$/.test(form.cvc)) problem = 'Enter the 3 or 4 digit security code (any is accepted).';
        else if (row.save_card === 1 && !form.save_card)
          problem = 'This payment saves your card: tick the box to continue.';
        else if (form.email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.email))
          problem = 'Enter a valid email address.';
        else {
          // Refused, not cut: the payment would keep a name or an address the customer never typed.
          const long = (['first_name', 'last_name', 'email'] as const).find(
            (name) => form[name].length > ASK_MAX_LENGTH[name],
          );
          if (long !== undefined)
            problem = `Enter ${long === 'email' ? 'an email address' : `a ${long.replace('_', ' ')}`} of at most ${ASK_MAX_LENGTH[long]} characters.`;
        }
        if (problem !== null || number === null || typeof exp === 'string') return page(row, 400, form, problem);
        const result = payments.attempt(row.id, {
          number,
          ...exp,
          save_card: form.save_card,
          customer: {
            first_name: form.first_name || null,
            last_name: form.last_name || null,
            email: form.email || null,
          },
        });
        if (!result.approved)
          return page(
            result.payment,
            402,
            form,
            `${result.payment.last_attempt_message} Try again or use another card.`,
          );
        if (row.return_url) return { status: 303, headers: { Location: row.return_url } };
        return closedPage(result.payment);
      },
    },
    {
      method: 'POST',
      path: `${base}/cancel`,
      auth: 'none',
      body: 'form',
      handler: (req) => {
        const row = paymentOf(req.params.token!);
        if (!row) return notFoundPage;
        if (row.state !== 'open') return closedPage(row);
        payments.cancelByCustomer(row.id);
        if (row.cancel_url) return { status: 303, headers: { Location: row.cancel_url } };
        return {
          status: 200,
          html: messagePage('Payment canceled', 'You canceled the payment. You can close this page.', live),
        };
      },
    },
    {
      method: 'POST',
      path: '/_sandbox/payments/{payment_id}/pay',
      auth: 'secret',
      // Test mode is checked first, then the payment, before the body.
      resource: (req) => {
        refuseLive();
        return payments.get(req.params.payment_id!);
      },
      handler: (req) => {
        refuseLive();
        const v = new Validator();
        const p = v.body(req.body, ['card_number', 'exp_month', 'exp_year', 'save_card']);
        const number = v.check(() => {
          const text = p.string('card_number', { required: true, max: 40 });
          const digits = cardNumber(text);
          if (digits === null)
            v.add('card_number', 'A card number has 12 to 19 digits (spaces and dashes are ignored).');
          return digits;
        }, null);
        const month = v.check(() => p.int('exp_month', { min: 1, max: 12 }) ?? 12, 12);
        const year =
          v.check(() => p.int('exp_year', { min: 2000, max: 2100 }), undefined) ?? defaultExpiryYear(ctx.clock.now());
        const saveCard = v.check(() => p.bool('save_card'), undefined);
        v.done();
        const row = payments.get(req.params.payment_id!);
        const exp = expiry(String(month), String(year), ctx.clock.now());
        if (typeof exp === 'string') v.add('exp_year', exp);
        if (row.save_card === 1 && saveCard === false)
          v.add('save_card', 'This payment saves the card (save_card): the page does not let the customer refuse.');
        // The page shows no "save my card" box then: ticking it cannot be asked for (found by a tester).
        if (row.save_card === 0 && row.allow_save_card === 0 && saveCard === true)
          v.add(
            'save_card',
            'This payment does not offer to save the card: create it with allow_save_card (the customer chooses) or save_card.',
          );
        v.done();
        const result = payments.attempt(row.id, {
          number: number!,
          ...(exp as { exp_month: number; exp_year: number }),
          save_card: saveCard ?? row.save_card === 1,
        });
        return {
          status: 200,
          json: payments.json(result.payment),
          headers: { 'X-Sandbox-Attempt': result.approved ? 'approved' : result.code },
        };
      },
    },
  ];
  return asPages(routes, failed);
}
