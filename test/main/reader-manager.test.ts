/**
 * The reader manager and the till's mode: a simulated reader never runs in live mode, where its
 * approvals would be recorded as real money (found by a tester: a live payment "paid" with no card).
 * And a paired terminal whose port cannot be opened says why on the Readers screen; one forgotten
 * lets its port go.
 */
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock, type TimerHandle } from '../../common/clock';
import { createTransportPair } from '../support/memory-transport';
import { concertReaderInfo } from '../../drivers/protocols/concert/driver';
import { ConcertReader } from '../../drivers/protocols/concert/reader';
import { createDefaultRegistry, createReaderRegistry } from '../../drivers/registry';
import { SerialPollingDiscovery } from '../../drivers/serial/discovery';
import type { SimulatedReader } from '../../drivers/simulated/reader';
import { createConfiguredLister, type SerialPortInfo } from '../../drivers/serial/list';
import { createPtyPair } from '../../drivers/serial/socat';
import type { Claim, DeviceDescriptor, ReaderRegistry, Transport } from '../../drivers/types';
import {
  FakeUsbBackend,
  NO_USB_BUS,
  unavailableUsbBackend,
  type UsbBackend,
  type UsbDeviceInfo,
} from '../../drivers/usb/backend';
import type { RemoteReader } from '../../main/gateway/port';
import type { ReaderEventSink } from '../../main/payments/reader-events';
import { ReaderManager, type ReaderTuning } from '../../main/readers/manager';
import { Journal, newPaymentRecord } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { FakeGateway } from '../support/fake-gateway';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { hasTool } from '../support/tools';
import { FakeClock } from '../support/fake-clock';
import { UsbDiscovery } from '../../drivers/usb/discovery';

/** A Concert driver that claims every device and talks to it over an in-memory pair (no terminal answers). */
function concertOverMemoryPair(opened: Transport[] = []) {
  return {
    kind: 'concert' as const,
    matches: () => 'yes' as const,
    async open(device: DeviceDescriptor) {
      const [ecr] = createTransportPair();
      opened.push(ecr);
      return new ConcertReader({ transport: ecr, info: concertReaderInfo(device) });
    },
  };
}
describe('simulated readers and the mode', () => {
  const managers: ReaderManager[] = [];
  afterEach(async () => {
    for (const manager of managers.splice(0)) await manager.stop();
  });

  function setup(mode: 'test' | 'live', clock: Clock = systemClock) {
    const gateway = new FakeGateway();
    // A long poll that waits, as a gateway's does (the fake answers at once, which would spin).
    gateway.readers.link.poll = (_session, version) =>
      new Promise((resolve) => setTimeout(() => resolve({ version: version ?? 0, action: null }), 50));
    const journal = new Journal(openDatabase(':memory:'), systemClock);
    journal.upsertReader({
      id: 'rdr_sim',
      deviceId: 'sim_1',
      kind: 'simulated',
      label: 'Simulated reader 1',
      registrationCode: '',
      terminalId: null,
      gatewayReaderId: null,
    });
    // Nothing reaches the sink in these tests: no payment is ever taken.
    const sink = {} as ReaderEventSink;
    const manager = new ReaderManager({
      journal,
      clock,
      gateway: () => gateway,
      paymentOfTransaction: () => undefined,
      sink,
      testMode: () => mode === 'test',
      autoPresentDelayMs: () => 0,
      onChange: () => undefined,
      log: () => undefined,
    });
    managers.push(manager);
    return { gateway, manager, journal };
  }

  it('in live mode a simulated reader stays idle, says why, never pairs, and cannot be added', async () => {
    const { gateway, manager } = setup('live');
    await manager.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(manager.views().find((r) => r.id === 'rdr_sim')).toMatchObject({
      status: 'offline',
      statusDetail: expect.stringMatching(/live mode: a simulated reader takes test payments only/),
      canPresentTestCards: false,
    });
    expect(await gateway.readers.list()).toEqual([]);
    expect(() => manager.reconnect('rdr_sim')).toThrow(/test payments only/);
    await expect(manager.addSimulated()).rejects.toThrow(/test mode/);
  });

  it("in live mode a simulated reader set to charge through the shop's bank refuses payments too", async () => {
    const { manager, journal } = setup('live');
    journal.setReaderStandalone('rdr_sim', true);
    await manager.start();
    expect(manager.resolve('rdr_sim')).toMatchObject({
      standalone: true,
      refusal: expect.stringMatching(/test payments only, not in live mode/),
    });
  });

  it('in test mode the same reader pairs with the gateway and comes online', async () => {
    const { gateway, manager } = setup('test');
    await manager.start();
    await waitFor(() => manager.views().find((r) => r.id === 'rdr_sim' && r.status === 'online'), 3_000, 'online');
    expect(await gateway.readers.list()).toHaveLength(1);
  });
  it('stopped while its simulated reader is unplugged, leaves no timer of it behind', async () => {
    // A mode or gateway switch stops the readers: one unplugged at that moment (an injected fault)
    // was never closed, and its replug timer then handed it back to the stopped controller.
    const clock = countingClock();
    const { manager } = setup('test', clock);
    await manager.start();
    await waitFor(() => manager.views().find((r) => r.id === 'rdr_sim' && r.status === 'online'), 3_000, 'online');
    // The device itself: the manager hands it to no one (tests reach it as the fault would).
    const device = (manager as unknown as { simulated: Map<string, SimulatedReader> }).simulated.get('sim_1')!;
    device.unplug('unplugged (test)');
    await manager.stop();
    expect(clock.pending()).toBe(0);
  });
});

