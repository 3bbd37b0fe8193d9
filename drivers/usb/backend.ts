/**
 * USB hot-plug behind a small interface: the real backend wraps the `usb` package's legacy API
 * (usb 2.x: getDeviceList, 'attach'/'detach'); FakeUsbBackend attaches and detaches devices in
 * tests. Loading `usb` can fail (no prebuilt binary, no libusb, a machine without a USB bus):
 * that yields an unavailable backend with a reason, never an exception.
 */
import { existsSync } from 'node:fs';
import { Emitter } from '../../common/emitter';
import type { Unsubscribe } from '../types';

export interface UsbDeviceInfo {
  readonly vendorId: number;
  readonly productId: number;
  readonly busNumber: number;
  readonly deviceAddress: number;
  /** Physical port chain (hub ports): stable across re-plugs into the same socket. */
  readonly portNumbers?: readonly number[];
}

export interface UsbBackend {
  readonly available: boolean;
  /** Why there is no USB (load error, no bus). */
  readonly unavailableReason?: string;
  /** The devices on the bus now; throws when the bus cannot be read (not the same as an empty one). */
  list(): readonly UsbDeviceInfo[];
  onAttach(listener: (device: UsbDeviceInfo) => void): Unsubscribe;
  onDetach(listener: (device: UsbDeviceInfo) => void): Unsubscribe;
  /** Drops every hot-plug listener, which also stops the package's polling timer. */
  close(): void;
}

/** The part of the legacy `usb` module used here. */
interface LegacyDevice {
  readonly busNumber: number;
  readonly deviceAddress: number;
  readonly portNumbers?: number[];
  readonly deviceDescriptor: { readonly idVendor: number; readonly idProduct: number };
}

interface LegacyUsb {
  getDeviceList(): LegacyDevice[];
  on(event: 'attach' | 'detach', listener: (device: LegacyDevice) => void): unknown;
  removeListener(event: 'attach' | 'detach', listener: (device: LegacyDevice) => void): unknown;
  unrefHotplugEvents?: () => void;
}

function isLegacyUsb(value: unknown): value is LegacyUsb {
  const candidate = value as Partial<LegacyUsb> | null;
  return (
    typeof candidate?.getDeviceList === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.removeListener === 'function'
  );
}

function toInfo(device: LegacyDevice): UsbDeviceInfo {
  return {
    vendorId: device.deviceDescriptor.idVendor,
    productId: device.deviceDescriptor.idProduct,
    busNumber: device.busNumber,
    deviceAddress: device.deviceAddress,
    ...(device.portNumbers && device.portNumbers.length > 0 ? { portNumbers: [...device.portNumbers] } : {}),
  };
}

export function unavailableUsbBackend(reason: string): UsbBackend {
  return {
    available: false,
    unavailableReason: reason,
    list: () => [],
    onAttach: () => () => undefined,
    onDetach: () => () => undefined,
    close: () => undefined,
  };
}

class LegacyUsbBackend implements UsbBackend {
  readonly available = true;
  private readonly handlers: Array<['attach' | 'detach', (device: LegacyDevice) => void]> = [];

  constructor(private readonly usb: LegacyUsb) {}

  list(): readonly UsbDeviceInfo[] {
    return this.usb.getDeviceList().map(toInfo);
  }

  onAttach(listener: (device: UsbDeviceInfo) => void): Unsubscribe {
    return this.subscribe('attach', listener);
  }

  onDetach(listener: (device: UsbDeviceInfo) => void): Unsubscribe {
    return this.subscribe('detach', listener);
  }

  close(): void {
    for (const [event, handler] of this.handlers.splice(0)) this.usb.removeListener(event, handler);
  }

