/**
 * Web mode: the built renderer and the contract over a WebSocket, on 127.0.0.1 only. Safe on a
 * shared machine: every request must name this server (127.0.0.1:PORT, never localhost) in its
 * Host header (no DNS rebinding), the bridge only accepts our own page's Origin, and it requires
 * the per-launch token that only the printed URL carries (so another local page or user cannot
 * drive payments).
 *
 * The customer display has a second URL with a token of its own. A bridge opened with it is the
 * display's: it receives only the display's events and may send only the customer's commands
 * (CUSTOMER_DISPLAY_COMMANDS); everything else is refused as unauthorized. That token is the host's
 * to keep (the shop bookmarks the display's address) and can be replaced while running: the
 * displays open on the old one are closed as refused at once, as a stale token would be.
 */
import { timingSafeEqual, randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  BRIDGE_MAX_MESSAGE_BYTES,
  BRIDGE_TOKEN_REFUSED,
  CUSTOMER_DISPLAY_COMMANDS,
  type HostEvent,
  type Result,
} from '../../common/contract';
import { createLimitedServer, type ConnectionLimits } from '../core/connection-limits';
import { logBudget } from '../core/log-budget';
import { redact } from '../core/masking';
import { securityHeaders } from '../core/security-headers';
import { CONTENT_TYPES, contentSecurityPolicy } from './renderer-content';

export const BRIDGE_PATH = '/bridge';
export const BRIDGE_PROTOCOL = 'pos-bridge.v1';
const TOKEN_PROTOCOL_PREFIX = 'token.';

/** The part of the host web mode needs. */
export interface BridgeHost {
  dispatch(name: string, input: unknown): Promise<Result<unknown>>;
  subscribe(listener: (event: HostEvent) => void): () => void;
}

export interface WebServerOptions {
  host: BridgeHost;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Per-launch secret; generated when absent. */
  token?: string;
  /** The customer display's own secret (the host keeps it across launches); generated when absent. */
  displayToken?: string;
  /** How many customer displays are connected, whenever that changes. */
  onDisplayConnections?: (count: number) => void;
  /**
   * Lines for standard error, each masked first (`mask`) as the developer log masks its entries: an
   * error may quote a key, a URL's password or a card number.
   */
  log?: (line: string) => void;
  /** The masking of `log`'s lines: the host's developer log's (`host.devlog.redact`), else redact()'s by shape. */
  mask?: (text: string) => string;
  /** WEB_CONNECTION_LIMITS unless given (tests make them small). */
  limits?: Partial<ConnectionLimits>;
}

