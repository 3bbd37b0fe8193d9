import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import type { SerialPortInfo } from '../../drivers/serial/list';
import type { DeviceDescriptor } from '../../drivers/types';
import type { UsbDeviceInfo } from '../../drivers/usb/backend';
import { FakeUsbBackend, NO_USB_BUS, loadUsbBackend, unavailableUsbBackend } from '../../drivers/usb/backend';
import { UsbDiscovery } from '../../drivers/usb/discovery';
import { ingenicoModel, isIngenico } from '../../drivers/usb/ids';

const DESK: UsbDeviceInfo = { vendorId: 0x0b00, productId: 0x0080, busNumber: 1, deviceAddress: 7, portNumbers: [2] };
const MOVE: UsbDeviceInfo = {
  vendorId: 0x0b00,
  productId: 0x0085,
  busNumber: 1,
  deviceAddress: 9,
  portNumbers: [3, 1],
};
const KEYBOARD: UsbDeviceInfo = { vendorId: 0x046d, productId: 0xc31c, busNumber: 1, deviceAddress: 3 };

/** Lets pending promise chains (the async serial lister) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function setup(initial: UsbDeviceInfo[] = [], options: { mapAttempts?: number } = {}) {
  const clock = new FakeClock();
  const backend = new FakeUsbBackend(initial);
  let ports: SerialPortInfo[] = [];
  const discovery = new UsbDiscovery({
    backend,
    clock,
    serialLister: async () => ({ ports, source: 'serialport' }),
    mapAttempts: options.mapAttempts ?? 5,
    mapRetryMs: 300,
  });
  const log: string[] = [];
  const attached: DeviceDescriptor[] = [];
  discovery.onAttach((d) => {
    log.push(`+${d.id}`);
    attached.push(d);
  });
  discovery.onDetach((d) => log.push(`-${d.id}`));
  return {
    clock,
    backend,
    discovery,
    log,
    attached,
    /** Moves fake time, letting the lister's promises settle before and after. */
    async tick(ms: number) {
      await flush();
      clock.advance(ms);
      await flush();
    },
    setPorts(next: SerialPortInfo[]) {
      ports = next;
    },
  };
}

const ACM0: SerialPortInfo = {
  path: '/dev/ttyACM0',
  vendorId: 0x0b00,
  productId: 0x0080,
  serialNumber: 'SN123',
  manufacturer: 'Ingenico',
};

