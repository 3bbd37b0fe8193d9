/**
 * The journaled-operation engine every payment job shares. An operation is written to the journal
 * (with the key every retry reuses) before it is first sent; after an unknown outcome the engine
 * retrieves before it retries, never guesses; an operation that cannot reach the gateway stays
 * pending in the journal (queued, for the kinds the offline queue sends later). Work on one payment
 * is serialised, and the cashier hears of a change only once it is on disk.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import { wallTime } from '../../common/timezone';
import type { AttentionChange, AttentionView, GatewayName, Mode, PaymentView } from '../../common/contract';
import { GATEWAY_LABELS } from '../../common/contract/views';
import { HostError } from '../core/errors';
import { accountWords, GATEWAY_KEYS } from '../gateway/accounts';
import type { Connectivity } from '../gateway/connectivity';
import { GatewayError, GatewayUnreachable, GatewayUnreadable, stillThrottled, tryAgainIn } from '../gateway/errors';
import type { CardOutcome } from '../../drivers/types';
import type { PaymentGateway, ReaderAction } from '../gateway/port';
import { recordingRequestIds } from '../gateway/request-ids';
import {
  heldBy,
  type DisputeRecord,
  type Journal,
  type OperationKind,
  type OperationRecord,
  type PaymentAccount,
  type PaymentRecord,
  type SplitRecord,
  type TransactionAccount,
} from '../store/journal';
import {
  copiesOwed,
  toAttentionView,
  toPaymentView,
  unsettledTerminalRefund,
  type Elsewhere,
  type ReceiptSummary,
} from './views';

/** What the payments need to know about readers (the reader manager answers). */
export interface ReaderDirectory {
  /** The gateway's id for one of the app's reader ids, whether this app hosts it, and if usable. */
  resolve(readerId: string):
    | {
        gatewayReaderId: string;
        hosted: boolean;
        online: boolean;
        label: string;
        standalone?: boolean;
        /** Why no payment may be taken on it at all (a simulated reader in live mode). */
        refusal?: string;
      }
    | undefined;
  /**
   * Asks a hosted reader's device to stop collecting; 'too_late' once the card is authorising,
   * 'taken' once a device that stops only until it takes the request has taken it (Reader.cancelsUntil).
   */
  cancelCollection(readerId: string): Promise<'canceled' | 'too_late' | 'taken' | 'not_collecting'>;
  /** Reports, for a hosted reader's open action, what the cashier established about an unknown outcome. */
  settleUnknown(readerId: string, action: ReaderAction, charged: boolean): Promise<void>;
  /** A credit on a standalone reader's device; 'unsupported' when its protocol has none. */
  refundOnTerminal?(
    readerId: string,
    request: { amount: number; currency: string; reference: string },
  ): Promise<CardOutcome | 'unsupported'>;
}

/** The counter's settings the payments follow. */
export interface CounterOptions {
  /** Tipping is on: a payment may carry a tip, or wait for the customer to choose one. */
  tipping(): boolean;
}

export interface PaymentsOptions {
  journal: Journal;
  clock: Clock;
  /** The active gateway; throws a HostError when the till has no credentials for it yet. */
  gateway: () => PaymentGateway;
  /**
   * The gateway of that name, built from its own stored credentials (the active one for its own
   * name), or null while the till holds none for it in this mode. Only for following what that
   * gateway already has (installment plans made before a switch), never for taking payments.
   */
  gatewayNamed?: (name: GatewayName) => PaymentGateway | null;
  /** The till's mode now: each new payment keeps it (which reports count it, its receipt's banner). */
  mode: () => Mode;
  /**
   * Whether the till uses the embedded sandbox now (test mode only): a plan and a payment keep it,
   * and are read only while it still holds (the sandbox's keys see only its own). Absent: never.
   */
  embeddedSandbox?: () => boolean;
  /**
   * The account the active gateway reads now (ActiveGateway.account: `sandbox`, or its address and
   * masked key): a dispute keeps the account that reported it, and only this one's are shown. Absent: ''.
   */
  gatewayAccount?: () => string | null;
  /**
   * The account the gateway of that name is read with now (ActiveGateway.accountFor: the active one's,
   * or the one gatewayNamed builds), null while the till holds no keys for it: a plan keeps the account
   * it was made on and is read with no other. Absent: ''.
   */
  gatewayAccountOf?: (name: GatewayName) => string | null;
  connectivity: Connectivity;
  readers: ReaderDirectory;
  counter?: CounterOptions;
  onPaymentChanged: (payment: PaymentView) => void;
  /** An installment plan's record was stored (its view is Installments.viewOf's to build). */
  onPlanChanged: (planId: string) => void;
  /** Needs attention changed: only the payment whose item appeared, changed or went (never the whole list). */
  onAttentionChanged: (change: AttentionChange) => void;
  onQueueChanged: () => void;
  log: (summary: string, detail?: string) => void;
  /** The shop's time zone (IANA): the times the cashier reads. Default UTC. */
  timeZone?: () => string;
  tuning?: PaymentsTuning;
}

export interface PaymentsTuning {
  /** Quick retries of one call before an operation is left pending. */
  attempts?: number;
  retryDelayMs?: number;
  /** How often a payment the gateway settles by itself (cloud reader, pay by link) is checked. */
  remotePollMs?: number;
  /** How often the till's running installment plans are read again (their later parts). */
  planPollMs?: number;
  /** How often the gateway's disputes are read (default DISPUTE_POLL_MS, 15 min). */
  disputePollMs?: number;
  /** Disputes asked for per page of the gateway's list (default DISPUTE_PAGE_SIZE, 100; tests use fewer). */
  disputePageSize?: number;
  /** The most pages one list of disputes is read to (default MAX_DISPUTE_PAGES; tests use fewer). */
  disputeMaxPages?: number;
}

/**
 * Operations that wait in the offline queue. Creates and reader pushes are never sent late; a
 * release or cancel of a split share is (the money is the customer's already).
 */
export const QUEUEABLE_KINDS: readonly OperationKind[] = ['capture', 'cancel', 'refund', 'release', 'cancel_split'];
export const QUEUEABLE: ReadonlySet<OperationKind> = new Set(QUEUEABLE_KINDS);

