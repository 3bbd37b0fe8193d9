/**
 * The driver layer's interfaces. The host (main/) only ever sees these types: a discovered
 * device, a driver that can claim and open it, and the opened Reader that collects a card.
 * Nothing here knows about the gateway, the journal or Electron.
 */
import type { Unsubscribe } from '../common/emitter';

/** How a device was found. */
export type FoundBy = 'simulated' | 'serial' | 'usb';

/** Which driver speaks to a reader. */
export type ReaderKind = 'simulated' | 'concert';

/** A device seen by a discovery source, before any driver has claimed it. */
export interface DeviceDescriptor {
  /** Stable across re-plugs where the hardware allows: "serial:/dev/ttyACM0", "usb:0b00:0080:SN123", "sim:…". */
  readonly id: string;
  readonly foundBy: FoundBy;
  /** Serial port path, when the device is reachable as a serial port. */
  readonly path?: string;
  readonly vendorId?: number;
  readonly productId?: number;
  readonly serialNumber?: string;
  readonly manufacturer?: string;
  /** Model name when known (from a VID/PID hint or the device itself), e.g. "Desk/5000". */
  readonly model?: string;
}

/** What a driver concluded about a device. */
export type Claim =
  | { readonly driver: ReaderKind; readonly by: 'vid-pid' | 'probe' | 'simulated' | 'configured' }
  | { readonly driver: null; readonly reason: string };

export interface DiscoveredDevice {
  readonly device: DeviceDescriptor;
  readonly claim: Claim;
}

/**
 * A port given by configuration (`--reader-port`), as the registry sees it now: `found` is its
 * device with its claim, or null when nothing is at that path.
 */
export interface NamedPort {
  readonly path: string;
  readonly found: DiscoveredDevice | null;
}

/** Static facts about an opened reader. */
export interface ReaderInfo {
  /** Same as the DeviceDescriptor id it was opened from. */
  readonly id: string;
  readonly kind: ReaderKind;
  readonly foundBy: FoundBy;
  readonly label: string;
  /** What the host sends to the gateway as `registration_code` when pairing this reader. */
  readonly registrationCode: string;
  readonly serialNumber?: string;
  readonly path?: string;
  readonly vendorId?: number;
  readonly productId?: number;
  readonly model?: string;
  readonly softwareVersion?: string;
  /** True when test cards can be presented to it from the app (simulated readers). */
  readonly canPresentTestCards: boolean;
}

/** A payment for the device to collect. */
export interface CollectRequest {
  /** Minor units. */
  readonly amount: number;
  /** ISO 4217 alphabetic, upper case. */
  readonly currency: string;
  /** The gateway's action or payment reference; drivers may echo it in private data. */
  readonly reference: string;
  /**
   * The card wait: how long the customer is given at the card once the device asks for it (a
   * Concert terminal: from its ACK of the request to its answer session). Past it the outcome is
   * failed/timeout or unknown. The device's own protocol waits around it keep their bounds; the
   * host adds a grace period over the whole, at least as long as those (Reader.longestBeyondCardWaitMs).
   */
  readonly timeoutMs?: number;
}

/** Progress the device reports while collecting. */
export type CollectStage = 'waiting_for_card' | 'processing';

export interface CardDetails {
  readonly brand: string;
  readonly last4: string;
}

/** How the card was read, when the device says. */
export type EntryMode = 'contactless' | 'chip' | 'swipe' | 'manual' | 'unknown';

/**
 * The device's answer. collect() never rejects: every ending is one of these.
 * - approved: a valid approval from the device (for Concert: a valid answer frame, status 0,
 *   matching amount and POS number). Never produced from a malformed or mismatched frame.
 * - declined: the card or issuer refused; nothing was charged.
 * - canceled: stopped before authorisation (cashier cancel); nothing was charged.
 * - failed: the device could not run the payment and nothing was charged (never acknowledged,
 *   busy, disconnected before the request was taken, card-wait timeout).
 * - unknown: the device took the request and then went silent, broke the protocol or was
 *   unplugged; it may have charged. The host must reconcile, never guess.
 */
export type CardOutcome =
  | {
      readonly kind: 'approved';
      readonly card: CardDetails | null;
      readonly authCode?: string;
      readonly entryMode?: EntryMode;
      /** The terminal's own ticket, line by line as it sent it (when the protocol returns one). */
      readonly terminalLines?: readonly string[];
    }
  | {
      readonly kind: 'declined';
      readonly code: string;
      readonly message: string;
      readonly terminalLines?: readonly string[];
    }
  | { readonly kind: 'canceled' }
  /**
   * `message` is in the cashier's words; `detail`, when there is one, is the technical cause (a port's
   * error) for the log and support, never shown to the cashier as the reason.
   */
  | { readonly kind: 'failed'; readonly code: FailureCode; readonly message: string; readonly detail?: string }
  | { readonly kind: 'unknown'; readonly code: FailureCode; readonly message: string; readonly detail?: string };

export type FailureCode = 'reader_timeout' | 'reader_busy' | 'reader_disconnected' | 'reader_error' | 'protocol_error';

export type ReaderState = 'idle' | 'busy' | 'disconnected';

/**
 * Faults a simulated reader can play on its next payment: report a timeout, stay silent (take the
 * request and never answer), refuse as busy, or be unplugged while authorising.
 */
export type SimulatedFault = 'none' | 'timeout' | 'no_answer' | 'busy' | 'disconnect_mid_payment';

/** Returned by every onX(listener): one definition, the shared Emitter's. */
export type { Unsubscribe };

