/**
 * An ESC/POS receipt printer emulator: the device side of the line. It records every byte it
 * receives, answers DLE EOT real-time status queries as a configurable condition dictates (ok,
 * paper near end, paper out, cover open, offline, error, or silent like a printer that is off),
 * and can be unplugged. Like the Concert emulator it is a state machine fed with bytes;
 * serveEscPosEmulator() puts it on any Transport and startPtyPrinterEmulator() on one end of a
 * socat pty pair, so the real serial path runs without hardware. Test and diagnostic use only.
 */
import { createPtyPair } from '../serial/socat';
import type { PtyPair } from '../serial/socat';
import { openSerialTransport } from '../serial/transport';
import type { Transport, Unsubscribe } from '../types';
import type { StatusKind } from './escpos';
import { DLE, EOT, ESC, GS, LF, STATUS_BASE, concatBytes } from './escpos';
import { PRINTER_LINE } from './printer';

export type EmulatedCondition =
  | 'ok'
  | 'paper_near_end'
  | 'paper_out'
  | 'cover_open'
  | 'offline'
  | 'error'
  /** Never answers a status query: a printer switched off, or an adapter with nothing behind it. */
  | 'silent';

/** The byte answered to DLE EOT 1, 2, 3, 4 in each condition (Epson bit layout). */
export const STATUS_ANSWERS: Record<Exclude<EmulatedCondition, 'silent'>, Record<StatusKind, number>> = {
  ok: { 1: STATUS_BASE, 2: STATUS_BASE, 3: STATUS_BASE, 4: STATUS_BASE },
  // near-end sensor bits 2-3, still online
  paper_near_end: { 1: STATUS_BASE, 2: STATUS_BASE, 3: STATUS_BASE, 4: STATUS_BASE | 0x0c },
  // offline (bit 3), stopped by paper end (bit 5), near-end and end sensors
  paper_out: { 1: STATUS_BASE | 0x08, 2: STATUS_BASE | 0x20, 3: STATUS_BASE, 4: STATUS_BASE | 0x6c },
  // offline, cover open (bit 2)
  cover_open: { 1: STATUS_BASE | 0x08, 2: STATUS_BASE | 0x04, 3: STATUS_BASE, 4: STATUS_BASE },
  offline: { 1: STATUS_BASE | 0x08, 2: STATUS_BASE, 3: STATUS_BASE, 4: STATUS_BASE },
  // offline, error (bit 6); error cause: unrecoverable (bit 5)
  error: { 1: STATUS_BASE | 0x08, 2: STATUS_BASE | 0x40, 3: STATUS_BASE | 0x20, 4: STATUS_BASE },
};

export type PrinterEmulatorEvent =
  | { readonly type: 'status_query'; readonly n: StatusKind; readonly answer: number | null }
  | { readonly type: 'data'; readonly bytes: number }
  | { readonly type: 'unplugged' };

export interface PrinterEmulatorOptions {
  readonly condition?: EmulatedCondition;
  readonly send: (bytes: Uint8Array) => void;
  readonly onEvent?: (event: PrinterEmulatorEvent) => void;
}

/** What the recorded job would look like on paper, roughly: enough for tests to check. */
export interface EmulatedPaper {
  /** Text rows (code page 16 decoded), one per LF. */
  readonly lines: readonly string[];
  readonly cuts: number;
  readonly drawerKicks: number;
  readonly initialisations: number;
}

const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d,
  0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d,
  0x017e, 0x0178,
];

function decodeCp1252(value: number): string {
  if (value >= 0x80 && value < 0xa0) return String.fromCodePoint(CP1252_HIGH[value - 0x80]!);
  return String.fromCharCode(value);
}

/** Lengths of the ESC and GS commands the parser knows (command byte → total length). */
const ESC_LENGTHS: Record<number, number> = {
  0x40: 2,
  0x74: 3,
  0x52: 3,
  0x45: 3,
  0x61: 3,
  0x64: 3,
  0x21: 3,
  0x2d: 3,
  0x70: 5,
};
const GS_LENGTHS: Record<number, number> = { 0x21: 3, 0x42: 3 };

/** Parses recorded job bytes into rows, cuts and drawer pulses (the subset drivers/printers/escpos.ts writes). */
export function parsePaper(bytes: Uint8Array): EmulatedPaper {
  const lines: string[] = [];
  let current = '';
  let cuts = 0;
  let drawerKicks = 0;
  let initialisations = 0;
  let i = 0;
  while (i < bytes.length) {
    const value = bytes[i]!;
    if (value === ESC) {
      const command = bytes[i + 1] ?? 0;
      if (command === 0x40) initialisations++;
      if (command === 0x70) drawerKicks++;
      if (command === 0x64) {
        // ESC d n: print what is buffered, then feed n lines.
        if (current) lines.push(current);
        current = '';
        for (let n = bytes[i + 2] ?? 0; n > 0; n--) lines.push('');
      }
      i += ESC_LENGTHS[command] ?? 2;
    } else if (value === GS) {
      const command = bytes[i + 1] ?? 0;
      if (command === 0x56) {
        cuts++;
        i += (bytes[i + 2] ?? 0) >= 65 ? 4 : 3;
      } else {
        i += GS_LENGTHS[command] ?? 2;
      }
    } else if (value === LF) {
      lines.push(current);
      current = '';
      i++;
    } else {
      if (value >= 0x20) current += decodeCp1252(value);
      i++;
    }
  }
  if (current) lines.push(current);
  return { lines, cuts, drawerKicks, initialisations };
}

