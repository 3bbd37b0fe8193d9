/**
 * What a receipt is built from. Plain data the host assembles from the journal (payment row,
 * refunds, terminal ticket) and settings (shop, time zone, mode); nothing here reads a database,
 * a clock or a device. Amounts are integer minor units of `currency`.
 */
import type { PrintLine } from './layout';

export type ReceiptCopy = 'merchant' | 'customer';

/** How the payment stands, as the receipt reports it. */
export type ReceiptStatus =
  /** Authorised and captured (automatic capture). */
  | { readonly kind: 'approved' }
  /** Manual capture: the amount is held on the card, not yet charged. */
  | { readonly kind: 'authorised' }
  /** Refused by the card or issuer; nothing was charged. `reason` is printed as given. */
  | { readonly kind: 'declined'; readonly reason: string; readonly code?: string | null }
  /**
   * Ended before any card was refused: a payment link that expired unpaid, a reader that timed out
   * or was cancelled. Nothing was charged; `reason` is printed as given.
   */
  | { readonly kind: 'not_completed'; readonly reason: string; readonly code?: string | null }
  /** Stopped before authorisation, or an authorisation released; nothing was charged. */
  | { readonly kind: 'canceled' }
  /** Every captured unit refunded (`refunds` sums to `total`). */
  | { readonly kind: 'refunded' }
  /** Some refunded (`refunds` sums to less than `total`). */
  | { readonly kind: 'partially_refunded' };

export type EntryMode = 'contactless' | 'chip' | 'swipe' | 'manual' | 'unknown';

export interface ReceiptRefund {
  /** Minor units, positive. */
  readonly amount: number;
  /** ISO-8601 instant. */
  readonly at: string;
  /** The gateway's refund id, printed on the merchant copy. */
  readonly reference?: string | null;
}

/** One merchant's share of a split payment, as the gateway last said (the merchant copy prints them). */
export interface ReceiptShare {
  /** The merchant the share settles to, as the gateway names it. */
  readonly merchant: string;
  /** The shop's own reference for the share, if it gave one. */
  readonly reference?: string | null;
  /** Minor units of the payment's currency. */
  readonly amount: number;
  /** The gateway's state: HOLD, RELEASED, CANCELLED, or REQUESTED before the gateway has it. */
  readonly status: string;
  /** Settled to the merchant so far. */
  readonly released: number;
  /** Refunded from this share (recovered from the merchant or not). */
  readonly refunded: number;
}

export interface ReceiptShop {
  readonly name: string;
  /** Printed centered under the name, one row each (wrapped when longer than the paper). */
  readonly addressLines: readonly string[];
  /** Printed at the bottom of the customer copy (VAT number, returns policy…). */
  readonly footerLines?: readonly string[];
}

export interface ReceiptInput {
  readonly shop: ReceiptShop;
  readonly paymentId: string;
  readonly orderReference: string;
  /** ISO-8601 instant the payment was created. */
  readonly createdAt: string;
  /** IANA zone of the shop, for the printed local time ("Europe/Paris"). */
  readonly timeZone: string;
  /** Before tip, minor units. */
  readonly amount: number;
  /** Minor units, 0 for none. */
  readonly tip: number;
  /** The percentage chosen, printed beside the tip; null or absent for a custom tip. */
  readonly tipPercent?: number | null;
  /** amount + tip: what the card was asked for. Checked. */
  readonly total: number;
  /** ISO 4217 alphabetic. */
  readonly currency: string;
  readonly status: ReceiptStatus;
  readonly card?: { readonly brand: string; readonly last4: string } | null;
  readonly entryMode?: EntryMode | null;
  readonly authCode?: string | null;
  /**
   * Who charged the card: the gateway, or (`terminal`) a terminal on the shop's own bank, with no
   * gateway — `name` is then the terminal's, and `reference` the till's own id for the payment (trm_…).
   */
  readonly gateway: { readonly name: string; readonly reference: string | null; readonly terminal?: boolean };
  readonly readerLabel?: string | null;
  /** Oldest first. */
  readonly refunds?: readonly ReceiptRefund[];
  /**
   * A part of an installment plan: which part of how many, and the plan's whole amount (the total
   * above is this part's), so the customer's paper says what the plan still asks for.
   */
  readonly installment?: { readonly part: number; readonly of: number; readonly planTotal: number } | null;
  /**
   * A split payment's shares. Printed on the merchant copy only: the customer paid the shop one
   * amount, and how it is shared between merchants (their ids, what is held) is the shop's business.
   */
  readonly shares?: readonly ReceiptShare[];
  /** The terminal's own ticket, line by line as it sent it; printed verbatim in a section of its own. */
  readonly terminalLines?: readonly string[];
  /** Test mode: every output carries TEST MODE — NO MONEY MOVED, top and bottom. */
  readonly testMode: boolean;
  /**
   * Charged by a real terminal on the shop's own bank (not a simulated one). Such a terminal charges
   * cards whatever the till's mode, and the app cannot tell whether it is on the bank's test
   * platform: a test receipt then carries TEST_MODE_SHOP_BANK_MARK instead of claiming no money moved.
   */
  readonly shopBankTerminal?: boolean;
  readonly copy: ReceiptCopy;
  /** A reprint: marked DUPLICATE. */
  readonly duplicate?: boolean;
  /** Money formatting locale; absent, each currency's own (en-US, Indian grouping for INR). */
  readonly locale?: string;
}

/** A receipt ready to render: what to print, independent of paper width and output format. */
export interface ReceiptModel {
  /** For the HTML document title and print job names: "Receipt ORD-1 (customer copy)". */
  readonly title: string;
  readonly copy: ReceiptCopy;
  readonly testMode: boolean;
  /** Absent: each currency's own. */
  readonly locale?: string;
  readonly lines: readonly PrintLine[];
}

export { TEST_MODE_MARK, TEST_MODE_SHOP_BANK_MARK } from '../../common/test-mode-marks';

export class ReceiptInputError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`cannot build the receipt: ${problems.join('; ')}`);
    this.name = 'ReceiptInputError';
  }
}
