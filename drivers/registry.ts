/**
 * The reader registry: combines discovery sources, decides which driver claims each device
 * (a port pinned by configuration, then VID/PID, then a protocol probe), and opens claimed
 * devices. The driver list is open: the host passes the simulated driver alongside Concert.
 *
 * A device found twice (a USB terminal is also a serial port) is shown once, as the USB device. A
 * serial port found under two paths (a udev link such as /dev/serial/by-id/… and the node it points
 * to, /dev/ttyUSB0) is shown once too, under the paired path if one is paired, else the configured
 * one, else the first found; the other path is neither shown, probed nor opened.
 * A detach takes any reader opened on that device offline: its payment in flight ends failed or
 * unknown (see ConcertReader), never silently.
 */
import { realpathSync } from 'node:fs';
import type { Clock } from '../common/clock';
import { Emitter } from '../common/emitter';
import type { ConcertDriver, ConcertDriverOptions } from './protocols/concert/driver';
import { createConcertDriver } from './protocols/concert/driver';
import { SerialPollingDiscovery } from './serial/discovery';
import type { SerialLister } from './serial/list';
import { createConfiguredLister, createSerialLister } from './serial/list';
import type {
  CardOutcome,
  Claim,
  CollectRequest,
  CollectStage,
  DeviceDescriptor,
  DiscoveredDevice,
  Discovery,
  Driver,
  NamedPort,
  Reader,
  ReaderInfo,
  ReaderKind,
  ReaderRegistry,
  ReaderState,
  SimulatedFault,
  Unsubscribe,
} from './types';
import type { UsbBackend } from './usb/backend';
import { UsbDiscovery } from './usb/discovery';
import { hex4 } from './usb/ids';

/** A port given by configuration with the driver that must speak on it: no probe. */
export interface PinnedPort {
  readonly path: string;
  readonly driver: ReaderKind;
}

export interface ReaderRegistryOptions {
  /** Tried in order; the first 'yes' claims. */
  readonly drivers: readonly Driver[];
  readonly discoveries: readonly Discovery[];
  /** Probe devices no driver recognises by descriptor (default true). */
  readonly probe?: boolean;
  readonly pinned?: readonly PinnedPort[];
  /**
   * Ports given by configuration, pinned or not: a port also found under another path (the system
   * listing's /dev/ttyUSB0 for a configured /dev/serial/by-id/… link) is shown under this one.
   */
  readonly configured?: readonly string[];
}

export interface ReaderRegistryHandle extends ReaderRegistry {
  /** Resolves once no probe is running (the CLI's `list` waits for this). */
  settled(): Promise<void>;
}

/** A reader that can be told its device went away (ConcertReader has it). */
export interface DetachableReader extends Reader {
  detach(reason: string): void;
}

function isDetachable(reader: Reader): reader is DetachableReader {
  return typeof (reader as Partial<DetachableReader>).detach === 'function';
}

interface Entry {
  device: DeviceDescriptor;
  readonly sources: Set<Discovery>;
  claim: Claim;
  /** Bumped on every (re)appearance, so a probe for an earlier one is ignored. */
  generation: number;
  /** A serial port's node with every link resolved (fs.realpath): two paths of one port share it. */
  readonly port: string | undefined;
  /** The path another entry shows this same port under: then this one is hidden and left alone. */
  sameAs: string | null;
  /** Probes that went unanswered in a row: the next one waits longer (see reprobeDelayMs). */
  failedProbes: number;
  reprobeTimer: ReturnType<typeof setTimeout> | null;
}

const PROBING: Claim = { driver: null, reason: 'probing…' };

/**
 * When an unanswered probe is tried again: 2 s, 4 s, 8 s … up to a minute. A port stays listed as
 * long as its cable is in, so a terminal that was busy (or off) when it was first probed must be
 * asked again, or it would stay unclaimed until unplugged; the backoff keeps an idle port that is
 * not a reader (a modem, a scanner) from being written to every two seconds.
 */
