/**
 * Soak findings: a reader action the device already took is never collected a second time —
 * not when the link to the gateway reopens after an unknown outcome, and not when the host
 * restarts after dying while the device was collecting. Either would ask the terminal to charge
 * the same card again; the device is asked what happened instead, and the cashier settles the rest.
 * (Found by the fault soak, test/soak: terminal approvals counted twice for one order.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTransportPair } from '../support/memory-transport';
import { concertReaderInfo } from '../../drivers/protocols/concert/driver';
import { serveEmulator, type EmulatorScript, type ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { ConcertReader } from '../../drivers/protocols/concert/reader';
import type { DeviceDescriptor, ReaderRegistry } from '../../drivers/types';
import { startSandbox } from '../../sandbox/index';
import { journalImage, restoreJournal } from '../support/crash';
import { startTestHost, waitFor, type TestHost } from '../support/host';

const DEVICE: DeviceDescriptor = { id: 'serial:/dev/ttyTEST0', foundBy: 'serial', path: '/dev/ttyTEST0' };

/**
 * A registry with one Concert terminal (the emulator on an in-memory cable). With appearAfterMs
 * the terminal shows up a little after start, as a probed serial port does.
 */
function concertRegistry(
  served: { current: ServedEmulator | null },
  script: Partial<EmulatorScript>,
  appearAfterMs = 0,
): ReaderRegistry {
  let present = appearAfterMs === 0;
  const listeners = new Set<() => void>();
  return {
    async start() {
      if (!present) {
        setTimeout(() => {
          present = true;
          for (const listener of listeners) listener();
        }, appearAfterMs);
      }
    },
    async stop() {},
    devices: () => (present ? [{ device: DEVICE, claim: { driver: 'concert', by: 'configured' } }] : []),
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async open() {
      const [ecr, terminal] = createTransportPair();
      served.current = serveEmulator(terminal, { script, timings: { ackTimeoutMs: 300, frameTimeoutMs: 300 } });
      return new ConcertReader({
        transport: ecr,
        info: concertReaderInfo(DEVICE),
        timings: { ackTimeoutMs: 300, frameTimeoutMs: 300, eotTimeoutMs: 300 },
      });
    },
  };
}

async function pairTerminal(t: TestHost): Promise<string> {
  const device = await waitFor(
    async () => (await t.call('readers.list', {})).find((r) => r.status === 'unpaired'),
    5_000,
    'the terminal',
  );
  const reader = await t.call('readers.pair', { deviceId: device.deviceId });
  await waitFor(
    async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.status === 'online'),
    5_000,
    'terminal online',
  );
  return reader.id;
}

