/**
 * Request bodies as the reference documents them, checked with the shared Params (every failure is
 * a 400 INVALID_REQUEST naming the field). Unknown fields are refused, so a typo never passes
 * silently. Amounts are `{value, currency}` in paise: value an integer from 100 to 100000000,
 * currency "INR".
 */
import { kindOf, Params } from '../../http/params';
import { invalidRequest } from '../errors';
import { PAYMENT_METHODS } from '../domain/model';
import type { Address, CreateOrderInput, Customer, PaymentInput, SplitInput } from '../domain/orders';
import type { RefundInput, RefundLineInput } from '../domain/settlements';

type Body = Readonly<Record<string, unknown>>;

export const AMOUNT_MIN = 100;
export const AMOUNT_MAX = 100_000_000;
/** split_details per order or refund (split ids end in one letter). */
export const MAX_SPLITS = 20;

const REFERENCE = /^[A-Za-z0-9_-]{1,50}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function required<T>(value: T | undefined, param: string): T {
  if (value === undefined) throw invalidRequest(`${param} is required`, param);
  return value;
}

function matching(value: string | undefined, pattern: RegExp, param: string, rule: string): string | undefined {
  if (value !== undefined && !pattern.test(value)) throw invalidRequest(`${param} must be ${rule}`, param);
  return value;
}

/** An amount object `{value, currency}`. */
function amount(p: Params, name: string, options: { required: true }): number;
function amount(p: Params, name: string, options?: { required?: boolean }): number | undefined;
function amount(p: Params, name: string, options: { required?: boolean } = {}): number | undefined {
  const object = p.object(name, ['value', 'currency'], options);
  if (!object) return undefined;
  const value = object.int('value', { required: true, min: AMOUNT_MIN, max: AMOUNT_MAX, notInteger: notPaise });
  object.oneOf('currency', ['INR'] as const, { required: true });
  return value;
}

/**
 * An amount's value that is no integer, in the words of Plural's reference, which states every
 * amount as an integer "in Paisa" from 100 (₹1): what was sent, and for an integer sent as text
 * (`"21000"`), the number to send instead.
 */
function notPaise(label: string, value: unknown): string {
  const digits = typeof value === 'string' && /^(?:0|[1-9]\d{0,14})$/.test(value);
  const sent =
    typeof value === 'string'
      ? `the text "${value.length > 20 ? `${value.slice(0, 20)}…` : value}"`
      : typeof value === 'number'
        ? String(value)
        : kindOf(value);
  return `${label} must be an integer amount in paise (100 is ₹1), not ${sent}${digits ? `: send ${value} as a number` : ''}`;
}

/** merchant_order_reference (of an order or a refund): 1–50 of A-Z a-z 0-9 - _. */
function merchantOrderReference(p: Params): string {
  const value = p.string('merchant_order_reference', { required: true, trim: false, max: 50 });
  return matching(value, REFERENCE, 'merchant_order_reference', '1–50 characters from A-Z, a-z, 0-9, - and _')!;
}

const ADDRESS_FIELDS = ['address1', 'address2', 'address3', 'pincode', 'city', 'state', 'country'] as const;

function address(p: Params, name: string): Address | undefined {
  const a = p.object(name, ADDRESS_FIELDS);
  if (!a) return undefined;
  const out: Address = {};
  for (const field of ['address1', 'address2', 'address3'] as const) {
    const value = a.string(field, { max: 100 });
    if (value !== undefined) out[field] = value;
  }
  const pincode = a.string('pincode', { min: 6, max: 10 });
  if (pincode !== undefined) out.pincode = pincode;
  for (const field of ['city', 'state', 'country'] as const) {
    const value = a.string(field, { max: 50 });
    if (value !== undefined) out[field] = value;
  }
  return out;
}

const CUSTOMER_FIELDS = [
  'email_id',
  'first_name',
  'last_name',
  'customer_id',
  'mobile_number',
  'billing_address',
  'shipping_address',
] as const;

function customer(p: Params): Customer | undefined {
  const c = p.object('customer', CUSTOMER_FIELDS);
  if (!c) return undefined;
  const out: Customer = {};
  const email = matching(
    c.string('email_id', { min: 1, max: 50 }),
    EMAIL,
    'purchase_details.customer.email_id',
    'an email address',
  );
  if (email !== undefined) out.email_id = email;
  for (const field of ['first_name', 'last_name'] as const) {
    const value = c.string(field, { min: 1, max: 50 });
    if (value !== undefined) out[field] = value;
  }
  const id = c.string('customer_id', { min: 1, max: 19 });
  if (id !== undefined) out.customer_id = id;
  const mobile = matching(
    c.string('mobile_number'),
    /^\d{9,20}$/,
    'purchase_details.customer.mobile_number',
    '9–20 digits',
  );
  if (mobile !== undefined) out.mobile_number = mobile;
  const billing = address(c, 'billing_address');
  if (billing) out.billing_address = billing;
  const shipping = address(c, 'shipping_address');
  if (shipping) out.shipping_address = shipping;
  return out;
}