/** The system clock, counting the timers set and not yet fired or cleared. */
function countingClock(): Clock & { pending(): number } {
  const waiting = new Set<number>();
  return {
    now: () => systemClock.now(),
    monotonic: () => systemClock.monotonic(),
    setTimeout(callback, ms) {
      const handle: TimerHandle = systemClock.setTimeout(() => {
        waiting.delete(handle.id);
        callback();
      }, ms);
      waiting.add(handle.id);
      return handle;
    },
    clearTimeout(handle) {
      if (handle) waiting.delete(handle.id);
      systemClock.clearTimeout(handle);
    },
    pending: () => waiting.size,
  };
}

describe('a paired terminal whose port cannot be opened', () => {
  const managers: ReaderManager[] = [];
  afterEach(async () => {
    for (const manager of managers.splice(0)) await manager.stop();
  });

  const DEVICE: DeviceDescriptor = { id: 'serial:/dev/ttyTEST0', foundBy: 'serial', path: '/dev/ttyTEST0' };
  const LOCKED =
    'concert probe failed: cannot open /dev/ttyTEST0: Error Resource temporarily unavailable Cannot lock port';

  /** A manager with one paired terminal, "Desk", on DEVICE. */
  function deskManager(registry: ReaderRegistry): ReaderManager {
    const gateway = new FakeGateway();
    gateway.readers.link.poll = (_session, version) =>
      new Promise((resolve) => setTimeout(() => resolve({ version: version ?? 0, action: null }), 50));
    const journal = new Journal(openDatabase(':memory:'), systemClock);
    journal.upsertReader({
      id: 'rdr_desk',
      deviceId: DEVICE.id,
      kind: 'concert',
      label: 'Desk',
      registrationCode: '',
      terminalId: null,
      gatewayReaderId: null,
    });
    const manager = new ReaderManager({
      journal,
      clock: systemClock,
      gateway: () => gateway,
      paymentOfTransaction: () => undefined,
      sink: {} as ReaderEventSink,
      registry,
      testMode: () => true,
      autoPresentDelayMs: () => 0,
      onChange: () => undefined,
      log: () => undefined,
    });
    managers.push(manager);
    return manager;
  }

  it('not found at all says where it was looked for and what to do, keeping its port', async () => {
    // Found by restarting a till whose terminal's port (a socat pty) had gone: the reader read only
    // "Offline — Reader not connected.", with no port, whether the port was given again or not.
    const registry = (named: string[]): ReaderRegistry => ({
      async start() {},
      async stop() {},
      devices: () => [],
      namedPorts: () => named.map((path) => ({ path, found: null })),
      onChange: () => () => undefined,
      open: async () => {
        throw new Error(`no device "${DEVICE.id}": it was unplugged or has not been discovered`);
      },
    });
    const given = deskManager(registry([DEVICE.path!]));
    await given.start();
    await waitFor(() => given.viewOf('rdr_desk').status === 'offline', 3_000, 'offline');
    expect(given.viewOf('rdr_desk')).toMatchObject({
      path: '/dev/ttyTEST0',
      statusDetail: expect.stringMatching(/^Nothing is at \/dev\/ttyTEST0: .* looked for every 2 s\.$/),
    });
    // Not given again at this start: said to be given, with the flag that does it.
    const forgotten = deskManager(registry([]));
    await forgotten.start();
    await waitFor(() => forgotten.viewOf('rdr_desk').status === 'offline', 3_000, 'offline');
    expect(forgotten.viewOf('rdr_desk')).toMatchObject({
      path: '/dev/ttyTEST0',
      statusDetail: expect.stringMatching(
        /^\/dev\/ttyTEST0 is not found: .*--reader-port \/dev\/ttyTEST0 or POS_READER_PORTS\.$/,
      ),
    });
  });

  it('present at start is opened once, not also refused as already open', async () => {
    // Found in the developer log of every start: "Could not open Desk: … is already open", the
    // reader shown "Reader not connected" for a moment and retries scheduled. Two passes over the
    // registry ran at once (its first change, and the start's own), each opening the device.
    const registry = createReaderRegistry({
      drivers: [concertOverMemoryPair()],
      discoveries: [
        {
          async start() {},
          async stop() {},
          list: () => [DEVICE],
          onAttach: () => () => undefined,
          onDetach: () => () => undefined,
        },
      ],
    });
    const outcomes: string[] = [];
    const open = registry.open.bind(registry);
    registry.open = (deviceId) =>
      open(deviceId).then(
        (reader) => (outcomes.push('opened'), reader),
        (error: unknown) => {
          outcomes.push(String(error));
          throw error;
        },
      );
    const manager = deskManager(registry);
    await manager.start();
    await waitFor(() => manager.viewOf('rdr_desk').status === 'online', 3_000, 'online');
    expect(outcomes).toEqual(['opened']);
  });

  it('says why on the Readers screen (another program holds the port), and comes online once it is free', async () => {
    // The port is listed, but another program has it open: the probe could not open it either.
    let claim: Claim = { driver: null, reason: LOCKED };
    const listeners = new Set<() => void>();
    const registry: ReaderRegistry = {
      async start() {},
      async stop() {},
      devices: () => [{ device: DEVICE, claim }],
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async open() {
        if (claim.driver === null) throw new Error(`${DEVICE.id} is not claimed by any driver: ${claim.reason}`);
        const [ecr] = createTransportPair();
        return new ConcertReader({ transport: ecr, info: concertReaderInfo(DEVICE) });
      },
    };
    const manager = deskManager(registry);
    await manager.start();
    expect(manager.viewOf('rdr_desk')).toMatchObject({
      status: 'offline',
      statusDetail: expect.stringMatching(/Cannot lock port/),
    });

    // The other program lets go; the next probe claims the port.
    claim = { driver: 'concert', by: 'probe' };
    for (const listener of listeners) listener();
    await waitFor(() => manager.viewOf('rdr_desk').status === 'online', 3_000, 'online');
    expect(manager.viewOf('rdr_desk').statusDetail).toBeNull();
  });

  it('a terminal known by its USB ids comes online by itself once another program lets go of its port', async () => {
    // Claimed by its ids, not by a probe: the registry sees no change when the port frees up, so
    // only the manager's own retries can open it (found by a tester: offline until Reconnect).
    let locked = true;
    const registry: ReaderRegistry = {
      async start() {},
      async stop() {},
      devices: () => [{ device: DEVICE, claim: { driver: 'concert', by: 'vid-pid' } }],
      onChange: () => () => undefined,
      async open() {
        if (locked) throw new Error(LOCKED);
        const [ecr] = createTransportPair();
        return new ConcertReader({ transport: ecr, info: concertReaderInfo(DEVICE) });
      },
    };
    const manager = deskManager(registry);
    await manager.start();
    expect(manager.viewOf('rdr_desk').statusDetail).toMatch(/Cannot lock port/);
    locked = false;
    await waitFor(() => manager.viewOf('rdr_desk').status === 'online', 5_000, 'online without Reconnect');
  });
});

