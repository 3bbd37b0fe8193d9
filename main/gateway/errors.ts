/**
 * What can go wrong talking to a gateway, split by what the caller may conclude:
 * - GatewayError: the gateway answered and refused. Nothing changed; the type says why.
 * - GatewayUnreachable: no usable answer. `outcome: 'not_sent'` when the request provably never
 *   reached the server (connection refused, DNS failure), `'unknown'` otherwise (timeout after
 *   sending, connection dropped, 5xx, malformed body): the change may have happened, so the caller
 *   retrieves before it retries, and retries with the same idempotency key. A gateway that throttles
 *   the till (429) is one too, never processed (`not_sent`), with how long it asked the till to wait.
 */
import { maskUrlCredentials } from '../../common/url-credentials';

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/**
 * A refusal the app makes for a gateway, by that gateway's own rules, before calling it (an
 * amount under its minimum, a customer it needs): like the gateway's own refusals nothing was sent
 * and nothing changed, but the cashier is told it is the input, not an answer from the gateway.
 */
export class LocalRefusal extends GatewayError {
  constructor(message: string, param: string | null, code: string) {
    super(400, 'invalid_request', message, param, code);
    this.name = 'LocalRefusal';
  }
}

/**
 * The code of a gateway's refusal of a saved card it no longer charges (expired, past the time the
 * gateway keeps card ids, unknown to the account): its `param` is `savedCardId`. Nothing was charged;
 * the host stops offering that card.
 */
export const SAVED_CARD_REFUSED = 'saved_card_refused';

export type UnreachableOutcome = 'not_sent' | 'unknown';

export class GatewayUnreachable extends Error {
  constructor(
    readonly outcome: UnreachableOutcome,
    message: string,
    readonly status: number | null = null,
    /** A throttling gateway's (429) asked-for wait, 0 when it named none; null when not throttled. */
    readonly retryAfterMs: number | null = null,
    /**
     * A gateway that says it is unavailable (503) named how long: nothing is retried or probed
     * sooner. Not a throttle (the till is not being slowed down, nothing is held for it) and not a
     * statement about the request: a 503 to a send is still an unknown outcome. Null when none named.
     */
    readonly unavailableForMs: number | null = null,
  ) {
    super(message);
    this.name = 'GatewayUnreachable';
  }
}

/**
 * The gateway answered, but not with something the app can use: a body that is not JSON or not the
 * expected shape, or an answer that does not fit the request (another payment's id, another amount).
 * Like any answer that was not understood, the change may have happened: retrieve before retry.
 */
export class GatewayUnreadable extends GatewayUnreachable {
  /**
   * `outcome`: 'not_sent' when the answer was to a step before the request itself (see
   * beforeSending): the gateway is there, and the request never left the till.
   */
  constructor(message: string, status: number | null = null, outcome: UnreachableOutcome = 'unknown') {
    super(outcome, message, status);
    this.name = 'GatewayUnreadable';
  }
}

/**
 * An answer about what was asked that could not be read: not one to a step before the request (a
 * token), which says nothing of the payment asked about.
 */
export function unreadableAnswer(error: unknown): error is GatewayUnreadable {
  return error instanceof GatewayUnreadable && error.outcome === 'unknown';
}

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_INVALID_URL',
]);

/**
 * A 429: the gateway processed nothing and asks the till to slow down, maybe saying for how long
 * (Retry-After: seconds or an HTTP date; bounded, so a wild value cannot stall the queue for days).
 */
export function throttled(retryAfter: string | null, now: number): GatewayUnreachable {
  return stillThrottled(retryAfterWait(retryAfter, now, MAX_RETRY_AFTER_MS));
}

/**
 * A Retry-After header as a wait from `now` in ms, between 0 and `maxMs`; null when it names none
 * (absent, or neither seconds nor an HTTP date).
 */
export function retryAfterWait(retryAfter: string | null, now: number, maxMs: number): number | null {
  const seconds = retryAfter !== null && /^\s*\d+\s*$/.test(retryAfter) ? Number(retryAfter) * 1_000 : null;
  // Every HTTP-date form names its month: "-5" or "1.5" (which Date.parse reads as days of 2001) is
  // no date, and is not quoted back as a wait of 0 s.
  const date =
    retryAfter !== null && seconds === null && /[a-z]/i.test(retryAfter) ? Date.parse(retryAfter) - now : null;
  const wait = seconds ?? (date !== null && Number.isFinite(date) ? date : null);
  return wait === null ? null : Math.min(Math.max(wait, 0), maxMs);
}

/**
 * The longest a gateway's 503 is waited out before the till asks again: a gateway down for
 * maintenance may name an hour, but the cashier is at the counter and the till's own backoff (at
 * most 15 s) is what it would have used — a minute is as long as a till should go without asking.
 */
