/**
 * A hung-up line must read as a disconnect. serialport's stock unix read retries forever when
 * read(2) returns 0 (how a tty reports a hangup), so a reader whose line died mid-read never
 * closed and a payment waited for its timeout (the CI failure "reader_timeout" instead of
 * "reader_disconnected" in concert-pty, one run in ten).
 */
import { closeSync, openSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortBinding, UnixPortBinding } from '../../drivers/serial/hangup-safe-binding';
import { hangupSafeBinding, readUnixPort } from '../../drivers/serial/hangup-safe-binding';
import { createPtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { hasTool } from '../support/tools';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await Promise.resolve(step()).catch(() => undefined);
});

function fakeUnixPort(fd: number | null, isOpen = true): UnixPortBinding {
  return {
    fd,
    isOpen,
    poller: { once: () => undefined },
    close: () => Promise.resolve(),
    read: () => Promise.reject(new Error('not used')),
  };
}

describe('reading a unix port', () => {
  it('reports end of file (0 bytes) as a hangup instead of reading again', async () => {
    const fd = openSync('/dev/null', 'r');
    cleanup.push(() => closeSync(fd));
    const read = readUnixPort(fakeUnixPort(fd), Buffer.alloc(16), 0, 16);
    await expect(read).rejects.toThrow('the line hung up');
    await expect(read).rejects.not.toHaveProperty('canceled');
  });

  it('rejects as canceled once the port is closed, so serialport does not call it a disconnect', async () => {
    await expect(readUnixPort(fakeUnixPort(null, false), Buffer.alloc(16), 0, 16)).rejects.toMatchObject({
      canceled: true,
    });
  });
});

describe('closing a unix port', () => {
  it('waits for a read already under way, so the port is free to reopen when close returns', async () => {
    const fd = openSync('/dev/null', 'r');
    cleanup.push(() => closeSync(fd));
    const events: string[] = [];
    const port = {
      ...fakeUnixPort(fd),
      close: () => {
        events.push('closed');
        return Promise.resolve();
      },
    };
    const safe = await hangupSafeBinding({
      list: () => Promise.resolve([]),
      open: () => Promise.resolve(port),
    }).open({ path: '/dev/null', baudRate: 9600 });
    const read = safe.read(Buffer.alloc(16), 0, 16).catch(() => events.push('read returned'));
    await safe.close();
    events.push('close returned');
    await read;
    expect(events).toEqual(['closed', 'read returned', 'close returned']);
  });
});

describe.skipIf(!hasTool('socat'))('a serial line that hangs up', () => {
  it('a read after the far end closed rejects at once (the stock binding reads forever)', async () => {
    const pair = await createPtyPair();
    cleanup.push(() => pair.stop());
    const port: PortBinding = await hangupSafeBinding().open({ path: pair.b, baudRate: 9600 });
    cleanup.push(() => port.close());
    await pair.stop();
    await expect(port.read(Buffer.alloc(64), 0, 64)).rejects.toThrow();
  });

  it('a port held open elsewhere is refused, naming the lock; free again once closed', async () => {
    const pair = await createPtyPair();
    cleanup.push(() => pair.stop());
    const first = await openSerialTransport(pair.b);
    await expect(openSerialTransport(pair.b)).rejects.toThrow(/Cannot lock port/);
    await first.close();
    const again = await openSerialTransport(pair.b);
    await again.close();
  });

  it('closes the transport with an error when the line is cut while idle', async () => {
    const pair = await createPtyPair();
    cleanup.push(() => pair.stop());
    const transport = await openSerialTransport(pair.b);
    cleanup.push(() => transport.close());
    const closed = new Promise<Error | undefined>((resolve) => transport.onClose(resolve));
    await pair.stop();
    expect(await closed).toBeInstanceOf(Error);
    expect(transport.isOpen).toBe(false);
  });
});
