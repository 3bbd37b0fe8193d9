/**
 * USB discovery: hot-plug events for reader vendor IDs (Ingenico by default), each device mapped
 * to the serial port the kernel made for it (USB-CDC: /dev/ttyACM*), found in the serial listing
 * by VID/PID. The tty node appears a moment after the USB attach, so the mapping retries for a
 * bounded time; a device whose port has not shown up by then is reported without a path, and looked
 * for again every lateLookMs while it stays plugged in: once its port is there it is reported again,
 * with it (and its serial number, so a reader paired by that number comes online by itself).
 */
import type { Clock, TimerHandle } from '../../common/clock';
import { systemClock } from '../../common/clock';
import { Emitter } from '../../common/emitter';
import type { SerialLister, SerialPortInfo } from '../serial/list';
import type { DeviceDescriptor, Discovery, Unsubscribe } from '../types';
import type { UsbBackend, UsbDeviceInfo } from './backend';
import { loadUsbBackend, unavailableUsbBackend } from './backend';
import { INGENICO_VENDOR_IDS, hex4, ingenicoModel } from './ids';

export interface UsbDiscoveryOptions {
  /** A backend, or a loader (default: the `usb` package, guarded). */
  readonly backend?: UsbBackend | (() => Promise<UsbBackend>);
  /** Finds the serial port of a USB device. */
  readonly serialLister: SerialLister;
  readonly clock?: Clock;
  /** Vendor IDs worth reporting. Default: Ingenico's. */
  readonly vendorIds?: readonly number[];
  /** Listing attempts while waiting for the tty node (default 10, 300 ms apart). */
  readonly mapAttempts?: number;
  readonly mapRetryMs?: number;
  /** After that, how often a device reported without a port is looked for again (default 2 s). */
  readonly lateLookMs?: number;
  /**
   * Told once, on the first start that finds no USB (the reason), for the app's log: the bus is
   * not looked at again, so there is nothing more to say (and no error per scan).
   */
  readonly onUnavailable?: (reason: string) => void;
}

function busKey(device: UsbDeviceInfo): string {
  return `${device.busNumber}-${device.deviceAddress}`;
}

/** Serial number when known, else the physical port chain: stable across re-plugs into the same socket. */
function usbDeviceId(device: UsbDeviceInfo, serialNumber: string | undefined): string {
  const where =
    serialNumber ?? `bus${device.busNumber}-${device.portNumbers?.join('.') ?? `addr${device.deviceAddress}`}`;
  return `usb:${hex4(device.vendorId)}:${hex4(device.productId)}:${where}`;
}

export class UsbDiscovery implements Discovery {
  private readonly clock: Clock;
  private readonly vendorIds: readonly number[];
  private backend: UsbBackend | null = null;
  private readonly devices = new Map<string, DeviceDescriptor>();
  private readonly mapping = new Map<string, TimerHandle | undefined>();
  /** Devices reported without a serial port: the next look for it. */
  private readonly lateLooks = new Map<string, TimerHandle>();
  /** A listener's failure must not stop discovery: Emitter isolates it. */
  private readonly attachEvents = new Emitter<DeviceDescriptor>();
  private readonly detachEvents = new Emitter<DeviceDescriptor>();
  private subscriptions: Unsubscribe[] = [];
  private toldUnavailable = false;
  /** The scan running now: overlapping Refreshes share one listing. */
  private scanning: Promise<void> | null = null;

  constructor(private readonly options: UsbDiscoveryOptions) {
    this.clock = options.clock ?? systemClock;
    this.vendorIds = options.vendorIds ?? INGENICO_VENDOR_IDS;
  }

  /** Why USB reports nothing on this machine, or null when the bus is there. */
  get unavailableReason(): string | null {
    if (!this.backend) return 'USB discovery not started';
    return this.backend.available ? null : (this.backend.unavailableReason ?? 'no USB');
  }

  async start(): Promise<void> {
    if (this.backend) return;
    const source = this.options.backend ?? (() => loadUsbBackend());
    this.backend = typeof source === 'function' ? await source().catch((error: unknown) => unavailable(error)) : source;
    const backend = this.backend;
    if (!backend.available && !this.toldUnavailable) {
      this.toldUnavailable = true;
      this.options.onUnavailable?.(backend.unavailableReason ?? 'no USB');
    }
    this.subscriptions = [
      backend.onAttach((device) => void this.attached(device)),
      backend.onDetach((device) => this.detached(busKey(device))),
    ];
    await Promise.all((listOf(backend) ?? []).map((device) => this.attached(device)));
  }

