/**
 * What a benchmark run produces: metrics (a value, the floor it is divided by, the ratio, the
 * target and the verdict), load curves, and the machine facts, as one JSON document; plus the
 * table `npm run bench` prints. The verdict logic and the JSON shape are tested
 * (test/bench/report.test.ts), so a figure can never print "met" for a missed target.
 */
import type { MachineFacts, NoiseFacts } from './machine';
import { ratio as divide, round, spread as spreadOf } from './stats';

export const REPORT_SCHEMA = 'pos-terminal-bench/2';

export type FigureId = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const FIGURE_IDS: readonly FigureId[] = [1, 2, 3, 4, 5, 6, 7];

export type Comparison = '<=' | '>=';

export interface Target {
  op: Comparison;
  value: number;
  /**
   * Whether the target bounds the ratio (value / floor), the value itself, or what the value adds
   * to its floor (value − floor, in the value's unit).
   */
  on: 'ratio' | 'value' | 'added';
  /** Unit of the bounded quantity: '×' for ratios. */
  unit: string;
}

export interface Floor {
  /** Exactly what the floor is (what was measured to divide by). */
  description: string;
  value: number;
  unit: string;
}

/** Whether the measurement meets its target; `noisy` when its repeats disagree too much to say. */
export type Verdict = 'met' | 'missed' | 'noisy';
/** What the measurement says against the target, noise aside. */
export type TargetVerdict = 'met' | 'missed';

/**
 * A metric whose repeats span more than this fraction of their median ((max − min) / median) is
 * `noisy` instead of met or missed: on a shared machine one disturbed repeat can halve a figure.
 */
export const NOISE_LIMIT = 0.15;

/** The spread of a metric's judged quantity (its ratio, or its value) over repeats of it. */
export interface MetricSpread {
  /** What one repeat is, e.g. "3 load rounds" or "3 thirds of the payments". */
  of: string;
  repeats: number;
  min: number;
  median: number;
  max: number;
  /** (max − min) / |median|. */
  relative: number;
}

export interface Metric {
  /** e.g. "1.p50": figure number, then the metric within the figure. */
  id: string;
  figure: FigureId;
  label: string;
  value: number;
  unit: string;
  floor: Floor | null;
  ratio: number | null;
  target: Target;
  /** `noisy` when spread.relative > NOISE_LIMIT; otherwise targetVerdict. */
  verdict: Verdict;
  /** The measured quantity against the target, whatever the noise. */
  targetVerdict: TargetVerdict;
  /**
   * How far from the target, as a factor: > 1 met with that much room (1.5 = 50 % to spare),
   * < 1 missed. null when the measured quantity is 0 (or, for an added time, less) under an upper
   * bound (infinite room).
   */
  headroom: number | null;
  samples: number;
  /** Spread over repeats of the metric; null when it was measured once (then it cannot be noisy). */
  spread: MetricSpread | null;
}

export interface MetricInput {
  id: string;
  figure: FigureId;
  label: string;
  value: number;
  unit: string;
  floor?: Floor | null;
  target: Target;
  samples: number;
  /**
   * The judged quantity (ratio for a ratio target, value − floor for an added one, else the
   * value) of each repeat, and what one repeat is. Fewer than two values: no spread.
   */
  repeats?: { of: string; values: readonly number[] };
}

/** Whether `measured` satisfies the target, and by what factor. */
export function judge(
  measured: number,
  target: Pick<Target, 'op' | 'value'>,
): { verdict: TargetVerdict; headroom: number | null } {
  if (!Number.isFinite(measured)) throw new RangeError(`cannot judge a non-finite measurement ${measured}`);
  const met = target.op === '<=' ? measured <= target.value : measured >= target.value;
  let headroom: number | null;
  // Nothing (or less than nothing, for an added time) under an upper bound: infinite room.
  if (target.op === '<=') headroom = measured <= 0 ? null : target.value / measured;
  else headroom = target.value === 0 ? null : measured / target.value;
  return { verdict: met ? 'met' : 'missed', headroom: headroom === null ? null : round(headroom, 3) };
}

