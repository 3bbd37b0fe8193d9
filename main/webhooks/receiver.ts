/**
 * A loopback endpoint for what a gateway sends back to the counter:
 * - notifications a shop forwards (on the active gateway's path, e.g. `POST /webhooks/plutopay`, or
 *   on the path of another gateway whose plans the till still follows), each checked by its own
 *   gateway's rule before the host hears of it;
 * - the customer's browser returning from a gateway's page (`GET` or form `POST /return/<gateway>`,
 *   the callback URL a gateway with signed returns is given), its signature checked by that gateway,
 *   the active one or another whose open links the till still follows after a switch.
 * Either way the host only uses it as a hint to re-read the gateway: money state never comes from
 * a notification's body or a return's parameters.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { Clock } from '../../common/clock';
import { createLimitedServer, type ConnectionLimits } from '../core/connection-limits';
import { securityHeaders } from '../core/security-headers';
import { strictFormFields } from '../../common/utf8';
import type { GatewayNotifications, PaymentGateway, VerifiedNotification } from '../gateway/port';

const MAX_BODY_BYTES = 1024 * 1024;
/** A return carries a handful of short fields. */
const MAX_RETURN_BYTES = 16 * 1024;

/** Where a gateway's customers come back to: `/return/<gateway name>`. */
export function returnPath(gateway: string): string {
  return `/return/${gateway}`;
}

/** The gateway whose customers return here: its name and its check of the signed fields. */
export interface ReturnVerifier {
  name: string;
  verifyReturn: NonNullable<PaymentGateway['verifyReturn']>;
}

export interface WebhookReceiverOptions {
  port: number;
  clock: Clock;
  /** The active gateway's verifier; null refuses everything. */
  notifications: () => GatewayNotifications | null;
  /** Whether a notification with this id was received before (a gateway's redelivery). */
  seen: (eventId: string, atMs: number) => boolean;
  /**
   * Journals a verified notification before it is answered 200 (the gateway does not send it again):
   * its id, when it has one, and the read it asks for, in one commit, so that a till killed before
   * the read still does it at its next start. Throws when the journal cannot be written: answered
   * 503, and the gateway sends it again.
   */
  take: (taken: TakenNotification) => void;
  onEvent: (event: Extract<VerifiedNotification, { ok: true }>) => void;
  /**
   * A notification on another path than the active gateway's: the gateway it belongs to, when the
   * till still follows something of it with its own stored keys (a plan made before a switch), its
   * verifier and what to do with what it verified; null: not found. Checked by that gateway's own
   * rule, never accepted unverified.
   */
  otherNotifications?: (path: string) => OtherNotifications | null;
  onRefused?: (reason: string) => void;
  /** A verified event already received (a gateway's redelivery): acknowledged, nothing done. */
  onDuplicate?: (eventId: string) => void;
  /**
   * The gateway whose customers' browsers return to this path with signed fields: the active one, or
   * another whose open links the till still follows (a Plural link made before a switch); null: none.
   */
  returns?: (path: string) => ReturnVerifier | null;
  /** A verified return: the payment to re-read, of that gateway (its fields are never the outcome). */
  onReturn?: (paymentId: string, gateway: string) => void;
  /**
   * What the till already knows of that payment, from its journal: a link settled before its
   * customer came back (seen paid by polling, cancelled at the counter, expired, failed for good) is told so in plain
   * words; null: not settled yet (the signed fields say what the customer saw, "Thank you" or "Not paid").
   */
  settled?: (paymentId: string, gateway: string) => SettledReturn | null;
  /** The shop's name, shown on the return page; null: none. */
  shopName?: () => string | null;
  onReturnRefused?: (reason: string) => void;
  /**
   * What the host does with a notification or a return failed (its id could not be journaled: the
   * journal's disk full or read-only). A notification not yet acknowledged is answered 503, so the
   * gateway sends it again; either way the receiver goes on serving.
   */
  onFailure?: (what: 'notification' | 'return', error: unknown) => void;
  /** RECEIVER_CONNECTION_LIMITS unless given (tests make them small). */
  limits?: Partial<ConnectionLimits>;
}

