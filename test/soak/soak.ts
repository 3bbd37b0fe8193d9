/**
 * The fault soak (issue #5): hundreds of payments through the real host (a child process in web
 * mode, driven over its WebSocket bridge like the renderer) against a PlutoPay sandbox that runs
 * in this process, while injecting latency, 5xx answers, connections dropped after the sandbox
 * committed, reader timeouts, reader unplugs mid-payment, malformed terminal bytes (the Concert
 * emulator behind a socat pty) and kill -9 of the host at chosen points followed by a restart.
 * At the end, with faults off and the host recovered, the sandbox's ledger is compared with the
 * host's journal (compare.ts). Loopback only; every server on port 0.
 */
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServedEmulator, EmulatorEvent } from '../../drivers/protocols/concert/emulator';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { createPtyPair, type PtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import type { ReaderView } from '../../common/contract';
import { startSandbox, type Faults, type RunningSandbox } from '../../sandbox/index';
import { findKnownSecrets } from '../support/secrets';
import { compare, type Comparison, type Ledger } from './compare';
import {
  Killer,
  drivePayment,
  newOrderState,
  runnerOrder,
  type DriverContext,
  type OrderState,
  type RestartHooks,
} from './driver';
import { startGatewayProxy } from './gateway-proxy';
import { HostProcess, HostSession, type KillRecord } from './host-process';
import { readJournal } from './journal-file';
import { WireRecorder, type WireCheck } from './wire';
import {
  FAULT_PHASES,
  NO_SANDBOX_FAULTS,
  lanesFor,
  planKills,
  planPayments,
  type KillPlan,
  type Lane,
  type PaymentPlan,
} from './scenarios';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const WEB_ENTRY = join(ROOT, 'out/main/web.js');

export interface SoakOptions {
  payments: number;
  seed: number;
  /** Overall bound in seconds (payments stop early to leave time for recovery and comparison). */
  timeLimitS: number;
  kills: number;
  concert: boolean;
  /** Bound for one payment (default 60 s). */
  perPaymentMs?: number;
  /** Keep the work directory (databases, wire recording) even when the run passes. */
  keep?: boolean;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface SoakReport {
  seed: number;
  options: Omit<SoakOptions, 'log'>;
  startedAt: string;
  durationMs: number;
  comparison: Comparison;
  kills: KillRecord[];
  killsPlanned: number;
  crashes: string[];
  launches: number;
  wire: WireCheck;
  hostLogLeaks: number;
  phases: string[];
  lanes: Record<string, number>;
  scenarios: Record<string, number>;
  /** What the host should have done by itself and did not (e.g. follow a payment after a restart). */
  unattended: string[];
  cashierResolutions: number;
  /** Sales the cashier gave up on because their reader stayed busy with an unresolved payment. */
  blockedByReader: number;
  /** attention.retry calls the runner made because a payment did not move (the host needed help). */
  nudges: number;
  /** Payments not finished within their bound (the host's Needs attention list has the rest). */
  timedOut: { orderReference: string; status: string | null; notes: string[] }[];
  /** What the runner saw of every order with a finding (also in orders.jsonl in the work dir). */
  traces: { orderReference: string; status: string | null; notes: string[] }[];
  notStarted: number;
  terminal: { requests: number; approvals: number; answerFaults: number };
  /** Gateway calls the host logged as answered 500, or not answered at all (dropped, timed out). */
  gatewaySeen: { errors: number; noAnswer: number };
  workDir: string | null;
  passed: boolean;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  if (!existsSync(WEB_ENTRY)) throw new Error(`${WEB_ENTRY} is missing: build the app first (npm run build)`);
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const runDeadline = started + options.timeLimitS * 1_000;
  const sweepReserveMs = Math.min(120_000, Math.max(25_000, options.timeLimitS * 250));
  const lanesDeadline = runDeadline - sweepReserveMs;
  const perPaymentMs = options.perPaymentMs ?? 60_000;
  const workDir = mkdtempSync(join(tmpdir(), 'pos-soak-'));
  const runId = `${options.seed.toString(36)}${(started % 1_296).toString(36)}`;

  const cleanups: (() => Promise<unknown>)[] = [];
  const recorder = new WireRecorder(join(workDir, 'wire.jsonl'));
  const wire = recorder.check;
  cleanups.push(() => recorder.close());
  // Also looked for in the host's own log lines.
  const known: string[] = [];
  const gatewaySeen = { errors: 0, noAnswer: 0 };
  let hostLogLeaks = 0;
  let removeWorkDir = false;
  // Ctrl-C (or a CI timeout) must not leave a host or socat running: stop them, keep the evidence.
  const emergency: (() => void)[] = [];
  const onSignal = (signal: NodeJS.Signals) => {
    for (const stop of emergency) {
      try {
        stop();
      } catch {
        // Best effort on the way out.
      }
    }
    process.stderr.write(`soak interrupted (${signal}); evidence in ${workDir}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // -- the sandbox, in this process: it outlives every kill of the host ----------------------
    const sandbox: RunningSandbox = await startSandbox({
      port: 0,
      db: join(workDir, 'sandbox.db'),
      seed: false,
      faults: { seed: options.seed },
    });
    const gateway = sandbox;
    cleanups.push(() => gateway.close());
    // The host reaches the gateway through a relay the soak can cut (restarts with the gateway down).
    const relay = await startGatewayProxy(gateway.url);
    cleanups.push(() => relay.close());
    known.push(gateway.secret_key, gateway.publishable_key);
    recorder.addKnown(gateway.secret_key, gateway.publishable_key);
    log(`sandbox at ${gateway.url}; work dir ${workDir}`);

    // -- the Concert terminal emulator on a socat pty pair ---------------------------------------
    let pty: PtyPair | null = null;
    let served: ServedEmulator | null = null;
    let concertOrder: OrderState | null = null;
    let script: PaymentPlan['concertScript'] = { delayMs: 60 };
    const terminal = { requests: 0, approvals: 0, answerFaults: 0 };
    let awaitingAnswer = false;
    const terminalLog = createWriteStream(join(workDir, 'terminal.log'));
    cleanups.push(() => new Promise((resolve) => terminalLog.end(resolve)));
    const onTerminalEvent = (event: EmulatorEvent) => {
      const record = concertOrder?.terminal;
      const detail =
        event.type === 'request'
          ? `amount ${event.request.amount} ref ${event.request.privateData}`
          : event.type === 'answer_sent'
            ? `status ${event.answer.status} fault ${event.fault}`
            : 'reason' in event
              ? event.reason
              : '';
      terminalLog.write(
        `${new Date().toISOString().slice(11, 23)} ${concertOrder?.plan.orderReference ?? '-'} ${event.type} ${detail}\n`,
      );
      if (event.type === 'request') {
        terminal.requests++;
        awaitingAnswer = true;
        if (record) record.requests++;
      } else if (event.type === 'answer_sent') {
        if (event.fault !== 'none') terminal.answerFaults++;
        // One decision per request, however many times the frame is resent.
        if (awaitingAnswer) {
          awaitingAnswer = false;
          if (event.answer.status === '0') terminal.approvals++;
          if (record) {
            record.lastAnswer = event.answer.status;
            if (event.answer.status === '0') record.approvals++;
          }
        }
      }
    };
    const serveTerminal = async () => {
      served = serveEmulator(await openSerialTransport(pty!.a), { script: script ?? {}, onEvent: onTerminalEvent });
    };
    if (options.concert) {
      pty = await createPtyPair();
      const pair = pty;
      cleanups.push(() => pair.stop());
      emergency.push(() => void pair.stop());
      await serveTerminal();
      cleanups.push(async () => served?.stop());
    }

    // -- the host, a child process ----------------------------------------------------------------
    const hostLog = createWriteStream(join(workDir, 'host.log'));
    cleanups.push(() => new Promise((resolve) => hostLog.end(resolve)));
    const process_ = new HostProcess({
      entry: WEB_ENTRY,
      cwd: ROOT,
      dataDir: join(workDir, 'host'),
      gatewayUrl: relay.url,
      secretKey: gateway.secret_key,
      readerPorts: pty ? [pty.b] : [],
      onStderr: (line) => {
        hostLog.write(`${line}\n`);
        if (findKnownSecrets(line, known).length > 0) hostLogLeaks++;
      },
    });
    emergency.push(() => process_.killNow());
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
      log: (line) => log(`host: ${line}`),
      onKilled: async () => {
        // The terminal gives up on a request whose cash register died (a real one times out).
        if (served) {
          await served.stop();
          awaitingAnswer = false;
          await serveTerminal();
        }
      },
    });
    cleanups.push(() => session.stop());
    await session.start();

    // -- readers: two simulated ones hosted by the app, the sandbox's own, the Concert terminal -----
    const readerIds: Record<Lane, string | null> = { sim1: null, sim2: null, cloud: null, concert: null };
    const readers = async (): Promise<ReaderView[]> => {
      const listed = await session.call('readers.list', {});
      if (!listed.ok) throw new Error(`readers.list failed: ${listed.error.message}`);
      return listed.value;
    };
    readerIds.sim1 = (await readers()).find((r) => r.hosted && r.kind === 'simulated')?.id ?? null;
    if (!readerIds.sim1) throw new Error('the host did not create its default simulated reader');
    const second = await session.call('readers.addSimulated', { label: 'Soak reader 2' });
    if (!second.ok) throw new Error(`readers.addSimulated failed: ${second.error.message}`);
    readerIds.sim2 = second.value.id;
    const cloud = await session.call('readers.pair', { registrationCode: 'simulated', label: 'Soak cloud reader' });
    if (!cloud.ok) throw new Error(`pairing the sandbox's simulated reader failed: ${cloud.error.message}`);
    readerIds.cloud = cloud.value.id;
    if (options.concert) {
      const device = await until(
        async () => (await readers()).find((r) => r.status === 'unpaired' && r.kind === 'concert'),
        20_000,
        'the Concert terminal to be discovered',
      );
      const paired = await session.call('readers.pair', { deviceId: device.deviceId, label: 'Soak Concert terminal' });
      if (!paired.ok) throw new Error(`pairing the Concert terminal failed: ${paired.error.message}`);
      readerIds.concert = paired.value.id;
    }
    const wanted = Object.values(readerIds).filter((id): id is string => id !== null);
    await until(
      async () => {
        const list = await readers();
        return wanted.every((id) => list.find((r) => r.id === id)?.status === 'online');
      },
      30_000,
      'every reader to be online',
    );
    log(
      `readers online: ${Object.entries(readerIds)
        .filter(([, id]) => id)
        .map(([lane]) => lane)
        .join(', ')}`,
    );

    // -- the plan ---------------------------------------------------------------------------------
    const plans = planPayments(options.payments, options.seed, { concert: options.concert, runId });
    const killPlans = planKills(plans, options.kills, options.seed);
    const orders = plans.map(newOrderState);
    let phaseFaults: Partial<Faults> = {};
    const killer = new Killer(killPlans, session, (kill, order) => restartHooks(kill, order));
    const restartHooks = (kill: KillPlan, order: OrderState): RestartHooks => {
      const heldOnCloud = kill.point === 'cloud_holding';
      return {
        whileDown: async () => {
          if (heldOnCloud) {
            // The customer pays on the gateway's own reader while the till is down.
            const processorId = (readerIds.cloud ?? '').replace(/^rdr_cloud_/, '');
            const answer = await fetch(`${gateway.url}/v1/terminal/simulate-payment`, {
              method: 'POST',
              headers: { Authorization: `Bearer ${gateway.secret_key}`, 'Content-Type': 'application/json' },
              body: JSON.stringify({ reader_id: processorId, card_number: order.plan.goodCard }),
            });
            order.notes.push(`card presented on the gateway's reader while the host is down: HTTP ${answer.status}`);
            if (answer.ok) {
              order.presentedAttempt = order.processAttempts;
              order.cardByAttempt[order.processAttempts] = order.plan.goodCard;
              order.heldAcrossRestart = true;
            }
          }
          if (kill.restart === 'gateway_down') relay.down();
          if (kill.restart === 'dropping') gateway.setFaults({ drop_after_commit_rate: 1 });
        },
        afterRestart: async () => {
          if (kill.restart === 'normal') return;
          // Long enough for the host's start-up recovery to meet the condition, and to die of it if it would.
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          if (kill.restart === 'gateway_down') relay.up();
          if (kill.restart === 'dropping')
            gateway.setFaults({ drop_after_commit_rate: phaseFaults.drop_after_commit_rate ?? 0 });
        },
      };
    };
    const phaseLength = Math.max(4, Math.round(options.payments / 12));
    const phasesSeen: string[] = [];
    let phaseIndex = -1;
    const setPhase = (index: number) => {
      if (index === phaseIndex) return;
      phaseIndex = index;
      const phase = FAULT_PHASES[index % FAULT_PHASES.length]!;
      phaseFaults = { ...NO_SANDBOX_FAULTS, ...phase.faults };
      gateway.setFaults({ ...phaseFaults, seed: options.seed + index });
      phasesSeen.push(phase.name);
      log(`phase ${index + 1}: ${phase.name}`);
    };
    setPhase(0);
    let completed = 0;

    const ctx: DriverContext = {
      session,
      readerIds,
      killer,
      setTerminalScript: options.concert
        ? (next) => {
            script = next ?? {};
            served?.emulator.setScript(script);
          }
        : null,
      readerTimeoutMs: () => gateway.faults().reader_timeout_ms,
      log,
    };

    const runLane = async (lane: Lane, queue: OrderState[], budget: (order: OrderState) => number, stopAt: number) => {
      for (const order of queue) {
        if (Date.now() > stopAt) break;
        if (lane === 'concert') concertOrder = order;
        try {
          await drivePayment(ctx, order, Math.min(budget(order), Math.max(5_000, runDeadline - Date.now() - 10_000)));
        } catch (error) {
          order.notes.push(`driver error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          log(`${order.plan.orderReference}: driver error ${String(error)}`);
        }
        killer.finished(order);
        completed++;
        if (completed % 10 === 0)
          log(`${completed}/${options.payments} payments, ${session.kills.length} kills, ${wire.messages} messages`);
        setPhase(Math.floor(completed / phaseLength));
      }
      if (lane === 'concert') concertOrder = null;
    };

    const lanes = lanesFor({ concert: options.concert });
    await Promise.all(
      lanes.map((lane) =>
        runLane(
          lane,
          orders.filter((o) => o.plan.lane === lane),
          () => perPaymentMs,
          lanesDeadline,
        ),
      ),
    );
    await killer.idle();

    // -- close of day: faults off, let the host recover, finish what a cashier can finish -------------
    log('faults off; recovering');
    gateway.setFaults({ ...NO_SANDBOX_FAULTS, seed: null });
    ctx.setTerminalScript?.({ delayMs: 60 });
    await session.ready();
    await session.resync();
    const unfinished = orders.filter((o) => o.started && !o.finished);
    if (unfinished.length > 0) log(`finishing ${unfinished.length} payments left unfinished`);
    await Promise.all(
      lanes.map((lane) =>
        runLane(
          lane,
          unfinished.filter((o) => o.plan.lane === lane),
          () => 30_000,
          runDeadline - 15_000,
        ),
      ),
    );
    await settleHost(session, Math.max(5_000, Math.min(30_000, runDeadline - Date.now() - 5_000)), log);

    // -- the comparison -------------------------------------------------------------------------------
    const stop = await session.stop();
    log(`host stopped (${stop})`);
    // Secrets that exist only by now (a webhook endpoint's signing secret) are looked for in the whole recording.
    await recorder.rescan([gateway.webhook_secret].filter((secret): secret is string => secret !== null));
    const response = await fetch(`${gateway.url}/_sandbox/ledger`, {
      headers: { Authorization: `Bearer ${gateway.secret_key}` },
    });
    if (!response.ok) throw new Error(`ledger: HTTP ${response.status}`);
    const ledger = (await response.json()) as Ledger;
    const journal = readJournal(join(workDir, 'host', 'journal.db'));
    const attempted = orders.filter((o) => o.started);
    const comparison = compare(ledger, journal, attempted.map(runnerOrder));
    writeFileSync(
      join(workDir, 'orders.jsonl'),
      attempted
        .map((o) =>
          JSON.stringify({
            order: o.plan.orderReference,
            plan: o.plan,
            paymentId: o.paymentId,
            final: o.finalStatus,
            finished: o.finished,
            notes: o.notes,
          }),
        )
        .join('\n'),
    );

    const count = <K extends string>(keys: K[]) =>
      keys.reduce<Record<string, number>>((acc, key) => ((acc[key] = (acc[key] ?? 0) + 1), acc), {});
    const unattended = attempted.flatMap((o) => o.findings.map((finding) => `${o.plan.orderReference}: ${finding}`));
    const passed =
      comparison.figures.lost === 0 &&
      comparison.figures.chargedTwice === 0 &&
      wire.leaks.length === 0 &&
      unattended.length === 0 &&
      session.crashes.length === 0;
    const report: SoakReport = {
      seed: options.seed,
      options: {
        payments: options.payments,
        seed: options.seed,
        timeLimitS: options.timeLimitS,
        kills: options.kills,
        concert: options.concert,
        perPaymentMs,
        keep: options.keep ?? false,
      },
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      comparison,
      kills: session.kills,
      killsPlanned: killPlans.length,
      crashes: session.crashes,
      launches: session.launches,
      wire,
      hostLogLeaks,
      phases: phasesSeen,
      lanes: count(attempted.map((o) => o.plan.lane)),
      scenarios: count(attempted.map((o) => o.plan.scenario)),
      unattended,
      cashierResolutions: attempted.reduce((sum, o) => sum + o.resolutions, 0),
      blockedByReader: attempted.filter((o) => o.blockedByReader).length,
      nudges: attempted.reduce((sum, o) => sum + o.nudges, 0),
      timedOut: attempted
        .filter((o) => !o.finished)
        .map((o) => ({ orderReference: o.plan.orderReference, status: o.finalStatus, notes: o.notes.slice(-25) })),
      traces: [],
      notStarted: orders.length - attempted.length,
      terminal,
      gatewaySeen,
      workDir: passed && !options.keep ? null : workDir,
      passed,
    };
    const interesting = new Set([...comparison.lost, ...comparison.chargedTwice].map((f) => f.orderReference));
    report.traces = attempted
      .filter((o) => interesting.has(o.plan.orderReference))
      .map((o) => ({ orderReference: o.plan.orderReference, status: o.finalStatus, notes: o.notes.slice(-40) }));
    removeWorkDir = passed && !options.keep;
    return report;
  } catch (error) {
    log(`the soak stopped with an error; its evidence is in ${workDir}`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    // A passing run leaves nothing behind unless asked; a failing one keeps its evidence.
    if (removeWorkDir) rmSync(workDir, { recursive: true, force: true });
  }
}

/** Waits until the host has nothing queued and no payment mid-flight, nudging attention items. */
async function settleHost(session: HostSession, boundMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + boundMs;
  let nudged = false;
  while (Date.now() < deadline) {
    const snapshot = await session.resync();
    const busy = snapshot.payments.filter(
      (p) => ['creating', 'in_progress'].includes(p.status) || p.queuedOperations > 0,
    );
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

async function until<T>(
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