describe('forgetting a paired terminal', () => {
  const managers: ReaderManager[] = [];
  afterEach(async () => {
    for (const manager of managers.splice(0)) await manager.stop();
  });

  const DEVICE: DeviceDescriptor = { id: 'serial:/dev/ttyTEST1', foundBy: 'serial', path: '/dev/ttyTEST1' };

  /** A started manager over the real registry (one open reader per device), a terminal on an in-memory cable. */
  async function terminalManager(tuning: ReaderTuning = {}) {
    const ports: Transport[] = [];
    const registry = createReaderRegistry({
      drivers: [concertOverMemoryPair(ports)],
      discoveries: [
        {
          async start() {},
          async stop() {},
          list: () => [DEVICE],
          onAttach: () => () => undefined,
          onDetach: () => () => undefined,
        },
      ],
    });
    const gateway = new FakeGateway();
    gateway.readers.link.poll = (_session, version) =>
      new Promise((resolve) => setTimeout(() => resolve({ version: version ?? 0, action: null }), 50));
    const manager = new ReaderManager({
      journal: new Journal(openDatabase(':memory:'), systemClock),
      clock: systemClock,
      gateway: () => gateway,
      paymentOfTransaction: () => undefined,
      sink: {} as ReaderEventSink,
      registry,
      testMode: () => true,
      autoPresentDelayMs: () => 0,
      onChange: () => undefined,
      log: () => undefined,
      tuning,
    });
    managers.push(manager);
    await manager.start();
    return { manager, gateway, ports };
  }

  it('closes its port, so it can be paired again (or used by pos-reader) at once', async () => {
    const { manager, ports } = await terminalManager();
    const first = await manager.pair({ deviceId: DEVICE.id, label: 'Desk' });
    await waitFor(() => manager.viewOf(first.id).status === 'online', 3_000, 'online');

    await manager.forget(first.id);
    expect(ports[0]!.isOpen).toBe(false);
    const again = await manager.pair({ deviceId: DEVICE.id, label: 'Desk' });
    await waitFor(() => manager.viewOf(again.id).status === 'online', 3_000, 'online again');
  });

  it('frees its name at once: paired again, the device gets the same name, not "… 2"', async () => {
    // Found by a tester: forgotten, then found again, the terminal was named "… on /dev/ttyTEST1 2"
    // until the gateway's reader list was next read (the list still named the removed terminal).
    const { manager, gateway } = await terminalManager({ cloudRefreshMs: 20 });
    const removed = new Set<string>();
    const list = gateway.readers.list;
    gateway.readers.remove = async (terminalId) => void removed.add(terminalId);
    let listed: RemoteReader[] = [];
    gateway.readers.list = async () => (listed = (await list()).filter((r) => !removed.has(r.terminalId)));
    const first = await manager.pair({ deviceId: DEVICE.id });
    expect(first.label).toBe('Ingenico terminal on /dev/ttyTEST1');
    const paired = await waitFor(
      () => manager.viewOf(first.id).status === 'online' && manager.viewOf(first.id).terminalId,
      3_000,
      'online',
    );
    await waitFor(() => listed.some((r) => r.terminalId === paired), 3_000, 'listed by the gateway');
    // The next read of the list is seconds away (here: it does not answer).
    gateway.readers.list = () => new Promise(() => undefined);

    await manager.forget(first.id);
    expect(removed).toEqual(new Set([paired]));
    const again = await manager.pair({ deviceId: DEVICE.id });
    expect(again.label).toBe('Ingenico terminal on /dev/ttyTEST1');
  });
});

