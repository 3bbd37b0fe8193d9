/**
 * Webhook endpoints and delivery. Deliveries are rows (written by the Outbox with the change that
 * caused them), so a restart resumes pending retries. The dispatcher sends every due delivery at
 * once and sleeps on the injected clock until the next retry is due: 1 min, 5 min, 30 min, 2 h, 24 h;
 * after the fifth failed retry the endpoint is marked `failing` (a later success clears it).
 */
import { createHmac } from 'node:crypto';
import type { TimerHandle } from '../../../common/clock';
import { notFound } from '../../http/errors';
import { inTransaction, type Context } from '../../shared/context';
import { LoopbackPoster, type PostResult } from '../../shared/loopback-post';
import type { EventBody, EventType, Outbox } from './events';
import { pageMeta, paginate, type Page, type PageMeta } from '../../shared/pagination';
import { iso, isoOrNull, MINUTE, HOUR } from '../../shared/time';

export const RETRY_DELAYS_MS = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 24 * HOUR] as const;
export const DELIVERY_TIMEOUT_MS = 10_000;

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

interface DeliveryRow {
  seq: number;
  event_id: string;
  endpoint_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
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

type SendResult = PostResult;

export class Webhooks {
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private pumping = false;
  private pumpAgain = false;
  private inFlight = 0;
  private readonly poster = new LoopbackPoster(DELIVERY_TIMEOUT_MS);
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly ctx: Context,
    private readonly outbox: Outbox,
  ) {
    outbox.onQueued(() => this.kick());
  }

  // ---- endpoints ----------------------------------------------------------------------------

