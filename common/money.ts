import { currencyByCode } from './currencies';

/** Largest amount any layer accepts, in minor units: 8 digits, the width of the Concert amount field. */
export const MAX_AMOUNT_MINOR = 99_999_999;

export function currencyExponent(currency: string): number {
  const info = currencyByCode(currency);
  if (!info) throw new RangeError(`unknown currency "${currency}"`);
  return info.exponent;
}

/**
 * Formats an integer amount of minor units for people: 1250 EUR → "€12.50".
 * The ISO exponent is forced because ICU shows some currencies (HUF, IDR, …) without decimals.
 */
export function formatAmount(minor: number, currency: string, locale = 'en-US'): string {
  const exponent = currencyExponent(currency);
  const major = minor / 10 ** exponent;
  return formatter(locale, currency.toUpperCase(), exponent).format(major);
}

/**
 * Building an Intl.NumberFormat costs far more than formatting with one (it loads locale data):
 * the sandbox formats every transaction it returns and the host every payment event, so the
 * formatters are kept, one per locale and currency (issue #6, found profiling figures 1 and 3).
 */
const formatters = new Map<string, Intl.NumberFormat>();

function formatter(locale: string, currency: string, exponent: number): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  let cached = formatters.get(key);
  if (!cached) {
    cached = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    // Bounded: locales × currencies actually used; a stray caller cannot grow it without limit.
    if (formatters.size >= 256) formatters.clear();
    formatters.set(key, cached);
  }
  return cached;
}

export type ParsedAmount = { ok: true; minor: number } | { ok: false; error: string };

/**
 * Parses an amount written in major units ("12.50", "12", "1,234.5") into minor units without
 * floating-point rounding. Refuses more decimals than the currency has, negatives and junk.
 */
export function parseMajorAmount(text: string, currency: string): ParsedAmount {
  const exponent = currencyExponent(currency);
  const cleaned = text.trim().replace(/[,_\s](?=\d{3}(\D|$))/g, '');
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return { ok: false, error: `"${text}" is not an amount` };
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    return { ok: false, error: `${currency.toUpperCase()} has ${exponent} decimal place${exponent === 1 ? '' : 's'}` };
  }
  const minor = Number(match[1]! + fraction.padEnd(exponent, '0'));
  return checkMinorAmount(minor);
}

/** Validates an integer amount of minor units: positive, whole, within MAX_AMOUNT_MINOR. */
export function checkMinorAmount(minor: number): ParsedAmount {
  if (!Number.isSafeInteger(minor)) return { ok: false, error: 'amount must be a whole number of minor units' };
  if (minor <= 0) return { ok: false, error: 'amount must be greater than zero' };
  if (minor > MAX_AMOUNT_MINOR) return { ok: false, error: `amount must be at most ${MAX_AMOUNT_MINOR} minor units` };
  return { ok: true, minor };
}
