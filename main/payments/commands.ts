/**
 * The cashier's commands on payments: create, send to a reader, cancel, capture, refund, settle
 * what only a person can know, and look one up. Every step is a journal transition first; every
 * remote call carries the key stored before its first send (see engine.ts).
 */
import type { ParsedCommandInput, PaymentView, RefundView, TransactionDetail } from '../../common/contract';
import { GATEWAY_LABELS } from '../../common/contract/views';
import { formatAmount } from '../../common/money';
import { CONCERT_MAX_AMOUNT } from '../../drivers/protocols/concert/codec';
import { computeTip, type TipChoice } from '../../common/tips';
import { inBackground } from '../core/background';
import { errorText, HostError } from '../core/errors';
import { newId } from '../core/ids';
import { GatewayUnreachable, isGatewayError, LocalRefusal, unreadableAnswer } from '../gateway/errors';
import { paymentLimitIssues } from '../gateway/limits';
import type { DeviceResult, GatewayPayment, GatewayRefund, NewPayment, PaymentGateway } from '../gateway/port';
import {
  newPaymentRecord,
  type PaymentChannel,
  type PaymentPatch,
  type PaymentRecord,
  type SplitRecord,
} from '../store/journal';
import type { PaymentEngine } from './engine';
import { moneyOperation, newPaymentOf, notSentReason, type Recovery } from './recovery';
import {
  alreadyPaid,
  describeStatus,
  holdingAttempt,
  endedUntaken,
  paymentMoved,
  settledOutsideText,
  type PaymentSync,
} from './sync';
import { endedPlanRefusal, planHoldingOrder, runningPlanWayOut } from './installments';
import { cardUnusable } from './saved-cards';
import { orderReferenceOf } from './transactions';
import {
  journaledTransactionView,
  journalOnlyTransactionView,
  refundableByShare,
  toRefundView,
  toTransactionView,
  unsettledTerminalRefund,
} from './views';
import {
  atMostText,
  disputedAmount,
  heldShareWholeText,
  nothingLeftText,
  pendingRefunds,
  shareAtMostText,
  shareSpentText,
  type RefundCount,
} from '../../common/refunds';
import { StandalonePayments, STANDALONE_LABEL, gatewayPaymentOf } from './standalone';
import { createOrderReference, CreateRequests, type ArrivedCreate } from './create-requests';
import type { RemoteWatcher } from './watcher';

type CreateInput = ParsedCommandInput<'payments.create'>;

/** What a refund queued for another gateway than the active one waits for: only the switch back sends it. */
function queuedUntilSwitchBack(record: PaymentRecord): string {
  return `queued: sent once the till switches back to ${GATEWAY_LABELS[record.gateway]}`;
}

/** What a refund queued for the active gateway waits for: the till sends it by itself, never twice. */
function queuedUntilSent(record: PaymentRecord): string {
  return `queued: not at ${GATEWAY_LABELS[record.gateway]} yet; the till sends it by itself`;
}

/**
 * A cancel refused by a reader that has taken the payment (a Concert terminal after its ACK): it may
 * still be waiting for the card, so "being authorised" would be wrong; only the reader stops it now.
 */
function takenByReader(label: string): string {
  return (
    `${label} has taken this payment: the till can no longer stop it. If the sale is off, cancel it on ` +
    `${label} itself (its cancel key) while it asks for the card; its answer then shows here. Once paid, refund it.`
  );
}

/**
 * A create's idempotency key: readable (the order and its attempt), and unique to this till's
 * payment. Two tills on one account may number their orders alike; with the order and attempt
 * alone their keys were the same, and a till's retry or Plural's duplicate-reference lookup took
 * the other till's paid payment for its own (found by a tester: "Approved" with nothing paid).
 */
export function createKey(orderReference: string, attempt: number, paymentId: string): string {
  return `pos-${orderReference}-${attempt}-${paymentId}`;
}

export class CashierCommands {
  /** The charges the screen named, so Esc can cancel one before its payment is reported. */
  private readonly requests = new CreateRequests();

  constructor(
    private readonly engine: PaymentEngine,
    private readonly sync: PaymentSync,
    private readonly recovery: Recovery,
    private readonly watcher: RemoteWatcher,
    private readonly standalone: StandalonePayments,
  ) {}

  private get journal() {
    return this.engine.journal;
  }

  /**
   * Finds a payment by the app's id or the gateway's id, adopting one the till has not seen. A
   * gateway id is the account's the till reads now; another account's payment of that id is found
   * only when this account has none (or cannot say), and the engine then refuses to act on it,
   * naming its account.
   */
  async resolve(ref: string): Promise<PaymentRecord> {
    const { journal } = this;
    // The till's own ids and a gateway's may share a prefix (PayPlug's are pay_… too): the journal
    // is asked both ways before the gateway is.
    const found = journal.getPayment(ref) ?? this.engine.findHere(ref);
    if (found) return found;
    try {
      const payment = await this.engine.call((gateway) => gateway.retrieve(ref));
      // Another till's or the website's sale, looked up to refund, capture or cancel: dated when the
      // gateway made it (its receipt, the transactions list), not when this till first saw it.
      const made = Date.parse(payment.createdAt);
      const createdAt = made <= this.engine.clock.now() ? new Date(made).toISOString() : undefined;
      return this.sync.adopt(payment, createdAt);
    } catch (error) {
      const elsewhere = notHere(error) ? journal.findByTransactionId(ref, 'anyAccount') : undefined;
      if (elsewhere) return elsewhere;
      if (isGatewayError(error) && error.status === 404) throw new HostError('not_found', `No payment ${ref}.`);
      throw error;
    }
  }

  /** A payment's detail, by the gateway's transaction id or by the till's own payment id. */
  async detail(id: string): Promise<TransactionDetail> {
    const here = this.engine.findHere(id);
    const ownId = here ? undefined : this.journal.getPayment(id);
    // A gateway id is the account's the till reads now (its Transactions list): another account's
    // payment of that id is shown only when this account has none, or cannot say.
    if (!here && !ownId && this.journal.findByTransactionId(id, 'anyAccount')) {
      try {
        return await this.detailOf(id, undefined, undefined);
      } catch (error) {
        if (!notHere(error)) throw error;
        const elsewhere = this.journal.findByTransactionId(id, 'anyAccount');
        if (elsewhere) return this.detailOf(id, elsewhere, undefined);
        throw error;
      }
    }
    return this.detailOf(id, here ?? ownId, ownId);
  }

  private async detailOf(
    id: string,
    known: PaymentRecord | undefined,
    ownId: PaymentRecord | undefined,
  ): Promise<TransactionDetail> {
    if (known?.chargedBy === 'terminal') return this.standaloneDetail(known);
    // No gateway transaction (a create never confirmed, or recorded as not made): its record and
    // timeline — who decided what, and why — are the journal's.
    if (ownId && !ownId.transactionId) return this.journalOnlyDetail(ownId);
    // Settled by the cashier from the dashboard of an account the till no longer reads: its record and
    // timeline (who said so) are the journal's; that account is never asked with another's keys.
    if (known && this.engine.otherAccount(known) && this.engine.settledElsewhere(known)) {
      const transaction = journaledTransactionView(known, null);
      const refusal = this.engine.otherAccountRefusal(known);
      if (transaction)
        return {
          offline: false,
          transaction,
          refunds: this.journaledRefunds(known, { queued: null }),
          timeline: this.journal.timeline(known.id),
          payment: this.engine.view(known),
          // Money may be left, but the till cannot refund it: no refund form, this instead.
          ...(refusal ? { refundNotHere: refusal } : {}),
        };
    }
    const transactionId = ownId?.transactionId ?? id;
    // Read only: another gateway's payment made before a switch — an open link, or one paid or ended
    // since — is read with the keys of its own account (readableElsewhere, gatewayToRead), and that
    // gateway's answers say nothing of the active one's connection.
    const readable = known ? this.engine.readableElsewhere(known) : null;
    // Another gateway's payment the till knows but cannot read so (those keys gone or of another
    // account; its reader's approval taken in after the switch, a sale of the morning): its journaled
    // record, that gateway left unasked (found: its details only said to switch back).
    if (known && !readable) {
      const journaled = this.anotherGatewaysDetail(known);
      if (journaled) return journaled;
    }
    const gateway = readable ?? (known ? this.engine.gatewayToRead(known) : this.engine.options.gateway());
    const active = this.engine.activeGateway();
    // The active gateway known not to answer (the banner says so): a payment of this till is shown
    // from its own record at once, as after a read that timed out — not after another timeout of its
    // own (a gateway taking connections and answering nothing held Details 15 s each time). The
    // offline probe notices the gateway back, and a read then moves the payment, which reopens it.
    if (known && gateway.name === active?.name && this.engine.options.connectivity.state === 'offline') {
      const journaled = known.transactionId === transactionId ? this.offlineDetailOrNull(known) : null;
      if (journaled) return journaled;
    }
    let payment: GatewayPayment;
    let refunds: GatewayRefund[];
    try {
      payment = await this.engine.read((g) => g.retrieve(transactionId), gateway);
      refunds = await this.engine.read((g) => g.refunds(transactionId), gateway);
    } catch (error) {
      // Answered about a payment of this till, but not readably: it needs attention, never guessed.
      if (unreadableAnswer(error) && known?.transactionId === transactionId) this.sync.unreadable(known, error.message);
      // The gateway is down, or answered unreadably: a payment this till made is shown from its own
      // record, so the cashier can still refund it (queued) — as the Capture screen works offline.
      if (error instanceof GatewayUnreachable && known)
        return (
          (readable ? this.anotherGatewaysDetail(known) : null) ??
          this.offlineDetail(known, unreadableAnswer(error) ? error.message : null)
        );
      throw error;
    }
    // Seen here, refunded only with its own gateway: no refund form the host would refuse.
    const refundNotHere =
      active && gateway.name !== active.name && payment.amountCaptured > payment.amountRefunded
        ? `This payment was taken with ${gateway.label}; the till now uses ${active.label}. Switch back to ${gateway.label} in Settings (F7) to refund it.`
        : null;
    // Read from that gateway's account now: the journal's payment of the id on that account only.
    const reading = this.engine.readingOf(gateway.name);
    let record = this.journal.findByTransactionId(transactionId, reading);
    if (record) record = this.sync.apply(record, payment, null);
    return {
      offline: false,
      transaction: toTransactionView(
        payment,
        orderReferenceOf(payment, this.journal, reading),
        record ? this.journal.installmentPartOf(record) : null,
      ),
      // Refunds still queued here are not at the gateway yet: listed too — another gateway's until the
      // switch back, the active one's until it is sent (retried after an unclear answer, or a send left
      // unanswered waiting for the settle window). Left out, the details offered the whole amount again,
      // and a second refund went too.
      refunds: [
        ...refunds.map(toRefundView),
        ...(readable && known
          ? this.journaledRefunds(known, { queued: queuedUntilSwitchBack(known) }).filter((r) => r.status === 'queued')
          : record
            ? this.journaledRefunds(record, { queued: queuedUntilSent(record) }).filter((r) => r.status === 'queued')
            : []),
      ],
      timeline: record ? this.journal.timeline(record.id) : [],
      payment: record ? this.engine.view(record) : null,
      ...(refundNotHere ? { refundNotHere } : {}),
    };
  }

