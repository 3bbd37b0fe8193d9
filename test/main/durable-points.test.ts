/**
 * The durable points of a payment (docs/reliability.md#durable-points): a card payment fsyncs its
 * journal only for the intents and outcomes that make exactly-once hold — the create's key, the
 * push to the reader, the card's outcome from the device, the payment's final outcome — and writes
 * its progress (the create's and the push's answers, the reader's stages) without a fsync of its
 * own. A journal in 'full' durability on disk, as shipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/store/sqlite';
import { startTestHost, waitFor, type TestHost } from '../support/host';

describe('durable points of a card payment', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function till(): Promise<TestHost> {
    const dir = mkdtempSync(join(tmpdir(), 'durable-points-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const t = await startTestHost({ dataDir: dir, tuning: { durability: 'full', simulatedProcessingMs: 0 } });
    cleanup.push(() => t.close());
    return t;
  }

  /**
   * One payment on the simulated reader, until the host has nothing left to do for it: at least
   * `fsyncs` synced commits made (a busy machine may take a while to write the last one), then no
   * commit for 100 ms (one more would show as a count above it).
   */
  async function pay(t: TestHost, captureMethod: 'automatic' | 'manual', fsyncs: number) {
    const reader = await t.onlineReader();
    const before = t.host.commitStats();
    const created = await t.call('payments.create', { amount: 1_250, currency: 'USD', captureMethod });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    const done = captureMethod === 'automatic' ? 'succeeded' : 'requires_capture';
    await t.waitForPayment(created.id, (p) => p.status === done && p.queuedOperations === 0);
    if (captureMethod === 'manual') await t.call('payments.capture', { paymentId: created.id });
    // The last commit is the one that shows the outcome; then the host has nothing left to write.
    await waitFor(
      () => t.host.commitStats().syncedCommits - before.syncedCommits >= fsyncs,
      5_000,
      `${fsyncs} synced commits`,
    );
    let last = t.host.commitStats().commits;
    await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = t.host.commitStats().commits;
        const quiet = now === last;
        last = now;
        return quiet;
      },
      5_000,
      'the journal to be quiet',
    );
    const after = t.host.commitStats();
    return { commits: after.commits - before.commits, synced: after.syncedCommits - before.syncedCommits };
  }

  it('fsyncs four times for an automatic-capture payment, and writes its progress without fsync', async () => {
    const t = await till();
    await pay(t, 'automatic', 4); // the first one also pairs nothing new, but warms the reader's link
    const counted = await pay(t, 'automatic', 4);
    // create intent · push intent · the device's outcome (before it is reported) · the final outcome
    expect(counted.synced).toBe(4);
    // create answer · push answer · waiting for card · card presented: committed, not fsynced
    expect(counted.commits - counted.synced).toBeGreaterThanOrEqual(3);
  });

  it('a manual capture adds its intent and its outcome', async () => {
    const t = await till();
    await pay(t, 'automatic', 4);
    expect((await pay(t, 'manual', 6)).synced).toBe(6);
  });

  it("keeps the safety level 'full' outside an unsynced transition, and restores it after a failed one", () => {
    const dir = mkdtempSync(join(tmpdir(), 'durable-sqlite-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = openDatabase(join(dir, 'j.db'));
    cleanup.push(() => db.close());
    const level = () => db.prepare('PRAGMA synchronous').get<{ synchronous: number }>()!.synchronous;
    db.exec('CREATE TABLE t (x INTEGER)');
    const FULL = 2;
    const NORMAL = 1;
    expect(level()).toBe(FULL);
    let inside = -1;
    db.transaction(
      () => {
        db.prepare('INSERT INTO t VALUES (1)').run();
        inside = level();
      },
      { sync: false },
    );
    expect(inside).toBe(NORMAL);
    expect(level()).toBe(FULL);
    expect(() =>
      db.transaction(
        () => {
          db.prepare('INSERT INTO t VALUES (2)').run();
          throw new Error('refused');
        },
        { sync: false },
      ),
    ).toThrow('refused');
    expect(level()).toBe(FULL);
    // Nested in a synced transition, an unsynced one joins it: both are durable together.
    const before = db.stats.syncedCommits;
    db.transaction(() => db.transaction(() => db.prepare('INSERT INTO t VALUES (3)').run(), { sync: false }));
    expect(db.stats.syncedCommits).toBe(before + 1);
    expect(db.prepare('SELECT x FROM t ORDER BY x').all()).toEqual([{ x: 1 }, { x: 3 }]);
  });
});
