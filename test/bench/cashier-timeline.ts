/**
 * Figure 7's arithmetic, pure so it is unit-tested: one cashier payment's timestamps (page and
 * host, on one clock) → its two paths and where their time went.
 *
 * Path 1, Enter → the reader has the action:
 *   enter ─renderer─ createSent ─bridge─ createDispatched ─host─ createAnswered ─bridge─
 *   createReceived ─renderer─ processSent ─bridge─ processDispatched ─host─ readerHasAction
 * Path 2, the reader decides approval → the Process screen shows Approved:
 *   decided ─host─ approvedEmitted ─bridge─ approvedReceived ─renderer─ approvedShown
 *
 * Inside the host's stretches the host thread's time is attributed, in this order of priority, to
 * a journal transaction (BEGIN … COMMIT, the fsync included), a gateway call on the path (the
 * call's whole span: the in-process sandbox's own work is in it, as it is in the floor), the link
 * poll wait (from process-payment's answer until the held long poll has delivered the action),
 * and otherwise host work (validation, views, events, the reader controller, the simulated card's
 * 0 ms timer).
 */

export interface Span {
  name: string;
  start: number;
  end: number;
  detail?: string;
}

/** One cashier payment's moments, all in ms on one clock. */
export interface CashierTimeline {
  /** The page's keydown handler for Enter on the Create payment screen. */
  enter: number;
  /** The page hands `payments.create` to its WebSocket. */
  createSent: number;
  /** The host's dispatch of it starts / its answer is handed to the WebSocket. */
  createDispatched: number;
  createAnswered: number;
  /** The page receives the answer. */
  createReceived: number;
  /** The page hands `payments.process` to its WebSocket; the host's dispatch of it starts. */
  processSent: number;
  processDispatched: number;
  /** The simulated reader's collect() is called with the amount. */
  readerHasAction: number;
  /** The card was presented and the reader decided: approved. */
  decided: number;
  /** The host hands the payment event saying succeeded to the bridge. */
  approvedEmitted: number;
  /** The page receives that event. */
  approvedReceived: number;
  /** The Process screen's status reads "Approved" (MutationObserver, after React's commit). */
  approvedShown: number;
  /** The host's trace spans ('gateway', 'journal.tx', 'journal.commit'), on the same clock. */
  spans: Span[];
}

export const PATH1_PARTS = ['renderer', 'bridge', 'host', 'journal', 'gateway', 'link'] as const;
export const PATH2_PARTS = ['host', 'journal', 'gateway', 'bridge', 'render'] as const;
export type Path1Part = (typeof PATH1_PARTS)[number];
export type Path2Part = (typeof PATH2_PARTS)[number];

export interface PathBreakdown<P extends string> {
  total: number;
  parts: Record<P, number>;
  /** Of `journal`: the COMMITs alone (the fsyncs with durability 'full'). */
  commitMs: number;
  /** Journal transactions that ended on the path. */
  commits: number;
  /**
   * Path 1 only: of `bridge` and `renderer`, the page round trip between the two commands (the
   * create's answer to the page, the page's work, the process command to the host).
   */
  roundTrip?: number;
}

interface Interval {
  start: number;
  end: number;
}

interface Labeled extends Interval {
  label: string;
}

/**
 * Splits a window of time among labeled intervals by priority (the first label in `priority`
 * wins where intervals overlap); time no interval covers goes to `rest`. Sums to the window.
 */
export function attribute(
  window: Interval,
  intervals: readonly Labeled[],
  priority: readonly string[],
  rest: string,
): Record<string, number> {
  const out: Record<string, number> = { [rest]: 0 };
  for (const label of priority) out[label] = 0;
  if (!(window.end > window.start)) return out;
  const clipped = intervals
    .map((i) => ({ label: i.label, start: Math.max(i.start, window.start), end: Math.min(i.end, window.end) }))
    .filter((i) => i.end > i.start);
  const points = [...new Set([window.start, window.end, ...clipped.flatMap((i) => [i.start, i.end])])].sort(
    (a, b) => a - b,
  );
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k]!;
    const b = points[k + 1]!;
    const mid = (a + b) / 2;
    const covering = clipped.filter((i) => i.start <= mid && mid < i.end).map((i) => i.label);
    const label = priority.find((p) => covering.includes(p)) ?? rest;
    out[label] = (out[label] ?? 0) + (b - a);
  }
  return out;
}

