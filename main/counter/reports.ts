/**
 * End of day at the counter: the business day's payments from the journal, the X report (any
 * time), the Z report (closes the day: numbered, stored append-only, the next day starts from
 * zero), three-way reconciliation (journal, the gateway's list for the same period, the
 * terminals' own totals typed from their tickets), CSV and printing.
 *
 * The business day is a local calendar date in the shop's zone (Settings). When a Z closes a day
 * before midnight, what follows belongs to the next business day, whose period starts at that
 * close: periods tile time with no gap and no overlap, and a closed period never changes.
 */
import type { Clock } from '../../common/clock';
import {
  FINAL_PLAN_STATUSES,
  GATEWAY_NAMES,
  type DayReportView,
  type GatewayName,
  type Mode,
  type ReconciliationGap,
  type ReconciliationGatewayView,
  type ReconciliationView,
  type ReportTotalsView,
  type ZSummaryView,
} from '../../common/contract/views';
import { formatLocalDateTime, localDate, nextDate, startOfLocalDay } from '../../common/timezone';
import type { Settings } from '../config/settings';
import { errorText, HostError, journalWriteProblem } from '../core/errors';
import { accountWords } from '../gateway/accounts';
import type { GatewayPayment, PaymentGateway } from '../gateway/port';
import { GATEWAY_LABELS } from '../gateway/registry';
import { chargedByShopBankTerminal, STANDALONE_LABEL } from '../payments/standalone';
import { gatewayHostedReader } from '../readers/ids';
import {
  closeDay,
  paymentsCsv,
  reconcile,
  capturesOf,
  refundsOf,
  reportEscPos,
  reportText,
  windowBetween,
  verifyZReport,
  xReport,
  type DayReport,
  type DayWindow,
  type JournalRow,
  type ReconcileResult,
  type ReportPayment,
  type ReportPlanNotRead,
  type ReportReconciliation,
  type ReportCapture,
  type ReportCorrection,
  type ReportEntry,
  type ReportRefund,
  type ReportSplitShare,
  type TerminalTotals,
  type ZReport,
  INSTALLMENT,
  installmentLabel,
  keptTip,
  PAY_BY_LINK,
  SAVED_CARD,
  shownCardBrands,
  shownGroups,
} from '../reports';
import {
  installmentPart,
  type InstallmentPlanRecord,
  type Journal,
  type MoneyEntryRecord,
  type PaymentChannel,
  type PaymentRecord,
  type TransactionAccount,
  type ZReportRecord,
} from '../store/journal';

export interface ReportDeps {
  journal: Journal;
  clock: Clock;
  settings: () => Settings;
  /** The active gateway, or null when none is configured. */
  gateway: () => PaymentGateway | null;
  /**
   * The gateway of that name built from its own settings and credentials (the active one for the
   * till's own), or null when it has none in this mode: a day's payments made before the shop
   * switched gateway are reconciled against their own gateway's records.
   */
  gatewayFor?: (name: GatewayName) => PaymentGateway | null;
  /**
   * The account the gateway of that name is read with now (ActiveGateway.accountFor), or null while
   * the till holds no keys for it: a payment made on another account of that gateway (the embedded
   * sandbox before a switch, the shop's own before its URL and key changed) is in no list this one
   * gives, so it is named apart, not compared. Absent: every payment is compared.
   */
  gatewayAccountOf?: (name: GatewayName) => string | null;
  readerLabel: (readerId: string) => string | null;
  accountName: () => string | null;
  /** Prints ESC/POS parts on the receipt printer (the receipts' queue): the job's outcome. */
  print: (parts: Uint8Array[]) => Promise<{ state: 'printed' | 'failed'; error: string | null }>;
  /** The most pages of the gateway's list read for one reconciliation (default GATEWAY_MAX_PAGES). */
  gatewayMaxPages?: number;
  /**
   * Reads the till's running installment plans, taking in the parts the gateway charged since,
   * before a Z is computed: a part charged in the day is that day's sale. Answers the running plans
   * it could not read, and why: the Z names them (its figures may miss a part they charged).
   */
  readPlans?: () => Promise<readonly PlanNotRead[]>;
  /**
   * The running plans the last reading of the plans (periodic, or before a Z) could not read, and
   * why: an X names those still running (its figures may miss a part they charged).
   */
  plansNotRead?: () => readonly PlanNotRead[];
  /**
   * Why the till cannot see how an open payment ends (a link of another gateway than the active one,
   * made before a switch, whose account's keys it no longer holds), with what to do; null while it can.
   * An X and a Z list such a payment with the attention items.
   */
  notFollowed?: (record: PaymentRecord) => string | null;
  /**
   * Takes in the parts of the till's own plans among the payments a gateway listed for a
   * reconciliation that the journal lacks; answers how many joined it.
   */
  takeInPlanParts?: (gateway: PaymentGateway, payments: readonly GatewayPayment[]) => Promise<number>;
  /**
   * Takes in, as the payments they are, the creates the cashier recorded as not made that a
   * gateway listed for a reconciliation after all; answers how many joined the journal.
   */
  takeInNotMade?: (gateway: PaymentGateway, payments: readonly GatewayPayment[]) => number;
}

/** A running installment plan a reading of the plans could not read, and why. */
export interface PlanNotRead {
  plan: Pick<InstallmentPlanRecord, 'id' | 'gateway' | 'orderReference' | 'mode'>;
  reason: string;
}

/** Terminal totals as the cashier types them from a terminal's end-of-day ticket. */
export interface TypedTerminalTotals {
  readerId?: string | undefined;
  currency: string;
  count: number;
  amount: number;
}

/** "By reader" for one payment: its reader's label, or how it was paid without one. */
type ReaderLabels = (payment: {
  /** Its journal id and gateway id: what its plan's schedule may list it by. */
  ids: readonly (string | null)[];
  readerId: string | null;
  channel: PaymentChannel;
  savedCardId: string | null;
  installmentPlanId: string | null;
}) => string | null;

const GATEWAY_PAGE = 100;
/**
 * The most of a period's journal payments a reconciliation reads one by one when the gateway's list
 * for the period's dates lacks them (see CounterReports.datedLater).
 */
const LATE_LOOKUPS = 20;
/**
 * Payments read, and turned into report rows, between two turns of the event loop. The host is
 * single-threaded: a busy day's report (10 000 payments) read in one go held every reader, the
 * customer display and the other windows for most of a second; read by pages they go on between.
 */
export const REPORT_PAGE = 500;

/**
 * How far before a report starts reading its pages the payments written since are read again
 * after them: a margin, so that a clock set back a little does not hide a change made meanwhile.
 */
const REREAD_MARGIN_MS = 60_000;

/** Lets whatever waits (a reader's event, the customer display, another command) run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/**
 * The most pages of the gateway's list (of GATEWAY_PAGE) one reconciliation reads: 200 000
 * payments, far beyond a shop's day, only a bound against a list that never ends. The whole list
 * is read up to it; past it the reconciliation says plainly that it is incomplete. (It once
 * stopped at 50 pages without a word: a day of more than 5 000 payments showed the rest of the
 * journal as "journal only".)
 */
export const GATEWAY_MAX_PAGES = 2_000;

/**
 * How far after the last thing the journal recorded (the last payment, the last Z) a Z may be
 * closed before its time is in doubt: a long weekend's closing, not a clock set a month or a year
 * ahead by mistake. A Z dated ahead cannot be undone (Zs are append-only) and dates everything
 * after it at its end (Journal.nowIso), so past this the close asks for an override saying the
 * clock is right.
 */
export const CLOCK_LEAD_LIMIT_MS = 4 * 24 * 3_600_000;
/** How far behind the last Z's end the clock may be before the reports warn (an NTP step is seconds). */
export const CLOCK_BEHIND_WARNING_MS = 5 * 60_000;

