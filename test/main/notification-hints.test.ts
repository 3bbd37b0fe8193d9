import { describe, expect, it } from 'vitest';
import { NotificationHints } from '../../main/payments/hints';
import { FakeClock } from '../support/fake-clock';

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
