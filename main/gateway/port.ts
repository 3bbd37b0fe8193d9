/**
 * The one port between the host and a payment gateway. Everything outside `main/gateway/<name>/`
 * speaks these neutral types; each gateway's folder holds its client, its wire schemas, the mapping
 * to these types and its notification checks. The UI reads `capabilities`, never a gateway's name.
 */
import type { GatewayCapabilities, GatewayName, TransactionStatus } from '../../common/contract';
import type { PaymentLimits } from './limits';

export type { GatewayCapabilities, GatewayName };

/** A payment as the gateway holds it, in the host's terms. Amounts are minor units of `currency`. */
export interface GatewayPayment {
  /** The gateway's id for it (what every later call names). */
  id: string;
  /** What a person reads off a receipt or the gateway's dashboard (txn_…, pay_…, an order id). */
  reference: string;
  /** The order reference this app tagged it with (or the merchant's server did), if any. */
  orderReference: string | null;
  status: TransactionStatus;
  amount: number;
  /** ISO 4217, upper case. */
  currency: string;
  amountCapturable: number;
  amountCaptured: number;
  amountRefunded: number;
  captureMethod: 'automatic' | 'manual';
  /** The card approved; its expiry (month 1–12, four-digit year) where the gateway says it. */
  card: { brand: string; last4: string; expMonth?: number | null; expYear?: number | null } | null;
  /** The last decline or failure: on a still-open payment a card may be tried again. */
  failure: { code: string; message: string | null } | null;
  description: string | null;
  receiptEmail: string | null;
  customerId: string | null;
  /** card, terminal, link, … (the Transactions screen's "method"). */
  methodType: string;
  terminalId: string | null;
  createdAt: string;
  capturedAt: string | null;
  /** Pay by link: where the customer pays, while that is still possible. */
  payUrl: string | null;
  payUrlExpiresAt: string | null;
  /** Deferred capture: when the authorisation lapses. */
  authorizationExpiresAt: string | null;
  /** The installment plan this payment belongs to. */
  installmentPlanId: string | null;
  /** A saved card's id the gateway kept for the customer (with their consent). */
  savedCardId: string | null;
  /** Split settlement: how the payment is shared between merchants, and each share's state. */
  splits: SplitState[] | null;
  /** The note kept with the payment (annotate), if any. */
  note?: string | null;
  /**
   * The key its create was tagged with, where the gateway keeps it on the payment (PayPlug: as
   * tagged, a key over 64 characters shortened); null or absent elsewhere.
   */
  createdWithKey?: string | null;
}

/** One merchant's share of a payment, as the till asks for it. */
export interface SplitLine {
  merchantId: string;
  /** The merchant's own reference for the settlement (optional). */
  settlementReference: string | null;
  amount: number;
  /** Held: not settled to the merchant until the till releases it. */
  onHold: boolean;
}

/** A share as the gateway holds it. Amounts in minor units. */
export interface SplitState extends SplitLine {
  /** The gateway's id for this share (what release and cancel name). */
  id: string;
  /** HOLD, RELEASED, PARTIALLY_RELEASED, CANCELLED, … as the gateway says (upper case). */
  status: string;
  releasedAmount: number;
  /**
   * The most a release can settle now (0: none can, only a cancel): the whole share while the money
   * captured covers it; after a partial capture, less. What the till offers to release.
   */
  releasable: number;
  refundedAmount: number;
}

/** A split payment as the till last read it: what a gateway's refund rule needs (drawRefund). */
export interface KnownShares {
  captured: number;
  refunded: number;
  splits: readonly Pick<SplitState, 'id' | 'merchantId' | 'amount' | 'status' | 'releasedAmount' | 'refundedAmount'>[];
}

/** A refund asked for and not yet made (queued): its amount, and the shares it names, if any. */
export interface RefundAsked {
  amount: number;
  splits?: readonly { splitId: string; amount: number }[] | null;
}

export interface GatewayRefund {
  id: string;
  reference: string;
  paymentId: string;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  createdAt: string;
}

export interface GatewayAccount {
  id: string;
  /** The account holder's name, or null for a gateway that keeps none (PayPlug, Plural). */
  businessName: string | null;
  displayName: string | null;
  defaultCurrency: string;
  testMode: boolean;
}

