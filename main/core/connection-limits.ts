/**
 * How many connections the host's HTTP servers hold, and for how long — the web-mode server's
 * (`main/web/server.ts`) and the webhook receiver's (`main/webhooks/receiver.ts`). Both listen on
 * 127.0.0.1, where any local program can open sockets: without a cap it could open thousands and
 * hold them, and without timeouts one that trickles its headers a byte at a time (slowloris) kept
 * its socket for ever. A connection past the cap is closed at once (Node's `maxConnections`: the
 * ones open keep working); a request whose headers or whole are late is answered 408 and closed.
 *
 * The timeouts concern requests only: a WebSocket (web mode's bridge, the page's one long-lived
 * connection) leaves the HTTP parser at its upgrade and is never cut by them. It still counts
 * towards the cap while open, as any socket does.
 */
import { createServer, type RequestListener, type Server } from 'node:http';

export interface ConnectionLimits {
  /** Sockets held at once; one more is closed as soon as it is accepted. */
  maxConnections: number;
  /** A request's headers must be whole within this, counted from its first byte or the connection. */
  headersTimeoutMs: number;
  /** The whole request, headers and body. */
  requestTimeoutMs: number;
  /** A kept-alive connection with no request is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection that neither sends nor reads (a reader stalling an answer) is closed after this. */
  idleTimeoutMs: number;
  /**
   * How often the two request timeouts are checked: a late request is cut up to this much after its
   * deadline. Node's default, 30 s, would let a trickle run 30 s past it.
   */
  checkIntervalMs: number;
}

/** An HTTP server that keeps to `limits`. */
export function createLimitedServer(limits: ConnectionLimits, listener: RequestListener): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;
  // Set on each socket when accepted; `ws` clears it on the bridge's once upgraded.
  server.timeout = limits.idleTimeoutMs;
  return server;
}
