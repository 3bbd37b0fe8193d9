/**
 * Wall-clock time in an IANA time zone with Intl only (no tz database of our own): the local date
 * and time of an instant, its UTC offset, and the instants a local calendar day starts and ends.
 * A day is not always 24 hours: Europe/Paris 2026-03-29 has 23 (02:00 → 03:00), 2026-10-25 has
 * 25, and a zone that skips midnight (America/Santiago, spring) starts its day at 01:00.
 */

export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let cached = formatters.get(timeZone);
  if (!cached) {
    // Throws RangeError for an unknown zone, which is what callers should see.
    cached = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    if (formatters.size >= 64) formatters.clear();
    formatters.set(timeZone, cached);
  }
  return cached;
}

/** Throws RangeError unless timeZone is an IANA zone Intl knows. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/** The zone's name as IANA spells it ("europe/paris" → "Europe/Paris"); throws as checkTimeZone. */
export function canonicalTimeZone(timeZone: string): string {
  return formatter(timeZone).resolvedOptions().timeZone;
}

/** The wall-clock time of an instant (ms since the epoch) in a zone. */
export function wallTime(instantMs: number, timeZone: string): WallTime {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instantMs))) parts[part.type] = part.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  return {
    year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** Local time minus UTC at an instant, in whole seconds' worth of milliseconds (Paris in summer: 7 200 000). */
export function offsetMs(instantMs: number, timeZone: string): number {
  const wall = wallTime(instantMs, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/** "+02:00", "-05:00", "+05:30", "+00:00". */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(ms) / 60_000);
  return `${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** "YYYY-MM-DD" of an instant in a zone (the shop's business date). */
export function localDate(instantMs: number, timeZone: string): string {
  const wall = wallTime(instantMs, timeZone);
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
}

/** "2026-03-29 14:05 +02:00": unambiguous local time for receipts and reports. */
export function formatLocalDateTime(instantMs: number, timeZone: string, withSeconds = false): string {
  const wall = wallTime(instantMs, timeZone);
  const time = `${pad(wall.hour)}:${pad(wall.minute)}${withSeconds ? `:${pad(wall.second)}` : ''}`;
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)} ${time} ${formatOffset(offsetMs(instantMs, timeZone))}`;
}

/**
 * True when the local time of an instant happens twice in the zone (the hour repeated when the
 * clocks go back: Europe/Paris 2026-10-25 02:30 is both +02:00 and +01:00), so the local time alone
 * does not say which instant it was. Looks at the offsets in use 6 hours either side.
 */
export function isAmbiguousLocalTime(instantMs: number, timeZone: string): boolean {
  const own = offsetMs(instantMs, timeZone);
  for (const other of [offsetMs(instantMs - 6 * 3_600_000, timeZone), offsetMs(instantMs + 6 * 3_600_000, timeZone)]) {
    // The same wall time with the other offset, if that offset is in use then.
    if (other !== own && offsetMs(instantMs + own - other, timeZone) === other) return true;
  }
  return false;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses "YYYY-MM-DD" strictly (a real calendar date); throws RangeError otherwise. */
export function parseDate(date: string): { year: number; month: number; day: number } {
  const match = DATE.exec(date);
  if (!match) throw new RangeError(`"${date}" is not a date (YYYY-MM-DD)`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`"${date}" is not a calendar date`);
  }
  return { year, month, day };
}

/** The calendar date after "YYYY-MM-DD". */
export function nextDate(date: string): string {
  const { year, month, day } = parseDate(date);
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  return `${pad(next.getUTCFullYear(), 4)}-${pad(next.getUTCMonth() + 1)}-${pad(next.getUTCDate())}`;
}

/**
 * The first instant (whole second) whose local date in the zone is `date` or later: the start of
 * that local day. Every offset in use lies within ±18 h, so the answer is within a 36-hour span
 * around UTC midnight of the date; a binary search over it finds the boundary wherever the zone
 * puts it (midnight, or 01:00 when midnight is skipped), with ~17 Intl calls.
 */
export function startOfLocalDay(date: string, timeZone: string): number {
  checkTimeZone(timeZone);
  const { year, month, day } = parseDate(date);
  const utcMidnight = Date.UTC(year, month - 1, day);
  let low = utcMidnight - 18 * 3_600_000; // local date is before `date` here
  let high = utcMidnight + 18 * 3_600_000; // and `date` or later here
  while (high - low > 1_000) {
    const mid = low + Math.floor((high - low) / 2_000) * 1_000;
    if (localDate(mid, timeZone) >= date) high = mid;
    else low = mid;
  }
  return high;
}