/** The statuses the gateway's list uses for what the till holds as its own states. */
const COMPARABLE_STATUS: Partial<Record<string, string>> = { in_progress: 'pending', creating: 'pending' };

export class CounterReports {
  /** Who is closing a day now, if anyone: a second close meanwhile is refused (see close()). */
  private closing: string | null = null;

  constructor(private readonly deps: ReportDeps) {}

  private get journal(): Journal {
    return this.deps.journal;
  }

  private mode(): Mode {
    return this.deps.settings().mode;
  }

  private zone(): string {
    return this.deps.settings().timeZone;
  }

  // -- business days ----------------------------------------------------------------------------

  /**
   * Today's business date: the local date, or the day after the last Z when it closed today already
   * — and never a date that ended, in the shop's zone, before the last Z's period did (a zone moved
   * east after a Z, or the clock set back behind it), whose period would run backwards.
   */
  currentDate(mode = this.mode()): string {
    const zone = this.zone();
    const today = localDate(this.deps.clock.now(), zone);
    const last = this.journal.lastZReport(mode);
    if (!last) return today;
    const after = [today, nextDate(last.businessDate), localDate(Date.parse(last.windowEnd), zone)];
    return after.reduce((a, b) => (b > a ? b : a));
  }

  /**
   * The period of a business date: from the end of the last Z (its local midnight when there is
   * none yet) to its own Z (or, open, the end of the local day). Starting where the last Z ended —
   * not at the day's own midnight — keeps periods tiling time: a Z closed before midnight hands the
   * rest of its day on, a day nobody closed goes into the next Z instead of into none, and a time
   * zone moved after a Z neither counts its payments again nor leaves hours out.
   */
  window(date: string, mode = this.mode()): DayWindow {
    const zone = this.zone();
    const closed = this.journal.zReportFor(mode, date);
    if (closed) return windowBetween(date, zone, Date.parse(closed.windowStart), Date.parse(closed.windowEnd));
    const last = this.journal.lastZReport(mode);
    if (last && last.businessDate >= date) {
      throw new HostError(
        'conflict',
        `${date} is before the last closed day (Z ${last.number}, ${last.businessDate}).`,
      );
    }
    // The till's first period starts at its local midnight, or earlier at the first thing it
    // recorded: payments from before it (days before the first Z, or hours moved out of the day by
    // a time zone changed before it) would otherwise be in no Z, since no earlier day can be closed
    // once it is.
    const first = last ? null : this.journal.firstRecordedAt(mode);
    const start = last
      ? Date.parse(last.windowEnd)
      : Math.min(startOfLocalDay(date, zone), first ? Date.parse(first) : Infinity);
    const end = startOfLocalDay(nextDate(date), zone);
    // A date that ended before the last Z's period did (Pago Pago's after-midnight Z, then the zone
    // moved to Kiritimati: the next local date there ended an hour before that Z's end) has no
    // period left: its hours are in that Z. Its period once ran backwards, and a Z of it made the
    // next Z start inside the last one, counting its payments again.
    if (last && end <= start) {
      throw new HostError(
        'conflict',
        `${date} ended in ${zone} (${formatLocalDateTime(end, zone)}) before the period of the last Z did ` +
          `(Z ${last.number}, ${last.businessDate}, to ${formatLocalDateTime(start, zone)}): its hours are in that Z. ` +
          `The open day is ${this.currentDate(mode)}.`,
      );
    }
    return windowBetween(date, zone, start, end);
  }

  /**
   * The period's payments as the reports take them, plus every open attention item (any day): of
   * the report's mode only, so test money never reaches a live report nor the other way round.
   */
  private async payments(window: DayWindow, mode = this.mode()): Promise<ReportPayment[]> {
    const label = this.labels();
    // Rows written from here on are read again after the pages (a margin for a clock set back).
    const since = this.rereadSince();
    return this.withChanges(await this.periodPayments(window, mode, label), window, mode, since, label);
  }

  /** From when the rows written while pages are read are read again after them. */
  private rereadSince(): string {
    return new Date(this.deps.clock.now() - REREAD_MARGIN_MS).toISOString();
  }

  /**
   * The rows read a page at a time, brought up to date: the payments of the window written since
   * `since` read again, and every open attention item (any day) added. Synchronous: what it
   * returns is the journal as it is at one instant.
   */
  private withChanges(
    out: ReportPayment[],
    window: DayWindow,
    mode: Mode,
    since: string,
    label: ReaderLabels,
  ): ReportPayment[] {
    const at = new Map(out.map((r, index) => [r.id, index]));
    const fresher = (record: PaymentRecord) => {
      const row = this.reportPayment(record, label);
      const index = at.get(record.id);
      if (index === undefined) {
        at.set(record.id, out.length);
        out.push(row);
      } else out[index] = row;
    };
    // Read after the pages, so fresher than a page's row: a payment that changed while the report
    // let the till go on between pages — sent to a reader, paid, gone to Needs attention — must
    // count as it is now (a Z must not close over it as the page read it).
    for (const record of this.made(this.journal.paymentsWrittenSince(mode, window.start, window.end, since))) {
      fresher(record);
    }
    for (const record of this.journal.attentionPayments(mode)) fresher(record);
    return out;
  }

  /** The period's payments (those the gateway made), a page at a time with a turn of the loop between. */
  private async periodPayments(window: DayWindow, mode: Mode, label = this.labels()): Promise<ReportPayment[]> {
    const out: ReportPayment[] = [];
    let after: PaymentRecord | null = null;
    for (;;) {
      const page = this.journal.paymentsCreatedPage(mode, window.start, window.end, after, REPORT_PAGE);
      for (const record of this.made(page)) out.push(this.reportPayment(record, label));
      if (page.length < REPORT_PAGE) return out;
      after = page[page.length - 1]!;
      await nextTurn();
    }
  }

  /**
   * Reader labels, looked up once per reader for one report (not once per payment). A payment no
   * reader took says how it was paid instead (found by a tester: "By reader" showed "(none)" for
   * payments by link). A part of an installment plan says which part it is: only the first is paid
   * by link, the gateway charges the others by itself (they were once all "Pay by link").
   */
  private labels(): ReaderLabels {
    const known = new Map<string, string | null>();
    const plans = new Map<string, InstallmentPlanRecord | undefined>();
    return ({ ids, readerId, channel, savedCardId, installmentPlanId }) => {
      if (readerId === null && installmentPlanId !== null) {
        if (!plans.has(installmentPlanId)) plans.set(installmentPlanId, this.journal.getPlan(installmentPlanId));
        const plan = plans.get(installmentPlanId);
        const part = plan ? installmentPart(plan, ids) : null;
        return part ? installmentLabel(part.part, part.of) : INSTALLMENT;
      }
      if (readerId === null) return channel === 'link' ? (savedCardId ? SAVED_CARD : PAY_BY_LINK) : null;
      if (!known.has(readerId)) known.set(readerId, this.deps.readerLabel(readerId));
      return known.get(readerId)!;
    };
  }

  /**
   * Without the creates the gateway refused before making anything (an unusable saved card, a field
   * it would not take): no card was asked, so they are not declines, and the gateway has nothing
   * of theirs to compare with (found by a tester: "Declined 1" and a false "journal only").
   */
  private made(records: PaymentRecord[]): PaymentRecord[] {
    return records.filter(
      (r) =>
        r.chargedBy !== 'gateway' ||
        r.transactionId !== null ||
        this.journal.getOperationByKey(r.idempotencyKey)?.state !== 'failed',
    );
  }