describe('a read of the gateway readers under way when a reader is forgotten', () => {
  const managers: ReaderManager[] = [];
  afterEach(async () => {
    for (const manager of managers.splice(0)) await manager.stop();
  });

  /**
   * A started manager whose gateway lists readers only when the test answers: each read of the
   * list waits in `reads`, answered with the list as the gateway had it when the read was made.
   */
  async function deferredManager(registry?: ReaderRegistry, cloudRefreshMs = 3_600_000) {
    const gateway = new FakeGateway();
    gateway.readers.link.poll = (_session, version) =>
      new Promise((resolve) => setTimeout(() => resolve({ version: version ?? 0, action: null }), 50));
    const removed = new Set<string>();
    gateway.readers.remove = async (terminalId) => void removed.add(terminalId);
    const list = gateway.readers.list;
    const current = async () => (await list()).filter((r) => !removed.has(r.terminalId));
    const reads: { answer: () => Promise<void> }[] = [];
    gateway.readers.list = async () => {
      const snapshot = await current();
      return new Promise<RemoteReader[]>((resolve) => {
        reads.push({
          answer: async () => {
            resolve(snapshot);
            await new Promise((r) => setTimeout(r, 10));
          },
        });
      });
    };
    const manager = new ReaderManager({
      journal: new Journal(openDatabase(':memory:'), systemClock),
      clock: systemClock,
      gateway: () => gateway,
      paymentOfTransaction: () => undefined,
      sink: {} as ReaderEventSink,
      ...(registry ? { registry } : {}),
      testMode: () => true,
      autoPresentDelayMs: () => 0,
      onChange: () => undefined,
      log: () => undefined,
      // By default reads are made when the test says (a reconnect), not by the timer.
      tuning: { cloudRefreshMs },
    });
    managers.push(manager);
    await manager.start();
    return { manager, gateway, reads, removed };
  }

  it("a gateway's own reader: the older read's answer does not bring it back", async () => {
    const { manager, reads, removed } = await deferredManager();
    await reads.shift()!.answer(); // the start's read: no readers yet
    const pairing = manager.pair({ registrationCode: 'simulated-wpe', label: 'Till 2 reader' });
    await waitFor(() => reads.length === 1, 2_000, 'the read after registering');
    await reads.shift()!.answer();
    const reader = await pairing;
    // A read starts (the timer's, or a Reconnect's) and has read the list, reader included…
    manager.reconnect(reader.id);
    await waitFor(() => reads.length === 1, 2_000, 'a read under way');
    const before = reads.shift()!;
    // …when the cashier forgets the reader; the forget's own read answers first.
    const forgetting = manager.forget(reader.id);
    await waitFor(() => reads.length === 1, 2_000, "the forget's read");
    await reads.shift()!.answer();
    await forgetting;
    expect(removed.size).toBe(1);
    expect(manager.views().map((v) => v.label)).toEqual([]);
    await before.answer();
    expect(manager.views().map((v) => v.label)).toEqual([]);
  });

  it('a terminal this till hosted: the answer read before it was removed does not show it under its name', async () => {
    const DEVICE: DeviceDescriptor = { id: 'serial:/dev/ttyTEST2', foundBy: 'serial', path: '/dev/ttyTEST2' };
    const registry = createReaderRegistry({
      drivers: [concertOverMemoryPair()],
      discoveries: [
        {
          async start() {},
          async stop() {},
          list: () => [DEVICE],
          onAttach: () => () => undefined,
          onDetach: () => () => undefined,
        },
      ],
    });
    const { manager, gateway, reads, removed } = await deferredManager(registry, 30);
    await reads.shift()!.answer();
    const desk = await manager.pair({ deviceId: DEVICE.id, label: 'Desk' });
    const terminalId = await waitFor(
      () => manager.viewOf(desk.id).status === 'online' && manager.viewOf(desk.id).terminalId,
      3_000,
      'online',
    );
    // Another till registers a reader of its own.
    await gateway.readers.register({ name: 'Back office', registrationCode: 'simulated-bo' });
    // The timer's next read starts once the terminal is registered at the gateway, and reads it…
    await waitFor(() => reads.length === 1, 2_000, 'a read');
    await reads.shift()!.answer();
    await waitFor(() => reads.length === 1, 2_000, 'a read under way');
    const before = reads.shift()!;
    // …and answers only after the cashier forgot the terminal.
    await manager.forget(desk.id);
    expect(removed).toEqual(new Set([terminalId]));
    await before.answer();
    // The rest of that answer is taken: only the forgotten terminal is left out.
    expect(
      manager
        .views()
        .filter((v) => v.status !== 'unpaired')
        .map((v) => v.label),
    ).toEqual(['Back office']);
    // Its name is free: paired again, the terminal takes it.
    expect((await manager.pair({ deviceId: DEVICE.id, label: 'Desk' })).label).toBe('Desk');
  });
});

