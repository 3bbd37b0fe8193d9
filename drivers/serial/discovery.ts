/**
 * Serial port discovery by polling a lister and diffing: serialport has no hot-plug events, and
 * ptys or COM ports given by hand are just paths that come and go. The same class serves the
 * system's ports (createSerialLister) and explicitly configured ones (createConfiguredLister).
 */
import type { Clock, TimerHandle } from '../../common/clock';
import { systemClock } from '../../common/clock';
import { Emitter } from '../../common/emitter';
import type { DeviceDescriptor, Discovery, Unsubscribe } from '../types';
import { ingenicoModel } from '../usb/ids';
import type { SerialLister, SerialListing, SerialPortInfo } from './list';

export interface SerialDiscoveryOptions {
  readonly lister: SerialLister;
  /** Default 2000 ms. */
  readonly intervalMs?: number;
  readonly clock?: Clock;
  /** Fallbacks and failures worth a log line ("udevadm not found; read /sys/class/tty instead"). */
  readonly onNote?: (note: string) => void;
}

export function serialDeviceId(path: string): string {
  return `serial:${path}`;
}

export function describeSerialPort(port: SerialPortInfo): DeviceDescriptor {
  const model = ingenicoModel(port.vendorId, port.productId);
  return {
    id: serialDeviceId(port.path),
    foundBy: 'serial',
    path: port.path,
    ...(port.vendorId !== undefined ? { vendorId: port.vendorId } : {}),
    ...(port.productId !== undefined ? { productId: port.productId } : {}),
    ...(port.serialNumber ? { serialNumber: port.serialNumber } : {}),
    ...(port.manufacturer ? { manufacturer: port.manufacturer } : {}),
    ...(model ? { model } : {}),
  };
}

/** Two descriptors for the same id describe the same device only if their USB identity agrees. */
function sameDevice(a: DeviceDescriptor, b: DeviceDescriptor): boolean {
  return a.vendorId === b.vendorId && a.productId === b.productId && a.serialNumber === b.serialNumber;
}

export class SerialPollingDiscovery implements Discovery {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private current = new Map<string, DeviceDescriptor>();
  /** A listener's failure must not stop discovery: Emitter isolates it. */
  private readonly attachEvents = new Emitter<DeviceDescriptor>();
  private readonly detachEvents = new Emitter<DeviceDescriptor>();
  private timer: TimerHandle | undefined;
  private running = false;
  private inFlight: Promise<void> | null = null;
  private lastNote: string | undefined;
  /** The last listing's source, for `pos-reader list`. */
  lastListing: SerialListing | null = null;

  constructor(private readonly options: SerialDiscoveryOptions) {
    this.clock = options.clock ?? systemClock;
    this.intervalMs = options.intervalMs ?? 2_000;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.poll();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  list(): readonly DeviceDescriptor[] {
    return [...this.current.values()];
  }

  onAttach(listener: (device: DeviceDescriptor) => void): Unsubscribe {
    return this.attachEvents.subscribe(listener);
  }

  onDetach(listener: (device: DeviceDescriptor) => void): Unsubscribe {
    return this.detachEvents.subscribe(listener);
  }

  /** A listing now: the next poll keeps its time. */
  scan(): Promise<void> {
    return this.poll();
  }

  /** Lists once and reports the differences. Overlapping calls share one listing. */
  poll(): Promise<void> {
    this.inFlight ??= this.pollOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async pollOnce(): Promise<void> {
    let listing: SerialListing;
    try {
      listing = await this.options.lister();
    } catch (error) {
      // Keep the previous picture: a failed listing is not every device leaving at once.
      this.note(`serial listing failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.lastListing = listing;
    if (listing.note) this.note(listing.note);
    const next = new Map<string, DeviceDescriptor>();
    for (const port of listing.ports) {
      const device = describeSerialPort(port);
      next.set(device.id, device);
    }
    const previous = this.current;
    this.current = next;
    for (const [id, device] of previous) {
      const now = next.get(id);
      if (!now || !sameDevice(device, now)) this.detachEvents.emit(device);
    }
    for (const [id, device] of next) {
      const before = previous.get(id);
      if (!before || !sameDevice(before, device)) this.attachEvents.emit(device);
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      void this.poll().then(() => this.schedule());
    }, this.intervalMs);
  }

  private note(note: string): void {
    if (note === this.lastNote) return; // once per change, not every two seconds
    this.lastNote = note;
    this.options.onNote?.(note);
  }
}
