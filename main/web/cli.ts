/**
 * `npm run web` (and `npm start` where Electron is missing): the host in plain Node, serving the
 * built renderer and the contract over a WebSocket on 127.0.0.1.
 *
 *   --port N           listen on N (default: a free port)
 *   --data-dir PATH    journal, settings, secrets, embedded sandbox (default: the user data dir)
 *   --reader-port P    also watch serial port P for a card reader (repeatable; e.g. a socat pty)
 *   --no-discovery     do not scan serial ports and USB
 *   --gateway-url URL  use this PlutoPay-compatible API instead of the embedded sandbox (test mode),
 *                      with the secret key from the POS_SECRET_KEY environment variable (never a flag:
 *                      flags show up in process lists)
 *   --json             print one JSON line {url, origin, token, display_url, sandbox_url} instead of prose
 */
import { defaultDataDir } from '../../common/paths';
import { createAppHost } from '../host/app-host';
import { startWebServer } from './server';

export interface WebModeOptions {
  port: number;
  dataDir: string;
  readerPorts: string[];
  discovery: boolean;
  json: boolean;
  staticDir: string;
  gatewayUrl: string | null;
}

/**
 * `builtRendererDir` comes from the entry file (out/main/web.js or launch.js): only an entry knows
 * where it sits relative to out/renderer, since bundled chunks live elsewhere.
 */
export function parseWebArgs(
  argv: readonly string[],
  builtRendererDir: string,
  env: NodeJS.ProcessEnv = process.env,
): WebModeOptions {
  const options: WebModeOptions = {
    port: 0,
    dataDir: defaultDataDir(env),
    readerPorts: (env.POS_READER_PORTS ?? '').split(',').filter(Boolean),
    discovery: true,
    json: false,
    staticDir: builtRendererDir,
    gatewayUrl: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0–65535');
      options.port = port;
    } else if (arg === '--data-dir') options.dataDir = value();
    else if (arg === '--reader-port') options.readerPorts.push(value());
    else if (arg === '--no-discovery') options.discovery = false;
    else if (arg === '--json') options.json = true;
    else if (arg === '--static-dir') options.staticDir = value();
    else if (arg === '--gateway-url') options.gatewayUrl = new URL(value()).toString().replace(/\/$/, '');
    else throw new Error(`unknown option ${arg} (see main/web/cli.ts)`);
  }
  return options;
}

export async function runWebMode(argv: readonly string[], builtRendererDir: string): Promise<void> {
  const options = parseWebArgs(argv, builtRendererDir);
  const host = await createAppHost({
    dataDir: options.dataDir,
    readerPorts: options.readerPorts,
    discovery: options.discovery,
    ...(options.gatewayUrl ? { gateway: { url: options.gatewayUrl, secretKey: requireSecretKey() } } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const server = await startWebServer({
    host,
    staticDir: options.staticDir,
    port: options.port,
    onDisplayConnections: (connected) => host.customerDisplay({ connected }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  host.customerDisplay({ url: server.displayUrl });
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ url: server.url, origin: server.origin, token: server.token, display_url: server.displayUrl, sandbox_url: host.sandboxUrl })}\n`,
    );
  } else {
    process.stdout.write(`POS Terminal Companion (web mode) — open ${server.url}\n`);
    process.stdout.write(`Customer display (second screen) — open ${server.displayUrl}\n`);
    if (host.sandboxUrl) process.stdout.write(`Test mode: embedded PlutoPay sandbox at ${host.sandboxUrl}\n`);
  }
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close();
    await host.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

function requireSecretKey(): string {
  const key = process.env.POS_SECRET_KEY;
  if (!key) throw new Error('--gateway-url needs the secret key in the POS_SECRET_KEY environment variable');
  return key;
}

/** Entry point behaviour: start, or print the reason and exit non-zero. */
export function mainWebMode(argv: readonly string[], builtRendererDir: string): void {
  runWebMode(argv, builtRendererDir).catch((error: unknown) => {
    process.stderr.write(`web mode failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
