/**
 * Figure 1: what the host adds to a card payment. create → process → present card → capture
 * through the host's services against an in-process sandbox, against the floor: the same HTTP
 * calls made with bare fetch against the same sandbox (payment-drivers.ts says exactly which).
 * Host and floor payments run in alternating blocks so the machine's noise lands on both alike.
 *
 * The host runs as shipped for money: its journal on disk, WAL, synchronous=FULL (durability
 * 'full'); the simulated reader's card time is 0 (tuning.simulatedProcessingMs), so neither side
 * waits for a simulated card. Load curve: the same measurement with 1×, 10× and 100× the base
 * number of settled payments already in the host's journal.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock } from '../../common/clock';
import { createHost, type Host } from '../../main/host/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { runWorker } from './child';
import { scaled, scratch, type Figure, type FigureContext } from './context';
import {
  FloorClient,
  PaymentEvents,
  RequestCounter,
  hostPayment,
  installFetchCounter,
  onlineSimulatedReaders,
} from './payment-drivers';
import { withCpuProfile, type ProfileSummary } from './profile';
import { metric, type Curve, type Metric } from './report';
import { seededJournal } from './journal-fixture';
import { median, percentile, round, split, summarize, type Summary } from './stats';

/** Issue 14's goals for the ratio to the floor (1.10× stays the aim). */
export const FIGURE1_TARGET = { p50: 1.5, p99: 1.3 };
/** Fsynced journal commits per automatic-capture card payment (issue 14). */
export const FSYNCS_TARGET = 4;
export const BASE_STORED = 1_000;

export interface PaymentRunResult {
  stored: number;
  host: number[];
  floor: number[];
  /** host p50 / floor p50 of each block pair, to show how noisy the run was. */
  blockRatios: number[];
  callsPerPayment: { host: Record<string, number>; floor: Record<string, number> };
  profile: ProfileSummary | null;
  seedMs: number;
  /** Host journal work per payment, counted over a few extra payments after the measured ones. */
  journalPerPayment: { commits: number; statements: number } | null;
  /**
   * Fsynced journal commits per payment (durability 'full'), over a few extra payments: the
   * figure's own flow (manual capture, then capture) and an automatic-capture payment.
   */
  fsyncsPerPayment: { automatic: number; manualThenCapture: number } | null;
}

export interface PaymentRunOptions {
  dir: string;
  stored: number;
  /** Measured payments per side (after warm-up). */
  payments: number;
  block: number;
  warmup: number;
  durability: 'full' | 'normal';
  profile: { enabled: boolean; dir: string; name: string };
  /** Count the journal's commits and statements per payment afterwards (patches better-sqlite3 briefly). */
  countStatements?: boolean;
  log: (line: string) => void;
}

/**
 * Runs `payments` more payments with better-sqlite3's statement methods wrapped to count what
 * runs against the database at `path` (the host's journal; the sandbox's own database is not
 * counted). Commits are counted as COMMIT statements plus writes made outside a transaction.
 */
async function countJournalWork(
  path: string,
  payments: number,
  once: () => Promise<void>,
): Promise<{ commits: number; statements: number }> {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<
    'run' | 'get' | 'all',
    (...args: unknown[]) => unknown
  >;
  probe.close();
  const originals = { run: proto.run, get: proto.get, all: proto.all };
  let statements = 0;
  let commits = 0;
  for (const name of ['run', 'get', 'all'] as const) {
    const original = originals[name];
    proto[name] = function (
      this: { database: { name: string; inTransaction: boolean }; source: string; readonly: boolean },
      ...args: unknown[]
    ) {
      if (this.database.name === path) {
        statements++;
        if (
          this.source === 'COMMIT' ||
          // `readonly`, not `reader`: an INSERT … RETURNING returns rows and is a write.
          (!this.readonly && !this.database.inTransaction && !/^(BEGIN|ROLLBACK)/.test(this.source))
        )
          commits++;
      }
      return original.apply(this, args);
    };
  }
  try {
    for (let i = 0; i < payments; i++) await once();
  } finally {
    Object.assign(proto, originals);
  }
  // BEGIN/COMMIT pairs are statements of the wrapper, not of the journal's logic.
  return { commits: round(commits / payments, 2), statements: round(statements / payments, 1) };
}

