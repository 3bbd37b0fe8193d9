/**
 * The subset of ESC/POS (Epson's receipt printer language, spoken by most serial thermal
 * printers) this app sends, and the real-time status answers it reads. Byte builders only: no
 * I/O. Reference: Epson "ESC/POS Command Reference" (ESC @, ESC t, ESC E, GS !, GS B, ESC d,
 * GS V, ESC p, DLE EOT).
 */

export const ESC = 0x1b;
export const GS = 0x1d;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;

/** ESC @: clears the buffer and every mode set before (bold, size, code page…). */
export const initialize = (): Uint8Array => Uint8Array.of(ESC, 0x40);

/** ESC t n: character code table. 16 = WPC1252 (Windows Latin-1 with €), what encodeText() produces. */
export const CODE_PAGE_WPC1252 = 16;
export const selectCodePage = (n: number): Uint8Array => Uint8Array.of(ESC, 0x74, byte(n));

/** ESC E n: emphasised (bold) on or off. */
export const bold = (on: boolean): Uint8Array => Uint8Array.of(ESC, 0x45, on ? 1 : 0);

/**
 * GS ! n: character size, 1–8 times in each direction. Receipts use double height only, which
 * keeps the column count (double width would halve it).
 */
export const characterSize = (height: number, width = 1): Uint8Array => {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || height > 8 || width < 1 || width > 8) {
    throw new RangeError('character size is 1 to 8 in each direction');
  }
  return Uint8Array.of(GS, 0x21, ((width - 1) << 4) | (height - 1));
};

/** GS B n: white on black (reverse) on or off. */
export const reverse = (on: boolean): Uint8Array => Uint8Array.of(GS, 0x42, on ? 1 : 0);

/** ESC d n: print the buffer and feed n lines. */
export const feedLines = (n: number): Uint8Array => Uint8Array.of(ESC, 0x64, byte(n));

export type CutMode = 'full' | 'partial';

/** GS V m: cut the paper (full: m = 0, partial: one point left uncut, m = 1). */
export const cut = (mode: CutMode): Uint8Array => Uint8Array.of(GS, 0x56, mode === 'full' ? 0 : 1);

export interface DrawerKick {
  /** Which connector pin drives the drawer: 2 (m = 0) or 5 (m = 1). Default 2. */
  readonly pin?: 2 | 5;
  /** Pulse on and off time, ms (units of 2 ms on the wire, 2–510). Defaults 50 and 500. */
  readonly onMs?: number;
  readonly offMs?: number;
}

/** ESC p m t1 t2: pulse the cash-drawer kick connector. */
export const drawerKick = (kick: DrawerKick = {}): Uint8Array => {
  const units = (ms: number): number => {
    if (!Number.isFinite(ms) || ms < 2 || ms > 510) throw new RangeError('drawer pulse times are 2 to 510 ms');
    return Math.round(ms / 2);
  };
  return Uint8Array.of(ESC, 0x70, kick.pin === 5 ? 1 : 0, units(kick.onMs ?? 50), units(kick.offMs ?? 500));
};

/**
 * DLE EOT n: real-time status. The printer answers one byte at once, even while offline or with
 * its buffer full. n = 1 printer, 2 offline cause, 3 error cause, 4 roll paper sensor.
 */
export type StatusKind = 1 | 2 | 3 | 4;
export const realtimeStatus = (n: StatusKind): Uint8Array => Uint8Array.of(DLE, EOT, n);

/** Every status byte has bits 1 and 4 set and bits 0 and 7 clear: 0b0xx1xx10. */
export const isStatusByte = (value: number): boolean => (value & 0x93) === 0x12;

/** Status byte with no condition set (what a healthy printer answers to every n). */
export const STATUS_BASE = 0x12;

export interface PrinterStatusBits {
  /** n = 1, bit 3. */
  readonly offline: boolean;
  /** n = 1, bit 2: drawer kick connector pin 3 high (often: drawer open). */
  readonly drawerPin3High: boolean;
  /** n = 1, bit 5. */
  readonly waitingForRecovery: boolean;
}

