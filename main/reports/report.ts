/**
 * X and Z reports. An X report is the day's figures so far, as often as wanted, changing nothing.
 * A Z report closes the day: numbered in sequence, refused while attention items are open unless
 * someone records an override, and immutable: frozen, with a SHA-256 digest over its content that
 * also covers the previous Z's digest, so a changed or removed Z breaks the chain.
 */
import { createHash } from 'node:crypto';
import type { PaymentStatus } from '../../common/contract';
import { inWindow } from './day';
import { fundShares, wholeShare } from './split-funding';
import { brandLabel } from '../receipts/model';
import type {
  AttentionItem,
  AttentionOverride,
  DayReport,
  DayWindow,
  GroupTotals,
  ReportCapture,
  ReportCorrection,
  ReportEntry,
  ReportPayment,
  ReportPlanNotRead,
  ReportRefund,
  ReportSplitShare,
  ReportTotals,
  SplitMerchantTotals,
  SplitSettlementTotals,
  TipsRule,
  ZReport,
} from './types';

/** Statuses of payments the card authorised. */
export const APPROVED_STATUSES: ReadonlySet<PaymentStatus> = new Set<PaymentStatus>([
  'succeeded',
  'requires_capture',
  'refunded',
  'partially_refunded',
]);

/** Statuses of payments not finished yet. */
export const OPEN_STATUSES: ReadonlySet<PaymentStatus> = new Set<PaymentStatus>([
  'creating',
  'in_progress',
  'pending',
  'unknown',
]);

/**
 * Statuses of payments still in flight: their outcome may come after the close, and a payment
 * belongs to the day it was created in, so one approved after the Z would be in no report. Being
 * created or on a reader ends within minutes: the Z waits for them. Not paid yet (a link, a
 * declined card not cancelled) may never end — some gateways can neither cancel an unpaid link nor
 * let it expire — so, like an attention item (`unknown`), it blocks the Z unless an override says
 * who decided and why.
 */
export const IN_FLIGHT_STATUSES: ReadonlySet<PaymentStatus> = new Set<PaymentStatus>([
  'creating',
  'in_progress',
  'pending',
]);

const IN_FLIGHT_WORDS: Partial<Record<PaymentStatus, string>> = {
  creating: 'being created',
  pending: 'not paid yet',
  in_progress: 'on the reader',
};

export const NO_KEY = '(none)';
/** "By card brand" for payments with no card brand: paid by link, UPI, a bank transfer, or not paid. */
export const NO_CARD_BRAND = 'No card (link, bank…)';
/** "By reader" for a payment no reader took: the customer paid by link, or a saved card was charged. */
export const PAY_BY_LINK = 'Pay by link';
export const SAVED_CARD = 'Saved card (no reader)';

/** "By reader" for a part of an installment plan its schedule does not list (yet). */
export const INSTALLMENT = 'Installment';

/**
 * "By reader" for a part of an installment plan: the first the customer paid by link, the others
 * the gateway charged by itself on the card the first was paid with (never "Pay by link").
 */
export function installmentLabel(part: number, of: number): string {
  return part === 1 ? `Installment 1 of ${of} (by link)` : `Installment ${part} of ${of}`;
}

type MutableTotals = { -readonly [K in keyof ReportTotals]: ReportTotals[K] };

function emptyTotals(currency: string): MutableTotals {
  return {
    currency,
    payments: 0,
    approvedCount: 0,
    approvedAmount: 0,
    declinedCount: 0,
    canceledCount: 0,
    openCount: 0,
    captured: 0,
    pendingCapture: 0,
    refunded: 0,
    tips: 0,
    net: 0,
  };
}

/**
 * What of a period's payment was still authorised and not captured at the period's end: what it
 * holds now (requires_capture), plus what of it was captured after the end (up to when the report
 * was made). A Z closed after midnight ends its period at midnight; a late sale captured between
 * the two was pending at the end, and its capture is the next period's money.
 */
export function pendingAtEnd(payment: ReportPayment, capturedAfter: ReadonlyMap<string, number>): number {
  if (!APPROVED_STATUSES.has(payment.status)) return 0;
  return (payment.status === 'requires_capture' ? payment.capturable : 0) + (capturedAfter.get(payment.id) ?? 0);
}

