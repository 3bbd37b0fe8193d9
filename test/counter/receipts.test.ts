import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut as cutCommand, drawerKick, encodeText } from '../../drivers/printers/escpos';
import type { ReceiptInput, ReceiptWidth } from '../../main/receipts';
import {
  RECEIPT_WIDTHS,
  ReceiptInputError,
  TEST_MODE_MARK,
  TEST_MODE_SHOP_BANK_MARK,
  brandLabel,
  buildReceipt,
  escpos,
  html,
  layout,
  text,
  validateReceiptInput,
} from '../../main/receipts';
import { expectGolden, hexDump } from './golden';
import { BASE, RECEIPTS } from './receipt-fixtures';

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function count(haystack: Uint8Array, needle: Uint8Array): number {
  let n = 0;
  for (let i = indexOf(haystack, needle); i >= 0; i = indexOf(haystack, needle, i + 1)) n++;
  return n;
}

describe('receipt golden files', () => {
  for (const [name, input] of Object.entries(RECEIPTS)) {
    describe(name, () => {
      const model = buildReceipt(input);
      for (const width of RECEIPT_WIDTHS) {
        it(`text at ${width} columns`, () => {
          expectGolden(`receipts/${name}.w${width}.txt`, text(model, width));
        });
      }
      it('ESC/POS bytes (42 columns, partial cut)', () => {
        expectGolden(`receipts/${name}.escpos.hex`, hexDump(escpos(model)));
      });
      it('HTML document', () => {
        expectGolden(`receipts/${name}.html`, html(model));
      });
    });
  }
});

