/** `npm run bench` flags, parsed into options (pure, so it is unit-tested). */
import { FIGURE_IDS, type FigureId } from './report';

export const USAGE = `Usage: npm run bench -- [options]

Runs the performance figures (loopback only, bounded) and prints the table.

Options:
  --json [PATH]   also write the figures as JSON (default path: .bench/bench.json; "-" = stdout)
  --quick         a short run (under a minute): fewer samples, smaller load curves
  --only LIST     only these figures, e.g. --only 1,3
  --repeat N      run each figure N times and report, per metric, the median run, with its spread
                  over the N runs (figure 6, already a trend over 20 readings of a 10 000-payment
                  run, runs once)

Every metric reports its spread over repeats, (max - min) / median: the rounds or thirds of
samples of one run, or the runs of --repeat. A metric whose spread exceeds 15 % is "noisy"
instead of met or missed (the JSON keeps what it would be as targetVerdict).

  --profile       record CPU profiles of the measured parts into .bench/profiles (slower)
  --keep          keep the scratch directory (databases, logs) after the run
  --help          show this help
`;

export interface BenchArgs {
  json: string | null;
  quick: boolean;
  only: FigureId[];
  profile: boolean;
  keep: boolean;
  repeat: number;
}

export type ParsedArgs = { kind: 'run'; args: BenchArgs } | { kind: 'help' } | { kind: 'error'; message: string };

export const DEFAULT_JSON_PATH = '.bench/bench.json';

export function parseFigureList(text: string): FigureId[] {
  const ids = new Set<FigureId>();
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const range = /^(\d)-(\d)$/.exec(trimmed);
    const values = range
      ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i)
      : [Number(trimmed)];
    if (range && Number(range[2]) < Number(range[1])) throw new Error(`--only: empty range "${trimmed}"`);
    for (const value of values) {
      if (!FIGURE_IDS.includes(value as FigureId))
        throw new Error(`--only: no figure "${trimmed}" (figures are 1–${FIGURE_IDS.length})`);
      ids.add(value as FigureId);
    }
  }
  if (ids.size === 0) throw new Error('--only needs at least one figure, e.g. --only 1,3');
  return [...ids].sort((a, b) => a - b);
}

export function parseBenchArgs(argv: readonly string[]): ParsedArgs {
  const args: BenchArgs = { json: null, quick: false, only: [...FIGURE_IDS], profile: false, keep: false, repeat: 1 };
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const [flag, inline] =
        arg.startsWith('--') && arg.includes('=')
          ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
          : [arg, undefined];
      switch (flag) {
        case '--help':
        case '-h':
          return { kind: 'help' };
        case '--json': {
          if (inline !== undefined) args.json = inline || DEFAULT_JSON_PATH;
          else {
            const next = argv[i + 1];
            // The path is optional: a following flag is not a path.
            if (next !== undefined && (!next.startsWith('-') || next === '-')) {
              args.json = next;
              i++;
            } else args.json = DEFAULT_JSON_PATH;
          }
          break;
        }
        case '--quick':
          args.quick = true;
          break;
        case '--profile':
          args.profile = true;
          break;
        case '--keep':
          args.keep = true;
          break;
        case '--repeat': {
          const value = inline ?? argv[++i];
          const n = Number(value);
          if (value === undefined || !Number.isInteger(n) || n < 1 || n > 9)
            throw new Error('--repeat needs a whole number from 1 to 9');
          args.repeat = n;
          break;
        }
        case '--only': {
          const value = inline ?? argv[++i];
          if (value === undefined) throw new Error('--only needs a list, e.g. --only 1,3');
          args.only = parseFigureList(value);
          break;
        }
        default:
          throw new Error(`unknown option ${arg}`);
      }
    }
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  return { kind: 'run', args };
}
