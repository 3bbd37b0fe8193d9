/**
 * One app per data directory. Two hosts on one journal would both recover the same payments, both
 * follow the same hosted reader and both run an embedded sandbox on one database: Electron has its
 * single-instance lock, but web mode (and `npm start` where Electron is missing) had nothing.
 *
 * The lock is SQLite's own: a small database in the directory, written once in exclusive locking
 * mode, keeps its OS file lock until the connection closes — and the OS drops it when the process
 * dies, so a till killed with kill -9 or a power cut starts again without a stale lock to clear.
 */
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isDamagedDatabase } from '../../common/unreadable-database';
import { holdLockFile } from '../../common/lock-file';

/** A data directory the app cannot create, read or write: said with its path and what to do. */
export class DataDirUnusableError extends Error {
  constructor(
    readonly dataDir: string,
    why: string,
  ) {
    super(
      `The data directory ${dataDir} cannot be used: ${why}. ` +
        'Fix it, or start the app with another data directory (web mode: --data-dir DIR or POS_DATA_DIR).',
    );
    this.name = 'DataDirUnusableError';
  }
}

/**
 * Makes the data directory (0700) if it is missing and checks that this user can write it and the
 * files the app keeps there, so a start fails with the directory's name rather than SQLite's
 * "unable to open database file" or a bare EEXIST.
 */
export function prepareDataDir(dataDir: string): void {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new DataDirUnusableError(dataDir, 'it is a file');
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new DataDirUnusableError(dataDir, `it cannot be created (${(error as { code?: string }).code ?? error})`);
  }
  keepPrivate(dataDir);
  const writable = (path: string) => {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (!writable(dataDir)) throw new DataDirUnusableError(dataDir, 'this user cannot write to it');
  // Every file the app writes there: SQLite's own message ("attempt to write a readonly database")
  // names none of them (found by a tester with a read-only sandbox.db and journal.db-shm).
  for (const name of [
    ...DATABASE_FILES.flatMap((db) => [db, `${db}-wal`, `${db}-shm`]),
    'secrets.json',
    'secrets.sealed',
    LOCK_FILE,
    // The embedded sandbox's own lock (sandbox/core/database.ts): one sandbox per sandbox.db.
    'sandbox.db.lock',
  ]) {
    const path = join(dataDir, name);
    if (!existsSync(path)) continue;
    // SQLite says only "unable to open database file" of a directory where a file should be.
    if (!statSync(path).isFile()) throw new DataDirUnusableError(dataDir, `${name} in it is not a file`);
    if (!writable(path)) throw new DataDirUnusableError(dataDir, `${name} in it is read-only`);
    if (PRIVATE_FILES.has(name)) keepPrivateFile(path);
  }
  // A database whose file is missing or empty while its write-ahead log holds commits (a copy of
  // the directory that lost the file): SQLite would start an empty database and delete that log.
  for (const db of DATABASE_FILES) {
    const wal = join(dataDir, `${db}-wal`);
    if (
      existsSync(wal) &&
      statSync(wal).size > 0 &&
      (!existsSync(join(dataDir, db)) || statSync(join(dataDir, db)).size === 0)
    )
      throw new DataDirUnusableError(
        dataDir,
        `${db} in it is missing or empty, but ${db}-wal beside it holds its last commits. Put back the ${db} that goes with that file (a copy of the whole directory), and keep ${db}-wal`,
      );
  }
}

/**
 * The journal holds card details, receipts and the shop's sales, the secrets file the gateway keys:
 * a data directory that an older version, a copy or a restore left readable by others (0755) is
 * made the user's alone again, as a new one is made. Not a directory of another user (we could not)
 * nor a shared one like /tmp (sticky), which the app should not be pointed at and must not change.
 */
function keepPrivate(dataDir: string): void {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  const dir = statSync(dataDir);
  const sticky = (dir.mode & 0o1000) !== 0;
  if (dir.uid === process.getuid() && !sticky && (dir.mode & 0o077) !== 0) chmodSync(dataDir, 0o700);
}

