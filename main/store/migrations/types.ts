/** One step of the journal's schema; `up` runs in its own transaction with the version bump. */
import type { SqlDatabase } from '../sqlite';

export interface Migration {
  /**
   * 1, 2, 3, … in order, without gaps (migrate() refuses a gap or a step back): the database's
   * user_version after it ran.
   */
  readonly version: number;
  readonly name: string;
  /**
   * The step rebuilds a table others reference (SQLite cannot drop a column constraint otherwise):
   * foreign keys are off while it runs (a pragma no transaction can change), and checked before it
   * commits.
   */
  readonly rebuildsTables?: boolean;
  up(db: SqlDatabase): void;
}