export interface RunningWebServer {
  /** Open this: it carries the token in the fragment, which never reaches a server log. */
  url: string;
  origin: string;
  port: number;
  token: string;
  /** The customer display's page: its own token, read-only but for the customer's choices. */
  readonly displayUrl: string;
  readonly displayToken: string;
  /**
   * A new token for the customer display: the old address stops working at once, and the displays
   * open on it are closed with BRIDGE_TOKEN_REFUSED (they say so and take nothing more).
   */
  setDisplayToken(token: string): void;
  close(): Promise<void>;
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy("'self'");

const SECURITY_HEADERS = securityHeaders(CONTENT_SECURITY_POLICY);

/**
 * A browser opens about six connections to a server and one bridge per tab: 128 leaves ample room
 * for the cashier's tabs and displays, well under the 1,024 descriptors a process may hold by
 * default, and not for a local program that would hold thousands. Only GETs come here, their
 * headers at once: 10 s is plenty for the page, and a trickling client is cut.
 */
export const WEB_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 128,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  checkIntervalMs: 1_000,
};

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  let displayToken = options.displayToken ?? randomBytes(24).toString('hex');
  if (displayToken === token) throw new Error('the display token must differ from the cashier token');
  let displays = 0;
  /** The display bridges open now, each with the token it was opened with. */
  const displaySockets = new Map<WebSocket, string>();
  const staticRoot = resolve(options.staticDir);
  const sink = options.log ?? (() => undefined);
  const mask = options.mask ?? ((text: string) => redact(text));
  const log = (line: string) => sink(mask(line));
  const refused = refusalLog(log);
  let port = 0;
  const allowedHosts = () => hostsFor(port);
  const allowedOrigins = () => originsFor(port);

  const server: Server = createLimitedServer({ ...WEB_CONNECTION_LIMITS, ...options.limits }, (request, response) => {
    // Names the page where it is (a cashier who typed localhost); a rebinding page learns nothing new.
    if (!allowedHosts().has(request.headers.host ?? ''))
      return refuse(response, 421, `Open http://127.0.0.1:${port}/ (the address printed at start).`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Method not allowed.');
    serveStatic(staticRoot, request, response);
  });
  // Past the cap a socket is closed before anything is read: said on standard error, once a minute.
  const dropped = logBudget<number>((max, unlogged) =>
    log(
      `connection refused: ${max} open already${unlogged > 0 ? ` (${unlogged} more refused since the last one logged)` : ''}`,
    ),
  );
  server.on('drop', () => dropped(server.maxConnections));

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: BRIDGE_MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(BRIDGE_PROTOCOL) ? BRIDGE_PROTOCOL : false),
  });

  const refuseToken = (ws: WebSocket) => {
    // Frames may still arrive before the close completes: a bad one is an 'error' event, which
    // would crash the host with no listener.
    ws.on('error', (error) => log(`bridge socket error: ${error.message}`));
    ws.close(BRIDGE_TOKEN_REFUSED, 'wrong launch token');
  };

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reason = checkUpgrade(request, allowedHosts(), allowedOrigins(), token);
    if (reason === TOKEN_REFUSED && checkUpgrade(request, allowedHosts(), allowedOrigins(), displayToken) === null) {
      // The customer display's token: a bridge restricted to the display.
      const opened = displayToken;
      sockets.handleUpgrade(request, socket, head, (ws) => {
        // Replaced while the upgrade completed: refused, as the old address now is.
        if (opened !== displayToken) return refuseToken(ws);
        displays++;
        displaySockets.set(ws, opened);
        options.onDisplayConnections?.(displays);
        ws.on('close', () => {
          displays--;
          displaySockets.delete(ws);
          options.onDisplayConnections?.(displays);
        });
        serveBridge(ws, options.host, log, 'display');
      });
      return;
    }
    if (reason === TOKEN_REFUSED) {
      // Our own page (right Host and Origin) with a stale or wrong token: a browser cannot read a
      // refused upgrade's status, so accept and close at once with a code that says why. No
      // command is ever read from this socket.
      refused(reason);
      sockets.handleUpgrade(request, socket, head, refuseToken);
      return;
    }
    if (reason) {
      refused(reason);
      // Node leaves an upgrade's socket errors to this handler: a client that resets the connection
      // before the refusal is written must not crash the host.
      socket.on('error', () => undefined);
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason}\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveBridge(ws, options.host, log, 'cashier'));
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    get displayUrl() {
      return `${origin}/#display=${displayToken}`;
    },
    get displayToken() {
      return displayToken;
    },
    setDisplayToken(next) {
      if (next === token) throw new Error('the display token must differ from the cashier token');
      displayToken = next;
      // Told at once, as a stale token is: the page says its address no longer works and stops.
      for (const [ws, opened] of displaySockets)
        if (opened !== next) ws.close(BRIDGE_TOKEN_REFUSED, 'display address changed');
    },
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections?.();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}

const TOKEN_REFUSED = 'missing or wrong launch token';

/**
 * The Host headers naming this server: 127.0.0.1 only, where it listens. Not `localhost`: a browser
 * may reach that name on [::1] first, where any local user can listen on the same port and would
 * then serve the page that reads the token from the URL (and, Origin `http://localhost:PORT`, use
 * it). A browser leaves out the scheme's default port, so on port 80 the bare name is this server too.
 */
export function hostsFor(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, ...(port === 80 ? ['127.0.0.1'] : [])]);
}

/** Our own page's Origins, as hostsFor (a browser's Origin leaves out port 80 as well). */
export function originsFor(port: number): Set<string> {
  return new Set([...hostsFor(port)].map((host) => `http://${host}`));
}

/**
 * Logs refused bridge attempts without letting a page that retries in a loop (a stale tab, a
 * hostile local page) flood standard error: the first refusal of a minute is written with its
 * reason, the others of that minute only counted, and the count written with the next one logged.
 */
export function refusalLog(log: (line: string) => void, now: () => number = Date.now): (reason: string) => void {
  return logBudget(
    (reason, unlogged) =>
      log(`bridge refused: ${reason}${unlogged > 0 ? ` (${unlogged} more refused since the last one logged)` : ''}`),
    { now },
  );
}

