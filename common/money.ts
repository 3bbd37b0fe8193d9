import { currencyByCode } from './currencies';

/**
 * Largest amount any layer accepts, in minor units: the largest a gateway takes (Plural's ₹10 lakh,
 * 100,000,000 paise). Each gateway's own limit and a reader protocol's field width are checked
 * where they belong (PaymentLimits, the Concert codec).
 */
export const MAX_AMOUNT_MINOR = 100_000_000;

export function currencyExponent(currency: string): number {
  const info = currencyByCode(currency);
  if (!info) throw new RangeError(`unknown currency "${currency}"`);
  return info.exponent;
}

/**
 * Currencies whose amounts are written with their own digit grouping: rupees in lakhs and crores
 * (₹10,00,000.00, not ₹1,000,000.00), as Indian customers, shops and Plural's own pages write them.
 */
const CURRENCY_LOCALES: Readonly<Record<string, string>> = { INR: 'en-IN' };

/** The locale an amount of this currency is written in when none is asked for (en-US but for INR). */
export function currencyLocale(currency: string): string {
  return CURRENCY_LOCALES[currency.toUpperCase()] ?? 'en-US';
}

/**
 * The sign a negative amount is written with for people, on screens and printed receipts and reports:
 * the minus sign (U+2212), as the corrections to earlier days always were, never Intl's hyphen. What
 * machines read (CSV exports: `decimalAmount` in main/reports/csv.ts) keeps the plain hyphen, and a
 * printer whose code page lacks the minus sign prints a hyphen (drivers/printers/escpos.ts).
 */
export const MINUS_SIGN = '\u2212';

/**
 * Formats an integer amount of minor units for people: 1250 EUR → "€12.50", 100000000 INR →
 * "₹10,00,000.00", -25000 INR → "−₹250.00" (MINUS_SIGN). The ISO exponent is forced because ICU
 * shows some currencies (HUF, IDR, …) without decimals.
 */
export function formatAmount(minor: number, currency: string, locale = currencyLocale(currency)): string {
  const exponent = currencyExponent(currency);
  const major = minor / 10 ** exponent;
  const text = formatter(locale, currency.toUpperCase(), exponent).format(major);
  return minor < 0 ? text.replace('-', MINUS_SIGN) : text;
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
 * Parses an amount written in major units, as people paste it — "12.50", "12,50 €", "$1,234.50",
 * "EUR 1 234,56", "1.234,56" — into minor units without floating-point rounding. The currency's
 * sign or code around the number is dropped; a comma is the decimal separator when it is the last
 * separator and not followed by exactly three digits ("1,234" stays one thousand two hundred and
 * thirty-four, as before). Refuses more decimals than the currency has, negatives and junk.
 */
export function parseMajorAmount(text: string, currency: string): ParsedAmount {
  const read = readMajorAmount(text, currency);
  return read.ok ? checkMinorAmount(read.minor) : read;
}

/**
 * `parseMajorAmount` without the range check: the amount as written, in minor units (possibly 0,
 * or past MAX_AMOUNT_MINOR), for a field that shows an over-limit amount as typed and says why.
 */
export function readMajorAmount(text: string, currency: string): ParsedAmount {
  const exponent = currencyExponent(currency);
  const number = decimalPointed(
    text.trim().replace(/^[\p{L}\p{Sc}\s]+|[\p{L}\p{Sc}\s]+$/gu, ''),
    currencyLocale(currency) === 'en-IN',
  );
  const match = number === null ? null : /^(\d+)(?:\.(\d*))?$/.exec(number);
  if (!match) return { ok: false, error: `"${text}" is not an amount` };
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    return { ok: false, error: `${currency.toUpperCase()} has ${exponent} decimal place${exponent === 1 ? '' : 's'}` };
  }
  return { ok: true, minor: Number(match[1]! + fraction.padEnd(exponent, '0')) };
}

/**
 * The number with its digit grouping removed and "." as its decimal point, or null when its
 * separators make no sense. Groups are three digits, separated by spaces (also no-break), "'",
 * "_", or whichever of "," and "." is not the decimal separator. With `indian` (rupees, which the
 * app writes that way) lakh grouping is read too: the last group three digits, those before it two
 * ("10,00,000.00").
 */
function decimalPointed(text: string, indian = false): string | null {
  const spaced = text.replace(/(?<=\d)[\s\u00a0\u202f'_](?=\d{3}(?:\D|$))/g, '');
  const lastComma = spaced.lastIndexOf(',');
  const lastDot = spaced.lastIndexOf('.');
  const grouping = (separator: string, body: string) => {
    const groups = body.split(separator);
    const thousands = groups.every((group, i) => (i === 0 ? /^\d{1,3}$/.test(group) : /^\d{3}$/.test(group)));
    const lakhs =
      indian &&
      groups.every((group, i) =>
        i === 0 ? /^\d{1,2}$/.test(group) : i === groups.length - 1 ? /^\d{3}$/.test(group) : /^\d{2}$/.test(group),
      );
    return thousands || lakhs ? groups.join('') : null;
  };
  if (lastComma === -1 && lastDot === -1) return spaced;
  // Both: the later one is the decimal separator ("1,234.56", "1.234,56").
  if (lastComma !== -1 && lastDot !== -1) {
    const decimal = lastComma > lastDot ? ',' : '.';
    const group = decimal === ',' ? '.' : ',';
    const at = Math.max(lastComma, lastDot);
    const whole = grouping(group, spaced.slice(0, at));
    return whole === null ? null : `${whole}.${spaced.slice(at + 1)}`;
  }
  const separator = lastComma !== -1 ? ',' : '.';
  const parts = spaced.split(separator);
  // One separator not followed by exactly three digits is a decimal one ("12,50", "12.5", "12.505");
  // otherwise the separators group thousands ("1,234", "1.234.567").
  if (parts.length === 2 && (separator === '.' || parts[1]!.length !== 3)) return `${parts[0]}.${parts[1]}`;
  return grouping(separator, spaced);
}

/** Validates an integer amount of minor units: positive, whole, within MAX_AMOUNT_MINOR. */
export function checkMinorAmount(minor: number): ParsedAmount {
  if (!Number.isSafeInteger(minor)) return { ok: false, error: 'amount must be a whole number of minor units' };
  if (minor <= 0) return { ok: false, error: 'amount must be greater than zero' };
  if (minor > MAX_AMOUNT_MINOR) return { ok: false, error: `amount must be at most ${MAX_AMOUNT_MINOR} minor units` };
  return { ok: true, minor };
}
