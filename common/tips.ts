/**
 * Tips: the presets offered at the counter and the arithmetic behind them. Everything is integer
 * minor units of the payment's currency (common/currencies.ts gives the exponent: 1250 EUR is
 * €12.50, 1250 JPY is ¥1,250, 1250 KWD is KWD 1.250), so rounding "to the currency's minor unit"
 * is rounding to a whole number of minor units. A percentage is always taken of the pre-tip
 * amount and rounded half up (2.5 minor units → 3), never compounded on a previous tip.
 */
import { currencyByCode } from './currencies';
import { formatAmount, MAX_AMOUNT_MINOR, parseMajorAmount } from './money';

/** The percentages offered as one-tap buttons, in order. */
export const TIP_PRESETS: readonly number[] = [10, 15, 20];

/** A percentage tip above this is refused: a slip of the finger, not generosity (custom amounts are exempt). */
export const MAX_TIP_PERCENT = 100;

/** As many preset buttons as the counter's and the customer's screens show. */
export const MAX_TIP_PRESETS = 4;

/** What the cashier or customer chose. */
export type TipChoice =
  | { readonly kind: 'none' }
  /** A percentage of the pre-tip amount, at most two decimals (12.5 is fine, 12.345 is not). */
  | { readonly kind: 'percent'; readonly percent: number }
  /** An amount typed in, in minor units; 0 is the same as no tip. */
  | { readonly kind: 'custom'; readonly amount: number };

export interface Tip {
  /** Minor units. */
  readonly tip: number;
  /** Pre-tip amount + tip, minor units. */
  readonly total: number;
  /** The percentage chosen, or null for none/custom. */
  readonly percent: number | null;
}

export type TipResult = ({ readonly ok: true } & Tip) | { readonly ok: false; readonly error: string };

export interface TipOption {
  readonly percent: number;
  readonly tip: number;
  readonly total: number;
}

/**
 * Percentages are held as basis points (hundredths of a percent) so the arithmetic is integer:
 * base ≤ 99 999 999 and ≤ 10 000 bp keeps base × bp below 2^53.
 */
function basisPoints(percent: number): number | null {
  if (!Number.isFinite(percent)) return null;
  const bp = Math.round(percent * 100);
  // Refuse more than two decimals rather than silently rounding the percentage itself. Exactly a
  // number of hundredths (12.5 and 0.29 are; 12.345 is not): a tolerance let 1e-9 through as 0 bp,
  // stored as the percentage chosen with a tip of nothing.
  if (bp / 100 !== percent) return null;
  return bp;
}

/**
 * Whether a percentage has no more precision than the tip screens offer (two decimals: 12.5 and
 * 0.25 are, 12.345 and 1e-9 are not). The contract's tip percentages and the presets use it.
 */
export function hasTipPrecision(percent: number): boolean {
  return basisPoints(percent) !== null;
}

/** Integer round half up of base × bp / 10 000, for base, bp ≥ 0. */
function percentOf(base: number, bp: number): number {
  return Math.floor((base * bp + 5_000) / 10_000);
}

function checkBase(base: number, currency: string): string | null {
  if (!currencyByCode(currency)) return `unknown currency "${currency}"`;
  if (!Number.isSafeInteger(base) || base <= 0)
    return 'the amount before tip must be a positive whole number of minor units';
  if (base > MAX_AMOUNT_MINOR)
    return `the amount before tip must be at most ${formatAmount(MAX_AMOUNT_MINOR, currency)}`;
  return null;
}

/**
 * The tip for a percentage of the pre-tip amount, in minor units, rounded half up.
 * Throws RangeError on a bad amount, currency or percentage (use computeTip() for user input).
 */
export function tipForPercent(base: number, percent: number, currency: string): number {
  const result = computeTip(base, currency, { kind: 'percent', percent });
  if (!result.ok) throw new RangeError(result.error);
  return result.tip;
}

