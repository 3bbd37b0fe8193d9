/**
 * Fixed-width layout shared by receipts and end-of-day reports: a document is a list of
 * PrintLines (what to say), laid out at 32, 42 or 48 columns into StyledLines (the exact
 * characters of each printed row and how the printer should emphasise it). Plain text joins the
 * rows; ESC/POS wraps each row in its style commands. One column per character (code point):
 * receipts are Latin text, and East Asian wide characters would print two columns wide.
 */
import { formatAmount, MINUS_SIGN } from '../../common/money';

export type ReceiptWidth = 32 | 42 | 48;
export const RECEIPT_WIDTHS: readonly ReceiptWidth[] = [32, 42, 48];

/** An amount to print; formatted at layout time so a printer lacking a symbol can get the code instead. */
export interface MoneyText {
  /** Minor units; a refund is printed with a minus sign when negative is set. */
  readonly minor: number;
  readonly currency: string;
  readonly negative?: boolean;
}

export type LineStyle = 'normal' | 'bold' | 'total';

export type PrintLine =
  /** The TEST MODE mark: a framed block, reverse and double height on a printer. */
  | { readonly kind: 'banner'; readonly text: string }
  /** Centered, bold, double height (the shop name, a report's name). */
  | { readonly kind: 'title'; readonly text: string }
  | { readonly kind: 'center'; readonly text: string; readonly bold?: boolean }
  /** Left aligned, word wrapped. */
  | { readonly kind: 'text'; readonly text: string }
  /** Label on the left, value (usually an amount) right aligned. */
  | {
      readonly kind: 'pair';
      readonly label: string;
      readonly value: string | MoneyText;
      readonly style?: LineStyle;
    }
  /** Kept as given (terminal ticket lines): not reflowed, only cut at the width. */
  | { readonly kind: 'verbatim'; readonly text: string }
  | { readonly kind: 'rule'; readonly char?: '-' | '=' }
  | { readonly kind: 'blank' };

/** How a printed row is emphasised: 'title' and 'total' are bold double height, 'banner' adds reverse. */
export type RowStyle = 'normal' | 'bold' | 'title' | 'total' | 'banner';

export interface StyledLine {
  /** Exactly the characters of the row; at most `width` characters, padded for banners. */
  readonly text: string;
  readonly style: RowStyle;
}

export interface LayoutOptions {
  /** Money formatting locale (default: each currency's own, `currencyLocale` in common/money.ts). */
  readonly locale?: string;
  /**
   * Whether the output device can print this text. When a formatted amount has a character it
   * cannot (₹ on a Latin-1 printer), the amount is printed with its ISO code instead ("INR 12.50").
   */
  readonly encodable?: (text: string) => boolean;
}

// ---------------------------------------------------------------------------------------------
// Text hygiene

/**
 * Control characters (C0, DEL, C1) and bidirectional overrides removed, tabs and line breaks
 * turned into spaces, NFC. Applied to every string that reaches a receipt: a terminal ticket line
 * or a shop name carrying ESC or GS bytes would otherwise be a printer command.
 */
