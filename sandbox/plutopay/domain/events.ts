/**
 * Webhook events: the reference's event types, and the outbox every domain change writes to. An
 * event is stored together with one delivery row per subscribed endpoint, inside the caller's
 * transaction, so an event exists exactly when the change that caused it was committed. Nothing is
 * written when no endpoint listens (the create-payment hot path stays a single insert).
 */
import { liveFlag, type Context } from '../../core/context';
import { iso } from '../../core/time';

export const EVENT_TYPES = [
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'refund.created',
  'dispute.created',
  'payout.paid',
  'payout.failed',
  'terminal.connected',
  'terminal.disconnected',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface Subscriber {
  readonly id: string;
  /** null = every event type. */
  readonly events: readonly EventType[] | null;
}

export interface EventBody {
  id: string;
  type: EventType;
  created_at: string;
  data: unknown;
}

export class Outbox {
  private subscribers: readonly Subscriber[] | null = null;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly ctx: Context) {}

  /** Forget the cached endpoint list (after an endpoint is created, changed or deleted). */
  invalidate(): void {
    this.subscribers = null;
  }

  /** Called after a commit that queued deliveries, so the dispatcher wakes up. */
  onQueued(listener: () => void): void {
    this.listeners.push(listener);
  }

  private current(): readonly Subscriber[] {
    if (!this.subscribers) {
      const rows = this.ctx.sql
        .get('SELECT id, events FROM webhook_endpoints WHERE is_live = ? ORDER BY seq')
        .all(liveFlag(this.ctx)) as Array<{
        id: string;
        events: string | null;
      }>;
      this.subscribers = rows.map((row) => ({
        id: row.id,
        events: row.events === null ? null : (JSON.parse(row.events) as EventType[]),
      }));
    }
    return this.subscribers;
  }

  /** Records an event for every endpoint that wants it. Call inside the transaction that made the change. */
  emit(type: EventType, data: unknown): void {
    const targets = this.current().filter((s) => s.events === null || s.events.includes(type));
    if (targets.length === 0) return;
    const now = this.ctx.clock.now();
    const id = `evt_${this.ctx.ids.alnum(24)}`;
    const body: EventBody = { id, type, created_at: iso(now), data };
    this.ctx.sql
      .get('INSERT INTO webhook_events (id, type, body, created_at) VALUES (?, ?, ?, ?)')
      .run(id, type, JSON.stringify(body), now);
    const insert = this.ctx.sql.get(
      "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?)",
    );
    for (const target of targets) insert.run(id, target.id, now, now, now);
    // Wake the dispatcher after the surrounding transaction has committed.
    queueMicrotask(() => {
      for (const listener of this.listeners) listener();
    });
  }
}