/**
 * The part of a payment's tip its money keeps, when `captured` was captured of it and `refunded`
 * refunded: captured money pays the bill (the amount before the tip) first and the tip last, and a
 * refund gives the bill back first and the tip last. So a capture below the bill keeps no tip, one
 * between the bill and the total keeps what is above the bill, and a refund of everything keeps none.
 */
export function keptTip(amount: number, tip: number, captured: number, refunded: number): number {
  if (tip <= 0) return 0;
  return Math.max(0, Math.min(tip, captured - (amount - tip), captured - refunded));
}

/** Each payment's tips in the entries given: what its captures brought in, less what its refunds gave back. */
export function entryTips(captures: readonly ReportEntry[], refunds: readonly ReportEntry[]): Map<string, number> {
  const tips = new Map<string, number>();
  for (const entry of captures) tips.set(entry.paymentId, (tips.get(entry.paymentId) ?? 0) + (entry.tip ?? 0));
  for (const entry of refunds) tips.set(entry.paymentId, (tips.get(entry.paymentId) ?? 0) - (entry.tip ?? 0));
  return tips;
}

function add(
  totals: MutableTotals,
  payment: ReportPayment,
  capturedAfter: ReadonlyMap<string, number>,
  tips: TipsRule,
): void {
  totals.payments++;
  if (APPROVED_STATUSES.has(payment.status)) {
    totals.approvedCount++;
    totals.approvedAmount += payment.amount;
    if (tips === 'asked') totals.tips += payment.tip;
  }
  if (payment.status === 'failed') totals.declinedCount++;
  if (payment.status === 'canceled') totals.canceledCount++;
  if (OPEN_STATUSES.has(payment.status)) totals.openCount++;
  totals.pendingCapture += pendingAtEnd(payment, capturedAfter);
}

/** Entries' amounts summed per payment. */
export function sumsByPayment(entries: readonly ReportEntry[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const entry of entries) sums.set(entry.paymentId, (sums.get(entry.paymentId) ?? 0) + entry.amount);
  return sums;
}

/**
 * Totals per currency, sorted by currency code: the period's payments, and the captures and
 * refunds made in the period (of those payments or of earlier ones). `capturedAfter`: captures of
 * the period's payments made after its end, which were pending capture at the end (pendingAtEnd).
 */
export function totalsByCurrency(
  payments: readonly ReportPayment[],
  refunds: readonly ReportRefund[],
  captures: readonly ReportCapture[],
  capturedAfter: readonly ReportCapture[] = [],
  tips: TipsRule = 'kept',
): ReportTotals[] {
  const map = new Map<string, MutableTotals>();
  const of = (code: string) => {
    const currency = code.toUpperCase();
    let totals = map.get(currency);
    if (!totals) map.set(currency, (totals = emptyTotals(currency)));
    return totals;
  };
  const after = sumsByPayment(capturedAfter);
  for (const payment of payments) add(of(payment.currency), payment, after, tips);
  for (const capture of captures) {
    const totals = of(capture.currency);
    totals.captured += capture.amount;
    if (tips === 'kept') totals.tips += capture.tip ?? 0;
  }
  for (const refund of refunds) {
    const totals = of(refund.currency);
    totals.refunded += refund.amount;
    if (tips === 'kept') totals.tips -= refund.tip ?? 0;
  }
  for (const totals of map.values()) totals.net = totals.captured - totals.refunded;
  return [...map.values()].sort((a, b) => compare(a.currency, b.currency));
}

/**
 * A report's refunds. A Z closed before refunds were dated has none of its own: it counted each
 * payment's refunded amount as it was at the close, so that is what it is read back as.
 */
export function refundsOf(report: DayReport & { payments?: readonly ReportPayment[] }): readonly ReportRefund[] {
  return report.refunds ?? entriesAsCounted(report.payments, (payment) => payment.refunded);
}

/**
 * A report's captures. A Z closed before captures were dated has none of its own: it counted each
 * payment's captured amount as it was at the close, so that is what it is read back as.
 */
export function capturesOf(report: DayReport & { payments?: readonly ReportPayment[] }): readonly ReportCapture[] {
  return report.captures ?? entriesAsCounted(report.payments, (payment) => payment.captured);
}

