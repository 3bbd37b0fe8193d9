/**
 * What happens by itself as the sandbox clock moves: unpaid payment pages expire after 15 minutes
 * and installments fall due on their dates. One clock timer waits for the earliest of them, so
 * POST /_sandbox/clock (or real time) brings them about; each is applied as of its own due time.
 * Every request also catches up first, so an answer never shows a state the clock has passed.
 */
import type { TimerHandle } from '../../../common/clock';
import { inTransaction, type Context } from '../../core/context';
import type { Payments } from './payments';
import type { InstallmentPlans } from './plans';

export class Timeline {
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private stopped = false;

  constructor(
    private readonly ctx: Context,
    private readonly payments: Payments,
    private readonly plans: InstallmentPlans,
  ) {}

  /**
   * Applies everything due by now, then waits for the next. Cheap when nothing is due: the armed
   * timer knows the earliest due time, as long as arm() runs after every change.
   */
  catchUp(force = false): void {
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    if (!force && this.timerDue > now) return;
    inTransaction(this.ctx, () => {
      this.payments.expireDue(now);
      this.plans.chargeDue(now);
    });
    this.arm();
  }

  /** Re-arms the timer for the earliest due time (after a change that may have added one). */
  arm(): void {
    if (this.stopped) return;
    const dues = [this.payments.nextExpiry(), this.plans.nextDue()].filter((at): at is number => at !== null);
    const next = dues.length === 0 ? null : Math.min(...dues);
    if (next === null) {
      this.ctx.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    if (this.timer && this.timerDue === next) return;
    this.ctx.clock.clearTimeout(this.timer);
    this.timerDue = next;
    this.timer = this.ctx.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerDue = Infinity;
        try {
          this.catchUp(true);
        } catch (error) {
          this.ctx.log(`PayPlug timeline: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
      },
      Math.max(0, next - this.ctx.clock.now()),
    );
  }

  stop(): void {
    this.stopped = true;
    this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