/** Builds a metric: divides by the floor when there is one and judges the target. */
export function metric(input: MetricInput): Metric {
  const floor = input.floor ?? null;
  const r = floor ? divide(input.value, floor.value) : null;
  if (input.target.on !== 'value' && r === null)
    throw new Error(`metric ${input.id}: a target on the ${input.target.on} needs a floor`);
  // An added time is judged as the JSON shows it: value and floor rounded alike.
  const measured =
    input.target.on === 'ratio'
      ? r!
      : input.target.on === 'added'
        ? round(input.value, 4) - round(floor!.value, 4)
        : input.value;
  const { verdict: targetVerdict, headroom } = judge(measured, input.target);
  const spread = spreadFrom(input.repeats);
  return {
    id: input.id,
    figure: input.figure,
    label: input.label,
    value: round(input.value, 4),
    unit: input.unit,
    floor: floor ? { ...floor, value: round(floor.value, 4) } : null,
    ratio: r === null ? null : round(r, 4),
    target: input.target,
    verdict: verdictOf(targetVerdict, spread),
    targetVerdict,
    headroom,
    samples: input.samples,
    spread,
  };
}

function spreadFrom(repeats: MetricInput['repeats']): MetricSpread | null {
  if (!repeats || repeats.values.length < 2) return null;
  const s = spreadOf(repeats.values);
  return {
    of: repeats.of,
    repeats: s.repeats,
    min: round(s.min, 4),
    median: round(s.median, 4),
    max: round(s.max, 4),
    relative: round(s.relative, 4),
  };
}

/** The verdict a metric shows: noisy when its repeats disagree by more than NOISE_LIMIT. */
export function verdictOf(targetVerdict: TargetVerdict, spread: MetricSpread | null): Verdict {
  return spread !== null && spread.relative > NOISE_LIMIT ? 'noisy' : targetVerdict;
}

/** A load curve: one row per load level (x), one column per measured series. */
export interface Curve {
  id: string;
  figure: FigureId;
  title: string;
  columns: { key: string; label: string; unit: string }[];
  /** The x column may name its rows (e.g. the parts of a breakdown) instead of numbering them. */
  rows: Record<string, number | string | null>[];
}

export interface FigureResult {
  figure: FigureId;
  title: string;
  metrics: Metric[];
  curves: Curve[];
  /** Everything the figure was measured with (counts, durations, modes, paths of profiles). */
  inputs: Record<string, unknown>;
  notes: string[];
  elapsedMs: number;
  /** Set when the figure could not be measured at all (then metrics is empty). */
  error?: string;
}

export interface BenchOptionsRecord {
  quick: boolean;
  only: FigureId[];
  profile: boolean;
  repeat: number;
  argv: string[];
}

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  startedAt: string;
  finishedAt: string;
  elapsedMs: number;
  options: BenchOptionsRecord;
  machine: MachineFacts;
  noise: NoiseFacts;
  figures: FigureResult[];
  summary: { metrics: number; met: number; missed: number; noisy: number; failedFigures: FigureId[] };
}

/** The quantity a metric's target bounds (its ratio, what it adds to its floor, or its value). */
export function judged(m: Metric): number {
  if (m.target.on === 'ratio') return m.ratio!;
  if (m.target.on === 'added') return round(m.value - m.floor!.value, 4);
  return m.value;
}

/**
 * Merges repeated runs of one figure (`--repeat N`): each metric is taken from the run where its
 * judged quantity is the median (with an even count, the worse of the two middle runs); its spread
 * is then that quantity's spread over the runs (instead of over the repeats within one run), and
 * its verdict is judged again with it. Curves, inputs and notes are those of the first run, plus
 * every run's judged quantities and within-run spreads.
 */
export function mergeRepeats(runs: readonly FigureResult[]): FigureResult {
  const ok = runs.filter((r) => r.error === undefined);
  if (ok.length === 0) return runs[0]!;
  const first = ok[0]!;
  if (ok.length === 1) return first;
  const metrics = first.metrics.map((m) => {
    const candidates = ok.map((r) => r.metrics.find((x) => x.id === m.id)).filter((x): x is Metric => x !== undefined);
    const worseFirst =
      m.target.op === '<='
        ? (a: Metric, b: Metric) => judged(b) - judged(a)
        : (a: Metric, b: Metric) => judged(a) - judged(b);
    const ordered = [...candidates].sort(worseFirst);
    // Sorted worst first: the lower middle is the median, or the worse of the two middles.
    const chosen = ordered[Math.floor((ordered.length - 1) / 2)]!;
    const spread = spreadFrom({ of: `${candidates.length} runs of the figure`, values: candidates.map(judged) });
    return { ...chosen, spread, verdict: verdictOf(chosen.targetVerdict, spread) };
  });
  return {
    ...first,
    metrics,
    inputs: {
      ...first.inputs,
      repeats: Object.fromEntries(
        first.metrics.map((m) => [
          m.id,
          ok.map((r) => r.metrics.find((x) => x.id === m.id)).map((x) => (x ? round(judged(x), 4) : null)),
        ]),
      ),
      spreadsWithinRuns: Object.fromEntries(
        first.metrics.map((m) => [m.id, ok.map((r) => r.metrics.find((x) => x.id === m.id)?.spread?.relative ?? null)]),
      ),
    },
    elapsedMs: runs.reduce((n, r) => n + r.elapsedMs, 0),
  };
}