  /** The refunds made in the period, of the report's mode, whatever day their payment is from. */
  private refunds(window: DayWindow, mode = this.mode()): ReportRefund[] {
    return this.entries(this.journal.refundsBetween(mode, window.start, window.end), 'refund');
  }

  /**
   * The captures made in the period, of the report's mode, whatever day their payment is from; and
   * those made after its end up to now (a Z closed after midnight): of the period's own payments,
   * they were pending capture at its end (the report keeps them apart, DayReport.capturesAfter).
   */
  private captures(window: DayWindow, mode = this.mode()): ReportCapture[] {
    const until = Math.max(window.endMs, this.deps.clock.now() + 1);
    return this.entries(this.journal.capturesBetween(mode, window.start, new Date(until).toISOString()), 'capture');
  }

  /**
   * The shares of the period's split payments as they stood at its end (the journal dates each
   * change of a share, migration 018): a share released after the end was still held then.
   */
  private splits(payments: readonly ReportPayment[], window: DayWindow): ReportSplitShare[] {
    const ids = payments.filter((p) => p.createdAt >= window.start && p.createdAt < window.end).map((p) => p.id);
    return this.journal.splitSharesAt(ids, window.end).map((share) => ({
      paymentId: share.paymentId,
      merchantId: share.merchantId,
      amount: share.amount,
      status: share.status,
      released: share.releasedAmount,
      at: share.at,
    }));
  }

  /**
   * The late outcomes of earlier days' payments learned in the period (Journal.noteLateOutcome): a
   * closed Z is never rewritten, so the period's report carries them as corrections to earlier days.
   */
  private corrections(window: DayWindow, mode = this.mode()): ReportCorrection[] {
    return this.journal.lateOutcomes(mode, window.start, window.end).map((outcome) => ({
      paymentId: outcome.paymentId,
      orderReference: outcome.orderReference,
      createdAt: outcome.createdAt,
      currency: outcome.currency,
      amount: outcome.amount,
      was: outcome.was,
      now: outcome.now,
      at: outcome.at,
      zNumber: outcome.zNumber,
      date: outcome.businessDate,
    }));
  }

  /**
   * Each entry with the part of its payment's tip it moved (keptTip): a capture the tip it brought
   * in, a refund the tip it gave back.
   */
  private entries(recorded: readonly MoneyEntryRecord[], kind: 'capture' | 'refund'): ReportEntry[] {
    const label = this.labels();
    const tipOf = (entry: MoneyEntryRecord): number => {
      if (entry.tipAmount <= 0) return 0;
      const kept = (captured: number, refunded: number) =>
        keptTip(entry.paymentAmount, entry.tipAmount, captured, refunded);
      const { capturedBefore: captured, refundedBefore: refunded, amount } = entry;
      return kind === 'capture'
        ? kept(captured + amount, refunded) - kept(captured, refunded)
        : kept(captured, refunded) - kept(captured, refunded + amount);
    };
    return recorded.map((entry) => ({
      paymentId: entry.paymentId,
      orderReference: entry.orderReference,
      at: entry.at,
      amount: entry.amount,
      currency: entry.currency,
      cardBrand: entry.cardBrand,
      readerLabel: label({ ...entry, ids: [entry.paymentId, entry.transactionId] }),
      movedBy: movedBy(entry),
      tip: tipOf(entry),
    }));
  }

  private reportPayment(record: PaymentRecord, label = this.labels()): ReportPayment {
    // An authorisation past its expiry holds nothing left to capture (PayPlug keeps such a payment
    // authorised and refuses the capture): it is not money pending capture.
    const expired =
      record.status === 'requires_capture' &&
      record.authorizationExpiresAt !== null &&
      Date.parse(record.authorizationExpiresAt) <= this.deps.clock.now();
    const notFollowed = this.deps.notFollowed?.(record) ?? null;
    return {
      id: record.id,
      orderReference: record.orderReference,
      createdAt: record.createdAt,
      status: record.status,
      amount: record.amount,
      tip: record.tipAmount,
      currency: record.currency,
      captured: record.amountCaptured,
      capturable: expired ? 0 : record.amountCapturable,
      refunded: record.amountRefunded,
      cardBrand: record.cardBrand,
      readerLabel: label({ ...record, ids: [record.id, record.transactionId] }),
      gateway: record.chargedBy === 'terminal' ? STANDALONE_LABEL : GATEWAY_LABELS[record.gateway],
      movedBy: movedBy(record),
      gatewayId: record.transactionId,
      attention: record.attentionSince !== null || notFollowed !== null,
      attentionReason: record.attentionReason ?? notFollowed,
      ...(takenHere(record) ? {} : { takenElsewhere: true }),
    };
  }

  // -- X and Z ----------------------------------------------------------------------------------

  async x(date = this.currentDate()): Promise<DayReportView> {
    // A date after the open day has no X yet: its period would start at the last Z and hold the open
    // day's payments under a date that has not begun.
    const open = this.currentDate();
    if (date > open) throw new HostError('conflict', `${date} has not started yet: the open day is ${open}.`);
    const window = this.window(date);
    const closed = this.journal.zReportFor(this.mode(), date);
    if (closed) return this.zView(closed);
    const payments = await this.payments(window);
    const report = xReport({
      payments,
      refunds: this.refunds(window),
      captures: this.captures(window),
      splits: this.splits(payments, window),
      corrections: this.corrections(window),
      plansNotRead: this.plansNotRead(this.deps.plansNotRead?.() ?? []),
      window,
      generatedAt: new Date(this.deps.clock.now()).toISOString(),
      testMode: this.mode() === 'test',
    });
    return this.view(report, null, payments);
  }

  /**
   * Closes a business day. Refused while payments of the day are in flight, and while payments
   * need attention unless an override says who decided and why (kept in the Z for ever). The
   * reconciliation with the gateway is kept with it.
   *
   * A Z covers exactly the payments up to its cut-off, as they are at that instant: the period is
   * read a page at a time (the till goes on between pages), then the cut-off is taken, the rows
   * changed meanwhile read again, the Z computed and stored, all without letting anything else
   * run. What happens after the cut-off belongs to the next day. Only then is the gateway asked
   * for the reconciliation of the Z's own period, kept with the Z when it answers: the Z was once
   * stored after that answer, so while a slow gateway was asked the day still looked open.
   *
   * One close at a time: a second close while one runs (a double click, a second window) is
   * refused at once rather than queued behind the gateway's answer.
   */
  async close(input: {
    date?: string | undefined;
    closedBy: string;
    override?: { by: string; reason: string } | undefined;
  }): Promise<DayReportView> {
    if (this.closing !== null) {
      throw new HostError(
        'conflict',
        `The day is being closed already (by ${this.closing}): its Z report is on its way. Open it in the list of closed days.`,
      );
    }
    this.closing = input.closedBy.trim() || 'another window';
    try {
      return await this.closeNow(input);
    } finally {
      this.closing = null;
    }
  }

  /**
   * The day's unpaid payments the till cannot cancel: payment links on a gateway that cannot
   * withdraw one (its capabilities say so, `cancelsUnpaidLink`), by id, with that gateway's label.
   */
  private cannotCancel(payments: readonly ReportPayment[]): Map<string, string> {
    const out = new Map<string, string>();
    const active = this.deps.gateway();
    const gateways = new Map<GatewayName, PaymentGateway | null>();
    for (const payment of payments) {
      if (payment.status !== 'pending') continue;
      const record = this.journal.getPayment(payment.id);
      if (!record || record.channel !== 'link') continue;
      if (!gateways.has(record.gateway))
        gateways.set(
          record.gateway,
          record.gateway === active?.name ? active : (this.deps.gatewayFor?.(record.gateway) ?? null),
        );
      const gateway = gateways.get(record.gateway);
      if (gateway && !gateway.capabilities.cancelsUnpaidLink) out.set(payment.id, gateway.label);
    }
    return out;
  }

