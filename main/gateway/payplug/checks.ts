/**
 * What this app refuses before calling PayPlug, with messages a cashier can act on. A local
 * refusal is a LocalRefusal (a GatewayError of status 400, type `invalid_request`, with a `param`
 * and a `code` of this module): as with PayPlug's own refusals, nothing was sent and nothing changed.
 */
import { LocalRefusal } from '../errors';
import type { NewInstallmentPlan } from '../port';
import { PAYPLUG_LIMITS } from './client';

/** PayPlug's installment plans: 2, 3 or 4 installments, each at least 1 EUR. */
export const INSTALLMENTS = { minCount: 2, maxCount: 4, minAmount: 100 } as const;
/** Every refund is at least 10 cents. */
export const MIN_REFUND = 10;

export type LocalRefusalCode =
  | 'channel_unsupported'
  | 'partial_capture_unsupported'
  | 'customer_required'
  | 'refund_amount_invalid'
  | 'installment_schedule_invalid'
  | 'currency_unsupported'
  | 'live_mode';

export function refuse(message: string, param: string | null, code: LocalRefusalCode): LocalRefusal {
  return new LocalRefusal(message, param, code);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface Identity {
  email: string;
  first_name: string;
  last_name: string;
}

/**
 * The customer PayPlug needs for a one-click payment, a saved card or an installment plan: first
 * name, last name (each 1–100 characters) and email (an address, at most 255).
 */
export function requireIdentity(
  customer: { email?: string | null; firstName?: string | null; lastName?: string | null } | null | undefined,
  why: string,
): Identity {
  const first = customer?.firstName?.trim() ?? '';
  const last = customer?.lastName?.trim() ?? '';
  const email = customer?.email?.trim() ?? '';
  if (!first || !last || !email)
    throw refuse(`${why} needs the customer's first name, last name and email.`, 'customer', 'customer_required');
  if (first.length > 100 || last.length > 100)
    throw refuse('PayPlug takes names of at most 100 characters.', 'customer', 'customer_required');
  if (email.length > 255 || !EMAIL.test(email))
    throw refuse(`"${email}" is not an email address PayPlug takes.`, 'customer.email', 'customer_required');
  return { email, first_name: first, last_name: last };
}

export function requireEur(currency: string): string {
  const upper = currency.toUpperCase();
  if (!PAYPLUG_LIMITS.currencies!.includes(upper))
    throw refuse(`PayPlug takes payments in EUR only, not ${upper}.`, 'currency', 'currency_unsupported');
  return upper;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/**
 * An installment schedule PayPlug will take: 2–4 entries, each a whole number of cents of at least
 * 1 EUR, together at most 20,000 EUR; the first due today (`TODAY` or today's UTC date: it is paid
 * on the page now), each later one a YYYY-MM-DD date after the one before. Answers the schedule as
 * sent, the first entry dated `TODAY` (PayPlug's own clock decides what today is).
 */
export function checkSchedule(
  schedule: NewInstallmentPlan['schedule'],
  todayUtc: string,
): Array<{ date: string; amount: number }> {
  const bad = (message: string, param = 'schedule') => refuse(message, param, 'installment_schedule_invalid');
  if (schedule.length < INSTALLMENTS.minCount || schedule.length > INSTALLMENTS.maxCount)
    throw bad(`PayPlug splits a payment into 2, 3 or 4 installments, not ${schedule.length}.`);
  let total = 0;
  schedule.forEach((entry, index) => {
    if (!Number.isInteger(entry.amount) || entry.amount < INSTALLMENTS.minAmount)
      throw bad(
        `Installment ${index + 1} is ${entry.amount} cents: each installment is a whole number of cents, at least 100 (1 EUR).`,
        `schedule.${index}.amount`,
      );
    total += entry.amount;
    if (index === 0) {
      if (entry.date !== 'TODAY' && entry.date !== todayUtc)
        throw bad(
          `The first installment is paid now: its date must be today (${todayUtc}), not ${entry.date}.`,
          'schedule.0.date',
        );
      return;
    }
    const previous = index === 1 ? todayUtc : schedule[index - 1]!.date;
    if (!isCalendarDate(entry.date))
      throw bad(
        `Installment ${index + 1}'s date must be written YYYY-MM-DD, not "${entry.date}".`,
        `schedule.${index}.date`,
      );
    if (entry.date <= previous)
      throw bad(
        `Installment ${index + 1} (${entry.date}) must fall after installment ${index} (${previous}).`,
        `schedule.${index}.date`,
      );
  });
  if (total > PAYPLUG_LIMITS.amount.max)
    throw bad(`The installments total ${total} cents; PayPlug's maximum is 2,000,000 (20,000 EUR).`);
  return schedule.map((entry, index) => ({ date: index === 0 ? 'TODAY' : entry.date, amount: entry.amount }));
}
