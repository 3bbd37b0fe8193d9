/**
 * The metadata tags this app puts on PayPlug objects. PayPlug has no idempotency keys, so the key
 * of a create or a refund travels in the object's metadata, and a lost answer is resolved by
 * listing recent objects and looking for it (retrieve before retry).
 *
 * PayPlug's metadata limits: at most 10 keys, key names of at most 20 characters, flat values
 * whose text totals at most 500 characters. The tag names below are 7–12 characters; at most four
 * tags go on one object. Each value is bounded by `tagValue` (64 characters), and the only free
 * text, a refund's reason, by `REASON_MAX`, so a tagged object stays far below 500 characters.
 */
import { createHash } from 'node:crypto';

export const TAG = {
  /** The order reference (what the Transactions screen shows as the order). */
  order: 'pos_order',
  /** The app's own payment id (pay_… of the journal). */
  payment: 'pos_payment',
  /** The key of the create or refund: what findCreated / refundExists look for. */
  key: 'pos_key',
  /** The app's customer id, when the payment has one (PayPlug has no customer objects). */
  customer: 'pos_customer',
  /** A refund's reason (PayPlug's refunds have no reason field). */
  reason: 'pos_reason',
  /** The cashier's note on a payment (payments.annotate). */
  note: 'pos_note',
} as const;

export const METADATA_LIMITS = { keys: 10, keyLength: 20, totalValueLength: 500 } as const;

/** Longest tag value sent; longer values are shortened by `tagValue`. */
export const TAG_VALUE_MAX = 64;
/** A refund's reason is kept for people only (never matched): cut to this length. */
export const REASON_MAX = 200;

/**
 * A value as it is tagged: unchanged up to 64 characters; longer, its first 40 characters, `~` and
 * 23 hex digits of its SHA-256. Deterministic, so the same key always gives the same tag and a
 * lookup compares tags. (Order references are at most 64 characters and payment ids 20, so they
 * are tagged as they are; only an unusually long idempotency key is ever shortened.)
 */
export function tagValue(value: string): string {
  if (value.length <= TAG_VALUE_MAX) return value;
  const digest = createHash('sha256')
    .update(value, 'utf8')
    .digest('hex')
    .slice(0, TAG_VALUE_MAX - 41);
  return `${value.slice(0, 40)}~${digest}`;
}

/** Whether a PayPlug object's metadata carries this key (as `tagValue` wrote it). */
export function hasKey(metadata: Record<string, unknown> | null, key: string): boolean {
  return metadata !== null && metadata[TAG.key] === tagValue(key);
}

/** A string tag read back, or null (absent, or not a string: someone else's metadata). */
export function readTag(metadata: Record<string, unknown> | null, tag: string): string | null {
  const value = metadata?.[tag];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function paymentTags(input: {
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

export function refundTags(input: { key: string; reason?: string | undefined }): Record<string, string> {
  const reason = input.reason?.trim();
  return {
    [TAG.key]: tagValue(input.key),
    ...(reason ? { [TAG.reason]: cut(reason, REASON_MAX) } : {}),
  };
}

/** The first `max` UTF-16 units of `text`, never ending in half a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

/** Whether metadata fits PayPlug's limits (what the tests check every tag set against). */
export function fitsMetadataLimits(metadata: Record<string, string>): boolean {
  const entries = Object.entries(metadata);
  const total = entries.reduce((sum, [, value]) => sum + value.length, 0);
  return (
    entries.length <= METADATA_LIMITS.keys &&
    entries.every(([key]) => key.length >= 1 && key.length <= METADATA_LIMITS.keyLength) &&
    total <= METADATA_LIMITS.totalValueLength
  );
}
