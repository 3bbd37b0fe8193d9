/**
 * The journal and SQLite changes made to meet figure 4 (and 1) keep their meaning: search finds
 * the same payments by either plan, newest first, case-insensitively; the 'unfinished' filter
 * still sees every kind of unfinished payment; writes' consequences wait for the commit.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { Journal, newPaymentRecord } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { ManualClock, seedJournal } from './seed';

function journalWith(count: number): { journal: Journal; clock: ManualClock } {
  const db = openDatabase(':memory:', { durability: 'normal' });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const journal = new Journal(db, clock);
  seedJournal(journal, clock, { count, endAt: Date.UTC(2026, 0, 1), orderPrefix: 'SHOP' });
  return { journal, clock };
}

/** The Transactions screen's search of the journal: newest first, `size` a page. */
function search(journal: Journal, prefix: string, size: number, page = 1) {
  return journal.pageTransactions({
    gateway: 'plutopay',
    chargedBy: 'gateway',
    search: { prefix },
    sortField: 'created_at',
    sortOrder: 'desc',
    page,
    size,
  });
}
const ids = (found: { rows: { id: string }[] }) => found.rows.map((p) => p.id);
const orders = (found: { rows: { orderReference: string }[] }) => found.rows.map((p) => p.orderReference);

describe('journal search (both plans)', () => {
  it('a narrow prefix finds its payments through the indexes, any case, counted', () => {
    const { journal } = journalWith(3_000);
    expect(orders(search(journal, 'SHOP-0001234', 50))).toEqual(['SHOP-0001234']);
    const ten = search(journal, 'shop-000123', 50);
    expect(orders(ten)).toEqual(Array.from({ length: 10 }, (_, i) => `SHOP-000123${9 - i}`));
    expect(ten).toMatchObject({ total: 10, more: false });
    // Paged: the second page of four starts where the first stopped.
    expect(orders(search(journal, 'shop-000123', 4, 2))).toEqual([
      'SHOP-0001235',
      'SHOP-0001234',
      'SHOP-0001233',
      'SHOP-0001232',
    ]);
    const one = journal.listPayments('all', 1)[0]!;
    expect(ids(search(journal, one.reference!.toUpperCase(), 5))).toEqual([one.id]);
    expect(ids(search(journal, one.id, 5))).toEqual([one.id]);
    expect(search(journal, 'NOPE', 5)).toEqual({ rows: [], total: 0, more: false });
    expect(search(journal, '%', 5).rows).toEqual([]);
    expect(search(journal, '_', 5).rows).toEqual([]);
  });

  it('a broad prefix (more than 2 000 matches) walks the newest first, a page at a time, saying more follow', () => {
    const { journal } = journalWith(3_000);
    const newest = journal.listPayments('all', 100).map((p) => p.id);
    // "txn_" matches all 3 000 references, "shop-" all 3 000 orders: the walk plan.
    expect(ids(search(journal, 'txn_', 50))).toEqual(newest.slice(0, 50));
    expect(search(journal, 'shop-', 50)).toMatchObject({ total: 51, more: true });
    expect(ids(search(journal, 'shop-', 50, 2))).toEqual(newest.slice(50, 100));
    expect(orders(search(journal, 'SHOP-00', 7))).toEqual(
      Array.from({ length: 7 }, (_, i) => `SHOP-${String(2_999 - i).padStart(7, '0')}`),
    );
  });
});

