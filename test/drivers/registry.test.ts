import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { waitFor } from '../support/host';
import { createTransportPair } from '../support/memory-transport';
import { createConcertDriver } from '../../drivers/protocols/concert/driver';
import type { EmulatorScript } from '../../drivers/protocols/concert/emulator';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { longestBeyondCardWaitMs } from '../../drivers/protocols/concert/link';
import { createDefaultRegistry, createReaderRegistry, reprobeDelayMs } from '../../drivers/registry';
import type { SerialPortInfo } from '../../drivers/serial/list';
import type {
  CardOutcome,
  DeviceDescriptor,
  Discovery,
  Driver,
  Reader,
  ReaderKind,
  Unsubscribe,
} from '../../drivers/types';
import { FakeUsbBackend } from '../../drivers/usb/backend';

/** A discovery source driven by the test. */
class FakeDiscovery implements Discovery {
  private devices = new Map<string, DeviceDescriptor>();
  private readonly attachListeners = new Set<(d: DeviceDescriptor) => void>();
  private readonly detachListeners = new Set<(d: DeviceDescriptor) => void>();
  stopped = false;

  constructor(
    initial: DeviceDescriptor[] = [],
    private readonly failStart = false,
  ) {
    for (const device of initial) this.devices.set(device.id, device);
  }

  async start(): Promise<void> {
    if (this.failStart) throw new Error('no bus');
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  list(): readonly DeviceDescriptor[] {
    return [...this.devices.values()];
  }

  onAttach(listener: (d: DeviceDescriptor) => void): Unsubscribe {
    this.attachListeners.add(listener);
    return () => this.attachListeners.delete(listener);
  }

  onDetach(listener: (d: DeviceDescriptor) => void): Unsubscribe {
    this.detachListeners.add(listener);
    return () => this.detachListeners.delete(listener);
  }

  attach(device: DeviceDescriptor): void {
    this.devices.set(device.id, device);
    for (const listener of this.attachListeners) listener(device);
  }

  detach(device: DeviceDescriptor): void {
    this.devices.delete(device.id);
    for (const listener of this.detachListeners) listener(device);
  }
}

/** A polling source driven by the test: what is plugged in is seen only when it lists (scan). */
class PollingDiscovery extends FakeDiscovery {
  plugged: DeviceDescriptor[] = [];
  scans = 0;

