/** /v1/installment_plans: create, retrieve, abort. */
import type { RouteSpec } from '../../http/router';
import { isoDate } from '../../core/time';
import { Validator } from '../errors';
import type { CreatePlanInput } from '../domain/plans';
import type { Services } from '../services';
import * as input from './inputs';

const CREATE_FIELDS = ['currency', 'schedule', 'customer', 'hosted_payment', 'notification_url', 'metadata'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isDate(text: string): boolean {
  return (
    DATE.test(text) &&
    !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
    isoDate(Date.parse(`${text}T00:00:00Z`)) === text
  );
}

/**
 * 2 to 4 installments: the first dated TODAY (or today's date, UTC), the others on later dates in
 * increasing order; each at least 1 EUR, together at most 20,000 EUR.
 */
function schedule(raw: unknown, today: string, v: Validator): Array<{ date: string; amount: number }> {
  if (!Array.isArray(raw)) {
    v.add(
      'schedule',
      raw === undefined || raw === null ? 'The schedule is required.' : 'schedule must be an array of {date, amount}.',
    );
    return [];
  }
  if (raw.length < 2 || raw.length > 4) {
    v.add('schedule', `An installment plan has 2, 3 or 4 installments; the schedule has ${raw.length}.`);
    return [];
  }
  const out: Array<{ date: string; amount: number }> = [];
  let total = 0;
  // The last well-formed date: a wrong date is named once, not again as the next one's predecessor.
  let previous = today;
  raw.forEach((entry: unknown, index) => {
    const at = `schedule.${index}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      v.add(at, 'Each installment must be an object {date, amount}.');
      return;
    }
    const unknown = Object.keys(entry).filter((key) => key !== 'date' && key !== 'amount');
    for (const key of unknown) v.add(`${at}.${key}`, 'Unknown parameter: an installment has only date and amount.');
    if (unknown.length > 0) return;
    const given = (entry as Record<string, unknown>).date;
    let date = typeof given === 'string' ? given : '';
    if (typeof given !== 'string')
      v.add(`${at}.date`, 'The date is required: YYYY-MM-DD (TODAY for the first installment).');
    else if (index === 0) {
      if (given === 'TODAY') date = today;
      else if (given !== today)
        v.add(`${at}.date`, `The first installment is paid now: its date must be TODAY (${today}).`);
    } else if (!isDate(given)) v.add(`${at}.date`, 'The date must be written YYYY-MM-DD.');
    else {
      if (given <= previous)
        v.add(`${at}.date`, 'Installment dates must come after today and after the previous installment.');
      previous = given;
    }
    const value = (entry as Record<string, unknown>).amount;
    if (typeof value !== 'number' || !Number.isInteger(value))
      v.add(`${at}.amount`, 'The amount must be an integer of cents.');
    else if (value < input.MIN_AMOUNT)
      v.add(
        `${at}.amount`,
        `The minimum amount is 1 EUR (${input.MIN_AMOUNT} cents). The amount you provided is ${value} cents.`,
      );
    else total += value;
    out.push({ date, amount: typeof value === 'number' ? value : 0 });
  });
  if (total > input.MAX_AMOUNT)
    v.add('schedule', `The installments total ${total} cents; the maximum is 20,000 EUR (${input.MAX_AMOUNT} cents).`);
  return out;
}

function createInput(s: Services, body: Readonly<Record<string, unknown>>): CreatePlanInput {
  const v = new Validator();
  const p = v.body(body, CREATE_FIELDS);
  input.currency(p, v);
  const entries = schedule(body.schedule, isoDate(s.ctx.clock.now()), v);
  const customer = input.planCustomer(p, v);
  const hosted = input.hostedPayment(p, v, false);
  const notificationUrl = input.notificationUrl(p, v);
  const metadata = input.metadata(p, v);
  v.done();
  return {
    schedule: entries,
    customer,
    return_url: hosted?.return_url ?? null,
    cancel_url: hosted?.cancel_url ?? null,
    notification_url: notificationUrl,
    metadata,
  };
}

export function planRoutes(s: Services): RouteSpec[] {
  const { plans } = s;
  return [
    {
      method: 'POST',
      path: '/v1/installment_plans',
      auth: 'secret',
      handler: (req) => ({ status: 201, json: plans.json(plans.create(createInput(s, req.body))) }),
    },
    {
      method: 'GET',
      path: '/v1/installment_plans/{installment_plan_id}',
      resource: (req) => plans.get(req.params.installment_plan_id!),
      auth: 'secret',
      handler: (req) => ({ status: 200, json: plans.json(plans.get(req.params.installment_plan_id!)) }),
    },
    {
      method: 'PATCH',
      path: '/v1/installment_plans/{installment_plan_id}',
      resource: (req) => plans.get(req.params.installment_plan_id!),
      auth: 'secret',
      handler: (req) => {
        const v = new Validator();
        const p = v.body(req.body, ['aborted']);
        const aborted = v.check(() => p.bool('aborted'), undefined);
        if (aborted !== true && !v.failed) v.add('aborted', 'This parameter is required and must be true.');
        v.done();
        return { status: 200, json: plans.json(plans.abort(req.params.installment_plan_id!)) };
      },
    },
  ];
}