describe("journal 'unfinished' filter", () => {
  it('sees payments that are open, unpaid links, need attention, or have an operation not yet confirmed', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    const base = {
      gateway: 'plutopay' as const,
      mode: 'test' as const,
      attempt: 1,
      origin: 'local' as const,
      amount: 1000,
      currency: 'EUR',
      captureMethod: 'automatic' as const,
    };
    const add = (
      id: string,
      status: 'succeeded' | 'in_progress' | 'creating' | 'unknown' | 'failed' | 'pending',
      extra = {},
    ) =>
      journal.insertPayment(
        newPaymentRecord({ ...base, id, orderReference: `o-${id}`, idempotencyKey: `k-${id}`, status, ...extra }),
        'created',
      );
    add('pay_done', 'succeeded');
    add('pay_open', 'in_progress');
    add('pay_creating', 'creating');
    add('pay_unknown', 'unknown');
    add('pay_flagged', 'failed', { attentionSince: '2026-01-01T00:00:00Z', attentionReason: 'look' });
    add('pay_queued', 'succeeded');
    // A link the customer may still pay is unfinished; a card payment not on a reader is not.
    add('pay_link', 'pending', { channel: 'link' });
    add('pay_card', 'pending');
    journal.addOperation('pay_queued', 'refund', 'refund-1', { amount: 100 });
    const done = journal.addOperation('pay_done', 'capture', 'capture-1', {});
    journal.updateOperation(done.id, { state: 'done' });
    expect(new Set(journal.listPayments('unfinished', 100).map((p) => p.id))).toEqual(
      new Set(['pay_open', 'pay_creating', 'pay_unknown', 'pay_flagged', 'pay_queued', 'pay_link']),
    );
    expect(journal.listPayments('attention', 10).map((p) => p.id)).toEqual(['pay_flagged']);
    expect(journal.countQueuedOperations('pay_queued', ['refund'])).toBe(0); // not failed yet: not "queued"
    // At the next start, one a stopped launch was still sending counts as queued.
    expect(journal.markInterrupted(['refund'], 'stopped')).toBe(1);
    expect(journal.countQueuedOperations('pay_queued', ['capture', 'refund'])).toBe(1);
    journal.updateOperation(journal.getOperationByKey('refund-1')!.id, { lastError: 'offline' });
    expect(journal.markInterrupted(['refund'], 'stopped')).toBe(0);
    expect(journal.countQueuedOperations('pay_queued', ['capture', 'refund'])).toBe(1);
    expect(journal.countQueuedOperations('pay_queued', ['capture'])).toBe(0);
  });

  it('an operation added as being sent records its first attempt in the same write', () => {
    const journal = new Journal(openDatabase(':memory:'), new FakeClock());
    journal.insertPayment(
      newPaymentRecord({
        id: 'pay_x',
        gateway: 'plutopay',
        mode: 'test',
        orderReference: 'o',
        attempt: 1,
        idempotencyKey: 'k',
        origin: 'local',
        amount: 100,
        currency: 'EUR',
        captureMethod: 'automatic',
        status: 'creating',
      }),
      'created',
    );
    expect(journal.addOperation('pay_x', 'create', 'k', {}, { sending: true }).attempts).toBe(1);
    expect(journal.addOperation('pay_x', 'capture', 'c', {}).attempts).toBe(0);
  });
});

describe('afterCommit', () => {
  it('runs after the outermost commit, at once outside a transaction, never after a rollback', () => {
    const db = openDatabase(':memory:');
    db.exec('CREATE TABLE t (v INTEGER)');
    const seen: string[] = [];
    db.afterCommit(() => seen.push('outside'));
    db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      db.afterCommit(() =>
        seen.push(`outer sees ${db.prepare('SELECT COUNT(*) AS n FROM t').get<{ n: number }>()!.n}`),
      );
      db.transaction(() => db.afterCommit(() => seen.push('nested')));
      seen.push('before commit');
    });
    expect(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO t VALUES (2)').run();
        db.afterCommit(() => seen.push('rolled back'));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    db.transaction(() => db.afterCommit(() => seen.push('next')));
    expect(seen).toEqual(['outside', 'before commit', 'outer sees 1', 'nested', 'next']);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get<{ n: number }>()!.n).toBe(1);
    expect(() => db.transaction(() => Promise.resolve(1))).toThrow(/cannot return a promise/);
  });
});