export function summarizeFigures(figures: readonly FigureResult[]): BenchReport['summary'] {
  const metrics = figures.flatMap((f) => f.metrics);
  return {
    metrics: metrics.length,
    met: metrics.filter((m) => m.verdict === 'met').length,
    missed: metrics.filter((m) => m.verdict === 'missed').length,
    noisy: metrics.filter((m) => m.verdict === 'noisy').length,
    failedFigures: figures.filter((f) => f.error !== undefined).map((f) => f.figure),
  };
}

// -- validation (the JSON's shape, checked before it is written and in tests) --------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Problems with a report's shape and internal consistency; empty when it is sound. */
export function validateReport(report: unknown): string[] {
  const problems: string[] = [];
  const need = (condition: boolean, message: string) => {
    if (!condition) problems.push(message);
  };
  if (!isObject(report)) return ['report is not an object'];
  need(report.schema === REPORT_SCHEMA, `schema must be ${REPORT_SCHEMA}`);
  for (const key of ['startedAt', 'finishedAt'] as const)
    need(
      typeof report[key] === 'string' && !Number.isNaN(Date.parse(String(report[key]))),
      `${key} must be an ISO date`,
    );
  need(typeof report.elapsedMs === 'number' && report.elapsedMs >= 0, 'elapsedMs must be a non-negative number');
  need(isObject(report.machine), 'machine facts missing');
  if (isObject(report.machine)) {
    for (const key of [
      'cpuModel',
      'cores',
      'nodeVersion',
      'sqliteVersion',
      'freeMemoryMb',
      'loadAverage',
      'durability',
    ])
      need(key in report.machine, `machine.${key} missing`);
  }
  need(isObject(report.noise), 'noise facts missing');
  if (!Array.isArray(report.figures)) return [...problems, 'figures must be an array'];
  const seen = new Set<unknown>();
  report.figures.forEach((figure: unknown, index) => {
    const where = `figures[${index}]`;
    if (!isObject(figure)) {
      problems.push(`${where} is not an object`);
      return;
    }
    need(FIGURE_IDS.includes(figure.figure as FigureId), `${where}.figure must be 1–${FIGURE_IDS.length}`);
    need(!seen.has(figure.figure), `${where}: figure ${String(figure.figure)} appears twice`);
    seen.add(figure.figure);
    need(typeof figure.title === 'string' && figure.title.length > 0, `${where}.title missing`);
    need(isObject(figure.inputs), `${where}.inputs must be an object`);
    need(Array.isArray(figure.notes), `${where}.notes must be an array`);
    need(Array.isArray(figure.curves), `${where}.curves must be an array`);
    if (!Array.isArray(figure.metrics)) {
      problems.push(`${where}.metrics must be an array`);
      return;
    }
    need(figure.error !== undefined || figure.metrics.length > 0, `${where} has neither metrics nor an error`);
    figure.metrics.forEach((m: unknown, j) =>
      problems.push(...validateMetric(m, `${where}.metrics[${j}]`, figure.figure)),
    );
    if (Array.isArray(figure.curves))
      figure.curves.forEach((c: unknown, j) => problems.push(...validateCurve(c, `${where}.curves[${j}]`)));
  });
  if (isObject(report.summary) && Array.isArray(report.figures)) {
    const expected = summarizeFigures(report.figures as FigureResult[]);
    need(JSON.stringify(report.summary) === JSON.stringify(expected), 'summary does not match the figures');
  } else problems.push('summary missing');
  return problems;
}

