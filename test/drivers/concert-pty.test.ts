/**
 * The whole serial path on real ptys: socat makes a null-modem pair, the emulator serves one end
 * through the real serialport binding, the Concert reader pays on the other. Bounds are short
 * (300 ms) so the suite stays fast.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createConcertDriver } from '../../drivers/protocols/concert/driver';
import type { EmulatorScript, ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { createReaderRegistry } from '../../drivers/registry';
import { SerialPollingDiscovery } from '../../drivers/serial/discovery';
import { createConfiguredLister } from '../../drivers/serial/list';
import type { PtyPair } from '../../drivers/serial/socat';
import { createPtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import type { CollectStage, Reader } from '../../drivers/types';
import { hasTool } from '../support/tools';

const FAST = {
  ackTimeoutMs: 300,
  sessionRetryPauseMs: 100,
  answerTimeoutMs: 1_000,
  frameTimeoutMs: 300,
  eotTimeoutMs: 300,
};
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

  async function terminal(path: string, script: Partial<EmulatorScript>): Promise<ServedEmulator> {
    const served = serveEmulator(await openSerialTransport(path), {
      script,
      timings: { ackTimeoutMs: 300, frameTimeoutMs: 300 },
    });
    cleanup.push(() => served.stop());
    return served;
  }

  const driver = createConcertDriver({ timings: FAST, probeTimeoutMs: 300 });

  async function reader(path: string): Promise<Reader> {
    const opened = await driver.open({ id: `serial:${path}`, foundBy: 'serial', path });
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
    const outcome = await (await reader(ports.b)).collect(PAYMENT);
    expect(outcome).toMatchObject({ kind: 'unknown', code: 'reader_timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('ends unknown on garbage instead of an answer', async () => {
    const ports = await pair();
    await terminal(ports.a, { answerFault: 'garbage' });
    expect(await (await reader(ports.b)).collect(PAYMENT)).toMatchObject({ kind: 'unknown', code: 'reader_timeout' });
  });

  it('recovers from a bad LRC in the answer', async () => {
    const ports = await pair();
    await terminal(ports.a, { answerFault: 'bad_lrc', badLrcCount: 1 });
    expect((await (await reader(ports.b)).collect(PAYMENT)).kind).toBe('approved');
  });

  it('fails (nothing charged) when nothing answers ENQ', async () => {
    const ports = await pair();
    await terminal(ports.a, { respondToEnq: false });
    expect(await (await reader(ports.b)).collect(PAYMENT)).toMatchObject({ kind: 'failed', code: 'reader_timeout' });
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
    const started = Date.now();
    const result = await driver.probePath(ports.b);
    expect(result).toMatchObject({ ok: false, detail: 'no ACK to ENQ within 300 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
    const again = await openSerialTransport(ports.b);
    await again.close();
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

  it('rejects opening a port that does not exist, with the path in the message', async () => {
    await expect(openSerialTransport('/dev/does-not-exist-pos')).rejects.toThrow(
      /cannot open \/dev\/does-not-exist-pos/,
    );
  });
});