export interface Reader {
  readonly info: ReaderInfo;
  readonly state: ReaderState;
  /**
   * The longest the device's own protocol may take, beyond the card wait, to end a collection (every
   * wait of its link at its bound, before the card wait starts or after it ends). The host's bound over
   * a collection never cuts off less (main/readers/controller.ts). Absent: the host's own grace.
   */
  readonly longestBeyondCardWaitMs?: number;
  /**
   * Collects one payment. Only one at a time: a second call while busy resolves
   * { kind: 'failed', code: 'reader_busy' } without disturbing the first.
   */
  collect(request: CollectRequest, onStage?: (stage: CollectStage) => void): Promise<CardOutcome>;
  /**
   * A refund (credit) made on the device itself, for a terminal that charges through the shop's
   * own bank: the customer presents the card and the terminal credits it. Same rules as collect():
   * 'approved' means the terminal credited the card; 'unknown' once it may have. Devices whose
   * protocol has no credit transaction leave it out (the refund is then made on the terminal by hand).
   */
  refund?(request: CollectRequest, onStage?: (stage: CollectStage) => void): Promise<CardOutcome>;
  /**
   * Asks the device to stop the current collection. Resolves true when it stopped before
   * authorisation (collect then resolves 'canceled'), false when it is too late or idle.
   */
  cancel(): Promise<boolean>;
  /**
   * How long cancel() can stop a collection. 'request': only until the device takes the request
   * (Concert: never after the terminal's ACK, though it then waits for the card; only the terminal's
   * own keys stop it from there). Absent: until the card is being authorised (the simulated reader).
   */
  readonly cancelsUntil?: 'request';
  /** Test mode only: present a test card (number optional: the default test card). */
  presentCard?(cardNumber?: string): boolean;
  /** Test mode only: inject a fault into the next collection. */
  setFault?(fault: SimulatedFault): void;
  /**
   * Test mode only: the injected fault that holds the current collection, if any ('no_answer': the
   * reader ignores cards and never answers until the collection is canceled).
   */
  heldByFault?(): 'no_answer' | null;
  /**
   * After an 'unknown' outcome: asks the device what became of the collection with this reference.
   * Devices that remember (the simulated reader) answer; Concert cannot, so it has no such method.
   * Resolves null when the device does not know either.
   */
  recoverOutcome?(reference: string): Promise<CardOutcome | null>;
  /** Called once when the device goes away (unplug, port error). */
  onDisconnect(listener: (reason: string) => void): Unsubscribe;
  close(): Promise<void>;
}

/** A byte pipe to a device (a serial port, a pty, an in-memory pair in tests). */
export interface Transport {
  readonly isOpen: boolean;
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Resolves when everything written so far has left this side (tcdrain on a serial port), not
   * merely been handed to the OS. Optional: pipes with no such notion (in-memory) leave it out.
   */
  drain?(): Promise<void>;
  onData(listener: (chunk: Uint8Array) => void): Unsubscribe;
  onClose(listener: (error?: Error) => void): Unsubscribe;
  close(): Promise<void>;
}

/** A source of devices (serial port polling, USB hot-plug). */
export interface Discovery {
  start(): Promise<void>;
  stop(): Promise<void>;
  list(): readonly DeviceDescriptor[];
  /**
   * Looks for devices now and reports the differences, rather than at the next poll (a terminal
   * just plugged in). Resolves once they are reported. Optional: a source told of every change
   * as it happens has nothing to look for.
   */
  scan?(): Promise<void>;
  onAttach(listener: (device: DeviceDescriptor) => void): Unsubscribe;
  onDetach(listener: (device: DeviceDescriptor) => void): Unsubscribe;
}

/** A driver for one protocol. */
export interface Driver {
  readonly kind: ReaderKind;
  /** Cheap identification by descriptor (VID/PID): 'yes' claims, 'maybe' asks for a probe. */
  matches(device: DeviceDescriptor): 'yes' | 'maybe' | 'no';
  /** Talks to the device briefly to recognise the protocol; must leave the port closed. */
  probe?(device: DeviceDescriptor): Promise<boolean>;
  open(device: DeviceDescriptor): Promise<Reader>;
}

/**
 * Everything the host needs from the driver layer: the current devices with their claims,
 * change notifications, and opening a claimed device.
 */
export interface ReaderRegistry {
  start(): Promise<void>;
  stop(): Promise<void>;
  devices(): readonly DiscoveredDevice[];
  onChange(listener: () => void): Unsubscribe;
  /** Opens a claimed device with its driver. Rejects with a clear message when unclaimed or gone. */
  open(deviceId: string): Promise<Reader>;
  /**
   * Probes an unclaimed device again now (a reader's Reconnect): a terminal busy with a card, or
   * powered off, when it was first probed does not answer then. No-op for a claimed or open one.
   */
  reprobe?(deviceId: string): void;
  /**
   * Looks for devices now (the Readers screen's Refresh): every polling discovery lists again, and every
   * device no driver claims is probed again, its backoff forgotten. Resolves once the listings are
   * in; the probes go on, heard through onChange.
   */
  scan?(): Promise<void>;
  /**
   * The devices the host has paired. A serial port found under two paths (a udev link and its
   * node) is shown once: under the paired path, so a paired reader keeps its device id.
   */
  setPaired?(deviceIds: readonly string[]): void;
  /**
   * The ports given by configuration, each with its device and claim (null: no such path now). A
   * path shown under another path of its port is left out (that path stands for it).
   */
  namedPorts?(): readonly NamedPort[];
}
