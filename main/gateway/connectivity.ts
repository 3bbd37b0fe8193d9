/**
 * Whether the gateway is reachable, learnt from real calls (any answer means online; a network
 * failure means offline) and, while offline, from a health probe with backoff. Listeners hear
 * every change; `onOnline` is where queued operations get drained.
 *
 * An answer the app cannot read (not JSON, a status it does not know) is an answer: the gateway is
 * there, and the payment it was about is the one in trouble (Needs attention), not the till's
 * connection. Counted as offline, one odd order put up the offline banner and held every payment.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import { GatewayError, GatewayUnreachable, GatewayUnreadable, LocalRefusal } from './errors';
import { errorText } from '../core/errors';

/** 'refused': the gateway answers, but refuses the till's credentials or address (a revoked key, a wrong path). */
export type GatewayState = 'online' | 'offline' | 'refused' | 'unknown';

export class Connectivity {
  private current: GatewayState = 'unknown';
  private error: string | null = null;
  private probeTimer: TimerHandle | undefined;
  private probeDelay: number;
  /** On the monotonic clock, as every wait here: a wall clock set back or forward moves neither. */
  private probeDue = 0;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  /** While the gateway throttles the till: when the wait it asked for is over (monotonic); else null. */
  private throttledUntil: number | null = null;
  private stopped = false;
  private readonly listeners = new Set<(state: GatewayState) => void>();
  private readonly shownListeners = new Set<() => void>();
  /** What the banner was last told (state, throttled, last error), to tell it only of a change. */
  private shown = '';

  constructor(
    private readonly clock: Clock,
    private readonly probe: () => Promise<unknown>,
    private readonly options: { minProbeMs?: number; maxProbeMs?: number } = {},
  ) {
    this.probeDelay = options.minProbeMs ?? 1_000;
  }

  get state(): GatewayState {
    return this.current;
  }

  get lastError(): string | null {
    return this.error;
  }

