/** Verdicts, ratios, the JSON shape and the table of the bench report (no benchmark runs here). */
import { describe, expect, it } from 'vitest';
import { parseBenchArgs, parseFigureList, DEFAULT_JSON_PATH, USAGE } from './args';
import type { MachineFacts, NoiseFacts } from './machine';
import {
  NOISE_LIMIT,
  REPORT_SCHEMA,
  formatCurves,
  formatMarkdown,
  formatTable,
  judge,
  mergeRepeats,
  metric,
  summarizeFigures,
  validateReport,
  type BenchReport,
  type FigureResult,
} from './report';

const machine: MachineFacts = {
  cpuModel: 'Test CPU',
  cores: 2,
  platform: 'linux x64',
  kernel: '6.1',
  nodeVersion: 'v20.0.0',
  v8Version: '11',
  sqliteVersion: '3.50.0',
  totalMemoryMb: 1024,
  freeMemoryMb: 512,
  loadAverage: [0.5, 0.4, 0.3],
  durability: { journal: 'FULL', sandbox: 'OFF' },
  benchDir: { path: '/tmp/x', filesystem: 'ext4' },
  fsyncProbe: { samples: 10, p50Ms: 0.2, p95Ms: 0.4 },
};
const noise: NoiseFacts = {
  loadAverageStart: 0.5,
  loadAverageEnd: 0.6,
  machineBusy: 0.5,
  ownShare: 0.4,
  othersShare: 0.1,
  steal: 0,
};

function figureOne(): FigureResult {
  return {
    figure: 1,
    title: 'Payment through the host',
    metrics: [
      metric({
        id: '1.p50',
        figure: 1,
        label: 'p50',
        value: 10.5,
        unit: 'ms',
        floor: { description: 'bare fetch', value: 10, unit: 'ms' },
        target: { op: '<=', value: 1.1, on: 'ratio', unit: '×' },
        samples: 200,
      }),
    ],
    curves: [
      {
        id: '1.stored',
        figure: 1,
        title: 'vs stored',
        columns: [
          { key: 'stored', label: 'stored', unit: '' },
          { key: 'ratio', label: 'ratio', unit: '×' },
        ],
        rows: [
          { stored: 1000, ratio: 1.05 },
          { stored: 10000, ratio: 1.2 },
        ],
      },
    ],
    inputs: { payments: 200 },
    notes: [],
    elapsedMs: 1000,
  };
}

function report(figures: FigureResult[]): BenchReport {
  return {
    schema: REPORT_SCHEMA,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    elapsedMs: 60_000,
    options: { quick: true, only: [1], profile: false, repeat: 1, argv: ['--quick'] },
    machine: structuredClone(machine),
    noise: { ...noise },
    figures,
    summary: summarizeFigures(figures),
  };
}

