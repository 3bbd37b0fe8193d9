/**
 * Disputes (chargebacks): a customer's bank takes back money the gateway paid the shop. The till
 * cannot answer one (the gateway's dashboard does); it must not let one go unseen. On a gateway that
 * lists them (capabilities.disputes) the till reads the list at start, when the gateway is back, every
 * `disputePollMs` (the till may have been off, a notification may never reach it) and when the
 * Transactions screen is refreshed (the periodic read lists only the open ones: see `refresh`); a
 * forwarded `dispute.*` notification only makes it read that dispute now (its body is never used).
 * Each dispute is journaled as the gateway last said (one row however often it is read); one still
 * open on a payment the till knows keeps that payment in Needs attention, and its opening and outcome
 * go into the payment's timeline. Money is not changed: the gateway takes a lost dispute out of a
 * payout, it is no refund the till made (docs/reports.md).
 */
import type { TimerHandle } from '../../common/clock';
import type { DisputeList, DisputeView } from '../../common/contract';
import { inBackground } from '../core/background';
import { errorText } from '../core/errors';
import { GatewayUnreadable } from '../gateway/errors';
import type { GatewayDispute, PaymentGateway } from '../gateway/port';
import type { DisputeChange, DisputeRecord } from '../store/journal';
import type { PaymentEngine } from './engine';
import { toDisputeView } from './views';

/** How often the list is read while the till runs (a dispute gives the shop days to answer). */
export const DISPUTE_POLL_MS = 15 * 60_000;
/** Disputes asked for per page of the list (PlutoPay's largest page). */
export const DISPUTE_PAGE_SIZE = 100;
/**
 * The most pages one list is read to (100,000 disputes at 100 a page, far past any shop's): a gateway
 * that says more pages follow for ever (a huge `last_page`) is not asked for ever.
 */
export const MAX_DISPUTE_PAGES = 1_000;
/**
 * How long the periodic read may read only the open disputes before it reads the whole list again: a
 * dispute opened and decided between two reads is in no open list, and the reports count the lost ones.
 */
export const DISPUTE_FULL_READ_MS = 24 * 60 * 60_000;
/** The states a dispute is open in: the periodic read lists these only (the gateway's `status` filter). */
const OPEN_STATUSES = ['needs_response', 'under_review'] as const;

/** A gateway's date as an ISO instant (Z); one that is no date is an unreadable answer. */
function instant(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new GatewayUnreadable(`The dispute's date ${JSON.stringify(value)} is not a date.`);
  return new Date(ms).toISOString();
}

type DisputeInput = Omit<DisputeRecord, 'seenAt' | 'closedAt' | 'paymentId'>;

export interface DisputeWatchOptions {
  /** An answer the till could not use (the developer log's errors). */
  logError: (summary: string, detail?: string) => void;
  /** The list the Transactions screen shows changed. */
  onChanged?: () => void;
}

type WatchedGateway = PaymentGateway & { disputes: NonNullable<PaymentGateway['disputes']> };

export class DisputeWatch {
  private timer: TimerHandle | undefined;
  private reading: Promise<void> | null = null;
  private again = false;
  /** A full read is asked for (the Transactions refresh); the one running may be a cheap one. */
  private wantFull = false;
  /** The gateway and mode of the last full read that went through, and when (monotonic ms). */
  private fullScope: string | null = null;
  private fullAt = 0;
  private lastProblem: string | null = null;
  private closed = false;

  constructor(
    private readonly engine: PaymentEngine,
    private readonly options: DisputeWatchOptions,
  ) {}

  private gateway(): WatchedGateway | null {
    const gateway = this.engine.activeGateway();
    return gateway?.capabilities.disputes && gateway.disputes ? (gateway as never) : null;
  }