/** A payment's outcome the till already journaled, as its return page says it. */
export type SettledReturn = 'paid' | 'canceled' | 'expired' | 'failed';

/** The page a customer coming back to a settled link reads (see WebhookReceiverOptions.settled). */
const SETTLED_PAGES: Record<SettledReturn, { title: string; message: string }> = {
  paid: { title: 'Payment received', message: 'Payment received, you can close this page.' },
  canceled: {
    title: 'Payment cancelled',
    message: 'This payment was cancelled at the counter: nothing was taken. Ask the cashier if you still want to pay.',
  },
  failed: {
    title: 'Not paid',
    message: 'The payment did not go through: nothing was taken, and this link can no longer be paid. Ask the cashier.',
  },
  expired: {
    title: 'Link expired',
    message: 'This payment link expired before it was paid: nothing was taken. Ask the cashier for a new one.',
  },
};

/** A verified notification, to journal before it is acknowledged (WebhookReceiverOptions.take). */
export interface TakenNotification {
  /** Its id (null: the gateway gives none, as PayPlug's) and when it was received. */
  eventId: string | null;
  atMs: number;
  event: Extract<VerifiedNotification, { ok: true }>;
  /** Whether it came from the active gateway (else from one the till still follows after a switch). */
  active: boolean;
}

/** Another gateway than the active one, whose notifications the till still reads. */
export interface OtherNotifications {
  notifications: GatewayNotifications;
  onEvent: (event: Extract<VerifiedNotification, { ok: true }>) => void;
}

