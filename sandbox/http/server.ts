/**
 * The HTTP layer: one node:http server running every request through the same pipeline —
 * route, inject faults, authenticate, refuse a query on a route that takes none, read and parse the
 * body, call the handler, render the answer (or, for an injected drop, destroy the connection after
 * the handler committed its change).
 * Every answer, and every dropped connection, waits for the group commit covering what the handlers
 * of its turn wrote (core/group-commit.ts); when that commit fails it is a 500 instead.
 * Every error leaves as the documented `{"error": {...}}` body; nothing a client sends can crash it.
 */
import http from 'node:http';
import { strictFormFields } from '../../common/utf8';
import { ApiError, badRequest, commitFailed } from './errors';
import { firstHeader, parseForm, parseJsonObject, readBody, refusedBeforeSent } from './body';
import type { GroupCommit } from '../core/group-commit';
import type { Emulator } from './emulator';
import { Params } from './params';
import type { ApiRequest, Reply, Route } from './router';

export interface ServerOptions {
  /** Every emulated gateway; a request goes to the one with the longest matching prefix. */
  emulators: readonly Emulator[];
  log: (line: string) => void;
  /** The database's group commit, which every answer waits for; without one, answers leave at once. */
  commits?: GroupCommit;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

function bearerOf(request: http.IncomingMessage): string | undefined {
  const header = firstHeader(request, 'authorization');
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

/**
 * An Authorization header that is there but not `Bearer <key>` (`Basic …`, the key alone): said as
 * such, rather than as a missing or unknown credential, on every route that takes one — a key, or
 * the token or secret a `bearer` route checks itself (Plural's access token, the reader link's).
 */
function refuseMalformedAuthorization(route: Route, request: http.IncomingMessage): void {
  if (route.auth === 'none') return;
  const header = (firstHeader(request, 'authorization') ?? '').trim();
  if (header === '') return;
  const [scheme, ...rest] = header.split(/\s+/);
  // The scheme is named; nothing else is echoed back (it may be a key).
  const shown = /^bearer$/i.test(scheme!)
    ? `"Bearer" followed by ${rest.length === 0 ? 'no key' : `${rest.length} words, not one key`}`
    : rest.length > 0 && /^[A-Za-z-]{1,20}$/.test(scheme!)
      ? `"${scheme} …"`
      : 'a value with no scheme (the key alone?)';
  throw new ApiError(
    401,
    'authentication_error',
    `The Authorization header must be "Bearer <${route.credential ?? 'secret key'}>"; it was sent as ${shown}.`,
    { code: 'authorization_malformed' },
  );
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

interface Mount {
  readonly emulator: Emulator;
  readonly prefix: string;
  /** `${prefix}/`, made once. */
  readonly under: string;
}

/** The emulators, longest prefix first (the first of equal prefixes stays first). */
function mountsOf(emulators: readonly Emulator[]): Mount[] {
  return emulators
    .map((emulator) => ({ emulator, prefix: emulator.prefix, under: `${emulator.prefix}/` }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
}

/** The emulator that owns a path (the longest matching prefix), and the path within it. */
function mountOf(mounts: readonly Mount[], path: string): { emulator: Emulator; path: string } {
  for (const { emulator, prefix, under } of mounts) {
    if (prefix === '') return { emulator, path: path || '/' };
    if (path === prefix) return { emulator, path: '/' };
    if (path.startsWith(under)) return { emulator, path: path.slice(prefix.length) };
  }
  throw new Error('no emulator is mounted at the root');
}

/** A request target whose path WHATWG URL parsing leaves as it is: no percent, dot segment or `//`. */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_~\-./]*$/;
/** A query string of printable ASCII without a fragment (URLSearchParams reads it as URL would). */
const PLAIN_QUERY = /^[\x21-\x22\x24-\x7e]*$/;

/**
 * The path and the query string of a request target, as `new URL(target, base)` reads them, or
 * null when the target cannot be parsed. Plain targets (every request a client of the sandbox
 * makes) are split by hand; anything else goes through the URL parser.
 */
export function parseTarget(target: string): { pathname: string; search: string } | null {
  const mark = target.indexOf('?');
  const path = mark < 0 ? target : target.slice(0, mark);
  // With its '?', as URL's search has it: URLSearchParams drops exactly one leading '?'.
  const search = mark < 0 ? '' : target.slice(mark);
  if (PLAIN_PATH.test(path) && !path.includes('/.') && !path.includes('//') && PLAIN_QUERY.test(search))
    return { pathname: path, search };
  try {
    const url = new URL(target, 'http://sandbox.invalid');
    return { pathname: url.pathname, search: url.search };
  } catch {
    return null;
  }
}

function noop(): void {}

/** Whether a request says it carries a body (a length above 0, or chunks). */
function hasBody(request: http.IncomingMessage): boolean {
  const length = firstHeader(request, 'content-length');
  return (length !== undefined && length.trim() !== '0') || firstHeader(request, 'transfer-encoding') !== undefined;
}

/** Nothing, or an empty JSON object (what some clients send with every DELETE). */
function isEmptyBody(raw: Buffer): boolean {
  return raw.length === 0 || /^\s*(\{\s*\})?\s*$/.test(raw.toString('utf8'));
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
  const length = Buffer.byteLength(body);
  response.writeHead(
    reply.status,
    reply.headers
      ? { ...JSON_HEADERS, 'Content-Length': length, ...reply.headers }
      : {
          'Content-Type': JSON_HEADERS['Content-Type'],
          'Cache-Control': JSON_HEADERS['Cache-Control'],
          'Content-Length': length,
        },
  );
  response.end(body);
}

/** The path of the request line at the start of what a client sent (query left out), or null. */
function requestPathOf(raw: Buffer | undefined): string | null {
  const line = raw?.toString('latin1', 0, Math.min(raw.length, 1024)) ?? '';
  const target = /^[A-Z]+ (\/[^ ?]*)/.exec(line)?.[1];
  return target !== undefined && PLAIN_PATH.test(target) ? target : null;
}

/** The root emulator's error format, for requests that fail before a route is known. */
function rootError(mounts: readonly Mount[], error: ApiError): Reply {
  return mountOf(mounts, '/').emulator.renderError(error);
}

/** What every exchange of one server shares. */
interface Pipeline {
  readonly mounts: readonly Mount[];
  readonly log: (line: string) => void;
  readonly commits: GroupCommit | undefined;
}

/** What an exchange ends with: an answer, or (an injected drop) the connection destroyed. */
type Outcome = Reply | 'drop';

/** The request as a handler sees it. The query, headers and abort signal are made on first use. */
class HandlerRequest implements ApiRequest {
  private querySeen: URLSearchParams | undefined;
  private controller: AbortController | undefined;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly params: Readonly<Record<string, string>>,
    readonly body: Readonly<Record<string, unknown>>,
    readonly bearer: string | undefined,
    private readonly search: string,
    private readonly request: http.IncomingMessage,
    private readonly response: http.ServerResponse,
  ) {}

  /**
   * Only routes that declare a `query` read it (for any other, the server refused a non-empty one).
   * Decoded strictly, as a body or a form is: a `%XX` escape that is not UTF-8 (`search=Caf%E9`, sent
   * in Latin-1) is refused rather than read as U+FFFD, which matched nothing and said nothing.
   */
  get query(): URLSearchParams {
    if (this.querySeen) return this.querySeen;
    const fields = strictFormFields(this.search.startsWith('?') ? this.search.slice(1) : this.search);
    if (fields === null) {
      throw badRequest(
        'The query string is not UTF-8 text (a %XX escape of another encoding); send it percent-encoded from UTF-8.',
        undefined,
        'invalid_query',
      );
    }
    return (this.querySeen = fields);
  }

  get headers(): http.IncomingHttpHeaders {
    return this.request.headers;
  }

  /** Only long polls need to know that the client went away. */
  get signal(): AbortSignal {
    if (!this.controller) {
      const created = new AbortController();
      this.controller = created;
      const response = this.response;
      response.on('close', () => {
        if (!response.writableFinished) created.abort();
      });
    }
    return this.controller.signal;
  }
}

/**
 * One request on its way through the pipeline. Each step calls the next directly; only the
 * injected latency, the body and a handler that answers later wait for anything. Whatever a step
 * throws is answered by fail().
 */
class Exchange {
  /** The emulator that owns the path, once known (its error format answers failures). */
  private emulator: Emulator | null = null;
  private method = 'GET';
  private path = '/';
  private search = '';
  private route: Route | null = null;
  private params: Record<string, string> = {};
  private faultable = false;
  private bearer: string | undefined;
  /** The `Allow` header of an answer to a method the path does not take. */
  private allow: string | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly request: http.IncomingMessage,
    private readonly response: http.ServerResponse,
  ) {}

  /** Routes, then goes on at once or after an injected latency. */
  start(): void {
    try {
      const { request } = this;
      const method = (this.method = request.method ?? 'GET');
      const url = request.url ?? '/';
      const target = parseTarget(url);
      if (target === null) {
        this.deliver(rootError(this.pipeline.mounts, badRequest('Malformed request URL.')));
        return;
      }
      const rawPath = url.split(/[?#]/, 1)[0]!;
      if (rawPath.includes('//')) {
        // `/v1//transactions` is no route (the router would skip the empty segment, and URL reads
        // `//v1/…` as a host): said as such, with the path as sent, in the format of the API it names.
        const shown = rawPath.slice(0, 200);
        this.emulator = mountOf(this.pipeline.mounts, rawPath.replace(/\/{2,}/g, '/')).emulator;
        throw new ApiError(
          404,
          'invalid_request',
          `Unrecognized request URL (${method} ${shown}): the path has an empty segment (//); check how the base URL and the path are joined.`,
          { code: 'route_not_found' },
        );
      }
      const { pathname, search } = target;
      const fullPath = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
      const { emulator, path } = mountOf(this.pipeline.mounts, fullPath);
      this.emulator = emulator;
      this.path = path;
      this.search = search;
      const match = emulator.router.match(method, path);
      if (!match.route) {
        // The methods the path takes, on the 405 (RFC 9110 requires it) or the 404 that stands for one.
        if (match.pathKnown) this.allow = match.allowed.join(', ');
        if (match.pathKnown && emulator.methodNotAllowed) throw emulator.methodNotAllowed(method, match.allowed);
        const message = match.pathKnown
          ? `${method} is not supported on ${fullPath}.`
          : `Unrecognized request URL (${method} ${fullPath}).`;
        throw new ApiError(404, 'invalid_request', message, { code: 'route_not_found' });
      }
      this.route = match.route;
      this.params = match.params;
      this.faultable = emulator.faultable(path);
      const faults = emulator.faults;
      if (this.faultable && faults.active) {
        const latency = faults.current.latency_ms;
        if (latency > 0) {
          setTimeout(() => this.afterFaults(true), latency);
          return;
        }
        this.afterFaults(true);
        return;
      }
      this.afterFaults(false);
    } catch (error) {
      this.fail(error);
    }
  }

  /** An injected 500, authentication, then the body. */
  private afterFaults(injected: boolean): void {
    try {
      const emulator = this.emulator!;
      const route = this.route!;
      if (injected && emulator.faults.shouldFail()) {
        throw new ApiError(500, 'api_error', 'Injected fault: the sandbox answered 500 before changing anything.', {
          code: 'injected_fault',
        });
      }
      this.bearer = bearerOf(this.request);
      if (this.bearer === undefined) refuseMalformedAuthorization(route, this.request);
      authenticate(route, this.bearer, emulator);
      // A route that takes no body still reads one it is sent, to refuse it (after the resource).
      if (route.body === 'none' && !hasBody(this.request)) this.checked(null);
      else readBody(this.request, (error, raw) => this.withBody(error, raw));
    } catch (error) {
      this.fail(error);
    }
  }

  private withBody(error: Error | null, raw: Buffer): void {
    if (error) {
      this.fail(error);
      return;
    }
    try {
      this.checked(raw);
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * The object the path names, then the query, then the body (null: the route takes none): an
   * unknown id is 404 whatever else is wrong, as the docs say.
   */
  private checked(raw: Buffer | null): void {
    const route = this.route!;
    if (route.resource) route.resource(this.handlerRequest({}));
    // A route that takes no query parameter refuses any, as a list refuses one it does not know
    // (before, `POST /v1/transactions?x=1` made a payment and `GET /v1/transactions/{id}?x=1`
    // answered 200, x dropped).
    if (route.query === undefined && this.search.length > 1) Params.query(new URLSearchParams(this.search), []);
    if (route.body === 'none') {
      if (raw !== null && !isEmptyBody(raw)) {
        throw badRequest(
          `${this.method} ${this.request.url?.split('?')[0]?.slice(0, 200)} takes no request body${this.method === 'GET' ? '; send its parameters in the query string' : ''}.`,
          undefined,
          'body_not_allowed',
        );
      }
      this.answer({});
    } else if (raw === null) this.answer({});
    else
      this.answer(
        route.body === 'form' ? parseForm(raw) : parseJsonObject(raw, firstHeader(this.request, 'content-type')),
      );
  }

  private handlerRequest(body: Record<string, unknown>): HandlerRequest {
    return new HandlerRequest(
      this.method,
      this.path,
      this.params,
      body,
      this.bearer,
      this.route!.query === undefined ? '' : this.search,
      this.request,
      this.response,
    );
  }

  private answer(body: Record<string, unknown>): void {
    const request = this.handlerRequest(body);
    const answer = this.route!.handler(request);
    if (answer instanceof Promise) {
      answer.then(
        (reply) => {
          try {
            this.reply(reply);
          } catch (error) {
            this.fail(error);
          }
        },
        (error: unknown) => this.fail(error),
      );
    } else this.reply(answer);
  }

  private reply(reply: Reply): void {
    const { faultable, method } = this;
    if (faultable && method !== 'GET' && reply.status < 300 && this.emulator!.faults.shouldDrop()) {
      // The change is committed; the client never learns it. This is the case it must recover from.
      this.deliver('drop');
      return;
    }
    this.deliver(reply);
  }

  /**
   * Sends the answer (or drops the connection) once everything written so far is committed: an
   * answer, even a GET's, may show what this turn's handlers wrote. When the commit failed, none of
   * it was saved, and the answer is a 500 saying so.
   */
  private deliver(outcome: Outcome): void {
    const commits = this.pipeline.commits;
    if (commits === undefined || !commits.pending) {
      this.finish(outcome);
      return;
    }
    commits.afterCommit((committed) => {
      if (committed) this.finish(outcome);
      else this.finish(this.render(commitFailed()));
    });
  }

  private finish(outcome: Outcome): void {
    if (outcome === 'drop') this.request.socket.destroy();
    else send(this.response, outcome);
  }

  private render(error: ApiError): Reply {
    // A browser on a hosted page reads a page, not JSON, when the sandbox fails, or when it refuses
    // the form itself before the page's handler sees it (a form that is not UTF-8, one too large).
    if (this.route?.page && (error.status >= 500 || this.route.body === 'form')) return this.route.page(error);
    return this.emulator ? this.emulator.renderError(error) : rootError(this.pipeline.mounts, error);
  }

  private fail(error: unknown): void {
    const { request, response, pipeline } = this;
    if (error instanceof ApiError) {
      const reply = this.render(error);
      this.deliver(this.allow === undefined ? reply : { ...reply, headers: { ...reply.headers, Allow: this.allow } });
      return;
    }
    // Only a connection that is gone cannot be answered. (The request stream counts as destroyed
    // as soon as its body has been read, so it says nothing about whether the client still waits.)
    if (response.destroyed || response.writableEnded) return;
    pipeline.log(
      `internal error on ${request.method} ${request.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    this.deliver(this.render(new ApiError(500, 'api_error', 'Internal sandbox error.', { code: 'internal_error' })));
  }
}

export function createApiServer(options: ServerOptions): http.Server {
  const mounts = mountsOf(options.emulators);
  const pipeline: Pipeline = { mounts, log: options.log, commits: options.commits };
  const handle = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    request.on('error', noop);
    new Exchange(pipeline, request, response).start();
  };
  const server = http.createServer(handle);
  // A client sending `Expect: 100-continue` is told to go on, unless its body is declared too
  // large: then it is answered (readBody refuses it) without being asked for the body, and the
  // connection closes, since the client may send the body after all.
  server.on('checkContinue', (request, response) => {
    if (refusedBeforeSent(request)) response.shouldKeepAlive = false;
    else response.writeContinue();
    handle(request, response);
  });
  // A request line or headers past Node's limit never reach the handler: answer with the documented
  // error body instead of Node's bare status line. (It read nothing, so it waits for no commit.)
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    // In the format of the emulator the path belongs to, when the request line got that far.
    const reply = mountOf(mounts, requestPathOf(error.rawPacket) ?? '/').emulator.renderError(
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
