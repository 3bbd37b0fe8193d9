/**
 * The HTTP layer: one node:http server running every request through the same pipeline —
 * route, inject faults, authenticate, read and parse the body, call the handler, render the answer
 * (or, for an injected drop, destroy the connection after the handler committed its change).
 * Every error leaves as the documented `{"error": {...}}` body; nothing a client sends can crash it.
 */
import http from 'node:http';
import type { FaultInjector } from '../domain/faults';
import { ApiError, badRequest, unauthorized } from './errors';
import { parseForm, parseJsonObject, readBody } from './body';
import type { ApiRequest, Reply, Route, Router } from './router';

export type KeyCheck = (bearer: string) => 'secret' | 'publishable' | ApiError;

export interface ServerOptions {
  router: Router;
  checkKey: KeyCheck;
  faults: FaultInjector;
  log: (line: string) => void;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

function bearerOf(request: http.IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

function authenticate(route: Route, bearer: string | undefined, checkKey: KeyCheck): void {
  if (route.auth === 'none' || route.auth === 'bearer') return;
  if (bearer === undefined) {
    throw unauthorized('No API key provided. Send it as "Authorization: Bearer sk_test_…".', 'api_key_missing');
  }
  const kind = checkKey(bearer);
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

function errorReply(error: ApiError): Reply {
  return { status: error.status, json: error.toBody() };
}

export function createApiServer(options: ServerOptions): http.Server {
  const { router, checkKey, faults, log } = options;

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://sandbox.invalid');
    } catch {
      send(response, errorReply(badRequest('Malformed request URL.')));
      return;
    }
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    const match = router.match(method, path);
    if (!match.route) {
      const message = match.pathKnown
        ? `${method} is not supported on ${path}.`
        : `Unrecognized request URL (${method} ${path}).`;
      send(response, { status: 404, json: { error: { type: 'invalid_request', message, code: 'route_not_found' } } });
      return;
    }
    const route = match.route;

    if (route.faultable && faults.active) {
      const latency = faults.current.latency_ms;
      if (latency > 0) await new Promise<void>((resolve) => setTimeout(resolve, latency));
      if (faults.shouldFail()) {
        send(response, {
          status: 500,
          json: {
            error: {
              type: 'api_error',
              message: 'Injected fault: the sandbox answered 500 before changing anything.',
              code: 'injected_fault',
            },
          },
        });
        return;
      }
    }

    const bearer = bearerOf(request);
    authenticate(route, bearer, checkKey);

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

    if (route.faultable && method !== 'GET' && reply.status < 300 && faults.shouldDrop()) {
      // The change is committed; the client never learns it. This is the case it must recover from.
      request.socket.destroy();
      return;
    }
    send(response, reply);
  }

  const server = http.createServer((request, response) => {
    request.on('error', () => {});
    handle(request, response).catch((error: unknown) => {
      if (error instanceof ApiError) {
        send(response, errorReply(error));
        return;
      }
      if (response.destroyed || request.destroyed) return;
      log(
        `internal error on ${request.method} ${request.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      send(response, {
        status: 500,
        json: { error: { type: 'api_error', message: 'Internal sandbox error.', code: 'internal_error' } },
      });
    });
  });
  // Long polls hold a request up to 30 s; the defaults (300 s per request) already allow it.
  server.keepAliveTimeout = 5_000;
  return server;
}
