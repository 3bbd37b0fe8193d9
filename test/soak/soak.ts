/**
 * The fault soak (issues 5, 10, 11): hundreds of payments through the real host (a child process
 * in web mode, driven over its WebSocket bridge like the renderer) against the gateway sandbox,
 * which runs in this process, while injecting latency, 5xx answers, answers dropped after the
 * sandbox committed, and kill -9 of the host at chosen points followed by a restart. One lane per
 * gateway — one host, one till — side by side on one sandbox:
 *
 * - PlutoPay (lane-plutopay.ts): card present on four readers, with reader faults and malformed
 *   terminal bytes (the Concert emulator behind a socat pty);
 * - PayPlug and Plural (lane-link.ts): payments by link, the soak playing the customer who pays the
 *   QR code's page, sometimes while the host is down.
 *
 * At the end of each lane, with faults off and the host recovered, the gateway's ledger is compared
 * with the host's journal (compare.ts). Loopback only; every server on port 0.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import type { Comparison } from './compare';
import type { KillRecord } from './host-process';
import type { LaneRun } from './lane';
import { runLinkLane } from './lane-link';
import { runPlutoPayLane } from './lane-plutopay';
import { SOAK_GATEWAYS, type SoakGateway } from './scenarios';
import type { WireCheck } from './wire';

export { SOAK_GATEWAYS, type SoakGateway } from './scenarios';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const WEB_ENTRY = join(ROOT, 'out/main/web.js');

export interface SoakOptions {
  /** Payments per lane. */
  payments: number;
  seed: number;
  /** Overall bound in seconds (payments stop early to leave time for recovery and comparison). */
  timeLimitS: number;
  /** kill -9 of the host per lane. */
  kills: number;
  /** The PlutoPay lane's Concert terminal (needs socat). */
  concert: boolean;
  /** One lane per gateway, run side by side (default: all three). */
  gateways?: readonly SoakGateway[];
  /** Bound for one payment (default 60 s). */
  perPaymentMs?: number;
  /** Keep the work directory (databases, wire recording) even when the run passes. */
  keep?: boolean;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

/** One gateway's lane: its host, its payments, its faults and its verdict. */
export interface LaneReport {
  gateway: SoakGateway;
  /** Payments planned. */
  payments: number;
  durationMs: number;
  comparison: Comparison;
  kills: KillRecord[];
  killsPlanned: number;
  crashes: string[];
  launches: number;
  wire: WireCheck;
  hostLogLeaks: number;
  phases: string[];
  /** Payments per reader (PlutoPay) or per counter (by link). */
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
  /** What the runner saw of every order with a finding (also in orders.jsonl in the lane's dir). */
  traces: { orderReference: string; status: string | null; notes: string[] }[];
  notStarted: number;
  terminal: { requests: number; approvals: number; answerFaults: number };
  /** Pay by link: the customer's attempts at the gateway's page. */
  customer: { attempts: number; approvals: number; declines: number; refused: number; whileHostDown: number };
  /** Gateway calls the host logged as answered 500, or not answered at all (dropped, timed out). */
  gatewaySeen: { errors: number; noAnswer: number };
  /** Requests the relay made land late, after the host's connection was cut (PayPlug refunds). */
  landedLate: number;
  passed: boolean;
}

export interface SoakReport {
  seed: number;
  options: Omit<SoakOptions, 'log'> & { gateways: readonly SoakGateway[]; perPaymentMs: number };
  startedAt: string;
  durationMs: number;
  lanes: LaneReport[];
  workDir: string | null;
  passed: boolean;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  if (!existsSync(WEB_ENTRY)) throw new Error(`${WEB_ENTRY} is missing: build the app first (npm run build)`);
  const log = options.log ?? (() => undefined);
  const gateways = [...new Set(options.gateways ?? SOAK_GATEWAYS)];
  if (gateways.length === 0) throw new Error('no lane to run');
  const started = Date.now();
  const runDeadline = started + options.timeLimitS * 1_000;
  const sweepReserveMs = Math.min(120_000, Math.max(25_000, options.timeLimitS * 250));
  const lanesDeadline = runDeadline - sweepReserveMs;
  const perPaymentMs = options.perPaymentMs ?? 60_000;
  const workDir = mkdtempSync(join(tmpdir(), 'pos-soak-'));
  const runId = `${options.seed.toString(36)}${(started % 1_296).toString(36)}`;

  const cleanups: (() => Promise<unknown>)[] = [];
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
    // -- the sandbox, in this process: it outlives every kill of every host ----------------------
    const sandbox: RunningSandbox = await startSandbox({
      port: 0,
      db: join(workDir, 'sandbox.db'),
      seed: false,
      faults: { seed: options.seed },
    });
    cleanups.push(() => sandbox.close());
    log(`sandbox at ${sandbox.url}; work dir ${workDir}; lanes ${gateways.join(', ')}`);
    // No credential of any emulator may cross any lane's bridge or show in a host's log (Plural's
    // client id is no secret: Settings shows it).
    const known = [
      sandbox.secret_key,
      sandbox.publishable_key,
      sandbox.payplug.secret_key,
      sandbox.plural.client_secret,
      sandbox.plural.signature_key,
    ];
    const laneRun = (gateway: SoakGateway): LaneRun => ({
      gateway,
      options,
      sandbox,
      dir: join(workDir, gateway),
      runId,
      started,
      runDeadline,
      lanesDeadline,
      perPaymentMs,
      known,
      entry: WEB_ENTRY,
      root: ROOT,
      log: gateways.length > 1 ? (line) => log(`${gateway}: ${line}`) : log,
      cleanups,
      emergency,
    });
    // Each lane ends on its own; one that cannot run stops the soak once the others are done.
    const settled = await Promise.allSettled(
      gateways.map((gateway) =>
        gateway === 'plutopay' ? runPlutoPayLane(laneRun(gateway)) : runLinkLane(laneRun(gateway), gateway),
      ),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const lanes = settled.map((s) => (s as PromiseFulfilledResult<LaneReport>).value);
    const passed = lanes.every((lane) => lane.passed);
    removeWorkDir = passed && !options.keep;
    return {
      seed: options.seed,
      options: {
        payments: options.payments,
        seed: options.seed,
        timeLimitS: options.timeLimitS,
        kills: options.kills,
        concert: options.concert,
        gateways,
        perPaymentMs,
        keep: options.keep ?? false,
      },
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      lanes,
      workDir: removeWorkDir ? null : workDir,
      passed,
    };
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
