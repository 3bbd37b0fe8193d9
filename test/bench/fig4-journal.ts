/**
 * Figure 4: the journal on disk, as the host opens it for money (WAL, synchronous=FULL).
 *
 *  - durable payment transitions per second: payments walked through the transitions the
 *    service commits (created with its create operation → pending → in progress → succeeded),
 *    one commit per transition, each fsynced before the next starts — the app never acts on a
 *    transition that is not on disk. Repeated in rounds; the figure is the median round.
 *  - list and search p95 with 100 000 payments stored: the queries behind the cashier's lists
 *    (payments.list filters all/active/uncaptured at 50 rows, every payment in doubt as every
 *    snapshot reads them, a page of the Capture and Process screens with their totals) and prefix search by order reference, txn_ reference and payment id
 *    (hits and misses).
 *
 * Absolute figures (no floor), reported with the fsync latency measured in the same run.
 * Load curve: the same at 1 000, 10 000 and 100 000 payments stored.
 */
import { join } from 'node:path';
import { systemClock } from '../../common/clock';
import { Journal, newPaymentRecord, type PaymentRecord } from '../../main/store/journal';
import { openDatabase, type SqlDatabase } from '../../main/store/sqlite';
import { scaled, scratch, type Figure, type FigureContext } from './context';
import { seededJournal } from './journal-fixture';
import { fsyncProbe } from './machine';
import { runWorker } from './child';
import { withCpuProfile, type ProfileSummary } from './profile';
import { metric, type Curve } from './report';
import type { SeededSample } from './seed';
import { median, percentile, round, split } from './stats';

export const TRANSITIONS_TARGET = 2_000;
export const QUERY_P95_TARGET_MS = 20;
export const STORED_FOR_FIGURE = 100_000;

let counter = 0;

function newPayment(): Omit<PaymentRecord, 'createdAt' | 'updatedAt'> {
  const n = ++counter;
  const order = `BENCH-${process.pid}-${n}`;
  return newPaymentRecord({
    id: `pay_bench${process.pid}x${n}`,
    gateway: 'plutopay',
    mode: 'test',
    orderReference: order,
    attempt: 1,
    idempotencyKey: `pos-${order}-1`,
    origin: 'local',
    amount: 1250,
    currency: 'EUR',
    captureMethod: 'automatic',
    status: 'creating',
  });
}

/** Walks payments through their transitions for `ms`; returns transitions committed per second. */
export function transitionsPerSecond(
  journal: Journal,
  ms: number,
): { perSecond: number; transitions: number; elapsedMs: number } {
  let transitions = 0;
  const started = performance.now();
  const deadline = started + ms;
  while (performance.now() < deadline) {
    const record = newPayment();
    journal.atomically(() => {
      journal.insertPayment(record, 'created', '€12.50, automatic capture');
      journal.addOperation(record.id, 'create', record.idempotencyKey, { amount: record.amount });
    });
    journal.updatePayment(
      record.id,
      { status: 'pending', transactionId: `tx-${record.id}`, reference: `txn_${record.id.slice(4)}` },
      'created_at_gateway',
    );
    journal.updatePayment(
      record.id,
      { status: 'in_progress', readerId: 'rdr_bench', readerStage: 'sent' },
      'sent_to_reader',
    );
    journal.updatePayment(
      record.id,
      { status: 'succeeded', readerStage: null, amountCaptured: record.amount, cardBrand: 'visa', cardLast4: '4242' },
      'succeeded',
    );
    transitions += 4;
  }
  const elapsedMs = performance.now() - started;
  return { perSecond: (transitions / elapsedMs) * 1000, transitions, elapsedMs };
}

export interface QueryTimes {
  list: number[];
  search: number[];
  byQuery: Record<string, number>;
}