export interface OfflineCauseBits {
  /** n = 2, bit 2. */
  readonly coverOpen: boolean;
  /** n = 2, bit 3: paper being fed with the feed button. */
  readonly feedButton: boolean;
  /** n = 2, bit 5: printing stopped because the paper ran out. */
  readonly paperEndStop: boolean;
  /** n = 2, bit 6. */
  readonly error: boolean;
}

export interface ErrorCauseBits {
  /** n = 3, bit 3. */
  readonly autocutterError: boolean;
  /** n = 3, bit 5. */
  readonly unrecoverable: boolean;
  /** n = 3, bit 6. */
  readonly autoRecoverable: boolean;
}

export interface PaperSensorBits {
  /** n = 4, bits 2–3. */
  readonly nearEnd: boolean;
  /** n = 4, bits 5–6. */
  readonly end: boolean;
}

const bit = (value: number, n: number): boolean => ((value >> n) & 1) === 1;

export const decodePrinterStatus = (value: number): PrinterStatusBits => ({
  offline: bit(value, 3),
  drawerPin3High: bit(value, 2),
  waitingForRecovery: bit(value, 5),
});

export const decodeOfflineCause = (value: number): OfflineCauseBits => ({
  coverOpen: bit(value, 2),
  feedButton: bit(value, 3),
  paperEndStop: bit(value, 5),
  error: bit(value, 6),
});

export const decodeErrorCause = (value: number): ErrorCauseBits => ({
  autocutterError: bit(value, 3),
  unrecoverable: bit(value, 5),
  autoRecoverable: bit(value, 6),
});

export const decodePaperSensor = (value: number): PaperSensorBits => ({
  nearEnd: bit(value, 2) || bit(value, 3),
  end: bit(value, 5) || bit(value, 6),
});

function byte(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new RangeError(`${n} is not a byte`);
  return n;
}

/** Joins byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text: Windows-1252 (code page 16)

/** The 0x80–0x9F row of Windows-1252 (undefined positions are absent). */
const CP1252_HIGH: Record<number, number> = {
  0x20ac: 0x80,
  0x201a: 0x82,
  0x0192: 0x83,
  0x201e: 0x84,
  0x2026: 0x85,
  0x2020: 0x86,
  0x2021: 0x87,
  0x02c6: 0x88,
  0x2030: 0x89,
  0x0160: 0x8a,
  0x2039: 0x8b,
  0x0152: 0x8c,
  0x017d: 0x8e,
  0x2018: 0x91,
  0x2019: 0x92,
  0x201c: 0x93,
  0x201d: 0x94,
  0x2022: 0x95,
  0x2013: 0x96,
  0x2014: 0x97,
  0x02dc: 0x98,
  0x2122: 0x99,
  0x0161: 0x9a,
  0x203a: 0x9b,
  0x0153: 0x9c,
  0x017e: 0x9e,
  0x0178: 0x9f,
};

/** Spaces Intl puts in formatted numbers and dates, printed as a plain space. */
const SPACES = new Set([0x00a0, 0x202f, 0x2009, 0x2007]);

/** The Windows-1252 byte for one character, or null when the code page has none. */
export function cp1252Byte(char: string): number | null {
  const code = char.codePointAt(0)!;
  if (code >= 0x20 && code < 0x7f) return code;
  if (SPACES.has(code)) return 0x20;
  // The minus sign amounts are written with (common/money.ts): the code page's hyphen is the nearest.
  if (code === 0x2212) return 0x2d;
  if (code >= 0xa1 && code <= 0xff) return code;
  return CP1252_HIGH[code] ?? null;
}

/** Whether every character of text prints as itself in code page 16. */
export function isCp1252Encodable(text: string): boolean {
  for (const char of text) if (cp1252Byte(char) === null) return false;
  return true;
}

/**
 * Encodes one line of text for code page 16. Control characters never reach the printer (they
 * would be commands: a terminal ticket line or a shop name must not open the drawer); anything
 * the code page lacks prints as "?".
 */
export function encodeText(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) out.push(cp1252Byte(char) ?? 0x3f);
  return Uint8Array.from(out);
}
