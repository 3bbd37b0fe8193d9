/**
 * Recovery and the offline queue. Reconciling brings one payment in line with the gateway: an
 * unconfirmed create is sent again with its original key (or found first, on a gateway without
 * idempotency keys), anything else is re-read — and what stays unclear stays in Needs attention.
 * At start and whenever the gateway comes back, every unfinished payment is reconciled (and every
 * payment a notification named that could not be read then), and the queued captures, cancels and
 * refunds are sent, in the order they were asked for, with their keys.
 * A payment made with another gateway than the till's active one waits, untouched.
 */
import { GATEWAY_LABELS, type GatewayName, type NotSentReason } from '../../common/contract/views';
import { formatAmount } from '../../common/money';
import { errorText, HostError } from '../core/errors';
import {
  beforeSending,
  GatewayError,
  GatewayUnreachable,
  GatewayUnreadable,
  isGatewayError,
  LocalRefusal,
  SAVED_CARD_REFUSED,
  unreadableAnswer,
} from '../gateway/errors';
import { accountWords } from '../gateway/accounts';
import { GATEWAY_PROFILES } from '../gateway/registry';
import type { GatewayPayment, NewPayment, PaymentGateway } from '../gateway/port';
import { paymentAccount, type OperationRecord, type PaymentRecord } from '../store/journal';
import { notSentText, QUEUEABLE, type PaymentEngine, type PerformHow } from './engine';
import {
  ADVICE_FOUND_AFTER_NOT_MADE,
  ADVICE_QUEUED_REFUSED,
  answerProblem,
  cardText,
  describeStatus,
  NO_PAYMENT_PAGE,
  onlyCashierClears,
  paidBeforeShown,
  paymentMoved,
  endedUntaken,
  nothingToCancelText,
  settledOutsideText,
  unreadableAttention,
  withoutPayablePage,
  type PaymentSync,
} from './sync';
import type { RemoteWatcher } from './watcher';

/**
 * Journal setting: payments a notification named, not read since — journaled with the notification's
 * id before it is acknowledged (PaymentService.noteNotified), or kept when the read failed — read by
 * the next run (at start, and when the gateway answers again).
 */
const UNREAD_NOTIFIED = 'notifications.unread';

const ADVICE_MADE_THROTTLED =
  'The till reads it again by itself once the wait is over and then shows it; do not take the payment another way meanwhile.';

/**
 * Needs attention's advice for a create the gateway did not confirm, in what the till really does on
 * that gateway: it resends with the key where the gateway keeps idempotency keys; elsewhere (PayPlug,
 * Plural) it looks the payment up by the reference it was sent with, and sends it again only when none
 * is found.
 */
export function adviceUnknownCreate(gateway: GatewayName): string {
  const { label, capabilities } = GATEWAY_PROFILES[gateway];
  const retry = capabilities.idempotencyKeys
    ? 'The app keeps retrying with the same key, so it cannot be created twice.'
    : `${label} has no idempotency keys: the app keeps looking for the payment there by the reference it was sent with, and sends it again only if none is found, so it cannot be created twice.`;
  return `The gateway did not confirm the payment was created. ${retry} Do not take the payment another way until this clears — or look for it on the gateway's dashboard and say whether it was made.`;
}

/** Journal setting: creates the cashier recorded as not made, looked for (never sent) until `until`. */
const NOT_MADE_LOOKS = 'creates.notMadeLooks';
/** How long recovery keeps looking for a create recorded as not made (a week). */
const NOT_MADE_LOOK_MS = 7 * 24 * 3_600_000;
/** The create operation's last error once the cashier recorded it as not made. */
const NOT_MADE = 'not_made_by_cashier';
/** A pending operation's last error once the cashier settled its payment from another account's dashboard. */
const SAID_ELSEWHERE = 'settled_by_cashier_elsewhere';
/** The create operation's last error when every send provably stayed at the till. */
const NOT_SENT = 'not_sent';

interface NotMadeLook {
  paymentId: string;
  until: string;
}

export class Recovery {
  private draining: Promise<void> | null = null;
  private recovering: Promise<void> | null = null;
  private recoverAgain = false;
  /** The notifications noted in this run of the till, and the last one noted for each payment. */
  private noted = 0;
  private readonly notedAt = new Map<string, number>();
  private progress: { done: number; total: number } | null = null;

  /**
   * Cancels a payment the cashier asked to cancel while it was being created, once recovery has
   * brought it in line with the gateway (the cashier's cancel command, wired by the service).
   */
  cancelAsked: ((paymentId: string) => Promise<unknown>) | null = null;

  constructor(
    private readonly engine: PaymentEngine,
    private readonly sync: PaymentSync,
    private readonly watcher: () => RemoteWatcher,
  ) {}

  /**
   * Brings one payment in line with the gateway. Never guesses: an answer about it that cannot be
   * read (a status the gateway's reference does not list, a body that is not JSON) leaves it as the
   * journal knows it, puts it in Needs attention saying what was answered, and has it read again
   * until it can be (PaymentSync.unreadable) — then thrown, as before, to whoever asked.
   */
  async reconcile(record: PaymentRecord): Promise<PaymentRecord> {
    try {
      return await this.read(record);
    } catch (error) {
      if (unreadableAnswer(error) && record.transactionId !== null)
        this.sync.unreadable(this.engine.journal.getPayment(record.id) ?? record, error.message);
      throw error;
    }
  }

  private async read(record: PaymentRecord): Promise<PaymentRecord> {
    const { journal } = this.engine;
    // Charged through the shop's own bank: there is no gateway to ask. The terminal's controller
    // finds an interrupted collection on its own (see StandalonePayments).
    if (record.chargedBy === 'terminal') return record;
    if (!record.transactionId) {
      const op = journal.getOperationByKey(record.idempotencyKey);
      if (op && op.state !== 'failed') return this.sendCreate(record);
      if (op && declaredNotMade(op) && this.lookingFor(record.id)) return this.lookForNotMadeOne(record, op);
      return record;
    }
    // Another gateway's open link, or payment on its own reader, made before a switch: read only, with
    // the keys of its own account (refused, saying what to enter, while the till holds none).
    if (this.engine.followedElsewhere(record)) return this.readElsewhere(record, this.engine.gatewayToRead(record));
    const gateway = this.engine.gatewayFor(record);
    const transactionId = record.transactionId;
    let payment: GatewayPayment;
    try {
      payment = await this.engine.call((g) => g.retrieve(transactionId), gateway);
    } catch (error) {
      if (!isGatewayError(error) || error.status !== 404) throw error;
      const moved = await this.relocate(record);
      return moved.transactionId !== transactionId ? this.reconcile(moved) : moved;
    }
    let updated = this.sync.apply(record, payment, null);
    if (updated.status === 'in_progress' || (updated.status === 'unknown' && payment.status === 'pending')) {
      // Still open at the gateway: the reader (if any) is asked what it has.
      const asked = await this.askReader(updated, payment, gateway);
      if (asked.raced) return asked.record;
      updated = asked.record;
    }
    // A link the customer may still pay: follow it until it is paid, fails or lapses.
    if (updated.channel === 'link' && updated.status === 'pending' && updated.payUrl) this.watcher().follow(updated.id);
    return updated;
  }

  /**
   * An open link of another gateway than the active one, or a payment on its own reader, read with the
   * keys of the account it was made on (PaymentEngine.followedElsewhere), never acted on: nothing is
   * looked up by its key nor concluded from a "no such payment" (relocate waits for the switch back),
   * and, still open, it is followed on.
   */
  private async readElsewhere(record: PaymentRecord, gateway: PaymentGateway): Promise<PaymentRecord> {
    const transactionId = record.transactionId!;
    const payment = await this.engine.read((g) => g.retrieve(transactionId), gateway);
    // Off that gateway's own reader now, apply says what is left to do (PaymentSync.endedElsewhere).
    let updated = this.sync.apply(record, payment, null);
    // Still on it: its reader is read too (never its action cancelled, nor a payment pushed).
    if (updated.status === 'in_progress') updated = (await this.askReader(updated, payment, gateway)).record;
    if (updated.status === 'pending' && updated.payUrl) this.watcher().follow(updated.id);
    return updated;
  }

