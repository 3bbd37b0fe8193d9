/**
 * Watching payments the gateway settles without this till's own reader: a payment on a reader the
 * gateway hosts, and a payment by link the customer pays on their phone. Neither can rely on a
 * notification reaching the till (a gateway's notification URL must be public), so the till asks:
 * a cloud reader every `remotePollMs`; a payment link more and more rarely (up to every 10 s), and
 * not past a little after its link lapses — by then the gateway has closed it, and recovery reads
 * it at the next start in any case. A cloud reader whose gateway does not answer (or fails the
 * read) is asked more and more rarely too, as a link, and every `remotePollMs` again once it does.
 * A verified or forwarded notification only makes it ask now. A gateway coming back starts the
 * waits afresh: the active one's payments are read by recovery when the till is online again
 * (`readByRecovery`), a previous gateway's by the watch as soon as a read through it answers after one
 * did not. One gateway's return never hurries another's follows.
 *
 * The till's running installment plans are followed the same way, slowly: the gateway charges
 * their later parts by itself on their dates, and nothing the till can count on tells it so.
 */
import type { TimerHandle } from '../../common/clock';
import type { GatewayName } from '../../common/contract';
import { inBackground } from '../core/background';
import { isGatewayError, unreadableAnswer } from '../gateway/errors';
import type { GatewayPayment, RemoteReader } from '../gateway/port';
import type { PaymentRecord } from '../store/journal';
import { QUEUEABLE_KINDS, type PaymentEngine } from './engine';
import { errorText } from '../core/errors';
import type { Installments } from './installments';
import { unreachable, type Recovery } from './recovery';
import { unreadableAttention, type PaymentSync } from './sync';

/** The slowest a followed payment is read: a link, or a cloud reader whose gateway does not answer. */
const MAX_POLL_MS = 10_000;

/** The wait before the next read of a followed payment that is read more and more rarely. */
function slower(delayMs: number): number {
  return Math.min(Math.round(delayMs * 1.5), MAX_POLL_MS);
}

/** How long after a link lapses the till keeps asking (the gateway closes it at its own pace). */
const LINK_GRACE_MS = 5 * 60_000;
/** How often running installment plans are read again: a part is charged once a day at most. */
const PLAN_POLL_MS = 10 * 60_000;

interface Watch {
  timer: TimerHandle | undefined;
  delayMs: number;
  /** A read of it is under way: a nudge then asks for one more after it, never a second at once. */
  reading: boolean;
  nudged: boolean;
}

export class RemoteWatcher {
  private readonly watches = new Map<string, Watch>();
  /** The running plans' next reading (undefined while one runs, or when none is followed). */
  private plansTimer: TimerHandle | undefined;
  private plansFollowed = false;
  /** Other gateways than the active one whose last read for a followed payment went unanswered. */
  private readonly silent = new Set<GatewayName>();

  constructor(
    private readonly engine: PaymentEngine,
    private readonly sync: PaymentSync,
    private readonly recovery: () => Recovery,
    private readonly plans: () => Installments,
  ) {
    // Closed at the gateway, it needs no more reading, unless an answer about it was unreadable
    // (a capture still in doubt on an authorised payment, say). Heard inside the transaction that
    // closes it: let go once that is on disk, as a write rolled back leaves it open, to be read again.
    sync.onClosed((record) => {
      if (!unreadableAttention(record)) engine.journal.afterCommit(() => this.stop(record.id));
    });
    // Answered unreadably wherever it was read: read again, more and more rarely, until it can be.
    sync.onUnreadable((record) => this.follow(record.id));
  }

  /** Follows a payment until it leaves the state that needs following (idempotent). */
  follow(paymentId: string): void {
    if (this.watches.has(paymentId) || this.engine.closed) return;
    const watch: Watch = { timer: undefined, delayMs: this.baseDelay(), reading: false, nudged: false };
    this.watches.set(paymentId, watch);
    this.schedule(paymentId, watch);
  }

  /** Asks about a payment now (e.g. a notification named it). */
  nudge(paymentId: string): void {
    const watch = this.watches.get(paymentId);
    if (!watch) return;
    watch.delayMs = this.baseDelay();
    // A read under way answers soon: one more after it, not a second loop reading alongside it (two
    // reads at once, then two timers for ever, each rescheduling itself).
    if (watch.reading) {
      watch.nudged = true;
      return;
    }
    this.engine.clock.clearTimeout(watch.timer);
    watch.timer = this.engine.clock.setTimeout(() => this.tickInBackground(paymentId, watch), 0);
  }

