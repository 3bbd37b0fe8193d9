/**
 * When the cashier asked to cancel a payment still being created (`cancel_asked_at`, the till's wall
 * clock, ISO; NULL: never asked). The cancel cannot be sent before the gateway has answered the
 * create, so it is written down the moment it is asked: a reload of the screen shows the payment
 * being cancelled, and a restart of the till cancels it instead of leaving it open. The index keeps recovery's look for
 * such payments (the journal's `unfinished`) off a walk of every payment.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 22,
  name: 'cancel-asked',
  up: (db) =>
    db.exec(`
  ALTER TABLE payments ADD COLUMN cancel_asked_at TEXT;
  CREATE INDEX payments_cancel_asked ON payments (cancel_asked_at) WHERE cancel_asked_at IS NOT NULL;
  `),
};