describe('receipt text', () => {
  it('never exceeds the width and right-aligns amounts', () => {
    for (const input of Object.values(RECEIPTS)) {
      for (const width of RECEIPT_WIDTHS) {
        const rows = text(buildReceipt(input), width).split('\n');
        for (const row of rows) expect([...row].length).toBeLessThanOrEqual(width);
        const total = rows.find((row) => /^(TOTAL|AUTHORISED) /.test(row));
        expect(total, `${width}`).toBeDefined();
        expect([...total!].length).toBe(width);
      }
    }
  });

  it('formats money with the currency exponent (JPY 0, KWD 3 decimals)', () => {
    const jpy = text(buildReceipt({ ...BASE, currency: 'JPY', amount: 1250, total: 1250 }), 32);
    expect(jpy).toMatch(/^TOTAL +¥1,250$/m);
    const kwd = text(buildReceipt({ ...BASE, currency: 'KWD', amount: 1250, tip: 125, total: 1375 }), 32);
    expect(kwd).toMatch(/^Amount +KWD 1\.250$/m);
    expect(kwd).toMatch(/^Tip +KWD 0\.125$/m);
    expect(kwd).toMatch(/^TOTAL +KWD 1\.375$/m);
  });

  it('shows the tip percentage, or just "Tip" for a custom amount', () => {
    expect(text(buildReceipt(RECEIPTS.tip!), 32)).toMatch(/^Tip \(15%\) +€1\.88$/m);
    expect(text(buildReceipt({ ...BASE, tip: 300, total: 1550 }), 32)).toMatch(/^Tip +€3\.00$/m);
    expect(text(buildReceipt({ ...BASE, tip: 125, tipPercent: 12.5, total: 1375 }), 32)).toMatch(/Tip \(12\.5%\)/);
  });

  it('prints the local time with its offset, across the DST change', () => {
    // 2026-03-29 00:30 UTC is 01:30 CET; 12:05 UTC is 14:05 CEST.
    expect(text(buildReceipt({ ...BASE, createdAt: '2026-03-29T00:30:00Z' }), 42)).toMatch(
      /^Date +2026-03-29 01:30 \+01:00$/m,
    );
    expect(text(buildReceipt(BASE), 42)).toMatch(/^Date +2026-03-29 14:05 \+02:00$/m);
  });

  it('wraps long values under their label instead of overflowing', () => {
    const rows = text(buildReceipt({ ...BASE, orderReference: 'ORDER-WITH-A-VERY-LONG-REFERENCE-1234' }), 32).split(
      '\n',
    );
    const at = rows.indexOf('Order');
    expect(rows.slice(at, at + 3)).toEqual(['Order', 'ORDER-WITH-A-VERY-LONG-REFERENCE', `${' '.repeat(27)}-1234`]);
  });

  it('says the customer was not charged on a declined or canceled receipt', () => {
    const declined = text(buildReceipt(RECEIPTS.declined!), 42);
    expect(declined).toContain('DECLINED');
    expect(declined).toContain('Reason: Insufficient funds\n(insufficient_funds)\n');
    expect(declined).toContain('NO MONEY WAS TAKEN');
    expect(text(buildReceipt(RECEIPTS.canceled!), 42)).toContain('NO MONEY WAS TAKEN');
  });

  it('lists refunds, the refunded sum and the net', () => {
    const partial = text(buildReceipt(RECEIPTS['partially-refunded']!), 42);
    expect(partial).toMatch(/^Refund 2026-03-29 15:10 +−€5\.00$/m);
    expect(partial).toMatch(/^Refund 2026-03-29 17:45 +−€7\.50$/m);
    expect(partial).toMatch(/^Refunded +−€12\.50$/m);
    expect(partial).toMatch(/^NET +€29\.50$/m);
    // refund references only on the merchant copy
    expect(partial).not.toContain('re_3Lb8');
    expect(text(buildReceipt({ ...RECEIPTS['partially-refunded']!, copy: 'merchant' }), 42)).toContain('re_3Lb8');
  });

  it('gives a refund its own offset when it differs from the payment’s: the autumn night’s hour twice', () => {
    // Found hunting: a payment at 02:10 +02:00 on 2026-10-25 (Paris), refunded an hour later at 02:10
    // again (+01:00) and at 09:00: the rows printed "02:10" and "09:00" under a Date of +02:00, so the
    // first refund read as made when the payment was, the second an hour off.
    const night = text(
      buildReceipt({
        ...RECEIPTS['partially-refunded']!,
        createdAt: '2026-10-25T00:10:00Z',
        refunds: [
          { amount: 500, at: '2026-10-25T00:40:00Z', reference: 're_1' },
          { amount: 250, at: '2026-10-25T01:10:00Z', reference: 're_2' },
          { amount: 250, at: '2026-10-25T08:00:00Z', reference: 're_3' },
        ],
      }),
      48,
    );
    expect(night).toMatch(/^Date +2026-10-25 02:10 \+02:00$/m);
    expect(night).toMatch(/^Refund 2026-10-25 02:40 +−€5\.00$/m);
    expect(night).toMatch(/^Refund 2026-10-25 02:10 \+01:00 +−€2\.50$/m);
    expect(night).toMatch(/^Refund 2026-10-25 09:00 \+01:00 +−€2\.50$/m);
  });

  it('keeps terminal ticket lines as sent, leading spaces included', () => {
    const out = text(buildReceipt(RECEIPTS['terminal-ticket']!), 32);
    expect(out).toContain('TERMINAL TICKET');
    expect(out).toContain('\n      CARTE BANCAIRE\n');
    expect(out).toContain('\nMONTANT REEL = 12,50 EUR\n');
  });

  it('marks a copy and a duplicate', () => {
    expect(text(buildReceipt(BASE), 32)).toContain('CUSTOMER COPY');
    expect(text(buildReceipt({ ...BASE, copy: 'merchant', duplicate: true }), 32)).toMatch(
      /MERCHANT COPY\n +DUPLICATE/,
    );
  });

  it('names card brands for people', () => {
    expect(brandLabel('visa')).toBe('VISA');
    expect(brandLabel('cartes_bancaires')).toBe('CB');
    expect(brandLabel('some_new-brand')).toBe('Some New Brand');
  });
});