  /**
   * The day's unpaid payments taken with another gateway than the till's now, by id, with that
   * gateway's label: the till cancels them only once switched back to it.
   */
  private cancelAfterSwitch(payments: readonly ReportPayment[]): Map<string, string> {
    const out = new Map<string, string>();
    const active = this.deps.gateway()?.name;
    for (const payment of payments) {
      if (payment.status !== 'pending') continue;
      const record = this.journal.getPayment(payment.id);
      // A terminal on the shop's own bank cancels without any gateway.
      if (!record || record.chargedBy === 'terminal' || active === undefined || record.gateway === active) continue;
      out.set(payment.id, GATEWAY_LABELS[record.gateway]);
    }
    return out;
  }

  /**
   * Why `date` cannot be closed yet, or null: a day is closed on or after its own date in the shop's
   * calendar, never ahead of it — after an evening Z the next business day's period has begun, but
   * its date has not. The X of that day says so in place of its Close the day (found in a defect
   * hunt: the form was offered after every evening Z, and refused).
   */
  private notYetClosable(date: string, mode: Mode): string | null {
    const today = localDate(this.deps.clock.now(), this.zone());
    if (date <= today) return null;
    const last = this.journal.lastZReport(mode);
    return last && last.businessDate === today
      ? `Today (${today}) is already closed (Z ${last.number}). What is taken from now on counts for ${date}, which can be closed on that day.`
      : `${date} has not started yet; it cannot be closed.`;
  }

  /** The day's unpaid payments that are a part of an installment plan: cancelled only by aborting the plan. */
  private unpaidPlanParts(payments: readonly ReportPayment[]): Set<string> {
    return new Set(
      payments
        .filter((payment) => payment.status === 'pending')
        .filter((payment) => (this.journal.getPayment(payment.id)?.installmentPlanId ?? null) !== null)
        .map((payment) => payment.id),
    );
  }

  /** The day's payments waiting for the customer's tip (journaled, sent nowhere until it is chosen). */
  private awaitingTip(payments: readonly ReportPayment[]): Set<string> {
    return new Set(
      payments
        .filter((payment) => payment.status === 'creating')
        .filter((payment) => this.journal.getPayment(payment.id)?.tipState === 'awaiting')
        .map((payment) => payment.id),
    );
  }

  private async closeNow(input: {
    date?: string | undefined;
    closedBy: string;
    override?: { by: string; reason: string } | undefined;
  }): Promise<DayReportView> {
    // Read once: the Z is stored under the mode it was computed for, and reconciled in it, even if
    // Settings switch mode while the gateway is being asked for the reconciliation.
    const mode = this.mode();
    const date = input.date ?? this.currentDate(mode);
    const closed = this.journal.zReportFor(mode, date);
    if (closed)
      throw new HostError('conflict', `${date} is already closed (Z ${closed.number}); it cannot be closed again.`);
    const notYet = this.notYetClosable(date, mode);
    if (notYet !== null) throw new HostError('conflict', notYet);
    // A part of one of the till's plans the gateway charged in the day and the till has not read yet
    // is that day's sale, and the till's own: taken in first (the Z is closed without it, and it
    // counts in the open day when taken in later, if the gateway does not answer now).
    // (A plan that could not be read is logged where it was read, and named in the Z.)
    // Those not read are named in the Z: what the shop owner keeps says its figures may miss a part.
    const notRead = await this.readPlansBeforeClose();
    const open = this.window(date, mode);
    const label = this.labels();
    const since = this.rereadSince();
    const pages = await this.periodPayments(open, mode, label);

    // From the cut-off to the stored Z nothing awaits: the rows, the captures and refunds, the
    // totals and the period's end are one snapshot of the journal, and the Z is on disk before
    // anything else (a payment, a capture, another close) can run.
    const now = this.deps.clock.now();
    // The cut-off is never before the period's start: with the clock set back behind the last Z's
    // end (and the zone moved, or the date would not have begun), the Z's period ran backwards and
    // the next one started inside the last Z, counting its payments twice.
    if (now < open.startMs) {
      const zone = this.zone();
      throw new HostError(
        'conflict',
        `The day cannot be closed: the till's clock (${formatLocalDateTime(now, zone)}) is behind the end of the ` +
          `last Z report (${formatLocalDateTime(open.startMs, zone)}), where this day's period starts. Set the ` +
          `clock right, or close once it has passed that time.`,
      );
    }
    const window = windowBetween(date, open.timeZone, open.startMs, Math.min(now, open.endMs));
    const lastRecord = this.journal.lastZReport(mode);
    const previous = lastRecord ? (JSON.parse(lastRecord.report) as ZReport) : null;
    const payments = this.withChanges(pages, window, mode, since, label);
    const result = closeDay({
      clockAhead: this.clockAhead(now),
      cannotCancel: this.cannotCancel(payments),
      cancelAfterSwitch: this.cancelAfterSwitch(payments),
      planParts: this.unpaidPlanParts(payments),
      awaitingTip: this.awaitingTip(payments),
      payments,
      refunds: this.refunds(window, mode),
      captures: this.captures(window, mode),
      splits: this.splits(payments, window),
      corrections: this.corrections(window, mode),
      plansNotRead: this.plansNotRead(notRead, mode),
      window,
      closedAt: new Date(now).toISOString(),
      closedBy: input.closedBy,
      previous,
      override: input.override ?? null,
      testMode: mode === 'test',
    });
    if (!result.ok) {
      throw new HostError(result.code === 'invalid' ? 'validation' : 'conflict', refusal(result.code, result.message), {
        ...(result.code === 'attention_open' || result.code === 'payments_unpaid' || result.code === 'clock_ahead'
          ? { issues: [{ path: 'override', message: result.message }] }
          : {}),
        ...(result.code === 'payments_in_flight'
          ? { issues: result.inFlight.map((p) => ({ path: `inFlight.${p.id}`, message: p.orderReference })) }
          : {}),
      });
    }
    const z = result.z;
    this.storeZ({
      mode,
      number: z.number,
      businessDate: date,
      windowStart: window.start,
      windowEnd: window.end,
      closedAt: z.closedAt,
      closedBy: z.closedBy,
      override: z.override,
      report: JSON.stringify(z),
      reconciliation: null,
      digest: z.digest,
    });

    // The day is closed. The reconciliation of its period is kept with the Z once the gateway answers.
    try {
      const reconciliation = await this.reconcileWindow(window, [], mode);
      // Kept only once every gateway of the day was compared: until then Reconcile now can add it.
      if (uncheckedGateways(reconciliation.gateways!).length === 0)
        this.journal.setZReconciliation(mode, z.number, JSON.stringify(reconciliation));
    } catch {
      // the gateway could not be asked: the Z stands without it
    }
    return this.zView(this.journal.getZReport(mode, z.number)!);
  }

  /**
   * Stores a Z: one insert, so a journal that cannot be written (a full disk, a read-only data
   * directory) keeps nothing of it and the day stays open. The cashier is told so in the words of a
   * close (the payments' message speaks of the gateway and of a payment to take another way).
   */
  private storeZ(record: ZReportRecord): void {
    try {
      this.journal.insertZReport(record);
    } catch (error) {
      const problem = journalWriteProblem(error);
      if (!problem) throw error;
      throw new HostError(
        'internal',
        `The day is not closed: the app cannot write its journal (${problem.detail}): ${problem.why}. ` +
          `No Z report was kept and nothing of the day changed: it is still open. Free space on that disk ` +
          `(or fix it), then close the day again.`,
      );
    }
  }

