/**
 * The references this app writes on Plural objects, all deterministic so a lost answer can be
 * looked up instead of repeated.
 *
 * Plural has no idempotency keys, but a `merchant_order_reference` is unique across every order and
 * refund of the account: a second create with the same one is refused (409), never made. So:
 * - a charge's reference is derived from the app's order reference and the create's key: the same
 *   attempt always maps to the same reference (findCreated reads it back by reference; a resend
 *   cannot make a second order), and a new attempt — a new key — to a new one;
 * - a refund's reference is `{order_id}-R{n}`, n = 1, 2, …: the refunds of a charge can be found
 *   again by reading `-R1`, `-R2`, … until one does not exist (Plural has no refund list). The key
 *   of the refund travels in its `merchant_metadata`;
 * - a capture's reference is derived from its key.
 *
 * Plural's references are 1–50 characters of `A-Z a-z 0-9 - _`.
 */
import { createHash } from 'node:crypto';

export const REFERENCE_MAX = 50;
const REFERENCE = /^[A-Za-z0-9_-]{1,50}$/;
const ALLOWED_CHARACTER = /^[A-Za-z0-9_-]$/;

/** Hex digits of the digest that make a charge reference unique per attempt (64 bits). */
export const CHARGE_DIGEST_HEX = 16;
/** The readable part of a charge reference: the app's order reference, mapped and cut. */
export const CHARGE_READABLE_MAX = REFERENCE_MAX - CHARGE_DIGEST_HEX - 1;
/** Longest refund reference, leaving room for `-S20` on its settlement lines. */
export const REFUND_REFERENCE_MAX = 44;
/** A charge has at most this many refunds this app can find again (`-R1` … `-R100`). */
export const MAX_REFUNDS = 100;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function isPluralReference(text: string): boolean {
  return REFERENCE.test(text);
}

/**
 * `{readable}-{digest}`: the order reference with every character outside `A-Z a-z 0-9 - _`
 * replaced by `_` (per code point: `T1/2026.03:#45` → `T1_2026_03__45`), cut to its first 33
 * characters, then `-` and the first 16 hex digits of SHA-256(order reference, NUL, key).
 */
export function chargeReference(orderReference: string, key: string): string {
  const mapped = [...orderReference].map((c) => (ALLOWED_CHARACTER.test(c) ? c : '_')).join('');
  const readable = mapped.slice(0, CHARGE_READABLE_MAX) || 'order';
  return `${readable}-${sha256Hex(`${orderReference}\u0000${key}`).slice(0, CHARGE_DIGEST_HEX)}`;
}

/**
 * The n-th refund of a charge (n from 1): `{order_id}-R{n}`, or, should an order id be too long or
 * hold other characters, `rf-{20 hex of SHA-256(order_id)}-R{n}`.
 */
export function refundReference(orderId: string, n: number): string {
  const plain = `${orderId}-R${n}`;
  if (plain.length <= REFUND_REFERENCE_MAX && isPluralReference(plain)) return plain;
  return `rf-${sha256Hex(orderId).slice(0, 20)}-R${n}`;
}

/** A refund line's `merchant_settlement_reference` (required on refund lines): `{refund}-S{i}`. */
export function settlementLineReference(refundRef: string, index: number): string {
  return `${refundRef}-S${index + 1}`;
}

/** A capture's `merchant_capture_reference`: `cap-` and 24 hex digits of SHA-256(key). */
export function captureReference(key: string): string {
  return `cap-${sha256Hex(key).slice(0, 24)}`;
}

// ---------------------------------------------------------------------------------------------
// merchant_metadata tags

export const TAG = {
  /** The app's order reference, unchanged (what the Transactions screen shows). */
  order: 'pos_order',
  /** The app's own payment id. */
  payment: 'pos_payment',
  /** The key of the create, refund, release or cancel that made the object. */
  key: 'pos_key',
  /** The app's customer id (Plural's customer_id is Plural's own, 19 characters at most). */
  customer: 'pos_customer',
  /** A refund's reason (Plural's refunds have no reason field). */
  reason: 'pos_reason',
  /** What made a refund: `refund`, `release` (the rest of a partial release) or `cancel`. */
  op: 'pos_op',
} as const;

export const TAG_VALUE_MAX = 64;
export const REASON_MAX = 200;

/**
 * A value as it is tagged: unchanged up to 64 characters; longer, its first 40 characters, `~` and
 * 23 hex digits of its SHA-256 (deterministic, so a lookup computes the same tag).
 */
export function tagValue(value: string): string {
  if (value.length <= TAG_VALUE_MAX) return value;
  return `${value.slice(0, 40)}~${sha256Hex(value).slice(0, TAG_VALUE_MAX - 41)}`;
}

export function readTag(metadata: Record<string, unknown> | null | undefined, tag: string): string | null {
  const value = metadata?.[tag];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function hasKey(metadata: Record<string, unknown> | null | undefined, key: string): boolean {
  return readTag(metadata, TAG.key) === tagValue(key);
}

export function chargeTags(input: {
  orderReference: string;
  paymentId: string;
  key: string;
  customerId?: string | null;
}): Record<string, string> {
  return {
    [TAG.order]: tagValue(input.orderReference),
    [TAG.payment]: tagValue(input.paymentId),
    [TAG.key]: tagValue(input.key),
    ...(input.customerId ? { [TAG.customer]: tagValue(input.customerId) } : {}),
  };
}

export type RefundOp = 'refund' | 'release' | 'cancel';

export function refundTags(input: { key: string; op: RefundOp; reason?: string | null }): Record<string, string> {
  const reason = input.reason?.trim();
  return {
    [TAG.key]: tagValue(input.key),
    [TAG.op]: input.op,
    ...(reason ? { [TAG.reason]: cut(reason, REASON_MAX) } : {}),
  };
}

/** The first `max` UTF-16 units of `text`, never ending in half a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}