describe('verdicts', () => {
  it('an upper bound is met at or below it, with the room as a factor', () => {
    expect(judge(1.05, { op: '<=', value: 1.1 })).toEqual({ verdict: 'met', headroom: 1.048 });
    expect(judge(1.1, { op: '<=', value: 1.1 }).verdict).toBe('met');
    expect(judge(2.2, { op: '<=', value: 1.1 })).toEqual({ verdict: 'missed', headroom: 0.5 });
    expect(judge(0, { op: '<=', value: 20 })).toEqual({ verdict: 'met', headroom: null });
  });

  it('a lower bound is met at or above it', () => {
    expect(judge(0.54, { op: '>=', value: 0.4 })).toEqual({ verdict: 'met', headroom: 1.35 });
    expect(judge(1945, { op: '>=', value: 2000 }).verdict).toBe('missed');
    expect(judge(2000, { op: '>=', value: 2000 }).verdict).toBe('met');
  });

  it('a metric divides by its floor and judges the ratio or the value, as its target says', () => {
    const byRatio = metric({
      id: '3.rps',
      figure: 3,
      label: 'rps',
      value: 1300,
      unit: 'req/s',
      floor: { description: 'bare', value: 2600, unit: 'req/s' },
      target: { op: '>=', value: 0.4, on: 'ratio', unit: '×' },
      samples: 5,
    });
    expect(byRatio).toMatchObject({ ratio: 0.5, verdict: 'met', headroom: 1.25 });
    const byValue = metric({
      id: '6.growth',
      figure: 6,
      label: 'growth',
      value: 14,
      unit: 'MB',
      floor: { description: 'RSS', value: 140, unit: 'MB' },
      target: { op: '<=', value: 10, on: 'value', unit: 'MB' },
      samples: 10,
    });
    // The ratio is shown (growth / RSS) but the target bounds the growth itself.
    expect(byValue).toMatchObject({ ratio: 0.1, verdict: 'missed' });
    const absolute = metric({
      id: '4.list',
      figure: 4,
      label: 'list',
      value: 0.8,
      unit: 'ms',
      target: { op: '<=', value: 20, on: 'value', unit: 'ms' },
      samples: 100,
    });
    expect(absolute).toMatchObject({ floor: null, ratio: null, verdict: 'met', headroom: 25 });
  });

  it('a ratio target without a floor is a programming error', () => {
    expect(() =>
      metric({
        id: '1.p50',
        figure: 1,
        label: 'x',
        value: 1,
        unit: 'ms',
        target: { op: '<=', value: 1.1, on: 'ratio', unit: '×' },
        samples: 1,
      }),
    ).toThrow(/needs a floor/);
  });

  it('an added-time target bounds the value minus its floor (figure 7: ms the app adds)', () => {
    const added = (value: number, floor: number) =>
      metric({
        id: '7.reader.p99',
        figure: 7,
        label: 'Enter → reader, p99',
        value,
        unit: 'ms',
        floor: { description: 'bare calls', value: floor, unit: 'ms' },
        target: { op: '<=', value: 15, on: 'added', unit: 'ms' },
        samples: 240,
      });
    // 3× its floor, yet only 10 ms added: met, with the room on the added time.
    expect(added(15, 5)).toMatchObject({ ratio: 3, targetVerdict: 'met', verdict: 'met', headroom: 1.5 });
    expect(added(25.5, 10)).toMatchObject({ targetVerdict: 'missed', headroom: 0.968 });
    // Faster than the floor (noise): nothing added, infinite room.
    expect(added(4, 5)).toMatchObject({ targetVerdict: 'met', headroom: null });
    expect(() =>
      metric({
        id: '7.x',
        figure: 7,
        label: 'x',
        value: 1,
        unit: 'ms',
        target: { op: '<=', value: 15, on: 'added', unit: 'ms' },
        samples: 1,
      }),
    ).toThrow(/needs a floor/);
  });
});

