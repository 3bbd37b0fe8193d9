/** Wire timestamps: ISO 8601 with an explicit offset and seconds precision, as in the reference. */
export function iso(ms: number): string {
  // An object's timestamps are often the same instant (created_at = updated_at), and a burst of
  // requests falls within one second: keep the last answer.
  if (ms === lastMs) return lastIso;
  const text = `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
  lastMs = ms;
  lastIso = text;
  return text;
}

let lastMs = Number.NaN;
let lastIso = '';

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/** YYYY-MM-DD (UTC) for date-only fields such as a payout's arrival date. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