  /**
   * The running plans read before a Z, answering those not read. A reading that fails as a whole
   * read none: every running plan is named, with why.
   */
  private async readPlansBeforeClose(): Promise<readonly PlanNotRead[]> {
    if (!this.deps.readPlans) return [];
    try {
      return await this.deps.readPlans();
    } catch (error) {
      return this.journal.runningPlans().map((plan) => ({ plan, reason: errorText(error) }));
    }
  }

  /**
   * The plans not read as a report of `mode` names them: its own mode's (another mode's parts are
   * in no report of this one), each once, still running (one that has ended since was read).
   */
  private plansNotRead(notRead: readonly PlanNotRead[], mode = this.mode()): ReportPlanNotRead[] {
    const named = new Map<string, ReportPlanNotRead>();
    for (const { plan, reason } of notRead) {
      if (plan.mode !== mode || named.has(plan.id)) continue;
      const current = this.journal.getPlan(plan.id);
      if (current && FINAL_PLAN_STATUSES.includes(current.status)) continue;
      named.set(plan.id, { orderReference: plan.orderReference, gateway: GATEWAY_LABELS[plan.gateway], reason });
    }
    return [...named.values()];
  }

  /**
   * Why a close at `now` is in doubt, or null: the till's clock is far ahead of the last thing the
   * journal recorded. Such a Z would be dated ahead for good, and date everything after it at its
   * end once the clock is set right.
   */
  private clockAhead(now: number): string | null {
    const last = this.journal.lastRecordedAt();
    if (last === null || now - last <= CLOCK_LEAD_LIMIT_MS) return null;
    const zone = this.zone();
    const days = Math.floor((now - last) / (24 * 3_600_000));
    return (
      `the till's clock says ${formatLocalDateTime(now, zone)}, ${days} days after the last payment or ` +
      `Z it recorded (${formatLocalDateTime(last, zone)}). If the clock is wrong, set it right first: a Z ` +
      `closed ahead would date everything recorded after it at its end. If it is right (the shop was ` +
      `closed), close with an override saying so`
    );
  }

  /**
   * A warning while the clock is behind the end of the last Z (beyond an NTP step): everything is
   * then recorded at that end, not at the clock's time (Journal.nowIso), and the cashier must know.
   */
  private clockWarning(): string | null {
    const end = this.journal.clockBehindLastZ();
    const now = this.deps.clock.now();
    if (end === null || Date.parse(end) - now <= CLOCK_BEHIND_WARNING_MS) return null;
    const zone = this.zone();
    return (
      `The till's clock (${formatLocalDateTime(now, zone)}) is behind the end of the last Z report ` +
      `(${formatLocalDateTime(Date.parse(end), zone)}). Payments, refunds and captures are recorded at ` +
      `that end until the clock passes it, so that they count in the open day and not in a closed one. ` +
      `Set the clock right; if it is right, the last Z was closed with the clock ahead: ask for help.`
    );
  }

  list(limit: number): ZSummaryView[] {
    return this.journal.listZReports(this.mode(), limit).map((record) => {
      const z = JSON.parse(record.report) as ZReport;
      return {
        number: record.number,
        date: record.businessDate,
        closedAt: record.closedAt,
        timeZone: z.window.timeZone,
        closedBy: record.closedBy,
        override: record.override,
        totals: z.totals.map((t) => ({ ...t })),
        valid: verifyZReport(z) && z.digest === record.digest,
      };
    });
  }

  get(number: number): DayReportView {
    const record = this.journal.getZReport(this.mode(), number);
    if (!record) throw new HostError('not_found', `No Z report ${number} in ${this.mode()} mode.`);
    return this.zView(record);
  }

  private zView(record: ZReportRecord): DayReportView {
    const z = JSON.parse(record.report) as ZReport;
    return this.view(z, record, z.payments);
  }

  /**
   * Whether a test report counts money a real terminal on the shop's own bank moved: a payment of
   * it that terminal charged, or a refund it credited. Such a terminal charges whatever the till's
   * mode, so the report must not say that no money moved (its receipts do not either).
   */
  private movedByShopBank(report: DayReport, payments: readonly ReportPayment[] | undefined): boolean {
    if (!report.testMode) return false;
    const ids = [
      ...(payments ?? []).map((p) => p.id),
      ...(report.refunds ?? []).map((r) => r.paymentId),
      ...(report.captures ?? []).map((c) => c.paymentId),
    ];
    // One query for a busy day's thousands of payments, not one each; then the few on terminals.
    return this.journal.terminalChargedAmong(ids).some((record) => chargedByShopBankTerminal(record, this.journal));
  }

  private view(
    report: DayReport,
    record: ZReportRecord | null,
    payments: readonly ReportPayment[] | undefined,
  ): DayReportView {
    const settings = this.deps.settings();
    const z = record ? (report as ZReport) : null;
    const reconciliation = record?.reconciliation ? storedReconciliation(record.reconciliation) : null;
    return {
      kind: report.kind,
      date: report.window.date,
      timeZone: report.window.timeZone,
      start: report.window.start,
      end: report.window.end,
      hours: report.window.hours,
      generatedAt: report.generatedAt,
      testMode: report.testMode,
      paymentCount: report.paymentCount,
      totals: report.totals.map(totalsView),
      byReader: shownGroups(report.byReader).map((g) => ({ key: g.key, ...totalsView(g) })),
      byCardBrand: shownCardBrands(report.byCardBrand).map((g) => ({ key: g.key, ...totalsView(g) })),
      // A Z closed before it was kept has none: null, and the screen says so.
      byMover: report.byMover?.map((g) => ({ key: g.key, ...totalsView(g) })) ?? null,
      // Absent from a day without split payments, and from a Z closed before it was kept.
      splitSettlement: (report.splitSettlement ?? []).map((t) => ({
        currency: t.currency,
        payments: t.payments,
        amount: t.amount,
        merchants: t.merchants.map((m) => ({ ...m })),
      })),
      corrections: (report.corrections ?? []).map((c) => ({ ...c })),
      // Absent when every running plan was read, and from a Z closed before they were named.
      plansNotRead: (report.plansNotRead ?? []).map((p) => ({ ...p })),
      attention: report.attention.map((a) => ({ ...a })),
      disputes: this.disputes(report),
      z: z
        ? {
            number: z.number,
            closedAt: z.closedAt,
            closedBy: z.closedBy,
            override: z.override,
            digest: z.digest,
            previousDigest: z.previousDigest,
            valid: verifyZReport(z) && z.digest === record!.digest,
          }
        : null,
      reconciliation,
      clockWarning: this.clockWarning(),
      closesLater:
        report.kind === 'X' ? this.notYetClosable(report.window.date, report.testMode ? 'test' : 'live') : null,
      text: reportText(report, settings.receiptWidth, {
        shopName: this.shopName(),
        shopBankTerminal: this.movedByShopBank(report, payments),
        ...(record ? { reconciliation: reconciliation && printable(reconciliation) } : {}),
      }),
    };
  }

