/**
 * Figure 3: sandbox create-payment requests per second at 32 requests in flight, against a bare
 * node:http server answering the same JSON (the sandbox's own answer, captured at start), on the
 * same machine with the same load generator. Server and load generator are separate processes
 * (one core each, as far as the shared machine allows). Rounds alternate floor and sandbox; the
 * figure is the median of the per-round ratios. Load curve: 1, 8, 32 and 128 in flight.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWorker, runWorker, newestProfile, type RunningChild } from './child';
import { scaled, scratch, type Figure, type FigureContext } from './context';
import type { LoadResult } from './load';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './profile';
import { metric, type Curve } from './report';
import { median, round } from './stats';

export const THROUGHPUT_TARGET = 0.4;
export const FIGURE_CONCURRENCY = 32;
export const CURVE_CONCURRENCY = [1, 8, 32, 128];

interface ServerReady {
  url: string;
  secretKey: string;
  sample?: { status: number; body: string };
}

export interface ConcurrencyPoint {
  concurrency: number;
  sandbox: LoadResult[];
  bare: LoadResult[];
  ratios: number[];
}

async function measureLevel(
  ctx: FigureContext,
  dir: string,
  concurrency: number,
  rounds: number,
  durationMs: number,
  warmupMs: number,
): Promise<ConcurrencyPoint> {
  const sandbox: RunningChild<ServerReady> = await startWorker<ServerReady>(
    'sandbox-server',
    { db: join(dir, `sandbox-c${concurrency}.db`) },
    { log: ctx.log },
  );
  let bare: RunningChild<ServerReady> | null = null;
  try {
    bare = await startWorker<ServerReady>('bare-server', { answer: sandbox.ready.sample }, { log: ctx.log });
    const load = (url: string, auth: string, prefix: string) =>
      runWorker<LoadResult>(
        'load',
        { url, auth, path: '/v1/terminal/create-payment', concurrency, durationMs, warmupMs, prefix },
        { log: ctx.log, timeoutMs: durationMs + warmupMs + 60_000 },
      );
    const point: ConcurrencyPoint = { concurrency, sandbox: [], bare: [], ratios: [] };
    for (let r = 0; r < rounds; r++) {
      const prefix = `c${concurrency}r${r}`;
      let s: LoadResult;
      let b: LoadResult;
      if (r % 2 === 0) {
        b = await load(bare.ready.url, 'none', `${prefix}b`);
        s = await load(sandbox.ready.url, sandbox.ready.secretKey, `${prefix}s`);
      } else {
        s = await load(sandbox.ready.url, sandbox.ready.secretKey, `${prefix}s`);
        b = await load(bare.ready.url, 'none', `${prefix}b`);
      }
      if (s.errors > 0 || s.completed === 0)
        throw new Error(`sandbox answered errors under load: ${JSON.stringify(s.statuses)}`);
      point.sandbox.push(s);
      point.bare.push(b);
      point.ratios.push(s.perSecond / b.perSecond);
      ctx.log(
        `  fig 3 [${concurrency} in flight] round ${r + 1}/${rounds}: sandbox ${Math.round(s.perSecond)}/s, bare ${Math.round(b.perSecond)}/s`,
      );
    }
    return point;
  } finally {
    await bare?.stop();
    await sandbox.stop();
  }
}

export const figure3: Figure = {
  id: 3,
  title: 'Sandbox create-payment throughput vs bare node:http',
  async run(ctx: FigureContext) {
    const dir = scratch(ctx, 'fig3');
    const durationMs = Math.max(150, Math.round((ctx.quick ? 700 : 2_000) * ctx.scale));
    const warmupMs = Math.max(50, Math.round((ctx.quick ? 200 : 500) * ctx.scale));
    const rounds = scaled(ctx, ctx.quick ? 2 : 3, 1);
    const levels = ctx.scale < 1 ? [FIGURE_CONCURRENCY] : CURVE_CONCURRENCY;
    const points: ConcurrencyPoint[] = [];
    let profile: ProfileSummary | null = null;
    for (const concurrency of levels) {
      const main = concurrency === FIGURE_CONCURRENCY;
      points.push(
        await measureLevel(ctx, dir, concurrency, main ? rounds : Math.max(1, rounds - 1), durationMs, warmupMs),
      );
    }
    if (ctx.profile) profile = await profileSandbox(ctx, dir, durationMs, warmupMs);
    const main = points.find((p) => p.concurrency === FIGURE_CONCURRENCY)!;
    const sandboxRps = median(main.sandbox.map((s) => s.perSecond));
    const ratioMedian = median(main.ratios);
    const metrics = [
      metric({
        id: '3.rps',
        figure: 3,
        label: `sandbox create-payment, ${FIGURE_CONCURRENCY} in flight`,
        // The value shown is the sandbox's median rate; the floor is scaled so value/floor is the
        // median of the per-round ratios (rounds pair a floor run with a sandbox run).
        value: sandboxRps,
        unit: 'req/s',
        floor: {
          description: 'bare node:http answering the same JSON (median round), same load generator',
          value: sandboxRps / ratioMedian,
          unit: 'req/s',
        },
        target: { op: '>=', value: THROUGHPUT_TARGET, on: 'ratio', unit: '×' },
        samples: main.sandbox.reduce((n, s) => n + s.completed, 0),
        repeats: { of: 'load rounds (sandbox and floor back to back)', values: main.ratios },
      }),
    ];
    const curve: Curve = {
      id: '3.concurrency',
      figure: 3,
      title: 'Figure 3 vs requests in flight',
      columns: [
        { key: 'concurrency', label: 'in flight', unit: '' },
        { key: 'sandbox', label: 'sandbox', unit: 'req/s' },
        { key: 'bare', label: 'bare', unit: 'req/s' },
        { key: 'ratio', label: 'ratio', unit: '×' },
        { key: 'sandboxP99', label: 'sandbox p99', unit: 'ms' },
        { key: 'bareP99', label: 'bare p99', unit: 'ms' },
      ],
      rows: points.map((p) => ({
        concurrency: p.concurrency,
        sandbox: Math.round(median(p.sandbox.map((s) => s.perSecond))),
        bare: Math.round(median(p.bare.map((b) => b.perSecond))),
        ratio: round(median(p.ratios)),
        sandboxP99: round(median(p.sandbox.map((s) => s.latencyP99Ms)), 2),
        bareP99: round(median(p.bare.map((b) => b.latencyP99Ms)), 2),
      })),
    };
    return {
      metrics,
      curves: levels.length > 1 ? [curve] : [],
      inputs: {
        endpoint: 'POST /v1/terminal/create-payment with a unique idempotency key per request (like the host)',
        sandbox: 'separate process, fresh file database per level, WAL, synchronous=OFF, no demo data',
        floor:
          "separate process: node:http reads the body and answers the sandbox's captured 201 body with its headers",
        loadGenerator: 'separate process, node:http keep-alive agent, closed loop',
        durationMs,
        warmupMs,
        rounds,
        ratiosAt32: main.ratios.map((r) => round(r)),
        sandboxRpsAt32: main.sandbox.map((s) => Math.round(s.perSecond)),
        bareRpsAt32: main.bare.map((b) => Math.round(b.perSecond)),
        ...(profile ? { profile } : {}),
      },
      notes: ['Floor and sandbox share the machine with the load generator; rounds alternate which goes first.'],
    };
  },
};

/** One extra sandbox run under `--cpu-prof` (not counted in the figure). */
async function profileSandbox(
  ctx: FigureContext,
  dir: string,
  durationMs: number,
  warmupMs: number,
): Promise<ProfileSummary | null> {
  const profileDir = join(ctx.profileDir, 'fig3-sandbox');
  mkdirSync(profileDir, { recursive: true });
  const sandbox = await startWorker<ServerReady>(
    'sandbox-server',
    { db: join(dir, 'sandbox-profile.db') },
    { log: ctx.log, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] },
  );
  try {
    await runWorker<LoadResult>(
      'load',
      {
        url: sandbox.ready.url,
        auth: sandbox.ready.secretKey,
        path: '/v1/terminal/create-payment',
        concurrency: FIGURE_CONCURRENCY,
        durationMs,
        warmupMs,
        prefix: 'profile',
      },
      { log: ctx.log },
    );
  } finally {
    await sandbox.stop();
  }
  const file = newestProfile(profileDir);
  return file ? summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, file) : null;
}
