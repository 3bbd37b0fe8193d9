/**
 * Making the journal agree with what the gateway says about a payment, and taking in payments the
 * till did not create (pushed to its reader by the merchant's own server). Answers can arrive out
 * of order — a reader's report racing a cashier's cancel — so an answer that ranks below what the
 * journal already knows is ignored: the journal never steps back.
 */
import { declineInfo, isDeclineCode } from '../../common/decline-codes';
import { formatAmount } from '../../common/money';
import type { GatewayName, PaymentStatus } from '../../common/contract';
import { GATEWAY_LABELS } from '../../common/contract/views';
import { HostError } from '../core/errors';
import { newId } from '../core/ids';
import { redact } from '../core/masking';
import type { GatewayUnreadable } from '../gateway/errors';
import type { GatewayPayment, PaymentGateway, SplitLine, SplitState } from '../gateway/port';
import {
  newPaymentRecord,
  SETTLED_STATUSES,
  type OperationRecord,
  type PaymentChannel,
  type PaymentPatch,
  type PaymentRecord,
  type SplitRecord,
} from '../store/journal';
import { OPERATION_NAMES, QUEUEABLE_KINDS, type PaymentEngine } from './engine';

/** Needs attention for a device approval the gateway refused or overtook (see ReaderEvents). */
export const ADVICE_REFUSED_APPROVAL =
  'The customer may have been charged on the terminal. Check the terminal receipt; reverse it on the terminal or refund the customer another way, then clear this item.';

/** Needs attention for a queued capture, cancel, refund or settlement step the gateway refused when sent. */
export const ADVICE_QUEUED_REFUSED =
  'Nothing was sent twice. Open the payment to see what it still allows, then do it again there (or settle it with the customer another way), and clear this item.';

/**
 * Needs attention for a payment the gateway answers about in a form the till cannot read (a status
 * it does not know, a malformed body). Cleared by the next answer the till can read.
 */
export const ADVICE_UNREADABLE_ANSWER =
  "The till cannot tell where this payment stands and keeps asking the gateway. Check it on the gateway's dashboard before handing over goods or taking the payment again; this clears itself once the gateway's answer can be read.";

/**
 * Needs attention for a capture, cancel, refund or settlement step whose answers the till could not
 * read: it stays queued, and is looked up before it is ever sent again. Cleared once it is done.
 */
export const ADVICE_UNREADABLE_STEP =
  "Nothing is sent twice: the till keeps it queued and asks the gateway whether it went through before sending it again. Check the payment on the gateway's dashboard before acting on it another way; this clears itself once the gateway's answer can be read.";

/**
 * Needs attention for a create the cashier recorded as not made that the gateway showed after all
 * (Recovery.takeInNotMade): taken in as that payment; only the cashier clears it.
 */
export const ADVICE_FOUND_AFTER_NOT_MADE =
  "Nothing was sent twice, but the customer may have paid this and been asked again. Check the gateway's dashboard and the sale: refund this payment if the sale was paid another way, then clear this item.";

/**
 * Needs attention for a payment whose reader action, from the gateway, asks for other money than the
 * payment (ReaderEvents.started): the reader never asks for the card, and the gateway's own record of
 * the payment cannot be trusted. Cleared by the cashier, or once the payment is final — never by the
 * next ordinary read of it (the gateway answering about it says nothing of the action).
 */
export const ADVICE_ACTION_MISFIT =
  'Nothing was charged: the reader did not ask for the card. Cancel this payment and charge the customer again; if it happens again, call the gateway and tell them what it asked for. This clears once the payment is canceled or paid, or when you clear it.';

/**
 * The last words of what Needs attention says of a payment another gateway's own reader ended after
 * the till switched away from it (PaymentSync.endedElsewhere): the item stays while the till uses
 * another gateway, and goes with the first read of the payment once it is switched back.
 */
const ENDED_ELSEWHERE_TAIL = 'This item goes once the till, switched back, has read the payment.';

/** Whether an item is one endedElsewhere wrote: kept until the till acts on its payment again. */
export function endedElsewhere(advice: string | null): boolean {
  return advice?.endsWith(ENDED_ELSEWHERE_TAIL) ?? false;
}

/** Attention for an answer the till could not read: it clears by itself (see PaymentSync.unreadable). */
const UNREADABLE: ReadonlySet<string | null> = new Set([ADVICE_UNREADABLE_ANSWER, ADVICE_UNREADABLE_STEP]);