  /**
   * Recovery has just read this followed payment (the till back online, say): the watch's wait starts
   * again from the shortest, from that read, not after the up to 10 s it backed off to while the
   * gateway did not answer.
   */
  readByRecovery(paymentId: string): void {
    const watch = this.watches.get(paymentId);
    if (!watch) return;
    watch.delayMs = this.baseDelay();
    // A read of its own under way answers soon, and schedules the next from this wait.
    if (!watch.reading) this.schedule(paymentId, watch);
  }

  /**
   * Another gateway than the active one answered a read for a followed payment after one through it
   * went unanswered: it is back, and every other payment followed through it (a link, a payment on
   * its cloud reader) is read now, its wait started again from the shortest. Not those of another
   * gateway (the active one's come back with the till, through recovery). `except`: the one that
   * answered.
   */
  private reconnected(gateway: GatewayName, except: string): void {
    for (const [id, watch] of [...this.watches]) {
      if (id === except || this.engine.journal.getPayment(id)?.gateway !== gateway) continue;
      watch.delayMs = this.baseDelay();
      // A read under way answers soon: no second one alongside it.
      if (!watch.reading) this.schedule(id, watch, 0);
    }
  }

  following(paymentId: string): boolean {
    return this.watches.has(paymentId);
  }

  stop(paymentId: string): void {
    const watch = this.watches.get(paymentId);
    if (!watch) return;
    this.engine.clock.clearTimeout(watch.timer);
    this.watches.delete(paymentId);
  }

  close(): void {
    for (const id of [...this.watches.keys()]) this.stop(id);
    this.silent.clear();
    this.engine.clock.clearTimeout(this.plansTimer);
    this.plansTimer = undefined;
    this.plansFollowed = false;
  }

  /**
   * Follows the till's running installment plans until none runs (idempotent): each is read again
   * every `planPollMs`, and its new parts taken in. `now`: read them at once (recovery at start or
   * reconnect, a notification about a plan).
   */
  followPlans(now = false): void {
    if (this.engine.closed || (this.plansFollowed && !now)) return;
    this.plansFollowed = true;
    this.schedulePlans(now ? 0 : this.planDelay());
  }

  /** Never sooner than the end of a throttling gateway's wait, as a followed payment's reads. */
  private schedulePlans(delayMs: number): void {
    this.engine.clock.clearTimeout(this.plansTimer);
    this.plansTimer = this.engine.clock.setTimeout(() => this.readPlans(), Math.max(delayMs, this.throttledForMs()));
  }

  private planDelay(): number {
    return this.engine.tuning.planPollMs ?? PLAN_POLL_MS;
  }

  private readPlans(): void {
    this.plansTimer = undefined;
    // The gateway asked the till to wait (heard since this reading was due): read at its end.
    if (this.throttledForMs() > 0) return this.schedulePlans(0);
    const run = async () => {
      let running = true;
      try {
        running = await this.plans().refreshRunning();
      } catch (error) {
        this.engine.options.log('Reading the installment plans failed', errorText(error));
      }
      if (this.engine.closed || !this.plansFollowed || this.plansTimer !== undefined) return;
      if (running) this.schedulePlans(this.planDelay());
      else this.plansFollowed = false;
    };
    inBackground(run(), (error) => this.engine.options.log('Following the installment plans failed', errorText(error)));
  }

  private baseDelay(): number {
    return this.engine.tuning.remotePollMs ?? 1_000;
  }

  /** Never sooner than the end of a throttling gateway's wait: each read before it would be throttled again. */
  private schedule(paymentId: string, watch: Watch, delayMs = watch.delayMs): void {
    const wait = Math.max(delayMs, this.throttledForMs());
    this.engine.clock.clearTimeout(watch.timer);
    watch.timer = this.engine.clock.setTimeout(() => this.tickInBackground(paymentId, watch), wait);
  }

  private throttledForMs(): number {
    return this.engine.options.connectivity.throttledForMs() ?? 0;
  }

  private tickInBackground(paymentId: string, watch: Watch): void {
    inBackground(this.tick(paymentId, watch), (error) =>
      this.engine.options.log(`Following ${paymentId} failed`, errorText(error)),
    );
  }