describe.skipIf(!hasTool('socat'))('a paired terminal whose port is also found under another path', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });

  it('stays paired under its path and is not listed again as found, not paired', async () => {
    const pty = await createPtyPair();
    cleanup.push(() => pty.stop());
    const node = realpathSync(pty.b);
    const dir = mkdtempSync(join(tmpdir(), 'by-id-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const link = join(dir, 'usb-Ingenico_Desk_5000_SN123-if00');
    symlinkSync(node, link);
    // The system's listing finds the node; the link is configured (given after the pairing).
    const registry = createReaderRegistry({
      drivers: [concertOverMemoryPair()],
      discoveries: [
        new SerialPollingDiscovery({ lister: createConfiguredLister([link]) }),
        new SerialPollingDiscovery({ lister: async () => ({ ports: [{ path: node }], source: 'serialport' }) }),
      ],
      configured: [link],
    });
    const gateway = new FakeGateway();
    gateway.readers.link.poll = (_session, version) =>
      new Promise((resolve) => setTimeout(() => resolve({ version: version ?? 0, action: null }), 50));
    const journal = new Journal(openDatabase(':memory:'), systemClock);
    journal.upsertReader({
      id: 'rdr_desk',
      deviceId: `serial:${node}`,
      kind: 'concert',
      label: 'Desk',
      registrationCode: '',
      terminalId: null,
      gatewayReaderId: null,
    });
    const manager = new ReaderManager({
      journal,
      clock: systemClock,
      gateway: () => gateway,
      paymentOfTransaction: () => undefined,
      sink: {} as ReaderEventSink,
      registry,
      testMode: () => true,
      autoPresentDelayMs: () => 0,
      onChange: () => undefined,
      log: () => undefined,
    });
    cleanup.push(() => manager.stop());
    await manager.start();
    await waitFor(() => manager.viewOf('rdr_desk').status === 'online', 3_000, 'online');
    expect(manager.views().map((v) => [v.id, v.status, v.path])).toEqual([['rdr_desk', 'online', node]]);

    // Forgotten, the port is found under its configured path, once.
    await manager.forget('rdr_desk');
    expect(manager.views().map((v) => [v.status, v.deviceId])).toEqual([['unpaired', `serial:${link}`]]);
  });
});

