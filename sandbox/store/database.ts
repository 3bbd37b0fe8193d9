/**
 * Opens the sandbox's SQLite database: WAL for a file (readers never block the writer, and a crash
 * loses at most the last transaction), the schema brought up to date, and a statement cache so every
 * query is prepared once.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';

export type Db = Database.Database;
export type Statement = Database.Statement;

export function openDatabase(path: string): Db {
  const memory = path === ':memory:' || path === '';
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(memory ? ':memory:' : path);
  if (!memory) {
    db.pragma('journal_mode = WAL');
    // Every commit is handed to the OS before the request is answered, so state survives a crash or
    // kill of the sandbox process. What synchronous=OFF gives up is durability against an OS crash
    // or power loss — irrelevant for a test double holding no real money — and it makes a commit
    // 2–3× cheaper than NORMAL (whose fsyncs at each WAL checkpoint dominated create-payment).
    db.pragma('synchronous = OFF');
    db.pragma('busy_timeout = 5000');
  }
  db.pragma('foreign_keys = OFF');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `the database has schema version ${current}, newer than this sandbox's ${SCHEMA_VERSION}; use a newer sandbox or another --db`,
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
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
