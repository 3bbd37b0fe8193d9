/**
 * `npm run soak` — the fault soak of issues 5, 10 and 11: one lane per gateway, side by side.
 *
 *   --gateway G       the lanes: plutopay, payplug, plural, a comma-separated list, or all (the
 *                     default); repeatable
 *   --payments N      payments to run per lane (default 300)
 *   --seed N          seed for every decision (default: from the clock; always printed)
 *   --time-limit S    overall bound in seconds (default 900); payments stop early to leave time to
 *                     recover and compare
 *   --kills N         kill -9 of each lane's host at chosen points, each followed by a restart (default 8)
 *   --no-concert      leave out the PlutoPay lane's Concert terminal emulator (no socat needed)
 *   --json            also print the figures as one JSON object (last line of stdout)
 *   --keep            keep the work directory (databases, wire recording, host log) after a pass
 *
 * Builds the app first when out/main/web.js is missing. Exits 1 when anything was lost, charged
 * twice, or a secret crossed the bridge; 2 when the soak could not run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hasTool } from '../support/tools';
import { formatReport, reportJson } from './report';
import { ROOT, SOAK_GATEWAYS, WEB_ENTRY, runSoak, type SoakGateway, type SoakOptions } from './soak';

function parseArgs(argv: readonly string[]): SoakOptions & { json: boolean; gateways: SoakGateway[] } {
  let gateways: SoakGateway[] | null = null;
  const options: SoakOptions & { json: boolean; gateways: SoakGateway[] } = {
    gateways: [...SOAK_GATEWAYS],
    payments: 300,
    seed: Date.now() % 1_000_000,
    timeLimitS: 900,
    kills: 8,
    concert: true,
    json: false,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const int = (min: number, max: number) => {
      const raw = argv[++i];
      const value = Number(raw);
      if (raw === undefined || !Number.isInteger(value) || value < min || value > max)
        throw new Error(`${arg} needs an integer from ${min} to ${max}`);
      return value;
    };
    if (arg === '--gateway') {
      const raw = argv[++i];
      const names = raw === 'all' ? [...SOAK_GATEWAYS] : (raw ?? '').split(',').filter(Boolean);
      if (names.length === 0 || names.some((name) => !(SOAK_GATEWAYS as readonly string[]).includes(name)))
        throw new Error(`--gateway needs ${SOAK_GATEWAYS.join(', ')} (comma-separated) or all`);
      gateways = [...new Set([...(gateways ?? []), ...(names as SoakGateway[])])];
    } else if (arg === '--payments') options.payments = int(1, 100_000);
    else if (arg === '--seed') options.seed = int(0, 2 ** 31 - 1);
    else if (arg === '--time-limit') options.timeLimitS = int(30, 86_400);
    else if (arg === '--kills') options.kills = int(0, 1_000);
    else if (arg === '--no-concert') options.concert = false;
    else if (arg === '--json') options.json = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run soak -- [--gateway plutopay|payplug|plural|all] [--payments N] [--seed N] [--time-limit S] [--kills N] [--no-concert] [--json] [--keep]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (see test/soak/run.ts)`);
  }
  if (gateways) options.gateways = SOAK_GATEWAYS.filter((name) => gateways.includes(name));
  return options;
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (options.concert && options.gateways.includes('plutopay') && !hasTool('socat')) {
    process.stderr.write(
      'socat is needed for the Concert terminal emulator (apt-get install socat), or run with --no-concert\n',
    );
    return 2;
  }
  if (!existsSync(WEB_ENTRY)) {
    process.stderr.write('out/main/web.js is missing: building the app (npm run build)…\n');
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  process.stderr.write(
    `soak: seed ${options.seed}, lanes ${options.gateways.join(', ')}, ${options.payments} payments and ${options.kills} kills per lane, time limit ${options.timeLimitS} s${options.concert || !options.gateways.includes('plutopay') ? '' : ', no Concert'}\n`,
  );
  const report = await runSoak({
    ...options,
    log: (line) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(reportJson(report))}\n`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `soak failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(2);
  },
);