/** split_type: the reference's sample says AMOUNT, its table "Amount"; either case is taken. */
function splitType(p: Params, param: string): void {
  const type = p.string('split_type', { required: true });
  if (type.toUpperCase() !== 'AMOUNT') throw invalidRequest(`${param} must be AMOUNT`, param);
}

function splitInfo(p: Params, orderAmount: number): SplitInput[] | undefined {
  const info = p.object('split_info', ['split_type', 'split_details']);
  if (!info) return undefined;
  splitType(info, 'purchase_details.split_info.split_type');
  const details = info.objects(
    'split_details',
    ['split_merchant_id', 'merchant_settlement_reference', 'amount', 'on_hold'],
    { required: true, min: 1, max: MAX_SPLITS },
  )!;
  const splits = details.map((d, index): SplitInput => {
    const at = `purchase_details.split_info.split_details[${index}]`;
    return {
      split_merchant_id: d.string('split_merchant_id', { required: true, max: 50 }),
      // Required by the reference's table, but its own sample omits it on the second split.
      merchant_settlement_reference: d.string('merchant_settlement_reference', { min: 1, max: 50 }) ?? null,
      amount: amount(d, 'amount', { required: true }),
      on_hold: required(d.bool('on_hold'), `${at}.on_hold`),
    };
  });
  const total = splits.reduce((sum, split) => sum + split.amount, 0);
  if (total !== orderAmount) {
    throw invalidRequest(
      `The split amounts add up to ${total}; they must add up to order_amount.value (${orderAmount}).`,
      'purchase_details.split_info.split_details',
    );
  }
  return splits;
}

export function createOrderInput(body: Body): CreateOrderInput {
  const p = Params.body(body, [
    'merchant_order_reference',
    'order_amount',
    'pre_auth',
    'allowed_payment_methods',
    'notes',
    'callback_url',
    'purchase_details',
  ]);
  const orderAmount = amount(p, 'order_amount', { required: true });
  const purchase = p.object('purchase_details', ['customer', 'merchant_metadata', 'split_info']);
  return {
    merchant_order_reference: merchantOrderReference(p),
    amount: orderAmount,
    pre_auth: p.bool('pre_auth') ?? false,
    allowed_payment_methods: p.list('allowed_payment_methods', PAYMENT_METHODS) ?? null,
    notes: p.string('notes', { max: 500 }) ?? null,
    callback_url: p.url('callback_url') ?? null,
    customer: (purchase && customer(purchase)) ?? null,
    merchant_metadata: (purchase && purchase.metadata('merchant_metadata')) ?? null,
    splits: (purchase && splitInfo(purchase, orderAmount)) ?? null,
  };
}

const CARD_FIELDS = [
  'name',
  'card_number',
  'cvv',
  'expiry_month',
  'expiry_year',
  'registered_mobile_number',
  'save',
] as const;

/** POST /orders/{id}/payments: one CARD payment with the seamless card details. */
export function paymentInput(body: Body, now: number): PaymentInput {
  const p = Params.body(body, ['payments']);
  const [payment] = p.objects(
    'payments',
    ['merchant_payment_reference', 'payment_method', 'payment_amount', 'payment_option'],
    { required: true, min: 1, max: 1 },
  )!;
  const at = 'payments[0]';
  const reference = payment!.string('merchant_payment_reference', { required: true, max: 50, exact: true });
  payment!.oneOf('payment_method', ['CARD'] as const, { required: true });
  const value = amount(payment!, 'payment_amount', { required: true });
  const option = payment!.object('payment_option', ['card_details'], { required: true })!;
  const card = option.object('card_details', CARD_FIELDS, { required: true })!;
  const param = `${at}.payment_option.card_details`;
  card.string('name', { required: true, max: 100 });
  const number = matching(
    card.string('card_number', { required: true, trim: false }),
    /^\d{12,23}$/,
    `${param}.card_number`,
    '12–23 digits',
  )!;
  matching(card.string('cvv', { required: true, trim: false }), /^\d{3,4}$/, `${param}.cvv`, '3 or 4 digits');
  const month = matching(
    card.string('expiry_month', { required: true, trim: false }),
    /^(0[1-9]|1[0-2])$/,
    `${param}.expiry_month`,
    'two digits, 01 to 12',
  )!;
  const year = matching(
    card.string('expiry_year', { required: true, trim: false }),
    /^\d{4}$/,
    `${param}.expiry_year`,
    'four digits',
  )!;
  const today = new Date(now);
  const expired =
    Number(year) < today.getUTCFullYear() ||
    (Number(year) === today.getUTCFullYear() && Number(month) < today.getUTCMonth() + 1);
  if (expired) throw invalidRequest('The card has expired.', `${param}.expiry_year`);
  matching(
    card.string('registered_mobile_number', { trim: false }),
    /^\d{9,20}$/,
    `${param}.registered_mobile_number`,
    '9–20 digits',
  );
  card.bool('save');
  return { merchant_payment_reference: reference, amount: value, card_number: number };
}

