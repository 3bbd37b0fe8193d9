/**
 * The Concert driver: claims Ingenico devices by USB vendor ID, asks for a probe on plain serial
 * ports and USB-serial bridges, and opens a ConcertReader over a serial Transport.
 */
import type { Clock } from '../../../common/clock';
import { systemClock } from '../../../common/clock';
import type { SerialLineOptions } from '../../serial/transport';
import { openSerialTransport } from '../../serial/transport';
import type { DeviceDescriptor, Driver, Reader, ReaderInfo, Transport } from '../../types';
import { USB_SERIAL_BRIDGE_VENDOR_IDS, isIngenico } from '../../usb/ids';
import type { ConcertAnswer, ConcertRequest } from './codec';
import type { ConcertLinkTimings } from './link';
import type { ProbeResult } from './probe';
import { DEFAULT_PROBE_TIMEOUT_MS, probeConcert } from './probe';
import { ConcertReader } from './reader';

export interface ConcertDriverOptions {
  /** Line settings for RS-232 terminals (default 9600 7E1). */
  readonly line?: Partial<SerialLineOptions>;
  /** How to open a port (default: serialport). */
  readonly openTransport?: (path: string) => Promise<Transport>;
  readonly clock?: Clock;
  readonly timings?: Partial<ConcertLinkTimings>;
  /** Default "01". */
  readonly posNumber?: string;
  /** Ask for the full answer (with the card field). Default true. */
  readonly fullAnswer?: boolean;
  /** Bound for the probe's ACK (default 3000 ms). */
  readonly probeTimeoutMs?: number;
  readonly onTrace?: (direction: 'in' | 'out', bytes: Uint8Array) => void;
  readonly onAnswer?: (answer: ConcertAnswer, request: ConcertRequest) => void;
}

export interface ConcertDriver extends Driver {
  readonly kind: 'concert';
  /** Opens the port, probes, closes it: with the reason when it is not a terminal. */
  probePath(path: string): Promise<ConcertProbeResult>;
}

/** A probe's result; `opened` is false when the port itself could not be opened (nothing was asked). */
export interface ConcertProbeResult extends ProbeResult {
  readonly opened: boolean;
}

export function concertReaderInfo(device: DeviceDescriptor): ReaderInfo {
  const where = device.path ?? device.id;
  return {
    id: device.id,
    kind: 'concert',
    foundBy: device.foundBy,
    label: `${device.model ?? 'Concert terminal'} on ${where}`,
    // What the gateway pairs with: the terminal's serial number when USB gives one, else the port.
    registrationCode: `concert-${device.serialNumber ?? where}`,
    canPresentTestCards: false,
    ...(device.serialNumber ? { serialNumber: device.serialNumber } : {}),
    ...(device.path ? { path: device.path } : {}),
    ...(device.vendorId !== undefined ? { vendorId: device.vendorId } : {}),
    ...(device.productId !== undefined ? { productId: device.productId } : {}),
    ...(device.model ? { model: device.model } : {}),
  };
}

export function createConcertDriver(options: ConcertDriverOptions = {}): ConcertDriver {
  const clock = options.clock ?? systemClock;
  const open = options.openTransport ?? ((path: string) => openSerialTransport(path, { line: options.line }));

  async function probePath(path: string): Promise<ConcertProbeResult> {
    let transport: Transport;
    try {
      transport = await open(path);
    } catch (error) {
      return { ok: false, opened: false, detail: error instanceof Error ? error.message : String(error), elapsedMs: 0 };
    }
    try {
      const result = await probeConcert(transport, {
        clock,
        timeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      });
      return { ...result, opened: true };
    } finally {
      await transport.close().catch(() => undefined);
    }
  }

  return {
    kind: 'concert',
    matches(device) {
      if (device.foundBy === 'simulated') return 'no';
      if (isIngenico(device.vendorId)) return 'yes';
      if (!device.path) return 'no';
      if (device.vendorId === undefined) return 'maybe'; // a motherboard COM port, a pty, a configured path
      return USB_SERIAL_BRIDGE_VENDOR_IDS.includes(device.vendorId) ? 'maybe' : 'no';
    },
    async probe(device) {
      if (!device.path) return false;
      const result = await probePath(device.path);
      // A port that could not be opened was not asked anything: saying it "did not answer" would
      // send the technician looking at the terminal's settings instead of the port's permissions
      // or the program that holds it. The registry shows the reason.
      if (!result.opened) throw new Error(result.detail);
      return result.ok;
    },
    probePath,
    async open(device): Promise<Reader> {
      if (!device.path) {
        throw new Error(
          `${device.id} has no serial port: is the cdc_acm driver loaded and the terminal in USB cash-register mode?`,
        );
      }
      const transport = await open(device.path);
      try {
        return new ConcertReader({
          transport,
          info: concertReaderInfo(device),
          clock,
          timings: options.timings,
          posNumber: options.posNumber,
          fullAnswer: options.fullAnswer,
          onTrace: options.onTrace,
          onAnswer: options.onAnswer,
        });
      } catch (error) {
        await transport.close().catch(() => undefined);
        throw error;
      }
    },
  };
}