describe('the JSON report', () => {
  it('a sound report has no problems and survives a JSON round trip', () => {
    const r = JSON.parse(JSON.stringify(report([figureOne()]))) as unknown;
    expect(validateReport(r)).toEqual([]);
    expect(summarizeFigures([figureOne()])).toEqual({ metrics: 1, met: 1, missed: 0, noisy: 0, failedFigures: [] });
  });

  it('catches a verdict that contradicts the numbers', () => {
    const bad = report([figureOne()]);
    bad.figures[0]!.metrics[0]!.verdict = 'missed';
    bad.summary = summarizeFigures(bad.figures);
    expect(validateReport(bad).join('\n')).toMatch(/verdict missed contradicts 1.05 <= 1.1/);
    const badTarget = report([figureOne()]);
    badTarget.figures[0]!.metrics[0]!.targetVerdict = 'missed';
    expect(validateReport(badTarget).join('\n')).toMatch(/targetVerdict missed contradicts 1.05 <= 1.1/);
  });

  it('catches a ratio that is not value / floor, and a floor that cannot be divided by', () => {
    const bad = report([figureOne()]);
    bad.figures[0]!.metrics[0]!.ratio = 2;
    expect(validateReport(bad).join('\n')).toMatch(/ratio 2 is not value\/floor/);
    const zero = report([figureOne()]);
    zero.figures[0]!.metrics[0]!.floor!.value = 0;
    expect(validateReport(zero).join('\n')).toMatch(/floor malformed/);
  });

  it('catches missing machine facts, duplicate figures, empty figures and a stale summary', () => {
    const r = report([figureOne(), figureOne(), { ...figureOne(), figure: 2, metrics: [] }]) as unknown as Record<
      string,
      unknown
    >;
    delete (r.machine as Record<string, unknown>).sqliteVersion;
    r.summary = { metrics: 0, met: 0, missed: 0, noisy: 0, failedFigures: [] };
    const problems = validateReport(r).join('\n');
    expect(problems).toMatch(/machine.sqliteVersion missing/);
    expect(problems).toMatch(/figure 1 appears twice/);
    expect(problems).toMatch(/figures\[2\] has neither metrics nor an error/);
    expect(problems).toMatch(/summary does not match/);
    expect(validateReport(null)).toEqual(['report is not an object']);
  });

  it('a figure that could not be measured is reported as such, not as a pass', () => {
    const failed: FigureResult = {
      figure: 2,
      title: 'Concert',
      metrics: [],
      curves: [],
      inputs: {},
      notes: [],
      elapsedMs: 1,
      error: 'socat is not installed',
    };
    const r = report([figureOne(), failed]);
    expect(validateReport(r)).toEqual([]);
    expect(r.summary.failedFigures).toEqual([2]);
    expect(formatTable(r.figures)).toMatch(/NOT MEASURED: socat is not installed/);
  });

  it('an added-time verdict is checked against value − floor', () => {
    const f = figureOne();
    f.figure = 7;
    f.metrics = [
      metric({
        id: '7.approved.p99',
        figure: 7,
        label: 'approved → screen, p99',
        value: 30,
        unit: 'ms',
        floor: { description: 'bare calls', value: 10, unit: 'ms' },
        target: { op: '<=', value: 15, on: 'added', unit: 'ms' },
        samples: 240,
      }),
    ];
    f.curves = [];
    expect(validateReport(report([f]))).toEqual([]);
    const wrong = structuredClone(report([f]));
    wrong.figures[0]!.metrics[0]!.targetVerdict = 'met';
    wrong.figures[0]!.metrics[0]!.verdict = 'met';
    wrong.summary = summarizeFigures(wrong.figures);
    expect(validateReport(wrong).join('\n')).toMatch(/targetVerdict met contradicts 20 <= 15/);
  });

  it('the curves need an x column, a series and a value for every column', () => {
    const f = figureOne();
    f.curves[0]!.rows.push({ stored: 100000 });
    expect(validateReport(report([f])).join('\n')).toMatch(/rows\[2\] lacks ratio/);
  });
});