/** Times the list and search queries, `rounds` times each, in an interleaved order. */
export function queryTimes(journal: Journal, samples: readonly SeededSample[], rounds: number): QueryTimes {
  const pick = (i: number) => samples[i % Math.max(1, samples.length)];
  const lists: [string, () => unknown][] = [
    ['list all (50)', () => journal.listPayments('all', 50)],
    ['list active (50)', () => journal.listPayments('active', 50)],
    ['list uncaptured (50)', () => journal.listPayments('uncaptured', 50)],
    // What the snapshot and the Capture and Process screens read: every item in doubt, one page of
    // authorisations and one of open payments, each with its totals per currency.
    ['list attention (all)', () => journal.attentionPayments()],
    ['capture page (100)', () => journal.pageUncaptured(0, 100)],
    ['open page (100)', () => journal.pageOpen(0, 100)],
  ];
  // The Transactions screen's search of the journal: a page of 50, newest first, counted.
  const searchPage = (prefix: string) =>
    journal.pageTransactions({
      gateway: 'plutopay',
      chargedBy: 'gateway',
      search: { prefix },
      sortField: 'created_at',
      sortOrder: 'desc',
      page: 1,
      size: 50,
    });
  const searches: [string, (i: number) => unknown][] = [
    ['search order ref prefix', (i) => searchPage(pick(i)?.orderReference.slice(0, -2) ?? 'HIST-00')],
    ['search txn_ prefix', (i) => searchPage(pick(i)?.reference.slice(0, 9) ?? 'txn_a')],
    ['search payment id', (i) => searchPage(pick(i)?.id ?? 'pay_a')],
    ['search miss', (i) => searchPage(`NOPE-${i}`)],
    // Matches every payment: the plan that walks the newest ones.
    ['search broad prefix', (i) => searchPage(i % 2 ? 'txn_' : 'HIST-')],
  ];
  const list: number[] = [];
  const search: number[] = [];
  const per = new Map<string, number[]>();
  const time = (name: string, into: number[], fn: () => unknown) => {
    const started = performance.now();
    fn();
    const ms = performance.now() - started;
    into.push(ms);
    per.set(name, [...(per.get(name) ?? []), ms]);
  };
  for (let i = 0; i < rounds; i++) {
    for (const [name, fn] of lists) time(name, list, fn);
    for (const [name, fn] of searches) time(name, search, () => fn(i));
  }
  const byQuery: Record<string, number> = {};
  for (const [name, times] of per) byQuery[`${name} p95 ms`] = round(percentile(times, 95));
  return { list, search, byQuery };
}

export interface JournalPoint {
  stored: number;
  transitionsPerSecond: number;
  transitionRounds: number[];
  listP95: number;
  searchP95: number;
  /** p95 of each consecutive third of the query rounds (the repeats of the list and search metrics). */
  listP95Thirds: number[];
  searchP95Thirds: number[];
  byQuery: Record<string, number>;
  seedMs: number;
  fromCache: boolean;
  profile: ProfileSummary | null;
}

export interface JournalMeasureOptions {
  rounds: number;
  roundMs: number;
  queryRounds: number;
  /** Profile the measured part (transitions and queries) into dir/name.cpuprofile. */
  profile: { dir: string; name: string } | null;
  log: (line: string) => void;
}

export async function measureJournal(dir: string, stored: number, opts: JournalMeasureOptions): Promise<JournalPoint> {
  const seeded = seededJournal(join(dir, `journal-${stored}.db`), stored, opts.log);
  const db: SqlDatabase = openDatabase(seeded.path, { durability: 'full' });
  try {
    const journal = new Journal(db, systemClock);
    // Warm the page cache and the statements like a running app has them.
    queryTimes(journal, seeded.samples, 2);
    transitionsPerSecond(journal, 50);
    const { result, profile } = await withCpuProfile(
      opts.profile !== null,
      opts.profile?.dir ?? '',
      opts.profile?.name ?? '',
      async () => {
        const rounds: number[] = [];
        for (let i = 0; i < opts.rounds; i++) rounds.push(transitionsPerSecond(journal, opts.roundMs).perSecond);
        return { rounds, queries: queryTimes(journal, seeded.samples, opts.queryRounds) };
      },
    );
    const { rounds, queries } = result;
    return {
      profile,
      stored,
      transitionsPerSecond: median(rounds),
      transitionRounds: rounds.map((r) => Math.round(r)),
      listP95: percentile(queries.list, 95),
      searchP95: percentile(queries.search, 95),
      listP95Thirds: split(queries.list, 3).map((part) => percentile(part, 95)),
      searchP95Thirds: split(queries.search, 3).map((part) => percentile(part, 95)),
      byQuery: queries.byQuery,
      seedMs: Math.round(seeded.seedMs),
      fromCache: seeded.fromCache,
    };
  } finally {
    db.close();
  }
}