describe('Refresh (scan) on the USB bus', () => {
  const managers: ReaderManager[] = [];
  afterEach(async () => {
    for (const manager of managers.splice(0)) await manager.stop();
  });

  const DESK_USB: UsbDeviceInfo = { vendorId: 0x0b00, productId: 0x0080, busNumber: 1, deviceAddress: 7 };
  const ACM0: SerialPortInfo = { path: '/dev/ttyACM0', vendorId: 0x0b00, productId: 0x0080, serialNumber: 'SN1' };

  /** A started manager over the default registry with a USB bus given by the test (serial polling off). */
  async function usbManager(usb: UsbBackend, onUsbUnavailable?: (reason: string) => void) {
    const registry = createDefaultRegistry({
      serial: false,
      usb,
      serialLister: async () => ({ ports: [ACM0], source: 'serialport' }),
      probe: false,
      ...(onUsbUnavailable ? { onUsbUnavailable } : {}),
    });
    const manager = new ReaderManager({
      journal: new Journal(openDatabase(':memory:'), systemClock),
      clock: systemClock,
      gateway: () => new FakeGateway(),
      paymentOfTransaction: () => undefined,
      sink: {} as ReaderEventSink,
      registry,
      testMode: () => true,
      autoPresentDelayMs: () => 0,
      onChange: () => undefined,
      log: () => undefined,
    });
    managers.push(manager);
    await manager.start();
    return manager;
  }

  it('lists a terminal on USB whose hot-plug event never came', async () => {
    const bus = new FakeUsbBackend();
    const manager = await usbManager(bus);
    expect(manager.views().filter((v) => v.hosted)).toEqual([]);
    bus.attach(DESK_USB, { hotplug: false });

    const views = await manager.scan();
    expect(views.find((v) => v.deviceId === 'usb:0b00:0080:SN1')).toMatchObject({
      status: 'unpaired',
      kind: 'concert',
      path: '/dev/ttyACM0',
    });

    bus.detach(DESK_USB, { hotplug: false });
    expect((await manager.scan()).some((v) => v.deviceId?.startsWith('usb:'))).toBe(false);
  });

  it('brings a paired USB terminal online by itself when its serial port shows up after the wait', async () => {
    const bus = new FakeUsbBackend();
    const usbClock = new FakeClock();
    let ports: SerialPortInfo[] = [];
    const registry = createReaderRegistry({
      drivers: [concertOverMemoryPair()],
      discoveries: [
        new UsbDiscovery({
          backend: bus,
          clock: usbClock,
          serialLister: async () => ({ ports, source: 'serialport' }),
          mapAttempts: 1,
        }),
      ],
    });
    const gateway = new FakeGateway();
    gateway.readers.link.poll = (_session, version) =>
      new Promise((resolve) => setTimeout(() => resolve({ version: version ?? 0, action: null }), 50));
    const journal = new Journal(openDatabase(':memory:'), systemClock);
    journal.upsertReader({
      id: 'rdr_desk',
      deviceId: 'usb:0b00:0080:SN1',
      kind: 'concert',
      label: 'Desk',
      registrationCode: '',
      terminalId: null,
      gatewayReaderId: null,
    });
    const manager = new ReaderManager({
      journal,
      clock: systemClock,
      gateway: () => gateway,
      paymentOfTransaction: () => undefined,
      sink: {} as ReaderEventSink,
      registry,
      testMode: () => true,
      autoPresentDelayMs: () => 0,
      onChange: () => undefined,
      log: () => undefined,
    });
    managers.push(manager);
    await manager.start();
    // Plugged in, but the kernel's tty node is late: the terminal is listed without its port.
    bus.attach(DESK_USB);
    await waitFor(
      () => manager.views().some((v) => v.deviceId === 'usb:0b00:0080:bus1-addr7'),
      3_000,
      'the terminal listed without its port',
    );
    expect(manager.viewOf('rdr_desk').status).toBe('offline');
    ports = [ACM0];
    usbClock.advance(2_000);
    await waitFor(() => manager.viewOf('rdr_desk').status === 'online', 3_000, 'the paired reader online');
    expect(manager.views().map((v) => [v.id, v.status, v.path])).toEqual([['rdr_desk', 'online', '/dev/ttyACM0']]);
  });

  it('without a USB bus lists no USB readers, never fails, and says why once', async () => {
    const told: string[] = [];
    const manager = await usbManager(unavailableUsbBackend(NO_USB_BUS), (reason) => told.push(reason));
    for (let i = 0; i < 3; i++) expect((await manager.scan()).filter((v) => v.hosted)).toEqual([]);
    expect(told).toEqual([NO_USB_BUS]);
  });
});