/** Fsynced commits of the host's journal per payment, over `payments` payments. */
async function fsyncsPer(host: Host, payments: number, once: () => Promise<void>): Promise<number> {
  const before = host.commitStats().syncedCommits;
  for (let i = 0; i < payments; i++) await once();
  // The last payment's final commit is what its waiter saw; a report still being retired may follow.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return round((host.commitStats().syncedCommits - before) / payments, 2);
}

function seedHostJournal(dataDir: string, stored: number, log: (line: string) => void): void {
  if (stored > 0) seededJournal(join(dataDir, 'journal.db'), stored, log);
}

export async function runPaymentComparison(options: PaymentRunOptions): Promise<PaymentRunResult> {
  const seedStarted = performance.now();
  const dataDir = join(options.dir, 'host');
  seedHostJournal(dataDir, options.stored, options.log);
  const seedMs = performance.now() - seedStarted;

  const counter = new RequestCounter();
  const uninstall = installFetchCounter(counter);
  let sandbox: RunningSandbox | null = null;
  let host: Host | null = null;
  let floor: FloorClient | null = null;
  let events: PaymentEvents | null = null;
  try {
    sandbox = await startSandbox({ port: 0, db: join(options.dir, 'sandbox.db'), seed: false });
    const running = sandbox;
    host = await createHost({
      dataDir,
      clock: systemClock,
      startSandbox: async () => ({ ...running, close: async () => undefined }),
      tuning: { simulatedProcessingMs: 0, durability: options.durability },
    });
    events = new PaymentEvents(host);
    const [reader] = await onlineSimulatedReaders(host, 1);
    floor = await FloorClient.open(
      running.url,
      running.secret_key,
      `bench-floor-${process.pid}-${Date.now().toString(36)}`,
    );

    const h = host;
    const e = events;
    const f = floor;
    const hostOnce = () => hostPayment(h, e, reader!.id);
    const floorOnce = () => f.payment();
    for (let i = 0; i < options.warmup; i++) {
      await hostOnce();
      await floorOnce();
    }

    const time = async (fn: () => Promise<void>, into: number[]) => {
      const started = performance.now();
      await fn();
      into.push(performance.now() - started);
    };

    const hostTimes: number[] = [];
    const floorTimes: number[] = [];
    const blockRatios: number[] = [];
    const callsHost = new RequestCounter();
    const callsFloor = new RequestCounter();
    let profile: ProfileSummary | null = null;
    let blockIndex = 0;
    while (hostTimes.length < options.payments) {
      const n = Math.min(options.block, options.payments - hostTimes.length);
      const hostBlock: number[] = [];
      const floorBlock: number[] = [];
      // Alternate which side goes first, so neither always runs right after the other's GC.
      const order: ('host' | 'floor')[] = blockIndex % 2 === 0 ? ['host', 'floor'] : ['floor', 'host'];
      for (const side of order) {
        if (side === 'host') {
          counter.enabled = true;
          const ran = await withCpuProfile(
            options.profile.enabled && blockIndex === 0,
            options.profile.dir,
            options.profile.name,
            async () => {
              for (let i = 0; i < n; i++) await time(hostOnce, hostBlock);
            },
          );
          profile ??= ran.profile;
          counter.enabled = false;
          callsHost.takeFrom(counter);
        } else {
          counter.enabled = true;
          for (let i = 0; i < n; i++) await time(floorOnce, floorBlock);
          counter.enabled = false;
          callsFloor.takeFrom(counter);
        }
      }
      hostTimes.push(...hostBlock);
      floorTimes.push(...floorBlock);
      blockRatios.push(median(hostBlock) / median(floorBlock));
      blockIndex++;
      options.log(
        `  fig 1 [${options.stored} stored] ${hostTimes.length}/${options.payments}: host p50 ${median(hostBlock).toFixed(2)} ms, floor p50 ${median(floorBlock).toFixed(2)} ms`,
      );
    }
    // Not timed: what the host's journal did per payment, and how much of it was fsynced.
    const journalPerPayment = options.countStatements
      ? await countJournalWork(join(dataDir, 'journal.db'), 10, hostOnce)
      : null;
    const fsyncsPerPayment = options.countStatements
      ? {
          automatic: await fsyncsPer(h, 10, () => hostPayment(h, e, reader!.id, 'automatic')),
          manualThenCapture: await fsyncsPer(h, 10, hostOnce),
        }
      : null;
    return {
      stored: options.stored,
      host: hostTimes,
      floor: floorTimes,
      blockRatios,
      callsPerPayment: {
        host: callsHost.perPayment(hostTimes.length),
        floor: callsFloor.perPayment(floorTimes.length),
      },
      profile,
      seedMs,
      journalPerPayment,
      fsyncsPerPayment,
    };
  } finally {
    events?.close();
    await floor?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    uninstall();
  }
}

