/**
 * Request validation for the PayPlug routes: the shared Params checks, with PayPlug's limits, run
 * through a Validator so a 400 names every wrong or missing parameter at once.
 */
import { badRequest } from '../../http/errors';
import { Params, type Metadata, type MetadataLimits } from '../../http/params';
import type { Validator } from '../errors';
import type { Customer, PlanCustomer, SentBy } from '../domain/model';
import { SENT_BY } from '../domain/model';

export const MIN_AMOUNT = 100;
export const MAX_AMOUNT = 2_000_000;
/** Up to 10 keys of at most 20 characters; values (flat) total at most 500 characters. */
export const METADATA: MetadataLimits = { keys: 10, keyLength: 20, valueLength: 500, totalValueLength: 500 };
export const MAX_PER_PAGE = 100;
export const DEFAULT_PER_PAGE = 10;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const CUSTOMER_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'phone_number',
  'address1',
  'address2',
  'postcode',
  'city',
  'country',
  'language',
] as const;
export const PLAN_CUSTOMER_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'address1',
  'address2',
  'postcode',
  'city',
  'country',
] as const;
export const LANGUAGES = ['fr', 'en', 'it'] as const;

/** EUR is the only currency, and it is required. */
export function currency(p: Params, v: Validator): string {
  return v.check(() => {
    const value = p.string('currency', { required: true });
    if (value !== 'EUR')
      throw badRequest(`EUR is the only supported currency (value: ${value.slice(0, 20)}).`, 'currency');
    return value;
  }, 'EUR');
}

/** An amount in cents within PayPlug's limits, with its messages. */
export function amount(p: Params, v: Validator, name: string, required: boolean): number | undefined {
  return v.check(() => {
    const value = p.int(name, required ? { required: true } : {});
    if (value === undefined) return undefined;
    if (value < MIN_AMOUNT)
      throw badRequest(
        `The minimum amount is 1 EUR (${MIN_AMOUNT} cents). The amount you provided is ${value} cents.`,
        name,
      );
    if (value > MAX_AMOUNT)
      throw badRequest(
        `The maximum amount is 20,000 EUR (${MAX_AMOUNT} cents). The amount you provided is ${value} cents.`,
        name,
      );
    return value;
  }, undefined);
}

export function metadata(p: Params, v: Validator): Metadata | null {
  return v.check(() => p.metadata('metadata', METADATA) ?? null, null);
}

function optionalString(p: Params, v: Validator, name: string, max: number): string | null {
  return v.check(() => p.string(name, { max }) ?? null, null);
}

function customerField(p: Params, v: Validator, name: string, required: boolean): string | null {
  return v.check(() => {
    const max = name === 'email' ? 255 : name === 'postcode' ? 16 : name.startsWith('address') ? 255 : 100;
    const value = p.string(name, { max, required });
    if (value === undefined) return null;
    if (name === 'email' && !EMAIL.test(value))
      throw badRequest(`${name} must be an email address`, `customer.${name}`);
    return value;
  }, null);
}

export interface CustomerNeeds {
  /** first_name, last_name and email (one-click payments, saved cards, installment plans). */
  identity: boolean;
  email: boolean;
  phone: boolean;
}

/** The customer object; `needs` says which fields this request must carry. */
export function customer(p: Params, v: Validator, needs: CustomerNeeds): Customer {
  const empty: Customer = {
    first_name: null,
    last_name: null,
    email: null,
    phone_number: null,
    address1: null,
    address2: null,
    postcode: null,
    city: null,
    country: null,
    language: 'en',
  };
  const c = v.check(() => p.object('customer', CUSTOMER_FIELDS), undefined);
  const required = needs.identity || needs.email || needs.phone;
  if (!c) {
    // Name what this payment needs (found by a tester: sent_by SMS was told to give a name and an
    // email, then refused again for the phone number).
    const fields = [
      ...(needs.identity ? ['first_name', 'last_name'] : []),
      ...(needs.identity || needs.email ? ['email'] : []),
      ...(needs.phone ? ['phone_number'] : []),
    ];
    if (required) v.add('customer', `The customer is required for this payment (${fields.join(', ')}).`);
    return empty;
  }
  return {
    first_name: customerField(c, v, 'first_name', needs.identity),
    last_name: customerField(c, v, 'last_name', needs.identity),
    email: customerField(c, v, 'email', needs.identity || needs.email),
    phone_number: v.check(() => {
      const value = c.string('phone_number', { max: 16, required: needs.phone });
      if (value !== undefined && !/^\d{6,15}$/.test(value))
        throw badRequest(
          'phone_number must be digits only, in international format without the + sign (e.g. 33612345678).',
          'customer.phone_number',
        );
      return value ?? null;
    }, null),
    address1: customerField(c, v, 'address1', false),
    address2: customerField(c, v, 'address2', false),
    postcode: customerField(c, v, 'postcode', false),
    city: customerField(c, v, 'city', false),
    country: countryCode(c, v),
    language: v.check(() => c.oneOf('language', LANGUAGES) ?? 'en', 'en'),
  };
}