  /**
   * Another gateway's payment the till knows and does not follow now, from the journal alone, with no
   * refund form (anotherGatewaysRecord says why). Null for any other payment.
   */
  private anotherGatewaysDetail(record: PaymentRecord): TransactionDetail | null {
    const refundNotHere = this.engine.anotherGatewaysRecord(record);
    const transaction = refundNotHere ? journaledTransactionView(record, this.journal.installmentPartOf(record)) : null;
    if (!refundNotHere || !transaction) return null;
    return {
      offline: false,
      transaction,
      refunds: this.journaledRefunds(record, { queued: queuedUntilSwitchBack(record) }),
      timeline: this.journal.timeline(record.id),
      payment: this.engine.view(record),
      refundNotHere,
    };
  }

  /**
   * A payment's refunds as the journal has them: done ones, and those waiting to be sent, labelled
   * `queued` (when they will be sent); null leaves those out.
   */
  private journaledRefunds(record: PaymentRecord, options: { queued: string | null; reason?: string }): RefundView[] {
    return this.journal
      .operationsFor(record.id)
      .filter(
        (op) =>
          op.kind === 'refund' &&
          (op.state === 'done' || (options.queued !== null && op.state === 'pending')) &&
          typeof op.params.amount === 'number',
      )
      .map((op) => ({
        id: op.idempotencyKey,
        reference: typeof op.result === 'string' ? op.result : op.idempotencyKey,
        amount: op.params.amount as number,
        currency: record.currency,
        // Not the gateway's "pending": it has not been sent, and the reason says when it will be.
        status: op.state === 'done' ? 'succeeded' : 'queued',
        reason:
          op.state === 'pending'
            ? options.queued
            : [options.reason, typeof op.params.reason === 'string' ? op.params.reason : undefined]
                .filter((part) => part !== undefined)
                .join(': ') || null,
        createdAt: op.updatedAt,
      }));
  }

  /**
   * A gateway payment's detail while the gateway cannot be reached, or answered about it unreadably
   * (`unreadable`: what was wrong; it is reachable then, not offline): the till's own record.
   */
  private offlineDetail(record: PaymentRecord, unreadable: string | null): TransactionDetail {
    const transaction = journaledTransactionView(record, this.journal.installmentPartOf(record));
    if (!transaction)
      throw new HostError(
        'offline',
        `The gateway is not answering, and this till has no record of payment ${record.id} at the gateway yet.`,
      );
    return {
      offline: unreadable === null,
      ...(unreadable !== null ? { unreadable } : {}),
      transaction,
      refunds: this.journaledRefunds(record, { queued: 'queued: sent when the gateway answers' }),
      timeline: this.journal.timeline(record.id),
      payment: this.engine.view(record),
    };
  }

  /** The offline detail, or null when the journal has too little of the payment to show one. */
  private offlineDetailOrNull(record: PaymentRecord): TransactionDetail | null {
    return journaledTransactionView(record, this.journal.installmentPartOf(record))
      ? this.offlineDetail(record, null)
      : null;
  }

  /** The detail of a payment the gateway has no transaction for, from the journal alone: nothing to refund. */
  private journalOnlyDetail(record: PaymentRecord): TransactionDetail {
    return {
      offline: false,
      journalOnly: true,
      transaction: journalOnlyTransactionView(
        record,
        notSentReason(record, this.journal.getOperationByKey(record.idempotencyKey)),
      ),
      refunds: [],
      timeline: this.journal.timeline(record.id),
      payment: this.engine.view(record),
    };
  }

  /** A standalone payment's detail, from the journal alone (the terminal's bank keeps no list for the till). */
  private standaloneDetail(record: PaymentRecord): TransactionDetail {
    const refunds = this.journaledRefunds(record, { queued: null, reason: 'credited on the terminal' });
    return {
      offline: false,
      transaction: {
        ...toTransactionView(gatewayPaymentOf(record), record.orderReference),
        paymentMethodType: 'terminal',
      },
      refunds,
      timeline: this.journal.timeline(record.id),
      payment: this.engine.view(record),
    };
  }

  async create(input: CreateInput): Promise<PaymentView> {
    // Before anything is awaited: a cancel that comes next on the bridge finds this create.
    const request = input.requestId ? this.requests.arrived(input.requestId) : null;
    try {
      return await this.createPayment(input, request);
    } finally {
      request?.ended();
    }
  }

  private async createPayment(input: CreateInput, request: ArrivedCreate | null): Promise<PaymentView> {
    const { journal } = this;
    const target = input.readerId ? this.engine.options.readers.resolve(input.readerId) : undefined;
    // Refused before anything is created: a payment made for a reader that cannot take it would
    // be left open behind the cashier.
    if (target?.refusal) throw new HostError('conflict', target.refusal);
    if (input.readerId && target) this.refuseIfHolding(input.readerId, target.label, input.orderReference ?? null);
    if (target?.standalone) return this.createStandalone(input, target.label, request);
    const gateway = this.engine.options.gateway();
    const channel = channelFor(input.channel, input.captureMethod, gateway);
    const tipping = this.tipFields(input);
    checkCreate({ ...input, amount: tipping.amount }, gateway);
    this.checkSavedCard(input, gateway);
    const orderReference = createOrderReference(input);
    // The gateway's own rules (a customer it needs, its split lines) before anything is journaled.
    const splits = splitLinesOf(input);
    gateway.checkCreate?.({
      amount: tipping.amount,
      currency: input.currency,
      captureMethod: input.captureMethod,
      description: input.description ?? null,
      customerId: input.customerId ?? null,
      receiptEmail: input.receiptEmail ?? null,
      orderReference,
      paymentId: '',
      channel,
      savedCardId: input.savedCardId ?? null,
      allowSaveCard: input.saveCard === true,
      customer: input.customer ?? null,
      splits: splits.length > 0 ? splits : null,
    });
    return this.engine.exclusive(`order:${orderReference}`, async () => {
      const attempts = journal.findByOrder(orderReference);
      const open = this.openAttempt(orderReference, attempts, input, channel);
      if (open) return this.handedBack(open, request);
      this.engine.requireOnline(
        'New payments cannot be taken while the gateway is unreachable (card data is never stored for later).',
      );
      const attempt = attempts.length + 1;
      const id = newId('pay');
      const idempotencyKey = createKey(orderReference, attempt, id);
      const awaitingTip = tipping.fields.tipState === 'awaiting';
      const record = journal.atomically(() => {
        const created = journal.insertPayment(
          newPaymentRecord({
            id,
            gateway: gateway.name,
            mode: this.engine.options.mode(),
            account: this.engine.account(),
            // The very account the create is sent to: no other's "no such payment" says anything of it.
            gatewayAccount: this.engine.gatewayAccount(),
            channel,
            orderReference,
            attempt,
            idempotencyKey,
            origin: 'local',
            amount: tipping.amount,
            currency: input.currency,
            description: input.description ?? null,
            captureMethod: input.captureMethod,
            customerId: input.customerId ?? null,
            receiptEmail: input.receiptEmail ?? null,
            savedCardId: input.savedCardId ?? null,
            status: 'creating',
            // The reader it goes to once the customer has chosen the tip.
            readerId: awaitingTip ? (input.readerId ?? null) : null,
            ...tipping.fields,
            createExtras:
              awaitingTip && (input.saveCard || input.customer)
                ? JSON.stringify({ saveCard: input.saveCard === true, customer: input.customer ?? null })
                : null,
          }),
          'created',
          `${formatAmount(tipping.amount, input.currency)}${tippingNote(tipping.fields, input.currency)}, ${input.captureMethod} capture, order ${orderReference}${channelNote(channel, input.savedCardId)}`,
        );
        // The shares as asked for, until the gateway says how it holds them.
        if (splits.length > 0)
          journal.setSplits(
            created.id,
            splits.map((split) => ({
              ...split,
              splitId: null,
              status: 'REQUESTED',
              releasedAmount: 0,
              releasableAmount: null,
              refundedAmount: 0,
            })),
          );
        if (request?.cancelAsked) return this.canceledUnsent(created);
        // Waiting for the customer's tip: nothing is sent anywhere until it is chosen (chooseTip).
        if (!awaitingTip)
          journal.addOperation(created.id, 'create', idempotencyKey, createParams(created, input), { sending: true });
        return created;
      });
      request?.has(record.id);
      this.engine.changed(record);
      if (awaitingTip || record.status === 'canceled') return this.engine.view(record);
      // Under the payment's own lock too, like every other sender of this create (recovery at a
      // reconnect, the cashier's Check again): on a gateway without idempotency keys, two sends
      // overlapping between their look-ups would make two payments.
      return this.engine.view(await this.engine.exclusive(record.id, () => this.recovery.sendCreate(record, true)));
    });
  }

