/**
 * Webhook delivery, shared by the PlutoPay and Plural emulators, on the retry queue every delivery of
 * the sandbox uses (delivery-queue.ts). Deliveries are rows (written in the transaction of the
 * change that caused them), so a restart resumes pending retries. The dispatcher sends every due
 * delivery at once and sleeps on the injected clock until the next retry is due: 1 min, 5 min,
 * 30 min, 2 h, 24 h; after the fifth failed retry the endpoint is marked `failing` (a later success
 * clears it). Each emulator says what a delivery sends — URL, body and its own signature headers —
 * and nothing is ever sent anywhere but this machine.
 */
import { inTransaction, type Context } from './context';
import { DeliveryQueue, DELIVERY_TIMEOUT_MS, retryAfter } from './delivery-queue';
import { groupCommit } from './group-commit';
import { LoopbackPoster } from './loopback-post';
import { pageMeta, type PageMeta } from './pagination';
import { iso } from './time';

/** A row of an emulator's deliveries table (every emulator's table has these columns). */
export interface DeliveryRow {
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

/** One HTTP POST: the emulator's body and headers (Content-Type and Content-Length are added). */
export interface Outgoing {
  url: string;
  body: string;
  headers: Readonly<Record<string, string>>;
}

export type { PostResult as SendResult } from './loopback-post';
import type { PostResult as SendResult } from './loopback-post';

export interface DeliveryTables {
  /** Endpoints: at least `id`, `status` ('enabled' | 'failing') and `updated_at`. */
  endpoints: string;
  /** Events: at least `id` and `type`. */
  events: string;
  /** Deliveries: the columns of DeliveryRow. */
  deliveries: string;
}

export class WebhookDispatcher {
  private readonly poster: LoopbackPoster;
  private readonly queue: DeliveryQueue<DeliveryRow>;

  /**
   * @param prepare what a delivery sends, or null when its endpoint or event is gone (the delivery
   * then fails without being sent).
   */
  constructor(
    private readonly ctx: Context,
    private readonly tables: DeliveryTables,
    private readonly prepare: (delivery: DeliveryRow) => Outgoing | null,
  ) {
    this.poster = new LoopbackPoster(DELIVERY_TIMEOUT_MS, groupCommit(ctx.db));
    this.queue = new DeliveryQueue(ctx, tables.deliveries, (delivery) => this.attempt(delivery));
  }

  /** Look for due deliveries soon (new events, startup). */
  kick(): void {
    this.queue.kick();
  }

  private async attempt(delivery: DeliveryRow): Promise<void> {
    const { endpoints, deliveries } = this.tables;
    const outgoing = this.prepare(delivery);
    if (!outgoing) {
      this.ctx.sql
        .get(`UPDATE ${deliveries} SET status = 'failed', last_error = 'endpoint deleted' WHERE seq = ?`)
        .run(delivery.seq);
      return;
    }
    const result = await this.send(outgoing);
    // Shutting down: the claimed row stays pending, and resume() makes it due on the next start.
    // Not sent because its claim (or the row) was rolled back: the row is as the database says.
    if (this.queue.stopped || result.uncommitted) return;
    const now = this.ctx.clock.now();
    const attempts = delivery.attempts + 1;
    inTransaction(this.ctx, () => {
      if (result.ok) {
        this.ctx.sql
          .get(
            `UPDATE ${deliveries} SET status = 'succeeded', attempts = ?, last_status_code = ?, last_error = NULL, updated_at = ? WHERE seq = ?`,
          )
          .run(attempts, result.status, now, delivery.seq);
        this.ctx.sql
          .get(`UPDATE ${endpoints} SET status = 'enabled' WHERE id = ? AND status = 'failing'`)
          .run(delivery.endpoint_id);
        return;
      }
      const delay = retryAfter(attempts);
      if (delay === null) {
        this.ctx.sql
          .get(
            `UPDATE ${deliveries} SET status = 'failed', attempts = ?, last_status_code = ?, last_error = ?, updated_at = ? WHERE seq = ?`,
          )
          .run(attempts, result.status, result.error, now, delivery.seq);
        this.ctx.sql
          .get(`UPDATE ${endpoints} SET status = 'failing', updated_at = ? WHERE id = ?`)
          .run(now, delivery.endpoint_id);
        this.ctx.log(`webhook endpoint ${outgoing.url} marked failing after ${attempts} attempts`);
      } else {
        this.ctx.sql
          .get(
            `UPDATE ${deliveries} SET attempts = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, updated_at = ? WHERE seq = ?`,
          )
          .run(attempts, now + delay, result.status, result.error, now, delivery.seq);
      }
    });
  }

  /** One POST, answered or not within DELIVERY_TIMEOUT_MS; only to a loopback address. */
  send(outgoing: Outgoing): Promise<SendResult> {
    return this.poster.post(outgoing.url, outgoing.body, outgoing.headers);
  }

  /** After a restart: anything claimed but not finished is due again; then deliver. */
  resume(): void {
    this.queue.resume();
  }

  /** Resolves when no delivery is being sent and every due one has been attempted (for tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Recent deliveries, newest first, with their event type (the emulators' webhook logs), timestamps
   * written as the emulator writes them (`stamp`: PlutoPay's by default).
   */
  log(
    page: number,
    size: number,
    stamp: (ms: number) => string = iso,
  ): { rows: Array<Record<string, unknown>>; meta: PageMeta } {
    const { deliveries, events } = this.tables;
    const total = (this.ctx.sql.get(`SELECT COUNT(*) AS n FROM ${deliveries}`).get() as { n: number }).n;
    const rows = this.ctx.sql
      .get(
        `SELECT d.*, e.type AS type FROM ${deliveries} d JOIN ${events} e ON e.id = d.event_id
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
        next_attempt_at: row.next_attempt_at === null ? null : stamp(row.next_attempt_at),
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        created_at: stamp(row.created_at),
        updated_at: stamp(row.updated_at),
      })),
    };
  }

  async close(): Promise<void> {
    this.queue.close();
    this.poster.abortAll();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
