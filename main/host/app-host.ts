/**
 * The host with its real parts, as both shells run it: the embedded sandbox for test mode (all
 * three gateways' emulators, started on first need by active-gateway.ts), and reader discovery over
 * serial and USB. Tests build hosts with createHost directly.
 */
import { startSandbox } from '../../sandbox/index';
import type { SecretStore } from '../config/secrets';
import type { GatewayName } from '../../common/contract';
import { createHost, type Host, type HostOptions, type LaunchGateway } from './host';

export interface AppHostOptions {
  dataDir: string;
  secrets?: SecretStore;
  /** Serial ports the system listing does not show (e.g. a socat pty for the Concert emulator). */
  readerPorts?: readonly string[];
  /** Look for real readers on serial ports and USB (default true). */
  discovery?: boolean;
  initialSettings?: HostOptions['initialSettings'];
  /** Use this gateway instead of the embedded sandbox (test mode; e.g. a standalone sandbox). */
  gateway?: LaunchGateway;
  /** Take payments with this gateway from this launch on (the embedded sandbox's emulator of it in test mode). */
  useGateway?: GatewayName;
  /** A shorter settle window (POS_TEST_SETTLE_WINDOW_MS, tests only: a live PayPlug key ignores it). */
  settleWindowMs?: number;
  log?: (line: string) => void;
}

/**
 * POS_READER_PORTS: serial ports to watch that the system does not list, comma-separated — how a
 * technician names them to either shell (web mode also takes --reader-port).
 */
export function readerPortsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env.POS_READER_PORTS ?? '')
    .split(',')
    .map((port) => port.trim())
    .filter(Boolean);
}

export async function createAppHost(options: AppHostOptions): Promise<Host> {
  const discovery = options.discovery ?? true;
  // The serial/USB drivers (and serialport's native binding) load only when a reader may be
  // found: with discovery off and no port given they are not needed, and loading them cost
  // ~30 ms of cold start (figure 5 of `npm run bench`, issue #6).
  const wanted = discovery || (options.readerPorts?.length ?? 0) > 0;
  const createDefaultRegistry = wanted ? (await import('../../drivers/registry')).createDefaultRegistry : null;
  const registry = createDefaultRegistry
    ? createDefaultRegistry({
        ports: options.readerPorts ?? [],
        serial: discovery,
        usb: discovery,
        onNote: (note) => options.log?.(note),
        onUsbUnavailable: (reason) => options.log?.(`readers: no USB readers will be found: ${reason}`),
      })
    : undefined;
  return createHost({
    dataDir: options.dataDir,
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(registry ? { registry } : {}),
    ...(options.initialSettings ? { initialSettings: options.initialSettings } : {}),
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.useGateway ? { useGateway: options.useGateway } : {}),
    ...(options.settleWindowMs !== undefined ? { tuning: { settleWindowMs: options.settleWindowMs } } : {}),
    // The embedded sandbox takes a free loopback port each launch; its database keeps keys and data.
    startSandbox: ({ db }) => startSandbox({ port: 0, db }),
  });
}
