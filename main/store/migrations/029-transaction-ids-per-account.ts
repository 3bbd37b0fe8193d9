/**
 * A gateway transaction id is unique per account only (two keys of one gateway, the embedded sandbox
 * and the shop's own), but `payments.transaction_id` was UNIQUE across every account: a payment of the
 * account in use whose id a payment of another account already held could not be kept — a reader's
 * action for it, a refund or a receipt of it was refused. It is now unique per gateway, mode and
 * account (`gateway_account`, migration 027), with an index for the look-ups by id.
 *
 * SQLite cannot drop a column's UNIQUE: the table is rebuilt (foreign keys off for this step, see
 * Migration.rebuildsTables), its rows, indexes and triggers kept as they are. Its definition is read
 * from the database itself so every column added since migration 001 is kept, in order.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 29,
  name: 'transaction-ids-per-account',
  rebuildsTables: true,
  up(db) {
    const table = db
      .prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'payments'`)
      .get<{ sql: string }>()!.sql;
    const unique = /\btransaction_id TEXT UNIQUE\b/;
    if (!unique.test(table)) throw new Error('payments.transaction_id is not the UNIQUE column migration 029 rebuilds');
    const dependents = db
      .prepare(
        `SELECT sql FROM sqlite_master WHERE tbl_name = 'payments' AND type IN ('index', 'trigger') AND sql IS NOT NULL`,
      )
      .all<{ sql: string }>()
      .map((row) => row.sql);
    db.exec(
      table.replace(/^CREATE TABLE "?payments"?/, 'CREATE TABLE payments_v29').replace(unique, 'transaction_id TEXT'),
    );
    db.exec(`INSERT INTO payments_v29 SELECT * FROM payments`);
    db.exec(`DROP TABLE payments`);
    // Legacy rename: the other tables' triggers and foreign keys name `payments`, as they should.
    db.exec(`PRAGMA legacy_alter_table = ON`);
    db.exec(`ALTER TABLE payments_v29 RENAME TO payments`);
    db.exec(`PRAGMA legacy_alter_table = OFF`);
    for (const sql of dependents) db.exec(sql);
    db.exec(`
      CREATE UNIQUE INDEX payments_transaction ON payments (transaction_id, gateway, mode, gateway_account);
    `);
  },
};