/** Whether a payment needs attention because the gateway's answer about it could not be read. */
export function unreadableAttention(record: Pick<PaymentRecord, 'attentionSince' | 'attentionAdvice'>): boolean {
  return record.attentionSince !== null && UNREADABLE.has(record.attentionAdvice);
}

/** Attention only the cashier clears: what the gateway says later does not answer it. */
const CASHIER_CLEARS: ReadonlySet<string | null> = new Set([
  ADVICE_REFUSED_APPROVAL,
  ADVICE_QUEUED_REFUSED,
  ADVICE_FOUND_AFTER_NOT_MADE,
]);

/** Whether an attention item's advice is one only the cashier clears. */
export function onlyCashierClears(advice: string | null): boolean {
  return CASHIER_CLEARS.has(advice);
}

/**
 * What makes a gateway's answer about `record` unusable, or null: it names another payment, or other
 * money than the till asked for, or amounts that cannot be (more captured than authorised). A
 * careful client does not take such an answer as this payment's state (a tester's proxy made a
 * capture's answer name another till's payment, and the refund that followed went to that
 * customer). `creating`: the answer to the payment's create, which gives it its id; `shares`: the
 * shares that create sent, which its answer must carry as sent (money settled to the wrong merchant
 * cannot be taken back from the till).
 */
export function answerProblem(
  record: PaymentRecord,
  payment: GatewayPayment,
  creating = false,
  shares: readonly SplitLine[] | null = null,
): string | null {
  if (!creating && record.transactionId !== null && payment.id !== record.transactionId)
    return `it is about payment ${payment.id}, not ${record.transactionId}`;
  if (creating && payment.orderReference !== null && payment.orderReference !== record.orderReference)
    return `it is for order ${payment.orderReference}, not ${record.orderReference}`;
  if (payment.currency.toUpperCase() !== record.currency.toUpperCase() || payment.amount !== record.amount)
    return `it is for ${formatAmount(payment.amount, payment.currency)}, not ${formatAmount(record.amount, record.currency)}`;
  const amounts = [payment.amountCaptured, payment.amountCapturable, payment.amountRefunded];
  if (amounts.some((amount) => !Number.isInteger(amount) || amount < 0 || amount > payment.amount))
    return `its amounts cannot be (captured ${payment.amountCaptured}, capturable ${payment.amountCapturable}, refunded ${payment.amountRefunded} of ${payment.amount})`;
  if (creating && shares && shares.length > 0) {
    const said = (lines: readonly SplitLine[]) =>
      lines
        .map((line) => `${line.merchantId} ${formatAmount(line.amount, record.currency)}${line.onHold ? ' held' : ''}`)
        .sort()
        .join(', ');
    if (!payment.splits || payment.splits.length === 0) return `it carries none of the shares sent (${said(shares)})`;
    if (said(payment.splits) !== said(shares))
      return `its shares (${said(payment.splits)}) are not the ones sent (${said(shares)})`;
  }
  return null;
}

/**
 * What makes the answer to a link's create impossible, or null: the customer has not been shown the
 * page yet (the till shows it once this answer is journaled), so it cannot say the money was taken
 * or authorised. Found by a fuzz: a create answer garbled to `is_paid: true` showed the link paid,
 * and the cashier would have handed the goods over. Taken as unreadable, the payment is read again.
 * A saved card's payment is charged by its create and may say so.
 */
export function paidBeforeShown(record: PaymentRecord, payment: GatewayPayment): string | null {
  if (record.channel !== 'link' || record.savedCardId) return null;
  if (payment.status === 'pending' || payment.status === 'failed' || payment.status === 'canceled') return null;
  return `it says the link is ${payment.status.replace(/_/g, ' ')} before the customer was shown its page`;
}

/** The failure of a link payment its gateway created without a page the customer can pay on. */
export const NO_PAYMENT_PAGE = 'no_payment_page';

