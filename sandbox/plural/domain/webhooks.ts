/**
 * Plural webhook events. An event is written with one delivery row per subscribed endpoint inside
 * the transaction of the change that caused it, so an event exists exactly when its change was
 * committed; the shared dispatcher sends it (retries, persistence, loopback only).
 *
 * Body: `{"event_type": "ORDER_PROCESSED", "data": {…the order as GET /orders/{id} shows it…}}`.
 * Headers: `webhook-id` (the event id), `webhook-timestamp` (Unix seconds of the event) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`, keyed with the
 * hex-decoded signature key (the same key as the return-URL signature).
 */
import { inTransaction, liveFlag, type Context } from '../../core/context';
import type { PageMeta } from '../../core/pagination';
import { WebhookDispatcher, type DeliveryRow, type Outgoing } from '../../core/webhook-dispatch';
import { notFound } from '../errors';
import { wireTime } from './model';
import { signWebhook } from './signature';

export const PLURAL_EVENT_TYPES = [
  'ORDER_AUTHORIZED',
  'ORDER_PROCESSED',
  'ORDER_FAILED',
  'ORDER_CANCELLED',
  'REFUND_PROCESSED',
] as const;
export type PluralEventType = (typeof PLURAL_EVENT_TYPES)[number];

export interface PluralEndpointRow {
  seq: number;
  id: string;
  url: string;
  events: string | null;
  status: 'enabled' | 'failing';
  created_at: number;
  updated_at: number;
}

export function pluralEndpointJson(row: PluralEndpointRow): Record<string, unknown> {
  return {
    id: row.id,
    url: row.url,
    events: row.events === null ? null : (JSON.parse(row.events) as PluralEventType[]),
    status: row.status,
    created_at: wireTime(row.created_at),
    updated_at: wireTime(row.updated_at),
  };
}

export class PluralWebhooks {
  private readonly dispatcher: WebhookDispatcher;

  constructor(
    private readonly ctx: Context,
    private readonly signatureKey: string,
  ) {
    this.dispatcher = new WebhookDispatcher(
      ctx,
      {
        endpoints: 'plural_webhook_endpoints',
        events: 'plural_webhook_events',
        deliveries: 'plural_webhook_deliveries',
      },
      (delivery) => this.outgoing(delivery),
    );
  }

  // ---- endpoints (configured through POST {plural.url}/_sandbox/webhook-endpoints) ------------

  create(url: string, events: readonly PluralEventType[] | null): PluralEndpointRow {
    const now = this.ctx.clock.now();
    const row: PluralEndpointRow = {
      seq: 0,
      id: this.ctx.ids.uuid(now),
      url,
      events: events === null ? null : JSON.stringify(events),
      status: 'enabled',
      created_at: now,
      updated_at: now,
    };
    const result = this.ctx.sql
      .get(
        'INSERT INTO plural_webhook_endpoints (is_live, id, url, events, status, created_at, updated_at) VALUES (?, @id, @url, @events, @status, @created_at, @updated_at)',
      )
      .run(liveFlag(this.ctx), row);
    row.seq = Number(result.lastInsertRowid);
    return row;
  }

  list(): PluralEndpointRow[] {
    return this.ctx.sql
      .get('SELECT * FROM plural_webhook_endpoints WHERE is_live = ? ORDER BY seq')
      .all(liveFlag(this.ctx)) as PluralEndpointRow[];
  }

  delete(id: string): void {
    inTransaction(this.ctx, () => {
      const result = this.ctx.sql
        .get('DELETE FROM plural_webhook_endpoints WHERE id = ? AND is_live = ?')
        .run(id, liveFlag(this.ctx));
      if (result.changes === 0) throw notFound(`No such webhook endpoint: ${id}`);
      this.ctx.sql.get("DELETE FROM plural_webhook_deliveries WHERE endpoint_id = ? AND status = 'pending'").run(id);
    });
  }

  // ---- events --------------------------------------------------------------------------------

  /** Records an event for every endpoint that wants it. Call inside the transaction that made the change. */
  emit(type: PluralEventType, data: unknown): void {
    const targets = this.list().filter(
      (endpoint) => endpoint.events === null || (JSON.parse(endpoint.events) as string[]).includes(type),
    );
    if (targets.length === 0) return;
    const now = this.ctx.clock.now();
    const id = `msg_${this.ctx.ids.alnum(24)}`;
    this.ctx.sql
      .get('INSERT INTO plural_webhook_events (id, type, body, created_at) VALUES (?, ?, ?, ?)')
      .run(id, type, JSON.stringify({ event_type: type, data }), now);
    const insert = this.ctx.sql.get(
      "INSERT INTO plural_webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?)",
    );
    for (const target of targets) insert.run(id, target.id, now, now, now);
    // Wake the dispatcher after the surrounding transaction has committed.
    queueMicrotask(() => this.dispatcher.kick());
  }

  private outgoing(delivery: DeliveryRow): Outgoing | null {
    const endpoint = this.ctx.sql
      .get('SELECT url FROM plural_webhook_endpoints WHERE id = ?')
      .get(delivery.endpoint_id) as { url: string } | undefined;
    const event = this.ctx.sql
      .get('SELECT body, created_at FROM plural_webhook_events WHERE id = ?')
      .get(delivery.event_id) as { body: string; created_at: number } | undefined;
    if (!endpoint || !event) return null;
    const timestamp = Math.floor(event.created_at / 1000);
    return {
      url: endpoint.url,
      body: event.body,
      headers: {
        'User-Agent': 'Plural-Sandbox-Webhooks/1.0',
        'webhook-id': delivery.event_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(this.signatureKey, delivery.event_id, timestamp, event.body),
      },
    };
  }

  deliveries(page: number, size: number): { rows: Array<Record<string, unknown>>; meta: PageMeta } {
    return this.dispatcher.log(page, size, wireTime);
  }

  resume(): void {
    this.dispatcher.resume();
  }

  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
