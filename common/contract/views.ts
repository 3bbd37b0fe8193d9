/**
 * The contract's views: what the host returns and pushes, the errors, the events and the bridge.
 * Free of zod and of Node, so the renderer may import its values (the enumerations) as well as
 * its types; the command schemas live beside it in ./commands.ts. No secret (secret key,
 * connection token, webhook secret) ever appears in a view or an event: keys are shown masked.
 */
import type { CommandInput, CommandName } from './commands';
import type { SplitMerchant } from '../split-merchants';

export type { SplitMerchant };

// ---------------------------------------------------------------------------------------------
// Views the host returns and pushes

export type Mode = 'test' | 'live';

/** The statuses a gateway's transaction list can be filtered by (and a transaction can have). */
export const TRANSACTION_STATUSES = [
  'pending',
  'requires_capture',
  'succeeded',
  'failed',
  'canceled',
  'refunded',
  'partially_refunded',
] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

/** How a transaction was paid, as the transaction list filters it ('link': on a pay-by-link page). */
export const PAYMENT_METHOD_TYPES = ['card', 'wallet', 'bank_transfer', 'terminal', 'link'] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

/**
 * A payment's status on this till: a transaction's, plus the app's own
 * `creating` (journaled, create not yet confirmed), `in_progress` (pushed to a reader, waiting for
 * the card or authorising) and `unknown` (outcome unknown; being reconciled, see `attention`).
 */
export const PAYMENT_STATUSES = ['creating', 'in_progress', 'unknown', ...TRANSACTION_STATUSES] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export type ReaderStage = 'sent' | 'waiting_for_card' | 'processing';

/** The most shares one payment (or one refund) is split into: the contract's bound, checked by the screen too. */
export const MAX_SPLIT_SHARES = 20;

export const GATEWAY_NAMES = ['plutopay', 'payplug', 'plural'] as const;
export type GatewayName = (typeof GATEWAY_NAMES)[number];

/** How a gateway is named to people. */
export const GATEWAY_LABELS: Readonly<Record<GatewayName, string>> = {
  plutopay: 'PlutoPay',
  payplug: 'PayPlug',
  plural: 'Plural',
};

/** Plural's environments: UAT (its test environment) and production (live payments, https). */
export const PLURAL_URLS = { uat: 'https://pluraluat.v2.pinepg.in', live: 'https://api.pluralpay.in' } as const;

/**
 * Whether `url` is on Plural's UAT (test) host, however it is written: a trailing slash or dot, a
 * path, capitals or the default port still reach UAT, and live mode must refuse them all.
 */
export function isPluralUat(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const host = (name: string) => name.replace(/\.$/, '');
  return host(new URL(url).hostname) === host(new URL(PLURAL_URLS.uat).hostname);
}

/** What a gateway can do; the UI asks these, never the gateway's name. */
/** What a gateway's own transaction search finds besides an order or transaction reference. */
export type TransactionSearchField = 'description' | 'email' | 'cardLast4';

export interface GatewayCapabilities {
  /** Card present on a reader this app hosts, fed through the gateway's reader link. */
  readerLink: boolean;
  /** Readers the gateway hosts itself (paired by a registration code). */
  cloudReaders: boolean;
  /** Pay by link: the customer pays on their phone (a QR at the counter). */
  payByLink: boolean;
  /** Authorise now, capture later; with how many days the authorisation lasts when known. */
  deferredCapture: { authorizationDays: number | null } | null;
  /** A pay-by-link payment can be authorised now and captured later (else its link charges at once). */
  deferredCaptureByLink: boolean;
  /** Capture less than was authorised. */
  partialCapture: boolean;
  partialRefund: boolean;
  /** A payment split into a schedule of charges. */
  installments: { minCount: number; maxCount: number } | null;
  /** The gateway keeps a card for a returning customer who agreed. */
  savedCards: boolean;
  /** One payment settled to several merchants. */
  splitSettlement: boolean;
  /** Creates and refunds carry an idempotency key (else the app looks them up before a retry). */
  idempotencyKeys: boolean;
  /**
   * After a send whose outcome is unknown, how long the gateway may still be working on it, so that a
   * lookup finding nothing proves nothing yet: no operation is sent again before this has passed
   * since its last send (docs/reliability.md#the-settle-window). 0 where a resend cannot make a
   * second (an idempotency key, or a unique reference the gateway refuses twice).
   */
  resendAfterUnknownMs: number;
  /** Notifications forwarded to the till can be verified (a signature), not only used as a hint. */
  signedNotifications: boolean;
  /** The gateway lists its payments (else the Transactions screen lists this till's, from the journal). */
  listsPayments: boolean;
  /**
   * The gateway's list answers a `search` with its own matches (PayPlug's over its newest payments);
   * else only the till's journal answers one. Either way the till adds its order-reference matches.
   */
  transactionSearch: boolean;
  /**
   * What the gateway's search finds besides references (none where only the journal answers), so the
   * Transactions screen says what a search finds: PlutoPay descriptions and receipt emails, PayPlug
   * those and a card's last four digits.
   */
  transactionSearchFinds: readonly TransactionSearchField[];
  /**
   * The gateway's list filters pay-by-link payments (method "link"); else the till lists the links
   * it made from its journal (PlutoPay marks a link payment only in the till's own metadata).
   */
  filtersLinks: boolean;
  /** A pay-by-link payment not yet paid can be withdrawn (its page closed) before it expires. */
  cancelsUnpaidLink: boolean;
  /** Test mode: test cards can be presented through the gateway (simulated readers, pay links). */
  simulateCards: boolean;
  /** A note can be kept with a payment at the gateway (its metadata), after the fact. */
  paymentNotes: boolean;
  /** The gateway mails the receipt to the address given when the payment is created (receipt_email). */
  receiptEmail: boolean;
  /**
   * The gateway lists the disputes (chargebacks) customers' banks open on its payments: the till
   * reads them and shows each in Needs attention until it is won or lost. Else nothing is shown.
   */
  disputes: boolean;
  /** How its payments can be paid (the Transactions screen's Method filter offers these and no others). */
  paymentMethods: readonly PaymentMethodType[];
}

