/**
 * The whole serial path on real ptys: socat makes a null-modem pair, the emulator serves one end
 * through the real serialport binding, the Concert reader pays on the other. Every bound a test
 * expects to be met is the product's own (3 s): three processes pass each byte (the test's, socat's,
 * the test's again), and on a loaded 2-core machine a 300 ms bound was now and then missed (a probe
 * that found no terminal, a payment failed for an ACK late). Only the bound a test waits out is short.
 */
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createConcertDriver } from '../../drivers/protocols/concert/driver';
import type { EmulatorScript, EmulatorTimings, ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import type { ConcertLinkTimings } from '../../drivers/protocols/concert/link';
import { createReaderRegistry } from '../../drivers/registry';
import { SerialPollingDiscovery } from '../../drivers/serial/discovery';
import { createConfiguredLister } from '../../drivers/serial/list';
import type { PtyPair } from '../../drivers/serial/socat';
import { createPtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import type { CollectStage, Driver, Reader } from '../../drivers/types';
import { hasTool } from '../support/tools';

const PAYMENT = { amount: 1250, currency: 'EUR', reference: 'pi_pty_test' };

describe.skipIf(!hasTool('socat'))('Concert over a socat pty pair', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });

  async function pair(): Promise<PtyPair> {
    const created = await createPtyPair();
    cleanup.push(() => created.stop());
    return created;
  }

  async function terminal(
    path: string,
    script: Partial<EmulatorScript>,
    timings: Partial<EmulatorTimings> = {},
  ): Promise<ServedEmulator> {
    const served = serveEmulator(await openSerialTransport(path), { script, timings });
    cleanup.push(() => served.stop());
    return served;
  }

  const driver = createConcertDriver();

  async function reader(path: string, timings: Partial<ConcertLinkTimings> = {}): Promise<Reader> {
    const opened = await createConcertDriver({ timings }).open({ id: `serial:${path}`, foundBy: 'serial', path });
    cleanup.push(() => opened.close());
    return opened;
  }

  it('approves a payment end to end', async () => {
    const ports = await pair();
    const served = await terminal(ports.a, { delayMs: 50 });
    const r = await reader(ports.b);
    const stages: CollectStage[] = [];
    const outcome = await r.collect(PAYMENT, (stage) => stages.push(stage));
    expect(outcome).toEqual({ kind: 'approved', card: { brand: 'visa', last4: '0119' }, authCode: 'A00001' });
    expect(stages).toEqual(['waiting_for_card']);
    expect(served.emulator.requests[0]).toMatchObject({
      amount: 1250,
      currencyNumeric: '978',
      privateData: 'i_pty_test',
    });
  });

  it('reports a refusal as a decline', async () => {
    const ports = await pair();
    await terminal(ports.a, { outcome: 'refuse' });
    expect(await (await reader(ports.b)).collect(PAYMENT)).toMatchObject({ kind: 'declined', code: 'card_declined' });
  });

  it('ends unknown when the terminal takes the payment and never answers', async () => {
    const ports = await pair();
    await terminal(ports.a, { outcome: 'never' });
    const started = Date.now();
    const outcome = await (await reader(ports.b, { answerTimeoutMs: 1_000 })).collect(PAYMENT);
    expect(outcome).toMatchObject({ kind: 'unknown', code: 'reader_timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('ends unknown on garbage instead of an answer', async () => {
    const ports = await pair();
    // Waited out: the reader's wait for a frame, and the terminal's for an ACK of its garbage.
    await terminal(ports.a, { answerFault: 'garbage' }, { ackTimeoutMs: 300 });
    const r = await reader(ports.b, { frameTimeoutMs: 300 });
    expect(await r.collect(PAYMENT)).toMatchObject({ kind: 'unknown', code: 'reader_timeout' });
  });

  it('recovers from a bad LRC in the answer', async () => {
    const ports = await pair();
    await terminal(ports.a, { answerFault: 'bad_lrc', badLrcCount: 1 });
    expect((await (await reader(ports.b)).collect(PAYMENT)).kind).toBe('approved');
  });

  it('fails (nothing charged) when nothing answers ENQ', async () => {
    const ports = await pair();
    await terminal(ports.a, { respondToEnq: false });
    const r = await reader(ports.b, { ackTimeoutMs: 300, sessionRetryPauseMs: 100 });
    expect(await r.collect(PAYMENT)).toMatchObject({ kind: 'failed', code: 'reader_timeout' });
  });

  it('ends unknown and goes offline when the line is cut mid-transaction (socat killed)', async () => {
    const ports = await pair();
    await terminal(ports.a, { delayMs: 5_000 });
    const r = await reader(ports.b);
    const reasons: string[] = [];
    r.onDisconnect((reason) => reasons.push(reason));
    const outcome = r.collect(PAYMENT, (stage) => {
      if (stage === 'waiting_for_card') void ports.stop();
    });
    expect(await outcome).toMatchObject({ kind: 'unknown', code: 'reader_disconnected' });
    expect(reasons).toHaveLength(1);
    expect(r.state).toBe('disconnected');
  });

  it('probes a terminal (ACK) and leaves the port closed', async () => {
    const ports = await pair();
    await terminal(ports.a, {});
    const result = await driver.probePath(ports.b);
    expect(result.ok).toBe(true);
    // serialport locks the ports it opens: opening again proves the probe closed it.
    const again = await openSerialTransport(ports.b);
    await again.close();
  });

  it('does not recognise a silent port, within the probe bound, and leaves it closed', async () => {
    const ports = await pair();
    const result = await createConcertDriver({ probeTimeoutMs: 300 }).probePath(ports.b);
    expect(result).toMatchObject({ ok: false, detail: 'no ACK to ENQ within 300 ms' });
    const again = await openSerialTransport(ports.b);
    await again.close();
  });

  it('does not recognise a device that answers ENQ with noise holding a masked ACK', async () => {
    const ports = await pair();
    const device = await openSerialTransport(ports.a);
    cleanup.push(() => device.close());
    // Bytes still arriving as the test closes the device find it closed: that answer is not needed.
    device.onData(() => device.write(Uint8Array.of(0x7f, 0x3a, 0x86, 0x11)).catch(() => undefined));
    expect(await driver.probePath(ports.b)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/not a Concert terminal/),
    });
  });

  it('finds a configured pty, claims it by probe and pays through the registry', async () => {
    const ports = await pair();
    await terminal(ports.a, {});
    const registry = createReaderRegistry({
      drivers: [driver],
      discoveries: [new SerialPollingDiscovery({ lister: createConfiguredLister([ports.b]), intervalMs: 200 })],
    });
    cleanup.push(() => registry.stop());
    await registry.start();
    await registry.settled();
    expect(registry.devices()).toEqual([
      {
        device: { id: `serial:${ports.b}`, foundBy: 'serial', path: ports.b },
        claim: { driver: 'concert', by: 'probe' },
      },
    ]);
    const r = await registry.open(`serial:${ports.b}`);
    expect(r.info).toMatchObject({
      kind: 'concert',
      registrationCode: `concert-${ports.b}`,
      canPresentTestCards: false,
    });
    expect((await r.collect(PAYMENT)).kind).toBe('approved');
    await r.close();
  });

  it('says a port another program holds could not be opened, not that it did not answer', async () => {
    const ports = await pair();
    // Another program (here: this one, through a second handle) has the port open and locked.
    const holder = await openSerialTransport(ports.b);
    cleanup.push(() => holder.close());
    const registry = createReaderRegistry({
      drivers: [driver],
      discoveries: [new SerialPollingDiscovery({ lister: createConfiguredLister([ports.b]) })],
    });
    cleanup.push(() => registry.stop());
    await registry.start();
    await registry.settled();
    const [found] = registry.devices();
    expect(found?.claim).toEqual({
      driver: null,
      reason: expect.stringMatching(/^concert probe failed: cannot open .*Cannot lock port: another program/),
    });
    expect(await driver.probePath(ports.b)).toMatchObject({ ok: false, opened: false });
  });

  /** A udev-style link to the pty's node, in a directory of its own: /dev/serial/by-id/… in small. */
  function byIdLink(path: string): { link: string; node: string } {
    const dir = mkdtempSync(join(tmpdir(), 'by-id-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const node = realpathSync(path);
    const link = join(dir, 'usb-Ingenico_Desk_5000_SN123-if00');
    symlinkSync(node, link);
    return { link, node };
  }

  /** The system's listing (the node) and the configured ports (the link), as the default registry has them. */
  function twoPathRegistry(node: string, link: string, drivers: readonly Driver[] = [driver]) {
    const given = new SerialPollingDiscovery({ lister: createConfiguredLister([link]) });
    const registry = createReaderRegistry({
      drivers,
      discoveries: [
        new SerialPollingDiscovery({ lister: async () => ({ ports: [{ path: node }], source: 'serialport' }) }),
        given,
      ],
      configured: [link],
    });
    cleanup.push(() => registry.stop());
    return Object.assign(registry, { given });
  }

  it('shows a port found by its link and by its node once, under the configured link, and pays there', async () => {
    const ports = await pair();
    await terminal(ports.a, {});
    const { link, node } = byIdLink(ports.b);
    expect(node).toMatch(/^\/dev\/pts\/\d+$/);
    const registry = twoPathRegistry(node, link);
    await registry.start();
    await registry.settled();
    expect(registry.devices()).toEqual([
      { device: { id: `serial:${link}`, foundBy: 'serial', path: link }, claim: { driver: 'concert', by: 'probe' } },
    ]);
    // The node's entry is hidden and left alone: never opened under a second path.
    await expect(registry.open(`serial:${node}`)).rejects.toThrow(`the same port as ${link}`);
    const r = await registry.open(`serial:${link}`);
    expect((await r.collect(PAYMENT)).kind).toBe('approved');
    await r.close();
    // The link goes away: the port is shown under its node again.
    rmSync(link);
    await registry.given.poll();
    await registry.settled();
    expect(registry.devices()).toEqual([
      { device: { id: `serial:${node}`, foundBy: 'serial', path: node }, claim: { driver: 'concert', by: 'probe' } },
    ]);
  });

  it('keeps the paired path of such a port shown, whichever it is, and probes the port once at a time', async () => {
    const ports = await pair();
    const { link, node } = byIdLink(ports.b);
    let probing = 0;
    const overlaps: string[] = [];
    const probed: string[] = [];
    const counting: Driver = {
      kind: 'concert',
      matches: () => 'maybe',
      async probe(device) {
        if (probing > 0) overlaps.push(device.path!);
        probing++;
        probed.push(device.path!);
        await new Promise((resolve) => setTimeout(resolve, 50));
        probing--;
        return true;
      },
      open: (device) => driver.open(device),
    };
    const registry = twoPathRegistry(node, link, [counting]);
    const ids = () => registry.devices().map((d) => d.device.id);
    await registry.start();
    await registry.settled();
    // The node is listed (and probed) first; the configured link, found while that probe runs,
    // is shown and waits for it before it probes.
    expect(ids()).toEqual([`serial:${link}`]);
    expect(registry.devices()[0]?.claim).toEqual({ driver: 'concert', by: 'probe' });
    // Paired under the node (found by the system listing before the link was configured).
    registry.setPaired!([`serial:${node}`]);
    expect(ids()).toEqual([`serial:${node}`]);
    await registry.settled();
    expect(registry.devices()[0]?.claim).toEqual({ driver: 'concert', by: 'probe' });
    // Forgotten: the configured link again.
    registry.setPaired!([]);
    expect(ids()).toEqual([`serial:${link}`]);
    await registry.settled();
    expect(overlaps).toEqual([]);
    expect(probed).toEqual([node, link, node, link]);
  });

  it('rejects opening a port that does not exist, with the path in the message', async () => {
    await expect(openSerialTransport('/dev/does-not-exist-pos')).rejects.toThrow(
      /cannot open \/dev\/does-not-exist-pos/,
    );
  });
});