  /**
   * A saved card is charged only for the customer who saved it on this till, and never after they
   * asked the till to forget it (the gateway has no way to delete it: the till is what refuses).
   */
  private checkSavedCard(input: CreateInput, gateway: PaymentGateway): void {
    if (!input.savedCardId || !gateway.capabilities.savedCards) return;
    const email = input.customer?.email;
    const card = email
      ? this.journal
          .savedCards(gateway.name, email, this.engine.options.mode())
          .find((saved) => saved.cardId === input.savedCardId)
      : undefined;
    if (card) {
      // An expired card is refused here, before anything is journaled: no failed payment is left
      // behind to look like a decline (found by a tester: counted as declined, and "journal only").
      const unusable = cardUnusable(card, gateway.limits, this.engine.clock.now());
      if (unusable)
        throw new HostError('validation', unusable, { issues: [{ path: 'savedCardId', message: unusable }] });
      return;
    }
    const mode = this.engine.options.mode();
    const otherMode = mode === 'live' ? 'test' : 'live';
    const other = email ? this.journal.savedCard(gateway.name, otherMode, input.savedCardId) : undefined;
    const message =
      other && other.customer === email!.toLowerCase()
        ? `this card was saved in ${other.mode} mode: it cannot be charged in ${mode} mode`
        : email
          ? `not a card ${email} saved on this till, or they asked to forget it`
          : 'name the customer who saved the card';
    throw new HostError('validation', `savedCardId: ${message}`, { issues: [{ path: 'savedCardId', message }] });
  }

  /** An order's attempt that is still open (the same one comes back) or paid (refused); null: none. */
  private openAttempt(
    orderReference: string,
    attempts: PaymentRecord[],
    input: CreateInput,
    channel: PaymentChannel,
  ): PaymentView | null {
    const plan = planHoldingOrder(this.journal, orderReference);
    if (plan) {
      throw (
        endedPlanRefusal(orderReference, plan) ??
        new HostError(
          'conflict',
          `Order ${orderReference} is paid in installments (plan ${plan.id}, ${plan.status}). ${runningPlanWayOut(plan, 'charging the order another way')}`,
        )
      );
    }
    const holding = holdingAttempt(attempts);
    if (!holding) return null;
    const live = holding.payment;
    if (holding.open) {
      // An unpaid link the gateway cannot withdraw (Plural) cannot be cancelled: the way out is a new order.
      const gateway = this.engine.gatewayFor(live);
      const stuck = live.status === 'pending' && live.channel === 'link' && !gateway.capabilities.cancelsUnpaidLink;
      const wayOut = (other: string) =>
        stuck
          ? `${gateway.label} cannot withdraw its unpaid payment link: take its QR code down and charge under a new order reference.`
          : `Cancel it before charging ${other}.`;
      if ((live.preTipAmount ?? live.amount) !== input.amount || live.currency !== input.currency) {
        throw new HostError(
          'conflict',
          `Order ${orderReference} already has an open payment of ${formatAmount(live.amount, live.currency)} (${live.id}). ${wayOut('a different amount')}`,
        );
      }
      // "Manual" on an order whose open link charges at once got that link back: the customer's
      // card was charged instead of only authorised (or, the other way round, never captured).
      if (live.captureMethod !== input.captureMethod) {
        const how = (method: string) => (method === 'manual' ? 'authorised for a later capture' : 'charged at once');
        throw new HostError(
          'conflict',
          `Order ${orderReference} already has an open payment (${live.id}) ${how(live.captureMethod)}, not ${how(input.captureMethod)}. ${wayOut('the order the other way')}`,
          { issues: [{ path: 'captureMethod', message: `the open payment is ${how(live.captureMethod)}` }] },
        );
      }
      // Nor a reader payment for a QR code asked (or the other way round): the customer would be
      // shown a way to pay that is not there.
      if (live.channel !== channel) {
        const how = (way: PaymentChannel) => (way === 'link' ? 'by payment link (QR code)' : 'on a card reader');
        throw new HostError(
          'conflict',
          `Order ${orderReference} already has an open payment (${live.id}) ${how(live.channel)}, not ${how(channel)}. ${wayOut('the order the other way')}`,
          { issues: [{ path: 'channel', message: `the open payment is ${how(live.channel)}` }] },
        );
      }
      if (!sameShares(this.journal.splitsOf(live.id), input.splits ?? [])) {
        throw new HostError(
          'conflict',
          `Order ${orderReference} already has an open payment (${live.id}) shared between merchants differently. ${wayOut('with other shares')}`,
        );
      }
      return this.engine.view(live);
    }
    throw alreadyPaid(orderReference, live);
  }

  /**
   * A payment on a terminal that charges through the shop's own bank: journaled with the till's
   * own id for it, never sent to the gateway. Pending at once (or waiting for its tip).
   */
  private async createStandalone(
    input: CreateInput,
    readerLabel: string,
    request: ArrivedCreate | null,
  ): Promise<PaymentView> {
    const { journal } = this;
    const issues: { path: string; message: string }[] = [];
    if (input.channel === 'link')
      issues.push({ path: 'channel', message: 'a terminal on its own bank takes cards only' });
    if (input.captureMethod === 'manual')
      issues.push({ path: 'captureMethod', message: 'a terminal on its own bank charges at once' });
    if (input.savedCardId || input.saveCard || input.customer)
      issues.push({ path: 'savedCardId', message: 'saved cards live at the gateway, not on the terminal' });
    const tipping = this.tipFields(input);
    // The terminal's amount field is eight digits of minor units.
    if (tipping.amount > CONCERT_MAX_AMOUNT)
      issues.push({
        path: 'amount',
        message: `at most ${formatAmount(CONCERT_MAX_AMOUNT, input.currency)} on a terminal`,
      });
    if (issues.length > 0) {
      throw new HostError('validation', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
    }
    const orderReference = createOrderReference(input);
    return this.engine.exclusive(`order:${orderReference}`, async () => {
      const attempts = journal.findByOrder(orderReference);
      const open = this.openAttempt(orderReference, attempts, input, 'card_present');
      if (open) return this.handedBack(open, request);
      const attempt = attempts.length + 1;
      const awaitingTip = tipping.fields.tipState === 'awaiting';
      const transactionId = StandalonePayments.transactionId();
      const id = newId('pay');
      const inserted = journal.insertPayment(
        newPaymentRecord({
          id,
          gateway: this.engine.activeGateway()?.name ?? 'plutopay',
          mode: this.engine.options.mode(),
          channel: 'card_present',
          orderReference,
          attempt,
          idempotencyKey: createKey(orderReference, attempt, id),
          origin: 'local',
          amount: tipping.amount,
          currency: input.currency,
          description: input.description ?? null,
          captureMethod: 'automatic',
          customerId: input.customerId ?? null,
          receiptEmail: input.receiptEmail ?? null,
          status: awaitingTip ? 'creating' : 'pending',
          transactionId,
          reference: transactionId,
          readerId: awaitingTip ? (input.readerId ?? null) : null,
          chargedBy: 'terminal',
          ...tipping.fields,
        }),
        'created',
        `${formatAmount(tipping.amount, input.currency)}${tippingNote(tipping.fields, input.currency)}, order ${orderReference}, on ${readerLabel} (charged through the shop's bank)`,
      );
      const record = request?.cancelAsked ? this.canceledUnsent(inserted) : inserted;
      request?.has(record.id);
      this.engine.changed(record);
      return this.engine.view(record);
    });
  }

  /** What a create's tip means for the payment: the amount to charge and the journal's tip fields. */
  private tipFields(input: CreateInput): { amount: number; fields: PaymentPatch } {
    const wanted = input.tip !== undefined || input.askTip === true;
    if (!wanted) return { amount: input.amount, fields: {} };
    if (!this.engine.options.counter?.tipping()) {
      throw new HostError('validation', 'Tipping is off. Turn it on in Settings (F7) to add a tip.', {
        issues: [{ path: 'tip', message: 'tipping is off' }],
      });
    }
    if (input.splits) {
      // The shares must add up to the amount, which a tip would change after they were set.
      throw new HostError(
        'validation',
        'A payment shared between merchants takes no tip: add the tip to the share of the merchant it is for.',
        { issues: [{ path: 'tip', message: 'a split payment takes no tip' }] },
      );
    }
    if (input.tip !== undefined && input.askTip) {
      throw new HostError('validation', 'Either type the tip or let the customer choose it, not both.', {
        issues: [{ path: 'tip', message: 'a tip was typed and the customer was asked' }],
      });
    }
    if (input.askTip) {
      return {
        amount: input.amount,
        fields: { preTipAmount: input.amount, tipAmount: 0, tipPercent: null, tipState: 'awaiting' },
      };
    }
    const tip = tipOrThrow(input.amount, input.currency, input.tip!);
    return {
      amount: tip.total,
      fields: { preTipAmount: input.amount, tipAmount: tip.tip, tipPercent: tip.percent, tipState: 'chosen' },
    };
  }

  /**
   * The tip of a payment that waits for one, chosen by the customer (display) or typed by the
   * cashier. In one durable write the amount becomes the total and the create is journaled with
   * its key; only then does anything go to the gateway. The payment then goes to the reader it
   * was meant for, if any.
   */
  async chooseTip(input: { paymentId: string; tip: TipChoice }, by: 'customer' | 'cashier'): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    const view = await this.engine.exclusive(payment.id, async () => {
      const { journal } = this;
      const record = journal.getPayment(payment.id)!;
      if (record.tipState !== 'awaiting' || record.status !== 'creating' || record.preTipAmount === null) {
        throw new HostError(
          'conflict',
          record.tipState === 'chosen'
            ? 'The tip of this payment was already chosen.'
            : 'This payment is not waiting for a tip.',
        );
      }
      const tip = tipOrThrow(record.preTipAmount, record.currency, input.tip);
      const note = `${tip.tip === 0 ? 'no tip' : `${formatAmount(tip.tip, record.currency)}${tip.percent !== null ? ` (${tip.percent} %)` : ''}`} by the ${by}; total ${formatAmount(tip.total, record.currency)}`;
      if (record.chargedBy === 'terminal') {
        // The terminal's amount field is eight digits of minor units, the tip included.
        if (tip.total > CONCERT_MAX_AMOUNT) {
          const message = `at most ${formatAmount(CONCERT_MAX_AMOUNT, record.currency)} on a terminal, tip included`;
          throw new HostError('validation', `tip: ${message}`, { issues: [{ path: 'tip', message }] });
        }
        const updated = journal.updatePayment(
          record.id,
          { amount: tip.total, tipAmount: tip.tip, tipPercent: tip.percent, tipState: 'chosen', status: 'pending' },
          'tip_chosen',
          note,
        );
        this.engine.changed(updated);
        return this.engine.view(updated);
      }
      const gateway = this.engine.gatewayFor(record);
      const issues = paymentLimitIssues(
        { amount: tip.total, currency: record.currency, description: record.description ?? undefined },
        gateway.limits,
        gateway.label,
      );
      if (issues.length > 0) {
        throw new HostError(
          'validation',
          issues.map((i) => `${i.path === 'amount' ? 'tip' : i.path}: ${i.message}`).join('; '),
          {
            issues: issues.map((i) => ({ ...i, path: i.path === 'amount' ? 'tip' : i.path })),
          },
        );
      }
      this.engine.requireOnline(
        'The gateway is unreachable, so the payment cannot be created yet. Try again in a moment.',
      );
      const extra = record.createExtras
        ? (JSON.parse(record.createExtras) as {
            saveCard: boolean;
            customer: { email: string; firstName: string; lastName: string } | null;
          })
        : { saveCard: false, customer: null };
      const chosen = journal.atomically(() => {
        const updated = journal.updatePayment(
          record.id,
          { amount: tip.total, tipAmount: tip.tip, tipPercent: tip.percent, tipState: 'chosen', createExtras: null },
          'tip_chosen',
          note,
        );
        journal.addOperation(
          record.id,
          'create',
          record.idempotencyKey,
          createParams(updated, { saveCard: extra.saveCard, customer: extra.customer ?? undefined }),
          { sending: true },
        );
        return updated;
      });
      this.engine.changed(chosen);
      return this.engine.view(await this.recovery.sendCreate(chosen, true));
    });
    const readerId = this.journal.getPayment(view.id)?.readerId ?? null;
    if (view.status === 'pending' && view.channel === 'card_present' && readerId) {
      // Off to the reader the cashier charged it on; a failure leaves it pending on the Process screen.
      inBackground(this.process({ paymentId: view.id, readerId }), (error) =>
        this.engine.options.log(`Could not send ${view.id} to its reader after the tip`, errorText(error)),
      );
    }
    return view;
  }

