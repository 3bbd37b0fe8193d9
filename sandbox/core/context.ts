/** What every domain module shares: the database, time, ids and the running mode. */
import type { Clock } from '../../common/clock';
import type { Db, Statements } from './database';
import { groupCommit } from './group-commit';
import type { IdSource } from './ids';

export type Mode = 'test' | 'live';

export interface Context {
  readonly db: Db;
  readonly sql: Statements;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly mode: Mode;
  /** This emulator's base URL (http://127.0.0.1:PORT plus its prefix), known once it listens. */
  baseUrl(): string;
  /**
   * Moves the sandbox's clock forward (every emulator shares it): POST …/_sandbox/clock. It moves
   * once the saved offset is committed; false when that commit failed and nothing moved.
   */
  advanceClock(ms: number): Promise<boolean>;
  log(line: string): void;
}

/**
 * The `is_live` flag of what this mode makes and sees: 1 in live mode, 0 in test mode. A database can
 * be opened in either mode; each emulator stores the flag on the objects it makes and only ever finds
 * those of the running mode, so test and live data never meet, as on a real gateway.
 */
export function liveFlag(ctx: { readonly mode: Mode }): 0 | 1 {
  return ctx.mode === 'live' ? 1 : 0;
}

type Runner = ReturnType<Db['transaction']>;
const runners = new WeakMap<Db, Runner>();

/**
 * Runs `fn` all or nothing inside the turn's group commit (group-commit.ts): the first call of a
 * turn opens the group's transaction, which takes the write lock at once (no upgrade deadlocks);
 * `fn` runs in a savepoint of it, so a throw undoes only what `fn` wrote. The group commits when
 * the turn is over; whatever leaves the process waits for that (GroupCommit.afterCommit). One
 * wrapper per database: db.transaction() is not free, and this runs on every write request.
 */
export function inTransaction<T>(ctx: Context, fn: () => T): T {
  let runner = runners.get(ctx.db);
  if (!runner) {
    runner = ctx.db.transaction((body: () => unknown) => body()) as Runner;
    runners.set(ctx.db, runner);
  }
  groupCommit(ctx.db).open();
  return runner(fn) as T;
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  return JSON.parse(text) as T;
}