  /**
   * The period's disputes per currency, information only (never in the takings; docs/reports.md#disputes).
   * Read from the journal as it is now, for a Z too: the till may learn of a dispute after the Z closed.
   */
  private disputes(report: DayReport): DayReportView['disputes'] {
    const { opened, lost } = this.journal.disputesInPeriod(
      report.testMode ? 'test' : 'live',
      report.window.start,
      report.window.end,
    );
    const totals = (rows: readonly { currency: string; amount: number }[]) => {
      const byCurrency = new Map<string, { currency: string; count: number; amount: number }>();
      for (const row of rows) {
        const t = byCurrency.get(row.currency) ?? { currency: row.currency, count: 0, amount: 0 };
        t.count++;
        t.amount += row.amount;
        byCurrency.set(row.currency, t);
      }
      return [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency));
    };
    return { opened: totals(opened), lost: totals(lost) };
  }

  private shopName(): string {
    return this.deps.settings().shopName || this.deps.accountName() || 'Shop';
  }

  /** A stored Z, or an X built now together with the payments it was built from. */
  private async report(ref: { date?: string | undefined; number?: number | undefined }): Promise<{
    report: DayReport;
    payments: readonly ReportPayment[] | undefined;
    /** A Z's reconciliation (null: none kept yet); undefined for an X. */
    reconciliation?: ReconciliationView | null;
  }> {
    const closed =
      ref.number !== undefined
        ? this.journal.getZReport(this.mode(), ref.number)
        : this.journal.zReportFor(this.mode(), ref.date ?? this.currentDate());
    if (ref.number !== undefined && !closed)
      throw new HostError('not_found', `No Z report ${ref.number} in ${this.mode()} mode.`);
    if (closed) {
      const z = JSON.parse(closed.report) as ZReport;
      return {
        report: z,
        payments: z.payments,
        reconciliation: closed.reconciliation ? storedReconciliation(closed.reconciliation) : null,
      };
    }
    const date = ref.date ?? this.currentDate();
    const window = this.window(date);
    const payments = await this.payments(window);
    const report = xReport({
      payments,
      refunds: this.refunds(window),
      captures: this.captures(window),
      splits: this.splits(payments, window),
      corrections: this.corrections(window),
      plansNotRead: this.plansNotRead(this.deps.plansNotRead?.() ?? []),
      window,
      generatedAt: new Date(this.deps.clock.now()).toISOString(),
      testMode: this.mode() === 'test',
    });
    // The X's rows are its own period's payments, as read for it (not read a second time).
    return { report, payments: payments.filter((p) => p.createdAt >= window.start && p.createdAt < window.end) };
  }

  /**
   * One row per payment of the period and a totals row per currency (RFC 4180, CRLF). A Z's rows
   * are the ones it stored when it closed, so its CSV always agrees with it; only a Z closed
   * before Zs kept their rows is read from the journal as it is now.
   */
  async csv(ref: {
    date?: string | undefined;
    number?: number | undefined;
  }): Promise<{ filename: string; content: string }> {
    const { report, payments, reconciliation } = await this.report(ref);
    const window = report.window;
    const rows = payments ?? (await this.periodPayments(window, this.mode()));
    const name = report.kind === 'Z' ? `z-${String((report as ZReport).number).padStart(4, '0')}` : 'x';
    return {
      filename: `${name}-${window.date}${report.testMode ? '-test' : ''}.csv`,
      // A Z stored before refunds (or captures) were dated counted its rows' amounts (refundsOf(), capturesOf()).
      content: paymentsCsv(
        rows,
        refundsOf({ ...report, payments: rows }),
        [...capturesOf({ ...report, payments: rows }), ...(report.capturesAfter ?? [])],
        window,
        reconciliation ? printable(reconciliation) : undefined,
        report.splitSettlement,
        report.corrections,
        report.plansNotRead,
        report.tipsKept ? 'kept' : 'asked',
      ),
    };
  }

  /** Prints an X (the figures now) or a stored Z on the receipt printer. */
  async print(ref: { date?: string | undefined; number?: number | undefined }) {
    if (!this.deps.settings().receiptPrinterPort) {
      throw new HostError('conflict', 'No receipt printer is set up. Choose its port in Settings (F7).');
    }
    const { report, payments, reconciliation } = await this.report(ref);
    return this.deps.print([
      reportEscPos(report, {
        shopName: this.shopName(),
        shopBankTerminal: this.movedByShopBank(report, payments),
        ...(reconciliation !== undefined ? { reconciliation: reconciliation && printable(reconciliation) } : {}),
        width: this.deps.settings().receiptWidth,
        cut: 'partial',
      }),
    ]);
  }

  // -- reconciliation ---------------------------------------------------------------------------

  async reconcile(date: string | undefined, terminal: readonly TypedTerminalTotals[]): Promise<ReconciliationView> {
    // A gateway's own reader prints no terminal ticket of the till's: its payments are in the gateway's list.
    const onGateway = terminal.findIndex((t) => t.readerId !== undefined && gatewayHostedReader(t.readerId));
    if (onGateway >= 0) {
      const message =
        "a reader of the gateway's own: its payments are compared with the gateway's list, name one of the till's terminals or All terminals";
      throw new HostError('validation', `terminal: ${message}`, {
        issues: [{ path: `terminal.${onGateway}.readerId`, message }],
      });
    }
    const day = date ?? this.currentDate();
    const mode = this.mode();
    const view = await this.reconcileWindow(this.window(day), terminal, mode);
    // A Z closed while a gateway did not answer takes the first reconciliation of its period made
    // since, as the close would have kept it (the gateways' side only, nothing typed) — once every
    // gateway its payments went to could be compared.
    const z = this.journal.zReportFor(mode, day);
    if (z && z.reconciliation === null && terminal.length === 0 && uncheckedGateways(view.gateways!).length === 0)
      this.journal.setZReconciliation(mode, z.number, JSON.stringify(view));
    return view;
  }

  /**
   * The period's payments against each gateway's own list: every gateway the period's payments
   * were sent to (a shop that switched gateway in Settings mid-day has two) and the till's active
   * one (its list may hold a sale the journal does not know). A gateway other than the active one
   * is read with its own credentials from Settings; without them, or when it does not answer, its
   * payments are not compared and the result says which gateway and why. The active gateway not
   * answering fails the whole reconciliation, as it always has (the till is offline).
   */
  private async reconcileWindow(
    window: DayWindow,
    typed: readonly TypedTerminalTotals[],
    mode = this.mode(),
  ): Promise<ReconciliationView> {
    const active = this.deps.gateway();
    const periodRecords = () =>
      this.made(this.journal.paymentsCreatedBetween(mode, window.start, window.end)).filter(takenHere);
    let records = periodRecords();
    const journalRows = (filter: (r: PaymentRecord) => boolean): JournalRow[] =>
      records.filter(filter).map((r) => ({
        id: r.id,
        gatewayId: r.transactionId,
        orderReference: r.orderReference,
        amount: r.amount,
        currency: r.currency,
        status: (COMPARABLE_STATUS[r.status] ?? r.status) as JournalRow['status'],
        captured: r.amountCaptured,
        refunded: r.amountRefunded,
        readerLabel: r.readerId ? this.deps.readerLabel(r.readerId) : null,
      }));
    // What went to a gateway: its payments, minus those never sent (waiting for a tip, or
    // canceled before it) — the gateway cannot list what it never saw.
    const sent = (r: PaymentRecord) =>
      r.chargedBy === 'gateway' &&
      (r.transactionId !== null || this.journal.getOperationByKey(r.idempotencyKey) !== undefined);
    const names = new Set<GatewayName>(records.filter(sent).map((r) => r.gateway));
    if (active) names.add(active.name);

    const gateways: ReconciliationGatewayView[] = [];
    const results: ReconcileResult[] = [];
    const differences: ReconciliationView['differences'] = [];
    for (const name of GATEWAY_NAMES.filter((n) => names.has(n))) {
      const label = GATEWAY_LABELS[name];
      const gateway = name === active?.name ? active : (this.deps.gatewayFor?.(name) ?? null);
      // Made on another account of this gateway than the one read now ('' on either side: not known,
      // compared as before): that account's list is not this one's, so it is named, not compared.
      const reading = gateway ? (this.deps.gatewayAccountOf?.(name) ?? '') : '';
      const mine = (r: PaymentRecord) =>
        sent(r) && r.gateway === name && (reading === '' || r.gatewayAccount === '' || r.gatewayAccount === reading);
      let rows = journalRows(mine);
      const elsewhere = records.filter((r) => sent(r) && r.gateway === name && !mine(r));
      const elsewhereNote = elsewhere.length > 0 ? madeElsewhere(name, elsewhere, reading) : null;
      const withElsewhere = (note: string | null) =>
        [note, elsewhereNote].filter((n): n is string => n !== null).join(' ') || null;
      const apart = elsewhere.length > 0 ? { otherAccounts: elsewhere.length } : {};
      const notCompared = (gap: ReconciliationGap, note: string): ReconciliationGatewayView => ({
        name,
        label,
        compared: false,
        gap,
        note: withElsewhere(note),
        payments: rows.length,
        matched: 0,
        differences: 0,
        ...apart,
      });
      const theirs = `${rows.length} payment${rows.length === 1 ? '' : 's'} of the period sent to it`;
      if (!gateway) {
        gateways.push(
          notCompared(
            'not_configured',
            `${label} is not compared: it has no credentials for ${mode} mode in Settings (F7), so its ${theirs} ` +
              `could not be checked. Add them and reconcile again.`,
          ),
        );
        continue;
      }
      if (!gateway.capabilities.listsPayments) {
        gateways.push(notCompared('no_list', `${label} keeps no list of payments the till could compare with.`));
        continue;
      }
      let listed: GatewayList;
      try {
        listed = await this.gatewayPayments(gateway, window, { gateway: name, mode, gatewayAccount: reading });
      } catch (error) {
        if (gateway === active) throw error;
        gateways.push(
          notCompared(
            'unreachable',
            `${label} could not be asked (${errorText(error)}), so its ${theirs} could not be checked. Reconcile again once it answers.`,
          ),
        );
        continue;
      }
      // Parts of the till's plans it took in from the list: its own payments, compared as such.
      if (listed.takenIn > 0) {
        records = periodRecords();
        rows = journalRows(mine);
      }
      if (listed.complete) listed.payments.push(...(await this.datedLater(gateway, rows, listed.payments)));
      const result = reconcile({
        journal: rows,
        gateway: listed.payments.map((p) => ({
          id: p.id,
          orderReference: p.orderReference,
          amount: p.amount,
          currency: p.currency,
          status: p.status,
          captured: p.amountCaptured,
          refunded: p.amountRefunded,
        })),
        gatewayComplete: listed.complete,
      });
      results.push(result);
      differences.push(...result.differences.map((d) => ({ ...d, gateway: label })));
      const incomplete = listed.complete
        ? undefined
        : { read: listed.read, listed: listed.listed, more: listed.more, unchecked: result.uncheckedJournal };
      gateways.push({
        name,
        label,
        compared: true,
        gap: null,
        note: withElsewhere(
          incomplete
            ? `Incomplete: ${label} lists ${incomplete.more ? 'at least ' : ''}${incomplete.listed} payments for ` +
                `these dates and only the first ${incomplete.read} were read. ${incomplete.unchecked} of the ` +
                `journal's payments could not be checked and are not counted as differences; the gateway's totals ` +
                `are of the part read only.`
            : null,
        ),
        payments: rows.length,
        matched: result.matchedByGatewayId + result.matchedByOrderReference,
        differences: result.differences.length,
        ...apart,
        ...(incomplete ? { incomplete } : {}),
      });
    }
    if (gateways.length === 0) {
      gateways.push({
        name: null,
        label: null,
        compared: false,
        gap: 'not_configured',
        note: 'No gateway is set up: only the terminals can be compared.',
        payments: 0,
        matched: 0,
        differences: 0,
      });
    }
    const parts = gateways.filter((g) => g.incomplete).map((g) => g.incomplete!);
    const incomplete: ReconciliationView['incomplete'] =
      parts.length > 0
        ? {
            read: parts.reduce((sum, p) => sum + p.read, 0),
            listed: parts.reduce((sum, p) => sum + p.listed, 0),
            more: parts.some((p) => p.more),
            unchecked: parts.reduce((sum, p) => sum + p.unchecked, 0),
          }
        : undefined;

    // The terminals' own totals (their end-of-day tickets) against every approved card payment of
    // their reader, whoever charged it. "All readers" is all the till's terminals: a payment on one
    // of the gateway's own readers is on no terminal's ticket (found in a defect hunt: a shop with
    // both kinds saw their cloud payments as a difference).
    const terminal: TerminalTotals[] = typed.map((t) => ({
      currency: t.currency.toUpperCase(),
      count: t.count,
      amount: t.amount,
      readerLabel: t.readerId ? (this.deps.readerLabel(t.readerId) ?? t.readerId) : null,
    }));
    const withTerminals: ReconcileResult | null =
      terminal.length > 0
        ? reconcile({
            journal: journalRows(
              (r) => r.channel === 'card_present' && r.readerId !== null && !gatewayHostedReader(r.readerId),
            ),
            gateway: [],
            terminal,
          })
        : null;
    differences.push(...(withTerminals?.differences.filter((d) => d.cause === 'terminal_differs') ?? []));
    // Per currency, the journal's and the gateways' sides summed over the gateways compared.
    const totals: ReconciliationView['totals'] = [];
    const totalOf = (currency: string) => {
      let row = totals.find((t) => t.currency === currency);
      if (!row) {
        row = {
          currency,
          journal: { count: 0, amount: 0 },
          gateway: { count: 0, amount: 0 },
          terminal: null,
          terminalJournal: null,
        };
        totals.push(row);
      }
      return row;
    };
    for (const t of results.flatMap((r) => r.totals)) {
      const row = totalOf(t.currency);
      row.journal = { count: row.journal.count + t.journal.count, amount: row.journal.amount + t.journal.amount };
      row.gateway = { count: row.gateway.count + t.gateway.count, amount: row.gateway.amount + t.gateway.amount };
    }
    // The terminals' pair: their tickets against the journal's payments of the same terminals (not
    // the gateway pair's journal, which counts the gateway's own readers' payments too).
    for (const t of withTerminals?.totals ?? []) {
      const row = totalOf(t.currency);
      row.terminal = t.terminal;
      row.terminalJournal = t.terminalJournal;
    }
    totals.sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
    const labels = gateways.flatMap((g) => (g.label ? [g.label] : []));
    const notes = gateways.flatMap((g) => (g.note ? [g.note] : []));
    return {
      date: window.date,
      start: window.start,
      end: window.end,
      gateway: {
        label: labels.length > 0 ? labels.join(' and ') : null,
        compared: gateways.every((g) => g.compared),
        note: notes.length > 0 ? notes.join(' ') : null,
      },
      gateways,
      ok: differences.length === 0 && !incomplete && uncheckedGateways(gateways).length === 0,
      matchedByGatewayId: results.reduce((sum, r) => sum + r.matchedByGatewayId, 0),
      matchedByOrderReference: results.reduce((sum, r) => sum + r.matchedByOrderReference, 0),
      differences: differences.map((d) => ({ ...d })),
      totals,
      standalone: records.filter((r) => r.chargedBy === 'terminal').length,
      ...(incomplete ? { incomplete } : {}),
    };
  }

  /**
   * The journal's payments of the period the gateway's list for its dates lacks, read one by one: a
   * payment the journal dated after the gateway made it (a part of a plan charged in a period a Z
   * had closed, taken in later) is filed under the open day, but the gateway lists it under the
   * date it was charged, which the open day's dates may not reach — it was "journal only" though
   * the gateway has it. One that cannot be read stays as it is (a difference); at most
   * LATE_LOOKUPS are read, so a list that lacks a whole day (another account) costs no more.
   */
  private async datedLater(
    gateway: PaymentGateway,
    rows: readonly JournalRow[],
    listed: readonly GatewayPayment[],
  ): Promise<GatewayPayment[]> {
    const ids = new Set(listed.map((p) => p.id));
    const missing = rows.flatMap((row) => (row.gatewayId && !ids.has(row.gatewayId) ? [row.gatewayId] : []));
    const found: GatewayPayment[] = [];
    for (const id of missing.slice(0, LATE_LOOKUPS)) {
      try {
        const payment = await gateway.retrieve(id);
        if (payment.id === id) found.push(payment);
      } catch {
        // not read: it stays a difference
      }
    }
    return found;
  }

  /**
   * The gateway's payments created in the period. Its list filters by (UTC) date, so the days the
   * period touches are asked and the rows cut to the period; a payment the journal files under
   * another business day (after an early Z) is that day's, not this one's.
   */
  private async gatewayPayments(
    gateway: PaymentGateway,
    window: DayWindow,
    reading: TransactionAccount,
  ): Promise<GatewayList> {
    const byId = new Map<string, GatewayPayment>();
    const maxPages = this.deps.gatewayMaxPages ?? GATEWAY_MAX_PAGES;
    let complete = false;
    let listed = 0;
    let more = false;
    let read = 0;
    for (let page = 1; page <= maxPages; page++) {
      const result = await gateway.list({
        dateFrom: window.start.slice(0, 10),
        dateTo: new Date(window.endMs - 1).toISOString().slice(0, 10),
        sortField: 'created_at',
        sortOrder: 'asc',
        page,
        size: GATEWAY_PAGE,
      });
      read += result.data.length;
      // A payment made while the list is read may shift a row onto the next page: listed once.
      for (const p of result.data) byId.set(p.id, p);
      listed = Math.max(result.meta.total, read);
      more = result.meta.more === true;
      if (page >= result.meta.lastPage || result.data.length === 0) {
        complete = true;
        break;
      }
    }
    const all = [...byId.values()];
    read = all.length;
    // A part of one of the till's plans the gateway charged before the till read the plan again is
    // the till's own, not a payment taken elsewhere: it joins the journal first, dated when it was
    // charged (in the open day if a Z closed that time since), and is filed under that day below.
    let takenIn = (await this.deps.takeInPlanParts?.(gateway, all)) ?? 0;
    // So is the create of one of its payments the cashier recorded as not made, listed after all:
    // taken in as that payment (flagged in Needs attention), compared and counted once, as its own.
    takenIn += this.deps.takeInNotMade?.(gateway, all) ?? 0;
    // The journal's payments of these rows, in a few queries rather than one per row: those of the
    // account read, never another account's payment of the same id (filed by its date, not theirs).
    const journaled = this.journal.findByTransactionIds(
      all.map((p) => p.id),
      reading,
    );
    const payments = all.filter((p) => {
      const at = Date.parse(p.createdAt);
      const known = journaled.get(p.id);
      if (known && takenHere(known)) return known.createdAt >= window.start && known.createdAt < window.end;
      return at >= window.startMs && at < window.endMs;
    });
    return { payments, complete, read, listed, more: !complete && more, takenIn };
  }
}