export interface PerformHow<T, R> {
  send: (gateway: PaymentGateway) => Promise<T>;
  /** Retrieve-before-retry: the effect of an earlier send, found at the gateway, or null. */
  check: (gateway: PaymentGateway) => Promise<T | null>;
  /** Left pending in the offline queue when the gateway cannot be reached. */
  queue: boolean;
  /**
   * Not queued, yet left pending for the host to finish with its key when the gateway is back (a
   * create): what the cashier is told instead of "try again", which would be wrong.
   */
  unanswered?: string;
  /**
   * The caller journaled the first send's attempt together with the transition that asked for it
   * (addOperation with `sending`): one durable write before the first send instead of two.
   */
  firstSendJournaled?: boolean;
  /**
   * Applies the gateway's answer to the journal in the same durable transition that marks the
   * operation done (never "done" without its effect, or the reverse). Runs inside a journal
   * transaction: what it makes the app do must go through journal.afterCommit (changed() does).
   */
  settle?: (result: T) => R;
  /**
   * 'progress' when this answer can be rebuilt from the gateway by the operation's journaled key
   * (a create still pending, a push to a reader): it is then committed without its own fsync.
   * Outcomes (a payment approved, declined, captured, refunded…) are durable before anything shows
   * or acts on them. Default: 'outcome'. See docs/reliability.md#durable-points.
   */
  answerIs?: (result: T) => 'progress' | 'outcome';
  /**
   * The gateway refused the operation: runs in the commit that marks it failed (for a queued one,
   * the cashier must hear of it, since nobody is waiting for its answer).
   */
  refused?: (error: GatewayError) => void;
  /**
   * What is wrong with an answer that does not fit the request (another payment's id, another
   * amount), or null. Such an answer is not applied: like an unreadable one, its outcome is unknown,
   * so the next attempt asks the gateway again (retrieve before retry).
   */
  answerProblem?: (result: T) => string | null;
  /**
   * False where sending again cannot move money without the customer, so the gateway's settle
   * window (docs/reliability.md#the-settle-window) is not kept: a payment link's create, whose
   * second send makes a second link while the first, never shown to anyone, is never paid. Default
   * true: refunds, saved-card charges, captures and cancels wait it out.
   */
  settleWindow?: boolean;
}

/**
 * An open payment only its gateway can settle: a link whose page the customer may still pay (or
 * authorise, for a capture later). The till learns of it only by reading the gateway.
 */
export function awaitsCustomer(
  record: Pick<PaymentRecord, 'chargedBy' | 'channel' | 'status' | 'transactionId'>,
): boolean {
  return (
    record.chargedBy !== 'terminal' &&
    record.channel === 'link' &&
    record.status === 'pending' &&
    record.transactionId !== null
  );
}

export class PaymentEngine {
  private readonly locks = new Map<string, Promise<unknown>>();
  closed = false;

  /**
   * Operations held back by their gateway's settle window, each with the timer that asks for them
   * again when it ends (one per operation: held again, its timer is replaced).
   */
  private readonly settling = new Map<number, TimerHandle>();
  /** When an operation was last sent by this process, on the monotonic clock (see settleWait). */
  private readonly sentAtMono = new Map<number, number>();
  /** What asks for held operations again when a window ends (recovery; set by PaymentService). */
  onSettled: () => void = () => undefined;
  /**
   * A capture, cancel, refund or settlement step left pending because the gateway's answers about
   * it could not be read (PaymentSync.unreadableStep, set by PaymentService): never guessed, the
   * payment needs attention while the step stays queued — looked up before it is ever sent again.
   */
  onUnreadable: (op: OperationRecord, error: GatewayUnreadable) => void = () => undefined;
  /**
   * A capture, cancel, refund or settlement step left pending that never left the till, though the
   * gateway answered (unreadably, a step before it: Plural's token): nothing is in doubt, and no
   * reconnect will come to send it, so it is asked for again (the watcher, set by PaymentService).
   */
  onAnsweredNotSent: (op: OperationRecord) => void = () => undefined;

  /**
   * What Needs attention was last told of each payment in it (its item, as JSON): a change is sent
   * only when an item appears, changes or goes, and only that item.
   */
  private readonly attentionTold: Map<string, string>;

  constructor(readonly options: PaymentsOptions) {
    this.attentionTold = new Map(this.attention().map((item) => [item.paymentId, JSON.stringify(item)]));
  }

