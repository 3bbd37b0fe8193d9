/**
 * The small SQL surface the host uses, so the storage engine can change (better-sqlite3 today,
 * node:sqlite once Electron's Node has it everywhere) without touching the journal.
 */
import { unreadableDatabase } from '../../common/unreadable-database';
import Database from 'better-sqlite3';
import { traceEnd, traceStart } from '../core/trace';
import { makePrivateFile } from './data-dir-lock';
import type { Migration } from './migrations/types';

export type SqlValue = string | number | bigint | null | Uint8Array;

export interface SqlStatement {
  run(...params: SqlValue[]): { changes: number };
  get<T>(...params: SqlValue[]): T | undefined;
  all<T>(...params: SqlValue[]): T[];
}

export interface SqlDatabase {
  readonly path: string;
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  /**
   * Runs fn in one transaction (nested calls join the outer one, and its durability). With
   * `{ sync: false }` (progress the app can rebuild from the gateway, see docs/reliability.md#durable-points)
   * the commit is not fsynced by itself: the next synced commit, or a checkpoint, makes it durable.
   * A kill -9 loses neither kind (the write is in the OS's cache); only a power cut can lose an
   * unsynced one.
   */
  transaction<T>(fn: () => T, options?: TransactionOptions): T;
  /** Commits so far, and how many of them were fsynced (durability 'full'). */
  readonly stats: { readonly commits: number; readonly syncedCommits: number };
  /**
   * Runs fn once the current transaction has committed (at once outside a transaction); never if
   * it rolls back. What the app does because of a write (tell the cashier, send a request) goes
   * here when the write may be part of a larger transition: it then happens only once that is on disk.
   */
  afterCommit(fn: () => void): void;
  /** Runs fn after every rollback: what was kept in memory about the undone writes is wrong now. */
  onRollback(fn: () => void): void;
  close(): void;
}

export interface TransactionOptions {
  /** false: commit without its own fsync (progress, not an intent or an outcome). Default true. */
  sync?: boolean;
}

export interface OpenOptions {
  /**
   * 'full' fsyncs every commit (money transitions are on disk before the app acts on them);
   * 'normal' is for caches and tests that measure something else.
   */
  durability?: 'full' | 'normal';
}

export function openDatabase(path: string, options: OpenOptions = {}): SqlDatabase {
  // The journal holds card details and the shop's sales: its files are the user's alone (0600).
  if (path !== ':memory:') makePrivateFile(path);
  const db = new Database(path);
  try {
    // The first statement reads the file's header: a damaged file is found here.
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
  } catch (error) {
    db.close();
    throw unreadableDatabase(path, error);
  }
  db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection (DEFAULT_CACHE_SIZE=-16000).
  // It fills as the history grows and is only given back when the database closes: over 10 000
  // payments that was most of the host's memory growth (figure 6 of `npm run bench`, issue #6).
  // 4 MB holds the hot pages (recent payments, the indexes' newest ends); older pages come from the
  // OS file cache when a search reaches them.
  db.pragma('cache_size = -4000');
  // Prepared statements and their small wrappers are made once per SQL text: the journal runs a
  // few dozen statements per payment, and re-wrapping (three closures) on every call showed up
  // in profiles of figure 1 of `npm run bench` (issue #6).
  const cache = new Map<string, SqlStatement>();
  let depth = 0;
  // BEGIN IMMEDIATE / COMMIT / ROLLBACK prepared once. better-sqlite3's db.transaction(fn) builds
  // four wrapper functions on every call; this is the same protocol without that cost.
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  // The safety level cannot change inside a transaction, so an unsynced one lowers it before its
  // BEGIN and restores it after its COMMIT. SQLite applies this pragma when it compiles the
  // statement, not when it runs it, so it cannot be prepared once: exec compiles it each time.
  const synced = options.durability !== 'normal';
  const relaxSync = { run: () => db.exec('PRAGMA synchronous = NORMAL') };
  const restoreSync = { run: () => db.exec('PRAGMA synchronous = FULL') };
  const stats = { commits: 0, syncedCommits: 0 };
  const counted = (sync: boolean) => {
    stats.commits++;
    if (sync && synced) stats.syncedCommits++;
  };
  let committed: (() => void)[] = [];
  const rollbackListeners: (() => void)[] = [];
  return {
    path,
    stats,
    exec: (sql) => {
      db.exec(sql);
    },
    prepare(sql) {
      let wrapped = cache.get(sql);
      if (!wrapped) {
        const stmt = db.prepare(sql);
        // `readonly`, not `reader`: an INSERT … RETURNING returns rows and writes.
        const writes = !stmt.readonly;
        const rows = rowReader(stmt);
        wrapped = {
          run: (...params) => {
            const changes = stmt.run(...params).changes;
            // A write outside a transaction commits (and syncs) by itself.
            if (writes && depth === 0) counted(true);
            return { changes };
          },
          // A write with RETURNING is read with get/all: outside a transaction it commits too.
          get: writes
            ? <T>(...params: SqlValue[]) => {
                const row = rows.get(params) as T | undefined;
                if (depth === 0) counted(true);
                return row;
              }
            : <T>(...params: SqlValue[]) => rows.get(params) as T | undefined,
          all: writes
            ? <T>(...params: SqlValue[]) => {
                const all = rows.all(params) as T[];
                if (depth === 0) counted(true);
                return all;
              }
            : <T>(...params: SqlValue[]) => rows.all(params) as T[],
        };
        cache.set(sql, wrapped);
      }
      return wrapped;
    },
    transaction<T>(fn: () => T, transactionOptions: TransactionOptions = {}): T {
      if (depth > 0) return fn();
      const sync = transactionOptions.sync !== false;
      const relaxed = synced && !sync;
      if (relaxed) relaxSync.run();
      depth++;
      let result: T;
      // Figure 7 of `npm run bench` times transactions and their commits (no-ops in the app).
      const traced = traceStart();
      try {
        begin.run();
        try {
          result = fn();
          if (result && typeof (result as { then?: unknown }).then === 'function')
            throw new TypeError('Transaction function cannot return a promise');
          const committing = traceStart();
          commit.run();
          counted(sync);
          traceEnd('journal.commit', committing);
          traceEnd('journal.tx', traced);
        } catch (error) {
          if (db.inTransaction) rollback.run();
          committed = [];
          for (const listener of rollbackListeners) listener();
          throw error;
        }
      } finally {
        depth--;
        if (relaxed) restoreSync.run();
      }
      const hooks = committed;
      committed = [];
      for (const hook of hooks) hook();
      return result;
    },
    afterCommit(fn) {
      if (depth > 0) committed.push(fn);
      else fn();
    },
    onRollback(fn) {
      rollbackListeners.push(fn);
    },
    close: () => {
      cache.clear();
      if (db.open) db.close();
    },
  };
}

