/**
 * A Concert terminal on a serial port that goes away and comes back between two of the registry's
 * scans (a cable pulled and pushed back, a USB-to-serial adapter that resets): the port's close is
 * the only sign, so the app must open the port again by itself — the registry sees no change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveEmulator, type ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { createDefaultRegistry } from '../../drivers/registry';
import { createPtyPair, type PtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { pairTerminalOnPort, startTestHost, waitFor, type TestHost } from '../support/host';
import { hasTool } from '../support/tools';

describe.skipIf(!hasTool('socat'))('a Concert terminal replugged between two port scans', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  /** A terminal on a pty pair whose ends keep their paths across an unplug (as a device name does). */
  async function plugIn(links: { linkA: string; linkB: string }): Promise<{ pty: PtyPair; served: ServedEmulator }> {
    const pty = await createPtyPair(links);
    const served = serveEmulator(await openSerialTransport(pty.a), { script: { outcome: 'approve', delayMs: 50 } });
    cleanup.push(
      () => pty.stop(),
      () => served.stop(),
    );
    return { pty, served };
  }

  it('comes back online by itself and takes the next payment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concert-replug-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const links = { linkA: join(dir, 'terminal'), linkB: join(dir, 'ecr') };
    let terminal = await plugIn(links);
    // Scans a minute apart: the unplug and the replug both fall between two of them.
    const t: TestHost = await startTestHost({
      registry: createDefaultRegistry({ ports: [links.linkB], serial: false, usb: false, pollIntervalMs: 60_000 }),
      defaultSimulatedReader: false,
    });
    cleanup.push(() => t.close());
    const paired = await pairTerminalOnPort(t, links.linkB, 'Desk');
    const status = async () => (await t.call('readers.list', {})).find((r) => r.id === paired.id)?.status;

    await terminal.served.stop();
    await terminal.pty.stop();
    await waitFor(async () => ((await status()) === 'offline' ? true : undefined), 10_000, 'offline');
    terminal = await plugIn(links);
    await waitFor(async () => ((await status()) === 'online' ? true : undefined), 10_000, 'online again by itself');

    const created = await t.call('payments.create', { amount: 1500, currency: 'EUR', readerId: paired.id });
    await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 15_000);
    expect(terminal.served.emulator.requests.map((r) => r.amount)).toEqual([1500]);
  }, 60_000);
});
