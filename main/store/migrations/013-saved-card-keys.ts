/**
 * A saved card is keyed by its mode too: (gateway, mode, card id). A card id is the gateway
 * account's of one mode (012), so the test account and the live account may each hand out the same
 * id; keyed by (gateway, card id) alone, saving the second overwrote the first (keeping the first's
 * mode), and forgetting a card in one mode forgot the other mode's card too.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 13,
  name: 'saved-card-keys',
  up: (db) =>
    db.exec(`
  CREATE TABLE saved_cards_v13 (
    card_id TEXT NOT NULL,
    gateway TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    customer TEXT NOT NULL,
    brand TEXT,
    last4 TEXT,
    exp_month INTEGER,
    exp_year INTEGER,
    created_at TEXT NOT NULL,
    forgotten_at TEXT,
    PRIMARY KEY (gateway, mode, card_id)
  );
  INSERT INTO saved_cards_v13 (card_id, gateway, mode, customer, brand, last4, exp_month, exp_year, created_at, forgotten_at)
    SELECT card_id, gateway, mode, customer, brand, last4, exp_month, exp_year, created_at, forgotten_at FROM saved_cards;
  DROP TABLE saved_cards;
  ALTER TABLE saved_cards_v13 RENAME TO saved_cards;
  CREATE INDEX saved_cards_customer ON saved_cards (gateway, mode, customer) WHERE forgotten_at IS NULL;
  `),
};