type Row = Record<string, unknown>;

/**
 * How a statement's rows are read. better-sqlite3 builds a row with one property store per column,
 * which leaves a wide row (a payment's 49 columns) as a slow dictionary-mode object in V8: reading a
 * payment took about 15 µs, and every copy and read of the row paid again. Rows are read as arrays
 * and made into objects here, one store per column in the statement's order (an object V8 keeps in
 * fast mode). Statements whose columns a schema change could rename (a `*`) keep the library's rows:
 * SQLite prepares a statement again after a migration, and the names read once would be stale.
 */
function rowReader(stmt: Database.Statement): {
  get(params: SqlValue[]): Row | undefined;
  all(params: SqlValue[]): Row[];
} {
  if (!stmt.reader || stmt.source.includes('*'))
    return {
      get: (params) => stmt.get(...params) as Row | undefined,
      all: (params) => stmt.all(...params) as Row[],
    };
  stmt.raw(true);
  const names = stmt.columns().map((column) => column.name);
  const toRow = (values: unknown[]): Row => {
    const row: Row = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
    return row;
  };
  return {
    get: (params) => {
      const values = stmt.get(...params) as unknown[] | undefined;
      return values === undefined ? undefined : toRow(values);
    },
    all: (params) => (stmt.all(...params) as unknown[][]).map(toRow),
  };
}

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
    path: string,
  ) {
    super(
      `The database ${path} was written by a newer version of this app (schema ${found}; this app knows up to ${supported}). ` +
        'Refusing to open it so nothing is corrupted: update the app, or point it at another data directory.',
    );
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Applies every migration above the database's `user_version`, each in its own transaction with
 * its version bump. A database newer than the app is refused, never "repaired".
 */
export function migrate(db: SqlDatabase, migrations: readonly Migration[]): number {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`migration ${migration.name} is out of order`);
  });
  try {
    // The first read after opening maps the WAL index (-shm): a full disk can refuse it here.
    const current = db.prepare('PRAGMA user_version').get<{ user_version: number }>()!.user_version;
    if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length, db.path);
    for (const migration of migrations.slice(current)) {
      if (migration.rebuildsTables) db.exec('PRAGMA foreign_keys = OFF');
      try {
        db.transaction(() => {
          migration.up(db);
          if (migration.rebuildsTables) {
            const broken = db.prepare('PRAGMA foreign_key_check').all<{ table: string }>();
            if (broken.length > 0)
              throw new Error(`migration ${migration.name} left ${broken.length} rows whose references are gone`);
          }
          db.exec(`PRAGMA user_version = ${migration.version}`);
        });
      } finally {
        if (migration.rebuildsTables) db.exec('PRAGMA foreign_keys = ON');
      }
    }
  } catch (error) {
    // A full or failing disk: each migration rolled back, and the start says which file and why.
    throw unreadableDatabase(db.path, error);
  }
  return migrations.length;
}