export interface RunningWebhookReceiver {
  /** Where to forward, for the gateway active now. */
  url(): string | null;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Every answer, JSON or page, carries the web-mode server's defensive headers. Nothing it sends
 * loads anything, and no site may frame it: `frame-ancestors` is not covered by `default-src`, and
 * a framed return page ("Thank you", "Not paid") could be dressed up as another shop's.
 */
const RECEIVER_HEADERS = securityHeaders(
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
);

const PAGE_HEADERS = {
  ...RECEIVER_HEADERS,
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
};

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** A page; `shop` (the shop's name, as Settings has it) is escaped, the rest is the receiver's own text. */
function page(response: ServerResponse, status: number, title: string, message: string, shop?: string | null): void {
  response.writeHead(status, PAGE_HEADERS);
  const name = shop ? escapeHtml(shop) : null;
  response.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${name ? `${title} · ${name}` : title}</title></head><body>${name ? `<header>${name}</header>` : ''}<main><h1>${title}</h1><p role="status">${message}</p></main></body></html>`,
  );
}

/**
 * All bodies being read at once, together. A sender that stops mid-body (any local program can
 * reach the port) would otherwise pin up to MAX_BODY_BYTES of the host's memory per connection, for
 * as long as it keeps the connection open: four hundred such connections held 400 MB. Past this,
 * a body is answered 503 (a gateway retries later) and what it had sent is let go.
 */
export const MAX_BUFFERED_BYTES = 4 * MAX_BODY_BYTES;
/**
 * A request must be whole within 30 s (a stalled one lets go of its share of the budget), its
 * headers within 10 s. At most 256 connections at once: a forwarder sends a few at a time, and a
 * page in the cashier's browser posting 50 at a time in a loop opens about 100, but a local program
 * cannot hold thousands of sockets (one past the cap is closed, and a sender retries it as a 503).
 */
export const RECEIVER_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  checkIntervalMs: 1_000,
};

/** The bytes of every body being read now (shared by all requests of one receiver). */
interface BodyBudget {
  used: number;
}

type BodyResult = Buffer | 'too large' | 'busy';

/**
 * The request's body, or why not as soon as it is known: past `max` bytes ('too large'), or when
 * the bodies being read together would pass MAX_BUFFERED_BYTES ('busy'). The caller answers at
 * once and the rest is read and dropped, so the sender gets that answer instead of a cut connection.
 */
function readBody(request: IncomingMessage, max: number, budget: BodyBudget, done: (body: BodyResult) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  let held = 0;
  const release = () => {
    budget.used -= held;
    held = 0;
    chunks.length = 0;
  };
  request.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    const refusal = size > max ? 'too large' : budget.used + chunk.length > MAX_BUFFERED_BYTES ? 'busy' : null;
    if (refusal) {
      over = true;
      release();
      done(refusal);
      return;
    }
    chunks.push(chunk);
    held += chunk.length;
    budget.used += chunk.length;
  });
  request.on('end', () => {
    if (over) return;
    const body = Buffer.concat(chunks);
    release();
    done(body);
  });
  // A sender gone (or timed out) mid-body: its bytes no longer count.
  request.on('close', release);
}

/** Whether 127.0.0.1:port can be listened on now: asked before a port is saved in Settings. */
export function loopbackPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<RunningWebhookReceiver> {
  const budget: BodyBudget = { used: 0 };
  /** The customer's browser back from the gateway's page: verified, then only a hint to re-read. */
  const handleReturn = (request: IncomingMessage, response: ServerResponse, verifier: ReturnVerifier, url: URL) => {
    // Only words on the page: a lookup that throws (the journal unreadable) leaves the page as the fields say.
    const settledOf = (paymentId: string) => {
      try {
        return options.settled?.(paymentId, verifier.name) ?? null;
      } catch {
        return null;
      }
    };
    const shopName = () => {
      try {
        return options.shopName?.() ?? null;
      } catch {
        return null;
      }
    };
    const finish = (params: URLSearchParams) => {
      const fields: Record<string, string> = {};
      for (const [name, value] of params) fields[name] = value;
      let result: ReturnType<ReturnVerifier['verifyReturn']>;
      try {
        result = verifier.verifyReturn(fields);
      } catch {
        result = { ok: false, reason: 'the return could not be checked' };
      }
      if (!result.ok) {
        options.onReturnRefused?.(result.reason);
        return page(
          response,
          400,
          'Not verified',
          'This page could not be verified. The counter checks the payment with the gateway itself.',
        );
      }
      const shop = shopName();
      const settled = settledOf(result.paymentId);
      if (settled) page(response, 200, SETTLED_PAGES[settled].title, SETTLED_PAGES[settled].message, shop);
      else if (result.failed)
        // A refused card: "Thank you" would send the customer off believing they had paid.
        page(
          response,
          200,
          'Not paid',
          'The payment did not go through: nothing was taken. Scan the code at the counter again to try another card, or ask the cashier.',
          shop,
        );
      else page(response, 200, 'Thank you', 'The counter has been told. You can close this page.', shop);
      try {
        options.onReturn?.(result.paymentId, verifier.name);
      } catch (error) {
        // Only a hint to re-read: the watcher still reads the payment. Never thrown out of the server.
        options.onFailure?.('return', error);
      }
    };
    // Fields that are not UTF-8 (bytes, or %XX escapes of Latin-1) are refused, as everywhere in the
    // host, never read with U+FFFD in them: a signed field checked as something the gateway never sent.
    const unreadable = (where: string) => {
      options.onReturnRefused?.(`its ${where} is not UTF-8 text: not read`);
      page(
        response,
        400,
        'Not readable',
        'This page was not sent as UTF-8 text, so it was not read. The counter checks the payment with the gateway itself.',
      );
    };
    if (request.method === 'GET') {
      // A browser sends a URL's query in ASCII, anything else escaped: raw bytes above it are no query.
      const fields = /[^\x20-\x7e]/.test(request.url ?? '') ? null : strictFormFields(url.search.slice(1));
      return fields ? finish(fields) : unreadable('query');
    }
    readBody(request, MAX_RETURN_BYTES, budget, (body) => {
      if (body === 'busy') {
        response.setHeader('Connection', 'close');
        response.setHeader('Retry-After', '10');
        return page(response, 503, 'Busy', 'The counter is busy. Reload this page in a moment.');
      }
      if (body === 'too large') {
        response.setHeader('Connection', 'close');
        return page(response, 413, 'Too large', 'This request is too large.');
      }
      const fields = strictFormFields(body);
      if (!fields) return unreadable('form');
      finish(fields);
    });
  };

  const limits = { ...RECEIVER_CONNECTION_LIMITS, ...options.limits };
  const server: Server = createLimitedServer(limits, (request, response) => {
    const reply = (status: number, message: string) => {
      response.writeHead(status, { ...RECEIVER_HEADERS, 'Content-Type': 'application/json' });
      response.end(JSON.stringify(status < 300 ? { received: true } : { error: message }));
    };
    // A target such as `//` is no URL path (new URL throws): answered, never thrown out of the handler.
    if (!URL.canParse(request.url ?? '/', 'http://x')) return reply(400, 'malformed request target');
    const url = new URL(request.url ?? '/', 'http://x');
    const verifier = ['GET', 'POST'].includes(request.method ?? '') ? (options.returns?.(url.pathname) ?? null) : null;
    if (verifier && url.pathname === returnPath(verifier.name)) return handleReturn(request, response, verifier, url);
    if (request.method !== 'POST') return reply(404, 'not found');
    const active = options.notifications();
    const fromActive = active !== null && url.pathname === active.path;
    const target: OtherNotifications | null =
      active && fromActive
        ? { notifications: active, onEvent: options.onEvent }
        : (options.otherNotifications?.(url.pathname) ?? null);
    if (!target) return reply(404, 'not found');
    const { notifications } = target;
    readBody(request, MAX_BODY_BYTES, budget, (body) => {
      if (body === 'busy') {
        // Answered, not held: a gateway retries a 503 later.
        response.setHeader('Connection', 'close');
        response.setHeader('Retry-After', '60');
        return reply(503, 'busy');
      }
      if (body === 'too large') {
        response.setHeader('Connection', 'close');
        return reply(413, 'too large');
      }
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers))
        headers[name] = Array.isArray(value) ? value[0] : value;
      const cannotTake = (error: unknown) => {
        // Not journaled (the journal cannot be written): not taken, and thrown out of this callback
        // it would stop the host. The gateway sends a 503'd notification again.
        options.onFailure?.('notification', error);
        response.setHeader('Connection', 'close');
        response.setHeader('Retry-After', '60');
        reply(503, 'the till cannot take notifications now');
      };
      const nowMs = options.clock.now();
      // The id is only looked up here: it is journaled by `take`, with the read it asks for. Nothing
      // runs between the two (both synchronous), so a redelivery cannot slip in.
      let eventId: string | null = null;
      let result: VerifiedNotification;
      try {
        result = notifications.verify({
          rawBody: body,
          headers,
          nowMs,
          remember: (id, atMs) => {
            if (options.seen(id, atMs)) return false;
            eventId = id;
            return true;
          },
        });
      } catch (error) {
        return cannotTake(error);
      }
      if (!result.ok && result.status === 409) {
        // Answered 2xx: refused, the gateway would retry a delivered event for a day and mark the
        // endpoint failing. Nothing is done with it a second time.
        options.onDuplicate?.(result.eventId);
        return reply(200, 'ok');
      }
      if (!result.ok) {
        options.onRefused?.(result.reason);
        return reply(result.status, result.reason);
      }
      try {
        options.take({ eventId, atMs: nowMs, event: result, active: fromActive });
      } catch (error) {
        return cannotTake(error);
      }
      reply(200, 'ok');
      try {
        target.onEvent(result);
      } catch (error) {
        options.onFailure?.('notification', error);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: () => {
      const path = options.notifications()?.path;
      return path ? `${origin}${path}` : null;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
