/**
 * The host's journal: every payment, every transition of it (the timeline), every remote operation
 * with the idempotency key it was first sent with, the readers this host pairs, and settings.
 * A transition is committed (and, with durability 'full', fsynced) before the app acts on it.
 */
import type { Clock } from '../../common/clock';
import {
  FINAL_PLAN_STATUSES,
  TRANSACTION_STATUSES,
  type GatewayName,
  type DisputeStatus,
  type Mode,
  type PaymentStatus,
  type ReaderStage,
  type TransactionStatus,
} from '../../common/contract';
import { formatAmount } from '../../common/money';
import { maskUrlCredentials } from '../../common/url-credentials';
import { APPROVED_STATUSES } from '../reports/report';
import { heldByShare, NOT_PAID_YET, NOTHING_CAPTURED, OUTCOME_UNKNOWN } from '../reports/split-funding';
import { JOURNAL_MIGRATIONS } from './migrations';
import { migrate, type SqlDatabase, type SqlValue } from './sqlite';

const MIGRATIONS = JOURNAL_MIGRATIONS;

/** The journal's schema version: the last migration's number. */

/** How long a received webhook event id is kept (rememberWebhookEvent). */
const WEBHOOK_ID_KEPT_MS = 28 * 3_600_000;
export const JOURNAL_SCHEMA_VERSION = MIGRATIONS.length;

