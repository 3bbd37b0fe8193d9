/**
 * The small SQL surface the host uses, so the storage engine can change (better-sqlite3 today,
 * node:sqlite once Electron's Node has it everywhere) without touching the journal.
 */
import Database from 'better-sqlite3';

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
  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface OpenOptions {
  /**
   * 'full' fsyncs every commit (money transitions are on disk before the app acts on them);
   * 'normal' is for caches and tests that measure something else.
   */
  durability?: 'full' | 'normal';
}

export function openDatabase(path: string, options: OpenOptions = {}): SqlDatabase {
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const cache = new Map<string, Database.Statement>();
  let depth = 0;
  return {
    path,
    exec: (sql) => {
      db.exec(sql);
    },
    prepare(sql) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        cache.set(sql, statement);
      }
      const stmt = statement;
      return {
        run: (...params) => ({ changes: stmt.run(...params).changes }),
        get: <T>(...params: SqlValue[]) => stmt.get(...params) as T | undefined,
        all: <T>(...params: SqlValue[]) => stmt.all(...params) as T[],
      };
    },
    transaction<T>(fn: () => T): T {
      if (depth > 0) return fn();
      depth++;
      try {
        return db.transaction(fn).immediate();
      } finally {
        depth--;
      }
    },
    close: () => {
      cache.clear();
      if (db.open) db.close();
    },
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
 * Applies migrations[i] for every schema version above the database's `user_version`, each in its
 * own transaction. A database newer than the app is refused, never "repaired".
 */
export function migrate(db: SqlDatabase, migrations: readonly string[]): number {
  const current = db.prepare('PRAGMA user_version').get<{ user_version: number }>()!.user_version;
  if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length, db.path);
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    });
  }
  return migrations.length;
}
