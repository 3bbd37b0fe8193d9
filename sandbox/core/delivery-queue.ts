/**
 * The retry queue under every outgoing delivery of the emulators (PlutoPay's and Plural's webhooks,
 * PayPlug's notification_url posts). Deliveries are rows written in the transaction of the change
 * that caused them, so one exists exactly when its change was committed, and a restart resumes it.
 * The queue claims every due row at once (next_attempt_at NULL means "being sent"), hands each to
 * its emulator's `attempt`, and sleeps on the sandbox clock until the next retry is due. What an
 * attempt sends and what it records (the endpoint's health, a payment's response code) is the
 * emulator's; `retryAfter` is the schedule they share.
 */
import type { TimerHandle } from '../../common/clock';
import type { Context } from './context';
import { HOUR, MINUTE } from './time';

export const RETRY_DELAYS_MS = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 24 * HOUR] as const;
export const DELIVERY_TIMEOUT_MS = 10_000;

/** The columns the queue reads and writes in an emulator's deliveries table. */
export interface QueuedRow {
  seq: number;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
}

/** After the n-th failed attempt: when to try again, or null when the delivery is given up. */
export function retryAfter(attempts: number): number | null {
  return RETRY_DELAYS_MS[attempts - 1] ?? null;
}

export class DeliveryQueue<Row extends QueuedRow> {
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private pumping = false;
  private pumpAgain = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  /**
   * @param table the deliveries table (its name is the emulator's own, never input)
   * @param attempt sends one claimed row and records the outcome; it must leave the row pending
   * (claimed) when `stopped` is true after its send, so the next start sends it again
   */
  constructor(
    private readonly ctx: Context,
    private readonly table: string,
    private readonly attempt: (row: Row) => Promise<void>,
  ) {}

  /** Shutting down: an attempt that returns now leaves its row to resume(). */
  get stopped(): boolean {
    return this.closed;
  }

  /** Look for due deliveries soon (new rows, startup). */
  kick(): void {
    if (this.closed) return;
    setImmediate(() => void this.pump());
  }

  private async pump(): Promise<void> {
    if (this.closed) return;
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
            `SELECT * FROM ${this.table} WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT 100`,
          )
          .all(this.ctx.clock.now()) as Row[];
        for (const row of due) {
          // Claim it: next_attempt_at NULL means "being sent"; a crash mid-send leaves it to resume().
          this.ctx.sql.get(`UPDATE ${this.table} SET next_attempt_at = NULL WHERE seq = ?`).run(row.seq);
          this.inFlight += 1;
          void this.attempt(row).finally(() => {
            this.inFlight -= 1;
            this.kick();
            this.notifyIdle();
          });
        }
        if (due.length === 100) this.pumpAgain = true;
      } while (this.pumpAgain && !this.closed);
      this.schedule();
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }

  /** Sleeps on the sandbox clock until the earliest pending retry. */
  private schedule(): void {
    if (this.closed) return;
    const next = this.ctx.sql
      .get(
        `SELECT MIN(next_attempt_at) AS at FROM ${this.table} WHERE status = 'pending' AND next_attempt_at IS NOT NULL`,
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

  /** After a restart: anything claimed but not finished is due again; then deliver. */
  resume(): void {
    this.ctx.sql
      .get(`UPDATE ${this.table} SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at IS NULL`)
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
        .get(`SELECT COUNT(*) AS n FROM ${this.table} WHERE status = 'pending' AND next_attempt_at <= ?`)
        .get(this.ctx.clock.now()) as { n: number };
      if (this.inFlight === 0 && !this.pumping && (due.n === 0 || this.closed)) return;
      if (this.inFlight > 0 || this.pumping) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      else this.kick();
    }
  }

  /** Stops the timer; the caller aborts its requests in flight. */
  close(): void {
    this.closed = true;
    this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