  async process(input: { paymentId: string; readerId: string }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.engine.exclusive(payment.id, async () => {
      const { journal } = this;
      let record = journal.getPayment(payment.id)!;
      if (record.cancelAskedAt !== null && record.status === 'pending' && record.chargedBy === 'terminal') {
        throw new HostError('conflict', 'The cashier asked to cancel this payment: it is not sent to a reader.');
      }
      if (record.chargedBy === 'terminal') return this.engine.view(this.processStandalone(record, input.readerId));
      const gateway = this.engine.gatewayFor(record);
      if (!gateway.readers || record.channel !== 'card_present') {
        throw new HostError(
          'conflict',
          record.channel === 'link'
            ? 'This payment is paid by link: show its QR code to the customer.'
            : `${gateway.label} does not take payments on a reader.`,
        );
      }
      if (record.tipState === 'awaiting') {
        throw new HostError('conflict', 'The customer has not chosen a tip yet. Wait for them, or type the tip.');
      }
      if (record.status === 'creating' || record.status === 'unknown') record = await this.recovery.reconcile(record);
      if (record.status === 'in_progress' && record.readerId === input.readerId) return this.engine.view(record);
      if (record.cancelAskedAt !== null && record.status === 'pending') {
        throw new HostError('conflict', 'The cashier asked to cancel this payment: it is not sent to a reader.');
      }
      if (record.status !== 'pending') {
        throw new HostError(
          'conflict',
          `This payment is ${describeStatus(record.status)}; only a pending payment can be sent to a reader.`,
        );
      }
      const reader = this.engine.options.readers.resolve(input.readerId);
      if (!reader) throw new HostError('not_found', `No reader ${input.readerId}.`);
      if (reader.standalone) {
        throw new HostError(
          'conflict',
          `${reader.label} charges through the shop's own bank, not through ${gateway.label}: start a new payment on it (Create payment, F1).`,
        );
      }
      if (!reader.online)
        throw new HostError('conflict', `${reader.label} is not online. Reconnect it or pick another reader.`);
      this.refuseIfHolding(input.readerId, reader.label, record.id);
      this.engine.requireOnline('The gateway is unreachable, so the payment cannot be sent to the reader.');
      const transactionId = record.transactionId!;
      const attempt = journal.operationStates(record.id).filter((op) => op.kind === 'process').length + 1;
      const paymentId = record.id;
      // The transition and the operation that carries it out: one durable write before the send.
      const sent = journal.atomically(() => {
        const updated = journal.updatePayment(
          paymentId,
          {
            status: 'in_progress',
            readerId: input.readerId,
            readerStage: 'sent',
            declineCode: null,
            declineMessage: null,
          },
          'sent_to_reader',
          reader.label,
        );
        this.engine.changed(updated);
        return {
          updated,
          op: journal.addOperation(
            paymentId,
            'process',
            `process-${paymentId}-${attempt}`,
            { readerId: input.readerId },
            { sending: true },
          ),
        };
      });
      record = sent.updated;
      const previousActionId = record.actionId;
      try {
        record = await this.engine.perform(sent.op, {
          send: (g) => g.readers!.push(transactionId, reader.gatewayReaderId),
          check: async (g) => {
            const current = await g.readers!.get(reader.gatewayReaderId);
            const action = current.action?.paymentId === transactionId ? current.action : null;
            // An action for this payment other than the last push's proves this push arrived, even
            // if the reader already finished it (a fast reader, a lost answer).
            return action && (action.status === 'in_progress' || action.id !== previousActionId) ? current : null;
          },
          queue: false,
          firstSendJournaled: true,
          // The push's answer only names the reader's action; the card's outcome comes later, durably.
          answerIs: () => 'progress',
          settle: (remote) => {
            const current = journal.getPayment(paymentId)!;
            return current.status === 'in_progress' && remote.action
              ? journal.updatePayment(paymentId, { actionId: remote.action.id })
              : current;
          },
        });
        if (!reader.hosted) this.watcher.follow(record.id);
        return this.engine.view(record);
      } catch (error) {
        // A refusal may mean the payment moved on without this till hearing of it (approved on a
        // reader the gateway hosts, then pushed again): ask the gateway before putting it back to
        // pending (found by the soak: pending for ever here, the money taken there).
        if (isGatewayError(error)) {
          const synced = await this.recovery.reconcile(journal.getPayment(record.id)!).catch(() => null);
          if (synced && synced.status !== 'pending' && synced.status !== 'in_progress') return this.engine.view(synced);
        }
        // The reader never got it: back to pending so the cashier can try again or elsewhere.
        const current = journal.getPayment(record.id)!;
        if (current.status === 'in_progress' && current.readerStage === 'sent') {
          this.engine.changed(
            journal.updatePayment(
              record.id,
              { status: 'pending', readerId: null, readerStage: null },
              'reader_push_failed',
              errorText(error),
            ),
          );
        }
        // The gateway names the reader by its own id (tmr_…), which no screen shows: said with the
        // reader's label and, when this till put it there, the payment it holds.
        if (isGatewayError(error) && error.code === 'reader_busy') {
          const held = journal.heldByReader(input.readerId);
          const holding = held && held.id !== record.id ? held : null;
          throw new HostError(
            'conflict',
            `${reader.label} is busy with another payment` +
              (holding ? ` (${formatAmount(holding.amount, holding.currency)}, order ${holding.orderReference})` : '') +
              '. Wait for it to finish, cancel it, or pick another reader.',
          );
        }
        throw error;
      }
    });
  }

  /**
   * A reader that took a payment and could not say how it ended may still hold it: the gateway
   * (or the terminal) refuses another one with a bare "busy", and the cashier would not know why.
   */
  private refuseIfHolding(readerId: string, label: string, mine: string | null): void {
    const held = this.journal.unresolvedOnReader(readerId);
    // Its own payment (or order: charging it again shows the open attempt) is not "another" one.
    if (!held || held.id === mine || held.orderReference === mine) return;
    throw new HostError(
      'conflict',
      `${label} is busy with another payment whose outcome is unknown (${formatAmount(held.amount, held.currency)}, order ${held.orderReference}). ` +
        'Settle it in Needs attention (F8) first, or use another reader.',
    );
  }

  private processStandalone(record: PaymentRecord, readerId: string): PaymentRecord {
    this.engine.requireMode(record);
    if (record.tipState === 'awaiting') {
      throw new HostError('conflict', 'The customer has not chosen a tip yet. Wait for them, or type the tip.');
    }
    if (record.status === 'in_progress' && record.readerId === readerId) return record;
    if (record.status !== 'pending') {
      throw new HostError(
        'conflict',
        `This payment is ${describeStatus(record.status)}; only a pending payment can be sent to a terminal.`,
      );
    }
    const reader = this.engine.options.readers.resolve(readerId);
    if (!reader) throw new HostError('not_found', `No reader ${readerId}.`);
    this.refuseIfHolding(readerId, reader.label, record.id);
    if (!reader.standalone) {
      throw new HostError(
        'conflict',
        `This payment is charged through the shop's own bank: send it to a terminal that charges through it, not ${reader.label}.`,
      );
    }
    if (!reader.online)
      throw new HostError('conflict', `${reader.label} is not connected. Plug it in, or pick another terminal.`);
    // The till is this terminal's gateway, so it refuses what a gateway refuses: a second payment
    // on a terminal that has one would take the first off it while the customer may be paying.
    const busy = this.journal.heldByReader(readerId);
    if (busy && busy.id !== record.id) {
      throw new HostError(
        'conflict',
        `${reader.label} is busy with another payment (${formatAmount(busy.amount, busy.currency)}, order ${busy.orderReference}). ` +
          'Wait for it to finish, cancel it, or pick another terminal.',
      );
    }
    return this.standalone.send(record, { id: readerId, label: reader.label });
  }

