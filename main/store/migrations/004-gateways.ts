/**
 * Several gateways behind one port. Every payment and operation says which gateway it belongs to
 * (existing rows were PlutoPay's), payments can be paid by link (a URL shown as a QR, with its
 * expiry) as well as on a reader, a deferred capture keeps its authorisation's expiry, and
 * operation parameters are written in the host's own terms instead of PlutoPay's wire format.
 * Operation kinds are no longer pinned by a CHECK (the list lives with the code that sends them),
 * so the table is rebuilt without it. Saved cards and installment plans get their own tables.
 *
 * The one place outside main/gateway/plutopay/ that reads PlutoPay's wire fields: the rows it converts
 * were written in that shape by earlier versions, and a migration is frozen with the schema it moves.
 */
import type { Migration } from './types';

interface ReportParams {
  readerId?: unknown;
  action?: {
    id?: unknown;
    payment_intent_id?: unknown;
    amount?: unknown;
    currency?: unknown;
    status?: unknown;
    presented_card?: { number?: unknown } | null;
  };
  result?: unknown;
}

/** A report's action, from PlutoPay's wire object to the port's ReaderAction. */
function neutralReport(params: ReportParams): Record<string, unknown> {
  const action = params.action ?? {};
  return {
    readerId: params.readerId,
    action: {
      id: action.id,
      paymentId: action.payment_intent_id,
      amount: action.amount,
      currency: typeof action.currency === 'string' ? action.currency.toUpperCase() : action.currency,
      status: action.status,
      presentedCard: action.presented_card?.number ?? null,
    },
    result: params.result,
  };
}

/** A create's parameters, from PlutoPay's body to the port's NewPayment fields. */
function neutralCreate(params: Record<string, unknown>): Record<string, unknown> {
  const metadata = (params.metadata ?? {}) as Record<string, unknown>;
  return {
    amount: params.amount,
    currency: params.currency,
    captureMethod: params.capture_method,
    description: params.description ?? null,
    customerId: params.customer_id ?? null,
    receiptEmail: params.receipt_email ?? null,
    orderReference: metadata.order_reference ?? null,
    paymentId: metadata.pos_payment_id ?? null,
    channel: 'card_present',
  };
}

export const migration: Migration = {
  version: 4,
  name: 'gateways',
  up(db) {
    db.exec(`
      ALTER TABLE payments ADD COLUMN gateway TEXT NOT NULL DEFAULT 'plutopay';
      ALTER TABLE payments ADD COLUMN channel TEXT NOT NULL DEFAULT 'card_present';
      ALTER TABLE payments ADD COLUMN pay_url TEXT;
      ALTER TABLE payments ADD COLUMN pay_url_expires_at TEXT;
      ALTER TABLE payments ADD COLUMN authorization_expires_at TEXT;
      ALTER TABLE payments ADD COLUMN installment_plan_id TEXT;
      ALTER TABLE payments ADD COLUMN saved_card_id TEXT;

      CREATE TABLE operations_v4 (
        id INTEGER PRIMARY KEY,
        payment_id TEXT NOT NULL REFERENCES payments (id),
        gateway TEXT NOT NULL,
        kind TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        params TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        result TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      INSERT INTO operations_v4 (id, payment_id, gateway, kind, idempotency_key, params, state, attempts, last_error,
        result, created_at, updated_at)
        SELECT id, payment_id, 'plutopay', kind, idempotency_key, params, state, attempts, last_error, result,
          created_at, updated_at FROM operations;
      DROP TABLE operations;
      ALTER TABLE operations_v4 RENAME TO operations;
      CREATE INDEX operations_pending ON operations (state, id);
      CREATE INDEX operations_payment ON operations (payment_id, id);

      CREATE TABLE saved_cards (
        card_id TEXT NOT NULL,
        gateway TEXT NOT NULL,
        customer TEXT NOT NULL,
        brand TEXT,
        last4 TEXT,
        exp_month INTEGER,
        exp_year INTEGER,
        created_at TEXT NOT NULL,
        forgotten_at TEXT,
        PRIMARY KEY (gateway, card_id)
      );
      CREATE INDEX saved_cards_customer ON saved_cards (gateway, customer) WHERE forgotten_at IS NULL;

      CREATE TABLE installment_plans (
        id TEXT PRIMARY KEY,
        gateway TEXT NOT NULL,
        plan_id TEXT UNIQUE,
        order_reference TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL,
        schedule TEXT NOT NULL,
        customer TEXT NOT NULL,
        status TEXT NOT NULL,
        pay_url TEXT,
        failure TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `);
    const update = db.prepare('UPDATE operations SET params = ? WHERE id = ?');
    const rows = db.prepare(`SELECT id, kind, params FROM operations WHERE kind IN ('report', 'create')`).all<{
      id: number;
      kind: string;
      params: string;
    }>();
    for (const row of rows) {
      const params = JSON.parse(row.params) as Record<string, unknown>;
      const neutral = row.kind === 'report' ? neutralReport(params as ReportParams) : neutralCreate(params);
      update.run(JSON.stringify(neutral), row.id);
    }
  },
};