function countryCode(c: Params, v: Validator): string | null {
  return v.check(() => {
    const value = c.string('country');
    if (value === undefined) return null;
    if (!/^[A-Za-z]{2}$/.test(value))
      throw badRequest('country must be a two-letter ISO 3166 code (e.g. FR).', 'customer.country');
    return value.toUpperCase();
  }, null);
}

/** An installment plan's customer: first_name, last_name and email are required (the card is kept). */
export function planCustomer(p: Params, v: Validator): PlanCustomer {
  const c = v.check(() => p.object('customer', PLAN_CUSTOMER_FIELDS, { required: true }), undefined);
  if (!c)
    return {
      first_name: null,
      last_name: null,
      email: null,
      address1: null,
      address2: null,
      postcode: null,
      city: null,
      country: null,
    };
  return {
    first_name: customerField(c, v, 'first_name', true),
    last_name: customerField(c, v, 'last_name', true),
    email: customerField(c, v, 'email', true),
    address1: customerField(c, v, 'address1', false),
    address2: customerField(c, v, 'address2', false),
    postcode: customerField(c, v, 'postcode', false),
    city: customerField(c, v, 'city', false),
    country: countryCode(c, v),
  };
}

export interface HostedInput {
  return_url: string | null;
  cancel_url: string | null;
  sent_by: SentBy | null;
}

/** hosted_payment: the redirect URLs (any http(s) host: only the customer's browser goes there). */
export function hostedPayment(p: Params, v: Validator, withSentBy: boolean): HostedInput | null {
  const fields = withSentBy ? ['return_url', 'cancel_url', 'sent_by'] : ['return_url', 'cancel_url'];
  const h = v.check(() => p.object('hosted_payment', fields), undefined);
  if (!h) return null;
  return {
    return_url: v.check(() => h.url('return_url') ?? null, null),
    cancel_url: v.check(() => h.url('cancel_url') ?? null, null),
    sent_by: withSentBy ? v.check(() => h.oneOf('sent_by', SENT_BY) ?? null, null) : null,
  };
}

/** notification_url: the sandbox delivers only to this machine. */
export function notificationUrl(p: Params, v: Validator): string | null {
  return v.check(() => p.url('notification_url', { loopback: true }) ?? null, null);
}

export function bool(p: Params, v: Validator, name: string): boolean {
  return v.check(() => p.bool(name) ?? false, false);
}

export function description(p: Params, v: Validator): string | null {
  return optionalString(p, v, 'description', 80);
}

/**
 * `page` (from 0) and `per_page` (default 10; above 100 is answered with 100, without an error,
 * as the reference says).
 */
export function pagination(query: URLSearchParams): { page: number; perPage: number } {
  const p = Params.query(query, ['page', 'per_page']);
  // Any page past the data is an empty list, as the other emulators answer (up to the integers a query holds).
  const page = p.int('page', { min: 0 }) ?? 0;
  // However far above 100, even past what an integer here holds (`Params.int` refuses those).
  const farAbove = /^\d{16,}$/.test(query.get('per_page') ?? '');
  const perPage = farAbove ? MAX_PER_PAGE : Math.min(p.int('per_page', { min: 1 }) ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);
  return { page, perPage };
}

export function listJson<T>(
  page: number,
  perPage: number,
  result: { rows: T[]; hasMore: boolean },
  render: (row: T) => unknown,
): Record<string, unknown> {
  return { object: 'list', page, per_page: perPage, has_more: result.hasMore, data: result.rows.map(render) };
}
