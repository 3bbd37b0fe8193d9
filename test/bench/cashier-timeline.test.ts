/** Figure 7's arithmetic on hand-made timelines: the paths, their breakdown, the page records. */
import { describe, expect, it } from 'vitest';
import { attribute, path1, path2, timelineProblems, type CashierTimeline } from './cashier-timeline';
import { assembleTimeline, PAGE_PROBE, type PageRecords } from './fig7-cashier';
import type { HostRecords } from './cashier-host';

/** One payment, in ms from Enter (round numbers so every part can be checked by hand). */
function timeline(): CashierTimeline {
  return {
    enter: 0,
    createSent: 1,
    createDispatched: 2,
    createAnswered: 10,
    createReceived: 11,
    processSent: 12,
    processDispatched: 13,
    readerHasAction: 25,
    decided: 26,
    approvedEmitted: 36,
    approvedReceived: 37,
    approvedShown: 38,
    spans: [
      // create: intent (2.5–4.5), the call (5–8), outcome (8.5–9.5)
      { name: 'journal.tx', start: 2.5, end: 4.5 },
      { name: 'journal.commit', start: 3.5, end: 4.5 },
      { name: 'gateway', start: 5, end: 8, detail: 'POST /v1/terminal/create-payment' },
      { name: 'journal.tx', start: 8.5, end: 9.5 },
      { name: 'journal.commit', start: 9, end: 9.5 },
      // process: intent (13.5–14.5), the push (15–18), its bookkeeping (18–20), the held poll
      // (started long before, answered at 21), the reader at 25
      { name: 'journal.tx', start: 13.5, end: 14.5 },
      { name: 'journal.commit', start: 14, end: 14.5 },
      { name: 'gateway', start: 15, end: 18, detail: 'POST /v1/terminal/process-payment' },
      { name: 'journal.tx', start: 18, end: 20 },
      { name: 'journal.commit', start: 19, end: 20 },
      { name: 'gateway', start: -500, end: 21, detail: 'GET /v1/terminal/link/poll' },
      // stages between the paths (not on either)
      { name: 'journal.tx', start: 25, end: 25.5 },
      // path 2: device outcome (27–28), result POST (29–33), accepted (33.5–35)
      { name: 'journal.tx', start: 27, end: 28 },
      { name: 'journal.commit', start: 27.5, end: 28 },
      { name: 'gateway', start: 29, end: 33, detail: 'POST /v1/terminal/link/actions/act_1/result' },
      { name: 'journal.tx', start: 33.5, end: 35 },
      { name: 'journal.commit', start: 34.5, end: 35 },
    ],
  };
}

describe('attributing a window', () => {
  it('gives overlaps to the first label in priority and the rest to the remainder; the parts sum to the window', () => {
    const parts = attribute(
      { start: 0, end: 10 },
      [
        { label: 'gateway', start: 2, end: 6 },
        { label: 'journal', start: 5, end: 7 },
        { label: 'journal', start: -5, end: 1 },
        { label: 'gateway', start: 20, end: 30 },
      ],
      ['journal', 'gateway'],
      'host',
    );
    expect(parts).toEqual({ journal: 3, gateway: 3, host: 4 });
    expect(attribute({ start: 5, end: 5 }, [], ['journal'], 'host')).toEqual({ journal: 0, host: 0 });
  });
});

