/**
 * Plural's signatures. Both are HMAC-SHA256 keyed with the signature key decoded from hex (the
 * reference calls it "SHA256", but its own sample code is an HMAC over the hex-decoded key).
 *
 * - Return URL: over the `key=value` pairs of the fields present (order_id, status, error_code,
 *   error_message — never `signature` itself), sorted by key and joined with `&`; values raw (not
 *   URL-encoded), UTF-8; lower-case hex out. The reference's Java sample upper-cases its hex, so a
 *   verifier should compare without regard to case.
 * - Webhooks: over `{webhook-id}.{webhook-timestamp}.{body}`, sent as `webhook-signature: v1,<base64>`.
 */
import { createHmac } from 'node:crypto';

export type SignedFields = Readonly<Record<string, string | undefined>>;

function keyBytes(signatureKeyHex: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(signatureKeyHex)) throw new RangeError('the signature key must be hex');
  return Buffer.from(signatureKeyHex, 'hex');
}

/** The string the return-URL signature covers: present fields, sorted by key, `k=v` joined with `&`. */
export function signedString(fields: SignedFields): string {
  return Object.keys(fields)
    .filter((key) => key !== 'signature' && fields[key] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${key}=${fields[key]!}`)
    .join('&');
}

export function signReturnFields(signatureKeyHex: string, fields: SignedFields): string {
  return createHmac('sha256', keyBytes(signatureKeyHex)).update(signedString(fields), 'utf8').digest('hex');
}

export function signWebhook(signatureKeyHex: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyBytes(signatureKeyHex))
    .update(`${id}.${timestampSeconds}.${body}`, 'utf8')
    .digest('base64');
  return `v1,${mac}`;
}