export function captureInput(body: Body): { reference: string; amount: number } {
  const p = Params.body(body, ['merchant_capture_reference', 'capture_amount']);
  return {
    reference: p.string('merchant_capture_reference', { required: true, max: 50, exact: true }),
    amount: amount(p, 'capture_amount', { required: true }),
  };
}

export function releaseInput(body: Body): number | undefined {
  const p = Params.body(body, ['release_amount']);
  return amount(p, 'release_amount');
}

/**
 * The reference's own refund sample sends amounts as strings ("21000") and split_merchant_id as a
 * number, against its tables (integer, string). Both spellings are taken, strictly: a string must be
 * an integer's plain digits, without leading zeros. A blank DO_NOT_RECOVER flag (`"status": ""`) means "recover".
 */
function normaliseRefundBody(body: Body): Record<string, unknown> {
  const digitsToNumber = (holder: unknown, path: string): void => {
    if (typeof holder !== 'object' || holder === null || Array.isArray(holder)) return;
    const object = holder as Record<string, unknown>;
    if (typeof object.value !== 'string') return;
    // An integer's own digits, as JSON writes one: "00100" is not how the sample (or JSON) spells 100.
    if (/^0\d{1,15}$/.test(object.value)) {
      throw invalidRequest(
        `${path}.value must be an integer in paise, without leading zeros ("${object.value}" is not one; send ${Number(object.value)})`,
        `${path}.value`,
      );
    }
    if (/^(?:0|[1-9]\d{0,14})$/.test(object.value)) object.value = Number(object.value);
  };
  const copy = structuredClone(body) as Record<string, unknown>;
  digitsToNumber(copy.order_amount, 'order_amount');
  const info = copy.split_info as Record<string, unknown> | undefined;
  if (info && typeof info === 'object' && Array.isArray(info.split_details)) {
    for (const [index, line] of (info.split_details as unknown[]).entries()) {
      if (typeof line !== 'object' || line === null) continue;
      const detail = line as Record<string, unknown>;
      digitsToNumber(detail.amount, `split_info.split_details[${index}].amount`);
      if (typeof detail.split_merchant_id === 'number' && Number.isSafeInteger(detail.split_merchant_id))
        detail.split_merchant_id = String(detail.split_merchant_id);
      if (detail.status === '' || detail.status === null) delete detail.status;
    }
  }
  return copy;
}

export function refundInput(body: Body): RefundInput {
  const p = Params.body(normaliseRefundBody(body), [
    'merchant_order_reference',
    'order_amount',
    'merchant_metadata',
    'split_info',
  ]);
  const refundAmount = amount(p, 'order_amount', { required: true });
  const merchantReference = merchantOrderReference(p);
  const metadata = p.metadata('merchant_metadata') ?? null;
  const info = p.object('split_info', ['split_type', 'split_details']);
  let lines: RefundLineInput[] | null = null;
  if (info) {
    splitType(info, 'split_info.split_type');
    const details = info.objects(
      'split_details',
      ['parent_order_split_settlement_id', 'split_merchant_id', 'merchant_settlement_reference', 'amount', 'status'],
      { required: true, min: 1, max: MAX_SPLITS },
    )!;
    lines = details.map((d) => ({
      parent_order_split_settlement_id: d.string('parent_order_split_settlement_id', { required: true, max: 50 }),
      split_merchant_id: d.string('split_merchant_id', { required: true, max: 50 }),
      merchant_settlement_reference: d.string('merchant_settlement_reference', { required: true, max: 50 }),
      amount: amount(d, 'amount', { required: true }),
      do_not_recover: d.oneOf('status', ['DO_NOT_RECOVER'] as const) !== undefined,
    }));
  }
  return { merchant_order_reference: merchantReference, amount: refundAmount, merchant_metadata: metadata, lines };
}
