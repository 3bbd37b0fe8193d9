/**
 * The measured code runs in child processes, from a bundle of test/bench/worker.ts built with
 * esbuild at the start of the run: production-shaped JavaScript (tsx's on-the-fly transform adds
 * a `__name()` call to every function it creates, which the shipped build does not have), one
 * process per measurement (figures cannot disturb each other's heap or event loop), and
 * `node --cpu-prof` works on it as on the app.
 *
 * Protocol: the parent runs `node worker.mjs <task> <json options>`; the worker logs to stderr and
 * ends stdout with one line `@@result <json>` (or keeps running, for servers, after a line
 * `@@ready <json>`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { addChildCpuSeconds } from './machine';

export const RESULT_PREFIX = '@@result ';
export const READY_PREFIX = '@@ready ';

const BUILD_DIR = resolve('.bench/build');
let built: Promise<string> | null = null;

/** How the worker bundle was made (reported in the JSON). */
export let workerBuild: 'esbuild bundle' | 'tsx (esbuild unavailable)' = 'esbuild bundle';

/** Bundles test/bench/worker.ts (dependencies stay external, as in the app's build). Once per run. */
export function workerBundle(): Promise<string> {
  built ??= (async () => {
    mkdirSync(BUILD_DIR, { recursive: true });
    // One bundle per bench process, so two runs (or a run and the tests) never rebuild each other's.
    const outfile = join(BUILD_DIR, `worker-${process.pid}.mjs`);
    try {
      const esbuild = await import('esbuild');
      await esbuild.build({
        entryPoints: [resolve(import.meta.dirname, 'worker.ts')],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        sourcemap: 'linked',
        logLevel: 'error',
      });
      workerBuild = 'esbuild bundle';
      return outfile;
    } catch (error) {
      // esbuild comes with tsx; if it is ever missing, run the source through tsx instead.
      workerBuild = 'tsx (esbuild unavailable)';
      void error;
      return resolve(import.meta.dirname, 'worker.ts');
    }
  })();
  return built;
}

/** Removes this process's worker bundle (kept when profiles refer to it). */
export async function removeWorkerBundle(): Promise<void> {
  if (!built) return;
  const entry = await built.catch(() => null);
  built = null;
  if (entry?.endsWith('.mjs')) for (const file of [entry, `${entry}.map`]) rmSync(file, { force: true });
}

function nodeArgs(entry: string, extra: readonly string[]): string[] {
  return entry.endsWith('.ts') ? ['--import', 'tsx', ...extra, entry] : [...extra, entry];
}

export interface WorkerOptions {
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', DIR] or ['--expose-gc']. */
  nodeArgs?: readonly string[];
  log: (line: string) => void;
  /** Kill the worker after this long (the bench is bounded). */
  timeoutMs?: number;
}

/** CPU seconds a live process has used (Linux /proc), or 0 elsewhere. */
export function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat; after "pid (comm) " they are at 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Runs one measurement task in a child and returns its result. */
export async function runWorker<T>(task: string, options: unknown, worker: WorkerOptions): Promise<T> {
  const entry = await workerBundle();
  const child = spawn(process.execPath, [...nodeArgs(entry, worker.nodeArgs ?? []), task, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  relayStderr(child, worker.log);
  let result: T | undefined;
  let cpuSeconds = 0;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line.startsWith(RESULT_PREFIX)) {
      result = JSON.parse(line.slice(RESULT_PREFIX.length)) as T;
      cpuSeconds = processCpuSeconds(child.pid);
    } else if (line.trim()) worker.log(`  [${task}] ${line}`);
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), worker.timeoutMs ?? 300_000);
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', (c) => resolveExit(c)));
  clearTimeout(timeout);
  addChildCpuSeconds(cpuSeconds);
  if (result === undefined) throw new Error(`worker ${task} exited with code ${code} without a result`);
  return result;
}

export interface RunningChild<T> {
  ready: T;
  process: ChildProcess;
  /** SIGTERM, wait for exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** Starts a long-running worker (a server) and waits for its ready line. */
export async function startWorker<T>(task: string, options: unknown, worker: WorkerOptions): Promise<RunningChild<T>> {
  const entry = await workerBundle();
  const child = spawn(process.execPath, [...nodeArgs(entry, worker.nodeArgs ?? []), task, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  relayStderr(child, worker.log);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const ready = await new Promise<T>((resolveReady, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker ${task} not ready in time`));
    }, worker.timeoutMs ?? 30_000);
    lines.on('line', (line) => {
      if (line.startsWith(READY_PREFIX)) {
        clearTimeout(timer);
        resolveReady(JSON.parse(line.slice(READY_PREFIX.length)) as T);
      } else if (line.trim()) worker.log(`  [${task}] ${line}`);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${task} exited (${code}) before it was ready`));
    });
  });
  let stopping: Promise<void> | null = null;
  return {
    ready,
    process: child,
    stop() {
      stopping ??= (async () => {
        addChildCpuSeconds(processCpuSeconds(child.pid));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      })();
      return stopping;
    },
  };
}

function relayStderr(child: ChildProcess, log: (line: string) => void): void {
  const lines = createInterface({ input: child.stderr! });
  lines.on('line', (line) => {
    if (line.trim()) log(`  ${line}`);
  });
}

/** The newest .cpuprofile in a directory (what `node --cpu-prof` just wrote). */
export function newestProfile(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0] ?? null;
}
