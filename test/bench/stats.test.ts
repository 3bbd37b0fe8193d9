/** The bench's statistics on inputs whose answers are known (no timing here). */
import { describe, expect, it } from 'vitest';
import {
  mad,
  mean,
  median,
  percentile,
  ratio,
  relativeSpread,
  round,
  sorted,
  split,
  spread,
  stddev,
  summarize,
  trimmedMean,
} from './stats';

describe('bench statistics', () => {
  it('interpolates percentiles between closest ranks', () => {
    const values = [10, 20, 30, 40, 50];
    expect(percentile(values, 0)).toBe(10);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 50)).toBe(30);
    expect(percentile(values, 25)).toBe(20);
    expect(percentile(values, 90)).toBeCloseTo(46, 10);
    expect(percentile([1, 2], 50)).toBe(1.5);
    expect(percentile([7], 99)).toBe(7);
  });

  it("does not depend on input order and does not sort the caller's array", () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 4, 2, 3]);
    expect(sorted(values)).toEqual([1, 2, 3, 4, 5]);
  });

  it('p99 of 1..100 is 99.01 (linear interpolation, n − 1 ranks)', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(values, 95)).toBeCloseTo(95.05, 10);
  });

  it('refuses empty input, non-finite samples and percentiles out of range', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => mean([])).toThrow(RangeError);
    expect(() => median([1, Number.NaN])).toThrow(/non-finite/);
    expect(() => percentile([1], 101)).toThrow(/0–100/);
    expect(() => percentile([1], -1)).toThrow(/0–100/);
  });

  it('means: plain, trimmed (a tenth off each end by default) and its bounds', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    const withOutliers = [1000, 1, 2, 3, 4, 5, 6, 7, 8, -1000];
    expect(trimmedMean(withOutliers, 0.1)).toBe(4.5);
    expect(trimmedMean([1, 2, 3], 0)).toBe(2);
    // A cut that rounds to nothing keeps everything.
    expect(trimmedMean([1, 2, 3], 0.2)).toBe(2);
    expect(() => trimmedMean([1, 2], 0.5)).toThrow(/\[0, 0.5\)/);
  });

  it('spreads: sample standard deviation, MAD and MAD relative to the median', () => {
    expect(stddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(stddev([3])).toBe(0);
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
    expect(relativeSpread([10, 10, 11, 9, 10])).toBe(0);
    expect(relativeSpread([100, 104, 96])).toBeCloseTo(0.04, 10);
    expect(relativeSpread([0, 0])).toBe(0);
  });

  it('divides by a floor, and refuses a floor that cannot be divided by', () => {
    expect(ratio(11, 10)).toBeCloseTo(1.1, 12);
    expect(ratio(0, 10)).toBe(0);
    expect(() => ratio(1, 0)).toThrow(/floor of 0/);
    expect(() => ratio(1, -2)).toThrow(RangeError);
    expect(() => ratio(Number.POSITIVE_INFINITY, 2)).toThrow(/non-finite/);
  });

  it('summarizes a sample set', () => {
    const s = summarize([4, 1, 3, 2, 5]);
    expect(s).toMatchObject({ n: 5, min: 1, max: 5, p50: 3, mean: 3 });
    expect(s.p99).toBeCloseTo(4.96, 10);
  });

  it('rounds for display without float noise', () => {
    expect(round(0.1 + 0.2, 3)).toBe(0.3);
    expect(round(133.33333, 1)).toBe(133.3);
    expect(round(Number.NaN)).toBeNaN();
  });

  it('spread is (max − min) / |median| over the repeats', () => {
    expect(spread([0.55, 0.5, 0.51])).toMatchObject({ repeats: 3, min: 0.5, median: 0.51, max: 0.55 });
    expect(spread([0.55, 0.5, 0.51]).relative).toBeCloseTo(0.05 / 0.51, 12);
    expect(spread([2324, 865, 2409]).relative).toBeCloseTo((2409 - 865) / 2324, 12);
    expect(spread([7])).toEqual({ repeats: 1, min: 7, median: 7, max: 7, relative: 0 });
    expect(spread([-1, 0, 1]).relative).toBe(0);
    expect(spread([-2, -1, -1.5]).relative).toBeCloseTo(1 / 1.5, 12);
    expect(() => spread([])).toThrow(RangeError);
  });

  it('splits a sequence into consecutive, nearly equal parts', () => {
    expect(split([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([
      [1, 2, 3],
      [4, 5],
      [6, 7],
    ]);
    expect(split([1, 2, 3, 4, 5, 6], 3)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(split([1, 2], 3)).toEqual([[1], [2]]);
    expect(split([], 3)).toEqual([]);
    expect(split([1, 2, 3, 4], 1)).toEqual([[1, 2, 3, 4]]);
    expect(split([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3).flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(() => split([1], 0)).toThrow(RangeError);
  });
});
