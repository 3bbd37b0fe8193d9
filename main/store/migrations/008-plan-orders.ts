/**
 * An order paid in installments is refused a second plan or a plain payment (and the other way
 * round): creating either looks up the order's plans, so they are indexed by order reference.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 8,
  name: 'plan-orders',
  up: (db) => db.exec(`CREATE INDEX installment_plans_order ON installment_plans (order_reference);`),
};