describe('a gateway reader’s action when another account’s payment has its id', () => {
  let manager: ReaderManager | undefined;
  afterEach(async () => {
    await manager?.stop();
  });

  it('names no payment of the till: the action is the account’s read now', async () => {
    // Gateway ids are unique per account only: the till made txn fake-1 on the first account, and
    // the second one, read now, has its own fake-1 on one of its readers.
    const journal = new Journal(openDatabase(':memory:'), systemClock);
    journal.insertPayment(
      newPaymentRecord({
        id: 'pay_first',
        gateway: 'plutopay',
        mode: 'test',
        gatewayAccount: 'https://first.example sk_test_…aaaa',
        orderReference: 'ORD-FIRST',
        attempt: 1,
        idempotencyKey: 'k-first',
        origin: 'local',
        amount: 4000,
        currency: 'EUR',
        captureMethod: 'automatic',
        status: 'pending',
        transactionId: 'fake-1',
      }),
      'created',
    );
    const gateway = new FakeGateway();
    const payment = await gateway.create(
      {
        amount: 4000,
        currency: 'EUR',
        captureMethod: 'automatic',
        description: null,
        customerId: null,
        receiptEmail: null,
        orderReference: 'WEB-SECOND',
        paymentId: 'pay_web',
        channel: 'card_present',
      },
      'k-web',
    );
    expect(payment.id).toBe('fake-1');
    const { readerId } = await gateway.readers.register({ name: 'Counter', registrationCode: 'cloud-1' } as never);
    await gateway.readers.push(payment.id, readerId);
    const second = {
      gateway: gateway.name,
      mode: 'test' as const,
      gatewayAccount: 'https://second.example sk_test_…bbbb',
    };
    manager = new ReaderManager({
      journal,
      clock: systemClock,
      gateway: () => gateway,
      paymentOfTransaction: (transactionId) => journal.findByTransactionId(transactionId, second),
      sink: {} as ReaderEventSink,
      testMode: () => true,
      autoPresentDelayMs: () => 0,
      onChange: () => undefined,
      log: () => undefined,
    });
    await manager.start();
    const cloud = await waitFor(
      () => manager!.views().find((r) => r.id === `rdr_cloud_${readerId}` && r.action !== null),
      3_000,
      'the gateway reader',
    );
    expect(cloud.action).toMatchObject({ transactionId: 'fake-1', paymentId: null });
  });
});

