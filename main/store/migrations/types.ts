/** One step of the journal's schema; `up` runs in its own transaction with the version bump. */
import type { SqlDatabase } from '../sqlite';

export interface Migration {
  /**
   * 1, 2, 3, … in order: the database's user_version after it ran. Numbers are reserved per
   * branch, so one may be missing until the branch that holds it is merged (see migrate()).
   */
  readonly version: number;
  readonly name: string;
  up(db: SqlDatabase): void;
}
