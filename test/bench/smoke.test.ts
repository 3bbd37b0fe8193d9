/**
 * Tiny runs of the bench's machinery, asserting structure, never speed: the floor of figure 1
 * makes the same HTTP calls as the host; figure 4 through the runner (child process, bundle,
 * JSON report) produces a report that validates; figure 7 drives the real renderer in Chromium
 * (skipped where Chromium or the build is missing, a failure under CI=true, as the e2e suites).
 * Sample counts are a handful.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { e2eAvailable, ROOT } from '../e2e/harness';
import { PATH1_PARTS, PATH2_PARTS } from './cashier-timeline';
import { removeWorkerBundle } from './child';
import { runPaymentComparison } from './fig1-payments';
import { cashierFigure, runCashier } from './fig7-cashier';
import { slope } from './fig6-memory';
import { normalizePath } from './payment-drivers';
import { REPORT_SCHEMA, summarizeFigures, validateReport, type FigureResult } from './report';
import { printReport, runBench } from './run';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await removeWorkerBundle();
});

describe('figure 1 machinery', () => {
  it('the floor makes exactly the HTTP calls the host makes for a payment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-fig1-'));
    dirs.push(dir);
    const run = await runPaymentComparison({
      dir,
      stored: 0,
      payments: 3,
      block: 3,
      warmup: 1,
      // As the app runs for money: the fsync count below is of real synced commits.
      durability: 'full',
      profile: { enabled: false, dir, name: '' },
      log: () => undefined,
      countStatements: true,
    });
    expect(run.host).toHaveLength(3);
    // The figure's fsync count (1.fsyncs): the durable points, intents and outcomes.
    expect(run.fsyncsPerPayment).toEqual({ automatic: 4, manualThenCapture: 6 });
    expect(run.journalPerPayment?.commits).toBeGreaterThan(6);
    expect(run.floor).toHaveLength(3);
    for (const t of [...run.host, ...run.floor]) expect(t).toBeGreaterThan(0);
    // The host's background refresh of cloud readers is not part of a payment.
    const { 'GET /v1/terminal/readers': _background, ...host } = run.callsPerPayment.host;
    expect(host).toEqual(run.callsPerPayment.floor);
    expect(run.callsPerPayment.floor).toEqual({
      'GET /v1/terminal/link/poll': 2,
      'POST /v1/terminal/create-payment': 1,
      'POST /v1/terminal/link/actions/{id}/result': 1,
      'POST /v1/terminal/process-payment': 1,
      'POST /v1/transactions/{id}/capture': 1,
    });
  }, 60_000);

  it('normalizes ids in paths so calls group by endpoint', () => {
    expect(normalizePath('/v1/transactions/019c3770-a922-7219-a12d-7297ae5bfbc3/capture')).toBe(
      '/v1/transactions/{id}/capture',
    );
    expect(normalizePath('/v1/terminal/link/actions/act_abc123/result')).toBe('/v1/terminal/link/actions/{id}/result');
    expect(normalizePath('/v1/terminal/link/poll')).toBe('/v1/terminal/link/poll');
  });
});

describe('figure 6 trend', () => {
  it('reads the growth off the trend, which a few outlying readings cannot tilt', () => {
    expect(
      slope([
        { x: 0, y: 100 },
        { x: 1000, y: 101 },
        { x: 2000, y: 102 },
      ]),
    ).toBeCloseTo(0.001, 12);
    const flatWithJumps = [100, 112, 99, 101, 100, 130, 100, 101, 99, 100].map((y, i) => ({ x: i * 1000, y }));
    expect(Math.abs(slope(flatWithJumps) * 10_000)).toBeLessThan(2);
    expect(() => slope([{ x: 1, y: 1 }])).toThrow(RangeError);
  });
});

describe('the runner', () => {
  it('runs one small figure end to end and returns a report that validates', async () => {
    const lines: string[] = [];
    const report = await runBench(
      { json: null, quick: true, only: [4], profile: false, keep: false, repeat: 1 },
      ['--quick', '--only', '4'],
      (line) => lines.push(line),
      0.01,
    );
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(report.figures.map((f) => f.figure)).toEqual([4]);
    const figure = report.figures[0]!;
    expect(figure.error).toBeUndefined();
    expect(figure.metrics.map((m) => m.id)).toEqual(['4.transitions', '4.list', '4.search']);
    // A tiny run is as noisy as it gets: any verdict, but each metric says what it was measured over.
    for (const m of figure.metrics) {
      expect(['met', 'missed', 'noisy']).toContain(m.verdict);
      expect(['met', 'missed']).toContain(m.targetVerdict);
      expect(m.spread === null || m.spread.repeats >= 2).toBe(true);
    }
    expect(figure.metrics[1]!.spread).toMatchObject({ of: 'thirds of the query rounds', repeats: 3 });
    expect(report.machine.sqliteVersion).toMatch(/^3\./);
    expect(report.machine.fsyncProbe.samples).toBeGreaterThan(0);
    expect(printReport(report)).toMatch(/4\.transitions/);
  }, 120_000);
});

describe.skipIf(!e2eAvailable())('figure 7 machinery (Chromium, web mode)', () => {
  it('times both paths through the real renderer, breaks them down and makes a report that validates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-fig7-'));
    dirs.push(dir);
    const run = await runCashier({
      dir,
      staticDir: join(ROOT, 'out/renderer'),
      payments: 3,
      block: 3,
      warmup: 1,
      profile: { enabled: false, dir, name: '' },
      log: () => undefined,
    });
    expect(run.path1).toHaveLength(3);
    expect(run.path2).toHaveLength(3);
    expect(run.floor.toReader).toHaveLength(3);
    expect(run.floor.toApproved).toHaveLength(3);
    expect(run.chromium).toMatch(/^\d+\./);
    // Each path is cut into parts that add up to it; the journal was written on both.
    for (const [paths, parts] of [
      [run.path1, PATH1_PARTS],
      [run.path2, PATH2_PARTS],
    ] as const) {
      for (const p of paths) {
        expect(p.total).toBeGreaterThan(0);
        const sum = parts.reduce((a, part) => a + (p.parts as Record<string, number>)[part]!, 0);
        expect(sum).toBeCloseTo(p.total, 6);
        expect(p.commits).toBeGreaterThan(0);
      }
    }
    // The bridge's own messages bound the clocks' offset (a one-way time is never negative).
    expect(run.clocks.bridgeBound.low).toBeLessThanOrEqual(run.clocks.bridgeBound.high);
    const figure: FigureResult = {
      figure: 7,
      title: 'cashier',
      elapsedMs: 1,
      ...cashierFigure(run, { payments: 3, block: 3, warmup: 1 }),
    };
    expect(figure.metrics.map((m) => m.id)).toEqual([
      '7.reader.p50',
      '7.reader.p99',
      '7.approved.p50',
      '7.approved.p99',
    ]);
    const report = JSON.parse(
      JSON.stringify({
        schema: REPORT_SCHEMA,
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        elapsedMs: 1,
        options: { quick: true, only: [7], profile: false, repeat: 1, argv: [] },
        machine: {
          cpuModel: 'x',
          cores: 2,
          nodeVersion: 'v20',
          sqliteVersion: '3',
          freeMemoryMb: 1,
          loadAverage: [0, 0, 0],
          durability: {},
        },
        noise: {},
        figures: [figure],
        summary: summarizeFigures([figure]),
      }),
    ) as unknown;
    expect(validateReport(report)).toEqual([]);
  }, 120_000);
});
