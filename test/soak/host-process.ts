/**
 * The host as a real child process (`node out/main/web.js … --gateway <name> --gateway-url <sandbox>`),
 * killed with
 * SIGKILL at chosen moments and restarted on the same data directory, and the session the soak
 * drives it through: one bridge connection per launch, resynced with session.snapshot after each
 * restart. Commands wait while the host is down instead of failing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommandName, CommandResult, HostEvent, PaymentView, Result, Snapshot } from '../../common/contract';
import { BridgeClient, BridgeClosed, type Recorder } from './bridge';

export interface HostLaunch {
  url: string;
  origin: string;
  token: string;
}

export interface HostProcessOptions {
  /** out/main/web.js */
  entry: string;
  cwd: string;
  dataDir: string;
  /** The gateway the till takes payments with (default PlutoPay). */
  gateway?: 'plutopay' | 'payplug' | 'plural';
  /** The gateway's API (e.g. a relay in front of the sandbox's `{url}/payplug`). */
  gatewayUrl: string;
  /**
   * Its credentials, passed in the environment as the web CLI reads them (POS_SECRET_KEY, or
   * POS_PLURAL_CLIENT_ID / _CLIENT_SECRET / _SIGNATURE_KEY), never on the command line.
   */
  credentials?: Readonly<Record<string, string>>;
  /** PlutoPay's (or PayPlug's) secret key: the same as `credentials: { POS_SECRET_KEY }`. */
  secretKey?: string;
  readerPorts: readonly string[];
  /**
   * The settle window the host keeps (POS_TEST_SETTLE_WINDOW_MS, test mode only): the soak's lanes
   * are minutes long, PayPlug's own window 2 minutes.
   */
  settleWindowMs?: number;
  startTimeoutMs?: number;
  /** Every stderr line of every launch (kept by the caller for diagnosis). */
  onStderr?: (line: string) => void;
}

/** One launch at a time of the web-mode host. */
export class HostProcess {
  private child: ChildProcess | null = null;
  private exitListeners = new Set<(code: number | null, signal: NodeJS.Signals | null) => void>();