  async cancel(input: { paymentId: string }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    this.noteCancelAsked(payment);
    return this.engine.exclusive(payment.id, async () => {
      const { journal } = this;
      let record = journal.getPayment(payment.id)!;
      if (record.status === 'canceled') return this.engine.view(record);
      if (!['pending', 'in_progress', 'requires_capture', 'creating', 'unknown'].includes(record.status)) {
        throw new HostError(
          'conflict',
          `This payment is ${describeStatus(record.status)} and cannot be canceled${record.status === 'succeeded' ? '; refund it instead' : ''}.`,
        );
      }
      if (record.installmentPlanId !== null && record.status === 'pending') {
        // Cancelling an unpaid part ends the customer's whole plan at the gateway: that is an abort,
        // which cannot be undone and is confirmed on the plan's panel.
        throw new HostError(
          'conflict',
          'This payment is an installment of a plan: cancelling it alone would end the whole plan. Use Abort plan on the plan (Process payment, or Transactions → Installment plans), which asks first.',
        );
      }
      if (record.tipState === 'awaiting' && record.status === 'creating') {
        // Nothing was sent anywhere yet: canceling is the journal's business only.
        const canceled = journal.updatePayment(
          record.id,
          { status: 'canceled', tipState: null, readerId: null, createExtras: null },
          'canceled',
          'before the tip was chosen; nothing was sent',
        );
        this.engine.changed(canceled);
        return this.engine.view(canceled);
      }
      const approval = journal
        .pendingOperationsFor(record.id, 'report')
        .find((op) => (op.params.result as DeviceResult | undefined)?.outcome === 'approved');
      if (approval) {
        // The reader approved the card and the journal holds it, waiting to be posted (the gateway did
        // not take it yet, the reader went away): a cancel now would call canceled a charged card.
        throw new HostError(
          'conflict',
          'The reader approved this card; the app is still telling the gateway. Wait for the payment to show paid, then refund it if it must be undone.',
        );
      }
      if (record.chargedBy === 'terminal') return this.engine.view(await this.cancelStandalone(record));
      const gateway = this.engine.gatewayFor(record);
      if (record.status === 'creating' || record.status === 'unknown') record = await this.recovery.reconcile(record);
      if (record.status === 'unknown' && record.readerId && record.actionId) {
        // A reader had the card request and could not say how it ended: it may have charged the
        // card. Canceling at the gateway would then say "no money taken" about money taken.
        throw new HostError(
          'conflict',
          'The reader may have charged this card. Check the reader or its last receipt, then say what it shows in Needs attention (F8).',
        );
      }
      if (record.status === 'in_progress' && record.readerId) {
        const reader = this.engine.options.readers.resolve(record.readerId);
        if (reader?.hosted) {
          const stopped = await this.engine.options.readers.cancelCollection(record.readerId);
          if (stopped === 'taken') throw new HostError('conflict', takenByReader(reader.label));
          if (stopped === 'too_late') {
            throw new HostError(
              'conflict',
              'The card is being authorised; it can no longer be canceled on the reader. Wait for the result, then cancel or refund.',
            );
          }
        } else if (reader && gateway.readers) {
          await this.engine
            .call((g) => g.readers!.cancelAction(reader.gatewayReaderId), gateway)
            .catch((error: unknown) => {
              if (!isGatewayError(error, 'terminal_error')) throw error;
            });
        }
      }
      record = journal.getPayment(record.id)!;
      if (record.status === 'canceled') return this.engine.view(record);
      if (['succeeded', 'failed', 'refunded', 'partially_refunded'].includes(record.status)) {
        throw new HostError(
          'conflict',
          `The payment finished as ${describeStatus(record.status)} before it could be canceled.`,
        );
      }
      const op = journal.addOperation(record.id, 'cancel', this.freshKey(record.id, 'cancel'), {});
      // The answer and the operation it closes are one commit: a kill between them would leave a
      // done operation on a payment that does not show it.
      const canceled = await this.settledOutside(record, 'cancel', gateway, () =>
        this.engine.perform(op, {
          ...moneyOperation(op, record),
          queue: record.status === 'requires_capture',
          settle: (answer) => this.sync.apply(journal.getPayment(record.id)!, answer, 'canceled'),
        }),
      );
      return this.engine.view(canceled);
    });
  }

  /**
   * Esc on a charge whose payment the screen has not heard of yet, named by the create's request id.
   * Its create may not have reached the host (the cancel overtook it: it is held, and the create
   * journals its payment canceled, sending nothing), may be waiting to journal it (it does so with
   * the cancel in the same commit), or may have journaled it (cancelled as any payment). Null: held.
   */
  async cancelCreate(input: { requestId: string; orderReference: string }): Promise<PaymentView | null> {
    const request = this.requests.askCancel(input.requestId);
    if (!request.received) {
      // The order's open payment, which that create would hand back, is cancelled now.
      const holding = holdingAttempt(this.journal.findByOrder(input.orderReference));
      return holding?.open ? this.cancel({ paymentId: holding.payment.id }) : null;
    }
    const paymentId = request.paymentId ?? (await request.decided);
    if (paymentId === null) {
      throw new HostError(
        'not_found',
        `The payment of order ${input.orderReference} was not created (the till refused it): there is nothing to cancel.`,
      );
    }
    return this.cancel({ paymentId });
  }

  /** A create that found its order's payment open hands it back; asked to cancel, it is not sent to a reader. */
  private handedBack(open: PaymentView, request: ArrivedCreate | null): PaymentView {
    request?.has(open.id);
    const record = this.journal.getPayment(open.id);
    if (!request?.cancelAsked || !record || record.cancelAskedAt !== null) return open;
    if (record.status !== 'creating' && record.status !== 'pending') return open;
    if (record.tipState === 'awaiting') return open;
    const asked = this.journal.updatePayment(
      record.id,
      { cancelAskedAt: this.engine.nowIso() },
      'cancel_asked',
      'before the charge reached the till; it is not sent to a reader',
    );
    this.engine.changed(asked);
    return this.engine.view(asked);
  }

  /** A payment whose cancel reached the host before its create: journaled canceled, nothing sent. */
  private canceledUnsent(record: PaymentRecord): PaymentRecord {
    return this.journal.updatePayment(
      record.id,
      { status: 'canceled', cancelAskedAt: this.engine.nowIso(), tipState: null, readerId: null, createExtras: null },
      'canceled',
      'by the cashier before the till had it; nothing was sent to the gateway or a reader',
    );
  }

  /**
   * A payment still being created cannot be cancelled before the gateway answers its create (the
   * cancel waits for it, under the payment's lock): the cashier's asking is journaled at once, so the
   * screen shows it being cancelled even after a reload, nothing sends it to a reader meanwhile, and a
   * restart cancels it (recovery) rather than forgetting it.
   */
  private noteCancelAsked(payment: PaymentRecord): void {
    const record = this.journal.getPayment(payment.id) ?? payment;
    if (record.status !== 'creating' || record.tipState === 'awaiting' || record.cancelAskedAt !== null) return;
    if (record.chargedBy === 'terminal') return;
    const asked = this.journal.updatePayment(
      record.id,
      { cancelAskedAt: this.engine.nowIso() },
      'cancel_asked',
      'while it was being created; sent once the gateway has it',
    );
    this.engine.changed(asked);
  }

  private async cancelStandalone(record: PaymentRecord): Promise<PaymentRecord> {
    if (record.status === 'unknown') {
      throw new HostError(
        'conflict',
        'The terminal may have charged this card. Check its last ticket, then say what it shows in Needs attention (F8).',
      );
    }
    if (record.status === 'in_progress' && record.readerId) {
      const stopped = await this.engine.options.readers.cancelCollection(record.readerId);
      if (stopped === 'taken')
        throw new HostError(
          'conflict',
          takenByReader(this.engine.options.readers.resolve(record.readerId)?.label ?? 'The terminal'),
        );
      if (stopped === 'too_late') {
        throw new HostError(
          'conflict',
          'The terminal is authorising the card; it can no longer be canceled. Wait for the result, then refund if needed.',
        );
      }
    }
    const current = this.journal.getPayment(record.id)!;
    if (['succeeded', 'refunded', 'partially_refunded', 'failed'].includes(current.status)) {
      throw new HostError(
        'conflict',
        `The payment finished as ${describeStatus(current.status)} before it could be canceled.`,
      );
    }
    if (current.status === 'canceled') return current;
    return this.standalone.cancel(current);
  }

  async capture(input: { paymentId: string; amount?: number | undefined }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.engine.exclusive(payment.id, async () => {
      const { journal } = this;
      const record = journal.getPayment(payment.id)!;
      if (record.status !== 'requires_capture') {
        throw new HostError(
          'conflict',
          `Only an authorised, uncaptured payment can be captured; this one is ${describeStatus(record.status)}.`,
        );
      }
      const gateway = this.engine.gatewayFor(record);
      // Each refusal names the field with the whole sentence: the Capture screen shows it under the
      // amount, as the cashier's words, never a bare number of cents.
      const refuse = (message: string): never => {
        throw new HostError('validation', message, { issues: [{ path: 'amount', message }] });
      };
      if (input.amount !== undefined && input.amount > record.amountCapturable) {
        refuse(`At most ${formatAmount(record.amountCapturable, record.currency)} can be captured.`);
      }
      if (
        input.amount !== undefined &&
        input.amount < record.amountCapturable &&
        !gateway.capabilities.partialCapture
      ) {
        refuse(
          `${gateway.label} captures the whole authorised amount (${formatAmount(record.amountCapturable, record.currency)}); capture it all, then refund the difference.`,
        );
      }
      const op = journal.addOperation(
        record.id,
        'capture',
        this.freshKey(record.id, 'capture'),
        input.amount !== undefined ? { amount: input.amount } : {},
        { sending: true },
      );
      const captured = await this.settledOutside(record, 'capture', gateway, () =>
        this.engine.perform(op, {
          ...moneyOperation(op, record),
          queue: true,
          firstSendJournaled: true,
          settle: (p) =>
            this.sync.apply(
              journal.getPayment(record.id)!,
              p,
              'captured',
              formatAmount(p.amountCaptured, record.currency),
            ),
        }),
      );
      return this.engine.view(captured);
    });
  }

