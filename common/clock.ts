/**
 * Time as a dependency. Protocol state machines, the sandbox's webhook schedule and the host's
 * timeouts take a Clock so tests can run minutes of waiting in microseconds.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = (() => {
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;
  return {
    now: () => Date.now(),
    setTimeout(callback, ms) {
      const id = nextId++;
      const timer = setTimeout(() => {
        timers.delete(id);
        callback();
      }, ms);
      // A pending wait must never keep a CLI or a test process alive by itself.
      timer.unref?.();
      timers.set(id, timer);
      return { id };
    },
    clearTimeout(handle) {
      if (!handle) return;
      clearTimeout(timers.get(handle.id));
      timers.delete(handle.id);
    },
  };
})();

/** A clock that only moves when told to. Timers fire in due order during advance(). */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; callback: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
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
