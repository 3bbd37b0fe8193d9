/**
 * The HTTP layer: one node:http server running every request through the same pipeline —
 * route, inject faults, authenticate, read and parse the body, call the handler, render the answer
 * (or, for an injected drop, destroy the connection after the handler committed its change).
 * Every error leaves as the documented `{"error": {...}}` body; nothing a client sends can crash it.
 */
import http from 'node:http';
import { ApiError, badRequest } from './errors';
import { parseForm, parseJsonObject, readBody } from './body';
import type { Emulator } from './emulator';
import type { ApiRequest, Reply, Route } from './router';

export interface ServerOptions {
  /** Every emulated gateway; a request goes to the one with the longest matching prefix. */
  emulators: readonly Emulator[];
  log: (line: string) => void;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

function bearerOf(request: http.IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

function authenticate(route: Route, bearer: string | undefined, emulator: Emulator): void {
  if (route.auth === 'none' || route.auth === 'bearer') return;
  const kind = emulator.checkKey(bearer);
  if (kind instanceof ApiError) throw kind;
  if (route.auth === 'secret' && kind !== 'secret') {
    throw new ApiError(
      403,
      'authentication_error',
      'A publishable key cannot be used here; this endpoint needs the secret key.',
      { code: 'secret_key_required' },
    );
  }
}

/** The emulator that owns a path, and the path within it. */
function mountOf(emulators: readonly Emulator[], path: string): { emulator: Emulator; path: string } {
  let best: Emulator | undefined;
  for (const emulator of emulators) {
    const { prefix } = emulator;
    const owns = prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
    if (owns && (!best || prefix.length > best.prefix.length)) best = emulator;
  }
  if (!best) throw new Error('no emulator is mounted at the root');
  return { emulator: best, path: path.slice(best.prefix.length) || '/' };
}

function send(response: http.ServerResponse, reply: Reply): void {
  if (response.headersSent || response.destroyed) return;
  if (reply.html !== undefined) {
    const body = Buffer.from(reply.html, 'utf8');
    response.writeHead(reply.status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
      // The hosted page loads nothing from anywhere: inline styles only, no scripts, no frames.
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...reply.headers,
    });
    response.end(body);
    return;
  }
  if (reply.json === undefined) {
    response.writeHead(reply.status, { 'Cache-Control': 'no-store', 'Content-Length': 0, ...reply.headers });
    response.end();
    return;
  }
  const body = JSON.stringify(reply.json);
  response.writeHead(reply.status, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body), ...reply.headers });
  response.end(body);
}

/** The root emulator's error format, for requests that fail before a route is known. */
function rootError(emulators: readonly Emulator[], error: ApiError): Reply {
  return mountOf(emulators, '/').emulator.renderError(error);
}

export function createApiServer(options: ServerOptions): http.Server {
  const { emulators, log } = options;

  async function handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    owner: { emulator: Emulator | null },
  ): Promise<void> {
    const method = request.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://sandbox.invalid');
    } catch {
      send(response, rootError(emulators, badRequest('Malformed request URL.')));
      return;
    }
    const fullPath = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    const { emulator, path } = mountOf(emulators, fullPath);
    owner.emulator = emulator;
    const match = emulator.router.match(method, path);
    if (!match.route) {
      const message = match.pathKnown
        ? `${method} is not supported on ${fullPath}.`
        : `Unrecognized request URL (${method} ${fullPath}).`;
      throw new ApiError(404, 'invalid_request', message, { code: 'route_not_found' });
    }
    const route = match.route;
    const faultable = emulator.faultable(path);
    const faults = emulator.faults;

    if (faultable && faults.active) {
      const latency = faults.current.latency_ms;
      if (latency > 0) await new Promise<void>((resolve) => setTimeout(resolve, latency));
      if (faults.shouldFail()) {
        throw new ApiError(500, 'api_error', 'Injected fault: the sandbox answered 500 before changing anything.', {
          code: 'injected_fault',
        });
      }
    }

    const bearer = bearerOf(request);
    authenticate(route, bearer, emulator);

    let body: Record<string, unknown> = {};
    if (route.body !== 'none') {
      const raw = await readBody(request);
      body = route.body === 'form' ? parseForm(raw) : parseJsonObject(raw);
    }

    // Only long polls need to know that the client went away: make the signal on first use.
    let controller: AbortController | undefined;
    const apiRequest: ApiRequest = {
      method,
      path,
      params: match.params,
      query: url.searchParams,
      body,
      bearer,
      headers: request.headers,
      get signal() {
        if (!controller) {
          const created = new AbortController();
          controller = created;
          response.on('close', () => {
            if (!response.writableFinished) created.abort();
          });
        }
        return controller.signal;
      },
    };
    const reply = await route.handler(apiRequest);

    if (faultable && method !== 'GET' && reply.status < 300 && faults.shouldDrop()) {
      // The change is committed; the client never learns it. This is the case it must recover from.
      request.socket.destroy();
      return;
    }
    send(response, reply);
  }

  const server = http.createServer((request, response) => {
    request.on('error', () => {});
    const owner: { emulator: Emulator | null } = { emulator: null };
    handle(request, response, owner).catch((error: unknown) => {
      const render = (apiError: ApiError) =>
        owner.emulator ? owner.emulator.renderError(apiError) : rootError(emulators, apiError);
      if (error instanceof ApiError) {
        send(response, render(error));
        return;
      }
      // Only a connection that is gone cannot be answered. (The request stream counts as destroyed
      // as soon as its body has been read, so it says nothing about whether the client still waits.)
      if (response.destroyed || response.writableEnded) return;
      log(
        `internal error on ${request.method} ${request.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      send(response, render(new ApiError(500, 'api_error', 'Internal sandbox error.', { code: 'internal_error' })));
    });
  });
  // A request line or headers past Node's limit never reach the handler: answer with the documented
  // error body instead of Node's bare status line.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const reply = rootError(
      emulators,
      tooLarge
        ? new ApiError(
            431,
            'invalid_request',
            'The request line and headers are too large (at most 16 KiB); shorten the query string.',
            {
              code: 'request_too_large',
            },
          )
        : badRequest('Malformed HTTP request.', undefined, 'malformed_request'),
    );
    const body = JSON.stringify(reply.json);
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  // Long polls hold a request up to 30 s; the defaults (300 s per request) already allow it.
  server.keepAliveTimeout = 5_000;
  return server;
}
