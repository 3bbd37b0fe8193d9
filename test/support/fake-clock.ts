/**
 * A Clock for tests: time moves only when the test says so, so minutes of protocol timeouts,
 * webhook retries and card waits run in microseconds. Test-only; production code takes
 * systemClock (common/clock.ts).
 */
import type { Clock, TimerHandle } from '../../common/clock';

/**
 * A clock that only moves when told to. Timers fire in due order during advance(). Its monotonic
 * time starts equal to its wall time and moves with advance() only; jump() sets the wall clock
 * (an NTP correction, a cashier changing the system time) without any time passing.
 */
export class FakeClock implements Clock {
  private current: number;
  /** Wall time minus monotonic time: moved by jump(). */
  private wallOffset = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; callback: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current + this.wallOffset;
  }

  monotonic(): number {
    return this.current;
  }

  /** Sets the wall clock forward (ms > 0) or back (ms < 0); no time passes, no timer fires. */
  jump(ms: number): void {
    this.wallOffset += ms;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { due: this.current + Math.max(0, ms), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by ms, firing every timer that falls due, in order (including ones they add). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextDue = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.due <= target && timer.due < nextDue) {
          nextDue = timer.due;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.current = Math.max(this.current, timer.due);
      timer.callback();
    }
    this.current = target;
  }

  /** advance() that lets promise callbacks run between timers, for code that awaits between waits. */
  async advanceAsync(ms: number, step = ms): Promise<void> {
    let left = ms;
    while (left > 0) {
      const by = Math.min(step, left);
      await Promise.resolve();
      this.advance(by);
      left -= by;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
