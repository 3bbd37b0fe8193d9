/**
 * The payments, composed from their jobs: the journaled-operation engine (engine.ts), keeping the
 * journal in line with the gateway (sync.ts), the cashier's commands (commands.ts), the readers'
 * events and their outbox (reader-events.ts), recovery and the offline queue (recovery.ts), and
 * watching payments the gateway settles by itself (watcher.ts). The host talks to this facade.
 */
import type { ConnectivityView, GatewayName, OpenPage, PaymentView, UncapturedPage } from '../../common/contract';
import type { PaymentGateway } from '../gateway/port';
import type { PaymentRecord, UncapturedTotal } from '../store/journal';
import { CashierCommands } from './commands';
import { PaymentEngine, QUEUEABLE, type PaymentsOptions } from './engine';
import { errorText } from '../core/errors';
import { inBackground } from '../core/background';
import { NotificationHints, type HintOutcome } from './hints';
import { Installments } from './installments';
import { ReaderEvents } from './reader-events';
import { Recovery } from './recovery';
import { SavedCards } from './saved-cards';
import { Settlements } from './settlements';
import { StandalonePayments } from './standalone';
import { PaymentSync } from './sync';
import { RemoteWatcher } from './watcher';

export type { PaymentsOptions, ReaderDirectory } from './engine';
export type { ReaderEventSink } from './reader-events';

export class PaymentService {
  readonly engine: PaymentEngine;
  readonly sync: PaymentSync;
  readonly recovery: Recovery;
  readonly watcher: RemoteWatcher;
  readonly commands: CashierCommands;
  /** What the reader controllers report to. */
  readonly readerEvents: ReaderEvents;
  readonly savedCards: SavedCards;
  readonly installments: Installments;
  readonly settlements: Settlements;
  /** Payments on terminals that charge through the shop's own bank. */
  readonly standalone: StandalonePayments;
  /** The reads notifications ask for, bounded (hints.ts). */
  readonly hints: NotificationHints;

  constructor(options: PaymentsOptions) {
    this.engine = new PaymentEngine(options);
    this.hints = new NotificationHints(this.engine.clock);
    this.sync = new PaymentSync(this.engine);
    this.standalone = new StandalonePayments(this.engine, this.sync);
    this.recovery = new Recovery(this.engine, this.sync, () => this.watcher);
    this.sync.claimNotMade = (payment, gateway) => this.recovery.takeInNotMade(payment, gateway);
    this.watcher = new RemoteWatcher(
      this.engine,
      this.sync,
      () => this.recovery,
      () => this.installments,
    );
    this.readerEvents = new ReaderEvents(this.engine, this.sync, () => this.recovery);
    this.commands = new CashierCommands(this.engine, this.sync, this.recovery, this.watcher, this.standalone);
    this.recovery.cancelAsked = (paymentId) => this.commands.cancel({ paymentId });
    this.savedCards = new SavedCards(this.engine, this.sync);
    this.installments = new Installments(this.engine, this.sync, this.watcher);
    this.settlements = new Settlements(this.engine, this.sync, (ref) => this.commands.resolve(ref));
    // An operation held back by its gateway's settle window is looked up, and sent only if still
    // not found, once the window is over (queued steps and unconfirmed creates alike).
    // A step no answer about could be read stays queued, and its payment needs attention.
    this.engine.onUnreadable = (op, error) => this.sync.unreadableStep(op, error);
    // One that never left the till, though the gateway answered: sent again shortly, by the watcher.
    this.engine.onAnsweredNotSent = (op) => this.watcher.follow(op.paymentId);
    this.engine.onSettled = () =>
      inBackground(this.recovery.recover(), (error) =>
        this.engine.options.log('Could not recover after a settle window', errorText(error)),
      );
  }

  view(record: PaymentRecord): PaymentView {
    return this.engine.view(record);
  }

  list(filter: 'active' | 'uncaptured' | 'attention' | 'all', limit: number): PaymentView[] {
    return this.engine.journal.listPayments(filter, limit).map((record) => this.engine.view(record));
  }

  /** Every payment whose receipt is still to be reprinted (its last print failed), however many. */
  unprinted(): PaymentView[] {
    return this.engine.journal.unprintedPayments().map((record) => this.engine.view(record));
  }