function entriesAsCounted(
  payments: readonly ReportPayment[] | undefined,
  amountOf: (payment: ReportPayment) => number,
): ReportEntry[] {
  return (payments ?? [])
    .filter((payment) => amountOf(payment) !== 0)
    .map((payment) => ({
      paymentId: payment.id,
      orderReference: payment.orderReference,
      at: payment.createdAt,
      amount: amountOf(payment),
      currency: payment.currency,
      cardBrand: payment.cardBrand,
      readerLabel: payment.readerLabel,
      ...(payment.movedBy !== undefined ? { movedBy: payment.movedBy } : {}),
    }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A breakdown's groups as shown and printed: no row whose every figure is zero (declined or canceled
 * payments only, which no column of a breakdown counts: found in cashier-day hunts, "(none)" rows of
 * zeros by card brand, then "Installment 1 of 4 (by link)" by reader for a plan whose first link
 * was never paid). The report keeps every group, so its breakdowns still add up; a Z stored before
 * keeps them too, and shows the same.
 */
export function shownGroups<G extends ReportTotals>(groups: readonly G[]): G[] {
  return groups.filter(
    (g) =>
      g.approvedCount !== 0 ||
      g.approvedAmount !== 0 ||
      g.captured !== 0 ||
      g.pendingCapture !== 0 ||
      g.refunded !== 0 ||
      g.tips !== 0 ||
      g.net !== 0,
  );
}

/**
 * "By card brand" as shown and printed: each brand by its name ("Visa", not "visa"), payments with
 * none as NO_CARD_BRAND, without rows of zeros (shownGroups).
 */
export function shownCardBrands<G extends ReportTotals & { readonly key: string }>(groups: readonly G[]): G[] {
  return shownGroups(groups).map((g) => ({ ...g, key: g.key === NO_KEY ? NO_CARD_BRAND : brandLabel(g.key) }));
}

/** Totals per group (a reader, a card brand, who moved the money) then currency, sorted by key. */
export function groupTotals(
  payments: readonly ReportPayment[],
  refunds: readonly ReportRefund[],
  captures: readonly ReportCapture[],
  capturedAfter: readonly ReportCapture[],
  keyOf: (p: ReportPayment | ReportEntry) => string | null | undefined,
  tips: TipsRule = 'kept',
): GroupTotals[] {
  const groups = new Map<string, { payments: ReportPayment[]; refunds: ReportRefund[]; captures: ReportCapture[] }>();
  const group = (item: ReportPayment | ReportEntry) => {
    const key = keyOf(item)?.trim() || NO_KEY;
    let found = groups.get(key);
    if (!found) groups.set(key, (found = { payments: [], refunds: [], captures: [] }));
    return found;
  };
  for (const payment of payments) group(payment).payments.push(payment);
  for (const refund of refunds) group(refund).refunds.push(refund);
  for (const capture of captures) group(capture).captures.push(capture);
  const out: GroupTotals[] = [];
  for (const key of [...groups.keys()].sort(compare)) {
    const inGroup = groups.get(key)!;
    for (const totals of totalsByCurrency(inGroup.payments, inGroup.refunds, inGroup.captures, capturedAfter, tips))
      out.push({ key, ...totals });
  }
  return out;
}

type MutableMerchant = { -readonly [K in keyof SplitMerchantTotals]: SplitMerchantTotals[K] };

/**
 * Split settlement per currency: the period's approved payments with shares, and each merchant's
 * shares of them, held, released or returned as they stood at the period's end (the caller gives
 * the shares as they were then, and the captures made after it). Sorted by currency, then merchant
 * id. After a partial capture the shares count only what was captured (see fundShares).
 */
export function splitSettlement(
  periodPayments: readonly ReportPayment[],
  shares: readonly ReportSplitShare[],
  capturesAfter: readonly ReportEntry[] = [],
): SplitSettlementTotals[] {
  const sharesOf = new Map<string, ReportSplitShare[]>();
  for (const share of shares) {
    const list = sharesOf.get(share.paymentId);
    if (list) list.push(share);
    else sharesOf.set(share.paymentId, [share]);
  }
  const capturedAfter = new Map<string, number>();
  for (const entry of capturesAfter)
    capturedAfter.set(entry.paymentId, (capturedAfter.get(entry.paymentId) ?? 0) + entry.amount);
  const currencies = new Map<string, { payments: number; amount: number; merchants: Map<string, MutableMerchant> }>();
  for (const payment of periodPayments) {
    const paymentShares = sharesOf.get(payment.id);
    if (!paymentShares || !APPROVED_STATUSES.has(payment.status)) continue;
    const code = payment.currency.toUpperCase();
    let currency = currencies.get(code);
    if (!currency) currencies.set(code, (currency = { payments: 0, amount: 0, merchants: new Map() }));
    // A payment captured only after the period's end was authorised at it: its shares count whole.
    const funded = fundShares(payment.captured - (capturedAfter.get(payment.id) ?? 0), paymentShares);
    currency.payments++;
    currency.amount += funded
      ? funded.reduce((sum, share) => sum + share.held + share.released + share.returned, 0)
      : payment.amount;
    paymentShares.forEach((share, index) => {
      let merchant = currency.merchants.get(share.merchantId);
      if (!merchant) {
        merchant = { merchantId: share.merchantId, shares: 0, amount: 0, held: 0, released: 0, returned: 0 };
        currency.merchants.set(share.merchantId, merchant);
      }
      const figures = funded?.[index] ?? wholeShare(share);
      merchant.shares++;
      merchant.amount += figures.held + figures.released + figures.returned;
      merchant.held += figures.held;
      merchant.released += figures.released;
      merchant.returned += figures.returned;
    });
  }
  return [...currencies.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([currency, totals]) => ({
      currency,
      payments: totals.payments,
      amount: totals.amount,
      merchants: [...totals.merchants.values()].sort((a, b) => compare(a.merchantId, b.merchantId)),
    }));
}

function checkPayment(payment: ReportPayment): void {
  const money = [payment.amount, payment.tip, payment.captured, payment.capturable, payment.refunded];
  if (!money.every((value) => Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`payment ${payment.id}: amounts must be whole minor units, zero or more`);
  }
  if (Number.isNaN(Date.parse(payment.createdAt))) {
    throw new RangeError(`payment ${payment.id}: createdAt "${payment.createdAt}" is not a date`);
  }
}

function checkEntry(kind: 'refund' | 'capture', entry: ReportEntry): void {
  if (!Number.isSafeInteger(entry.amount)) {
    throw new RangeError(`${kind} of ${entry.paymentId}: the amount must be whole minor units`);
  }
  if (entry.tip !== undefined && !Number.isSafeInteger(entry.tip)) {
    throw new RangeError(`${kind} of ${entry.paymentId}: the tip must be whole minor units`);
  }
  if (Number.isNaN(Date.parse(entry.at))) {
    throw new RangeError(`${kind} of ${entry.paymentId}: "${entry.at}" is not a date`);
  }
}

export interface DayReportInput {
  /**
   * The day's payments, and any older payment still needing attention (it is listed, and blocks
   * the Z, but does not count in the totals). Payments outside the window are otherwise ignored.
   */
  readonly payments: readonly ReportPayment[];
  /**
   * Refunds made in the period, of any payment (a refund of an earlier day's sale counts on the
   * day it was made). Refunds outside the window are ignored.
   */
  readonly refunds: readonly ReportRefund[];
  /**
   * Captures made in the period, of any payment (an authorisation captured days later counts that
   * day), and those made after its end up to now: a capture of one of the period's payments made
   * after its end (a Z closed after midnight, a late sale captured in between) is not the period's
   * money, but that amount was pending capture at its end. Others are ignored.
   */
  readonly captures: readonly ReportCapture[];
  /**
   * The shares of the period's split payments as they stood at its end (split settlement). Shares of
   * other payments are ignored; absent or empty, the report has no split settlement section.
   */
  readonly splits?: readonly ReportSplitShare[];
  /**
   * Late outcomes of earlier days' payments (ReportCorrection), as recorded: those learned in the
   * period are its corrections; a payment changed more than once in it counts by its first `was`
   * and last `now`, and not at all when those agree on whether it was approved.
   */
  readonly corrections?: readonly ReportCorrection[];
  /**
   * The running installment plans not read before the report (ReportPlanNotRead): a Z keeps them
   * under its digest, by order reference. Absent or empty, the report has no such section.
   */
  readonly plansNotRead?: readonly ReportPlanNotRead[];
  readonly window: DayWindow;
  /** ISO instant. */
  readonly generatedAt: string;
  readonly testMode: boolean;
}

function byTimeThenId(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || compare(a.id, b.id);
}

/** The period's own payments: the till's, made in the window (oldest first is the caller's to sort). */
export function paymentsOfPeriod(payments: readonly ReportPayment[], window: DayWindow): ReportPayment[] {
  return payments.filter((payment) => !payment.takenElsewhere && inWindow(payment.createdAt, window));
}

/** Captures or refunds made in the window, oldest first. */
export function entriesOfPeriod<T extends ReportEntry>(entries: readonly T[], window: DayWindow): T[] {
  return entries.filter((entry) => inWindow(entry.at, window)).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** Captures of the period's own payments made after its end, oldest first: pending capture at its end. */
export function capturesAfterPeriod<T extends ReportEntry>(
  entries: readonly T[],
  periodPayments: readonly ReportPayment[],
  window: DayWindow,
): T[] {
  const ids = new Set(periodPayments.map((payment) => payment.id));
  return entries
    .filter((entry) => ids.has(entry.paymentId) && Date.parse(entry.at) >= window.endMs)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/**
 * The corrections to earlier days learned in the window, oldest first, one per payment: its first
 * status before and its last one learned, dropped when they agree on whether it was approved (found
 * charged, then found not made after all, in the same period: nothing to correct).
 */
export function correctionsOfPeriod(recorded: readonly ReportCorrection[], window: DayWindow): ReportCorrection[] {
  const byPayment = new Map<string, ReportCorrection>();
  for (const entry of [...recorded]
    .filter((c) => inWindow(c.at, window))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    const first = byPayment.get(entry.paymentId);
    byPayment.set(entry.paymentId, first ? { ...entry, was: first.was } : entry);
  }
  return [...byPayment.values()]
    .filter((c) => APPROVED_STATUSES.has(c.was) !== APPROVED_STATUSES.has(c.now))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || compare(a.paymentId, b.paymentId));
}

function buildReport(kind: 'X' | 'Z', input: DayReportInput): DayReport {
  for (const payment of input.payments) checkPayment(payment);
  for (const refund of input.refunds) checkEntry('refund', refund);
  for (const capture of input.captures) checkEntry('capture', capture);
  for (const share of input.splits ?? []) {
    if (![share.amount, share.released].every((value) => Number.isSafeInteger(value) && value >= 0))
      throw new RangeError(`share of ${share.paymentId}: amounts must be whole minor units, zero or more`);
  }
  const day = paymentsOfPeriod(input.payments, input.window);
  const refunds = entriesOfPeriod(input.refunds, input.window);
  const captures = entriesOfPeriod(input.captures, input.window);
  const capturesAfter = capturesAfterPeriod(input.captures, day, input.window);
  const splits = splitSettlement(day, input.splits ?? [], capturesAfter);
  for (const correction of input.corrections ?? []) {
    if (!Number.isSafeInteger(correction.amount))
      throw new RangeError(`correction of ${correction.paymentId}: the amount must be whole minor units`);
  }
  const corrections = correctionsOfPeriod(input.corrections ?? [], input.window);
  const plansNotRead = [...(input.plansNotRead ?? [])]
    .map((plan) => ({ orderReference: plan.orderReference, gateway: plan.gateway, reason: plan.reason }))
    .sort((a, b) => compare(a.orderReference, b.orderReference) || compare(a.gateway, b.gateway));
  const attention: AttentionItem[] = input.payments
    .filter((payment) => payment.attention)
    .sort(byTimeThenId)
    .map((payment) => ({
      id: payment.id,
      orderReference: payment.orderReference,
      createdAt: payment.createdAt,
      status: payment.status,
      amount: payment.amount,
      currency: payment.currency.toUpperCase(),
      reason: payment.attentionReason ?? null,
      inWindow: inWindow(payment.createdAt, input.window),
    }));
  return {
    kind,
    window: input.window,
    generatedAt: input.generatedAt,
    testMode: input.testMode,
    paymentCount: day.length,
    totals: totalsByCurrency(day, refunds, captures, capturesAfter),
    byReader: groupTotals(day, refunds, captures, capturesAfter, (item) => item.readerLabel),
    byCardBrand: groupTotals(day, refunds, captures, capturesAfter, (item) => item.cardBrand?.toLowerCase() ?? null),
    byMover: groupTotals(day, refunds, captures, capturesAfter, (item) => item.movedBy),
    // Only when there are any, like capturesAfter: a day without split payments reads as before.
    ...(splits.length > 0 ? { splitSettlement: splits } : {}),
    attention,
    refunds,
    captures,
    // Only when there are any: absent and empty read alike (a report made before they were kept).
    ...(capturesAfter.length > 0 ? { capturesAfter } : {}),
    tipsKept: true,
    // Likewise: a period without corrections reads, and digests, as before.
    ...(corrections.length > 0 ? { corrections } : {}),
    // Likewise: a Z whose plans were all read digests as before.
    ...(plansNotRead.length > 0 ? { plansNotRead } : {}),
  };
}

/** The X report: the day's figures so far. */
export function xReport(input: DayReportInput): DayReport {
  return buildReport('X', input);
}

export interface CloseDayInput extends Omit<DayReportInput, 'generatedAt'> {
  /** ISO instant of the closing (also the Z's generatedAt). */
  readonly closedAt: string;
  /** Who closed the day (cashier or manager name/id). */
  readonly closedBy: string;
  /** The last Z of this mode, as stored; null when there is none. */
  readonly previous: ZReport | null;
  /** Required to close with open attention items: who decided it and why. */
  readonly override?: AttentionOverride | null;
  /**
   * Why the close's own time is in doubt (the host's words: the till's clock far ahead of the
   * last thing the journal recorded), or null. A Z dated ahead dates everything after it at its
   * end, so it is refused (`clock_ahead`) unless an override says the clock is right; that override
   * is recorded.
   */
  readonly clockAhead?: string | null;
  /**
   * The day's unpaid payments the till cannot cancel, by id: the label of the gateway that cannot
   * withdraw them (a payment link on a gateway without `cancelsUnpaidLink`). The refusal then does
   * not tell the cashier to cancel those (found by a UI hunt: "Cancel them" for Plural links).
   */
  readonly cannotCancel?: ReadonlyMap<string, string>;
  /**
   * The day's unpaid payments taken with a gateway the till no longer uses, by id: that gateway's
   * label. The till cancels them only once switched back, so the refusal says so rather than
   * "Cancel …" (found by a UI hunt: a PayPlug link left open when the till switched to Plural).
   */
  readonly cancelAfterSwitch?: ReadonlyMap<string, string>;
  /**
   * The day's unpaid payments that are a part of an installment plan, by id: the till never cancels
   * a part alone (that ends the plan), so the refusal says to abort the plan instead (found by a UI
   * hunt: "Cancel ORD-1#1", which the till then refused).
   */
  readonly planParts?: ReadonlySet<string>;
  /**
   * The day's payments being created that wait for the customer's tip, by id: nothing finishes them
   * but a tip chosen (on the customer display or typed on Process payment) or a cancel, so the
   * refusal names them so (found in a defect hunt: "being created. Let it finish", for a payment
   * the customer had walked away from before choosing a tip).
   */
  readonly awaitingTip?: ReadonlySet<string>;
}

export type CloseDayRefusal =
  /** Payments of the day are being created or on a reader (no override lifts this: wait, or cancel them). */
  | 'payments_in_flight'
  /** Payments of the day are not paid yet and no override was given. */
  | 'payments_unpaid'
  /** Attention items are open and no override was given. */
  | 'attention_open'
  /** The previous Z already covers this date. */
  | 'already_closed'
  /** The previous Z covers a later date. */
  | 'out_of_order'
  /** The previous Z fails its digest check, or is of the other mode. */
  | 'previous_invalid'
  /** The till's clock is far ahead of the last thing it recorded and no override was given. */
  | 'clock_ahead'
  /** Missing closedBy, or an override without both a name and a reason. */
  | 'invalid';

export type CloseDayResult =
  | { readonly ok: true; readonly z: ZReport }
  | {
      readonly ok: false;
      readonly code: CloseDayRefusal;
      readonly message: string;
      readonly attention: readonly AttentionItem[];
      /** The day's payments still in flight, oldest first. */
      readonly inFlight: readonly ReportPayment[];
    };

/** JSON with object keys sorted at every level: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => compare(a, b));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

function digestOf(z: Omit<ZReport, 'digest'>): string {
  return createHash('sha256').update(canonicalJson(z)).digest('hex');
}

/** Whether a stored Z is unchanged since it was closed. */
export function verifyZReport(z: ZReport): boolean {
  const { digest, ...rest } = z;
  return digestOf(rest) === digest;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value as Record<string, unknown>)) deepFreeze(item);
  }
  return value;
}

