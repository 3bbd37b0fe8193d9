import { describe, expect, it } from 'vitest';
import { NotificationHints } from '../../main/payments/hints';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';
import { FakeGateway } from '../support/fake-gateway';
import { paymentTill, settle } from '../support/payment-till';

/** A read the test finishes by hand, counting how many were started per key. */
function reads() {
  const started: string[] = [];
  const finish: (() => void)[] = [];
  const read = (key: string) => () => {
    started.push(key);
    return new Promise<void>((resolve) => finish.push(resolve));
  };
  const settle = async () => {
    for (const done of finish.splice(0)) done();
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return { started, read, settle };
}

describe('notification hints', () => {
  it('reads the first hint for a payment at once, and coalesces the ones arriving meanwhile into one', async () => {
    const hints = new NotificationHints(new FakeClock());
    const r = reads();
    expect(hints.hint('payment:a', r.read('a'))).toBe('read');
    expect(r.started).toEqual(['a']);
    for (let i = 0; i < 50; i++) expect(hints.hint('payment:a', r.read('a'))).toBe('coalesced');
    // Another payment is not held up by the first.
    expect(hints.hint('payment:b', r.read('b'))).toBe('read');
    expect(r.started).toEqual(['a', 'b']);
    // The read under way may have been answered before the change a later hint is about: one more.
    await r.settle();
    expect(r.started).toEqual(['a', 'b', 'a']);
    await r.settle();
    expect(r.started).toEqual(['a', 'b', 'a']);
    // Quiet again: the next hint is read at once.
    expect(hints.hint('payment:a', r.read('a'))).toBe('read');
    expect(r.started).toHaveLength(4);
  });

  it('keeps every hint within a budget, and reads the deferred ones once it allows', async () => {
    const clock = new FakeClock();
    const hints = new NotificationHints(clock, 3, 1_000);
    const r = reads();
    // Distinct ids, each finishing at once: only the burst is read.
    for (let i = 0; i < 100; i++) {
      hints.hint(`payment:${i % 10}`, r.read(String(i % 10)));
      await r.settle();
    }
    expect(r.started).toEqual(['0', '1', '2']);
    // The rest wait, each once: one more read per second.
    clock.advance(1_000);
    await r.settle();
    expect(r.started).toEqual(['0', '1', '2', '3']);
    clock.advance(60_000);
    for (let i = 0; i < 20; i++) await r.settle();
    // Every payment hinted at is read in the end, none more than twice (a burst read, then its wait).
    expect(new Set(r.started).size).toBe(10);
    expect(r.started.length).toBeLessThanOrEqual(13);
    // The clock is asked for nothing more: nothing waits.
    expect(clock.pending).toBe(0);
  });

  it('forgets what waits when closed', () => {
    const clock = new FakeClock();
    const hints = new NotificationHints(clock, 1, 1_000);
    const r = reads();
    hints.hint('payment:a', r.read('a'));
    hints.hint('payment:b', r.read('b'));
    hints.close();
    clock.advance(10_000);
    expect(r.started).toEqual(['a']);
  });
});

describe('a payment a notification named, kept in the journal until read', () => {
  /** A till with one payment the gateway made, and what its journal keeps as still to read. */
  async function till() {
    const gateway = new FakeGateway();
    const t = paymentTill(openDatabase(':memory:'), new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0)), gateway);
    const made = await t.service.commands.create({ amount: 1000, currency: 'EUR', captureMethod: 'automatic' });
    const unread = () => t.journal.getSetting<string[]>('notifications.unread') ?? [];
    /** Holds the next read of the payment until the returned function is called. */
    const holdRead = () => {
      let release!: () => void;
      gateway.holdRetrieve(made.transactionId!, 0, new Promise<void>((resolve) => (release = resolve)));
      return () => release();
    };
    return { ...t, made, unread, holdRead };
  }

  it('a read under way lets go only of what was noted before it began: a notification noted meanwhile is kept', async () => {
    // Found in review of the kill -9 fix: recovery's read at start, answered after a new notification
    // was noted, let go of it; killed before that notification's own read, the till forgot it.
    const t = await till();
    // Noted by a till killed before its read: this start's recovery reads it.
    t.service.noteNotified(t.made.transactionId!);
    const releaseRecovery = t.holdRead();
    const recovering = t.service.recovery.recover();
    await settle();
    // Meanwhile the payment changes at the gateway, and its notification is noted and taken.
    t.service.noteNotified(t.made.transactionId!);
    expect(t.service.notified(t.made.transactionId!)).toBe('read');
    const releaseHint = t.holdRead();
    releaseRecovery();
    await recovering;
    await settle();
    // Recovery's read may have been answered before the change: the payment is still to read.
    expect(t.unread()).toEqual([t.made.id]);
    releaseHint();
    await settle();
    expect(t.unread()).toEqual([]);
    t.close();
  });
});
