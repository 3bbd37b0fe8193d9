/**
 * The sandbox's time: another clock (the system's, or a test's fake one) plus an offset that
 * `POST …/_sandbox/clock` moves forward. Moving it fires every timer that falls due, in order, so
 * a client can see a 15-minute expiry or a 7-day authorisation lapse without waiting for it.
 * The offset is kept where the data is (see `databaseOffset`): a restart on the same database must
 * not turn time back, or an authorisation that had lapsed would become capturable again. The route
 * saves it first and moves time once that is committed (`savedAdvance`), so a failed commit leaves
 * the clock where the database has it.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import type { Db } from './database';
import { groupCommit } from './group-commit';

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

  /** `offsetMs`: how far the clock was moved before (what the database kept). */
  constructor(
    private readonly base: Clock,
    offsetMs = 0,
  ) {
    this.offset = offsetMs;
  }

  /** How far the clock has been moved. */
  get offsetMs(): number {
    return this.offset;
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

  /**
   * Moves time forward in memory; timers that fall due fire now, in due order (including ones they
   * add). Saving the offset is the caller's (`savedAdvance`).
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('the sandbox clock only moves forward');
    this.offset += ms;
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

/**
 * How `POST …/_sandbox/clock` moves the clock: the new offset is written in the turn's group commit
 * (core/group-commit.ts) and time moves — its timers fire — only once that is committed. When the
 * commit fails, nothing moved: the clock is where the database has it, and the request can be sent
 * again without moving it twice (before, memory moved at once and the saved offset was rolled back,
 * so a restart turned time back past what the client had been shown). Resolves whether it moved.
 */
export function savedAdvance(
  clock: AdvanceableClock,
  db: Db,
  store: OffsetStore,
  write: (save: () => void) => void,
): (ms: number) => Promise<boolean> {
  // The offset the database holds once the open group commits: ahead of the clock's until then, so
  // two moves in one turn save their sum.
  let saved = clock.offsetMs;
  return async (ms) => {
    if (!(ms >= 0)) throw new RangeError('the sandbox clock only moves forward');
    const next = saved + ms;
    write(() => store.save(next));
    saved = next;
    if (!(await groupCommit(db).committed())) {
      // Rolled back with everything else of its turn: the committed offset is the clock's again.
      saved = clock.offsetMs;
      return false;
    }
    clock.advance(ms);
    return true;
  };
}
