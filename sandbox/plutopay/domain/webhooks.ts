/**
 * Webhook endpoints, and PlutoPay's side of delivery: what a delivery sends (the event body signed
 * with the endpoint's secret in X-PlutoPay-Signature). The shared dispatcher does the rest —
 * persisted deliveries resumed after a restart, retries at 1 min, 5 min, 30 min, 2 h, 24 h, then
 * the endpoint marked `failing` (a later success clears it).
 */
import { createHmac } from 'node:crypto';
import { notFound } from '../../http/errors';
import { inTransaction, liveFlag, type Context } from '../../core/context';
import type { EventBody, EventType, Outbox } from './events';
import { paginate, type Page, type PageMeta } from '../../core/pagination';
import { iso } from '../../core/time';
import { WebhookDispatcher, type DeliveryRow, type Outgoing } from '../../core/webhook-dispatch';

export interface EndpointRow {
  seq: number;
  id: string;
  url: string;
  events: string | null;
  description: string | null;
  secret: string;
  status: 'enabled' | 'failing';
  created_at: number;
  updated_at: number;
}

export function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function endpointJson(row: EndpointRow, withSecret = false): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: row.id,
    url: row.url,
    events: row.events === null ? null : (JSON.parse(row.events) as EventType[]),
    description: row.description,
    status: row.status,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
  if (withSecret) json.secret = row.secret;
  return json;
}

export interface EndpointInput {
  url?: string;
  events?: EventType[] | null;
  description?: string | null;
}

export class Webhooks {
  private readonly dispatcher: WebhookDispatcher;

  constructor(
    private readonly ctx: Context,
    private readonly outbox: Outbox,
  ) {
    this.dispatcher = new WebhookDispatcher(
      ctx,
      { endpoints: 'webhook_endpoints', events: 'webhook_events', deliveries: 'webhook_deliveries' },
      (delivery) => this.outgoing(delivery),
    );
    outbox.onQueued(() => this.dispatcher.kick());
  }

  // ---- endpoints ----------------------------------------------------------------------------

  get(id: string): EndpointRow {
    const row = this.ctx.sql
      .get('SELECT * FROM webhook_endpoints WHERE id = ? AND is_live = ?')
      .get(id, liveFlag(this.ctx)) as EndpointRow | undefined;
    if (!row) throw notFound(`No such webhook endpoint: ${id}`);
    return row;
  }

  create(input: EndpointInput & { url: string }): EndpointRow {
    const now = this.ctx.clock.now();
    const row: EndpointRow = {
      seq: 0,
      id: this.ctx.ids.uuid(now),
      url: input.url,
      events: input.events ? JSON.stringify(input.events) : null,
      description: input.description ?? null,
      secret: `whsec_${this.ctx.ids.alnum(32)}`,
      status: 'enabled',
      created_at: now,
      updated_at: now,
    };
    const result = this.ctx.sql
      .get(
        'INSERT INTO webhook_endpoints (is_live, id, url, events, description, secret, status, created_at, updated_at) VALUES (?, @id, @url, @events, @description, @secret, @status, @created_at, @updated_at)',
      )
      .run(liveFlag(this.ctx), row);
    row.seq = Number(result.lastInsertRowid);
    this.outbox.invalidate();
    return row;
  }

  update(id: string, input: EndpointInput): EndpointRow {
    const row = this.get(id);
    if (input.url !== undefined) row.url = input.url;
    if (input.events !== undefined) row.events = input.events === null ? null : JSON.stringify(input.events);
    if (input.description !== undefined) row.description = input.description;
    row.updated_at = this.ctx.clock.now();
    this.ctx.sql
      .get(
        'UPDATE webhook_endpoints SET url = @url, events = @events, description = @description, updated_at = @updated_at WHERE id = @id',
      )
      .run(row);
    this.outbox.invalidate();
    return row;
  }

  delete(id: string): void {
    inTransaction(this.ctx, () => {
      const result = this.ctx.sql
        .get('DELETE FROM webhook_endpoints WHERE id = ? AND is_live = ?')
        .run(id, liveFlag(this.ctx));
      if (result.changes === 0) throw notFound(`No such webhook endpoint: ${id}`);
      this.ctx.sql.get("DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'pending'").run(id);
    });
    this.outbox.invalidate();
  }

  list(page: number, size: number): Page<EndpointRow> {
    return paginate<EndpointRow>(this.ctx, {
      from: 'webhook_endpoints WHERE is_live = ?',
      args: [liveFlag(this.ctx)],
      orderBy: 'created_at DESC, seq DESC',
      page,
      size,
    });
  }

  /** The secret of the newest endpoint (what the embedding host verifies signatures with). */
  latestSecret(): string | null {
    const row = this.ctx.sql
      .get('SELECT secret FROM webhook_endpoints WHERE is_live = ? ORDER BY seq DESC LIMIT 1')
      .get(liveFlag(this.ctx)) as { secret: string } | undefined;
    return row?.secret ?? null;
  }

  /** POST …/test: one event now, not stored, not retried. */
  async test(id: string): Promise<{ delivered: boolean; status_code: number | null }> {
    const endpoint = this.get(id);
    const events = endpoint.events === null ? null : (JSON.parse(endpoint.events) as EventType[]);
    const now = this.ctx.clock.now();
    const body: EventBody = {
      id: `evt_${this.ctx.ids.alnum(24)}`,
      type: events?.[0] ?? 'payment.succeeded',
      created_at: iso(now),
      data: { test: true, message: 'A test event from the PlutoPay sandbox.' },
    };
    const result = await this.dispatcher.send(this.request(endpoint, body.id, JSON.stringify(body), now));
    return { delivered: result.ok, status_code: result.status };
  }

  // ---- delivery -----------------------------------------------------------------------------

  private request(endpoint: EndpointRow, eventId: string, body: string, createdAt: number): Outgoing {
    return {
      url: endpoint.url,
      body,
      headers: {
        'User-Agent': 'PlutoPay-Sandbox-Webhooks/1.0',
        'X-PlutoPay-Signature': sign(endpoint.secret, body),
        'X-PlutoPay-Event-Id': eventId,
        'X-PlutoPay-Timestamp': String(Math.floor(createdAt / 1000)),
      },
    };
  }

  private outgoing(delivery: DeliveryRow): Outgoing | null {
    const endpoint = this.ctx.sql.get('SELECT * FROM webhook_endpoints WHERE id = ?').get(delivery.endpoint_id) as
      EndpointRow | undefined;
    const event = this.ctx.sql
      .get('SELECT body, created_at FROM webhook_events WHERE id = ?')
      .get(delivery.event_id) as { body: string; created_at: number } | undefined;
    if (!endpoint || !event) return null;
    return this.request(endpoint, delivery.event_id, event.body, event.created_at);
  }

  /** After a restart: anything claimed but not finished is due again; then deliver. */
  resume(): void {
    this.dispatcher.resume();
  }

  /** Resolves when no delivery is being sent and every due one has been attempted (for tests). */
  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  /** Recent deliveries, newest first, for the developer's webhook log (GET /_sandbox/webhook-deliveries). */
  deliveries(page: number, size: number): { rows: Array<Record<string, unknown>>; meta: PageMeta } {
    return this.dispatcher.log(page, size);
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
