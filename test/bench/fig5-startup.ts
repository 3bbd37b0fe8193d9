/**
 * Figure 5: host cold start (web mode, plain Node) and the renderer bundle's gzipped size.
 *
 * The app is built fresh from the current sources into .bench/out (build.config.ts: the app's
 * own build config, another output directory). Cold start = a new `node .bench/out/main/web.js
 * --port 0 --data-dir DIR --no-discovery --json` process, from spawn to its ready line (the
 * JSON line web mode prints once the host, the embedded sandbox and the web server are up).
 * A preloaded mark (ready-mark.mjs) also records, inside the child, when Node finished booting
 * and when the ready line was written, so the figure splits into Node's boot and the app's part.
 * The figure is the median of several launches on an existing data directory (every launch
 * after the first); the first launch on an empty one (creating databases, pairing the simulated
 * reader) is reported next to it, as the median of three such launches, each on a new directory
 * (the first of them is also the one the later launches reuse). Spread: the later launches in three
 * consecutive thirds (each third's median), and the three first launches.
 *
 * Bundle: every .js file the renderer build emits, gzipped in-process (zlib, level 9).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { scaled, scratch, type Figure, type FigureContext } from './context';
import { BENCH_OUT } from './build-paths';
import { metric } from './report';
import { median, round, split } from './stats';

export const START_TARGET_MS = 400;
export const BUNDLE_TARGET_KB = 200;

export function buildApp(log: (line: string) => void): void {
  const cli = resolve('node_modules/electron-vite/bin/electron-vite.js');
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [cli, 'build', '-c', resolve(import.meta.dirname, 'build.config.ts'), '--logLevel', 'warn'],
    {
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    },
  );
  if (result.status !== 0) throw new Error(`build failed: ${(result.stderr || result.stdout).slice(-2_000)}`);
  log(`  fig 5: built the app into ${BENCH_OUT} in ${Math.round(performance.now() - started)} ms`);
}

export interface BundleFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** Raw and gzipped sizes of the renderer's emitted assets. */
export function bundleSizes(rendererDir: string): { js: BundleFile[]; css: BundleFile[] } {
  const assets = join(rendererDir, 'assets');
  const files = readdirSync(assets).filter((f) => f.endsWith('.js') || f.endsWith('.css'));
  const sized = files.map((file) => {
    const content = readFileSync(join(assets, file));
    return { file, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
  });
  return { js: sized.filter((f) => f.file.endsWith('.js')), css: sized.filter((f) => f.file.endsWith('.css')) };
}

export interface StartSample {
  /** Spawn to the ready line, measured by the parent. */
  spawnToReadyMs: number;
  /** Inside the child: Node's own boot (process start to the preload running). */
  nodeBootMs: number | null;
  /** Inside the child: process start to the ready line being written. */
  processToReadyMs: number | null;
}

const MARK_PREFIX = '@@ready-mark ';

/** One launch of web mode; resolves once it printed its ready line, after stopping it. */
export async function launchWebMode(entry: string, dataDir: string): Promise<StartSample> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      resolve(import.meta.dirname, 'ready-mark.mjs'),
      entry,
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--no-discovery',
      '--json',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stderr = '';
  let marks: { boot: number; ready: number } | null = null;
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith(MARK_PREFIX))
      marks = JSON.parse(line.slice(MARK_PREFIX.length)) as { boot: number; ready: number };
    else stderr = (stderr + line + '\n').slice(-4_000);
  });
  const spawnToReadyMs = await new Promise<number>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode not ready within 20 s: ${stderr}`)), 20_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const at = performance.now() - started;
      try {
        const ready = JSON.parse(line) as { url?: string };
        if (!ready.url) throw new Error('no url');
        resolveReady(at);
      } catch {
        reject(new Error(`web mode printed something other than its JSON ready line: ${line}`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`web mode exited (${code}) before it was ready: ${stderr}`));
    });
  });
  // The mark is written right after the ready line; give stderr a moment to deliver it.
  for (let i = 0; i < 50 && !marks; i++) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
  const m = marks as { boot: number; ready: number } | null;
  return { spawnToReadyMs, nodeBootMs: m ? m.boot : null, processToReadyMs: m ? m.ready : null };
}

export const figure5: Figure = {
  id: 5,
  title: 'Cold start (web mode) and renderer bundle',
  async run(ctx: FigureContext) {
    buildApp(ctx.log);
    const entry = join(BENCH_OUT, 'main', 'web.js');
    if (!existsSync(entry)) throw new Error(`the build did not produce ${entry}`);
    const dataDir = join(scratch(ctx, 'fig5'), 'data');
    const launches = scaled(ctx, ctx.quick ? 4 : 9, 2);
    const first = await launchWebMode(entry, dataDir);
    // Two more first launches, each on a new empty directory: the repeats of the first-launch metric.
    const firsts = [first];
    for (let i = 0; i < 2; i++) firsts.push(await launchWebMode(entry, join(scratch(ctx, 'fig5-first'), 'data')));
    const firstTimes = firsts.map((f) => f.spawnToReadyMs);
    const samples: StartSample[] = [];
    for (let i = 0; i < launches; i++) samples.push(await launchWebMode(entry, dataDir));
    const starts = samples.map((s) => s.spawnToReadyMs);
    const boots = samples.map((s) => s.nodeBootMs).filter((v): v is number => v !== null);
    const readies = samples.map((s) => s.processToReadyMs).filter((v): v is number => v !== null);
    ctx.log(
      `  fig 5: cold start p50 ${median(starts).toFixed(1)} ms (first launches ${firstTimes.map((v) => v.toFixed(1)).join(', ')} ms)`,
    );

    const sizes = bundleSizes(join(BENCH_OUT, 'renderer'));
    const jsGzip = sizes.js.reduce((n, f) => n + f.gzipBytes, 0);
    const jsRaw = sizes.js.reduce((n, f) => n + f.bytes, 0);
    return {
      metrics: [
        metric({
          id: '5.start',
          figure: 5,
          label: 'host cold start to ready (web mode, existing data dir), p50',
          value: median(starts),
          unit: 'ms',
          target: { op: '<=', value: START_TARGET_MS, on: 'value', unit: 'ms' },
          samples: starts.length,
          repeats: { of: 'thirds of the launches (median of each)', values: split(starts, 3).map(median) },
        }),
        metric({
          id: '5.first',
          figure: 5,
          label: 'first launch on an empty data dir, p50',
          value: median(firstTimes),
          unit: 'ms',
          target: { op: '<=', value: START_TARGET_MS, on: 'value', unit: 'ms' },
          samples: firstTimes.length,
          repeats: { of: 'first launches, each on a new data dir', values: firstTimes },
        }),
        metric({
          id: '5.bundle',
          figure: 5,
          label: 'renderer JS bundle, gzipped',
          value: jsGzip / 1024,
          unit: 'KB',
          target: { op: '<=', value: BUNDLE_TARGET_KB, on: 'value', unit: 'KB' },
          samples: sizes.js.length,
        }),
      ],
      curves: [],
      inputs: {
        command: 'node .bench/out/main/web.js --port 0 --data-dir DIR --no-discovery --json (spawn → JSON ready line)',
        launches,
        spawnToReadyMs: starts.map((v) => round(v, 1)),
        nodeBootMsP50: boots.length ? round(median(boots), 1) : null,
        processToReadyMsP50: readies.length ? round(median(readies), 1) : null,
        firstLaunch: {
          spawnToReadyMs: firstTimes.map((v) => round(v, 1)),
          processToReadyMs: firsts.map((f) => (f.processToReadyMs === null ? null : round(f.processToReadyMs, 1))),
        },
        bundle: {
          js: sizes.js.map((f) => ({ ...f, kb: round(f.bytes / 1024, 1), gzipKb: round(f.gzipBytes / 1024, 1) })),
          css: sizes.css.map((f) => ({ ...f, kb: round(f.bytes / 1024, 1), gzipKb: round(f.gzipBytes / 1024, 1) })),
          jsRawKb: round(jsRaw / 1024, 1),
          gzip: 'zlib level 9',
        },
        build: `electron-vite build with the app's config, output in ${BENCH_OUT} (built ${new Date(statSync(entry).mtimeMs).toISOString()})`,
      },
      notes: [
        "Cold start includes Node's own boot, opening the journal and the embedded sandbox's database, and starting the web server.",
      ],
    };
  },
};