/** The gateway this till uses. */
export interface GatewayView {
  name: GatewayName;
  label: string;
  /**
   * Whether its credentials for this mode are set. Not yet: every command that needs the gateway is
   * refused (`not_configured`), but its capabilities and limits are its own already (the screens
   * choose from them, never from the name).
   */
  configured: boolean;
  capabilities: GatewayCapabilities;
  /**
   * Amount range in minor units, the currencies it takes (null: any the app knows) and the longest
   * description, in UTF-16 code units (an emoji counts as two).
   */
  limits: { amountMin: number; amountMax: number; currencies: readonly string[] | null; descriptionMax: number };
  /**
   * Test mode: the cards this gateway's sandbox knows for paying a link (the Simulate screen offers
   * them, and no others): PlutoPay's, PayPlug's or Plural's own table. Empty without link payments
   * to simulate.
   */
  linkTestCards: readonly { number: string; label: string }[];
}

/** What the cashier can do with a payment now (the Process and Capture screens offer these). */
export type PaymentAction = 'send_to_reader' | 'show_link' | 'cancel' | 'capture' | 'refund';

export interface PaymentView {
  id: string;
  /** The gateway it was made with. */
  gateway: GatewayName;
  /** Made in test mode (else live): the till acts on it only in its own mode. */
  testMode: boolean;
  /** card_present: collected on a reader; link: the customer pays at payUrl (shown as a QR). */
  channel: 'card_present' | 'link';
  /** A `link` payment charged to a card the customer saved: no page, no QR (PayPlug). */
  savedCard: boolean;
  /** The gateway's id for the payment. */
  transactionId: string | null;
  reference: string | null;
  orderReference: string;
  amount: number;
  currency: string;
  description: string | null;
  captureMethod: 'automatic' | 'manual';
  status: PaymentStatus;
  /** Where the reader is with it, while in_progress. */
  readerId: string | null;
  readerStage: ReaderStage | null;
  /**
   * The last decline or failure, in words for the cashier. `not_completed`: the reader did not
   * finish (no card in time, canceled on the reader): nothing was declined.
   */
  decline: { code: string; message: string; anotherCard: boolean; kind: 'declined' | 'not_completed' } | null;
  card: { brand: string; last4: string } | null;
  amountCapturable: number;
  amountCaptured: number;
  amountRefunded: number;
  customerId: string | null;
  receiptEmail: string | null;
  /** Operations waiting for the gateway to come back (offline queue). */
  queuedOperations: number;
  attention: AttentionView | null;
  /** Pay by link: where the customer pays, and until when. */
  payUrl: string | null;
  payUrlExpiresAt: string | null;
  /** Deferred capture: when the authorisation lapses (null when the gateway does not say). */
  authorizationExpiresAt: string | null;
  /** The till's installment plan (InstallmentPlanView.id) this payment is a part of. */
  installmentPlanId: string | null;
  /**
   * Which part of that plan it is, when its schedule lists it: the first the customer pays by link,
   * the gateway charges the others by itself. Absent for any other payment.
   */
  installment?: { part: number; of: number };
  /** Split settlement: each merchant's share and its state (empty when the payment is not split). */
  splits: SplitView[];
  /**
   * The tip, when tipping was asked for: `amount` above includes it. 'awaiting': the customer (or
   * cashier) has not chosen yet, and nothing has been sent to the gateway or a reader.
   */
  tip: { state: 'awaiting' | 'chosen'; preTipAmount: number; amount: number; percent: number | null } | null;
  /** 'terminal': charged by a reader through the shop's own bank (no gateway involved). */
  chargedBy: 'gateway' | 'terminal';
  /**
   * Made in the till's mode on another account than the one it uses now (the embedded sandbox's while
   * it is off, the shop's own while it is on, or its gateway's URL or key changed since): the till does
   * not follow it until that account is back. Settings leaves it out of what a change of account
   * leaves behind. Absent: false.
   */
  otherAccount?: true;
  /**
   * The cashier asked to cancel it while it was being created, and it is not finished yet: the host
   * cancels it as soon as the gateway has it (it never goes to a reader).
   */
  cancelAsked: boolean;
  /** What the reader said: how the card was read and the authorisation code. */
  entryMode: string | null;
  authCode: string | null;
  /** The last receipt print job and email request; a failed print shows "receipt not printed — reprint". */
  receipt: ReceiptStateView;
  next: PaymentAction[];
  createdAt: string;
  updatedAt: string;
}

/** What the cashier can do with one share of a split payment now. */
export type SplitAction = 'release' | 'cancel';

/** One merchant's share of a split payment. Amounts in minor units of the payment's currency. */
export interface SplitView {
  /** The gateway's id for the share (what settlements.release / cancel name); null until it has the payment. */
  id: string | null;
  merchantId: string;
  settlementReference: string | null;
  amount: number;
  /** Asked for on hold: settled only when the till releases it. */
  onHold: boolean;
  /** REQUESTED until the gateway has the payment, then the gateway's: HOLD, RELEASED, CANCELLED, … */
  status: string;
  /** Settled to the merchant (after a partial release, less than `amount`). */
  releasedAmount: number;
  /** Refunded to the customer from this share (recovered from the merchant or never settled). */
  refundedAmount: number;
  /**
   * What the share holds now, as the reports count it (docs/reports.md#split-settlement): a held
   * share's whole amount, or after a partial capture its part of the captured money left once the
   * shares released or cancelled took theirs (in proportion to the held shares' amounts). 0 when not
   * held, or when no captured money is left for it.
   */
  held: number;
  /**
   * Held at the gateway (`HOLD`) but holding nothing, for good: nothing captured is left for it — the
   * payment was voided before capture, or the other shares took all its captured money (released, or
   * given back with a cancel). Derived (`held` 0); the gateway still says HOLD. Nothing to settle: the
   * screen shows it closed, not held. `next` is `['cancel']` while the payment is paid (succeeded,
   * partially refunded), where the gateway takes a cancel that moves no money and tidies the share
   * there; empty on a refunded or voided payment, where it would refuse one.
   */
  closed: boolean;
  /**
   * Held at the gateway (`HOLD`) on a payment the customer has not paid yet (a link sent): nothing
   * is held until it is paid (`held` 0, out of the held totals), but it will be. Not closed; no action
   * is offered until then.
   */
  awaitingPayment: boolean;
  /**
   * Held at the gateway (`HOLD`) on a payment whose outcome the till does not know (`unknown`: it
   * may or may not have been charged). Money that may not exist is not held: `held` 0, out of the
   * held totals, counted apart in `SettlementPage.notKnown`; not closed; no action is offered. Once
   * the payment is resolved the share is held (charged) or holds nothing (never charged).
   */
  outcomeUnknown: boolean;
  /**
   * Held: the most a release can settle to the merchant now, as the host computes it — the whole
   * share, or after a partial capture what captured money is left (the rest then goes back to the
   * customer as far as it was captured). 0 when nothing can be released (not held, or only a cancel).
   */
  releasable: number;
  /**
   * The most a refund naming this share can take from it now, as the host computes it from the
   * journal (refundableByShare): a held share only whole, a cancelled one what of it was captured and
   * not yet refunded, a released one what is left to take back. 0 when nothing can be (the refund
   * form does not offer it).
   */
  refundable: number;
  /** A release or cancel of this share was sent and is not confirmed yet (it is retried). */
  pending: boolean;
  /** What the cashier can do to the share now: nothing while a step on it is pending. */
  next: SplitAction[];
}

