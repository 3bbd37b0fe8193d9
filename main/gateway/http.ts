/**
 * One place where the host speaks HTTP to a gateway: timeouts on every call, JSON in and out,
 * answers validated against the schema the caller expects, errors classified (see errors.ts),
 * and a log hook that only ever sees method, path, status and timing (never headers or bodies).
 *
 * It is also where a gateway's own words leave the client: every error's text (a refusal, a server
 * error, an answer not understood) is masked here (`redact`: keys by shape, card numbers, and the
 * secrets of this client and this call by value) before the screen, the journal or a log sees it.
 * Some gateways echo what they were sent ("Invalid API key sk_live_…"). Only on errors: a call
 * that succeeds costs nothing more.
 */
import type { z } from 'zod';
import { redact } from '../core/masking';
import { strictUtf8 } from '../../common/utf8';
import { traceEnd, tracing } from '../core/trace';
import {
  GatewayError,
  GatewayUnreachable,
  GatewayUnreadable,
  throttled,
  unavailable,
  unreachableFromFetchError,
} from './errors';

/**
 * The largest answer read, in bytes after decompression: far above any page the clients ask for
 * (100 payments), far below what would hurt the host. A broken proxy or a gzip bomb streaming for
 * the whole timeout would otherwise be held in memory whole, then parsed.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export interface HttpLogEntry {
  method: string;
  path: string;
  status: number | null;
  ms: number;
  error?: string;
}

/** A refusal as the gateway wrote it, in the terms GatewayError keeps. */
export interface ErrorBody {
  type: string;
  message: string;
  param: string | null;
  code: string | null;
}

export interface GatewayHttpOptions {
  /** e.g. "http://127.0.0.1:4242" or "https://plutopayus.com/api"; paths start with /v1. */
  baseUrl: string;
  /** Reads the gateway's own error format; null when the body is not one. */
  parseError: (json: unknown, status: number) => ErrorBody | null;
  /** Default bound for one call. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  onRequest?: (entry: HttpLogEntry) => void;
  /**
   * The client's secrets whose shape says nothing (a Plural client secret, a signature key): masked
   * by value in any error text the gateway sends back. Asked only when there is an error.
   */
  secrets?: () => readonly (string | null)[];
}