  async scan(): Promise<void> {
    this.scans++;
    const now = new Set(this.plugged.map((device) => device.id));
    for (const device of this.list()) if (!now.has(device.id)) this.detach(device);
    for (const device of this.plugged) if (!this.list().some((d) => d.id === device.id)) this.attach(device);
  }
}

const INGENICO_ACM: DeviceDescriptor = {
  id: 'serial:/dev/ttyACM0',
  foundBy: 'serial',
  path: '/dev/ttyACM0',
  vendorId: 0x0b00,
  productId: 0x0080,
};
const PLAIN_COM: DeviceDescriptor = { id: 'serial:/dev/ttyS0', foundBy: 'serial', path: '/dev/ttyS0' };
const MOUSE: DeviceDescriptor = { id: 'usb:046d:c077:bus1-4', foundBy: 'usb', vendorId: 0x046d, productId: 0xc077 };

function fakeReader(
  kind: ReaderKind,
  device: DeviceDescriptor,
): Reader & { detach: ReturnType<typeof vi.fn>; closed: boolean } {
  const reader = {
    info: {
      id: device.id,
      kind,
      foundBy: device.foundBy,
      label: device.id,
      registrationCode: device.id,
      canPresentTestCards: false,
      path: device.path,
    },
    state: 'idle' as const,
    closed: false,
    detach: vi.fn(),
    collect: async (): Promise<CardOutcome> => ({ kind: 'canceled' }),
    cancel: async () => false,
    onDisconnect: () => () => undefined,
    close: async () => {
      reader.closed = true;
    },
  };
  return reader;
}

/** A driver with a scripted verdict and probe answer. */
function fakeDriver(
  kind: ReaderKind,
  verdict: (d: DeviceDescriptor) => 'yes' | 'maybe' | 'no',
  probe?: (d: DeviceDescriptor) => Promise<boolean>,
) {
  const opened: Array<ReturnType<typeof fakeReader>> = [];
  const driver: Driver & { probe: ReturnType<typeof vi.fn>; opened: typeof opened } = {
    kind,
    matches: verdict,
    probe: vi.fn(probe ?? (async () => false)),
    opened,
    async open(device) {
      const reader = fakeReader(kind, device);
      opened.push(reader);
      return reader;
    },
  };
  return driver;
}

const concertLike = (probe?: (d: DeviceDescriptor) => Promise<boolean>) =>
  fakeDriver(
    'concert',
    (d) => (d.vendorId === 0x0b00 ? 'yes' : d.path && d.vendorId === undefined ? 'maybe' : 'no'),
    probe,
  );

describe('registry: choosing a driver', () => {
  it('claims by VID/PID without probing', async () => {
    const driver = concertLike();
    const registry = createReaderRegistry({ drivers: [driver], discoveries: [new FakeDiscovery([INGENICO_ACM])] });
    await registry.start();
    expect(registry.devices()).toEqual([{ device: INGENICO_ACM, claim: { driver: 'concert', by: 'vid-pid' } }]);
    expect(driver.probe).not.toHaveBeenCalled();
  });

  it('probes a device no driver recognises by descriptor, showing it as probing meanwhile', async () => {
    let answer: (ok: boolean) => void = () => undefined;
    const driver = concertLike(() => new Promise<boolean>((resolve) => (answer = resolve)));
    const registry = createReaderRegistry({ drivers: [driver], discoveries: [new FakeDiscovery([PLAIN_COM])] });
    const changes = vi.fn();
    registry.onChange(changes);
    await registry.start();
    expect(registry.devices()[0]?.claim).toEqual({ driver: null, reason: 'probing…' });
    const before = changes.mock.calls.length;
    answer(true);
    await registry.settled();
    expect(registry.devices()[0]?.claim).toEqual({ driver: 'concert', by: 'probe' });
    expect(changes.mock.calls.length).toBeGreaterThan(before);
  });

  it('leaves a port alone when the probe fails: unclaimed, with the reason, never opened', async () => {
    const driver = concertLike(async () => false);
    const registry = createReaderRegistry({ drivers: [driver], discoveries: [new FakeDiscovery([PLAIN_COM])] });
    await registry.start();
    await registry.settled();
    expect(registry.devices()[0]?.claim).toEqual({ driver: null, reason: 'did not answer the concert probe' });
    await expect(registry.open(PLAIN_COM.id)).rejects.toThrow(
      /not claimed by any driver: did not answer the concert probe/,
    );
    expect(driver.opened).toEqual([]);
  });

  it('asks an unanswered port again, later each time, and at once when told (a terminal busy at start)', async () => {
    vi.useFakeTimers();
    try {
      let answers = false;
      const driver = concertLike(async () => answers);
      const registry = createReaderRegistry({ drivers: [driver], discoveries: [new FakeDiscovery([PLAIN_COM])] });
      await registry.start();
      await registry.settled();
      expect(driver.probe).toHaveBeenCalledTimes(1);
      // Backing off: 2 s, then 4 s, then 8 s…
      await vi.advanceTimersByTimeAsync(1_999);
      expect(driver.probe).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(1);
      await registry.settled();
      expect(driver.probe).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(3_999);
      expect(driver.probe).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(1);
      await registry.settled();
      expect(driver.probe).toHaveBeenCalledTimes(3);
      expect([reprobeDelayMs(1), reprobeDelayMs(3), reprobeDelayMs(20)]).toEqual([2_000, 8_000, 60_000]);
      // Reconnect asks now; the terminal has finished its card and answers.
      answers = true;
      registry.reprobe!(PLAIN_COM.id);
      await registry.settled();
      expect(driver.probe).toHaveBeenCalledTimes(4);
      expect(registry.devices()[0]?.claim).toEqual({ driver: 'concert', by: 'probe' });
      // Claimed: never probed again, nor when asked.
      registry.reprobe!(PLAIN_COM.id);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(driver.probe).toHaveBeenCalledTimes(4);
      await registry.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('scans when asked: every source lists now, and every unclaimed port is probed again at once', async () => {
    // The Readers screen's Refresh: a terminal just plugged in is seen now, not at the next poll,
    // and one busy with a card at its last probe is asked again now, not a minute later.
    vi.useFakeTimers();
    try {
      let answers = false;
      const driver = concertLike(async () => answers);
      const polling = new PollingDiscovery([PLAIN_COM]);
      polling.plugged = [PLAIN_COM];
      const hotPlug = new FakeDiscovery();
      const registry = createReaderRegistry({ drivers: [driver], discoveries: [polling, hotPlug] });
      await registry.start();
      await registry.settled();
      // Four unanswered probes: the next is 16 s away.
      for (const wait of [2_000, 4_000, 8_000]) {
        await vi.advanceTimersByTimeAsync(wait);
        await registry.settled();
      }
      expect(driver.probe).toHaveBeenCalledTimes(4);

      polling.plugged = [PLAIN_COM, INGENICO_ACM];
      answers = true;
      await registry.scan!();
      expect(polling.scans).toBe(1);
      await registry.settled();
      expect(driver.probe).toHaveBeenCalledTimes(5);
      expect(registry.devices()).toEqual([
        { device: PLAIN_COM, claim: { driver: 'concert', by: 'probe' } },
        { device: INGENICO_ACM, claim: { driver: 'concert', by: 'vid-pid' } },
      ]);
      // Claimed ones are left alone by the next scan.
      await registry.scan!();
      await registry.settled();
      expect(driver.probe).toHaveBeenCalledTimes(5);
      await registry.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops asking once stopped or unplugged', async () => {
    vi.useFakeTimers();
    try {
      const driver = concertLike(async () => false);
      const discovery = new FakeDiscovery([PLAIN_COM]);
      const registry = createReaderRegistry({ drivers: [driver], discoveries: [discovery] });
      await registry.start();
      await registry.settled();
      discovery.detach(PLAIN_COM);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(driver.probe).toHaveBeenCalledTimes(1);
      discovery.attach(PLAIN_COM);
      await registry.settled();
      expect(driver.probe).toHaveBeenCalledTimes(2);
      await registry.stop();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(driver.probe).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('tries every driver that says maybe, in order, and keeps the first that answers', async () => {
    const first = fakeDriver(
      'simulated',
      () => 'maybe',
      async () => false,
    );
    const second = concertLike(async () => true);
    const registry = createReaderRegistry({ drivers: [first, second], discoveries: [new FakeDiscovery([PLAIN_COM])] });
    await registry.start();
    await registry.settled();
    expect(first.probe).toHaveBeenCalledTimes(1);
    expect(registry.devices()[0]?.claim).toEqual({ driver: 'concert', by: 'probe' });
  });

  it('reports a probe that throws', async () => {
    const driver = concertLike(async () => {
      throw new Error('EACCES: permission denied');
    });
    const registry = createReaderRegistry({ drivers: [driver], discoveries: [new FakeDiscovery([PLAIN_COM])] });
    await registry.start();
    await registry.settled();
    expect(registry.devices()[0]?.claim).toEqual({
      driver: null,
      reason: 'concert probe failed: EACCES: permission denied',
    });
  });

  it('does not probe when probing is off', async () => {
    const driver = concertLike(async () => true);
    const registry = createReaderRegistry({
      drivers: [driver],
      discoveries: [new FakeDiscovery([PLAIN_COM])],
      probe: false,
    });
    await registry.start();
    expect(driver.probe).not.toHaveBeenCalled();
    expect(registry.devices()[0]?.claim).toMatchObject({
      driver: null,
      reason: expect.stringMatching(/probing is off/),
    });
  });

  it('claims a pinned port by configuration, without a probe', async () => {
    const driver = concertLike(async () => false);
    const registry = createReaderRegistry({
      drivers: [driver],
      discoveries: [new FakeDiscovery([PLAIN_COM])],
      pinned: [{ path: '/dev/ttyS0', driver: 'concert' }],
    });
    await registry.start();
    expect(registry.devices()[0]?.claim).toEqual({ driver: 'concert', by: 'configured' });
    expect(driver.probe).not.toHaveBeenCalled();
  });

  it('reports each named port with its claim, or that nothing is there; one shown under another path is left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'named-'));
    try {
      const node = join(dir, 'ttyX');
      writeFileSync(node, '');
      const link = join(dir, 'by-id-link');
      symlinkSync(node, link);
      const missing = join(dir, 'ttyGONE');
      const serial = (path: string): DeviceDescriptor => ({ id: `serial:${path}`, foundBy: 'serial', path });
      const registry = createReaderRegistry({
        drivers: [concertLike(async () => false)],
        // The system scan finds a COM port too: it is not named, so it is not reported.
        discoveries: [new FakeDiscovery([serial(link), serial(node), PLAIN_COM])],
        configured: [link, node, missing],
      });
      await registry.start();
      await registry.settled();
      expect(registry.namedPorts?.()).toEqual([
        {
          path: link,
          found: { device: serial(link), claim: { driver: null, reason: 'did not answer the concert probe' } },
        },
        { path: missing, found: null },
      ]);
      await registry.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which device nobody recognises', async () => {
    const registry = createReaderRegistry({ drivers: [concertLike()], discoveries: [new FakeDiscovery([MOUSE])] });
    await registry.start();
    expect(registry.devices()[0]?.claim).toEqual({ driver: null, reason: 'no driver recognises USB 046d:c077' });
  });

  it('marks simulated devices as claimed by simulation', async () => {
    const sim: DeviceDescriptor = { id: 'sim:1', foundBy: 'simulated' };
    const simulated = fakeDriver('simulated', (d) => (d.foundBy === 'simulated' ? 'yes' : 'no'));
    const registry = createReaderRegistry({
      drivers: [simulated, concertLike()],
      discoveries: [new FakeDiscovery([sim])],
    });
    await registry.start();
    expect(registry.devices()[0]?.claim).toEqual({ driver: 'simulated', by: 'simulated' });
  });

  it('shows a USB terminal once, not also as its serial port, and does not probe that port', async () => {
    const driver = concertLike(async () => true);
    const serial = new FakeDiscovery([{ id: 'serial:/dev/ttyACM0', foundBy: 'serial', path: '/dev/ttyACM0' }]);
    const usb = new FakeDiscovery([
      { id: 'usb:0b00:0080:SN1', foundBy: 'usb', path: '/dev/ttyACM0', vendorId: 0x0b00, productId: 0x0080 },
    ]);
    const registry = createReaderRegistry({ drivers: [driver], discoveries: [usb, serial] });
    await registry.start();
    await registry.settled();
    expect(registry.devices().map((d) => [d.device.id, d.claim])).toEqual([
      ['usb:0b00:0080:SN1', { driver: 'concert', by: 'vid-pid' }],
    ]);
    expect(driver.probe).not.toHaveBeenCalled();
  });

  it('starts the other sources when one fails to start', async () => {
    const registry = createReaderRegistry({
      drivers: [concertLike()],
      discoveries: [new FakeDiscovery([], true), new FakeDiscovery([INGENICO_ACM])],
    });
    await registry.start();
    expect(registry.devices()).toHaveLength(1);
  });

  it('follows attaches and detaches after start', async () => {
    const source = new FakeDiscovery();
    const registry = createReaderRegistry({ drivers: [concertLike()], discoveries: [source] });
    const changes = vi.fn();
    registry.onChange(changes);
    await registry.start();
    source.attach(INGENICO_ACM);
    expect(registry.devices()).toHaveLength(1);
    source.detach(INGENICO_ACM);
    expect(registry.devices()).toEqual([]);
    expect(changes).toHaveBeenCalledTimes(3);
  });
});

describe('registry: opening', () => {
  it('opens a claimed device once at a time, and again after close', async () => {
    const driver = concertLike();
    const registry = createReaderRegistry({ drivers: [driver], discoveries: [new FakeDiscovery([INGENICO_ACM])] });
    await registry.start();
    const reader = await registry.open(INGENICO_ACM.id);
    expect(reader.info.id).toBe(INGENICO_ACM.id);
    await expect(registry.open(INGENICO_ACM.id)).rejects.toThrow(/already open/);
    await reader.close();
    expect(driver.opened[0]?.closed).toBe(true);
    await expect(registry.open(INGENICO_ACM.id)).resolves.toBeDefined();
  });

  it("keeps a device's recovery of an unknown outcome (a reader that remembers what it charged)", async () => {
    const driver = concertLike();
    const remembers = {
      ...driver,
      open: async (device: DeviceDescriptor) => {
        const reader = await driver.open(device);
        return Object.assign(reader, {
          recoverOutcome: async (reference: string): Promise<CardOutcome | null> =>
            reference === 'ref-1' ? { kind: 'canceled' } : null,
        });
      },
    };
    const registry = createReaderRegistry({ drivers: [remembers], discoveries: [new FakeDiscovery([INGENICO_ACM])] });
    await registry.start();
    const reader = await registry.open(INGENICO_ACM.id);
    expect(await reader.recoverOutcome?.('ref-1')).toEqual({ kind: 'canceled' });
    expect(await reader.recoverOutcome?.('ref-2')).toBeNull();
  });

  it('rejects unknown devices clearly', async () => {
    const registry = createReaderRegistry({ drivers: [concertLike()], discoveries: [] });
    await registry.start();
    await expect(registry.open('serial:/dev/nothing')).rejects.toThrow(/no device "serial:\/dev\/nothing"/);
  });

  it('takes an open reader offline when its device detaches, and closes readers on stop', async () => {
    const driver = concertLike();
    const source = new FakeDiscovery([
      INGENICO_ACM,
      { ...INGENICO_ACM, id: 'serial:/dev/ttyACM1', path: '/dev/ttyACM1' },
    ]);
    const registry = createReaderRegistry({ drivers: [driver], discoveries: [source] });
    await registry.start();
    await registry.open(INGENICO_ACM.id);
    await registry.open('serial:/dev/ttyACM1');
    source.detach(INGENICO_ACM);
    expect(driver.opened[0]?.detach).toHaveBeenCalledWith('USB 0b00:0080 was unplugged');
    expect(driver.opened[1]?.detach).not.toHaveBeenCalled();
    await registry.stop();
    expect(driver.opened[1]?.closed).toBe(true);
    expect(source.stopped).toBe(true);
  });
});

describe('default registry: USB hot-plug down to the payment', () => {
  const DESK = { vendorId: 0x0b00, productId: 0x0080, busNumber: 1, deviceAddress: 5, portNumbers: [1] };
  const ACM0: SerialPortInfo = { path: '/dev/ttyACM0', vendorId: 0x0b00, productId: 0x0080, serialNumber: 'SN42' };

  function setup(script: Partial<EmulatorScript>) {
    const backend = new FakeUsbBackend();
    const registry = createDefaultRegistry({
      usb: backend,
      serial: false,
      serialLister: async () => ({ ports: [ACM0], source: 'serialport' }),
      concert: {
        openTransport: async () => {
          const [ecr, terminal] = createTransportPair();
          serveEmulator(terminal, { script });
          return ecr;
        },
      },
    });
    return { backend, registry };
  }

  async function attached(t: ReturnType<typeof setup>): Promise<string> {
    await t.registry.start();
    t.backend.attach(DESK);
    const [found] = await waitFor(() => t.registry.devices().length > 0 && t.registry.devices(), 10_000, 'the device');
    expect(found).toEqual({
      device: {
        id: 'usb:0b00:0080:SN42',
        foundBy: 'usb',
        vendorId: 0x0b00,
        productId: 0x0080,
        path: '/dev/ttyACM0',
        serialNumber: 'SN42',
        model: 'Desk/5000',
      },
      claim: { driver: 'concert', by: 'vid-pid' },
    });
    return found!.device.id;
  }

  it('attach → reader appears and pays; detach mid-payment → unknown, offline, gone from the list', async () => {
    const t = setup({ delayMs: 10_000 });
    const id = await attached(t);
    const reader = await t.registry.open(id);
    expect(reader.info).toMatchObject({
      label: 'Desk/5000 on /dev/ttyACM0',
      registrationCode: 'concert-SN42',
      serialNumber: 'SN42',
    });
    const reasons: string[] = [];
    reader.onDisconnect((reason) => reasons.push(reason));
    const outcome = reader.collect({ amount: 500, currency: 'EUR', reference: 'ref' }, (stage) => {
      if (stage === 'waiting_for_card') t.backend.detach(DESK);
    });
    expect(await outcome).toMatchObject({ kind: 'unknown', code: 'reader_disconnected' });
    expect(reasons).toEqual(['USB 0b00:0080 was unplugged']);
    expect(reader.state).toBe('disconnected');
    expect(t.registry.devices()).toEqual([]);
    await t.registry.stop();
  });

  it("hands out the driver's reader as it is: its protocol's longest beyond the card wait, and until when it cancels", async () => {
    // Found in a defect hunt: the registry's wrapper left it out, so the host gave a Concert terminal
    // 15 s past its card wait instead of the 29 s its link may take (an approval in its last seconds
    // was called unknown).
    const t = setup({});
    const id = await attached(t);
    const reader = await t.registry.open(id);
    expect(reader.longestBeyondCardWaitMs).toBe(longestBeyondCardWaitMs());
    // Only the terminal stops a payment it has taken: the host must not offer the cashier to.
    expect(reader.cancelsUntil).toBe('request');
    await t.registry.stop();
  });

  it('detach before the terminal took the request → failed (nothing charged)', async () => {
    const t = setup({ respondToEnq: false });
    const id = await attached(t);
    const reader = await t.registry.open(id);
    const outcome = reader.collect({ amount: 500, currency: 'EUR', reference: 'ref' });
    await new Promise((r) => setTimeout(r, 20));
    t.backend.detach(DESK);
    expect(await outcome).toMatchObject({ kind: 'failed', code: 'reader_disconnected' });
    await t.registry.stop();
  });

  it('keeps the driver list open: extra drivers come first', () => {
    const simulated = fakeDriver('simulated', () => 'no');
    const registry = createDefaultRegistry({ drivers: [simulated], usb: false, serial: false });
    expect(registry.concert.kind).toBe('concert');
    expect(registry.usbDiscovery).toBeNull();
    expect(registry.serialDiscovery).toBeNull();
  });
});

describe('Concert driver verdicts', () => {
  const driver = createConcertDriver();
  it.each([
    [{ id: 'a', foundBy: 'usb', vendorId: 0x0b00, productId: 0x80, path: '/dev/ttyACM0' }, 'yes'],
    [{ id: 'b', foundBy: 'usb', vendorId: 0x079b, productId: 0x28 }, 'yes'],
    [{ id: 'c', foundBy: 'serial', path: '/dev/ttyS0' }, 'maybe'],
    [{ id: 'd', foundBy: 'serial', path: '/dev/ttyUSB0', vendorId: 0x0403, productId: 0x6001 }, 'maybe'],
    [{ id: 'e', foundBy: 'serial', path: '/dev/ttyACM1', vendorId: 0x2341, productId: 0x0043 }, 'no'],
    [{ id: 'f', foundBy: 'simulated' }, 'no'],
  ] as const)('%o → %s', (device, verdict) => {
    expect(driver.matches(device)).toBe(verdict);
  });

  it('refuses to open a USB terminal without a serial port, saying why', async () => {
    await expect(driver.open({ id: 'usb:0b00:0080:x', foundBy: 'usb', vendorId: 0x0b00 })).rejects.toThrow(
      /no serial port: is the cdc_acm driver loaded/,
    );
  });
});