  /**
   * Sends a capture, cancel or refund the cashier asked for now. The gateway refusing it may mean the
   * payment was settled outside the till since the till last read it (refunded, captured or canceled
   * on the gateway's dashboard, or by another till): the payment is then read again, so the journal,
   * and the buttons every screen offers from it, follow the gateway, and the refusal says what
   * happened in the cashier's words. When the payment did not move, the gateway's refusal stands.
   */
  private async settledOutside(
    record: PaymentRecord,
    what: 'capture' | 'cancel' | 'refund',
    gateway: PaymentGateway,
    send: () => Promise<PaymentRecord>,
  ): Promise<PaymentRecord> {
    try {
      return await send();
    } catch (error) {
      if (!isGatewayError(error)) throw error;
      const after = await this.sync.readAfterRefusal(record, gateway);
      if (!after || !paymentMoved(record, after)) throw error;
      // A cancel whose link lapsed unpaid (or was cancelled on its page) meanwhile: done as asked.
      if (what === 'cancel' && endedUntaken(after)) return after;
      throw new HostError('conflict', settledOutsideText(after, what, gateway.label));
    }
  }

  /**
   * The key of a new capture or cancel: `capture-<payment>` / `cancel-<payment>` the first time,
   * then `-2`, `-3`… after ones the gateway refused (a refusal changed nothing: asking again is a
   * new operation, and reusing the refused one's key would replay its refusal). One still pending
   * — queued, or being sent — is not asked for twice.
   */
  private freshKey(paymentId: string, kind: 'capture' | 'cancel'): string {
    const operations = this.journal.operationStates(paymentId);
    // A capture and a cancel of one authorisation exclude each other: once one is queued, the
    // cashier's instruction is given, and a second, opposite one would be sent or dropped behind it.
    const queued = operations.find((op) => (op.kind === 'capture' || op.kind === 'cancel') && op.state === 'pending');
    if (queued)
      throw new HostError(
        'conflict',
        queued.kind === kind
          ? `A ${kind} of this payment is already queued; it will be sent when the gateway is reachable.`
          : queued.kind === 'capture'
            ? 'A capture of this payment is queued and will be sent when the gateway is reachable, so it cannot also be canceled. Once it is done, refund what should not have been taken.'
            : 'A cancel of this payment is queued and will be sent when the gateway is reachable, so it cannot also be captured: nothing will be taken.',
        { queued: true },
      );
    const earlier = operations.filter((op) => op.kind === kind);
    return earlier.length === 0 ? `${kind}-${paymentId}` : `${kind}-${paymentId}-${earlier.length + 1}`;
  }

  /**
   * The refusal of a refund with nothing left (nothingLeftText, the gateway named). The refunds the
   * gateway holds as pending (asked for, not yet confirmed: a Plural refund order not yet processed)
   * are said apart from what it refunded, read now while it answers — a refusal only, so a read
   * that fails (or the gateway known offline) leaves the journal's figures alone.
   */
  private async nothingLeft(
    record: PaymentRecord,
    gateway: PaymentGateway | null,
    parts: { refunded: number; disputed?: number; queued?: RefundCount },
  ): Promise<HostError> {
    const transactionId = record.transactionId;
    let pending: RefundCount | null = null;
    if (gateway && transactionId && this.engine.options.connectivity.state !== 'offline') {
      const refunds = await this.engine.call((g) => g.refunds(transactionId), gateway).catch(() => null);
      if (refunds) pending = pendingRefunds(refunds);
    }
    const money = (minor: number) => formatAmount(minor, record.currency);
    return new HostError(
      'conflict',
      nothingLeftText(money, {
        ...parts,
        ...(pending ? { pending } : {}),
        ...(gateway ? { gateway: gateway.label } : {}),
      }),
    );
  }

  /**
   * The refusal of a refund naming no share that the gateway's own rule (drawRefund) cannot draw from
   * the shares as the journal last read them, once the refunds queued before it are made (each as it
   * names its shares, or drawn by the same rule): said on the amount, in the gateway's words, with
   * what can be refunded instead. Null when it can be drawn, or the gateway has no such rule.
   */
  private undrawable(record: PaymentRecord, gateway: PaymentGateway, amount: number): HostError | null {
    const splits = this.journal.splitsOf(record.id);
    if (!gateway.drawRefund || splits.length === 0 || splits.some((split) => split.splitId === null)) return null;
    const queued = this.journal
      .operationsFor(record.id)
      .filter((op) => op.kind === 'refund' && op.state === 'pending')
      .map((op) => ({
        amount: typeof op.params.amount === 'number' ? op.params.amount : record.amountCaptured - record.amountRefunded,
        splits: Array.isArray(op.params.splits) ? (op.params.splits as { splitId: string; amount: number }[]) : null,
      }));
    try {
      gateway.drawRefund(
        {
          captured: record.amountCaptured,
          refunded: record.amountRefunded,
          splits: splits.map((split) => ({
            id: split.splitId!,
            merchantId: split.merchantId,
            amount: split.amount,
            status: split.status,
            releasedAmount: split.releasedAmount,
            refundedAmount: split.refundedAmount,
          })),
        },
        amount,
        queued,
      );
      return null;
    } catch (error) {
      if (!(error instanceof LocalRefusal)) throw error;
      return new HostError('validation', error.message, { issues: [{ path: 'amount', message: error.message }] });
    }
  }

