/**
 * An ESC/POS receipt printer on a byte Transport (a serial port, a pty, an in-memory pair).
 *
 * print(bytes) asks the printer how it is (DLE EOT real-time status), refuses to send a job to a
 * printer that is out of paper, open or offline, writes the job, waits for the port to drain,
 * and asks again, so paper that ran out mid-receipt is reported. Every wait is bounded: a printer
 * that is switched off, unplugged from the adapter or silent gives a PrinterError, never a hang.
 * Jobs and status queries run one at a time, in call order.
 *
 * Printers that do not answer real-time status (some cheap serial heads, or status disabled by
 * DIP switch) need `realtimeStatus: false`; then a missing printer cannot be told from a present
 * one on a plain RS-232 line (writes simply succeed), and paper out is not detected.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import { systemClock } from '../../common/clock';
import type { PortFactory, SerialLineOptions } from '../serial/transport';
import { openSerialTransport } from '../serial/transport';
import type { Transport, Unsubscribe } from '../types';
import type { StatusKind } from './escpos';
import { decodeOfflineCause, decodePaperSensor, decodePrinterStatus, isStatusByte, realtimeStatus } from './escpos';

export type PrinterErrorCode =
  /** The port cannot be opened, or nothing answers the status query (off, not connected, not ESC/POS). */
  | 'no_printer'
  /** The port went away (USB adapter pulled, cable cut) before or during the job. */
  | 'unplugged'
  /** The operating system refused the write. */
  | 'write_error'
  /** Writing or draining the job did not finish in time (flow control held by a stuck printer). */
  | 'timeout'
  | 'paper_out'
  | 'cover_open'
  /** Offline for a reason the printer does not say (or the feed button held). */
  | 'offline'
  /** Cutter jam, head overheated, or another error the printer reports. */
  | 'printer_error'
  /** Used after close(). */
  | 'closed';

export class PrinterError extends Error {
  constructor(
    readonly code: PrinterErrorCode,
    message: string,
    /** True when some or all of the job may have reached the printer: the receipt may be incomplete. */
    readonly written = false,
  ) {
    super(message);
    this.name = 'PrinterError';
  }
}

export interface PrinterStatus {
  readonly online: boolean;
  readonly paper: 'ok' | 'near_end' | 'out';
  readonly coverOpen: boolean;
  /** An error the printer reports (offline cause bit 6). */
  readonly error: boolean;
  /** Drawer kick connector pin 3 level (on most drawers: open). */
  readonly drawerPin3High: boolean;
}

export interface PrintResult {
  /** Bytes written. */
  readonly bytes: number;
  /** Status read after the job (paper near end is a warning worth showing); null with realtimeStatus off. */
  readonly status: PrinterStatus | null;
}

export interface EscPosPrinterOptions {
  /** Query DLE EOT status before and after each job. Default true. */
  readonly realtimeStatus?: boolean;
  /** Wait for each one-byte status answer. Default 1000 ms. */
  readonly statusTimeoutMs?: number;
  /** Wait for a job to be written and drained. Default 20 000 ms (a long receipt at 9600 baud takes ~3 s). */
  readonly writeTimeoutMs?: number;
  readonly clock?: Clock;
}

export interface ReceiptPrinter {
  readonly isOpen: boolean;
  /** Reads the printer's status (three DLE EOT queries). Rejects with a PrinterError. */
  status(): Promise<PrinterStatus>;
  /** Prints one job (e.g. escpos(receipt)). Resolves when written and drained; rejects with a PrinterError. */
  print(bytes: Uint8Array): Promise<PrintResult>;
  /** Called once when the port goes away unasked. */
  onDisconnect(listener: (error: PrinterError) => void): Unsubscribe;
  close(): Promise<void>;
}

export const DEFAULT_PRINTER_TIMINGS = { statusTimeoutMs: 1_000, writeTimeoutMs: 20_000 } as const;

/** The problem a status shows, or null when a job may be sent (paper near end is no problem yet). */
export function statusProblem(status: PrinterStatus): PrinterError | null {
  if (status.paper === 'out') return new PrinterError('paper_out', 'the printer is out of paper');
  if (status.coverOpen) return new PrinterError('cover_open', 'the printer cover is open');
  if (status.error) return new PrinterError('printer_error', 'the printer reports an error (cutter jam, overheating…)');
  if (!status.online) return new PrinterError('offline', 'the printer is offline');
  return null;
}

