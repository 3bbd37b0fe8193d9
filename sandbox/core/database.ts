/**
 * Opens the sandbox's SQLite database: WAL for a file (readers never block the writer, and a crash
 * loses at most the last transaction), the schema brought up to date, and a statement cache so every
 * query is prepared once.
 */
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { unreadableDatabase } from '../../common/unreadable-database';
import { holdLockFile } from '../../common/lock-file';

export type Db = Database.Database;
export type Statement = Database.Statement;

export function openDatabase(path: string): Db {
  const memory = path === ':memory:' || path === '';
  let db: Db;
  try {
    if (!memory) {
      // Its keys and payments are this user's alone: SQLite would make the file with the umask
      // (0644 usually), and its -wal and -shm with the file's mode. An existing file keeps its own.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, 'a', 0o600));
    }
    db = new Database(memory ? ':memory:' : path);
  } catch (error) {
    throw cannotOpen(path, error);
  }
  if (!memory) {
    let lock: Db;
    try {
      lock = lockDatabase(path);
    } catch (error) {
      db.close();
      throw error;
    }
    // The lock is held exactly as long as the database is open, whichever way it is closed.
    const close = db.close.bind(db);
    db.close = () => {
      try {
        return close();
      } finally {
        lock.close();
      }
    };
  }
  if (!memory) {
    try {
      db.pragma('journal_mode = WAL');
    } catch (error) {
      db.close();
      throw unreadableDatabase(path, error);
    }
    // Every commit is handed to the OS before the request is answered, so state survives a crash or
    // kill of the sandbox process. What synchronous=OFF gives up is durability against an OS crash
    // or power loss — irrelevant for a test double holding no real money — and it makes a commit
    // 2–3× cheaper than NORMAL (whose fsyncs at each WAL checkpoint dominated create-payment).
    db.pragma('synchronous = OFF');
    db.pragma('busy_timeout = 5000');
  }
  db.pragma('foreign_keys = OFF');
  return db;
}

/** How long a start waits for a sandbox that is closing on the same file. */
const WAIT_FOR_CLOSING_MS = 1_000;

/**
 * One sandbox per database file. Two on one file (`npm run sandbox` beside a till whose embedded
 * sandbox uses the same default sandbox.db, or a second `npm run sandbox -- --port 0`) both served
 * it: each with its own clock offset, faults and readers in memory, both delivering the same
 * pending webhooks. The lock is a lock file beside it (PATH.lock, common/lock-file.ts), as for the
 * app's data directory.
 */
function lockDatabase(path: string): Db {
  const lockPath = `${path}.lock`;
  let lock: Db;
  try {
    lock = new Database(lockPath, { timeout: WAIT_FOR_CLOSING_MS });
  } catch (error) {
    throw cannotOpen(lockPath, error);
  }
  try {
    holdLockFile(lock, process.pid);
    return lock;
  } catch (error) {
    lock.close();
    if ((error as { code?: unknown } | null)?.code === 'SQLITE_BUSY')
      throw new Error(
        `the database ${path} is in use by another sandbox (npm run sandbox, or a till's embedded sandbox in test mode): stop that one, or give this one another file (npm run sandbox: --db PATH, or --db :memory:; the app: --data-dir DIR)`,
        { cause: error },
      );
    throw cannotOpen(lockPath, error);
  }
}

/**
 * Why a database file cannot be opened, naming it: SQLite says only "unable to open database file",
 * and mkdir an EEXIST for the parent that is a file.
 */
function cannotOpen(path: string, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const stat = (target: string) => {
    try {
      return statSync(target);
    } catch {
      return null;
    }
  };
  let reason: string;
  if (stat(path)?.isDirectory()) reason = 'it is a directory; give a file path';
  else if (code === 'EEXIST' || code === 'ENOTDIR') reason = `${dirname(path)} is not a directory`;
  else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') reason = 'this user cannot create or write it';
  else reason = error instanceof Error ? error.message : String(error);
  return new Error(`the database ${path} cannot be opened: ${reason}`);
}

/**
 * Brings one emulator's tables up to date. Each emulator numbers its own migrations; the versions
 * live in `schema_versions` so the emulators can change independently. PlutoPay's tables predate
 * that table and kept their version in PRAGMA user_version, which is still honoured. A database
 * written by a newer sandbox is refused instead of being misread.
 */
export function migrate(db: Db, component: string, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as
    { version: number } | undefined;
  const legacy = component === 'plutopay' ? (db.pragma('user_version', { simple: true }) as number) : 0;
  const current = row?.version ?? legacy;
  if (current > migrations.length) {
    db.close();
    throw new Error(
      `the database has ${component} schema version ${current}, newer than this sandbox's ${migrations.length}; use a newer sandbox or another --db`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.prepare(
        'INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version',
      ).run(component, version + 1);
      if (component === 'plutopay') db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  if (row === undefined && current === migrations.length && current > 0) {
    db.prepare('INSERT OR IGNORE INTO schema_versions (component, version) VALUES (?, ?)').run(component, current);
  }
}

/** Prepares each distinct SQL text once (filters build their SQL, so lists benefit too). */
export class Statements {
  private readonly cache = new Map<string, Statement>();

  constructor(readonly db: Db) {}

  get(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
}