  /** Every payment in flight or in doubt (being created, on a reader, outcome unknown), however many. */
  inFlight(): PaymentView[] {
    return this.engine.journal.inFlightPayments().map((record) => this.engine.view(record));
  }

  /** The open payments, newest first, a page at a time, with how many there are and what they hold. */
  open(offset: number, limit: number): OpenPage {
    const { rows, open } = this.engine.journal.pageOpen(offset, limit);
    const { payments, total, totals } = this.page(rows, open);
    return { payments, total, open: totals };
  }

  uncaptured(offset: number, limit: number): UncapturedPage {
    const { rows, held } = this.engine.journal.pageUncaptured(offset, limit);
    const { payments, total, totals } = this.page(rows, held);
    return { payments, total, held: totals };
  }

  /** A page's views, and how many payments all pages hold with their totals per currency. */
  private page(rows: PaymentRecord[], totals: UncapturedTotal[]) {
    return {
      payments: rows.map((record) => this.engine.view(record)),
      total: totals.reduce((sum, h) => sum + h.count, 0),
      totals: totals.map((h) => ({ ...h })),
    };
  }

  attention() {
    return this.engine.attention();
  }

  /**
   * The offline queue: captures, cancels and refunds a failed send left waiting, with their totals —
   * those the active gateway sends when it is back. Another gateway's (or mode's) wait for the till
   * to switch back, whatever this one does: counted, the banner said they would be sent when the
   * gateway is back, and they were not (each payment still shows its own).
   */
  queueSummary(): ConnectivityView['queued'] {
    const { journal } = this.engine;
    const totals = new Map<string, number>();
    let count = 0;
    for (const op of journal.pendingOperations()) {
      if (op.lastError === null || !QUEUEABLE.has(op.kind)) continue;
      const payment = journal.getPayment(op.paymentId);
      if (!payment || !this.engine.actsOn(payment)) continue;
      count++;
      const amount =
        typeof op.params.amount === 'number'
          ? op.params.amount
          : typeof op.params.splitAmount === 'number'
            ? op.params.splitAmount
            : op.kind === 'refund'
              ? payment.amountCaptured - payment.amountRefunded
              : op.kind === 'capture'
                ? payment.amountCapturable
                : payment.amount;
      totals.set(payment.currency, (totals.get(payment.currency) ?? 0) + amount);
    }
    return { count, totals: [...totals].map(([currency, amount]) => ({ currency, amount })) };
  }

  /** Reconciles one payment now, under its lock (the cashier's "Check again", a notification). */
  async reconcileNow(ref: string): Promise<PaymentView> {
    const record = await this.commands.resolve(ref);
    return this.engine.view(
      await this.engine.exclusive(record.id, () => this.recovery.reconcile(this.engine.journal.getPayment(record.id)!)),
    );
  }

  /**
   * A notification (or a customer back from the payment page) named this gateway payment: read it
   * again (its body is never trusted) — only a payment this till made or follows, never an id only
   * the notification names: PayPlug's are unsigned, and any local page could otherwise make the
   * till look up arbitrary ids with its key and spend the account's rate limit. The reads are
   * bounded (NotificationHints): the first for a payment at once, repeated hints for it coalesced,
   * all of them within a budget. One that cannot be read now is read again by recovery once the
   * gateway answers (see Recovery.readAgainLater). An id the till does not know may be a later part
   * of one of its installment plans: while a plan runs, the running plans (known ids) are read
   * again instead, which takes it in. It may also be the create of a payment the cashier recorded
   * as not made: while one is within its look-up week, it is looked for by its key (never by the
   * id the notification names), which takes it in. Any other is ignored.
   */
  notified(transactionId: string): HintOutcome | 'ignored' {
    const record = this.engine.findHere(transactionId);
    if (!record) {
      const plans = this.installments.running() ? this.notifiedPlans() : 'ignored';
      const notMade = this.notifiedNotMade();
      return plans !== 'ignored' ? plans : notMade;
    }
    const id = record.id;
    return this.hints.hint(`payment:${id}`, async () => {
      // What was noted from here on names a change this read may not see: kept (Recovery.readNotified).
      const mark = this.recovery.notedMark();
      // Followed (a link, a cloud reader's payment): unfinished, read at every start anyway.
      if (this.watcher.following(id)) {
        this.watcher.nudge(id);
        return this.recovery.readNotified(id, mark);
      }
      try {
        await this.reconcileNow(id);
        this.recovery.readNotified(id, mark);
      } catch (error) {
        // Acknowledged, the notification is not sent again: recovery reads the payment once the
        // gateway answers again (it was left stale until the next start or reconnect happened to).
        const later = this.recovery.readAgainLater(id, error, mark);
        this.engine.options.log(
          `Could not read ${transactionId} after its notification`,
          later ? `${errorText(error)}; read again when the gateway answers` : errorText(error),
        );
      }
    });
  }