  /**
   * A payment still open at the gateway that a reader may hold: the reader is read, and the payment
   * followed while the reader's action for it runs on a reader the gateway hosts; ended, the payment
   * is read again with the action over; with no action for it, it is off the reader. Only reads:
   * another gateway's payment (followedElsewhere) is read with that gateway's keys, and what it ends
   * with is said in Needs attention when the switch back is needed (PaymentSync.endedElsewhere).
   * `raced`: the reader's report landed meanwhile, and `record` is the journal's.
   */
  private async askReader(
    updated: PaymentRecord,
    payment: GatewayPayment,
    gateway: PaymentGateway,
  ): Promise<{ record: PaymentRecord; raced: boolean }> {
    const { journal } = this.engine;
    const transactionId = payment.id;
    const reader = updated.readerId ? this.engine.options.readers.resolve(updated.readerId) : undefined;
    const remote =
      reader && gateway.readers ? await this.engine.read((g) => g.readers!.get(reader.gatewayReaderId), gateway) : null;
    const action = remote?.action?.paymentId === payment.id ? remote.action : null;
    // The reader's report may have landed while we were asking: act on the journal as it is now.
    const current = journal.getPayment(updated.id)!;
    if (current.status !== updated.status || current.actionId !== updated.actionId)
      return { record: current, raced: true };
    if (current.status === 'in_progress' && action && action.status !== 'in_progress') {
      // The reader finished without the journal hearing of it: the gateway's payment says how.
      const fresh = await this.engine.read((g) => g.retrieve(transactionId), gateway);
      const over = { actionFinal: true };
      const record = this.sync.apply(
        journal.getPayment(current.id)!,
        fresh,
        'reader_released',
        `action ${action.status}`,
        over,
      );
      return { record, raced: false };
    }
    if (current.status === 'in_progress' && action?.status === 'in_progress' && reader && !reader.hosted) {
      // Still on a reader the gateway hosts (e.g. across a restart): follow it until it finishes.
      this.watcher().follow(current.id);
    }
    if (current.status === 'in_progress' && !action) {
      // Off the reader with nothing charged: another gateway's says what is left (endedElsewhere).
      const elsewhere = !this.engine.actsOn(current);
      const record = journal.atomically(() => {
        const released = journal.updatePayment(
          current.id,
          { status: 'pending', readerStage: null, readerId: null },
          'reader_released',
          'no action on the reader',
        );
        return elsewhere ? this.sync.endedElsewhere(released) : released;
      });
      this.engine.changed(record);
      return { record, raced: false };
    }
    return { record: current, raced: false };
  }

  /**
   * The gateway has no payment under the id the journal holds (it answers 404 for the payment's own
   * id): the id its create's answer gave was not the payment's, or the account changed since. The
   * payment is looked for by the key it was created with and, found, takes that id; otherwise it goes
   * to Needs attention — never left waiting for ever for a payment nobody can see (a tester's proxy
   * rewrote a create's id, and the customer's payment on the real link was never seen).
   */
  async relocate(record: PaymentRecord): Promise<PaymentRecord> {
    const { journal } = this.engine;
    const gateway = this.engine.gatewayFor(record);
    const op = record.origin === 'local' ? journal.getOperationByKey(record.idempotencyKey) : undefined;
    if (op?.kind === 'create') {
      const input: NewPayment = { ...newPaymentOf(record), ...(op.params as Partial<NewPayment>) };
      // Where the gateway keeps idempotency keys, sending the create again with its key is how it is
      // looked up: the gateway answers with the payment that key made, and makes nothing new.
      const found = await this.engine.call(
        async (g) =>
          (await g.findCreated(input, record.idempotencyKey)) ??
          (g.capabilities.idempotencyKeys ? await g.create(input, record.idempotencyKey) : null),
        gateway,
      );
      if (
        found &&
        found.id !== record.transactionId &&
        !journal.findByTransactionId(found.id, paymentAccount(record)) &&
        answerProblem(record, found, true, input.splits ?? null) === null
      ) {
        const moved = journal.updatePayment(
          record.id,
          { transactionId: found.id },
          'gateway_id_corrected',
          `${record.transactionId} → ${found.id}`,
        );
        return this.sync.apply(moved, found, null);
      }
    }
    if (record.attentionSince) return record;
    const updated = journal.updatePayment(
      record.id,
      {
        attentionReason: `${GATEWAY_LABELS[record.gateway]} has no payment under the id this till holds for it (${record.transactionId}).`,
        attentionAdvice: adviceNotAtGateway(record),
        attentionSince: this.engine.nowIso(),
      },
      'not_found_at_gateway',
      record.transactionId,
    );
    this.engine.changed(updated);
    return updated;
  }

  /**
   * A link whose create was sent more than once: the links the earlier sends may have made, shown to
   * no one, are withdrawn so none stays payable, nor listed open beside the real one. Best effort: a
   * spare left (the gateway unreachable now) expires unpaid by itself.
   */
  private async withdrawSpareLinks(record: PaymentRecord, since: number): Promise<PaymentRecord> {
    const gateway = this.engine.gatewayFor(record);
    const keep = record.transactionId;
    if (!gateway.withdrawSpareLinks || keep === null) return record;
    try {
      const withdrawn = await this.engine.call(
        (g) => g.withdrawSpareLinks!(record.idempotencyKey, keep, since),
        gateway,
      );
      if (withdrawn.length === 0) return record;
      const updated = this.engine.journal.updatePayment(record.id, {}, 'spare_links_withdrawn', withdrawn.join(', '));
      this.engine.changed(updated);
      return updated;
    } catch {
      return record;
    }
  }

