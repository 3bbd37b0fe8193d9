/**
 * Figure 3's pieces: a closed-loop HTTP load generator (N requests in flight, each user sending
 * its next request when the previous answer is complete, over keep-alive connections), and the
 * floor server (bare node:http answering the same JSON the sandbox answers).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentile } from './stats';

export interface LoadOptions {
  url: string;
  path: string;
  /** Bearer credential sent with every request. */
  auth: string;
  concurrency: number;
  /** Requests started during warm-up are not counted. */
  warmupMs: number;
  durationMs: number;
  /** Body of request n (unique idempotency keys, like the host sends). */
  body: (n: number) => string;
}

export interface LoadResult {
  concurrency: number;
  /** Completed 2xx answers per second within the measured window. */
  perSecond: number;
  completed: number;
  errors: number;
  windowMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  statuses: Record<string, number>;
}

/** A body like the host's create-payment body, with a unique idempotency key. */
export function createPaymentBody(prefix: string): (n: number) => string {
  return (n) =>
    JSON.stringify({
      amount: 1250,
      currency: 'eur',
      capture_method: 'automatic',
      metadata: { order_reference: `${prefix}-${n}`, pos_payment_id: `pay_${prefix}${n}` },
      idempotency_key: `pos-${prefix}-${n}-1`,
    });
}

export async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.path, options.url);
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.concurrency,
    maxFreeSockets: options.concurrency,
  });
  const statuses = new Map<string, number>();
  const latencies: number[] = [];
  let next = 0;
  let completed = 0;
  let errors = 0;
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  let windowEnd = stopAt;

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const n = next++;
      const body = options.body(n);
      const sentAt = performance.now();
      const request = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            Authorization: `Bearer ${options.auth}`,
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (response) => {
          response.on('data', () => {});
          response.on('end', () => {
            const now = performance.now();
            const status = String(response.statusCode ?? 0);
            if (sentAt >= measureFrom && now <= stopAt) {
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
              if (response.statusCode !== undefined && response.statusCode < 300) {
                completed++;
                latencies.push(now - sentAt);
              } else errors++;
            }
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end(body);
    });

  const user = async () => {
    while (performance.now() < stopAt) await once();
  };
  await Promise.all(Array.from({ length: options.concurrency }, user));
  windowEnd = Math.min(windowEnd, performance.now());
  agent.destroy();
  // Requests sent in the window and answered after it are not counted; neither are the ones
  // sent during warm-up. So the window is exactly durationMs.
  const windowMs = windowEnd - measureFrom;
  return {
    concurrency: options.concurrency,
    perSecond: (completed / windowMs) * 1000,
    completed,
    errors,
    windowMs,
    latencyP50Ms: latencies.length ? percentile(latencies, 50) : 0,
    latencyP99Ms: latencies.length ? percentile(latencies, 99) : 0,
    statuses: Object.fromEntries(statuses),
  };
}

/**
 * The floor of figure 3: node:http reading the request body to its end and answering with a fixed
 * body and the sandbox's headers — no routing, no auth, no parsing, no database.
 */
export async function startBareServer(answer: {
  status: number;
  body: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const body = Buffer.from(answer.body, 'utf8');
  const server = http.createServer((request, response) => {
    request.on('data', () => {});
    request.on('end', () => {
      response.writeHead(answer.status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Length': body.length,
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