  onChange(listener: (state: GatewayState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Hears every change of what the banner shows: the state, and also, within a state, whether the
   * gateway throttles the till and the last error (a throttle that starts while the till is offline
   * already, a new reason to be offline). Heard on a state change before `onChange`'s listeners.
   */
  onShownChange(listener: () => void): () => void {
    this.shownListeners.add(listener);
    return () => this.shownListeners.delete(listener);
  }

  /**
   * How long the till must still wait, as a throttling gateway (429) asked, while that is why it is
   * offline: 0 once the wait is over but the gateway not yet asked again; null when not throttled.
   */
  throttledForMs(): number | null {
    if (this.current !== 'offline' || this.throttledUntil === null) return null;
    return Math.max(0, Math.ceil(this.throttledUntil - this.clock.monotonic()));
  }

  /**
   * A call answered. While a throttling gateway's wait runs, it does not end that wait (a reader's
   * poll answered while the till was asked to wait put it back online, and recovery sent the
   * throttled work again at once): the probe, due no sooner than the wait's end, asks then.
   */
  reportSuccess(): void {
    if (this.throttledUntil !== null && this.current === 'offline' && this.clock.monotonic() < this.throttledUntil)
      return;
    this.online();
  }

  private online(): void {
    this.throttledUntil = null;
    this.error = null;
    // The backoff is forgotten only once the gateway has stayed up a while: one that answers the
    // probe but fails the queue's sends (a route answering 500) or flaps would otherwise be asked
    // again every second for ever, the banner flipping with it (found hunting the offline queue).
    if (this.clock.monotonic() - this.lastFailureAt >= (this.options.maxProbeMs ?? 15_000))
      this.probeDelay = this.options.minProbeMs ?? 1_000;
    this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.set('online');
  }

  /**
   * The gateway answered and refused the till itself (401/403, or a 404 at its health check): it is
   * not offline — the network is fine and nothing should wait for it to come back — but nothing will
   * work until the keys or the address are fixed. Asked again now and then, so a key put right at
   * the gateway's side is seen without a restart.
   */
  reportRefused(message: string): void {
    this.throttledUntil = null;
    this.error = message;
    this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.set('refused');
    this.scheduleProbe();
  }

  /**
   * `retryAfterMs`: a throttling gateway's asked-for wait; `unavailableForMs`: the wait an unavailable
   * gateway (503) named. The next probe waits at least that long (never less than its own backoff).
   * Only the first holds the till's work back: a gateway that is down is not slowing the till down,
   * and any answer meanwhile ends the outage.
   */
  reportFailure(message: string, retryAfterMs: number | null = null, unavailableForMs: number | null = null): void {
    this.error = message;
    this.lastFailureAt = this.clock.monotonic();
    this.throttledUntil = retryAfterMs === null ? null : this.lastFailureAt + retryAfterMs;
    this.set('offline');
    this.scheduleProbe(Math.max(retryAfterMs ?? 0, unavailableForMs ?? 0));
  }

  /**
   * What a gateway call's failure says of the gateway: no answer (or a throttling one) — offline; a
   * refusal of the till itself (401/403) — refused; an answer it could not read, or any other
   * refusal — it is there. A refusal the app made by the gateway's rules (LocalRefusal) was never
   * sent: nothing was heard. Anything else (a bug of the app's own) says nothing of the gateway.
   * Told by every gateway call that fails, journaled or not (the Transactions list, a plan's create),
   * so revoked keys show as refused whichever call meets them first.
   */
  reportError(error: unknown): void {
    if (error instanceof GatewayUnreadable) this.reportSuccess();
    else if (error instanceof GatewayUnreachable)
      this.reportFailure(error.message, error.retryAfterMs, error.unavailableForMs);
    else if (error instanceof LocalRefusal) return;
    else if (error instanceof GatewayError) {
      if (error.status === 401 || error.status === 403) this.reportRefused(error.message);
      else this.reportSuccess();
    }
  }

  /** Checks now (used at start and after settings change). */
  async check(): Promise<GatewayState> {
    try {
      await this.probe();
      // The probe is due no sooner than a throttle's end, and a check after a settings change
      // asks another gateway or account: its answer ends any wait.
      this.online();
    } catch (error) {
      const message = errorText(error);
      // Any answer means the gateway is there: a refusal of the health check is about the till, and
      // an answer it cannot read (PayPlug's check lists the newest payment: one odd payment) is that
      // answer's problem, not the connection's.
      if (error instanceof GatewayUnreadable) this.reportSuccess();
      else if (error instanceof GatewayError) this.reportRefused(message);
      else if (error instanceof GatewayUnreachable)
        this.reportFailure(message, error.retryAfterMs, error.unavailableForMs);
      else this.reportFailure(message);
    }
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.probeTimer);
    this.listeners.clear();
    this.shownListeners.clear();
  }

  /** `atLeastMs`: the wait the gateway asked for (429, 503); a probe due sooner is put off to then. */
  private scheduleProbe(atLeastMs = 0): void {
    if (this.stopped) return;
    if (this.probeTimer) {
      if (atLeastMs <= this.probeDue - this.clock.monotonic()) return;
      this.clock.clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
    }
    const delay = Math.max(this.probeDelay, atLeastMs);
    this.probeDue = this.clock.monotonic() + delay;
    this.probeDelay = Math.min(this.probeDelay * 2, this.options.maxProbeMs ?? 15_000);
    this.probeTimer = this.clock.setTimeout(() => {
      this.probeTimer = undefined;
      void this.check();
    }, delay);
  }

  /**
   * Before, only a change of state was heard: offline for another reason, or throttled once offline
   * already, the banner kept saying what it said ("offline" for a gateway slowing the till down).
   */
  private set(state: GatewayState): void {
    const changed = state !== this.current;
    this.current = state;
    const shown = JSON.stringify([state, this.throttledForMs() !== null, this.error]);
    if (shown !== this.shown) {
      this.shown = shown;
      tell(this.shownListeners, (listener) => listener());
    }
    if (changed) tell(this.listeners, (listener) => listener(state));
  }
}

function tell<L>(listeners: ReadonlySet<L>, call: (listener: L) => void): void {
  for (const listener of [...listeners]) {
    try {
      call(listener);
    } catch {
      // A listener's bug must not stop the others hearing about it.
    }
  }
}
