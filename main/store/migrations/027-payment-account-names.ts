/**
 * Each payment keeps the very account its create was sent to (ActiveGateway.account, as a dispute
 * keeps it since migration 026: `sandbox`, or the account's address and its key masked as Settings
 * shows it; Plural: its client id). Migration 025 told the embedded sandbox from the shop's own account
 * only: after the shop changed its own URL and key in the same mode, a pending or unknown payment was
 * read with the new key, that account answered 404, recovery took it as "not made" and sent the
 * create again there — a second payment, while the customer could still pay on the first account.
 *
 * Older rows never recorded it. The embedded sandbox's are `sandbox`. The shop's own get '' and are
 * claimed by the first account of their gateway and mode the till uses after the upgrade
 * (Journal.claimPaymentAccounts, at start and at each switch, before anything is read): Settings does
 * not change across an upgrade, so that is the account the till was using — the one their creates went
 * to, unless the shop changed keys before upgrading (the old behaviour, which nothing recorded).
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 27,
  name: 'payment-account-names',
  up: (db) =>
    db.exec(`
  ALTER TABLE payments ADD COLUMN gateway_account TEXT NOT NULL DEFAULT '';
  UPDATE payments SET gateway_account = 'sandbox' WHERE account = 'sandbox';
  `),
};
