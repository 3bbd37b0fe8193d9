/**
 * The business day: a local calendar date in the shop's IANA zone, as the instants it spans.
 * Computed with Intl (common/timezone.ts), so it is right across DST changes: Europe/Paris
 * 2026-03-29 is 23 hours long and 2026-10-25 is 25.
 */
import { formatOffset, localDate, nextDate, offsetMs, startOfLocalDay } from '../../common/timezone';
import type { DayWindow } from './types';

/** The window of a local date ("YYYY-MM-DD") in a zone. Throws RangeError on a bad date or zone. */
export function dayWindow(date: string, timeZone: string): DayWindow {
  return windowBetween(date, timeZone, startOfLocalDay(date, timeZone), startOfLocalDay(nextDate(date), timeZone));
}

/** A business date's period between two instants (a day cut short by an early Z, or a whole one). */
export function windowBetween(date: string, timeZone: string, startMs: number, endMs: number): DayWindow {
  return {
    date,
    timeZone,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    startMs,
    endMs,
    hours: (endMs - startMs) / 3_600_000,
    startOffset: formatOffset(offsetMs(startMs, timeZone)),
    endOffset: formatOffset(offsetMs(endMs, timeZone)),
  };
}

/** The window of the local day an instant falls in (today's, given now). */
export function dayWindowAt(instantMs: number, timeZone: string): DayWindow {
  return dayWindow(localDate(instantMs, timeZone), timeZone);
}

/** Whether an ISO instant falls in the window (start inclusive, end exclusive). */
export function inWindow(instant: string, window: DayWindow): boolean {
  const ms = Date.parse(instant);
  return ms >= window.startMs && ms < window.endMs;
}