  get journal(): Journal {
    return this.options.journal;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  get tuning(): PaymentsTuning {
    return this.options.tuning ?? {};
  }

  view(record: PaymentRecord): PaymentView {
    const active = this.activeGateway();
    // No action is offered on a payment the till cannot act on now (another mode's or account's): its
    // buttons would only be refused (Needs attention says what to switch back to).
    const acts = record.chargedBy === 'terminal' || this.actsOn(record);
    const view = toPaymentView(
      record,
      this.journal.countQueuedOperations(record.id, QUEUEABLE_KINDS),
      active?.capabilities ?? null,
      acts ? (active?.name ?? null) : null,
      // Only a gateway that splits has shares to read (a view is built on every change).
      active?.name === record.gateway && !active.capabilities.splitSettlement
        ? { records: [], pending: new Set() }
        : this.splitsFor(record.id),
      this.receiptsOf(record.id),
    );
    // A plan's part says which it is (the plan is read only for a part).
    const installment = record.installmentPlanId ? this.journal.installmentPartOf(record) : null;
    const unsettledRefund = this.unsettledRefundOf(record);
    return {
      ...view,
      ...(installment ? { installment } : {}),
      ...(this.otherAccount(record) ? { otherAccount: true as const } : {}),
      attention: toAttentionView(
        record,
        unsettledRefund,
        this.openDisputeOf(record),
        this.labelOf(record),
        this.unreadElsewhere(record),
      ),
    };
  }

  /**
   * An unfinished payment of the till's mode on another account than the one it uses now (see
   * otherAccount), or an open link of another gateway the till holds no keys of its account for (see
   * followedElsewhere): the till does not read it, so it is in Needs attention, saying what to switch
   * back or enter to follow it, until it is read. Null for any other payment.
   */
  private unreadElsewhere(record: PaymentRecord): Elsewhere | null {
    const elsewhere = this.otherAccount(record);
    if (elsewhere) return this.journal.isUnfinished(record.id) ? elsewhere : null;
    return this.notFollowedElsewhere(record);
  }

  /**
   * An open link, or a payment on its own reader, of another gateway than the active one that the till
   * cannot follow now (no keys for it, or another account's): why, and what to enter in Settings. Null
   * otherwise (see followedElsewhere).
   */
  notFollowedElsewhere(record: PaymentRecord): Elsewhere | null {
    const elsewhere = this.followedElsewhere(record);
    return elsewhere && !('gateway' in elsewhere) ? { ...elsewhere, settle: false } : null;
  }

  /** notFollowedElsewhere in one sentence, as an X or a Z names such a link; null while it is followed. */
  notFollowedNote(record: PaymentRecord): string | null {
    const elsewhere = this.notFollowedElsewhere(record);
    return elsewhere ? `${elsewhere.why}, so a payment on it is not seen. ${elsewhere.fix} to follow it.` : null;
  }

  /** The receipts a view shows; the print history is read only for a payment that has print jobs. */
  private receiptsOf(paymentId: string): ReceiptSummary {
    const summary = this.journal.receiptSummary(paymentId);
    return summary.print ? { ...summary, owed: copiesOwed(this.journal.receiptsFor(paymentId)) } : summary;
  }

  /** A refund on a terminal that only its ticket can settle (looked up only where one can be). */
  private unsettledRefundOf(record: PaymentRecord): { amount: number } | null {
    if (!record.attentionSince || record.chargedBy !== 'terminal') return null;
    const op = unsettledTerminalRefund(this.journal.operationsFor(record.id));
    return op ? { amount: Number(op.params.amount) } : null;
  }

  /** A payment's shares and those with a release or cancel not yet confirmed. */
  private splitsFor(paymentId: string): { records: SplitRecord[]; pending: Set<string> } {
    const records = this.journal.splitsOf(paymentId);
    if (records.length === 0) return { records, pending: new Set() };
    const pending = new Set(
      [
        ...this.journal.pendingOperationsFor(paymentId, 'release'),
        ...this.journal.pendingOperationsFor(paymentId, 'cancel_split'),
      ].map((op) => String(op.params.splitId)),
    );
    return { records, pending };
  }

  /**
   * The newest dispute still open on a payment (a chargeback), which keeps it in Needs attention.
   * Read only for a payment the gateway has (one query on an index).
   */
  openDisputeOf(record: PaymentRecord): DisputeRecord | null {
    return this.journal.disputesOnPayment(record).find((d) => d.closedAt === null && this.showsDispute(d)) ?? null;
  }

  /** The account the active gateway reads now, as a dispute keeps it (see PaymentsOptions.gatewayAccount). */
  gatewayAccount(): string {
    return this.options.gatewayAccount?.() ?? '';
  }

  /**
   * The account the active gateway reads now, as a gateway transaction id is found on it (see
   * TransactionAccount); null while no gateway is configured.
   */
  reading(): TransactionAccount | null {
    const gateway = this.activeGateway();
    return gateway ? this.readingOf(gateway.name) : null;
  }

  /** The account the gateway of that name is read with now, as readingOf's ids are found on it. */
  readingOf(name: GatewayName): TransactionAccount {
    return { gateway: name, mode: this.options.mode(), gatewayAccount: this.gatewayAccountOf(name) };
  }

  /**
   * The payment of a transaction id the account the till reads now named (a notification, a reader
   * action, its list of transactions): never another account's payment of the same id. Without a
   * gateway, only a payment a terminal charged through the shop's own bank (an id the till minted).
   */
  findHere(transactionId: string): PaymentRecord | undefined {
    const reading = this.reading();
    if (reading) return this.journal.findByTransactionId(transactionId, reading);
    const record = this.journal.findByTransactionId(transactionId, 'anyAccount');
    return record?.chargedBy === 'terminal' ? record : undefined;
  }

  /** The account the gateway of that name is read with now ('' while unknown; see PaymentsOptions.gatewayAccountOf). */
  gatewayAccountOf(name: GatewayName): string {
    if (this.activeGateway()?.name === name) return this.gatewayAccount();
    return this.options.gatewayAccountOf?.(name) ?? '';
  }

  /**
   * Whether a dispute is shown (Needs attention, a payment's details, the refund it leaves room for):
   * of the till's gateway and mode, only those the account it uses now reported — another account's
   * (the URL and key changed, the embedded sandbox turned on or off) stay stored, unshown and unread,
   * never "open… as last read" for ever. Another gateway's or mode's are shown as before.
   */
  showsDispute(dispute: Pick<DisputeRecord, 'gateway' | 'mode' | 'account'>): boolean {
    return (
      dispute.gateway !== this.activeGateway()?.name ||
      dispute.mode !== this.options.mode() ||
      dispute.account === this.gatewayAccount()
    );
  }

  private labelOf(record: PaymentRecord): string {
    const active = this.activeGateway();
    return active?.name === record.gateway ? active.label : record.gateway;
  }

  /**
   * Every payment needing attention, however many: the screen and its count never leave one out.
   * A payment in doubt, and a payment the customer's bank disputes (until the dispute is won or lost).
   */
  attention(): AttentionView[] {
    const disputed = new Map<string, DisputeRecord>();
    for (const dispute of this.journal.openDisputesOnPayments())
      if (this.showsDispute(dispute) && !disputed.has(dispute.paymentId!)) disputed.set(dispute.paymentId!, dispute);
    const records = this.journal.attentionPayments();
    const inDoubt = new Set(records.map((record) => record.id));
    const listed = records.length;
    for (const id of disputed.keys()) {
      const record = inDoubt.has(id) ? undefined : this.journal.getPayment(id);
      if (record) records.push(record);
    }
    // Unfinished on another account of the till's mode: not read, so said here (see unreadElsewhere).
    // In live mode too: the shop's own URL and key may have changed since.
    if (this.gatewayAccount() !== '')
      for (const record of this.journal.listPayments('unfinished', 10_000))
        if (
          !inDoubt.has(record.id) &&
          !disputed.has(record.id) &&
          (this.otherAccount(record) || this.notFollowedElsewhere(record))
        )
          records.push(record);
    if (records.length > listed)
      records.sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1,
      );
    return records
      .map((record) =>
        toAttentionView(
          record,
          this.unsettledRefundOf(record),
          disputed.get(record.id) ?? null,
          this.labelOf(record),
          this.unreadElsewhere(record),
        ),
      )
      .filter((a): a is AttentionView => a !== null);
  }

