/**
 * Each payment keeps which account of its mode holds it: the embedded sandbox's (test mode with the
 * sandbox on) or the shop's own. The mode alone (migration 009) does not tell them apart: with the
 * sandbox turned off, a pending payment made on it was read with the shop's own test key, which
 * cannot see it, and the 404 was taken as "not made": the create was sent again there, a second
 * payment on another account, while the customer could still pay the first.
 *
 * Older rows never recorded it. A part of an installment plan takes its plan's (migration 023); any
 * other test payment charged through a gateway was made on the sandbox when the till uses it at the
 * upgrade (Settings; on when never set), the only record there is of it. Live payments, and those a
 * terminal charged through the shop's own bank (no gateway account), are the shop's own.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 25,
  name: 'payment-accounts',
  up: (db) =>
    db.exec(`
  ALTER TABLE payments ADD COLUMN account TEXT NOT NULL DEFAULT 'own' CHECK (account IN ('own', 'sandbox'));

  UPDATE payments SET account = CASE
    WHEN mode = 'live' OR charged_by = 'terminal' THEN 'own'
    WHEN installment_plan_id IS NOT NULL AND EXISTS (SELECT 1 FROM installment_plans p WHERE p.id = payments.installment_plan_id)
      THEN (SELECT CASE WHEN p.sandbox = 1 THEN 'sandbox' ELSE 'own' END FROM installment_plans p WHERE p.id = payments.installment_plan_id)
    WHEN (SELECT value FROM settings WHERE key = 'embeddedSandbox') = 'false' THEN 'own'
    ELSE 'sandbox'
  END;
  `),
};