/** Closes the day: the Z report, or why it cannot be produced. */
export function closeDay(input: CloseDayInput): CloseDayResult {
  const report = buildReport('Z', { ...input, generatedAt: input.closedAt });
  const day = paymentsOfPeriod(input.payments, input.window).sort(byTimeThenId);
  const inFlight = day.filter((payment) => !payment.attention && IN_FLIGHT_STATUSES.has(payment.status));
  const refuse = (code: CloseDayRefusal, message: string): CloseDayResult => ({
    ok: false,
    code,
    message,
    attention: report.attention,
    inFlight,
  });
  if (!input.closedBy.trim()) return refuse('invalid', 'say who closes the day');
  const override = input.override ?? null;
  if (override && (!override.by.trim() || !override.reason.trim())) {
    return refuse('invalid', 'an override needs who decided it and why');
  }
  const previous = input.previous;
  if (previous) {
    if (!verifyZReport(previous)) return refuse('previous_invalid', `Z ${previous.number} fails its digest check`);
    if (previous.testMode !== input.testMode) {
      return refuse('previous_invalid', `Z ${previous.number} is a ${previous.testMode ? 'test' : 'live'} mode report`);
    }
    if (previous.window.date === input.window.date) {
      return refuse('already_closed', `${input.window.date} was closed by Z ${previous.number}`);
    }
    if (previous.window.date > input.window.date) {
      return refuse('out_of_order', `Z ${previous.number} already closed a later day (${previous.window.date})`);
    }
    // Periods tile time: one starting inside the previous Z's would count its payments again.
    if (input.window.startMs < Date.parse(previous.window.end)) {
      return refuse(
        'out_of_order',
        `its period would start (${input.window.start}) before Z ${previous.number}'s ended (${previous.window.end})`,
      );
    }
  }
  if (input.window.endMs < input.window.startMs) {
    return refuse(
      'out_of_order',
      `its period would end (${input.window.end}) before it starts (${input.window.start})`,
    );
  }
  const tipAwaited = (payment: ReportPayment) => payment.status === 'creating' && !!input.awaitingTip?.has(payment.id);
  const listed = (payments: readonly ReportPayment[]) =>
    payments
      .map(
        (payment) =>
          `${payment.orderReference} (${tipAwaited(payment) ? "waiting for the customer's tip" : IN_FLIGHT_WORDS[payment.status]})`,
      )
      .join(', ');
  const underWay = inFlight.filter((payment) => payment.status !== 'pending');
  if (underWay.length > 0) {
    const n = underWay.length;
    const them = n === 1 ? 'it' : 'them';
    return refuse(
      'payments_in_flight',
      `${n} payment${n === 1 ? ' is' : 's are'} still in progress: ${listed(underWay)}. ` +
        `Let ${them} finish or cancel ${them} first` +
        // Nothing finishes a payment waiting for its tip but the tip: the cashier can type it.
        (underWay.some(tipAwaited) ? ' (a tip the customer does not choose can be typed on Process payment)' : ''),
    );
  }
  const unpaid = inFlight.filter((payment) => payment.status === 'pending');
  if (unpaid.length > 0 && !override) {
    const n = unpaid.length;
    const staying = unpaid.filter((payment) => input.cannotCancel?.has(payment.id));
    const switched = unpaid.filter(
      (payment) => !input.cannotCancel?.has(payment.id) && input.cancelAfterSwitch?.has(payment.id),
    );
    const planParts = unpaid.filter(
      (payment) =>
        !input.cannotCancel?.has(payment.id) &&
        !input.cancelAfterSwitch?.has(payment.id) &&
        input.planParts?.has(payment.id),
    );
    const cancellable = unpaid.filter(
      (payment) =>
        !input.cannotCancel?.has(payment.id) &&
        !input.cancelAfterSwitch?.has(payment.id) &&
        !input.planParts?.has(payment.id),
    );
    const refs = (payments: readonly ReportPayment[]) => payments.map((payment) => payment.orderReference).join(', ');
    const byLabel = (payments: readonly ReportPayment[], labels: ReadonlyMap<string, string> | undefined) =>
      [...new Set(payments.map((payment) => labels!.get(payment.id)!))].map(
        (label) => [label, payments.filter((payment) => labels!.get(payment.id) === label)] as const,
      );
    // Who cannot withdraw which links: "Plural cannot withdraw the payment link of ORD-1".
    const withdrawn = byLabel(staying, input.cannotCancel)
      .map(
        ([label, links]) =>
          `${label} cannot withdraw the payment link${links.length === 1 ? '' : 's'} of ${refs(links)}`,
      )
      .join('; ');
    // Which were taken with a gateway the till has left: "ORD-2 was taken with PayPlug: switch back …".
    const elsewhere = byLabel(switched, input.cancelAfterSwitch)
      .map(
        ([label, taken]) =>
          `${refs(taken)} ${taken.length === 1 ? 'was' : 'were'} taken with ${label}: switch back to ${label} in ` +
          `Settings (F7) to cancel ${taken.length === 1 ? 'it' : 'them'}`,
      )
      .join('; ');
    // Which are a plan's part: "ORD-3#1 is part of an installment plan: abort the plan …".
    const plans =
      planParts.length === 0
        ? ''
        : `${refs(planParts)} ${planParts.length === 1 ? 'is part of an installment plan' : 'are parts of installment plans'}: ` +
          `abort the plan (Abort plan, on Process payment) to cancel ${planParts.length === 1 ? 'it' : 'them'}`;
    const notes = [withdrawn, elsewhere, plans].filter((note) => note !== '').join('; ');
    const what =
      notes === ''
        ? `Cancel ${n === 1 ? 'it' : 'them'}, or close`
        : cancellable.length > 0
          ? `Cancel ${refs(cancellable)} (${notes}), or close`
          : switched.length === 0 && planParts.length === 0
            ? `${withdrawn}: wait for ${n === 1 ? 'it' : 'them'} to be paid, or close`
            : `${notes}; or close`;
    return refuse(
      'payments_unpaid',
      `${n} payment${n === 1 ? ' is' : 's are'} not paid yet: ${listed(unpaid)}. ${what} ` +
        'with a recorded override (paid after the close, its money counts in Captured on the day it is paid, and in no day as a sale)',
    );
  }
  if (report.attention.length > 0 && !override) {
    const n = report.attention.length;
    return refuse(
      'attention_open',
      `${n} payment${n === 1 ? '' : 's'} need${n === 1 ? 's' : ''} attention: settle ${n === 1 ? 'it' : 'them'} ` +
        'or close with a recorded override',
    );
  }
  const clockAhead = input.clockAhead ?? null;
  if (clockAhead && !override) return refuse('clock_ahead', clockAhead);
  const body: Omit<ZReport, 'digest'> = {
    ...report,
    kind: 'Z',
    number: previous ? previous.number + 1 : 1,
    closedAt: input.closedAt,
    closedBy: input.closedBy.trim(),
    // An override is only recorded when it was needed.
    override:
      (report.attention.length > 0 || unpaid.length > 0 || clockAhead) && override
        ? { by: override.by.trim(), reason: override.reason.trim() }
        : null,
    previousDigest: previous ? previous.digest : null,
    // The rows as they were at the close: the Z's CSV is built from them, so it never changes.
    payments: day,
  };
  // A copy: freezing must not reach into the caller's objects (the window, say).
  return { ok: true, z: deepFreeze(structuredClone({ ...body, digest: digestOf(body) })) };
}
