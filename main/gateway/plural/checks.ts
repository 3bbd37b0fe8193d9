/**
 * What this app refuses before calling Plural, with messages a cashier can act on. A local refusal
 * is a LocalRefusal (a GatewayError of status 400, type `invalid_request`, with a `param` and a
 * `code` of this module): as with Plural's own refusals, nothing was sent and nothing changed.
 */
import { formatAmount } from '../../../common/money';
import { LocalRefusal } from '../errors';
import type { NewPayment, SplitLine } from '../port';
import { PLURAL_LIMITS, type CreateOrderBody, type WireSplitLine } from './client';
import type { WireOrder } from './schemas';

export type LocalRefusalCode =
  | 'channel_unsupported'
  | 'currency_unsupported'
  | 'saved_cards_unsupported'
  | 'split_invalid'
  | 'split_sum_mismatch'
  | 'refund_amount_invalid'
  | 'refund_split_invalid'
  | 'refund_uncovered'
  | 'refund_reference_taken'
  | 'not_refundable'
  | 'split_unknown'
  | 'release_amount_invalid'
  | 'split_not_held'
  | 'cancel_unpaid_unsupported'
  | 'capture_amount_invalid'
  | 'live_mode';

export function refuse(message: string, param: string | null, code: LocalRefusalCode): LocalRefusal {
  return new LocalRefusal(message, param, code);
}

/** Splits per order (the emulator's bound; the reference gives none). */
export const MAX_SPLITS = 20;
/** `split_merchant_id` and `merchant_settlement_reference`: at most 50 characters. */
export const SPLIT_TEXT_MAX = 50;
/** Plural's customer fields: names and email at most 50 characters. */
export const CUSTOMER_TEXT_MAX = 50;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The order must be in rupees: Plural takes INR only. */
export function requireInr(currency: string): void {
  const upper = currency.toUpperCase();
  if (!PLURAL_LIMITS.currencies!.includes(upper))
    throw refuse(`Plural takes payments in INR only, not ${upper}.`, 'currency', 'currency_unsupported');
}

/**
 * The split lines of a new order: 1–20, each a merchant id (1–50 characters), an optional
 * settlement reference (1–50), a whole amount of at least ₹1; together exactly the order's amount.
 */
export function checkSplits(splits: readonly SplitLine[], amount: number): WireSplitLine[] {
  const bad = (message: string, param = 'splits') => refuse(message, param, 'split_invalid');
  if (splits.length > MAX_SPLITS) throw bad(`Plural splits a payment between at most ${MAX_SPLITS} merchants.`);
  const lines = splits.map((split, index): WireSplitLine => {
    const at = `splits.${index}`;
    const merchant = split.merchantId.trim();
    if (merchant === '' || merchant.length > SPLIT_TEXT_MAX)
      throw bad(`Split ${index + 1}: the merchant id must be 1–${SPLIT_TEXT_MAX} characters.`, `${at}.merchantId`);
    const reference = split.settlementReference?.trim() ?? '';
    if (reference.length > SPLIT_TEXT_MAX)
      throw bad(
        `Split ${index + 1}: the settlement reference must be at most ${SPLIT_TEXT_MAX} characters.`,
        `${at}.settlementReference`,
      );
    if (!Number.isInteger(split.amount) || split.amount < PLURAL_LIMITS.amount.min)
      throw bad(
        `Share ${index + 1} (${merchant}): each merchant's share is at least ${formatAmount(PLURAL_LIMITS.amount.min, 'INR')}, in whole paise; not ${Number.isInteger(split.amount) ? formatAmount(split.amount, 'INR') : split.amount}.`,
        `${at}.amount`,
      );
    return {
      split_merchant_id: merchant,
      ...(reference ? { merchant_settlement_reference: reference } : {}),
      amount: { value: split.amount, currency: 'INR' },
      on_hold: split.onHold,
    };
  });
  const total = splits.reduce((sum, split) => sum + split.amount, 0);
  if (total !== amount)
    throw refuse(
      `The shares add up to ${formatAmount(total, 'INR')} but the payment is ${formatAmount(amount, 'INR')}: the merchants' shares must add up to the payment exactly.`,
      'splits',
      'split_sum_mismatch',
    );
  return lines;
}

/**
 * The customer as Plural takes it: an email (the customer's, else the receipt address) and names,
 * each sent only when it fits Plural's 50 characters (the till keeps its own copy either way).
 */
export function customerOf(input: NewPayment): CreateOrderBody['purchase_details']['customer'] | undefined {
  const email = (input.customer?.email?.trim() || input.receiptEmail?.trim()) ?? '';
  const first = input.customer?.firstName?.trim() ?? '';
  const last = input.customer?.lastName?.trim() ?? '';
  const fits = (text: string) => text.length >= 1 && text.length <= CUSTOMER_TEXT_MAX;
  const customer = {
    ...(fits(email) && EMAIL.test(email) ? { email_id: email } : {}),
    ...(fits(first) ? { first_name: first } : {}),
    ...(fits(last) ? { last_name: last } : {}),
  };
  return Object.keys(customer).length > 0 ? customer : undefined;
}

/** What a new charge is refused for before calling Plural; its split lines and customer otherwise. */
export function checkNewCharge(input: NewPayment): {
  splitLines: WireSplitLine[] | null;
  customer: CreateOrderBody['purchase_details']['customer'] | undefined;
} {
  if (input.channel !== 'link')
    throw refuse(
      'Plural has no card readers: take this payment by link (QR code) instead.',
      'channel',
      'channel_unsupported',
    );
  requireInr(input.currency);
  if (input.savedCardId)
    throw refuse(
      'Plural keeps no cards for this till: the customer pays on the page.',
      'savedCardId',
      'saved_cards_unsupported',
    );
  const splitLines = input.splits && input.splits.length > 0 ? checkSplits(input.splits, input.amount) : null;
  return { splitLines, customer: customerOf(input) };
}

/**
 * A capture of an authorised order as Plural takes it: a whole amount from ₹1 to the order's, and
 * at least the shares settled at once (`on_hold: false`), which the captured money must fund.
 */
export function checkCapture(order: WireOrder, amount: number): void {
  const authorised = order.order_amount.value;
  const min = PLURAL_LIMITS.amount.min;
  if (!Number.isInteger(amount) || amount < min || amount > authorised)
    throw refuse(
      `A capture is from ${formatAmount(min, 'INR')} up to the authorised ${formatAmount(authorised, 'INR')}, in whole paise; not ${Number.isInteger(amount) ? formatAmount(amount, 'INR') : amount}.`,
      'amount',
      'capture_amount_invalid',
    );
  const atOnce = (order.purchase_details?.split_info?.split_details ?? []).filter(
    (detail) => !(detail.on_hold ?? (detail.status ?? '').toUpperCase() === 'HOLD'),
  );
  const needed = atOnce.reduce((sum, detail) => sum + detail.amount.value, 0);
  if (amount < needed)
    throw refuse(
      `${formatAmount(needed, 'INR')} of this payment is settled to merchant${atOnce.length === 1 ? '' : 's'} ${atOnce.map((detail) => detail.split_merchant_id).join(', ')} as soon as it is captured (not held): capture at least ${formatAmount(needed, 'INR')}, not ${formatAmount(amount, 'INR')}.`,
      'amount',
      'capture_amount_invalid',
    );
}
