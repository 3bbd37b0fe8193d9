/** Test helpers for the host: a real host against a real sandbox on a loopback port. */
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import type {
  CommandName,
  CommandResult,
  CustomerDisplayView,
  HostEvent,
  PaymentView,
  ReaderView,
  Result,
} from '../../common/contract';
import { createHost, type Host, type HostOptions } from '../../main/host/host';

export interface TestHost {
  host: Host;
  sandbox: RunningSandbox;
  events: HostEvent[];
  /** Invokes a command and returns its value, failing the test with the error message otherwise. */
  call<N extends CommandName>(name: N, input: unknown): Promise<CommandResult<N>>;
  /** Invokes a command expecting it to fail; returns the error. */
  fail<N extends CommandName>(name: N, input: unknown): Promise<Extract<Result<unknown>, { ok: false }>['error']>;
  /** The hosted simulated reader, once online. */
  onlineReader(): Promise<ReaderView>;
  waitForPayment(id: string, predicate: (p: PaymentView) => boolean, timeoutMs?: number): Promise<PaymentView>;
  /** Direct call to the sandbox API with its secret key (as a merchant's own server would). */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Saves `settings` with `gateway` chosen, and waits until the till uses that gateway. */
export async function useGateway(
  t: TestHost,
  gateway: 'plutopay' | 'payplug' | 'plural',
  settings: Record<string, unknown> = {},
): Promise<void> {
  await t.call('settings.update', { ...settings, gateway });
  await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === gateway, 5_000, gateway);
}

/**
 * A Concert terminal found on the serial port `path`, paired under `label` (on the shop's own bank
 * when `standalone`), once it is online.
 */
export async function pairTerminalOnPort(
  t: TestHost,
  path: string,
  label: string,
  { standalone = false }: { standalone?: boolean } = {},
): Promise<ReaderView> {
  const found = await waitFor(
    async () =>
      (await t.call('readers.list', {})).find(
        (r) => r.status === 'unpaired' && r.kind === 'concert' && r.path === path,
      ),
    10_000,
    'the terminal on its port',
  );
  const paired = await t.call('readers.pair', { deviceId: found.deviceId!, label });
  if (standalone) await t.call('readers.configure', { readerId: paired.id, standalone: true });
  return waitFor(
    async () => (await t.call('readers.list', {})).find((r) => r.id === paired.id && r.status === 'online'),
    10_000,
    `${label} online`,
  );
}

/** The customer display's screen once it reaches `phase`. */
export function displayShows(t: TestHost, phase: CustomerDisplayView['phase']): Promise<CustomerDisplayView> {
  return waitFor(
    async () => {
      const view = await t.call('display.snapshot', {});
      return view.phase === phase ? view : undefined;
    },
    5_000,
    `the display to show ${phase}`,
  );
}

export async function startTestHost(
  options: Partial<HostOptions> & { sandbox?: RunningSandbox } = {},
): Promise<TestHost> {
  const sandbox = options.sandbox ?? (await startSandbox({ port: 0, db: ':memory:' }));
  const host = await createHost({
    dataDir: null,
    startSandbox: async () => ({ ...sandbox, close: async () => undefined }),
    ...options,
    tuning: {
      pollWaitMs: 2_000,
      requestTimeoutMs: 4_000,
      cloudRefreshMs: 200,
      simulatedProcessingMs: 30,
      retryDelayMs: 20,
      // PayPlug's 2 minutes, shortened as the retries are: still longer than a quick retry.
      settleWindowMs: 400,
      durability: 'normal',
      ...options.tuning,
    },
  });
  const events: HostEvent[] = [];
  host.subscribe((e) => events.push(e));
  const call = async <N extends CommandName>(name: N, input: unknown) => {
    const result = await host.invoke(name, input);
    if (!result.ok) throw new Error(`${name} failed: ${result.error.code}: ${result.error.message}`);
    return result.value;
  };
  return {
    host,
    sandbox,
    events,
    call,
    async fail(name, input) {
      const result = await host.invoke(name, input);
      if (result.ok) throw new Error(`${name} unexpectedly succeeded`);
      return result.error;
    },
    onlineReader: () =>
      waitFor(
        async () =>
          (await call('readers.list', {})).find((r) => r.hosted && r.kind === 'simulated' && r.status === 'online'),
        5_000,
        'an online simulated reader',
      ),
    waitForPayment: (id, predicate, timeoutMs = 5_000) =>
      waitFor(
        async () => {
          const payment = (await call('payments.list', { filter: 'all', limit: 200 })).find((p) => p.id === id);
          return payment && predicate(payment) ? payment : undefined;
        },
        timeoutMs,
        `payment ${id}`,
      ),
    async api(method, path, body) {
      const response = await fetch(sandbox.url + path, {
        method,
        headers: { Authorization: `Bearer ${sandbox.secret_key}`, 'Content-Type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, json: await response.json() };
    },
    async close() {
      await host.close();
      if (!options.sandbox) await sandbox.close();
    },
  };
}
