/**
 * Plural's two signatures, both HMAC-SHA256 keyed with the signature key **decoded from hex** (the
 * reference calls it "SHA256"; its own sample code is an HMAC over the hex-decoded key).
 *
 * - The return URL (the customer's browser coming back from the checkout page): over the
 *   `key=value` pairs of the signed fields that are present — `order_id`, `status` or
 *   `payment_status` (the reference uses both names; the emulator sends `status`), `error_code`,
 *   `error_message` — sorted by key (code-unit order), joined with `&`, values as received (not
 *   URL-encoded), UTF-8; hex out. The reference's sample code upper-cases its hex while its sample
 *   signature is lower case: the comparison ignores case. Other parameters on the URL (the shop's
 *   own) are not signed and not read.
 * - Webhooks: over `{webhook-id}.{webhook-timestamp}.{raw body}`, sent as
 *   `webhook-signature: v1,<base64>` (several space-separated signatures may be sent while a key
 *   is rotated: any one matching is enough).
 *
 * Every comparison is of decoded bytes of equal length, in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ReturnVerdict } from '../port';

/** The return-URL fields a signature covers, when present. */
export const SIGNED_RETURN_FIELDS = ['error_code', 'error_message', 'order_id', 'payment_status', 'status'] as const;

const HEX_KEY = /^(?:[0-9a-fA-F]{2})+$/;
const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/;

/** The key's bytes, or null when it is not hex (then nothing verifies). */
export function signatureKeyBytes(signatureKeyHex: string): Buffer | null {
  const trimmed = signatureKeyHex.trim();
  return HEX_KEY.test(trimmed) ? Buffer.from(trimmed, 'hex') : null;
}

/** The string the return-URL signature covers: the signed fields present, sorted, `k=v` joined with `&`. */
export function returnSignedString(params: Readonly<Record<string, string | undefined>>): string {
  return [...SIGNED_RETURN_FIELDS]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .filter((field) => params[field] !== undefined)
    .map((field) => `${field}=${params[field]!}`)
    .join('&');
}

export function signReturn(key: Buffer, params: Readonly<Record<string, string | undefined>>): string {
  return createHmac('sha256', key).update(returnSignedString(params), 'utf8').digest('hex');
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether the fields a return URL carried were signed by Plural; then they name the order to re-read. */
export function verifyReturnParams(signatureKeyHex: string, params: Readonly<Record<string, string>>): ReturnVerdict {
  const key = signatureKeyBytes(signatureKeyHex);
  if (!key) return { ok: false, reason: 'the signature key is not hex' };
  const orderId = params.order_id;
  if (!orderId) return { ok: false, reason: 'no order_id' };
  const signature = params.signature?.trim() ?? '';
  if (!HEX_SIGNATURE.test(signature)) return { ok: false, reason: 'missing or malformed signature' };
  const expected = Buffer.from(signReturn(key, params), 'hex');
  // Hex decoding ignores case: an upper-case signature compares equal to a lower-case one.
  if (!sameBytes(Buffer.from(signature, 'hex'), expected)) return { ok: false, reason: 'signature does not match' };
  // The attempt's status as signed (`status` or `payment_status`): FAILED is a refused card. An
  // error_code alone is not (Plural's sample returns AUTHORIZED with one).
  const status = (params.status ?? params.payment_status ?? '').toUpperCase();
  return { ok: true, paymentId: orderId, failed: status === 'FAILED' };
}

export function signWebhook(key: Buffer, id: string, timestamp: string, rawBody: Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(rawBody).digest('base64');
  return `v1,${mac}`;
}

/** Whether one of the `v1,<base64>` signatures of a `webhook-signature` header matches. */
export function webhookSignatureMatches(
  key: Buffer,
  id: string,
  timestamp: string,
  rawBody: Buffer,
  header: string,
): boolean {
  const expected = Buffer.from(signWebhook(key, id, timestamp, rawBody).slice(3), 'base64');
  return header
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .some((part) => {
      const given = part.slice(3);
      return /^[A-Za-z0-9+/]+={0,2}$/.test(given) && sameBytes(Buffer.from(given, 'base64'), expected);
    });
}
