import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, csvRows, csvText, dayWindow, decimalAmount, paymentsCsv } from '../../main/reports';
import { expectGolden } from './golden';
import { DATE, TZ, dayPayments, payment, refund, sameDayCaptures, sameDayRefunds } from './report-fixtures';

/** A strict RFC 4180 reader, to check the writer against (not used by the app). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
        if (i < text.length && text[i] !== ',' && text[i] !== '\r') throw new Error(`junk after quote at ${i}`);
      } else {
        field += c;
        i++;
      }
    } else if (c === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (c === '\n' || c === '\r') {
      throw new Error(`bare line break at ${i}`);
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  if (field !== '' || row.length > 0) throw new Error('last line lacks CRLF');
  return rows;
}

describe('CSV writer', () => {
  it('quotes only what needs quoting, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('')).toBe('');
    expect(
      csvRows([
        ['a', 'b'],
        ['c,d', ''],
      ]),
    ).toBe('a,b\r\n"c,d",\r\n');
  });

  it('round-trips any fields through a strict RFC 4180 reader (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\r', '\n', ' ', '€', '=') });
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }), (rows) => {
        expect(parseCsv(csvRows(rows))).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps spreadsheet formulas as text', () => {
    expect(csvText('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    expect(csvText('+33 1 23')).toBe("'+33 1 23");
    expect(csvText('-1')).toBe("'-1");
    expect(csvText('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvText('ORD-1')).toBe('ORD-1');
    expect(csvText(null)).toBe('');
  });

  it('writes amounts as plain decimals with the currency exponent', () => {
    expect(decimalAmount(1250, 'EUR')).toBe('12.50');
    expect(decimalAmount(5, 'EUR')).toBe('0.05');
    expect(decimalAmount(-5, 'EUR')).toBe('-0.05');
    expect(decimalAmount(1250, 'JPY')).toBe('1250');
    expect(decimalAmount(1250, 'KWD')).toBe('1.250');
    expect(decimalAmount(0, 'KWD')).toBe('0.000');
  });
});

describe('day CSV export', () => {
  const window = dayWindow(DATE, TZ);

  it('has a header, one row per payment of the day and a totals row per currency', () => {
    const csv = paymentsCsv(dayPayments(), sameDayRefunds(dayPayments()), sameDayCaptures(dayPayments()), window);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const payments = rows.filter((row) => row[0] === 'payment');
    const totals = rows.filter((row) => row[0] === 'total');
    expect(payments).toHaveLength(10);
    expect(totals.map((row) => [row[5], row[6], row[7], row[8], row[9], row[10], row[11]])).toEqual([
      ['EUR', '131.88', '1.88', '81.88', '50.00', '20.50', '61.38'],
      ['JPY', '1500', '150', '1500', '0', '0', '1500'],
    ]);
    expect(rows.every((row) => row.length === CSV_COLUMNS.length)).toBe(true);
    // local time, oldest first: the 00:30 payment leads, the 23:59 one closes
    expect(payments[0]![1]).toBe('2026-03-29 00:30:00 +01:00');
    expect(payments.at(-1)![1]).toBe('2026-03-29 23:59:00 +02:00');
    expectGolden('reports/day.csv', csv);
  });

  it('lists the period’s refunds of earlier sales as rows of their own, and the columns add up to the totals', () => {
    const sale = payment({ id: 'pay_sale', createdAt: '2026-03-29T09:00:00.000Z', amount: 3000, captured: 3000 });
    const earlier = payment({ id: 'pay_earlier', orderReference: 'ORD-OLD', createdAt: '2026-03-20T09:00:00.000Z' });
    const csv = paymentsCsv(
      [sale, earlier],
      [
        refund(sale, 500, '2026-03-29T10:00:00.000Z'),
        refund(sale, 700, '2026-03-30T10:00:00.000Z'), // the next day's
        refund(earlier, 250, '2026-03-29T11:00:00.000Z'),
      ],
      sameDayCaptures([sale, earlier]),
      window,
    );
    const rows = parseCsv(csv);
    const pick = (row: string[]) => [row[0], row[2], row[3], row[10], row[11]];
    expect(rows.slice(1).map(pick)).toEqual([
      ['payment', 'pay_sale', sale.orderReference, '5.00', '25.00'],
      ['refund', 'pay_earlier', 'ORD-OLD', '2.50', '-2.50'],
      ['total', '', '', '7.50', '22.50'],
      ['moved_by', '', '', '7.50', '22.50'],
    ]);
    expect(rows[2]![1]).toBe('2026-03-29 13:00:00 +02:00');
  });

  it('lists a capture made today of an earlier authorisation as its own row: captured, and in the net', () => {
    const held = payment({
      id: 'pay_held',
      orderReference: 'ORD-HELD',
      createdAt: '2026-03-28T12:00:00.000Z', // the day before, closed with it pending capture
      status: 'succeeded',
      amount: 5000,
      captured: 5000,
    });
    const sale = payment({ id: 'pay_sale', createdAt: '2026-03-29T09:00:00.000Z', amount: 3000, captured: 3000 });
    const csv = paymentsCsv(
      [sale, held],
      [],
      [...sameDayCaptures([sale]), refund(held, 5000, '2026-03-29T10:00:00.000Z')],
      window,
    );
    const pick = (row: string[]) => [row[0], row[2], row[8], row[10], row[11]];
    expect(parseCsv(csv).slice(1).map(pick)).toEqual([
      ['payment', 'pay_sale', '30.00', '0.00', '30.00'],
      ['capture', 'pay_held', '50.00', '', '50.00'],
      ['total', '', '80.00', '0.00', '80.00'],
      ['moved_by', '', '80.00', '0.00', '80.00'],
    ]);
  });

  it('counts a tip on the day it is captured, and takes it back on the day it is refunded', () => {
    // Yesterday's authorisation of 50.00 + tip 7.50, captured today in full; today's sale of 30.00 +
    // tip 4.50 refunded in full: the tips kept today are the 7.50 captured today, none of the 4.50.
    const held = payment({
      id: 'pay_held',
      createdAt: '2026-03-28T12:00:00.000Z',
      amount: 5750,
      tip: 750,
      captured: 5750,
    });
    const sale = payment({
      id: 'pay_sale',
      amount: 3450,
      tip: 450,
      captured: 3450,
      refunded: 3450,
      status: 'refunded',
    });
    const captures = [...sameDayCaptures([sale]), { ...refund(held, 5750, '2026-03-29T10:00:00.000Z'), tip: 750 }];
    const csv = paymentsCsv([sale, held], sameDayRefunds([sale]), captures, window);
    const pick = (row: string[]) => [row[0], row[2], row[7], row[8], row[10]];
    expect(parseCsv(csv).slice(1, 4).map(pick)).toEqual([
      ['payment', 'pay_sale', '0.00', '34.50', '34.50'],
      ['capture', 'pay_held', '7.50', '57.50', ''],
      ['total', '', '7.50', '92.00', '34.50'],
    ]);
    // A Z closed before tips were counted so reads back as it counted them: every approved payment's tip.
    const before = paymentsCsv(
      [sale, held],
      sameDayRefunds([sale]),
      captures,
      window,
      undefined,
      undefined,
      undefined,
      undefined,
      'asked',
    );
    expect(parseCsv(before).slice(1, 4).map(pick)).toEqual([
      ['payment', 'pay_sale', '4.50', '34.50', '34.50'],
      ['capture', 'pay_held', '', '57.50', ''],
      ['total', '', '4.50', '92.00', '34.50'],
    ]);
  });

  it('breaks the totals down by who moved the money: each gateway, the shop’s bank terminals', () => {
    const onBank = { gateway: "Terminal (shop's bank)", movedBy: "Terminal (shop's bank)", gatewayId: null };
    const sale = payment({ id: 'pay_sale', createdAt: '2026-03-29T09:00:00.000Z', amount: 3000, captured: 3000 });
    const banked = payment({
      id: 'pay_bank',
      createdAt: '2026-03-29T10:00:00.000Z',
      amount: 2000,
      captured: 2000,
      ...onBank,
    });
    const other = payment({ id: 'pay_pp', movedBy: 'PayPlug', gateway: 'PayPlug', amount: 700, captured: 700 });
    // Yesterday's sale on the bank's terminal, refunded today: the bank's money, today.
    const earlier = payment({ id: 'pay_old', createdAt: '2026-03-20T09:00:00.000Z', ...onBank });
    const csv = paymentsCsv(
      [sale, banked, other, earlier],
      [refund(earlier, 400, '2026-03-29T11:00:00.000Z')],
      sameDayCaptures([sale, banked, other]),
      window,
    );
    const rows = parseCsv(csv);
    expect(rows.find((row) => row[0] === 'refund')![14]).toBe("Terminal (shop's bank)");
    const pick = (row: string[]) => [row[14], row[5], row[6], row[8], row[10], row[11]];
    expect(rows.filter((row) => row[0] === 'total').map(pick)).toEqual([
      ['', 'EUR', '57.00', '57.00', '4.00', '53.00'],
    ]);
    expect(rows.filter((row) => row[0] === 'moved_by').map(pick)).toEqual([
      ['PayPlug', 'EUR', '7.00', '7.00', '0.00', '7.00'],
      ['PlutoPay', 'EUR', '30.00', '30.00', '0.00', '30.00'],
      ["Terminal (shop's bank)", 'EUR', '20.00', '20.00', '4.00', '16.00'],
    ]);
    // The rows of a Z closed before it was kept say nothing of it rather than "(none)".
    const { movedBy: _a, ...oldSale } = sale;
    void _a;
    expect(paymentsCsv([oldSale], [], [], window)).not.toContain('moved_by');
  });

  it('escapes hostile text fields', () => {
    const csv = paymentsCsv(
      [payment({ orderReference: '=cmd|" /C calc"!A0', readerLabel: 'Till, "north"\nside' })],
      [],
      [],
      window,
    );
    const row = parseCsv(csv)[1]!;
    expect(row[3]).toBe('\'=cmd|" /C calc"!A0');
    expect(row[13]).toBe('Till, "north"\nside');
  });
});
