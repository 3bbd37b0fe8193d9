/**
 * A Plural payment the till took in is a payment by link again. Before the fix in
 * `PaymentSync.adopt` (a paid or closed payment takes the gateway's method), a payment taken in was
 * journaled as a link only while the gateway still gave its page, so a website's order looked up
 * once paid (to be refunded here) was card-present: its refund counted under "(none)" in the
 * reports' *By reader*, and the journal's Transactions list called it "Terminal".
 *
 * Plural takes payments by link only (no reader, no cloud reader; the till has refused a card-present
 * Plural payment since Plural was added), so every Plural row the gateway charged that says
 * card-present is such a row. A payment a terminal charged through the shop's own bank
 * (`charged_by = 'terminal'`) is card-present whatever the gateway of the day, and keeps it. PayPlug's
 * rows taken in cannot be told apart from its reader payments' and are left. Nothing else changes (not
 * `updated_at`: the payment did not); a closed Z keeps its rows as they were.
 */
import type { Migration } from './types';

export const migration: Migration = {
  version: 20,
  name: 'plural-links',
  up: (db) => {
    db.exec(
      `UPDATE payments SET channel = 'link'
       WHERE gateway = 'plural' AND charged_by = 'gateway' AND channel = 'card_present'`,
    );
  },
};