  private subscribe(event: 'attach' | 'detach', listener: (device: UsbDeviceInfo) => void): Unsubscribe {
    const handler = (device: LegacyDevice): void => {
      try {
        listener(toInfo(device));
      } catch {
        // A listener's failure must not reach libusb's event loop.
      }
    };
    try {
      this.usb.on(event, handler);
      // Hot-plug must not keep a CLI or a test process alive by itself.
      this.usb.unrefHotplugEvents?.();
    } catch {
      return () => undefined; // no hot-plug on this machine: the initial list is all there is
    }
    this.handlers.push([event, handler]);
    return () => {
      const index = this.handlers.findIndex(([, h]) => h === handler);
      if (index >= 0) this.handlers.splice(index, 1);
      this.usb.removeListener(event, handler);
    };
  }
}

export const NO_USB_BUS = 'this machine has no USB bus: no /sys/bus/usb or /dev/bus/usb';

/** Linux shows its USB buses in sysfs (and usbfs); elsewhere the usb package is asked. */
export function usbBusPresent(): boolean {
  if (process.platform !== 'linux') return true;
  return existsSync('/sys/bus/usb') || existsSync('/dev/bus/usb');
}

/**
 * Loads the `usb` package and wraps its legacy API. Any failure (module missing, native load
 * error, a WebUSB-only 3.x API) gives an unavailable backend that says why.
 */
export async function loadUsbBackend(
  load: () => Promise<unknown> = () => import('usb'),
  busPresent: () => boolean = usbBusPresent,
): Promise<UsbBackend> {
  // libusb starts, and lists nothing, where there is no bus at all (a container, a VM without a USB
  // controller): "no USB readers" must then say why rather than look like an empty bus.
  if (!busPresent()) return unavailableUsbBackend(NO_USB_BUS);
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    return unavailableUsbBackend(
      `the usb package could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const namespace = loaded as { usb?: unknown; default?: { usb?: unknown } } | null;
  const legacy = namespace?.usb ?? namespace?.default?.usb;
  if (!isLegacyUsb(legacy))
    return unavailableUsbBackend('the usb package has no legacy hot-plug API (usb 2.x expected)');
  return new LegacyUsbBackend(legacy);
}

/**
 * A USB bus in memory: attach() and detach() fire hot-plug events like the real one, unless told
 * the event is lost (`{ hotplug: false }`: libusb without hot-plug support); `unreadable` makes
 * list() throw as a bus that cannot be read.
 */
export class FakeUsbBackend implements UsbBackend {
  readonly available = true;
  unreadable = false;
  private readonly devices: UsbDeviceInfo[] = [];
  private readonly attachEvents = new Emitter<UsbDeviceInfo>();
  private readonly detachEvents = new Emitter<UsbDeviceInfo>();

  constructor(initial: readonly UsbDeviceInfo[] = []) {
    this.devices.push(...initial);
  }

  list(): readonly UsbDeviceInfo[] {
    if (this.unreadable) throw new Error('LIBUSB_ERROR_IO');
    return [...this.devices];
  }

  onAttach(listener: (device: UsbDeviceInfo) => void): Unsubscribe {
    return this.attachEvents.subscribe(listener);
  }

  onDetach(listener: (device: UsbDeviceInfo) => void): Unsubscribe {
    return this.detachEvents.subscribe(listener);
  }

  close(): void {
    this.attachEvents.clear();
    this.detachEvents.clear();
  }

  get listenerCount(): number {
    return this.attachEvents.size + this.detachEvents.size;
  }

  attach(device: UsbDeviceInfo, options: { hotplug?: boolean } = {}): void {
    this.devices.push(device);
    if (options.hotplug !== false) this.attachEvents.emit(device);
  }

  detach(device: UsbDeviceInfo, options: { hotplug?: boolean } = {}): void {
    const index = this.devices.findIndex(
      (d) => d.busNumber === device.busNumber && d.deviceAddress === device.deviceAddress,
    );
    if (index < 0) return;
    const [removed] = this.devices.splice(index, 1);
    if (options.hotplug !== false) this.detachEvents.emit(removed!);
  }
}