  get(id: string): EndpointRow {
    const row = this.ctx.sql.get('SELECT * FROM webhook_endpoints WHERE id = ?').get(id) as EndpointRow | undefined;
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
        'INSERT INTO webhook_endpoints (id, url, events, description, secret, status, created_at, updated_at) VALUES (@id, @url, @events, @description, @secret, @status, @created_at, @updated_at)',
      )
      .run(row);
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
      const result = this.ctx.sql.get('DELETE FROM webhook_endpoints WHERE id = ?').run(id);
      if (result.changes === 0) throw notFound(`No such webhook endpoint: ${id}`);
      this.ctx.sql.get("DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'pending'").run(id);
    });
    this.outbox.invalidate();
  }

  list(page: number, size: number): Page<EndpointRow> {
    return paginate<EndpointRow>(this.ctx, {
      from: 'webhook_endpoints',
      args: [],
      orderBy: 'created_at DESC, seq DESC',
      page,
      size,
    });
  }

  /** The secret of the newest endpoint (what the embedding host verifies signatures with). */
  latestSecret(): string | null {
    const row = this.ctx.sql.get('SELECT secret FROM webhook_endpoints ORDER BY seq DESC LIMIT 1').get() as
      { secret: string } | undefined;
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
    const result = await this.send(endpoint, body.id, JSON.stringify(body), now);
    return { delivered: result.ok, status_code: result.status };
  }

  // ---- delivery -----------------------------------------------------------------------------

  /** Look for due deliveries soon (new events, startup). */
  kick(): void {
    if (this.stopped) return;
    setImmediate(() => void this.pump());
  }

  private async pump(): Promise<void> {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const now = this.ctx.clock.now();
        const due = this.ctx.sql
          .get(
            "SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT 100",
          )
          .all(now) as DeliveryRow[];
        for (const delivery of due) {
          // Claim it: next_attempt_at NULL means "being sent"; a crash mid-send leaves it to resume().
          this.ctx.sql.get('UPDATE webhook_deliveries SET next_attempt_at = NULL WHERE seq = ?').run(delivery.seq);
          this.inFlight += 1;
          void this.attempt(delivery).finally(() => {
            this.inFlight -= 1;
            this.kick();
            this.notifyIdle();
          });
        }
        if (due.length === 100) this.pumpAgain = true;
      } while (this.pumpAgain && !this.stopped);
      this.schedule();
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }

  /** Sleep on the clock until the earliest pending retry. */
  private schedule(): void {
    if (this.stopped) return;
    const next = this.ctx.sql
      .get(
        "SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at IS NOT NULL",
      )
      .get() as { at: number | null };
    if (next.at === null) {
      this.ctx.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    if (this.timer && this.timerDue === next.at) return;
    this.ctx.clock.clearTimeout(this.timer);
    this.timerDue = next.at;
    this.timer = this.ctx.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerDue = Infinity;
        void this.pump();
      },
      Math.max(0, next.at - this.ctx.clock.now()),
    );
  }

  private async attempt(delivery: DeliveryRow): Promise<void> {
    const endpoint = this.ctx.sql.get('SELECT * FROM webhook_endpoints WHERE id = ?').get(delivery.endpoint_id) as
      EndpointRow | undefined;
    const event = this.ctx.sql
      .get('SELECT body, created_at FROM webhook_events WHERE id = ?')
      .get(delivery.event_id) as { body: string; created_at: number } | undefined;
    if (!endpoint || !event) {
      this.ctx.sql
        .get("UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted' WHERE seq = ?")
        .run(delivery.seq);
      return;
    }
    const result = await this.send(endpoint, delivery.event_id, event.body, event.created_at);
    // Shutting down: the claimed row stays pending, and resume() makes it due on the next start.
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    const attempts = delivery.attempts + 1;
    inTransaction(this.ctx, () => {
      if (result.ok) {
        this.ctx.sql
          .get(
            "UPDATE webhook_deliveries SET status = 'succeeded', attempts = ?, last_status_code = ?, last_error = NULL, updated_at = ? WHERE seq = ?",
          )
          .run(attempts, result.status, now, delivery.seq);
        this.ctx.sql
          .get("UPDATE webhook_endpoints SET status = 'enabled' WHERE id = ? AND status = 'failing'")
          .run(endpoint.id);
        return;
      }
      const delay = RETRY_DELAYS_MS[attempts - 1];
      if (delay === undefined) {
        this.ctx.sql
          .get(
            "UPDATE webhook_deliveries SET status = 'failed', attempts = ?, last_status_code = ?, last_error = ?, updated_at = ? WHERE seq = ?",
          )
          .run(attempts, result.status, result.error, now, delivery.seq);
        this.ctx.sql
          .get("UPDATE webhook_endpoints SET status = 'failing', updated_at = ? WHERE id = ?")
          .run(now, endpoint.id);
        this.ctx.log(`webhook endpoint ${endpoint.url} marked failing after ${attempts} attempts`);
      } else {
        this.ctx.sql
          .get(
            'UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, updated_at = ? WHERE seq = ?',
          )
          .run(attempts, now + delay, result.status, result.error, now, delivery.seq);
      }
    });
  }

  private send(endpoint: EndpointRow, eventId: string, body: string, createdAt: number): Promise<SendResult> {
    return this.poster.post(endpoint.url, body, {
      'User-Agent': 'PlutoPay-Sandbox-Webhooks/1.0',
      'X-PlutoPay-Signature': sign(endpoint.secret, body),
      'X-PlutoPay-Event-Id': eventId,
      'X-PlutoPay-Timestamp': String(Math.floor(createdAt / 1000)),
    });
  }

  /** After a restart: anything claimed but not finished is due again; then deliver. */
  resume(): void {
    this.ctx.sql
      .get("UPDATE webhook_deliveries SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at IS NULL")
      .run(this.ctx.clock.now());
    this.kick();
  }

  private notifyIdle(): void {
    if (this.inFlight > 0 || this.pumping) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when no delivery is being sent and every due one has been attempted (for tests). */
  async idle(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const due = this.ctx.sql
        .get("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?")
        .get(this.ctx.clock.now()) as { n: number };
      if (this.inFlight === 0 && !this.pumping && (due.n === 0 || this.stopped)) return;
      if (this.inFlight > 0 || this.pumping) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      else this.kick();
    }
  }

  /** Recent deliveries, newest first, for the developer's webhook log (GET /_sandbox/webhook-deliveries). */
  deliveries(page: number, size: number): { rows: Array<Record<string, unknown>>; meta: PageMeta } {
    const total = (this.ctx.sql.get('SELECT COUNT(*) AS n FROM webhook_deliveries').get() as { n: number }).n;
    const rows = this.ctx.sql
      .get(
        `SELECT d.*, e.type AS type FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
         ORDER BY d.seq DESC LIMIT ? OFFSET ?`,
      )
      .all(size, (page - 1) * size) as Array<DeliveryRow & { type: string }>;
    return {
      meta: pageMeta(page, size, total),
      rows: rows.map((row) => ({
        event_id: row.event_id,
        type: row.type,
        endpoint_id: row.endpoint_id,
        status: row.status === 'pending' && row.next_attempt_at === null ? 'sending' : row.status,
        attempts: row.attempts,
        next_attempt_at: isoOrNull(row.next_attempt_at),
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        created_at: iso(row.created_at),
        updated_at: iso(row.updated_at),
      })),
    };
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.poster.abortAll();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
