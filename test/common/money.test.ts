/** Amounts as people paste them (common/money.ts parseMajorAmount): read exactly, or refused. */
import { describe, expect, it } from 'vitest';
import { formatAmount, parseMajorAmount } from '../../common/money';

const minor = (text: string, currency = 'EUR') => {
  const parsed = parseMajorAmount(text, currency);
  return parsed.ok ? parsed.minor : parsed.error;
};

describe('parseMajorAmount', () => {
  it('reads a decimal point or a decimal comma', () => {
    expect(minor('12.50')).toBe(1250);
    expect(minor('12,50')).toBe(1250);
    expect(minor('12,5')).toBe(1250);
    expect(minor('12')).toBe(1200);
    expect(minor('0.01')).toBe(1);
  });

  it('drops the currency sign or code around the number', () => {
    expect(minor('€12.50')).toBe(1250);
    expect(minor('12,50 €')).toBe(1250);
    expect(minor('EUR 12.50')).toBe(1250);
    expect(minor('$1,234.50', 'USD')).toBe(123450);
    expect(minor('₹ 1,00,000', 'INR')).toBe(10_000_000);
    expect(minor('¥1,234', 'JPY')).toBe(1234);
  });

  it('removes thousands grouping in the usual styles', () => {
    expect(minor('1,234')).toBe(123400);
    expect(minor('1,234,567.89', 'USD')).toBe('amount must be at most 100000000 minor units');
    expect(minor('123,456.78')).toBe(12345678);
    expect(minor('1.234,56')).toBe(123456);
    expect(minor('1.234.567', 'JPY')).toBe(1234567);
    expect(minor('1,234,567', 'JPY')).toBe(1234567);
    expect(minor('1 234,56')).toBe(123456);
    expect(minor('1\u00a0234,56')).toBe(123456);
    expect(minor('1\u202f234,56')).toBe(123456);
    expect(minor("1'234.50")).toBe(123450);
  });

  it('reads rupees in lakhs as the app writes them, and only rupees', () => {
    expect(minor('₹10,00,000.00', 'INR')).toBe(100_000_000);
    expect(minor('₹1,23,456.78', 'INR')).toBe(12_345_678);
    expect(minor('₹1,000,000.00', 'INR')).toBe(100_000_000);
    expect(minor('1,00,000')).toBe('"1,00,000" is not an amount');
    expect(minor('1,00,00', 'INR')).toBe('"1,00,00" is not an amount');
    expect(minor('12,34,5678', 'INR')).toBe('"12,34,5678" is not an amount');
  });

  it('refuses negatives, junk, misplaced groups and more decimals than the currency has', () => {
    expect(minor('-12.50')).toBe('"-12.50" is not an amount');
    expect(minor('(12.50)')).toBe('"(12.50)" is not an amount');
    expect(minor('12€50')).toBe('"12€50" is not an amount');
    expect(minor('12 50')).toBe('"12 50" is not an amount');
    expect(minor('12,345,67')).toBe('"12,345,67" is not an amount');
    expect(minor('1,23.45')).toBe('"1,23.45" is not an amount');
    expect(minor('abc')).toBe('"abc" is not an amount');
    expect(minor('')).toBe('"" is not an amount');
    expect(minor('12.505')).toBe('EUR has 2 decimal places');
    expect(minor('1.234')).toBe('EUR has 2 decimal places');
    expect(minor('12,5', 'JPY')).toBe('JPY has 0 decimal places');
    expect(minor('0,00')).toBe('amount must be greater than zero');
  });
});

describe('formatAmount', () => {
  it('writes rupees in lakhs (₹10,00,000.00), other currencies in thousands', () => {
    expect(formatAmount(100_000_000, 'INR')).toBe('₹10,00,000.00');
    expect(formatAmount(12_345_678, 'INR')).toBe('₹1,23,456.78');
    expect(formatAmount(28_000, 'INR')).toBe('₹280.00');
    expect(formatAmount(100_000_000, 'EUR')).toBe('€1,000,000.00');
    expect(formatAmount(123_456, 'JPY')).toBe('¥123,456');
    // Asked for a locale, it is used.
    expect(formatAmount(100_000_000, 'INR', 'en-US')).toBe('₹1,000,000.00');
  });

  it('writes a negative amount with the minus sign, in every locale, as the corrections do', () => {
    // Found in a cashier-day hunt: "-₹250.00" with a hyphen in some places, "−" in others.
    expect(formatAmount(-25_000, 'INR')).toBe('\u2212₹250.00');
    expect(formatAmount(-1250, 'EUR')).toBe('\u2212€12.50');
    expect(formatAmount(-1250, 'EUR', 'de-DE')).toMatch(/^\u221212,50\s€$/);
    expect(formatAmount(-1250, 'EUR')).not.toContain('-');
  });

  it('reads back what it writes', () => {
    for (const [minorUnits, currency] of [
      [100_000_000, 'INR'],
      [12_345_678, 'INR'],
      [99_999_999, 'EUR'],
    ] as const)
      expect(minor(formatAmount(minorUnits, currency), currency)).toBe(minorUnits);
  });
});