class EscPosPrinter implements ReceiptPrinter {
  private readonly clock: Clock;
  private readonly statusEnabled: boolean;
  private readonly statusTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private chain: Promise<unknown> = Promise.resolve();
  private closedByUs = false;
  private gone: PrinterError | null = null;
  /** The one status query waiting for its byte. */
  private waiting: ((value: number) => void) | null = null;
  /** Rejects whatever is in flight when the port goes away. */
  private readonly aborts = new Set<(error: PrinterError) => void>();
  private readonly disconnectListeners = new Set<(error: PrinterError) => void>();
  private readonly subscriptions: Unsubscribe[];

  constructor(
    private readonly transport: Transport,
    options: EscPosPrinterOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.statusEnabled = options.realtimeStatus ?? true;
    this.statusTimeoutMs = options.statusTimeoutMs ?? DEFAULT_PRINTER_TIMINGS.statusTimeoutMs;
    this.writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_PRINTER_TIMINGS.writeTimeoutMs;
    this.subscriptions = [
      transport.onData((chunk) => {
        for (const value of chunk) {
          // Anything else (XON/XOFF, automatic status back) is not an answer to our query.
          if (this.waiting && isStatusByte(value)) {
            const deliver = this.waiting;
            this.waiting = null;
            deliver(value);
          }
        }
      }),
      transport.onClose((error) => this.onClosed(error)),
    ];
    if (!transport.isOpen) this.onClosed(undefined);
  }

  get isOpen(): boolean {
    return this.gone === null && this.transport.isOpen;
  }

  status(): Promise<PrinterStatus> {
    return this.serial(() => this.readStatus());
  }

  print(bytes: Uint8Array): Promise<PrintResult> {
    return this.serial(async () => {
      if (this.statusEnabled) {
        const problem = statusProblem(await this.readStatus());
        if (problem) throw problem;
      }
      await this.send(bytes).catch((error: unknown) => {
        // Whatever ended the write (timeout, port gone), part of the job may be on paper.
        throw error instanceof PrinterError && !error.written
          ? new PrinterError(error.code, error.message, true)
          : error;
      });
      if (!this.statusEnabled) return { bytes: bytes.length, status: null };
      let after: PrinterStatus;
      try {
        after = await this.readStatus();
      } catch (error) {
        throw this.asWritten(error);
      }
      const problem = statusProblem(after);
      if (problem) {
        throw new PrinterError(problem.code, `${problem.message} after printing: the receipt may be incomplete`, true);
      }
      return { bytes: bytes.length, status: after };
    });
  }

  onDisconnect(listener: (error: PrinterError) => void): Unsubscribe {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (!this.gone) this.closedByUs = true;
    this.abortAll(new PrinterError('closed', 'the printer was closed'));
    for (const unsubscribe of this.subscriptions) unsubscribe();
    await this.transport.close();
  }

  // -------------------------------------------------------------------------------------------

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      if (this.gone) throw this.gone;
      return task();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private onClosed(error: Error | undefined): void {
    if (this.gone) return;
    if (this.closedByUs) {
      this.gone = new PrinterError('closed', 'the printer was closed');
      return;
    }
    this.gone = new PrinterError(
      'unplugged',
      `the printer port went away${error ? `: ${error.message}` : ''} (unplugged or switched off)`,
    );
    this.abortAll(this.gone);
    for (const listener of [...this.disconnectListeners]) {
      try {
        listener(this.gone);
      } catch {
        // A listener must not break the driver.
      }
    }
  }

  private abortAll(error: PrinterError): void {
    this.gone ??= error;
    this.waiting = null;
    for (const abort of [...this.aborts]) abort(error);
    this.aborts.clear();
  }

