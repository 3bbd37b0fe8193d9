/**
 * `npm run web` (and `npm start` where Electron is missing): the host in plain Node, serving the
 * built renderer and the contract over a WebSocket on 127.0.0.1. Its flags: WEB_USAGE below.
 */
import { join } from 'node:path';
import { GATEWAY_NAMES, type GatewayName } from '../../common/contract';
import { defaultDataDir } from '../../common/paths';
import { watchNpmParent } from '../../common/npm-parent';
import { createAppHost, readerPortsFromEnv } from '../host/app-host';
import type { LaunchGateway } from '../host/host';
import { isFile, startWebServer } from './server';
import { errorText } from '../core/errors';
import { redact } from '../core/masking';
import { LONGEST_SETTLE_WINDOW_MS } from '../gateway/registry';

export const WEB_USAGE = `Usage: npm run web -- [options]   (or: node out/main/web.js [options])

Serves POS Terminal Companion on 127.0.0.1 for a browser: the same app as the Electron window, with
the host in plain Node. It prints the address to open (with its access token) and the customer
display's.

Options (--flag VALUE or --flag=VALUE):
  --port N           listen on N; 0: a free port (default: the port of the last start on this data
                     directory, so the printed addresses stay the same, else a free one)
  --data-dir PATH    journal, settings, secrets, embedded sandbox (default: the user data directory,
                     or POS_DATA_DIR); one app at a time per directory
  --reader-port P    also watch serial port P for a card reader (repeatable; e.g. a socat pty;
                     also POS_READER_PORTS=P1,P2)
  --no-discovery     do not scan serial ports and USB
  --gateway NAME     take payments with plutopay, payplug or plural from this launch on (default:
                     the till's setting, PlutoPay on a new data directory); in test mode with the
                     embedded sandbox, with that sandbox's emulator of it and its credentials
  --gateway-url URL  use this API of the gateway (PlutoPay unless --gateway says otherwise) instead
                     of the embedded sandbox (test mode), e.g. a standalone sandbox's {url}/payplug.
                     Credentials come from the environment, never from flags (flags show up in
                     process lists): POS_SECRET_KEY (PlutoPay, PayPlug), or POS_PLURAL_CLIENT_ID,
                     POS_PLURAL_CLIENT_SECRET and POS_PLURAL_SIGNATURE_KEY (Plural)
  --json             print one JSON line {url, origin, token, display_url, sandbox_url, gateway}
                     instead of prose
  --static-dir DIR   serve the renderer from DIR (default: the build's out/renderer)
  --help             show this help

Environment, for tests only:
  POS_TEST_SETTLE_WINDOW_MS=N  shorten PayPlug's settle window (2 minutes: nothing is sent again
                     that long after a send whose outcome is unknown) to N ms, 0 to 120000; ignored
                     with a live key (docs/reliability.md#the-settle-window)
`;

const FLAGS_WITHOUT_VALUE: ReadonlySet<string> = new Set(['--no-discovery', '--json', '--help', '-h']);

