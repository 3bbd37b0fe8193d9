/**
 * The end-of-day inputs and outputs. Plain data: the host maps journal rows (and the gateway's
 * transaction list, and the terminal's batch totals) into these; nothing here reads a database,
 * a clock or the network. Money is integer minor units of the row's currency.
 */
import type { PaymentStatus } from '../../common/contract';

/** One payment as the reports need it (a journal row plus what the host knows about it). */
export interface ReportPayment {
  readonly id: string;
  readonly orderReference: string;
  /** ISO-8601 instant; decides which day the payment belongs to. */
  readonly createdAt: string;
  readonly status: PaymentStatus;
  /** What the card was asked for, tip included. */
  readonly amount: number;
  /** The part of amount that is tip (0 for none). */
  readonly tip: number;
  /** ISO 4217 alphabetic. */
  readonly currency: string;
  readonly captured: number;
  /** Authorised and not yet captured (manual capture). */
  readonly capturable: number;
  readonly refunded: number;
  readonly cardBrand: string | null;
  readonly readerLabel: string | null;
  /** Gateway name ("PlutoPay"). */
  readonly gateway: string;
  /**
   * Who moved the money: the gateway's label ("PlutoPay"), or the shop's bank for a terminal that
   * charges through it ("Terminal (shop's bank)"). The key of the report's byMover breakdown. Absent
   * from the rows of a Z closed before it was kept.
   */
  readonly movedBy?: string;
  /** The gateway's transaction id, when known. */
  readonly gatewayId?: string | null;
  /** Needs a person's attention (outcome unknown, capture or refund stuck…). */
  readonly attention: boolean;
  readonly attentionReason?: string | null;
  /**
   * Taken by another till or the website, and only looked up here (to refund, capture or cancel
   * it): not one of this till's sales. Its refunds made here still count, on the day they were made.
   */
  readonly takenElsewhere?: boolean;
}

/**
 * Money moved on a payment, as the reports count it: on the day it was made, whatever day its
 * payment is from (a sale refunded, or an authorisation captured, after its day was closed counts in
 * the day of the refund or the capture).
 */
export interface ReportEntry {
  readonly paymentId: string;
  readonly orderReference: string;
  /** ISO-8601 instant it was recorded; decides which day it counts in. */
  readonly at: string;
  /** Minor units; negative when the gateway later took back part of a refund. */
  readonly amount: number;
  /** ISO 4217 alphabetic. */
  readonly currency: string;
  /** Its payment's, for the breakdowns. */
  readonly cardBrand: string | null;
  readonly readerLabel: string | null;
  /** Its payment's (ReportPayment.movedBy); absent from a Z closed before it was kept. */
  readonly movedBy?: string;
  /**
   * The part of its payment's tip it moved (see keptTip): a capture's, the tip it brought in; a
   * refund's, the tip it gave back. Absent from a Z closed before tips were counted so.
   */
  readonly tip?: number;
}

/**
 * How a report counts Tips. 'kept' (every report since): the tips of the captures made in the
 * period, less those refunds made in it gave back — the tip the shop was paid and kept. 'asked' (a Z
 * closed before): every approved payment's whole tip, captured or not.
 */
export type TipsRule = 'kept' | 'asked';

export type ReportRefund = ReportEntry;
export type ReportCapture = ReportEntry;

/**
 * One merchant's share of a split payment (split settlement), as it stood at the period's end: held
 * for the merchant, released (settled to it: `released`, part of the share after a partial
 * release) or cancelled (given back).
 */
export interface ReportSplitShare {
  readonly paymentId: string;
  readonly merchantId: string;
  /** Minor units of its payment's currency. */
  readonly amount: number;
  /** The gateway's word: HOLD, RELEASED, CANCELLED (REQUESTED before the gateway had the payment). */
  readonly status: string;
  /** Settled to the merchant (the share, or part of it after a partial release). */
  readonly released: number;
  /**
   * When the share came to this status (ISO 8601): after a partial capture, the captured money
   * went to the shares released or cancelled first. Absent: in the order given.
   */
  readonly at?: string;
}

/** One merchant's shares of a currency's split payments, and where they stood at the period's end. */
export interface SplitMerchantTotals {
  readonly merchantId: string;
  readonly shares: number;
  /** The shares' amounts, within what was captured of their payments: held + released + returned. */
  readonly amount: number;
  /** Not settled yet (HOLD, or not known by the gateway yet). */
  readonly held: number;
  /** Settled to the merchant. */
  readonly released: number;
  /** Not for the merchant: a cancelled share, the rest of a partial release (given back to the customer). */
  readonly returned: number;
}

