import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import {
  Journal,
  JOURNAL_SCHEMA_VERSION,
  newPaymentRecord,
  REFUSALS_KEPT_AT_MOST,
  type PaymentPatch,
  type PaymentRecord,
} from '../../main/store/journal';
import { heldOfShares, toSplitView } from '../../main/payments/views';
import { UnreadableDatabaseError } from '../../common/unreadable-database';
import { migrate, openDatabase, SchemaTooNewError } from '../../main/store/sqlite';

function paymentFixture(overrides: Partial<PaymentRecord> = {}) {
  return newPaymentRecord({
    id: 'pay_test00000001',
    gateway: 'plutopay',
    mode: 'test',
    orderReference: 'ORD-1',
    attempt: 1,
    idempotencyKey: 'pos-ORD-1-1',
    origin: 'local',
    amount: 1250,
    currency: 'EUR',
    captureMethod: 'automatic',
    status: 'creating',
    ...overrides,
  });
}

describe('journal', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the refused reader actions of the open day and the last week, at most the newest 1,000', () => {
    // Found by review: rows of payments that never settle were kept for ever.
    const DAY = 24 * 3_600_000;
    const clock = new FakeClock(Date.parse('2026-03-01T10:00:00.000Z'));
    const db = openDatabase(':memory:');
    let journal = new Journal(db, clock);
    const open = (id: string) =>
      journal.insertPayment(
        paymentFixture({ id, orderReference: id, idempotencyKey: id, status: 'in_progress' }),
        'created',
      );
    const refuse = (actionId: string, paymentId: string) =>
      journal.noteReaderActionRefused({ gateway: 'plutopay', actionId, amount: 99_00, currency: 'EUR', paymentId });
    const refused = (actionId: string) => journal.readerActionRefused('plutopay', actionId, 99_00, 'EUR');
    const rows = () => db.prepare('SELECT COUNT(*) AS n FROM refused_reader_actions').get<{ n: number }>()!.n;
    open('pay_stuck0000001');
    open('pay_stuck0000002');
    refuse('act_old', 'pay_stuck0000001');
    // Six days on, it is kept; eight days on, without a Z, it is not (its payment never settled).
    clock.advance(6 * DAY);
    refuse('act_recent', 'pay_stuck0000002');
    expect([refused('act_old'), refused('act_recent')]).toEqual([true, true]);
    clock.advance(2 * DAY);
    journal = new Journal(db, clock);
    expect([refused('act_old'), refused('act_recent')]).toEqual([false, true]);

    // The open day is kept however long it lasts: here, since a Z closed ten days ago; what was
    // refused before that Z and before the last week is not.
    journal.insertZReport({
      mode: 'test',
      number: 1,
      businessDate: '2026-03-09',
      windowStart: '2026-03-08T23:00:00.000Z',
      windowEnd: new Date(clock.now()).toISOString(),
      closedAt: new Date(clock.now()).toISOString(),
      closedBy: 'Sam',
      override: null,
      report: '{}',
      reconciliation: null,
      digest: 'd1',
    });
    clock.advance(3_600_000);
    refuse('act_open_day', 'pay_stuck0000001');
    clock.advance(10 * DAY);
    journal = new Journal(db, clock);
    expect([refused('act_recent'), refused('act_open_day')]).toEqual([false, true]);
    expect(rows()).toBe(1);

    // Those of a payment now final go at the next refusal.
    journal.updatePayment('pay_stuck0000001', { status: 'canceled' }, 'canceled');
    open('pay_stuck0000003');
    refuse('act_flood_0', 'pay_stuck0000003');
    expect([refused('act_open_day'), refused('act_flood_0')]).toEqual([false, true]);

    // A flood of refusals keeps the newest.
    for (let i = 1; i <= REFUSALS_KEPT_AT_MOST; i++) {
      clock.advance(1);
      refuse(`act_flood_${i}`, 'pay_stuck0000003');
    }
    expect(rows()).toBe(REFUSALS_KEPT_AT_MOST);
    expect([refused('act_flood_0'), refused('act_flood_1')]).toEqual([false, true]);
    expect(refused(`act_flood_${REFUSALS_KEPT_AT_MOST}`)).toBe(true);
  });

  it('records a payment and every transition in its timeline', () => {
    const clock = new FakeClock();
    const journal = new Journal(openDatabase(':memory:'), clock);
    journal.insertPayment(paymentFixture(), 'created', '€12.50');
    clock.advance(1000);
    const updated = journal.updatePayment(
      'pay_test00000001',
      { status: 'pending', transactionId: 'tx-1' },
      'created_at_gateway',
      'txn_1',
    );
    expect(updated.status).toBe('pending');
    expect(updated.updatedAt).not.toBe(updated.createdAt);
    expect(journal.findByTransactionId('tx-1', 'anyAccount')?.id).toBe('pay_test00000001');
    expect(journal.timeline('pay_test00000001').map((e) => e.event)).toEqual(['created', 'created_at_gateway']);
  });

  it('finds a gateway id on the account that named it, and a dispute only on its own account’s payment', () => {
    // Gateway ids are unique per account only: the till's tx-1 was made on the first account.
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    const first = 'https://first.example sk_test_…aaaa';
    const second = 'https://second.example sk_test_…bbbb';
    journal.insertPayment(
      paymentFixture({ status: 'succeeded', transactionId: 'tx-1', gatewayAccount: first }),
      'created',
    );
    const on = (gatewayAccount: string) => ({ gateway: 'plutopay' as const, mode: 'test' as const, gatewayAccount });
    expect(journal.findByTransactionId('tx-1', on(first))?.id).toBe('pay_test00000001');
    expect(journal.findByTransactionId('tx-1', on(second))).toBeUndefined();
    expect(journal.findByTransactionId('tx-1', { ...on(first), mode: 'live' })).toBeUndefined();
    expect([...journal.findByTransactionIds(['tx-1'], on(second)).keys()]).toEqual([]);
    expect([...journal.findByTransactionIds(['tx-1'], on(first)).keys()]).toEqual(['tx-1']);
    // The second account's bank disputes its own tx-1: not the till's payment's dispute.
    const dispute = {
      gateway: 'plutopay' as const,
      mode: 'test' as const,
      account: second,
      id: 'dp_1',
      reference: 'DSP-1',
      transactionId: 'tx-1',
      amount: 1250,
      currency: 'EUR',
      status: 'needs_response' as const,
      reason: 'fraudulent',
      evidenceDueBy: null,
      openedAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
    };
    expect(journal.recordDispute(dispute).record.paymentId).toBeNull();
    expect(journal.openDisputesOnPayments()).toEqual([]);
    expect(journal.disputesOnPayment(journal.getPayment('pay_test00000001')!)).toEqual([]);
    // The first account's own dispute on it is its payment's.
    expect(journal.recordDispute({ ...dispute, account: first }).record.paymentId).toBe('pay_test00000001');
    expect(journal.openDisputesOnPayments().map((d) => d.account)).toEqual([first]);
  });

  it("never gives out a gateway URL's password an older version journaled in an error text", () => {
    // Found by review: fetch refused a gateway URL with a user name and password, quoting it whole,
    // and older versions journaled that text as it was — in the timeline and an operation's last
    // error — from where the screen, the CSV and the developer log read it.
    const dir = mkdtempSync(join(tmpdir(), 'journal-url-credentials-'));
    dirs.push(dir);
    const path = join(dir, 'journal.db');
    const clock = new FakeClock();
    const oldDb = openDatabase(path);
    const old = new Journal(oldDb, clock);
    old.insertPayment(paymentFixture(), 'created', '€12.50');
    const op = old.addOperation('pay_test00000001', 'create', 'pos-ORD-1-1', {});
    old.recordEvent('pay_test00000001', 'create_failed', 'kept as it was: no URL here');
    oldDb.close();
    // As an older version wrote them.
    const quoted =
      'not_sent: Request cannot be constructed from a URL that includes credentials: https://shop:hunter2@gw.example/v1/payments';
    const raw = openDatabase(path);
    raw.prepare('UPDATE operations SET last_error = ? WHERE id = ?').run(quoted, op.id);
    raw
      .prepare('INSERT INTO payment_events (payment_id, at, event, detail) VALUES (?, ?, ?, ?)')
      .run('pay_test00000001', new Date(clock.now()).toISOString(), 'create_unreachable', quoted);
    raw.close();

    const db = openDatabase(path);
    const journal = new Journal(db, clock);
    const masked =
      'not_sent: Request cannot be constructed from a URL that includes credentials: https://…@gw.example/v1/payments';
    expect(journal.timeline('pay_test00000001').map((entry) => entry.detail)).toEqual([
      '€12.50',
      'kept as it was: no URL here',
      masked,
    ]);
    expect(journal.operationsFor('pay_test00000001').map((entry) => entry.lastError)).toEqual([masked]);
    expect(journal.getOperationByKey('pos-ORD-1-1')?.lastError).toBe(masked);
    expect(journal.pendingOperations().map((entry) => entry.lastError)).toEqual([masked]);
    expect(JSON.stringify(journal.timeline('pay_test00000001'))).not.toContain('hunter2');
    db.close();
  });

  it('finds a dispute recorded after a payment was read without one, and one kept from before it opened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-disputes-'));
    dirs.push(dir);
    const path = join(dir, 'journal.db');
    const clock = new FakeClock();
    const journal = new Journal(openDatabase(path), clock);
    journal.insertPayment(paymentFixture(), 'created', '€12.50');
    journal.updatePayment('pay_test00000001', { status: 'succeeded', transactionId: 'tx-1' });
    // Read while none is kept (every payment view asks).
    expect(journal.disputesOn('plutopay', 'tx-1')).toEqual([]);
    const dispute = {
      gateway: 'plutopay' as const,
      mode: 'test' as const,
      account: 'sandbox',
      id: 'dp_1',
      reference: 'DP-1',
      transactionId: 'tx-1',
      amount: 1250,
      currency: 'EUR',
      status: 'needs_response' as const,
      reason: 'fraudulent',
      evidenceDueBy: null,
      openedAt: new Date(clock.now()).toISOString(),
      updatedAt: new Date(clock.now()).toISOString(),
    };
    journal.recordDispute(dispute);
    expect(journal.disputesOn('plutopay', 'tx-1').map((d) => [d.id, d.paymentId])).toEqual([
      ['dp_1', 'pay_test00000001'],
    ]);
    // Another gateway's transaction of the same id has none.
    expect(journal.disputesOn('payplug', 'tx-1')).toEqual([]);
    // Kept on disk: a journal opened later finds it too, and a payment learning that transaction later hears of it.
    const reopened = new Journal(openDatabase(path), clock);
    expect(reopened.disputesOn('plutopay', 'tx-1').map((d) => d.id)).toEqual(['dp_1']);
    reopened.recordDispute({ ...dispute, id: 'dp_2', transactionId: 'tx-2' });
    reopened.insertPayment(
      paymentFixture({ id: 'pay_test00000002', orderReference: 'ORD-2', idempotencyKey: 'pos-ORD-2-1' }),
      'created',
      '€12.50',
    );
    reopened.updatePayment('pay_test00000002', { status: 'succeeded', transactionId: 'tx-2' });
    expect(reopened.timeline('pay_test00000002').map((e) => e.event)).toContain('dispute_opened');
  });

  it('answers reads of a payment it wrote from memory exactly as the table would, and forgets a rolled-back write', () => {
    const clock = new FakeClock();
    const journal = new Journal(openDatabase(':memory:'), clock);
    journal.insertPayment(paymentFixture(), 'created');
    // What the table holds, read past the kept rows (findByOrder always reads the table).
    const stored = () => journal.findByOrder('ORD-1')[0]!;
    expect(journal.getPayment('pay_test00000001')).toEqual(stored());
    // A field given as undefined is stored (and kept) as null; a field the table does not have is not kept.
    journal.insertPayment(
      {
        ...paymentFixture({ id: 'pay_test00000002', orderReference: 'ORD-2', idempotencyKey: 'pos-ORD-2-1' }),
        description: undefined as unknown as null,
        transactionId: 'txn_given',
        ...({ notAColumn: 1 } as object),
      },
      'created',
    );
    expect(journal.getPayment('pay_test00000002')).toEqual(journal.findByOrder('ORD-2')[0]);
    expect(journal.findByTransactionId('txn_given', 'anyAccount')).toEqual(journal.findByOrder('ORD-2')[0]);
    // Every field, with a value of each kind it takes: integers, fractions, text, JSON text, null.
    const patches: PaymentPatch[] = [
      { status: 'pending', transactionId: 'txn_1', reference: 'R-1', channel: 'card_present' },
      { readerId: 'rdr_1', readerStage: 'sent', actionId: 'act_1', description: 'Coffee', receiptEmail: 'a@b.co' },
      { status: 'failed', declineCode: 'card_declined', declineMessage: 'Declined', customerId: 'cus_1' },
      { cardBrand: 'visa', cardLast4: '4242', entryMode: 'contactless', authCode: '123456' },
      { amountCapturable: 1250, amountCaptured: 1000, amountRefunded: 250, amount: 1250, currency: 'USD' },
      { attentionReason: 'why', attentionAdvice: 'what', attentionSince: '2026-01-01T00:00:00.000Z' },
      { payUrl: 'http://127.0.0.1/pay', payUrlExpiresAt: '2026-01-02T00:00:00.000Z', authorizationExpiresAt: null },
      { installmentPlanId: 'plan_1', savedCardId: 'card_1', createExtras: '{"saveCard":true}' },
      { preTipAmount: 1000, tipAmount: 250, tipPercent: 12.5, tipState: 'chosen', chargedBy: 'terminal' },
      { terminalLines: '["VISA","APPROVED"]', captureMethod: 'manual', origin: 'adopted', gateway: 'payplug' },
      { readerStage: null, readerId: null, declineCode: null, tipPercent: 15 },
    ];
    for (const patch of patches) {
      clock.advance(10);
      const written = journal.updatePayment('pay_test00000001', patch, 'changed');
      expect(written).toEqual(stored());
      expect(journal.getPayment('pay_test00000001')).toEqual(stored());
      expect(journal.findByTransactionId('txn_1', 'anyAccount')).toEqual(stored());
    }
    // A patch repeating what is stored writes only the time and the timeline, and reads the same.
    clock.advance(10);
    const same = journal.updatePayment('pay_test00000001', { status: 'failed', transactionId: 'txn_1' }, 'again');
    expect(same).toEqual(stored());
    expect(same.updatedAt).toBe(new Date(clock.now()).toISOString());
    expect(journal.timeline('pay_test00000001').at(-1)?.event).toBe('again');
    // A caller changing the record it got does not change the journal's.
    journal.getPayment('pay_test00000001')!.status = 'succeeded';
    expect(journal.getPayment('pay_test00000001')).toEqual(stored());
    // A write undone by a rollback is not remembered.
    expect(() =>
      journal.atomically(() => {
        journal.updatePayment('pay_test00000001', { status: 'succeeded', amountCaptured: 1250 });
        throw new Error('the gateway said no');
      }),
    ).toThrow('the gateway said no');
    expect(journal.getPayment('pay_test00000001')).toEqual(stored());
    expect(stored().status).toBe('failed');
  });

  it('a status change of a payment not yet read since the journal opened answers and keeps the new row', () => {
    // Found on a restart: the first update of a payment after reopening returned (and cached) the
    // row as it was before, so the till forgot the attention it had just set.
    const clock = new FakeClock();
    const db = openDatabase(':memory:');
    new Journal(db, clock).insertPayment(paymentFixture({ status: 'in_progress' }), 'created');
    const reopened = new Journal(db, clock);
    const since = new Date(clock.now()).toISOString();
    const updated = reopened.updatePayment('pay_test00000001', {
      status: 'unknown',
      attentionReason: 'The app stopped while the reader was collecting this payment.',
      attentionSince: since,
    });
    expect(updated).toMatchObject({ status: 'unknown', attentionSince: since });
    expect(reopened.getPayment('pay_test00000001')).toMatchObject({ status: 'unknown', attentionSince: since });
  });

  it('answers the reads every view makes from memory exactly as the tables would, after every kind of write', () => {
    const clock = new FakeClock();
    const db = openDatabase(':memory:');
    const journal = new Journal(db, clock);
    journal.insertPayment(paymentFixture(), 'created');
    const id = 'pay_test00000001';
    const kinds = ['capture', 'cancel'] as const;
    // What the tables hold, read past anything kept (a fresh Journal on the same connection).
    const fresh = () => new Journal(db, clock);
    const check = () => {
      const table = fresh();
      expect(journal.countQueuedOperations(id, kinds)).toBe(table.countQueuedOperations(id, kinds));
      expect(journal.countQueuedOperations(id, ['refund'])).toBe(table.countQueuedOperations(id, ['refund']));
      expect(journal.receiptSummary(id)).toEqual(table.receiptSummary(id));
      expect(journal.listReaders()).toEqual(table.listReaders());
      expect(journal.getReader('rdr_1')).toEqual(table.getReader('rdr_1'));
      expect(journal.findByTransactionId('txn_1', 'anyAccount')).toEqual(
        table.findByTransactionId('txn_1', 'anyAccount'),
      );
      expect(journal.findByTransactionId('txn_2', 'anyAccount')).toEqual(
        table.findByTransactionId('txn_2', 'anyAccount'),
      );
      expect(journal.operationStates(id)).toEqual(
        table
          .operationsFor(id)
          .map((op) => ({ id: op.id, kind: op.kind, state: op.state, failed: op.lastError !== null })),
      );
      for (const op of table.operationsFor(id)) expect(journal.operationState(id, op.id)).toBe(op.state);
      expect(journal.splitsOf(id)).toEqual(table.splitsOf(id));
    };
    check();
    // An operation as added is the row a read gives.
    const capture = journal.addOperation(
      id,
      'capture',
      'capture-1',
      { amount: 1250, note: undefined },
      { sending: true },
    );
    expect(capture).toEqual(journal.getOperationByKey('capture-1'));
    check();
    journal.updateOperation(capture.id, { lastError: 'unreachable' });
    check();
    expect(journal.countQueuedOperations(id, kinds)).toBe(1);
    journal.updateOperation(capture.id, { state: 'done', lastError: null, result: 'ok' });
    check();
    expect(journal.countQueuedOperations(id, kinds)).toBe(0);
    // An operation the journal did not add in this launch (its payment unknown to the cache).
    journal.addOperation(id, 'cancel', 'cancel-1', {});
    const other = fresh().getOperationByKey('cancel-1')!;
    fresh().updateOperation(other.id, { lastError: 'x' }); // through another Journal: not seen here
    journal.updateOperation(other.id + 1000, { lastError: 'y' }); // no such operation: drops every count
    check();
    journal.markInterrupted(['cancel'], 'stopped');
    check();
    const refund = journal.addOperation(id, 'refund', 'refund-1', { amount: 100 });
    journal.updateOperation(refund.id, { attemptsDelta: 1 });
    check();
    journal.updateOperation(refund.id, { lastError: '' });
    check();
    expect(journal.countQueuedOperations(id, ['refund'])).toBe(1);
    journal.updateOperation(refund.id, { state: 'failed' });
    check();
    // Receipts: added, then updated.
    const receipt = journal.addReceipt({
      paymentId: id,
      channel: 'print',
      copies: 'customer',
      duplicate: false,
      destination: null,
      state: 'pending',
      error: null,
    });
    check();
    journal.updateReceipt(receipt.id, { state: 'failed', error: 'no paper' });
    check();
    journal.receiptSummary(id).print!.state = 'printed'; // a caller's change stays the caller's
    check();
    // Shares of a split payment: set, a caller's change, set again.
    const share = {
      splitId: 'sp_1',
      merchantId: 'm_1',
      settlementReference: null,
      amount: 500,
      onHold: true,
      status: 'HOLD',
      releasedAmount: 0,
      refundedAmount: 0,
      releasableAmount: null,
    };
    journal.setSplits(id, [share]);
    check();
    journal.splitsOf(id)[0]!.status = 'changed by a caller';
    check();
    journal.setSplits(id, [{ ...share, onHold: false, status: 'RELEASED', releasedAmount: 500 }, share]);
    check();
    // Readers: added, renamed, made standalone, deleted.
    journal.upsertReader({
      id: 'rdr_1',
      deviceId: 'sim_1',
      kind: 'simulated',
      label: 'One',
      registrationCode: 'code',
      terminalId: null,
      gatewayReaderId: null,
    });
    check();
    journal.upsertReader({
      id: 'rdr_1',
      deviceId: 'sim_1',
      kind: 'simulated',
      label: 'Two',
      registrationCode: 'code',
      terminalId: 'tmr_1',
      gatewayReaderId: 'rdr_gw',
    });
    check();
    journal.listReaders()[0]!.label = 'changed by a caller';
    check();
    journal.setReaderStandalone('rdr_1', true);
    check();
    journal.deleteReader('rdr_1');
    check();
    // A payment's transaction id: set, then changed (the old id no longer finds it).
    journal.updatePayment(id, { transactionId: 'txn_1' });
    check();
    journal.updatePayment(id, { transactionId: 'txn_2' });
    check();
    expect(journal.findByTransactionId('txn_1', 'anyAccount')).toBeUndefined();
    // A rollback forgets what the undone writes changed.
    expect(() =>
      journal.atomically(() => {
        journal.addOperation(id, 'capture', 'capture-2', {});
        journal.updateOperation(journal.getOperationByKey('capture-2')!.id, { lastError: 'z' });
        journal.updatePayment(id, { transactionId: 'txn_3' });
        expect(journal.countQueuedOperations(id, kinds)).toBe(2);
        throw new Error('undone');
      }),
    ).toThrow('undone');
    check();
    expect(journal.findByTransactionId('txn_3', 'anyAccount')).toBeUndefined();
    expect(journal.getOperationByKey('capture-2')).toBeUndefined();
  });

  it('dates every change of a payment’s refunded total, whoever made it, and none that is rolled back', () => {
    const clock = new FakeClock(Date.parse('2026-03-01T10:00:00.000Z'));
    const journal = new Journal(openDatabase(':memory:'), clock);
    journal.insertPayment(paymentFixture(), 'created');
    journal.updatePayment('pay_test00000001', { status: 'succeeded', amountCaptured: 1250 });
    clock.advance(60_000);
    journal.updatePayment('pay_test00000001', { status: 'partially_refunded', amountRefunded: 500 }, 'refunded');
    // A sync that repeats the same total records nothing more.
    journal.updatePayment('pay_test00000001', { amountRefunded: 500 });
    expect(() =>
      journal.atomically(() => {
        journal.updatePayment('pay_test00000001', { amountRefunded: 900 });
        throw new Error('the gateway call failed');
      }),
    ).toThrow('the gateway call failed');
    clock.advance(24 * 3_600_000);
    journal.updatePayment('pay_test00000001', { status: 'refunded', amountRefunded: 1250 }, 'refunded');
    expect(journal.refundsBetween('test', '2026-03-01T00:00:00.000Z', '2026-03-03T00:00:00.000Z')).toEqual([
      expect.objectContaining({ paymentId: 'pay_test00000001', amount: 500, at: '2026-03-01T10:01:00.000Z' }),
      expect.objectContaining({ paymentId: 'pay_test00000001', amount: 750, at: '2026-03-02T10:01:00.000Z' }),
    ]);
    // Per day, and per mode: a live report never sees a test refund.
    expect(journal.refundsBetween('test', '2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z')).toHaveLength(1);
    expect(journal.refundsBetween('live', '2026-03-01T00:00:00.000Z', '2026-03-03T00:00:00.000Z')).toEqual([]);
  });

  it('refuses a second payment with the same idempotency key or the same order attempt', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    journal.insertPayment(paymentFixture(), 'created');
    expect(() => journal.insertPayment(paymentFixture({ id: 'pay_test00000002' }), 'created')).toThrow(/UNIQUE/);
    expect(() =>
      journal.insertPayment(paymentFixture({ id: 'pay_test00000002', idempotencyKey: 'other' }), 'created'),
    ).toThrow(/UNIQUE/);
  });

  it('keeps a card per mode: the same id saved in test and live are two cards, forgotten one at a time', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    const card = (mode: 'test' | 'live', last4: string) =>
      journal.saveCard({
        cardId: 'card_1',
        gateway: 'payplug',
        customer: 'ada@example.com',
        brand: 'visa',
        last4,
        expMonth: 12,
        expYear: 2030,
        mode,
      });
    card('test', '4242');
    card('live', '1111');
    const listed = (mode: 'test' | 'live') =>
      journal.savedCards('payplug', 'ada@example.com', mode).map((c) => `${c.mode} ${c.last4}`);
    expect(listed('test')).toEqual(['test 4242']);
    expect(listed('live')).toEqual(['live 1111']);
    expect(journal.savedCard('payplug', 'live', 'card_1')).toMatchObject({ mode: 'live', last4: '1111' });

    expect(journal.forgetCard('payplug', 'test', 'card_1')).toBe(true);
    expect(listed('test')).toEqual([]);
    expect(listed('live')).toEqual(['live 1111']);
    expect(journal.forgetCard('payplug', 'test', 'card_1')).toBe(false);
    expect(journal.forgetCard('payplug', 'live', 'card_1')).toBe(true);
    expect(listed('live')).toEqual([]);
  });

  it('finds a charge still being sent on a saved card in its own mode only', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    journal.insertPayment(paymentFixture({ gateway: 'payplug', mode: 'live', savedCardId: 'card_1' }), 'created');
    expect(journal.paymentSendingOnCard('payplug', 'live', 'card_1')?.id).toBe('pay_test00000001');
    expect(journal.paymentSendingOnCard('payplug', 'test', 'card_1')).toBeUndefined();
  });

  it('keeps operations with their first idempotency key, pending ones in order', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    journal.insertPayment(paymentFixture(), 'created');
    const first = journal.addOperation('pay_test00000001', 'capture', 'capture-1', { amount: 500 });
    const second = journal.addOperation('pay_test00000001', 'refund', 'refund-1', {});
    journal.updateOperation(first.id, { attemptsDelta: 1, lastError: 'timeout' });
    expect(journal.pendingOperations().map((op) => op.idempotencyKey)).toEqual(['capture-1', 'refund-1']);
    journal.updateOperation(first.id, { state: 'done', result: 'ok' });
    expect(journal.pendingOperations().map((op) => op.id)).toEqual([second.id]);
    expect(journal.getOperationByKey('capture-1')).toMatchObject({
      attempts: 1,
      state: 'done',
      params: { amount: 500 },
      lastError: 'timeout',
    });
    expect(() => journal.addOperation('pay_test00000001', 'capture', 'capture-1', {})).toThrow(/UNIQUE/);
  });

  it('finds, among thousands of payments, those a terminal on the shop’s bank charged', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    const ids: string[] = [];
    for (let i = 0; i < 1200; i++) {
      const id = `pay_many${String(i).padStart(8, '0')}`;
      ids.push(id);
      journal.insertPayment(
        paymentFixture({
          id,
          orderReference: `ORD-${i}`,
          idempotencyKey: `k-${i}`,
          chargedBy: i === 3 || i === 1100 ? 'terminal' : 'gateway',
        }),
        'created',
      );
    }
    expect(
      journal
        .terminalChargedAmong([...ids, ids[3]!, 'pay_unknown00001'])
        .map((p) => p.id)
        .sort(),
    ).toEqual([ids[3], ids[1100]]);
    expect(journal.terminalChargedAmong(ids.slice(0, 3))).toEqual([]);
    expect(journal.terminalChargedAmong([])).toEqual([]);
  });

  it('pages the authorisations to capture oldest first, with how many there are and what they hold', () => {
    // 500 authorisations wait at a busy shop: the Capture screen took the newest 200 and nothing
    // said the 300 oldest (the nearest to lapsing) were left out.
    const clock = new FakeClock();
    const journal = new Journal(openDatabase(':memory:'), clock);
    for (let i = 0; i < 250; i++) {
      clock.advance(1000);
      const id = `pay_auth${String(i).padStart(8, '0')}`;
      journal.insertPayment(
        paymentFixture({
          id,
          orderReference: `ORD-${i}`,
          idempotencyKey: `k-${i}`,
          currency: i % 5 === 0 ? 'GBP' : 'EUR',
          status: i === 7 ? 'succeeded' : 'requires_capture',
          amountCapturable: i === 7 ? 0 : 1000 + i,
        }),
        'created',
      );
    }
    const first = journal.pageUncaptured(0, 100);
    expect(first.rows).toHaveLength(100);
    expect(first.rows[0]!.id).toBe('pay_auth00000000');
    expect(first.rows.map((r) => r.createdAt)).toEqual(first.rows.map((r) => r.createdAt).sort());
    const sum = (pick: (i: number) => boolean) =>
      Array.from({ length: 250 }, (_, i) => i)
        .filter((i) => i !== 7 && pick(i))
        .reduce((total, i) => total + 1000 + i, 0);
    expect(first.held).toEqual([
      { currency: 'EUR', count: 199, amount: sum((i) => i % 5 !== 0) },
      { currency: 'GBP', count: 50, amount: sum((i) => i % 5 === 0) },
    ]);
    const last = journal.pageUncaptured(200, 100);
    expect(last.rows.map((r) => r.id).at(-1)).toBe('pay_auth00000249');
    expect(last.rows).toHaveLength(49);
  });

  it('pages the split payments held first, with how many there are and what their held shares hold', () => {
    // A busy food court: the Settlements screen asked for 100 split payments and said nothing of
    // the rest, held shares among them.
    const clock = new FakeClock();
    const journal = new Journal(openDatabase(':memory:'), clock);
    for (let i = 0; i < 160; i++) {
      clock.advance(1000);
      const id = `pay_split${String(i).padStart(7, '0')}`;
      journal.insertPayment(
        paymentFixture({
          id,
          orderReference: `SPLIT-${i}`,
          idempotencyKey: `k-${i}`,
          currency: i % 4 === 0 ? 'EUR' : 'INR',
          // One the gateway never acknowledged has only the shares asked for: not listed.
          transactionId: i === 5 ? null : `v1-order-${i}`,
          // Paid (a payment not paid yet holds nothing).
          status: 'succeeded',
        }),
        'created',
      );
      const held = i % 3 === 0;
      journal.setSplits(id, [
        {
          splitId: `v1-order-${i}-a`,
          merchantId: '1324',
          settlementReference: null,
          amount: 1000 + i,
          onHold: true,
          status: held ? 'HOLD' : 'RELEASED',
          releasedAmount: held ? 0 : 1000 + i,
          refundedAmount: 0,
          releasableAmount: held ? 1000 + i : 0,
        },
        {
          splitId: `v1-order-${i}-b`,
          merchantId: '1233',
          settlementReference: null,
          amount: 500,
          onHold: false,
          status: 'RELEASED',
          releasedAmount: 500,
          refundedAmount: 0,
          releasableAmount: 0,
        },
      ]);
    }
    const listed = (i: number) => i !== 5;
    const held = (i: number) => listed(i) && i % 3 === 0;
    const first = journal.pageSplitPayments(0, 100);
    expect(first.total).toBe(159);
    expect(first.rows).toHaveLength(100);
    // Held first (54 of them), newest first within each group.
    expect(first.rows[0]!.id).toBe('pay_split0000159');
    expect(first.rows.slice(0, 54).every((r) => Number(r.id.slice(9)) % 3 === 0)).toBe(true);
    expect(first.rows[54]!.id).toBe('pay_split0000158');
    const sum = (pick: (i: number) => boolean) =>
      Array.from({ length: 160 }, (_, i) => i)
        .filter((i) => held(i) && pick(i))
        .reduce((total, i) => total + 1000 + i, 0);
    const count = (pick: (i: number) => boolean) =>
      Array.from({ length: 160 }, (_, i) => i).filter((i) => held(i) && pick(i)).length;
    expect(first.held).toEqual([
      { currency: 'EUR', count: count((i) => i % 4 === 0), amount: sum((i) => i % 4 === 0) },
      { currency: 'INR', count: count((i) => i % 4 !== 0), amount: sum((i) => i % 4 !== 0) },
    ]);
    const last = journal.pageSplitPayments(100, 100);
    expect(last.rows).toHaveLength(59);
    expect(new Set([...first.rows, ...last.rows].map((r) => r.id)).size).toBe(159);
    expect(journal.pageSplitPayments(0, 200, true).rows).toHaveLength(54);
    expect(journal.pageSplitPayments(0, 10, true).total).toBe(54);
  });

  it('counts no share of a payment whose outcome is unknown as held: it is not known yet until resolved', () => {
    // Found by review: a split payment the till does not know was charged (status unknown) counted
    // its held shares as money held for their merchants — money that may not exist.
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    const share = (id: string, merchantId: string, amount: number) => ({
      splitId: id,
      merchantId,
      settlementReference: null,
      amount,
      onHold: true,
      status: 'HOLD',
      releasedAmount: 0,
      refundedAmount: 0,
      releasableAmount: amount,
    });
    const add = (id: string, status: PaymentRecord['status']) => {
      journal.insertPayment(
        paymentFixture({
          id,
          orderReference: id,
          idempotencyKey: id,
          currency: 'INR',
          transactionId: `v1-${id}`,
          status,
        }),
        'created',
      );
      journal.setSplits(id, [share(`${id}-a`, 'M-1', 30_000), share(`${id}-b`, 'M-2', 10_000)]);
    };
    add('pay_unknown00001', 'unknown');
    add('pay_paid00000001', 'succeeded');
    const page = journal.pageSplitPayments(0, 100);
    expect(page.held).toEqual([{ currency: 'INR', count: 1, amount: 40_000 }]);
    expect(page.notKnown).toEqual([{ currency: 'INR', count: 1, amount: 40_000 }]);
    // Listed, after the held one; not among the held.
    expect(page.rows.map((r) => r.id)).toEqual(['pay_paid00000001', 'pay_unknown00001']);
    expect(journal.pageSplitPayments(0, 100, true).rows.map((r) => r.id)).toEqual(['pay_paid00000001']);
    const unknown = journal.getPayment('pay_unknown00001')!;
    const splits = journal.splitsOf(unknown.id);
    expect(heldOfShares(splits, unknown)).toEqual([0, 0]);
    const views = splits.map((s, i) => toSplitView(s, new Set(), unknown, 0, heldOfShares(splits, unknown)[i]));
    expect(views.map((v) => [v.held, v.outcomeUnknown, v.awaitingPayment, v.closed, v.next])).toEqual([
      [0, true, false, false, []],
      [0, true, false, false, []],
    ]);

    // Resolved as charged: held, whole. Resolved as never made: nothing, and no longer not known.
    journal.updatePayment(unknown.id, { status: 'succeeded', amountCaptured: 40_000 });
    expect(journal.pageSplitPayments(0, 100)).toMatchObject({
      held: [{ currency: 'INR', count: 2, amount: 80_000 }],
      notKnown: [],
    });
    const paid = journal.getPayment(unknown.id)!;
    expect(toSplitView(splits[0]!, new Set(), paid, 0, heldOfShares(splits, paid)[0]).outcomeUnknown).toBe(false);
    journal.updatePayment(unknown.id, { status: 'failed', amountCaptured: 0 });
    const failed = journal.getPayment(unknown.id)!;
    expect(heldOfShares(splits, failed)).toEqual([0, 0]);
    expect(journal.pageSplitPayments(0, 100)).toMatchObject({
      held: [{ currency: 'INR', count: 1, amount: 40_000 }],
      notKnown: [],
    });
  });

  it('keeps what a closed Z counted and learned otherwise after it: found never made, found charged', () => {
    // A payment's outcome learned after the Z of its day closed: the Z is never rewritten, the late
    // outcome is kept for the next report (docs/reports.md#corrections-to-earlier-days).
    const clock = new FakeClock(Date.parse('2026-03-29T10:00:00.000Z'));
    const journal = new Journal(openDatabase(':memory:'), clock);
    const add = (id: string, status: PaymentRecord['status'], origin: PaymentRecord['origin'] = 'local') =>
      journal.insertPayment(
        paymentFixture({ id, orderReference: id, idempotencyKey: id, status, origin, amount: 1250 }),
        'created',
      );
    add('pay_made00000001', 'succeeded');
    add('pay_declined0001', 'failed');
    add('pay_elsewhere001', 'succeeded', 'adopted');
    add('pay_refunded0001', 'succeeded');
    const z = (number: number, businessDate: string, windowStart: string, windowEnd: string) =>
      journal.insertZReport({
        mode: 'test',
        number,
        businessDate,
        windowStart,
        windowEnd,
        closedAt: windowEnd,
        closedBy: 'Sam',
        override: null,
        report: '{}',
        reconciliation: null,
        digest: `d${number}`,
      });
    z(1, '2026-03-29', '2026-03-28T23:00:00.000Z', '2026-03-29T12:00:00.000Z');
    clock.advance(3 * 3_600_000);
    add('pay_today0000001', 'succeeded');
    journal.updatePayment('pay_made00000001', { status: 'failed' }, 'failed');
    journal.updatePayment('pay_declined0001', { status: 'succeeded' }, 'succeeded');
    // Not this till's sale (no Z counted it), and one of the open day: nothing to correct.
    journal.updatePayment('pay_elsewhere001', { status: 'refunded' });
    journal.updatePayment('pay_elsewhere001', { status: 'failed' });
    journal.updatePayment('pay_today0000001', { status: 'failed' });
    // Nor a change that keeps it approved (a refund is money of the day, not a correction).
    journal.updatePayment('pay_refunded0001', { status: 'refunded', amountRefunded: 1250 });
    const open = journal.lateOutcomes('test', '2026-03-29T12:00:00.000Z', '2026-03-30T12:00:00.000Z');
    expect(open.map((o) => [o.paymentId, o.was, o.now, o.amount, o.zNumber, o.businessDate])).toEqual([
      ['pay_made00000001', 'succeeded', 'failed', -1250, 1, '2026-03-29'],
      ['pay_declined0001', 'failed', 'succeeded', 1250, 1, '2026-03-29'],
    ]);
    expect(journal.lateOutcomes('live', '2026-03-29T12:00:00.000Z', '2026-03-30T12:00:00.000Z')).toEqual([]);
    expect(journal.timeline('pay_made00000001').map((e) => e.event)).toContain('outcome_after_z');
    // Carried by the next Z: dropped with the next one recorded.
    z(2, '2026-03-30', '2026-03-29T12:00:00.000Z', '2026-03-29T16:00:00.000Z');
    clock.advance(3 * 3_600_000);
    journal.updatePayment('pay_made00000001', { status: 'succeeded' });
    expect(journal.lateOutcomes('test', '2026-03-29T16:00:00.000Z', '2026-03-31T00:00:00.000Z')).toEqual([
      expect.objectContaining({ paymentId: 'pay_made00000001', was: 'failed', now: 'succeeded', amount: 1250 }),
    ]);
    expect(journal.getSetting<unknown[]>('late_outcomes')).toHaveLength(1);
  });

  it('survives a reopen of the same file and lists unfinished payments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    dirs.push(dir);
    const path = join(dir, 'journal.db');
    const first = new Journal(openDatabase(path), new FakeClock());
    first.insertPayment(paymentFixture({ status: 'in_progress', transactionId: 'tx-1' }), 'created');
    first.insertPayment(
      paymentFixture({ id: 'pay_test00000002', orderReference: 'ORD-2', idempotencyKey: 'k2', status: 'succeeded' }),
      'created',
    );
    const db2 = openDatabase(path);
    const second = new Journal(db2, new FakeClock());
    expect(second.listPayments('unfinished', 10).map((p) => p.id)).toEqual(['pay_test00000001']);
    expect(second.countPayments()).toBe(2);
    db2.close();
  });

  it('refuses a database written by a newer version of the app', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    dirs.push(dir);
    const path = join(dir, 'journal.db');
    const db = openDatabase(path);
    new Journal(db, new FakeClock());
    db.exec(`PRAGMA user_version = ${JOURNAL_SCHEMA_VERSION + 1}`);
    db.close();
    const again = openDatabase(path);
    expect(() => new Journal(again, new FakeClock())).toThrow(SchemaTooNewError);
    expect(() => new Journal(again, new FakeClock())).toThrow(/newer version of this app/);
    again.close();
  });

  it('names a damaged file and leaves it untouched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    dirs.push(dir);
    const path = join(dir, 'journal.db');
    const garbage = Buffer.alloc(8192, 'not a database, but it was the journal ');
    writeFileSync(path, garbage);
    expect(() => openDatabase(path)).toThrow(UnreadableDatabaseError);
    expect(() => openDatabase(path)).toThrow(`The database ${path} cannot be read (file is not a database)`);
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

  it('names the file a full disk refused at start, instead of SQLite\'s "disk I/O error"', () => {
    // The disk is made "full" for a child process with a file size limit (ulimit -f, in KB): the
    // start stopped with "web mode failed to start: disk I/O error", naming no file.
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    dirs.push(dir);
    const host = resolve(__dirname, '../../main/host/host.ts');
    const script =
      `import(${JSON.stringify(host)}).then(async (m) => { try { await m.createHost({ dataDir: ${JSON.stringify(dir)} }); ` +
      `console.log('started'); } catch (e) { console.log(e.message); } })`;
    for (const limit of [50, 150]) {
      const run = spawnSync(
        'sh',
        ['-c', `ulimit -f ${limit}; exec "$0" --import tsx --eval "$1"`, process.execPath, script],
        {
          encoding: 'utf8',
        },
      );
      expect(run.stdout, run.stderr).toContain(
        `The database ${join(dir, 'journal.db')} cannot be written (disk I/O error): the disk it is on is full or failing.`,
      );
      rmSync(join(dir, 'journal.db'), { force: true });
    }
  });

  it('searches by order reference, txn reference and payment id prefixes', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    const paid = { status: 'succeeded' as const };
    journal.insertPayment(
      paymentFixture({ ...paid, orderReference: 'SHOP-100', reference: 'txn_abc', transactionId: 't1' }),
      'created',
    );
    journal.insertPayment(
      paymentFixture({
        ...paid,
        id: 'pay_zzz000000002',
        orderReference: 'SHOP-200',
        idempotencyKey: 'k2',
        reference: 'txn_def',
        transactionId: 't2',
      }),
      'created',
    );
    const search = (prefix: string, tillIdsOnly = false) =>
      journal
        .pageTransactions({
          gateway: 'plutopay',
          chargedBy: 'gateway',
          search: { prefix, tillIdsOnly },
          sortField: 'created_at',
          sortOrder: 'desc',
          page: 1,
          size: 10,
        })
        .rows.map((p) => p.orderReference);
    expect(search('SHOP-1')).toEqual(['SHOP-100']);
    expect(search('txn_d')).toEqual(['SHOP-200']);
    // A gateway that searches its own references: the till adds only its own ids' matches.
    expect(search('txn_d', true)).toEqual([]);
    expect(search('pay_zzz')).toEqual(['SHOP-200']);
    expect(search('%')).toEqual([]);
  });

  it('runs migrations numbered 1, 2, 3… without gaps; a gap or a step back is refused', () => {
    const db = openDatabase(':memory:');
    const ran: string[] = [];
    const step = (version: number, name: string) => ({ version, name, up: () => void ran.push(name) });
    expect(migrate(db, [step(1, 'one'), step(2, 'two'), step(3, 'three')])).toBe(3);
    expect(ran).toEqual(['one', 'two', 'three']);
    expect(db.prepare('PRAGMA user_version').get<{ user_version: number }>()!.user_version).toBe(3);
    expect(() => migrate(db, [step(1, 'one'), step(2, 'two'), step(4, 'four')])).toThrow(/out of order/);
    expect(() => migrate(db, [step(1, 'one'), step(3, 'three'), step(2, 'two')])).toThrow(/out of order/);
    expect(() => migrate(db, [step(1, 'one'), step(2, 'two')])).toThrow(SchemaTooNewError);
    db.close();
  });
});
