/**
 * Journals with history, for figures 1 and 4. Seeding 100 000 payments through the Journal's API
 * takes tens of seconds on the shared machine, so each seeded size is built once and kept under
 * .bench/cache (keyed by the journal's schema version and the seeder's version); a run copies it.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Journal, JOURNAL_SCHEMA_VERSION } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { ManualClock, seedJournal, type SeededSample } from './seed';

/** Bump when seed.ts changes what it writes. */
const SEED_VERSION = 1;
/** Fixed "now" of the seeded history, so cached files are identical across runs. */
export const SEEDED_UNTIL = Date.UTC(2026, 0, 1);

export const CACHE_DIR = resolve('.bench/cache');

export interface SeededJournal {
  path: string;
  samples: SeededSample[];
  fromCache: boolean;
  seedMs: number;
}

/** About 200 payments spread evenly over the history, for search queries that hit. */
export function sampleRows(path: string, count: number): SeededSample[] {
  const db = openDatabase(path, { durability: 'normal' });
  try {
    const every = Math.max(1, Math.floor(count / 200));
    return db
      .prepare(
        'SELECT order_reference AS orderReference, reference, id FROM payments WHERE rowid % ? = 0 ORDER BY rowid LIMIT 200',
      )
      .all<SeededSample>(every);
  } finally {
    db.close();
  }
}

/**
 * A journal file at `path` holding `count` settled payments. Builds (or reuses) the cached copy.
 */
export function seededJournal(path: string, count: number, log: (line: string) => void = () => {}): SeededJournal {
  mkdirSync(dirname(path), { recursive: true });
  if (count === 0) return { path, samples: [], fromCache: true, seedMs: 0 };
  const cached = join(CACHE_DIR, `journal-${count}-schema${JOURNAL_SCHEMA_VERSION}-seed${SEED_VERSION}.db`);
  const started = performance.now();
  let fromCache = true;
  if (!existsSync(cached)) {
    fromCache = false;
    mkdirSync(CACHE_DIR, { recursive: true });
    const building = `${cached}.building-${process.pid}`;
    for (const suffix of ['', '-wal', '-shm']) rmSync(building + suffix, { force: true });
    // A history seeded under an older schema is upgraded by the journal's own migrations (as a
    // shop's database would be), which is much faster than seeding again.
    const older = readdirSync(CACHE_DIR).find((f) =>
      new RegExp(`^journal-${count}-schema\\d+-seed${SEED_VERSION}\\.db$`).test(f),
    );
    if (older) {
      log(`  migrating the cached journal ${older} to schema ${JOURNAL_SCHEMA_VERSION}`);
      copyFileSync(join(CACHE_DIR, older), building);
    } else log(`  seeding a journal with ${count.toLocaleString('en-US')} payments (once; cached in ${cached})`);
    const db = openDatabase(building, { durability: 'normal' });
    try {
      db.exec('PRAGMA cache_size = -131072');
      const clock = new ManualClock(SEEDED_UNTIL);
      const journal = new Journal(db, clock);
      if (!older) seedJournal(journal, clock, { count, endAt: SEEDED_UNTIL });
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    renameSync(building, cached);
    for (const suffix of ['-wal', '-shm']) rmSync(building + suffix, { force: true });
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  copyFileSync(cached, path);
  return { path, samples: sampleRows(path, count), fromCache, seedMs: performance.now() - started };
}
