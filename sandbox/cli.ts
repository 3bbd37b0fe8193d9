/**
 * `npm run sandbox`: the sandbox as a standalone server. stdout carries only the ready message
 * (exactly one JSON line with --json); log lines go to stderr, batched so logging never blocks a
 * request. SIGINT/SIGTERM close it cleanly.
 */
import { watchNpmParent } from '../common/npm-parent';
import { parseCliArgs, USAGE } from './cli-args';
import { startSandbox } from './index';

function stderrLogger(quiet: boolean): (line: string) => void {
  if (quiet) return () => {};
  let pending: string[] = [];
  return (line) => {
    if (pending.length === 0) {
      setImmediate(() => {
        const text = pending.join('');
        pending = [];
        process.stderr.write(text);
      });
    }
    pending.push(`[sandbox ${new Date().toISOString()}] ${line}\n`);
  };
}

// Read first: npm's shell may be gone by the time the sandbox is up.
const parent = process.ppid;

async function main(): Promise<number | null> {
  const parsed = parseCliArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`sandbox: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const { options, json, quiet } = parsed.config;
  const log = stderrLogger(quiet);
  let sandbox;
  try {
    sandbox = await startSandbox({ ...options, log });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint =
      (error as { code?: string }).code === 'EADDRINUSE' ? ` (port ${options.port} is in use; try --port 0)` : '';
    process.stderr.write(`sandbox: cannot start: ${message}${hint}\n`);
    return 1;
  }
  // Signals are handled before readiness is announced: a supervisor may stop us the moment it reads it.
  const running = sandbox;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: closing`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`sandbox: error while closing: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  watchNpmParent(
    () => {
      process.stderr.write('sandbox: npm, which started it, has stopped; closing.\n');
      stop('npm gone');
    },
    process.env,
    parent,
  );
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        url: sandbox.url,
        secret_key: sandbox.secret_key,
        publishable_key: sandbox.publishable_key,
        webhook_secret: sandbox.webhook_secret,
        payplug: { url: sandbox.payplug.url, secret_key: sandbox.payplug.secret_key },
        plural: {
          url: sandbox.plural.url,
          client_id: sandbox.plural.client_id,
          client_secret: sandbox.plural.client_secret,
          signature_key: sandbox.plural.signature_key,
        },
      })}\n`,
    );
  } else {
    process.stdout.write(
      [
        `PlutoPay sandbox (${sandbox.mode} mode) listening on ${sandbox.url}`,
        `  database:        ${sandbox.db}`,
        `  secret key:      ${sandbox.secret_key}`,
        `  publishable key: ${sandbox.publishable_key}`,
        `  webhook secret:  ${sandbox.webhook_secret ?? '(none yet: create a webhook endpoint)'}`,
        `  health:          ${sandbox.url}/v1/health`,
        `PayPlug sandbox at ${sandbox.payplug.url}`,
        `  secret key:      ${sandbox.payplug.secret_key}`,
        `Plural emulator at ${sandbox.plural.url}`,
        `  client id:       ${sandbox.plural.client_id}`,
        `  client secret:   ${sandbox.plural.client_secret}`,
        `  signature key:   ${sandbox.plural.signature_key}`,
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
  }
  return null;
}

main().then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sandbox: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