/** What the host asks for when it creates a payment. */
export interface NewPayment {
  amount: number;
  currency: string;
  captureMethod: 'automatic' | 'manual';
  description: string | null;
  customerId: string | null;
  receiptEmail: string | null;
  /** The order and the app's own payment id: tagged on the payment so it can be found again. */
  orderReference: string;
  paymentId: string;
  /** card_present: for a reader; link: the customer pays at payUrl (QR at the counter). */
  channel: 'card_present' | 'link';
  /** Pay with a card the gateway saved for this customer (one click). */
  savedCardId?: string | null;
  /** Offer the customer to save their card (pay by link). */
  allowSaveCard?: boolean;
  customer?: { email: string; firstName: string; lastName: string } | null;
  /** Split settlement: the shares, summing to `amount` (gateways with capabilities.splitSettlement). */
  splits?: SplitLine[] | null;
}

export interface PaymentQuery {
  search?: string;
  status?: TransactionStatus;
  methodType?: string;
  dateFrom?: string;
  dateTo?: string;
  sortField: 'created_at' | 'amount' | 'status';
  sortOrder: 'asc' | 'desc';
  page: number;
  size: number;
}

export interface PaymentPage {
  data: GatewayPayment[];
  /**
   * `more`: the gateway said only that more pages follow (PayPlug gives no count), so `total` and
   * `lastPage` are the least there can be.
   */
  meta: { currentPage: number; lastPage: number; perPage: number; total: number; more?: true };
}

/** A payment in several installments, charged on the gateway's schedule. */
export interface InstallmentPlan {
  id: string;
  active: boolean;
  currency: string;
  schedule: { date: string; amount: number; paymentIds: string[] }[];
  /** Where the customer pays the first installment. */
  payUrl: string | null;
  failure: { code: string; message: string | null } | null;
  createdAt: string;
}

export interface NewInstallmentPlan {
  currency: string;
  schedule: { date: string; amount: number }[];
  customer: { email: string; firstName: string; lastName: string };
  orderReference: string;
  paymentId: string;
}

/** A reader the gateway hosts, or the gateway's view of one this app hosts. */
export interface RemoteReader {
  /** The gateway's reader id (what pushes and the link name). */
  id: string;
  terminalId: string;
  label: string;
  status: 'online' | 'offline';
  deviceType: string;
  /** Simulated by the gateway: test cards are presented through it. */
  simulated: boolean;
  serialNumber: string | null;
  softwareVersion: string | null;
  lastSeenAt: string | null;
  action: ReaderAction | null;
}

/** The one payment a reader is asked to collect. */
export interface ReaderAction {
  id: string;
  /** The gateway's id of the payment it collects. */
  paymentId: string;
  amount: number;
  currency: string;
  status: 'in_progress' | 'succeeded' | 'failed' | 'canceled';
  /** A test card presented through the gateway (test mode). */
  presentedCard: string | null;
}

/** What a device said about an action, as posted back to the gateway. */
export type DeviceResult =
  | {
      outcome: 'approved';
      card: { brand: string; last4: string } | null;
      authCode?: string;
      /** Kept in the journal for the receipt; a gateway's link posts only what its wire format has. */
      entryMode?: string;
      terminalLines?: readonly string[];
    }
  | { outcome: 'declined'; failureCode: string; failureMessage: string; terminalLines?: readonly string[] }
  | { outcome: 'failed'; failureCode: string; failureMessage: string };

export interface LinkSession {
  readonly id: string;
  readonly readerId: string;
  readonly pollWaitMaxMs: number;
}

export interface LinkPoll {
  version: number;
  action: ReaderAction | null;
}

/**
 * How the gateway feeds a reader this app hosts: a session per connection (opened with a fresh
 * single-use credential the gateway folder mints and never lets out), long polls for the reader's
 * action, results posted back.
 */
/**
 * Why a link session is opened: 'collect', the reader's device is here and takes actions (the reader
 * shows online); 'report', only to post the results of a device that went away — the reader stays
 * offline at the gateway, so nothing is pushed to it meanwhile, and the session does not poll.
 */
export type LinkPurpose = 'collect' | 'report';

export interface ReaderLink {
  open(readerId: string, purpose?: LinkPurpose): Promise<LinkSession>;
  poll(session: LinkSession, version: number | undefined, waitMs: number, signal?: AbortSignal): Promise<LinkPoll>;
  postResult(session: LinkSession, actionId: string, result: DeviceResult): Promise<GatewayPayment>;
  close(session: LinkSession): Promise<void>;
}

