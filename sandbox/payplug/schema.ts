/**
 * The PayPlug emulator's tables, as its own numbered migrations (`migrate(db, 'payplug', …)`), so
 * they change independently of PlutoPay's. Timestamps are epoch milliseconds (the wire shows
 * seconds); JSON columns are TEXT.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE payplug_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE payplug_payments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    is_live INTEGER NOT NULL,
    -- open: payable; authorized: deferred, waiting for capture; paid; failed (final, see failure_code).
    state TEXT NOT NULL,
    amount INTEGER NOT NULL,
    amount_refunded INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    deferred INTEGER NOT NULL,
    authorized_at INTEGER,
    authorization_expires_at INTEGER,
    paid_at INTEGER,
    is_3ds INTEGER,
    save_card INTEGER NOT NULL,
    allow_save_card INTEGER NOT NULL,
    force_3ds INTEGER NOT NULL,
    card_id TEXT, card_last4 TEXT, card_country TEXT, card_exp_month INTEGER, card_exp_year INTEGER, card_brand TEXT,
    customer TEXT NOT NULL,
    hosted INTEGER NOT NULL,
    return_url TEXT, cancel_url TEXT, sent_by TEXT,
    -- When the payment page stops taking attempts (creation + 15 min); NULL: never (sent_by, one-click).
    expires_at INTEGER,
    notification_url TEXT,
    notification_response_code INTEGER,
    failure_code TEXT, failure_message TEXT,
    last_attempt_code TEXT, last_attempt_message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    description TEXT,
    metadata TEXT,
    installment_plan_id TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX payplug_payments_list ON payplug_payments (is_live, created_at, seq);
  CREATE INDEX payplug_payments_due ON payplug_payments (state, expires_at);

  CREATE TABLE payplug_refunds (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    payment_id TEXT NOT NULL,
    is_live INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    metadata TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX payplug_refunds_payment ON payplug_refunds (payment_id, created_at, seq);

  CREATE TABLE payplug_cards (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    is_live INTEGER NOT NULL,
    number TEXT NOT NULL,
    last4 TEXT NOT NULL, brand TEXT NOT NULL, country TEXT NOT NULL,
    exp_month INTEGER NOT NULL, exp_year INTEGER NOT NULL,
    -- A card id works for 15 months at most (or until the card itself expires).
    usable_until INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE payplug_installment_plans (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    is_live INTEGER NOT NULL,
    is_active INTEGER NOT NULL,
    is_fully_paid INTEGER NOT NULL,
    currency TEXT NOT NULL,
    customer TEXT NOT NULL,
    return_url TEXT, cancel_url TEXT,
    notification_url TEXT,
    -- [{date, amount, payment_ids}]; the first entry is charged through the payment page.
    schedule TEXT NOT NULL,
    -- The card the first installment was paid with; the later ones are charged to it.
    card_number TEXT, card_exp_month INTEGER, card_exp_year INTEGER,
    -- When the next unpaid installment is due (its date, 00:00 UTC); NULL when none is waiting.
    next_due_at INTEGER,
    failure_code TEXT, failure_message TEXT,
    metadata TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX payplug_plans_due ON payplug_installment_plans (is_active, next_due_at);

  CREATE TABLE payplug_notifications (
    seq INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    object TEXT NOT NULL,
    object_id TEXT NOT NULL,
    -- The payment whose notification.response_code records the answers (NULL for a plan).
    payment_id TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_status_code INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  CREATE INDEX payplug_notifications_due ON payplug_notifications (status, next_attempt_at);
  `,
];
