/**
 * A loopback endpoint for PlutoPay webhooks that the shop forwards to the counter
 * (`POST /webhooks/plutopay`). Every event is verified (signature, age, replay) before the host
 * hears of it, and the host only uses it as a hint to re-read the gateway: money state never comes
 * from a webhook body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../common/clock';
import { verifyWebhook, type ReplayGuard, type WebhookEvent } from './verify';

export const WEBHOOK_PATH = '/webhooks/plutopay';
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookReceiverOptions {
  port: number;
  clock: Clock;
  /** The endpoint's signing secret (whsec_…); null refuses everything. */
  secret: () => string | null;
  replay: ReplayGuard;
  onEvent: (event: WebhookEvent) => void;
  onRefused?: (reason: string) => void;
}

export interface RunningWebhookReceiver {
  url: string;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<RunningWebhookReceiver> {
  const server: Server = createServer((request, response) => {
    const reply = (status: number, message: string) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(status < 300 ? { received: true } : { error: message }));
    };
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://x').pathname !== WEBHOOK_PATH)
      return reply(404, 'not found');
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => {
      const secret = options.secret();
      if (!secret) return reply(503, 'no webhook secret is configured on this till');
      const header = request.headers['x-plutopay-signature'];
      const result = verifyWebhook({
        rawBody: Buffer.concat(chunks),
        signature: Array.isArray(header) ? header[0] : header,
        secret,
        nowMs: options.clock.now(),
        replay: options.replay,
      });
      if (!result.ok) {
        options.onRefused?.(result.reason);
        return reply(result.status, result.reason);
      }
      reply(200, 'ok');
      options.onEvent(result.event);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
