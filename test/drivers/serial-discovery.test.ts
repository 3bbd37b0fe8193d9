import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { SerialPollingDiscovery, describeSerialPort } from '../../drivers/serial/discovery';
import type { SerialListing, SerialPortInfo, SysfsLayout } from '../../drivers/serial/list';
import { createConfiguredLister, createSerialLister, findOnPath, listFromSysfs } from '../../drivers/serial/list';
import type { DeviceDescriptor } from '../../drivers/types';

/**
 * A fake sysfs laid out like the kernel's: class/tty/<name>/device links into devices/, USB
 * attributes on the USB device two levels up (ACM) or three (usb-serial), by-id links in dev/.
 */
function fakeSysfs(root: string): SysfsLayout {
  const file = (path: string, content: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${content}\n`);
  };
  const tty = (name: string, deviceDir: string | null, attributes: Record<string, string> = {}) => {
    const dir = join(root, 'sys/class/tty', name);
    mkdirSync(dir, { recursive: true });
    if (deviceDir) {
      mkdirSync(deviceDir, { recursive: true });
      symlinkSync(deviceDir, join(dir, 'device'));
    }
    for (const [key, value] of Object.entries(attributes)) file(join(dir, key), value);
  };
  const acm = join(root, 'sys/devices/pci0000:00/usb1/1-2');
  file(join(acm, 'idVendor'), '0b00');
  file(join(acm, 'idProduct'), '0080');
  file(join(acm, 'serial'), 'SN123');
  file(join(acm, 'manufacturer'), 'Ingenico');
  file(join(acm, 'product'), 'Desk/5000');
  tty('ttyACM0', join(acm, '1-2:1.0'));
  const ftdi = join(root, 'sys/devices/pci0000:00/usb1/1-3');
  file(join(ftdi, 'idVendor'), '0403');
  file(join(ftdi, 'idProduct'), '6001');
  tty('ttyUSB0', join(ftdi, '1-3:1.0/ttyUSB0'));
  tty('ttyS0', join(root, 'sys/devices/pnp0/00:00'), { type: '4' });
  tty('ttyS1', join(root, 'sys/devices/platform/serial8250'), { type: '0' }); // no UART behind it
  tty('ttyACM1', null); // no device link: not a port
  tty('tty0', join(root, 'sys/devices/virtual/tty0'));
  const byId = join(root, 'dev/serial/by-id');
  mkdirSync(byId, { recursive: true });
  symlinkSync('../../ttyACM0', join(byId, 'usb-Ingenico_Desk_5000_SN123-if00'));
  return { ttyClassDir: join(root, 'sys/class/tty'), devDir: join(root, 'dev'), byIdDir: byId };
}

let root: string;
let layout: SysfsLayout;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sysfs-'));
  layout = fakeSysfs(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('serial listing from sysfs', () => {
  it('finds real ports with their USB identity and by-id name', () => {
    const dev = layout.devDir;
    expect(listFromSysfs(layout)).toEqual([
      {
        path: join(dev, 'ttyACM0'),
        vendorId: 0x0b00,
        productId: 0x0080,
        serialNumber: 'SN123',
        manufacturer: 'Ingenico',
        product: 'Desk/5000',
        byId: 'usb-Ingenico_Desk_5000_SN123-if00',
      },
      {
        path: join(dev, 'ttyS0'),
        vendorId: undefined,
        productId: undefined,
        serialNumber: undefined,
        manufacturer: undefined,
        product: undefined,
        byId: undefined,
      },
      {
        path: join(dev, 'ttyUSB0'),
        vendorId: 0x0403,
        productId: 0x6001,
        serialNumber: undefined,
        manufacturer: undefined,
        product: undefined,
        byId: undefined,
      },
    ]);
  });

  it('returns nothing, without throwing, when sysfs is missing', () => {
    expect(listFromSysfs({ ttyClassDir: join(root, 'nope'), devDir: '/dev', byIdDir: join(root, 'nope') })).toEqual([]);
  });
});

describe('the safe serial lister', () => {
  it('does not call serialport at all when udevadm is missing, and reads sysfs', async () => {
    const serialportList = vi.fn(async () => []);
    const list = createSerialLister({ platform: 'linux', findExecutable: () => null, serialportList, sysfs: layout });
    const listing = await list();
    expect(serialportList).not.toHaveBeenCalled();
    expect(listing.source).toBe('sysfs');
    expect(listing.note).toMatch(/udevadm not found/);
    expect(listing.ports.map((p) => p.path)).toEqual(
      ['ttyACM0', 'ttyS0', 'ttyUSB0'].map((n) => join(layout.devDir, n)),
    );
  });

  it('uses serialport when udevadm is there, parsing its hex IDs', async () => {
    const list = createSerialLister({
      platform: 'linux',
      findExecutable: () => '/usr/bin/udevadm',
      serialportList: async () => [
        {
          path: '/dev/ttyACM0',
          vendorId: '0b00',
          productId: '0080',
          serialNumber: 'SN9',
          manufacturer: 'Ingenico',
          pnpId: 'usb-Ingenico-if00',
        },
      ],
      sysfs: layout,
    });
    expect(await list()).toEqual({
      source: 'serialport',
      ports: [
        {
          path: '/dev/ttyACM0',
          vendorId: 0x0b00,
          productId: 0x80,
          serialNumber: 'SN9',
          manufacturer: 'Ingenico',
          byId: 'usb-Ingenico-if00',
        },
      ],
    });
  });

  it('falls back to sysfs when serialport fails on Linux', async () => {
    const list = createSerialLister({
      platform: 'linux',
      findExecutable: () => '/usr/bin/udevadm',
      serialportList: async () => {
        throw new Error('spawn udevadm ENOENT');
      },
      sysfs: layout,
    });
    const listing = await list();
    expect(listing.source).toBe('sysfs');
    expect(listing.note).toMatch(/spawn udevadm ENOENT/);
    expect(listing.ports).toHaveLength(3);
  });

  it('reports an empty listing elsewhere when serialport fails', async () => {
    const list = createSerialLister({
      platform: 'darwin',
      serialportList: async () => {
        throw new Error('IOKit said no');
      },
    });
    expect(await list()).toEqual({ ports: [], source: 'none', note: 'serialport listing failed: IOKit said no' });
  });

  it('keeps a real process alive with no udevadm on PATH (the crash seen on these machines)', async () => {
    const script = `
      import { createSerialLister } from './drivers/serial/list.ts';
      const listing = await createSerialLister()();
      process.stdout.write(JSON.stringify({ source: listing.source, ports: listing.ports.length }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: join(__dirname, '../..'),
        env: { ...process.env, PATH: '/nonexistent' },
        timeout: 15_000,
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ source: 'sysfs' });
  });

  it('finds executables on PATH without spawning', () => {
    expect(findOnPath('sh', '/nonexistent:/bin:/usr/bin')).toMatch(/\/sh$/);
    expect(findOnPath('udevadm', '/nonexistent')).toBeNull();
  });

  it('lists configured paths only while they exist', async () => {
    const present = new Set(['/tmp/ttyA']);
    const list = createConfiguredLister(['/tmp/ttyA', '/tmp/ttyB'], (path) => present.has(path));
    expect(await list()).toEqual({ ports: [{ path: '/tmp/ttyA' }], source: 'configured' });
    present.add('/tmp/ttyB');
    expect((await list()).ports).toHaveLength(2);
  });
});

