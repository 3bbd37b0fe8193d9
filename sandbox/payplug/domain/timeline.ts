/**
 * What happens by itself as the sandbox clock moves: unpaid payment pages expire after 15 minutes
 * and installments fall due on their dates. One clock timer waits for the earliest of them, so
 * POST /_sandbox/clock (or real time) brings them about; each is applied as of its own due time.
 * Every request also catches up first, so an answer never shows a state the clock has passed.
 */
import { inTransaction, type Context } from '../../core/context';
import { DueTimer } from '../../core/due-timer';
import type { Payments } from './payments';
import type { InstallmentPlans } from './plans';

export class Timeline {
  private readonly due: DueTimer;

  constructor(ctx: Context, payments: Payments, plans: InstallmentPlans) {
    this.due = new DueTimer(
      ctx,
      'PayPlug timeline',
      () => {
        const dues = [payments.nextExpiry(), plans.nextDue()].filter((at): at is number => at !== null);
        return dues.length === 0 ? null : Math.min(...dues);
      },
      (now) =>
        inTransaction(ctx, () => {
          payments.expireDue(now);
          plans.chargeDue(now);
        }),
    );
  }

  /**
   * Applies everything due by now, then waits for the next. Cheap when nothing is due: the armed
   * timer knows the earliest due time, as long as arm() runs after every change. A catch-up whose
   * commit fails is tried again (sandbox/core/due-timer.ts).
   */
  catchUp(force = false): void {
    this.due.catchUp(force);
  }

  /** Re-arms the timer for the earliest due time (after a change that may have added one). */
  arm(): void {
    this.due.arm();
  }

  stop(): void {
    this.due.stop();
  }
}