function validateMetric(m: unknown, where: string, figure: unknown): string[] {
  const problems: string[] = [];
  const need = (condition: boolean, message: string) => {
    if (!condition) problems.push(`${where}: ${message}`);
  };
  if (!isObject(m)) return [`${where} is not an object`];
  need(typeof m.id === 'string' && m.id.startsWith(`${String(figure)}.`), 'id must start with the figure number');
  need(m.figure === figure, 'figure must match its figure');
  need(typeof m.value === 'number' && Number.isFinite(m.value), 'value must be a finite number');
  need(typeof m.unit === 'string', 'unit missing');
  need(Number.isInteger(m.samples) && (m.samples as number) > 0, 'samples must be a positive integer');
  const target = m.target;
  if (
    !isObject(target) ||
    (target.op !== '<=' && target.op !== '>=') ||
    typeof target.value !== 'number' ||
    (target.on !== 'ratio' && target.on !== 'value' && target.on !== 'added')
  ) {
    return [...problems, `${where}: target malformed`];
  }
  if (m.floor !== null) {
    if (
      !isObject(m.floor) ||
      typeof m.floor.value !== 'number' ||
      !(m.floor.value > 0) ||
      typeof m.floor.description !== 'string'
    ) {
      problems.push(`${where}: floor malformed`);
    } else {
      need(typeof m.ratio === 'number', 'a metric with a floor needs a ratio');
      // Rounding to 4 digits on both sides: allow a little slack.
      if (typeof m.ratio === 'number' && typeof m.value === 'number') {
        const expected = m.value / m.floor.value;
        need(
          Math.abs(m.ratio - expected) <= Math.max(1e-3, Math.abs(expected) * 1e-3),
          `ratio ${m.ratio} is not value/floor (${expected})`,
        );
      }
    }
  } else need(m.ratio === null, 'a metric without a floor has no ratio');
  if (target.on !== 'value') need(m.floor !== null, `a target on the ${target.on} needs a floor`);
  const measured =
    target.on === 'ratio'
      ? m.ratio
      : target.on === 'added'
        ? isObject(m.floor) && typeof m.floor.value === 'number' && typeof m.value === 'number'
          ? m.value - m.floor.value
          : null
        : m.value;
  if (typeof measured === 'number') {
    const expected = judge(measured, { op: target.op, value: target.value }).verdict;
    need(
      m.targetVerdict === expected,
      `targetVerdict ${String(m.targetVerdict)} contradicts ${measured} ${target.op} ${target.value}`,
    );
  }
  need('spread' in m, 'spread missing (null when measured once)');
  const spread = m.spread;
  if (spread !== null && spread !== undefined) {
    if (
      !isObject(spread) ||
      typeof spread.of !== 'string' ||
      !Number.isInteger(spread.repeats) ||
      (spread.repeats as number) < 2 ||
      ![spread.min, spread.median, spread.max, spread.relative].every(
        (v) => typeof v === 'number' && Number.isFinite(v),
      )
    ) {
      problems.push(`${where}: spread malformed`);
    } else {
      const [min, median, max, relative] = [spread.min, spread.median, spread.max, spread.relative] as number[];
      need(min! <= median! && median! <= max!, 'spread must have min ≤ median ≤ max');
      const expected = median === 0 ? 0 : (max! - min!) / Math.abs(median!);
      need(
        Math.abs(relative! - expected) <= Math.max(1e-3, expected * 1e-3),
        `spread.relative ${relative} is not (max − min) / median (${expected})`,
      );
    }
  }
  const noisy = isObject(spread) && typeof spread.relative === 'number' && spread.relative > NOISE_LIMIT;
  if (noisy) need(m.verdict === 'noisy', `verdict ${String(m.verdict)}: a spread over ${NOISE_LIMIT * 100} % is noisy`);
  else
    need(
      m.verdict === m.targetVerdict,
      `verdict ${String(m.verdict)} contradicts ${String(measured)} ${target.op} ${target.value}`,
    );
  return problems;
}

function validateCurve(c: unknown, where: string): string[] {
  if (!isObject(c)) return [`${where} is not an object`];
  const problems: string[] = [];
  if (!Array.isArray(c.columns) || c.columns.length < 2)
    problems.push(`${where}: a curve needs an x column and at least one series`);
  if (!Array.isArray(c.rows) || c.rows.length === 0) problems.push(`${where}: a curve needs rows`);
  if (Array.isArray(c.columns) && Array.isArray(c.rows)) {
    const keys = (c.columns as unknown[]).map((col) => (isObject(col) ? col.key : undefined));
    (c.rows as unknown[]).forEach((row, i) => {
      if (!isObject(row)) problems.push(`${where}.rows[${i}] is not an object`);
      else
        for (const key of keys)
          if (typeof key !== 'string' || !(key in row)) problems.push(`${where}.rows[${i}] lacks ${String(key)}`);
    });
  }
  return problems;
}

