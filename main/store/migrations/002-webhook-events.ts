/**
 * Webhook event ids seen, to refuse replays of forwarded webhooks.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 2,
  name: 'webhook-events',
  up: (db) =>
    db.exec(`
  CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX webhook_events_received ON webhook_events (received_at);
  `),
};