  /**
   * Sends a payment's create with its journaled key. On a gateway without idempotency keys every
   * retry first looks for the payment the earlier send may have made (tagged with the key).
   */
  async sendCreate(record: PaymentRecord, firstSendJournaled = false): Promise<PaymentRecord> {
    const { journal } = this.engine;
    const op = journal.getOperationByKey(record.idempotencyKey)!;
    // What was journaled with the create (a customer, a card to save…), over what the record holds.
    const input: NewPayment = { ...newPaymentOf(record), ...(op.params as Partial<NewPayment>) };
    try {
      const created = await this.engine.perform(op, {
        // A link with no page to pay on is not payable (withoutPayablePage), however it was found.
        send: async (gateway) => withoutPayablePage(record, await gateway.create(input, record.idempotencyKey)),
        check: async (gateway) => {
          // It cannot have been made before its first send: however long ago that was, it is looked for.
          const found = await gateway.findCreated(input, record.idempotencyKey, Date.parse(op.createdAt));
          return found && withoutPayablePage(record, found);
        },
        answerProblem: (payment) =>
          answerProblem(record, payment, true, input.splits ?? null) ?? paidBeforeShown(record, payment),
        queue: false,
        unanswered: adviceUnknownCreate(record.gateway),
        firstSendJournaled,
        // A link's create sent again makes a second link; the first, shown to no one, is never paid,
        // so it is resent at once. A saved card's is charged by the create itself: it waits.
        settleWindow: !(input.channel === 'link' && !input.savedCardId),
        settle: (payment) =>
          this.sync.apply(
            journal.getPayment(record.id)!,
            payment,
            'created_at_gateway',
            // Not payable (withoutPayablePage): the timeline says why with the gateway's id.
            payment.failure?.code === NO_PAYMENT_PAGE
              ? `${payment.reference}: ${payment.failure.message}`
              : `${payment.reference}${settledAtOnce(payment)}`,
          ),
        // A payment waiting for its card (or its link) is found again by its key; one the create
        // already settled (a saved card charged at once) is an outcome.
        answerIs: (payment) => (payment.status === 'pending' ? 'progress' : 'outcome'),
      });
      if (created.channel === 'link' && created.status === 'pending') this.watcher().follow(created.id);
      if (created.channel === 'link' && (journal.getOperationByKey(record.idempotencyKey)?.attempts ?? 0) > 1)
        return await this.withdrawSpareLinks(created, Date.parse(op.createdAt));
      return created;
    } catch (error) {
      const current = journal.getPayment(record.id)!;
      if (error instanceof GatewayError) {
        this.engine.changed(
          journal.updatePayment(record.id, { status: 'failed', attentionSince: null }, 'create_refused', error.message),
        );
        if (record.savedCardId && error.code === SAVED_CARD_REFUSED) throw this.cardRefused(record, error);
      } else if (error instanceof HostError && neverSent(error, journal.getOperationByKey(record.idempotencyKey))) {
        // Every send provably stayed at the till (a 429, a refused connection) and none before it
        // may have landed: nothing was created, so nothing is unknown — the cashier tries again.
        const cause = error.cause as GatewayUnreachable;
        const message = notSentText(cause, GATEWAY_LABELS[record.gateway]);
        journal.atomically(() => {
          journal.updateOperation(op.id, { state: 'failed', lastError: `${NOT_SENT}: ${cause.message}` });
          this.engine.changed(
            journal.updatePayment(
              record.id,
              { status: 'failed', attentionReason: null, attentionAdvice: null, attentionSince: null },
              'create_not_sent',
              cause.message,
            ),
          );
        });
        throw new HostError('offline', message, {
          queued: false,
          ...(cause.retryAfterMs !== null ? { retryAfterMs: cause.retryAfterMs } : {}),
        });
      } else if (error instanceof HostError && error.code === 'offline' && current.status !== 'unknown') {
        const followed = madeThenThrottled(error);
        this.engine.changed(
          journal.updatePayment(
            record.id,
            {
              status: 'unknown',
              attentionReason:
                // Answered, but not with this payment (other shares, not JSON), or made and its read
                // throttled: said as it was.
                error.cause instanceof GatewayUnreadable || followed
                  ? (error.cause as GatewayUnreachable).message
                  : 'The gateway did not confirm this payment was created.',
              attentionAdvice: adviceUnknownCreate(record.gateway),
              attentionSince: this.engine.nowIso(),
            },
            'outcome_unknown',
            errorText(error),
          ),
        );
        if (followed)
          throw new HostError('offline', `${(error.cause as GatewayUnreachable).message} ${ADVICE_MADE_THROTTLED}`, {
            queued: true,
          });
      } else if (
        error instanceof HostError &&
        error.code === 'offline' &&
        error.cause instanceof GatewayUnreadable &&
        current.attentionSince !== null &&
        current.attentionReason !== error.cause.message
      ) {
        // Still unknown, now for a reason the item must say (a lookup that cannot reach back to the
        // first send clears by itself no more): the cashier reads why, not the first answer's.
        this.engine.changed(journal.updatePayment(record.id, { attentionReason: error.cause.message }));
      }
      throw error;
    }
  }

  /**
   * The gateway no longer charges a saved card (expired, past the time it keeps card ids, unknown to
   * the account): nothing was charged, and the till stops offering the card — left listed, it would
   * be refused again at every sale (found by a tester: a card the gateway had dropped stayed
   * "usable"). Answered as the card field's refusal, in the cashier's words.
   */
  private cardRefused(record: PaymentRecord, error: GatewayError): HostError {
    const { journal } = this.engine;
    // The card of the payment's mode: the other mode's card of the same id is another account's.
    const card = journal.savedCard(record.gateway, record.mode, record.savedCardId!);
    journal.forgetCard(record.gateway, record.mode, record.savedCardId!);
    const label = GATEWAY_LABELS[record.gateway];
    const name = card ? `The saved ${card.brand ?? 'card'} •••• ${card.last4 ?? '????'}` : 'The saved card';
    const message = `${label} no longer charges ${name.charAt(0).toLowerCase()}${name.slice(1)} (it may have expired or been removed): nothing was charged, and this till no longer offers it. Pay by link instead (the customer can save their card again there).`;
    this.engine.options.log(`${label} refused saved card ${record.savedCardId}; no longer offered`, error.message);
    return new HostError('validation', message, {
      issues: [{ path: 'savedCardId', message }],
      gatewayType: error.type,
    });
  }

  /**
   * The cashier found the payment of a create the gateway never confirmed on its dashboard, and
   * names its id: it is read from the gateway and, if it is this payment's (same amount and currency,
   * its order and key where the gateway keeps them, no other payment's already), taken in as it —
   * the create's operation done. Anything else is refused and changes nothing.
   */
  async cashierFound(record: PaymentRecord, gatewayPaymentId: string, by: string): Promise<PaymentRecord> {
    const { journal } = this.engine;
    const op = unknownCreate(journal, record);
    const gateway = this.engine.gatewayFor(record);
    const label = GATEWAY_LABELS[record.gateway];
    const other = journal.findByTransactionId(gatewayPaymentId, paymentAccount(record));
    if (other)
      throw new HostError(
        'conflict',
        `${label} payment ${gatewayPaymentId} is already payment ${other.id} of order ${other.orderReference} on this till: look for another one.`,
      );
    let found: GatewayPayment;
    try {
      found = await this.engine.call((g) => g.retrieve(gatewayPaymentId), gateway);
    } catch (error) {
      if (isGatewayError(error) && error.status === 404)
        throw new HostError(
          'not_found',
          `${label} has no payment ${gatewayPaymentId}: check the id on its dashboard (nothing was recorded).`,
        );
      throw error;
    }
    const input: NewPayment = { ...newPaymentOf(record), ...(op.params as Partial<NewPayment>) };
    const problem =
      answerProblem(record, found, true, input.splits ?? null) ??
      (found.createdWithKey != null && !sameKey(found.createdWithKey, record.idempotencyKey)
        ? 'it was made by another attempt or another till (its key is not this payment’s)'
        : null);
    if (problem)
      throw new HostError(
        'validation',
        `${label} payment ${gatewayPaymentId} is not this payment: ${problem}. Nothing was recorded.`,
        { issues: [{ path: 'gatewayPaymentId', message: `not this payment: ${problem}` }] },
      );
    const taken = journal.atomically(() => {
      journal.updateOperation(op.id, { state: 'done', lastError: null, result: 'named by the cashier' });
      return this.sync.apply(
        record,
        withoutPayablePage(record, found),
        'cashier_found_created',
        `${by}: ${label} payment ${found.reference} is this one`,
      );
    });
    this.engine.changed(taken);
    if (taken.channel === 'link' && taken.status === 'pending') this.watcher().follow(taken.id);
    return taken;
  }

  /**
   * The cashier checked the gateway's dashboard and the create is not there: the payment is failed
   * (not charged), its create is never sent again, and its key goes to no other charge (a new
   * attempt of the order has its own). Should the gateway show it after all, it is taken in and
   * flagged (takeInNotMade): recovery keeps looking for it, without sending, for NOT_MADE_LOOK_MS.
   */
  cashierNotMade(record: PaymentRecord, by: string, reason: string): PaymentRecord {
    const { journal } = this.engine;
    const op = unknownCreate(journal, record);
    const updated = journal.atomically(() => {
      journal.updateOperation(op.id, { state: 'failed', lastError: `${NOT_MADE}: ${by}: ${reason}` });
      this.lookForAWeek(record.id);
      return journal.updatePayment(
        record.id,
        { status: 'failed', attentionReason: null, attentionAdvice: null, attentionSince: null },
        'cashier_not_created',
        `${by}: ${reason}`,
      );
    });
    this.engine.changed(updated);
    return updated;
  }