/** The gateway's list for a period, and whether it was read to its end. */
interface GatewayList {
  /** Its payments in the period (those read). */
  payments: GatewayPayment[];
  /** False: pages were left unread (more than the most read for one reconciliation). */
  complete: boolean;
  /** Rows read, before cutting them to the period. */
  read: number;
  /** How many the gateway says it lists for the dates asked (at least that many when `more`). */
  listed: number;
  more: boolean;
  /** Parts of the till's own plans in the list the journal lacked, taken in before comparing. */
  takenIn: number;
}

/**
 * The period's payments of a gateway made on another account than the one it is read with now (the
 * embedded sandbox before a switch, the shop's own before its URL and key changed), named apart: no
 * list of this account holds them, so they are neither compared nor "journal only".
 */
function madeElsewhere(name: GatewayName, records: readonly PaymentRecord[], reading: string): string {
  const accounts = [...new Set(records.map((r) => r.gatewayAccount))].map((a) => accountWords(name, a).words);
  const count = records.length === 1 ? '1 payment of the period was' : `${records.length} payments of the period were`;
  return (
    `${count} made on another account (${accounts.join('; ')}), not compared: ` +
    `the till now reads ${GATEWAY_LABELS[name]} on ${accountWords(name, reading).words}.`
  );
}

