/**
 * The terminal emulator's end of the pty for figure 2, opened as a raw tty rather than through
 * serialport: reads arrive on the event loop thread (libuv's tty handle) and writes go out with
 * a synchronous write(2), so the test rig's own side adds as little latency as it can to each
 * byte. The cash register's end (what the figure measures) stays on the real serialport binding.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import tty from 'node:tty';
import type { Transport, Unsubscribe } from '../../drivers/types';

export function openRawTty(path: string): Transport {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  const input = new tty.ReadStream(fd);
  input.setRawMode(true);
  let open = true;
  const dataListeners = new Set<(chunk: Uint8Array) => void>();
  const closeListeners = new Set<(error?: Error) => void>();
  const shut = (error?: Error) => {
    if (!open) return;
    open = false;
    for (const listener of [...closeListeners]) listener(error);
  };
  input.on('data', (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk);
    for (const listener of [...dataListeners]) listener(bytes);
  });
  input.on('error', (error) => shut(error));
  input.on('close', () => shut());
  return {
    get isOpen() {
      return open;
    },
    write(bytes: Uint8Array): Promise<void> {
      if (!open) return Promise.reject(new Error(`${path} is closed`));
      try {
        let offset = 0;
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    onData(listener): Unsubscribe {
      dataListeners.add(listener);
      return () => dataListeners.delete(listener);
    },
    onClose(listener): Unsubscribe {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    async close(): Promise<void> {
      if (!open) return;
      shut();
      input.destroy();
      try {
        closeSync(fd);
      } catch {
        // Already closed with the stream.
      }
    },
  };
}