/** Why an upgrade is refused, or null when it may proceed. */
export function checkUpgrade(
  request: IncomingMessage,
  hosts: Set<string>,
  origins: Set<string>,
  token: string,
): string | null {
  // A target such as `//` is no URL path (new URL throws): refused, never thrown out of the handler.
  if (!URL.canParse(request.url ?? '/', 'http://x') || new URL(request.url ?? '/', 'http://x').pathname !== BRIDGE_PATH)
    return 'unknown path';
  if (!hosts.has(request.headers.host ?? '')) return 'wrong Host header';
  if (!origins.has(request.headers.origin ?? '')) return 'wrong Origin';
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(BRIDGE_PROTOCOL)) return 'missing bridge protocol';
  const presented = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length) ?? '';
  if (!sameSecret(presented, token)) return TOKEN_REFUSED;
  return null;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const DISPLAY_COMMANDS: ReadonlySet<string> = new Set(CUSTOMER_DISPLAY_COMMANDS);

function serveBridge(ws: WebSocket, host: BridgeHost, log: (line: string) => void, role: 'cashier' | 'display'): void {
  const send = (message: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    // A client that stopped reading must not grow the host's memory without bound.
    if (ws.bufferedAmount > 8 * 1024 * 1024) {
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  };
  // The display hears only what it shows: not payments, readers, settings or the log.
  const unsubscribe = host.subscribe((event) => {
    if (role === 'cashier' || event.type === 'display') send({ type: 'event', event });
  });
  ws.on('close', unsubscribe);
  ws.on('error', (error) => log(`bridge socket error: ${error.message}`));
  ws.on('message', (data, isBinary) => {
    // A socket being closed (a display whose address was just replaced) has no say any more.
    if (ws.readyState !== ws.OPEN) return;
    let message: unknown;
    try {
      message = isBinary ? undefined : JSON.parse(String(data));
    } catch {
      message = undefined;
    }
    const invoke = message as { type?: unknown; id?: unknown; name?: unknown; input?: unknown } | undefined;
    if (
      !invoke ||
      invoke.type !== 'invoke' ||
      typeof invoke.id !== 'number' ||
      !Number.isSafeInteger(invoke.id) ||
      typeof invoke.name !== 'string'
    ) {
      send({
        type: 'error',
        message: 'Malformed bridge message: expected {"type":"invoke","id":<integer>,"name":<string>,"input":{…}}.',
      });
      return;
    }
    const id = invoke.id;
    if (role === 'display' && !DISPLAY_COMMANDS.has(invoke.name)) {
      send({
        type: 'result',
        id,
        result: { ok: false, error: { code: 'unauthorized', message: 'The customer display cannot do that.' } },
      });
      return;
    }
    host
      .dispatch(invoke.name, invoke.input)
      .then((result) => send({ type: 'result', id, result }))
      .catch((error: unknown) => {
        log(`bridge dispatch failed: ${String(error)}`);
        send({
          type: 'result',
          id,
          result: { ok: false, error: { code: 'internal', message: 'The host failed to handle the command.' } },
        });
      });
  });
}

function serveStatic(root: string, request: IncomingMessage, response: ServerResponse): void {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
  } catch {
    return refuse(response, 400, 'Bad path.');
  }
  if (pathname === '/') pathname = '/index.html';
  const file = normalize(join(root, pathname));
  if (!file.startsWith(root + sep) || pathname.includes('\0')) return refuse(response, 404, 'Not found.');
  if (!isFile(file)) {
    return refuse(
      response,
      404,
      pathname === '/index.html' ? 'The renderer is not built. Run `npm run build` first.' : 'Not found.',
    );
  }
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  // A file that passed the checks can still fail to read (removed by a rebuild meanwhile, not
  // readable by this user): the answer is cut short, never an uncaught error that stops the host.
  createReadStream(file)
    .on('error', () => response.destroy())
    .pipe(response);
}

/** Whether `path` is a file now; a stat that fails (removed by a rebuild, unreadable) is "no". */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function refuse(response: ServerResponse, status: number, message: string): void {
  // Never cached: a refusal (a wrong Host, a file missing mid-rebuild) must not outlive its cause.
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  response.end(message);
}