  /** Recovery looks for a create recorded as not made, without sending it, for NOT_MADE_LOOK_MS. */
  private lookForAWeek(paymentId: string): void {
    const { journal } = this.engine;
    const looking = (journal.getSetting<NotMadeLook[]>(NOT_MADE_LOOKS) ?? []).filter((l) => l.paymentId !== paymentId);
    journal.setSetting(NOT_MADE_LOOKS, [
      ...looking,
      { paymentId, until: new Date(this.engine.clock.now() + NOT_MADE_LOOK_MS).toISOString() },
    ]);
  }

  /**
   * An unfinished payment made on another of the shop's accounts, which the till can no longer read
   * (its key rolled, the account closed): the cashier says what that account's dashboard shows —
   * charged (its id there) or not — and who checked. Nothing is read or sent: the payment takes the
   * cashier's word (succeeded or failed), leaves Needs attention, and every operation still pending
   * on it is closed, never sent (a create said not made is looked for as cashierNotMade's is, should
   * that account come back). The timeline says who said so and that no gateway confirmed it.
   */
  cashierSaidElsewhere(
    record: PaymentRecord,
    said:
      | { charged: true; gatewayPaymentId: string; by: string; captured: boolean }
      | { charged: false; reason: string; by: string },
  ): PaymentRecord {
    const { journal } = this.engine;
    const label = GATEWAY_LABELS[record.gateway];
    const account = `${label} ${accountWords(record.gateway, record.gatewayAccount).words}`;
    if (said.charged) {
      const id = said.gatewayPaymentId;
      const other = journal.findByTransactionId(id, paymentAccount(record));
      if (other && other.id !== record.id)
        throw new HostError(
          'conflict',
          `${label} payment ${id} is already payment ${other.id} of order ${other.orderReference} on this till: look for another one.`,
        );
      if (record.transactionId !== null && record.transactionId !== id) {
        const message = `this payment is ${record.transactionId} on that account: check the id on its dashboard (nothing was recorded)`;
        throw new HostError('validation', `gatewayPaymentId: ${message}`, {
          issues: [{ path: 'gatewayPaymentId', message }],
        });
      }
    }
    const unverified = 'not verified with the gateway: the till no longer reads that account';
    const detail = said.charged
      ? said.captured
        ? `${said.by}: charged on ${account} (payment ${said.gatewayPaymentId}), as its dashboard shows; ${unverified}`
        : `${said.by}: authorised, not captured, on ${account} (payment ${said.gatewayPaymentId}), as its dashboard shows; capture or cancel it on that account's dashboard; ${unverified}`
      : `${said.by}: not charged on ${account} (${said.reason}); ${unverified}`;
    const updated = journal.atomically(() => {
      for (const op of journal.operationsFor(record.id)) {
        if (op.state !== 'pending') continue;
        const notMade = !said.charged && op.kind === 'create' && record.transactionId === null;
        journal.updateOperation(op.id, {
          state: 'failed',
          lastError: notMade ? `${NOT_MADE}: ${said.by}: ${said.reason}` : `${SAID_ELSEWHERE}: ${said.by}`,
        });
        if (notMade) this.lookForAWeek(record.id);
      }
      return journal.updatePayment(
        record.id,
        {
          ...(said.charged && said.captured
            ? {
                status: 'succeeded' as const,
                transactionId: said.gatewayPaymentId,
                amountCaptured: record.amount - record.amountRefunded,
                amountCapturable: 0,
              }
            : said.charged
              ? // Only authorised there: no money taken yet, the hold is that account's to capture or cancel.
                {
                  status: 'requires_capture' as const,
                  transactionId: said.gatewayPaymentId,
                  amountCaptured: 0,
                  amountCapturable: record.amount,
                }
              : { status: 'failed' as const, amountCapturable: 0 }),
          attentionReason: null,
          attentionAdvice: null,
          attentionSince: null,
          cancelAskedAt: null,
        },
        'cashier_settled_elsewhere',
        detail,
      );
    });
    this.engine.changed(updated);
    return updated;
  }

  /**
   * A gateway payment the journal lacks that is the create of a payment the cashier recorded as not
   * made (same order, money and key where the gateway keeps one): taken in as that payment, in Needs
   * attention — the customer may have been charged for a sale taken another way. Null: none such.
   */
  takeInNotMade(payment: GatewayPayment, gateway?: GatewayName): PaymentRecord | null {
    const { journal } = this.engine;
    // Not one the journal has on the account it was read from.
    const from = gateway ? this.engine.readingOf(gateway) : this.engine.reading();
    if (!payment.orderReference || journal.findByTransactionId(payment.id, from ?? 'anyAccount')) return null;
    const record = journal.findByOrder(payment.orderReference).find((candidate) => {
      if (candidate.transactionId !== null || candidate.status !== 'failed') return false;
      if (gateway !== undefined && candidate.gateway !== gateway) return false;
      const op = journal.getOperationByKey(candidate.idempotencyKey);
      if (op?.kind !== 'create' || !declaredNotMade(op)) return false;
      if (payment.createdWithKey != null && !sameKey(payment.createdWithKey, candidate.idempotencyKey)) return false;
      return answerProblem(candidate, payment, true) === null;
    });
    if (!record) return null;
    const label = GATEWAY_LABELS[record.gateway];
    const taken = journal.atomically(() => {
      const applied = this.sync.apply(
        record,
        payment,
        'found_after_not_created',
        `${label} payment ${payment.reference}`,
      );
      return journal.updatePayment(applied.id, {
        attentionReason: `This payment was recorded as not made, but ${label} has it after all (${payment.reference}, ${paymentStatusWords(payment)}).`,
        attentionAdvice: ADVICE_FOUND_AFTER_NOT_MADE,
        attentionSince: this.engine.nowIso(),
      });
    });
    this.engine.changed(taken);
    this.dropNotMadeLook(record.id);
    if (taken.channel === 'link' && taken.status === 'pending') this.watcher().follow(taken.id);
    return taken;
  }

  /**
   * Of the payments a gateway listed (the day's reconciliation), those the journal lacks that are
   * creates the cashier recorded as not made, taken in as those payments and flagged
   * (takeInNotMade), never left as sales taken elsewhere; answers how many joined the journal.
   */
  takeInListedNotMade(gateway: GatewayName, payments: readonly GatewayPayment[]): number {
    const known = this.engine.journal.findByTransactionIds(
      payments.map((p) => p.id),
      this.engine.readingOf(gateway),
    );
    let taken = 0;
    for (const payment of payments) {
      if (known.has(payment.id)) continue;
      try {
        if (this.takeInNotMade(payment, gateway)) taken++;
      } catch (error) {
        this.engine.options.log(`Could not take in ${payment.id} (recorded as not made)`, errorText(error));
      }
    }
    return taken;
  }

  /** Whether a create the cashier recorded as not made is still within its look-up week. */
  lookingForNotMade(): boolean {
    const now = this.engine.clock.now();
    return (this.engine.journal.getSetting<NotMadeLook[]>(NOT_MADE_LOOKS) ?? []).some((l) => Date.parse(l.until) > now);
  }

