/**
 * Webhook delivery, shared by the emulators. Deliveries are rows (written in the transaction of the
 * change that caused them), so a restart resumes pending retries. The dispatcher sends every due
 * delivery at once and sleeps on the injected clock until the next retry is due: 1 min, 5 min,
 * 30 min, 2 h, 24 h; after the fifth failed retry the endpoint is marked `failing` (a later success
 * clears it). Each emulator says what a delivery sends — URL, body and its own signature headers —
 * and nothing is ever sent anywhere but this machine.
 */
import type { TimerHandle } from '../../common/clock';
import { inTransaction, type Context } from './context';
import { LoopbackPoster } from './loopback-post';
import { pageMeta, type PageMeta } from './pagination';
import { HOUR, iso, isoOrNull, MINUTE } from './time';

export const RETRY_DELAYS_MS = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 24 * HOUR] as const;
export const DELIVERY_TIMEOUT_MS = 10_000;

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
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private pumping = false;
  private pumpAgain = false;
  private inFlight = 0;
  private readonly poster = new LoopbackPoster(DELIVERY_TIMEOUT_MS);
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  /**
   * @param prepare what a delivery sends, or null when its endpoint or event is gone (the delivery
   * then fails without being sent).
   */
  constructor(
    private readonly ctx: Context,
    private readonly tables: DeliveryTables,
    private readonly prepare: (delivery: DeliveryRow) => Outgoing | null,
  ) {}

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
            `SELECT * FROM ${this.tables.deliveries} WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT 100`,
          )
          .all(now) as DeliveryRow[];
        for (const delivery of due) {
          // Claim it: next_attempt_at NULL means "being sent"; a crash mid-send leaves it to resume().
          this.ctx.sql
            .get(`UPDATE ${this.tables.deliveries} SET next_attempt_at = NULL WHERE seq = ?`)
            .run(delivery.seq);
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
        `SELECT MIN(next_attempt_at) AS at FROM ${this.tables.deliveries} WHERE status = 'pending' AND next_attempt_at IS NOT NULL`,
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
    if (this.stopped) return;
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
      const delay = RETRY_DELAYS_MS[attempts - 1];
      if (delay === undefined) {
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
    this.ctx.sql
      .get(
        `UPDATE ${this.tables.deliveries} SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at IS NULL`,
      )
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
        .get(`SELECT COUNT(*) AS n FROM ${this.tables.deliveries} WHERE status = 'pending' AND next_attempt_at <= ?`)
        .get(this.ctx.clock.now()) as { n: number };
      if (this.inFlight === 0 && !this.pumping && (due.n === 0 || this.stopped)) return;
      if (this.inFlight > 0 || this.pumping) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      else this.kick();
    }
  }

  /** Recent deliveries, newest first, with their event type (the emulators' webhook logs). */
  log(page: number, size: number): { rows: Array<Record<string, unknown>>; meta: PageMeta } {
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