  /**
   * Tells the app a payment changed, once the write that changed it is on disk, and Needs attention
   * when its item there appeared, changed or went: that item only. (The whole list went out on each
   * such change, however many payments were in doubt, and a path that cleared an item without
   * saying so left it on screen.)
   */
  changed(record: PaymentRecord): void {
    this.journal.afterCommit(() => {
      const view = this.view(record);
      this.options.onPaymentChanged(view);
      this.tellAttention(record.id, view.attention);
    });
  }

  /**
   * The till now uses another account (the embedded sandbox turned on or off, another mode or keys):
   * the unfinished payments it can no longer read, or can again, and those another account's open
   * disputes held, come into Needs attention or leave it.
   */
  accountSwitched(): void {
    this.claimAccount();
    this.retellUnfinished();
  }

  /**
   * Needs attention told again of every unfinished payment, and every open dispute's, and the app of
   * every unfinished payment and authorisation: after a switch, and after another gateway's keys were
   * removed or entered again (its open links are followed, or not).
   */
  retellUnfinished(): void {
    // And the authorisations not captured yet, which Capture (F4) and Settings count.
    const unfinished = new Set(
      [...this.journal.listPayments('unfinished', 10_000), ...this.journal.listPayments('uncaptured', 10_000)].map(
        (record) => record.id,
      ),
    );
    const ids = new Set(unfinished);
    for (const dispute of this.journal.openDisputesOnPayments()) ids.add(dispute.paymentId!);
    for (const id of ids) {
      const record = this.journal.getPayment(id);
      if (!record) continue;
      const view = this.view(record);
      // What the till can do with an unfinished one, and whether it is another account's, change with
      // a switch too: the screens' copy is told again (found in a defect hunt: after the embedded
      // sandbox was turned off, Settings still counted its open link as the account in use's).
      if (unfinished.has(id)) this.options.onPaymentChanged(view);
      this.tellAttention(id, view.attention);
    }
  }

  /**
   * The payments and plans made before the till kept their account (migrations 027, 028) become the
   * account's it uses now for their gateway and mode, before anything reads them: at start, and at
   * each switch. A plan of another gateway than the active one is claimed by the account that gateway
   * is read with (a plan is followed after a switch of gateway).
   */
  claimAccount(): void {
    const gateway = this.activeGateway();
    const mode = this.options.mode();
    if (gateway) this.journal.claimPaymentAccounts(gateway.name, mode, this.gatewayAccount());
    for (const name of Object.keys(GATEWAY_LABELS) as GatewayName[])
      this.journal.claimPlanAccounts(name, mode, this.gatewayAccountOf(name));
  }

  private tellAttention(paymentId: string, item: AttentionView | null): void {
    const told = this.attentionTold.get(paymentId);
    const now = item ? JSON.stringify(item) : undefined;
    if (told === now) return;
    if (now === undefined) this.attentionTold.delete(paymentId);
    else this.attentionTold.set(paymentId, now);
    this.options.onAttentionChanged(item ? { changed: [item], removed: [] } : { changed: [], removed: [paymentId] });
  }

  /** Tells the app a plan changed, once the write that changed it is on disk. */
  planChanged(planId: string): void {
    this.journal.afterCommit(() => this.options.onPlanChanged(planId));
  }

  /**
   * The gateway a payment was made with, when it is the till's active one. A payment made with
   * another gateway waits, untouched, until the till switches back to it.
   */
  gatewayFor(record: PaymentRecord): PaymentGateway {
    // A test payment is never sent to the live account, nor a live one to the test account: each
    // waits, untouched, for the till to be back in its mode (a tester's test link went to the live
    // gateway, which knew nothing of it, and turned into a live Needs-attention item).
    this.requireMode(record);
    // Nor is a payment made on the embedded sandbox read with the shop's own test key (or the
    // reverse): that account cannot see it, and its "no such payment" was taken as "not made".
    this.requireAccount(record);
    const gateway = this.options.gateway();
    if (gateway.name !== record.gateway) {
      throw new HostError(
        'conflict',
        `This payment was made with ${GATEWAY_LABELS[record.gateway]}; the till now uses ${gateway.label}. Switch back in Settings (F7) to act on it.`,
      );
    }
    return gateway;
  }

  /**
   * What a payment's details say instead of a refund form when it was made with another gateway than
   * the active one, in the till's mode and account, and is not followed now (followedElsewhere): they
   * are the till's own record of it, and that gateway is not asked (a read with its stored keys is for
   * what the customer may still pay, not for a payment whose outcome the till journaled). Null for any
   * other payment.
   */
  anotherGatewaysRecord(record: PaymentRecord): string | null {
    const active = this.activeGateway();
    if (!active || record.gateway === active.name || record.mode !== this.options.mode()) return null;
    if (this.otherAccount(record) || this.followedElsewhere(record)) return null;
    const label = GATEWAY_LABELS[record.gateway];
    return `This payment was made with ${label}, and the till now uses ${active.label}: this is the till's own record of it, as ${label} last answered. Switch back to ${label} in Settings (F7) to read it again or act on it.`;
  }

  /**
   * A payment the gateway's own (cloud) reader is collecting: only that gateway can say how it ends
   * (the customer may still present a card), as a link's page. Not one on a reader this app hosts:
   * the till's readers restart at a switch, and a switch is refused while one collects.
   */
  onGatewayReader(record: Pick<PaymentRecord, 'chargedBy' | 'status' | 'transactionId' | 'readerId'>): boolean {
    return (
      record.chargedBy !== 'terminal' &&
      record.status === 'in_progress' &&
      record.transactionId !== null &&
      record.readerId !== null &&
      this.options.readers.resolve(record.readerId)?.hosted === false
    );
  }