describe('USB discovery with a fake bus', () => {
  it('reports an attached Ingenico terminal with its serial port, model and serial number', async () => {
    const t = setup();
    t.setPorts([ACM0]);
    await t.discovery.start();
    t.backend.attach(DESK);
    await flush();
    expect(t.attached).toEqual([
      {
        id: 'usb:0b00:0080:SN123',
        foundBy: 'usb',
        vendorId: 0x0b00,
        productId: 0x0080,
        path: '/dev/ttyACM0',
        serialNumber: 'SN123',
        manufacturer: 'Ingenico',
        model: 'Desk/5000',
      },
    ]);
    expect(t.discovery.list()).toEqual(t.attached);
  });

  it('waits for the tty node, which appears after the USB attach', async () => {
    const t = setup();
    await t.discovery.start();
    t.backend.attach(DESK);
    await t.tick(300);
    await t.tick(300);
    expect(t.log).toEqual([]);
    t.setPorts([ACM0]);
    await t.tick(300);
    expect(t.log).toEqual(['+usb:0b00:0080:SN123']);
  });

  it('reports a terminal whose port never shows up, without a path, after the bounded wait', async () => {
    const t = setup([], { mapAttempts: 3 });
    await t.discovery.start();
    t.backend.attach(DESK);
    await t.tick(300);
    expect(t.log).toEqual([]);
    await t.tick(300);
    expect(t.attached).toEqual([
      { id: 'usb:0b00:0080:bus1-2', foundBy: 'usb', vendorId: 0x0b00, productId: 0x0080, model: 'Desk/5000' },
    ]);
  });

  it('keeps looking for the port of a terminal reported without one, and reports it with it by itself', async () => {
    const t = setup([], { mapAttempts: 3 });
    await t.discovery.start();
    t.backend.attach(DESK);
    await t.tick(300);
    await t.tick(300);
    expect(t.log).toEqual(['+usb:0b00:0080:bus1-2']);
    await t.tick(2_000);
    expect(t.log).toEqual(['+usb:0b00:0080:bus1-2']);
    // The kernel's tty node comes late (a slow cdc_acm, ModemManager holding it a while).
    t.setPorts([ACM0]);
    await t.tick(2_000);
    expect(t.log).toEqual(['+usb:0b00:0080:bus1-2', '-usb:0b00:0080:bus1-2', '+usb:0b00:0080:SN123']);
    expect(t.discovery.list()).toEqual([expect.objectContaining({ path: '/dev/ttyACM0', serialNumber: 'SN123' })]);
    expect(t.clock.pending).toBe(0);
  });

  it('stops looking for the port of a terminal unplugged meanwhile', async () => {
    const t = setup([], { mapAttempts: 1 });
    await t.discovery.start();
    t.backend.attach(DESK);
    await flush();
    expect(t.clock.pending).toBe(1);
    t.backend.detach(DESK);
    expect(t.clock.pending).toBe(0);
    t.setPorts([ACM0]);
    await t.tick(10_000);
    expect(t.log).toEqual(['+usb:0b00:0080:bus1-2', '-usb:0b00:0080:bus1-2']);
  });

  it('takes a detach to the reader: the device goes away', async () => {
    const t = setup();
    t.setPorts([ACM0]);
    await t.discovery.start();
    t.backend.attach(DESK);
    await flush();
    t.backend.detach(DESK);
    expect(t.log).toEqual(['+usb:0b00:0080:SN123', '-usb:0b00:0080:SN123']);
    expect(t.discovery.list()).toEqual([]);
  });

  it('drops a device unplugged while its port was still being looked for', async () => {
    const t = setup();
    await t.discovery.start();
    t.backend.attach(DESK);
    await flush();
    t.backend.detach(DESK);
    t.setPorts([ACM0]);
    for (let i = 0; i < 10; i++) await t.tick(300);
    expect(t.log).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });

  it('ignores other vendors and lists terminals already plugged in at start', async () => {
    const t = setup([KEYBOARD, DESK]);
    t.setPorts([ACM0]);
    await t.discovery.start();
    expect(t.log).toEqual(['+usb:0b00:0080:SN123']);
    t.backend.attach(KEYBOARD);
    await flush();
    expect(t.discovery.list()).toHaveLength(1);
  });

  it('gives two terminals two different ports', async () => {
    const t = setup();
    t.setPorts([ACM0, { path: '/dev/ttyACM1', vendorId: 0x0b00, productId: 0x0085 }]);
    await t.discovery.start();
    t.backend.attach(DESK);
    t.backend.attach(MOVE);
    await flush();
    expect(t.attached.map((d) => [d.id, d.path, d.model])).toEqual([
      ['usb:0b00:0080:SN123', '/dev/ttyACM0', 'Desk/5000'],
      ['usb:0b00:0085:bus1-3.1', '/dev/ttyACM1', 'Move/5000'],
    ]);
  });

  it('unsubscribes from the bus on stop()', async () => {
    const t = setup();
    await t.discovery.start();
    expect(t.backend.listenerCount).toBe(2);
    await t.discovery.stop();
    expect(t.backend.listenerCount).toBe(0);
  });
});

describe("USB discovery looking now (scan, the Readers screen's Refresh)", () => {
  it('reports a terminal whose hot-plug event was lost, and takes away one unplugged unheard', async () => {
    const t = setup();
    t.setPorts([ACM0]);
    await t.discovery.start();
    t.backend.attach(DESK, { hotplug: false });
    t.backend.attach(KEYBOARD, { hotplug: false });
    await flush();
    expect(t.log).toEqual([]);
    await t.discovery.scan();
    expect(t.log).toEqual(['+usb:0b00:0080:SN123']);
    expect(t.discovery.list().map((d) => d.path)).toEqual(['/dev/ttyACM0']);
    // A second scan finds nothing new: no second report.
    await t.discovery.scan();
    expect(t.log).toEqual(['+usb:0b00:0080:SN123']);

    t.backend.detach(DESK, { hotplug: false });
    await t.discovery.scan();
    expect(t.log).toEqual(['+usb:0b00:0080:SN123', '-usb:0b00:0080:SN123']);
    expect(t.discovery.list()).toEqual([]);
  });

  it('resolves after one look for the port: one not there yet is reported by the bounded wait', async () => {
    const t = setup();
    await t.discovery.start();
    t.backend.attach(DESK, { hotplug: false });
    await t.discovery.scan();
    expect(t.log).toEqual([]);
    t.setPorts([ACM0]);
    await t.tick(300);
    expect(t.log).toEqual(['+usb:0b00:0080:SN123']);
  });

  it('looks again for the port of a terminal reported without one', async () => {
    const t = setup([], { mapAttempts: 1 });
    await t.discovery.start();
    t.backend.attach(DESK);
    await flush();
    expect(t.log).toEqual(['+usb:0b00:0080:bus1-2']);
    t.setPorts([ACM0]);
    await t.discovery.scan();
    expect(t.log).toEqual(['+usb:0b00:0080:bus1-2', '-usb:0b00:0080:bus1-2', '+usb:0b00:0080:SN123']);
    expect(t.discovery.list().map((d) => d.path)).toEqual(['/dev/ttyACM0']);
  });

  it('keeps the picture when the bus cannot be read', async () => {
    const t = setup([DESK]);
    t.setPorts([ACM0]);
    await t.discovery.start();
    t.backend.unreadable = true;
    await t.discovery.scan();
    expect(t.log).toEqual(['+usb:0b00:0080:SN123']);
    expect(t.discovery.list()).toHaveLength(1);
  });

  it('does nothing before start and after stop', async () => {
    const t = setup([DESK]);
    t.setPorts([ACM0]);
    await t.discovery.scan();
    await t.discovery.start();
    await t.discovery.stop();
    await t.discovery.scan();
    expect(t.log).toEqual(['+usb:0b00:0080:SN123']);
  });
});