/** Whether `url` is a web page a QR code can send the customer to (http or https). */
function isWebPage(url: string | null): boolean {
  if (!url) return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * A link payment's create answered (or found again) as waiting for the customer, but with no page
 * for them to pay on (Plural answers its seamless orders without `redirect_url`): nothing the
 * customer can pay, and an unpaid Plural order cannot be withdrawn, so it would stay open behind
 * the cashier and block the day's close. It is taken as failed (not payable), in one write with its
 * create, and keeps the gateway's id: should it be paid anyway, the next read takes the payment in
 * (see isStale). A saved card's charge has no page by design and is left as it is.
 */
export function withoutPayablePage(record: PaymentRecord, payment: GatewayPayment): GatewayPayment {
  if (record.channel !== 'link' || record.savedCardId || payment.status !== 'pending' || isWebPage(payment.payUrl))
    return payment;
  return {
    ...payment,
    status: 'failed',
    payUrl: null,
    payUrlExpiresAt: null,
    failure: {
      code: NO_PAYMENT_PAGE,
      message: `${GATEWAY_LABELS[record.gateway]} gave no payment page for this order, so it cannot be paid by link from this till — check the account has hosted checkout enabled; nothing was charged.`,
    },
  };
}

/**
 * Someone who must hear when a payment closes at the gateway (settled, or authorised for capture).
 * Called inside the transaction that closes it: journal writes join that commit, anything else
 * waits for it (journal.afterCommit).
 */
export type ClosedListener = (record: PaymentRecord, payment: GatewayPayment) => void;

export class PaymentSync {
  private readonly closedListeners: ClosedListener[] = [];
  /** Takes a payment the journal lacks in as a create the cashier recorded as not made, if it is one. */
  claimNotMade: ((payment: GatewayPayment, gateway?: GatewayName) => PaymentRecord | null) | null = null;
  private readonly unreadableListeners: ((record: PaymentRecord) => void)[] = [];

  constructor(private readonly engine: PaymentEngine) {}

  onClosed(listener: ClosedListener): void {
    this.closedListeners.push(listener);
  }

  /** Someone who reads again a payment the gateway answered about unreadably (the watcher). */
  onUnreadable(listener: (record: PaymentRecord) => void): void {
    this.unreadableListeners.push(listener);
  }

  /**
   * After the gateway refused a capture, cancel or refund, whether pressed now by the cashier or sent
   * from the offline queue: the refusal may mean the payment was settled outside the till since it
   * was last read (refunded, captured or canceled on the gateway's dashboard, or by another till). The
   * payment is read again, so the journal, and the buttons every screen offers from it, follow the
   * gateway (see settledOutsideText for what the cashier is told). The payment as journaled then, or
   * null when it could not be read (the gateway's refusal stands).
   */
  async readAfterRefusal(record: PaymentRecord, gateway: PaymentGateway): Promise<PaymentRecord | null> {
    const transactionId = record.transactionId;
    if (transactionId === null) return null;
    const read = await this.engine.call((g) => g.retrieve(transactionId), gateway).catch(() => null);
    return read ? this.apply(this.engine.journal.getPayment(record.id) ?? record, read, null) : null;
  }

  /**
   * Applies the gateway's view. `actionFinal`: the reader's action for this payment is over, so a
   * payment still open at the gateway is no longer on the reader.
   */
  apply(
    asRead: PaymentRecord,
    payment: GatewayPayment,
    event: string | null,
    detail: string | null = null,
    opts: { actionFinal?: boolean } = {},
  ): PaymentRecord {
    const { journal } = this.engine;
    // Against the journal as it is now, not as the caller read it before waiting on the gateway:
    // a report or a cashier's answer may have landed meanwhile (a reconcile applying its retrieve
    // to the older copy turned a declined payment back into 'unknown', without Needs attention).
    const record = journal.getPayment(asRead.id) ?? asRead;
    if (isStale(record, payment)) return record;
    // Paths that retrieve outside an operation (watching, reconciling) meet such an answer here:
    // it is not this payment's state, and the next look asks again.
    const problem = answerProblem(record, payment, record.transactionId === null);
    if (problem) {
      this.engine.options.log(`Ignored the gateway's answer about ${record.id}`, problem);
      return record;
    }
    const onReader = record.status === 'in_progress' && payment.status === 'pending' && !opts.actionFinal;
    // A reader that may have charged without telling the gateway stays unknown until resolved.
    const stillUnknown =
      record.status === 'unknown' && record.transactionId !== null && payment.status === 'pending' && !opts.actionFinal;
    const status: PaymentStatus = onReader ? 'in_progress' : stillUnknown ? 'unknown' : payment.status;
    const failure = payment.failure;
    const patch: PaymentPatch = {
      status,
      transactionId: payment.id,
      reference: payment.reference,
      amountCapturable: payment.amountCapturable,
      amountCaptured: payment.amountCaptured,
      amountRefunded: payment.amountRefunded,
      payUrl: payment.payUrl,
      payUrlExpiresAt: payment.payUrlExpiresAt,
      authorizationExpiresAt: payment.authorizationExpiresAt,
      ...(payment.card ? { cardBrand: payment.card.brand, cardLast4: payment.card.last4 } : {}),
      // Never the gateway's savedCardId either: that is the card a paid link saved, while the
      // journal's is the card the payment was charged on (set at create; a retried create sends
      // it again). Found by a tester: a link that saved a card counted as "Saved card (no reader)".
      // Never the gateway's installmentPlanId: the journal names the till's own plan, which
      // Installments sets when the plan takes the payment in.
      ...(onReader ? {} : { readerStage: null }),
      ...declinePatch(payment, onReader),
      // An approval the gateway would not take, or a queued step it refused, stays the shop's to
      // look at whatever the gateway now says: only the cashier clears it. A step whose answer could
      // not be read is in doubt until it is done (its own answer, or the lookup before its resend).
      ...(record.attentionSince &&
      status !== 'unknown' &&
      !CASHIER_CLEARS.has(record.attentionAdvice) &&
      !(record.attentionAdvice === ADVICE_ACTION_MISFIT && !SETTLED_STATUSES.has(status)) &&
      // What the cashier must switch back for: read again before the switch (a notification), it stays.
      !(endedElsewhere(record.attentionAdvice) && !this.engine.actsOn(record)) &&
      !(
        record.attentionAdvice === ADVICE_UNREADABLE_STEP &&
        journal.countQueuedOperations(record.id, QUEUEABLE_KINDS) > 0
      )
        ? { attentionReason: null, attentionAdvice: null, attentionSince: null }
        : {}),
    };
    const splits = splitChanges(journal.splitsOf(record.id), payment.splits);
    const changed =
      splits !== null ||
      record.status !== patch.status ||
      record.transactionId !== payment.id ||
      record.amountCaptured !== payment.amountCaptured ||
      record.amountRefunded !== payment.amountRefunded ||
      record.amountCapturable !== payment.amountCapturable ||
      record.payUrl !== payment.payUrl ||
      record.authorizationExpiresAt !== payment.authorizationExpiresAt ||
      record.declineCode !== (patch.declineCode === undefined ? record.declineCode : patch.declineCode) ||
      (record.attentionSince !== null && patch.attentionSince === null);
    if (!changed && !event) return record;
    const eventName =
      event ??
      (record.status !== status ? eventForStatus(status, failure?.code ?? null) : splits ? 'split_updated' : null);
    const updated = journal.atomically(() => {
      // The shares and the payment move together: one durable write.
      if (splits) journal.setSplits(record.id, splits.records);
      let next = journal.updatePayment(
        record.id,
        patch,
        eventName ?? undefined,
        detail ?? (eventName === 'split_updated' ? splits!.detail : eventDetail(payment)),
      );
      // Off another gateway's own reader, read only since a switch (by its watch, a retry, its details,
      // a notification): what is left to do that needs the switch back is said in the same commit.
      if (next.status !== 'in_progress' && this.engine.onGatewayReader(record) && !this.engine.actsOn(record))
        next = this.endedElsewhere(next);
      // What the close writes (the card the customer agreed to save) is in the same commit: written
      // after it, a kill between the two left the payment paid and the card never kept, since
      // nothing reads a finished payment again.
      if (!SETTLED_STATUSES.has(next.status) && next.status !== 'requires_capture') return next;
      for (const listener of this.closedListeners) listener(next, payment);
      // As a listener left it (a refused approval put in Needs attention): what the screen is told last.
      return journal.getPayment(record.id)!;
    });
    this.engine.changed(updated);
    return updated;
  }

  /**
   * A payment on another gateway's own reader, followed read only since the till switched away from
   * that gateway (PaymentEngine.followedElsewhere), has left the reader: Needs attention says so when
   * what is left to do needs the switch back — an authorisation to capture, or a payment still open
   * at that gateway (the card declined, the reader let it go). Paid, failed or canceled, the journal
   * says it all. In the transaction that moved it (apply does it for every read of it); the payment
   * as it is then.
   */
  endedElsewhere(record: PaymentRecord): PaymentRecord {
    const { journal } = this.engine;
    const active = this.engine.activeGateway();
    if (record.status !== 'requires_capture' && record.status !== 'pending') return record;
    // Only another gateway's, in the till's mode: the one followedElsewhere reads (a switch of gateway).
    if (!active || record.gateway === active.name || record.mode !== this.engine.options.mode()) return record;
    if (record.attentionSince !== null) return record;
    const label = GATEWAY_LABELS[record.gateway];
    const switched = `after the till switched to ${active.label}`;
    const held = formatAmount(record.amountCapturable || record.amount, record.currency);
    const lapses = record.authorizationExpiresAt ? ` on ${record.authorizationExpiresAt.slice(0, 10)}` : '';
    const declined = record.declineCode !== null && declineInfo(record.declineCode).kind === 'declined';
    const [reason, advice] =
      record.status === 'requires_capture'
        ? [
            `Approved on ${label}'s reader ${switched}: ${held} is authorised on the customer's card, not captured.`,
            `Switch back to ${label} in Settings (F7) to capture it on Capture (F4), or cancel it: the till does not capture with ${label} while it uses ${active.label}, and an authorisation not captured lapses${lapses}. Do not charge the customer again.`,
          ]
        : [
            // One sentence of its own: the cashier's decline text asks for another card of a customer
            // likely gone by now (the code stays in the payment's details).
            `${declined ? `The card was declined on ${label}'s reader` : `${label}'s reader ended this payment unpaid`} ${switched}: nothing was charged, and the payment is still open at ${label}.`,
            `Switch back to ${label} in Settings (F7) to try again or cancel it on Process payment (F2); if the customer is still there, take the order's money another way and cancel this payment once switched back.`,
          ];
    const updated = journal.updatePayment(
      record.id,
      {
        attentionReason: reason,
        attentionAdvice: `${advice} ${ENDED_ELSEWHERE_TAIL}`,
        attentionSince: this.engine.nowIso(),
      },
      'ended_elsewhere',
      `${label}'s reader, read with ${label}'s keys while the till uses ${active.label}`,
    );
    this.engine.changed(updated);
    return updated;
  }

  /**
   * The gateway answered about `asRead` in a form the till cannot read (`reason`, said as it was):
   * its status stays as the journal knows it — never guessed — and it needs attention, unless it
   * already does for another reason. The next readable answer (apply) clears it.
   */
  unreadable(asRead: PaymentRecord, reason: string, advice = ADVICE_UNREADABLE_ANSWER): PaymentRecord {
    const { journal } = this.engine;
    const record = journal.getPayment(asRead.id) ?? asRead;
    // Read again until it can be: wherever the answer was met (recovery, a step, a reader's watch).
    for (const listener of this.unreadableListeners) listener(record);
    if (record.attentionSince !== null && !UNREADABLE.has(record.attentionAdvice)) return record;
    // A step in doubt says more than a read of its payment: it stays what the item says.
    if (record.attentionAdvice === ADVICE_UNREADABLE_STEP && advice !== ADVICE_UNREADABLE_STEP) return record;
    // What the gateway answered is quoted; never a key or a card number, whatever it echoed.
    const said = redact(reason);
    if (record.attentionReason === said && record.attentionAdvice === advice) return record;
    const updated = journal.updatePayment(
      record.id,
      {
        attentionReason: said,
        attentionAdvice: advice,
        attentionSince: record.attentionSince ?? this.engine.nowIso(),
      },
      'answer_unreadable',
      said,
    );
    this.engine.changed(updated);
    return updated;
  }

  /**
   * A capture, cancel, refund or settlement step the engine left pending because no answer about it
   * could be read (PaymentEngine.onUnreadable): whether it went through is not known, so it stays
   * queued, and the payment needs attention until the step is done.
   */
  unreadableStep(op: OperationRecord, error: GatewayUnreadable): void {
    const record = this.engine.journal.getPayment(op.paymentId);
    if (!record) return;
    const what = OPERATION_NAMES[op.kind] ?? op.kind;
    const amount = typeof op.params.amount === 'number' ? ` of ${formatAmount(op.params.amount, record.currency)}` : '';
    this.unreadable(
      record,
      `Whether the ${what}${amount} went through is not known: ${error.message.replace(/\.$/, '')}.`,
      ADVICE_UNREADABLE_STEP,
    );
  }

  /**
   * A payment the till did not create (e.g. pushed to its reader by the merchant's server), dated
   * now or, given `createdAt`, then (see Installments.takeIn). `gateway`: the gateway it was read
   * from, when not the active one (a part of a plan made before the till switched gateway). `note`:
   * how the till came by it, for the timeline, when the till did have a hand in it (a plan's part).
   */
  adopt(payment: GatewayPayment, createdAt?: string, gateway?: GatewayName, note?: string): PaymentRecord {
    const { journal } = this.engine;
    const name = gateway ?? this.engine.options.gateway().name;
    // Read from that gateway's account now: its ids are that account's, not another's.
    const existing = journal.findByTransactionId(payment.id, this.engine.readingOf(name));
    if (existing) return existing;
    // Another account's payment of the same id is never taken for this one (its money, its refunds):
    // this one joins the journal beside it (ids are unique per account, migration 029).
    // The create of a payment the cashier recorded as not made, shown by the gateway after all: it
    // is that payment's, taken in there and flagged (Recovery.takeInNotMade), never a stranger's.
    const claimed = this.claimNotMade?.(payment, gateway);
    if (claimed) return claimed;
    const tagged = payment.orderReference;
    const orderReference = tagged && journal.findByOrder(tagged).length === 0 ? tagged : `ext-${payment.reference}`;
    const record = journal.insertPayment(
      newPaymentRecord({
        id: newId('pay'),
        gateway: name,
        mode: this.engine.options.mode(),
        // Read from the account the till uses now (a plan's part only while its plan's is this one).
        account: this.engine.account(),
        // A plan's part read from another gateway than the active one: its account is not the active
        // one's, so it is claimed as an older row is (Journal.claimPaymentAccounts).
        gatewayAccount: gateway && gateway !== this.engine.activeGateway()?.name ? '' : this.engine.gatewayAccount(),
        orderReference,
        attempt: 1,
        idempotencyKey: `adopted-${payment.id}`,
        origin: 'adopted',
        amount: payment.amount,
        currency: payment.currency,
        description: payment.description,
        captureMethod: payment.captureMethod,
        customerId: payment.customerId,
        receiptEmail: payment.receiptEmail,
        status: payment.status,
        transactionId: payment.id,
        reference: payment.reference,
        cardBrand: payment.card?.brand ?? null,
        cardLast4: payment.card?.last4 ?? null,
        amountCapturable: payment.amountCapturable,
        amountCaptured: payment.amountCaptured,
        amountRefunded: payment.amountRefunded,
        payUrl: payment.payUrl,
        payUrlExpiresAt: payment.payUrlExpiresAt,
        authorizationExpiresAt: payment.authorizationExpiresAt,
        channel: adoptedChannel(payment),
      }),
      'adopted',
      note ?? `created outside this till (${payment.reference})`,
      createdAt,
    );
    const splits = splitChanges([], payment.splits);
    if (splits) journal.setSplits(record.id, splits.records);
    this.engine.changed(record);
    return record;
  }
}

/**
 * How a payment the till takes in was paid. A page is there only while it is unpaid: a link taken in
 * once paid (a website's sale refunded here) is still one, by the gateway's method (found in a hunt:
 * its refund counted under "(none)" in the reports, and the journal's list called it "Terminal"). An
 * unpaid one without a page is left as before: the till could not show it to anyone.
 */
function adoptedChannel(payment: GatewayPayment): PaymentChannel {
  if (payment.payUrl) return 'link';
  return payment.methodType === 'link' && payment.status !== 'pending' ? 'link' : 'card_present';
}

/**
 * The shares as the gateway now says, when that differs from the journal (null: nothing to write),
 * with what moved in words for the timeline. A gateway that says nothing of splits changes nothing.
 */
function splitChanges(
  journaled: readonly SplitRecord[],
  remote: readonly SplitState[] | null,
): { records: Omit<SplitRecord, 'position'>[]; detail: string | null } | null {
  if (!remote) return null;
  const records = remote.map((split) => ({
    splitId: split.id,
    merchantId: split.merchantId,
    settlementReference: split.settlementReference,
    amount: split.amount,
    onHold: split.onHold,
    status: split.status,
    releasedAmount: split.releasedAmount,
    refundedAmount: split.refundedAmount,
    releasableAmount: split.releasable,
  }));
  const same =
    records.length === journaled.length &&
    records.every((split, index) => {
      const before = journaled[index]!;
      return (Object.keys(split) as (keyof typeof split)[]).every((field) => before[field] === split[field]);
    });
  if (same) return null;
  const moves = records
    .map((split, index) => {
      const before = journaled[index];
      if (before && before.status === split.status && before.releasedAmount === split.releasedAmount) return null;
      return `${split.merchantId}: ${before ? `${before.status} → ` : ''}${split.status}`;
    })
    .filter((move): move is string => move !== null);
  return { records, detail: moves.length > 0 ? moves.join(', ') : null };
}

/** The decline fields a gateway answer implies (kept, cleared or set). */
function declinePatch(payment: GatewayPayment, onReader: boolean): PaymentPatch {
  const failure = payment.failure;
  // The till's own words, naming the gateway (withoutPayablePage).
  if (payment.status === 'failed' && failure?.code === NO_PAYMENT_PAGE && failure.message)
    return { declineCode: failure.code, declineMessage: failure.message };
  if (payment.status === 'pending' && failure && !onReader) return declineFields(failure.code, failure.message);
  if (payment.status === 'failed' && failure) return declineFields(failure.code, failure.message);
  if (payment.status !== 'pending' || !failure) return { declineCode: null, declineMessage: null };
  return {};
}

/** Cashier text for a decline; a code this app does not know shows the gateway's own words. */
export function declineFields(code: string, gatewayMessage: string | null): PaymentPatch {
  // The gateway's own words for a code the till does not know; the screens label it themselves.
  const message = !isDeclineCode(code) && gatewayMessage ? gatewayMessage : declineInfo(code).cashier;
  return { declineCode: code, declineMessage: message };
}

/** How far along a payment is; a gateway answer that ranks lower than the journal is an old one. */
const STATUS_RANK: Record<string, number> = {
  creating: 0,
  unknown: 0,
  pending: 0,
  in_progress: 0,
  requires_capture: 1,
  succeeded: 2,
  partially_refunded: 3,
  refunded: 4,
  canceled: 5,
  failed: 5,
};

function isStale(record: PaymentRecord, payment: GatewayPayment): boolean {
  if (record.transactionId === null) return false;
  const current = STATUS_RANK[record.status] ?? 0;
  if (current === 5) return payment.status !== record.status && !paidAnyway(record, payment);
  return (
    (STATUS_RANK[payment.status] ?? 0) < current ||
    payment.amountRefunded < record.amountRefunded ||
    payment.amountCaptured < record.amountCaptured
  );
}

/**
 * A link payment the till failed for want of a page (withoutPayablePage) that the gateway says was
 * paid all the same: its order exists, and money that moved is never left out of the journal.
 */
function paidAnyway(record: PaymentRecord, payment: GatewayPayment): boolean {
  const rank = STATUS_RANK[payment.status] ?? 0;
  return record.status === 'failed' && record.declineCode === NO_PAYMENT_PAGE && rank >= 1 && rank <= 4;
}

function eventForStatus(status: string, failureCode: string | null): string {
  if (status === 'pending' && failureCode) return 'declined';
  return status;
}

function eventDetail(payment: GatewayPayment): string | null {
  if (payment.failure) return `${payment.failure.code}${payment.failure.message ? `: ${payment.failure.message}` : ''}`;
  return cardText(payment);
}

/** The card a payment was made with, as the timeline says it ("visa •••• 4242"), or null. */
export function cardText(payment: GatewayPayment): string | null {
  return payment.card ? `${payment.card.brand} •••• ${payment.card.last4}` : null;
}

/**
 * The order's attempt that still holds it — neither failed nor canceled — and whether it is still
 * open (it comes back when asked again) rather than paid (the order then takes no other payment).
 */
export function holdingAttempt(attempts: readonly PaymentRecord[]): { payment: PaymentRecord; open: boolean } | null {
  const payment = attempts.find((p) => p.status !== 'failed' && p.status !== 'canceled');
  if (!payment) return null;
  return { payment, open: ['creating', 'pending', 'in_progress', 'unknown'].includes(payment.status) };
}

/** How a payment that holds its order was paid, in the cashier's words. */
const PAID_AS: Partial<Record<PaymentStatus, string>> = {
  succeeded: 'approved',
  requires_capture: 'authorised, not captured yet',
  partially_refunded: 'approved, partly refunded since',
  refunded: 'approved, refunded since',
};

/**
 * The refusal of a payment or plan for an order already paid: what paid it, in the cashier's words
 * (not its id and raw status, found by a tester), and the order reference named as the field to
 * change, so the form puts the cursor there.
 */
export function alreadyPaid(orderReference: string, payment: PaymentRecord): HostError {
  const how = PAID_AS[payment.status] ?? describeStatus(payment.status);
  return new HostError(
    'conflict',
    `Order ${orderReference} is already paid (${formatAmount(payment.amount, payment.currency)}, ${how}). Use a new order reference.`,
    { issues: [{ path: 'orderReference', message: 'This order is already paid: use a new order reference.' }] },
  );
}

/**
 * A capture, cancel or refund the gateway refused because the payment was settled outside the till
 * meanwhile: what the gateway shows now, and what is left to do (see PaymentSync.settledOutside).
 */
export function settledOutsideText(
  record: Pick<
    PaymentRecord,
    'status' | 'amountCaptured' | 'amountRefunded' | 'currency' | 'channel' | 'captureMethod'
  >,
  what: 'capture' | 'cancel' | 'refund',
  label: string,
): string {
  const money = (minor: number) => formatAmount(minor, record.currency);
  const done = { capture: 'Not captured', cancel: 'Not canceled', refund: 'Not refunded' }[what];
  const refunded = record.amountRefunded > 0 ? `, ${money(record.amountRefunded)} refunded` : '';
  const captured =
    record.amountCaptured > 0 && ['succeeded', 'refunded', 'partially_refunded'].includes(record.status)
      ? ` (${money(record.amountCaptured)} captured${refunded})`
      : '';
  const left = record.amountCaptured - record.amountRefunded;
  const next =
    ['succeeded', 'partially_refunded'].includes(record.status) && left > 0
      ? what === 'refund'
        ? ` At most ${money(left)} is left to refund.`
        : ' Refund it if the money should go back.'
      : '';
  // A link that charges when paid (no capture) was cancelled while it waited for its customer, and
  // only its customer can pay it: they paid first (on their phone, or while the till was down).
  // Nobody settled it elsewhere.
  const paidByCustomer =
    what === 'cancel' &&
    record.channel === 'link' &&
    record.captureMethod === 'automatic' &&
    ['succeeded', 'partially_refunded', 'refunded'].includes(record.status);
  if (paidByCustomer)
    return (
      `${done}: the customer paid the link before the cancel reached ${label}${captured}. It now shows here as ` +
      `${label} has it.${next}`
    );
  return (
    `${done}: ${label} shows this payment ${describeStatus(record.status)} already${captured}, settled outside this ` +
    `till (on ${label}'s dashboard, or by another till). It now shows here as ${label} has it.${next}`
  );
}

/** A payment that ended with no money taken (failed, canceled): a cancel asked for it has nothing left to do. */
export function endedUntaken(record: Pick<PaymentRecord, 'status' | 'amountCaptured'>): boolean {
  return (record.status === 'failed' || record.status === 'canceled') && record.amountCaptured === 0;
}

/** What a refused cancel of such a payment comes to: nothing, and why. */
export function nothingToCancelText(record: Pick<PaymentRecord, 'status'>, label: string): string {
  return `Nothing left to cancel: ${label} shows this payment ${describeStatus(record.status)} already, with no money taken.`;
}

/** Whether the gateway's status or money moved between two reads of a payment. */
export function paymentMoved(
  before: Pick<PaymentRecord, 'status' | 'amountCaptured' | 'amountRefunded'>,
  after: Pick<PaymentRecord, 'status' | 'amountCaptured' | 'amountRefunded'>,
): boolean {
  return (
    after.status !== before.status ||
    after.amountCaptured !== before.amountCaptured ||
    after.amountRefunded !== before.amountRefunded
  );
}

export function describeStatus(status: string): string {
  return status === 'requires_capture' ? 'authorised and waiting for capture' : status.replace('_', ' ');
}
