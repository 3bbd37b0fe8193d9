/**
 * The reader link's long poll, end to end (host against the sandbox), traced with the opt-in
 * tracer: a payment pushed while the reader's poll is held reaches the reader on that very poll —
 * it does not wait for a later one. (The sandbox side, on a fake clock, is in
 * test/sandbox/reader-link.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTraceSink, type TraceSpan } from '../../main/core/trace';
import { startTestHost, waitFor } from '../support/host';

afterEach(() => {
  setTraceSink(null);
});

describe('the reader link, traced', () => {
  it('a pushed payment reaches the reader over the long poll already held when it was pushed', async () => {
    // Polls held for 25 s: an answer within this test can only come from the push itself.
    const t = await startTestHost({ tuning: { pollWaitMs: 25_000 } });
    try {
      const reader = await t.onlineReader();
      // Online is said before the link's first poll, which the sandbox answers at once (it asks no
      // version); the poll it then holds is sent as that answer is read, which lastSeenAt marks. On a
      // busy machine the push could otherwise go out before the held poll.
      await waitFor(
        async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.lastSeenAt !== null),
        5_000,
        'the link polled once',
      );
      const created = await t.call('payments.create', { amount: 1250, currency: 'EUR' });
      const spans: TraceSpan[] = [];
      setTraceSink((span) => spans.push(span));
      await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
      await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
      setTraceSink(null);
      const gateway = spans.filter((s) => s.name === 'gateway');
      const push = gateway.find((s) => s.detail === 'POST /v1/terminal/process-payment');
      expect(push).toBeDefined();
      const polls = gateway.filter((s) => s.detail === 'GET /v1/terminal/link/poll');
      // The first poll to answer after the push went out is the one that carried the action: it
      // had been held since before the push, and no other poll was opened in between.
      const delivering = polls.filter((s) => s.end > push!.start).sort((a, b) => a.end - b.end)[0];
      expect(delivering).toBeDefined();
      expect(delivering!.start).toBeLessThan(push!.start);
      expect(polls.filter((s) => s.start > push!.start && s.start < delivering!.end)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
