/**
 * Serial port listing that never takes the process down.
 *
 * serialport's Linux lister spawns `udevadm info -e`; where udevadm is missing (slim containers,
 * some kiosks) the spawn error has been seen escaping as an uncaught exception. So on Linux we
 * look for udevadm on PATH first and, without it (or when the listing fails), read sysfs
 * ourselves: /sys/class/tty/<name>/device, walking up to the USB device for VID/PID/serial, plus
 * /dev/serial/by-id for stable names.
 */
import { accessSync, constants, existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

export interface SerialPortInfo {
  /** Device node, e.g. /dev/ttyACM0. */
  readonly path: string;
  readonly vendorId?: number;
  readonly productId?: number;
  readonly serialNumber?: string;
  readonly manufacturer?: string;
  readonly product?: string;
  /** Name under /dev/serial/by-id, when there is one. */
  readonly byId?: string;
}

export interface SerialListing {
  readonly ports: readonly SerialPortInfo[];
  /** Where the list came from: serialport (udev), our sysfs reader, a configured list, or nothing. */
  readonly source: 'serialport' | 'sysfs' | 'configured' | 'none';
  /** Why the fallback was used, or what failed. */
  readonly note?: string;
}

export type SerialLister = () => Promise<SerialListing>;

/** serialport's PortInfo, as far as we read it. */
export interface RawPortInfo {
  readonly path: string;
  readonly manufacturer?: string;
  readonly serialNumber?: string;
  readonly pnpId?: string;
  readonly vendorId?: string;
  readonly productId?: string;
}

export interface SysfsLayout {
  readonly ttyClassDir: string;
  readonly devDir: string;
  readonly byIdDir: string;
}

export const SYSFS: SysfsLayout = { ttyClassDir: '/sys/class/tty', devDir: '/dev', byIdDir: '/dev/serial/by-id' };

export interface SerialListerOptions {
  readonly platform?: NodeJS.Platform;
  /** PATH lookup; returns the executable's path or null. */
  readonly findExecutable?: (name: string) => string | null;
  /** serialport's SerialPort.list(). */
  readonly serialportList?: () => Promise<readonly RawPortInfo[]>;
  readonly sysfs?: SysfsLayout;
}

/** Finds an executable on PATH without spawning anything. */
export function findOnPath(name: string, pathVariable = process.env.PATH ?? ''): string | null {
  for (const dir of pathVariable.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

async function serialportList(): Promise<readonly RawPortInfo[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

function hexId(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const parsed = Number.parseInt(value.replace(/^0x/i, ''), 16);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function fromRaw(raw: RawPortInfo): SerialPortInfo {
  return {
    path: raw.path,
    vendorId: hexId(raw.vendorId),
    productId: hexId(raw.productId),
    serialNumber: raw.serialNumber || undefined,
    manufacturer: raw.manufacturer || undefined,
    byId: raw.pnpId || undefined,
  };
}

/** Names serialport itself treats as serial ports. */
const SERIAL_NAME = /^(tty(S|WCH|ACM|USB|AMA|MFD|O|XRUSB)\d+|rfcomm\d+)$/;

function readAttribute(dir: string, name: string): string | undefined {
  try {
    const value = readFileSync(join(dir, name), 'utf8').trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** Walks up from a tty's device directory to the USB device that carries idVendor. */
function usbAncestor(deviceDir: string): string | undefined {
  let dir = deviceDir;
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(dir, 'idVendor'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

function byIdNames(layout: SysfsLayout): Map<string, string> {
  const names = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync(layout.byIdDir);
  } catch {
    return names; // no USB serial devices, or no udev at all
  }
  for (const entry of entries) {
    try {
      names.set(resolve(layout.byIdDir, readlinkSync(join(layout.byIdDir, entry))), entry);
    } catch {
      // a dangling or unreadable link
    }
  }
  return names;
}

/** Lists serial ports from sysfs alone. Never throws: an unreadable sysfs is an empty list. */
export function listFromSysfs(layout: SysfsLayout = SYSFS): SerialPortInfo[] {
  let names: string[];
  try {
    names = readdirSync(layout.ttyClassDir);
  } catch {
    return [];
  }
  const byId = byIdNames(layout);
  const ports: SerialPortInfo[] = [];
  for (const name of names.sort()) {
    if (!SERIAL_NAME.test(name)) continue;
    const ttyDir = join(layout.ttyClassDir, name);
    let deviceDir: string;
    try {
      deviceDir = realpathSync(join(ttyDir, 'device'));
    } catch {
      continue; // virtual ttys have no device link
    }
    // The kernel creates ttyS0..N whether or not a UART is there; type 0 means "no UART".
    if (name.startsWith('ttyS') && readAttribute(ttyDir, 'type') === '0') continue;
    const path = join(layout.devDir, name);
    const usb = usbAncestor(deviceDir);
    ports.push({
      path,
      vendorId: usb ? hexId(readAttribute(usb, 'idVendor')) : undefined,
      productId: usb ? hexId(readAttribute(usb, 'idProduct')) : undefined,
      serialNumber: usb ? readAttribute(usb, 'serial') : undefined,
      manufacturer: usb ? readAttribute(usb, 'manufacturer') : undefined,
      product: usb ? readAttribute(usb, 'product') : undefined,
      byId: byId.get(path),
    });
  }
  return ports;
}

/** A SerialLister that picks the safe source for this machine. */
export function createSerialLister(options: SerialListerOptions = {}): SerialLister {
  const platform = options.platform ?? process.platform;
  const find = options.findExecutable ?? ((name: string) => findOnPath(name));
  const list = options.serialportList ?? serialportList;
  const layout = options.sysfs ?? SYSFS;
  return async () => {
    if (platform === 'linux' && find('udevadm') === null) {
      return { ports: listFromSysfs(layout), source: 'sysfs', note: 'udevadm not found; read /sys/class/tty instead' };
    }
    try {
      const raw = await list();
      return { ports: raw.map(fromRaw), source: 'serialport' };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (platform === 'linux') {
        return {
          ports: listFromSysfs(layout),
          source: 'sysfs',
          note: `serialport listing failed (${message}); read /sys/class/tty instead`,
        };
      }
      return { ports: [], source: 'none', note: `serialport listing failed: ${message}` };
    }
  };
}

/** Lists explicitly configured paths (ptys, COM ports serialport does not list) that exist now. */
export function createConfiguredLister(
  paths: readonly string[],
  exists: (path: string) => boolean = existsSync,
): SerialLister {
  return async () => ({ ports: paths.filter((path) => exists(path)).map((path) => ({ path })), source: 'configured' });
}
