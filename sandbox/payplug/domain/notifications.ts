/**
 * notification_url deliveries: a POST of the payment, refund or installment plan object. Each is a
 * row written in the transaction that made the change, so it exists exactly when the change was
 * committed and a restart resumes it. Failed deliveries (no answer, or not 2xx) are retried on the
 * sandbox clock after 1 min, 5 min, 30 min, 2 h and 24 h, then given up. The last HTTP status
 * received is kept on the payment as `notification.response_code`.
 */
import type { TimerHandle } from '../../../common/clock';
import { inTransaction, type Context } from '../../shared/context';
import { LoopbackPoster } from '../../shared/loopback-post';
import { iso, isoOrNull, HOUR, MINUTE } from '../../shared/time';

export const NOTIFICATION_RETRY_DELAYS_MS = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 24 * HOUR] as const;
export const NOTIFICATION_TIMEOUT_MS = 10_000;

export type NotifiedObject = 'payment' | 'refund' | 'installment_plan';

interface NotificationRow {
  seq: number;
  url: string;
  object: NotifiedObject;
  object_id: string;
  payment_id: string | null;
  body: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export class Notifications {
  private readonly poster = new LoopbackPoster(NOTIFICATION_TIMEOUT_MS);
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private pumping = false;
  private pumpAgain = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly ctx: Context) {}

  /**
   * Queues a delivery of `json` to `url` (nothing when the payment has no notification_url).
   * Call inside the transaction that made the change; `at` is when it is due (now, or later).
   */
  enqueue(
    url: string | null,
    object: NotifiedObject,
    json: { id: string },
    paymentId: string | null,
    at: number,
  ): void {
    if (url === null) return;
    const now = this.ctx.clock.now();
    this.ctx.sql
      .get(
        `INSERT INTO payplug_notifications (url, object, object_id, payment_id, body, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
      )
      .run(url, object, json.id, paymentId, JSON.stringify(json), at, now, now);
    // Wake the dispatcher once the surrounding transaction has committed.
    queueMicrotask(() => this.kick());
  }

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
        const due = this.ctx.sql
          .get(
            "SELECT * FROM payplug_notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT 100",
          )
          .all(this.ctx.clock.now()) as NotificationRow[];
        for (const row of due) {
          // Claimed: next_attempt_at NULL means "being sent"; resume() makes it due again after a crash.
          this.ctx.sql.get('UPDATE payplug_notifications SET next_attempt_at = NULL WHERE seq = ?').run(row.seq);
          this.inFlight += 1;
          void this.attempt(row).finally(() => {
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

  /** Sleeps on the sandbox clock until the earliest pending retry. */
  private schedule(): void {
    if (this.stopped) return;
    const next = this.ctx.sql
      .get(
        "SELECT MIN(next_attempt_at) AS at FROM payplug_notifications WHERE status = 'pending' AND next_attempt_at IS NOT NULL",
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

  private async attempt(row: NotificationRow): Promise<void> {
    const result = await this.poster.post(row.url, row.body, { 'User-Agent': 'PayPlug-Sandbox-Notifications/1.0' });
    // Closing: the claimed row stays pending, and resume() makes it due on the next start.
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    const attempts = row.attempts + 1;
    const delay = NOTIFICATION_RETRY_DELAYS_MS[attempts - 1];
    const status = result.ok ? 'succeeded' : delay === undefined ? 'failed' : 'pending';
    inTransaction(this.ctx, () => {
      this.ctx.sql
        .get(
          `UPDATE payplug_notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?,
           last_error = ?, updated_at = ? WHERE seq = ?`,
        )
        .run(status, attempts, status === 'pending' ? now + delay! : null, result.status, result.error, now, row.seq);
      if (row.payment_id !== null && result.status !== null) {
        this.ctx.sql
          .get('UPDATE payplug_payments SET notification_response_code = ? WHERE id = ?')
          .run(result.status, row.payment_id);
      }
    });
    if (status === 'failed') this.ctx.log(`PayPlug notification to ${row.url} given up after ${attempts} attempts`);
  }

  /** After a restart: anything claimed but not finished is due again; then deliver. */
  resume(): void {
    this.ctx.sql
      .get("UPDATE payplug_notifications SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at IS NULL")
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
        .get("SELECT COUNT(*) AS n FROM payplug_notifications WHERE status = 'pending' AND next_attempt_at <= ?")
        .get(this.ctx.clock.now()) as { n: number };
      if (this.inFlight === 0 && !this.pumping && (due.n === 0 || this.stopped)) return;
      if (this.inFlight > 0 || this.pumping) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      else this.kick();
    }
  }

  /** The delivery log, newest first (GET /_sandbox/notifications). */
  log(page: number, perPage: number): { rows: Array<Record<string, unknown>>; hasMore: boolean } {
    const rows = this.ctx.sql
      .get('SELECT * FROM payplug_notifications ORDER BY seq DESC LIMIT ? OFFSET ?')
      .all(perPage + 1, page * perPage) as NotificationRow[];
    return {
      hasMore: rows.length > perPage,
      rows: rows.slice(0, perPage).map((row) => ({
        url: row.url,
        object: row.object,
        object_id: row.object_id,
        status: row.status === 'pending' && row.next_attempt_at === null ? 'sending' : row.status,
        attempts: row.attempts,
        next_attempt_at: isoOrNull(row.next_attempt_at),
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        created_at: iso(row.created_at),
        body: JSON.parse(row.body) as unknown,
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