  /** Looks, without sending anything, for the creates the cashier recorded as not made lately. */
  async lookForNotMade(): Promise<void> {
    const { journal } = this.engine;
    for (const look of journal.getSetting<NotMadeLook[]>(NOT_MADE_LOOKS) ?? []) {
      if (this.engine.closed || this.throttled()) return;
      const record = journal.getPayment(look.paymentId);
      if (!record || !this.lookingFor(record.id)) {
        this.dropNotMadeLook(look.paymentId);
        continue;
      }
      if (!this.engine.actsOn(record)) continue;
      try {
        await this.engine.exclusive(record.id, () => this.reconcile(journal.getPayment(record.id)!));
      } catch (error) {
        this.engine.options.log(`Could not look for ${record.id} (recorded as not made)`, errorText(error));
        if (unreachable(error)) return;
      }
    }
  }

  /** Whether a create the cashier recorded as not made is still looked for (never sent). */
  private lookingFor(paymentId: string): boolean {
    const look = (this.engine.journal.getSetting<NotMadeLook[]>(NOT_MADE_LOOKS) ?? []).find(
      (l) => l.paymentId === paymentId,
    );
    return look !== undefined && Date.parse(look.until) > this.engine.clock.now();
  }

  /** One create recorded as not made, looked for by its key: found, it is taken in and flagged. */
  private async lookForNotMadeOne(record: PaymentRecord, op: OperationRecord): Promise<PaymentRecord> {
    const input: NewPayment = { ...newPaymentOf(record), ...(op.params as Partial<NewPayment>) };
    // Looked up only: sending it again would make it (idempotency keys make a resend safe, not a look-up).
    const found = await this.engine.call(
      (g) => (g.lookUpCreated ?? g.findCreated).call(g, input, record.idempotencyKey, Date.parse(op.createdAt)),
      this.engine.gatewayFor(record),
    );
    return (found && this.takeInNotMade(found)) ?? record;
  }

  private dropNotMadeLook(paymentId: string): void {
    const { journal } = this.engine;
    const looks = journal.getSetting<NotMadeLook[]>(NOT_MADE_LOOKS) ?? [];
    if (looks.some((l) => l.paymentId === paymentId))
      journal.setSetting(
        NOT_MADE_LOOKS,
        looks.filter((l) => l.paymentId !== paymentId),
      );
  }

  /**
   * Reconciles every unfinished payment and sends queued operations; used at start and on
   * reconnect. Concurrent calls share one run; its progress is part of the connectivity view.
   * A call during a run makes it go round once more: what was queued after the run had passed it
   * (a refund that failed while the run was busy elsewhere) must not wait for the next reconnect.
   */
  recover(): Promise<void> {
    if (this.recovering) {
      this.recoverAgain = true;
      return this.recovering;
    }
    this.recovering = (async () => {
      do {
        this.recoverAgain = false;
        await this.recoverAll();
      } while (this.recoverAgain && !this.engine.closed);
    })().finally(() => {
      this.recovering = null;
      this.progress = null;
      this.engine.options.onQueueChanged();
    });
    return this.recovering;
  }

  /**
   * A notification named this payment and reading it failed. The notification was acknowledged (the
   * gateway will not send it again), so a failure a later read may get past — the gateway
   * unreachable, or refusing the till's keys — is kept in the journal for the run that follows when
   * the gateway answers again (the connectivity probe's backoff paces it), even across a restart.
   * Returns whether it was kept.
   */
  readAgainLater(paymentId: string, error: unknown, mark?: number): boolean {
    if (!worthReadingAgain(error)) {
      this.readNotified(paymentId, mark);
      return false;
    }
    this.noteNotified(paymentId);
    return true;
  }

  /**
   * A notification named this payment, and is about to be acknowledged: kept in the journal until it
   * is read, so a till killed before the read reads it at its next start (the gateway, answered 200,
   * never sends it again). In the notification id's commit when the caller holds one.
   */
  noteNotified(paymentId: string): void {
    this.notedAt.set(paymentId, ++this.noted);
    const unread = this.unreadNotified();
    if (!unread.includes(paymentId)) this.engine.journal.setSetting(UNREAD_NOTIFIED, [...unread, paymentId]);
  }

  private unreadNotified(): string[] {
    return this.engine.journal.getSetting<string[]>(UNREAD_NOTIFIED) ?? [];
  }

  /**
   * Where the notifications noted so far end: a read that starts now passes it to readNotified, so
   * that a notification noted while it ran (the payment may have changed after it read) is kept.
   */
  notedMark(): number {
    return this.noted;
  }

  /**
   * The payment a notification named has been read (or need not be): no longer read at start — unless
   * a notification noted after `mark` (the read's start) names it again.
   */
  readNotified(paymentId: string, mark = Number.POSITIVE_INFINITY): void {
    if ((this.notedAt.get(paymentId) ?? 0) > mark) return;
    this.notedAt.delete(paymentId);
    const unread = this.unreadNotified();
    if (unread.includes(paymentId))
      this.engine.journal.setSetting(
        UNREAD_NOTIFIED,
        unread.filter((id) => id !== paymentId),
      );
  }

  /** How far the running recovery is (null when none runs). */
  recovery(): { done: number; total: number } | null {
    return this.progress ? { ...this.progress } : null;
  }

  /**
   * The open links of another gateway than the active one (made before a switch) that the till can
   * read with the keys of the account they were made on: followed as the active gateway's are, read
   * only (PaymentEngine.followedElsewhere). At every recovery, and when Settings are saved.
   */
  followElsewhere(): void {
    for (const record of this.engine.journal.listPayments('unfinished', 10_000)) {
      const elsewhere = this.engine.followedElsewhere(record);
      if (elsewhere && 'gateway' in elsewhere) this.watcher().follow(record.id);
    }
  }

  private async recoverAll(): Promise<void> {
    const { journal } = this.engine;
    // Whether the active gateway answers or not: another gateway's links are read with its own keys.
    this.followElsewhere();
    // The gateway asked the till to wait: the run that follows its end (back online) reads and sends.
    if (this.throttled()) return;
    const unfinished = journal.listPayments('unfinished', 10_000).filter((p) => this.engine.actsOn(p));
    // A finished payment a notification named, unread then (refunded from the dashboard, say), too.
    // One gone from the journal is let go; another gateway's waits until the till switches back.
    const unread = new Set(this.unreadNotified());
    const notified: PaymentRecord[] = [];
    for (const id of unread) {
      const record = journal.getPayment(id);
      if (!record) this.readNotified(id);
      else if (this.engine.actsOn(record) && !unfinished.some((p) => p.id === id)) notified.push(record);
    }
    const toRead = [...unfinished, ...notified];
    const progress = { done: 0, total: toRead.length };
    this.progress = progress;
    if (toRead.length > 0) this.engine.options.onQueueChanged();
    for (const record of toRead) {
      if (this.engine.closed || this.throttled()) return;
      const mark = this.notedMark();
      try {
        const read = await this.engine.exclusive(record.id, () => this.reconcile(journal.getPayment(record.id)!));
        // Read now, the gateway back: a followed link or cloud reader is next asked after the shortest
        // wait, not after the up to 10 s its reads backed off to while the gateway did not answer.
        this.watcher().readByRecovery(record.id);
        if (unread.has(record.id)) this.readNotified(record.id, mark);
        // Asked to cancel while it was being created (the till stopped before the cancel was sent):
        // created now, it is cancelled, never left waiting to be sent to a reader.
        if (read.cancelAskedAt !== null && read.status === 'pending') await this.cancelAsked?.(read.id);
      } catch (error) {
        this.engine.options.log(`Could not reconcile ${record.id} yet`, errorText(error));
        if (unread.has(record.id) && !worthReadingAgain(error)) this.readNotified(record.id, mark);
        if (unreachable(error)) return;
      }
      progress.done++;
      this.engine.options.onQueueChanged();
    }
    await this.drainQueue();
    await this.lookForNotMade();
    // Installments the gateway charged while the till was off or offline join the journal now.
    this.watcher().followPlans(true);
  }

  /** Whether a throttling gateway's wait is still running (nothing is read or sent before its end). */
  private throttled(): boolean {
    return (this.engine.options.connectivity.throttledForMs() ?? 0) > 0;
  }

