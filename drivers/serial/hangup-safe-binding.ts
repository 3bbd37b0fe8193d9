/**
 * serialport's binding, with one fault fixed: on Linux and macOS its read retries forever when
 * read(2) returns 0 bytes — and 0 bytes is how a tty reports a hangup (the other end of a pty
 * closed, some USB-serial adapters unplugged). The port then never closes: a thread spins, and a
 * payment in flight waits for its answer timeout instead of hearing "reader disconnected".
 * (Known upstream: serialport/bindings-cpp issue 162.) This binding reads the same way, a
 * non-blocking read then a wait for the poller, but reports 0 bytes as the disconnect it is.
 *
 * Its close also waits for a read already in the thread pool: until that read returns, the kernel
 * keeps the port's open file (and its exclusive lock), so reopening the port right after close —
 * the registry does, after probing it — could be refused with "Cannot lock port".
 */
import { read } from 'node:fs';
import { promisify } from 'node:util';
import { autoDetect } from '@serialport/bindings-cpp';

const readAsync = promisify(read);

// serialport's own binding types (@serialport/bindings-interface) do not resolve under this
// project's module resolution, so the parts this module touches are spelled out here.
type ReadResult = { buffer: Buffer; bytesRead: number };

export interface PortBinding {
  readonly isOpen: boolean;
  close(): Promise<void>;
  read(buffer: Buffer, offset: number, length: number): Promise<ReadResult>;
}

export interface SerialOpenOptions {
  readonly path: string;
  readonly baudRate: number;
  readonly [option: string]: unknown;
}

export interface SerialBinding {
  list(): Promise<ReadonlyArray<{ path: string }>>;
  open(options: SerialOpenOptions): Promise<PortBinding>;
}

/** What the unix port bindings (LinuxPortBinding, DarwinPortBinding) expose to their read. */
export interface UnixPortBinding extends PortBinding {
  readonly fd: number | null;
  readonly poller: { once(event: 'readable', callback: (error: Error | null) => void): unknown };
}

function isUnixPort(port: PortBinding): port is UnixPortBinding {
  return 'fd' in port && 'poller' in port;
}

/** serialport's contract: a read ended by close() rejects with `canceled`; any other error is a disconnect. */
function canceled(): Error {
  return Object.assign(new Error('Port is not open'), { canceled: true });
}

function waitReadable(port: UnixPortBinding): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    port.poller.once('readable', (error) => (error ? reject(error) : resolve()));
  });
}

const RETRY_CODES = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/** Reads at least one byte, or rejects: `canceled` once closed, a disconnect on a hangup or read error. */
export async function readUnixPort(
  port: UnixPortBinding,
  buffer: Buffer,
  offset: number,
  length: number,
  onRead: (pending: Promise<unknown>) => void = () => undefined,
): Promise<ReadResult> {
  for (;;) {
    if (!port.isOpen || port.fd === null) throw canceled();
    let bytesRead: number;
    try {
      const pending = readAsync(port.fd, buffer, offset, length, null);
      onRead(pending);
      ({ bytesRead } = await pending);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined || !RETRY_CODES.has(code)) throw error;
      if (!port.isOpen) throw canceled();
      await waitReadable(port);
      continue;
    }
    if (bytesRead === 0) throw new Error('the line hung up (read returned end of file)');
    return { buffer, bytesRead };
  }
}

function guardPort(port: PortBinding): PortBinding {
  if (!isUnixPort(port)) return port; // Windows reads overlapped, without this fault
  const unixPort = port;
  let lastRead: Promise<unknown> = Promise.resolve();
  unixPort.read = (buffer, offset, length) =>
    readUnixPort(unixPort, buffer, offset, length, (pending) => {
      lastRead = pending;
    });
  // close() sets fd to null before closing it, so no read starts after; wait for the one before.
  const close = unixPort.close.bind(unixPort);
  unixPort.close = async () => {
    await close();
    await lastRead.catch(() => undefined);
  };
  return port;
}

/** The platform's binding, with hangups reported as disconnects. */
export function hangupSafeBinding(base: SerialBinding = autoDetect()): SerialBinding {
  return {
    list: () => base.list(),
    open: async (options) => guardPort(await base.open(options)),
  };
}