export function cleanText(text: string): string {
  return (
    text
      .normalize('NFC')
      .replace(/[\t\n\r\v\f]/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
  );
}

/** Spaces Intl uses inside amounts, made plain so fixed-width output has no invisible surprises. */
function plainSpaces(text: string): string {
  return text.replace(/[\u00a0\u202f\u2009\u2007]/g, ' ');
}

export function formatMoney(money: MoneyText, options: LayoutOptions = {}): string {
  const formatted = plainSpaces(formatAmount(money.minor, money.currency, options.locale));
  let text = formatted;
  if (options.encodable && !options.encodable(text)) {
    // Keep digits, separators and sign; name the currency by its code.
    const number = formatted.replace(/[^0-9.,'\s\u2212-]/g, '').trim();
    text = `${money.currency.toUpperCase()} ${number}`;
  }
  return money.negative ? `${MINUS_SIGN}${text}` : text;
}

// ---------------------------------------------------------------------------------------------
// Layout helpers

/** Words wrapped to width; a word longer than the width is cut. Never returns an empty list. */
export function wrap(text: string, width: number): string[] {
  const words = text.split(' ').filter((word) => word.length > 0);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const chars = [...word];
    if (chars.length > width) {
      if (current) lines.push(current);
      for (let i = 0; i < chars.length; i += width) lines.push(chars.slice(i, i + width).join(''));
      current = lines.pop()!;
      continue;
    }
    const candidate = current ? `${current} ${word}` : word;
    if (length(candidate) <= width) current = candidate;
    else {
      lines.push(current);
      current = word;
    }
  }
  lines.push(current);
  return lines;
}

function length(text: string): number {
  return [...text].length;
}

export function center(text: string, width: number): string {
  const free = Math.max(0, width - length(text));
  return ' '.repeat(Math.floor(free / 2)) + text;
}

/** Label left, value right on one row when both fit; else the label wrapped and the value on a row of its own. */
export function pairRows(label: string, value: string, width: number): string[] {
  const free = width - length(label) - length(value);
  if (free >= 1) return [label + ' '.repeat(free) + value];
  const rows = label ? wrap(label, width) : [];
  for (const part of wrap(value, width)) rows.push(' '.repeat(width - length(part)) + part);
  return rows;
}

/** Cut into rows of at most width characters, keeping leading spaces; trailing spaces dropped. */
export function verbatimRows(text: string, width: number): string[] {
  const chars = [...text.trimEnd()];
  if (chars.length === 0) return [''];
  const rows: string[] = [];
  for (let i = 0; i < chars.length; i += width) rows.push(chars.slice(i, i + width).join(''));
  return rows;
}

/**
 * Too long for one row, a banner breaks after its dash first, so that each row reads as a whole
 * ("TEST MODE —" / "CHARGED BY THE SHOP'S BANK" on 32 columns), and wraps from there.
 */
function bannerParts(text: string, inner: number): string[] {
  const dash = text.indexOf(' — ');
  if (length(text) <= inner || dash < 0) return wrap(text, inner);
  return [...wrap(text.slice(0, dash + 2), inner), ...wrap(text.slice(dash + 3), inner)];
}

function bannerRows(text: string, width: number): string[] {
  const inner = width - 4;
  const rows = ['*'.repeat(width)];
  for (const part of bannerParts(text, inner)) {
    const free = inner - length(part);
    const left = Math.floor(free / 2);
    rows.push(`* ${' '.repeat(left)}${part}${' '.repeat(free - left)} *`);
  }
  rows.push('*'.repeat(width));
  return rows;
}

/** Lays PrintLines out at a width. */
export function layout(lines: readonly PrintLine[], width: ReceiptWidth, options: LayoutOptions = {}): StyledLine[] {
  const out: StyledLine[] = [];
  const push = (rows: readonly string[], style: RowStyle): void => {
    for (const text of rows) out.push({ text, style });
  };
  for (const line of lines) {
    switch (line.kind) {
      case 'banner':
        push(bannerRows(cleanText(line.text), width), 'banner');
        break;
      case 'title':
        push(
          wrap(cleanText(line.text), width).map((row) => center(row, width)),
          'title',
        );
        break;
      case 'center':
        push(
          wrap(cleanText(line.text), width).map((row) => center(row, width)),
          line.bold ? 'bold' : 'normal',
        );
        break;
      case 'text':
        push(wrap(cleanText(line.text), width), 'normal');
        break;
      case 'pair': {
        const value = typeof line.value === 'string' ? cleanText(line.value) : formatMoney(line.value, options);
        push(pairRows(cleanText(line.label), value, width), line.style ?? 'normal');
        break;
      }
      case 'verbatim':
        push(verbatimRows(cleanText(line.text), width), 'normal');
        break;
      case 'rule':
        push([(line.char ?? '-').repeat(width)], 'normal');
        break;
      case 'blank':
        push([''], 'normal');
        break;
    }
  }
  return out;
}

/** Plain text: the rows, right-trimmed, each ending with a newline. */
export function toPlainText(rows: readonly StyledLine[]): string {
  return rows.map((row) => `${row.text.trimEnd()}\n`).join('');
}
