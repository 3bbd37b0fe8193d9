/**
 * Time as a dependency. Protocol state machines, the sandbox's webhook schedule and the host's
 * timeouts take a Clock so tests can run minutes of waiting in microseconds (test/support/fake-clock.ts).
 *
 * Two kinds of time: `now()` is the wall clock — what is shown, recorded, compared with a
 * gateway's timestamps or a calendar day — and it jumps when NTP corrects it or the cashier sets
 * the system time. `monotonic()` never jumps: every wait, timeout, deadline and age measured
 * inside this process (a token's remaining life, a backoff, how long the gateway has been up) is
 * measured with it, like the timers (`setTimeout` waits are monotonic in Node).
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Wall time: milliseconds since the epoch. Jumps when the system time is set. */
  now(): number;
  /** Milliseconds from an arbitrary origin that never jumps: for durations and deadlines only. */
  monotonic(): number;
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
    monotonic: () => performance.now(),
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