function describe(s: Summary) {
  return {
    n: s.n,
    p50: round(s.p50),
    p95: round(s.p95),
    p99: round(s.p99),
    min: round(s.min),
    max: round(s.max),
    mean: round(s.mean),
  };
}

export const figure1: Figure = {
  id: 1,
  title: 'Payment through the host vs bare fetch',
  async run(ctx: FigureContext) {
    const payments = scaled(ctx, ctx.quick ? 60 : 240, 4);
    const block = Math.max(2, Math.min(20, Math.floor(payments / 4)));
    const warmup = scaled(ctx, ctx.quick ? 5 : 20, 1);
    const run = (options: Omit<PaymentRunOptions, 'log'>) =>
      runWorker<PaymentRunResult>('payments', options, { log: ctx.log, timeoutMs: 600_000 });
    const base = await run({
      dir: scratch(ctx, 'fig1'),
      stored: BASE_STORED,
      payments,
      block,
      warmup,
      durability: 'full',
      profile: { enabled: ctx.profile, dir: ctx.profileDir, name: 'fig1-host' },
      countStatements: true,
    });
    const hostS = summarize(base.host);
    const floorS = summarize(base.floor);
    const floorText =
      'the same HTTP calls (create, process, link poll, link result, capture) with bare fetch, same sandbox';
    // Repeats: the payments in three consecutive thirds (blocks alternate sides, so each third has
    // as many host payments as floor payments, measured side by side); each third's own ratio.
    const hostThirds = split(base.host, 3);
    const floorThirds = split(base.floor, 3);
    const thirdRatios = (stat: (values: number[]) => number) =>
      hostThirds.map((host, i) => stat(host) / stat(floorThirds[i]!));
    const of = 'thirds of the payments (host vs floor within each third)';
    const metrics: Metric[] = [
      metric({
        id: '1.p50',
        figure: 1,
        label: 'payment via host, p50',
        value: hostS.p50,
        unit: 'ms',
        floor: { description: `${floorText}, p50`, value: floorS.p50, unit: 'ms' },
        target: { op: '<=', value: FIGURE1_TARGET.p50, on: 'ratio', unit: '×' },
        samples: hostS.n,
        repeats: { of, values: thirdRatios(median) },
      }),
      metric({
        id: '1.p99',
        figure: 1,
        label: 'payment via host, p99',
        value: hostS.p99,
        unit: 'ms',
        floor: { description: `${floorText}, p99`, value: floorS.p99, unit: 'ms' },
        target: { op: '<=', value: FIGURE1_TARGET.p99, on: 'ratio', unit: '×' },
        samples: hostS.n,
        repeats: { of, values: thirdRatios((values) => percentile(values, 99)) },
      }),
      ...(base.fsyncsPerPayment
        ? [
            metric({
              id: '1.fsyncs',
              figure: 1,
              label: 'journal fsyncs per automatic-capture card payment',
              value: base.fsyncsPerPayment.automatic,
              unit: 'fsyncs',
              target: { op: '<=', value: FSYNCS_TARGET, on: 'value', unit: 'fsyncs' },
              samples: 10,
            }),
          ]
        : []),
    ];

    // Load curve: more history in the journal.
    const curvePoints = [base];
    const factors = ctx.quick ? [10] : [10, 100];
    for (const factor of factors) {
      curvePoints.push(
        await run({
          dir: scratch(ctx, `fig1-${factor}x`),
          stored: BASE_STORED * factor,
          payments: scaled(ctx, ctx.quick ? 30 : 100, 4),
          block: Math.max(2, Math.min(20, block)),
          warmup,
          durability: 'full',
          profile: { enabled: false, dir: ctx.profileDir, name: '' },
        }),
      );
    }
    // Diagnostic only (never how the app runs): the same comparison with the journal not fsynced,
    // to split the host's overhead into waiting for the disk and everything else.
    const unsynced =
      ctx.scale < 1
        ? null
        : await run({
            dir: scratch(ctx, 'fig1-normal'),
            stored: BASE_STORED,
            payments: scaled(ctx, ctx.quick ? 30 : 100, 4),
            block,
            warmup,
            durability: 'normal',
            profile: { enabled: false, dir: ctx.profileDir, name: '' },
          });
    const curve: Curve = {
      id: '1.stored',
      figure: 1,
      title: 'Figure 1 vs payments stored in the journal',
      columns: [
        { key: 'stored', label: 'payments stored', unit: '' },
        { key: 'hostP50', label: 'host p50', unit: 'ms' },
        { key: 'floorP50', label: 'floor p50', unit: 'ms' },
        { key: 'ratioP50', label: 'ratio p50', unit: '×' },
        { key: 'hostP99', label: 'host p99', unit: 'ms' },
        { key: 'ratioP99', label: 'ratio p99', unit: '×' },
      ],
      rows: curvePoints.map((point) => ({
        stored: point.stored,
        hostP50: round(median(point.host)),
        floorP50: round(median(point.floor)),
        ratioP50: round(median(point.host) / median(point.floor)),
        hostP99: round(percentile(point.host, 99)),
        ratioP99: round(percentile(point.host, 99) / percentile(point.floor, 99)),
      })),
    };

    return {
      metrics,
      curves: [curve],
      inputs: {
        paymentsPerSide: payments,
        warmupPerSide: warmup,
        block,
        storedBase: BASE_STORED,
        durability: "journal on disk, WAL, synchronous=FULL ('full')",
        simulatedCardMs: 0,
        sandbox: 'in-process, file database (synchronous=OFF), the same instance for host and floor',
        host: describe(hostS),
        floor: describe(floorS),
        blockRatiosP50: base.blockRatios.map((r) => round(r)),
        httpCallsPerPayment: base.callsPerPayment,
        hostJournalPerPayment: base.journalPerPayment,
        fsyncsPerPayment: base.fsyncsPerPayment,
        ...(unsynced
          ? {
              diagnosticJournalNotFsynced: {
                hostP50: round(median(unsynced.host)),
                floorP50: round(median(unsynced.floor)),
                ratioP50: round(median(unsynced.host) / median(unsynced.floor)),
              },
            }
          : {}),
        seedMs: curvePoints.map((p) => ({ stored: p.stored, ms: Math.round(p.seedMs) })),
        ...(base.profile ? { profile: base.profile } : {}),
      },
      notes: [
        "Floor: a bare-fetch client doing the host's HTTP calls for one payment (create-payment, process-payment, the held link poll that delivers the action, the link result, capture), with one long poll held as the host holds it.",
        'Both sides talk to the same in-process sandbox; blocks of host and floor payments alternate.',
        "hostJournalPerPayment: commits and SQL statements the host ran on its journal per payment; fsyncsPerPayment: how many of the commits were fsynced (durable points: intents and outcomes; progress is committed without its own fsync), for an automatic-capture payment and for this figure's flow; diagnosticJournalNotFsynced: the same comparison with synchronous=NORMAL, to separate waiting for the disk from the rest (not how the app runs).",
      ],
    };
  },
};