  /** Reads the list now and then every `disputePollMs` (again from now on each call). */
  follow(): void {
    if (this.closed) return;
    this.engine.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.gateway()) return;
    inBackground(this.refresh(), (error) => this.options.logError('Reading the disputes failed', errorText(error)));
  }

  private schedule(): void {
    this.engine.clock.clearTimeout(this.timer);
    if (this.closed || !this.gateway()) return;
    this.timer = this.engine.clock.setTimeout(() => this.follow(), this.engine.tuning.disputePollMs ?? DISPUTE_POLL_MS);
  }

  /**
   * Reads the gateway's disputes and journals what changed. `full` (the Transactions refresh), the
   * first read of a gateway and mode, and one a day: the whole list, newest first, to its last page.
   * Otherwise (the periodic read, the gateway back) only what can still change: the open disputes
   * (the list filtered by state), then, one by one, those the journal holds as open that no open list
   * had any more (won or lost since). A read asked for while one runs is made once after it, never
   * alongside it. Never throws: what could not be read is said in the developer log and in
   * `problem()`; the journal keeps what it had.
   */
  refresh(full = false): Promise<void> {
    if (full) this.wantFull = true;
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    const read = (async () => {
      do {
        this.again = false;
        const gateway = this.gateway();
        if (!gateway) break;
        const whole = this.wantFull || this.fullDue(gateway);
        this.wantFull = false;
        await (whole ? this.readList(gateway) : this.readOpen(gateway));
      } while (this.again && !this.closed);
    })().finally(() => {
      this.reading = null;
      this.schedule();
    });
    this.reading = read;
    return read;
  }

  /** The gateway, mode and account read: a full read of one says nothing of another. */
  private scope(gateway: WatchedGateway): string {
    return `${gateway.name}/${this.engine.options.mode()}/${this.engine.gatewayAccount()}`;
  }

  private fullDue(gateway: WatchedGateway): boolean {
    return (
      this.fullScope !== this.scope(gateway) || this.engine.clock.monotonic() - this.fullAt >= DISPUTE_FULL_READ_MS
    );
  }

  /** The whole list. */
  private async readList(gateway: WatchedGateway): Promise<void> {
    const scope = this.scope(gateway);
    try {
      await this.readPages(gateway);
      this.fullScope = scope;
      this.fullAt = this.engine.clock.monotonic();
      this.lastProblem = null;
    } catch (error) {
      this.failed(`Could not read ${gateway.label}'s disputes`, error);
    }
  }

  /** The open disputes, then each one the journal holds as open that they no longer have. */
  private async readOpen(gateway: WatchedGateway): Promise<void> {
    try {
      const seen = new Set<string>();
      for (const status of OPEN_STATUSES) await this.readPages(gateway, status, seen);
      // Won or lost since (or moved from one open state to the other while the lists were read).
      const gone = this.engine.journal
        .openDisputes(gateway.name, this.engine.options.mode(), this.engine.gatewayAccount())
        .filter((known) => !seen.has(known.id));
      for (const known of gone) {
        if (this.closed) return;
        this.record(this.asRecord(gateway, await gateway.disputes.retrieve(known.id)));
      }
      this.lastProblem = null;
    } catch (error) {
      this.failed(`Could not read ${gateway.label}'s disputes`, error);
    }
  }

  /**
   * The list (only the disputes in `status`, if given) to its end: an open dispute past a fixed number
   * of pages (the oldest ones) went unseen, its payment out of Needs attention. One page a turn, its
   * disputes in one commit: the host answers between pages, and a long list costs one fsync a page,
   * not one a dispute. Throws what could not be read (the pages before it are kept).
   */
  private async readPages(
    gateway: WatchedGateway,
    status?: GatewayDispute['status'],
    seen?: Set<string>,
  ): Promise<void> {
    const size = this.engine.tuning.disputePageSize ?? DISPUTE_PAGE_SIZE;
    const maxPages = this.engine.tuning.disputeMaxPages ?? MAX_DISPUTE_PAGES;
    const list = status === undefined ? 'disputes' : `${status} disputes`;
    const earlier = new Set<string>();
    for (let page = 1; !this.closed; page++) {
      // Past the bound the list is not read further, and that is said: never as the whole list.
      if (page > maxPages)
        throw new GatewayUnreadable(
          `${gateway.label} says its ${list} run past ${maxPages} pages of ${size}: the till read only those.`,
        );
      const answer = await gateway.disputes.list(page, size, status);
      // Checked first: one unreadable dispute leaves the whole page unwritten, as a bad page does.
      const read = answer.data.map((dispute) => this.asRecord(gateway, dispute));
      this.engine.journal.atomically(() => {
        for (const dispute of read) this.record(dispute);
      });
      for (const dispute of read) seen?.add(dispute.id);
      if (page >= answer.lastPage || answer.data.length === 0) break;
      // A page that only repeats what earlier ones gave, while more are said to follow: the pages
      // cannot be read (the same page answered again and again).
      if (read.every((dispute) => earlier.has(dispute.id)))
        throw new GatewayUnreadable(
          `${gateway.label}'s page ${page} of its ${list} holds only disputes its earlier pages gave, and says more follow: its pages cannot be read.`,
        );
      for (const dispute of read) earlier.add(dispute.id);
    }
  }

  /** A notification named a dispute: read it from the gateway (never from the notification). */
  notified(disputeId: string): void {
    const gateway = this.gateway();
    if (!gateway || this.closed) return;
    inBackground(
      (async () => {
        try {
          this.record(this.asRecord(gateway, await gateway.disputes.retrieve(disputeId)));
        } catch (error) {
          // The periodic read takes it in later; nothing is lost by waiting.
          this.failed(`Could not read dispute ${disputeId} after its notification`, error);
        }
      })(),
      (error) => this.options.logError('Reading a dispute failed', errorText(error)),
    );
  }

  private failed(summary: string, error: unknown): void {
    this.lastProblem = errorText(error);
    if (error instanceof GatewayUnreadable)
      this.options.logError(
        `${summary}: its answer was unreadable`,
        `${errorText(error)}; the journal keeps what it had`,
      );
    else this.engine.options.log(summary, errorText(error));
  }

  /** A gateway's dispute as the journal keeps it (throws GatewayUnreadable on a date that is none). */
  private asRecord(gateway: PaymentGateway, dispute: GatewayDispute): DisputeInput {
    return {
      gateway: gateway.name,
      mode: this.engine.options.mode(),
      // The account that reports it: only its own are shown (another's stay stored).
      account: this.engine.gatewayAccount(),
      id: dispute.id,
      reference: dispute.reference,
      transactionId: dispute.transactionId,
      amount: dispute.amount,
      currency: dispute.currency,
      status: dispute.status,
      reason: dispute.reason,
      // As ISO instants (PlutoPay may write +00:00): the journal orders and compares them as text.
      evidenceDueBy: dispute.evidenceDueBy === null ? null : instant(dispute.evidenceDueBy),
      openedAt: instant(dispute.createdAt),
      updatedAt: instant(dispute.updatedAt),
    };
  }

  private record(input: DisputeInput): DisputeChange {
    const { record, change } = this.engine.journal.recordDispute(input);
    if (change === null) return null;
    const payment = record.paymentId ? this.engine.journal.getPayment(record.paymentId) : undefined;
    // The payment's view and its Needs attention item follow (an item appears, or clears once won or lost).
    if (payment) this.engine.changed(payment);
    // Said once on disk (a page of the list is one commit).
    this.engine.journal.afterCommit(() => {
      this.engine.options.log(
        `Dispute ${record.reference} ${change === 'opened' ? 'opened' : record.status.replace('_', ' ')}`,
        `${record.amount} ${record.currency} on ${record.transactionId}${record.paymentId ? ` (${record.paymentId})` : ''}`,
      );
      this.options.onChanged?.();
    });
    return change;
  }

  /**
   * The disputes the till knows on the active gateway in the till's mode, from the account it uses now
   * (the gateway's list as last read); `refresh`: the list read first. None on a gateway that does not
   * list them.
   */
  async list(refresh: boolean): Promise<DisputeList> {
    const gateway = this.gateway();
    if (!gateway) return { disputes: [], readProblem: null };
    if (refresh) await this.refresh(true);
    const records = this.engine.journal.disputes(
      gateway.name,
      this.engine.options.mode(),
      this.engine.gatewayAccount(),
    );
    return { disputes: records.map(toDisputeView), readProblem: this.lastProblem };
  }

  /**
   * The disputes a payment's details show. The till's payment: those its own account reported (gateway
   * ids are unique per account only, so the account in use may have a payment, and disputes, of the
   * same id). A transaction the till has no payment for was read with the account in use: its disputes.
   */
  on(detail: { transaction: { id: string }; payment: { id: string } | null }, gateway: string): DisputeView[] {
    const { journal } = this.engine;
    const record = detail.payment ? journal.getPayment(detail.payment.id) : undefined;
    const disputes = record
      ? journal
          .disputesOnPayment(record)
          .filter((dispute) => dispute.account === record.gatewayAccount || this.engine.showsDispute(dispute))
      : journal.disputesOn(gateway as never, detail.transaction.id).filter((d) => this.engine.showsDispute(d));
    return disputes.map(toDisputeView);
  }

  close(): void {
    this.closed = true;
    this.engine.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
