/**
 * `npm run bench`: the performance figures of issues #6 and #14, each against a floor measured in
 * the same run (or absolute where the issue says so), with the machine's facts.
 * Prints the table and the load curves; `--json` writes the same figures as JSON.
 * Loopback only (every server binds 127.0.0.1 on port 0) and bounded in time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseBenchArgs, USAGE, type BenchArgs } from './args';
import { removeWorkerBundle } from './child';
import type { Figure, FigureContext } from './context';
import { figure1 } from './fig1-payments';
import { figure2 } from './fig2-concert';
import { figure3 } from './fig3-throughput';
import { figure4 } from './fig4-journal';
import { figure5 } from './fig5-startup';
import { figure6 } from './fig6-memory';
import { figure7 } from './fig7-cashier';
import { machineFacts, watchNoise } from './machine';
import {
  NOISE_LIMIT,
  REPORT_SCHEMA,
  formatCurves,
  formatTable,
  mergeRepeats,
  summarizeFigures,
  validateReport,
  type BenchReport,
  type FigureResult,
} from './report';

export const FIGURES: readonly Figure[] = [figure1, figure2, figure3, figure4, figure5, figure6, figure7];

export async function runFigure(figure: Figure, ctx: FigureContext): Promise<FigureResult> {
  const started = performance.now();
  try {
    const result = await figure.run(ctx);
    return { figure: figure.id, title: figure.title, ...result, elapsedMs: Math.round(performance.now() - started) };
  } catch (error) {
    ctx.log(`figure ${figure.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return {
      figure: figure.id,
      title: figure.title,
      metrics: [],
      curves: [],
      inputs: {},
      notes: [],
      elapsedMs: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

export async function runBench(
  args: BenchArgs,
  argv: readonly string[],
  log: (line: string) => void,
  scale = 1,
): Promise<BenchReport> {
  const root = resolve('.bench');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(resolve(root, 'run-'));
  const startedAt = new Date();
  const started = performance.now();
  const noise = watchNoise();
  const machine = machineFacts(dir);
  const ctx: FigureContext = {
    quick: args.quick,
    profile: args.profile,
    dir,
    profileDir: resolve(root, 'profiles'),
    log,
    scale,
  };
  const figures: FigureResult[] = [];
  try {
    for (const figure of FIGURES.filter((f) => args.only.includes(f.id))) {
      const times = figure.id === 6 ? 1 : args.repeat;
      const runs: FigureResult[] = [];
      for (let i = 0; i < times; i++) {
        log(`figure ${figure.id}: ${figure.title}${times > 1 ? ` (run ${i + 1} of ${times})` : ''}…`);
        const result = await runFigure(figure, ctx);
        log(`figure ${figure.id} done in ${(result.elapsedMs / 1000).toFixed(1)} s`);
        runs.push(result);
      }
      figures.push(mergeRepeats(runs));
    }
  } finally {
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
    else log(`scratch directory kept: ${dir}`);
    if (!args.keep && !args.profile) await removeWorkerBundle();
  }
  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    elapsedMs: Math.round(performance.now() - started),
    options: { quick: args.quick, only: args.only, profile: args.profile, repeat: args.repeat, argv: [...argv] },
    machine,
    noise: noise.stop(),
    figures,
    summary: summarizeFigures(figures),
  };
  const problems = validateReport(JSON.parse(JSON.stringify(report)));
  if (problems.length) throw new Error(`the bench produced a malformed report:\n  ${problems.join('\n  ')}`);
  return report;
}

function describeMachine(report: BenchReport): string {
  const m = report.machine;
  const n = report.noise;
  const pct = (v: number | null) => (v === null ? '?' : `${Math.round(v * 100)} %`);
  return [
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.freeMemoryMb} MB free, Node ${m.nodeVersion}, SQLite ${m.sqliteVersion}, ${m.benchDir.filesystem}, fsync p50 ${m.fsyncProbe.p50Ms} ms`,
    `noise: load ${n.loadAverageStart} → ${n.loadAverageEnd}; machine busy ${pct(n.machineBusy)} (this bench ${pct(n.ownShare)}, others ${pct(n.othersShare)}, steal ${pct(n.steal)})`,
  ].join('\n');
}

export function printReport(report: BenchReport): string {
  const lines = [formatTable(report.figures), ''];
  const curves = formatCurves(report.figures);
  if (curves) lines.push(curves, '');
  lines.push(describeMachine(report));
  lines.push(
    `${report.summary.met} of ${report.summary.metrics} targets met${report.summary.missed ? `, ${report.summary.missed} missed` : ''}${report.summary.noisy ? `, ${report.summary.noisy} too noisy to judge (spread over ${NOISE_LIMIT * 100} %)` : ''}${
      report.summary.failedFigures.length ? `; figures not measured: ${report.summary.failedFigures.join(', ')}` : ''
    } (${(report.elapsedMs / 1000).toFixed(0)} s)`,
  );
  return lines.join('\n');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const parsed = parseBenchArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`bench: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report = await runBench(parsed.args, argv, log);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (parsed.args.json === '-') process.stdout.write(json);
  else {
    process.stdout.write(`${printReport(report)}\n`);
    if (parsed.args.json) {
      const path = resolve(parsed.args.json);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, json);
      process.stdout.write(`JSON written to ${path}\n`);
    }
  }
  return report.summary.failedFigures.length > 0 ? 1 : 0;
}

// Run only as the entry point (tests import runBench and friends).
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.dirname, 'run.ts')) {
  main().then(
    (code) => {
      process.exitCode = code;
      // Child processes and sockets are closed by each figure; nothing should keep the loop alive,
      // but a stray handle must not hang the CLI.
      setTimeout(() => process.exit(code), 500).unref();
    },
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