  private async tick(paymentId: string, watch: Watch): Promise<void> {
    if (this.watches.get(paymentId) !== watch || this.engine.closed) return;
    // The gateway asked the till to wait (a nudge, or a wait heard since this tick was due).
    if (this.throttledForMs() > 0) return this.schedule(paymentId, watch);
    const { journal } = this.engine;
    const record = journal.getPayment(paymentId);
    let keep = false;
    let failed = false;
    let unanswered = false;
    watch.reading = true;
    watch.nudged = false;
    try {
      if (record?.status === 'in_progress' && record.readerId) keep = await this.checkCloudReader(paymentId);
      else if (record?.status === 'pending' && record.channel === 'link') keep = await this.checkLink(paymentId);
      const now = journal.getPayment(paymentId);
      if (!keep && now && this.readsAgain(now)) keep = await this.readAgain(paymentId);
    } catch (error) {
      this.engine.options.log(`Checking ${paymentId} failed`, errorText(error));
      keep = true;
      failed = true;
      unanswered = unreachable(error);
    } finally {
      watch.reading = false;
    }
    if (record) this.heardFrom(record.gateway, !unanswered, paymentId);
    if (this.watches.get(paymentId) !== watch) return;
    if (!keep) return this.stop(paymentId);
    // Nudged while reading: what the nudge announced may postdate that read, so once more at once.
    if (watch.nudged) {
      watch.nudged = false;
      return this.schedule(paymentId, watch, 0);
    }
    // A link, an answer still unreadable or a gateway not answering (a cloud reader's, the previous
    // gateway's as well as the active one's): more and more rarely; a cloud reader answered: as often.
    const now = journal.getPayment(paymentId);
    watch.delayMs =
      failed || record?.channel === 'link' || (now && this.readsAgain(now)) ? slower(watch.delayMs) : this.baseDelay();
    this.schedule(paymentId, watch);
  }

  /**
   * What a read for a followed payment of another gateway than the active one said of that gateway:
   * answering after a read went unanswered, it is back (`reconnected`). The active gateway's return
   * is the till's own (Connectivity, then recovery).
   */
  private heardFrom(gateway: GatewayName, answered: boolean, paymentId: string): void {
    if (gateway === this.engine.activeGateway()?.name) return;
    if (!answered) this.silent.add(gateway);
    else if (this.silent.delete(gateway)) this.reconnected(gateway, paymentId);
  }

  /**
   * Whether a followed payment is asked about again: an answer about it could not be read, or a
   * step of it waits in the queue (one the gateway answered unreadably before it was sent, which no
   * reconnect will send: the till stays online).
   */
  private readsAgain(record: PaymentRecord): boolean {
    if (this.engine.journal.countQueuedOperations(record.id, QUEUEABLE_KINDS) > 0) return true;
    // A lapsed link's unreadable answer is not read again for ever (checkLink).
    return unreadableAttention(record) && !this.lapsed(record);
  }

  /**
   * A payment whose last answer could not be read, or with a step still queued: the queued step is
   * looked up (and sent only if not found; sent at once when it never was), or, with none, the
   * payment is read again. Kept while the item or the step stands.
   */
  private async readAgain(paymentId: string): Promise<boolean> {
    const { journal } = this.engine;
    const record = journal.getPayment(paymentId);
    // Another gateway's or mode's payment waits, untouched, for the till to switch back.
    if (!record || !this.engine.actsOn(record)) return false;
    if (journal.countQueuedOperations(paymentId, QUEUEABLE_KINDS) > 0) await this.recovery().drainQueue();
    else await this.engine.exclusive(paymentId, () => this.recovery().reconcile(journal.getPayment(paymentId)!));
    const now = journal.getPayment(paymentId);
    return now !== undefined && this.readsAgain(now);
  }