  async refund(input: ParsedCommandInput<'payments.refund'>): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.engine.exclusive(payment.id, async () => {
      const { journal } = this;
      let record = journal.getPayment(payment.id)!;
      // No amount: all that is left at the gateway, not as the journal last read it. Another till
      // may have refunded part since (found hunting: the refund asked for the stale rest, and the
      // gateway refused it). Offline, or when the read fails, the refund goes on as before, with
      // the journal's figure. Likewise a part of a share the journal holds as held, and an amount the
      // gateway's rule cannot draw from the shares as the journal holds them (undrawable), both
      // refused below: a share may have been released elsewhere since, and then the gateway takes it.
      if (
        record.chargedBy !== 'terminal' &&
        record.transactionId &&
        this.engine.options.connectivity.state !== 'offline' &&
        ((input.amount === undefined && !input.splits) ||
          (input.splits !== undefined && heldPart(journal.splitsOf(record.id), input.splits) >= 0) ||
          (input.amount !== undefined &&
            !input.splits &&
            this.undrawable(record, this.engine.gatewayFor(record), input.amount) !== null))
      ) {
        const transactionId = record.transactionId;
        const read = await this.engine
          .call((g) => g.retrieve(transactionId), this.engine.gatewayFor(record))
          .catch(() => null);
        if (read) record = this.sync.apply(record, read, null);
      }
      // Refunded in full: said as nothing left, with what was refunded, not as a status to decode.
      if (record.status === 'refunded')
        throw await this.nothingLeft(record, record.chargedBy === 'terminal' ? null : this.engine.gatewayFor(record), {
          refunded: record.amountRefunded,
        });
      if (!['succeeded', 'partially_refunded'].includes(record.status)) {
        throw new HostError(
          'conflict',
          `Only a completed payment can be refunded; this one is ${describeStatus(record.status)}.`,
        );
      }
      if (record.chargedBy === 'terminal') {
        this.engine.requireMode(record);
        if (input.splits) {
          const message = 'this payment is not split between merchants';
          throw new HostError('validation', `splits: ${message}`, { issues: [{ path: 'splits', message }] });
        }
        const remaining = record.amountCaptured - record.amountRefunded;
        if (remaining <= 0)
          throw new HostError(
            'conflict',
            nothingLeftText((minor) => formatAmount(minor, record.currency), { refunded: record.amountRefunded }),
          );
        const amount = input.amount ?? remaining;
        if (amount <= 0 || amount > remaining) {
          // The whole sentence on the field, as for the gateway's refunds below: money, not cents.
          const message = `The refund amount can be at most ${formatAmount(Math.max(remaining, 0), record.currency)}, what is left to refund.`;
          throw new HostError('validation', message, { issues: [{ path: 'amount', message }] });
        }
        const readers = this.engine.options.readers;
        const refunded = await this.standalone.refund(record, amount, input.reason, {
          refundOnTerminal: (readerId, request) =>
            readers.refundOnTerminal ? readers.refundOnTerminal(readerId, request) : Promise.resolve('unsupported'),
        });
        return this.engine.view(refunded);
      }
      const gateway = this.engine.gatewayFor(record);
      // A queued release or cancel of a share refunds part of the payment itself when it is sent:
      // a refund queued behind it would ask for money that is no longer there (found by a tester).
      const settling = journal
        .operationsFor(record.id)
        .find((op) => (op.kind === 'release' || op.kind === 'cancel_split') && op.state === 'pending');
      if (settling)
        throw new HostError(
          'conflict',
          `A ${settling.kind === 'release' ? 'release' : 'cancel'} of ${String(settling.params.merchantId)}'s share is waiting to be sent to ${gateway.label} and may refund part of this payment itself. Refund once it is done.`,
        );
      const waiting = journal.operationsFor(record.id).filter((op) => op.kind === 'refund' && op.state === 'pending');
      const queued = waiting.reduce(
        (sum, op) =>
          sum +
          (typeof op.params.amount === 'number' ? op.params.amount : record.amountCaptured - record.amountRefunded),
        0,
      );
      // Money a customer's bank disputes (open, or lost) is not the shop's to refund: refunding it too
      // would pay the customer twice, and the gateway refuses it (PlutoPay: charge_disputed, whose
      // words are in minor units). Said here in the cashier's words, before anything is sent.
      const disputed = disputedAmount(
        journal.disputesOnPayment(record).filter((dispute) => this.engine.showsDispute(dispute)),
      );
      const remaining = record.amountCaptured - record.amountRefunded - queued - disputed;
      const named = input.splits?.reduce((sum, line) => sum + line.amount, 0);
      const amount = input.amount ?? named ?? remaining;
      const money = (minor: number) => formatAmount(minor, record.currency);
      // Nothing at all is left: whatever the amount, said as that, with why (a state, not a typo).
      if (remaining <= 0)
        throw await this.nothingLeft(record, gateway, {
          refunded: record.amountRefunded,
          disputed,
          queued: {
            count: waiting.length,
            amount: Math.max(0, Math.min(queued, record.amountCaptured - record.amountRefunded)),
          },
        });
      // Each refusal names the field with the whole sentence: the refund form shows it there, as
      // the cashier's words naming it ("The refund amount must be at least €0.10 with PayPlug."), never a
      // bare number of cents.
      const refuse = (message: string, path = 'amount'): never => {
        throw new HostError('validation', message, { issues: [{ path, message }] });
      };
      if (input.splits) {
        const shares = new Set(journal.splitsOf(record.id).map((split) => split.splitId));
        const unknown = input.splits.findIndex((line) => !shares.has(line.splitId));
        const issues =
          shares.size === 0
            ? [{ path: 'splits', message: 'this payment is not split between merchants' }]
            : unknown >= 0
              ? [{ path: `splits.${unknown}.splitId`, message: 'not a share of this payment' }]
              : named !== amount
                ? [
                    {
                      path: 'splits',
                      message: `the shares add up to ${money(named!)}, not the refund's ${money(amount)}`,
                    },
                  ]
                : [];
        if (issues.length > 0)
          throw new HostError('validation', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
        // A share with nothing left to refund (refunded, or given back with its cancel), or less than
        // asked for: said before anything is journaled or sent, with the way out, not as the gateway's
        // refusal afterwards. Refunds queued that name the same share take from it when they are sent:
        // what they ask for is not left of it now.
        const splits = journal.splitsOf(record.id);
        const byShare = refundableByShare(splits, record);
        const asked = new Map<string, number>();
        for (const op of waiting)
          for (const line of Array.isArray(op.params.splits) ? (op.params.splits as unknown[]) : []) {
            const { splitId, amount: asking } = (line ?? {}) as { splitId?: unknown; amount?: unknown };
            if (typeof splitId === 'string' && typeof asking === 'number')
              asked.set(splitId, (asked.get(splitId) ?? 0) + asking);
          }
        const leftOf = (splitId: string) =>
          Math.max(0, (byShare[splits.findIndex((s) => s.splitId === splitId)] ?? 0) - (asked.get(splitId) ?? 0));
        const merchantOf = (splitId: string) => splits.find((s) => s.splitId === splitId)!.merchantId;
        const spent = input.splits.findIndex((line) => leftOf(line.splitId) === 0);
        if (spent >= 0) {
          const message = shareSpentText(merchantOf(input.splits[spent]!.splitId));
          throw new HostError('conflict', message, { issues: [{ path: `splits.${spent}.splitId`, message }] });
        }
        // A held share goes back only whole (its cancel refunds it): a part of it would be journaled,
        // or queued while the gateway is unreachable, only for the gateway to refuse it when sent
        // (found by a helper: queued offline, it ended in Needs attention). The share's state is the
        // one last read: one released elsewhere meanwhile is read again above when the gateway answers.
        const part = heldPart(splits, input.splits);
        if (part >= 0) {
          const line = input.splits[part]!;
          const held = splits.find((s) => s.splitId === line.splitId)!;
          refuse(heldShareWholeText(money, held.amount, held.merchantId, gateway.label), `splits.${part}.amount`);
        }
        const over = input.splits.findIndex((line) => line.amount > leftOf(line.splitId));
        if (over >= 0) {
          const line = input.splits[over]!;
          refuse(shareAtMostText(money, leftOf(line.splitId), merchantOf(line.splitId)), `splits.${over}.amount`);
        }
      }
      if (amount <= 0 || amount > remaining) {
        refuse(atMostText(money, remaining, disputed));
      }
      const smallest = gateway.limits.refund.min;
      if (amount < smallest) {
        refuse(
          remaining < smallest
            ? `The refund amount must be at least ${money(smallest)} with ${gateway.label}, and only ${money(remaining)} is left: it cannot be refunded through ${gateway.label}.`
            : `The refund amount must be at least ${money(smallest)} with ${gateway.label}.`,
        );
      }
      // Found by a tester: €9.95 of €10 left 5 cents that PayPlug could then never refund.
      const left = remaining - amount;
      if (left > 0 && left < smallest) {
        // What is left may be too little to split at all: then only all of it can be refunded.
        const most = remaining - smallest >= smallest ? remaining - smallest : null;
        refuse(
          `The refund amount would leave ${money(left)}, less than ${gateway.label}'s smallest refund (${money(smallest)}), which could then never be refunded. Refund all ${money(remaining)}${most !== null ? `, or at most ${money(most)}` : ''}.`,
        );
      }
      if (amount < remaining && !gateway.capabilities.partialRefund) {
        refuse(
          `The refund amount must be all ${money(remaining)} left: ${gateway.label} refunds no part of a payment.`,
        );
      }
      // A refund naming no share is drawn by the gateway's own rule (Plural: held shares only whole):
      // an amount it cannot draw would be journaled, or queued while the gateway is unreachable, only
      // to be refused when sent (found by a helper: queued offline, it ended in Needs attention).
      if (!input.splits) {
        const undrawable = this.undrawable(record, gateway, amount);
        if (undrawable) throw undrawable;
      }
      const number = journal.operationsFor(record.id).filter((op) => op.kind === 'refund').length + 1;
      const op = journal.addOperation(record.id, 'refund', `refund-${record.id}-${number}`, {
        amount,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.splits ? { splits: input.splits } : {}),
        // What the gateway had refunded before this refund, as far as the journal knows: an answer
        // showing less than that plus this refund does not show this refund (see moneyOperation).
        refundedBefore: record.amountRefunded,
        // And its refunds still waiting to be sent (operation ids): with the above, all the refunding
        // the till knew of, so a queued refund can tell one made elsewhere meanwhile (Recovery).
        queuedBefore: waiting.map((op) => op.id),
      });
      // One commit with the operation it closes: after a kill between two, the payment would not
      // show a refund the gateway made, and the cashier could make it again.
      const refunded = await this.settledOutside(record, 'refund', gateway, () =>
        this.engine.perform(op, {
          ...moneyOperation(op, record),
          queue: true,
          settle: (answer) =>
            this.sync.apply(journal.getPayment(record.id)!, answer, 'refunded', formatAmount(amount, record.currency)),
        }),
      );
      return this.engine.view(refunded);
    });
  }

  /** Keeps the cashier's note with the payment at the gateway (where it can keep one). */
  async annotate(input: { paymentId: string; note: string }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.engine.exclusive(payment.id, async () => {
      const record = this.journal.getPayment(payment.id)!;
      if (record.chargedBy === 'terminal')
        throw new HostError('conflict', `${STANDALONE_LABEL}: notes are kept with gateway payments only.`);
      const gateway = this.engine.gatewayFor(record);
      if (!gateway.annotate || !gateway.capabilities.paymentNotes || !record.transactionId)
        throw new HostError('conflict', `${gateway.label} keeps no notes on payments.`);
      // A note is not queued: with the gateway known not to answer (recovery's read, which this
      // waited for, found so), it is refused at once rather than after a timeout of its own.
      this.engine.requireOnline('The gateway is not answering, so the note was not saved. Try again when it is back.');
      const updated = await this.engine.call((g) => g.annotate!(record.transactionId!, input.note), gateway);
      this.journal.recordEvent(record.id, 'note', input.note || '(cleared)');
      return this.engine.view(this.sync.apply(this.journal.getPayment(record.id)!, updated, null));
    });
  }

  /** Test mode: the customer pays a payment link with a test card (what the gateway's page would do). */
  async payLink(input: ParsedCommandInput<'simulate.payLink'>): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.engine.exclusive(payment.id, async () => {
      const record = this.journal.getPayment(payment.id)!;
      const gateway = this.engine.gatewayFor(record);
      if (
        record.channel !== 'link' ||
        record.status !== 'pending' ||
        !record.transactionId ||
        !gateway.simulateLinkPayment
      ) {
        throw new HostError('conflict', 'Only an unpaid payment link can be paid with a test card.');
      }
      if (input.saveCard && !gateway.capabilities.savedCards)
        throw new HostError('validation', `saveCard: ${gateway.label} does not keep cards`, {
          issues: [{ path: 'saveCard', message: `${gateway.label} does not keep cards` }],
        });
      const paid = await this.engine.call(
        (g) =>
          g.simulateLinkPayment!(
            record.transactionId!,
            input.cardNumber,
            input.saveCard ? { saveCard: true } : undefined,
          ),
        gateway,
      );
      return this.engine.view(this.sync.apply(this.journal.getPayment(record.id)!, paid, null));
    });
  }

  /** The cashier's answer to a Needs-attention item (see the contract's attention.resolve). */
  async resolveAttention(input: ParsedCommandInput<'attention.resolve'>): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.engine.exclusive(payment.id, async () => {
      const { journal } = this;
      const record = journal.getPayment(payment.id)!;
      // Made on another of the shop's accounts the till can no longer read (its key rolled, the account
      // closed): the cashier may say what that account's dashboard shows, recorded as their word.
      if (
        (input.resolution === 'charged' || input.resolution === 'not_charged') &&
        this.engine.settlesElsewhere(record)
      ) {
        const charged = input.resolution === 'charged';
        const issues: { path: string; message: string }[] = [];
        if (charged && !input.gatewayPaymentId)
          issues.push({ path: 'gatewayPaymentId', message: "the payment's id on that account's dashboard" });
        if (!input.by) issues.push({ path: 'by', message: "say who checked that account's dashboard" });
        if (!charged && !input.reason)
          issues.push({ path: 'reason', message: "say what that account's dashboard showed" });
        // Captured later: charged there may be an authorisation only, which is not money taken. The
        // cashier says which, never assumed (it was recorded as paid, its whole amount captured).
        if (charged && record.captureMethod === 'manual' && input.captured === undefined)
          issues.push({
            path: 'captured',
            message: "say whether that account's dashboard shows it captured or only authorised",
          });
        if (charged && record.captureMethod === 'automatic' && input.captured === false)
          issues.push({ path: 'captured', message: 'this payment is captured when it is charged' });
        if (issues.length > 0)
          throw new HostError('validation', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
        return this.engine.view(
          this.recovery.cashierSaidElsewhere(
            record,
            charged
              ? {
                  charged,
                  gatewayPaymentId: input.gatewayPaymentId!,
                  by: input.by!,
                  captured: input.captured ?? true,
                }
              : { charged, reason: input.reason!, by: input.by! },
          ),
        );
      }
      // Nothing else is concluded of a payment the keys the till holds cannot see (made on the embedded
      // sandbox while it is off, or the reverse): the cashier switches back first.
      this.engine.requireAccount(record);
      if (!record.attentionSince) {
        // Only a dispute holds it there: the screen offers nothing to mark, and neither does the host.
        const dispute = this.engine.openDisputeOf(record);
        if (dispute)
          throw new HostError(
            'conflict',
            `This payment is in Needs attention because the customer's bank disputes it (${dispute.reference}): there is nothing to mark as handled. Respond on the ${GATEWAY_LABELS[record.gateway]} dashboard; the item clears by itself once the bank decides (won or lost).`,
          );
        throw new HostError('conflict', 'This payment does not need attention.');
      }
      const unsettledRefund =
        record.chargedBy === 'terminal' && unsettledTerminalRefund(journal.operationsFor(record.id));
      if (input.resolution === 'credited' || input.resolution === 'not_credited') {
        if (!unsettledRefund)
          throw new HostError('conflict', 'No refund of this payment is waiting for the terminal ticket to settle it.');
        return this.engine.view(this.standalone.settleUnknownRefund(record, input.resolution === 'credited'));
      }
      if (input.resolution === 'created' || input.resolution === 'not_created') {
        const issues: { path: string; message: string }[] = [];
        if (!input.by) issues.push({ path: 'by', message: 'say who checked the gateway' });
        if (input.resolution === 'created' && !input.gatewayPaymentId)
          issues.push({ path: 'gatewayPaymentId', message: "the payment's id on the gateway's dashboard" });
        if (input.resolution === 'not_created' && !input.reason)
          issues.push({ path: 'reason', message: "say what the gateway's dashboard showed" });
        if (issues.length > 0)
          throw new HostError('validation', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
        const settled =
          input.resolution === 'created'
            ? await this.recovery.cashierFound(record, input.gatewayPaymentId!, input.by!)
            : this.recovery.cashierNotMade(record, input.by!, input.reason!);
        return this.engine.view(settled);
      }
      if (input.resolution === 'dismiss') {
        if (record.status === 'unknown') {
          throw new HostError(
            'conflict',
            'The outcome of this payment is still unknown: say whether the card was charged instead.',
          );
        }
        if (unsettledRefund) {
          throw new HostError(
            'conflict',
            'Whether the terminal credited the card is still unknown: say what its last ticket shows instead.',
          );
        }
        const updated = journal.updatePayment(
          record.id,
          { attentionReason: null, attentionAdvice: null, attentionSince: null },
          'attention_dismissed',
        );
        this.engine.changed(updated);
        return this.engine.view(updated);
      }
      if (record.status !== 'unknown' || !record.transactionId || !record.readerId) {
        throw new HostError('conflict', 'Only a payment whose reader outcome is unknown can be settled this way.');
      }
      if (record.chargedBy === 'terminal') {
        return this.engine.view(this.standalone.settleUnknown(record, input.resolution === 'charged'));
      }
      const reader = this.engine.options.readers.resolve(record.readerId);
      const gateway = this.engine.gatewayFor(record);
      if (!reader?.hosted || !gateway.readers)
        throw new HostError('conflict', 'That reader is not driven by this till any more.');
      const remote = await this.engine.call((g) => g.readers!.get(reader.gatewayReaderId), gateway);
      const action = remote.action;
      if (!action || action.paymentId !== record.transactionId || action.status !== 'in_progress') {
        // The gateway already closed the action: its record is the truth.
        return this.engine.view(await this.recovery.reconcile(record));
      }
      journal.recordEvent(
        record.id,
        'cashier_settled',
        input.resolution === 'charged' ? 'card was charged' : 'card was not charged',
      );
      await this.engine.options.readers.settleUnknown(record.readerId, action, input.resolution === 'charged');
      return this.engine.view(journal.getPayment(record.id)!);
    });
  }
}

