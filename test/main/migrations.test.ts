/**
 * Every journal migration upgrades a database from the version before it with real rows in it:
 * the rows written by the previous version survive, new columns take the values the code expects
 * of old rows, and the upgraded database is usable by today's Journal. A new migration adds its
 * own case here (the last test fails until it does).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { JOURNAL_MIGRATIONS } from '../../main/store/migrations';
import { Journal, type MoneyEntryRecord } from '../../main/store/journal';
import { migrate, openDatabase, type SqlDatabase } from '../../main/store/sqlite';
import { toSplitView } from '../../main/payments/views';

const AT = '2026-03-01T10:00:00.000Z';

/** A database at `version`: the migrations up to it, run as the app of that version would have. */
function databaseAt(version: number): SqlDatabase {
  const db = openDatabase(':memory:');
  migrate(db, JOURNAL_MIGRATIONS.slice(0, version));
  return db;
}

function upgrade(db: SqlDatabase, to: number): void {
  migrate(db, JOURNAL_MIGRATIONS.slice(0, to));
  expect(db.prepare('PRAGMA user_version').get<{ user_version: number }>()!.user_version).toBe(to);
}

/** A payment row as version 1 to 3 wrote it (no gateway or channel columns yet). */
function insertV1Payment(db: SqlDatabase, id: string, over: Record<string, string | number | null> = {}): void {
  const row: Record<string, string | number | null> = {
    id,
    order_reference: `ORDER-${id}`,
    attempt: 1,
    idempotency_key: `pos-ORDER-${id}-1`,
    origin: 'local',
    amount: 1250,
    currency: 'EUR',
    description: 'Lunch',
    capture_method: 'automatic',
    status: 'succeeded',
    transaction_id: `tx_${id}`,
    reference: `txn_${id}`,
    card_brand: 'visa',
    card_last4: '4242',
    amount_captured: 1250,
    created_at: AT,
    updated_at: AT,
    ...over,
  };
  const columns = Object.keys(row);
  db.prepare(`INSERT INTO payments (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(
    ...columns.map((c) => row[c]!),
  );
  db.prepare('INSERT INTO payment_events (payment_id, at, event, detail) VALUES (?, ?, ?, ?)').run(
    id,
    AT,
    'created',
    null,
  );
}

function insertV1Operation(db: SqlDatabase, paymentId: string, kind: string, key: string, params: unknown): void {
  db.prepare(
    `INSERT INTO operations (payment_id, kind, idempotency_key, params, state, attempts, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'pending', 1, ?, ?)`,
  ).run(paymentId, kind, key, JSON.stringify(params), AT, AT);
}

/** What a refund or capture entry says of itself (the entries also carry their payment's facts). */
const entryFacts = ({ paymentId, amount, at }: MoneyEntryRecord) => ({ paymentId, amount, at });

describe('journal migrations upgrade a database with rows in it', () => {
  it('001 initial: creates the tables on an empty database', () => {
    const db = databaseAt(0);
    upgrade(db, 1);
    insertV1Payment(db, 'pay_a');
    db.prepare(
      `INSERT INTO readers (id, device_id, kind, label, registration_code, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ).run('rdr_1', 'sim:1', 'simulated', 'Counter 1', 'simulated-1', AT);
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('mode', '"test"');
    expect(db.prepare('SELECT COUNT(*) AS n FROM payments').get<{ n: number }>()!.n).toBe(1);
  });

  it('002 webhook events: keeps payments and readers, adds the replay table', () => {
    const db = databaseAt(1);
    insertV1Payment(db, 'pay_a');
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('mode', '"test"');
    upgrade(db, 2);
    expect(db.prepare('SELECT id, amount FROM payments').all()).toEqual([{ id: 'pay_a', amount: 1250 }]);
    db.prepare('INSERT INTO webhook_events (id, received_at) VALUES (?, ?)').run('evt_1', Date.parse(AT));
    expect(() =>
      db.prepare('INSERT INTO webhook_events (id, received_at) VALUES (?, ?)').run('evt_1', Date.parse(AT)),
    ).toThrow(/UNIQUE/);
  });

  it('003 history indexes: keeps every row; search and attention lists use the new indexes', () => {
    const db = databaseAt(2);
    insertV1Payment(db, 'pay_a');
    insertV1Payment(db, 'pay_b', { status: 'unknown', attention_since: AT, attention_reason: 'Lost answer' });
    upgrade(db, 3);
    expect(db.prepare('SELECT COUNT(*) AS n FROM payments').get<{ n: number }>()!.n).toBe(2);
    const indexes = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'payments' ORDER BY name`)
      .all<{ name: string }>()
      .map((r) => r.name);
    expect(indexes).toEqual(expect.arrayContaining(['payments_order_reference_nocase', 'payments_attention']));
    expect(indexes).not.toContain('payments_reference');
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT id FROM payments WHERE order_reference LIKE 'order-pay%'`)
      .all<{ detail: string }>()
      .map((r) => r.detail)
      .join(' ');
    expect(plan).toMatch(/payments_order_reference_nocase/);
  });

  it("004 gateways: old rows are PlutoPay's, on a reader; operations' PlutoPay params become neutral", () => {
    const db = databaseAt(3);
    insertV1Payment(db, 'pay_a', { status: 'creating', transaction_id: null, reference: null });
    insertV1Payment(db, 'pay_b', { status: 'in_progress', reader_id: 'rdr_1' });
    insertV1Operation(db, 'pay_a', 'create', 'pos-ORDER-pay_a-1', {
      amount: 1250,
      currency: 'eur',
      capture_method: 'automatic',
      description: 'Lunch',
      metadata: { order_reference: 'ORDER-pay_a', pos_payment_id: 'pay_a' },
    });
    insertV1Operation(db, 'pay_b', 'report', 'report-act_1', {
      readerId: 'rdr_1',
      action: {
        id: 'act_1',
        payment_intent_id: 'tx_pay_b',
        amount: 1250,
        currency: 'eur',
        status: 'succeeded',
        presented_card: { number: '4242424242424242' },
      },
      result: 'approved',
    });
    insertV1Operation(db, 'pay_b', 'refund', 'refund-1', { amount: 500 });
    upgrade(db, 4);

    expect(db.prepare('SELECT id, gateway, channel, pay_url FROM payments ORDER BY id').all()).toEqual([
      { id: 'pay_a', gateway: 'plutopay', channel: 'card_present', pay_url: null },
      { id: 'pay_b', gateway: 'plutopay', channel: 'card_present', pay_url: null },
    ]);
    const ops = db
      .prepare('SELECT kind, gateway, params, state FROM operations ORDER BY id')
      .all<{ kind: string; gateway: string; params: string; state: string }>()
      .map((op) => ({ ...op, params: JSON.parse(op.params) as unknown }));
    expect(ops).toEqual([
      {
        kind: 'create',
        gateway: 'plutopay',
        state: 'pending',
        params: {
          amount: 1250,
          currency: 'eur',
          captureMethod: 'automatic',
          description: 'Lunch',
          customerId: null,
          receiptEmail: null,
          orderReference: 'ORDER-pay_a',
          paymentId: 'pay_a',
          channel: 'card_present',
        },
      },
      {
        kind: 'report',
        gateway: 'plutopay',
        state: 'pending',
        params: {
          readerId: 'rdr_1',
          action: {
            id: 'act_1',
            paymentId: 'tx_pay_b',
            amount: 1250,
            currency: 'EUR',
            status: 'succeeded',
            presentedCard: '4242424242424242',
          },
          result: 'approved',
        },
      },
      // Kinds whose parameters were already neutral are kept as they were.
      { kind: 'refund', gateway: 'plutopay', state: 'pending', params: { amount: 500 } },
    ]);
    // No CHECK pins the kinds any more: a new gateway's operation kind can be journaled.
    db.prepare(
      `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, created_at, updated_at)
       VALUES ('pay_a', 'plural', 'settlement_release', 'k-new', '{}', 'pending', ?, ?)`,
    ).run(AT, AT);
  });

  it('005 splits: payments keep their rows and gain an empty list of shares; shares hang off a payment', () => {
    const db = databaseAt(4);
    insertV1Payment(db, 'pay_a');
    db.prepare(`UPDATE payments SET gateway = 'plural', channel = 'link', pay_url = ? WHERE id = 'pay_a'`).run(
      'http://127.0.0.1:9/pay/a',
    );
    upgrade(db, 5);
    expect(db.prepare('SELECT id, gateway, channel, pay_url FROM payments').all()).toEqual([
      { id: 'pay_a', gateway: 'plural', channel: 'link', pay_url: 'http://127.0.0.1:9/pay/a' },
    ]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM payment_splits').get<{ n: number }>()!.n).toBe(0);
    const insertShare = db.prepare(
      `INSERT INTO payment_splits (payment_id, position, merchant_id, amount, on_hold, status, updated_at)
       VALUES (?, ?, ?, ?, ?, 'HOLD', ?)`,
    );
    insertShare.run('pay_a', 0, 'MERCHANT-1', 1000, 1, AT);
    expect(() => insertShare.run('pay_missing', 0, 'MERCHANT-1', 1000, 1, AT)).toThrow(/FOREIGN KEY/);
    expect(() => insertShare.run('pay_a', 1, 'MERCHANT-2', 250, 2, AT)).toThrow(/CHECK/);
  });

  it('006 counter day: old payments have no tip and were charged by the gateway; Z reports cannot change', () => {
    const db = databaseAt(5);
    insertV1Payment(db, 'pay_a');
    db.prepare(
      `INSERT INTO readers (id, device_id, kind, label, registration_code, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ).run('rdr_1', 'serial:/dev/ttyUSB0', 'concert', 'Counter 1', 'concert-1', AT);
    upgrade(db, 6);
    expect(
      db.prepare('SELECT id, amount, pre_tip_amount, tip_amount, tip_state, charged_by FROM payments').all(),
    ).toEqual([
      { id: 'pay_a', amount: 1250, pre_tip_amount: null, tip_amount: 0, tip_state: null, charged_by: 'gateway' },
    ]);
    expect(db.prepare('SELECT id, standalone FROM readers').all()).toEqual([{ id: 'rdr_1', standalone: 0 }]);
    db.prepare(
      `INSERT INTO z_reports (mode, number, business_date, window_start, window_end, closed_at, closed_by, report, digest)
       VALUES ('test', 1, '2026-03-01', ?, ?, ?, 'Ada', '{}', 'd1')`,
    ).run(AT, AT, AT);
    expect(() => db.prepare(`UPDATE z_reports SET closed_by = 'Eve'`).run()).toThrow(/immutable/);
    expect(() => db.prepare('DELETE FROM z_reports').run()).toThrow(/immutable/);
    expect(() => db.prepare(`UPDATE payments SET charged_by = 'bank' WHERE id = 'pay_a'`).run()).toThrow(/CHECK/);
  });

  it('007 request ids: old operations keep every column and have no request ids', () => {
    const db = databaseAt(6);
    insertV1Payment(db, 'pay_a');
    db.prepare(
      `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, created_at, updated_at)
       VALUES ('pay_a', 'plural', 'refund', 'refund-1', '{"amount":500}', 'pending', 1, ?, ?)`,
    ).run(AT, AT);
    upgrade(db, 7);
    expect(db.prepare('SELECT kind, idempotency_key AS key, state, request_ids AS ids FROM operations').all()).toEqual([
      { kind: 'refund', key: 'refund-1', state: 'pending', ids: null },
    ]);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    const [refund] = journal.operationsFor('pay_a');
    expect(refund!.requestIds).toEqual([]);
    journal.addRequestId(refund!.id, 'c17ce30f-f88e-4f81-ada1-c3b4909ed235');
    journal.addRequestId(refund!.id, '0c0e4f4e-5b8e-4b8a-9f51-3f1b2f7c9d10');
    expect(journal.operationsFor('pay_a')[0]!.requestIds).toEqual([
      'c17ce30f-f88e-4f81-ada1-c3b4909ed235',
      '0c0e4f4e-5b8e-4b8a-9f51-3f1b2f7c9d10',
    ]);
  });

  it('008 plan orders: plans keep their rows and are found by their order through the new index', () => {
    const db = databaseAt(7);
    db.prepare(
      `INSERT INTO installment_plans (id, gateway, plan_id, order_reference, idempotency_key, currency, amount,
         schedule, customer, status, pay_url, failure, created_at, updated_at)
       VALUES ('ipl_a', 'payplug', 'ins_1', 'ORD-1', 'plan-ipl_a', 'EUR', 9000, '[]', '{}', 'active', NULL, NULL, ?, ?)`,
    ).run(AT, AT);
    upgrade(db, 8);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.plansForOrder('ORD-1').map((p) => [p.id, p.status])).toEqual([['ipl_a', 'active']]);
    expect(journal.plansForOrder('ORD-2')).toEqual([]);
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT id FROM installment_plans WHERE order_reference = ?`)
      .all<{ detail: string }>('ORD-1');
    expect(plan.map((row) => row.detail).join(' ')).toMatch(/USING INDEX installment_plans_order/);
  });

  it('009 payment modes: old payments get the mode the journal can tell, else the till’s mode at the upgrade', () => {
    const db = databaseAt(8);
    const zAt = (mode: string, number: number, date: string, start: string, end: string) =>
      db
        .prepare(
          `INSERT INTO z_reports (mode, number, business_date, window_start, window_end, closed_at, closed_by, report, digest)
           VALUES (?, ?, ?, ?, ?, ?, 'Ada', '{}', ?)`,
        )
        .run(mode, number, date, start, end, end, `d${mode}${number}`);
    db.prepare(
      `INSERT INTO readers (id, device_id, kind, label, registration_code, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ).run('rdr_sim', 'sim_1', 'simulated', 'Simulated reader 1', 'simulated-1', AT);
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('mode', '"live"');
    // 1 March was closed in test mode only, 2 March in live mode only, 3 March in both.
    zAt('test', 1, '2026-03-01', '2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z');
    zAt('live', 1, '2026-03-02', '2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z');
    zAt('test', 2, '2026-03-03', '2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z');
    zAt('live', 2, '2026-03-03', '2026-03-03T00:00:00.000Z', '2026-03-04T00:00:00.000Z');
    insertV1Payment(db, 'pay_test_day', { created_at: '2026-03-01T10:00:00.000Z' });
    insertV1Payment(db, 'pay_live_day', { created_at: '2026-03-02T10:00:00.000Z' });
    insertV1Payment(db, 'pay_both_days', { created_at: '2026-03-03T10:00:00.000Z' });
    insertV1Payment(db, 'pay_open_day', { created_at: '2026-03-04T10:00:00.000Z' });
    insertV1Payment(db, 'pay_simulated', { created_at: '2026-03-02T11:00:00.000Z', reader_id: 'rdr_sim' });
    upgrade(db, 9);
    expect(db.prepare('SELECT id, mode FROM payments ORDER BY created_at').all()).toEqual([
      { id: 'pay_test_day', mode: 'test' },
      { id: 'pay_live_day', mode: 'live' },
      { id: 'pay_simulated', mode: 'test' },
      { id: 'pay_both_days', mode: 'live' },
      { id: 'pay_open_day', mode: 'live' },
    ]);
    expect(() => db.prepare(`UPDATE payments SET mode = 'demo'`).run()).toThrow(/CHECK/);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(
      journal.paymentsCreatedBetween('live', '2026-03-01T00:00:00.000Z', '2026-03-05T00:00:00.000Z').map((p) => p.id),
    ).toEqual(['pay_live_day', 'pay_both_days', 'pay_open_day']);

    // A till that never left test mode (no mode stored): its open day's payments are test.
    const fresh = databaseAt(8);
    insertV1Payment(fresh, 'pay_a');
    upgrade(fresh, 9);
    expect(fresh.prepare('SELECT id, mode FROM payments').all()).toEqual([{ id: 'pay_a', mode: 'test' }]);
  });

  it('010 refund entries: old refunds dated by their operations, the rest by the last refund event', () => {
    const db = databaseAt(9);
    insertV1Payment(db, 'pay_ops', {
      status: 'partially_refunded',
      amount_refunded: 700,
      updated_at: '2026-03-03T09:00:00.000Z',
    });
    const op = (key: string, params: unknown, state: string, at: string) =>
      db
        .prepare(
          `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, created_at, updated_at)
           VALUES ('pay_ops', 'plutopay', 'refund', ?, ?, ?, 1, ?, ?)`,
        )
        .run(key, JSON.stringify(params), state, at, at);
    op('refund-1', { amount: 200 }, 'done', '2026-03-02T10:00:00.000Z');
    op('refund-2', { amount: 900 }, 'failed', '2026-03-02T11:00:00.000Z');
    op('refund-3', { amount: 300 }, 'done', '2026-03-02T12:00:00.000Z');
    // 200 more the gateway refunded on its own, seen at the last refund event.
    db.prepare('INSERT INTO payment_events (payment_id, at, event, detail) VALUES (?, ?, ?, ?)').run(
      'pay_ops',
      '2026-03-02T15:00:00.000Z',
      'partially_refunded',
      null,
    );
    insertV1Payment(db, 'pay_dashboard', {
      status: 'refunded',
      amount_refunded: 1250,
      updated_at: '2026-03-04T08:00:00.000Z',
    });
    insertV1Payment(db, 'pay_none');
    // A Z closed the next morning counted its sale's refunds as they were at 09:00: the 08:00 one
    // stays in its period (not counted again the day after), the 10:00 one is the next day's.
    insertV1Payment(db, 'pay_counted', {
      status: 'partially_refunded',
      amount_refunded: 500,
      created_at: '2026-03-05T12:00:00.000Z',
    });
    db.prepare(
      `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, created_at, updated_at)
       VALUES ('pay_counted', 'plutopay', 'refund', ?, ?, 'done', 1, ?, ?)`,
    ).run('counted-1', JSON.stringify({ amount: 300 }), '2026-03-06T08:00:00.000Z', '2026-03-06T08:00:00.000Z');
    db.prepare(
      `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, created_at, updated_at)
       VALUES ('pay_counted', 'plutopay', 'refund', ?, ?, 'done', 1, ?, ?)`,
    ).run('counted-2', JSON.stringify({ amount: 200 }), '2026-03-06T10:00:00.000Z', '2026-03-06T10:00:00.000Z');
    db.prepare(
      `INSERT INTO z_reports (mode, number, business_date, window_start, window_end, closed_at, closed_by, report, digest)
       VALUES ('test', 1, '2026-03-05', '2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z', '2026-03-06T09:00:00.000Z', 'Ada', '{}', 'd1')`,
    ).run();
    upgrade(db, 10);
    expect(db.prepare('SELECT payment_id AS paymentId, amount, at FROM refund_entries ORDER BY id').all()).toEqual([
      { paymentId: 'pay_ops', amount: 200, at: '2026-03-02T10:00:00.000Z' },
      { paymentId: 'pay_ops', amount: 300, at: '2026-03-02T12:00:00.000Z' },
      { paymentId: 'pay_ops', amount: 200, at: '2026-03-02T15:00:00.000Z' },
      { paymentId: 'pay_dashboard', amount: 1250, at: '2026-03-04T08:00:00.000Z' },
      { paymentId: 'pay_counted', amount: 300, at: '2026-03-05T12:00:00.000Z' },
      { paymentId: 'pay_counted', amount: 200, at: '2026-03-06T10:00:00.000Z' },
    ]);
    // From now on the journal's own writes date each refund — never inside the period the Z closed:
    // on a clock behind the Z's end (set back), at that end, in the next day.
    const clock = new FakeClock(Date.parse('2026-03-05T10:00:00.000Z'));
    const journal = new Journal(db, clock);
    journal.updatePayment('pay_none', { amountRefunded: 250, status: 'partially_refunded' });
    expect(
      journal.refundsBetween('test', '2026-03-02T12:00:00.000Z', '2026-03-05T11:00:00.000Z').map(entryFacts),
    ).toEqual([
      { paymentId: 'pay_ops', amount: 300, at: '2026-03-02T12:00:00.000Z' },
      { paymentId: 'pay_ops', amount: 200, at: '2026-03-02T15:00:00.000Z' },
      { paymentId: 'pay_dashboard', amount: 1250, at: '2026-03-04T08:00:00.000Z' },
    ]);
    // The day after the Z counts only what the Z could not.
    expect(
      journal.refundsBetween('test', '2026-03-06T00:00:00.000Z', '2026-03-07T00:00:00.000Z').map(entryFacts),
    ).toEqual([
      { paymentId: 'pay_none', amount: 250, at: '2026-03-06T00:00:00.000Z' },
      { paymentId: 'pay_counted', amount: 200, at: '2026-03-06T10:00:00.000Z' },
    ]);
  });

  it('011 capture entries: captures a Z counted stay in its period; later ones, and new ones, when made', () => {
    const db = databaseAt(10);
    // Automatic capture: captured with the sale.
    insertV1Payment(db, 'pay_auto');
    // Authorised on the 5th, its day closed by a Z at 09:00 on the 6th, captured at 10:00 that day:
    // the Z counted it pending capture, so its capture is the 6th's.
    insertV1Payment(db, 'pay_late', { capture_method: 'manual', created_at: '2026-03-05T12:00:00.000Z' });
    // Captured before its Z closed: that Z counted it.
    insertV1Payment(db, 'pay_early', { capture_method: 'manual', created_at: '2026-03-05T13:00:00.000Z' });
    const capture = (paymentId: string, at: string) =>
      db
        .prepare(
          `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, created_at, updated_at)
           VALUES (?, 'plutopay', 'capture', ?, '{}', 'done', 1, ?, ?)`,
        )
        .run(paymentId, `capture-${paymentId}`, at, at);
    capture('pay_late', '2026-03-06T10:00:00.000Z');
    capture('pay_early', '2026-03-05T18:00:00.000Z');
    insertV1Payment(db, 'pay_held', { capture_method: 'manual', status: 'requires_capture', amount_captured: 0 });
    db.prepare(
      `INSERT INTO z_reports (mode, number, business_date, window_start, window_end, closed_at, closed_by, report, digest)
       VALUES ('test', 1, '2026-03-05', '2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z', '2026-03-06T09:00:00.000Z', 'Ada', '{}', 'd1')`,
    ).run();
    upgrade(db, 11);
    expect(db.prepare('SELECT payment_id AS paymentId, amount, at FROM capture_entries ORDER BY id').all()).toEqual([
      { paymentId: 'pay_auto', amount: 1250, at: AT },
      { paymentId: 'pay_late', amount: 1250, at: '2026-03-06T10:00:00.000Z' },
      { paymentId: 'pay_early', amount: 1250, at: '2026-03-05T13:00:00.000Z' },
    ]);
    // From now on the journal's own writes date each capture; a payment taken in already captured
    // (another till's, looked up) brings no capture and no refund of its own.
    const clock = new FakeClock(Date.parse('2026-03-07T10:00:00.000Z'));
    const journal = new Journal(db, clock);
    journal.updatePayment('pay_held', { amountCaptured: 1250, amountCapturable: 0, status: 'succeeded' });
    insertV1Payment(db, 'pay_adopted', {
      origin: 'adopted',
      amount_refunded: 300,
      created_at: '2026-03-07T10:00:00.000Z',
    });
    expect(
      journal.capturesBetween('test', '2026-03-06T00:00:00.000Z', '2026-03-08T00:00:00.000Z').map(entryFacts),
    ).toEqual([
      { paymentId: 'pay_late', amount: 1250, at: '2026-03-06T10:00:00.000Z' },
      { paymentId: 'pay_held', amount: 1250, at: '2026-03-07T10:00:00.000Z' },
    ]);
    expect(journal.refundsBetween('test', '2026-03-06T00:00:00.000Z', '2026-03-08T00:00:00.000Z')).toEqual([]);
  });

  it('012 saved card modes: a card charged in live mode is live; others take the till’s mode', () => {
    const db = databaseAt(11);
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('mode', '"test"');
    const card = (id: string) =>
      db
        .prepare(
          `INSERT INTO saved_cards (card_id, gateway, customer, brand, last4, created_at) VALUES (?, 'payplug', 'ada@example.com', 'visa', '4242', ?)`,
        )
        .run(id, AT);
    card('card_live');
    card('card_test');
    insertV1Payment(db, 'pay_live', { gateway: 'payplug', saved_card_id: 'card_live', mode: 'live' });
    upgrade(db, 12);
    expect(db.prepare('SELECT card_id AS id, mode FROM saved_cards ORDER BY card_id').all()).toEqual([
      { id: 'card_live', mode: 'live' },
      { id: 'card_test', mode: 'test' },
    ]);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.savedCards('payplug', 'ada@example.com', 'live').map((c) => c.cardId)).toEqual(['card_live']);
  });

  it('013 saved card keys: the cards survive, and the other mode may keep a card of the same id', () => {
    const db = databaseAt(12);
    db.prepare(
      `INSERT INTO saved_cards (card_id, gateway, customer, brand, last4, exp_month, exp_year, mode, created_at, forgotten_at)
       VALUES ('card_a', 'payplug', 'ada@example.com', 'visa', '4242', 12, 2030, 'test', ?, NULL),
              ('card_b', 'payplug', 'ada@example.com', 'visa', '1111', NULL, NULL, 'live', ?, ?)`,
    ).run(AT, AT, AT);
    upgrade(db, 13);
    expect(
      db
        .prepare(
          'SELECT card_id AS id, mode, last4, exp_year AS y, forgotten_at AS f FROM saved_cards ORDER BY card_id',
        )
        .all(),
    ).toEqual([
      { id: 'card_a', mode: 'test', last4: '4242', y: 2030, f: null },
      { id: 'card_b', mode: 'live', last4: '1111', y: null, f: AT },
    ]);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    journal.saveCard({
      cardId: 'card_a',
      gateway: 'payplug',
      customer: 'ada@example.com',
      brand: 'mastercard',
      last4: '5555',
      expMonth: 1,
      expYear: 2031,
      mode: 'live',
    });
    expect(journal.savedCards('payplug', 'ada@example.com', 'test').map((c) => c.last4)).toEqual(['4242']);
    expect(journal.savedCards('payplug', 'ada@example.com', 'live').map((c) => c.last4)).toEqual(['5555']);
  });

  it('014 z reconciliation: a Z takes its reconciliation once, later; nothing else of it changes', () => {
    const db = databaseAt(13);
    const z = (number: number, reconciliation: string | null) =>
      db
        .prepare(
          `INSERT INTO z_reports (mode, number, business_date, window_start, window_end, closed_at, closed_by, report,
             reconciliation, digest) VALUES ('test', ?, ?, ?, ?, ?, 'Ada', '{}', ?, ?)`,
        )
        .run(number, `2026-03-0${number}`, AT, AT, AT, reconciliation, `d${number}`);
    z(1, null);
    z(2, '{"ok":true}');
    upgrade(db, 14);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    journal.setZReconciliation('test', 1, '{"ok":false}');
    journal.setZReconciliation('test', 2, '{"ok":false}');
    expect(journal.getZReport('test', 1)?.reconciliation).toBe('{"ok":false}');
    expect(journal.getZReport('test', 2)?.reconciliation).toBe('{"ok":true}');
    expect(() => db.prepare(`UPDATE z_reports SET reconciliation = '{}' WHERE number = 1`).run()).toThrow(/immutable/);
    expect(() => db.prepare(`UPDATE z_reports SET reconciliation = NULL WHERE number = 2`).run()).toThrow(/immutable/);
    expect(() => db.prepare(`UPDATE z_reports SET closed_by = 'Eve'`).run()).toThrow(/immutable/);
    expect(() =>
      db.prepare(`UPDATE z_reports SET reconciliation = '{}', report = '{"x":1}' WHERE number = 1`).run(),
    ).toThrow(/immutable/);
    expect(() => db.prepare('DELETE FROM z_reports').run()).toThrow(/immutable/);
  });

  it('015 own money entries: another till’s refunds of a payment looked up here are not this till’s', () => {
    const db = databaseAt(14);
    insertV1Payment(db, 'pay_own', { amount: 4000, amount_captured: 4000 });
    insertV1Payment(db, 'pay_looked_up', { origin: 'adopted', amount: 4200, amount_captured: 4200 });
    insertV1Payment(db, 'pay_held_elsewhere', {
      origin: 'adopted',
      amount: 3000,
      amount_captured: 0,
      amount_capturable: 3000,
      status: 'requires_capture',
    });
    db.prepare(`INSERT INTO refund_entries (payment_id, amount, at) VALUES ('pay_looked_up', 100, ?)`).run(AT);
    upgrade(db, 15);
    const later = '2026-03-02T10:00:00.000Z';
    const journal = new Journal(db, new FakeClock(Date.parse(later)));
    // This till's own sale: every change of its totals counts, as before.
    journal.updatePayment('pay_own', { amountRefunded: 500, status: 'partially_refunded' });
    // Another till's sale: this till refunds €7 of it (its operation done, then the gateway's answer).
    const refund = journal.addOperation('pay_looked_up', 'refund', 'refund-pay_looked_up-1', { amount: 700 });
    journal.updateOperation(refund.id, { state: 'done' });
    journal.updatePayment('pay_looked_up', { amountRefunded: 800, status: 'partially_refunded' });
    // …and reads it again after the other till refunded €5 more: not this till's refund.
    journal.updatePayment('pay_looked_up', { amountRefunded: 1300 });
    // A capture of another till's authorisation made here, in full (no amount): all it held.
    const capture = journal.addOperation('pay_held_elsewhere', 'capture', 'capture-pay_held_elsewhere-1', {});
    journal.updateOperation(capture.id, { state: 'done' });
    journal.updatePayment('pay_held_elsewhere', { amountCaptured: 3000, amountCapturable: 0, status: 'succeeded' });
    const day = ['test', AT, '2026-03-03T00:00:00.000Z'] as const;
    expect(journal.refundsBetween(...day).map(entryFacts)).toEqual([
      { paymentId: 'pay_looked_up', amount: 100, at: AT },
      { paymentId: 'pay_own', amount: 500, at: later },
      { paymentId: 'pay_looked_up', amount: 700, at: later },
    ]);
    expect(journal.capturesBetween(...day).map(entryFacts)).toEqual([
      { paymentId: 'pay_own', amount: 4000, at: AT },
      { paymentId: 'pay_held_elsewhere', amount: 3000, at: later },
    ]);
  });

  it('016 split releasable: an older held share is offered whole until the gateway says more', () => {
    const db = databaseAt(15);
    insertV1Payment(db, 'pay_a', { status: 'succeeded' });
    db.prepare(`UPDATE payments SET gateway = 'plural', channel = 'link' WHERE id = 'pay_a'`).run();
    db.prepare(
      `INSERT INTO payment_splits (payment_id, position, split_id, merchant_id, amount, on_hold, status, updated_at)
       VALUES ('pay_a', 0, 'ss_a', '1324', 30000, 1, 'HOLD', ?)`,
    ).run(AT);
    upgrade(db, 16);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.splitsOf('pay_a')).toMatchObject([{ splitId: 'ss_a', amount: 30_000, releasableAmount: null }]);
    const split = journal.splitsOf('pay_a')[0]!;
    expect(toSplitView(split, new Set(), journal.getPayment('pay_a')!)).toMatchObject({
      releasable: 30_000,
      next: ['release', 'cancel'],
    });
  });

  it('017 operation sent at: a pending operation sent before keeps its window; others were never sent', () => {
    const db = databaseAt(16);
    insertV1Payment(db, 'pay_sent');
    // A refund sent and unanswered at 10:00 (its error written at 10:00:15), one never sent, one done.
    db.prepare(
      `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, last_error, created_at, updated_at)
       VALUES ('pay_sent', 'payplug', 'refund', 'refund-pay_sent-1', '{}', 'pending', 1, 'timeout', ?, ?),
              ('pay_sent', 'payplug', 'capture', 'capture-pay_sent', '{}', 'pending', 0, NULL, ?, ?),
              ('pay_sent', 'payplug', 'refund', 'refund-pay_sent-0', '{}', 'done', 1, NULL, ?, ?)`,
    ).run(AT, '2026-03-01T10:00:15.000Z', AT, AT, AT, AT);
    upgrade(db, 17);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    const sent = (key: string) => journal.getOperationByKey(key)!.sentAt;
    // Its window counts from no earlier than its last send: from when its error was written.
    expect(sent('refund-pay_sent-1')).toBe('2026-03-01T10:00:15.000Z');
    expect(sent('capture-pay_sent')).toBeNull();
    expect(sent('refund-pay_sent-0')).toBeNull();
    // From now on every send stamps it, and a send that never left puts the one before back.
    const op = journal.getOperationByKey('capture-pay_sent')!;
    journal.updateOperation(op.id, { attemptsDelta: 1, sentAt: '2026-03-01T10:05:00.000Z' });
    expect(sent('capture-pay_sent')).toBe('2026-03-01T10:05:00.000Z');
    journal.updateOperation(op.id, { sentAt: null });
    expect(journal.getOperationByKey('capture-pay_sent')).toMatchObject({ attempts: 1, sentAt: null });
  });

  it('018 split entries: an older share is dated at its last read; each change from then on at its own time', () => {
    const db = databaseAt(17);
    insertV1Payment(db, 'pay_a', { status: 'succeeded' });
    db.prepare(`UPDATE payments SET gateway = 'plural', channel = 'link' WHERE id = 'pay_a'`).run();
    db.prepare(
      `INSERT INTO payment_splits (payment_id, position, split_id, merchant_id, amount, on_hold, status, updated_at)
       VALUES ('pay_a', 0, 'ss_a', 'M-A', 600, 1, 'HOLD', ?), ('pay_a', 1, 'ss_b', 'M-B', 650, 1, 'HOLD', ?)`,
    ).run(AT, AT);
    upgrade(db, 18);
    const clock = new FakeClock(Date.parse('2026-03-01T12:00:00.000Z'));
    const journal = new Journal(db, clock);
    const share = (status: string, releasedAmount = 0) => ({
      splitId: 'ss_a',
      merchantId: 'M-A',
      settlementReference: null,
      amount: 600,
      onHold: true,
      status,
      releasedAmount,
      refundedAmount: 0,
      releasableAmount: null,
    });
    const other = { ...share('HOLD'), splitId: 'ss_b', merchantId: 'M-B', amount: 650 };
    // Read again unchanged at 12:00: no new entry, so the shares stay dated at their last read before.
    journal.setSplits('pay_a', [share('HOLD'), other]);
    clock.advance(2 * 3_600_000);
    journal.setSplits('pay_a', [share('RELEASED', 400), other]);
    const at = (iso: string) =>
      journal.splitSharesAt(['pay_a'], iso).map((s) => [s.merchantId, s.status, s.releasedAmount]);
    expect(at('2026-03-01T11:00:00.000Z')).toEqual([
      ['M-A', 'HOLD', 0],
      ['M-B', 'HOLD', 0],
    ]);
    expect(at('2026-03-01T14:00:00.000Z')).toEqual([
      ['M-A', 'HOLD', 0],
      ['M-B', 'HOLD', 0],
    ]);
    expect(at('2026-03-01T14:00:00.001Z')).toEqual([
      ['M-A', 'RELEASED', 400],
      ['M-B', 'HOLD', 0],
    ]);
    // Before anything was dated, a share is as first known (older rows are dated at their last read).
    expect(at('2026-03-01T09:00:00.000Z')).toEqual([
      ['M-A', 'HOLD', 0],
      ['M-B', 'HOLD', 0],
    ]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM split_entries').get<{ n: number }>()!.n).toBe(3);
  });

  it('019 charged card: a link that saved a card is a link again; a charge on a saved card keeps its card', () => {
    const db = databaseAt(18);
    const payplugPayment = (id: string, savedCardId: string, over: Record<string, string | number | null> = {}) => {
      insertV1Payment(db, id, over);
      db.prepare(`UPDATE payments SET gateway = 'payplug', channel = 'link', saved_card_id = ? WHERE id = ?`).run(
        savedCardId,
        id,
      );
    };
    const create = (id: string, params: Record<string, unknown>) => {
      db.prepare(
        `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, created_at, updated_at)
         VALUES (?, 'payplug', 'create', ?, ?, 'done', 1, ?, ?)`,
      ).run(id, `pos-ORDER-${id}-1`, JSON.stringify({ amount: 1250, currency: 'EUR', ...params }), AT, AT);
    };
    // A link on which the customer saved their card: a sync copied the card it saved.
    payplugPayment('pay_saved_on_link', 'card_saved');
    create('pay_saved_on_link', { channel: 'link', savedCardId: null, allowSaveCard: true });
    // A charge on a saved card: the card it was charged on.
    payplugPayment('pay_on_card', 'card_ada');
    create('pay_on_card', { channel: 'link', savedCardId: 'card_ada' });
    // A charge on a saved card still waiting for its tip: no create written yet, nothing from the gateway.
    payplugPayment('pay_tip', 'card_ada', { status: 'creating', transaction_id: null, reference: null });
    // A part of a plan the till took in: never charged on a card by the till.
    payplugPayment('pay_part', 'card_plan', { origin: 'adopted', idempotency_key: 'adopted-tx_pay_part' });
    const before = db.prepare('SELECT id, updated_at FROM payments ORDER BY id').all();
    upgrade(db, 19);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    const card = (id: string) => journal.getPayment(id)!.savedCardId;
    expect(card('pay_saved_on_link')).toBeNull();
    expect(card('pay_on_card')).toBe('card_ada');
    expect(card('pay_tip')).toBe('card_ada');
    expect(card('pay_part')).toBeNull();
    // A correction of the journal, not a change of the payments.
    expect(db.prepare('SELECT id, updated_at FROM payments ORDER BY id').all()).toEqual(before);
  });

  it('020 plural links: a Plural payment taken in as card-present is a link; a terminal’s, and PayPlug’s, keep theirs', () => {
    const db = databaseAt(19);
    const payment = (
      id: string,
      columns: Record<string, string>,
      over: Record<string, string | number | null> = {},
    ) => {
      insertV1Payment(db, id, over);
      const names = Object.keys(columns);
      db.prepare(`UPDATE payments SET ${names.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(
        ...names.map((c) => columns[c]!),
        id,
      );
    };
    const adopted = (id: string) => ({ origin: 'adopted', idempotency_key: `adopted-tx_${id}` });
    // A website's Plural order looked up once paid, to be refunded here: journaled card-present.
    payment('pay_plural_web', { gateway: 'plural', channel: 'card_present' }, adopted('pay_plural_web'));
    // A Plural link the till made, and one it took in while its page was open.
    payment('pay_plural_link', { gateway: 'plural', channel: 'link' });
    payment('pay_plural_open', { gateway: 'plural', channel: 'link' }, adopted('pay_plural_open'));
    // A terminal on the shop's own bank, on a day Plural was the till's gateway.
    payment('pay_terminal', { gateway: 'plural', channel: 'card_present', charged_by: 'terminal' });
    // PayPlug: one taken in and one on a reader cannot be told apart; both stay.
    payment('pay_payplug_web', { gateway: 'payplug', channel: 'card_present' }, adopted('pay_payplug_web'));
    payment('pay_payplug_reader', { gateway: 'payplug', channel: 'card_present', reader_id: 'rdr_1' });
    const before = db.prepare('SELECT id, updated_at FROM payments ORDER BY id').all();
    upgrade(db, 20);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    const channel = (id: string) => journal.getPayment(id)!.channel;
    expect(channel('pay_plural_web')).toBe('link');
    expect(channel('pay_plural_link')).toBe('link');
    expect(channel('pay_plural_open')).toBe('link');
    expect(channel('pay_terminal')).toBe('card_present');
    expect(channel('pay_payplug_web')).toBe('card_present');
    expect(channel('pay_payplug_reader')).toBe('card_present');
    // A correction of the journal, not a change of the payments.
    expect(db.prepare('SELECT id, updated_at FROM payments ORDER BY id').all()).toEqual(before);
  });

  it('021 disputes: payments keep their rows; a dispute is one row per gateway, mode and id, found by its payment', () => {
    const db = databaseAt(20);
    insertV1Payment(db, 'pay_plutopay', { gateway: 'plutopay', mode: 'live' });
    insertV1Payment(db, 'pay_payplug', { gateway: 'payplug', transaction_id: 'tx_shared', mode: 'live' });
    const before = db.prepare('SELECT * FROM payments ORDER BY id').all();
    upgrade(db, 21);
    expect(db.prepare('SELECT * FROM payments ORDER BY id').all()).toEqual(before);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    const dispute = {
      gateway: 'plutopay' as const,
      mode: 'live' as const,
      account: 'sandbox',
      id: 'dp_1',
      reference: 'DSP-1',
      transactionId: 'tx_pay_plutopay',
      amount: 1250,
      currency: 'EUR',
      status: 'needs_response' as const,
      reason: 'fraudulent',
      evidenceDueBy: '2026-03-15T00:00:00.000Z',
      openedAt: AT,
      updatedAt: AT,
    };
    expect(journal.recordDispute(dispute)).toMatchObject({
      change: 'opened',
      record: { paymentId: 'pay_plutopay', seenAt: AT, closedAt: null },
    });
    // Read again as it was: one row, nothing changed. The same id in the other mode is another dispute.
    expect(journal.recordDispute(dispute).change).toBeNull();
    journal.recordDispute({ ...dispute, mode: 'test', transactionId: 'tx_elsewhere' });
    expect(db.prepare('SELECT COUNT(*) AS n FROM disputes').get<{ n: number }>()!.n).toBe(2);
    // Open, it keeps its payment in Needs attention; the timeline says when the till learned of it.
    expect(journal.openDisputesOnPayments().map((d) => [d.mode, d.paymentId])).toEqual([['live', 'pay_plutopay']]);
    expect(journal.timeline('pay_plutopay').map((e) => e.event)).toContain('dispute_opened');
    // Lost: closed once, when the till read it so.
    const lostAt = '2026-03-20T10:00:00.000Z';
    expect(journal.recordDispute({ ...dispute, status: 'lost', updatedAt: lostAt }).change).toBe('closed');
    expect(journal.dispute('plutopay', 'live', 'sandbox', 'dp_1')).toMatchObject({ status: 'lost', closedAt: AT });
    expect(journal.disputesInPeriod('live', AT, '2026-03-21T00:00:00.000Z').lost.map((d) => d.id)).toEqual(['dp_1']);
    // A dispute is its gateway's: another gateway's payment with the same transaction id is not its payment.
    expect(journal.recordDispute({ ...dispute, id: 'dp_2', transactionId: 'tx_shared' }).record.paymentId).toBeNull();
    expect(() =>
      db.prepare(`UPDATE disputes SET status = 'refunded' WHERE id = 'dp_1' AND mode = 'live'`).run(),
    ).toThrow(/CHECK constraint/);
  });

  it('022 cancel asked: a payment from before was never asked; one asked while created is unfinished until canceled', () => {
    const db = databaseAt(21);
    insertV1Payment(db, 'pay_old', { status: 'pending' });
    insertV1Payment(db, 'pay_asked', { status: 'creating' });
    upgrade(db, 22);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.getPayment('pay_old')!.cancelAskedAt).toBeNull();
    journal.updatePayment('pay_asked', { cancelAskedAt: AT }, 'cancel_asked');
    journal.updatePayment('pay_asked', { status: 'pending' });
    // Created at the gateway and not canceled yet (a stop in between): recovery still has it to cancel.
    expect(journal.listPayments('unfinished', 10).map((p) => p.id)).toEqual(['pay_asked']);
    journal.updatePayment('pay_asked', { status: 'canceled' });
    expect(journal.listPayments('unfinished', 10)).toEqual([]);
  });

  it('023 plan modes: a plan takes the mode of a part the till took in, else the till’s; a test one the sandbox’s use', () => {
    const db = databaseAt(22);
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('mode', '"live"');
    const plan = (id: string) =>
      db
        .prepare(
          `INSERT INTO installment_plans (id, gateway, plan_id, order_reference, idempotency_key, currency, amount,
             schedule, customer, status, pay_url, failure, created_at, updated_at)
           VALUES (?, 'payplug', ?, ?, ?, 'EUR', 9000, '[]', '{}', 'active', NULL, NULL, ?, ?)`,
        )
        .run(id, `inst_${id}`, `ORD-${id}`, `plan-${id}`, AT, AT);
    plan('ipl_made_in_test');
    plan('ipl_no_part_yet');
    // Its first part, taken in while the till was in test mode (it has switched to live since).
    insertV1Payment(db, 'pay_part', { gateway: 'payplug', installment_plan_id: 'ipl_made_in_test', mode: 'test' });
    upgrade(db, 23);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.getPlan('ipl_made_in_test')).toMatchObject({ mode: 'test', onSandbox: true });
    // A live plan was never made on the sandbox, whatever the till uses.
    expect(journal.getPlan('ipl_no_part_yet')).toMatchObject({ mode: 'live', onSandbox: false });
    expect(() => db.prepare(`UPDATE installment_plans SET mode = 'both' WHERE id = 'ipl_no_part_yet'`).run()).toThrow(
      /CHECK constraint/,
    );
    // A till on the shop's own test account at the upgrade made its test plans there.
    const own = databaseAt(22);
    own.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('embeddedSandbox', 'false');
    own
      .prepare(
        `INSERT INTO installment_plans (id, gateway, plan_id, order_reference, idempotency_key, currency, amount,
           schedule, customer, status, pay_url, failure, created_at, updated_at)
         VALUES ('ipl_own', 'payplug', 'inst_own', 'ORD-own', 'plan-ipl_own', 'EUR', 9000, '[]', '{}', 'active', NULL, NULL, ?, ?)`,
      )
      .run(AT, AT);
    upgrade(own, 23);
    expect(new Journal(own, new FakeClock(Date.parse(AT))).getPlan('ipl_own')).toMatchObject({
      mode: 'test',
      onSandbox: false,
    });
  });

  it('024 refused reader actions: payments keep their rows; a refusal is kept once per action and money', () => {
    const db = databaseAt(23);
    insertV1Payment(db, 'pay_misfit', { status: 'in_progress', transaction_id: 'tx_misfit' });
    insertV1Payment(db, 'pay_done', { status: 'canceled' });
    const before = db.prepare('SELECT * FROM payments ORDER BY id').all();
    upgrade(db, 24);
    expect(db.prepare('SELECT * FROM payments ORDER BY id').all()).toEqual(before);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    // Nothing refused before the upgrade is known: it is refused once more, then kept.
    expect(journal.readerActionRefused('plutopay', 'act_1', 250000, 'USD')).toBe(false);
    const refusal = { gateway: 'plutopay' as const, actionId: 'act_1', amount: 250000, paymentId: 'pay_misfit' };
    journal.noteReaderActionRefused({ ...refusal, currency: 'usd' });
    journal.noteReaderActionRefused({ ...refusal, currency: 'USD' });
    expect(journal.readerActionRefused('plutopay', 'act_1', 250000, 'usd')).toBe(true);
    // The same action for other money, or another gateway's action of that id, is another.
    expect(journal.readerActionRefused('plutopay', 'act_1', 2500, 'USD')).toBe(false);
    expect(journal.readerActionRefused('payplug', 'act_1', 250000, 'USD')).toBe(false);
    // Those of payments now final are dropped at the next refusal.
    journal.noteReaderActionRefused({ ...refusal, actionId: 'act_2', currency: 'EUR', paymentId: 'pay_done' });
    journal.noteReaderActionRefused({ ...refusal, actionId: 'act_3', currency: 'EUR' });
    expect(journal.readerActionRefused('plutopay', 'act_2', 250000, 'EUR')).toBe(false);
    expect(db.prepare('SELECT COUNT(*) AS n FROM refused_reader_actions').get<{ n: number }>()!.n).toBe(2);
  });

  it('025 payment accounts: a test payment takes its plan’s account, else the sandbox setting; live ones are the shop’s', () => {
    const at23 = (embeddedSandbox: string | null) => {
      const db = databaseAt(24);
      if (embeddedSandbox !== null)
        db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('embeddedSandbox', embeddedSandbox);
      return db;
    };
    const db = at23(null);
    db.prepare(
      `INSERT INTO installment_plans (id, gateway, plan_id, order_reference, idempotency_key, currency, amount,
         schedule, customer, status, pay_url, failure, mode, sandbox, created_at, updated_at)
       VALUES ('ipl_own', 'payplug', 'inst_own', 'ORD-own', 'plan-own', 'EUR', 9000, '[]', '{}', 'active', NULL, NULL,
         'test', 0, ?, ?)`,
    ).run(AT, AT);
    insertV1Payment(db, 'pay_test', { mode: 'test', status: 'pending' });
    insertV1Payment(db, 'pay_live', { mode: 'live' });
    insertV1Payment(db, 'pay_terminal', { mode: 'test', charged_by: 'terminal' });
    insertV1Payment(db, 'pay_part', { gateway: 'payplug', mode: 'test', installment_plan_id: 'ipl_own' });
    upgrade(db, 25);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    // The sandbox is on when never set: a test payment through a gateway was made there.
    expect(journal.getPayment('pay_test')).toMatchObject({ mode: 'test', account: 'sandbox' });
    expect(journal.getPayment('pay_live')).toMatchObject({ account: 'own' });
    expect(journal.getPayment('pay_terminal')).toMatchObject({ account: 'own' });
    expect(journal.getPayment('pay_part')).toMatchObject({ account: 'own' });
    expect(() => db.prepare(`UPDATE payments SET account = 'both' WHERE id = 'pay_live'`).run()).toThrow(
      /CHECK constraint/,
    );
    const own = at23('false');
    insertV1Payment(own, 'pay_own', { mode: 'test', status: 'pending' });
    upgrade(own, 25);
    expect(new Journal(own, new FakeClock(Date.parse(AT))).getPayment('pay_own')).toMatchObject({ account: 'own' });
  });

  it('026 dispute accounts: older disputes are kept with no account, and claimed by the first to report them again', () => {
    const db = databaseAt(25);
    insertV1Payment(db, 'pay_disputed', { mode: 'test', transaction_id: 'tx_disputed' });
    const legacy = (id: string, transactionId: string) =>
      db
        .prepare(
          `INSERT INTO disputes (gateway, mode, id, reference, transaction_id, amount, currency, status, reason,
             evidence_due_by, opened_at, updated_at, seen_at, closed_at)
           VALUES ('plutopay', 'test', ?, ?, ?, 1000, 'EUR', 'needs_response', 'fraudulent', NULL, ?, ?, ?, NULL)`,
        )
        .run(id, `ref_${id}`, transactionId, AT, AT, AT);
    legacy('dp_same', 'tx_disputed');
    legacy('dp_reused', 'tx_elsewhere');
    upgrade(db, 26);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.disputes('plutopay', 'test', '').map((d) => d.id)).toEqual(
      ['dp_same', 'dp_reused'].sort().reverse(),
    );
    const read = {
      gateway: 'plutopay' as const,
      mode: 'test' as const,
      account: 'sandbox',
      reference: 'ref_dp_same',
      transactionId: 'tx_disputed',
      amount: 1000,
      currency: 'EUR',
      status: 'needs_response' as const,
      reason: 'fraudulent',
      evidenceDueBy: null,
      openedAt: AT,
      updatedAt: AT,
    };
    const events = () => journal.timeline('pay_disputed').filter((e) => e.event.startsWith('dispute_'));
    // The same dispute (id and transaction), reported again: claimed, not announced twice.
    expect(journal.recordDispute({ ...read, id: 'dp_same' }).change).toBeNull();
    expect(journal.dispute('plutopay', 'test', 'sandbox', 'dp_same')).toMatchObject({ paymentId: 'pay_disputed' });
    expect(events()).toEqual([]);
    // Another account's dispute under an id an older one had, on another transaction: its own row.
    expect(journal.recordDispute({ ...read, id: 'dp_reused' }).change).toBe('opened');
    expect(journal.disputes('plutopay', 'test', '').map((d) => [d.id, d.transactionId])).toEqual([
      ['dp_reused', 'tx_elsewhere'],
    ]);
    expect(
      journal
        .disputes('plutopay', 'test', 'sandbox')
        .map((d) => d.id)
        .sort(),
    ).toEqual(['dp_reused', 'dp_same']);
  });

  it('027 payment account names: the sandbox’s keep it, the shop’s own are claimed by the first account used', () => {
    const db = databaseAt(26);
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('embeddedSandbox', 'false');
    insertV1Payment(db, 'pay_own', { mode: 'test', status: 'pending' });
    insertV1Payment(db, 'pay_live', { mode: 'live', status: 'pending' });
    insertV1Payment(db, 'pay_other_gateway', { gateway: 'payplug', mode: 'test', status: 'pending' });
    insertV1Payment(db, 'pay_terminal', { mode: 'test', charged_by: 'terminal' });
    insertV1Payment(db, 'pay_sandbox', { mode: 'test', status: 'pending' });
    db.prepare(`UPDATE payments SET account = 'sandbox' WHERE id = 'pay_sandbox'`).run();
    upgrade(db, 27);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.getPayment('pay_sandbox')).toMatchObject({ account: 'sandbox', gatewayAccount: 'sandbox' });
    expect(journal.getPayment('pay_own')).toMatchObject({ account: 'own', gatewayAccount: '' });
    // The account the till uses for their gateway and mode claims them, once; no other row.
    const account = 'http://127.0.0.1:4242 sk_test_…9f3a';
    expect(journal.claimPaymentAccounts('plutopay', 'test', account)).toBe(1);
    expect(journal.getPayment('pay_own')).toMatchObject({ gatewayAccount: account });
    expect(journal.getPayment('pay_live')).toMatchObject({ gatewayAccount: '' });
    expect(journal.getPayment('pay_other_gateway')).toMatchObject({ gatewayAccount: '' });
    expect(journal.getPayment('pay_terminal')).toMatchObject({ gatewayAccount: '' });
    expect(journal.getPayment('pay_sandbox')).toMatchObject({ gatewayAccount: 'sandbox' });
    expect(journal.claimPaymentAccounts('plutopay', 'test', 'http://127.0.0.1:4343 sk_test_…0000')).toBe(0);
    expect(journal.getPayment('pay_own')).toMatchObject({ gatewayAccount: account });
  });

  it('028 plan account names: the sandbox’s keep it, the shop’s own are claimed by the first account used', () => {
    const db = databaseAt(27);
    const plan = (id: string, mode: string, sandbox: number, gateway = 'payplug') =>
      db
        .prepare(
          `INSERT INTO installment_plans (id, gateway, plan_id, order_reference, idempotency_key, currency, amount,
             schedule, customer, status, pay_url, failure, mode, sandbox, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'EUR', 9000, '[]', '{}', 'active', NULL, NULL, ?, ?, ?, ?)`,
        )
        .run(id, gateway, `inst_${id}`, `ORD-${id}`, `plan-${id}`, mode, sandbox, AT, AT);
    plan('ipl_own', 'test', 0);
    plan('ipl_live', 'live', 0);
    plan('ipl_sandbox', 'test', 1);
    plan('ipl_other_gateway', 'test', 0, 'plural');
    upgrade(db, 28);
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.getPlan('ipl_sandbox')).toMatchObject({ onSandbox: true, gatewayAccount: 'sandbox' });
    expect(journal.getPlan('ipl_own')).toMatchObject({ onSandbox: false, gatewayAccount: '' });
    // The account the till uses for their gateway and mode claims them, once; no other row.
    const account = 'http://127.0.0.1:4242/payplug sk_test_…9f3a';
    expect(journal.claimPlanAccounts('payplug', 'test', account)).toBe(1);
    expect(journal.getPlan('ipl_own')).toMatchObject({ gatewayAccount: account });
    expect(journal.getPlan('ipl_live')).toMatchObject({ gatewayAccount: '' });
    expect(journal.getPlan('ipl_other_gateway')).toMatchObject({ gatewayAccount: '' });
    expect(journal.getPlan('ipl_sandbox')).toMatchObject({ gatewayAccount: 'sandbox' });
    expect(journal.claimPlanAccounts('payplug', 'test', 'http://127.0.0.1:4343/payplug sk_test_…0000')).toBe(0);
    expect(journal.claimPlanAccounts('payplug', 'test', 'sandbox')).toBe(0);
    expect(journal.getPlan('ipl_own')).toMatchObject({ gatewayAccount: account });
  });

  it('029 transaction ids per account: the payments table is rebuilt as it was, an id unique per account', () => {
    const db = databaseAt(28);
    const first = 'https://first.example sk_test_…aaaa';
    insertV1Payment(db, 'pay_first', { mode: 'test', transaction_id: 'tx_same' });
    insertV1Payment(db, 'pay_other', { mode: 'test', transaction_id: 'tx_other', status: 'pending' });
    db.prepare(`UPDATE payments SET gateway_account = ? WHERE id = 'pay_first'`).run(first);
    const operation = (paymentId: string, key: string) =>
      db
        .prepare(
          `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, created_at, updated_at)
           VALUES (?, 'plutopay', 'capture', ?, '{}', 'pending', 1, ?, ?)`,
        )
        .run(paymentId, key, AT, AT);
    operation('pay_other', 'capture-pay_other');
    const schema = (type: string) =>
      db
        .prepare(`SELECT name, sql FROM sqlite_master WHERE tbl_name = 'payments' AND type = ? ORDER BY name`)
        .all<{ name: string; sql: string }>(type);
    const rows = () => db.prepare('SELECT * FROM payments ORDER BY id').all();
    const before = { rows: rows(), triggers: schema('trigger'), indexes: schema('index').filter((i) => i.sql) };
    const events = db.prepare('SELECT COUNT(*) AS n FROM payment_events').get<{ n: number }>()!.n;
    upgrade(db, 29);
    // Every row, column, index and trigger as it was; the children still point at their payments.
    expect(rows()).toEqual(before.rows);
    expect(schema('trigger')).toEqual(before.triggers);
    expect(schema('index').filter((i) => i.sql && i.name !== 'payments_transaction')).toEqual(before.indexes);
    expect(db.prepare('SELECT COUNT(*) AS n FROM payment_events').get<{ n: number }>()!.n).toBe(events);
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    expect(db.prepare('PRAGMA foreign_keys').get()).toEqual({ foreign_keys: 1 });
    expect(() => operation('pay_gone', 'capture-pay_gone')).toThrow(/FOREIGN KEY/);
    // Another account's payment of the same id is kept beside it; the same account's is refused.
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    const second = 'https://second.example sk_test_…bbbb';
    const copy = (id: string, gatewayAccount: string) => {
      const { createdAt: _c, updatedAt: _u, ...row } = journal.getPayment('pay_first')!;
      journal.insertPayment(
        { ...row, id, idempotencyKey: `key-${id}`, orderReference: `ORD-${id}`, gatewayAccount },
        'created',
      );
    };
    copy('pay_second', second);
    expect(() => copy('pay_twice', first)).toThrow(/UNIQUE/);
    const on = (gatewayAccount: string) => ({ gateway: 'plutopay' as const, mode: 'test' as const, gatewayAccount });
    expect(journal.findByTransactionId('tx_same', on(first))?.id).toBe('pay_first');
    expect(journal.findByTransactionId('tx_same', on(second))?.id).toBe('pay_second');
    // The look-up by id still uses an index (not a scan of every payment).
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT id FROM payments WHERE transaction_id = 'tx_same'`)
      .all<{ detail: string }>();
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX payments_transaction/);
  });

  it('the upgraded database opens in today’s journal with its payments, timelines and pending work', () => {
    const db = databaseAt(1);
    insertV1Payment(db, 'pay_a', { status: 'unknown', attention_since: AT, attention_reason: 'Lost answer' });
    insertV1Operation(db, 'pay_a', 'capture', 'capture-1', { amount: 1250 });
    const journal = new Journal(db, new FakeClock(Date.parse(AT)));
    expect(journal.getPayment('pay_a')).toMatchObject({
      gateway: 'plutopay',
      channel: 'card_present',
      status: 'unknown',
      attentionReason: 'Lost answer',
    });
    expect(journal.listPayments('attention', 10).map((p) => p.id)).toEqual(['pay_a']);
    expect(journal.operationsFor('pay_a')).toEqual([
      expect.objectContaining({ kind: 'capture', state: 'pending', params: { amount: 1250 } }),
    ]);
  });

  it('has a case above for every migration', () => {
    // Read from this file's own cases: a name listed by hand once stood for a case that was not there (021).
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const missing = JOURNAL_MIGRATIONS.filter((m) => {
      const title = `${String(m.version).padStart(3, '0')} ${m.name.replace(/-/g, ' ')}:`;
      return !new RegExp(`\\bit\\(['"\`]${title}`).test(source);
    }).map((m) => `${String(m.version).padStart(3, '0')} ${m.name}`);
    expect(missing).toEqual([]);
  });
});
