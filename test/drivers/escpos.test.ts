import { describe, expect, it } from 'vitest';
import {
  STATUS_BASE,
  characterSize,
  cp1252Byte,
  cut,
  decodeErrorCause,
  decodeOfflineCause,
  decodePaperSensor,
  decodePrinterStatus,
  drawerKick,
  encodeText,
  isCp1252Encodable,
  isStatusByte,
  realtimeStatus,
  selectCodePage,
} from '../../drivers/printers/escpos';

describe('ESC/POS command bytes', () => {
  it('builds the commands the receipts use', () => {
    expect([...selectCodePage(16)]).toEqual([0x1b, 0x74, 0x10]);
    expect([...characterSize(2)]).toEqual([0x1d, 0x21, 0x01]);
    expect([...characterSize(2, 2)]).toEqual([0x1d, 0x21, 0x11]);
    expect([...cut('full')]).toEqual([0x1d, 0x56, 0x00]);
    expect([...cut('partial')]).toEqual([0x1d, 0x56, 0x01]);
    expect([...drawerKick()]).toEqual([0x1b, 0x70, 0x00, 25, 250]);
    expect([...realtimeStatus(4)]).toEqual([0x10, 0x04, 0x04]);
    expect(() => characterSize(9)).toThrow(RangeError);
    expect(() => selectCodePage(256)).toThrow(RangeError);
  });
});

describe('real-time status bytes', () => {
  it('recognises a status byte by its fixed bits', () => {
    expect(isStatusByte(STATUS_BASE)).toBe(true);
    expect(isStatusByte(0x7e)).toBe(true);
    expect(isStatusByte(0x11)).toBe(false); // XON
    expect(isStatusByte(0x13)).toBe(false); // XOFF
    expect(isStatusByte(0x92)).toBe(false);
  });

  it('decodes each kind', () => {
    expect(decodePrinterStatus(0x1a)).toEqual({ offline: true, drawerPin3High: false, waitingForRecovery: false });
    expect(decodePrinterStatus(0x16)).toMatchObject({ offline: false, drawerPin3High: true });
    expect(decodeOfflineCause(0x16)).toMatchObject({ coverOpen: true, paperEndStop: false });
    expect(decodeOfflineCause(0x32)).toMatchObject({ coverOpen: false, paperEndStop: true });
    expect(decodeErrorCause(0x32)).toMatchObject({ unrecoverable: true, autocutterError: false });
    expect(decodePaperSensor(0x12)).toEqual({ nearEnd: false, end: false });
    expect(decodePaperSensor(0x1e)).toEqual({ nearEnd: true, end: false });
    expect(decodePaperSensor(0x7e)).toEqual({ nearEnd: true, end: true });
  });
});

describe('code page 16 (WPC1252) text', () => {
  it('maps Latin-1, the euro sign and typographic punctuation', () => {
    expect([...encodeText('Café €5 – “ok”')]).toEqual([
      0x43, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x35, 0x20, 0x96, 0x20, 0x93, 0x6f, 0x6b, 0x94,
    ]);
    expect(cp1252Byte('\u00a0')).toBe(0x20);
    // The minus sign amounts are written with: the code page has none, its hyphen is the nearest.
    expect(cp1252Byte('\u2212')).toBe(0x2d);
    expect(cp1252Byte('\u202f')).toBe(0x20);
  });

  it('prints "?" for what it lacks and never passes a control byte', () => {
    expect([...encodeText('₹\x1b\x10\u0085')]).toEqual([0x3f, 0x3f, 0x3f, 0x3f]);
    expect(isCp1252Encodable('€12.50')).toBe(true);
    expect(isCp1252Encodable('₹12.50')).toBe(false);
  });
});
