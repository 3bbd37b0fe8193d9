/**
 * When each operation was last sent in a way that may have reached the gateway (`sent_at`, the
 * till's wall clock, ISO). On a gateway that cannot refuse a second send (PayPlug: no idempotency
 * keys), an operation whose outcome is unknown is not sent again before the gateway's settle window
 * has passed since then — also after a restart, which only the journal can tell. NULL for an
 * operation never sent. An operation still pending from before takes its `updated_at`, written at or
 * after its last send: its window can only end later, never earlier.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 17,
  name: 'operation-sent-at',
  up: (db) =>
    db.exec(`
  ALTER TABLE operations ADD COLUMN sent_at TEXT;
  UPDATE operations SET sent_at = updated_at WHERE state = 'pending' AND attempts > 0;
  `),
};