describe('TEST MODE mark', () => {
  const model = buildReceipt(RECEIPTS['test-mode']!);

  it('frames the top and bottom of the text at every width', () => {
    for (const width of RECEIPT_WIDTHS) {
      const rows = text(model, width).trimEnd().split('\n');
      expect(rows[0]).toBe('*'.repeat(width));
      expect(rows[1]).toContain(TEST_MODE_MARK);
      expect(rows.at(-1)).toBe('*'.repeat(width));
      expect(rows.at(-2)).toContain(TEST_MODE_MARK);
    }
  });

  it('prints reverse, bold and double height on the printer, top and bottom', () => {
    const bytes = escpos(model);
    const mark = encodeText(TEST_MODE_MARK);
    expect(count(bytes, mark)).toBe(2);
    const on = Uint8Array.of(0x1d, 0x42, 0x01, 0x1b, 0x45, 0x01, 0x1d, 0x21, 0x01);
    const first = indexOf(bytes, mark);
    const styleBefore = bytes.lastIndexOf(0x42, first);
    expect(indexOf(bytes, on, styleBefore - 1)).toBe(styleBefore - 1);
    // the em dash survives in code page 16
    expect(mark).toContain(0x97);
  });

  it('is a banner and a watermark in HTML, and in the title', () => {
    const doc = html(model);
    expect(doc.match(/<div class="test-banner" role="note">TEST MODE — NO MONEY MOVED<\/div>/g)).toHaveLength(2);
    expect(doc).toContain('<body class="test-mode">');
    expect(doc).toContain('<title>TEST MODE – Receipt ORD-2026-0042 (customer copy)</title>');
  });

  it("says CHARGED BY THE SHOP'S BANK, never NO MONEY MOVED, for a real terminal on the shop's bank", () => {
    const bank = buildReceipt(RECEIPTS['test-mode-shop-bank']!);
    expect(TEST_MODE_SHOP_BANK_MARK).toBe("TEST MODE — CHARGED BY THE SHOP'S BANK");
    for (const width of RECEIPT_WIDTHS) {
      const out = text(bank, width);
      expect(out).not.toContain('NO MONEY MOVED');
      const rows = out.trimEnd().split('\n');
      for (const row of rows) expect([...row].length).toBeLessThanOrEqual(width);
      // One row from 42 columns; on 32 it breaks after the dash, each row a whole phrase.
      const banner = width === 32 ? ['TEST MODE —', "CHARGED BY THE SHOP'S BANK"] : [TEST_MODE_SHOP_BANK_MARK];
      const framed = banner.map((part) => {
        const free = width - 4 - [...part].length;
        return `* ${' '.repeat(Math.floor(free / 2))}${part}${' '.repeat(free - Math.floor(free / 2))} *`;
      });
      const star = '*'.repeat(width);
      expect(rows.slice(0, banner.length + 2)).toEqual([star, ...framed, star]);
      expect(rows.slice(-(banner.length + 2))).toEqual([star, ...framed, star]);
    }
    expect(count(escpos(bank), encodeText(TEST_MODE_SHOP_BANK_MARK))).toBe(2);
    expect(indexOf(escpos(bank), encodeText('NO MONEY MOVED'))).toBe(-1);
    const doc = html(bank);
    expect(
      doc.match(/<div class="test-banner" role="note">TEST MODE — CHARGED BY THE SHOP&#39;S BANK<\/div>/g),
    ).toHaveLength(2);
    expect(doc).not.toContain('NO MONEY MOVED');
  });

  it("keeps NO MONEY MOVED for a simulated terminal on the shop's bank, and no mark in live mode", () => {
    const simulated = buildReceipt({ ...RECEIPTS['test-mode-shop-bank']!, shopBankTerminal: false });
    expect(text(simulated, 42)).toContain(TEST_MODE_MARK);
    expect(text(simulated, 42)).not.toContain(TEST_MODE_SHOP_BANK_MARK);
    const live = buildReceipt({ ...RECEIPTS['test-mode-shop-bank']!, testMode: false });
    expect(text(live, 42)).not.toContain('TEST MODE');
  });

  it('is absent in live mode', () => {
    const live = buildReceipt(BASE);
    expect(text(live, 42)).not.toContain('TEST MODE');
    expect(html(live)).not.toContain('TEST MODE');
    expect(indexOf(escpos(live), encodeText('TEST MODE'))).toBe(-1);
  });
});

describe('receipt ESC/POS', () => {
  const model = buildReceipt(RECEIPTS.tip!);

  it('initialises, selects code page 16, cuts, and kicks the drawer only when asked', () => {
    const bytes = escpos(model);
    expect([...bytes.subarray(0, 5)]).toEqual([0x1b, 0x40, 0x1b, 0x74, 16]);
    expect([...bytes.subarray(-6)]).toEqual([0x1b, 0x64, 4, 0x1d, 0x56, 1]);
    expect(indexOf(bytes, Uint8Array.of(0x1b, 0x70))).toBe(-1);
    const kicked = escpos(model, { drawerKick: true, cut: 'full' });
    expect([...kicked.subarray(-8)]).toEqual([0x1d, 0x56, 0, 0x1b, 0x70, 0, 25, 250]);
    const pin5 = escpos(model, { drawerKick: { pin: 5, onMs: 100, offMs: 200 }, cut: 'none' });
    expect([...pin5.subarray(-8)]).toEqual([0x1b, 0x64, 4, 0x1b, 0x70, 1, 50, 100]);
    expect(indexOf(pin5, cutCommand('partial'))).toBe(-1);
  });

  it('prints the total bold and double height', () => {
    const bytes = escpos(model);
    const total = indexOf(bytes, encodeText('TOTAL'));
    expect([...bytes.subarray(total - 6, total)]).toEqual([0x1b, 0x45, 0x01, 0x1d, 0x21, 0x01]);
  });

  it('encodes € and accents in WPC1252', () => {
    const bytes = escpos(model);
    expect(indexOf(bytes, Uint8Array.of(0x43, 0x61, 0x66, 0xe9))).toBeGreaterThan(0); // "Café"
    expect(indexOf(bytes, Uint8Array.of(0x80, 0x31, 0x34, 0x2e, 0x33, 0x38))).toBeGreaterThan(0); // "€14.38"
  });

  it('names the currency by its code when the printer lacks the symbol', () => {
    const inr = buildReceipt({ ...BASE, currency: 'INR' });
    expect(text(inr, 32)).toMatch(/^TOTAL +₹12\.50$/m);
    const bytes = escpos(inr, { width: 32 });
    expect(indexOf(bytes, encodeText('INR 12.50'))).toBeGreaterThan(0);
    expect(indexOf(bytes, Uint8Array.of(0x3f, 0x31, 0x32))).toBe(-1); // no "?12"
  });

  it('writes rupees in lakhs, up to Plural’s ₹10,00,000.00, in text, HTML and on paper (with the code)', () => {
    const inr = buildReceipt({
      ...BASE,
      currency: 'INR',
      amount: 100_000_000,
      total: 100_000_000,
      status: { kind: 'partially_refunded' },
      refunds: [{ amount: 5_000, at: '2026-03-29T13:10:00.000Z' }],
    });
    const shown = text(inr, 32);
    expect(shown).toMatch(/^TOTAL +₹10,00,000\.00$/m);
    expect(shown).toMatch(/^NET +₹9,99,950\.00$/m);
    expect(html(inr)).toContain('₹10,00,000.00');
    expect(indexOf(escpos(inr, { width: 32 }), encodeText('INR 10,00,000.00'))).toBeGreaterThan(0);
    // EUR keeps its thousands.
    expect(text(buildReceipt({ ...BASE, amount: 100_000_000, total: 100_000_000 }), 32)).toMatch(
      /^TOTAL +€1,000,000\.00$/m,
    );
  });

  it('never lets a control character from the input reach the printer', () => {
    const hostile: ReceiptInput = {
      ...BASE,
      shop: { name: 'Shop\x1bp\x00\x19\xfa', addressLines: ['\x1d\x56\x00cut'] },
      orderReference: 'ORD\x10\x04\x01',
      terminalLines: ['\x1b@ reset', 'tab\there\r\nnewline', '\u009b\u202eevil'],
    };
    const bytes = escpos(buildReceipt(hostile), { drawerKick: false, cut: 'none' });
    // the only ESC/GS/DLE bytes are the renderer's own commands
    const framing = escpos(buildReceipt({ ...BASE, terminalLines: ['x'] }), { cut: 'none' });
    expect(indexOf(bytes, Uint8Array.of(0x1b, 0x70))).toBe(-1);
    expect(indexOf(bytes, Uint8Array.of(0x10, 0x04))).toBe(-1);
    expect(count(bytes, Uint8Array.of(0x1b, 0x40))).toBe(1);
    expect(count(bytes, Uint8Array.of(0x1d, 0x56))).toBe(0);
    expect(count(framing, Uint8Array.of(0x1b))).toBeGreaterThan(0);
    const out = text(buildReceipt(hostile), 42);
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(out).toContain('tab here  newline');
  });

  it('lays out any receipt within the width (property)', () => {
    const printable = fc.string({
      unit: fc.constantFrom('a', 'B', ' ', '-', 'é', '€', '\x1b', '\n', 'W'),
      maxLength: 80,
    });
    fc.assert(
      fc.property(
        printable,
        printable,
        fc.array(printable, { maxLength: 4 }),
        fc.constantFrom<ReceiptWidth>(32, 42, 48),
        fc.integer({ min: 1, max: 99_999_999 }),
        (name, reference, terminalLines, width, amount) => {
          const input: ReceiptInput = {
            ...BASE,
            shop: { name: `${name}x`, addressLines: [reference] },
            orderReference: reference,
            amount,
            total: amount,
            terminalLines,
          };
          for (const row of layout(buildReceipt(input).lines, width)) {
            expect([...row.text].length).toBeLessThanOrEqual(width);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('receipt HTML', () => {
  it('is a complete, script-free document sized for 80 mm paper', () => {
    const doc = html(buildReceipt(RECEIPTS['terminal-ticket']!));
    expect(doc.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(doc.trimEnd().endsWith('</html>')).toBe(true);
    expect(doc).toContain('<meta charset="utf-8">');
    expect(doc).toContain("default-src 'none'");
    expect(doc).toContain('@page { size: 80mm auto; margin: 0; }');
    expect(doc).not.toMatch(/<script|javascript:|https?:\/\/|src=/i);
    expect(doc).toContain('<pre class="terminal">      CARTE BANCAIRE\n');
  });

  it('escapes everything that comes from input', () => {
    const doc = html(
      buildReceipt({
        ...BASE,
        shop: { name: '<script>alert(1)</script>', addressLines: ['"quoted" & \'single\''] },
        orderReference: '<img src=x onerror=alert(1)>',
        terminalLines: ['</pre><script>x</script>'],
      }),
    );
    expect(doc).not.toContain('<script>');
    expect(doc).not.toContain('<img');
    expect(doc).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(doc).toContain('&quot;quoted&quot; &amp; &#39;single&#39;');
    expect(doc).toContain('&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;');
  });
});

describe('receipt input validation', () => {
  it('accepts every fixture', () => {
    for (const input of Object.values(RECEIPTS)) expect(validateReceiptInput(input)).toEqual([]);
  });

  it('refuses inconsistent amounts and statuses, listing every problem', () => {
    const bad: ReceiptInput = {
      ...BASE,
      currency: 'XXX',
      timeZone: 'Mars/Olympus',
      tip: 100,
      total: 1250,
      status: { kind: 'refunded' },
      card: { brand: 'visa', last4: '12' },
    };
    const problems = validateReceiptInput(bad);
    expect(problems).toEqual([
      'unknown currency "XXX"',
      'unknown time zone "Mars/Olympus"',
      'total 1250 is not amount 1250 + tip 100',
      'a refunded payment needs refunds equal to the total',
      'card last4 must be four digits',
    ]);
    expect(() => buildReceipt(bad)).toThrow(ReceiptInputError);
  });

  it('refuses refunds above the total or on a payment that was never charged', () => {
    expect(
      validateReceiptInput({
        ...BASE,
        status: { kind: 'partially_refunded' },
        refunds: [{ amount: 2000, at: '2026-03-29T13:00:00Z' }],
      }),
    ).toContain('refunds (2000) exceed the total (1250)');
    expect(
      validateReceiptInput({
        ...BASE,
        status: { kind: 'declined', reason: 'x' },
        refunds: [{ amount: 100, at: '2026-03-29T13:00:00Z' }],
      }),
    ).toContain('a declined payment cannot have refunds');
    expect(validateReceiptInput({ ...BASE, status: { kind: 'partially_refunded' } })).toContain(
      'a partially refunded payment needs refunds above zero and below the total',
    );
  });
});

describe('drawer kick bounds', () => {
  it('refuses pulse times the command cannot carry', () => {
    expect(() => drawerKick({ onMs: 1 })).toThrow(RangeError);
    expect(() => drawerKick({ offMs: 600 })).toThrow(RangeError);
  });
});
