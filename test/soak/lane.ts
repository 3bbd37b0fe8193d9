/**
 * What every lane of the soak shares: one host process (one till) per gateway, reached through its
 * own relay to the sandbox, its bridge recorded and searched for secrets; the counters driving the
 * lane's payments side by side under fault phases; close of day; and the comparison of the
 * journal with the gateway's ledger into the lane's figures.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningSandbox } from '../../sandbox/index';
import { findKnownSecrets } from '../support/secrets';
import { compare, type Ledger } from './compare';
import { drivePayment, runnerOrder, type DriverContext, type Killer, type OrderState } from './driver';
import { startGatewayProxy, type GatewayProxy } from '../support/gateway-proxy';
import { HostProcess, HostSession } from './host-process';
import { readJournal } from './journal-file';
import type { FaultPhase, KillPlan, Lane, SoakGateway } from './scenarios';
import type { LaneReport, SoakOptions } from './soak';
import { WireRecorder } from './wire';

/** What a lane is given by the run. */
export interface LaneRun {
  gateway: SoakGateway;
  options: SoakOptions;
  sandbox: RunningSandbox;
  /** The lane's own work directory (host data, wire recording, logs). */
  dir: string;
  runId: string;
  started: number;
  /** Everything, including close of day and the comparison, ends by then. */
  runDeadline: number;
  /** New payments stop by then. */
  lanesDeadline: number;
  perPaymentMs: number;
  /** Every credential of the sandbox: none may cross any lane's bridge or appear in its log. */
  known: readonly string[];
  /** The `out/main/web.js` to run, and where. */
  entry: string;
  root: string;
  log: (line: string) => void;
  /** Run in reverse at the end of the run, whatever happens. */
  cleanups: (() => Promise<unknown>)[];
  /** Run synchronously when the runner itself is interrupted. */
  emergency: (() => void)[];
}

/**
 * The settle window the soak's hosts keep (docs/reliability.md#the-settle-window): PayPlug's 2
 * minutes would outlast a CI lane, so its hosts run with a few seconds (test mode only). Longer than
 * a late landing (LATE_LANDING_MS), so a till that resent inside it would make a second refund.
 */
export const SOAK_SETTLE_WINDOW_MS = 4_000;

/** How long after the host's connection is cut a request made to land late reaches the gateway. */
export const LATE_LANDING_MS = 1_500;

export interface LaneHost {
  relay: GatewayProxy;
  recorder: WireRecorder;
  session: HostSession;
  gatewaySeen: { errors: number; noAnswer: number };
  hostLogLeaks(): number;
}

/**
 * Starts the lane's host: `--gateway <lane's gateway> --gateway-url <relay><path>`, the credentials
 * in its environment; the relay lets the soak take the gateway away from this till alone.
 */
export async function startLaneHost(
  run: LaneRun,
  spec: {
    /** The emulator's path on the sandbox: '' (PlutoPay), '/payplug', '/plural'. */
    path: string;
    credentials: Readonly<Record<string, string>>;
    readerPorts?: readonly string[];
    onKilled?: () => Promise<void>;
  },
): Promise<LaneHost> {
  mkdirSync(run.dir, { recursive: true });
  const relay = await startGatewayProxy(run.sandbox.url, { seed: run.options.seed });
  run.cleanups.push(() => relay.close());
  const recorder = new WireRecorder(join(run.dir, 'wire.jsonl'));
  run.cleanups.push(() => recorder.close());
  const known = [...run.known];
  recorder.addKnown(...known);
  const gatewaySeen = { errors: 0, noAnswer: 0 };
  let hostLogLeaks = 0;
  const hostLog = createWriteStream(join(run.dir, 'host.log'));
  run.cleanups.push(() => new Promise((resolve) => hostLog.end(resolve)));
  const process_ = new HostProcess({
    entry: run.entry,
    cwd: run.root,
    dataDir: join(run.dir, 'host'),
    gateway: run.gateway,
    gatewayUrl: `${relay.url}${spec.path}`,
    credentials: spec.credentials,
    readerPorts: spec.readerPorts ?? [],
    settleWindowMs: SOAK_SETTLE_WINDOW_MS,
    onStderr: (line) => {
      hostLog.write(`${line}\n`);
      if (findKnownSecrets(line, known).length > 0) hostLogLeaks++;
    },
  });
  run.emergency.push(() => process_.killNow());
  const session = new HostSession({
    process: process_,
    record: (direction, text) => {
      recorder.record(direction, text);
      // The host's request log (pushed as events) shows what the faults did to it.
      if (direction === 'received' && text.includes('"kind":"request"')) {
        if (text.includes('→ 500')) gatewaySeen.errors++;
        else if (text.includes('→ no answer')) gatewaySeen.noAnswer++;
      }
    },
    onToken: (token) => {
      known.push(token);
      recorder.addKnown(token);
    },
    log: (line) => run.log(`host: ${line}`),
    ...(spec.onKilled ? { onKilled: spec.onKilled } : {}),
  });
  run.cleanups.push(() => session.stop());
  await session.start();
  return { relay, recorder, session, gatewaySeen, hostLogLeaks: () => hostLogLeaks };
}