export class EscPosPrinterEmulator {
  /** What the status answers say; change it at any time. */
  condition: EmulatedCondition;
  /** Every DLE EOT query received, in order. */
  readonly statusQueries: StatusKind[] = [];
  private readonly all: Uint8Array[] = [];
  private readonly jobs: number[] = [];
  /** Bytes held while deciding whether a DLE starts a real-time command. */
  private held: number[] = [];
  private unplugged = false;

  constructor(private readonly options: PrinterEmulatorOptions) {
    this.condition = options.condition ?? 'ok';
  }

  /** Every byte received, real-time queries included. */
  get received(): Uint8Array {
    return concatBytes(this.all);
  }

  /** The print data: everything received except the DLE EOT n queries, which a printer consumes on arrival. */
  get printed(): Uint8Array {
    return Uint8Array.from([...this.jobs, ...this.held]);
  }

  /** The print data read back as paper. */
  paper(): EmulatedPaper {
    return parsePaper(this.printed);
  }

  get isUnplugged(): boolean {
    return this.unplugged;
  }

  /** Forgets what was received (between test cases). */
  clear(): void {
    this.all.length = 0;
    this.jobs.length = 0;
    this.held = [];
    this.statusQueries.length = 0;
  }

  /** Stops answering and recording for good, like a pulled cable. The transport side is the caller's (see serve). */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    this.emit({ type: 'unplugged' });
  }

  receive(chunk: Uint8Array): void {
    if (this.unplugged) return;
    this.all.push(chunk.slice());
    let data = 0;
    for (const value of chunk) {
      this.held.push(value);
      const [first, second, third] = this.held;
      if (first !== DLE) {
        this.jobs.push(...this.held);
        data += this.held.length;
        this.held = [];
      } else if (this.held.length === 2 && second !== EOT) {
        this.jobs.push(...this.held);
        data += 2;
        this.held = [];
      } else if (this.held.length === 3) {
        this.held = [];
        if (third !== undefined && third >= 1 && third <= 4) this.answer(third as StatusKind);
        else {
          this.jobs.push(DLE, EOT, third!);
          data += 3;
        }
      }
    }
    if (data > 0) this.emit({ type: 'data', bytes: data });
  }

  private answer(n: StatusKind): void {
    this.statusQueries.push(n);
    const answer = this.condition === 'silent' ? null : STATUS_ANSWERS[this.condition][n];
    this.emit({ type: 'status_query', n, answer });
    if (answer !== null) this.options.send(Uint8Array.of(answer));
  }

  private emit(event: PrinterEmulatorEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener must not wedge the emulator.
    }
  }
}

export interface ServedPrinterEmulator {
  readonly emulator: EscPosPrinterEmulator;
  /** Stops the emulator and closes its transport. */
  stop(): Promise<void>;
}

/** Runs a printer emulator on a Transport until stop(). */
export function serveEscPosEmulator(
  transport: Transport,
  options: Omit<PrinterEmulatorOptions, 'send'> = {},
): ServedPrinterEmulator {
  const emulator = new EscPosPrinterEmulator({
    ...options,
    send: (bytes) => {
      transport.write(bytes).catch(() => {
        // The host side went away; it notices on its own.
      });
    },
  });
  const subscriptions: Unsubscribe[] = [transport.onData((chunk) => emulator.receive(chunk))];
  return {
    emulator,
    async stop() {
      for (const unsubscribe of subscriptions) unsubscribe();
      await transport.close();
    },
  };
}

export interface PtyPrinterEmulator extends ServedPrinterEmulator {
  /** The port the host opens as its printer (the other end of the pty pair). */
  readonly path: string;
  readonly pair: PtyPair;
  /**
   * Pulls the cable: the emulator stops and socat is killed, so both ptys vanish and the host's
   * port reports a read error, as an unplugged USB adapter does.
   */
  unplug(): Promise<void>;
}

export interface PtyPrinterEmulatorOptions extends Omit<PrinterEmulatorOptions, 'send'> {
  /** Unplug by itself once this many print-data bytes have arrived (mid-receipt). */
  readonly unplugAfterBytes?: number;
}

/**
 * Makes a socat pty pair, serves the emulator on one end and returns the other end's path.
 * Rejects with SocatMissingError when socat is not installed.
 */
export async function startPtyPrinterEmulator(options: PtyPrinterEmulatorOptions = {}): Promise<PtyPrinterEmulator> {
  const pair = await createPtyPair();
  let transport: Transport;
  try {
    transport = await openSerialTransport(pair.a, { line: PRINTER_LINE });
  } catch (error) {
    await pair.stop();
    throw error;
  }
  let unplugging: Promise<void> | null = null;
  const unplug = (): Promise<void> => {
    unplugging ??= (async () => {
      served.emulator.unplug();
      await pair.stop();
      await transport.close().catch(() => undefined);
    })();
    return unplugging;
  };
  const served = serveEscPosEmulator(transport, {
    ...options,
    onEvent: (event) => {
      options.onEvent?.(event);
      if (
        event.type === 'data' &&
        options.unplugAfterBytes !== undefined &&
        served.emulator.printed.length >= options.unplugAfterBytes
      ) {
        void unplug();
      }
    },
  });
  return {
    emulator: served.emulator,
    path: pair.b,
    pair,
    unplug,
    async stop() {
      await served.stop().catch(() => undefined);
      await pair.stop();
    },
  };
}
