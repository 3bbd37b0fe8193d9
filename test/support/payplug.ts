/** A till on PayPlug against the embedded sandbox's emulator, for the host-payplug tests. */
import { systemClock, type Clock } from '../../common/clock';
import type { RunningSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from './host';
import type { HostTuning } from '../../main/host/host';

/** A call to the sandbox's PayPlug emulator, as the customer's page or PayPlug's dashboard would. */
export async function payplug(t: TestHost, method: string, path: string, body?: unknown) {
  const response = await fetch(t.sandbox.payplug.url + path, {
    method,
    headers: { Authorization: `Bearer ${t.sandbox.payplug.secret_key}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as unknown };
}

export async function payplugTill(
  sandbox?: RunningSandbox,
  options: { clock?: Clock; tuning?: HostTuning; payplugUrl?: string; dataDir?: string } = {},
): Promise<TestHost> {
  // payplugUrl: where the till reaches PayPlug instead of the sandbox itself (a proxy in front of it).
  const behind =
    sandbox && options.payplugUrl
      ? { ...sandbox, payplug: { ...sandbox.payplug, url: options.payplugUrl }, close: async () => undefined }
      : undefined;
  const t = await startTestHost({
    ...(sandbox ? { sandbox } : {}),
    ...(behind ? { startSandbox: async () => behind } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    tuning: { remotePollMs: 50, retryDelayMs: 5, ...options.tuning },
  });
  await t.call('settings.update', { gateway: 'payplug' });
  await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'payplug', 5_000, 'PayPlug');
  return t;
}

/** Real timers, with a wall clock the test moves forward (days in an instant). */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  /** Days moved forward count as days passed. */
  monotonic(): number {
    return systemClock.monotonic() + this.offsetMs;
  }
  setTimeout(callback: () => void, ms: number) {
    return systemClock.setTimeout(callback, ms);
  }
  clearTimeout(handle: Parameters<Clock['clearTimeout']>[0]): void {
    systemClock.clearTimeout(handle);
  }
}
