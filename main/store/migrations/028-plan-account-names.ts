/**
 * Each installment plan keeps the very account it was made on, as a payment does since migration 027
 * (`sandbox`, or the account's address and its key masked as Settings shows it; Plural: its client
 * id). Migration 023 told the embedded sandbox from the shop's own account only: after the shop
 * changed its own PayPlug URL and key in the same mode, a running plan was read with the new key,
 * which cannot see it (its "not found" reached the log only, the plan shown running and followed), and
 * a plan whose create went unanswered was looked for there, found nowhere, and made again.
 *
 * Older rows never recorded it. The embedded sandbox's are `sandbox`. The shop's own get '' and are
 * claimed by the first account of their gateway and mode the till uses after the upgrade
 * (Journal.claimPlanAccounts, at start and at each switch, before anything is read), as payments are.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 28,
  name: 'plan-account-names',
  up: (db) =>
    db.exec(`
  ALTER TABLE installment_plans ADD COLUMN gateway_account TEXT NOT NULL DEFAULT '';
  UPDATE installment_plans SET gateway_account = 'sandbox' WHERE sandbox = 1;
  `),
};
