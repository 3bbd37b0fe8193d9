/**
 * What a kill -9 of the host leaves, for host tests that restart on it: the journal as committed at
 * that instant, taken synchronously (nothing of the host runs meanwhile), then put back in place of
 * the journal once the first host is gone — so the second host starts on the same file a killed one
 * would have left, whatever the first wrote after its "death".
 */
import Database from 'better-sqlite3';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The journal in `dataDir` as every commit so far left it (the WAL's included). */
export function journalImage(dataDir: string): Buffer {
  const db = new Database(join(dataDir, 'journal.db'), { readonly: true, fileMustExist: true });
  try {
    return db.serialize();
  } finally {
    db.close();
  }
}

/**
 * Puts `image` back as the journal of `dataDir` (its host closed): the file a kill -9 left there. Or
 * puts it in another directory, for a second host to start on while the first keeps running, unaware.
 */
export function restoreJournal(dataDir: string, image: Buffer): void {
  const file = join(dataDir, 'journal.db');
  for (const extra of ['-wal', '-shm']) rmSync(file + extra, { force: true });
  writeFileSync(file, image);
}