export interface RequestOptions {
  /** Bearer credential for this call (secret key, connection token or link secret); null sends none. */
  auth: string | null;
  body?: Record<string, unknown>;
  /** Extra headers (e.g. a request id); never logged. */
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class GatewayHttp {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: GatewayHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  /** Error text from the gateway (or about its answer), masked: see the file's comment. */
  private masked(text: string, auth: string | null): string {
    const known = (this.options.secrets?.() ?? []).filter((secret): secret is string => !!secret);
    return redact(text, auth !== null ? [...known, auth] : known);
  }

  async request<S extends z.ZodType>(
    schema: S,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: RequestOptions,
  ): Promise<z.output<S>> {
    const started = performance.now();
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    // One controller per call, aborted by our own timer or by the caller's signal. (AbortSignal.timeout
    // plus AbortSignal.any cost a transferable signal and a dependent-signal registration per call,
    // which showed in profiles of figure 1 of `npm run bench`, issue #6.)
    const controller = new AbortController();
    const signal = controller.signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    }, options.timeoutMs ?? this.timeoutMs);
    // Like AbortSignal.timeout's timer, this one never keeps a process alive by itself.
    timer.unref?.();
    const callerAborted = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) callerAborted();
    else options.signal?.addEventListener('abort', callerAborted, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', callerAborted);
    };
    const log = (status: number | null, error?: string) => {
      // Every call ends here, answered or not: the span of figure 7's breakdown (off in the app).
      if (tracing()) traceEnd('gateway', started, `${method} ${url.pathname}`);
      this.options.onRequest?.({
        method,
        path: url.pathname,
        status,
        ms: Math.round(performance.now() - started),
        ...(error ? { error } : {}),
      });
    };

    let response: Response;
    let text: string | null;
    try {
      response = await this.fetchImpl(url, {
        method,
        signal,
        // Never followed: a 307 would send the request's body (a payment) to whatever the Location
        // names, and its answer would be taken for the gateway's. A redirect is answered below.
        redirect: 'manual',
        headers: {
          ...(options.auth !== null ? { Authorization: `Bearer ${options.auth}` } : {}),
          Accept: 'application/json',
          ...(options.body ? { 'Content-Type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(options.body ? { body: JSON.stringify(options.body) } : {}),
      });
      text = await readAnswer(response);
    } catch (error) {
      if (error instanceof GatewayUnreadable) {
        done();
        log(error.status, 'answer too large');
        throw new GatewayUnreadable(`The gateway's answer to ${method} ${url.pathname} ${error.message}`, error.status);
      }
      if (options.signal?.aborted && !timedOut) {
        done();
        log(null, 'aborted');
        throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
      }
      done();
      const unreachable = unreachableFromFetchError(error, timedOut);
      log(null, unreachable.message);
      throw unreachable;
    }
    done();

    // An answer that is not UTF-8 is not read with its bad bytes replaced: a card holder's name or a
    // reference would be taken (and journaled) as something the gateway never wrote. Unreadable, as
    // a body that is not JSON is.
    let json: unknown;
    try {
      json = text === null ? undefined : text === '' ? null : JSON.parse(text);
    } catch {
      json = undefined;
    }

    if (response.status >= 300 && response.status < 400) {
      log(response.status, 'redirect not followed');
      // Who redirected (the gateway, a proxy, a captive portal) and whether it acted first is not
      // known: an unknown outcome, retrieved before any resend.
      throw new GatewayUnreadable(
        `The gateway's answer to ${method} ${url.pathname} is a redirect (${response.status}) to ${redirectTarget(response, url)}, which the app does not follow.`,
        response.status,
      );
    }

    if (!response.ok) {
      const error = json === undefined ? null : this.options.parseError(json, response.status);
      log(response.status, error ? error.type : text === null ? 'error body not UTF-8' : 'malformed error body');
      // Throttled: nothing was done, and it is not a refusal of the request (nor of the till's keys).
      if (response.status === 429) throw throttled(response.headers.get('retry-after'), Date.now());
      // Not the gateway's answer but the network's: the request went no further than this.
      const inTheWay = NETWORK_IN_THE_WAY[response.status];
      if (inTheWay) throw new GatewayUnreachable('not_sent', inTheWay, response.status);
      if (response.status >= 500 || !error) {
        // A server error may or may not have applied the change: the caller must retrieve first.
        const message = error
          ? this.masked(error.message, options.auth)
          : `HTTP ${response.status} with a ${text === null ? 'body that is not UTF-8' : 'malformed body'}`;
        // Unavailable, it may say for how long: asked sooner, it would only fail again. Still an
        // unknown outcome (a send may have been done before the gateway said so).
        if (response.status === 503) throw unavailable(message, response.headers.get('retry-after'), Date.now());
        throw new GatewayUnreachable('unknown', `The gateway failed (${response.status}): ${message}`, response.status);
      }
      throw new GatewayError(
        response.status,
        this.masked(error.type, options.auth),
        this.masked(error.message, options.auth),
        error.param,
        error.code,
      );
    }

    const parsed = schema.safeParse(json);
    log(response.status, parsed.success ? undefined : 'malformed answer');
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      // An error in the gateway's own format under a success status (some proxies and gateways do
      // that): its words say more than the schema's. Whether it acted stays unknown.
      const error = json === undefined || json === null ? null : this.options.parseError(json, response.status);
      const what =
        text === null
          ? 'is not UTF-8'
          : json === undefined
            ? 'is not JSON'
            : text === ''
              ? 'is empty'
              : error
                ? `is an error despite its status ${response.status} (${error.type}: ${error.message})`
                : `is not in the expected form (${first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'body'})`;
      // A schema's complaint, or the error quoted, may carry what the gateway sent.
      throw new GatewayUnreadable(
        this.masked(`The gateway's answer to ${method} ${url.pathname} ${what}.`, options.auth),
        response.status,
      );
    }
    return parsed.data;
  }

  /**
   * Posts a form to a page of the gateway's own site (test mode: paying a hosted payment page as
   * the customer would). Only on the API's origin; answers the status, never follows a redirect,
   * ignores the HTML; a server error or no answer is GatewayUnreachable.
   */
  async postForm(pageUrl: string, fields: Record<string, string>): Promise<number> {
    const started = performance.now();
    const url = new URL(pageUrl);
    if (url.origin !== new URL(this.baseUrl).origin)
      throw new GatewayError(400, 'invalid_request_error', `Not a page of the gateway: ${url.origin}`);
    const log = (status: number | null, error?: string) =>
      this.options.onRequest?.({
        method: 'POST',
        path: url.pathname,
        status,
        ms: Math.round(performance.now() - started),
        ...(error ? { error } : {}),
      });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    }, this.timeoutMs);
    timer.unref?.();
    let status: number;
    try {
      const response = await this.fetchImpl(url, {
        method: 'POST',
        signal: controller.signal,
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      status = response.status;
      await readAnswer(response);
    } catch (error) {
      if (error instanceof GatewayUnreadable) {
        log(error.status, 'answer too large');
        throw new GatewayUnreadable(`The gateway's page ${url.pathname} ${error.message}`, error.status);
      }
      const unreachable = unreachableFromFetchError(error, timedOut);
      log(null, unreachable.message);
      throw unreachable;
    } finally {
      clearTimeout(timer);
    }
    log(status);
    if (status >= 500) throw new GatewayUnreachable('unknown', `The gateway's page failed (${status}).`, status);
    return status;
  }
}

/**
 * Statuses only the network between the till and the gateway answers (RFC 6585, RFC 9110), each
 * said as what to do: before, "The gateway failed (511): HTTP 511 with a malformed body".
 */
const NETWORK_IN_THE_WAY: Readonly<Record<number, string>> = {
  407: 'A proxy between this computer and the gateway asks for its own sign-in (407 Proxy Authentication Required).',
  511: 'The network this computer is on asks to sign in first (511 Network Authentication Required): open any web page in a browser on this computer and sign in.',
};

/**
 * The answer's body as text, at most MAX_ANSWER_BYTES; past that the read is abandoned with a
 * GatewayUnreadable whose message ends the caller's sentence. A plain body whose declared length
 * fits is read at once (undici holds it to that length); a compressed or undeclared one is counted
 * as it arrives. Null when the body is not UTF-8 (response.text() would have replaced the bad bytes
 * with U+FFFD, silently).
 */
async function readAnswer(response: Response): Promise<string | null> {
  const declared = response.headers.get('content-length');
  const tooLarge = () =>
    new GatewayUnreadable(`is too large (over ${MAX_ANSWER_BYTES / (1024 * 1024)} MiB).`, response.status);
  if (declared !== null && Number(declared) > MAX_ANSWER_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';
  if (declared !== null && !response.headers.has('content-encoding'))
    return strictUtf8(new Uint8Array(await response.arrayBuffer()));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return strictUtf8(Buffer.concat(chunks, size));
}

/** Where a redirect points, as an origin only (its path and query may carry anything). */
function redirectTarget(response: Response, from: URL): string {
  const location = response.headers.get('location');
  if (location === null) return 'nowhere';
  try {
    return new URL(location, from).origin;
  } catch {
    return 'an unreadable address';
  }
}