describe('a reader action the device already took is not collected again', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  /** A sandbox that outlives the host, the host's data directory, and where its crash copy goes. */
  const crashScene = async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'host-crash-'));
    const copyDir = mkdtempSync(join(tmpdir(), 'host-crash-copy-'));
    cleanup.push(() => {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(copyDir, { recursive: true, force: true });
    });
    return { sandbox, dataDir, copyDir };
  };
  const track = (t: TestHost) => {
    cleanup.push(() => t.close());
    return t;
  };

  it('after an unknown outcome, a reopened link does not send the request to the terminal again', async () => {
    const served: { current: ServedEmulator | null } = { current: null };
    const t = track(
      await startTestHost({ registry: concertRegistry(served, { delayMs: 20, answerFault: 'garbage' }) }),
    );
    const reader = { id: await pairTerminal(t) };
    const created = await t.call('payments.create', { amount: 4200, currency: 'EUR' });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    // The terminal approves, but its answer arrives as noise: nobody can tell whether it charged.
    await t.waitForPayment(created.id, (p) => p.status === 'unknown', 8_000);
    expect(served.current!.emulator.requests).toHaveLength(1);
    await t.call('readers.reconnect', { readerId: reader.id });
    await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.status === 'online'),
      5_000,
      'terminal online again',
    );
    await new Promise((r) => setTimeout(r, 800));
    expect(served.current!.emulator.requests).toHaveLength(1);
    expect((await t.call('payments.list', { filter: 'attention', limit: 5 }))[0]).toMatchObject({
      id: created.id,
      status: 'unknown',
    });
    // The cashier reads the terminal's receipt: charged.
    await t.call('attention.resolve', { paymentId: created.id, resolution: 'charged' });
    expect(await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 5_000)).toMatchObject({
      amountCaptured: 4200,
      attention: null,
    });
  }, 30_000);

  it('a host that died while the reader was collecting does not collect again after the restart', async () => {
    const { sandbox, dataDir, copyDir } = await crashScene();
    // A slow authorisation keeps the first host mid-collection while the crash is taken.
    const first = track(await startTestHost({ sandbox, dataDir, tuning: { simulatedProcessingMs: 20_000 } }));
    const reader = await first.onlineReader();
    const created = await first.call('payments.create', { amount: 3300, currency: 'EUR' });
    await first.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await first.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await first.call('simulate.presentCard', { readerId: reader.id, cardNumber: '4242424242424242' });
    await first.waitForPayment(created.id, (p) => p.readerStage === 'processing');
    // The journal as a kill -9 right now would leave it (the first host keeps running, unaware).
    restoreJournal(copyDir, journalImage(dataDir));
    const second = track(await startTestHost({ sandbox, dataDir: copyDir }));
    const unknown = await second.waitForPayment(created.id, (p) => p.status === 'unknown', 8_000);
    expect(unknown.attention?.reason).toMatch(/app stopped while the reader was collecting/);
    // The reader is not prompting for a card again.
    expect((await second.fail('simulate.presentCard', { readerId: reader.id })).code).toBe('conflict');
    // It is shown busy with that payment, and a new charge on it is refused before anything is
    // created (it used to show idle, and each charge left an open payment behind a bare "busy").
    const busy = (await second.call('readers.list', {})).find((r) => r.id === reader.id)!;
    expect(busy.action).toMatchObject({ paymentId: created.id, status: 'unknown' });
    const before = (await second.call('payments.list', { filter: 'all', limit: 50 })).length;
    const refused = await second.fail('payments.create', { amount: 1111, currency: 'EUR', readerId: reader.id });
    expect(refused.code).toBe('conflict');
    expect(refused.message).toMatch(/is busy with another payment whose outcome is unknown \(€33\.00/);
    expect((await second.call('payments.list', { filter: 'all', limit: 50 })).length).toBe(before);
    const tx = (await second.api('GET', `/v1/transactions/${created.transactionId}`)).json as { status: string };
    expect(tx.status).toBe('pending');
    // The cashier checks the reader: not charged. The payment can then be taken again.
    await second.call('attention.resolve', { paymentId: created.id, resolution: 'not_charged' });
    await second.waitForPayment(created.id, (p) => p.status === 'pending', 5_000);
    await second.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await second.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await second.call('simulate.presentCard', { readerId: reader.id });
    expect(await second.waitForPayment(created.id, (p) => p.status === 'succeeded')).toMatchObject({
      amountCaptured: 3300,
    });
  }, 30_000);

  it('a terminal not back after the restart: unknown at once, not cancelable, and Reconnect asks it again', async () => {
    // Found by using the app: the restarted till showed "Waiting for card" on an offline terminal,
    // and Esc answered "Canceled. No money was taken." for a card the terminal had approved.
    const { sandbox, dataDir, copyDir } = await crashScene();
    const before: { current: ServedEmulator | null } = { current: null };
    const first = track(
      await startTestHost({ sandbox, dataDir, registry: concertRegistry(before, { delayMs: 20_000 }) }),
    );
    const readerId = await pairTerminal(first);
    const created = await first.call('payments.create', { amount: 5500, currency: 'EUR' });
    await first.call('payments.process', { paymentId: created.id, readerId });
    await first.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    // The journal as a kill -9 right now would leave it (the first host keeps running, unaware).
    restoreJournal(copyDir, journalImage(dataDir));
    // The terminal is busy finishing the card: its port answers no probe, so nothing is claimed.
    const reprobed: string[] = [];
    const busyTerminal: ReaderRegistry = {
      async start() {},
      async stop() {},
      devices: () => [{ device: DEVICE, claim: { driver: null, reason: 'did not answer the concert probe' } }],
      onChange: () => () => undefined,
      open: () => Promise.reject(new Error(`${DEVICE.id} is not claimed by any driver`)),
      reprobe: (deviceId) => void reprobed.push(deviceId),
    };
    const second = track(await startTestHost({ sandbox, dataDir: copyDir, registry: busyTerminal }));
    const unknown = await second.waitForPayment(created.id, (p) => p.status === 'unknown', 3_000);
    expect(unknown.attention?.reason).toMatch(/app stopped while the reader was collecting/);
    const refused = await second.fail('payments.cancel', { paymentId: created.id });
    expect(refused.code).toBe('conflict');
    expect(refused.message).toMatch(/may have charged this card/);
    const tx = (await second.api('GET', `/v1/transactions/${created.transactionId}`)).json as { status: string };
    expect(tx.status).toBe('pending');
    await second.call('readers.reconnect', { readerId });
    expect(reprobed).toEqual([DEVICE.id]);
  }, 30_000);

  it('a terminal probed again after the restart is not asked to charge the same payment again', async () => {
    const { sandbox, dataDir, copyDir } = await crashScene();
    const before: { current: ServedEmulator | null } = { current: null };
    const first = track(
      await startTestHost({ sandbox, dataDir, registry: concertRegistry(before, { delayMs: 20_000 }) }),
    );
    const readerId = await pairTerminal(first);
    const created = await first.call('payments.create', { amount: 5100, currency: 'EUR' });
    await first.call('payments.process', { paymentId: created.id, readerId });
    // The terminal took the request (it may charge from here on) when the host dies.
    await first.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    // The journal as a kill -9 right now would leave it (the first host keeps running, unaware).
    restoreJournal(copyDir, journalImage(dataDir));
    const after: { current: ServedEmulator | null } = { current: null };
    const second = track(
      await startTestHost({ sandbox, dataDir: copyDir, registry: concertRegistry(after, { delayMs: 20 }, 300) }),
    );
    const unknown = await second.waitForPayment(created.id, (p) => p.status === 'unknown', 8_000);
    expect(unknown.attention?.reason).toMatch(/app stopped while the reader was collecting/);
    await waitFor(
      async () => (await second.call('readers.list', {})).find((r) => r.id === readerId && r.status === 'online'),
      5_000,
      'terminal back',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(after.current!.emulator.requests).toHaveLength(0);
    expect(
      second.events.some((e) => e.type === 'payment' && e.payment.id === created.id && e.payment.status === 'pending'),
    ).toBe(false);
  }, 30_000);
});