export const figure4: Figure = {
  id: 4,
  title: 'Journal: durable transitions, list and search',
  async run(ctx: FigureContext) {
    const dir = scratch(ctx, 'fig4');
    const stored = ctx.scale < 1 ? Math.max(100, Math.round(STORED_FOR_FIGURE * ctx.scale)) : STORED_FOR_FIGURE;
    const opts = {
      rounds: scaled(ctx, ctx.quick ? 3 : 7, 1),
      roundMs: Math.max(20, Math.round((ctx.quick ? 400 : 1_000) * ctx.scale)),
      queryRounds: scaled(ctx, ctx.quick ? 25 : 60, 2),
      profile: ctx.profile ? { dir: ctx.profileDir, name: 'fig4-journal' } : null,
    };
    const fsync = fsyncProbe(dir, scaled(ctx, 200, 10));
    const measure = (size: number, o: typeof opts) =>
      runWorker<JournalPoint>(
        'journal',
        {
          dir,
          stored: size,
          opts: { rounds: o.rounds, roundMs: o.roundMs, queryRounds: o.queryRounds, profile: o.profile },
        },
        { log: ctx.log },
      );
    const main = await measure(stored, opts);
    const profile = main.profile;
    ctx.log(
      `  fig 4 [${stored} stored]: ${Math.round(main.transitionsPerSecond)} transitions/s, list p95 ${main.listP95.toFixed(2)} ms, search p95 ${main.searchP95.toFixed(2)} ms`,
    );

    const curveSizes = ctx.scale < 1 ? [] : [1_000, 10_000];
    const points: JournalPoint[] = [];
    for (const size of curveSizes) {
      const point = await measure(size, { ...opts, rounds: Math.max(1, Math.ceil(opts.rounds / 2)), profile: null });
      ctx.log(
        `  fig 4 [${size} stored]: ${Math.round(point.transitionsPerSecond)} transitions/s, list p95 ${point.listP95.toFixed(2)} ms, search p95 ${point.searchP95.toFixed(2)} ms`,
      );
      points.push(point);
    }
    points.push(main);

    const fsyncText = `fsync p50 ${fsync.p50Ms} ms in this run`;
    const metrics = [
      metric({
        id: '4.transitions',
        figure: 4,
        label: `durable transitions/s (${stored.toLocaleString('en-US')} stored)`,
        value: main.transitionsPerSecond,
        unit: '/s',
        target: { op: '>=', value: TRANSITIONS_TARGET, on: 'value', unit: '/s' },
        samples: main.transitionRounds.length,
        repeats: { of: 'one-second rounds', values: main.transitionRounds },
      }),
      metric({
        id: '4.list',
        figure: 4,
        label: `list p95 (${stored.toLocaleString('en-US')} stored)`,
        value: main.listP95,
        unit: 'ms',
        target: { op: '<=', value: QUERY_P95_TARGET_MS, on: 'value', unit: 'ms' },
        samples: opts.queryRounds * 4,
        repeats: { of: 'thirds of the query rounds', values: main.listP95Thirds },
      }),
      metric({
        id: '4.search',
        figure: 4,
        label: `search p95 (${stored.toLocaleString('en-US')} stored)`,
        value: main.searchP95,
        unit: 'ms',
        target: { op: '<=', value: QUERY_P95_TARGET_MS, on: 'value', unit: 'ms' },
        samples: opts.queryRounds * 5,
        repeats: { of: 'thirds of the query rounds', values: main.searchP95Thirds },
      }),
    ];
    const curve: Curve = {
      id: '4.stored',
      figure: 4,
      title: 'Figure 4 vs payments stored',
      columns: [
        { key: 'stored', label: 'payments stored', unit: '' },
        { key: 'transitions', label: 'transitions', unit: '/s' },
        { key: 'listP95', label: 'list p95', unit: 'ms' },
        { key: 'searchP95', label: 'search p95', unit: 'ms' },
      ],
      rows: points.map((p) => ({
        stored: p.stored,
        transitions: Math.round(p.transitionsPerSecond),
        listP95: round(p.listP95),
        searchP95: round(p.searchP95),
      })),
    };
    return {
      metrics,
      curves: curveSizes.length ? [curve] : [],
      inputs: {
        durability: "WAL, synchronous=FULL (durability 'full'), a file in the bench directory",
        fsyncProbe: fsync,
        transitionsPerPayment: 4,
        roundMs: opts.roundMs,
        transitionRounds: main.transitionRounds,
        queryRounds: opts.queryRounds,
        queries: main.byQuery,
        points: points.map((p) => ({ stored: p.stored, seedMs: p.seedMs, fromCache: p.fromCache })),
        ...(profile ? { profile } : {}),
      },
      notes: [
        `No floor: absolute figures, reported with the fsync latency of the same disk (${fsyncText}).`,
        'One commit per transition; a transition is on disk before the next one starts.',
      ],
    };
  },
};
