/**
 * A Transport over a serial port (serialport 13). Thin on purpose: open with the line settings,
 * pass bytes through, report the close once (an unplugged USB-CDC device or a killed pty shows
 * up as a read error, which serialport turns into 'close' with `disconnected`).
 */
import { SerialPortStream } from '@serialport/stream';
import { Emitter } from '../../common/emitter';
import type { Transport, Unsubscribe } from '../types';
import { hangupSafeBinding } from './hangup-safe-binding';

export interface SerialLineOptions {
  readonly baudRate: number;
  readonly dataBits: 5 | 6 | 7 | 8;
  readonly parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  readonly stopBits: 1 | 1.5 | 2;
}

/** Concert over RS-232: 9600 7E1. (USB-CDC terminals ignore line settings.) */
export const CONCERT_LINE: SerialLineOptions = { baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1 };

/** The part of serialport's stream this transport uses, so tests can hand in a SerialPortMock. */
export interface PortLike {
  readonly isOpen: boolean;
  open(callback: (error: Error | null) => void): void;
  write(data: Buffer, callback?: (error: Error | null | undefined) => void): boolean;
  /** Waits for the written data to be transmitted (serialport: after the pending writes, tcdrain). */
  drain?(callback: (error: Error | null) => void): void;
  close(callback?: (error: Error | null) => void): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: (error?: Error | null) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface PortSettings extends SerialLineOptions {
  readonly path: string;
}

export type PortFactory = (settings: PortSettings) => PortLike;

let binding: ReturnType<typeof hangupSafeBinding> | null = null;

export const createSerialPort: PortFactory = (settings) => {
  binding ??= hangupSafeBinding();
  return new SerialPortStream({ ...settings, binding, autoOpen: false });
};

export interface SerialTransportOptions {
  readonly line?: Partial<SerialLineOptions>;
  readonly createPort?: PortFactory;
}

class SerialTransport implements Transport {
  private closed = false;
  private readonly dataEvents = new Emitter<Uint8Array>();
  private readonly closeEvents = new Emitter<Error | undefined>();

  constructor(
    private readonly port: PortLike,
    readonly path: string,
  ) {
    port.on('data', (chunk) => {
      // A listener that throws must not throw into serialport's stream: Emitter isolates it.
      this.dataEvents.emit(new Uint8Array(chunk));
    });
    // serialport can emit 'close' twice (stream end, then the disconnect error): report once,
    // preferring the one that carries the error.
    port.on('close', (error) => {
      queueMicrotask(() => this.shut(error ?? undefined));
    });
    // An 'error' event without a listener would be thrown by the EventEmitter and crash the host.
    port.on('error', (error) => {
      if (!port.isOpen) this.shut(error);
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.port.isOpen;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error(`${this.path} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (error) => (error ? reject(error) : resolve()));
    });
  }

  drain(): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error(`${this.path} is closed`));
    const port = this.port;
    if (!port.drain) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      port.drain!((error) => (error ? reject(error) : resolve()));
    });
  }

  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    return this.dataEvents.subscribe(listener);
  }

  onClose(listener: (error?: Error) => void): Unsubscribe {
    return this.closeEvents.subscribe(listener);
  }

  close(): Promise<void> {
    if (!this.port.isOpen) {
      this.shut(undefined);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.port.close(() => {
        this.shut(undefined);
        resolve();
      });
    });
  }

  private shut(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeEvents.emit(error);
  }
}

/** How often, and how far apart, an open refused for the port's lock is tried again. */
export const LOCKED_PORT_RETRIES = { attempts: 5, pauseMs: 50 };

/**
 * Opens a serial port as a Transport. Rejects with the path in the message when it cannot. A port
 * whose lock is still held is tried again briefly: a handle this app has just closed can hold it
 * for a moment longer (the kernel lets go when the last system call on it returns); a port another
 * program holds is still refused, after about a quarter of a second.
 */
export async function openSerialTransport(path: string, options: SerialTransportOptions = {}): Promise<Transport> {
  const settings: PortSettings = { path, ...CONCERT_LINE, ...options.line };
  for (let attempt = 1; ; attempt++) {
    const port = (options.createPort ?? createSerialPort)(settings);
    const error = await new Promise<Error | null>((resolve) => port.open(resolve));
    if (!error) return new SerialTransport(port, path);
    if (!/cannot lock port/i.test(error.message) || attempt >= LOCKED_PORT_RETRIES.attempts)
      throw new Error(`cannot open ${path}: ${openFailure(error.message, path)}`);
    await new Promise((resolve) => setTimeout(resolve, LOCKED_PORT_RETRIES.pauseMs));
  }
}

/**
 * serialport's reason for a refused open, said once and with what to do: its messages repeat the
 * path ("Error: Permission denied, cannot open /dev/ttyACM0") and name a file that is no serial
 * port only by an ioctl ("Inappropriate ioctl for device setting custom baud rate of 9600"). The
 * system's own words stay, so the troubleshooting tables still match them.
 */
export function openFailure(message: string, path: string): string {
  const reason = message
    .replace(/^Error:?\s*/, '')
    .replace(`, cannot open ${path}`, '')
    .trim();
  if (/Inappropriate ioctl/i.test(reason)) return `not a serial port (${reason})`;
  if (/Permission denied/i.test(reason))
    return `${reason}: this user may not use the port (add it to the port's group, e.g. dialout, then log in again)`;
  if (/Cannot lock port/i.test(reason))
    return `${reason}: another program (the app, another pos-reader, a serial console) has the port open`;
  return reason;
}