describe('serial discovery by polling and diffing', () => {
  function fakeLister() {
    let next: SerialListing | Error = { ports: [], source: 'serialport' };
    const lister = vi.fn(async () => {
      if (next instanceof Error) throw next;
      return next;
    });
    return {
      lister,
      set(ports: SerialPortInfo[]) {
        next = { ports, source: 'serialport' };
      },
      fail(message: string) {
        next = new Error(message);
      },
    };
  }

  function watch(discovery: SerialPollingDiscovery) {
    const log: string[] = [];
    discovery.onAttach((d: DeviceDescriptor) => log.push(`+${d.id}`));
    discovery.onDetach((d: DeviceDescriptor) => log.push(`-${d.id}`));
    return log;
  }

  it('reports attaches and detaches between polls, and only those', async () => {
    const fake = fakeLister();
    const discovery = new SerialPollingDiscovery({ lister: fake.lister });
    const log = watch(discovery);
    fake.set([{ path: '/dev/ttyS0' }]);
    await discovery.poll();
    fake.set([{ path: '/dev/ttyS0' }, { path: '/dev/ttyACM0', vendorId: 0x0b00, productId: 0x0080 }]);
    await discovery.poll();
    await discovery.poll();
    fake.set([{ path: '/dev/ttyACM0', vendorId: 0x0b00, productId: 0x0080 }]);
    await discovery.poll();
    expect(log).toEqual(['+serial:/dev/ttyS0', '+serial:/dev/ttyACM0', '-serial:/dev/ttyS0']);
    expect(discovery.list()).toEqual([
      {
        id: 'serial:/dev/ttyACM0',
        foundBy: 'serial',
        path: '/dev/ttyACM0',
        vendorId: 0x0b00,
        productId: 0x0080,
        model: 'Desk/5000',
      },
    ]);
  });

  it('treats another device on the same path as a detach and an attach', async () => {
    const fake = fakeLister();
    const discovery = new SerialPollingDiscovery({ lister: fake.lister });
    const log = watch(discovery);
    fake.set([{ path: '/dev/ttyACM0', vendorId: 0x0b00, productId: 0x0080, serialNumber: 'A' }]);
    await discovery.poll();
    fake.set([{ path: '/dev/ttyACM0', vendorId: 0x0b00, productId: 0x0080, serialNumber: 'B' }]);
    await discovery.poll();
    expect(log).toEqual(['+serial:/dev/ttyACM0', '-serial:/dev/ttyACM0', '+serial:/dev/ttyACM0']);
    expect(discovery.list()[0]?.serialNumber).toBe('B');
  });

  it('keeps the previous picture when a listing fails, and notes it once', async () => {
    const fake = fakeLister();
    const notes: string[] = [];
    const discovery = new SerialPollingDiscovery({ lister: fake.lister, onNote: (note) => notes.push(note) });
    const log = watch(discovery);
    fake.set([{ path: '/dev/ttyS0' }]);
    await discovery.poll();
    fake.fail('udev went away');
    await discovery.poll();
    await discovery.poll();
    expect(log).toEqual(['+serial:/dev/ttyS0']);
    expect(discovery.list()).toHaveLength(1);
    expect(notes).toEqual(['serial listing failed: udev went away']);
  });

  it('polls on its interval once started, and stops polling on stop()', async () => {
    const clock = new FakeClock();
    const fake = fakeLister();
    const discovery = new SerialPollingDiscovery({ lister: fake.lister, clock, intervalMs: 2_000 });
    const log = watch(discovery);
    await discovery.start();
    expect(fake.lister).toHaveBeenCalledTimes(1);
    fake.set([{ path: '/dev/ttyUSB0' }]);
    await clock.advanceAsync(1_999);
    expect(log).toEqual([]);
    await clock.advanceAsync(1);
    await clock.advanceAsync(0);
    expect(log).toEqual(['+serial:/dev/ttyUSB0']);
    await discovery.stop();
    const calls = fake.lister.mock.calls.length;
    await clock.advanceAsync(10_000, 2_000);
    expect(fake.lister.mock.calls.length).toBe(calls);
    expect(clock.pending).toBe(0);
  });

  it('describes ports with an Ingenico model hint', () => {
    expect(
      describeSerialPort({ path: '/dev/ttyACM3', vendorId: 0x079b, productId: 0x0028, serialNumber: 'X1' }),
    ).toEqual({
      id: 'serial:/dev/ttyACM3',
      foundBy: 'serial',
      path: '/dev/ttyACM3',
      vendorId: 0x079b,
      productId: 0x0028,
      serialNumber: 'X1',
      model: 'Telium',
    });
    expect(describeSerialPort({ path: '/dev/ttyACM4', vendorId: 0x0b00, productId: 0x9999 }).model).toBe(
      'Ingenico terminal',
    );
  });
});
