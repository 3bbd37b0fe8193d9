/**
 * When a signed notification's own time (PlutoPay's `created_at`, Plural's `webhook-timestamp`) is
 * taken, for every gateway that signs them. A retry carries the event's first time and comes up to
 * 26 h 36 min later, so the past reaches 27 hours; the future only a clock's drift. The journal keeps
 * a received event id 28 hours (`Journal.rememberWebhookEvent`): an event is refused as stale before
 * its id is forgotten only while the future allowed stays within that margin. (It was 27 hours both
 * ways: an event dated a day ahead, taken once, was taken again when replayed 28 hours later.)
 */
export const NOTIFICATION_PAST_SECONDS = 27 * 3600;
export const NOTIFICATION_FUTURE_SECONDS = 3600;

/** Why an event dated `eventMs` is refused at `nowMs`, or null when it is in the window. */
export function notificationTimeProblem(
  nowMs: number,
  eventMs: number,
  pastSeconds = NOTIFICATION_PAST_SECONDS,
): string | null {
  if (!Number.isFinite(eventMs) || nowMs - eventMs > pastSeconds * 1000) return 'event is stale';
  if (eventMs - nowMs > NOTIFICATION_FUTURE_SECONDS * 1000) return 'event is dated ahead of this till';
  return null;
}
