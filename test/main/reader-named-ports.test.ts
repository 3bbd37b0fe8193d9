/**
 * A port the technician named (`--reader-port`) on which no driver recognises a reader: before, it
 * was left off the Readers screen altogether (only `pos-reader list` said why), so a port that was
 * silent, not a serial port or missing looked exactly like a flag that had been ignored. Each is
 * now under "Found, not paired" with why; a port that comes to answer is then claimed as usual.
 * Unclaimed ports the scan finds by itself stay off the screen (a machine has many).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReaderView } from '../../common/contract';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { createDefaultRegistry } from '../../drivers/registry';
import { createPtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { hasTool } from '../support/tools';

describe.skipIf(!hasTool('socat'))('ports named with --reader-port that no driver claims', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  it('are listed under Found, not paired with why, and a port that comes to answer is claimed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'named-ports-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'not-a-port');
    writeFileSync(file, '');
    const missing = join(dir, 'ttyGONE');
    // Nobody answers on the far end of either pair: one is named, the other only found by the scan.
    const silent = await createPtyPair();
    const scanned = await createPtyPair();
    cleanup.push(
      () => silent.stop(),
      () => scanned.stop(),
    );
    const registry = createDefaultRegistry({
      ports: [silent.b, file, '/dev/null', missing],
      serialLister: async () => ({ ports: [{ path: scanned.b }], source: 'serialport' }),
      usb: false,
      concert: { probeTimeoutMs: 300 },
    });
    const t: TestHost = await startTestHost({ registry, defaultSimulatedReader: false });
    cleanup.push(() => t.close());

    const settled = (views: ReaderView[], path: string) =>
      views.find((v) => v.path === path && v.kind === 'port' && !/^Checking/.test(v.statusDetail ?? ''));
    const views = await waitFor(
      async () => {
        const list = await t.call('readers.list', {});
        return [silent.b, file, '/dev/null', missing].every((path) => settled(list, path)) ? list : undefined;
      },
      10_000,
      'every named port to be tried',
    );
    const portOf = (path: string) => views.find((v) => v.path === path)!;
    expect(portOf(silent.b)).toMatchObject({
      kind: 'port',
      status: 'unpaired',
      deviceId: null,
      label: silent.b,
      statusDetail: expect.stringMatching(
        /^No reader: did not answer the concert probe\. Check that the terminal is on.*Cash connection = On.*Try again\.$/,
      ),
    });
    for (const path of [file, '/dev/null'])
      expect(portOf(path).statusDetail).toMatch(
        /^No reader: concert probe failed: cannot open .*: not a serial port \(.*\)\. Check the port given with --reader-port/,
      );
    expect(portOf(missing).statusDetail).toMatch(/^Nothing is at this path: check the port given with --reader-port/);

    // The scanned port was tried too, and is unclaimed, but it is not shown: only named ports are.
    await registry.settled();
    expect(registry.devices().find((d) => d.device.path === scanned.b)?.claim).toEqual({
      driver: null,
      reason: 'did not answer the concert probe',
    });
    expect((await t.call('readers.list', {})).some((v) => v.path === scanned.b)).toBe(false);
    // None can be paired or chosen to take a payment.
    expect(views.filter((v) => v.kind === 'port').every((v) => v.deviceId === null)).toBe(true);

    // A terminal comes to answer on the silent port: Try again asks it now, and it is claimed.
    const served = serveEmulator(await openSerialTransport(silent.a), { script: { outcome: 'approve' } });
    cleanup.push(() => served.stop());
    await t.call('readers.reconnect', { readerId: portOf(silent.b).id });
    const found = await waitFor(
      async () =>
        (await t.call('readers.list', {})).find(
          (v) => v.path === silent.b && v.kind === 'concert' && v.status === 'unpaired',
        ),
      10_000,
      'the terminal to be claimed',
    );
    expect(found.deviceId).toBe(`serial:${silent.b}`);
    const after = await t.call('readers.list', {});
    expect(after.filter((v) => v.path === silent.b)).toHaveLength(1);
    // The screen hears of it in a readers event, not only by asking. Events are coalesced a moment
    // after the change, while the list reads the registry at once: waited for, not assumed.
    await waitFor(
      () =>
        t.events.some(
          (e) => e.type === 'readers' && e.readers.some((v) => v.path === silent.b && v.kind === 'concert'),
        ),
      5_000,
      'a readers event naming the terminal',
    );
    const paired = await t.call('readers.pair', { deviceId: found.deviceId!, label: 'Desk' });
    expect(paired.kind).toBe('concert');
  }, 60_000);
});
