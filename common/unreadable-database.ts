/**
 * Opening a SQLite file that is not (or no longer) a database: one message for the journal and
 * the sandbox, which open their files with better-sqlite3 each in its own layer.
 */

/** SQLite's answers for a file that is not (or no longer) a database it can read. */
const DAMAGED = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/**
 * A database file SQLite cannot read is left exactly as it is — it may still hold payments that a
 * copy or a repair can bring back — and the person starting the app is told which file and what
 * to do, instead of SQLite's bare "file is not a database".
 */
export class UnreadableDatabaseError extends Error {
  constructor(
    readonly path: string,
    readonly sqliteCode: string,
    detail: string,
  ) {
    super(
      `The database ${path} cannot be read (${detail}): the file is damaged or is not one of this app's databases. ` +
        'It was left untouched. Keep it (it may hold payments), then put back your latest copy of it, ' +
        'or start the app with another data directory.',
    );
    this.name = 'UnreadableDatabaseError';
  }
}

/**
 * A database file SQLite could not write (the disk is full, or failing): named with what to do,
 * instead of SQLite's bare "database or disk is full" or "disk I/O error".
 */
export class UnwritableDatabaseError extends Error {
  constructor(
    readonly path: string,
    readonly sqliteCode: string,
    detail: string,
  ) {
    super(
      `The database ${path} cannot be written (${detail}): the disk it is on is full or failing. ` +
        'Nothing already in it was lost. Free some space on that disk (or check it), then start the app again, ' +
        'or start the app with another data directory.',
    );
    this.name = 'UnwritableDatabaseError';
  }
}

/** Whether better-sqlite3's `error` says the file is not a database it can read. */
export function isDamagedDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DAMAGED.has(code);
}

/**
 * The error to throw for `error` from opening `path`: an UnreadableDatabaseError when the file is
 * damaged, an UnwritableDatabaseError when the disk refused a write.
 */
export function unreadableDatabase(path: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(code);
  if (isDamagedDatabase(error)) return new UnreadableDatabaseError(path, String(code), detail);
  if (code === 'SQLITE_FULL' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR')))
    return new UnwritableDatabaseError(path, code, detail);
  return error;
}