/** Who moved a payment's money, as the reports' breakdown names it: its gateway, or the shop's bank. */
function movedBy(payment: Pick<PaymentRecord, 'chargedBy' | 'gateway'>): string {
  return payment.chargedBy === 'terminal' ? STANDALONE_LABEL : GATEWAY_LABELS[payment.gateway];
}

/**
 * Whether this till took the payment: made here, or one it adopted when it reached this till's
 * reader or installment plan. Not one looked up to refund, capture or cancel (another till's, the
 * website's): that sale is another's, filed at the gateway's time (found by a tester: refunding
 * another till's payment counted its sale in the refunding till's day).
 */
function takenHere(record: PaymentRecord): boolean {
  return record.origin === 'local' || record.readerId !== null || record.installmentPlanId !== null;
}

/**
 * The gateways of a reconciliation whose payments of the period could not be compared for a
 * reason that can be fixed (no credentials, no answer). While one is left the reconciliation is
 * not ok, and not kept with a Z. A gateway that keeps no list (Plural) never can be: it is said,
 * not waited for.
 */
export function uncheckedGateways(gateways: readonly ReconciliationGatewayView[]): ReconciliationGatewayView[] {
  return gateways.filter((g) => !g.compared && g.gap !== 'no_list' && g.payments > 0);
}

/**
 * A reconciliation as stored, with its gateways: one kept before days were reconciled per gateway
 * had only `gateway`, then its only one.
 */
export function storedReconciliation(json: string): ReconciliationView {
  const view = JSON.parse(json) as ReconciliationView;
  if (view.gateways) return view;
  const { label, compared, note } = view.gateway;
  return {
    ...view,
    gateways: [
      {
        name: null,
        label,
        compared,
        gap: compared ? null : label ? 'no_list' : 'not_configured',
        note,
        payments: 0,
        matched: view.matchedByGatewayId + view.matchedByOrderReference,
        differences: view.differences.filter((d) => d.cause !== 'terminal_differs').length,
        ...(view.incomplete ? { incomplete: view.incomplete } : {}),
      },
    ],
  };
}

/** A reconciliation as the printed report and the CSV take it. */
function printable(view: ReconciliationView): ReportReconciliation {
  return { ok: view.ok, gateways: view.gateways ?? [], differences: view.differences };
}

function totalsView(t: ReportTotalsView): ReportTotalsView {
  return {
    currency: t.currency,
    payments: t.payments,
    approvedCount: t.approvedCount,
    approvedAmount: t.approvedAmount,
    declinedCount: t.declinedCount,
    canceledCount: t.canceledCount,
    openCount: t.openCount,
    captured: t.captured,
    pendingCapture: t.pendingCapture,
    refunded: t.refunded,
    tips: t.tips,
    net: t.net,
  };
}

function refusal(code: string, message: string): string {
  switch (code) {
    case 'payments_in_flight':
    case 'payments_unpaid':
    case 'attention_open':
    case 'clock_ahead':
      return `The day cannot be closed: ${message}.`;
    case 'already_closed':
    case 'out_of_order':
      return `The day cannot be closed: ${message}.`;
    case 'previous_invalid':
      return `The day cannot be closed: ${message}. The stored Z reports were changed; ask for help before closing.`;
    default:
      return message.charAt(0).toUpperCase() + message.slice(1) + '.';
  }
}