  /** Sends queued captures, cancels and refunds. Concurrent calls share one run. */
  drainQueue(): Promise<void> {
    this.draining ??= this.sendQueued().finally(() => {
      this.draining = null;
      this.engine.options.onQueueChanged();
    });
    return this.draining;
  }

  private async sendQueued(): Promise<void> {
    const { journal } = this.engine;
    const active = this.engine.activeGateway()?.name;
    // Payments whose earlier step got an answer that did not fit: their later steps keep their place.
    const waiting = new Set<string>();
    for (const op of journal.pendingOperations()) {
      if (this.engine.closed) return;
      if (!QUEUEABLE.has(op.kind) || op.gateway !== active || waiting.has(op.paymentId)) continue;
      const record = journal.getPayment(op.paymentId);
      if (!record?.transactionId || record.chargedBy === 'terminal' || !this.engine.actsOn(record)) continue;
      try {
        await this.engine.exclusive(record.id, () => this.resendQueued(op, record));
      } catch (error) {
        if (unreachable(error)) return;
        if (error instanceof HostError && error.code === 'offline') waiting.add(record.id);
        this.engine.options.log(`Queued ${op.kind} of ${record.id} failed`, errorText(error));
      }
    }
  }

  private async resendQueued(op: OperationRecord, record: PaymentRecord): Promise<void> {
    const event = QUEUED_EVENTS[op.kind] ?? op.kind;
    const how = moneyOperation(op, record);
    // What the refusal put in Needs attention, and the payment as it stood then.
    let refusal: { head: string; reason: string; before: PaymentRecord } | null = null;
    // The answer is applied in the commit that closes the operation (see CashierCommands.refund).
    const sent = this.engine.perform(op, {
      ...how,
      ...(op.kind === 'refund' ? this.unlessRefundedElsewhere(op, record, how) : {}),
      queue: true,
      settle: (payment) => {
        const current = this.engine.journal.getPayment(record.id)!;
        return this.sync.apply(current, payment, `${event}_from_queue`, queuedAmount(op, current, payment));
      },
      // Nobody waits for a queued step's answer: a refusal goes to Needs attention, never only to a log.
      refused: (error) => {
        const { journal } = this.engine;
        const current = journal.getPayment(record.id)!;
        const asked =
          typeof op.params.amount === 'number' ? ` of ${formatAmount(op.params.amount, current.currency)}` : '';
        const share = typeof op.params.merchantId === 'string' ? ` (${op.params.merchantId}'s share)` : '';
        const head = `The queued ${QUEUED_NAMES[op.kind] ?? op.kind}${asked}${share}`;
        const reason =
          error instanceof RefundedElsewhere
            ? `${head} was not sent: ${error.message}`
            : `${head} was refused when it was sent: ${error.message}`;
        // An item already open keeps what it said: two refused refunds are both named (found by a
        // tester: the second replaced the first, whose money then showed as paid back).
        // One about an answer that could not be read is answered now: the gateway refused the step.
        const open = current.attentionSince !== null && !unreadableAttention(current);
        const earlier = open ? current.attentionReason : null;
        refusal = { head, reason, before: current };
        const updated = journal.updatePayment(
          current.id,
          {
            attentionReason: earlier ? `${earlier.replace(/[.\s]*$/, '.')} ${reason}` : reason,
            attentionAdvice:
              open && onlyCashierClears(current.attentionAdvice) ? current.attentionAdvice : ADVICE_QUEUED_REFUSED,
            attentionSince: (open ? current.attentionSince : null) ?? this.engine.nowIso(),
          },
          error instanceof RefundedElsewhere ? `queued_${op.kind}_withheld` : `queued_${op.kind}_refused`,
          error.message,
        );
        this.engine.changed(updated);
      },
    });
    try {
      await sent;
    } catch (error) {
      if (refusal !== null && !(error instanceof RefundedElsewhere))
        await this.settledOutside(op, record, refusal).catch((failed: unknown) =>
          this.engine.options.log(`Could not read ${record.id} again after its queued ${op.kind}`, errorText(failed)),
        );
      throw error;
    }
  }

  /**
   * A queued capture, cancel or refund the gateway refused: as when the cashier presses one now
   * (CashierCommands.settledOutside), the payment is read again, since it may have been settled
   * outside the till while the step waited. If it was — it moved since the refusal, or it no longer
   * allows the step the cashier asked for (a read before the send may already have shown the change) —
   * Needs attention and the timeline say so in the cashier's words instead of the gateway's bare refusal.
   */
  private async settledOutside(
    op: OperationRecord,
    record: PaymentRecord,
    refusal: { head: string; reason: string; before: PaymentRecord },
  ): Promise<void> {
    const what = op.kind;
    if (what !== 'capture' && what !== 'cancel' && what !== 'refund') return;
    const gateway = this.engine.gatewayFor(record);
    const after = await this.sync.readAfterRefusal(refusal.before, gateway);
    if (!after) return;
    const asked = typeof op.params.amount === 'number' ? op.params.amount : 1;
    const allows =
      what === 'refund'
        ? ['succeeded', 'partially_refunded'].includes(after.status) &&
          after.amountCaptured - after.amountRefunded >= asked
        : after.status === 'requires_capture' || (what === 'cancel' && after.status === 'pending');
    if (!paymentMoved(refusal.before, after) && allows) return;
    const { journal } = this.engine;
    const current = journal.getPayment(record.id)!;
    if (what === 'cancel' && endedUntaken(after)) {
      // What the cancel was for has happened (the link lapsed unpaid, the customer cancelled it on
      // the page): nothing for the cashier to do, so the refusal's item goes, and the timeline says why.
      const gone = current.attentionSince !== null && current.attentionReason?.includes(refusal.reason);
      const rest = gone ? current.attentionReason!.replace(refusal.reason, '').trim() : null;
      const cleared = journal.updatePayment(
        current.id,
        !gone
          ? {}
          : rest
            ? { attentionReason: rest }
            : { attentionReason: null, attentionAdvice: null, attentionSince: null },
        'queued_cancel_not_needed',
        nothingToCancelText(after, gateway.label),
      );
      this.engine.changed(cleared);
      return;
    }
    const text = settledOutsideText(after, what, gateway.label);
    const reason = `${refusal.head} was refused when it was sent. ${text}`;
    const kept = current.attentionSince !== null && current.attentionReason?.includes(refusal.reason);
    const updated = journal.updatePayment(
      current.id,
      {
        attentionReason: kept ? current.attentionReason!.replace(refusal.reason, reason) : reason,
        attentionAdvice: kept ? current.attentionAdvice : ADVICE_QUEUED_REFUSED,
        attentionSince: current.attentionSince ?? this.engine.nowIso(),
      },
      `queued_${what}_settled_outside`,
      text,
    );
    this.engine.changed(updated);
  }

  /**
   * Before a queued refund is sent: the gateway must show no refund of the payment that the till
   * neither knew of when the refund was asked for nor made since. One made meanwhile another way —
   * on the gateway's dashboard while the till was offline, most often this very refund — and the
   * queued one sent as well refunded the customer twice: it is withheld (Needs attention) and the
   * cashier decides. Refunds queued with journals from before `queuedBefore` are sent as they were.
   */
  private unlessRefundedElsewhere(
    op: OperationRecord,
    record: PaymentRecord,
    how: Pick<PerformHow<GatewayPayment, GatewayPayment>, 'send' | 'check'>,
  ): Pick<PerformHow<GatewayPayment, GatewayPayment>, 'send' | 'check'> {
    const { journal } = this.engine;
    // Looked for with the lookup before a resend, while the journal still says whether an earlier
    // send may have landed; before the send itself only when no lookup came first (never sent).
    let looked = false;
    return {
      check: async (gateway) => {
        const found = await how.check(gateway);
        if (found) return found;
        // An earlier send may have landed where the lookup cannot show it yet: on a gateway whose
        // refunds carry no key to find, or inside its settle window (PayPlug's list a moment behind
        // the payment it refunded; after the window a lookup that finds nothing is believed).
        const fresh = journal.operationsFor(record.id).find((other) => other.id === op.id) ?? op;
        const unseen =
          fresh.sentAt !== null && (gateway.capabilities.idempotencyKeys || this.engine.settleWait(fresh, gateway) > 0);
        await this.notRefundedElsewhere(op, record, gateway, unseen);
        looked = true;
        return null;
      },
      send: async (gateway) => {
        if (!looked) await this.notRefundedElsewhere(op, record, gateway, false);
        looked = false;
        return how.send(gateway);
      },
    };
  }

