import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAmount, MAX_AMOUNT_MINOR } from '../../common/money';
import { TipChoiceSchema } from '../../common/contract/commands';
import {
  computeTip,
  MAX_TIP_PERCENT,
  parseTipAmount,
  parseTipPresets,
  TIP_PRESETS,
  tipForPercent,
  tipOptions,
} from '../../common/tips';

describe('tip presets', () => {
  it('offers 10, 15 and 20 %', () => {
    expect(TIP_PRESETS).toEqual([10, 15, 20]);
  });

  it('computes each preset on the pre-tip amount (EUR, 2 decimals)', () => {
    // €12.50: 10 % = 1.25, 15 % = 1.875 → 1.88 (half up), 20 % = 2.50
    expect(tipOptions(1250, 'EUR')).toEqual([
      { percent: 10, tip: 125, total: 1375 },
      { percent: 15, tip: 188, total: 1438 },
      { percent: 20, tip: 250, total: 1500 },
    ]);
  });

  it('rounds to whole yen (JPY, 0 decimals)', () => {
    // ¥1,234: 10 % = 123.4 → 123, 15 % = 185.1 → 185, 20 % = 246.8 → 247
    expect(tipOptions(1234, 'JPY').map((o) => o.tip)).toEqual([123, 185, 247]);
    expect(formatAmount(tipForPercent(1234, 15, 'JPY'), 'JPY')).toBe('¥185');
    // ¥5 at 10 % = 0.5 → 1 (half up)
    expect(tipForPercent(5, 10, 'jpy')).toBe(1);
  });

  it('rounds to the fils (KWD, 3 decimals)', () => {
    // KWD 1.235 = 1235 fils: 15 % = 185.25 → 185; 10 % = 123.5 → 124 (half up)
    expect(tipForPercent(1235, 15, 'KWD')).toBe(185);
    expect(tipForPercent(1235, 10, 'KWD')).toBe(124);
    expect(formatAmount(124, 'KWD')).toMatch(/KWD\s0\.124/);
  });

  it('rounds exactly half up, never down, at the half', () => {
    expect(tipForPercent(5, 10, 'EUR')).toBe(1); // 0.5 cent
    expect(tipForPercent(15, 10, 'EUR')).toBe(2); // 1.5 cents
    expect(tipForPercent(25, 10, 'EUR')).toBe(3); // 2.5 cents (not banker's 2)
    expect(tipForPercent(4, 10, 'EUR')).toBe(0); // 0.4 cent
  });

  it('takes fractional percentages with up to two decimals', () => {
    expect(tipForPercent(10_000, 12.5, 'EUR')).toBe(1250);
    expect(tipForPercent(10_000, 12.25, 'EUR')).toBe(1225);
    expect(computeTip(10_000, 'EUR', { kind: 'percent', percent: 12.345 })).toEqual({
      ok: false,
      error: 'a tip percentage has at most two decimals (0.01 % at the finest)',
    });
    expect(tipForPercent(10_000, 0.29, 'EUR')).toBe(29);
    expect(tipForPercent(10_000, 0.01, 'EUR')).toBe(1);
  });

  it('refuses a percentage finer than the tip screens offer, however close to a whole one', () => {
    // Found hunting: 1e-9 was taken as 0.00 % (a tolerance on the hundredths), and stored as chosen.
    for (const percent of [1e-9, 10 + 1e-9, 0.001, 99.999]) {
      expect(computeTip(10_000, 'EUR', { kind: 'percent', percent })).toEqual({
        ok: false,
        error: 'a tip percentage has at most two decimals (0.01 % at the finest)',
      });
      expect(TipChoiceSchema.safeParse({ kind: 'percent', percent }).success).toBe(false);
    }
    expect(TipChoiceSchema.safeParse({ kind: 'percent', percent: 12.5 }).success).toBe(true);
  });

  it('matches exact rational arithmetic for any amount and percentage (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9_000_000 }), fc.integer({ min: 0, max: 10_000 }), (base, bp) => {
        const tip = tipForPercent(base, bp / 100, 'EUR');
        // half up: tip = floor(base*bp/10000 + 1/2), in exact BigInt arithmetic
        const exact = (BigInt(base) * BigInt(bp) * 2n + 10_000n) / 20_000n;
        expect(BigInt(tip)).toBe(exact);
      }),
    );
  });
});

describe('tip presets as typed in Settings', () => {
  it('reads percentages separated by commas, semicolons or spaces, with or without %', () => {
    expect(parseTipPresets('10, 15, 20')).toEqual({ ok: true, presets: [10, 15, 20] });
    expect(parseTipPresets(' 12.5%; 18 % 20 ')).toEqual({ ok: true, presets: [12.5, 18, 20] });
  });

  it('refuses, with the reason, what it would otherwise drop, reread or repeat', () => {
    const error = (text: string) => {
      const parsed = parseTipPresets(text);
      return parsed.ok ? null : parsed.error;
    };
    expect(error('10,,20')).toMatch(/missing between two commas/);
    expect(error('10, 15,')).toMatch(/missing between two commas/);
    expect(error('1e1')).toBe('"1e1" is not a percentage: type digits, e.g. 10 or 12.5.');
    expect(error('0x10')).toMatch(/not a percentage/);
    expect(error('5, 5, 5')).toBe('5 % is there twice: each preset once.');
    expect(error('10, 10.0')).toMatch(/10 % is there twice/);
    expect(error('0')).toMatch(/above 0/);
    expect(error('150')).toMatch(/at most 100 %/);
    expect(error('12.345')).toMatch(/two decimals/);
    expect(error('5, 10, 15, 20, 25')).toBe('At most 4 presets.');
    expect(error('  ')).toMatch(/at least one/);
  });
});