function gatewaySpan(spans: readonly Span[], detail: string, within: Interval): Span | undefined {
  return spans.find(
    (s) => s.name === 'gateway' && s.detail === detail && s.start >= within.start && s.end <= within.end,
  );
}

function journalIntervals(spans: readonly Span[]): Labeled[] {
  return spans.filter((s) => s.name === 'journal.tx').map((s) => ({ label: 'journal', start: s.start, end: s.end }));
}

function commitStats(spans: readonly Span[], windows: readonly Interval[]): { commitMs: number; commits: number } {
  let commitMs = 0;
  let commits = 0;
  for (const s of spans) {
    if (s.name !== 'journal.commit') continue;
    for (const w of windows) {
      const overlap = Math.min(s.end, w.end) - Math.max(s.start, w.start);
      if (overlap > 0) commitMs += overlap;
      if (s.end > w.start && s.end <= w.end) commits++;
    }
  }
  return { commitMs, commits };
}

const POLL = 'GET /v1/terminal/link/poll';
const PROCESS = 'POST /v1/terminal/process-payment';
const CREATE = 'POST /v1/terminal/create-payment';
const RESULT = /^POST \/v1\/terminal\/link\/actions\/[^/]+\/result$/;

/** The page sent `payments.process` itself, after the create's answer (else the create named the reader). */
function twoCommands(t: CashierTimeline): boolean {
  return Number.isFinite(t.processSent) && Number.isFinite(t.processDispatched);
}

/**
 * Path 1: Enter → the simulated reader has the amount. Either one command (the create names the
 * reader and the host sends it on) or two (create, then the page's process).
 */
export function path1(t: CashierTimeline): PathBreakdown<Path1Part> {
  if (!twoCommands(t)) return path1OneCommand(t);
  const total = t.readerHasAction - t.enter;
  const renderer = t.createSent - t.enter + (t.processSent - t.createReceived);
  const bridge =
    t.createDispatched - t.createSent + (t.createReceived - t.createAnswered) + (t.processDispatched - t.processSent);
  const journal = journalIntervals(t.spans);
  const createWindow = { start: t.createDispatched, end: t.createAnswered };
  const processWindow = { start: t.processDispatched, end: t.readerHasAction };
  const create = gatewaySpan(t.spans, CREATE, createWindow);
  const push = gatewaySpan(t.spans, PROCESS, processWindow);
  // The held poll that delivered the action ends inside the window; it started long before.
  const poll = t.spans.find(
    (s) => s.name === 'gateway' && s.detail === POLL && s.end > processWindow.start && s.end <= processWindow.end,
  );
  const gateway: Labeled[] = [create, push]
    .filter((s): s is Span => s !== undefined)
    .map((s) => ({ ...s, label: 'gateway' }));
  const link: Labeled[] =
    push && poll && poll.end > push.end ? [{ label: 'link', start: push.end, end: poll.end }] : [];
  const priority = ['journal', 'gateway', 'link'];
  const first = attribute(createWindow, [...journal, ...gateway], priority, 'host');
  const second = attribute(processWindow, [...journal, ...gateway, ...link], priority, 'host');
  const parts: Record<Path1Part, number> = {
    renderer,
    bridge,
    host: first.host! + second.host!,
    journal: first.journal! + second.journal!,
    gateway: first.gateway! + second.gateway!,
    link: first.link! + second.link!,
  };
  const roundTrip = t.processDispatched - t.createAnswered;
  return { total, parts, ...commitStats(t.spans, [createWindow, processWindow]), roundTrip };
}

