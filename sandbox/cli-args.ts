/** The sandbox CLI's flags, parsed into startSandbox() options (pure, so it is unit-tested). */
import { parseArgs } from 'node:util';
import { faultProblem, type Faults } from './core/faults';
import { sandboxHost, type SandboxOptions } from './index';
import { defaultDatabasePath } from './paths';

export const DEFAULT_PORT = 4242;

export const USAGE = `Usage: npm run sandbox -- [options]

Starts the gateway sandbox on 127.0.0.1: PlutoPay at the root, PayPlug under /payplug, Plural under
/plural.

Options:
  --port N                    port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDR                 loopback address to bind: 127.0.0.1 (default), ::1 or localhost
  --db PATH                   SQLite database file, or :memory: (default: ${defaultDatabasePath()},
                              the file of a web-mode till's embedded sandbox on the same data directory)
  --mode test|live            test mode (default) or an emulated live account (live keys, no simulate)
  --json                      print one JSON line {url, secret_key, publishable_key, webhook_secret,
                              payplug: {url, secret_key}, plural: {url, client_id, client_secret,
                              signature_key}} when ready
  --no-demo-data              do not seed PlutoPay's demo payouts and disputes (and the four payments
                              they are filed against) into a new database
  --quiet                     no log lines on stderr
Fault injection, for every emulator (all off by default; also PUT …/_sandbox/faults):
  --latency-ms N              add N ms to every API request
  --error-rate X              answer a fraction X (0–1) of API requests with 500 before any change
  --drop-after-commit-rate X  commit, then drop the connection without answering, for a fraction X of changes
  --reader-timeout-ms N       PlutoPay's simulated readers fail an action with reader_timeout after N ms
  --fault-seed N              make the error and drop decisions deterministic
  --help                      show this help
`;

export interface CliConfig {
  options: SandboxOptions & { port: number; db: string };
  json: boolean;
  quiet: boolean;
}

export type CliParse = { kind: 'run'; config: CliConfig } | { kind: 'help' } | { kind: 'error'; message: string };

function number(name: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${text}"`);
  }
  return value;
}

export function parseCliArgs(argv: readonly string[]): CliParse {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        mode: { type: 'string' },
        json: { type: 'boolean' },
        'no-demo-data': { type: 'boolean' },
        quiet: { type: 'boolean' },
        'latency-ms': { type: 'string' },
        'error-rate': { type: 'string' },
        'drop-after-commit-rate': { type: 'string' },
        'reader-timeout-ms': { type: 'string' },
        'fault-seed': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // node:util's parseArgs explains some refusals ("--port -1": "argument is ambiguous") on three
    // lines: an error is one line.
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'error', message: message.trim().replace(/\s*\n\s*/g, ' ') };
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help' };
  try {
    const port = number('port', v.port, true) ?? DEFAULT_PORT;
    if (port < 0 || port > 65535) throw new Error('--port must be from 0 to 65535');
    // An empty path (an unset variable: --db $DB) would quietly run on a throw-away database.
    if (v.db !== undefined && v.db.trim() === '')
      throw new Error('--db needs a file path, or :memory: for a throw-away database, not an empty value');
    const host = sandboxHost(v.host ?? '127.0.0.1');
    const mode = v.mode ?? 'test';
    if (mode !== 'test' && mode !== 'live') throw new Error('--mode must be test or live');
    const faults: Partial<Faults> = {};
    const latency = number('latency-ms', v['latency-ms'], true);
    if (latency !== undefined) faults.latency_ms = latency;
    const errorRate = number('error-rate', v['error-rate'], false);
    if (errorRate !== undefined) faults.error_rate = errorRate;
    const dropRate = number('drop-after-commit-rate', v['drop-after-commit-rate'], false);
    if (dropRate !== undefined) faults.drop_after_commit_rate = dropRate;
    const readerTimeout = number('reader-timeout-ms', v['reader-timeout-ms'], true);
    if (readerTimeout !== undefined) faults.reader_timeout_ms = readerTimeout;
    const seed = number('fault-seed', v['fault-seed'], true);
    if (seed !== undefined) faults.seed = seed;
    const problem = faultProblem(faults);
    if (problem) throw new Error(`--${problem.param.replace(/_/g, '-')}: ${problem.message}`);
    return {
      kind: 'run',
      config: {
        options: {
          port,
          host,
          db: v.db ?? defaultDatabasePath(),
          mode,
          faults,
          seed: !v['no-demo-data'],
        },
        json: v.json ?? false,
        quiet: v.quiet ?? false,
      },
    };
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}
