import { describe, expect, it } from 'vitest';
import { splitSchedule } from '../../main/payments/installments';

const JAN_31 = Date.parse('2026-01-31T10:00:00Z');

describe('splitSchedule: an amount in installments', () => {
  it('parts differ by at most one minor unit and add up to the amount', () => {
    // €10.01 in 3 was 3.35 + 3.33 + 3.33: the first part two cents over the others.
    expect(splitSchedule(1001, 3, JAN_31).map((e) => e.amount)).toEqual([334, 334, 333]);
    expect(splitSchedule(1003, 4, JAN_31).map((e) => e.amount)).toEqual([251, 251, 251, 250]);
    expect(splitSchedule(1000, 4, JAN_31).map((e) => e.amount)).toEqual([250, 250, 250, 250]);
    for (let amount = 200; amount <= 2_000; amount += 7) {
      for (const count of [2, 3, 4]) {
        const parts = splitSchedule(amount, count, JAN_31).map((e) => e.amount);
        expect(parts.reduce((sum, part) => sum + part, 0)).toBe(amount);
        expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
        // The larger parts first: what is paid today is never the smaller one.
        expect([...parts].sort((a, b) => b - a)).toEqual(parts);
      }
    }
  });

  it('dates the parts a month apart, on the last day of a shorter month', () => {
    expect(splitSchedule(1000, 3, JAN_31).map((e) => e.date)).toEqual(['2026-01-31', '2026-02-28', '2026-03-31']);
  });
});
