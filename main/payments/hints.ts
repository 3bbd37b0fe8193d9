/**
 * Bounds the gateway reads that notifications ask for. A notification is only a hint to re-read a
 * payment with the till's own key, and PayPlug's are unsigned: any local page can post them to the
 * loopback receiver, as fast as it likes. Each hint names what it wants read (a payment of the
 * journal, or the running plans) and:
 * - is read **at once** when nothing of that kind is being read and the budget allows (a real
 *   notification for a payment of this till is read without delay);
 * - is **coalesced** with the read of the same thing already running or waiting: however many hints
 *   name one payment, it is read once more after the read in progress, never once per hint;
 * - beyond the budget (a burst of `burst` reads, then one every `refillMs`), **waits** for it: the
 *   waiting set holds each thing once, so it is bounded by what the journal knows.
 * What a hint may name at all (only payments the journal knows) is decided by the caller
 * (PaymentService.notified).
 */
import type { Clock, TimerHandle } from '../../common/clock';

/** Reads at once after a quiet spell: a busy counter's notifications never wait. */
export const HINT_BURST = 20;
/** Then one read every 3 s at most (20 a minute) for all hints together. */
export const HINT_REFILL_MS = 3_000;

export type HintOutcome = 'read' | 'coalesced' | 'deferred';

export class NotificationHints {
  private tokens: number;
  private refilledAt: number;
  private readonly running = new Set<string>();
  private readonly waiting = new Map<string, () => Promise<void>>();
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly clock: Pick<Clock, 'monotonic' | 'setTimeout' | 'clearTimeout'>,
    private readonly burst = HINT_BURST,
    private readonly refillMs = HINT_REFILL_MS,
  ) {
    this.tokens = burst;
    this.refilledAt = clock.monotonic();
  }

  /** `read` must report its own failures: it settles either way. */
  hint(key: string, read: () => Promise<void>): HintOutcome {
    if (this.closed) return 'coalesced';
    if (this.running.has(key) || this.waiting.has(key)) {
      this.waiting.set(key, read);
      return 'coalesced';
    }
    if (!this.take()) {
      this.waiting.set(key, read);
      this.wake();
      return 'deferred';
    }
    this.start(key, read);
    return 'read';
  }

  close(): void {
    this.closed = true;
    this.waiting.clear();
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(key: string, read: () => Promise<void>): void {
    this.running.add(key);
    void read()
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(key);
        this.drain();
      });
  }

  private drain(): void {
    if (this.closed) return;
    for (const [key, read] of this.waiting) {
      if (this.running.has(key)) continue;
      if (!this.take()) return this.wake();
      this.waiting.delete(key);
      this.start(key, read);
    }
  }

  private take(): boolean {
    const now = this.clock.monotonic();
    const earned = Math.floor((now - this.refilledAt) / this.refillMs);
    if (earned > 0) {
      this.tokens = Math.min(this.burst, this.tokens + earned);
      this.refilledAt = this.tokens === this.burst ? now : this.refilledAt + earned * this.refillMs;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Drains the waiting hints when the next read is allowed. */
  private wake(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.refilledAt + this.refillMs - this.clock.monotonic());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, wait);
  }
}
