/**
 * A loopback endpoint for the notifications a shop forwards to the counter (on the active
 * gateway's path, e.g. `POST /webhooks/plutopay`). Each one is checked by the gateway's own rule
 * before the host hears of it, and the host only uses it as a hint to re-read the gateway: money
 * state never comes from a notification's body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../common/clock';
import type { GatewayNotifications, VerifiedNotification } from '../gateway/port';

const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookReceiverOptions {
  port: number;
  clock: Clock;
  /** The active gateway's verifier; null refuses everything. */
  notifications: () => GatewayNotifications | null;
  remember: (eventId: string, atMs: number) => boolean;
  onEvent: (event: Extract<VerifiedNotification, { ok: true }>) => void;
  onRefused?: (reason: string) => void;
}

export interface RunningWebhookReceiver {
  /** Where to forward, for the gateway active now. */
  url(): string | null;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<RunningWebhookReceiver> {
  const server: Server = createServer((request, response) => {
    const reply = (status: number, message: string) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(status < 300 ? { received: true } : { error: message }));
    };
    const notifications = options.notifications();
    if (
      request.method !== 'POST' ||
      !notifications ||
      new URL(request.url ?? '/', 'http://x').pathname !== notifications.path
    )
      return reply(404, 'not found');
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => {
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers))
        headers[name] = Array.isArray(value) ? value[0] : value;
      const result = notifications.verify({
        rawBody: Buffer.concat(chunks),
        headers,
        nowMs: options.clock.now(),
        remember: options.remember,
      });
      if (!result.ok) {
        options.onRefused?.(result.reason);
        return reply(result.status, result.reason);
      }
      reply(200, 'ok');
      options.onEvent(result);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: () => {
      const path = options.notifications()?.path;
      return path ? `http://127.0.0.1:${port}${path}` : null;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
