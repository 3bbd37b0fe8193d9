/**
 * Figure 6: host memory growth over 10 000 payments. The host runs alone in a child process
 * (bundled like the app, `--expose-gc`) against a sandbox in another process, so only the host's
 * memory is counted; its journal is on disk with durability 'full'. Several hosted simulated
 * readers take payments side by side (card time 0) through the same commands as figure 1.
 * RSS is read after a full GC: once after a warm-up (the floor), then every tenth of the run;
 * the figure is the growth from the warm-up RSS to the end.
 */
import { join } from 'node:path';
import { systemClock } from '../../common/clock';
import { createHost } from '../../main/host/host';
import { runWorker, startWorker } from './child';
import { scratch, type Figure, type FigureContext } from './context';
import { PaymentEvents, call, hostPayment, onlineSimulatedReaders } from './payment-drivers';
import { metric, type Curve } from './report';
import { median, round } from './stats';

export const MEMORY_TARGET_MB = 10;

export interface MemoryPoint {
  payments: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

/**
 * Theil–Sen slope of y over x: the median of the slopes between every pair of points. RSS after
 * a GC still jumps by 10 MB or more from one reading to the next (V8 and malloc keep and return
 * pages as they like), so the growth over the run is read off the trend of all the readings,
 * with an estimator a few outlying readings cannot tilt, rather than off the last reading alone.
 */
export function slope(points: readonly { x: number; y: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  if (slopes.length === 0) throw new RangeError('a slope needs at least two distinct x values');
  return median(slopes);
}

export interface MemoryRun {
  base: MemoryPoint;
  points: MemoryPoint[];
  readers: number;
  elapsedMs: number;
  gcAvailable: boolean;
}

/**
 * Memory with nothing in flight: full GCs, then a pause so V8's background threads can hand
 * freed pages back (RSS read right after gc() still counts pages waiting to be unmapped), then
 * another GC and the reading.
 */
async function sample(payments: number): Promise<MemoryPoint> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 150));
  gc?.();
  const usage = process.memoryUsage();
  const mb = (n: number) => round(n / 2 ** 20, 2);
  return {
    payments,
    rssMb: mb(usage.rss),
    heapUsedMb: mb(usage.heapUsed),
    heapTotalMb: mb(usage.heapTotal),
    externalMb: mb(usage.external + usage.arrayBuffers),
  };
}

export async function measureMemory(
  options: {
    gatewayUrl: string;
    secretKey: string;
    dataDir: string;
    payments: number;
    warmup: number;
    readers: number;
    checkpoints: number;
  },
  log: (line: string) => void,
): Promise<MemoryRun> {
  const host = await createHost({
    dataDir: options.dataDir,
    clock: systemClock,
    gateway: { url: options.gatewayUrl, secretKey: options.secretKey },
    tuning: { simulatedProcessingMs: 0, durability: 'full' },
  });
  const events = new PaymentEvents(host);
  try {
    await onlineSimulatedReaders(host, 1);
    for (let i = 1; i < options.readers; i++)
      await call(host, 'readers.addSimulated', { label: `Bench reader ${i + 1}` });
    const readers = await onlineSimulatedReaders(host, options.readers);
    // Payments run in chunks, all readers side by side; memory is read between chunks, when
    // no payment is in flight, so every reading sees the host in the same state.
    const runPayments = async (count: number) => {
      let next = 0;
      await Promise.all(
        readers.map(async (reader) => {
          while (next < count) {
            next++;
            await hostPayment(host, events, reader.id);
          }
        }),
      );
    };
    await runPayments(options.warmup);
    const base = await sample(0);
    log(`  fig 6: after ${options.warmup} warm-up payments RSS ${base.rssMb} MB, heap ${base.heapUsedMb} MB`);
    const points: MemoryPoint[] = [];
    const chunk = Math.max(1, Math.floor(options.payments / options.checkpoints));
    const started = performance.now();
    let done = 0;
    let paused = 0;
    while (done < options.payments) {
      const n = Math.min(chunk, options.payments - done);
      await runPayments(n);
      done += n;
      const pauseStarted = performance.now();
      const point = await sample(done);
      paused += performance.now() - pauseStarted;
      points.push(point);
      log(`  fig 6: ${done} payments, RSS ${point.rssMb} MB, heap ${point.heapUsedMb} MB`);
    }
    const elapsedMs = performance.now() - started - paused;
    return {
      base,
      points,
      readers: options.readers,
      elapsedMs,
      gcAvailable: typeof (globalThis as { gc?: unknown }).gc === 'function',
    };
  } finally {
    events.close();
    await host.close();
  }
}