  private async notRefundedElsewhere(
    op: OperationRecord,
    record: PaymentRecord,
    gateway: PaymentGateway,
    /** An earlier send of it may have reached the gateway, unseen by the lookup. */
    mayHaveLanded: boolean,
  ): Promise<void> {
    const { refundedBefore, queuedBefore, amount } = op.params;
    if (typeof refundedBefore !== 'number' || !Array.isArray(queuedBefore)) return;
    const { journal } = this.engine;
    // A step before the refund: whatever becomes of it, the refund itself was not sent.
    const current = await beforeSending(async () => {
      const read = await gateway.retrieve(record.transactionId!);
      const problem = answerProblem(record, read);
      if (problem) throw new GatewayUnreadable(`The gateway's answer does not fit the request: ${problem}.`);
      return read;
    });
    // The till's own refunds of it made since this one was asked for: those then waiting to be sent,
    // and those asked for after it (the ones done before are in refundedBefore).
    const waiting = new Set(queuedBefore);
    const since = journal
      .operationsFor(record.id)
      .filter(
        (other) => other.kind === 'refund' && other.state === 'done' && (other.id > op.id || waiting.has(other.id)),
      )
      .reduce((sum, other) => sum + (typeof other.params.amount === 'number' ? other.params.amount : 0), 0);
    // Its own earlier send may have landed unseen (PlutoPay: a resend with the key answers with that
    // refund; PayPlug: its window holds a resend anyway): counted as the till's.
    const own = mayHaveLanded && typeof amount === 'number' ? amount : 0;
    const elsewhere = current.amountRefunded - refundedBefore - since - own;
    // A gateway that counts only the refunds the till can find (Plural: its own references) still
    // says the payment was refunded: with none of the till's, that refund was made elsewhere.
    const unseen =
      elsewhere <= 0 &&
      current.amountRefunded === 0 &&
      refundedBefore + since + own === 0 &&
      (current.status === 'partially_refunded' || current.status === 'refunded');
    if (elsewhere <= 0 && !unseen) return;
    // The journal shows what the gateway holds, whoever made it.
    this.sync.apply(journal.getPayment(record.id)!, current, null);
    const money = (minor: number) => formatAmount(minor, record.currency);
    const shown = unseen
      ? `this payment ${current.status.replace('_', ' ')}`
      : `${money(elsewhere)} of this payment refunded`;
    throw new RefundedElsewhere(
      `${gateway.label} shows ${shown} since it was asked for, not by this till (from the gateway's dashboard?), so it was held back rather than refund the customer twice. If the customer is still owed money, refund it again.`,
    );
  }
}

/**
 * The gateway could not be reached: nothing more can be reconciled until it is back (a reconnect
 * starts another run). A create sent by recovery says so as the engine's HostError, whose cause is
 * the gateway's error: stopping only on the bare error sent every unconfirmed create 3 times over.
 * An answer that does not fit (not JSON, another payment) is one payment's problem, not the
 * gateway's: stopping there stopped every later run at the same payment, the older ones never read.
 */
export function unreachable(error: unknown): boolean {
  const cause = error instanceof HostError && error.code === 'offline' ? error.cause : error;
  return cause instanceof GatewayUnreachable && !(cause instanceof GatewayUnreadable);
}

/**
 * A failed read a later one may get past: the gateway unreachable or answering unreadably, or
 * refusing the till itself (401/403) until its keys are put right. Any other refusal is an answer.
 */
function worthReadingAgain(error: unknown): boolean {
  const cause = error instanceof HostError && error.code === 'offline' ? error.cause : error;
  return (
    cause instanceof GatewayUnreachable ||
    (cause instanceof GatewayError && (cause.status === 401 || cause.status === 403))
  );
}

/** The amount a queued capture or refund moved, for its timeline entry (as a direct one shows it). */
export function queuedAmount(op: OperationRecord, before: PaymentRecord, after: GatewayPayment): string | null {
  const asked = typeof op.params.amount === 'number' ? op.params.amount : null;
  const moved =
    asked ??
    (op.kind === 'refund'
      ? after.amountRefunded - before.amountRefunded
      : op.kind === 'capture'
        ? // An authorisation is captured once: read as captured already (recovery got there first),
          // the capture of the whole was all of it, not nothing.
          after.amountCaptured - before.amountCaptured || after.amountCaptured
        : 0);
  return moved > 0 ? formatAmount(moved, before.currency) : null;
}

/**
 * A queued refund withheld before its send: the gateway shows refunds made another way since it was
 * asked for (see Recovery.notRefundedElsewhere). Nothing was sent; like a refusal, it is final.
 */
class RefundedElsewhere extends LocalRefusal {
  constructor(message: string) {
    super(message, 'amount', 'refunded_elsewhere');
    this.name = 'RefundedElsewhere';
  }
}

const QUEUED_NAMES: Partial<Record<OperationRecord['kind'], string>> = {
  cancel: 'cancel',
  capture: 'capture',
  refund: 'refund',
  release: 'release',
  cancel_split: 'cancel of a share',
};

const QUEUED_EVENTS: Partial<Record<OperationRecord['kind'], string>> = {
  cancel: 'canceled',
  capture: 'captured',
  refund: 'refunded',
  release: 'split_released',
  cancel_split: 'split_canceled',
};

/**
 * How a capture, cancel, refund, release or split cancel is sent and, before a retry, confirmed:
 * the payment shows it (captured, canceled, the share released or cancelled) and the gateway holds
 * the refund made with the operation's key (a refund, the rest of a partial release, a cancelled
 * share's money).
 */
/**
 * A create the engine gave up on without any send that may have reached the gateway: the last
 * error provably never left the till (`not_sent`), and the journal holds no earlier send whose
 * outcome is unknown (the engine puts back the `sentAt` before a send that never left).
 */
function neverSent(error: HostError, op: OperationRecord | undefined): boolean {
  return (
    error.code === 'offline' &&
    error.cause instanceof GatewayUnreachable &&
    error.cause.outcome === 'not_sent' &&
    op !== undefined &&
    op.state === 'pending' &&
    op.sentAt === null
  );
}

/**
 * The gateway made what the create asked for (a link's page), then throttled the read that follows
 * (see afterChange): the payment is read again after the wait, never declared failed.
 */
function madeThenThrottled(error: HostError): boolean {
  return (
    error.cause instanceof GatewayUnreachable && error.cause.outcome === 'unknown' && error.cause.retryAfterMs !== null
  );
}

/** The create of a payment whose outcome is unknown and which has no gateway id yet (else a conflict). */
function unknownCreate(journal: PaymentEngine['journal'], record: PaymentRecord): OperationRecord {
  const op = journal.getOperationByKey(record.idempotencyKey);
  if (record.status !== 'unknown' || record.transactionId !== null || op?.kind !== 'create' || op.state !== 'pending')
    throw new HostError(
      'conflict',
      'Only a payment whose creation the gateway never confirmed can be settled this way.',
    );
  return op;
}

