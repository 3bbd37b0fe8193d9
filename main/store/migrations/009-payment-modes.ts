/**
 * Each payment keeps the mode (test or live) the till was in when it was created, so live X/Z
 * reports count live money only and a receipt says TEST MODE for a test payment whatever mode the
 * till is in when it is printed again.
 *
 * Older rows never recorded it. They get the most the journal can tell, in this order:
 * 1. taken on a simulated reader: test (those readers only present test cards);
 * 2. inside the period of a closed Z of one mode only: that mode (the till was in it when it closed
 *    that day; Z reports of both modes over the same time tell nothing);
 * 3. otherwise the mode the till is in at the upgrade (Settings; test when never set), the
 *    mode its open day's reports are about.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 9,
  name: 'payment-modes',
  up: (db) =>
    db.exec(`
  ALTER TABLE payments ADD COLUMN mode TEXT NOT NULL DEFAULT 'test' CHECK (mode IN ('test', 'live'));

  UPDATE payments SET mode = CASE
    WHEN reader_id IN (SELECT id FROM readers WHERE kind = 'simulated') THEN 'test'
    WHEN (SELECT COUNT(DISTINCT z.mode) FROM z_reports z
          WHERE payments.created_at >= z.window_start AND payments.created_at < z.window_end) = 1
      THEN (SELECT z.mode FROM z_reports z
            WHERE payments.created_at >= z.window_start AND payments.created_at < z.window_end LIMIT 1)
    WHEN (SELECT value FROM settings WHERE key = 'mode') = '"live"' THEN 'live'
    ELSE 'test'
  END;
  `),
};