describe('repeated runs', () => {
  const run = (ratioValue: number, list: number): FigureResult => ({
    ...figureOne(),
    metrics: [
      metric({
        id: '1.p50',
        figure: 1,
        label: 'p50',
        value: ratioValue * 10,
        unit: 'ms',
        floor: { description: 'bare', value: 10, unit: 'ms' },
        target: { op: '<=', value: 1.1, on: 'ratio', unit: '×' },
        samples: 200,
      }),
      metric({
        id: '1.x',
        figure: 1,
        label: 'x',
        value: list,
        unit: '/s',
        target: { op: '>=', value: 2000, on: 'value', unit: '/s' },
        samples: 5,
      }),
    ],
  });

  it('takes each metric from its median run, and the worse middle run of an even count', () => {
    const merged = mergeRepeats([run(1.2, 2100), run(1.0, 1900), run(1.05, 2500)]);
    // Both spreads exceed 15 % (19 % and 29 %): noisy, though each median run meets its target.
    expect(merged.metrics.map((m) => [m.id, m.ratio ?? m.value, m.targetVerdict, m.verdict])).toEqual([
      ['1.p50', 1.05, 'met', 'noisy'],
      ['1.x', 2100, 'met', 'noisy'],
    ]);
    expect(merged.inputs.repeats).toEqual({ '1.p50': [1.2, 1, 1.05], '1.x': [2100, 1900, 2500] });
    const even = mergeRepeats([run(1.0, 1900), run(1.2, 2100)]);
    expect(even.metrics.map((m) => m.ratio ?? m.value)).toEqual([1.2, 1900]);
    expect(validateReport(report([merged]))).toEqual([]);
  });

  it('the spread of merged runs is over the runs, and a spread past 15 % makes the metric noisy', () => {
    // 1.p50: ratios 1.2, 1.0, 1.05 → (1.2 − 1.0) / 1.05 = 19 % → noisy, though 1.05 meets ≤ 1.1.
    // 1.x: 2100, 1900, 2000 → 200 / 2000 = 10 % → judged: met.
    const merged = mergeRepeats([run(1.2, 2100), run(1.0, 1900), run(1.05, 2000)]);
    const [p50, x] = merged.metrics;
    expect(p50!.spread).toEqual({
      of: '3 runs of the figure',
      repeats: 3,
      min: 1,
      median: 1.05,
      max: 1.2,
      relative: 0.1905,
    });
    expect([p50!.verdict, p50!.targetVerdict]).toEqual(['noisy', 'met']);
    expect(x!.spread).toMatchObject({ repeats: 3, relative: 0.1 });
    expect([x!.verdict, x!.targetVerdict]).toEqual(['met', 'met']);
    const r = report([merged]);
    expect(r.summary).toMatchObject({ metrics: 2, met: 1, missed: 0, noisy: 1 });
    expect(validateReport(r)).toEqual([]);
  });

  it('a single run or failed runs pass through (keeping the spread within the run)', () => {
    const one = run(1, 2000);
    expect(mergeRepeats([one])).toBe(one);

    const failed: FigureResult = { ...one, metrics: [], error: 'x' };
    expect(mergeRepeats([failed, one])).toBe(one);
    expect(mergeRepeats([failed])).toBe(failed);
  });
});