  /**
   * A payment on a gateway-hosted reader: settled once the reader's action is over. Also one sent to
   * another gateway's reader before a switch, read only with the keys of its own account
   * (PaymentEngine.gatewayToRead): the customer may present the card any time, and an approval must
   * not wait for the till to switch back (PaymentSync.endedElsewhere says what is left to do).
   */
  private async checkCloudReader(paymentId: string): Promise<boolean> {
    const { journal } = this.engine;
    const record = journal.getPayment(paymentId)!;
    const reader = this.engine.options.readers.resolve(record.readerId!);
    // Its keys removed since (Needs attention says so): followed again once they are back.
    const elsewhere = this.engine.followedElsewhere(record);
    if (elsewhere && !('gateway' in elsewhere)) return false;
    const gateway = this.engine.gatewayToRead(record);
    if (!reader || reader.hosted || !gateway.readers || !record.transactionId) return false;
    try {
      let remote: RemoteReader;
      try {
        remote = await this.engine.read((g) => g.readers!.get(reader.gatewayReaderId), gateway);
      } catch (error) {
        if (!unreadableAnswer(error)) throw error;
        // The reader answered unreadably (an action status the till does not know, say): the payment
        // itself may be over at the gateway whatever the reader shows — approved, canceled — and
        // the reader alone, asked again and again, never said so (found: approved at the gateway,
        // in progress on the till, its reader read every 10 s for ever).
        const payment = await this.engine.read((g) => g.retrieve(record.transactionId!), gateway);
        if (payment.status === 'pending') throw error;
        await this.engine.exclusive(paymentId, async () =>
          this.sync.apply(journal.getPayment(paymentId)!, payment, null, null, { actionFinal: true }),
        );
        return false;
      }
      const action = remote.action?.paymentId === record.transactionId ? remote.action : null;
      if (action && action.status === 'in_progress') return true;
      if (action) {
        const payment = await this.engine.read((g) => g.retrieve(record.transactionId!), gateway);
        await this.engine.exclusive(paymentId, async () =>
          this.sync.apply(journal.getPayment(paymentId)!, payment, null, null, { actionFinal: true }),
        );
        return false;
      }
      await this.engine.exclusive(paymentId, () => this.recovery().reconcile(journal.getPayment(paymentId)!));
      return false;
    } catch (error) {
      // The reader or its payment answered unreadably: nothing is taken as approved or declined;
      // the cashier is told, and the reader is asked again.
      if (!unreadableAnswer(error)) throw error;
      await this.engine.exclusive(paymentId, async () =>
        this.sync.unreadable(journal.getPayment(paymentId)!, error.message),
      );
      return true;
    }
  }

  /**
   * A payment by link: re-read until paid, failed, aborted or lapsed. Also one made with another
   * gateway before a switch, read only with the keys of its own account (PaymentEngine.gatewayToRead):
   * the customer may pay it any time, and it must not wait for the till to switch back.
   */
  private async checkLink(paymentId: string): Promise<boolean> {
    const { journal } = this.engine;
    const record = journal.getPayment(paymentId)!;
    if (!record.transactionId) return false;
    // Its keys removed since (Needs attention says so): followed again once they are back.
    const elsewhere = this.engine.followedElsewhere(record);
    if (elsewhere && !('gateway' in elsewhere)) return false;
    const gateway = this.engine.gatewayToRead(record);
    let payment: GatewayPayment;
    try {
      payment = await this.engine.read((g) => g.retrieve(record.transactionId!), gateway);
    } catch (error) {
      // Answered, but not readably (a status the till does not know): never taken as paid or
      // failed; the cashier is told, and the payment is read again.
      if (unreadableAnswer(error)) {
        const now = await this.engine.exclusive(paymentId, async () =>
          this.sync.unreadable(journal.getPayment(paymentId)!, error.message),
        );
        // Not past a little after its link lapsed, as a readable one: by then the gateway has closed it
        // (found: a lapsed link answered with a status the till does not know, "expired" say, was read
        // every 10 s for ever). Needs attention keeps it; recovery and Retry read it again.
        return !this.lapsed(now);
      }
      if (!isGatewayError(error) || error.status !== 404) throw error;
      // Another gateway's: nothing is looked up or concluded from here; recovery does it once the till
      // is back on that gateway (looking a link up by its key may send its create again).
      if (!this.engine.actsOn(record)) {
        this.engine.options.log(`${record.id} not found at ${record.gateway}`, error.message);
        return false;
      }
      // Not known under that id: found under its real one, it is followed on; else it needs a person.
      const moved = await this.engine.exclusive(paymentId, () => this.recovery().relocate(record));
      return moved.transactionId !== record.transactionId && moved.status === 'pending';
    }
    const updated = await this.engine.exclusive(paymentId, async () =>
      this.sync.apply(journal.getPayment(paymentId)!, payment, null),
    );
    return updated.status === 'pending' && !this.lapsed(updated);
  }

  /** A link still pending in the journal a little past when its page lapsed: the gateway has closed it. */
  private lapsed(record: PaymentRecord): boolean {
    if (record.channel !== 'link' || record.status !== 'pending') return false;
    const lapses = record.payUrlExpiresAt ? Date.parse(record.payUrlExpiresAt) : NaN;
    return Number.isFinite(lapses) && this.engine.clock.now() > lapses + LINK_GRACE_MS;
  }
}