/** The sandbox fault phases, in turn, every `length` finished payments. */
export class PhaseClock {
  readonly seen: string[] = [];
  current: FaultPhase['faults'] = {};
  private index = -1;

  constructor(
    private readonly phases: readonly FaultPhase[],
    private readonly length: number,
    private readonly seed: number,
    private readonly apply: (faults: FaultPhase['faults'] & { seed: number | null }) => void,
    private readonly log: (line: string) => void,
  ) {
    this.set(0);
  }

  /** After `completed` payments. */
  advance(completed: number): void {
    this.set(Math.floor(completed / this.length));
  }

  private set(index: number): void {
    if (index === this.index) return;
    this.index = index;
    const phase = this.phases[index % this.phases.length]!;
    this.current = phase.faults;
    this.apply({ ...phase.faults, seed: this.seed + index });
    this.seen.push(phase.name);
    this.log(`phase ${index + 1}: ${phase.name}`);
  }
}

/** Drives the lane's payments, one queue per counter (reader or link counter), side by side. */
export async function driveQueues(input: {
  run: LaneRun;
  ctx: DriverContext;
  killer: Killer;
  queues: readonly Lane[];
  orders: readonly OrderState[];
  budgetMs: number;
  stopAt: number;
  onCompleted?: (completed: number) => void;
  /** Before each payment of a queue (the Concert lane tells the terminal whose order it is). */
  before?: (lane: Lane, order: OrderState | null) => void;
}): Promise<void> {
  const { run, ctx, killer } = input;
  let completed = 0;
  const one = async (lane: Lane) => {
    for (const order of input.orders.filter((o) => o.plan.lane === lane)) {
      if (Date.now() > input.stopAt) break;
      input.before?.(lane, order);
      try {
        await drivePayment(
          ctx,
          order,
          Math.min(input.budgetMs, Math.max(5_000, run.runDeadline - Date.now() - 10_000)),
        );
      } catch (error) {
        order.notes.push(`driver error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        run.log(`${order.plan.orderReference}: driver error ${String(error)}`);
      }
      killer.finished(order);
      completed++;
      input.onCompleted?.(completed);
    }
    input.before?.(lane, null);
  };
  await Promise.all(input.queues.map(one));
}

/** Waits until the host has nothing queued and no payment mid-flight, nudging attention items. */
export async function settleHost(session: HostSession, boundMs: number, log: (line: string) => void): Promise<void> {
  // An operation its settle window holds is still the host's to finish, and is waited for (bounded)
  // rather than counted lost: a refund, capture or cancel so held stays queued; a create (a saved
  // card's charge) is `unknown` until the window's end lets the host look again.
  const windowsEnd = Date.now() + 2 * SOAK_SETTLE_WINDOW_MS + 5_000;
  const deadline = Math.max(Date.now() + boundMs, windowsEnd);
  let nudged = false;
  while (Date.now() < deadline) {
    const snapshot = await session.resync();
    const waiting = Date.now() < windowsEnd ? ['creating', 'in_progress', 'unknown'] : ['creating', 'in_progress'];
    const busy = snapshot.payments.filter((p) => waiting.includes(p.status) || p.queuedOperations > 0);
    if (!nudged || busy.length > 0) {
      for (const item of snapshot.attention)
        await session.call('attention.retry', { paymentId: item.paymentId }).catch(() => undefined);
      nudged = true;
    }
    if (snapshot.connectivity.gateway === 'online' && snapshot.connectivity.queued.count === 0 && busy.length === 0)
      return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  log('the host did not settle within its bound');
}

/**
 * Close of day, after the faults are off: the unfinished orders get their remaining steps, the host
 * settles, and stops cleanly (its journal is then read).
 */
export async function closeOfDay(input: {
  run: LaneRun;
  host: LaneHost;
  ctx: DriverContext;
  killer: Killer;
  queues: readonly Lane[];
  orders: readonly OrderState[];
  before?: (lane: Lane, order: OrderState | null) => void;
}): Promise<void> {
  const { run, host } = input;
  await input.killer.idle();
  await host.session.ready();
  await host.session.resync();
  const unfinished = input.orders.filter((o) => o.started && !o.finished);
  if (unfinished.length > 0) run.log(`finishing ${unfinished.length} payments left unfinished`);
  await driveQueues({
    ...input,
    orders: unfinished,
    budgetMs: 30_000,
    stopAt: run.runDeadline - 15_000,
  });
  await settleHost(host.session, Math.max(5_000, Math.min(30_000, run.runDeadline - Date.now() - 5_000)), run.log);
  const stop = await host.session.stop();
  run.log(`host stopped (${stop})`);
}

/** The comparison and the lane's figures (and orders.jsonl in its directory). */
export function laneReport(input: {
  run: LaneRun;
  host: LaneHost;
  ledger: Ledger;
  orders: readonly OrderState[];
  killsPlanned: readonly KillPlan[];
  phases: readonly string[];
  started: number;
  terminal?: LaneReport['terminal'];
}): LaneReport {
  const { run, host, orders } = input;
  const journal = readJournal(join(run.dir, 'host', 'journal.db'));
  const attempted = orders.filter((o) => o.started);
  const comparison = compare(input.ledger, journal, attempted.map(runnerOrder));
  writeFileSync(
    join(run.dir, 'orders.jsonl'),
    attempted
      .map((o) =>
        JSON.stringify({
          order: o.plan.orderReference,
          plan: o.plan,
          paymentId: o.paymentId,
          final: o.finalStatus,
          finished: o.finished,
          customer: o.customer,
          notes: o.notes,
        }),
      )
      .join('\n'),
  );
  const count = <K extends string>(keys: K[]) =>
    keys.reduce<Record<string, number>>((acc, key) => ((acc[key] = (acc[key] ?? 0) + 1), acc), {});
  const unattended = attempted.flatMap((o) => o.findings.map((finding) => `${o.plan.orderReference}: ${finding}`));
  const { session } = host;
  const passed =
    comparison.figures.lost === 0 &&
    comparison.figures.chargedTwice === 0 &&
    host.recorder.check.leaks.length === 0 &&
    unattended.length === 0 &&
    session.crashes.length === 0;
  const interesting = new Set([...comparison.lost, ...comparison.chargedTwice].map((f) => f.orderReference));
  const customers = attempted.map((o) => o.customer).filter((c) => c !== null);
  return {
    gateway: run.gateway,
    payments: orders.length,
    durationMs: Date.now() - input.started,
    comparison,
    kills: session.kills,
    killsPlanned: input.killsPlanned.length,
    crashes: session.crashes,
    launches: session.launches,
    wire: host.recorder.check,
    hostLogLeaks: host.hostLogLeaks(),
    phases: [...input.phases],
    lanes: count(attempted.map((o) => o.plan.lane)),
    scenarios: count(attempted.map((o) => o.plan.scenario)),
    unattended,
    cashierResolutions: attempted.reduce((sum, o) => sum + o.resolutions, 0),
    blockedByReader: attempted.filter((o) => o.blockedByReader).length,
    nudges: attempted.reduce((sum, o) => sum + o.nudges, 0),
    timedOut: attempted
      .filter((o) => !o.finished)
      .map((o) => ({ orderReference: o.plan.orderReference, status: o.finalStatus, notes: o.notes.slice(-25) })),
    traces: attempted
      .filter((o) => interesting.has(o.plan.orderReference))
      .map((o) => ({ orderReference: o.plan.orderReference, status: o.finalStatus, notes: o.notes.slice(-40) })),
    notStarted: orders.length - attempted.length,
    terminal: input.terminal ?? { requests: 0, approvals: 0, answerFaults: 0 },
    customer: {
      attempts: customers.reduce((sum, c) => sum + c.attempts, 0),
      approvals: customers.reduce((sum, c) => sum + c.approvals, 0),
      declines: customers.reduce((sum, c) => sum + c.declines, 0),
      refused: customers.reduce((sum, c) => sum + c.refused, 0),
      whileHostDown: attempted.filter((o) => o.customer !== null && o.heldAcrossRestart).length,
    },
    gatewaySeen: host.gatewaySeen,
    landedLate: host.relay.landedLate.length,
    passed,
  };
}

/** Polls until `probe` answers something truthy, or fails after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T | undefined | false | null>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
