/**
 * PayPlug notifications forwarded to the counter. PayPlug does not sign them: anyone who can reach
 * the till's loopback port could post one. So a notification is only a hint: `verify` checks that
 * the body looks like a PayPlug object and extracts the id of the payment to re-read; nothing else
 * in it (status, amounts, card) is ever used. The host retrieves the payment, and only that answer,
 * fetched with the secret key, counts. There is no event id, so nothing to remember for replays:
 * re-reading a payment twice is harmless.
 */
import { z } from 'zod';
import type { VerifiedNotification } from '../port';

/** Where the shop forwards PayPlug notifications on the till (127.0.0.1 only). */
export const NOTIFICATION_PATH = '/webhooks/payplug';

/** PayPlug ids: a prefix, `_`, then letters and digits. */
const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9]{1,64}$`));

const NotificationSchema = z.discriminatedUnion('object', [
  z.looseObject({ object: z.literal('payment'), id: id('pay'), is_live: z.boolean() }),
  z.looseObject({ object: z.literal('refund'), id: id('re'), payment_id: id('pay'), is_live: z.boolean() }),
  z.looseObject({ object: z.literal('installment_plan'), id: id('inst'), is_live: z.boolean() }),
]);

export function verifyPayPlugNotification(input: { rawBody: Buffer; live: boolean }): VerifiedNotification {
  let json: unknown;
  try {
    json = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    return { ok: false, status: 400, reason: 'body is not JSON' };
  }
  const parsed = NotificationSchema.safeParse(json);
  if (!parsed.success) return { ok: false, status: 400, reason: 'body is not a PayPlug payment, refund or plan' };
  const object = parsed.data;
  // A notification of the other mode's account cannot concern this till's payments.
  if (object.is_live !== input.live)
    return {
      ok: false,
      status: 400,
      reason: `a ${object.is_live ? 'live' : 'test'} notification reached a ${input.live ? 'live' : 'test'} till`,
    };
  const paymentId = object.object === 'payment' ? object.id : object.object === 'refund' ? object.payment_id : null;
  return { ok: true, eventId: null, type: object.object, paymentId };
}
