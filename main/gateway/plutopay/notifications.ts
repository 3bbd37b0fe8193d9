/**
 * Verifying PlutoPay webhooks forwarded to the counter: the signature is hex HMAC-SHA256(secret,
 * raw body), compared in constant time; an event whose signed `created_at` is too far from now is
 * stale; an event id seen before is a replay. Only then is the body trusted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { NOTIFICATION_PAST_SECONDS, notificationTimeProblem } from '../notification-window';
import type { VerifiedNotification } from '../port';

/**
 * How old an event may be. PlutoPay signs the body only, so a retry carries the event's first
 * `created_at`; it retries for 26 h 36 min (1 min, 5 min, 30 min, 2 h, 24 h), and a till that was
 * down for more than a few minutes must still take those retries. A replay inside the window is
 * refused by its id, and an event is only ever a hint to re-read the payment. (See
 * ../notification-window.ts, which also bounds how far ahead an event may be dated.)
 */
export const WEBHOOK_TOLERANCE_SECONDS = NOTIFICATION_PAST_SECONDS;

const EventSchema = z.looseObject({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  created_at: z.string(),
  data: z.looseObject({ id: z.string().optional() }),
});
export type WebhookEvent = z.infer<typeof EventSchema>;

/** Remembers event ids long enough to refuse replays (at least the tolerance window). */
export interface ReplayGuard {
  /** Records the id; false when it was already there. */
  remember(eventId: string, atMs: number): boolean;
}

export type VerifyResult =
  | { ok: true; event: WebhookEvent }
  | { ok: false; status: 400 | 401; reason: string }
  | { ok: false; status: 409; reason: string; eventId: string };

export function signWebhook(secret: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function verifyWebhook(input: {
  rawBody: Buffer;
  signature: string | undefined;
  secret: string;
  nowMs: number;
  replay: ReplayGuard;
  toleranceSeconds?: number;
}): VerifyResult {
  const { rawBody, signature, secret } = input;
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature))
    return { ok: false, status: 401, reason: 'missing or malformed X-PlutoPay-Signature' };
  const expected = Buffer.from(signWebhook(secret, rawBody), 'hex');
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, status: 401, reason: 'signature does not match' };

  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  const parsed = EventSchema.safeParse(json);
  if (!parsed.success) return { ok: false, status: 400, reason: 'body is not a PlutoPay event' };
  const outside = notificationTimeProblem(
    input.nowMs,
    Date.parse(parsed.data.created_at),
    input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS,
  );
  if (outside) return { ok: false, status: 400, reason: outside };
  if (!input.replay.remember(parsed.data.id, input.nowMs))
    return { ok: false, status: 409, reason: 'event was already received (replay)', eventId: parsed.data.id };
  return { ok: true, event: parsed.data };
}

/** Where the shop forwards PlutoPay webhooks on the till (127.0.0.1 only). */
export const WEBHOOK_PATH = '/webhooks/plutopay';

/** The port's view of verifyWebhook: the event names the payment to re-read, nothing more. */
export function verifyPlutoPayNotification(input: {
  rawBody: Buffer;
  headers: Record<string, string | undefined>;
  nowMs: number;
  remember: (eventId: string, atMs: number) => boolean;
  secret: string | null;
}): VerifiedNotification {
  if (!input.secret) return { ok: false, status: 401, reason: 'no webhook secret is configured on this till' };
  const result = verifyWebhook({
    rawBody: input.rawBody,
    signature: input.headers['x-plutopay-signature'],
    secret: input.secret,
    nowMs: input.nowMs,
    replay: { remember: input.remember },
  });
  if (!result.ok) return result;
  const { event } = result;
  const data = event.data as { id?: unknown; transaction_id?: unknown };
  const paymentId = event.type.startsWith('refund.')
    ? data.transaction_id
    : event.type.startsWith('payment.')
      ? data.id
      : undefined;
  // A dispute's event names the dispute: the till reads it from the gateway (never from the body).
  const disputeId = event.type.startsWith('dispute.') ? data.id : undefined;
  return {
    ok: true,
    eventId: event.id,
    type: event.type,
    paymentId: typeof paymentId === 'string' ? paymentId : null,
    ...(typeof disputeId === 'string' ? { disputeId } : {}),
  };
}