  /**
   * How an open payment of another gateway than the active one that only that gateway can settle (a
   * link the customer may still pay, see awaitsCustomer; a payment on its own reader, see
   * onGatewayReader) is followed after a switch of gateway:
   * `gateway` — built from that gateway's own stored keys (gatewayNamed) while they name the very
   * account the payment was made on — to read it with, never to act on it; or, while the till holds no
   * such keys, why it is not followed and what the shop can do. Null for any other payment: the active
   * gateway's, another mode's or account's (otherAccount says those), one no longer open.
   */
  followedElsewhere(record: PaymentRecord): { gateway: PaymentGateway } | { why: string; fix: string } | null {
    // Cheapest first: a view asks this of every payment it builds.
    const link = awaitsCustomer(record);
    if (!link && record.status !== 'in_progress') return null;
    const elsewhere = this.otherGatewayOf(record);
    if (!elsewhere) return null;
    if (!link && !this.onGatewayReader(record)) return null;
    const { held, account } = elsewhere;
    // Built only for a link its keys can see (a view of the payment asks this too).
    const gateway = held ? (this.options.gatewayNamed?.(record.gateway) ?? null) : null;
    if (gateway) return { gateway };
    const label = GATEWAY_LABELS[record.gateway];
    const subject = link ? 'This link was made' : `This payment was sent to a reader of ${label}'s`;
    const made =
      record.account === 'own' && record.gatewayAccount !== ''
        ? accountWords(record.gateway, record.gatewayAccount)
        : null;
    if (account === null || held || !made)
      return {
        why: `${subject}${link ? ` with ${label}` : ''}${made ? ` on ${made.words}` : ''}, and the till no longer holds ${label}'s ${GATEWAY_KEYS[record.gateway]}`,
        fix: `Without switching back to ${label}, enter ${made ? `${made.settings} for ${label}` : `its ${GATEWAY_KEYS[record.gateway]}`} again in Settings (F7)`,
      };
    return {
      why: `${subject} on ${link ? `${label} ` : ''}${made.words}, and the till now holds ${label}'s keys of ${accountWords(record.gateway, account!).words}, which cannot see it`,
      fix: `Without switching back to ${label}, put back ${made.settings} for ${label} in Settings (F7)`,
    };
  }

  /**
   * A payment of another gateway than the active one, in the till's mode and not of another account
   * (otherAccount says those): the account that gateway's stored keys name now, and whether it is the
   * one the payment was made on. Null for any other payment.
   */
  private otherGatewayOf(record: PaymentRecord): { account: string | null; held: boolean } | null {
    if (record.mode !== this.options.mode()) return null;
    const active = this.activeGateway();
    if (!active || record.gateway === active.name || this.otherAccount(record)) return null;
    const account = this.options.gatewayAccountOf?.(record.gateway) ?? null;
    return {
      account,
      held: account !== null && heldBy(record, { gateway: record.gateway, mode: record.mode, gatewayAccount: account }),
    };
  }

  /**
   * Any payment of another gateway than the active one, open or settled, that the till can read with
   * that gateway's own stored keys (the very account it was made on, in the till's mode): its details
   * are shown read only after a switch (a link paid after it said "Switch back" for them). Never acted
   * on: its money commands still need the switch back. Null when it cannot be read so.
   */
  readableElsewhere(record: PaymentRecord): PaymentGateway | null {
    if (record.chargedBy === 'terminal' || record.transactionId === null) return null;
    return this.otherGatewayOf(record)?.held ? (this.options.gatewayNamed?.(record.gateway) ?? null) : null;
  }

  /**
   * The gateway a payment is read with (never acted on): its own, the active one (gatewayFor, which
   * refuses another mode's, account's or gateway's), or for another gateway's open link that gateway's
   * own stored keys of its account (followedElsewhere). Such a link without those keys is refused
   * saying what to enter in Settings, as Needs attention does: switching back is not needed to read it.
   */
  gatewayToRead(record: PaymentRecord): PaymentGateway {
    const elsewhere = this.followedElsewhere(record);
    if (!elsewhere) return this.gatewayFor(record);
    if ('gateway' in elsewhere) return elsewhere.gateway;
    throw new HostError('conflict', this.notFollowedNote(record)!);
  }

  /**
   * One call with a gateway outside the journaled operations (a read; a plan's abort): only the active
   * gateway's answers say whether the till is online (call); another gateway's (a link or a plan made
   * before a switch) say nothing of the one it takes payments with.
   */
  read<T>(fn: (gateway: PaymentGateway) => Promise<T>, gateway: PaymentGateway): Promise<T> {
    return this.activeGateway()?.name === gateway.name ? this.call(fn, gateway) : fn(gateway);
  }

  /**
   * Money is moved for a payment only in the mode it was made in: a terminal on the shop's own bank
   * charges and credits real cards whatever the mode, so a test payment charged in live mode would
   * be real money kept out of the live reports, and a live one credited in test mode real money
   * moved under the TEST MODE badge.
   */
  requireMode(record: Pick<PaymentRecord, 'mode'>): void {
    const mode = this.options.mode();
    if (record.mode !== mode) {
      throw new HostError(
        'conflict',
        `This payment was made in ${record.mode} mode; the till is in ${mode} mode. Switch back in Settings (F7) to act on it.`,
      );
    }
  }

  /** Whether the till can act on this payment now: made in its mode, on its account, with its active gateway. */
  actsOn(record: Pick<PaymentRecord, 'gateway' | 'mode' | 'account' | 'gatewayAccount' | 'chargedBy'>): boolean {
    return (
      record.mode === this.options.mode() &&
      this.otherAccount(record) === null &&
      record.gateway === this.activeGateway()?.name
    );
  }

