import type { StoreApi } from 'zustand';
import type { HostEvent, PosBridge } from '../../../common/contract';
import type { PosState } from './types';

/** Snapshots asked for in a row before giving up on a gap that does not close. */
const MAX_SNAPSHOTS_PER_SYNC = 3;

/**
 * Keeps the host mirror in step with the host: events are applied strictly in sequence; a gap,
 * or a reconnect, fetches a snapshot; events that arrive meanwhile wait in a buffer and those
 * the snapshot already covers (seq <= snapshot.seq) are dropped.
 */
export class HostSync {
  private buffer: HostEvent[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private unsubscribers: (() => void)[] = [];

  constructor(
    private readonly store: StoreApi<PosState>,
    private readonly bridge: PosBridge,
  ) {}

  start(): () => void {
    this.unsubscribers.push(
      this.bridge.subscribe((event) => this.onEvent(event)),
      this.bridge.onConnection((state) => {
        const { link, setLink } = this.store.getState();
        if (state === 'open') {
          setLink({ connection: 'open', failedConnects: 0 });
          void this.resync();
        } else if (state === 'refused') {
          setLink({ connection: 'refused' });
        } else {
          setLink({ connection: 'closed', failedConnects: link.failedConnects + 1, stale: true });
        }
      }),
    );
    // The Electron preload reports 'open' as soon as it is subscribed, which already started a resync.
    if (!this.running) void this.resync();
    return () => this.stop();
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  private onEvent(event: HostEvent): void {
    const state = this.store.getState();
    if (this.running || !state.host.ready) {
      this.buffer.push(event);
      return;
    }
    if (state.applyEvent(event) === 'gap') {
      this.buffer.push(event);
      void this.resync();
    }
  }

  /** One snapshot at a time; a request while one is running runs another afterwards. */
  resync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
      this.store.getState().setLink({ syncing: false });
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    const { setLink } = this.store.getState();
    setLink({ syncing: true });
    let rounds = 0;
    do {
      this.again = false;
      rounds += 1;
      let result;
      try {
        result = await this.bridge.invoke('session.snapshot', {});
      } catch (error) {
        result = { ok: false as const, error: { code: 'internal' as const, message: String(error) } };
      }
      if (!result.ok) {
        // Web mode retries when the connection opens again; otherwise the banner offers a retry.
        setLink({ syncError: result.error.message });
        return;
      }
      const state = this.store.getState();
      state.applySnapshot(result.value);
      setLink({ syncError: null, connection: 'open', failedConnects: 0, stale: false });
      void this.refreshShownPlan();
      if (this.drain() === 'gap') {
        if (rounds >= MAX_SNAPSHOTS_PER_SYNC) {
          console.warn('host events keep skipping sequence numbers; using the snapshot as it is');
          this.buffer = [];
          return;
        }
        this.again = true;
      }
    } while (this.again);
  }

  /**
   * Plans are not in the snapshot, only in events: the one on screen is read again after a resync,
   * since an event about it (its first installment paid) may have fallen in the gap.
   */
  private async refreshShownPlan(): Promise<void> {
    const shown = this.store.getState().ui.selectedPlan;
    if (!shown) return;
    const result = await this.bridge.invoke('installments.list', {});
    const fresh = result.ok ? result.value.find((plan) => plan.id === shown.id) : undefined;
    if (fresh && this.store.getState().ui.selectedPlan?.id === fresh.id) this.store.getState().showPlan(fresh);
  }

  /** Applies buffered events past the snapshot, in order; stops at the first gap. */
  private drain(): 'ok' | 'gap' {
    const events = this.buffer.sort((a, b) => a.seq - b.seq);
    this.buffer = [];
    for (let i = 0; i < events.length; i += 1) {
      const outcome = this.store.getState().applyEvent(events[i]!);
      if (outcome === 'gap') {
        this.buffer = events.slice(i);
        return 'gap';
      }
    }
    return 'ok';
  }
}