describe('USB on a machine without USB', () => {
  it('reports no USB readers, with the reason, when the backend is unavailable', async () => {
    const discovery = new UsbDiscovery({
      backend: unavailableUsbBackend('no /sys/bus/usb'),
      serialLister: async () => ({ ports: [], source: 'none' }),
    });
    await discovery.start();
    expect(discovery.list()).toEqual([]);
    expect(discovery.unavailableReason).toBe('no /sys/bus/usb');
    await discovery.stop();
  });

  it('says there is no USB bus where there is none, without loading libusb (which lists an empty bus)', async () => {
    let loaded = false;
    const backend = await loadUsbBackend(
      async () => {
        loaded = true;
        return { usb: { getDeviceList: () => [], on: () => undefined, removeListener: () => undefined } };
      },
      () => false,
    );
    expect(loaded).toBe(false);
    expect(backend).toMatchObject({ available: false, unavailableReason: NO_USB_BUS });
  });

  it('tells the app once that there is no USB, however often discovery starts', async () => {
    const told: string[] = [];
    const discovery = new UsbDiscovery({
      backend: unavailableUsbBackend(NO_USB_BUS),
      serialLister: async () => ({ ports: [], source: 'none' }),
      onUnavailable: (reason) => told.push(reason),
    });
    await discovery.start();
    await discovery.stop();
    await discovery.start();
    await discovery.scan();
    await discovery.scan();
    expect(discovery.list()).toEqual([]);
    await discovery.stop();
    expect(told).toEqual([NO_USB_BUS]);
  });

  it('degrades when loading the usb package throws (missing native binary)', async () => {
    const backend = await loadUsbBackend(
      async () => {
        throw new Error('Could not locate the bindings file');
      },
      () => true,
    );
    expect(backend).toMatchObject({
      available: false,
      unavailableReason: expect.stringMatching(/Could not locate the bindings file/),
    });
    expect(backend.list()).toEqual([]);
  });

  it('degrades when the usb package has no legacy API (usb 3.x is WebUSB only)', async () => {
    const backend = await loadUsbBackend(
      async () => ({ webusb: {} }),
      () => true,
    );
    expect(backend).toMatchObject({ available: false, unavailableReason: expect.stringMatching(/legacy/) });
  });

  it('degrades when a backend loader rejects inside discovery', async () => {
    const discovery = new UsbDiscovery({
      backend: async () => {
        throw new Error('libusb init failed');
      },
      serialLister: async () => ({ ports: [], source: 'none' }),
    });
    await discovery.start();
    expect(discovery.unavailableReason).toMatch(/libusb init failed/);
  });

  it('loads the real usb package here without crashing and lists no readers', async () => {
    const discovery = new UsbDiscovery({ serialLister: async () => ({ ports: [], source: 'none' }) });
    await discovery.start();
    expect(discovery.list()).toEqual([]);
    await discovery.stop();
  });
});

describe('Ingenico USB IDs', () => {
  it('knows both vendor IDs and names models from PID hints', () => {
    expect(isIngenico(0x0b00)).toBe(true);
    expect(isIngenico(0x079b)).toBe(true);
    expect(isIngenico(0x0403)).toBe(false);
    expect(isIngenico(undefined)).toBe(false);
    expect(ingenicoModel(0x0b00, 0x0064)).toBe('iWL2xx/3xx');
    expect(ingenicoModel(0x079b, 0x0051)).toBe('iPP2xx');
    expect(ingenicoModel(0x0b00, 0x1234)).toBe('Ingenico terminal');
    expect(ingenicoModel(0x0403, 0x6001)).toBeUndefined();
  });
});