/** Validates a choice against the pre-tip amount and returns the tip and the new total. */
export function computeTip(base: number, currency: string, choice: TipChoice): TipResult {
  const baseError = checkBase(base, currency);
  if (baseError) return { ok: false, error: baseError };
  let tip: number;
  let percent: number | null = null;
  switch (choice.kind) {
    case 'none':
      tip = 0;
      break;
    case 'percent': {
      const bp = basisPoints(choice.percent);
      if (bp === null) return { ok: false, error: 'a tip percentage has at most two decimals (0.01 % at the finest)' };
      if (bp < 0) return { ok: false, error: 'a tip cannot be negative' };
      if (bp > MAX_TIP_PERCENT * 100)
        return { ok: false, error: `a tip percentage must be at most ${MAX_TIP_PERCENT} %` };
      tip = percentOf(base, bp);
      percent = choice.percent;
      break;
    }
    case 'custom':
      if (!Number.isSafeInteger(choice.amount))
        return { ok: false, error: 'a tip must be a whole number of minor units' };
      if (choice.amount < 0) return { ok: false, error: 'a tip cannot be negative' };
      tip = choice.amount;
      break;
    default:
      return { ok: false, error: 'unknown tip choice' };
  }
  const total = base + tip;
  if (total > MAX_AMOUNT_MINOR) {
    // In the currency's money, as the cashier and the customer type it: never in minor units.
    return { ok: false, error: `the total with tip must be at most ${formatAmount(MAX_AMOUNT_MINOR, currency)}` };
  }
  return { ok: true, tip, total, percent };
}

/** The preset buttons for a pre-tip amount: each percentage with its tip and total. */
export function tipOptions(base: number, currency: string, presets: readonly number[] = TIP_PRESETS): TipOption[] {
  return presets.map((percent) => {
    const tip = tipForPercent(base, percent, currency);
    return { percent, tip, total: base + tip };
  });
}

/** The index of the first preset that repeats an earlier one (two buttons alike), or -1. */
export function repeatedPreset(presets: readonly number[]): number {
  return presets.findIndex((percent, index) => presets.indexOf(percent) !== index);
}

export type ParsedTipPresets =
  { readonly ok: true; readonly presets: number[] } | { readonly ok: false; readonly error: string };

/**
 * The tip presets as typed in Settings: percentages separated by commas ("10, 15, 20", "12.5%, 18").
 * Strict, so nothing typed is silently dropped or reread: an empty entry ("10,,20"), anything but
 * plain digits ("1e1", "0x10"), a repeat ("5, 5, 5"), 0, more than 100 or more than two decimals are
 * each refused with the reason.
 */
export function parseTipPresets(text: string): ParsedTipPresets {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, error: 'Type at least one percentage, e.g. 10, 15, 20.' };
  // "18 %" is one entry: the sign goes with its number before the entries are split.
  const entries = trimmed.replace(/\s+%/g, '%').split(/\s*[,;]\s*|\s+/);
  const presets: number[] = [];
  for (const entry of entries) {
    if (!entry)
      return { ok: false, error: 'A preset is missing between two commas: type one percentage in each place.' };
    const match = /^(\d+(?:\.\d+)?)%?$/.exec(entry);
    if (!match) return { ok: false, error: `"${entry}" is not a percentage: type digits, e.g. 10 or 12.5.` };
    const percent = Number(match[1]);
    if (basisPoints(percent) === null) return { ok: false, error: `${entry}: a preset has at most two decimals.` };
    if (percent <= 0) return { ok: false, error: `${entry}: a preset must be above 0 %.` };
    if (percent > MAX_TIP_PERCENT) return { ok: false, error: `${entry}: a preset is at most ${MAX_TIP_PERCENT} %.` };
    presets.push(percent);
  }
  const repeat = repeatedPreset(presets);
  if (repeat >= 0) return { ok: false, error: `${presets[repeat]} % is there twice: each preset once.` };
  if (presets.length > MAX_TIP_PRESETS) return { ok: false, error: `At most ${MAX_TIP_PRESETS} presets.` };
  return { ok: true, presets };
}

export type ParsedTip = { readonly ok: true; readonly minor: number } | { readonly ok: false; readonly error: string };

/**
 * Parses a custom tip typed in major units ("2", "2.50", "2,50", "0") into minor units. Unlike an amount,
 * zero is allowed (it means no tip); the currency's decimals are enforced (no "1.5" yen).
 */
export function parseTipAmount(text: string, currency: string): ParsedTip {
  const info = currencyByCode(currency);
  if (!info) return { ok: false, error: `unknown currency "${currency}"` };
  const zero = /^\s*0+(?:[.,](0*))?\s*$/.exec(text);
  if (zero && (zero[1] ?? '').length <= info.exponent) return { ok: true, minor: 0 };
  const parsed = parseMajorAmount(text, currency);
  return parsed.ok ? { ok: true, minor: parsed.minor } : { ok: false, error: parsed.error };
}
