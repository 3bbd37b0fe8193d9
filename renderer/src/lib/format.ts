import { formatAmount } from '../../../common/money';
import { isKnownCurrency } from '../../../common/currencies';
import { formatOffset, isAmbiguousLocalTime, offsetMs } from '../../../common/timezone';

/** formatAmount that never throws on a currency the table lacks (shows "1250 XYZ minor units"). */
export function money(minor: number, currency: string): string {
  if (!isKnownCurrency(currency)) return `${minor} ${currency} (minor units)`;
  return formatAmount(minor, currency);
}

/** "just now", "12 min ago", "3 h 5 min ago", "2 days ago". */
export function timeAgo(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return 'at an unknown time';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min ago` : `${hours} h ago`;
  }
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

const STYLES = {
  date: { dateStyle: 'medium' },
  dateTime: { dateStyle: 'medium', timeStyle: 'short' },
  dateTimeSeconds: { dateStyle: 'medium', timeStyle: 'medium' },
  clock: { hour: '2-digit', minute: '2-digit', second: '2-digit' },
} as const satisfies Record<string, Intl.DateTimeFormatOptions>;

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * A formatter in the shop's time zone (Settings → Counter), never the browser's: a till in Paris
 * opened from a browser on UTC must still read Paris times. null (settings not known yet, or a zone
 * this runtime lacks) falls back to the runtime's own zone.
 */
function formatIn(style: keyof typeof STYLES, timeZone: string | null): Intl.DateTimeFormat {
  const key = `${style}|${timeZone ?? ''}`;
  let format = formats.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-GB', { ...STYLES[style], ...(timeZone ? { timeZone } : {}) });
    } catch {
      format = new Intl.DateTimeFormat('en-GB', STYLES[style]);
    }
    if (formats.size >= 64) formats.clear();
    formats.set(key, format);
  }
  return format;
}

/** "29 Nov 2026, 23:00" in the shop's time zone (see shopTimeZone). */
export function dateTime(iso: string | null, timeZone: string | null): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : formatIn('dateTime', timeZone).format(at);
}

/**
 * A calendar date with no time or zone ("2026-12-01": an installment's due date) as the app writes
 * dates: "1 Dec 2026". Read and written in UTC, so no zone moves it to the day before.
 */
export function calendarDate(date: string): string {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  return Number.isNaN(at) ? date : formatIn('date', 'UTC').format(at);
}

/**
 * A time in its own zone (a Z's, which may not be the shop's now), with its UTC offset when the local
 * time alone could mislead: the hour repeated when the clocks go back, or a zone other than the
 * shop's current one. "25 Oct 2026, 02:30 UTC+01:00"; otherwise as dateTime.
 */
export function zonedDateTime(iso: string | null, timeZone: string, shopZone: string | null): string {
  const shown = dateTime(iso, timeZone);
  const at = iso ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(at)) return shown;
  try {
    if (timeZone === shopZone && !isAmbiguousLocalTime(at, timeZone)) return shown;
    return `${shown} UTC${formatOffset(offsetMs(at, timeZone))}`;
  } catch {
    // A zone this runtime lacks: dateTime already fell back to the runtime's own.
    return shown;
  }
}

/** With seconds, for timelines where several steps happen within a minute. */
export function dateTimeSeconds(iso: string, timeZone: string | null): string {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : formatIn('dateTimeSeconds', timeZone).format(at);
}

/** "23:00:05" in the shop's time zone. */
export function clockTime(iso: string, timeZone: string | null): string {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : formatIn('clock', timeZone).format(at);
}

let currencyNames: Intl.DisplayNames | null | undefined;

/** "Euro" for EUR (via Intl.DisplayNames), or the code itself when the runtime has no names. */
export function currencyName(code: string): string {
  if (currencyNames === undefined) {
    try {
      currencyNames = new Intl.DisplayNames(['en'], { type: 'currency' });
    } catch {
      currencyNames = null;
    }
  }
  return currencyNames?.of(code) ?? code;
}

/**
 * A message as a sentence: its own full stop kept, one added only when it has none. Host messages
 * sometimes end with one ("… (it may be incomplete).") and sometimes not ("…: out of paper").
 */
export function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** Words for an API status such as "partially_refunded". */
export function humanize(value: string): string {
  const text = value.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "14:05 left", "2 h 10 min left", "6 days 23 h left", or "expired" (a link, an authorisation). */
export function timeLeft(iso: string | null, now: number): { text: string; ms: number } | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return null;
  const ms = at - now;
  if (ms <= 0) return { text: 'expired', ms };
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) {
    const m = Math.floor(seconds / 60);
    return { text: `${m}:${String(seconds % 60).padStart(2, '0')} left`, ms };
  }
  const hours = Math.floor(seconds / 3600);
  if (hours < 48) {
    const minutes = Math.floor((seconds % 3600) / 60);
    return { text: minutes ? `${hours} h ${minutes} min left` : `${hours} h left`, ms };
  }
  // Days and hours: a 7-day authorisation taken a minute ago has "6 days 23 h left", not "6 days".
  const days = Math.floor(hours / 24);
  return { text: hours % 24 ? `${days} days ${hours % 24} h left` : `${days} days left`, ms };
}