/** The channel a new payment takes: the one asked for, if the gateway has it, else its natural one. */
function channelFor(
  asked: 'card_present' | 'link' | undefined,
  captureMethod: 'automatic' | 'manual',
  gateway: PaymentGateway,
): 'card_present' | 'link' {
  const { capabilities } = gateway;
  const cardPresent = capabilities.readerLink || capabilities.cloudReaders;
  const channel = asked ?? (cardPresent ? 'card_present' : 'link');
  if (channel === 'link' && !capabilities.payByLink)
    throw new HostError('validation', `${gateway.label} does not take payments by link.`, {
      issues: [{ path: 'channel', message: 'pay by link is not available with this gateway' }],
    });
  if (channel === 'link' && captureMethod === 'manual' && !capabilities.deferredCaptureByLink)
    throw new HostError('validation', `A ${gateway.label} payment link is captured when the customer pays.`, {
      issues: [{ path: 'captureMethod', message: `a ${gateway.label} payment link cannot be captured later` }],
    });
  if (channel === 'card_present' && !cardPresent)
    throw new HostError('validation', `${gateway.label} takes payments by link only (a QR code for the customer).`, {
      issues: [{ path: 'channel', message: 'card present is not available with this gateway' }],
    });
  return channel;
}

/** What the gateway would refuse, refused before anything is journaled, on the field it concerns. */
function checkCreate(input: CreateInput, gateway: PaymentGateway): void {
  const issues = paymentLimitIssues(input, gateway.limits, gateway.label);
  if (input.captureMethod === 'manual' && !gateway.capabilities.deferredCapture)
    issues.push({ path: 'captureMethod', message: `${gateway.label} captures at once` });
  if ((input.savedCardId || input.saveCard) && !gateway.capabilities.savedCards)
    issues.push({ path: 'savedCardId', message: `${gateway.label} does not keep cards` });
  if (input.splits && !gateway.capabilities.splitSettlement)
    issues.push({ path: 'splits', message: `${gateway.label} cannot share a payment between merchants` });
  else
    input.splits?.forEach((split, index) => {
      if (split.amount < gateway.limits.amount.min)
        issues.push({
          path: `splits.${index}.amount`,
          message: `each share is at least ${formatAmount(gateway.limits.amount.min, input.currency)} with ${gateway.label}`,
        });
      // One share per merchant: the till names a share by its merchant everywhere (releases,
      // cancels, refunds, the timeline), so two would be told apart nowhere (docs/gateway-plural.md).
      const first = input.splits!.findIndex((other) => other.merchantId === split.merchantId);
      if (first < index)
        issues.push({
          path: `splits.${index}.merchantId`,
          message: `merchant ${split.merchantId} already has share ${first + 1}: give each merchant one share (put this amount in that one)`,
        });
    });
  if (issues.length > 0) {
    throw new HostError('validation', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
}

/** The first line of a refund naming part of a share held (not released): a held share goes back only whole. */
function heldPart(splits: readonly SplitRecord[], lines: ReadonlyArray<{ splitId: string; amount: number }>): number {
  return lines.findIndex((line) => {
    const split = splits.find((candidate) => candidate.splitId === line.splitId);
    return split !== undefined && split.status === 'HOLD' && line.amount !== split.amount;
  });
}

/** Whether a repeated create asks for the shares the open payment already has (same order). */
function sameShares(journaled: readonly SplitRecord[], asked: NonNullable<CreateInput['splits']>): boolean {
  if (journaled.length !== asked.length) return false;
  return asked.every((share, index) => {
    const kept = journaled[index]!;
    return (
      kept.merchantId === share.merchantId &&
      kept.amount === share.amount &&
      kept.onHold === share.onHold &&
      kept.settlementReference === (share.settlementReference ?? null)
    );
  });
}

/** The shares a create asks for, in the port's terms. */
function splitLinesOf(input: { splits?: CreateInput['splits'] }) {
  return (input.splits ?? []).map((split) => ({
    merchantId: split.merchantId,
    settlementReference: split.settlementReference ?? null,
    amount: split.amount,
    onHold: split.onHold,
  }));
}

/** The tip for a choice, or a validation error on the `tip` field. */
function tipOrThrow(base: number, currency: string, choice: TipChoice) {
  const tip = computeTip(base, currency, choice);
  if (!tip.ok)
    throw new HostError('validation', `Tip: ${tip.error}.`, { issues: [{ path: 'tip', message: tip.error }] });
  return tip;
}

/** What a create sends for a journaled payment, with the extras only the cashier's input had. */
function createParams(
  record: PaymentRecord,
  input: {
    saveCard?: boolean | undefined;
    customer?: { email: string; firstName: string; lastName: string } | undefined;
    splits?: CreateInput['splits'];
  },
): Record<string, unknown> {
  const splits = splitLinesOf(input);
  const params: NewPayment = {
    ...newPaymentOf(record),
    ...(input.saveCard ? { allowSaveCard: true } : {}),
    ...(input.customer ? { customer: input.customer } : {}),
    ...(splits.length > 0 ? { splits } : {}),
  };
  return { ...params };
}

/** ", tip €1.88 (15 %)" for the timeline; nothing when there is no tip yet. */
function tippingNote(fields: PaymentPatch, currency: string): string {
  if (fields.tipState === 'awaiting') return ', waiting for the customer to choose a tip';
  if (fields.tipState === 'chosen' && fields.tipAmount)
    return ` with a tip of ${formatAmount(fields.tipAmount, currency)}${fields.tipPercent ? ` (${fields.tipPercent} %)` : ''}`;
  return '';
}

/** How the customer pays, for the timeline: a saved card is charged at once, with no link shown. */
function channelNote(channel: PaymentChannel, savedCardId: string | undefined): string {
  if (channel !== 'link') return '';
  return savedCardId ? ', saved card' : ', pay by link';
}

/**
 * Whether a gateway's answer leaves a payment of another account the one a gateway id names: the
 * account read now has no such payment, or could not be asked.
 */
function notHere(error: unknown): boolean {
  return (isGatewayError(error) && error.status === 404) || error instanceof GatewayUnreachable;
}