export interface ReceiptStateView {
  print: {
    state: 'pending' | 'printed' | 'failed';
    error: string | null;
    duplicate: boolean;
    at: string;
    /**
     * Failed: the copies no print has printed since (an interrupted "both" stays owed until a print
     * covers both, a customer-only reprint leaves the merchant copy owed). Else the last job's copies.
     */
    copies: 'customer' | 'merchant' | 'both';
  } | null;
  /** 'sent': the gateway mails it; 'requested': the till recorded the request (the shop sends it). */
  email: { state: 'requested' | 'sent'; to: string; at: string } | null;
}

/** A receipt ready to show or print: plain text at the printer's width, or the paper's HTML markup. */
export interface RenderedReceipt {
  title: string;
  format: 'text' | 'html';
  /** Text: the rows, '\n'-ended. HTML: the paper's markup only (the app's print area styles it). */
  content: string;
  /** HTML: the complete self-contained document (for a print dialog of its own). */
  document: string | null;
  testMode: boolean;
}

/** One receipt job: a print (pending → printed | failed) or an email request. */
export interface ReceiptJobView {
  id: number;
  paymentId: string;
  channel: 'print' | 'email';
  copies: 'customer' | 'merchant' | 'both';
  duplicate: boolean;
  /** The printer's port, or the email address. */
  destination: string | null;
  state: 'pending' | 'printed' | 'failed' | 'requested' | 'sent';
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Totals of one currency (and, in the breakdowns, of one reader or card brand). Minor units. */
export interface ReportTotalsView {
  currency: string;
  payments: number;
  approvedCount: number;
  /** Tips included. */
  approvedAmount: number;
  declinedCount: number;
  canceledCount: number;
  /** Not finished: creating, in progress, pending, unknown. */
  openCount: number;
  captured: number;
  pendingCapture: number;
  refunded: number;
  tips: number;
  /** captured − refunded. */
  net: number;
}

/**
 * Split settlement of one currency (gateways with `splitSettlement`): the period's approved split
 * payments and each merchant's shares of them, as they stood at the period's end. Minor units.
 */
export interface SplitSettlementView {
  currency: string;
  payments: number;
  amount: number;
  /** By merchant id; held + released + returned = amount (after a partial capture, within what was captured). */
  merchants: {
    merchantId: string;
    shares: number;
    amount: number;
    held: number;
    released: number;
    returned: number;
  }[];
}

/** An X report (the business day so far) or a closed Z report. */
export interface DayReportView {
  kind: 'X' | 'Z';
  /** The business date, local to the shop. */
  date: string;
  timeZone: string;
  /** The period: start inclusive, end exclusive (ISO instants). */
  start: string;
  end: string;
  hours: number;
  generatedAt: string;
  testMode: boolean;
  paymentCount: number;
  totals: ReportTotalsView[];
  byReader: (ReportTotalsView & { key: string })[];
  byCardBrand: (ReportTotalsView & { key: string })[];
  /**
   * By who moved the money: each gateway by its label, and "Terminal (shop's bank)" for terminals
   * that charge through the shop's own bank. Null for a Z closed before it was kept.
   */
  byMover: (ReportTotalsView & { key: string })[] | null;
  /**
   * Split settlement per currency (docs/reports.md#split-settlement); empty when the period has no
   * split payment, and for a Z closed before it was kept.
   */
  splitSettlement: SplitSettlementView[];
  /**
   * Corrections to earlier days (docs/reports.md#corrections-to-earlier-days): payments of closed
   * Zs whose outcome the till learned in this period — `amount` + found charged, − found never made
   * (what that day's Approved should have said). The closed Z is never changed. Empty when none.
   */
  corrections: {
    paymentId: string;
    orderReference: string;
    createdAt: string;
    currency: string;
    amount: number;
    was: PaymentStatus;
    now: PaymentStatus;
    at: string;
    zNumber: number;
    date: string;
  }[];
  /**
   * Running installment plans the till could not read before the report — a Z: before it closed the
   * day; an X: at the last reading of the plans — with the gateway that made each and why: a part
   * charged in the period and not read yet is not in the figures (docs/reports.md). Empty when none.
   */
  plansNotRead: { orderReference: string; gateway: string; reason: string }[];
  /** Every payment needing attention, whatever its day (older ones are listed, not counted). */
  attention: {
    id: string;
    orderReference: string;
    createdAt: string;
    status: PaymentStatus;
    amount: number;
    currency: string;
    reason: string | null;
    inWindow: boolean;
  }[];
  /**
   * Disputes (chargebacks) in the period, information only: opened (the bank's date) and lost (the
   * gateway's decision), per currency, as the till knows them now. Never in the takings above: the
   * gateway takes a lost dispute out of a payout; the till refunded nothing (docs/reports.md#disputes).
   */
  disputes: { opened: DisputeTotalsView[]; lost: DisputeTotalsView[] };
  /** A Z's own facts; null for an X. `valid`: its digest still matches (nothing edited). */
  z: {
    number: number;
    closedAt: string;
    closedBy: string;
    override: { by: string; reason: string } | null;
    digest: string;
    previousDigest: string | null;
    valid: boolean;
  } | null;
  /** A Z: the reconciliation made when it was closed (null when the gateway could not be asked). */
  reconciliation: ReconciliationView | null;
  /**
   * Set while the till's clock is behind the end of the last Z: what is recorded meanwhile is
   * dated at that end, and the cashier is told so (docs/reliability.md#the-journal).
   */
  clockWarning: string | null;
  /**
   * An X of a business day whose date has not begun in the shop's calendar (the day after an
   * evening Z): why it cannot be closed yet, said in place of Close the day. Null otherwise.
   */
  closesLater: string | null;
  /** As printed, at the receipt printer's width. */
  text: string;
}

export interface DisputeTotalsView {
  currency: string;
  count: number;
  amount: number;
}

export interface ZSummaryView {
  number: number;
  date: string;
  closedAt: string;
  /** The zone the Z was closed in (its business day's), which the shop's may have left since. */
  timeZone: string;
  closedBy: string;
  override: { by: string; reason: string } | null;
  totals: ReportTotalsView[];
  valid: boolean;
}

export type DifferenceCause =
  'gateway_only' | 'journal_only' | 'amounts_differ' | 'status_differs' | 'terminal_differs';

/**
 * Why a gateway's list was not compared: it keeps none (Plural: never comparable), no credentials
 * for it are set up in this mode, or it did not answer. The last two can be fixed, and a Z's
 * reconciliation is kept only once none of them is left.
 */
export type ReconciliationGap = 'no_list' | 'not_configured' | 'unreachable';

/** One gateway of a reconciliation: the day's payments sent to it against its own list. */
export interface ReconciliationGatewayView {
  /** Null: no gateway is set up and the day has no gateway payment. */
  name: GatewayName | null;
  label: string | null;
  compared: boolean;
  /** Why it was not compared (null when it was). */
  gap: ReconciliationGap | null;
  /** Why it was not compared, or that its list was read only in part. */
  note: string | null;
  /** The period's journal payments sent to this gateway, on the account it is read with now. */
  payments: number;
  matched: number;
  differences: number;
  /**
   * The period's payments made on another account of this gateway (the embedded sandbox before a
   * switch, the shop's own before its URL and key changed): not compared, named in `note`. Absent: none.
   */
  otherAccounts?: number;
  /** Its list was not read to its end (see ReconciliationView.incomplete). */
  incomplete?: { read: number; listed: number; more: boolean; unchecked: number };
}

/**
 * The journal against each gateway's list for the same period (every gateway the period's
 * payments went to, and the till's own), and against the terminals' own totals.
 */
export interface ReconciliationView {
  date: string;
  start: string;
  end: string;
  /**
   * The gateways' side in one line: their labels, whether all were compared, and the notes of
   * those that were not (`gateways` has each one).
   */
  gateway: { label: string | null; compared: boolean; note: string | null };
  /**
   * Each gateway compared, or that could not be and why. Absent only from a reconciliation kept
   * with a Z before days were reconciled per gateway (`gateway` was then its only gateway).
   */
  gateways?: ReconciliationGatewayView[];
  ok: boolean;
  matchedByGatewayId: number;
  matchedByOrderReference: number;
  differences: {
    cause: DifferenceCause;
    currency: string;
    journalId: string | null;
    gatewayId: string | null;
    orderReference: string | null;
    message: string;
    /** The gateway the difference is with (its label); absent for a terminal's totals. */
    gateway?: string;
  }[];
  /**
   * Approved count and amount per currency, by source, in two pairs that compare like with like:
   * `journal` (the payments sent to the gateways compared, cloud readers' too) against `gateway`,
   * summed over the gateways compared; and `terminalJournal` (the journal's card payments of the
   * till's terminals the typed totals name, all of them for All terminals) against `terminal` (the
   * totals typed in), both null when none were typed. `terminalJournal` is absent from a
   * reconciliation kept with a Z before it was added.
   */
  totals: {
    currency: string;
    journal: { count: number; amount: number };
    gateway: { count: number; amount: number };
    terminal: { count: number; amount: number } | null;
    terminalJournal?: { count: number; amount: number } | null;
  }[];
  /** Payments of the period charged by terminals through the shop's own bank (not at the gateway). */
  standalone: number;
  /**
   * Present only when the gateway's list was not read to its end (more pages than the till reads
   * for one reconciliation): the comparison is incomplete. `read` of the `listed` payments were
   * compared (`more`: the gateway lists at least that many); `unchecked` journal payments were
   * not found in the part read and are not called "journal only" (`gateway.note` says so too).
   */
  incomplete?: { read: number; listed: number; more: boolean; unchecked: number };
}

/** What the customer display shows: the payment the cashier is taking now, nothing else. */
export interface CustomerDisplayView {
  /** Rises with every change (the display keeps the highest it saw). */
  version: number;
  /** The shop's name, for the welcome screen. */
  shop: string | null;
  testMode: boolean;
  /**
   * The payment shown is charged by a real terminal on the shop's own bank, which charges cards
   * whatever the till's mode: in test mode the screen then does not say no money moves.
   */
  shopBankTerminal: boolean;
  /**
   * idle: welcome. tip: choose a tip (presets, custom, none). present_card: on the reader.
   * processing: the card is being authorised. qr: pay on the phone (payUrl). wait: one moment.
   * approved / declined / canceled: the result.
   */
  phase: 'idle' | 'tip' | 'wait' | 'present_card' | 'processing' | 'qr' | 'approved' | 'declined' | 'canceled';
  /** The payment shown; a tip choice names it, so a stale screen cannot tip another payment. */
  paymentId: string | null;
  currency: string | null;
  /** Minor units: before the tip while choosing it, the total afterwards. */
  amount: number | null;
  preTipAmount: number | null;
  /** The tip chosen (null for none). */
  tip: number | null;
  /** The preset buttons (tip phase): percentage, tip and total. */
  tipOptions: { percent: number; tip: number; total: number }[];
  /** Pay by link: the URL the QR code carries. */
  payUrl: string | null;
  /**
   * A part of an installment plan: which part of how many, and the plan's whole amount (`amount` is
   * this part's), so the customer is not shown a part as the total. Null for a payment in one go.
   */
  installment: { part: number; of: number; planAmount: number } | null;
  /** A sentence for the customer. */
  message: string | null;
  /** When this screen's state began (the display returns to idle a little after a result). */
  at: string | null;
}

/** The only commands the customer display may send (web mode's display token, Electron's second window). */
export const CUSTOMER_DISPLAY_COMMANDS = ['display.snapshot', 'customer.chooseTip'] as const;

export interface AttentionView {
  paymentId: string;
  /** When the payment was made: Needs attention lists the newest first (then by payment id, descending). */
  createdAt: string;
  /**
   * The payment's amount and currency, so Needs attention can say what the items it does not show
   * hold per currency without the payments themselves (a snapshot does not carry them all).
   */
  amount: number;
  currency: string;
  /** A test-mode payment: Needs attention lists both modes, and test money is never added to real. */
  testMode: boolean;
  reason: string;
  /** What the cashier can do, in words. */
  advice: string;
  since: string;
  /** A refund on a terminal whose outcome only its ticket can tell (settled with credited / not_credited). */
  unsettledRefund: { amount: number } | null;
  /**
   * A create the gateway never confirmed and the till could not find: the cashier settles it from
   * the gateway's dashboard (attention.resolve `created` / `not_created`). Absent: false.
   */
  unknownCreate?: boolean;
  /**
   * The customer's bank disputes this payment (a chargeback) and the gateway waits for the shop's
   * answer or its decision: the item stays until the dispute is won or lost. Absent: none open.
   */
  dispute?: DisputeView;
  /**
   * With `dispute`: the payment is also in doubt for a reason of its own, which `reason` and `advice`
   * say. Mark as handled (attention.resolve `dismiss`) clears that part; the dispute keeps the item
   * until the bank decides. Absent: only the dispute holds it (nothing to mark).
   */
  ownReason?: boolean;
  /**
   * Made on another account than the one the till uses now (the embedded sandbox turned off, or on):
   * not read, nothing to settle here (`advice` says what to switch back in Settings). Absent: false.
   */
  otherAccount?: boolean;
  /**
   * With `otherAccount`: made on another of the shop's own accounts (another URL or key in Settings),
   * whose key may have been rolled or account closed. The cashier may record what that account's
   * dashboard shows (attention.resolve `charged` with `gatewayPaymentId`, or `not_charged` with
   * `reason`; `by` for both): nothing is read or sent, the payment takes that word. Absent: false.
   */
  settleElsewhere?: boolean;
  /**
   * With `settleElsewhere`: a payment captured later (manual capture). Charged there may mean only
   * authorised: `charged` then says which (`captured`). Absent: false.
   */
  manualCapture?: boolean;
}

export type DisputeStatus = 'needs_response' | 'under_review' | 'won' | 'lost';

/**
 * A dispute (chargeback) on a gateway payment, as the till last read it from the gateway. The shop
 * answers it on the gateway's dashboard; the till only shows it.
 */
export interface DisputeView {
  /** The gateway's id for it. */
  id: string;
  /** What the gateway's dashboard shows (dp_…). */
  reference: string;
  gateway: GatewayName;
  /** The gateway's id of the disputed payment. */
  transactionId: string;
  /** The till's payment, when it knows the disputed one; null for a payment it never handled. */
  paymentId: string | null;
  /** What the bank takes back (minor units of currency). */
  amount: number;
  currency: string;
  status: DisputeStatus;
  /** The gateway's reason code (fraudulent, product_not_received, …). */
  reason: string;
  /** Until when the shop can send its evidence (null when the gateway does not say). */
  evidenceDueBy: string | null;
  /** When the bank opened it (the gateway's date). */
  openedAt: string;
  /** When the till first learned of it. */
  seenAt: string;
  /** When the till learned it was won or lost; null while open. */
  closedAt: string | null;
  testMode: boolean;
}

/** The disputes the till knows (disputes.list): the gateway's list as last read, newest first. */
export interface DisputeList {
  disputes: DisputeView[];
  /** The gateway could not be read now (why, in words): the list is the journal's, as last read. */
  readProblem: string | null;
}

/**
 * What changed in Needs attention: the items that appeared or changed, and the payments that left
 * it. Only the change travels (the list holds every payment in doubt, however many); the snapshot
 * carries the whole list.
 */
export interface AttentionChange {
  changed: AttentionView[];
  removed: string[];
}

export type ReaderStatus = 'online' | 'connecting' | 'reconnecting' | 'offline' | 'unpaired' | 'superseded';

export interface ReaderView {
  id: string;
  label: string;
  /**
   * `port`: a serial port the technician named (`--reader-port`) on which no driver recognises a
   * reader, status 'unpaired', with why and what to do in statusDetail. It cannot be paired; it
   * becomes a `concert` device once a terminal answers there.
   */
  kind: 'simulated' | 'concert' | 'cloud' | 'port';
  /** True when this app drives the device; false for readers the gateway hosts. */
  hosted: boolean;
  foundBy: 'simulated' | 'serial' | 'usb' | 'cloud';
  /** Device id to pass to readers.pair when status is 'unpaired' (null for a `port`: nothing to pair). */
  deviceId: string | null;
  path: string | null;
  serialNumber: string | null;
  model: string | null;
  softwareVersion: string | null;
  terminalId: string | null;
  /** Charges through the shop's own bank: the till sends amounts straight to it, no gateway. */
  standalone: boolean;
  status: ReaderStatus;
  /** Human explanation of the status (e.g. the last link error and the next retry). */
  statusDetail: string | null;
  lastSeenAt: string | null;
  canPresentTestCards: boolean;
  /**
   * Test mode, a simulated reader: the injected fault holding its current payment ('no_answer': it
   * ignores cards and never answers until the payment is canceled or the app gives up). Absent otherwise.
   */
  heldByFault?: 'no_answer';
  /**
   * 'request': the till can cancel a payment on this reader only until the reader takes the request
   * (a Concert terminal: from then on, though it waits for the card, only its own keys stop it).
   * Absent: until the card is being authorised.
   */
  cancelsUntil?: 'request';
  action: { paymentId: string | null; transactionId: string; stage: ReaderStage | null; status: string } | null;
}

export interface SettingsView {
  mode: Mode;
  /** The gateway this till takes payments with. */
  gateway: GatewayName;
  /**
   * What the till changed in the settings it found at start, and why (a gateway address saved with a
   * user name or password, which were taken out). Each stays until that setting is saved again.
   */
  notices: string[];
  /** PlutoPay's API URL (the embedded sandbox's while it is on). */
  apiBaseUrl: string;
  embeddedSandbox: boolean;
  /** Masked, e.g. "sk_test_…9f3a"; null when none is stored. */
  secretKey: string | null;
  publishableKey: string | null;
  /** Where secrets are kept: 'safe-storage' (Electron), 'file' (web mode, 0600), 'memory'. */
  secretStorage: 'safe-storage' | 'file' | 'memory';
  autoPresentDelayMs: number;
  /** Masked like the keys; null when none is stored. */
  webhookSecret: string | null;
  /** Where forwarded webhooks are received (127.0.0.1 only), or null when the receiver is off. */
  webhookUrl: string | null;
  webhookPort: number | null;
  /** Why the receiver asked for is not listening (its port taken by another program), else null. */
  webhookError: string | null;
  /** PayPlug's address and key (masked). */
  payplug: { apiBaseUrl: string; secretKey: string | null; notificationUrl: string | null };
  /** Plural's address, client id, and its secrets (masked). */
  plural: { apiBaseUrl: string; clientId: string | null; clientSecret: string | null; signatureKey: string | null };
  /** The counter: the shop on receipts, its time zone, tipping, the receipt printer, the customer display. */
  counter: CounterSettingsView;
  /**
   * The merchants split payments are shared with (gateways with split settlement), as the shop named
   * them: offered by the split editor, and their names shown beside their ids. Kept across a switch of gateway.
   */
  splitMerchants: SplitMerchant[];
}

export interface CounterSettingsView {
  /** The name printed on receipts; null: the gateway account's name. */
  shopName: string | null;
  shopAddress: string[];
  receiptFooter: string[];
  /** IANA zone: receipts' local times and the business day. */
  timeZone: string;
  tipping: { enabled: boolean; presets: number[] };
  printer: {
    /** Serial port of the receipt printer; null: none set up. */
    port: string | null;
    width: 32 | 42 | 48;
    /** Printed by itself on approval. */
    print: 'off' | 'customer' | 'both';
    drawerKick: boolean;
    /**
     * What the printer on `port` said when the port was last saved: null when it answered ready (or
     * no port is set), else why nothing prints there (no such port, not a serial port, no answer,
     * out of paper…). Saved all the same: a printer may be switched on later.
     */
    problem: string | null;
  };
  /** Where the second screen for the customer is (web mode: a URL with its own token; Electron: null, a window). */
  customerDisplay: { url: string | null; connected: number };
}

export interface ConnectivityView {
  /** 'refused': the gateway answers but refuses the till's credentials or address (see lastError). */
  gateway: 'online' | 'offline' | 'refused' | 'unknown';
  /**
   * Offline because the gateway throttles the till (429): it answers, but asked the till to wait,
   * and nothing is sent until then. Absent or false: not throttled.
   */
  throttled?: boolean;
  lastError: string | null;
  queued: { count: number; totals: { currency: string; amount: number }[] };
  /** Unfinished payments being checked with the gateway (at start and on reconnect); null when idle. */
  recovering: { done: number; total: number } | null;
}

export interface MerchantView {
  id: string;
  /** Null when the gateway keeps no name for the account: the shop's name comes from Settings. */
  businessName: string | null;
  displayName: string | null;
  defaultCurrency: string;
  testMode: boolean;
}

export interface DevLogEntry {
  id: number;
  at: string;
  kind: 'request' | 'event' | 'link' | 'reader' | 'error';
  summary: string;
  /** Extra detail with secrets redacted. */
  detail?: string;
}

export interface Snapshot {
  seq: number;
  mode: Mode;
  /** The active gateway and what it can do; null until the host has set it up. */
  gateway: GatewayView | null;
  merchant: MerchantView | null;
  settings: SettingsView;
  readers: ReaderView[];
  payments: PaymentView[];
  connectivity: ConnectivityView;
  attention: AttentionView[];
  /** What the customer display shows now. */
  display: CustomerDisplayView;
}

export interface TransactionView {
  id: string;
  /**
   * The till's own payment id, on a row the till lists from its journal (offline, or a gateway
   * without a list): the row's details are opened by it, since `id` (the gateway's) is unique per
   * account only and another account's payment may have it too. Absent on the gateway's own rows.
   */
  paymentId?: string;
  reference: string;
  /** The order this till (or the merchant's server, in metadata) tied the transaction to. */
  orderReference: string | null;
  status: Exclude<PaymentStatus, 'creating' | 'in_progress' | 'unknown'>;
  amount: number;
  amountFormatted: string;
  amountRefunded: number;
  amountCaptured: number;
  amountCapturable: number;
  currency: string;
  paymentMethodType: string;
  captureMethod: 'automatic' | 'manual';
  description: string | null;
  receiptEmail: string | null;
  terminalId: string | null;
  card: { brand: string; last4: string } | null;
  failureCode: string | null;
  failureMessage: string | null;
  /** The cashier's note kept with the payment at the gateway (where it keeps notes). */
  note: string | null;
  createdAt: string;
  capturedAt: string | null;
  /** An uncaptured authorisation: when it lapses (null when the gateway does not say). */
  authorizationExpiresAt: string | null;
  /**
   * A part of one of the till's installment plans: which one. The first the customer paid by link;
   * the gateway charged the others by itself. Absent for any other payment.
   */
  installment?: { part: number; of: number };
  /**
   * A payment that ended without ever being a transaction at the gateway, and why: nothing was charged,
   * and the gateway has no record of it (its own list never shows it). `id` and `reference` are the
   * till's own payment id. See NotSentReason.
   */
  notSent?: NotSentReason;
}

/**
 * Why a payment ended with no transaction at the gateway: `canceled` by the cashier while it was being
 * created; `canceled_awaiting_tip` while the customer display waited for the tip (no create was made);
 * `not_made` recorded as not made by the cashier from the gateway's dashboard (Needs attention);
 * `refused` by the gateway (it made nothing); `not_sent` never left the till (the gateway could not be
 * reached, provably).
 */
export type NotSentReason = 'canceled' | 'canceled_awaiting_tip' | 'not_made' | 'refused' | 'not_sent';

export interface RefundView {
  id: string;
  reference: string;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  createdAt: string;
}

export interface TimelineEntry {
  at: string;
  event: string;
  detail: string | null;
}

export interface TransactionDetail {
  /**
   * The gateway did not answer: this is the till's own record of the payment (its refunds as the
   * journal has them, queued ones included). A refund made now is queued and sent when it answers.
   */
  offline: boolean;
  /**
   * The gateway answered about the payment, but unreadably (what was wrong with it, masked): this is
   * the till's own record, and the payment is in Needs attention. The gateway is reachable.
   */
  unreadable?: string;
  /**
   * The gateway has no transaction for this payment (its create never confirmed, or the cashier
   * recorded it as not made): the journal's record, named by the till's own id; nothing to refund.
   */
  journalOnly?: boolean;
  /**
   * Why the till cannot refund this payment though money is left (made on another account, settled
   * from that account's dashboard): the details say it instead of offering a refund the host would
   * refuse. Absent: a refund follows the transaction.
   */
  refundNotHere?: string;
  transaction: TransactionView;
  refunds: RefundView[];
  /** From the journal when this host handled the payment; empty otherwise. */
  timeline: TimelineEntry[];
  /** The host's payment, when it has one. */
  payment: PaymentView | null;
  /** Disputes (chargebacks) on this payment the till knows of, newest first. Absent: none. */
  disputes?: DisputeView[];
}

/** A card the gateway keeps for a returning customer (who agreed when paying). */
export interface SavedCardView {
  cardId: string;
  customer: string;
  brand: string | null;
  last4: string | null;
  savedAt: string;
  /** The card's expiry as printed on it (`12/2026`), when the gateway said it. */
  expires: string | null;
  /** Why it can no longer be charged (expired, or kept longer than the gateway allows); null: usable. */
  unusable: string | null;
}

/**
 * Where one installment stands: `scheduled` (its date has not come), `waiting` (the first, for the
 * customer to pay its link), `charging` (made, not settled yet), `paid`, `expired` (the first's link
 * lapsed unpaid), `failed` (declined), `canceled`, `not_charged` (the plan ended without it being paid).
 */
export type InstallmentState =
  'scheduled' | 'waiting' | 'charging' | 'paid' | 'expired' | 'failed' | 'canceled' | 'not_charged';

/** A plan in one of these states charges nothing more; any other may still have a part charged. */
export const FINAL_PLAN_STATUSES: readonly string[] = ['completed', 'aborted', 'failed'];

export interface InstallmentPlanView {
  id: string;
  gateway: GatewayName;
  /** The gateway's id, once it has the plan. */
  gatewayPlanId: string | null;
  orderReference: string;
  amount: number;
  currency: string;
  /**
   * creating | active | aborting (its abort asked for, not yet confirmed by the gateway: the till sends it
   * again until it is) | completed | aborted | failed | unknown (the gateway did not confirm the create).
   */
  status: string;
  schedule: { date: string; amount: number; paymentIds: string[]; paid: boolean; state: InstallmentState }[];
  customer: { email: string; firstName: string; lastName: string };
  /** Where the customer pays the first installment (shown as a QR), while unpaid. */
  payUrl: string | null;
  /** When that link lapses, if it does. */
  payUrlExpiresAt: string | null;
  failure: string | null;
  /**
   * Why the till cannot follow this running plan now, and what the shop must do (the keys of the
   * gateway that made it were removed); null while it follows it — with that gateway's own keys,
   * whichever gateway the till uses now — or once the plan has ended.
   */
  notFollowed: string | null;
  createdAt: string;
}

export interface Page<T> {
  data: T[];
  /** `more`: the gateway gives no count, only that more pages follow: total and lastPage are the least. */
  meta: { currentPage: number; lastPage: number; perPage: number; total: number; more?: true };
}

/** A page of the authorisations waiting for a capture, oldest first. */
export interface UncapturedPage {
  payments: PaymentView[];
  /** How many authorisations wait in all (this page and the others). */
  total: number;
  /** What they hold in all, per currency: the pages not shown too. */
  held: { currency: string; count: number; amount: number }[];
}

/** A page of the split payments, those with a held share first, then newest first. */
export interface SettlementPage {
  payments: PaymentView[];
  /** How many split payments there are in all (this page and the others). */
  total: number;
  /** Those with a held share, in all, per currency, and what their held shares hold: the pages not shown too. */
  held: { currency: string; count: number; amount: number }[];
  /**
   * Those whose outcome is unknown (charged or not, the till does not know), in all, per currency,
   * and what their held shares would hold if charged: not known yet, never in `held`.
   */
  notKnown: { currency: string; count: number; amount: number }[];
}

/** A page of the open payments, newest first. */
export interface OpenPage {
  payments: PaymentView[];
  /** How many payments are open in all (this page and the others). */
  total: number;
  /** What they hold in all, per currency: the pages not shown too. */
  open: { currency: string; count: number; amount: number }[];
}

/** The Transactions list. */
export interface TransactionPage extends Page<TransactionView> {
  /** The gateway did not answer: this till's own payments with it, from the journal. */
  offline: boolean;
  /**
   * The gateway answered, but with a list the till could not read (what was wrong with it, masked):
   * this till's own payments with it, from the journal. The gateway is reachable (`offline` false).
   */
  unreadable?: string;
  /**
   * A search's matches among the till's payments with other gateways (used before a switch in
   * Settings), in this mode, per gateway: not in the list, which is the active gateway's; found there
   * once switched back. Absent when none (or no search). `count` stops at 100. `readable`: the newest
   * few the till can read with that gateway's own stored keys, whose details open read only.
   */
  elsewhere?: {
    gateway: GatewayName;
    count: number;
    readable: { paymentId: string; orderReference: string }[];
  }[];
}

export interface CommandResults {
  'session.snapshot': Snapshot;
  /**
   * The payment as created, or as sent when the create named a reader. `notSent`: it was created
   * but the reader did not get it (offline, busy…): the payment waits, pending, to be sent again.
   */
  'payments.create': PaymentView & { notSent?: CommandError };
  'payments.setTip': PaymentView;
  'payments.process': PaymentView;
  'payments.cancel': PaymentView;
  /** The payment as canceled, or null: its create has not reached the host, which cancels it on arrival. */
  'payments.cancelCreate': PaymentView | null;
  'payments.capture': PaymentView;
  'payments.refund': PaymentView;
  'payments.list': PaymentView[];
  'payments.uncaptured': UncapturedPage;
  'payments.open': OpenPage;
  'transactions.list': TransactionPage;
  'transactions.get': TransactionDetail;
  'readers.list': ReaderView[];
  'readers.scan': ReaderView[];
  'readers.pair': ReaderView;
  'readers.addSimulated': ReaderView;
  'readers.reconnect': ReaderView;
  'readers.forget': { forgotten: true };
  'readers.configure': ReaderView;
  'simulate.presentCard': ReaderView;
  'simulate.setFault': ReaderView;
  'simulate.payLink': PaymentView;
  'savedCards.list': SavedCardView[];
  'savedCards.forget': { forgotten: true };
  'installments.create': InstallmentPlanView;
  'installments.list': InstallmentPlanView[];
  'installments.get': InstallmentPlanView;
  'installments.abort': InstallmentPlanView;
  'payments.annotate': PaymentView;
  'settlements.list': SettlementPage;
  'settlements.release': PaymentView;
  'settlements.cancel': PaymentView;
  'receipts.render': RenderedReceipt;
  'receipts.print': ReceiptJobView;
  'receipts.email': ReceiptJobView;
  'receipts.list': ReceiptJobView[];
  'reports.x': DayReportView;
  'reports.close': DayReportView;
  'reports.list': ZSummaryView[];
  'reports.get': DayReportView;
  'reports.reconcile': ReconciliationView;
  'reports.csv': { filename: string; content: string };
  'reports.print': { state: 'printed' | 'failed'; error: string | null };
  'display.snapshot': CustomerDisplayView;
  'customer.chooseTip': CustomerDisplayView;
  'display.takeDown': CustomerDisplayView;
  'settings.get': SettingsView;
  'settings.update': SettingsView;
  'settings.newDisplayAddress': SettingsView;
  'devlog.list': DevLogEntry[];
  'attention.list': AttentionView[];
  'disputes.list': DisputeList;
  'attention.retry': PaymentView;
  'attention.resolve': PaymentView;
}

export type CommandResult<N extends CommandName> = CommandResults[N];

// ---------------------------------------------------------------------------------------------
// Errors and results

export type ErrorCode =
  | 'validation' // the input did not match the schema; `issues` says where
  | 'not_found'
  | 'conflict' // the payment or reader is not in a state that allows this
  | 'declined'
  | 'gateway' // the gateway refused; `gatewayType` carries the API's error type
  | 'offline' // the gateway is unreachable; money operations were queued when `queued`
  | 'test_mode_only'
  | 'unauthorized'
  | 'not_configured' // the till's gateway has no credentials for this mode yet (Settings)
  | 'internal';

export interface CommandError {
  code: ErrorCode;
  message: string;
  issues?: { path: string; message: string }[];
  gatewayType?: string;
  queued?: boolean;
  /**
   * Nothing was sent because the gateway throttles the till (429): how long it asked the till to
   * wait, in ms (0: it named no wait). The message says when to try again.
   */
  retryAfterMs?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: CommandError };

// ---------------------------------------------------------------------------------------------
// Events (host → renderer). Every event carries the next sequence number; a renderer that sees a
// gap, or reconnects, asks for a fresh snapshot and drops events with seq <= snapshot.seq.

export type HostEvent =
  | { seq: number; type: 'payment'; payment: PaymentView }
  /** An installment plan changed: stored anew, or one of its installments' payments moved. */
  | { seq: number; type: 'plan'; plan: InstallmentPlanView }
  | { seq: number; type: 'readers'; readers: ReaderView[] }
  | { seq: number; type: 'connectivity'; connectivity: ConnectivityView }
  /** Needs attention changed (see AttentionChange): sent only when an item appears, changes or goes. */
  | ({ seq: number; type: 'attention' } & AttentionChange)
  | {
      seq: number;
      type: 'settings';
      settings: SettingsView;
      mode: Mode;
      merchant: MerchantView | null;
      gateway: GatewayView | null;
    }
  | { seq: number; type: 'log'; entry: DevLogEntry }
  /** The customer display's screen changed (the only event the display itself receives). */
  | { seq: number; type: 'display'; display: CustomerDisplayView };

export type HostEventType = HostEvent['type'];

export type BridgeConnectionState = 'open' | 'closed' | 'refused';

/** WebSocket close code the web-mode host uses for a wrong or stale launch token. */
export const BRIDGE_TOKEN_REFUSED = 4401;

/**
 * The largest bridge message web mode takes, in bytes (UTF-8). A larger one closes the socket
 * (1009), and with it every command still waiting for its answer: the page refuses it before sending.
 */
export const BRIDGE_MAX_MESSAGE_BYTES = 64 * 1024;

/** What `window.pos` is, in Electron and in web mode alike. */
export interface PosBridge {
  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandResult<N>>>;
  /** Subscribes to host events; returns an unsubscribe function. */
  subscribe(listener: (event: HostEvent) => void): () => void;
  /**
   * Bridge connection state (web mode reconnects; Electron is always 'open'). 'refused': the host
   * does not accept this page's launch token (a stale tab, an old link): retrying cannot help.
   */
  onConnection(listener: (state: BridgeConnectionState) => void): () => void;
}