  /** The account a payment made now is made on: the embedded sandbox's, or the shop's own. */
  account(): PaymentAccount {
    return this.options.mode() === 'test' && (this.options.embeddedSandbox?.() ?? false) ? 'sandbox' : 'own';
  }

  /**
   * Why the till cannot read this payment of its mode with the keys it holds now — made on the
   * embedded sandbox while it is off, or on the shop's own test account while it is on — and what
   * the shop can do; null when it can (or when no gateway account holds it: a terminal on the
   * shop's own bank). The other mode is requireMode's.
   */
  otherAccount(
    record: Pick<PaymentRecord, 'gateway' | 'mode' | 'account' | 'gatewayAccount' | 'chargedBy'>,
  ): { why: string; fix: string } | null {
    if (record.chargedBy === 'terminal' || record.mode !== this.options.mode()) return null;
    const label = GATEWAY_LABELS[record.gateway];
    if (record.account === this.account()) {
      // The shop's own account, but maybe not this one: its URL and key were changed in Settings since.
      const now = this.gatewayAccount();
      if (
        record.account !== 'own' ||
        record.gatewayAccount === '' ||
        now === '' ||
        record.gatewayAccount === now ||
        record.gateway !== this.activeGateway()?.name
      )
        return null;
      const made = accountWords(record.gateway, record.gatewayAccount);
      return {
        why: `This payment was made on ${label} ${made.words}, and the till now uses ${accountWords(record.gateway, now).words}, which cannot see it`,
        fix: `Put back ${made.settings} in Settings (F7)`,
      };
    }
    return record.account === 'sandbox'
      ? {
          why: `This payment was made on the embedded sandbox, which is turned off: ${label}'s keys the till holds now cannot see it`,
          fix: 'Turn the embedded sandbox back on in Settings (F7)',
        }
      : {
          why: `This payment was made with the shop's own ${label} test account, and the till now uses the embedded sandbox, which cannot see it`,
          fix: 'Turn the embedded sandbox off in Settings (F7)',
        };
  }

  /**
   * Refuses to act on a payment of another account than the till's (see otherAccount). One the cashier
   * settled from that account's dashboard (its key rolled, the account closed) is refunded there.
   */
  requireAccount(
    record: Pick<PaymentRecord, 'id' | 'gateway' | 'mode' | 'account' | 'gatewayAccount' | 'chargedBy'>,
  ): void {
    const refusal = this.otherAccountRefusal(record);
    if (refusal) throw new HostError('conflict', refusal);
  }

  /** What requireAccount refuses with on this payment (its details say it instead of a refund form); null: none. */
  otherAccountRefusal(
    record: Pick<PaymentRecord, 'id' | 'gateway' | 'mode' | 'account' | 'gatewayAccount' | 'chargedBy'>,
  ): string | null {
    const elsewhere = this.otherAccount(record);
    if (!elsewhere) return null;
    if (this.settledElsewhere(record))
      return `${elsewhere.why}. Its outcome was recorded from that account's dashboard, not read by the till: refund it on that account's dashboard (or put back ${elsewhere.fix.replace(/^Put back /, '')} to act on it here).`;
    return `${elsewhere.why}. ${elsewhere.fix} to act on it.`;
  }

  /**
   * Whether the cashier settled this payment from the dashboard of its account, which the till does not
   * read (attention.resolve `charged` / `not_charged` on a `settleElsewhere` item): its record is the
   * cashier's word, never checked with the gateway.
   */
  settledElsewhere(record: Pick<PaymentRecord, 'id'>): boolean {
    return this.journal.timeline(record.id).some((e) => e.event === 'cashier_settled_elsewhere');
  }

  /**
   * Whether the cashier may settle this payment from its account's dashboard (attention.resolve
   * `charged` / `not_charged`): unfinished, made on another of the shop's own accounts of this gateway
   * and mode than the one the till uses now — one whose key may have been rolled or whose account
   * closed, so that putting it back in Settings may be no way out. The embedded sandbox has none.
   */
  settlesElsewhere(
    record: Pick<PaymentRecord, 'id' | 'gateway' | 'mode' | 'account' | 'gatewayAccount' | 'chargedBy'>,
  ): boolean {
    return (
      record.account === 'own' &&
      record.gatewayAccount !== '' &&
      this.otherAccount(record) !== null &&
      this.journal.isUnfinished(record.id)
    );
  }

  /** The active gateway, or null while it is not configured. */
  activeGateway(): PaymentGateway | null {
    try {
      return this.options.gateway();
    } catch {
      return null;
    }
  }

  /** One gateway call outside the journaled operations (reads), feeding connectivity. */
  async call<T>(fn: (gateway: PaymentGateway) => Promise<T>, gateway = this.options.gateway()): Promise<T> {
    try {
      const result = await fn(gateway);
      this.options.connectivity.reportSuccess();
      return result;
    } catch (error) {
      // An answer not read is still an answer: the gateway is there (Connectivity.reportError).
      this.options.connectivity.reportError(error);
      throw error;
    }
  }

  /**
   * `message`: what the cashier reads while the gateway cannot be reached. While it throttles the
   * till instead, they read that, and when to try again (nothing is sent before then).
   */
  requireOnline(message: string): void {
    const { state, lastError } = this.options.connectivity;
    const wait = this.options.connectivity.throttledForMs();
    if (wait !== null)
      throw new HostError('offline', throttledText(this.activeGateway()?.label ?? 'The gateway', wait), {
        queued: false,
        retryAfterMs: wait,
      });
    if (state === 'offline') throw new HostError('offline', message);
    if (state === 'refused')
      throw new HostError(
        'conflict',
        `The gateway refuses this till's credentials (${lastError ?? 'no reason given'}). Check the keys and the API URL in Settings (F7).`,
      );
  }