/**
 * Why a payment ended with no transaction at the gateway (the journal's UNSENT: canceled or failed,
 * no transaction id), from its record and its create operation (`create`: the operation under its
 * key, if any); null for any other payment. Nothing was charged in any of these cases: a payment
 * the gateway turns out to have after all takes its transaction id and leaves them.
 */
export function notSentReason(
  record: Pick<PaymentRecord, 'transactionId' | 'status' | 'chargedBy' | 'cancelAskedAt' | 'preTipAmount'>,
  create: OperationRecord | undefined,
): NotSentReason | null {
  if (record.transactionId !== null || record.chargedBy !== 'gateway') return null;
  if (record.status === 'canceled')
    // Canceled while the display waited for the tip: no create was ever journaled.
    return record.cancelAskedAt === null && record.preTipAmount !== null && create === undefined
      ? 'canceled_awaiting_tip'
      : 'canceled';
  if (record.status !== 'failed') return null;
  if (create?.kind === 'create' && declaredNotMade(create)) return 'not_made';
  if (create?.kind === 'create' && create.state === 'failed' && !(create.lastError ?? '').startsWith(`${NOT_SENT}:`))
    return 'refused';
  return 'not_sent';
}

/** Whether a create operation is one the cashier recorded as not made. */
export function declaredNotMade(op: OperationRecord): boolean {
  return op.state === 'failed' && (op.lastError ?? '').startsWith(`${NOT_MADE}:`);
}

/**
 * Whether a key as the gateway kept it is `key`: the same, or (PayPlug's tags) a key longer than 64
 * characters kept as its first 40, `~` and a digest.
 */
function sameKey(kept: string, key: string): boolean {
  if (kept === key) return true;
  return key.length > 64 && kept.length === 64 && kept[40] === '~' && kept.slice(0, 40) === key.slice(0, 40);
}

function paymentStatusWords(payment: GatewayPayment): string {
  return payment.status.replace(/_/g, ' ');
}

/** Needs attention for a payment the gateway does not know under the journal's id (see relocate). */
function adviceNotAtGateway(record: PaymentRecord): string {
  return (
    `Look for order ${record.orderReference} (${formatAmount(record.amount, record.currency)}) on the gateway's dashboard. ` +
    'If the customer paid, the money is there: refund it there if the sale did not happen. Then clear this item.'
  );
}

/** Whether a payment shows its capture made: money taken, nothing left waiting for capture. */
function captured(payment: GatewayPayment): boolean {
  return payment.status !== 'requires_capture' && payment.amountCaptured > 0;
}

export function moneyOperation(
  op: OperationRecord,
  record: PaymentRecord,
): Pick<PerformHow<GatewayPayment, GatewayPayment>, 'send' | 'check' | 'answerProblem'> {
  const transactionId = record.transactionId!;
  const checked = { answerProblem: (payment: GatewayPayment) => answerProblem(record, payment) };
  const amount = typeof op.params.amount === 'number' ? op.params.amount : undefined;
  const reason = typeof op.params.reason === 'string' ? op.params.reason : undefined;
  const splits = Array.isArray(op.params.splits)
    ? (op.params.splits as { splitId: string; amount: number }[])
    : undefined;
  const splitId = typeof op.params.splitId === 'string' ? op.params.splitId : '';
  const key = op.idempotencyKey;
  const shareOf = (payment: GatewayPayment) => payment.splits?.find((split) => split.id === splitId);
  switch (op.kind) {
    case 'capture':
      return {
        send: (gateway) => gateway.capture(transactionId, amount, key),
        check: async (gateway) => {
          const current = await gateway.retrieve(transactionId);
          return captured(current) ? current : null;
        },
        // An answer that does not show the step made is not taken as it, for a capture as for a
        // cancel (a cancel answered "paid" showed a payment the gateway had cancelled as taken:
        // FUZZ_SEED=1003721342 in the garbled answers test).
        answerProblem: (payment) =>
          answerProblem(record, payment) ??
          (captured(payment) ? null : `it says the payment is ${describeStatus(payment.status)}, not captured`),
      };
    case 'cancel':
      return {
        send: (gateway) => gateway.cancel(transactionId, key),
        check: async (gateway) => {
          const current = await gateway.retrieve(transactionId);
          return current.status === 'canceled' ? current : null;
        },
        answerProblem: (payment) =>
          answerProblem(record, payment) ??
          (payment.status === 'canceled'
            ? null
            : `it says the payment is ${describeStatus(payment.status)}, not canceled`),
      };
    case 'refund':
      return {
        ...checked,
        send: (gateway) =>
          gateway.refund(
            transactionId,
            {
              ...(amount !== undefined ? { amount } : {}),
              ...(reason ? { reason } : {}),
              ...(splits ? { splits } : {}),
            },
            key,
          ),
        check: async (gateway: PaymentGateway) =>
          (await gateway.refundExists(transactionId, key)) ? gateway.retrieve(transactionId) : null,
        // The payment in the answer must show this refund: taken as done while showing less, the
        // refund looked never made, and the cashier's next one paid the customer twice. (Counted
        // from what was refunded when the refund was asked for, so the first answer replayed later,
        // after more refunds, still fits.)
        answerProblem: (payment) => {
          const problem = answerProblem(record, payment);
          const before = op.params.refundedBefore;
          if (problem || amount === undefined || typeof before !== 'number') return problem;
          return payment.amountRefunded < before + amount
            ? `it shows ${formatAmount(payment.amountRefunded, payment.currency)} refunded, not the ${formatAmount(before + amount, record.currency)} this refund makes`
            : null;
        },
      };
    case 'release':
      return {
        ...checked,
        send: (gateway) => settlementsOf(gateway).release(transactionId, splitId, amount, key),
        check: async (gateway) => {
          const current = await gateway.retrieve(transactionId);
          const share = shareOf(current);
          if (share?.status !== 'RELEASED') return null;
          if (amount === undefined) return current;
          // A partial release is done once the rest went back to the customer too.
          return share.releasedAmount === amount && (await gateway.refundExists(transactionId, key)) ? current : null;
        },
      };
    case 'cancel_split':
      return {
        ...checked,
        send: (gateway) => settlementsOf(gateway).cancel(transactionId, splitId, key),
        check: async (gateway) => {
          const current = await gateway.retrieve(transactionId);
          return shareOf(current)?.status === 'CANCELLED' && (await gateway.refundExists(transactionId, key))
            ? current
            : null;
        },
      };
    default:
      throw new Error(`${op.kind} is not a money operation`);
  }
}

function settlementsOf(gateway: PaymentGateway): NonNullable<PaymentGateway['settlements']> {
  if (!gateway.settlements)
    throw new HostError('conflict', `${gateway.label} does not share payments between merchants.`);
  return gateway.settlements;
}

/** What the gateway is asked to create for a journaled payment (the same on every retry). */
export function newPaymentOf(record: PaymentRecord): NewPayment {
  return {
    amount: record.amount,
    currency: record.currency,
    captureMethod: record.captureMethod,
    description: record.description,
    customerId: record.customerId,
    receiptEmail: record.receiptEmail,
    orderReference: record.orderReference,
    paymentId: record.id,
    channel: record.channel,
    savedCardId: record.savedCardId,
  };
}

/**
 * What a create's answer settled by itself (a saved card charged at once), for the timeline: its
 * status moved with this step, so no later step says it (found in a cashier hunt: a saved card's
 * details ended on "Created at gateway").
 */
function settledAtOnce(payment: GatewayPayment): string {
  const card = payment.card ? `, ${cardText(payment)}` : '';
  if (payment.status === 'succeeded') return ` — charged at once${card}`;
  if (payment.status === 'requires_capture') return ` — authorised at once${card}`;
  return '';
}