describe('tip choices and validation', () => {
  it('no tip leaves the total alone', () => {
    expect(computeTip(1250, 'EUR', { kind: 'none' })).toEqual({ ok: true, tip: 0, total: 1250, percent: null });
  });

  it('a custom amount is taken as is, even above 100 %', () => {
    expect(computeTip(1000, 'EUR', { kind: 'custom', amount: 300 })).toEqual({
      ok: true,
      tip: 300,
      total: 1300,
      percent: null,
    });
    expect(computeTip(100, 'EUR', { kind: 'custom', amount: 500 })).toMatchObject({ ok: true, total: 600 });
    expect(computeTip(100, 'EUR', { kind: 'custom', amount: 0 })).toMatchObject({ ok: true, tip: 0 });
  });

  it('refuses negative tips', () => {
    expect(computeTip(1000, 'EUR', { kind: 'custom', amount: -1 })).toMatchObject({ ok: false });
    expect(computeTip(1000, 'EUR', { kind: 'percent', percent: -5 })).toMatchObject({ ok: false });
  });

  it(`refuses a percentage above ${MAX_TIP_PERCENT} % but accepts exactly ${MAX_TIP_PERCENT} %`, () => {
    expect(computeTip(1000, 'EUR', { kind: 'percent', percent: 100.01 })).toMatchObject({ ok: false });
    expect(computeTip(1000, 'EUR', { kind: 'percent', percent: 100 })).toMatchObject({ ok: true, tip: 1000 });
  });

  it('refuses non-integer or non-finite inputs', () => {
    expect(computeTip(1000, 'EUR', { kind: 'custom', amount: 1.5 })).toMatchObject({ ok: false });
    expect(computeTip(1000, 'EUR', { kind: 'percent', percent: Number.NaN })).toMatchObject({ ok: false });
    expect(computeTip(12.5, 'EUR', { kind: 'none' })).toMatchObject({ ok: false });
    expect(computeTip(0, 'EUR', { kind: 'none' })).toMatchObject({ ok: false });
    expect(() => tipForPercent(1000, 101, 'EUR')).toThrow(RangeError);
  });

  it('refuses an unknown currency', () => {
    expect(computeTip(1000, 'XXX', { kind: 'none' })).toEqual({ ok: false, error: 'unknown currency "XXX"' });
  });

  it('refuses a total above the largest amount any layer accepts, saying it in money', () => {
    expect(computeTip(MAX_AMOUNT_MINOR - 1, 'EUR', { kind: 'custom', amount: 1 })).toMatchObject({ ok: true });
    // Found in a defect hunt: the cashier typing a tip read "at most 100000000 minor units".
    for (const currency of ['USD', 'JPY', 'KWD']) {
      expect(computeTip(MAX_AMOUNT_MINOR, currency, { kind: 'custom', amount: 1 })).toEqual({
        ok: false,
        error: `the total with tip must be at most ${formatAmount(MAX_AMOUNT_MINOR, currency)}`,
      });
      expect(computeTip(MAX_AMOUNT_MINOR - 10, currency, { kind: 'percent', percent: 20 })).toMatchObject({
        ok: false,
        error: expect.not.stringMatching(/minor units/),
      });
    }
    expect(computeTip(MAX_AMOUNT_MINOR, 'USD', { kind: 'custom', amount: 1 })).toMatchObject({
      error: 'the total with tip must be at most $1,000,000.00',
    });
  });
});

describe('custom tip input', () => {
  it('parses major units with the currency decimals', () => {
    expect(parseTipAmount('2.50', 'EUR')).toEqual({ ok: true, minor: 250 });
    expect(parseTipAmount('200', 'JPY')).toEqual({ ok: true, minor: 200 });
    expect(parseTipAmount('0.125', 'KWD')).toEqual({ ok: true, minor: 125 });
  });

  it('accepts zero as no tip', () => {
    expect(parseTipAmount('0', 'EUR')).toEqual({ ok: true, minor: 0 });
    expect(parseTipAmount(' 0.00 ', 'EUR')).toEqual({ ok: true, minor: 0 });
  });

  it('refuses too many decimals, negatives and junk', () => {
    expect(parseTipAmount('1.5', 'JPY')).toMatchObject({ ok: false, error: 'JPY has 0 decimal places' });
    expect(parseTipAmount('0.000', 'EUR')).toMatchObject({ ok: false });
    expect(parseTipAmount('-1', 'EUR')).toMatchObject({ ok: false });
    expect(parseTipAmount('abc', 'EUR')).toMatchObject({ ok: false });
    expect(parseTipAmount('', 'EUR')).toMatchObject({ ok: false });
    expect(parseTipAmount('1', 'XXX')).toMatchObject({ ok: false });
  });
});