  /** Serialises work on one key (a payment, an order): a double click cannot race itself. */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /**
   * Sends one journaled operation: retrieve-before-retry on every attempt after the first, the
   * same key every time. Gives up after a few quick attempts: the operation then stays pending in
   * the journal (queued, when `queue`), and the error says so.
   */
  async perform<T, R = T>(op: OperationRecord, how: PerformHow<T, R>): Promise<R> {
    const { journal } = this;
    const { connectivity } = this.options;
    const attempts = this.tuning.attempts ?? 3;
    let lastError: GatewayUnreachable | null = null;
    const keepRequestId = (requestId: string) => journal.addRequestId(op.id, requestId);
    const call = <V>(gateway: PaymentGateway, fn: () => Promise<V>): Promise<V> =>
      gateway.namesRequests ? recordingRequestIds(keepRequestId, fn) : fn();
    /** Set when a resend is held back by the gateway's settle window: the ms left of it. */
    let held = 0;
    /**
     * Settled meanwhile (a resend scheduled before the cashier recorded a create as not made, a
     * queued step done or refused by another path): never sent again, whatever the caller held.
     */
    const settledMeanwhile = (): HostError | null => {
      const now = journal.operationState(op.paymentId, op.id);
      if (now === undefined || now === 'pending') return null;
      this.sentAtMono.delete(op.id);
      const what = OPERATION_NAMES[op.kind] ?? op.kind;
      return new HostError('conflict', `The ${what} was settled meanwhile (${now}): it is not sent again.`);
    };
    for (let attempt = 0; attempt < attempts; attempt++) {
      const gone = settledMeanwhile();
      if (gone) throw gone;
      // The gateway asked the till to wait: nothing is sent (nor looked up) before the wait is over.
      // The operation stays as it is, and is sent then (found hunting 429s: recovery, run by any
      // other call that answered, sent throttled work again at once).
      const throttledFor = connectivity.throttledForMs();
      if (throttledFor !== null && throttledFor > 0) {
        lastError = stillThrottled(throttledFor);
        // Journaled with the first send it now never makes: not sent, as a send refused by a 429
        // (else it was looked up and held for a settle window, or a create taken as unknown).
        if (attempt === 0 && how.firstSendJournaled === true && op.sentAt !== null) {
          journal.updateOperation(op.id, { sentAt: null });
          op = { ...op, sentAt: null };
        }
        break;
      }
      const payment = journal.getPayment(op.paymentId);
      const gateway = payment ? this.gatewayFor(payment) : this.options.gateway();
      const journaled = attempt === 0 && how.firstSendJournaled === true;
      let answer: { value: T; via: 'ok' | 'confirmed by retrieve' } | null = null;
      const retry = attempt > 0 || (op.attempts > 0 && !journaled);
      try {
        if (retry) {
          const already = await call(gateway, () => how.check(gateway));
          if (already !== null) {
            connectivity.reportSuccess();
            answer = { value: already, via: 'confirmed by retrieve' };
          }
        }
        if (!answer && retry) {
          // The lookup found nothing; on a gateway that cannot refuse a second send, that proves
          // nothing while the first may still land: nothing is sent before its window has passed.
          held = how.settleWindow === false ? 0 : this.settleWait(op, gateway);
          if (held > 0) {
            connectivity.reportSuccess();
            break;
          }
        }
        if (!answer) {
          // The lookup took a while: settled meanwhile, it is not sent.
          const settledNow = retry ? settledMeanwhile() : null;
          if (settledNow) throw settledNow;
          // Journaled with its first send (addOperation), it was never sent before.
          const sentBefore = journaled ? null : op.sentAt;
          if (!journaled) {
            const sentAt = new Date(this.clock.now()).toISOString();
            journal.updateOperation(op.id, { attemptsDelta: 1, sentAt });
            op = { ...op, sentAt };
          }
          this.sentAtMono.set(op.id, this.clock.monotonic());
          let value: T;
          try {
            value = await call(gateway, () => how.send(gateway));
          } catch (error) {
            // Provably never sent (refused connection, throttled): it cannot land, so it starts no window.
            if (error instanceof GatewayUnreachable && error.outcome === 'not_sent') {
              journal.updateOperation(op.id, { sentAt: sentBefore });
              op = { ...op, sentAt: sentBefore };
              this.sentAtMono.delete(op.id);
            }
            throw error;
          }
          connectivity.reportSuccess();
          answer = { value, via: 'ok' };
        }
        const problem = how.answerProblem?.(answer.value) ?? null;
        if (problem) throw new GatewayUnreadable(`The gateway's answer does not fit the request: ${problem}.`);
      } catch (error) {
        if (error instanceof GatewayError) {
          connectivity.reportError(error);
          this.sentAtMono.delete(op.id);
          journal.atomically(() => {
            journal.updateOperation(op.id, { state: 'failed', lastError: `${error.type}: ${error.message}` });
            how.refused?.(error);
          });
          if (op.lastError !== null) this.options.onQueueChanged();
          throw error;
        }
        if (!(error instanceof GatewayUnreachable)) throw error;
        lastError = error;
        // Unreadable, the gateway still answered: that operation is in doubt, not the connection.
        connectivity.reportError(error);
        journal.updateOperation(op.id, { lastError: error.message });
        op = { ...op, attempts: journaled ? op.attempts : op.attempts + 1, lastError: error.message };
        // A throttling gateway asked for a pause, or an unavailable one (503) said how long it will be:
        // no quick retries; the probe asks again after that wait, and recovery sends it then (looked up first).
        if (error.retryAfterMs !== null || error.unavailableForMs !== null) break;
        if (attempt + 1 < attempts) await this.sleep((this.tuning.retryDelayMs ?? 250) * 2 ** attempt);
        continue;
      }
      const { value, via } = answer;
      this.sentAtMono.delete(op.id);
      const settle = () => {
        journal.updateOperation(op.id, { state: 'done', lastError: null, result: via });
        return how.settle ? how.settle(value) : (value as unknown as R);
      };
      const settled = how.answerIs?.(value) === 'progress' ? journal.progress(settle) : journal.atomically(settle);
      if (via === 'ok' && op.lastError !== null) this.options.onQueueChanged();
      return settled;
    }
    // Answered, but never readably: whether the money moved is not known, and the cashier is told —
    // unless no send of it may have landed (the answer was to a step before it, and `sentAt` was put
    // back for each send that never left): then it only waits to be sent.
    const answered = lastError instanceof GatewayUnreadable && QUEUEABLE.has(op.kind) ? lastError : null;
    const unreadable = answered !== null && (answered.outcome === 'unknown' || op.sentAt !== null);
    if (unreadable) this.onUnreadable(op, answered);
    else if (answered && how.queue) this.onAnsweredNotSent(op);
    if (held > 0) return this.hold(op, held, lastError, how);
    this.options.onQueueChanged();
    const payment = journal.getPayment(op.paymentId);
    if (payment) this.changed(payment);
    const unreachable = unansweredText(lastError);
    const what = OPERATION_NAMES[op.kind] ?? op.kind;
    const failure = new HostError(
      'offline',
      how.queue && unreadable
        ? `${unreachable} Nothing is sent twice: the ${what} stays queued, and the till asks the gateway whether it went through before sending it again.`
        : how.queue && answered
          ? `${unreachable} The ${what} was not sent: it stays queued, and the till sends it again shortly.`
          : how.queue
            ? `${unreachable} The ${op.kind} is queued and will be sent automatically when the connection returns.`
            : how.unanswered
              ? `${unreachable} ${how.unanswered}`
              : `${unreachable} Nothing was charged twice; try again when the connection returns.`,
      { queued: how.queue || how.unanswered !== undefined },
    );
    // Kept for callers that say more than "unreachable" when the gateway answered, but unreadably.
    failure.cause = lastError;
    throw failure;
  }