  /**
   * Runs `start` with a deadline and the port's disappearance as alternative endings. `start`
   * gets resolve/reject; the returned promise settles once.
   */
  private bounded<T>(
    ms: number,
    onTimeout: () => PrinterError,
    start: (resolve: (value: T) => void, reject: (error: unknown) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.gone) {
        reject(this.gone);
        return;
      }
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        this.clock.clearTimeout(timer);
        this.aborts.delete(abort);
        return true;
      };
      const abort = (error: PrinterError): void => {
        if (finish()) reject(error);
      };
      this.aborts.add(abort);
      const timer: TimerHandle = this.clock.setTimeout(() => {
        if (finish()) reject(onTimeout());
      }, ms);
      start(
        (value) => {
          if (finish()) resolve(value);
        },
        (error) => {
          if (finish()) reject(error);
        },
      );
    });
  }

  private query(n: StatusKind, first: boolean): Promise<number> {
    return this.bounded<number>(
      this.statusTimeoutMs,
      () => {
        this.waiting = null;
        return first
          ? new PrinterError(
              'no_printer',
              `no answer to the status query in ${this.statusTimeoutMs} ms: the printer is off, not connected, ` +
                'or does not answer real-time status',
            )
          : new PrinterError('no_printer', `the printer stopped answering status queries (DLE EOT ${n})`);
      },
      (resolve, reject) => {
        this.waiting = resolve;
        this.transport.write(realtimeStatus(n)).catch((error: unknown) => {
          this.waiting = null;
          reject(this.writeFailure(error, false));
        });
      },
    );
  }

  private async readStatus(): Promise<PrinterStatus> {
    const printer = decodePrinterStatus(await this.query(1, true));
    const offline = decodeOfflineCause(await this.query(2, false));
    const paper = decodePaperSensor(await this.query(4, false));
    return {
      online: !printer.offline,
      paper: paper.end || offline.paperEndStop ? 'out' : paper.nearEnd ? 'near_end' : 'ok',
      coverOpen: offline.coverOpen,
      error: offline.error,
      drawerPin3High: printer.drawerPin3High,
    };
  }

  private send(bytes: Uint8Array): Promise<void> {
    return this.bounded<void>(
      this.writeTimeoutMs,
      () =>
        new PrinterError(
          'timeout',
          `the printer did not take the job in ${this.writeTimeoutMs} ms (busy, jammed or held by flow control)`,
          true,
        ),
      (resolve, reject) => {
        const transport = this.transport;
        transport
          .write(bytes)
          .then(() => transport.drain?.())
          .then(resolve, (error: unknown) => reject(this.writeFailure(error, true)));
      },
    );
  }

  /** A failed write: 'unplugged' when the port is gone (or going), else 'write_error'. */
  private writeFailure(error: unknown, written: boolean): PrinterError {
    if (error instanceof PrinterError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (this.gone?.code === 'unplugged' || !this.transport.isOpen) {
      // The write saw the port vanish before its close event did: report the disconnect now (once),
      // after the caller has settled with this more precise error.
      queueMicrotask(() => this.onClosed(error instanceof Error ? error : new Error(message)));
      return new PrinterError('unplugged', `the printer port went away while writing: ${message}`, written);
    }
    return new PrinterError('write_error', `writing to the printer failed: ${message}`, written);
  }

  private asWritten(error: unknown): PrinterError {
    if (error instanceof PrinterError) {
      return error.written ? error : new PrinterError(error.code, `${error.message} after printing`, true);
    }
    return this.writeFailure(error, true);
  }
}

/** Puts a printer on an open Transport. The printer owns it from then on (close() closes it). */
export function createEscPosPrinter(transport: Transport, options: EscPosPrinterOptions = {}): ReceiptPrinter {
  return new EscPosPrinter(transport, options);
}

/** Most serial receipt printers leave the factory at 9600 8N1 (check the DIP switches). */
export const PRINTER_LINE: SerialLineOptions = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };

export interface OpenPrinterOptions extends EscPosPrinterOptions {
  readonly line?: Partial<SerialLineOptions>;
  readonly createPort?: PortFactory;
}

/** Opens a serial port and puts a printer on it. Rejects with PrinterError 'no_printer' when the port cannot be opened. */
export async function openEscPosPrinter(path: string, options: OpenPrinterOptions = {}): Promise<ReceiptPrinter> {
  let transport: Transport;
  try {
    transport = await openSerialTransport(path, {
      line: { ...PRINTER_LINE, ...options.line },
      ...(options.createPort ? { createPort: options.createPort } : {}),
    });
  } catch (error) {
    throw new PrinterError('no_printer', error instanceof Error ? error.message : String(error));
  }
  return createEscPosPrinter(transport, options);
}
