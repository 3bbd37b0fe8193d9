import { describe, expect, it } from 'vitest';
import {
  checkTimeZone,
  formatLocalDateTime,
  formatOffset,
  isAmbiguousLocalTime,
  localDate,
  nextDate,
  offsetMs,
  parseDate,
  startOfLocalDay,
  wallTime,
} from '../../common/timezone';

const at = (iso: string): number => Date.parse(iso);

describe('wall time in a zone', () => {
  it('follows the Paris DST changes of 2026', () => {
    expect(offsetMs(at('2026-03-29T00:59:59Z'), 'Europe/Paris')).toBe(3_600_000);
    expect(offsetMs(at('2026-03-29T01:00:00Z'), 'Europe/Paris')).toBe(7_200_000);
    expect(offsetMs(at('2026-10-25T00:59:59Z'), 'Europe/Paris')).toBe(7_200_000);
    expect(offsetMs(at('2026-10-25T01:00:00Z'), 'Europe/Paris')).toBe(3_600_000);
  });

  it('gives the local date and time', () => {
    expect(wallTime(at('2026-03-29T12:05:09Z'), 'Europe/Paris')).toEqual({
      year: 2026,
      month: 3,
      day: 29,
      hour: 14,
      minute: 5,
      second: 9,
    });
    expect(localDate(at('2026-03-28T23:30:00Z'), 'Europe/Paris')).toBe('2026-03-29');
    expect(localDate(at('2026-03-29T03:30:00Z'), 'America/New_York')).toBe('2026-03-28');
  });

  it('formats local time with the offset, half-hour zones included', () => {
    expect(formatLocalDateTime(at('2026-03-29T12:05:09Z'), 'Europe/Paris')).toBe('2026-03-29 14:05 +02:00');
    expect(formatLocalDateTime(at('2026-03-29T12:05:09Z'), 'Asia/Kolkata', true)).toBe('2026-03-29 17:35:09 +05:30');
    expect(formatLocalDateTime(at('2026-01-15T12:00:00Z'), 'America/St_Johns')).toBe('2026-01-15 08:30 -03:30');
    expect(formatLocalDateTime(at('2026-01-15T12:00:00Z'), 'UTC')).toBe('2026-01-15 12:00 +00:00');
    expect(formatOffset(-18_000_000)).toBe('-05:00');
  });

  it('refuses unknown zones and dates', () => {
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(RangeError);
    expect(() => parseDate('2026-02-30')).toThrow(RangeError);
    expect(() => parseDate('29/03/2026')).toThrow(RangeError);
    expect(nextDate('2026-12-31')).toBe('2027-01-01');
    expect(nextDate('2028-02-28')).toBe('2028-02-29');
  });
});

describe('start of a local day', () => {
  it('is local midnight in the usual case', () => {
    expect(new Date(startOfLocalDay('2026-03-29', 'Europe/Paris')).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(startOfLocalDay('2026-03-30', 'Europe/Paris')).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(new Date(startOfLocalDay('2026-06-01', 'Asia/Kolkata')).toISOString()).toBe('2026-05-31T18:30:00.000Z');
  });

  it('is 01:00 where the zone skips midnight (Santiago, spring forward at 24:00)', () => {
    // Chile moves from -04 to -03 at 24:00 on the first Saturday of September.
    const start = startOfLocalDay('2026-09-06', 'America/Santiago');
    expect(wallTime(start, 'America/Santiago')).toMatchObject({ day: 6, hour: 1, minute: 0, second: 0 });
    expect(localDate(start - 1_000, 'America/Santiago')).toBe('2026-09-05');
  });
});

describe('isAmbiguousLocalTime', () => {
  it('is true only in the hour the clocks go back, both times round', () => {
    // Paris, 2026-10-25: 02:30 happens at 00:30Z (+02:00) and again at 01:30Z (+01:00).
    expect(isAmbiguousLocalTime(at('2026-10-25T00:30:00.000Z'), 'Europe/Paris')).toBe(true);
    expect(isAmbiguousLocalTime(at('2026-10-25T01:30:00.000Z'), 'Europe/Paris')).toBe(true);
    expect(isAmbiguousLocalTime(at('2026-10-24T23:59:00.000Z'), 'Europe/Paris')).toBe(false);
    expect(isAmbiguousLocalTime(at('2026-10-25T02:00:00.000Z'), 'Europe/Paris')).toBe(false);
    // Spring forward skips an hour: nothing is told twice.
    expect(isAmbiguousLocalTime(at('2026-03-29T01:30:00.000Z'), 'Europe/Paris')).toBe(false);
    expect(isAmbiguousLocalTime(at('2026-10-25T00:30:00.000Z'), 'Asia/Kolkata')).toBe(false);
    // Lord Howe goes back by half an hour: 01:45 happens twice.
    expect(isAmbiguousLocalTime(at('2026-04-04T14:45:00.000Z'), 'Australia/Lord_Howe')).toBe(true);
  });
});
