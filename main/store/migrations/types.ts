/** One step of the journal's schema; `up` runs in its own transaction with the version bump. */
import type { SqlDatabase } from '../sqlite';

export interface Migration {
  /**
   * 1, 2, 3, … in order, without gaps (migrate() refuses a gap or a step back): the database's
   * user_version after it ran.
   */
  readonly version: number;
  readonly name: string;
  up(db: SqlDatabase): void;
}