export interface WebModeOptions {
  /** null: the port of the last start on the data directory when it is free, else a free one. */
  port: number | null;
  dataDir: string;
  readerPorts: string[];
  discovery: boolean;
  json: boolean;
  staticDir: string;
  /** The gateway to take payments with from this launch on; null keeps the till's setting. */
  gateway: GatewayName | null;
  gatewayUrl: string | null;
  /** POS_TEST_SETTLE_WINDOW_MS: a shorter settle window for tests (the gateway ignores it when live). */
  settleWindowMs: number | null;
  /** --help: print WEB_USAGE and start nothing. */
  help: boolean;
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
    port: null,
    dataDir: defaultDataDir(env),
    readerPorts: readerPortsFromEnv(env),
    discovery: true,
    json: false,
    staticDir: builtRendererDir,
    gateway: null,
    gatewayUrl: null,
    settleWindowMs: settleWindowOf(env),
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const given = argv[i]!;
    // --flag=value, as the sandbox and pos-reader take it, or --flag value.
    const equals = given.startsWith('--') ? given.indexOf('=') : -1;
    const arg = equals > 0 ? given.slice(0, equals) : given;
    const inline = equals > 0 ? given.slice(equals + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      // `--data-dir $DIR --json` with DIR unset would take "--json" as the directory (and make it).
      if (next.startsWith('--'))
        throw new Error(
          `${arg} needs a value, got the option ${next} (an unset variable?); use ${arg}=VALUE if it really starts with --`,
        );
      return next;
    };
    if (inline !== undefined && FLAGS_WITHOUT_VALUE.has(arg)) throw new Error(`${arg} takes no value, got "${given}"`);
    if (arg === '--port') {
      // Digits only: Number('') is 0, and an unset variable (--port $PORT) would quietly pick any port.
      const text = value().trim();
      const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be a whole number from 0 to 65535, got "${text}"`);
      options.port = port;
    } else if (arg === '--data-dir') {
      // An empty path (an unset variable in a script) would run the till with nothing on disk.
      const dir = value();
      if (dir.trim() === '') throw new Error('--data-dir needs a directory, not an empty value');
      options.dataDir = dir;
    } else if (arg === '--reader-port') options.readerPorts.push(value());
    else if (arg === '--no-discovery') options.discovery = false;
    else if (arg === '--json') options.json = true;
    else if (arg === '--static-dir') options.staticDir = value();
    else if (arg === '--gateway') {
      const name = value();
      if (!(GATEWAY_NAMES as readonly string[]).includes(name))
        throw new Error(`--gateway must be one of ${GATEWAY_NAMES.join(', ')}, got "${name}"`);
      options.gateway = name as GatewayName;
    } else if (arg === '--gateway-url') options.gatewayUrl = gatewayUrl(value());
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new Error(`unknown option ${given}`);
  }
  return options;
}

/** POS_TEST_SETTLE_WINDOW_MS, or null: a whole number of ms up to PayPlug's own 2 minutes. */
function settleWindowOf(env: NodeJS.ProcessEnv): number | null {
  const text = env.POS_TEST_SETTLE_WINDOW_MS?.trim();
  if (text === undefined || text === '') return null;
  const ms = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(ms) || ms > LONGEST_SETTLE_WINDOW_MS)
    throw new Error(
      `POS_TEST_SETTLE_WINDOW_MS must be a whole number of ms from 0 to ${LONGEST_SETTLE_WINDOW_MS}, got "${text}"`,
    );
  return ms;
}

function gatewayUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--gateway-url must be an http(s) URL such as http://127.0.0.1:4242, not "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`--gateway-url must be an http(s) URL such as http://127.0.0.1:4242, not "${text}"`);
  return url.toString().replace(/\/$/, '');
}

export async function runWebMode(options: WebModeOptions): Promise<void> {
  // Read now: npm's shell may be gone by the time the host is up (see watchNpmParent).
  const parent = process.ppid;
  // Whoever reads the printed lines may stop reading (`npm run web | head -1`, a launcher that took
  // the URL): a write to the closed pipe failed with EPIPE, an unhandled 'error' event that killed
  // the till mid-start. The lines and the log are for people; the till runs on without them.
  for (const stream of [process.stdout, process.stderr])
    if (stream.listenerCount('error') === 0) stream.on('error', ignoreClosedPipe);
  // Checked before anything starts: without it the till would run and print its URL, and the browser
  // would get nothing but "Not found".
  if (!isFile(join(options.staticDir, 'index.html')))
    throw new Error(
      `${options.staticDir} holds no built screen (index.html): build the app first (npm run build), or give --static-dir the directory of a built renderer`,
    );
  let started: { devlog: { redact(text: string): string } } | null = null;
  const host = await createAppHost({
    dataDir: options.dataDir,
    readerPorts: options.readerPorts,
    discovery: options.discovery,
    ...(options.gatewayUrl
      ? { gateway: launchGateway(options.gateway ?? 'plutopay', options.gatewayUrl) }
      : options.gateway
        ? { useGateway: options.gateway }
        : {}),
    ...(options.settleWindowMs !== null ? { settleWindowMs: options.settleWindowMs } : {}),
    // Masked as the developer log masks: by shape while starting, then with the secrets the till holds.
    log: (line) => process.stderr.write(`${started ? started.devlog.redact(line) : redact(line)}\n`),
  });
  started = host;
  if (options.settleWindowMs !== null)
    process.stderr.write(
      `web mode: settle window ${options.settleWindowMs} ms in test mode (POS_TEST_SETTLE_WINDOW_MS; ignored with a live key)\n`,
    );
  // The display's address is kept across starts (the shop bookmarks it on the second screen).
  const display = host.customerDisplayToken();
  if (display.notKept)
    process.stderr.write(
      `web mode: the customer display's address will change at the next start: ${display.notKept}\n`,
    );
  const start = (port: number) =>
    startWebServer({
      host,
      staticDir: options.staticDir,
      port,
      displayToken: display.token,
      onDisplayConnections: (connected) => host.customerDisplay({ connected }),
      log: (line) => process.stderr.write(`${line}\n`),
      // Masked as the developer log masks, with the secrets the till holds now.
      mask: (text) => host.devlog.redact(text),
    });
  const inUse = (error: unknown) => (error as { code?: unknown } | null)?.code === 'EADDRINUSE';
  // Without --port, the last start's port: the addresses printed then (the customer display's,
  // bookmarked on the second screen) still work. Taken by another program meanwhile: a free one.
  const kept = options.port === null ? host.keptWebPort() : null;
  const server = await start(options.port ?? kept ?? 0)
    .catch((error: unknown) => {
      if (kept === null || !inUse(error)) throw error;
      process.stderr.write(
        `web mode: port ${kept}, this till's last, is in use by another program; listening on a free one: its addresses change\n`,
      );
      return start(0);
    })
    .catch(async (error: unknown) => {
      await host.close();
      if (!inUse(error)) throw error;
      throw new Error(
        `port ${options.port} on 127.0.0.1 is in use; choose another with --port N, or --port 0 for a free one`,
      );
    });
  host.keepWebPort(server.port);
  host.customerDisplay({ url: server.displayUrl });
  // Settings → New address: the old one stops working at once.
  host.onCustomerDisplayToken((token) => {
    server.setDisplayToken(token);
    host.customerDisplay({ url: server.displayUrl });
  });
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ url: server.url, origin: server.origin, token: server.token, display_url: server.displayUrl, sandbox_url: host.sandboxUrl, gateway: host.snapshot().gateway?.name ?? null })}\n`,
    );
  } else {
    process.stdout.write(`POS Terminal Companion (web mode) — open ${server.url}\n`);
    process.stdout.write(`Customer display (second screen) — open ${server.displayUrl}\n`);
    if (host.sandboxUrl) {
      // The emulator of the till's gateway: PlutoPay's at the sandbox's root, the others under it.
      const { gateway, settings } = host.snapshot();
      const url =
        gateway?.name === 'payplug'
          ? settings.payplug.apiBaseUrl
          : gateway?.name === 'plural'
            ? settings.plural.apiBaseUrl
            : host.sandboxUrl;
      process.stdout.write(`Test mode: embedded ${gateway?.label ?? 'PlutoPay'} sandbox at ${url}\n`);
    }
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
  watchNpmParent(
    () => {
      process.stderr.write('web mode: npm, which started it, has stopped; closing.\n');
      void shutdown();
    },
    process.env,
    parent,
  );
}

function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}

/**
 * The gateway at `url`, with its credentials from the environment (never from flags: flags show up
 * in process lists).
 */
export function launchGateway(name: GatewayName, url: string, env: NodeJS.ProcessEnv = process.env): LaunchGateway {
  const required = (variable: string, what: string) => {
    const value = env[variable]?.trim();
    if (!value) throw new Error(`--gateway-url with ${name} needs ${what} in the ${variable} environment variable`);
    return value;
  };
  switch (name) {
    case 'plutopay':
      return { name, url, secretKey: required('POS_SECRET_KEY', 'the secret key') };
    case 'payplug':
      return { name, url, secretKey: required('POS_SECRET_KEY', 'the secret key') };
    case 'plural':
      return {
        name,
        url,
        clientId: required('POS_PLURAL_CLIENT_ID', 'the client id'),
        clientSecret: required('POS_PLURAL_CLIENT_SECRET', 'the client secret'),
        signatureKey: required('POS_PLURAL_SIGNATURE_KEY', 'the signature key'),
      };
  }
}

/** Entry point behaviour: start, or print the reason and exit non-zero. */
export function mainWebMode(argv: readonly string[], builtRendererDir: string): void {
  let options: WebModeOptions;
  try {
    options = parseWebArgs(argv, builtRendererDir);
  } catch (error) {
    process.stderr.write(`web mode: ${errorText(error)}\n\n${WEB_USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(WEB_USAGE);
    return;
  }
  runWebMode(options).catch((error: unknown) => {
    process.stderr.write(`web mode failed to start: ${errorText(error)}\n`);
    process.exit(1);
  });
}
