/**
 * A Z report is stored the moment its day is closed, and the reconciliation with the gateway is
 * kept with it once the gateway has answered. The Z was stored only after that answer: meanwhile
 * the day still looked open, and the payments made while the gateway was asked could be told they
 * belonged to a day whose Z had in fact been computed already.
 *
 * The table stays append-only: the one change it takes is a reconciliation filled in once on a Z
 * that has none, every other column unchanged (the reconciliation is not part of the digest).
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 14,
  name: 'z-reconciliation',
  up: (db) =>
    db.exec(`
  DROP TRIGGER z_reports_immutable_update;
  CREATE TRIGGER z_reports_immutable_update BEFORE UPDATE ON z_reports
    WHEN NOT (
      OLD.reconciliation IS NULL AND NEW.reconciliation IS NOT NULL
      AND NEW.mode IS OLD.mode AND NEW.number IS OLD.number AND NEW.business_date IS OLD.business_date
      AND NEW.window_start IS OLD.window_start AND NEW.window_end IS OLD.window_end
      AND NEW.closed_at IS OLD.closed_at AND NEW.closed_by IS OLD.closed_by AND NEW.override IS OLD.override
      AND NEW.report IS OLD.report AND NEW.digest IS OLD.digest
    )
    BEGIN SELECT RAISE(ABORT, 'a Z report is immutable once closed'); END;
  `),
};
