/**
 * The Readers screen's Refresh asks the host to look for readers now (`readers.scan`): a terminal a
 * technician just plugged in is listed at once, not at the next discovery poll. Before, Refresh only
 * read the list again. Real parts: the default registry, the Concert driver's probe, and a Concert
 * terminal emulator on a socat pty.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SerialPortInfo } from '../../drivers/serial/list';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { createDefaultRegistry } from '../../drivers/registry';
import { createPtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { FakeUsbBackend, NO_USB_BUS, usbBusPresent, type UsbDeviceInfo } from '../../drivers/usb/backend';
import { startTestHost, waitFor } from '../support/host';
import { hasTool } from '../support/tools';

describe.skipIf(!hasTool('socat'))('looking for readers now (readers.scan)', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  it('lists a terminal plugged in since the last poll at once, found by its probe', async () => {
    let ports: SerialPortInfo[] = [];
    const registry = createDefaultRegistry({
      serialLister: async () => ({ ports, source: 'serialport' }),
      // The next poll is an hour away: only a scan can find the terminal.
      pollIntervalMs: 3_600_000,
      usb: false,
    });
    const t = await startTestHost({ registry, defaultSimulatedReader: false });
    cleanup.push(() => t.close());
    expect(await t.call('readers.list', {})).toEqual([]);

    // The technician plugs a terminal in.
    const pty = await createPtyPair();
    cleanup.push(() => pty.stop());
    const served = serveEmulator(await openSerialTransport(pty.a), { script: { outcome: 'approve' } });
    cleanup.push(() => served.stop());
    ports = [{ path: pty.b }];
    expect(await t.call('readers.list', {})).toEqual([]);

    await t.call('readers.scan', {});
    // Not known by its USB ids, it is probed: the screen hears of it when it answers.
    const found = await waitFor(
      async () => (await t.call('readers.list', {})).find((v) => v.path === pty.b && v.kind === 'concert'),
      10_000,
      'the terminal to be found',
    );
    expect(found).toMatchObject({ status: 'unpaired', deviceId: `serial:${pty.b}` });
    // Events are coalesced a moment after the change, while the list reads the registry at once.
    await waitFor(
      () =>
        t.events.some((e) => e.type === 'readers' && e.readers.some((v) => v.path === pty.b && v.kind === 'concert')),
      5_000,
      'a readers event naming the terminal',
    );
    const paired = await t.call('readers.pair', { deviceId: found.deviceId!, label: 'Desk' });
    expect(paired.kind).toBe('concert');
  }, 30_000);

  it('answers the list at once when there is nothing to find, also without discovery', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await t.onlineReader();
    expect((await t.call('readers.scan', {})).map((v) => v.id)).toContain(reader.id);
  });
});

describe('looking for readers on USB now (readers.scan)', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  const DESK: UsbDeviceInfo = { vendorId: 0x0b00, productId: 0x0080, busNumber: 1, deviceAddress: 7 };
  const ACM0: SerialPortInfo = { path: '/dev/ttyACM0', vendorId: 0x0b00, productId: 0x0080, serialNumber: 'SN1' };

  it('lists a USB terminal whose hot-plug event never came', async () => {
    const bus = new FakeUsbBackend();
    const registry = createDefaultRegistry({
      serial: false,
      usb: bus,
      serialLister: async () => ({ ports: [ACM0], source: 'serialport' }),
      probe: false,
    });
    const t = await startTestHost({ registry, defaultSimulatedReader: false });
    cleanup.push(() => t.close());
    bus.attach(DESK, { hotplug: false });
    expect(await t.call('readers.list', {})).toEqual([]);

    const found = (await t.call('readers.scan', {})).find((v) => v.deviceId === 'usb:0b00:0080:SN1');
    expect(found).toMatchObject({ status: 'unpaired', kind: 'concert', path: '/dev/ttyACM0' });
    expect(await t.call('readers.list', {})).toContainEqual(found);
  });

  it('on this machine, with the real usb package, answers with no USB readers and says so at most once', async () => {
    const told: string[] = [];
    const registry = createDefaultRegistry({
      serial: false,
      usb: true,
      serialLister: async () => ({ ports: [], source: 'none' }),
      onUsbUnavailable: (reason) => told.push(reason),
    });
    const t = await startTestHost({ registry, defaultSimulatedReader: false });
    cleanup.push(() => t.close());
    for (let i = 0; i < 3; i++) expect(await t.call('readers.scan', {})).toEqual([]);
    // Said at most once, at start, never per Refresh; where there is no bus (a container), that is why.
    if (usbBusPresent()) expect(told.length).toBeLessThanOrEqual(1);
    else expect(told).toEqual([NO_USB_BUS]);
  });
});