interface SandboxReady {
  url: string;
  secretKey: string;
}

export const figure6: Figure = {
  id: 6,
  title: 'Host memory growth over 10 000 payments',
  async run(ctx: FigureContext) {
    const dir = scratch(ctx, 'fig6');
    const payments = ctx.scale < 1 ? Math.max(8, Math.round(10_000 * ctx.scale)) : ctx.quick ? 1_500 : 10_000;
    const warmup = ctx.scale < 1 ? 4 : ctx.quick ? 300 : 500;
    const readers = 4;
    const sandbox = await startWorker<SandboxReady>(
      'sandbox-server',
      { db: join(dir, 'sandbox.db') },
      { log: ctx.log },
    );
    let run: MemoryRun;
    try {
      run = await runWorker<MemoryRun>(
        'memory',
        {
          gatewayUrl: sandbox.ready.url,
          secretKey: sandbox.ready.secretKey,
          dataDir: join(dir, 'host'),
          payments,
          warmup,
          readers,
          checkpoints: 20,
        },
        { log: ctx.log, nodeArgs: ['--expose-gc'], timeoutMs: 900_000 },
      );
    } finally {
      await sandbox.stop();
    }
    const end = run.points[run.points.length - 1]!;
    const series = [run.base, ...run.points];
    // The trend of RSS over the run, times the run's length: what 10 000 payments add.
    const growth = slope(series.map((p) => ({ x: p.payments, y: p.rssMb }))) * payments;
    const heapGrowth = slope(series.map((p) => ({ x: p.payments, y: p.heapUsedMb }))) * payments;
    const curve: Curve = {
      id: '6.payments',
      figure: 6,
      title: 'Figure 6: host memory (after GC) vs payments since warm-up',
      columns: [
        { key: 'payments', label: 'payments', unit: '' },
        { key: 'rss', label: 'RSS', unit: 'MB' },
        { key: 'heapUsed', label: 'heap used', unit: 'MB' },
        { key: 'heapTotal', label: 'heap total', unit: 'MB' },
        { key: 'external', label: 'external', unit: 'MB' },
      ],
      rows: series.map((p) => ({
        payments: p.payments,
        rss: p.rssMb,
        heapUsed: p.heapUsedMb,
        heapTotal: p.heapTotalMb,
        external: p.externalMb,
      })),
    };
    return {
      metrics: [
        metric({
          id: '6.growth',
          figure: 6,
          label: `host RSS growth over ${payments.toLocaleString('en-US')} payments (trend)`,
          value: growth,
          unit: 'MB',
          floor: { description: `RSS after ${warmup} warm-up payments (after GC)`, value: run.base.rssMb, unit: 'MB' },
          target: { op: '<=', value: MEMORY_TARGET_MB, on: 'value', unit: 'MB' },
          samples: run.points.length,
        }),
      ],
      curves: [curve],
      inputs: {
        payments,
        warmup,
        readers,
        rssEndMinusWarmupMb: round(end.rssMb - run.base.rssMb, 2),
        rssRangeMb: [
          round(Math.min(...series.map((p) => p.rssMb)), 1),
          round(Math.max(...series.map((p) => p.rssMb)), 1),
        ],
        heapUsedGrowthMb: round(heapGrowth, 2),
        elapsedMs: Math.round(run.elapsedMs),
        paymentsPerSecond: round((payments / run.elapsedMs) * 1000, 1),
        gc: run.gcAvailable
          ? 'readings between chunks of payments, nothing in flight: gc() twice, 150 ms pause, gc() (--expose-gc)'
          : 'no forced GC',
        host: "child process, journal on disk (durability 'full'), against a sandbox in another process",
      },
      notes: [
        'The ratio column is growth / RSS after warm-up; the target bounds the growth itself.',
        'Growth = Theil–Sen slope of RSS (after GC) over the run × payments: single readings move by 10 MB or more either way.',
        'No spread: one run (a second would not fit the bench’s time budget); the trend over 20 readings is what keeps one disturbed reading from deciding it. --repeat does not repeat it either.',
      ],
    };
  },
};