export function reprobeDelayMs(failedProbes: number): number {
  return Math.min(2_000 * 2 ** Math.max(0, failedProbes - 1), 60_000);
}

/** Where a serial device's path leads (links resolved); the path itself when it cannot be resolved. */
function portOf(device: DeviceDescriptor): string | undefined {
  if (device.foundBy !== 'serial' || !device.path) return undefined;
  try {
    return realpathSync(device.path);
  } catch {
    return device.path;
  }
}

export function createReaderRegistry(options: ReaderRegistryOptions): ReaderRegistryHandle {
  const probeEnabled = options.probe ?? true;
  const entries = new Map<string, Entry>();
  const opened = new Map<string, Reader>();
  const opening = new Set<string>();
  const probes = new Set<Promise<void>>();
  /** The probe running on each serial port: a second path of the same port waits for it. */
  const portProbes = new Map<string, Promise<void>>();
  const configured = new Set([...(options.configured ?? []), ...(options.pinned ?? []).map((pin) => pin.path)]);
  let paired = new Set<string>();
  // A listener must not wedge discovery: Emitter isolates a throwing one.
  const changes = new Emitter();
  let subscriptions: Unsubscribe[] = [];
  let generation = 0;
  let stopped = false;

  function changed(): void {
    changes.emit();
  }

  /** A serial device whose port is also a USB device's: shown (and claimed) as the USB one. */
  function shadowedBy(device: DeviceDescriptor): Entry | undefined {
    if (device.foundBy !== 'serial' || !device.path) return undefined;
    for (const entry of entries.values()) {
      if (entry.device.foundBy === 'usb' && entry.device.path === device.path) return entry;
    }
    return undefined;
  }

  function pathInUse(entry: Entry): boolean {
    const port = entry.port ?? entry.device.path;
    if (!port) return false;
    return [...opened.keys(), ...opening].some((id) => {
      const other = entries.get(id);
      return other !== undefined && (other.port ?? other.device.path) === port;
    });
  }

  /** Which path of one port is shown: the open one, then the paired one, a configured one, the first found. */
  function rank(entry: Entry): number {
    const { id, path } = entry.device;
    if (opened.has(id) || opening.has(id)) return 0;
    if (paired.has(id)) return 1;
    if (path !== undefined && configured.has(path)) return 2;
    return 3;
  }

  /**
   * Shows one entry of `port` and hides the others (found under another path of it); `fresh`, new,
   * is classified either way. Returns whether any entry changed.
   */
  function regroup(port: string | undefined, fresh?: Entry): boolean {
    if (port === undefined) return false;
    const group = [...entries.values()].filter((entry) => entry.port === port);
    let shown: Entry | undefined;
    for (const entry of group) {
      if (!shown || rank(entry) < rank(shown) || (rank(entry) === rank(shown) && entry.generation < shown.generation))
        shown = entry;
    }
    let change = false;
    // The hidden first, then the shown one, which waits for a probe still running under a hidden path.
    const shownAs = shown?.device.path ?? shown?.device.id ?? null;
    for (const entry of group) {
      if (entry === shown || (entry.sameAs === shownAs && entry !== fresh)) continue;
      entry.sameAs = shownAs;
      cancelReprobe(entry);
      classify(entry);
      change = true;
    }
    if (shown && (shown.sameAs !== null || shown === fresh)) {
      shown.sameAs = null;
      classify(shown);
      change = true;
    }
    return change;
  }

  function describe(device: DeviceDescriptor): string {
    if (device.vendorId !== undefined && device.productId !== undefined) {
      return `USB ${hex4(device.vendorId)}:${hex4(device.productId)}`;
    }
    return device.path ?? device.id;
  }

  function classify(entry: Entry): void {
    const { device } = entry;
    if (entry.sameAs !== null) {
      entry.claim = { driver: null, reason: `the same port as ${entry.sameAs}` };
      return;
    }
    // A pin names the port by any of its paths.
    const pin = device.path
      ? options.pinned?.find(
          (p) =>
            p.path === device.path ||
            (entry.port !== undefined && portOf({ id: p.path, foundBy: 'serial', path: p.path }) === entry.port),
        )
      : undefined;
    if (pin) {
      entry.claim = options.drivers.some((d) => d.kind === pin.driver)
        ? { driver: pin.driver, by: 'configured' }
        : { driver: null, reason: `pinned to driver "${pin.driver}", which is not installed` };
      return;
    }
    const maybe: Driver[] = [];
    for (const driver of options.drivers) {
      const verdict = driver.matches(device);
      if (verdict === 'yes') {
        entry.claim = { driver: driver.kind, by: device.foundBy === 'simulated' ? 'simulated' : 'vid-pid' };
        return;
      }
      if (verdict === 'maybe' && driver.probe) maybe.push(driver);
    }
    if (maybe.length === 0) {
      entry.claim = { driver: null, reason: `no driver recognises ${describe(device)}` };
      return;
    }
    if (!probeEnabled) {
      entry.claim = { driver: null, reason: `${describe(device)} is not identified by its USB IDs and probing is off` };
      return;
    }
    if (shadowedBy(device)) {
      entry.claim = { driver: null, reason: 'shown as its USB device' };
      return;
    }
    if (pathInUse(entry)) {
      // Never probe a port a reader is using; a re-classified entry keeps the claim it had.
      if (entry.claim === PROBING) entry.claim = { driver: null, reason: 'the port is in use by an open reader' };
      return;
    }
    const port = entry.port;
    const running = port === undefined ? undefined : portProbes.get(port);
    entry.claim = PROBING;
    if (running) {
      // The port is being probed under another path (now hidden): one probe at a time on a line.
      void running.finally(() => {
        if (entries.get(device.id) !== entry || entry.claim !== PROBING || entry.sameAs !== null) return;
        classify(entry);
        changed();
      });
      return;
    }
    const probe = runProbes(entry, entry.generation, maybe);
    probes.add(probe);
    if (port !== undefined) portProbes.set(port, probe);
    void probe.finally(() => {
      probes.delete(probe);
      if (port !== undefined && portProbes.get(port) === probe) portProbes.delete(port);
    });
  }

  async function runProbes(entry: Entry, expected: number, drivers: readonly Driver[]): Promise<void> {
    const failures: string[] = [];
    let claim: Claim | null = null;
    for (const driver of drivers) {
      try {
        if (await driver.probe!(entry.device)) {
          claim = { driver: driver.kind, by: 'probe' };
          break;
        }
        failures.push(`did not answer the ${driver.kind} probe`);
      } catch (error) {
        failures.push(`${driver.kind} probe failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // Gone meanwhile, or hidden behind another path of its port.
    if (entries.get(entry.device.id) !== entry || entry.generation !== expected || entry.sameAs !== null) return;
    entry.claim = claim ?? { driver: null, reason: failures.join('; ') };
    if (claim) entry.failedProbes = 0;
    else scheduleReprobe(entry);
    changed();
  }

  function scheduleReprobe(entry: Entry): void {
    if (stopped) return;
    entry.failedProbes++;
    cancelReprobe(entry);
    entry.reprobeTimer = setTimeout(() => {
      entry.reprobeTimer = null;
      reprobe(entry);
    }, reprobeDelayMs(entry.failedProbes));
    // A listing that waits for its next probe must not keep a CLI (or a test) alive.
    entry.reprobeTimer.unref?.();
  }

  function cancelReprobe(entry: Entry): void {
    if (entry.reprobeTimer) clearTimeout(entry.reprobeTimer);
    entry.reprobeTimer = null;
  }

  /** Probes an entry again when nothing has claimed it and it is not being probed or used. */
  function reprobe(entry: Entry): void {
    if (stopped || entries.get(entry.device.id) !== entry) return;
    if (entry.claim.driver !== null || entry.claim === PROBING || entry.sameAs !== null) return;
    cancelReprobe(entry);
    classify(entry);
    changed();
  }

  function attached(source: Discovery, device: DeviceDescriptor): void {
    const existing = entries.get(device.id);
    if (existing) {
      existing.sources.add(source);
      // A richer report (VID/PID from the system listing) can change the claim.
      if (existing.device.vendorId === undefined && device.vendorId !== undefined) {
        existing.device = device;
        classify(existing);
        changed();
      }
      return;
    }
    const entry: Entry = {
      device,
      sources: new Set([source]),
      claim: PROBING,
      generation: ++generation,
      port: portOf(device),
      sameAs: null,
      failedProbes: 0,
      reprobeTimer: null,
    };
    entries.set(device.id, entry);
    if (entry.port === undefined) classify(entry);
    else regroup(entry.port, entry);
    // A USB device now shadows the serial report of the same port.
    if (device.foundBy === 'usb' && device.path) {
      for (const other of entries.values()) {
        if (other !== entry && other.device.path === device.path && other.device.foundBy === 'serial') {
          other.claim = { driver: null, reason: 'shown as its USB device' };
        }
      }
    }
    changed();
  }

  function detached(source: Discovery, device: DeviceDescriptor): void {
    const entry = entries.get(device.id);
    if (!entry) return;
    entry.sources.delete(source);
    if (entry.sources.size > 0) return;
    entries.delete(device.id);
    cancelReprobe(entry);
    for (const [id, reader] of opened) {
      const openedPath = reader.info.path;
      if (id === device.id || (device.path !== undefined && openedPath === device.path)) {
        opened.delete(id);
        const reason = `${describe(device)} was unplugged`;
        if (isDetachable(reader)) reader.detach(reason);
        else void reader.close().catch(() => undefined);
      }
    }
    // The serial report of a USB device's port stands on its own again.
    if (device.foundBy === 'usb' && device.path) {
      for (const other of entries.values()) {
        if (other.device.path === device.path && other.device.foundBy === 'serial') classify(other);
      }
    }
    // Another path of the port, hidden until now, is shown in its place.
    regroup(entry.port);
    changed();
  }

  function track(id: string, reader: Reader): Reader {
    opened.set(id, reader);
    reader.onDisconnect(() => {
      if (opened.get(id) === reader) opened.delete(id);
    });
    return new TrackedReader(reader, () => {
      if (opened.get(id) === reader) opened.delete(id);
    });
  }

  return {
    async start() {
      stopped = false;
      subscriptions = options.discoveries.flatMap((source) => [
        source.onAttach((device) => attached(source, device)),
        source.onDetach((device) => detached(source, device)),
      ]);
      // One failing source (no USB, no sysfs) must not keep the others from starting.
      await Promise.allSettled(options.discoveries.map((source) => source.start()));
      for (const source of options.discoveries) {
        for (const device of source.list()) attached(source, device);
      }
      changed();
    },

    async stop() {
      stopped = true;
      for (const entry of entries.values()) cancelReprobe(entry);
      for (const unsubscribe of subscriptions) unsubscribe();
      subscriptions = [];
      await Promise.allSettled(options.discoveries.map((source) => source.stop()));
      const readers = [...opened.values()];
      opened.clear();
      await Promise.allSettled(readers.map((reader) => reader.close()));
      await Promise.allSettled([...probes]);
      entries.clear();
    },

    devices() {
      const list: DiscoveredDevice[] = [];
      for (const entry of entries.values()) {
        if (entry.sameAs !== null || shadowedBy(entry.device)) continue;
        list.push({ device: entry.device, claim: entry.claim });
      }
      return list;
    },

    namedPorts() {
      const named: NamedPort[] = [];
      for (const path of configured) {
        const entry = [...entries.values()].find((e) => e.device.foundBy === 'serial' && e.device.path === path);
        if (!entry) named.push({ path, found: null });
        else if (entry.sameAs === null && !shadowedBy(entry.device))
          named.push({ path, found: { device: entry.device, claim: entry.claim } });
      }
      return named;
    },

    onChange(listener) {
      return changes.subscribe(listener);
    },

    async open(deviceId) {
      const entry = entries.get(deviceId);
      if (!entry) throw new Error(`no device "${deviceId}": it was unplugged or has not been discovered`);
      const { claim, device } = entry;
      if (claim.driver === null) throw new Error(`${deviceId} is not claimed by any driver: ${claim.reason}`);
      if (opened.has(deviceId) || opening.has(deviceId))
        throw new Error(`${deviceId} is already open: close it first (one controller per reader)`);
      const driver = options.drivers.find((d) => d.kind === claim.driver);
      if (!driver) throw new Error(`${deviceId} is claimed by driver "${claim.driver}", which is not installed`);
      opening.add(deviceId);
      try {
        const reader = await driver.open(device);
        if (entries.get(deviceId) !== entry) {
          await reader.close().catch(() => undefined);
          throw new Error(`${deviceId} was unplugged while it was being opened`);
        }
        return track(deviceId, reader);
      } finally {
        opening.delete(deviceId);
      }
    },

    reprobe(deviceId) {
      const entry = entries.get(deviceId);
      if (!entry) return;
      entry.failedProbes = 0;
      reprobe(entry);
    },

    async scan() {
      if (stopped) return;
      // One source that cannot list (no sysfs, a USB error) must not keep the others from it.
      await Promise.allSettled(options.discoveries.map((source) => source.scan?.()));
      for (const entry of [...entries.values()]) {
        entry.failedProbes = 0;
        reprobe(entry);
      }
    },

    setPaired(deviceIds) {
      paired = new Set(deviceIds);
      let change = false;
      for (const port of new Set([...entries.values()].map((entry) => entry.port))) change = regroup(port) || change;
      if (change) changed();
    },

    async settled() {
      while (probes.size > 0) await Promise.allSettled([...probes]);
    },
  };
}

/**
 * The Reader handed to the host: the driver's reader, untracked by the registry when closed. Every
 * optional member of Reader the driver's reader has is passed on (found in a defect hunt: its
 * protocol's bound beyond the card wait was not, so the host gave a Concert terminal 15 s instead of
 * the 29 s its link may take, and called unknown an approval it still took).
 */
class TrackedReader implements Reader {
  readonly longestBeyondCardWaitMs?: number;
  readonly cancelsUntil?: 'request';
  readonly presentCard?: (cardNumber?: string) => boolean;
  readonly setFault?: (fault: SimulatedFault) => void;
  readonly heldByFault?: () => 'no_answer' | null;
  readonly refund?: (request: CollectRequest, onStage?: (stage: CollectStage) => void) => Promise<CardOutcome>;
  readonly recoverOutcome?: (reference: string) => Promise<CardOutcome | null>;

  constructor(
    private readonly inner: Reader,
    private readonly untrack: () => void,
  ) {
    if (inner.longestBeyondCardWaitMs !== undefined) this.longestBeyondCardWaitMs = inner.longestBeyondCardWaitMs;
    if (inner.cancelsUntil !== undefined) this.cancelsUntil = inner.cancelsUntil;
    if (inner.presentCard) this.presentCard = (cardNumber) => inner.presentCard!(cardNumber);
    if (inner.setFault) this.setFault = (fault) => inner.setFault!(fault);
    if (inner.heldByFault) this.heldByFault = () => inner.heldByFault!();
    if (inner.refund) this.refund = (request, onStage) => inner.refund!(request, onStage);
    if (inner.recoverOutcome) this.recoverOutcome = (reference) => inner.recoverOutcome!(reference);
  }

  get info(): ReaderInfo {
    return this.inner.info;
  }

  get state(): ReaderState {
    return this.inner.state;
  }

  collect(request: CollectRequest, onStage?: (stage: CollectStage) => void): Promise<CardOutcome> {
    return this.inner.collect(request, onStage);
  }

  cancel(): Promise<boolean> {
    return this.inner.cancel();
  }

  onDisconnect(listener: (reason: string) => void): Unsubscribe {
    return this.inner.onDisconnect(listener);
  }

  close(): Promise<void> {
    this.untrack();
    return this.inner.close();
  }
}

export interface DefaultRegistryOptions {
  /** More drivers, tried before Concert (the simulated driver goes here). */
  readonly drivers?: readonly Driver[];
  /** More discovery sources (the simulated readers' source goes here). */
  readonly discoveries?: readonly Discovery[];
  /**
   * Ports to watch that the system listing does not show (socat ptys, some COM ports): a path
   * is probed; { path, driver } is claimed by that driver without a probe.
   */
  readonly ports?: readonly (string | PinnedPort)[];
  /** Poll the system's serial ports (default true). */
  readonly serial?: boolean;
  /** USB hot-plug (default true): false, or a backend (tests). */
  readonly usb?: boolean | UsbBackend;
  /** Serial polling period (default 2000 ms). */
  readonly pollIntervalMs?: number;
  readonly probe?: boolean;
  readonly concert?: ConcertDriverOptions;
  /** Replaces the system serial lister (tests). */
  readonly serialLister?: SerialLister;
  readonly clock?: Clock;
  /** Fallbacks worth a log line (udevadm missing, listing failed). */
  readonly onNote?: (note: string) => void;
  /** Once, when USB discovery finds no USB on this machine: why (the app logs it; `list` shows it). */
  readonly onUsbUnavailable?: (reason: string) => void;
}

export interface DefaultReaderRegistry extends ReaderRegistryHandle {
  readonly concert: ConcertDriver;
  /** null when serial polling is off. */
  readonly serialDiscovery: SerialPollingDiscovery | null;
  /** null when USB is off. */
  readonly usbDiscovery: UsbDiscovery | null;
}

/** Serial polling + USB hot-plug + configured ports + the Concert driver, plus whatever is passed in. */
export function createDefaultRegistry(options: DefaultRegistryOptions = {}): DefaultReaderRegistry {
  const concert = createConcertDriver({ clock: options.clock, ...options.concert });
  const lister = options.serialLister ?? createSerialLister();
  const discoveries: Discovery[] = [...(options.discoveries ?? [])];
  const serialDiscovery =
    options.serial === false
      ? null
      : new SerialPollingDiscovery({
          lister,
          intervalMs: options.pollIntervalMs,
          clock: options.clock,
          onNote: options.onNote,
        });
  if (serialDiscovery) discoveries.push(serialDiscovery);
  const ports = options.ports ?? [];
  if (ports.length > 0) {
    const paths = ports.map((port) => (typeof port === 'string' ? port : port.path));
    discoveries.push(
      new SerialPollingDiscovery({
        lister: createConfiguredLister(paths),
        intervalMs: options.pollIntervalMs,
        clock: options.clock,
      }),
    );
  }
  const usbDiscovery =
    options.usb === false
      ? null
      : new UsbDiscovery({
          serialLister: lister,
          clock: options.clock,
          ...(typeof options.usb === 'object' ? { backend: options.usb } : {}),
          ...(options.onUsbUnavailable ? { onUnavailable: options.onUsbUnavailable } : {}),
        });
  if (usbDiscovery) discoveries.push(usbDiscovery);
  const registry = createReaderRegistry({
    drivers: [...(options.drivers ?? []), concert],
    discoveries,
    probe: options.probe,
    pinned: ports.filter((port): port is PinnedPort => typeof port !== 'string'),
    configured: ports.map((port) => (typeof port === 'string' ? port : port.path)),
  });
  return { ...registry, concert, serialDiscovery, usbDiscovery };
}