// -- the printed table ------------------------------------------------------------------------

function fmt(value: number | string | null, unit = ''): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit ? `${text} ${unit}` : text;
}

function targetText(target: Target): string {
  const bound = target.on === 'added' ? `+${fmt(target.value)}` : fmt(target.value);
  return `${target.op === '<=' ? '≤' : '≥'} ${bound}${target.on === 'ratio' ? '×' : ` ${target.unit}`}${target.on === 'added' ? ' over the floor' : ''}`;
}

function targetVerdictText(m: Metric): string {
  if (m.target.on === 'added') {
    const added = `adds ${fmt(judged(m))} ${m.target.unit}`;
    return m.targetVerdict === 'met' ? `met (${added})` : `MISSED (${added})`;
  }
  if (m.headroom === null) return m.targetVerdict;
  if (m.targetVerdict === 'met') return `met (${fmt(m.headroom)}× room)`;
  return `MISSED (${fmt(1 / m.headroom)}× over)`;
}

function verdictText(m: Metric): string {
  if (m.verdict !== 'noisy') return targetVerdictText(m);
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  return `NOISY (spread ${pct(m.spread!.relative)} > ${pct(NOISE_LIMIT)}; would be ${targetVerdictText(m)})`;
}

/** The spread column: (max − min) / median over the repeats, and how many there were. */
function spreadText(m: Metric): string {
  if (m.spread === null) return '—';
  const pct = m.spread.relative * 100;
  return `${pct < 10 ? pct.toFixed(1) : Math.round(pct)} % (${m.spread.repeats})`;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell + ' '.repeat(widths[i]! - [...cell].length))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The table `npm run bench` prints (and the README's Performance section reproduces). */
export function formatTable(figures: readonly FigureResult[]): string {
  const rows: string[][] = [['#', 'figure', 'value', 'floor', 'ratio', 'spread', 'target', 'verdict']];
  for (const figure of figures) {
    if (figure.error !== undefined)
      rows.push([String(figure.figure), figure.title, '—', '—', '—', '—', '—', `NOT MEASURED: ${figure.error}`]);
    for (const m of figure.metrics) {
      rows.push([
        m.id,
        m.label,
        fmt(m.value, m.unit),
        m.floor ? fmt(m.floor.value, m.floor.unit) : '—',
        m.ratio === null ? '—' : `${fmt(m.ratio)}×`,
        spreadText(m),
        targetText(m.target),
        verdictText(m),
      ]);
    }
  }
  return pad(rows);
}

export function formatCurves(figures: readonly FigureResult[]): string {
  const blocks: string[] = [];
  for (const curve of figures.flatMap((f) => f.curves)) {
    const header = curve.columns.map((c) => (c.unit ? `${c.label} (${c.unit})` : c.label));
    const body = curve.rows.map((row) => curve.columns.map((c) => fmt(row[c.key] ?? null)));
    blocks.push(`${curve.title}\n${pad([header, ...body])}`);
  }
  return blocks.join('\n\n');
}

/** Markdown version of the table, for the README's Performance section. */
export function formatMarkdown(figures: readonly FigureResult[]): string {
  const lines = [
    '| # | figure | value | floor | ratio | spread | target | verdict |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const figure of figures) {
    if (figure.error !== undefined)
      lines.push(`| ${figure.figure} | ${figure.title} | — | — | — | — | — | not measured: ${figure.error} |`);
    for (const m of figure.metrics) {
      lines.push(
        `| ${m.id} | ${m.label} | ${fmt(m.value, m.unit)} | ${m.floor ? fmt(m.floor.value, m.floor.unit) : '—'} | ${m.ratio === null ? '—' : `${fmt(m.ratio)}×`} | ${spreadText(m)} | ${targetText(m.target)} | ${verdictText(m)} |`,
      );
    }
  }
  for (const curve of figures.flatMap((f) => f.curves)) {
    lines.push('', `**${curve.title}**`, '');
    lines.push(`| ${curve.columns.map((c) => (c.unit ? `${c.label} (${c.unit})` : c.label)).join(' | ')} |`);
    lines.push(`|${curve.columns.map(() => '---').join('|')}|`);
    for (const row of curve.rows) lines.push(`| ${curve.columns.map((c) => fmt(row[c.key] ?? null)).join(' | ')} |`);
  }
  return lines.join('\n');
}

export type { Json };