export interface RegisteredTerminal {
  terminalId: string;
  readerId: string;
}

/** Gateways that drive card-present readers (capabilities.readerLink / cloudReaders). */
export interface GatewayReaders {
  list(): Promise<RemoteReader[]>;
  get(readerId: string): Promise<RemoteReader>;
  register(params: { name: string; registrationCode: string; locationName?: string }): Promise<RegisteredTerminal>;
  findRegistered(registrationCode: string): Promise<RegisteredTerminal | null>;
  remove(terminalId: string): Promise<void>;
  /** Puts a payment on a reader (a 200 means the reader received it, not that anyone paid). */
  push(paymentId: string, readerId: string): Promise<RemoteReader>;
  cancelAction(readerId: string): Promise<RemoteReader>;
  /** Test mode, gateway-simulated readers: present a test card. */
  simulate(readerId: string, cardNumber?: string): Promise<RemoteReader>;
  readonly link: ReaderLink;
}

/** A dispute (chargeback) as the gateway holds it. Amounts in minor units of `currency`. */
export interface GatewayDispute {
  id: string;
  reference: string;
  /** The gateway's id of the disputed payment. */
  transactionId: string;
  amount: number;
  /** ISO 4217, upper case. */
  currency: string;
  status: 'needs_response' | 'under_review' | 'won' | 'lost';
  reason: string;
  evidenceDueBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A notification that reached the host, verified by the gateway's own rule. */
export type VerifiedNotification =
  | { ok: true; eventId: string | null; type: string; paymentId: string | null; disputeId?: string | null }
  | { ok: false; status: 400 | 401; reason: string }
  /** A genuine event already received: gateways deliver at least once, so it is acknowledged, not acted on. */
  | { ok: false; status: 409; reason: string; eventId: string };

export interface GatewayNotifications {
  /** The loopback path this gateway's forwarded notifications arrive on. */
  readonly path: string;
  verify(input: {
    rawBody: Buffer;
    headers: Record<string, string | undefined>;
    nowMs: number;
    remember: (eventId: string, atMs: number) => boolean;
  }): VerifiedNotification;
}

export interface PaymentGateway {
  readonly name: GatewayName;
  readonly label: string;
  readonly capabilities: GatewayCapabilities;
  /**
   * The gateway names each request (Plural's `Request-ID`, minted by `newRequestId`): the engine
   * records the ids minted for an operation with it. Others leave it out, and their calls run
   * without the async context that carries the recorder (which costs every promise in the process).
   */
  readonly namesRequests?: boolean;
  readonly limits: PaymentLimits;
  health(): Promise<void>;
  account(): Promise<GatewayAccount>;
  /**
   * Creates a payment. With idempotency keys (capabilities.idempotencyKeys) `key` makes a resend
   * safe; without, the payment carries it as a tag and `findCreated` finds it.
   */
  create(input: NewPayment, key: string): Promise<GatewayPayment>;
  /**
   * The refusals `create` would make without calling the gateway (LocalRefusal), made before the
   * payment is journaled: an input the gateway's rules refuse leaves no failed payment behind.
   */
  checkCreate?(input: NewPayment): void;
  /**
   * Retrieve-before-retry for a create whose answer was lost: the payment made with `key`, or null.
   * `since` (epoch ms): the create's first send, before which it cannot have been made — a gateway
   * that looks through its newest payments looks back that far (however long the till was offline),
   * and throws rather than answer null when it cannot.
   */
  findCreated(input: NewPayment, key: string, since?: number): Promise<GatewayPayment | null>;
  /**
   * The payment made with `key`, looked up without sending anything, for a create that must never be
   * made now (the cashier recorded it as not made): where findCreated answers null because resending
   * with the key is the safe retry (idempotency keys), this reads the gateway's list instead. Absent:
   * findCreated already only reads.
   */
  lookUpCreated?(input: NewPayment, key: string, since?: number): Promise<GatewayPayment | null>;
  /**
   * A link's create sent more than once (its answers unreadable, nothing found between sends: a
   * gateway without idempotency keys makes a link per send) leaves spare links nobody was shown.
   * Withdraws each one made with `key` other than `keep` that no card has paid or authorised; the
   * ids withdrawn. Absent: the gateway never makes a second payment for one key.
   */
  withdrawSpareLinks?(key: string, keep: string, since: number): Promise<string[]>;
  retrieve(id: string): Promise<GatewayPayment>;
  list(query: PaymentQuery): Promise<PaymentPage>;
  /** `amount` below the authorised amount only with capabilities.partialCapture. */
  capture(id: string, amount: number | undefined, key: string): Promise<GatewayPayment>;
  /** Cancels an uncaptured payment, or aborts an unpaid pay-by-link one. */
  cancel(id: string, key: string): Promise<GatewayPayment>;
  /** `splits`: which merchants' shares the refund comes out of (split payments; else the gateway decides). */
  refund(
    id: string,
    params: { amount?: number; reason?: string; splits?: { splitId: string; amount: number }[] },
    key: string,
  ): Promise<GatewayPayment>;
  /**
   * Split payments whose gateway draws a refund naming no share by its own rule (Plural, which refunds
   * a held share only whole, so some amounts cannot be drawn): the shares it would take `amount`
   * from, on the shares as the till last read them, after the refunds `queued` before it. Throws the
   * LocalRefusal `refund` would make (saying what can be refunded instead), so the host refuses before
   * anything is journaled or queued. Absent: the gateway draws any amount, or takes no splits.
   */
  drawRefund?(
    shares: KnownShares,
    amount: number,
    queued?: readonly RefundAsked[],
  ): { splitId: string; amount: number }[];
  /** Retrieve-before-retry for a refund: true when the refund made with `key` exists. */
  refundExists(id: string, key: string): Promise<boolean>;
  refunds(id: string): Promise<GatewayRefund[]>;
  /** Keeps a note with the payment at the gateway (its metadata), leaving the app's own tags intact. */
  annotate?(id: string, note: string): Promise<GatewayPayment>;
  /**
   * The test cards this gateway's sandbox knows (its own table, in common/): what the Simulate screen
   * offers for simulateLinkPayment. Empty for a gateway without it.
   */
  readonly linkTestCards: readonly { number: string; label: string }[];
  /** Test mode: pay (or fail) a pay-by-link payment with a test card, as the customer would. */
  simulateLinkPayment?(id: string, cardNumber: string, options?: { saveCard?: boolean }): Promise<GatewayPayment>;
  readonly readers?: GatewayReaders;
  readonly installments?: {
    create(input: NewInstallmentPlan, key: string): Promise<InstallmentPlan>;
    retrieve(id: string): Promise<InstallmentPlan>;
    abort(id: string): Promise<InstallmentPlan>;
    /** Retrieve-before-retry for a plan whose create answer was lost. */
    findCreated?(input: NewInstallmentPlan, key: string): Promise<InstallmentPlan | null>;
  };
  readonly notifications?: GatewayNotifications;
  /**
   * Disputes (capabilities.disputes): one page of the gateway's list, newest first (`size` a page,
   * the gateway's largest by default; `status`: only the disputes in that state), and one by id.
   * Read only; the shop answers a dispute on the gateway's dashboard.
   */
  readonly disputes?: {
    list(
      page: number,
      size?: number,
      status?: GatewayDispute['status'],
    ): Promise<{ data: GatewayDispute[]; lastPage: number }>;
    retrieve(id: string): Promise<GatewayDispute>;
  };
  /** Split settlement: releasing or cancelling a held share (capabilities.splitSettlement). */
  readonly settlements?: {
    /**
     * Releases a held share to its merchant: all of it, or `amount` of it (the rest is then
     * refunded to the customer, as the gateway requires, in the same call). Safe to call again with
     * the same key: what was already done is not done twice.
     */
    release(paymentId: string, splitId: string, amount: number | undefined, key: string): Promise<GatewayPayment>;
    /** Cancels a share's settlement (the money goes back to the customer as the gateway decides). */
    cancel(paymentId: string, splitId: string, key: string): Promise<GatewayPayment>;
  };
  /**
   * The customer's browser coming back from the gateway's page with signed fields: verified, it
   * only names the payment to re-read, and says whether the attempt failed (`failed`: what the page
   * tells the customer, never what the till records).
   */
  verifyReturn?(params: Record<string, string>): ReturnVerdict;
}

/** A return from the gateway's page: verified, the payment to re-read and whether the attempt failed. */
export type ReturnVerdict = { ok: true; paymentId: string; failed: boolean } | { ok: false; reason: string };
