/**
 * Verifying PlutoPay webhooks forwarded to the counter: the signature is hex HMAC-SHA256(secret,
 * raw body), compared in constant time; an event whose signed `created_at` is too far from now is
 * stale; an event id seen before is a replay. Only then is the body trusted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const WEBHOOK_TOLERANCE_SECONDS = 300;

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

export type VerifyResult = { ok: true; event: WebhookEvent } | { ok: false; status: 400 | 401 | 409; reason: string };

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
  const created = Date.parse(parsed.data.created_at);
  const tolerance = (input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS) * 1000;
  if (!Number.isFinite(created) || Math.abs(input.nowMs - created) > tolerance)
    return { ok: false, status: 400, reason: 'event is stale' };
  if (!input.replay.remember(parsed.data.id, input.nowMs))
    return { ok: false, status: 409, reason: 'event was already received (replay)' };
  return { ok: true, event: parsed.data };
}