  /**
   * A verified notification naming this gateway payment is about to be acknowledged: a payment of the
   * journal it names is kept there as still to read (Recovery.noteNotified) until `notified` has read
   * it, so a till killed in between reads it at its next start. Called in the commit that journals the
   * notification's id. Nothing else is kept: what else a notification can ask for (an open link, the
   * running plans, a create recorded as not made, a dispute) is read at every start anyway.
   */
  noteNotified(transactionId: string): void {
    const record = this.engine.findHere(transactionId);
    if (record) this.recovery.noteNotified(record.id);
  }

  /**
   * A notification about a payment the till does not know, while a create the cashier recorded as
   * not made is still looked for: those creates are looked for again now (by their keys), bounded.
   */
  private notifiedNotMade(): HintOutcome | 'ignored' {
    if (!this.recovery.lookingForNotMade()) return 'ignored';
    return this.hints.hint('not-made', () => this.recovery.lookForNotMade());
  }

  /**
   * A plan changed (aborted, failed, a part charged): the running plans are read again, bounded.
   * `gateway`: the notification came from another gateway than the active one, whose plans the till
   * still follows (made before a switch); the active gateway's otherwise.
   */
  notifiedPlans(gateway?: GatewayName): HintOutcome | 'ignored' {
    if (!this.installments.running(gateway)) return 'ignored';
    return this.hints.hint('plans', async () => {
      await this.installments.refreshRunning();
      // Followed from then on, at the watcher's pace, while one runs.
      this.watcher.followPlans();
    });
  }

  /**
   * The gateways other than the active one whose records the till still follows, each built from its
   * own stored keys: those of its running plans (Installments.followedElsewhere), of its open links and
   * of the payments on its own readers, made before a switch (PaymentEngine.followedElsewhere). Their
   * forwarded notifications are checked by them, not refused.
   */
  followedElsewhere(): PaymentGateway[] {
    const found = new Map(this.installments.followedElsewhere().map((gateway) => [gateway.name, gateway]));
    for (const record of this.engine.journal.listPayments('unfinished', 10_000)) {
      if (found.has(record.gateway)) continue;
      const elsewhere = this.engine.followedElsewhere(record);
      if (elsewhere && 'gateway' in elsewhere) found.set(record.gateway, elsewhere.gateway);
    }
    return [...found.values()];
  }

  /**
   * A verified notification from another gateway than the active one (followedElsewhere): a link of
   * its that the till follows is read now, as the active gateway's are; anything else reads its
   * running plans (a part charged), bounded alike.
   */
  notifiedElsewhere(gateway: GatewayName, transactionId: string | null): HintOutcome | 'ignored' {
    const record = transactionId
      ? this.engine.journal.findByTransactionId(transactionId, this.engine.readingOf(gateway))
      : undefined;
    if (record && this.watcher.following(record.id)) {
      const id = record.id;
      return this.hints.hint(`payment:${id}`, async () => this.watcher.nudge(id));
    }
    return this.notifiedPlans(gateway);
  }

  /**
   * Settings were saved (a switch, another gateway's keys removed or entered again): what the till
   * follows of other gateways may have changed. Their running plans and open links say whether they
   * are followed, and those it can read now are read (watched, for a link).
   */
  settingsChanged(): void {
    this.installments.settingsChanged();
    this.engine.retellUnfinished();
    this.recovery.followElsewhere();
  }

  close(): void {
    this.engine.closed = true;
    this.hints.close();
    this.engine.stopTimers();
    this.watcher.close();
  }
}