describe('the printed table', () => {
  it('shows value, floor, ratio, target and verdict, with the room or the overrun', () => {
    const missed = figureOne();
    missed.metrics.push(
      metric({
        id: '1.p99',
        figure: 1,
        label: 'p99',
        value: 30,
        unit: 'ms',
        floor: { description: 'bare', value: 15, unit: 'ms' },
        target: { op: '<=', value: 1.1, on: 'ratio', unit: '×' },
        samples: 200,
      }),
    );
    const table = formatTable([missed]);
    expect(table.split('\n')[0]).toMatch(/#\s+figure\s+value\s+floor\s+ratio\s+spread\s+target\s+verdict/);
    expect(table).toMatch(/1\.p50\s+p50\s+10\.5 ms\s+10 ms\s+1\.05×\s+—\s+≤ 1\.1×\s+met \(1\.048× room\)/);
    expect(table).toMatch(/1\.p99 .*2×\s+—\s+≤ 1\.1×\s+MISSED \(1\.818× over\)/);
    expect(formatCurves([missed])).toMatch(/vs stored\nstored\s+ratio \(×\)\n1,000\s+1\.05/);
    expect(formatMarkdown([missed])).toMatch(/\| 1\.p50 \| p50 \| 10\.5 ms \| 10 ms \| 1\.05× \| — \| ≤ 1\.1× \| met/);
  });

  it('an added-time target reads as "over the floor" with the ms added; a breakdown names its rows', () => {
    const f: FigureResult = {
      figure: 7,
      title: 'cashier',
      metrics: [
        metric({
          id: '7.reader.p50',
          figure: 7,
          label: 'Enter → reader, p50',
          value: 20,
          unit: 'ms',
          floor: { description: 'bare calls', value: 8, unit: 'ms' },
          target: { op: '<=', value: 15, on: 'added', unit: 'ms' },
          samples: 240,
        }),
        metric({
          id: '7.reader.p99',
          figure: 7,
          label: 'Enter → reader, p99',
          value: 40,
          unit: 'ms',
          floor: { description: 'bare calls', value: 15, unit: 'ms' },
          target: { op: '<=', value: 15, on: 'added', unit: 'ms' },
          samples: 240,
        }),
      ],
      curves: [
        {
          id: '7.reader',
          figure: 7,
          title: 'breakdown',
          columns: [
            { key: 'part', label: 'part', unit: '' },
            { key: 'p50', label: 'p50', unit: 'ms' },
          ],
          rows: [
            { part: 'bridge', p50: 1.5 },
            { part: 'floor', p50: null },
          ],
        },
      ],
      inputs: {},
      notes: [],
      elapsedMs: 1,
    };
    const table = formatTable([f]);
    expect(table).toMatch(/7\.reader\.p50 .*2\.5×\s+—\s+≤ \+15 ms over the floor\s+met \(adds 12 ms\)/);
    expect(table).toMatch(/7\.reader\.p99 .*≤ \+15 ms over the floor\s+MISSED \(adds 25 ms\)/);
    expect(formatCurves([f])).toMatch(/breakdown\npart\s+p50 \(ms\)\nbridge\s+1\.5\nfloor\s+—/);
    expect(validateReport(report([f]))).toEqual([]);
  });

  it('shows each spread with its repeat count, and a noisy metric with what it would be', () => {
    const f = figureOne();
    f.metrics = [
      metric({ ...throughput, repeats: { of: 'rounds', values: [0.5, 0.52, 0.51] } }),
      metric({ ...throughput, id: '1.noisy', repeats: { of: 'rounds', values: [0.3, 0.51, 0.5] } }),
    ];
    const table = formatTable([f]);
    expect(table).toMatch(/1\.rps .*0\.51×\s+3\.9 % \(3\)\s+≥ 0\.4×\s+met \(1\.275× room\)/);
    expect(table).toMatch(
      /1\.noisy .*42 % \(3\)\s+≥ 0\.4×\s+NOISY \(spread 42 % > 15 %; would be met \(1\.275× room\)\)/,
    );
    expect(formatMarkdown([f])).toMatch(/\| 42 % \(3\) \| ≥ 0\.4× \| NOISY/);
  });
});

/** A figure-3-like metric: value 0.51 of a floor of 1, at least 0.4×. */
const throughput = {
  id: '1.rps',
  figure: 1 as const,
  label: 'throughput',
  value: 0.51,
  unit: 'req/s',
  floor: { description: 'bare', value: 1, unit: 'req/s' },
  target: { op: '>=' as const, value: 0.4, on: 'ratio' as const, unit: '×' },
  samples: 1000,
};

describe('noise', () => {
  it('a metric carries the spread of its repeats: (max − min) / median', () => {
    const m = metric({ ...throughput, repeats: { of: 'load rounds', values: [0.5, 0.55, 0.51] } });
    expect(m.spread).toEqual({ of: 'load rounds', repeats: 3, min: 0.5, median: 0.51, max: 0.55, relative: 0.098 });
    expect([m.verdict, m.targetVerdict]).toEqual(['met', 'met']);
  });

  it('a spread over 15 % is noisy whether the target was met or missed; 15 % itself is not', () => {
    const wide = metric({ ...throughput, repeats: { of: 'rounds', values: [0.3, 0.51, 0.51] } });
    expect([wide.verdict, wide.targetVerdict]).toEqual(['noisy', 'met']);
    const missed = metric({ ...throughput, value: 0.3, repeats: { of: 'rounds', values: [0.3, 0.2, 0.31] } });
    expect([missed.verdict, missed.targetVerdict]).toEqual(['noisy', 'missed']);
    const edge = metric({ ...throughput, value: 1, repeats: { of: 'rounds', values: [0.9, 1, 1.05] } });
    expect(edge.spread!.relative).toBe(NOISE_LIMIT);
    expect(edge.verdict).toBe('met');
  });

  it('one repeat or none has no spread and cannot be noisy', () => {
    expect(metric(throughput).spread).toBeNull();
    expect(metric({ ...throughput, repeats: { of: 'rounds', values: [0.2] } })).toMatchObject({
      spread: null,
      verdict: 'met',
    });
  });

  it('the summary counts noisy metrics apart from met and missed', () => {
    const f = figureOne();
    f.metrics.push(metric({ ...throughput, repeats: { of: 'rounds', values: [0.1, 0.5, 0.51] } }));
    expect(summarizeFigures([f])).toEqual({ metrics: 2, met: 1, missed: 0, noisy: 1, failedFigures: [] });
  });

  it('the validator catches a noisy spread judged met, a wrong relative spread and a malformed one', () => {
    const f = figureOne();
    f.metrics = [metric({ ...throughput, repeats: { of: 'rounds', values: [0.3, 0.51, 0.5] } })];
    const judgedAnyway = report([f]);
    judgedAnyway.figures[0]!.metrics[0]!.verdict = 'met';
    judgedAnyway.summary = summarizeFigures(judgedAnyway.figures);
    expect(validateReport(judgedAnyway).join('\n')).toMatch(/verdict met: a spread over 15 % is noisy/);

    const wrong = report([f]);
    wrong.figures[0]!.metrics[0]!.spread!.relative = 0.01;
    wrong.figures[0]!.metrics[0]!.verdict = 'met';
    wrong.summary = summarizeFigures(wrong.figures);
    expect(validateReport(wrong).join('\n')).toMatch(/spread\.relative 0\.01 is not \(max − min\) \/ median/);

    const malformed = report([f]) as unknown as { figures: { metrics: Record<string, unknown>[] }[] };
    malformed.figures[0]!.metrics[0]!.spread = { of: 'rounds', repeats: 1 };
    expect(validateReport(malformed).join('\n')).toMatch(/spread malformed/);

    const missing = report([figureOne()]) as unknown as { figures: { metrics: Record<string, unknown>[] }[] };
    delete missing.figures[0]!.metrics[0]!.spread;
    expect(validateReport(missing).join('\n')).toMatch(/spread missing/);
  });
});

describe('command line', () => {
  it('parses the flags', () => {
    expect(parseBenchArgs([])).toEqual({
      kind: 'run',
      args: { json: null, quick: false, only: [1, 2, 3, 4, 5, 6, 7], profile: false, keep: false, repeat: 1 },
    });
    expect(parseBenchArgs(['--quick', '--only', '1,3', '--json'])).toEqual({
      kind: 'run',
      args: { json: DEFAULT_JSON_PATH, quick: true, only: [1, 3], profile: false, keep: false, repeat: 1 },
    });
    expect(parseBenchArgs(['--repeat', '3'])).toMatchObject({ args: { repeat: 3 } });
    expect(parseBenchArgs(['--json', 'out.json', '--profile'])).toMatchObject({
      args: { json: 'out.json', profile: true },
    });
    expect(parseBenchArgs(['--json', '--quick'])).toMatchObject({ args: { json: DEFAULT_JSON_PATH, quick: true } });
    expect(parseBenchArgs(['--json', '-'])).toMatchObject({ args: { json: '-' } });
    expect(parseBenchArgs(['--json=x.json', '--only=4'])).toMatchObject({ args: { json: 'x.json', only: [4] } });
    expect(parseBenchArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it('the usage explains the spread and the noisy verdict', () => {
    expect(USAGE).toMatch(/\(max - min\) \/ median/);
    expect(USAGE).toMatch(/exceeds 15 % is "noisy"/);
    expect(NOISE_LIMIT).toBe(0.15);
  });

  it('refuses unknown flags and figures', () => {
    expect(parseBenchArgs(['--fast'])).toEqual({ kind: 'error', message: 'unknown option --fast' });
    expect(parseBenchArgs(['--only', '8'])).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/no figure "8" \(figures are 1–7\)/),
    });
    expect(parseFigureList('6-7')).toEqual([6, 7]);
    expect(parseBenchArgs(['--only'])).toMatchObject({ kind: 'error' });
    expect(parseBenchArgs(['--repeat', '0'])).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/1 to 9/),
    });
    expect(parseBenchArgs(['--repeat', 'x'])).toMatchObject({ kind: 'error' });
    expect(parseFigureList('3,1,3, 2-4')).toEqual([1, 2, 3, 4]);
    expect(() => parseFigureList(',')).toThrow(/at least one figure/);
    expect(() => parseFigureList('4-2')).toThrow(/empty range/);
  });
});
