/**
 * notification_url deliveries: a POST of the payment, refund or installment plan object. Each is a
 * row written in the transaction that made the change, so it exists exactly when the change was
 * committed and a restart resumes it. Failed deliveries (no answer, or not 2xx) are retried on the
 * sandbox clock after 1 min, 5 min, 30 min, 2 h and 24 h, then given up. The last HTTP status
 * received is kept on the payment as `notification.response_code`.
 */
import { inTransaction, type Context } from '../../core/context';
import { DeliveryQueue, DELIVERY_TIMEOUT_MS, retryAfter } from '../../core/delivery-queue';
import { groupCommit } from '../../core/group-commit';
import { LoopbackPoster } from '../../core/loopback-post';
import { seconds } from './model';

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
  private readonly poster: LoopbackPoster;
  private readonly queue: DeliveryQueue<NotificationRow>;

  constructor(private readonly ctx: Context) {
    this.poster = new LoopbackPoster(DELIVERY_TIMEOUT_MS, groupCommit(ctx.db));
    this.queue = new DeliveryQueue(ctx, 'payplug_notifications', (row) => this.attempt(row));
  }

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
    this.queue.kick();
  }

  private async attempt(row: NotificationRow): Promise<void> {
    const result = await this.poster.post(row.url, row.body, { 'User-Agent': 'PayPlug-Sandbox-Notifications/1.0' });
    // Closing: the claimed row stays pending, and resume() makes it due on the next start.
    // Not sent because its claim (or the row) was rolled back: the row is as the database says.
    if (this.queue.stopped || result.uncommitted) return;
    const now = this.ctx.clock.now();
    const attempts = row.attempts + 1;
    const delay = retryAfter(attempts);
    const status = result.ok ? 'succeeded' : delay === null ? 'failed' : 'pending';
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
    this.queue.resume();
  }

  /** Resolves when no delivery is being sent and every due one has been attempted (for tests). */
  idle(): Promise<void> {
    return this.queue.idle();
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
        next_attempt_at: row.next_attempt_at === null ? null : seconds(row.next_attempt_at),
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        created_at: seconds(row.created_at),
        body: JSON.parse(row.body) as unknown,
      })),
    };
  }

  async close(): Promise<void> {
    this.queue.close();
    this.poster.abortAll();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