describe('the two paths', () => {
  it('path 1: Enter → reader, cut at the page, the bridge and the host, with the poll wait after the push', () => {
    const p = path1(timeline());
    expect(p.total).toBe(25);
    expect(p.parts).toEqual({
      renderer: 1 + 1,
      bridge: 1 + 1 + 1,
      journal: 2 + 1 + 1 + 2,
      gateway: 3 + 3,
      link: 1,
      host: 8 - 3 - 3 + (12 - 3 - 3 - 1),
    });
    const sum = Object.values(p.parts).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(p.total, 9);
    expect(p).toMatchObject({ commitMs: 3, commits: 4, roundTrip: 3 });
  });

  it('path 1 in one command: the create names the reader, the host sends it on before answering', () => {
    // The same host work without the page's round trip: create's call, then the push, inside one dispatch.
    const t: CashierTimeline = {
      ...timeline(),
      processSent: NaN,
      processDispatched: NaN,
      createAnswered: 21.5,
      createReceived: 22.5,
      readerHasAction: 22,
      spans: timeline().spans.map((s) =>
        s.start >= 13 && s.end <= 21 ? { ...s, start: s.start - 3, end: s.end - 3 } : s,
      ),
    };
    expect(timelineProblems(t)).toEqual([]);
    const p = path1(t);
    expect(p.total).toBe(22);
    expect(p.parts.renderer).toBe(1);
    expect(p.parts.bridge).toBe(1);
    expect(p.parts.gateway).toBe(3 + 3);
    const sum = Object.values(p.parts).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(p.total, 9);
    expect(p.roundTrip).toBeUndefined();
  });

  it('path 2: decided → Approved shown, with the result POST and the two transactions around it', () => {
    const p = path2(timeline());
    expect(p.total).toBe(12);
    expect(p.parts).toEqual({ journal: 2.5, gateway: 4, host: 10 - 2.5 - 4, bridge: 1, render: 1 });
    expect(p).toMatchObject({ commitMs: 1, commits: 2 });
  });

  it('a held poll answering before the push is not a wait', () => {
    const t = timeline();
    t.spans = t.spans.map((s) => (s.detail === 'GET /v1/terminal/link/poll' ? { ...s, end: 17 } : s));
    expect(path1(t).parts.link).toBe(0);
  });

  it('says what is missing or out of order (across the clocks, within a millisecond is allowed)', () => {
    expect(timelineProblems(timeline())).toEqual([]);
    expect(timelineProblems({ ...timeline(), approvedShown: NaN })).toEqual(['approvedShown missing']);
    expect(timelineProblems({ ...timeline(), createDispatched: 0.5 })).toEqual([]);
    expect(timelineProblems({ ...timeline(), createDispatched: -1 })).toEqual([
      'createDispatched (-1) before createSent (1)',
    ]);
  });
});

describe("the page's and the host's records", () => {
  const page: PageRecords = {
    sends: [
      [1000.5, JSON.stringify({ type: 'invoke', id: 7, name: 'payments.create', input: {} })],
      [1011.5, JSON.stringify({ type: 'invoke', id: 8, name: 'payments.process', input: {} })],
    ],
    receives: [
      [
        1009,
        JSON.stringify({
          type: 'event',
          event: { seq: 40, type: 'payment', payment: { id: 'pay_1', status: 'pending' } },
        }),
      ],
      [1010.5, JSON.stringify({ type: 'result', id: 7, result: { ok: true, value: { id: 'pay_1' } } })],
      [1036, JSON.stringify({ type: 'event', event: { seq: 45, type: 'log', entry: {} } })],
      [
        1036.5,
        JSON.stringify({
          type: 'event',
          event: { seq: 46, type: 'payment', payment: { id: 'pay_1', status: 'succeeded' } },
        }),
      ],
    ],
    enters: [[1000, 999.6]],
    approved: [1037.5],
  };
  const host: HostRecords = {
    dispatches: [
      { name: 'payments.create', start: 1001, end: 1010, paymentId: 'pay_1' },
      { name: 'payments.process', start: 1012, end: 1020, paymentId: null },
    ],
    emitted: [
      { seq: 45, at: 1035.5, type: 'log' },
      { seq: 46, at: 1036, type: 'payment' },
    ],
    spans: [],
    collects: [{ at: 1024, amount: 1250, decided: 1025 }],
    cpuMs: 3,
  };

  it('finds each moment: the commands by name, the answer by id, the approval by payment and status', () => {
    const { timeline: t, inputDelayMs } = assembleTimeline(page, host, 0);
    expect(t).toMatchObject({
      enter: 1000,
      createSent: 1000.5,
      createDispatched: 1001,
      createAnswered: 1010,
      createReceived: 1010.5,
      processSent: 1011.5,
      processDispatched: 1012,
      readerHasAction: 1024,
      decided: 1025,
      approvedEmitted: 1036,
      approvedReceived: 1036.5,
      approvedShown: 1037.5,
    });
    expect(inputDelayMs).toBeCloseTo(0.4, 9);
    expect(timelineProblems(t)).toEqual([]);
  });

  it("shifts the page's stamps by the clocks' offset", () => {
    const { timeline: t } = assembleTimeline(page, host, 0.25);
    expect(t.enter).toBe(999.75);
    expect(t.createDispatched).toBe(1001);
  });

  it('the page probe is plain JavaScript the page can run', () => {
    expect(() => new Function(PAGE_PROBE)).not.toThrow();
  });
});