export const MAX_UNAVAILABLE_WAIT_MS = 60_000;

/**
 * A gateway's 503 (Service Unavailable): whether the request took effect is not known (retrieve
 * before any resend), and the wait its Retry-After names, bounded, is kept before asking again.
 */
export function unavailable(detail: string, retryAfter: string | null, now: number): GatewayUnreachable {
  const wait = retryAfterWait(retryAfter, now, MAX_UNAVAILABLE_WAIT_MS);
  const asked = wait === null ? '' : `; it asked to wait ${Math.ceil(wait / 1_000)} s`;
  return new GatewayUnreachable('unknown', `The gateway failed (503${asked}): ${detail}`, 503, null, wait);
}

/**
 * What a throttling gateway's 429 says, `retryAfterMs` from now (null: it named no wait). Also what
 * the till tells itself of work it holds back while the wait it was asked for runs: sent then, it
 * would only be throttled again.
 */
export function stillThrottled(retryAfterMs: number | null): GatewayUnreachable {
  const asked = retryAfterMs === null ? '' : `; it asked to wait ${Math.ceil(retryAfterMs / 1_000)} s`;
  return new GatewayUnreachable(
    'not_sent',
    `The gateway is limiting this till's requests (429 Too Many Requests${asked}).`,
    429,
    retryAfterMs ?? 0,
  );
}

const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** When to try again after a throttling gateway's wait, as the cashier reads it ("in 30 s"). */
export function tryAgainIn(retryAfterMs: number): string {
  return retryAfterMs > 0 ? `in ${Math.ceil(retryAfterMs / 1_000)} s` : 'in a moment';
}

/**
 * A read that follows a change the gateway already made within the same port call (a checkout
 * session opened, a refund made, a share cancelled): when it gets no answer, the call's outcome is
 * unknown — never `not_sent`, which would let the caller conclude nothing happened (a 429 on the
 * read after a link's page was made marked the payment failed while the page stayed payable). The
 * asked-for wait is kept, so the caller still waits it out before it looks again.
 */
export async function afterChange<T>(made: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof GatewayUnreachable) || error.outcome !== 'not_sent') throw error;
    throw new GatewayUnreachable(
      'unknown',
      `${made}, but ${lowerFirst(error.message)}`,
      error.status,
      error.retryAfterMs,
      error.unavailableForMs,
    );
  }
}

/**
 * A step a request needs before it is sent (Plural's access token): when it fails, the request
 * itself never left the till — `not_sent`, whatever the step's own outcome (a token asked for and
 * lost, or answered unreadably, changes nothing at the gateway). Taken as "unknown", a create whose
 * token answer could not be read ended in Needs attention, though nothing had been sent. An
 * unreadable answer stays one (the gateway is there); a throttle keeps its asked-for wait.
 */
export async function beforeSending<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof GatewayUnreachable) || error.outcome === 'not_sent') throw error;
    if (error instanceof GatewayUnreadable) throw new GatewayUnreadable(error.message, error.status, 'not_sent');
    throw new GatewayUnreachable('not_sent', error.message, error.status, error.retryAfterMs, error.unavailableForMs);
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Classifies a fetch() rejection: did the request leave this machine? */
export function unreachableFromFetchError(error: unknown, timedOut: boolean): GatewayUnreachable {
  if (timedOut) return new GatewayUnreachable('unknown', 'The gateway did not answer in time.');
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: string } | null)?.code;
  if (code && NOT_SENT_CODES.has(code)) {
    return new GatewayUnreachable('not_sent', `The gateway could not be reached (${code}).`);
  }
  // fetch() refuses the Fetch standard's "bad ports" (1, 7, 9, 25, …) before connecting: never sent.
  if (cause?.message === 'bad port') {
    return new GatewayUnreachable('not_sent', 'The gateway could not be reached (fetch refuses that port).');
  }
  // fetch names the URL in some of its refusals: never with a user name or password in it.
  const detail = maskUrlCredentials(cause?.message ?? (error instanceof Error ? error.message : String(error)));
  return new GatewayUnreachable('unknown', `The connection to the gateway failed (${detail}).`);
}

export function isGatewayError(error: unknown, type?: string, code?: string): error is GatewayError {
  return (
    error instanceof GatewayError &&
    (type === undefined || error.type === type) &&
    (code === undefined || error.code === code)
  );
}

/**
 * A reader link session the gateway ended: `superseded` (another computer took the reader over;
 * only the cashier should take it back) or `closed` (the session is spent: open a new one at once).
 */
export class LinkEnded extends Error {
  constructor(
    readonly reason: 'superseded' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'LinkEnded';
  }
}
