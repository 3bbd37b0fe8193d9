/**
 * Each installment plan keeps the mode (test or live) the till was in when it was made, and whether
 * it was made on the embedded sandbox. A plan id is the account's that made it: after a switch to
 * the other mode the till holds only that mode's keys, and with the sandbox turned off only the
 * shop's own test key, which cannot see the plan, and read it anyway (PayPlug answered "not
 * found", which only reached the log, while the plan showed running and followed).
 *
 * Older rows never recorded it. They get the most the journal can tell:
 * 1. the mode of a part of the plan the till took in (a part is journaled in the mode the till was
 *    in when it read the plan, which was the plan's: only its own mode's keys could see it);
 * 2. otherwise the mode the till is in at the upgrade (Settings; test when never set): a plan whose
 *    first part is not in the journal yet was made moments ago, or never confirmed, and the till
 *    has not switched mode since, or its parts would be there.
 * And a test plan was made on the embedded sandbox when the till uses it at the upgrade (Settings;
 * on when never set), the only record there is of it; a live plan never was.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 23,
  name: 'plan-modes',
  up: (db) =>
    db.exec(`
  ALTER TABLE installment_plans ADD COLUMN mode TEXT NOT NULL DEFAULT 'test' CHECK (mode IN ('test', 'live'));

  UPDATE installment_plans SET mode = COALESCE(
    (SELECT p.mode FROM payments p WHERE p.installment_plan_id = installment_plans.id ORDER BY p.created_at LIMIT 1),
    CASE WHEN (SELECT value FROM settings WHERE key = 'mode') = '"live"' THEN 'live' ELSE 'test' END
  );

  ALTER TABLE installment_plans ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0 CHECK (sandbox IN (0, 1));

  UPDATE installment_plans SET sandbox = CASE
    WHEN mode = 'live' THEN 0
    WHEN (SELECT value FROM settings WHERE key = 'embeddedSandbox') = 'false' THEN 0
    ELSE 1
  END;
  `),
};
