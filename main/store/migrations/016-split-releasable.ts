/**
 * What a release of each held share can settle now, as the gateway last said (after a partial
 * capture, less than the share): the Settlements screen offers that amount, and nothing the gateway
 * would refuse (found by a tester: "Release ₹600.00" offered when ₹100.00 of captured money was left).
 * Null on older rows until the gateway is read again: the share's amount is assumed meanwhile.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 16,
  name: 'split-releasable',
  up: (db) => db.exec(`ALTER TABLE payment_splits ADD COLUMN releasable_amount INTEGER;`),
};