/** The split payments of one currency: their total, and how it is shared between the merchants. */
export interface SplitSettlementTotals {
  readonly currency: string;
  /** The period's approved payments with shares. */
  readonly payments: number;
  /** Their amounts. */
  readonly amount: number;
  /** By merchant id. */
  readonly merchants: readonly SplitMerchantTotals[];
}

/**
 * A correction to an earlier day: a payment a closed Z counted whose outcome the till learned after
 * that Z closed — approved there and found never made at the gateway, or not approved there
 * (declined, recorded as not made, not known) and found charged. A closed Z is never rewritten: the
 * report of the period in which it was learned carries it.
 */
export interface ReportCorrection {
  readonly paymentId: string;
  readonly orderReference: string;
  /** The payment's own time, in the earlier Z's period. */
  readonly createdAt: string;
  /** ISO 4217 alphabetic. */
  readonly currency: string;
  /**
   * What the earlier day's Approved should have said, in minor units (tip included): + found
   * charged, − found never made.
   */
  readonly amount: number;
  /** The status the earlier Z counted (or the last one a report carried), and the one learned. */
  readonly was: PaymentStatus;
  readonly now: PaymentStatus;
  /** ISO instant the till learned it: in this period. */
  readonly at: string;
  /** The Z that counted the payment, and its business date. */
  readonly zNumber: number;
  readonly date: string;
}

/**
 * A running installment plan the till could not read before the report was made (before a Z closed
 * the day; for an X, at the last reading of the plans): a part its gateway charged in the period and
 * not read yet is missing from the report's figures, and counts in the open day once read.
 */
export interface ReportPlanNotRead {
  /** The plan's order reference (its parts are ORDER#2, ORDER#3…). */
  readonly orderReference: string;
  /** The gateway that made the plan ("PayPlug"). */
  readonly gateway: string;
  /** Why it was not read ("PayPlug unreachable", "no keys for PayPlug"). */
  readonly reason: string;
}

/** A local calendar day in the shop's zone, as the instants it spans. */
export interface DayWindow {
  /** "YYYY-MM-DD", local. */
  readonly date: string;
  /** IANA zone. */
  readonly timeZone: string;
  /** ISO instants (UTC); start inclusive, end exclusive. */
  readonly start: string;
  readonly end: string;
  readonly startMs: number;
  readonly endMs: number;
  /** 24 on most days, 23 or 25 on DST changes (fractional in a few historical zones). */
  readonly hours: number;
  /** UTC offsets at start and end, "+01:00" / "+02:00". */
  readonly startOffset: string;
  readonly endOffset: string;
}

/** Totals of one currency (and, in the breakdowns, of one reader or card brand). */
export interface ReportTotals {
  readonly currency: string;
  /** Every payment counted here, whatever its status. */
  readonly payments: number;
  /** Authorised by the card: succeeded, requires_capture, refunded, partially_refunded. */
  readonly approvedCount: number;
  /** Sum of `amount` of the approved payments (tips included). */
  readonly approvedAmount: number;
  /** Status failed: refused, or could not be taken; nothing charged. */
  readonly declinedCount: number;
  readonly canceledCount: number;
  /** Not finished: creating, in_progress, pending, unknown. */
  readonly openCount: number;
  /** The captures made in the period, of its payments or earlier ones: money actually charged (before refunds). */
  readonly captured: number;
  /**
   * What the period's approved payments still held authorised and not captured at its end: their
   * `capturable` (requires_capture), plus what of them was captured after the end (see pendingAtEnd).
   */
  readonly pendingCapture: number;
  /** Sum of the refunds made in the period, of this period's payments or of earlier ones. */
  readonly refunded: number;
  /**
   * The tips the shop captured and kept in the period: the tips of its captures less the tips its
   * refunds gave back (TipsRule 'kept'); in a Z closed before, the approved payments' `tip`.
   */
  readonly tips: number;
  /** captured − refunded: what the day brings in (negative on a day of refunds only). */
  readonly net: number;
}

export interface GroupTotals extends ReportTotals {
  /** Reader label, card brand or who moved the money; "(none)" when the payment has none. */
  readonly key: string;
}

export interface AttentionItem {
  readonly id: string;
  readonly orderReference: string;
  readonly createdAt: string;
  readonly status: PaymentStatus;
  readonly amount: number;
  readonly currency: string;
  readonly reason: string | null;
  /** False for an item from an earlier day that is still open. */
  readonly inWindow: boolean;
}

