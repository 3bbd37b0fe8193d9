/**
 * A Concert terminal pulled from its serial port while it holds a payment: the cashier reads what
 * happened in their words, and the port's own (a closed file descriptor) stays in the developer log
 * and the payment's timeline, for support.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { createDefaultRegistry } from '../../drivers/registry';
import { createPtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { startTestHost, waitFor } from '../support/host';
import { hasTool } from '../support/tools';

describe.skipIf(!hasTool('socat'))('a Concert terminal pulled during a payment', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  it('says "unplugged or lost power" to the cashier, and keeps the port error for support', async () => {
    // Found by a tester: Process payment and Needs attention read "the reader disconnected (port
    // closed: bad file descriptor)".
    const dir = mkdtempSync(join(tmpdir(), 'concert-pulled-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const links = { linkA: join(dir, 'terminal'), linkB: join(dir, 'ecr') };
    const pty = await createPtyPair(links);
    // The terminal takes the request and keeps the card wait open: the cable is pulled meanwhile.
    const served = serveEmulator(await openSerialTransport(pty.a), { script: { outcome: 'never' } });
    cleanup.push(
      () => pty.stop(),
      () => served.stop(),
    );
    const t = await startTestHost({
      registry: createDefaultRegistry({ ports: [links.linkB], serial: false, usb: false, pollIntervalMs: 60_000 }),
      defaultSimulatedReader: false,
    });
    cleanup.push(() => t.close());
    const found = await waitFor(
      async () =>
        (await t.call('readers.list', {})).find(
          (r) => r.status === 'unpaired' && r.kind === 'concert' && r.path === links.linkB,
        ),
      10_000,
      'the terminal on its port',
    );
    const paired = await t.call('readers.pair', { deviceId: found.deviceId!, label: 'Desk' });
    await waitFor(
      async () =>
        (await t.call('readers.list', {})).find((r) => r.id === paired.id)?.status === 'online' ? 1 : undefined,
      10_000,
      'online',
    );
    const created = await t.call('payments.create', { amount: 4321, currency: 'EUR', readerId: paired.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card', 10_000);
    await waitFor(async () => (served.emulator.requests.length === 1 ? 1 : undefined), 10_000, 'the request taken');

    await served.stop();
    await pty.stop();
    const unknown = await t.waitForPayment(created.id, (p) => p.status === 'unknown', 10_000);
    const reason = unknown.attention?.reason ?? '';
    expect(reason).toMatch(/^The reader was unplugged or lost power during the payment\. .*may have been charged/);
    expect(reason).not.toMatch(/port|descriptor|disconnected \(/i);
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === created.id);
    expect(JSON.stringify(item)).not.toMatch(/port closed|descriptor/i);
    // Support still finds the port's words: the log and the payment's timeline.
    const log = await t.call('devlog.list', { limit: 1000 });
    expect(
      log.some((e) => e.summary.includes('unplugged or lost power') && /port closed|write failed/.test(e.detail ?? '')),
    ).toBe(true);
    const details = await t.call('transactions.get', { transactionId: created.transactionId! });
    expect(
      details.timeline.some((e) => /\[the reader disconnected \((port closed|write failed)/.test(e.detail ?? '')),
    ).toBe(true);
  }, 60_000);
});