  /**
   * Lists the bus now and reports the differences (the Readers screen's Refresh): a terminal whose
   * hot-plug event was missed (libusb without hot-plug support, an event lost) is reported, one
   * gone is taken away, and one reported without a serial port is looked for again. Resolves once
   * every terminal has been looked for once; one whose tty node is not there yet is reported by the
   * bounded wait, later. Without USB it does nothing and says nothing (start() said why, once). A
   * listing that fails keeps the picture: it is not every terminal leaving at once.
   */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const backend = this.backend;
    if (!backend?.available) return;
    const listed = listOf(backend);
    if (!listed) return;
    const present = new Map(
      listed.filter((device) => this.vendorIds.includes(device.vendorId)).map((device) => [busKey(device), device]),
    );
    for (const key of [...this.devices.keys(), ...this.mapping.keys()]) if (!present.has(key)) this.detached(key);
    const looks: Promise<void>[] = [];
    for (const [key, device] of present) {
      const known = this.devices.get(key);
      if (!known) looks.push(new Promise<void>((looked) => void this.attached(device, looked)));
      else if (known.path === undefined) looks.push(this.lookAgain(key, device));
    }
    await Promise.all(looks);
  }

  /** A terminal reported without a serial port: reported again with it, if it now has one. */
  private async lookAgain(key: string, device: UsbDeviceInfo): Promise<void> {
    const port = await this.findPort(device);
    const before = this.devices.get(key);
    if (!port || !before || before.path !== undefined) return;
    this.devices.delete(key);
    this.detachEvents.emit(before);
    this.report(key, device, port);
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.subscriptions) unsubscribe();
    this.subscriptions = [];
    for (const timer of this.mapping.values()) this.clock.clearTimeout(timer);
    this.mapping.clear();
    for (const timer of this.lateLooks.values()) this.clock.clearTimeout(timer);
    this.lateLooks.clear();
    this.backend?.close();
    this.backend = null;
    this.devices.clear();
  }

  list(): readonly DeviceDescriptor[] {
    return [...this.devices.values()];
  }

  onAttach(listener: (device: DeviceDescriptor) => void): Unsubscribe {
    return this.attachEvents.subscribe(listener);
  }

  onDetach(listener: (device: DeviceDescriptor) => void): Unsubscribe {
    return this.detachEvents.subscribe(listener);
  }

  /**
   * Resolves once the device is reported (with or without a serial port), or dropped; `looked` is
   * called after the first look for its port (or at once when there is nothing to look for).
   */
  private attached(device: UsbDeviceInfo, looked?: () => void): Promise<void> {
    const key = busKey(device);
    if (!this.vendorIds.includes(device.vendorId) || this.devices.has(key) || this.mapping.has(key)) {
      looked?.();
      return Promise.resolve();
    }
    this.mapping.set(key, undefined);
    const attempts = this.options.mapAttempts ?? 10;
    const retryMs = this.options.mapRetryMs ?? 300;
    return new Promise<void>((resolve) => {
      const attempt = async (left: number): Promise<void> => {
        const port = await this.findPort(device);
        looked?.();
        if (!this.mapping.has(key)) return resolve(); // detached or stopped meanwhile
        if (port || left <= 1) {
          this.mapping.delete(key);
          this.report(key, device, port);
          if (!port) this.lookLater(key, device);
          return resolve();
        }
        this.mapping.set(
          key,
          this.clock.setTimeout(() => void attempt(left - 1), retryMs),
        );
      };
      void attempt(attempts);
    });
  }

  /**
   * A device reported without a serial port (its tty node came later than the bounded wait: a slow
   * cdc_acm, ModemManager holding it a while): looked for again, until it has one or is unplugged.
   */
  private lookLater(key: string, device: UsbDeviceInfo): void {
    this.clock.clearTimeout(this.lateLooks.get(key));
    const timer = this.clock.setTimeout(() => {
      if (this.lateLooks.get(key) !== timer) return;
      this.lateLooks.delete(key);
      const known = this.devices.get(key);
      if (!known || known.path !== undefined) return; // unplugged, or found by a scan meanwhile
      void this.lookAgain(key, device).then(() => {
        const now = this.devices.get(key);
        if (now && now.path === undefined && !this.lateLooks.has(key)) this.lookLater(key, device);
      });
    }, this.options.lateLookMs ?? 2_000);
    this.lateLooks.set(key, timer);
  }

  private detached(key: string): void {
    this.clock.clearTimeout(this.lateLooks.get(key));
    this.lateLooks.delete(key);
    if (this.mapping.has(key)) {
      this.clock.clearTimeout(this.mapping.get(key));
      this.mapping.delete(key);
      return;
    }
    const descriptor = this.devices.get(key);
    if (!descriptor) return;
    this.devices.delete(key);
    this.detachEvents.emit(descriptor);
  }

  private async findPort(device: UsbDeviceInfo): Promise<SerialPortInfo | undefined> {
    let ports: readonly SerialPortInfo[];
    try {
      ports = (await this.options.serialLister()).ports;
    } catch {
      return undefined;
    }
    const taken = new Set([...this.devices.values()].map((d) => d.path));
    return ports.find(
      (port) => port.vendorId === device.vendorId && port.productId === device.productId && !taken.has(port.path),
    );
  }

  private report(key: string, device: UsbDeviceInfo, port: SerialPortInfo | undefined): void {
    const model = ingenicoModel(device.vendorId, device.productId);
    const descriptor: DeviceDescriptor = {
      id: usbDeviceId(device, port?.serialNumber),
      foundBy: 'usb',
      vendorId: device.vendorId,
      productId: device.productId,
      ...(port ? { path: port.path } : {}),
      ...(port?.serialNumber ? { serialNumber: port.serialNumber } : {}),
      ...(port?.manufacturer ? { manufacturer: port.manufacturer } : {}),
      ...(model ? { model } : {}),
    };
    this.devices.set(key, descriptor);
    this.attachEvents.emit(descriptor);
  }
}

/** The devices on the bus, or null when the bus could not be read. */
function listOf(backend: UsbBackend): readonly UsbDeviceInfo[] | null {
  try {
    return backend.list();
  } catch {
    return null;
  }
}

function unavailable(error: unknown): UsbBackend {
  return unavailableUsbBackend(`USB backend failed to load: ${error instanceof Error ? error.message : String(error)}`);
}
