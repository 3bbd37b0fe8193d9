/**
 * The reader actions the till refused because they asked for other money than their payment (a
 * gateway's or a proxy's mistake): one row per gateway action and the money it asked for, with its
 * payment and when it was refused. They were kept in memory only, so after a restart the same wrong
 * action was refused, logged and put in Needs attention again, even once the cashier had handled it.
 * A database from before has none: what was refused then is refused once more, and kept from then on.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 24,
  name: 'refused-reader-actions',
  up: (db) =>
    db.exec(`
  CREATE TABLE refused_reader_actions (
    gateway TEXT NOT NULL,
    action_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    refused_at TEXT NOT NULL,
    PRIMARY KEY (gateway, action_id, amount, currency)
  );
  CREATE INDEX refused_reader_actions_payment ON refused_reader_actions (payment_id);
  `),
};