  constructor(private readonly options: HostProcessOptions) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  async start(): Promise<HostLaunch> {
    if (this.running) throw new Error('the host is already running');
    const args = [
      this.options.entry,
      '--port',
      '0',
      '--data-dir',
      this.options.dataDir,
      '--no-discovery',
      '--json',
      '--gateway',
      this.options.gateway ?? 'plutopay',
      '--gateway-url',
      this.options.gatewayUrl,
    ];
    for (const port of this.options.readerPorts) args.push('--reader-port', port);
    // Credentials go in the environment, never on the command line (process lists show flags).
    const child = spawn(process.execPath, args, {
      cwd: this.options.cwd,
      env: {
        ...process.env,
        ...(this.options.secretKey ? { POS_SECRET_KEY: this.options.secretKey } : {}),
        ...this.options.credentials,
        ...(this.options.settleWindowMs !== undefined
          ? { POS_TEST_SETTLE_WINDOW_MS: String(this.options.settleWindowMs) }
          : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > 50) stderr.shift();
      this.options.onStderr?.(line);
    });
    child.once('exit', (code, signal) => {
      for (const listener of [...this.exitListeners]) listener(code, signal);
    });
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(`the host did not start within ${this.options.startTimeoutMs ?? 30_000} ms: ${stderr.join('\n')}`),
        );
      }, this.options.startTimeoutMs ?? 30_000);
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (first) => {
        clearTimeout(timer);
        resolve(first);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the host exited during start (${code ?? signal}): ${stderr.join('\n')}`));
      });
    });
    const info = JSON.parse(line) as HostLaunch;
    return { url: info.url, origin: info.origin, token: info.token };
  }

  /** kill -9: no shutdown code runs, exactly like a crash or a pulled plug. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Synchronous last resort (the runner itself is being interrupted). */
  killNow(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  /** A clean stop (SIGTERM: the host closes its links and journal), SIGKILL after a bound. */
  async stop(timeoutMs = 10_000): Promise<'clean' | 'killed' | 'not_running'> {
    const child = this.child;
    if (!child || !this.running) return 'not_running';
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const clean = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs)),
    ]);
    if (clean) return 'clean';
    child.kill('SIGKILL');
    await exited;
    return 'killed';
  }
}

/** The host is down (killed, restarting) and the command's outcome is unknown to the caller. */
export class HostDown extends Error {
  constructor(message = 'the host went down before it answered') {
    super(message);
    this.name = 'HostDown';
  }
}

export interface KillRecord {
  reason: string;
  at: number;
  /** From the kill to the bridge being usable again. */
  downMs: number;
}

export interface HostSessionOptions {
  process: HostProcess;
  record: Recorder;
  /** Called with every launch token, so the wire check can look for it verbatim. */
  onToken: (token: string) => void;
  callTimeoutMs?: number;
  log?: (line: string) => void;
  /** Runs after a kill -9, before the restart (e.g. the terminal abandons the dead till's request). */
  onKilled?: () => Promise<void>;
}

/**
 * The soak's view of the host across launches: commands (waiting while it restarts), the latest
 * PaymentView of every payment from pushed events and results, and kill/restart.
 */
export class HostSession {
  private bridge: BridgeClient | null = null;
  private readyPromise: Promise<void> = Promise.resolve();
  private restarting = false;
  private stopping = false;
  readonly payments = new Map<string, PaymentView>();
  private readonly waiters = new Set<() => void>();
  readonly kills: KillRecord[] = [];
  /** Host exits nobody asked for (a crash is a finding). */
  readonly crashes: string[] = [];
  launches = 0;
  lastSnapshot: Snapshot | null = null;

  constructor(private readonly options: HostSessionOptions) {
    options.process.onExit((code, signal) => {
      if (this.restarting || this.stopping) return;
      this.crashes.push(`the host exited by itself (${code ?? signal})`);
      this.options.log?.(`host crashed (${code ?? signal}); restarting`);
      void this.restart('crash');
    });
  }

  async start(): Promise<Snapshot> {
    await this.launch();
    return this.lastSnapshot!;
  }

  /** Resolves when the host is up and resynced. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  get down(): boolean {
    return this.restarting;
  }

  /**
   * One command. Waits while the host restarts; throws HostDown when the host went away with the
   * command in flight (its effect is unknown: the caller must look before acting again).
   */
  async call<N extends CommandName>(name: N, input: unknown, timeoutMs?: number): Promise<Result<CommandResult<N>>> {
    await this.readyPromise;
    const bridge = this.bridge;
    if (!bridge || bridge.closed) throw new HostDown('the host is not connected');
    try {
      const result = await bridge.invoke(name, input, timeoutMs ?? this.options.callTimeoutMs ?? 30_000);
      if (result.ok) this.absorb(result.value);
      return result;
    } catch (error) {
      if (error instanceof BridgeClosed) throw new HostDown(`${name}: ${error.message}`);
      throw error;
    }
  }

  /** Waits until a payment's latest view satisfies the predicate, or the bound passes (null). */
  async waitForPayment(
    id: string,
    predicate: (view: PaymentView) => boolean,
    timeoutMs: number,
  ): Promise<PaymentView | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = this.payments.get(id);
      if (view && predicate(view) && !this.restarting) return view;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1_000));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /**
   * SIGKILL now, then restart on the same data directory and resync. `whileDown` runs between the
   * kill and the restart; `afterRestart` once the host serves again (a crash from then on counts).
   */
  async kill(
    reason: string,
    hooks?: { whileDown?: () => Promise<void>; afterRestart?: () => Promise<void> },
  ): Promise<void> {
    if (this.restarting || this.stopping) return;
    const at = Date.now();
    this.restarting = true;
    let ready!: () => void;
    this.readyPromise = new Promise<void>((resolve) => (ready = resolve));
    await this.options.process.kill9();
    this.bridge?.close();
    this.bridge = null;
    this.options.log?.(`kill -9 (${reason})`);
    let failed: unknown = null;
    try {
      await this.options.onKilled?.();
      await hooks?.whileDown?.();
      await this.relaunch();
    } catch (error) {
      // A host that cannot come back in the conditions given is a finding; the run goes on once
      // the conditions are over.
      failed = error;
      this.crashes.push(
        `the host did not come back (${reason}): ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      if (!failed) {
        this.restarting = false;
        ready();
        this.wakeAll();
      }
    }
    this.kills.push({ reason, at, downMs: Date.now() - at });
    await hooks?.afterRestart?.();
    if (failed) {
      try {
        await this.relaunch();
      } finally {
        this.restarting = false;
        ready();
        this.wakeAll();
      }
    }
  }

  /** Graceful stop at the end of the run. */
  async stop(): Promise<'clean' | 'killed' | 'not_running'> {
    this.stopping = true;
    this.bridge?.close();
    this.bridge = null;
    return this.options.process.stop();
  }

  /** Fresh snapshot (and payment views) from the host; waits out a restart. */
  async resync(): Promise<Snapshot> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.call('session.snapshot', {});
        if (!result.ok) throw new Error(`session.snapshot failed: ${result.error.message}`);
        this.lastSnapshot = result.value;
        for (const payment of result.value.payments) this.store(payment);
        return result.value;
      } catch (error) {
        if (!(error instanceof HostDown) || attempt >= 5) throw error;
        await this.readyPromise;
      }
    }
  }

  private async restart(reason: string): Promise<void> {
    this.restarting = true;
    let ready!: () => void;
    this.readyPromise = new Promise<void>((resolve) => (ready = resolve));
    this.bridge?.close();
    this.bridge = null;
    try {
      await this.relaunch();
    } finally {
      this.restarting = false;
      ready();
      this.wakeAll();
    }
    this.options.log?.(`restarted after ${reason}`);
  }

  private async relaunch(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (error) {
        this.options.log?.(
          `restart attempt ${attempt} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        await this.options.process.kill9();
        if (attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async launch(): Promise<void> {
    const launch = await this.options.process.start();
    this.launches++;
    this.options.onToken(launch.token);
    const bridge = await BridgeClient.connect({
      origin: launch.origin,
      token: launch.token,
      record: this.options.record,
      onEvent: (event) => this.onEvent(event),
      callTimeoutMs: this.options.callTimeoutMs ?? 30_000,
    });
    this.bridge = bridge;
    const result = await bridge.invoke('session.snapshot', {});
    if (!result.ok) throw new Error(`session.snapshot failed: ${result.error.message}`);
    this.lastSnapshot = result.value;
    for (const payment of result.value.payments) this.store(payment);
  }

  private onEvent(event: HostEvent): void {
    if (event.type === 'payment') this.store(event.payment);
  }

  private absorb(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) if (isPaymentView(item)) this.store(item);
    } else if (isPaymentView(value)) {
      this.store(value);
    }
  }

  private store(view: PaymentView): void {
    const known = this.payments.get(view.id);
    if (known && known.updatedAt > view.updatedAt) return;
    this.payments.set(view.id, view);
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
    this.waiters.clear();
  }
}

function isPaymentView(value: unknown): value is PaymentView {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PaymentView).id === 'string' &&
    (value as PaymentView).id.startsWith('pay_') &&
    'orderReference' in value
  );
}
