/**
 * A long history stays fast (measured by figure 4 of `npm run bench`, 100 000 payments).
 *  - Lists order by (created_at DESC, id DESC): an index on both walks the newest rows with no sort.
 *  - The attention list (read by every snapshot) had an index on attention_since alone, so the
 *    planner scanned all payments in date order looking for the few that need attention
 *    (85 ms at 100 000); the partial index now holds exactly those rows, in list order.
 *  - Prefix search uses LIKE, which is case-insensitive: only a NOCASE index can serve it (the
 *    existing indexes are BINARY), so every search read the whole table three times (0.5–1.3 s).
 *    The BINARY index on reference served nothing else (no query looks a reference up exactly):
 *    it goes, so a write does not pay for one index more than before.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 3,
  name: 'history-indexes',
  up: (db) =>
    db.exec(`
    DROP INDEX payments_reference;
    DROP INDEX payments_created;
    CREATE INDEX payments_created ON payments (created_at DESC, id DESC);
    DROP INDEX payments_attention;
    CREATE INDEX payments_attention ON payments (created_at DESC, id DESC) WHERE attention_since IS NOT NULL;
    CREATE INDEX payments_order_reference_nocase ON payments (order_reference COLLATE NOCASE);
    CREATE INDEX payments_reference_nocase ON payments (reference COLLATE NOCASE);
    CREATE INDEX payments_id_nocase ON payments (id COLLATE NOCASE);
  `),
};