export interface PaymentRecord {
  id: string;
  /** The gateway the payment was made with (its folder name under main/gateway/). */
  gateway: GatewayName;
  /** card_present: on a reader; link: the customer pays at payUrl. */
  channel: PaymentChannel;
  orderReference: string;
  attempt: number;
  idempotencyKey: string;
  origin: 'local' | 'adopted';
  amount: number;
  currency: string;
  description: string | null;
  captureMethod: 'automatic' | 'manual';
  customerId: string | null;
  receiptEmail: string | null;
  status: PaymentStatus;
  transactionId: string | null;
  reference: string | null;
  readerId: string | null;
  readerStage: ReaderStage | null;
  actionId: string | null;
  declineCode: string | null;
  declineMessage: string | null;
  cardBrand: string | null;
  cardLast4: string | null;
  amountCapturable: number;
  amountCaptured: number;
  amountRefunded: number;
  attentionReason: string | null;
  attentionAdvice: string | null;
  attentionSince: string | null;
  payUrl: string | null;
  payUrlExpiresAt: string | null;
  authorizationExpiresAt: string | null;
  installmentPlanId: string | null;
  savedCardId: string | null;
  /** The amount before the tip (minor units); null when no tip was asked for (tipping off). */
  preTipAmount: number | null;
  /** The part of `amount` that is tip (0 for none). `amount` is always what the card is asked for. */
  tipAmount: number;
  /** The percentage chosen (of preTipAmount), null for none or a custom amount. */
  tipPercent: number | null;
  /** 'awaiting': the customer (or cashier) has not chosen yet, nothing was sent anywhere; 'chosen'. */
  tipState: TipState | null;
  /** While the tip is awaited: JSON of what the create sends besides the payment (customer, save card). */
  createExtras: string | null;
  /** How the card was read, as the reader said: contactless, chip, swipe, manual, unknown. */
  entryMode: string | null;
  /** The authorisation code the reader or the gateway gave. */
  authCode: string | null;
  /** The terminal's own ticket, JSON array of lines as sent (see terminalLinesOf). */
  terminalLines: string | null;
  /** 'terminal': charged by a reader through the shop's own bank, never sent to the gateway. */
  chargedBy: ChargedBy;
  /**
   * When the cashier asked to cancel it while it was being created (ISO): written at once, sent once
   * the gateway has answered the create. Null: never asked.
   */
  cancelAskedAt: string | null;
  /** The mode the till was in when the payment was created: which reports count it, and its receipt's banner. */
  mode: Mode;
  /**
   * Which account of its mode holds it: the embedded sandbox's (test mode with it on) or the shop's
   * own. Only that account's keys can see it: it is read with no other (migration 025).
   */
  account: PaymentAccount;
  /**
   * The very account that holds it, as a dispute keeps it (ActiveGateway.account: `sandbox`, or the
   * account's address and its key masked as Settings shows it; Plural: its client id), recorded at
   * create: after the URL and key of the same mode change, another account's "no such payment" is no
   * answer. '' for a payment made before the till kept it, until the first account of its gateway and
   * mode the till uses claims it (Journal.claimPaymentAccounts, migration 027).
   */
  gatewayAccount: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * The account a gateway transaction id was read from. A gateway's ids are unique per account only
 * (the embedded sandbox and the shop's own, two keys of one gateway, every sandbox's seeded demo
 * payments): an id is looked up in the journal on the account that named it, never on another.
 */
export interface TransactionAccount {
  gateway: GatewayName;
  mode: Mode;
  /** As a payment keeps it (PaymentRecord.gatewayAccount); '' while not known: any account of the gateway. */
  gatewayAccount: string;
}

/**
 * Whether a payment is held by that account: a payment a terminal charged through the shop's own
 * bank has an id the till minted, held by none; one made before the till kept its account ('') is
 * held by an account of its kind (PaymentEngine.otherAccount treats it so too, until claimed).
 */
export function heldBy(
  record: Pick<PaymentRecord, 'gateway' | 'mode' | 'account' | 'gatewayAccount' | 'chargedBy'>,
  on: TransactionAccount,
): boolean {
  if (record.chargedBy === 'terminal') return true;
  if (record.gateway !== on.gateway || record.mode !== on.mode) return false;
  if (on.gatewayAccount === '' || record.gatewayAccount === on.gatewayAccount) return true;
  return record.gatewayAccount === '' && record.account === (on.gatewayAccount === 'sandbox' ? 'sandbox' : 'own');
}

/** The account a payment was made on: the gateway ids it may take are that account's. */
export function paymentAccount(record: Pick<PaymentRecord, 'gateway' | 'mode' | 'gatewayAccount'>): TransactionAccount {
  return { gateway: record.gateway, mode: record.mode, gatewayAccount: record.gatewayAccount };
}

/** The account a plan was made on: its parts' ids are that account's. */
export function planAccount(
  plan: Pick<InstallmentPlanRecord, 'gateway' | 'mode' | 'gatewayAccount'>,
): TransactionAccount {
  return { gateway: plan.gateway, mode: plan.mode, gatewayAccount: plan.gatewayAccount };
}

export type TipState = 'awaiting' | 'chosen';
/** The account a payment was made on: the embedded sandbox's, or the shop's own (typed in Settings). */
export type PaymentAccount = 'own' | 'sandbox';
export type ChargedBy = 'gateway' | 'terminal';

/** The terminal ticket lines of a payment (empty when the reader sent none). */
export function terminalLinesOf(record: Pick<PaymentRecord, 'terminalLines'>): string[] {
  if (!record.terminalLines) return [];
  try {
    const lines: unknown = JSON.parse(record.terminalLines);
    return Array.isArray(lines) ? lines.filter((line): line is string => typeof line === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * 'report' is a device outcome waiting to be posted over the reader link; 'release' and
 * 'cancel_split' release or cancel one share of a split payment (params: splitId, amount?).
 */
export type OperationKind =
  'create' | 'process' | 'report' | 'capture' | 'cancel' | 'refund' | 'release' | 'cancel_split';

export type PaymentChannel = 'card_present' | 'link';
export type OperationState = 'pending' | 'done' | 'failed';

export interface OperationRecord {
  id: number;
  paymentId: string;
  gateway: GatewayName;
  kind: OperationKind;
  idempotencyKey: string;
  params: Record<string, unknown>;
  state: OperationState;
  attempts: number;
  lastError: string | null;
  result: unknown;
  /** The ids of the requests made for it, in order, where the gateway names its requests (Plural). */
  requestIds: string[];
  /**
   * When it was last sent in a way that may have reached the gateway (the wall clock, ISO), or null
   * when never: where it got no answer, the gateway may still be making it (see PaymentEngine.perform).
   */
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * One merchant's share of a split payment: as the till asked for it (`splitId` null and status
 * REQUESTED until the gateway has the payment), then as the gateway last said.
 */
export interface SplitRecord {
  position: number;
  /** The gateway's id for the share (what release and cancel name). */
  splitId: string | null;
  merchantId: string;
  settlementReference: string | null;
  amount: number;
  onHold: boolean;
  /** REQUESTED, then the gateway's: HOLD, RELEASED, CANCELLED, … */
  status: string;
  releasedAmount: number;
  refundedAmount: number;
  /** The most a release can settle now, as the gateway last said; null until it said (asked for, older rows). */
  releasableAmount: number | null;
}

/** A share as it stood at an instant (Journal.splitSharesAt). */
export interface SplitShareAt {
  paymentId: string;
  position: number;
  merchantId: string;
  amount: number;
  /** REQUESTED, HOLD, RELEASED, CANCELLED, … */
  status: string;
  releasedAmount: number;
  /** When the till learned that state (its entry's time). */
  at: string;
}

/** A dispute (chargeback) as the gateway last said, and when the till learned of it. */
export interface DisputeRecord {
  gateway: GatewayName;
  mode: Mode;
  /**
   * The account that reported it (ActiveGateway.account: `sandbox`, or the account's address and
   * masked key); '' for one read before the till kept it, until an account reports it again (migration 026).
   */
  account: string;
  id: string;
  reference: string;
  transactionId: string;
  amount: number;
  currency: string;
  status: DisputeStatus;
  reason: string;
  evidenceDueBy: string | null;
  /** The gateway's dates: when the bank opened it, and its last change. */
  openedAt: string;
  updatedAt: string;
  /** The journal's: when the till first read it, and when it read it won or lost (null: open). */
  seenAt: string;
  closedAt: string | null;
  /** The till's payment with its transaction id, when it has one (found at each read). */
  paymentId: string | null;
}

/** What a dispute read from the gateway changed in the journal (null: nothing, it was known as is). */
export type DisputeChange = 'opened' | 'updated' | 'closed' | null;

const CLOSED_DISPUTE: readonly DisputeStatus[] = ['won', 'lost'];

const SELECT_DISPUTE = `SELECT d.gateway, d.mode, d.account, d.id, d.reference, d.transaction_id AS transactionId, d.amount,
  d.currency, d.status, d.reason, d.evidence_due_by AS evidenceDueBy, d.opened_at AS openedAt,
  d.updated_at AS updatedAt, d.seen_at AS seenAt, d.closed_at AS closedAt,
  (SELECT p.id FROM payments p WHERE p.transaction_id = d.transaction_id AND p.gateway = d.gateway AND p.mode = d.mode
    AND (d.account = '' OR p.gateway_account IN (d.account, '')) LIMIT 1) AS paymentId
  FROM disputes d`;

export interface TimelineRecord {
  at: string;
  event: string;
  detail: string | null;
}

/**
 * A reader this till hosts, and its three ids (the one place that says which is which):
 * - `id` (rdr_…): the app's own, what the screens and commands name;
 * - `deviceId`: the device as the driver registry found it (a port path and USB serial, or sim_…);
 * - `gatewayReaderId` and `terminalId`: what the gateway calls it once paired — the reader it pushes
 *   actions to and the terminal record that pairing made (null until paired, and after the till
 *   switches account, when it is paired again).
 */
export interface HostedReaderRecord {
  id: string;
  deviceId: string;
  kind: string;
  label: string;
  registrationCode: string;
  terminalId: string | null;
  gatewayReaderId: string | null;
  /** Charges through the shop's own bank: the till sends amounts straight to it, no gateway. */
  standalone: boolean;
  createdAt: string;
}

export interface SavedCardRecord {
  cardId: string;
  gateway: GatewayName;
  /** The customer's email, lower case: what the cashier looks cards up by. */
  customer: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  /** The mode it was saved in: the card id is that mode's account's, charged in that mode only. */
  mode: Mode;
  createdAt: string;
}

export interface InstallmentPlanRecord {
  id: string;
  gateway: GatewayName;
  /** The gateway's id, once it confirmed the plan. */
  planId: string | null;
  orderReference: string;
  idempotencyKey: string;
  currency: string;
  amount: number;
  schedule: { date: string; amount: number; paymentIds: string[] }[];
  customer: { email: string; firstName: string; lastName: string };
  /** creating | active | aborting (an abort asked for, to send) | completed | aborted | failed | unknown (FINAL_PLAN_STATUSES end a plan) */
  status: string;
  payUrl: string | null;
  failure: string | null;
  /**
   * The mode the till was in when the plan was made: the plan is the account's of that mode, read
   * only with that mode's keys (migration 023).
   */
  mode: Mode;
  /**
   * Made on the embedded sandbox (test mode with it on), not on the shop's own account: only the
   * sandbox's keys can see it (migration 023).
   */
  onSandbox: boolean;
  /**
   * The very account that holds it, as a payment keeps it (PaymentRecord.gatewayAccount: `sandbox`, or
   * the account's address and its key masked as Settings shows it): after the URL and key of the same
   * mode change, the new account cannot see it, and it is read and looked for with no other. '' for a
   * plan made before the till kept it, until the first account of its gateway and mode the till uses
   * claims it (Journal.claimPlanAccounts, migration 028).
   */
  gatewayAccount: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Which part of its plan a payment is (1-based, and how many parts the plan has), from the plan's
 * schedule: `ids` are the payment's journal id and its gateway id. Null when the schedule does not
 * list it. The one reading of a part's place, for the receipts, the reports and the Transactions list.
 */
export function installmentPart(
  plan: Pick<InstallmentPlanRecord, 'schedule'>,
  ids: readonly (string | null)[],
): { part: number; of: number } | null {
  const known = ids.filter((id): id is string => id !== null);
  const index = plan.schedule.findIndex((entry) => entry.paymentIds.some((id) => known.includes(id)));
  return index < 0 ? null : { part: index + 1, of: plan.schedule.length };
}

type RawPlan = Omit<InstallmentPlanRecord, 'schedule' | 'customer' | 'onSandbox'> & {
  schedule: string;
  customer: string;
  onSandbox: number;
};

const RUNNING_PLAN = `status NOT IN (${FINAL_PLAN_STATUSES.map((s) => `'${s}'`).join(', ')})`;

const SELECT_PLAN = `SELECT id, gateway, plan_id AS planId, order_reference AS orderReference,
  idempotency_key AS idempotencyKey, currency, amount, schedule, customer, status, pay_url AS payUrl, failure, mode,
  sandbox AS onSandbox, gateway_account AS gatewayAccount, created_at AS createdAt, updated_at AS updatedAt FROM installment_plans`;

function toPlan(row: RawPlan): InstallmentPlanRecord {
  return {
    ...row,
    schedule: JSON.parse(row.schedule) as InstallmentPlanRecord['schedule'],
    customer: JSON.parse(row.customer) as InstallmentPlanRecord['customer'],
    onSandbox: row.onSandbox === 1,
  };
}

export type PaymentPatch = Partial<Omit<PaymentRecord, 'id' | 'createdAt' | 'updatedAt'>>;

type RequiredPaymentFields =
  | 'id'
  | 'gateway'
  | 'orderReference'
  | 'attempt'
  | 'idempotencyKey'
  | 'origin'
  | 'amount'
  | 'currency'
  | 'captureMethod'
  | 'status'
  | 'mode';

/** A new payment record: what must be known up front, everything else empty until it happens. */
export function newPaymentRecord(
  fields: Pick<PaymentRecord, RequiredPaymentFields> &
    Partial<Omit<PaymentRecord, RequiredPaymentFields | 'createdAt' | 'updatedAt'>>,
): Omit<PaymentRecord, 'createdAt' | 'updatedAt'> {
  return {
    description: null,
    customerId: null,
    receiptEmail: null,
    transactionId: null,
    reference: null,
    readerId: null,
    readerStage: null,
    actionId: null,
    declineCode: null,
    declineMessage: null,
    cardBrand: null,
    cardLast4: null,
    amountCapturable: 0,
    amountCaptured: 0,
    amountRefunded: 0,
    attentionReason: null,
    attentionAdvice: null,
    attentionSince: null,
    channel: 'card_present',
    payUrl: null,
    payUrlExpiresAt: null,
    authorizationExpiresAt: null,
    installmentPlanId: null,
    savedCardId: null,
    preTipAmount: null,
    tipAmount: 0,
    tipPercent: null,
    tipState: null,
    createExtras: null,
    entryMode: null,
    authCode: null,
    terminalLines: null,
    chargedBy: 'gateway',
    cancelAskedAt: null,
    // The host always says (PaymentEngine.account()); a record built without it is the shop's own.
    account: 'own',
    gatewayAccount: '',
    ...fields,
  };
}

/**
 * Above this many matches a search walks the newest payments instead of sorting every match
 * (about sqrt(50 · 100 000): both plans then read a few thousand rows at worst).
 */
const SEARCH_SORT_AT_MOST = 2_000;
/** Refused reader actions are kept at least this many days, and all of the open day (pruneRefusedReaderActions). */
export const REFUSALS_KEPT_DAYS = 7;
/** At most this many refused reader actions are kept, the newest. */
export const REFUSALS_KEPT_AT_MOST = 1_000;
/** Transaction ids looked up in one query by findByTransactionIds. */
const BY_TRANSACTION_CHUNK = 500;

/**
 * A payment that ended without ever being a transaction at the gateway: canceled while it was being
 * created or while the customer display waited for its tip, recorded as not made by the cashier,
 * refused by the gateway or never sent — journaled canceled or failed with no transaction id (a
 * payment that gets one later, found after all, leaves this set). It is part of the day's story, so
 * the Transactions list shows it, labelled as never sent (NotSentReason, payments/views.ts says why).
 */
const UNSENT = `transaction_id IS NULL AND status IN ('canceled', 'failed')`;

/** The methods a journaled transaction shows (journaledTransactionView in payments/views.ts). */
export type JournaledMethod = 'terminal' | 'link' | 'card';

/**
 * Which place of its plan's schedule a payment holds (0: the first part), null for no plan's part:
 * installmentPart in SQL, so a filter on it is counted and paged in the query.
 */
const PLAN_PLACE = `(SELECT MIN(entry.key) FROM installment_plans owner, json_each(owner.schedule) entry,
  json_each(entry.value, '$.paymentIds') part_id
  WHERE owner.id = payments.installment_plan_id AND part_id.value IN (payments.id, payments.transaction_id))`;

/**
 * The method a journaled transaction shows, as SQL: a plan's later parts are charged by the gateway
 * on the card it kept ('card'), whatever their channel; any other row is a link or a reader's.
 * Each clause starts with a column (pageTransactions prefixes them with a unary +).
 */
const JOURNALED_METHOD: Record<JournaledMethod, string> = {
  link: `channel = 'link' AND (installment_plan_id IS NULL OR IFNULL(${PLAN_PLACE}, 0) = 0)`,
  terminal: `channel = 'card_present' AND (installment_plan_id IS NULL OR IFNULL(${PLAN_PLACE}, 0) = 0)`,
  card: `installment_plan_id IS NOT NULL AND IFNULL(${PLAN_PLACE}, 0) > 0`,
};

/** A page of one gateway's journaled transactions (see Journal.pageTransactions). */
export interface TransactionQuery {
  /** null: any gateway (with chargedBy 'terminal'). */
  gateway: GatewayName | null;
  /** Default 'gateway': payments made with the gateway; 'terminal': on terminals of the shop's bank. */
  chargedBy?: ChargedBy;
  /** Only the payments that account holds (heldBy): matches of a search that are read from it. */
  account?: TransactionAccount;
  status?: TransactionStatus;
  /** The method the row shows (see JOURNALED_METHOD): a reader, a link page, or a card a plan kept. */
  method?: JournaledMethod;
  /** ISO instants: created at or after `createdFrom`, before `createdBefore`. */
  createdFrom?: string;
  createdBefore?: string;
  /**
   * Case-insensitive prefix of the order reference or payment id, or of the gateway's reference
   * too unless `tillIdsOnly` (a gateway that searches its references itself).
   */
  search?: { prefix: string; tillIdsOnly?: boolean };
  /**
   * The payments that ended without a transaction at the gateway (no transaction id, see UNSENT):
   * 'include' lists them with the rest (a list the journal keeps), 'only' lists them alone (to place
   * among a gateway's own list). Default: left out.
   */
  unsent?: 'include' | 'only';
  /**
   * Only the rows strictly after `after` and at or before `upTo` in the query's own order (sortField,
   * sortOrder), by that field's value (created_at as an ISO instant): the rows a page of a gateway's
   * list holds between its last row and the last row of the page before.
   */
  sortBounds?: { after?: string | number; upTo?: string | number };
  sortField: 'created_at' | 'amount' | 'status';
  sortOrder: 'asc' | 'desc';
  page: number;
  size: number;
}

/**
 * A list's payments in one currency: how many, and what they hold (open payments their amount,
 * authorisations what is left to capture).
 */
export interface UncapturedTotal {
  currency: string;
  count: number;
  amount: number;
}

/** The split payments with a held share in one currency: how many, and what their held shares hold. */
export interface HeldShares {
  currency: string;
  count: number;
  amount: number;
}

export type PaymentFilter = 'active' | 'uncaptured' | 'attention' | 'all' | 'unfinished';

/** Statuses after which nothing more happens to a payment without a new cashier action. */
export const SETTLED_STATUSES: ReadonlySet<PaymentStatus> = new Set([
  'succeeded',
  'failed',
  'canceled',
  'refunded',
  'partially_refunded',
]);

const PAYMENT_COLUMNS: Record<keyof PaymentRecord, string> = {
  id: 'id',
  orderReference: 'order_reference',
  attempt: 'attempt',
  idempotencyKey: 'idempotency_key',
  origin: 'origin',
  amount: 'amount',
  currency: 'currency',
  description: 'description',
  captureMethod: 'capture_method',
  customerId: 'customer_id',
  receiptEmail: 'receipt_email',
  status: 'status',
  transactionId: 'transaction_id',
  reference: 'reference',
  readerId: 'reader_id',
  readerStage: 'reader_stage',
  actionId: 'action_id',
  declineCode: 'decline_code',
  declineMessage: 'decline_message',
  cardBrand: 'card_brand',
  cardLast4: 'card_last4',
  amountCapturable: 'amount_capturable',
  amountCaptured: 'amount_captured',
  amountRefunded: 'amount_refunded',
  attentionReason: 'attention_reason',
  attentionAdvice: 'attention_advice',
  attentionSince: 'attention_since',
  gateway: 'gateway',
  channel: 'channel',
  payUrl: 'pay_url',
  payUrlExpiresAt: 'pay_url_expires_at',
  authorizationExpiresAt: 'authorization_expires_at',
  installmentPlanId: 'installment_plan_id',
  savedCardId: 'saved_card_id',
  preTipAmount: 'pre_tip_amount',
  tipAmount: 'tip_amount',
  tipPercent: 'tip_percent',
  tipState: 'tip_state',
  createExtras: 'create_extras',
  entryMode: 'entry_mode',
  authCode: 'auth_code',
  terminalLines: 'terminal_lines',
  chargedBy: 'charged_by',
  cancelAskedAt: 'cancel_asked_at',
  mode: 'mode',
  account: 'account',
  gatewayAccount: 'gateway_account',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

const SELECT_PAYMENT = `SELECT ${Object.entries(PAYMENT_COLUMNS)
  .map(([field, column]) => `${column} AS ${field}`)
  .join(', ')} FROM payments`;

const SELECT_OPERATION = `SELECT id, payment_id AS paymentId, gateway, kind, idempotency_key AS idempotencyKey, params, state, attempts,
  last_error AS lastError, result, request_ids AS requestIds, sent_at AS sentAt,
  created_at AS createdAt, updated_at AS updatedAt FROM operations`;

type RawOperation = Omit<OperationRecord, 'params' | 'result' | 'requestIds'> & {
  params: string;
  result: string | null;
  requestIds: string | null;
};

/**
 * Error texts an older version journaled may quote a gateway URL with its user name and password
 * (fetch named the whole URL when it refused one): the timeline's details and an operation's last
 * error are masked as they are read, so they never leave the journal in clear — the screen, the CSV,
 * the developer log all read them here. Masking is idempotent: today's texts, already masked where
 * they were made (`main/gateway/http.ts`), read the same.
 */
function readText(text: string | null): string | null {
  return text === null ? null : maskUrlCredentials(text);
}

function toOperation(row: RawOperation): OperationRecord {
  return {
    ...row,
    lastError: readText(row.lastError),
    params: JSON.parse(row.params) as Record<string, unknown>,
    result: row.result === null ? null : JSON.parse(row.result),
    requestIds: row.requestIds === null ? [] : (JSON.parse(row.requestIds) as string[]),
  };
}

const SELECT_SPLIT = `SELECT position, split_id AS splitId, merchant_id AS merchantId,
  settlement_reference AS settlementReference, amount, on_hold AS onHold, status, released_amount AS releasedAmount,
  refunded_amount AS refundedAmount, releasable_amount AS releasableAmount FROM payment_splits`;

type RawSplit = Omit<SplitRecord, 'onHold'> & { onHold: number };

const FILTERS: Record<PaymentFilter, string> = {
  all: '',
  active: `WHERE status IN ('creating', 'pending', 'in_progress', 'unknown')`,
  uncaptured: `WHERE status = 'requires_capture'`,
  attention: 'WHERE attention_since IS NOT NULL',
  // Each part on its own index (an OR of them made the planner walk every payment in date order).
  // A payment link not paid yet is unfinished too: the customer may pay it while the till is down.
  unfinished: `WHERE id IN (SELECT id FROM payments WHERE status IN ('creating', 'in_progress', 'unknown')
    UNION SELECT id FROM payments WHERE status = 'pending' AND channel = 'link'
    UNION SELECT id FROM payments WHERE attention_since IS NOT NULL
    UNION SELECT id FROM payments WHERE cancel_asked_at IS NOT NULL AND status = 'pending'
    UNION SELECT payment_id FROM operations WHERE state = 'pending')`,
};

/**
 * The payment rows read or written most recently, in step with the table: every write to
 * `payments` goes through insertPayment/updatePayment, and a rollback empties it. A card payment
 * reads its row some 35 times (each update's read-back, the reader's events, each view, the
 * customer display), at ~20 µs each for a 45-column row: the larger part of the journal's reads.
 */
class PaymentRows {
  private readonly rows = new Map<string, PaymentRecord>();

  constructor(private readonly capacity: number) {}

  get(id: string): PaymentRecord | undefined {
    const row = this.rows.get(id);
    // A copy: a caller changing what it was given must not change the journal's view of the row.
    return row ? { ...row } : undefined;
  }

  put(row: PaymentRecord): void {
    this.rows.delete(row.id);
    this.rows.set(row.id, { ...row });
    if (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value!);
  }

  clear(): void {
    this.rows.clear();
  }
}

/**
 * What every payment view reads besides the row (how many of its operations are queued, its
 * latest receipt jobs) and the readers list, kept in step with the tables the same way as
 * PaymentRows: every write to `operations`, `receipts` and `readers` goes through the Journal and
 * drops what it changed, and a rollback drops everything. A payment view is built on each of some
 * ten transitions of a card payment; these reads were two statements of each (issue #6).
 */
class DerivedReads {
  /**
   * Per payment: what the queued count reads of each of its operations (kind, state, whether a
   * send failed), kept up to date by the journal's own writes; and the receipt summary.
   */
  private readonly byPayment = new Map<
    string,
    {
      operations?: Map<number, QueuedState>;
      receipts?: { print: ReceiptRecord | null; email: ReceiptRecord | null };
      splits?: SplitRecord[];
    }
  >();
  /** Operation id → payment id, for the writes that name an operation only. */
  private readonly operationPayment = new Map<number, string>();
  /**
   * Gateway transaction id → the payment last found by it (an id is unique per account only, migration
   * 029: findByTransactionId checks the account; it changes only in updatePayment).
   */
  readonly transactionPayment = new Map<string, string>();
  readers: HostedReaderRecord[] | null = null;

  entry(paymentId: string) {
    let entry = this.byPayment.get(paymentId);
    if (!entry) {
      if (this.byPayment.size >= 256) this.byPayment.delete(this.byPayment.keys().next().value!);
      entry = {};
      this.byPayment.set(paymentId, entry);
    }
    return entry;
  }

  operationOf(operationId: number, paymentId: string): void {
    if (this.operationPayment.size >= 1024) this.operationPayment.clear();
    this.operationPayment.set(operationId, paymentId);
  }

  /** A new payment has no operations, receipts or shares yet. */
  paymentAdded(paymentId: string): void {
    const entry = this.entry(paymentId);
    entry.operations = new Map();
    entry.receipts = { print: null, email: null };
    entry.splits = [];
  }

  splitsChanged(paymentId: string): void {
    delete this.byPayment.get(paymentId)?.splits;
  }

  operationAdded(operationId: number, paymentId: string, state: QueuedState): void {
    this.operationOf(operationId, paymentId);
    this.byPayment.get(paymentId)?.operations?.set(operationId, state);
  }

  /** An operation's state or error changed: applied as the UPDATE applies it (all read again if unknown). */
  operationChanged(operationId: number, patch: { state?: OperationState; lastError?: string | null }): void {
    const paymentId = this.operationPayment.get(operationId);
    const kept = paymentId === undefined ? undefined : this.byPayment.get(paymentId)?.operations;
    const op = kept?.get(operationId);
    if (!op) {
      if (patch.state !== undefined || patch.lastError !== undefined) this.operationsChanged();
      return;
    }
    kept!.set(operationId, {
      kind: op.kind,
      state: patch.state ?? op.state,
      failed: patch.lastError !== undefined ? patch.lastError !== null : op.failed,
    });
  }

  /** Operations changed in bulk: every payment's are read again. */
  operationsChanged(): void {
    for (const entry of this.byPayment.values()) delete entry.operations;
  }

  receiptsChanged(paymentId: string): void {
    delete this.byPayment.get(paymentId)?.receipts;
  }

  rememberTransaction(row: Pick<PaymentRecord, 'id' | 'transactionId'>): void {
    if (!row.transactionId) return;
    if (this.transactionPayment.size >= 4096) this.transactionPayment.clear();
    this.transactionPayment.set(row.transactionId, row.id);
  }

  clear(): void {
    this.byPayment.clear();
    this.operationPayment.clear();
    this.transactionPayment.clear();
    this.readers = null;
  }
}

/** What the offline-queue count needs of one operation. */
interface QueuedState {
  kind: OperationKind;
  state: OperationState;
  /** last_error is not null: a send failed (or was interrupted). */
  failed: boolean;
}

export class Journal {
  private readonly paymentRows = new PaymentRows(256);
  private readonly derived = new DerivedReads();
  /** Gateway and transaction of every dispute kept, read on first need (see mayBeDisputed). */
  private disputed: Set<string> | null = null;
  /**
   * The end of the last closed Z (any mode): nothing is recorded as happening before it. A wall
   * clock set back behind a Z (an NTP correction of a till that ran fast, the cashier changing the
   * time) dated the next payments inside the closed period, which the next day's period starts
   * after: they were in no report at all. They are dated at the Z's end instead, in the open day.
   */
  private closedUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: SqlDatabase,
    private readonly clock: Clock,
  ) {
    migrate(db, MIGRATIONS);
    db.onRollback(() => {
      this.paymentRows.clear();
      this.derived.clear();
    });
    const last = db.prepare('SELECT MAX(window_end) AS end FROM z_reports').get<{ end: string | null }>();
    if (last?.end) this.closedUntil = Date.parse(last.end);
    try {
      this.pruneRefusedReaderActions();
    } catch {
      // Housekeeping only: a journal on a read-only or full disk still opens (its writes say why they fail).
    }
  }

  /**
   * The end of the last closed Z (any mode) when the wall clock is now behind it, else null: what
   * is recorded meanwhile is dated at that end (nowIso), which the screens must say.
   */
  clockBehindLastZ(): string | null {
    return this.clock.now() < this.closedUntil ? new Date(this.closedUntil).toISOString() : null;
  }

  /**
   * The latest instant the journal recorded (the last payment made, the last Z closed), any mode,
   * or null for an empty journal: what a close's time is checked against (a Z far after it is in
   * doubt). By creation time, which is indexed: one lookup, not a scan of a busy journal.
   */
  lastRecordedAt(): number | null {
    const row = this.db
      .prepare(
        `SELECT MAX(at) AS at FROM (SELECT MAX(created_at) AS at FROM payments UNION ALL SELECT MAX(closed_at) FROM z_reports)`,
      )
      .get<{ at: string | null }>();
    return row?.at ? Date.parse(row.at) : null;
  }

  /**
   * The earliest instant a report of this mode has anything to count at: the first payment the till
   * took (made here, or adopted on its reader or plan) and the first refund or capture entry; null
   * when there is none. The till's first period starts there when that is before its own midnight
   * (see CounterReports.window). Walks the creation-time and entry-time indexes from their start.
   */
  firstRecordedAt(mode: Mode): string | null {
    const row = this.db
      .prepare(
        `SELECT MIN(at) AS at FROM (
           SELECT MIN(created_at) AS at FROM payments WHERE mode = ?
             AND (origin = 'local' OR reader_id IS NOT NULL OR installment_plan_id IS NOT NULL)
           UNION ALL SELECT MIN(e.at) FROM refund_entries e JOIN payments p ON p.id = e.payment_id WHERE p.mode = ?
           UNION ALL SELECT MIN(e.at) FROM capture_entries e JOIN payments p ON p.id = e.payment_id WHERE p.mode = ?)`,
      )
      .get<{ at: string | null }>(mode, mode, mode);
    return row?.at ?? null;
  }

  /**
   * Now, as the journal records it: the clock's time, but never before the end of the last closed Z
   * (a clock set back behind it). What is dated by hand (a part taken in, dated when it was charged)
   * must not be earlier than this when it cannot keep its own time.
   */
  nowIso(): string {
    return new Date(Math.max(this.clock.now(), this.closedUntil)).toISOString();
  }

  /** Runs several journal writes as one durable transition (fsynced before anything acts on it). */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  /**
   * Runs journal writes as one transition that is progress, not an intent or an outcome: a reader's
   * stage, the answer to a create or a push whose key is already durable. It is committed without
   * its own fsync; the next durable transition carries it to disk, and after a power cut recovery
   * rebuilds it from the gateway (docs/reliability.md#durable-points). Nested in a durable
   * transition, it is durable.
   */
  progress<T>(fn: () => T): T {
    return this.db.transaction(fn, { sync: false });
  }

  /** Commits so far, and how many were fsynced: the cost of durability (figure 1 of the bench). */
  get commitStats(): { commits: number; syncedCommits: number } {
    return { ...this.db.stats };
  }

  /** Runs fn once the transition being written has committed (at once when none is open). */
  afterCommit(fn: () => void): void {
    this.db.afterCommit(fn);
  }

  // -- payments ---------------------------------------------------------------------------------

  /**
   * `createdAt`: when the payment was made, if not now — an adopted installment the gateway charged
   * before the till took it in is dated by the gateway (its timeline still says when it was taken in).
   */
  insertPayment(
    record: Omit<PaymentRecord, 'createdAt' | 'updatedAt'>,
    event: string,
    detail: string | null = null,
    createdAt?: string,
  ): PaymentRecord {
    const now = this.nowIso();
    const full: PaymentRecord = { ...record, createdAt: createdAt ?? now, updatedAt: now };
    const fields = Object.keys(PAYMENT_COLUMNS) as (keyof PaymentRecord)[];
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO payments (${fields.map((f) => PAYMENT_COLUMNS[f]).join(', ')}) VALUES (${fields.map(() => '?').join(', ')})`,
        )
        .run(...fields.map((f) => full[f] as SqlValue));
      this.addEvent(full.id, event, detail, now);
      if (full.transactionId) this.noteDisputesOf(full.id, full.gateway, full.transactionId, now);
      this.derived.paymentAdded(full.id);
      // The row as written: its columns, stored as given (undefined binds NULL), as updatePayment's
      // after-image is.
      const row = {} as Record<keyof PaymentRecord, unknown>;
      for (const field of fields) row[field] = full[field] ?? null;
      this.paymentRows.put(row as unknown as PaymentRecord);
      this.derived.rememberTransaction(full);
    });
    return full;
  }

  /** Applies a patch and records the transition in the payment's timeline, atomically. */
  updatePayment(id: string, patch: PaymentPatch, event?: string, detail: string | null = null): PaymentRecord {
    const now = this.nowIso();
    const before = this.paymentRows.get(id);
    // A new status may be a late outcome of a payment a Z counted (noteLateOutcome): read it as it was.
    // Read past the cache when it does not hold the row: getPayment would keep this before-image
    // there, and the update below would then return (and leave cached) the row as it was.
    const was = patch.status !== undefined ? (before ?? this.readPayment(id)) : undefined;
    // Only the columns that change: SQLite rewrites an index for every indexed column an UPDATE
    // names, changed or not, and each such page is one more page written to the WAL (figure 1).
    const fields = (Object.keys(patch) as (keyof PaymentPatch)[]).filter(
      (f) => patch[f] !== undefined && (!before || patch[f] !== before[f]),
    );
    return this.db.transaction(() => {
      const sets = [...fields.map((f) => `${PAYMENT_COLUMNS[f]} = ?`), 'updated_at = ?'];
      const changed = this.db
        .prepare(`UPDATE payments SET ${sets.join(', ')} WHERE id = ?`)
        .run(...fields.map((f) => patch[f] as SqlValue), now, id).changes;
      if (changed === 0) throw new Error(`no payment ${id} in the journal`);
      if (fields.includes('transactionId')) {
        if (before?.transactionId) this.derived.transactionPayment.delete(before.transactionId);
        else if (!before) this.derived.transactionPayment.clear();
        if (patch.transactionId) this.derived.rememberTransaction({ id, transactionId: patch.transactionId });
      }
      if (event) this.addEvent(id, event, detail, now);
      if (was && patch.status !== undefined && was.status !== patch.status)
        this.noteLateOutcome(was, patch.status, now);
      if (fields.includes('transactionId') && patch.transactionId) {
        const gateway = before?.gateway ?? this.getPayment(id)!.gateway;
        this.noteDisputesOf(id, gateway, patch.transactionId, now);
      }
      if (!before) return this.getPayment(id)!;
      // The row as written, without reading it back: the patch's values are stored as given.
      const after: PaymentRecord = { ...before, updatedAt: now };
      for (const field of fields) (after as unknown as Record<string, unknown>)[field] = patch[field];
      this.paymentRows.put(after);
      return after;
    });
  }

  /**
   * A payment a closed Z counted whose outcome the till learned only after it closed: recorded as
   * approved there and found never made, or recorded as not approved (declined, not made, not
   * known) and found charged. The Z is never rewritten; the change is kept (LATE_OUTCOMES) for the
   * next X and Z to carry as a correction to an earlier day (lateOutcomes), and said in the
   * payment's timeline. Only the payments a Z counts: this till's own (as takenHere in
   * main/counter/reports.ts), made in a closed Z's period of their mode. Kept only until a Z
   * carries it: those recorded before the last Z's end are dropped with the next one written.
   */
  private noteLateOutcome(was: PaymentRecord, status: PaymentStatus, at: string): void {
    if (APPROVED_STATUSES.has(was.status) === APPROVED_STATUSES.has(status)) return;
    // Made after the last Z's end (every approval of the open day): no Z counted it.
    if (Date.parse(was.createdAt) >= this.closedUntil) return;
    if (was.origin !== 'local' && was.readerId === null && was.installmentPlanId === null) return;
    const z = this.db
      .prepare(
        `SELECT number, business_date AS businessDate FROM z_reports
          WHERE mode = ? AND window_start <= ? AND window_end > ?`,
      )
      .get<{ number: number; businessDate: string }>(was.mode, was.createdAt, was.createdAt);
    if (!z) return;
    const ends = new Map(
      this.db
        .prepare('SELECT mode, MAX(window_end) AS end FROM z_reports GROUP BY mode')
        .all<{ mode: Mode; end: string }>()
        .map((row) => [row.mode, row.end]),
    );
    const kept = (this.getSetting<LateOutcomeRecord[]>(LATE_OUTCOMES) ?? []).filter(
      (outcome) => outcome.at >= (ends.get(outcome.mode) ?? ''),
    );
    const found = APPROVED_STATUSES.has(status);
    const outcome: LateOutcomeRecord = {
      paymentId: was.id,
      orderReference: was.orderReference,
      mode: was.mode,
      createdAt: was.createdAt,
      currency: was.currency,
      amount: found ? was.amount : -was.amount,
      was: was.status,
      now: status,
      at,
      zNumber: z.number,
      businessDate: z.businessDate,
    };
    this.setSetting(LATE_OUTCOMES, [...kept, outcome]);
    this.addEvent(
      was.id,
      'outcome_after_z',
      `Z ${z.number} (${z.businessDate}) counted it ${was.status}; ${found ? 'found charged' : 'found not made'} ` +
        `(${status}) after it closed: a correction in the next report`,
      at,
    );
  }

  /**
   * The late outcomes (noteLateOutcome) recorded in [from, to) of one mode, oldest first: the
   * corrections to earlier days the period's report carries.
   */
  lateOutcomes(mode: Mode, fromIso: string, toIso: string): LateOutcomeRecord[] {
    return (this.getSetting<LateOutcomeRecord[]>(LATE_OUTCOMES) ?? []).filter(
      (outcome) => outcome.mode === mode && outcome.at >= fromIso && outcome.at < toIso,
    );
  }

  /** Whether a payment is among the unfinished ones (listPayments('unfinished')): recovery reads those. */
  isUnfinished(id: string): boolean {
    return this.db.prepare(`SELECT 1 AS one FROM payments ${FILTERS.unfinished} AND id = ?`).get(id) !== undefined;
  }

  /**
   * The payments of a gateway and mode on the shop's own account made before the till kept which one
   * (gatewayAccount '', migration 027) become `account`'s: the first the till uses for them after the
   * upgrade, which is the one their creates were sent to unless Settings changed it before then.
   * Returns how many were claimed.
   */
  claimPaymentAccounts(gateway: GatewayName, mode: Mode, account: string): number {
    if (account === '' || account === 'sandbox') return 0;
    const claimed = this.db
      .prepare(
        `UPDATE payments SET gateway_account = ?
         WHERE gateway_account = '' AND account = 'own' AND charged_by = 'gateway' AND gateway = ? AND mode = ?`,
      )
      .run(account, gateway, mode);
    if (claimed.changes > 0) this.paymentRows.clear();
    return claimed.changes;
  }

  /**
   * The plans of a gateway and mode on the shop's own account made before the till kept which one
   * (gatewayAccount '', migration 028) become `account`'s, as claimPaymentAccounts does for payments.
   * Returns how many were claimed.
   */
  claimPlanAccounts(gateway: GatewayName, mode: Mode, account: string): number {
    if (account === '' || account === 'sandbox') return 0;
    return this.db
      .prepare(
        `UPDATE installment_plans SET gateway_account = ?
         WHERE gateway_account = '' AND sandbox = 0 AND gateway = ? AND mode = ?`,
      )
      .run(account, gateway, mode).changes;
  }

  /**
   * Renames the accounts payments, plans and disputes keep whose address held a user name or password
   * (`https://shop:…@gw… sk_test_…`), as `rename` gives them: an older version kept such an address, and
   * Settings now keeps it without them (SettingsStore), so its records are read with the account they
   * were made on, and never show its password. `rename` gives the name back unchanged when it holds none.
   * Returns how many records were renamed.
   */
  renameAccounts(rename: (account: string) => string): number {
    const tables = [
      ['payments', 'gateway_account'],
      ['installment_plans', 'gateway_account'],
      ['disputes', 'account'],
    ] as const;
    // Read first: at nearly every start there is nothing to rename, and no transaction is opened.
    const renames = tables.flatMap(([table, column]) =>
      this.db
        .prepare(`SELECT DISTINCT ${column} AS name FROM ${table} WHERE ${column} LIKE '%://%@%'`)
        .all<{ name: string }>()
        .map(({ name }) => ({ table, column, name, to: rename(name) }))
        .filter(({ name, to }) => to !== name),
    );
    let renamed = 0;
    if (renames.length > 0)
      this.atomically(() => {
        for (const { table, column, name, to } of renames)
          // Never both (a URL with them was never reached): were it so, the row keeps its name.
          renamed += this.db
            .prepare(`UPDATE OR IGNORE ${table} SET ${column} = ? WHERE ${column} = ?`)
            .run(to, name).changes;
      });
    if (renamed > 0) this.paymentRows.clear();
    return renamed;
  }

  getPayment(id: string): PaymentRecord | undefined {
    const kept = this.paymentRows.get(id);
    if (kept) return kept;
    const row = this.readPayment(id);
    if (row) this.paymentRows.put(row);
    return row;
  }

  /** The payment's row as stored, without the cache (nor filling it). */
  private readPayment(id: string): PaymentRecord | undefined {
    return this.db.prepare(`${SELECT_PAYMENT} WHERE id = ?`).get<PaymentRecord>(id);
  }

  /**
   * The payments of these gateway transaction ids that the journal knows on that account (see
   * TransactionAccount), by transaction id, in a query per 500 ids (a reconciliation of a busy day
   * looked each one up in a query of its own).
   */
  findByTransactionIds(transactionIds: readonly string[], on: TransactionAccount): Map<string, PaymentRecord> {
    const found = new Map<string, PaymentRecord>();
    const ids = [...new Set(transactionIds)];
    // One statement for every chunk: the last one is padded with an id it already holds.
    const statement = this.db.prepare(
      `${SELECT_PAYMENT} WHERE transaction_id IN (${Array.from({ length: BY_TRANSACTION_CHUNK }, () => '?').join(', ')})`,
    );
    for (let i = 0; i < ids.length; i += BY_TRANSACTION_CHUNK) {
      const chunk = ids.slice(i, i + BY_TRANSACTION_CHUNK);
      while (chunk.length < BY_TRANSACTION_CHUNK) chunk.push(chunk[0]!);
      for (const row of statement.all<PaymentRecord>(...chunk)) {
        if (row.transactionId === null || !heldBy(row, on)) continue;
        // One of no account yet ('') and one of this very account: this account's.
        const before = found.get(row.transactionId);
        if (!before || (before.gatewayAccount !== on.gatewayAccount && row.gatewayAccount === on.gatewayAccount))
          found.set(row.transactionId, row);
      }
    }
    return found;
  }

  /** Of these payments, those charged on a terminal of the shop's own bank: one query, however many. */
  terminalChargedAmong(paymentIds: readonly string[]): PaymentRecord[] {
    return this.db
      .prepare(`${SELECT_PAYMENT} WHERE charged_by = 'terminal' AND id IN (SELECT value FROM json_each(?))`)
      .all<PaymentRecord>(JSON.stringify([...new Set(paymentIds)]));
  }

  /**
   * The payment of this gateway transaction id on that account (see TransactionAccount): a
   * notification, a reader action or a gateway's list names an id of the account the till reads,
   * and another account's payment of the same id is not its. `anyAccount`: the one payment of that
   * id whatever its account — only for an id the cashier typed or chose in the journal, whose
   * account the caller then checks (PaymentEngine.otherAccount).
   */
  findByTransactionId(transactionId: string, on: TransactionAccount | 'anyAccount'): PaymentRecord | undefined {
    const known = this.derived.transactionPayment.get(transactionId);
    if (known !== undefined) {
      const record = this.getPayment(known);
      if (record?.transactionId !== transactionId) this.derived.transactionPayment.delete(transactionId);
      // The one remembered is the answer when it is that very account's (else every row is read).
      else if (on === 'anyAccount' || record.chargedBy === 'terminal' || record.gatewayAccount === on.gatewayAccount)
        if (on === 'anyAccount' || heldBy(record, on)) return record;
    }
    // Each account may hold one payment of the id (migration 029): the newest first.
    const records = this.db
      .prepare('SELECT id FROM payments WHERE transaction_id = ? ORDER BY created_at DESC, id DESC')
      .all<{ id: string }>(transactionId)
      .map((row) => this.getPayment(row.id)!);
    const found =
      on === 'anyAccount'
        ? records[0]
        : (records.find((r) => heldBy(r, on) && r.gatewayAccount === on.gatewayAccount) ??
          records.find((r) => heldBy(r, on)));
    if (found) this.derived.rememberTransaction(found);
    return found;
  }

  /**
   * The oldest payment a reader took and could not say how it ended (unknown, its action still
   * open): the reader may still hold it, so it is busy with it until the cashier settles it.
   */
  unresolvedOnReader(readerId: string): PaymentRecord | undefined {
    return this.db
      .prepare(
        `${SELECT_PAYMENT} WHERE status = 'unknown' AND reader_id = ? AND action_id IS NOT NULL ORDER BY created_at LIMIT 1`,
      )
      .get<PaymentRecord>(readerId);
  }

  /**
   * The payment a reader is busy with, if any: one it is collecting, or one whose outcome it could
   * not tell (it may still hold it). Such a reader cannot be forgotten.
   */
  heldByReader(readerId: string): PaymentRecord | undefined {
    return this.db
      .prepare(
        `${SELECT_PAYMENT} WHERE status IN ('in_progress', 'unknown') AND reader_id = ?
           AND (status = 'in_progress' OR action_id IS NOT NULL) ORDER BY created_at LIMIT 1`,
      )
      .get<PaymentRecord>(readerId);
  }

  /** A payment waiting for the customer's tip, to go to this reader once it is chosen, if any. */
  awaitingTipOnReader(readerId: string): PaymentRecord | undefined {
    return this.db
      .prepare(
        `${SELECT_PAYMENT} WHERE status = 'creating' AND tip_state = 'awaiting' AND reader_id = ? ORDER BY created_at LIMIT 1`,
      )
      .get<PaymentRecord>(readerId);
  }

  /** Every attempt for one order, oldest first. */
  findByOrder(orderReference: string): PaymentRecord[] {
    return this.db
      .prepare(`${SELECT_PAYMENT} WHERE order_reference = ? ORDER BY attempt`)
      .all<PaymentRecord>(orderReference);
  }

  listPayments(filter: PaymentFilter, limit: number): PaymentRecord[] {
    return this.db
      .prepare(`${SELECT_PAYMENT} ${FILTERS[filter]} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all<PaymentRecord>(limit);
  }

  /**
   * Every payment needing attention, newest first, of one mode or of both: each is money in doubt,
   * so none is ever cut off by a page size (a Z counted only the newest 500, of either mode, and
   * filtered the mode after the cut: 500 newer test items hid a live one from the live Z).
   */
  attentionPayments(mode?: Mode): PaymentRecord[] {
    return mode
      ? this.db
          .prepare(`${SELECT_PAYMENT} ${FILTERS.attention} AND mode = ? ORDER BY created_at DESC, id DESC`)
          .all<PaymentRecord>(mode)
      : this.db
          .prepare(`${SELECT_PAYMENT} ${FILTERS.attention} ORDER BY created_at DESC, id DESC`)
          .all<PaymentRecord>();
  }

  /**
   * The open payments (FILTERS.active), newest first like the Process screen lists them, one page
   * of them, with how many there are and what they hold per currency: the start-up snapshot
   * carries only the newest pending ones, and the screen pages the rest from here.
   */
  pageOpen(offset: number, limit: number): { rows: PaymentRecord[]; open: UncapturedTotal[] } {
    const { rows, totals } = this.pageWithTotals(FILTERS.active, 'DESC', 'amount', offset, limit);
    return { rows, open: totals };
  }

  /**
   * Every open payment in flight or in doubt (being created or waiting for its tip, on a reader,
   * outcome unknown), however many: the start-up snapshot carries each of them, whatever it cuts
   * of the pending ones.
   */
  inFlightPayments(): PaymentRecord[] {
    return this.db
      .prepare(
        `${SELECT_PAYMENT} WHERE status IN ('creating', 'in_progress', 'unknown') ORDER BY created_at DESC, id DESC`,
      )
      .all<PaymentRecord>();
  }

  /**
   * Every payment whose last print job failed (a "not printed — reprint" item), newest first,
   * however many: they stay on the screens until reprinted, whatever else a snapshot cuts.
   */
  unprintedPayments(): PaymentRecord[] {
    return this.db
      .prepare(
        `${SELECT_PAYMENT} WHERE id IN (
           SELECT r.payment_id FROM receipts r WHERE r.state = 'failed' AND r.channel = 'print'
             AND r.id = (SELECT MAX(id) FROM receipts WHERE payment_id = r.payment_id AND channel = 'print'))
         ORDER BY created_at DESC, id DESC`,
      )
      .all<PaymentRecord>();
  }

  /**
   * The authorisations waiting for a capture, oldest first (the nearest to lapsing), one page of
   * them, with how many there are and what they hold per currency: a busy shop's Capture screen
   * lists them a page at a time, and says what the pages not shown yet hold.
   */
  pageUncaptured(offset: number, limit: number): { rows: PaymentRecord[]; held: UncapturedTotal[] } {
    const { rows, totals } = this.pageWithTotals(FILTERS.uncaptured, 'ASC', 'amount_capturable', offset, limit);
    return { rows, held: totals };
  }

  /** One page of a filter's payments in creation order, and what all of them hold per currency. */
  private pageWithTotals(
    filter: string,
    order: 'ASC' | 'DESC',
    held: 'amount' | 'amount_capturable',
    offset: number,
    limit: number,
  ): { rows: PaymentRecord[]; totals: UncapturedTotal[] } {
    const rows = this.db
      .prepare(`${SELECT_PAYMENT} ${filter} ORDER BY created_at ${order}, id ${order} LIMIT ? OFFSET ?`)
      .all<PaymentRecord>(limit, offset);
    const totals = this.db
      .prepare(
        `SELECT currency, COUNT(*) AS count, SUM(${held}) AS amount FROM payments ${filter}
         GROUP BY currency ORDER BY currency`,
      )
      .all<UncapturedTotal>();
    return { rows, totals };
  }

  /**
   * One page of a gateway's transactions as this till journaled them, for gateways that cannot
   * list their own (Plural): payments the gateway has acknowledged (a transaction id), in a
   * transaction status, filtered and sorted like the gateway's list would be.
   */
  /**
   * A page of the till's transactions, with how many match (`more`: a broad search, counted only
   * past this page — `total` is then the rows up to here plus one).
   */
  pageTransactions(query: TransactionQuery): { rows: PaymentRecord[]; total: number; more: boolean } {
    const where = [
      `charged_by = ?`,
      query.unsent === 'only'
        ? UNSENT
        : query.unsent === 'include'
          ? `(transaction_id IS NOT NULL OR (${UNSENT}))`
          : `transaction_id IS NOT NULL`,
      `status IN (${TRANSACTION_STATUSES.map(() => '?').join(', ')})`,
    ];
    const params: (string | number)[] = [query.chargedBy ?? 'gateway', ...TRANSACTION_STATUSES];
    if (query.gateway) {
      where.push('gateway = ?');
      params.push(query.gateway);
    }
    if (query.account) {
      // heldBy in SQL (its gateway is the query's).
      const { mode, gatewayAccount } = query.account;
      where.push('mode = ?');
      params.push(mode);
      if (gatewayAccount !== '') {
        where.push(`(gateway_account = ? OR (gateway_account = '' AND account = ?))`);
        params.push(gatewayAccount, gatewayAccount === 'sandbox' ? 'sandbox' : 'own');
      }
    }
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.method) where.push(JOURNALED_METHOD[query.method]);
    // created_at is an ISO timestamp in UTC, so instants compare as text.
    if (query.createdFrom) {
      where.push('created_at >= ?');
      params.push(query.createdFrom);
    }
    if (query.createdBefore) {
      where.push('created_at < ?');
      params.push(query.createdBefore);
    }
    const column = { created_at: 'created_at', amount: 'amount', status: 'status' }[query.sortField];
    const ascending = query.sortOrder === 'asc';
    if (query.sortBounds?.after !== undefined) {
      where.push(`${column} ${ascending ? '>' : '<'} ?`);
      params.push(query.sortBounds.after);
    }
    if (query.sortBounds?.upTo !== undefined) {
      where.push(`${column} ${ascending ? '<=' : '>='} ?`);
      params.push(query.sortBounds.upTo);
    }
    // A prefix search (case-insensitive LIKE over the ids a cashier reads off a receipt or order)
    // has two plans, chosen by how many payments match (issue #6): a narrow prefix's few matches
    // are found through the NOCASE indexes, then filtered, counted and sorted; a broad one ("txn_",
    // a day's "pos-2026…") would make that read thousands of rows, so it walks the list's own order
    // and stops once the page is full, not counted to the end: the page says more follow. (An OR of
    // LIKEs over the whole table took 120 ms a page at 100 000 payments.) Counting only decides the
    // plan: UNION ALL stops at the limit, where a UNION would first collect every match (0.3 s for
    // "txn_" at 100 000); a payment matching two ways is counted twice, which moves the switch little.
    let broad = false;
    if (query.search) {
      const like = `${query.search.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const columns = query.search.tillIdsOnly ? ['order_reference', 'id'] : ['order_reference', 'reference', 'id'];
      const byIndex = columns.map((column) => `SELECT id FROM payments WHERE ${column} LIKE ? ESCAPE '\\'`);
      const likes = columns.map(() => like);
      const matches = this.db
        .prepare(`SELECT COUNT(*) AS n FROM (${byIndex.join(' UNION ALL ')} LIMIT ${SEARCH_SORT_AT_MOST + 1})`)
        .get<{ n: number }>(...likes)!.n;
      broad = matches > SEARCH_SORT_AT_MOST;
      // The unary + on every other filter (each clause starts with its column) keeps the planner
      // off their indexes: with bound values it walked the status index and sorted (60 ms).
      const checked = where.map((clause) => `+${clause}`);
      if (broad) {
        // Walk the list's order (payments_created), stopping once the page is full.
        where.splice(0, where.length, ...checked, `(${columns.map((c) => `+${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`);
        params.push(...likes);
      } else {
        // The few matches drive; the list's filters are checked on them only.
        where.splice(0, where.length, `id IN (${byIndex.join(' UNION ')})`, ...checked);
        params.unshift(...likes);
      }
    }
    const clause = `WHERE ${where.join(' AND ')}`;
    const direction = ascending ? 'ASC' : 'DESC';
    const offset = (query.page - 1) * query.size;
    const page = (size: number) =>
      this.db
        .prepare(`${SELECT_PAYMENT} ${clause} ORDER BY ${column} ${direction}, id ${direction} LIMIT ? OFFSET ?`)
        .all<PaymentRecord>(...params, size, offset);
    if (broad) {
      const rows = page(query.size + 1);
      const more = rows.length > query.size;
      return { rows: rows.slice(0, query.size), total: offset + Math.min(rows.length, query.size + 1), more };
    }
    const total = this.db.prepare(`SELECT COUNT(*) AS n FROM payments ${clause}`).get<{ n: number }>(...params)!.n;
    return { rows: page(query.size), total, more: false };
  }

  countPayments(): number {
    return this.db.prepare('SELECT COUNT(*) AS n FROM payments').get<{ n: number }>()!.n;
  }

  private addEvent(paymentId: string, event: string, detail: string | null, at: string): void {
    this.db
      .prepare('INSERT INTO payment_events (payment_id, at, event, detail) VALUES (?, ?, ?, ?)')
      .run(paymentId, at, event, detail);
  }

  recordEvent(paymentId: string, event: string, detail: string | null = null): void {
    this.addEvent(paymentId, event, detail, this.nowIso());
  }

  timeline(paymentId: string): TimelineRecord[] {
    return this.db
      .prepare('SELECT at, event, detail FROM payment_events WHERE payment_id = ? ORDER BY id')
      .all<TimelineRecord>(paymentId)
      .map((row) => ({ ...row, detail: readText(row.detail) }));
  }

  // -- operations -------------------------------------------------------------------------------

  /** Records an operation before it is first sent. The key is what every retry reuses. */
  addOperation(
    paymentId: string,
    kind: OperationKind,
    idempotencyKey: string,
    params: Record<string, unknown>,
    options: { sending?: boolean } = {},
  ): OperationRecord {
    const now = this.nowIso();
    const json = JSON.stringify(params);
    const attempts = options.sending ? 1 : 0;
    const sentAt = options.sending ? this.sentAtNow() : null;
    // `sending`: the caller is about to send it for the first time, so its first attempt is
    // recorded in this same write (what a separate attempt mark would record just before sending).
    // RETURNING gives what the row holds beyond what is passed here: no read-back of the row.
    const inserted = this.db
      .prepare(
        `INSERT INTO operations (payment_id, gateway, kind, idempotency_key, params, state, attempts, sent_at, created_at, updated_at)
         SELECT id, gateway, ?, ?, ?, 'pending', ?, ?, ?, ? FROM payments WHERE id = ? RETURNING id, gateway`,
      )
      .get<{ id: number; gateway: GatewayName }>(kind, idempotencyKey, json, attempts, sentAt, now, now, paymentId);
    if (!inserted) throw new Error(`no payment ${paymentId} in the journal`);
    this.derived.operationAdded(inserted.id, paymentId, { kind, state: 'pending', failed: false });
    return {
      id: inserted.id,
      paymentId,
      gateway: inserted.gateway,
      kind,
      idempotencyKey,
      // As a read of the row would give it: the stored JSON, parsed (a copy the caller may keep).
      params: JSON.parse(json) as Record<string, unknown>,
      state: 'pending',
      attempts,
      lastError: null,
      result: null,
      requestIds: [],
      sentAt,
      createdAt: now,
      updatedAt: now,
    };
  }

  getOperationByKey(idempotencyKey: string): OperationRecord | undefined {
    const row = this.db.prepare(`${SELECT_OPERATION} WHERE idempotency_key = ?`).get<RawOperation>(idempotencyKey);
    return row && toOperation(row);
  }

  /**
   * `sentAt`: when it is about to be sent (with `attemptsDelta`, in the same write), or the one
   * before put back (a send that provably never left the till).
   */
  updateOperation(
    id: number,
    patch: {
      state?: OperationState;
      attemptsDelta?: number;
      lastError?: string | null;
      result?: unknown;
      sentAt?: string | null;
    },
  ): void {
    const now = this.nowIso();
    this.derived.operationChanged(id, patch);
    const { sentAt } = patch;
    this.db
      .prepare(
        `UPDATE operations SET state = COALESCE(?, state), attempts = attempts + ?, last_error = CASE WHEN ? THEN ? ELSE last_error END,
           result = CASE WHEN ? THEN ? ELSE result END, sent_at = CASE WHEN ? THEN ? ELSE sent_at END, updated_at = ? WHERE id = ?`,
      )
      .run(
        patch.state ?? null,
        patch.attemptsDelta ?? 0,
        patch.lastError !== undefined ? 1 : 0,
        patch.lastError ?? null,
        patch.result !== undefined ? 1 : 0,
        patch.result !== undefined ? JSON.stringify(patch.result) : null,
        sentAt !== undefined ? 1 : 0,
        sentAt ?? null,
        now,
        id,
      );
  }

  /**
   * A send's time as the till's clock has it, not held at the last Z's end as nowIso() holds what it
   * records: it is only ever compared with the clock, to know how long ago the send left.
   */
  private sentAtNow(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /**
   * Keeps the id of a request about to be made for an operation. Progress, not an intent: the
   * operation's own key is what makes a retry safe, and the next durable commit carries it to disk.
   */
  addRequestId(operationId: number, requestId: string): void {
    this.progress(() =>
      this.db
        .prepare(`UPDATE operations SET request_ids = json_insert(COALESCE(request_ids, '[]'), '$[#]', ?) WHERE id = ?`)
        .run(requestId, operationId),
    );
  }

  operationsFor(paymentId: string): OperationRecord[] {
    return this.db
      .prepare(`${SELECT_OPERATION} WHERE payment_id = ? ORDER BY id`)
      .all<RawOperation>(paymentId)
      .map(toOperation);
  }

  /**
   * A payment's operations, oldest first, with only what their counts need (kind, state, whether a
   * send failed): what operationsFor gives without reading and parsing their params and results.
   */
  operationStates(paymentId: string): { id: number; kind: OperationKind; state: OperationState; failed: boolean }[] {
    return [...this.operationStateMap(paymentId)].sort((a, b) => a[0] - b[0]).map(([id, op]) => ({ id, ...op }));
  }

  /**
   * One operation's state, as getOperationByKey would read it, from what operationStates keeps:
   * the engine asks before every send whether another path settled it meanwhile (four times a
   * card payment), and reading the whole row with its params for that showed in figure 1's
   * statement times. Undefined for an operation the payment does not have.
   */
  operationState(paymentId: string, operationId: number): OperationState | undefined {
    return this.operationStateMap(paymentId).get(operationId)?.state;
  }

  private operationStateMap(paymentId: string): Map<number, QueuedState> {
    const entry = this.derived.entry(paymentId);
    if (!entry.operations) {
      // Read once per payment; the journal's own writes keep it up to date from then on.
      const rows = this.db
        .prepare('SELECT id, kind, state, last_error IS NOT NULL AS failed FROM operations WHERE payment_id = ?')
        .all<{ id: number; kind: OperationKind; state: OperationState; failed: number }>(paymentId);
      entry.operations = new Map();
      for (const row of rows) {
        this.derived.operationOf(row.id, paymentId);
        entry.operations.set(row.id, { kind: row.kind, state: row.state, failed: row.failed === 1 });
      }
    }
    return entry.operations;
  }

  /**
   * How many of a payment's operations of these kinds are waiting in the offline queue (not yet
   * confirmed, and at least one send failed). Every payment view shows it (some ten a card
   * payment), so the state of a payment's operations is read once, without their params, and kept
   * up to date by the journal's own writes (issue #6).
   */
  countQueuedOperations(paymentId: string, kinds: readonly OperationKind[]): number {
    if (kinds.length === 0) return 0;
    let count = 0;
    for (const op of this.operationStateMap(paymentId).values())
      if (op.state === 'pending' && op.failed && kinds.includes(op.kind)) count++;
    return count;
  }

  /**
   * Operations an earlier launch left pending without an answer or an error (it stopped while
   * sending them): marked as waiting to be sent again, so they count as queued until recovery has
   * sent or confirmed them. Returns how many.
   */
  markInterrupted(kinds: readonly OperationKind[], message: string): number {
    if (kinds.length === 0) return 0;
    const list = kinds.map((kind) => `'${kind.replace(/'/g, "''")}'`).join(', ');
    this.derived.operationsChanged();
    return this.db
      .prepare(
        `UPDATE operations SET last_error = ?, updated_at = ? WHERE state = 'pending' AND last_error IS NULL AND kind IN (${list})`,
      )
      .run(message, this.nowIso()).changes;
  }

  /** One payment's pending operations of one kind, oldest first. */
  pendingOperationsFor(paymentId: string, kind: OperationKind): OperationRecord[] {
    return this.db
      .prepare(`${SELECT_OPERATION} WHERE payment_id = ? AND kind = ? AND state = 'pending' ORDER BY id`)
      .all<RawOperation>(paymentId, kind)
      .map(toOperation);
  }

  /** Operations not yet confirmed by the gateway, in the order they were asked for. */
  pendingOperations(): OperationRecord[] {
    return this.db
      .prepare(`${SELECT_OPERATION} WHERE state = 'pending' ORDER BY id`)
      .all<RawOperation>()
      .map(toOperation);
  }

  // -- split settlement -------------------------------------------------------------------------

  /** A payment's shares, in the order they were asked for. */
  splitsOf(paymentId: string): SplitRecord[] {
    const entry = this.derived.entry(paymentId);
    entry.splits ??= this.db
      .prepare(`${SELECT_SPLIT} WHERE payment_id = ? ORDER BY position`)
      .all<RawSplit>(paymentId)
      .map((row) => ({ ...row, onHold: row.onHold === 1 }));
    return entry.splits.map((split) => ({ ...split }));
  }

  /** Replaces a payment's shares (as asked for, or as the gateway now says), in one write. */
  setSplits(paymentId: string, splits: readonly Omit<SplitRecord, 'position'>[]): void {
    const now = this.nowIso();
    this.derived.splitsChanged(paymentId);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM payment_splits WHERE payment_id = ?').run(paymentId);
      const insert = this.db.prepare(
        `INSERT INTO payment_splits (payment_id, position, split_id, merchant_id, settlement_reference, amount, on_hold,
           status, released_amount, refunded_amount, releasable_amount, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      splits.forEach((split, position) =>
        insert.run(
          paymentId,
          position,
          split.splitId,
          split.merchantId,
          split.settlementReference,
          split.amount,
          split.onHold ? 1 : 0,
          split.status,
          split.releasedAmount,
          split.refundedAmount,
          split.releasableAmount,
          now,
        ),
      );
    });
  }

  /**
   * The shares of these payments as they stood just before `before` (an ISO instant: a report's
   * period end), from their dated entries (migration 018): each share's last entry before it, else
   * its first (a share last read after the end, journaled before the entries were kept). In the
   * payments' order, then the shares'.
   */
  splitSharesAt(paymentIds: readonly string[], before: string): SplitShareAt[] {
    if (paymentIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT payment_id AS paymentId, position, merchant_id AS merchantId, amount, status,
           released_amount AS releasedAmount, at FROM split_entries
          WHERE payment_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      )
      .all<SplitShareAt>(JSON.stringify([...new Set(paymentIds)]));
    const shares = new Map<string, SplitShareAt>();
    for (const row of rows) {
      const key = `${row.paymentId}\u0000${row.position}`;
      if (!shares.has(key) || row.at < before) shares.set(key, row);
    }
    const order = new Map(paymentIds.map((id, i) => [id, i]));
    return [...shares.values()].sort(
      (a, b) => order.get(a.paymentId)! - order.get(b.paymentId)! || a.position - b.position,
    );
  }

  /**
   * One page of the payments with shares the gateway has (a create it refused leaves only the
   * shares asked for), held first, then newest first, with how many there are in
   * all and what the held shares of them all hold per currency: a busy shop's Settlements screen
   * lists them a page at a time and says what the pages not shown yet hold (it asked for 100 and
   * said nothing of the rest). What a held share holds is the reports' figure (heldByShare): after a
   * partial capture, its part of the captured money the shares that moved left, not its whole
   * amount (which overstated it); a payment whose held shares hold nothing (not paid yet, voided
   * before capture, or its captured money all taken by the others) is not counted, nor listed as held.
   * Nor is one whose outcome is unknown (it may never have been charged): `notKnown` says what its
   * held shares would hold if it was, apart, until it is resolved.
   */
  pageSplitPayments(
    offset: number,
    limit: number,
    heldOnly = false,
  ): { rows: PaymentRecord[]; total: number; held: HeldShares[]; notKnown: HeldShares[] } {
    // A payment whose held shares hold something, by heldByShare: paid, and nothing captured yet of a
    // payment that may still be (authorised), all captured, or captured money the shares that moved left.
    const quoted = (statuses: ReadonlySet<string>) => [...statuses].map((status) => `'${status}'`).join(', ');
    const held = `(EXISTS (SELECT 1 FROM payment_splits s WHERE s.payment_id = payments.id AND s.status = 'HOLD')
      AND payments.status NOT IN (${quoted(new Set([...NOT_PAID_YET, ...OUTCOME_UNKNOWN]))})
      AND ((payments.amount_captured <= 0 AND payments.status NOT IN (${quoted(NOTHING_CAPTURED)}))
        OR payments.amount_captured >= (SELECT SUM(t.amount) FROM payment_splits t WHERE t.payment_id = payments.id)
        OR payments.amount_captured > (SELECT COALESCE(SUM(m.amount), 0) FROM payment_splits m
             WHERE m.payment_id = payments.id AND m.status IN ('RELEASED', 'CANCELLED'))))`;
    const where = `WHERE transaction_id IS NOT NULL
           AND ${heldOnly ? held : 'id IN (SELECT payment_id FROM payment_splits)'}`;
    const rows = this.db
      .prepare(`${SELECT_PAYMENT} ${where} ORDER BY ${held} DESC, created_at DESC, id DESC LIMIT ? OFFSET ?`)
      .all<PaymentRecord>(limit, offset);
    const total = this.db.prepare(`SELECT COUNT(*) AS n FROM payments ${where}`).get<{ n: number }>()!.n;
    // Every share of the payments with a held one, in order: what a share holds depends on the others.
    const shares = this.db
      .prepare(
        `SELECT p.id AS paymentId, p.currency AS currency, p.amount_captured AS captured, p.status AS paymentStatus,
           s.amount AS amount, s.status AS status, s.released_amount AS released
           FROM payments p JOIN payment_splits s ON s.payment_id = p.id
          WHERE p.transaction_id IS NOT NULL
            AND EXISTS (SELECT 1 FROM payment_splits h WHERE h.payment_id = p.id AND h.status = 'HOLD')
          ORDER BY p.id, s.position`,
      )
      .all<{
        paymentId: string;
        currency: string;
        captured: number;
        paymentStatus: string;
        amount: number;
        status: string;
        released: number;
      }>();
    const byPayment = new Map<string, typeof shares>();
    for (const share of shares) {
      const list = byPayment.get(share.paymentId);
      if (list) list.push(share);
      else byPayment.set(share.paymentId, [share]);
    }
    const heldShares = new Map<string, HeldShares>();
    const notKnown = new Map<string, HeldShares>();
    const count = (into: Map<string, HeldShares>, currency: string, amount: number) => {
      const totals = into.get(currency) ?? { currency, count: 0, amount: 0 };
      into.set(currency, { currency, count: totals.count + 1, amount: totals.amount + amount });
    };
    for (const list of byPayment.values()) {
      const { currency, paymentStatus } = list[0]!;
      // Not known yet: what its held shares would hold if it was charged (whole: nothing captured is known).
      if (OUTCOME_UNKNOWN.has(paymentStatus))
        count(
          notKnown,
          currency,
          list.filter((s) => s.status === 'HOLD').reduce((sum, s) => sum + s.amount, 0),
        );
      const amount = heldByShare(list[0]!.captured, list, paymentStatus).reduce((sum, held) => sum + held, 0);
      if (amount > 0) count(heldShares, currency, amount);
    }
    const sorted = (totals: Map<string, HeldShares>) =>
      [...totals.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1));
    return { rows, total, held: sorted(heldShares), notKnown: sorted(notKnown) };
  }

  // -- saved cards and installment plans --------------------------------------------------------

  /** Keeps a card the gateway saved for a customer (who agreed); a forgotten card comes back if saved again. */
  saveCard(card: Omit<SavedCardRecord, 'createdAt'>): void {
    this.db
      .prepare(
        `INSERT INTO saved_cards (card_id, gateway, customer, brand, last4, exp_month, exp_year, mode, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (gateway, mode, card_id) DO UPDATE SET customer = excluded.customer, forgotten_at = NULL,
           exp_month = COALESCE(excluded.exp_month, exp_month), exp_year = COALESCE(excluded.exp_year, exp_year)`,
      )
      .run(
        card.cardId,
        card.gateway,
        card.customer.toLowerCase(),
        card.brand,
        card.last4,
        card.expMonth,
        card.expYear,
        card.mode,
        this.nowIso(),
      );
  }

  /** The customer's cards saved in `mode` (another mode's card ids are another account's). */
  savedCards(gateway: GatewayName, customer: string, mode: Mode): SavedCardRecord[] {
    return this.db
      .prepare(
        `SELECT card_id AS cardId, gateway, customer, brand, last4, exp_month AS expMonth, exp_year AS expYear, mode,
           created_at AS createdAt FROM saved_cards
         WHERE gateway = ? AND mode = ? AND customer = ? AND forgotten_at IS NULL
         ORDER BY created_at DESC`,
      )
      .all<SavedCardRecord>(gateway, mode, customer.toLowerCase());
  }

  /**
   * One saved card by its id in `mode`, forgotten or not. A card id is the account's of one mode:
   * the other mode's account may have handed out the same id for another card.
   */
  savedCard(gateway: GatewayName, mode: Mode, cardId: string): SavedCardRecord | undefined {
    return this.db
      .prepare(
        `SELECT card_id AS cardId, gateway, customer, brand, last4, exp_month AS expMonth, exp_year AS expYear, mode,
           created_at AS createdAt FROM saved_cards WHERE gateway = ? AND mode = ? AND card_id = ?`,
      )
      .get<SavedCardRecord>(gateway, mode, cardId);
  }

  /** A payment in `mode` on this saved card whose create is not confirmed yet (it may still be sent). */
  paymentSendingOnCard(gateway: GatewayName, mode: Mode, cardId: string): PaymentRecord | undefined {
    return this.db
      .prepare(
        `${SELECT_PAYMENT} WHERE status IN ('creating', 'unknown') AND gateway = ? AND mode = ? AND saved_card_id = ?
         LIMIT 1`,
      )
      .get<PaymentRecord>(gateway, mode, cardId);
  }

  /** Forgets the card saved in `mode` only: the other mode's card of the same id is another account's. */
  forgetCard(gateway: GatewayName, mode: Mode, cardId: string): boolean {
    return (
      this.db
        .prepare(
          'UPDATE saved_cards SET forgotten_at = ? WHERE gateway = ? AND mode = ? AND card_id = ? AND forgotten_at IS NULL',
        )
        .run(this.nowIso(), gateway, mode, cardId).changes > 0
    );
  }

  insertPlan(plan: Omit<InstallmentPlanRecord, 'createdAt' | 'updatedAt'>): InstallmentPlanRecord {
    const now = this.nowIso();
    this.db
      .prepare(
        `INSERT INTO installment_plans (id, gateway, plan_id, order_reference, idempotency_key, currency, amount, schedule,
           customer, status, pay_url, failure, mode, sandbox, gateway_account, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        plan.id,
        plan.gateway,
        plan.planId,
        plan.orderReference,
        plan.idempotencyKey,
        plan.currency,
        plan.amount,
        JSON.stringify(plan.schedule),
        JSON.stringify(plan.customer),
        plan.status,
        plan.payUrl,
        plan.failure,
        plan.mode,
        plan.onSandbox ? 1 : 0,
        plan.gatewayAccount,
        now,
        now,
      );
    return this.getPlan(plan.id)!;
  }

  updatePlan(
    id: string,
    patch: Partial<Pick<InstallmentPlanRecord, 'planId' | 'schedule' | 'status' | 'payUrl' | 'failure'>>,
  ): InstallmentPlanRecord {
    const current = this.getPlan(id);
    if (!current) throw new Error(`no installment plan ${id} in the journal`);
    const next = { ...current, ...patch };
    this.db
      .prepare(
        'UPDATE installment_plans SET plan_id = ?, schedule = ?, status = ?, pay_url = ?, failure = ?, updated_at = ? WHERE id = ?',
      )
      .run(next.planId, JSON.stringify(next.schedule), next.status, next.payUrl, next.failure, this.nowIso(), id);
    return this.getPlan(id)!;
  }

  /** The till's plan the gateway knows under `planId`, if this till made it. */
  planByGatewayId(gateway: GatewayName, planId: string): InstallmentPlanRecord | undefined {
    const row = this.db.prepare(`${SELECT_PLAN} WHERE gateway = ? AND plan_id = ?`).get<RawPlan>(gateway, planId);
    return row && toPlan(row);
  }

  /** Which part of its plan a payment is (installmentPart), or null when it is no plan's listed part. */
  installmentPartOf(
    record: Pick<PaymentRecord, 'id' | 'transactionId' | 'installmentPlanId'>,
  ): { part: number; of: number } | null {
    const plan = record.installmentPlanId ? this.getPlan(record.installmentPlanId) : undefined;
    return plan ? installmentPart(plan, [record.id, record.transactionId]) : null;
  }

  getPlan(id: string): InstallmentPlanRecord | undefined {
    const row = this.db.prepare(`${SELECT_PLAN} WHERE id = ?`).get<RawPlan>(id);
    return row && toPlan(row);
  }

  /** The order's plans, newest first. */
  plansForOrder(orderReference: string): InstallmentPlanRecord[] {
    return this.db
      .prepare(`${SELECT_PLAN} WHERE order_reference = ? ORDER BY created_at DESC, id DESC`)
      .all<RawPlan>(orderReference)
      .map(toPlan);
  }

  /**
   * The newest `limit` plans and every plan still running however old, newest first: a plan runs for
   * months, and a busy till makes more than `limit` in that time (a running plan left out of the list
   * would never be read again, and its later parts never taken in).
   */
  listPlans(limit: number): InstallmentPlanRecord[] {
    return this.db
      .prepare(
        `${SELECT_PLAN} WHERE ${RUNNING_PLAN}
           OR id IN (SELECT id FROM installment_plans ORDER BY created_at DESC, id DESC LIMIT ?)
         ORDER BY created_at DESC, id DESC`,
      )
      .all<RawPlan>(limit)
      .map(toPlan);
  }

  /** The plans still running on this till (of one gateway, or of every one), however old, newest first. */
  runningPlans(gateway?: GatewayName): InstallmentPlanRecord[] {
    const rows =
      gateway === undefined
        ? this.db.prepare(`${SELECT_PLAN} WHERE ${RUNNING_PLAN} ORDER BY created_at DESC, id DESC`).all<RawPlan>()
        : this.db
            .prepare(`${SELECT_PLAN} WHERE gateway = ? AND ${RUNNING_PLAN} ORDER BY created_at DESC, id DESC`)
            .all<RawPlan>(gateway);
    return rows.map(toPlan);
  }

  // -- readers ----------------------------------------------------------------------------------

  upsertReader(
    reader: Omit<HostedReaderRecord, 'createdAt' | 'standalone'> & { standalone?: boolean },
  ): HostedReaderRecord {
    // The standalone flag is set on insert only: afterwards setReaderStandalone() is its one writer,
    // so a pairing that read the record before the flag changed cannot turn it back.
    const standalone = reader.standalone ?? false;
    this.derived.readers = null;
    this.db
      .prepare(
        `INSERT INTO readers (id, device_id, kind, label, registration_code, terminal_id, processor_id, standalone, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET label = excluded.label, terminal_id = excluded.terminal_id,
           processor_id = excluded.processor_id, registration_code = excluded.registration_code`,
      )
      .run(
        reader.id,
        reader.deviceId,
        reader.kind,
        reader.label,
        reader.registrationCode,
        reader.terminalId,
        reader.gatewayReaderId,
        standalone ? 1 : 0,
        this.nowIso(),
      );
    return this.getReader(reader.id)!;
  }

  getReader(id: string): HostedReaderRecord | undefined {
    const kept = this.derived.readers?.find((reader) => reader.id === id);
    if (kept) return { ...kept };
    const row = this.db.prepare(`${SELECT_READER} WHERE id = ?`).get<RawReader>(id);
    return row && toReader(row);
  }

  /** Read from the table once and kept until a reader is written (each reader event lists them). */
  listReaders(): HostedReaderRecord[] {
    this.derived.readers ??= this.db.prepare(`${SELECT_READER} ORDER BY created_at, id`).all<RawReader>().map(toReader);
    return this.derived.readers.map((reader) => ({ ...reader }));
  }

  deleteReader(id: string): void {
    this.derived.readers = null;
    this.db.prepare('DELETE FROM readers WHERE id = ?').run(id);
  }

  setReaderStandalone(id: string, standalone: boolean): HostedReaderRecord | undefined {
    this.derived.readers = null;
    this.db.prepare('UPDATE readers SET standalone = ? WHERE id = ?').run(standalone ? 1 : 0, id);
    return this.getReader(id);
  }

  // -- the day's payments, receipts and Z reports -----------------------------------------------

  /** One mode's payments created in [fromIso, toIso), oldest first (a business day's, for the reports). */
  /**
   * The next `limit` payments of one mode created in [from, to) after `after` (created_at, id),
   * oldest first: a day's payments a page at a time, so a report over thousands yields between
   * pages instead of holding the host for the whole read.
   */
  paymentsCreatedPage(
    mode: Mode,
    fromIso: string,
    toIso: string,
    after: { createdAt: string; id: string } | null,
    limit: number,
  ): PaymentRecord[] {
    if (!after) {
      return this.db
        .prepare(
          `${SELECT_PAYMENT} WHERE created_at >= ? AND created_at < ? AND mode = ? ORDER BY created_at, id LIMIT ?`,
        )
        .all<PaymentRecord>(fromIso, toIso, mode, limit);
    }
    return this.db
      .prepare(
        `${SELECT_PAYMENT} WHERE created_at >= ? AND created_at < ? AND mode = ?
           AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?`,
      )
      .all<PaymentRecord>(fromIso, toIso, mode, after.createdAt, after.createdAt, after.id, limit);
  }

  /**
   * The payments of one mode created in [from, to) and written at `sinceIso` or later, oldest
   * first: what changed while a report read the period a page at a time.
   */
  paymentsWrittenSince(mode: Mode, fromIso: string, toIso: string, sinceIso: string): PaymentRecord[] {
    return this.db
      .prepare(
        `${SELECT_PAYMENT} WHERE created_at >= ? AND created_at < ? AND mode = ? AND updated_at >= ?
         ORDER BY created_at, id`,
      )
      .all<PaymentRecord>(fromIso, toIso, mode, sinceIso);
  }

  paymentsCreatedBetween(mode: Mode, fromIso: string, toIso: string): PaymentRecord[] {
    return this.db
      .prepare(`${SELECT_PAYMENT} WHERE created_at >= ? AND created_at < ? AND mode = ? ORDER BY created_at, id`)
      .all<PaymentRecord>(fromIso, toIso, mode);
  }

  /**
   * The refunds recorded in [from, to) of payments of one mode, oldest first, whatever day their
   * payment is from: each change of a payment's refunded total, at the time it was written (a
   * trigger makes them, see migration 010).
   */
  refundsBetween(mode: Mode, fromIso: string, toIso: string): MoneyEntryRecord[] {
    return this.entriesBetween('refund_entries', mode, fromIso, toIso);
  }

  /**
   * The captures recorded in [from, to) of payments of one mode, oldest first, whatever day their
   * payment is from: each change of a payment's captured total (a trigger makes them, see migration
   * 011), and what recordCaptured adds.
   */
  capturesBetween(mode: Mode, fromIso: string, toIso: string): MoneyEntryRecord[] {
    return this.entriesBetween('capture_entries', mode, fromIso, toIso);
  }

  private entriesBetween(
    table: 'refund_entries' | 'capture_entries',
    mode: Mode,
    fromIso: string,
    toIso: string,
  ): MoneyEntryRecord[] {
    // What the payment had captured and refunded before this entry, for the tip it moves (only a
    // payment with a tip needs them). At one instant, captures come before refunds.
    const [capturedBefore, refundedBefore] =
      table === 'capture_entries'
        ? [
            `SELECT COALESCE(SUM(c.amount), 0) FROM capture_entries c WHERE c.payment_id = e.payment_id AND (c.at < e.at OR (c.at = e.at AND c.id < e.id))`,
            `SELECT COALESCE(SUM(r.amount), 0) FROM refund_entries r WHERE r.payment_id = e.payment_id AND r.at < e.at`,
          ]
        : [
            `SELECT COALESCE(SUM(c.amount), 0) FROM capture_entries c WHERE c.payment_id = e.payment_id AND c.at <= e.at`,
            `SELECT COALESCE(SUM(r.amount), 0) FROM refund_entries r WHERE r.payment_id = e.payment_id AND (r.at < e.at OR (r.at = e.at AND r.id < e.id))`,
          ];
    return this.db
      .prepare(
        `SELECT e.payment_id AS paymentId, e.amount, e.at, p.order_reference AS orderReference, p.currency,
                p.card_brand AS cardBrand, p.reader_id AS readerId, p.gateway, p.charged_by AS chargedBy,
                p.channel, p.saved_card_id AS savedCardId, p.installment_plan_id AS installmentPlanId,
                p.transaction_id AS transactionId, p.amount AS paymentAmount, p.tip_amount AS tipAmount,
                CASE WHEN p.tip_amount > 0 THEN (${capturedBefore}) ELSE 0 END AS capturedBefore,
                CASE WHEN p.tip_amount > 0 THEN (${refundedBefore}) ELSE 0 END AS refundedBefore
         FROM ${table} e JOIN payments p ON p.id = e.payment_id
         WHERE e.at >= ? AND e.at < ? AND p.mode = ? ORDER BY e.at, e.id`,
      )
      .all<MoneyEntryRecord>(fromIso, toIso, mode);
  }

  /**
   * Counts money a payment taken in after the fact already had captured as this till's, at `at`
   * (an installment of the till's own plan, charged before the till heard of it).
   */
  recordCaptured(paymentId: string, amount: number, at: string): void {
    this.db.prepare('INSERT INTO capture_entries (payment_id, amount, at) VALUES (?, ?, ?)').run(paymentId, amount, at);
  }

  /**
   * Counts money a payment taken in after the fact already had refunded as this till's, at `at`
   * (an installment of the till's own plan refunded on the gateway's dashboard before the till heard
   * of it: its capture is counted, so its refund must be too).
   */
  recordRefunded(paymentId: string, amount: number, at: string): void {
    this.db.prepare('INSERT INTO refund_entries (payment_id, amount, at) VALUES (?, ?, ?)').run(paymentId, amount, at);
  }

  addReceipt(receipt: Omit<ReceiptRecord, 'id' | 'createdAt' | 'updatedAt'>): ReceiptRecord {
    const now = this.nowIso();
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO receipts (payment_id, channel, copies, duplicate, destination, state, error, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get<{ id: number }>(
          receipt.paymentId,
          receipt.channel,
          receipt.copies,
          receipt.duplicate ? 1 : 0,
          receipt.destination,
          receipt.state,
          receipt.error,
          now,
          now,
        )!.id,
    );
    this.derived.receiptsChanged(receipt.paymentId);
    return this.getReceipt(id)!;
  }

  updateReceipt(id: number, patch: { state: ReceiptState; error?: string | null; duplicate?: boolean }): ReceiptRecord {
    this.db
      .prepare(
        'UPDATE receipts SET state = ?, error = ?, duplicate = COALESCE(?, duplicate), updated_at = ? WHERE id = ?',
      )
      .run(
        patch.state,
        patch.error ?? null,
        patch.duplicate === undefined ? null : patch.duplicate ? 1 : 0,
        this.nowIso(),
        id,
      );
    const updated = this.getReceipt(id)!;
    this.derived.receiptsChanged(updated.paymentId);
    return updated;
  }

  getReceipt(id: number): ReceiptRecord | undefined {
    const row = this.db.prepare(`${SELECT_RECEIPT} WHERE id = ?`).get<RawReceipt>(id);
    return row && toReceipt(row);
  }

  receiptsFor(paymentId: string): ReceiptRecord[] {
    return this.db
      .prepare(`${SELECT_RECEIPT} WHERE payment_id = ? ORDER BY id`)
      .all<RawReceipt>(paymentId)
      .map(toReceipt);
  }

  /** The last print job and the last email request of a payment (what its view shows). */
  receiptSummary(paymentId: string): { print: ReceiptRecord | null; email: ReceiptRecord | null } {
    const entry = this.derived.entry(paymentId);
    if (!entry.receipts) {
      // One statement for both channels' latest job: every payment view reads it (then kept).
      const rows = this.db
        .prepare(`${SELECT_RECEIPT} WHERE id IN (SELECT MAX(id) FROM receipts WHERE payment_id = ? GROUP BY channel)`)
        .all<RawReceipt>(paymentId)
        .map(toReceipt);
      entry.receipts = {
        print: rows.find((r) => r.channel === 'print') ?? null,
        email: rows.find((r) => r.channel === 'email') ?? null,
      };
    }
    const { print, email } = entry.receipts;
    return { print: print && { ...print }, email: email && { ...email } };
  }

  /** Print jobs still pending (at start: the app stopped before they were printed). */
  pendingReceipts(): ReceiptRecord[] {
    return this.db.prepare(`${SELECT_RECEIPT} WHERE state = 'pending' ORDER BY id`).all<RawReceipt>().map(toReceipt);
  }

  /** Appends a closed Z report. The table refuses updates and deletions (immutable once closed). */
  insertZReport(z: ZReportRecord): void {
    this.db
      .prepare(
        `INSERT INTO z_reports (mode, number, business_date, window_start, window_end, closed_at, closed_by, override,
           report, reconciliation, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        z.mode,
        z.number,
        z.businessDate,
        z.windowStart,
        z.windowEnd,
        z.closedAt,
        z.closedBy,
        z.override ? JSON.stringify(z.override) : null,
        z.report,
        z.reconciliation,
        z.digest,
      );
    this.db.afterCommit(() => (this.closedUntil = Math.max(this.closedUntil, Date.parse(z.windowEnd))));
  }

  /**
   * Keeps the reconciliation made for a closed Z once the gateway has answered (the Z is stored
   * before it is asked). Only a Z without one takes it; nothing else of a Z ever changes.
   */
  setZReconciliation(mode: Mode, number: number, reconciliation: string): void {
    this.db
      .prepare('UPDATE z_reports SET reconciliation = ? WHERE mode = ? AND number = ? AND reconciliation IS NULL')
      .run(reconciliation, mode, number);
  }

  lastZReport(mode: Mode): ZReportRecord | undefined {
    const row = this.db.prepare(`${SELECT_Z} WHERE mode = ? ORDER BY number DESC LIMIT 1`).get<RawZReport>(mode);
    return row && toZReport(row);
  }

  getZReport(mode: Mode, number: number): ZReportRecord | undefined {
    const row = this.db.prepare(`${SELECT_Z} WHERE mode = ? AND number = ?`).get<RawZReport>(mode, number);
    return row && toZReport(row);
  }

  zReportFor(mode: Mode, businessDate: string): ZReportRecord | undefined {
    const row = this.db.prepare(`${SELECT_Z} WHERE mode = ? AND business_date = ?`).get<RawZReport>(mode, businessDate);
    return row && toZReport(row);
  }

  listZReports(mode: Mode, limit: number): ZReportRecord[] {
    return this.db
      .prepare(`${SELECT_Z} WHERE mode = ? ORDER BY number DESC LIMIT ?`)
      .all<RawZReport>(mode, limit)
      .map(toZReport);
  }

  // -- webhooks ---------------------------------------------------------------------------------

  /**
   * Records a webhook event id; false when it was seen before. Ids are kept 28 hours: as long as an
   * event can be taken after it was received (at most 27 hours old and an hour ahead of the till,
   * main/gateway/notification-window.ts; PlutoPay's retries last 26 h 36 min).
   */
  rememberWebhookEvent(eventId: string, atMs: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM webhook_events WHERE received_at < ?').run(atMs - WEBHOOK_ID_KEPT_MS);
      return (
        this.db.prepare('INSERT OR IGNORE INTO webhook_events (id, received_at) VALUES (?, ?)').run(eventId, atMs)
          .changes === 1
      );
    });
  }

  /** Whether rememberWebhookEvent would refuse this id now (received within the last 28 hours); writes nothing. */
  webhookEventSeen(eventId: string, atMs: number): boolean {
    return (
      this.db
        .prepare('SELECT 1 AS seen FROM webhook_events WHERE id = ? AND received_at >= ?')
        .get<{ seen: number }>(eventId, atMs - WEBHOOK_ID_KEPT_MS) !== undefined
    );
  }

  // -- refused reader actions -------------------------------------------------------------------

  /**
   * Whether the till refused this reader action of `gateway` for this money before (it asked for
   * other money than its payment: ReaderEvents.started). Kept across restarts (migration 024), so a
   * refusal the cashier handled is not refused, logged and put in Needs attention again.
   */
  readerActionRefused(gateway: GatewayName, actionId: string, amount: number, currency: string): boolean {
    return (
      this.db
        .prepare(
          `SELECT 1 AS one FROM refused_reader_actions WHERE gateway = ? AND action_id = ? AND amount = ? AND currency = ?`,
        )
        .get<{ one: number }>(gateway, actionId, amount, currency.toUpperCase()) !== undefined
    );
  }

  /**
   * Notes a reader action refused for asking other money than its payment (within the caller's
   * transition, with the payment's attention item), and prunes the list (pruneRefusedReaderActions).
   */
  noteReaderActionRefused(refusal: {
    gateway: GatewayName;
    actionId: string;
    amount: number;
    currency: string;
    paymentId: string;
  }): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO refused_reader_actions (gateway, action_id, amount, currency, payment_id, refused_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        refusal.gateway,
        refusal.actionId,
        refusal.amount,
        refusal.currency.toUpperCase(),
        refusal.paymentId,
        this.nowIso(),
      );
    this.pruneRefusedReaderActions();
  }

  /**
   * Keeps the refused reader actions short; run at every start and after each refusal is noted. A
   * row only spares the cashier a second Needs attention item for an action the gateway delivers
   * again (the action is refused whether it is kept or not: its money is checked every time), and a
   * gateway's reader action lives minutes. Dropped: those of payments now final (their actions are
   * not collected whatever they ask), those refused before both the open day (the end of the last
   * Z) and the last REFUSALS_KEPT_DAYS days, and beyond the newest REFUSALS_KEPT_AT_MOST (a
   * misbehaving gateway's flood).
   */
  pruneRefusedReaderActions(): void {
    const settled = [...SETTLED_STATUSES];
    const now = Date.parse(this.nowIso());
    const lastDays = now - REFUSALS_KEPT_DAYS * 24 * 3_600_000;
    // The open day starts at the end of the last Z; a till that never closed one keeps the last days.
    const since = Number.isFinite(this.closedUntil) ? Math.min(lastDays, this.closedUntil) : lastDays;
    // Walks the refusals (few), each payment by its key: not every final payment of the journal.
    this.db
      .prepare(
        `DELETE FROM refused_reader_actions WHERE refused_at < ? OR EXISTS (SELECT 1 FROM payments
           WHERE payments.id = refused_reader_actions.payment_id AND payments.status IN (${settled.map(() => '?').join(', ')}))`,
      )
      .run(new Date(since).toISOString(), ...settled);
    this.db
      .prepare(
        `DELETE FROM refused_reader_actions WHERE rowid NOT IN
           (SELECT rowid FROM refused_reader_actions ORDER BY refused_at DESC, rowid DESC LIMIT ?)`,
      )
      .run(REFUSALS_KEPT_AT_MOST);
  }

  // -- disputes ---------------------------------------------------------------------------------

  /**
   * Records a dispute as the gateway answered it, in one durable transition with the disputed
   * payment's timeline: the same dispute read twice (a notification and the periodic read) is one
   * row, and an answer older than the one kept (by the gateway's `updatedAt`) changes nothing.
   */
  recordDispute(input: Omit<DisputeRecord, 'seenAt' | 'closedAt' | 'paymentId'>): {
    record: DisputeRecord;
    change: DisputeChange;
  } {
    return this.db.transaction(() => {
      const known = this.dispute(input.gateway, input.mode, input.account, input.id) ?? this.claimDispute(input);
      const now = this.nowIso();
      const closing = CLOSED_DISPUTE.includes(input.status);
      if (known) {
        const older = Date.parse(input.updatedAt) < Date.parse(known.updatedAt);
        const same =
          known.status === input.status &&
          known.amount === input.amount &&
          known.evidenceDueBy === input.evidenceDueBy &&
          known.reason === input.reason;
        if (older || same) return { record: known, change: null };
      }
      const closedAt = closing ? (known?.closedAt ?? now) : null;
      this.disputed?.add(disputedKey(input.gateway, input.transactionId));
      this.db
        .prepare(
          `INSERT INTO disputes (gateway, mode, account, id, reference, transaction_id, amount, currency, status, reason,
             evidence_due_by, opened_at, updated_at, seen_at, closed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (gateway, mode, account, id) DO UPDATE SET reference = excluded.reference, amount = excluded.amount,
             currency = excluded.currency, status = excluded.status, reason = excluded.reason,
             evidence_due_by = excluded.evidence_due_by, updated_at = excluded.updated_at,
             closed_at = excluded.closed_at`,
        )
        .run(
          input.gateway,
          input.mode,
          input.account,
          input.id,
          input.reference,
          input.transactionId,
          input.amount,
          input.currency,
          input.status,
          input.reason,
          input.evidenceDueBy,
          input.openedAt,
          input.updatedAt,
          known?.seenAt ?? now,
          closedAt,
        );
      const record = this.dispute(input.gateway, input.mode, input.account, input.id)!;
      if (record.paymentId) {
        const money = formatAmount(input.amount, input.currency);
        if (!known)
          this.addEvent(record.paymentId, 'dispute_opened', `${money}, ${input.reason} (${input.reference})`, now);
        if (closing && known?.closedAt == null)
          this.addEvent(record.paymentId, `dispute_${input.status}`, `${money} (${input.reference})`, now);
        else if (known && !closing && known.status !== input.status)
          this.addEvent(record.paymentId, `dispute_${input.status}`, input.reference, now);
      }
      const change: DisputeChange = !known
        ? closing
          ? 'closed'
          : 'opened'
        : closing && !known.closedAt
          ? 'closed'
          : 'updated';
      return { record, change };
    });
  }

  /**
   * A payment the journal learns the transaction id of (taken in, or its create answered) after a
   * dispute on it was read: its timeline says so now, as a read would have had the payment been
   * there (opened, and won or lost if it is over). Once: the payment gets that id once, and the next
   * read knows the dispute, so it adds only what changes after.
   */
  private noteDisputesOf(paymentId: string, gateway: GatewayName, transactionId: string, now: string): void {
    if (!this.mayBeDisputed(gateway, transactionId)) return;
    const disputes = this.db
      .prepare(
        `SELECT reference, amount, currency, status, reason, closed_at AS closedAt FROM disputes
         WHERE gateway = ? AND transaction_id = ? ORDER BY opened_at, id`,
      )
      .all<Pick<DisputeRecord, 'reference' | 'amount' | 'currency' | 'status' | 'reason' | 'closedAt'>>(
        gateway,
        transactionId,
      );
    for (const dispute of disputes) {
      const money = formatAmount(dispute.amount, dispute.currency);
      this.addEvent(paymentId, 'dispute_opened', `${money}, ${dispute.reason} (${dispute.reference})`, now);
      if (dispute.closedAt !== null)
        this.addEvent(paymentId, `dispute_${dispute.status}`, `${money} (${dispute.reference})`, now);
    }
  }

  /**
   * Whether a dispute may be kept on that transaction: false only when none is. Every payment view
   * asks (a dispute keeps its payment in Needs attention), and a query for the none that almost
   * every payment has was half of building a view (figure 1 of `npm run bench`). The gateway and
   * transaction of every dispute are read once (chargebacks are few) and added to as disputes are
   * written; a write rolled back leaves one too many, which only costs that payment the query.
   */
  private mayBeDisputed(gateway: GatewayName, transactionId: string): boolean {
    this.disputed ??= new Set(
      this.db
        .prepare('SELECT DISTINCT gateway, transaction_id AS transactionId FROM disputes')
        .all<{ gateway: string; transactionId: string }>()
        .map((row) => disputedKey(row.gateway, row.transactionId)),
    );
    return this.disputed.has(disputedKey(gateway, transactionId));
  }

  dispute(gateway: GatewayName, mode: Mode, account: string, id: string): DisputeRecord | undefined {
    return this.db
      .prepare(`${SELECT_DISPUTE} WHERE d.gateway = ? AND d.mode = ? AND d.account = ? AND d.id = ?`)
      .get<DisputeRecord>(gateway, mode, account, id);
  }

  /**
   * A dispute read before the till kept accounts (account ''), the same one as `input` (same id and
   * transaction): from now on the reporting account's, so it is not announced nor timelined twice.
   */
  private claimDispute(input: Pick<DisputeRecord, 'gateway' | 'mode' | 'account' | 'id' | 'transactionId'>) {
    if (input.account === '') return undefined;
    const claimed = this.db
      .prepare(
        `UPDATE disputes SET account = ? WHERE gateway = ? AND mode = ? AND account = '' AND id = ? AND transaction_id = ?`,
      )
      .run(input.account, input.gateway, input.mode, input.id, input.transactionId);
    return claimed.changes > 0 ? this.dispute(input.gateway, input.mode, input.account, input.id) : undefined;
  }

  /** Every dispute one account reported on a gateway and mode, newest first (by when the bank opened it). */
  disputes(gateway: GatewayName, mode: Mode, account: string): DisputeRecord[] {
    return this.db
      .prepare(
        `${SELECT_DISPUTE} WHERE d.gateway = ? AND d.mode = ? AND d.account = ? ORDER BY d.opened_at DESC, d.id DESC`,
      )
      .all<DisputeRecord>(gateway, mode, account);
  }

  /** The disputes of one account still open, as last read (the periodic read checks each). */
  openDisputes(gateway: GatewayName, mode: Mode, account: string): DisputeRecord[] {
    return this.db
      .prepare(
        `${SELECT_DISPUTE} WHERE d.closed_at IS NULL AND d.gateway = ? AND d.mode = ? AND d.account = ?
         ORDER BY d.opened_at DESC, d.id DESC`,
      )
      .all<DisputeRecord>(gateway, mode, account);
  }

  /** The disputes still open on payments the till knows: each keeps its payment in Needs attention. */
  openDisputesOnPayments(): DisputeRecord[] {
    return this.db
      .prepare(
        `SELECT * FROM (${SELECT_DISPUTE} WHERE d.closed_at IS NULL) WHERE paymentId IS NOT NULL ORDER BY openedAt DESC`,
      )
      .all<DisputeRecord>();
  }

  /**
   * A report's disputes, of one mode, every gateway: those the bank opened in [start, end), and those
   * lost in it (dated by the gateway's last change, its decision). Both dates are stored as ISO instants.
   */
  disputesInPeriod(mode: Mode, start: string, end: string): { opened: DisputeRecord[]; lost: DisputeRecord[] } {
    return {
      opened: this.db
        .prepare(`${SELECT_DISPUTE} WHERE d.mode = ? AND d.opened_at >= ? AND d.opened_at < ?`)
        .all<DisputeRecord>(mode, start, end),
      lost: this.db
        .prepare(`${SELECT_DISPUTE} WHERE d.mode = ? AND d.status = 'lost' AND d.updated_at >= ? AND d.updated_at < ?`)
        .all<DisputeRecord>(mode, start, end),
    };
  }

  /** The disputes on one gateway payment, newest first: every account's that reported its id. */
  disputesOn(gateway: GatewayName, transactionId: string): DisputeRecord[] {
    if (!this.mayBeDisputed(gateway, transactionId)) return [];
    return this.db
      .prepare(`${SELECT_DISPUTE} WHERE d.gateway = ? AND d.transaction_id = ? ORDER BY d.opened_at DESC, d.id DESC`)
      .all<DisputeRecord>(gateway, transactionId);
  }

  /**
   * The disputes on this payment, newest first: only those of its mode its own account reported,
   * never another account's dispute on a payment of the same id ('' on either side: not known, any;
   * as SELECT_DISPUTE finds a dispute's payment).
   */
  disputesOnPayment(
    record: Pick<PaymentRecord, 'gateway' | 'mode' | 'gatewayAccount' | 'transactionId'>,
  ): DisputeRecord[] {
    if (record.transactionId === null) return [];
    return this.disputesOn(record.gateway, record.transactionId).filter(
      (dispute) =>
        dispute.mode === record.mode &&
        (dispute.account === '' || record.gatewayAccount === '' || dispute.account === record.gatewayAccount),
    );
  }

  // -- settings ---------------------------------------------------------------------------------

  getSetting<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get<{ value: string }>(key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setSetting(key: string, value: unknown): void {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, JSON.stringify(value));
  }
}

function disputedKey(gateway: string, transactionId: string): string {
  return `${gateway}\u0000${transactionId}`;
}

const SELECT_READER = `SELECT id, device_id AS deviceId, kind, label, registration_code AS registrationCode, terminal_id AS terminalId,
  processor_id AS gatewayReaderId, standalone, created_at AS createdAt FROM readers`;

type RawReader = Omit<HostedReaderRecord, 'standalone'> & { standalone: number };

function toReader(row: RawReader): HostedReaderRecord {
  return { ...row, standalone: row.standalone === 1 };
}

/** A change of a payment's refunded or captured total (negative if the gateway took back part of it). */
export interface MoneyEntryRecord {
  paymentId: string;
  amount: number;
  /** ISO instant it was written. */
  at: string;
  /** Its payment's, read with it (one query for a day's entries, not one per entry). */
  orderReference: string;
  currency: string;
  cardBrand: string | null;
  readerId: string | null;
  /** Its payment's gateway, and who charged it (a terminal on the shop's bank moves no gateway money). */
  gateway: GatewayName;
  chargedBy: PaymentRecord['chargedBy'];
  /** How its payment was paid: on a reader, or by link (also a saved card charged without one). */
  channel: PaymentChannel;
  savedCardId: string | null;
  /**
   * Its payment's plan and gateway id: a plan's part is named by its place in the plan's schedule
   * ("Installment 2 of 3"), which lists the parts by their gateway ids.
   */
  installmentPlanId: string | null;
  transactionId: string | null;
  /** Its payment's amount (tip included) and tip, for the tip the entry moves. */
  paymentAmount: number;
  tipAmount: number;
  /** What its payment had captured and refunded before this entry (0 for a payment with no tip). */
  capturedBefore: number;
  refundedBefore: number;
}

export type ReceiptChannel = 'print' | 'email';
export type ReceiptState = 'pending' | 'printed' | 'failed' | 'requested' | 'sent';
export type ReceiptCopies = 'customer' | 'merchant' | 'both';

/** A receipt the till printed (or tried to), or one asked for by email. */
export interface ReceiptRecord {
  id: number;
  paymentId: string;
  channel: ReceiptChannel;
  /** Which copies a print job holds; 'customer' for an email. */
  copies: ReceiptCopies;
  /** A reprint, marked DUPLICATE. */
  duplicate: boolean;
  /** The printer's port, or the email address. */
  destination: string | null;
  /** pending → printed | failed (print); requested (the till keeps it) | sent (the gateway sends it) (email). */
  state: ReceiptState;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

const SELECT_RECEIPT = `SELECT id, payment_id AS paymentId, channel, copies, duplicate, destination, state, error,
  created_at AS createdAt, updated_at AS updatedAt FROM receipts`;

type RawReceipt = Omit<ReceiptRecord, 'duplicate'> & { duplicate: number };

function toReceipt(row: RawReceipt): ReceiptRecord {
  return { ...row, duplicate: row.duplicate === 1 };
}

/** The settings key of the late outcomes no Z has carried yet (Journal.noteLateOutcome). */
const LATE_OUTCOMES = 'late_outcomes';

/**
 * A payment of a closed day whose outcome changed after its Z (Journal.noteLateOutcome): found
 * charged (`amount` positive) or found never made (`amount` negative: what its Z approved).
 */
export interface LateOutcomeRecord {
  paymentId: string;
  orderReference: string;
  mode: Mode;
  /** The payment's own time (in the Z's period). */
  createdAt: string;
  currency: string;
  /** Minor units, tip included: + the Z did not approve it and it was charged; − it approved it and it was not. */
  amount: number;
  /** The status before, and the status learned. */
  was: PaymentStatus;
  now: PaymentStatus;
  /** When the till learned it (decides which period's report carries it). */
  at: string;
  /** The Z that counted the payment. */
  zNumber: number;
  businessDate: string;
}

/** A closed business day, as stored: append-only (the table's triggers refuse changes). */
export interface ZReportRecord {
  mode: Mode;
  number: number;
  businessDate: string;
  windowStart: string;
  windowEnd: string;
  closedAt: string;
  closedBy: string;
  override: { by: string; reason: string } | null;
  /** The whole Z report (main/reports ZReport) as JSON, digest included. */
  report: string;
  /** The reconciliation at closing time, as JSON, when it could be made. */
  reconciliation: string | null;
  digest: string;
}

const SELECT_Z = `SELECT mode, number, business_date AS businessDate, window_start AS windowStart, window_end AS windowEnd,
  closed_at AS closedAt, closed_by AS closedBy, override, report, reconciliation, digest FROM z_reports`;

type RawZReport = Omit<ZReportRecord, 'override'> & { override: string | null };

function toZReport(row: RawZReport): ZReportRecord {
  return { ...row, override: row.override ? (JSON.parse(row.override) as ZReportRecord['override']) : null };
}
