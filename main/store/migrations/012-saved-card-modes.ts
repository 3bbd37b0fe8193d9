/**
 * Each saved card keeps the mode (test or live) it was saved in. A card id is the gateway account's
 * of that mode: a test card offered in live mode (or a live one in test mode) could only be refused
 * by the gateway, after a payment had been journaled for it (found by a tester).
 *
 * Older rows never recorded it: the mode of a payment charged on the card, if any; otherwise the
 * mode the till is in at the upgrade (Settings; test when never set).
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 12,
  name: 'saved-card-modes',
  up: (db) =>
    db.exec(`
  ALTER TABLE saved_cards ADD COLUMN mode TEXT NOT NULL DEFAULT 'test' CHECK (mode IN ('test', 'live'));

  UPDATE saved_cards SET mode = COALESCE(
    (SELECT p.mode FROM payments p WHERE p.gateway = saved_cards.gateway AND p.saved_card_id = saved_cards.card_id
     ORDER BY p.created_at LIMIT 1),
    CASE WHEN (SELECT value FROM settings WHERE key = 'mode') = '"live"' THEN 'live' ELSE 'test' END
  );

  DROP INDEX saved_cards_customer;
  CREATE INDEX saved_cards_customer ON saved_cards (gateway, mode, customer) WHERE forgotten_at IS NULL;
  `),
};
