/**
 * The request ids a gateway's API gives its requests (Plural's `Request-ID`), kept with the
 * operation they were made for: a JSON array in the order the requests were made, NULL for
 * gateways without them and for operations older than this migration.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 7,
  name: 'request-ids',
  up: (db) => db.exec(`ALTER TABLE operations ADD COLUMN request_ids TEXT;`),
};