  /**
   * How long an operation must still wait before it may be sent again: its gateway's settle window
   * (capabilities.resendAfterUnknownMs) since its last send, 0 when that is over or the gateway
   * refuses a second send anyway. Measured from the journal's `sentAt` (a restart inside the window
   * keeps to it), and, for a send this process made, on the monotonic clock too, so the till's time
   * set forward cannot end it early; never more than a whole window (the clock set back cannot stall
   * it for longer).
   */
  settleWait(op: OperationRecord, gateway: PaymentGateway): number {
    const window = gateway.capabilities.resendAfterUnknownMs;
    if (window <= 0 || op.sentAt === null) return 0;
    const byWall = window - (this.clock.now() - Date.parse(op.sentAt));
    const sentMono = this.sentAtMono.get(op.id);
    const byMono = sentMono === undefined ? 0 : window - (this.clock.monotonic() - sentMono);
    const wait = Math.min(window, Math.max(byWall, byMono, 0));
    return Number.isFinite(wait) ? wait : window;
  }

  /**
   * An operation whose resend waits out its gateway's settle window: it stays pending (queued,
   * shown), the cashier reads until when nothing is sent, and it is asked for again (looked up,
   * then sent only if still not found) once the window is over — by a timer now, by recovery after
   * a restart.
   */
  private hold<T, R>(
    op: OperationRecord,
    waitMs: number,
    lastError: GatewayUnreachable | null,
    how: PerformHow<T, R>,
  ): never {
    const { journal } = this;
    const label = this.activeGateway()?.label ?? 'the gateway';
    const until = this.clock.now() + waitMs;
    const { hour, minute } = wallTime(until, this.options.timeZone?.() ?? 'UTC');
    const at = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
    const what = OPERATION_NAMES[op.kind] ?? op.kind;
    const checking = `Checking with ${label} whether the ${what} went through (nothing will be sent again before ${at}).`;
    journal.updateOperation(op.id, { lastError: checking });
    this.clock.clearTimeout(this.settling.get(op.id));
    this.settling.set(
      op.id,
      this.clock.setTimeout(() => {
        this.settling.delete(op.id);
        if (!this.closed) this.onSettled();
      }, waitMs),
    );
    this.options.onQueueChanged();
    const payment = journal.getPayment(op.paymentId);
    if (payment) this.changed(payment);
    const why = lastError
      ? `${unansweredText(lastError)} ${label} cannot refuse a second ${what}, and a lookup does not see one it is still making.`
      : `${label} did not answer the last send, cannot refuse a second ${what}, and a lookup does not see one it is still making.`;
    // No gateway error as its cause: the gateway answered the lookup, and recovery goes on past it.
    throw new HostError(
      'offline',
      `${why} ${checking}${how.unanswered ? ` ${how.unanswered}` : how.queue ? ` The ${what} stays queued meanwhile.` : ''}`,
      { queued: how.queue || how.unanswered !== undefined },
    );
  }

  /** Stops the settle windows' timers (the host is closing). */
  stopTimers(): void {
    for (const handle of this.settling.values()) this.clock.clearTimeout(handle);
    this.settling.clear();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** An operation as the cashier reads it in "whether the … went through". */
export const OPERATION_NAMES: Partial<Record<OperationKind, string>> = {
  create: 'payment',
  process: 'push to the reader',
  capture: 'capture',
  cancel: 'cancel',
  refund: 'refund',
  release: 'release',
  cancel_split: 'cancel of a share',
};

/**
 * Why a call got no usable answer, as the cashier reads it first: the gateway's own words when it
 * answered (unreadably, or throttling the till: it is there, only slowing the till down), else that
 * it is unreachable and why.
 */
export function unansweredText(error: GatewayUnreachable | null): string {
  if (error instanceof GatewayUnreadable || (error !== null && error.retryAfterMs !== null)) return error.message;
  return `The gateway is unreachable (${error?.message ?? 'no answer'}).`;
}

/**
 * What the cashier reads of something a throttling gateway kept from being sent (a create met a 429,
 * or was started while the till is asked to wait): nothing was charged, and when to try again.
 */
export function throttledText(label: string, retryAfterMs: number): string {
  return `${label} is limiting this till's requests (429 Too Many Requests). Nothing was charged; try again ${tryAgainIn(retryAfterMs)}.`;
}

/** What the cashier reads of a create that never reached the gateway: nothing was charged, and when to try again. */
export function notSentText(error: GatewayUnreachable, label: string): string {
  // The gateway answered (a step before the create, unreadably): nothing waits for a connection.
  if (error instanceof GatewayUnreadable) return `${error.message} Nothing was charged; try again.`;
  if (error.retryAfterMs === null)
    return `${unansweredText(error)} Nothing was charged; try again when the connection returns.`;
  return throttledText(label, error.retryAfterMs);
}
