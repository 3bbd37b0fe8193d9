/**
 * A lock held as SQLite's own: a small database file written once in exclusive locking mode keeps
 * its OS file lock until it is closed, and the OS drops it when the process dies, so there is never
 * a stale lock to clear. Used by the app's data directory (main/store/data-dir-lock.ts) and by the
 * sandbox's database (sandbox/core/database.ts); each opens the file with its own better-sqlite3.
 */

/** The part of a better-sqlite3 database the lock needs (common/ imports no Node-only package). */
export interface LockFileDb {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): { run(...params: number[]): unknown };
}

/** Takes the file's lock for this process, recording its pid; throws SQLITE_BUSY when another holds it. */
export function holdLockFile(db: LockFileDb, pid: number): void {
  db.pragma('locking_mode = EXCLUSIVE');
  // A write takes the exclusive lock; in this mode it is kept after the commit.
  db.exec('BEGIN EXCLUSIVE');
  db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
  db.exec('DELETE FROM holder');
  db.prepare('INSERT INTO holder (pid) VALUES (?)').run(pid);
  db.exec('COMMIT');
}
