/**
 * The small statistics the benchmarks report. Pure functions over plain arrays of numbers, so
 * they are unit-tested on known inputs (test/bench/stats.test.ts), not trusted.
 */

/** Sorted copy (ascending); never sorts the caller's array in place. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function requireSamples(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what} of no samples`);
  for (const value of values) if (!Number.isFinite(value)) throw new RangeError(`${what}: non-finite sample ${value}`);
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) by linear interpolation between closest ranks (the method
 * of numpy's default and of most load-testing tools): rank = p/100 · (n − 1).
 */
export function percentile(values: readonly number[], p: number): number {
  requireSamples(values, 'percentile');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0–100, got ${p}`);
  const s = sorted(values);
  const rank = (p / 100) * (s.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = s[lower]!;
  const high = s[upper]!;
  return low + (high - low) * (rank - lower);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function mean(values: readonly number[]): number {
  requireSamples(values, 'mean');
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * Mean of what is left after dropping `fraction` of the samples at each end (0.1 drops the lowest
 * and the highest 10 %, rounded down). A fraction of 0 is the plain mean; the cut never empties it.
 */
export function trimmedMean(values: readonly number[], fraction = 0.1): number {
  requireSamples(values, 'trimmed mean');
  if (!(fraction >= 0 && fraction < 0.5))
    throw new RangeError(`trim fraction must be within [0, 0.5), got ${fraction}`);
  const s = sorted(values);
  const cut = Math.floor(s.length * fraction);
  return mean(s.slice(cut, s.length - cut));
}

/** Sample standard deviation (n − 1); 0 for a single sample. */
export function stddev(values: readonly number[]): number {
  requireSamples(values, 'standard deviation');
  if (values.length === 1) return 0;
  const m = mean(values);
  let sum = 0;
  for (const value of values) sum += (value - m) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

/** Median absolute deviation from the median: a spread that a few outliers cannot inflate. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((value) => Math.abs(value - m)));
}

/** Spread of repeated measurements relative to their median (MAD / median), e.g. 0.04 = ±4 %. */
export function relativeSpread(values: readonly number[]): number {
  const m = median(values);
  return m === 0 ? 0 : mad(values) / Math.abs(m);
}

/** value / floor. A floor of zero or less cannot be divided by: that is a broken measurement. */
export function ratio(value: number, floor: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(floor))
    throw new RangeError(`ratio of non-finite numbers ${value} / ${floor}`);
  if (floor <= 0) throw new RangeError(`ratio against a floor of ${floor}`);
  return value / floor;
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  trimmedMean: number;
  stddev: number;
}

export function summarize(values: readonly number[]): Summary {
  requireSamples(values, 'summary');
  const s = sorted(values);
  return {
    n: s.length,
    min: s[0]!,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1]!,
    mean: mean(s),
    trimmedMean: trimmedMean(s, 0.1),
    stddev: stddev(s),
  };
}

/** Rounds for display and JSON: enough digits to compare runs, no float noise. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * How far repeats of one measurement disagree: (max − min) / |median|, e.g. 0.12 = the repeats
 * span 12 % of their median. 0 for a single repeat or a median of 0 (nothing to compare).
 */
export interface Spread {
  /** How many repeats the spread is over. */
  repeats: number;
  min: number;
  median: number;
  max: number;
  /** (max − min) / |median|. */
  relative: number;
}

export function spread(values: readonly number[]): Spread {
  requireSamples(values, 'spread');
  const s = sorted(values);
  const m = median(s);
  const min = s[0]!;
  const max = s[s.length - 1]!;
  return { repeats: s.length, min, median: m, max, relative: m === 0 ? 0 : (max - min) / Math.abs(m) };
}

/**
 * Consecutive, nearly equal parts of a sequence (sizes differ by at most one, larger parts
 * first), for figures that take many samples in one run: each part is one repeat of the figure's
 * statistic. Never more parts than items.
 */
export function split<T>(items: readonly T[], parts = 3): T[][] {
  if (!(Number.isInteger(parts) && parts >= 1)) throw new RangeError(`cannot split into ${parts} parts`);
  const n = Math.min(parts, items.length);
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(items.length / n) + (i < items.length % n ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}