describe('pairing terminals on ports with long names', () => {
  it('gives each its own registration with the gateway, though their names differ only at the end', async () => {
    // Found with a four-port USB-to-RS-232 adapter named by udev: the registration codes, cut at 64
    // characters, were the same for every port, so the second terminal paired took over the first
    // one's registration (both readers then fought over one gateway reader).
    const stem = '/dev/serial/by-id/usb-FTDI_FT4232H_Quad_RS232-HS_FT1ABCDE';
    const devices: DeviceDescriptor[] = [0, 1].map((n) => ({
      id: `serial:${stem}-if0${n}-port0`,
      foundBy: 'serial',
      path: `${stem}-if0${n}-port0`,
    }));
    const registry = createReaderRegistry({
      drivers: [concertOverMemoryPair()],
      discoveries: [
        {
          async start() {},
          async stop() {},
          list: () => devices,
          onAttach: () => () => undefined,
          onDetach: () => () => undefined,
        },
      ],
    });
    const t = await startTestHost({ registry, defaultSimulatedReader: false });
    try {
      const first = await t.call('readers.pair', { deviceId: devices[0]!.id, label: 'Lane 1' });
      const second = await t.call('readers.pair', { deviceId: devices[1]!.id, label: 'Lane 2' });
      const paired = await waitFor(
        async () => {
          const views = await t.call('readers.list', {});
          const ids = [first.id, second.id].map((id) => views.find((r) => r.id === id)?.terminalId);
          return ids.every((id) => id) ? ids : undefined;
        },
        5_000,
        'both paired',
      );
      expect(new Set(paired).size).toBe(2);
    } finally {
      await t.close();
    }
  });
});

describe('two tills on one gateway account, each with a terminal on the same port name', () => {
  it('pair two readers at the gateway, not one both fight over', async () => {
    // Found with two tills each with an RS-232 terminal on /dev/ttyS0: the second till's pairing
    // found the first one's registration by its code (made from the port's name) and took it over.
    // Each till then showed its reader "Replaced by a newer pairing" in turn, and a payment pushed to
    // that gateway reader was collected by whichever till held the link.
    const device: DeviceDescriptor = { id: 'serial:/dev/ttyS0', foundBy: 'serial', path: '/dev/ttyS0' };
    const till = (sandbox?: TestHost['sandbox']) =>
      startTestHost({
        ...(sandbox ? { sandbox } : {}),
        defaultSimulatedReader: false,
        registry: createReaderRegistry({
          drivers: [concertOverMemoryPair()],
          discoveries: [
            {
              async start() {},
              async stop() {},
              list: () => [device],
              onAttach: () => () => undefined,
              onDetach: () => () => undefined,
            },
          ],
        }),
      });
    const a = await till();
    const b = await till(a.sandbox);
    try {
      const terminalOf = async (t: TestHost, label: string) => {
        const paired = await t.call('readers.pair', { deviceId: device.id, label });
        return waitFor(
          async () => (await t.call('readers.list', {})).find((r) => r.id === paired.id && r.status === 'online'),
          5_000,
          'online',
        );
      };
      const first = await terminalOf(a, 'Till A counter');
      // Till b lists a's reader (a gateway reader to it) before it pairs its own. Whether it did raced
      // b's first read of the gateway's readers, and a name given on both tills was refused on b only
      // then: each till names its own, as a reader's name is unique among those a till lists.
      await b.call('readers.scan', {});
      await waitFor(
        async () => (await b.call('readers.list', {})).some((r) => r.terminalId === first.terminalId),
        5_000,
        "a's reader listed at b",
      );
      const second = await terminalOf(b, 'Till B counter');
      expect(second.terminalId).not.toBe(first.terminalId);
      // Neither took the other's reader over.
      expect((await a.call('readers.list', {})).find((r) => r.id === first.id)?.status).toBe('online');
    } finally {
      await b.close();
      await a.close();
    }
  });
});
