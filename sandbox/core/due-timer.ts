/**
 * One sandbox-clock timer for the earliest of the things that happen by themselves (a payment page's
 * expiry, an installment falling due), and the catch-up every request makes first, so an answer never
 * shows a state the clock has passed.
 *
 * What a catch-up applies is committed with the turn's group (group-commit.ts). When that commit
 * fails, everything it applied is gone — but the timer, armed from what the turn saw, may already be
 * waiting for something later, or for nothing. So a failed commit re-arms it: the next request
 * catches up first, and without one the timer tries again after RETRY_MS.
 */
import type { TimerHandle } from '../../common/clock';
import type { Context } from './context';
import { groupCommit } from './group-commit';

/** How long after a failed commit the timer tries again, on the sandbox clock. */
export const DUE_RETRY_MS = 1000;

export class DueTimer {
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private stopped = false;

  /**
   * @param nextDue the earliest due time, or null when nothing waits
   * @param apply applies everything due by `now`, all or nothing (it writes in the turn's group)
   */
  constructor(
    private readonly ctx: Context,
    private readonly name: string,
    private readonly nextDue: () => number | null,
    private readonly apply: (now: number) => void,
  ) {}

  /**
   * Applies everything due by now, then waits for the next. Cheap when nothing is due: the armed
   * timer knows the earliest due time, as long as arm() runs after every change.
   */
  catchUp(force = false): void {
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    if (!force && this.timerDue > now) return;
    this.apply(now);
    this.arm();
    // Armed from what this turn wrote: if the turn's commit fails, that is gone, and so must the arming be.
    groupCommit(this.ctx.db).afterCommit((committed) => {
      if (!committed) this.retry();
    });
  }

  /** Re-arms the timer for the earliest due time (after a change that may have added one). */
  arm(): void {
    if (this.stopped) return;
    const next = this.nextDue();
    if (next === null) {
      this.ctx.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    if (this.timer && this.timerDue === next) return;
    this.schedule(next, Math.max(0, next - this.ctx.clock.now()));
  }

  stop(): void {
    this.stopped = true;
    this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** After a failed catch-up: due now (the next request catches up first), and the timer tries again later. */
  private retry(): void {
    if (this.stopped) return;
    this.schedule(this.ctx.clock.now(), DUE_RETRY_MS);
  }

  private schedule(due: number, delay: number): void {
    this.ctx.clock.clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      try {
        this.catchUp(true);
      } catch (error) {
        this.ctx.log(`${this.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        this.retry();
      }
    }, delay);
  }
}
