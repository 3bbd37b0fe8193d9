/**
 * Time as a dependency. Protocol state machines, the sandbox's webhook schedule and the host's
 * timeouts take a Clock so tests can run minutes of waiting in microseconds (test/support/fake-clock.ts).
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

/** Node fires a longer timer after 1 ms (with a warning): a wait of weeks would spin instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = (() => {
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;
  return {
    now: () => Date.now(),
    setTimeout(callback, ms) {
      const id = nextId++;
      // Waits longer than Node's limit (an installment due next month) go in steps under it.
      const arm = (remaining: number) => {
        const timer = setTimeout(
          () => {
            if (remaining > MAX_TIMER_MS) return arm(remaining - MAX_TIMER_MS);
            timers.delete(id);
            callback();
          },
          Math.min(remaining, MAX_TIMER_MS),
        );
        // A pending wait must never keep a CLI or a test process alive by itself.
        timer.unref?.();
        timers.set(id, timer);
      };
      arm(ms);
      return { id };
    },
    clearTimeout(handle) {
      if (!handle) return;
      clearTimeout(timers.get(handle.id));
      timers.delete(handle.id);
    },
  };
})();