/**
 * Why the data directory is not this user's alone, or null when it is: another user owns it, or
 * others may write to it (group or world, e.g. a shared sticky directory like /tmp, which
 * keepPrivate leaves alone). Others could then read what the app writes there, or put their own
 * files in its place — a secrets file naming their account's key, say. `uid`: this user's
 * (injectable for tests, which run as root). Always null on Windows.
 */
export function untrustedDataDir(
  dataDir: string,
  uid: number | undefined = typeof process.getuid === 'function' ? process.getuid() : undefined,
): string | null {
  if (process.platform === 'win32' || uid === undefined) return null;
  const dir = statSync(dataDir);
  if (dir.uid !== uid) return `it belongs to another user (uid ${dir.uid})`;
  if ((dir.mode & 0o022) !== 0)
    return `other users may write to it (mode ${(dir.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return null;
}

/**
 * What to do about an untrusted data directory, in one sentence for Settings and the log: the
 * directory, why, and the fix.
 */
export function untrustedDataDirMessage(dataDir: string, why: string): string {
  return (
    `The data directory ${dataDir} is not private: ${why}. Keys are neither stored nor read there. ` +
    `Start the app with a directory of your own (web mode: --data-dir DIR or POS_DATA_DIR), or make this one yours alone: chown "$USER" ${dataDir} && chmod 700 ${dataDir}.`
  );
}

/**
 * Makes a file of the data directory (0600) before SQLite opens it: SQLite creates its files with
 * the process's umask (0644 usually), and its -wal and -shm files with the database file's mode.
 * One of this user's found readable by others (an older version, a copy) is made private again.
 */
export function makePrivateFile(path: string): void {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
    return;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'EEXIST') throw error;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) keepPrivateFile(file);
}

/** One of this user's files, found readable or writable by others, is made theirs alone (0600). */
function keepPrivateFile(path: string): void {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  const stat = statSync(path);
  if (stat.isFile() && stat.uid === process.getuid() && (stat.mode & 0o077) !== 0) chmodSync(path, 0o600);
}

/** The SQLite databases in the data directory: the journal, and the embedded sandbox's. */
const DATABASE_FILES = ['journal.db', 'sandbox.db'];

/**
 * What holds money or secrets, made private at every start: the journal (card details, sales), the
 * embedded sandbox's database (its keys, its test payments), the secrets files (web mode's, and
 * Electron's sealed one). Found looser (an older version, a copy, a restore), each is made 0600.
 */
const PRIVATE_FILES: ReadonlySet<string> = new Set([
  ...DATABASE_FILES.flatMap((db) => [db, `${db}-wal`, `${db}-shm`]),
  'secrets.json',
  'secrets.sealed',
]);

/** The lock's file in the data directory. */
export const LOCK_FILE = 'instance.lock';

/** How long a start waits for an app that is closing on the same directory. */
const WAIT_FOR_CLOSING_MS = 1_000;

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `Another copy of POS Terminal Companion is already running with the data directory ${dataDir}. ` +
        'Use that one (its window, or the address it printed), or start this one with another data directory.',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the data directory for this process, or throws DataDirInUseError while another holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  try {
    return takeLock(dataDir);
  } catch (error) {
    if (!isDamagedDatabase(error)) throw error;
    // The file holds nothing but the holder's pid, and nobody can hold a file SQLite cannot read:
    // a damaged one (a disk fault, a copy of the directory taken mid-write) is made again.
    for (const name of [LOCK_FILE, `${LOCK_FILE}-journal`]) rmSync(join(dataDir, name), { force: true });
    return takeLock(dataDir);
  }
}

function takeLock(dataDir: string): DataDirLock {
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: WAIT_FOR_CLOSING_MS });
  try {
    holdLockFile(db, process.pid);
  } catch (error) {
    db.close();
    if ((error as { code?: unknown } | null)?.code === 'SQLITE_BUSY') throw new DataDirInUseError(dataDir);
    throw error;
  }
  return {
    release: () => {
      if (db.open) db.close();
    },
  };
}