export interface DayReport {
  readonly kind: 'X' | 'Z';
  readonly window: DayWindow;
  /** ISO instant the figures were taken. */
  readonly generatedAt: string;
  readonly testMode: boolean;
  /** Payments inside the window. */
  readonly paymentCount: number;
  /** Per currency, by code. */
  readonly totals: readonly ReportTotals[];
  /** By reader label then currency. */
  readonly byReader: readonly GroupTotals[];
  /** By card brand then currency. */
  readonly byCardBrand: readonly GroupTotals[];
  /**
   * By who moved the money (each gateway, the shop's bank terminals) then currency: what to check
   * against each gateway's payout and the bank. Absent from a Z closed before it was kept.
   */
  readonly byMover?: readonly GroupTotals[];
  /**
   * Split settlement, per currency: the period's approved split payments and each merchant's shares
   * of them, as they stood at the period's end. Absent when there are none (and from a report made
   * before it was kept).
   */
  readonly splitSettlement?: readonly SplitSettlementTotals[];
  /** Every open attention item given, oldest first, whatever its day. */
  readonly attention: readonly AttentionItem[];
  /**
   * The refunds made in the period, oldest first (what `refunded` adds up). Absent from a Z closed
   * before refunds were dated: its refunds are its payments' refunded amounts (refundsOf()).
   */
  readonly refunds?: readonly ReportRefund[];
  /**
   * The captures made in the period, oldest first (what `captured` adds up). Absent from a Z closed
   * before captures were dated: its captures are its payments' captured amounts (capturesOf()).
   */
  readonly captures?: readonly ReportCapture[];
  /**
   * Captures of the period's own payments made after its end, up to when the report was made (a Z
   * closed after midnight: a late sale captured in between), oldest first. Not the period's money
   * (the next period counts it); it was pending capture at the end, and is counted so. Absent when
   * there are none (and from a report made before they were kept).
   */
  readonly capturesAfter?: readonly ReportCapture[];
  /** Tips counted as kept (TipsRule): every report since; absent from a Z closed before. */
  readonly tipsKept?: true;
  /**
   * Corrections to earlier days: payments of closed Zs whose outcome was learned in this period,
   * oldest first (a payment changed back and forth in the period counts once, by where it ended).
   * Not in this period's Approved (its own payments only); what of them moved money is in its
   * Captured and Refunded, when it moved. Absent when there are none (and from a report made
   * before they were kept).
   */
  readonly corrections?: readonly ReportCorrection[];
  /**
   * The running installment plans not read before the report was made, by order reference: the
   * figures may miss a part charged in the period. Absent when every one was read (and from a report
   * made before they were kept), so every earlier Z reads, and verifies, as before.
   */
  readonly plansNotRead?: readonly ReportPlanNotRead[];
}

/** Who closed the day despite open attention items, and why. Recorded in the Z for ever. */
export interface AttentionOverride {
  readonly by: string;
  readonly reason: string;
}

export interface ZReport extends DayReport {
  readonly kind: 'Z';
  /** 1, 2, 3… per mode (test and live have their own sequences). */
  readonly number: number;
  readonly closedAt: string;
  readonly closedBy: string;
  /** Set when the day was closed with open attention items. */
  readonly override: AttentionOverride | null;
  /** The digest of the Z before, chaining the sequence; null for the first. */
  readonly previousDigest: string | null;
  /**
   * The day's payments as they were at the close, oldest first (covered by the digest): what the
   * Z's CSV lists. Absent from a Z closed before the rows were kept.
   */
  readonly payments?: readonly ReportPayment[];
  /** SHA-256 (hex) of every other field, canonical JSON: any later change shows. */
  readonly digest: string;
}

/**
 * A Z's reconciliation as its printed report and CSV show it: per gateway whether it was compared
 * (and why not), then each difference with the gateway it is with (the host's ReconciliationView).
 */
export interface ReportReconciliation {
  readonly ok: boolean;
  readonly gateways: readonly {
    readonly label: string | null;
    readonly compared: boolean;
    readonly note: string | null;
    readonly matched: number;
    readonly differences: number;
    /** Payments made on another account of the gateway: not compared (named in `note`). */
    readonly otherAccounts?: number;
  }[];
  readonly differences: readonly {
    readonly cause: string;
    readonly currency: string;
    readonly journalId: string | null;
    readonly gatewayId: string | null;
    readonly orderReference: string | null;
    readonly message: string;
    readonly gateway?: string;
  }[];
}
