/**
 * Plural webhooks forwarded to the counter, verified before anything in them is believed:
 * 1. the three headers are there: `webhook-id`, `webhook-timestamp` (Unix seconds),
 *    `webhook-signature` (`v1,<base64>`) — else 401;
 * 2. the signature matches HMAC-SHA256(hex-decoded signature key, "{id}.{timestamp}.{raw body}") — else 401;
 * 3. the timestamp (signed) is at most 27 hours old and at most an hour ahead — else 400: a retry
 *    keeps the event's first timestamp, and the retries of the last day must still be taken (ids are
 *    remembered longer; see ../notification-window.ts);
 * 4. the body is a Plural event `{"event_type", "data": {order…}}` — else 400;
 * 5. the event id was not seen before (`remember`) — else 409, replay (answered 200 by the receiver).
 * Even then the event is only a hint: it names the charge to re-read (a refund's parent order), and
 * the host re-reads it with its own token; nothing else in the body is used.
 */
import { z } from 'zod';
import { NOTIFICATION_PAST_SECONDS, notificationTimeProblem } from '../notification-window';
import type { VerifiedNotification } from '../port';
import { signatureKeyBytes, webhookSignatureMatches } from './signature';

/** Where the shop forwards Plural webhooks on the till (127.0.0.1 only). */
export const NOTIFICATION_PATH = '/webhooks/plural';
/**
 * How old an event may be. A retry carries the event's first `webhook-timestamp` and comes up to
 * 26 h 36 min later (1 min, 5 min, 30 min, 2 h, 24 h): with 5 minutes, a till that could not answer
 * for a few minutes refused every later retry. A replay inside the window is refused by its id.
 */
export const WEBHOOK_TOLERANCE_SECONDS = NOTIFICATION_PAST_SECONDS;

const EventSchema = z.looseObject({
  event_type: z.string().min(1).max(100),
  data: z.looseObject({
    order_id: z.string().min(1),
    parent_order_id: z.string().min(1).nullable().optional(),
    type: z.string().optional(),
  }),
});

export function verifyPluralNotification(input: {
  rawBody: Buffer;
  headers: Record<string, string | undefined>;
  nowMs: number;
  remember: (eventId: string, atMs: number) => boolean;
  signatureKey: string;
  toleranceSeconds?: number;
}): VerifiedNotification {
  const header = (name: string) => {
    const entry = Object.entries(input.headers).find(([key]) => key.toLowerCase() === name);
    return entry?.[1]?.trim() || undefined;
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signature = header('webhook-signature');
  if (!id || !timestamp || !signature)
    return { ok: false, status: 401, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (id.length > 200 || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, status: 401, reason: 'malformed webhook-id or webhook-timestamp' };
  const key = signatureKeyBytes(input.signatureKey);
  if (!key) return { ok: false, status: 401, reason: 'the signature key is not hex' };
  if (!webhookSignatureMatches(key, id, timestamp, input.rawBody, signature))
    return { ok: false, status: 401, reason: 'signature does not match' };

  const outside = notificationTimeProblem(
    input.nowMs,
    Number(timestamp) * 1000,
    input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS,
  );
  if (outside) return { ok: false, status: 400, reason: outside };

  let json: unknown;
  try {
    json = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  const parsed = EventSchema.safeParse(json);
  if (!parsed.success) return { ok: false, status: 400, reason: 'body is not a Plural event' };
  if (!input.remember(id, input.nowMs))
    return { ok: false, status: 409, reason: 'event was already received (replay)', eventId: id };
  const { event_type: type, data } = parsed.data;
  // A refund order names the charge it refunds: that is the payment to re-read.
  const paymentId =
    data.type === 'REFUND' || type.startsWith('REFUND_') ? (data.parent_order_id ?? null) : data.order_id;
  return { ok: true, eventId: id, type, paymentId };
}
