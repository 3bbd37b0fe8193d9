/**
 * ESC/POS bytes for a receipt (or any laid-out document, such as an X/Z report): initialise,
 * select code page 16 (WPC1252), each row with its emphasis, feed, cut, and optionally pulse the
 * cash drawer. The bytes are what drivers/printers/printer.ts writes to the serial port.
 */
import type { CutMode, DrawerKick } from '../../drivers/printers/escpos';
import {
  CODE_PAGE_WPC1252,
  LF,
  bold,
  characterSize,
  concatBytes,
  cut,
  drawerKick,
  encodeText,
  feedLines,
  initialize,
  isCp1252Encodable,
  reverse,
  selectCodePage,
} from '../../drivers/printers/escpos';
import type { PrintLine, ReceiptWidth, RowStyle, StyledLine } from './layout';
import { layout } from './layout';
import type { ReceiptModel } from './types';

export interface EscPosOptions {
  /** Columns of the printer's font on its paper: 42 (80 mm, 512 dots) by default; 48 on 576-dot heads, 32 on 58 mm. */
  readonly width?: ReceiptWidth;
  /** Default 'partial'; 'none' for printers without a cutter. */
  readonly cut?: CutMode | 'none';
  /** Lines fed before the cut so the last row clears the cutter. Default 4. */
  readonly feedBeforeCut?: number;
  /** Pulse the cash drawer after the cut (true: pin 2, 50 ms on, 500 ms off). Default none. */
  readonly drawerKick?: DrawerKick | boolean;
  /** Money formatting locale; default the model's, else each currency's own (`common/money.ts`). */
  readonly locale?: string;
}

export const DEFAULT_ESCPOS_WIDTH: ReceiptWidth = 42;

const STYLE_ON: Record<RowStyle, Uint8Array> = {
  normal: new Uint8Array(0),
  bold: bold(true),
  title: concatBytes([bold(true), characterSize(2)]),
  total: concatBytes([bold(true), characterSize(2)]),
  banner: concatBytes([reverse(true), bold(true), characterSize(2)]),
};

const STYLE_OFF: Record<RowStyle, Uint8Array> = {
  normal: new Uint8Array(0),
  bold: bold(false),
  title: concatBytes([characterSize(1), bold(false)]),
  total: concatBytes([characterSize(1), bold(false)]),
  banner: concatBytes([characterSize(1), bold(false), reverse(false)]),
};

/** Encodes laid-out rows, with the job framing (init, code page, feed, cut, drawer). */
export function encodeRows(rows: readonly StyledLine[], options: EscPosOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [initialize(), selectCodePage(CODE_PAGE_WPC1252)];
  for (const row of rows) {
    // Reverse rows keep their padding so the black band spans the paper; others lose trailing blanks.
    const text = row.style === 'banner' ? row.text : row.text.trimEnd();
    parts.push(STYLE_ON[row.style], encodeText(text), Uint8Array.of(LF), STYLE_OFF[row.style]);
  }
  parts.push(feedLines(options.feedBeforeCut ?? 4));
  const mode = options.cut ?? 'partial';
  if (mode !== 'none') parts.push(cut(mode));
  if (options.drawerKick) parts.push(drawerKick(options.drawerKick === true ? {} : options.drawerKick));
  return concatBytes(parts);
}

/** Lays out and encodes any PrintLines (receipts, reports) for a WPC1252 printer. */
export function escposLines(lines: readonly PrintLine[], options: EscPosOptions = {}): Uint8Array {
  const rows = layout(lines, options.width ?? DEFAULT_ESCPOS_WIDTH, {
    ...(options.locale ? { locale: options.locale } : {}),
    encodable: isCp1252Encodable,
  });
  return encodeRows(rows, options);
}

export function escpos(model: ReceiptModel, options: EscPosOptions = {}): Uint8Array {
  const locale = options.locale ?? model.locale;
  return escposLines(model.lines, { ...options, ...(locale ? { locale } : {}) });
}