function path1OneCommand(t: CashierTimeline): PathBreakdown<Path1Part> {
  const total = t.readerHasAction - t.enter;
  const hostWindow = { start: t.createDispatched, end: t.readerHasAction };
  const create = gatewaySpan(t.spans, CREATE, hostWindow);
  const push = gatewaySpan(t.spans, PROCESS, hostWindow);
  const poll = t.spans.find(
    (s) => s.name === 'gateway' && s.detail === POLL && s.end > hostWindow.start && s.end <= hostWindow.end,
  );
  const gateway: Labeled[] = [create, push]
    .filter((s): s is Span => s !== undefined)
    .map((s) => ({ ...s, label: 'gateway' }));
  const link: Labeled[] =
    push && poll && poll.end > push.end ? [{ label: 'link', start: push.end, end: poll.end }] : [];
  const host = attribute(
    hostWindow,
    [...journalIntervals(t.spans), ...gateway, ...link],
    ['journal', 'gateway', 'link'],
    'host',
  );
  const parts: Record<Path1Part, number> = {
    renderer: t.createSent - t.enter,
    bridge: t.createDispatched - t.createSent,
    host: host.host!,
    journal: host.journal!,
    gateway: host.gateway!,
    link: host.link!,
  };
  return { total, parts, ...commitStats(t.spans, [hostWindow]) };
}

/** Path 2: the reader decides approval → the Process screen shows Approved. */
export function path2(t: CashierTimeline): PathBreakdown<Path2Part> {
  const total = t.approvedShown - t.decided;
  const hostWindow = { start: t.decided, end: t.approvedEmitted };
  const result = t.spans.find(
    (s) =>
      s.name === 'gateway' &&
      s.detail !== undefined &&
      RESULT.test(s.detail) &&
      s.start >= hostWindow.start &&
      s.end <= hostWindow.end,
  );
  const gateway: Labeled[] = result ? [{ ...result, label: 'gateway' }] : [];
  const host = attribute(hostWindow, [...journalIntervals(t.spans), ...gateway], ['journal', 'gateway'], 'host');
  const parts: Record<Path2Part, number> = {
    host: host.host!,
    journal: host.journal!,
    gateway: host.gateway!,
    bridge: t.approvedReceived - t.approvedEmitted,
    render: t.approvedShown - t.approvedReceived,
  };
  return { total, parts, ...commitStats(t.spans, [hostWindow]) };
}

/** The moments of a timeline that must come in this order (a broken recording fails loudly). */
export function timelineProblems(t: CashierTimeline): string[] {
  const start: (keyof CashierTimeline)[] = ['enter', 'createSent', 'createDispatched'];
  const end: (keyof CashierTimeline)[] = [
    'readerHasAction',
    'decided',
    'approvedEmitted',
    'approvedReceived',
    'approvedShown',
  ];
  // Two commands: the create's answer reaches the page before it sends the process. One command:
  // the reader may get the amount before or after the create's answer leaves the host.
  const chains: (keyof CashierTimeline)[][] = twoCommands(t)
    ? [[...start, 'createAnswered', 'createReceived', 'processSent', 'processDispatched', ...end]]
    : [
        [...start, ...end],
        ['createDispatched', 'createAnswered', 'createReceived'],
      ];
  const problems: string[] = [];
  const keys = [...new Set(chains.flat())];
  for (const key of keys) if (!Number.isFinite(t[key] as number)) problems.push(`${key} missing`);
  if (problems.length) return problems;
  // Across the two clocks (page and host), a step can only look backwards by the clocks' offset.
  const slack = 1;
  for (const order of chains) {
    for (let i = 1; i < order.length; i++) {
      const before = t[order[i - 1]!] as number;
      const after = t[order[i]!] as number;
      if (after < before - slack) problems.push(`${order[i]} (${after}) before ${order[i - 1]} (${before})`);
    }
  }
  return problems;
}
