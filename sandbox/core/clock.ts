/**
 * The sandbox's time: another clock (the system's, or a test's fake one) plus an offset that
 * `POST …/_sandbox/clock` moves forward. Moving it fires every timer that falls due, in order, so
 * a client can see a 15-minute expiry or a 7-day authorisation lapse without waiting for it.
 * The offset is kept where the data is (see `databaseOffset`): a restart on the same database must
 * not turn time back, or an authorisation that had lapsed would become capturable again.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import type { Db } from './database';

/** Where the offset survives a restart. */
export interface OffsetStore {
  load(): number;
  save(offsetMs: number): void;
}

interface Pending {
  due: number;
  callback: () => void;
  inner: TimerHandle;
}

export class AdvanceableClock implements Clock {
  private offset: number;
  private nextId = 1;
  private readonly timers = new Map<number, Pending>();

  constructor(
    private readonly base: Clock,
    private readonly store?: OffsetStore,
  ) {
    this.offset = store?.load() ?? 0;
  }

  now(): number {
    return this.base.now() + this.offset;
  }

  /** Time moved forward by advance() counts as time passed (its timers fire). */
  monotonic(): number {
    return this.base.monotonic() + this.offset;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const due = this.now() + Math.max(0, ms);
    this.timers.set(id, { due, callback, inner: this.arm(id, Math.max(0, ms)) });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const timer = this.timers.get(handle.id);
    if (!timer) return;
    this.base.clearTimeout(timer.inner);
    this.timers.delete(handle.id);
  }

  /** Moves time forward; timers that fall due fire now, in due order (including ones they add). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('the sandbox clock only moves forward');
    this.offset += ms;
    this.store?.save(this.offset);
    for (;;) {
      let next: [number, Pending] | undefined;
      for (const entry of this.timers)
        if (entry[1].due <= this.now() && (!next || entry[1].due < next[1].due)) next = entry;
      if (!next) break;
      this.base.clearTimeout(next[1].inner);
      this.timers.delete(next[0]);
      next[1].callback();
    }
    // The rest wait for what is left of their time on the moved clock.
    for (const [id, timer] of this.timers) {
      this.base.clearTimeout(timer.inner);
      timer.inner = this.arm(id, timer.due - this.now());
    }
  }

  private arm(id: number, ms: number): TimerHandle {
    return this.base.setTimeout(() => {
      const timer = this.timers.get(id);
      if (!timer) return;
      this.timers.delete(id);
      timer.callback();
    }, ms);
  }
}

const OFFSET_KEY = 'clock.offset_ms';

/** The offset kept in the sandbox database's `sandbox_meta` table (core/schema.ts). */
export function databaseOffset(db: Db): OffsetStore {
  const read = db.prepare('SELECT value FROM sandbox_meta WHERE key = ?');
  const write = db.prepare(
    'INSERT INTO sandbox_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return {
    load: () => {
      const row = read.get(OFFSET_KEY) as { value: string } | undefined;
      const offset = row === undefined ? 0 : Number(row.value);
      return Number.isFinite(offset) && offset > 0 ? offset : 0;
    },
    save: (offsetMs) => void write.run(OFFSET_KEY, String(offsetMs)),
  };
}
