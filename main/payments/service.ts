/**
 * The payment state machine of DESIGN.md. Every step is a journal transition first; every remote
 * call carries the idempotency key stored before its first send; an unknown outcome is resolved by
 * retrieving before retrying (with the same key), never by guessing. Money operations that cannot
 * reach the gateway stay queued in the journal and are sent, in order, when it comes back.
 */
import type { Clock } from '../../common/clock';
import { declineInfo, isDeclineCode } from '../../common/decline-codes';
import { formatAmount } from '../../common/money';
import type {
  AttentionView,
  ConnectivityView,
  ParsedCommandInput,
  PaymentStatus,
  PaymentView,
  ReaderStage,
  TransactionDetail,
} from '../../common/contract';
import type { Connectivity } from '../gateway/connectivity';
import { GatewayError, GatewayUnreachable, isGatewayError } from '../gateway/errors';
import type { DeviceResult } from '../gateway/link';
import { PLUTOPAY_LIMITS, type PlutoPayClient } from '../gateway/plutopay';
import { paymentLimitIssues } from '../gateway/limits';
import type { GatewayReader, ReaderAction, Transaction } from '../gateway/schemas';
import { inBackground } from '../host/background';
import { HostError } from '../host/errors';
import { newId } from '../host/ids';
import {
  newPaymentRecord,
  SETTLED_STATUSES,
  type Journal,
  type OperationKind,
  type OperationRecord,
  type PaymentPatch,
  type PaymentRecord,
} from '../store/journal';
import { orderReferenceOf } from './transactions';
import { toAttentionView, toPaymentView, toRefundView, toTransactionView } from './views';

/** What the payment service needs to know about readers (implemented by the reader manager). */
export interface ReaderDirectory {
  /** The gateway's id for one of the app's reader ids, whether it is hosted here, and if usable. */
  resolve(readerId: string): { processorId: string; hosted: boolean; online: boolean; label: string } | undefined;
  /** The app's reader id for a gateway reader id. */
  byProcessorId(processorId: string): string | undefined;
  /** Asks a hosted reader's device to stop collecting; 'too_late' once the card is authorising. */
  cancelCollection(readerId: string): Promise<'canceled' | 'too_late' | 'not_collecting'>;
  /** Reports, for a hosted reader's open action, what the cashier established about an unknown outcome. */
  settleUnknown(readerId: string, action: ReaderAction, charged: boolean): Promise<void>;
}

export interface PaymentServiceOptions {
  journal: Journal;
  clock: Clock;
  /** The configured client; throws a HostError when the app has no keys yet. */
  gateway: () => PlutoPayClient;
  connectivity: Connectivity;
  readers: ReaderDirectory;
  onPaymentChanged: (payment: PaymentView) => void;
  onAttentionChanged: (attention: AttentionView[]) => void;
  onQueueChanged: () => void;
  log: (summary: string, detail?: string) => void;
  /** Quick retries of one call before an operation is left queued. */
  attempts?: number;
  retryDelayMs?: number;
  /** How often a payment on a cloud reader is checked while in progress. */
  cloudPollMs?: number;
}

type CreateInput = ParsedCommandInput<'payments.create'>;

/** Operations that wait in the offline queue. Creates and reader pushes are never sent late. */
const QUEUEABLE_KINDS: readonly OperationKind[] = ['capture', 'cancel', 'refund'];
const QUEUEABLE: ReadonlySet<OperationKind> = new Set(QUEUEABLE_KINDS);

const ADVICE_UNKNOWN_CREATE =
  'The gateway did not confirm the payment was created. The app keeps retrying with the same key, so it cannot be created twice. Do not take the payment another way until this clears.';

export class PaymentService {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly cloudWatchers = new Map<string, () => void>();
  private draining: Promise<void> | null = null;
  private recovering: Promise<void> | null = null;
  private recoveryProgress: { done: number; total: number } | null = null;
  private closed = false;

  constructor(private readonly options: PaymentServiceOptions) {}

  // -- reading ----------------------------------------------------------------------------------

  view(record: PaymentRecord): PaymentView {
    return toPaymentView(record, this.options.journal.countQueuedOperations(record.id, QUEUEABLE_KINDS));
  }

  list(filter: 'active' | 'uncaptured' | 'attention' | 'all', limit: number): PaymentView[] {
    return this.options.journal.listPayments(filter, limit).map((record) => this.view(record));
  }

  attention(): AttentionView[] {
    return this.options.journal
      .listPayments('attention', 500)
      .map(toAttentionView)
      .filter((a): a is AttentionView => a !== null);
  }

  queueSummary(): ConnectivityView['queued'] {
    const totals = new Map<string, number>();
    let count = 0;
    for (const op of this.options.journal.pendingOperations()) {
      if (op.lastError === null || !QUEUEABLE.has(op.kind)) continue;
      const payment = this.options.journal.getPayment(op.paymentId);
      if (!payment) continue;
      count++;
      const amount =
        typeof op.params.amount === 'number'
          ? op.params.amount
          : op.kind === 'refund'
            ? payment.amountCaptured - payment.amountRefunded
            : op.kind === 'capture'
              ? payment.amountCapturable
              : payment.amount;
      totals.set(payment.currency, (totals.get(payment.currency) ?? 0) + amount);
    }
    return { count, totals: [...totals].map(([currency, amount]) => ({ currency, amount })) };
  }

  /** Finds a payment by the app's id or the gateway's transaction id, adopting unknown transactions. */
  async resolve(ref: string): Promise<PaymentRecord> {
    const { journal } = this.options;
    const found = ref.startsWith('pay_') ? journal.getPayment(ref) : journal.findByTransactionId(ref);
    if (found) return found;
    if (ref.startsWith('pay_')) throw new HostError('not_found', `No payment ${ref} on this till.`);
    return this.adopt(await this.call((client) => client.getTransaction(ref)));
  }

  async detail(transactionId: string): Promise<TransactionDetail> {
    const tx = await this.call((client) => client.getTransaction(transactionId));
    const refunds = await this.call((client) => client.listRefunds(transactionId));
    let record = this.options.journal.findByTransactionId(transactionId);
    if (record) record = this.applyTransaction(record, tx, null);
    return {
      transaction: toTransactionView(tx, orderReferenceOf(tx, this.options.journal)),
      refunds: refunds.map(toRefundView),
      timeline: record ? this.options.journal.timeline(record.id) : [],
      payment: record ? this.view(record) : null,
    };
  }

  // -- commands ---------------------------------------------------------------------------------

  async create(input: CreateInput): Promise<PaymentView> {
    const { journal } = this.options;
    const issues = paymentLimitIssues(input, PLUTOPAY_LIMITS, 'PlutoPay');
    if (issues.length > 0) {
      throw new HostError('validation', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
    }
    const orderReference = input.orderReference ?? newId('ord', 12);
    return this.exclusive(`order:${orderReference}`, async () => {
      const attempts = journal.findByOrder(orderReference);
      const live = attempts.find((p) => !['failed', 'canceled'].includes(p.status));
      if (live) {
        if (['creating', 'pending', 'in_progress', 'unknown'].includes(live.status)) {
          if (live.amount !== input.amount || live.currency !== input.currency) {
            throw new HostError(
              'conflict',
              `Order ${orderReference} already has an open payment of ${formatAmount(live.amount, live.currency)} (${live.id}). Cancel it before charging a different amount.`,
            );
          }
          return this.view(live);
        }
        throw new HostError(
          'conflict',
          `Order ${orderReference} is already paid (${live.id}, ${live.status.replace('_', ' ')}).`,
        );
      }
      this.requireOnline(
        'New card payments cannot be taken while the gateway is unreachable (card data is never stored for later).',
      );
      const attempt = attempts.length + 1;
      const idempotencyKey = `pos-${orderReference}-${attempt}`;
      const record = journal.atomically(() => {
        const created = journal.insertPayment(
          newPaymentRecord({
            id: newId('pay'),
            orderReference,
            attempt,
            idempotencyKey,
            origin: 'local',
            amount: input.amount,
            currency: input.currency,
            description: input.description ?? null,
            captureMethod: input.captureMethod,
            customerId: input.customerId ?? null,
            receiptEmail: input.receiptEmail ?? null,
            status: 'creating',
          }),
          'created',
          `${formatAmount(input.amount, input.currency)}, ${input.captureMethod} capture, order ${orderReference}`,
        );
        journal.addOperation(created.id, 'create', idempotencyKey, createParams(created), { sending: true });
        return created;
      });
      this.changed(record);
      return this.view(await this.runCreate(record, true));
    });
  }

  async process(input: { paymentId: string; readerId: string }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.exclusive(payment.id, async () => {
      let record = this.options.journal.getPayment(payment.id)!;
      if (record.status === 'creating' || record.status === 'unknown') record = await this.reconcile(record);
      if (record.status === 'in_progress' && record.readerId === input.readerId) return this.view(record);
      if (record.status !== 'pending') {
        throw new HostError(
          'conflict',
          `This payment is ${describeStatus(record.status)}; only a pending payment can be sent to a reader.`,
        );
      }
      const reader = this.options.readers.resolve(input.readerId);
      if (!reader) throw new HostError('not_found', `No reader ${input.readerId}.`);
      if (!reader.online)
        throw new HostError('conflict', `${reader.label} is not online. Reconnect it or pick another reader.`);
      this.requireOnline('The gateway is unreachable, so the payment cannot be sent to the reader.');
      const transactionId = record.transactionId!;
      const attempt = this.options.journal.operationsFor(record.id).filter((op) => op.kind === 'process').length + 1;
      // The transition and the operation that carries it out: one durable write before the send.
      const { journal } = this.options;
      const paymentId = record.id;
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
        this.changed(updated);
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
        record = await this.perform(sent.op, {
          send: (client) => client.processPayment(transactionId, reader.processorId),
          check: async (client) => {
            const current = await client.getReader(reader.processorId);
            const action = current.action?.payment_intent_id === transactionId ? current.action : null;
            // An action for this payment other than the last push's proves this push arrived, even
            // if the reader already finished it (a fast reader, a lost answer).
            return action && (action.status === 'in_progress' || action.id !== previousActionId) ? current : null;
          },
          queue: false,
          firstSendJournaled: true,
          settle: (gatewayReader) => {
            const current = journal.getPayment(paymentId)!;
            return current.status === 'in_progress' && gatewayReader.action
              ? journal.updatePayment(paymentId, { actionId: gatewayReader.action.id })
              : current;
          },
        });
        if (!reader.hosted) this.watchCloudPayment(record.id, reader.processorId);
        return this.view(record);
      } catch (error) {
        // The reader never got it: back to pending so the cashier can try again or elsewhere.
        const current = this.options.journal.getPayment(record.id)!;
        if (current.status === 'in_progress' && current.readerStage === 'sent') {
          this.changed(
            this.options.journal.updatePayment(
              record.id,
              { status: 'pending', readerId: null, readerStage: null },
              'reader_push_failed',
              errorText(error),
            ),
          );
        }
        throw error;
      }
    });
  }

  async cancel(input: { paymentId: string }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.exclusive(payment.id, async () => {
      let record = this.options.journal.getPayment(payment.id)!;
      if (record.status === 'canceled') return this.view(record);
      if (!['pending', 'in_progress', 'requires_capture', 'creating', 'unknown'].includes(record.status)) {
        throw new HostError(
          'conflict',
          `This payment is ${describeStatus(record.status)} and cannot be canceled${record.status === 'succeeded' ? '; refund it instead' : ''}.`,
        );
      }
      if (record.status === 'creating' || record.status === 'unknown') record = await this.reconcile(record);
      if (record.status === 'in_progress' && record.readerId) {
        const reader = this.options.readers.resolve(record.readerId);
        if (reader?.hosted) {
          const stopped = await this.options.readers.cancelCollection(record.readerId);
          if (stopped === 'too_late') {
            throw new HostError(
              'conflict',
              'The card is being authorised; it can no longer be canceled on the reader. Wait for the result, then cancel or refund.',
            );
          }
        } else if (reader) {
          await this.call((client) => client.cancelReaderAction(reader.processorId)).catch((error: unknown) => {
            if (!isGatewayError(error, 'terminal_error')) throw error;
          });
        }
      }
      record = this.options.journal.getPayment(record.id)!;
      if (record.status === 'canceled') return this.view(record);
      if (['succeeded', 'failed', 'refunded', 'partially_refunded'].includes(record.status)) {
        throw new HostError(
          'conflict',
          `The payment finished as ${describeStatus(record.status)} before it could be canceled.`,
        );
      }
      const transactionId = record.transactionId!;
      const op = this.options.journal.addOperation(record.id, 'cancel', `cancel-${record.id}`, {});
      const tx = await this.perform(op, {
        send: (client) => client.cancel(transactionId, op.idempotencyKey),
        check: async (client) => {
          const current = await client.getTransaction(transactionId);
          return current.status === 'canceled' ? current : null;
        },
        queue: record.status === 'requires_capture',
      });
      return this.view(this.applyTransaction(this.options.journal.getPayment(record.id)!, tx, 'canceled'));
    });
  }

  async capture(input: { paymentId: string; amount?: number | undefined }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.exclusive(payment.id, async () => {
      const record = this.options.journal.getPayment(payment.id)!;
      if (record.status !== 'requires_capture') {
        throw new HostError(
          'conflict',
          `Only an authorised, uncaptured payment can be captured; this one is ${describeStatus(record.status)}.`,
        );
      }
      if (input.amount !== undefined && input.amount > record.amountCapturable) {
        throw new HostError(
          'validation',
          `At most ${formatAmount(record.amountCapturable, record.currency)} can be captured.`,
          { issues: [{ path: 'amount', message: `at most ${record.amountCapturable}` }] },
        );
      }
      const pending = this.options.journal
        .operationsFor(record.id)
        .find((op) => op.kind === 'capture' && op.state === 'pending');
      if (pending)
        throw new HostError(
          'conflict',
          'A capture of this payment is already queued; it will be sent when the gateway is reachable.',
          { queued: true },
        );
      const transactionId = record.transactionId!;
      const op = this.options.journal.addOperation(
        record.id,
        'capture',
        `capture-${record.id}`,
        input.amount !== undefined ? { amount: input.amount } : {},
        { sending: true },
      );
      const captured = await this.perform(op, {
        send: (client) => client.capture(transactionId, input.amount, op.idempotencyKey),
        check: async (client) => {
          const current = await client.getTransaction(transactionId);
          return current.status !== 'requires_capture' && current.amount_captured > 0 ? current : null;
        },
        queue: true,
        firstSendJournaled: true,
        settle: (tx) =>
          this.applyTransaction(
            this.options.journal.getPayment(record.id)!,
            tx,
            'captured',
            formatAmount(tx.amount_captured, record.currency),
          ),
      });
      return this.view(captured);
    });
  }

  async refund(input: {
    paymentId: string;
    amount?: number | undefined;
    reason?: string | undefined;
  }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.exclusive(payment.id, async () => {
      const record = this.options.journal.getPayment(payment.id)!;
      if (!['succeeded', 'partially_refunded'].includes(record.status)) {
        throw new HostError(
          'conflict',
          `Only a completed payment can be refunded; this one is ${describeStatus(record.status)}.`,
        );
      }
      const queued = this.options.journal
        .operationsFor(record.id)
        .filter((op) => op.kind === 'refund' && op.state === 'pending')
        .reduce(
          (sum, op) =>
            sum +
            (typeof op.params.amount === 'number' ? op.params.amount : record.amountCaptured - record.amountRefunded),
          0,
        );
      const remaining = record.amountCaptured - record.amountRefunded - queued;
      const amount = input.amount ?? remaining;
      if (amount <= 0 || amount > remaining) {
        throw new HostError(
          'validation',
          `At most ${formatAmount(Math.max(remaining, 0), record.currency)} can still be refunded.`,
          {
            issues: [{ path: 'amount', message: `at most ${Math.max(remaining, 0)}` }],
          },
        );
      }
      const transactionId = record.transactionId!;
      const number = this.options.journal.operationsFor(record.id).filter((op) => op.kind === 'refund').length + 1;
      const op = this.options.journal.addOperation(record.id, 'refund', `refund-${record.id}-${number}`, {
        amount,
        ...(input.reason ? { reason: input.reason } : {}),
      });
      const tx = await this.perform(op, {
        send: async (client) => {
          const refund = await client.refund(
            transactionId,
            { amount, ...(input.reason ? { reason: input.reason } : {}) },
            op.idempotencyKey,
          );
          return refund.transaction ?? client.getTransaction(transactionId);
        },
        // Refunds carry their own idempotency key: resending it is the safe retry.
        check: async () => null,
        queue: true,
      });
      return this.view(
        this.applyTransaction(
          this.options.journal.getPayment(record.id)!,
          tx,
          'refunded',
          formatAmount(amount, record.currency),
        ),
      );
    });
  }

  /** The cashier's answer to a Needs-attention item (see the contract's attention.resolve). */
  async resolveAttention(input: {
    paymentId: string;
    resolution: 'charged' | 'not_charged' | 'dismiss';
  }): Promise<PaymentView> {
    const payment = await this.resolve(input.paymentId);
    return this.exclusive(payment.id, async () => {
      const record = this.options.journal.getPayment(payment.id)!;
      if (!record.attentionSince) throw new HostError('conflict', 'This payment does not need attention.');
      if (input.resolution === 'dismiss') {
        if (record.status === 'unknown') {
          throw new HostError(
            'conflict',
            'The outcome of this payment is still unknown: say whether the card was charged instead.',
          );
        }
        const updated = this.options.journal.updatePayment(
          record.id,
          { attentionReason: null, attentionAdvice: null, attentionSince: null },
          'attention_dismissed',
        );
        this.changed(updated);
        this.options.onAttentionChanged(this.attention());
        return this.view(updated);
      }
      if (record.status !== 'unknown' || !record.transactionId || !record.readerId) {
        throw new HostError('conflict', 'Only a payment whose reader outcome is unknown can be settled this way.');
      }
      const reader = this.options.readers.resolve(record.readerId);
      if (!reader?.hosted) throw new HostError('conflict', 'That reader is not driven by this till any more.');
      const gatewayReader = await this.call((client) => client.getReader(reader.processorId));
      const action = gatewayReader.action;
      if (!action || action.payment_intent_id !== record.transactionId || action.status !== 'in_progress') {
        // The gateway already closed the action: its record is the truth.
        return this.view(await this.reconcile(record));
      }
      this.options.journal.recordEvent(
        record.id,
        'cashier_settled',
        input.resolution === 'charged' ? 'card was charged' : 'card was not charged',
      );
      await this.options.readers.settleUnknown(record.readerId, action, input.resolution === 'charged');
      return this.view(this.options.journal.getPayment(record.id)!);
    });
  }

  // -- reader link callbacks --------------------------------------------------------------------

  /** A hosted reader received an action (ours, or pushed by the merchant's own server). */
  async actionStarted(readerId: string, action: ReaderAction): Promise<PaymentRecord> {
    let record = this.options.journal.findByTransactionId(action.payment_intent_id);
    if (!record)
      record = await this.adopt(await this.call((client) => client.getTransaction(action.payment_intent_id)));
    if (record.actionId === action.id && record.status === 'in_progress') return record;
    record = this.options.journal.updatePayment(
      record.id,
      {
        status: 'in_progress',
        readerId,
        readerStage: 'sent',
        actionId: action.id,
        declineCode: null,
        declineMessage: null,
      },
      'reader_received',
      action.id,
    );
    this.changed(record);
    return record;
  }

  actionStage(action: ReaderAction, stage: ReaderStage): void {
    const record = this.options.journal.findByTransactionId(action.payment_intent_id);
    if (!record || record.status !== 'in_progress' || record.actionId !== action.id || record.readerStage === stage)
      return;
    this.changed(
      this.options.journal.updatePayment(
        record.id,
        { readerStage: stage },
        stage === 'waiting_for_card' ? 'waiting_for_card' : 'card_presented',
      ),
    );
  }

  /** The gateway accepted the device's outcome and answered with the transaction. */
  actionFinished(action: ReaderAction, transaction: Transaction): void {
    const record = this.options.journal.findByTransactionId(action.payment_intent_id);
    if (!record) return;
    // A late report for an earlier push (e.g. re-posted after a restart) closes that action only:
    // the payment may be on the reader again with a newer one, which is still collecting.
    const current = record.actionId === null || record.actionId === action.id;
    this.applyTransaction(record, transaction, null, null, { actionFinal: current });
  }

  /** The device may have charged and cannot say: the payment needs attention until resolved. */
  actionUnknown(action: ReaderAction, reason: string, advice: string): void {
    const record = this.options.journal.findByTransactionId(action.payment_intent_id);
    if (!record) return;
    this.changed(
      this.options.journal.updatePayment(
        record.id,
        {
          status: 'unknown',
          readerStage: null,
          attentionReason: reason,
          attentionAdvice: advice,
          attentionSince: record.attentionSince ?? this.nowIso(),
        },
        'outcome_unknown',
        reason,
      ),
    );
    this.options.onAttentionChanged(this.attention());
  }

  /**
   * Journals what the device said before it is posted over the link, so a crash between the two
   * loses nothing: the report is re-posted (same action, same result) when the link is back.
   */
  recordDeviceOutcome(readerId: string, action: ReaderAction, result: DeviceResult): OperationRecord {
    const key = `report-${action.id}`;
    const existing = this.options.journal.getOperationByKey(key);
    if (existing) return existing;
    const record = this.options.journal.findByTransactionId(action.payment_intent_id);
    if (!record) throw new Error(`device outcome for unknown payment ${action.payment_intent_id}`);
    const op = this.options.journal.atomically(() => {
      this.options.journal.recordEvent(record.id, 'device_outcome', describeResult(result));
      return this.options.journal.addOperation(record.id, 'report', key, { readerId, action, result });
    });
    return op;
  }

  /** Device outcomes journaled for this reader and not yet accepted by the gateway. */
  pendingReports(readerId: string): { op: OperationRecord; action: ReaderAction; result: DeviceResult }[] {
    return this.options.journal
      .pendingOperations()
      .filter((op) => op.kind === 'report' && op.params.readerId === readerId)
      .map((op) => ({ op, action: op.params.action as ReaderAction, result: op.params.result as DeviceResult }));
  }

  /** See ActionSink.actionTaken: what the journal knows of a device having taken this action. */
  actionTaken(action: ReaderAction): 'unknown' | 'interrupted' | null {
    const record = this.options.journal.findByTransactionId(action.payment_intent_id);
    if (!record || record.actionId !== action.id) return null;
    if (record.status === 'unknown') return 'unknown';
    if (
      record.status === 'in_progress' &&
      (record.readerStage === 'waiting_for_card' || record.readerStage === 'processing')
    )
      return 'interrupted';
    return null;
  }

  /** The gateway accepted a device outcome. */
  reportAccepted(op: OperationRecord, action: ReaderAction, transaction: Transaction): void {
    // The report is done and the payment moves on in one durable transition.
    this.options.journal.atomically(() => {
      this.options.journal.updateOperation(op.id, { state: 'done', lastError: null, result: transaction.status });
      this.actionFinished(action, transaction);
    });
  }

  /**
   * The gateway refused a device outcome (the action was canceled or already finished). An
   * approval the gateway would not take is money the shop must look at; anything else is moot.
   */
  async reportRefused(
    op: OperationRecord,
    action: ReaderAction,
    result: DeviceResult,
    error: GatewayError,
  ): Promise<void> {
    this.options.journal.updateOperation(op.id, { state: 'failed', lastError: `${error.type}: ${error.message}` });
    if (result.outcome === 'approved') {
      this.actionUnknown(
        action,
        `The reader approved the card, but the gateway refused the result (${error.message}).`,
        'The customer may have been charged on the terminal. Check the terminal receipt; reverse it on the terminal or refund the customer another way, then clear this item.',
      );
      return;
    }
    const record = this.options.journal.findByTransactionId(action.payment_intent_id);
    if (record)
      await this.exclusive(record.id, () => this.reconcile(this.options.journal.getPayment(record.id)!)).catch(
        () => undefined,
      );
  }

  // -- recovery ---------------------------------------------------------------------------------

  /**
   * Brings one payment in line with the gateway: retries an unconfirmed create with its original key,
   * re-reads the transaction otherwise. Never guesses: what stays unclear stays in Needs attention.
   */
  async reconcile(record: PaymentRecord): Promise<PaymentRecord> {
    if (!record.transactionId) {
      const op = this.options.journal.getOperationByKey(record.idempotencyKey);
      if (op && op.state !== 'failed') return this.runCreate(record);
      return record;
    }
    const tx = await this.call((client) => client.getTransaction(record.transactionId!));
    let updated = this.applyTransaction(record, tx, null);
    if (updated.status === 'in_progress' || (updated.status === 'unknown' && tx.status === 'pending')) {
      // Still open at the gateway: the reader (if any) is asked what it has.
      const processorId = updated.readerId ? this.options.readers.resolve(updated.readerId)?.processorId : undefined;
      const reader = processorId ? await this.call((client) => client.getReader(processorId)) : null;
      const action = reader?.action?.payment_intent_id === tx.id ? reader.action : null;
      // The reader's report may have landed while we were asking: act on the journal as it is now.
      const current = this.options.journal.getPayment(updated.id)!;
      if (current.status !== updated.status || current.actionId !== updated.actionId) return current;
      updated = current;
      if (updated.status === 'in_progress' && action && action.status !== 'in_progress') {
        // The reader finished without the journal hearing of it: the gateway's transaction says how.
        const fresh = await this.call((client) => client.getTransaction(tx.id));
        return this.applyTransaction(
          this.options.journal.getPayment(updated.id)!,
          fresh,
          'reader_released',
          `action ${action.status}`,
          { actionFinal: true },
        );
      }
      if (updated.status === 'in_progress' && action?.status === 'in_progress' && processorId) {
        // Still on a reader the gateway hosts (e.g. across a restart): follow it until it finishes.
        const reader = this.options.readers.resolve(updated.readerId!);
        if (reader && !reader.hosted && !this.cloudWatchers.has(updated.id))
          this.watchCloudPayment(updated.id, processorId);
      }
      if (updated.status === 'in_progress' && !action) {
        updated = this.options.journal.updatePayment(
          updated.id,
          { status: 'pending', readerStage: null, readerId: null },
          'reader_released',
          'no action on the reader',
        );
        this.changed(updated);
      }
    }
    return updated;
  }

  /**
   * Reconciles every unfinished payment and sends queued operations; used at start and on
   * reconnect. Concurrent calls share one run; its progress is part of the connectivity view.
   */
  recover(): Promise<void> {
    this.recovering ??= this.recoverAll().finally(() => {
      this.recovering = null;
      this.recoveryProgress = null;
      this.options.onQueueChanged();
    });
    return this.recovering;
  }

  /** How far the running recovery is (null when none runs). */
  recovery(): { done: number; total: number } | null {
    return this.recoveryProgress ? { ...this.recoveryProgress } : null;
  }

  private async recoverAll(): Promise<void> {
    const unfinished = this.options.journal.listPayments('unfinished', 10_000);
    this.recoveryProgress = { done: 0, total: unfinished.length };
    if (unfinished.length > 0) this.options.onQueueChanged();
    for (const record of unfinished) {
      if (this.closed) return;
      try {
        await this.exclusive(record.id, () => this.reconcile(this.options.journal.getPayment(record.id)!));
      } catch (error) {
        this.options.log(`Could not reconcile ${record.id} yet`, errorText(error));
        if (error instanceof GatewayUnreachable) return;
      }
      this.recoveryProgress.done++;
      this.options.onQueueChanged();
    }
    await this.drainQueue();
  }

  /**
   * Sends queued captures, cancels and refunds in the order they were asked for, with their keys.
   * Concurrent calls share one run.
   */
  drainQueue(): Promise<void> {
    if (!this.draining) {
      this.draining = this.sendQueued().finally(() => {
        this.draining = null;
        this.options.onQueueChanged();
      });
    }
    return this.draining;
  }

  private async sendQueued(): Promise<void> {
    for (const op of this.options.journal.pendingOperations()) {
      if (this.closed) return;
      if (!QUEUEABLE.has(op.kind)) continue;
      const record = this.options.journal.getPayment(op.paymentId);
      if (!record?.transactionId) continue;
      try {
        await this.exclusive(record.id, () => this.resendQueued(op, record));
      } catch (error) {
        if (error instanceof HostError && error.code === 'offline') return;
        this.options.log(`Queued ${op.kind} of ${record.id} failed`, errorText(error));
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const stop of this.cloudWatchers.values()) stop();
    this.cloudWatchers.clear();
  }

  // -- internals --------------------------------------------------------------------------------

  private async resendQueued(op: OperationRecord, record: PaymentRecord): Promise<void> {
    const transactionId = record.transactionId!;
    const amount = typeof op.params.amount === 'number' ? op.params.amount : undefined;
    const reason = typeof op.params.reason === 'string' ? op.params.reason : undefined;
    const tx = await this.perform(op, {
      send: async (client) => {
        if (op.kind === 'capture') return client.capture(transactionId, amount, op.idempotencyKey);
        if (op.kind === 'cancel') return client.cancel(transactionId, op.idempotencyKey);
        const refund = await client.refund(
          transactionId,
          { ...(amount !== undefined ? { amount } : {}), ...(reason ? { reason } : {}) },
          op.idempotencyKey,
        );
        return refund.transaction ?? client.getTransaction(transactionId);
      },
      check: async (client) => {
        if (op.kind === 'refund') return null;
        const current = await client.getTransaction(transactionId);
        if (op.kind === 'cancel') return current.status === 'canceled' ? current : null;
        return current.status !== 'requires_capture' && current.amount_captured > 0 ? current : null;
      },
      queue: true,
    });
    this.applyTransaction(
      this.options.journal.getPayment(record.id)!,
      tx,
      `${op.kind === 'cancel' ? 'canceled' : op.kind === 'capture' ? 'captured' : 'refunded'}_from_queue`,
    );
  }

  private async runCreate(record: PaymentRecord, firstSendJournaled = false): Promise<PaymentRecord> {
    const op = this.options.journal.getOperationByKey(record.idempotencyKey)!;
    try {
      return await this.perform(op, {
        send: (client) => client.createTerminalPayment(createParams(record), record.idempotencyKey),
        // Without an id there is nothing to retrieve; resending the same key cannot create a second payment.
        check: async () => null,
        queue: false,
        firstSendJournaled,
        settle: (tx) =>
          this.applyTransaction(this.options.journal.getPayment(record.id)!, tx, 'created_at_gateway', tx.reference),
      });
    } catch (error) {
      const current = this.options.journal.getPayment(record.id)!;
      if (error instanceof GatewayError) {
        this.changed(
          this.options.journal.updatePayment(
            record.id,
            { status: 'failed', attentionSince: null },
            'create_refused',
            error.message,
          ),
        );
      } else if (error instanceof HostError && error.code === 'offline' && current.status !== 'unknown') {
        this.changed(
          this.options.journal.updatePayment(
            record.id,
            {
              status: 'unknown',
              attentionReason: 'The gateway did not confirm this payment was created.',
              attentionAdvice: ADVICE_UNKNOWN_CREATE,
              attentionSince: this.nowIso(),
            },
            'outcome_unknown',
            errorText(error),
          ),
        );
        this.options.onAttentionChanged(this.attention());
      }
      throw error;
    }
  }

  /**
   * Sends one journaled operation: retrieve-before-retry on every attempt after the first, the
   * same idempotency key every time. Gives up after a few quick attempts: the operation then
   * stays pending in the journal (queued, when `queue`), and the error says so.
   */
  private async perform<T, R = T>(
    op: OperationRecord,
    how: {
      send: (client: PlutoPayClient) => Promise<T>;
      check: (client: PlutoPayClient) => Promise<T | null>;
      queue: boolean;
      /**
       * The caller journaled the first send's attempt together with the transition that asked for
       * it (addOperation with `sending`): one durable write before the first send instead of two.
       */
      firstSendJournaled?: boolean;
      /**
       * Applies the gateway's answer to the journal in the same durable transition that marks the
       * operation done (one fsync instead of two; and never "done" without its effect, or the
       * reverse). Runs inside a journal transaction: what it makes the app do must go through
       * journal.afterCommit (changed() does).
       */
      settle?: (result: T) => R;
    },
  ): Promise<R> {
    const { journal, connectivity } = this.options;
    const attempts = this.options.attempts ?? 3;
    let lastError: GatewayUnreachable | null = null;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const client = this.options.gateway();
      const journaled = attempt === 0 && how.firstSendJournaled === true;
      let answer: { value: T; via: 'ok' | 'confirmed by retrieve' } | null = null;
      try {
        if (attempt > 0 || (op.attempts > 0 && !journaled)) {
          const already = await how.check(client);
          if (already !== null) {
            connectivity.reportSuccess();
            answer = { value: already, via: 'confirmed by retrieve' };
          }
        }
        if (!answer) {
          if (!journaled) journal.updateOperation(op.id, { attemptsDelta: 1 });
          const value = await how.send(client);
          connectivity.reportSuccess();
          answer = { value, via: 'ok' };
        }
      } catch (error) {
        if (error instanceof GatewayError) {
          connectivity.reportSuccess();
          journal.updateOperation(op.id, { state: 'failed', lastError: `${error.type}: ${error.message}` });
          if (op.lastError !== null) this.options.onQueueChanged();
          throw error;
        }
        if (!(error instanceof GatewayUnreachable)) throw error;
        lastError = error;
        connectivity.reportFailure(error.message);
        journal.updateOperation(op.id, { lastError: error.message });
        op = { ...op, attempts: journaled ? op.attempts : op.attempts + 1, lastError: error.message };
        if (attempt + 1 < attempts) await this.sleep((this.options.retryDelayMs ?? 250) * 2 ** attempt);
        continue;
      }
      const { value, via } = answer;
      const settled = journal.atomically(() => {
        journal.updateOperation(op.id, { state: 'done', lastError: null, result: via });
        return how.settle ? how.settle(value) : (value as unknown as R);
      });
      if (via === 'ok' && op.lastError !== null) this.options.onQueueChanged();
      return settled;
    }
    this.options.onQueueChanged();
    const payment = journal.getPayment(op.paymentId);
    if (payment) this.changed(payment);
    throw new HostError(
      'offline',
      how.queue
        ? `The gateway is unreachable (${lastError?.message ?? 'no answer'}). The ${op.kind} is queued and will be sent automatically when the connection returns.`
        : `The gateway is unreachable (${lastError?.message ?? 'no answer'}). Nothing was charged twice; try again when the connection returns.`,
      { queued: how.queue },
    );
  }

  /** Makes the journal agree with a transaction the gateway returned. */
  private applyTransaction(
    record: PaymentRecord,
    tx: Transaction,
    event: string | null,
    detail: string | null = null,
    opts: { actionFinal?: boolean } = {},
  ): PaymentRecord {
    // Answers can arrive out of order (a reader report racing a cashier cancel): never step back.
    if (isStale(record, tx)) return record;
    const onReader = record.status === 'in_progress' && tx.status === 'pending' && !opts.actionFinal;
    // A reader that may have charged without telling the gateway stays unknown until resolved.
    const stillUnknown =
      record.status === 'unknown' && record.transactionId !== null && tx.status === 'pending' && !opts.actionFinal;
    const status: PaymentStatus = onReader ? 'in_progress' : stillUnknown ? 'unknown' : tx.status;
    const patch: PaymentPatch = {
      status,
      transactionId: tx.id,
      reference: tx.reference,
      amountCapturable: tx.amount_capturable,
      amountCaptured: tx.amount_captured,
      amountRefunded: tx.amount_refunded,
      ...(tx.card ? { cardBrand: tx.card.brand, cardLast4: tx.card.last4 } : {}),
      ...(onReader ? {} : { readerStage: null }),
      ...(tx.status === 'pending' && tx.failure_code && !onReader
        ? declineFields(tx.failure_code, tx.failure_message)
        : {}),
      ...(tx.status !== 'pending' || !tx.failure_code ? { declineCode: null, declineMessage: null } : {}),
      ...(tx.status === 'failed' && tx.failure_code ? declineFields(tx.failure_code, tx.failure_message) : {}),
      ...(record.attentionSince && status !== 'unknown'
        ? { attentionReason: null, attentionAdvice: null, attentionSince: null }
        : {}),
    };
    const changed =
      record.status !== patch.status ||
      record.transactionId !== tx.id ||
      record.amountCaptured !== tx.amount_captured ||
      record.amountRefunded !== tx.amount_refunded ||
      record.amountCapturable !== tx.amount_capturable ||
      record.declineCode !== (patch.declineCode ?? record.declineCode) ||
      (record.attentionSince !== null && patch.attentionSince === null);
    if (!changed && !event) return record;
    const eventName = event ?? (record.status !== status ? eventForStatus(status, tx.failure_code) : null);
    const updated = this.options.journal.updatePayment(
      record.id,
      patch,
      eventName ?? undefined,
      detail ?? eventDetail(tx),
    );
    this.changed(updated);
    if (record.attentionSince && !updated.attentionSince)
      this.options.journal.afterCommit(() => this.options.onAttentionChanged(this.attention()));
    if (SETTLED_STATUSES.has(updated.status) || updated.status === 'requires_capture') {
      this.stopCloudWatch(updated.id);
      this.retireClosedReports(updated, tx);
    }
    return updated;
  }

  /**
   * A device outcome still waiting to be posted when the gateway has already closed the payment
   * (its first post was taken but the answer lost, and recovery read the result first) can no
   * longer change anything: posting it is moot, and it must not linger as pending money work.
   * It is done when the gateway agrees with it; an approval the gateway does not show is money
   * the shop must look at, exactly as when the gateway refuses the report.
   */
  private retireClosedReports(record: PaymentRecord, tx: Transaction): void {
    const { journal } = this.options;
    const approvedAtGateway = tx.amount_capturable > 0 || tx.amount_captured > 0;
    for (const op of journal.pendingOperationsFor(record.id, 'report')) {
      const action = op.params.action as ReaderAction;
      const result = op.params.result as DeviceResult;
      if (result.outcome === 'approved' && !approvedAtGateway) {
        journal.updateOperation(op.id, {
          state: 'failed',
          lastError: `the gateway closed the payment as ${tx.status}`,
        });
        this.actionUnknown(
          action,
          `The reader approved the card, but the gateway closed the payment as ${tx.status.replace('_', ' ')}.`,
          'The customer may have been charged on the terminal. Check the terminal receipt; reverse it on the terminal or refund the customer another way, then clear this item.',
        );
      } else {
        journal.updateOperation(op.id, {
          state: 'done',
          lastError: null,
          result: `settled at the gateway: ${tx.status}`,
        });
      }
    }
  }

  private async adopt(tx: Transaction): Promise<PaymentRecord> {
    const { journal } = this.options;
    const existing = journal.findByTransactionId(tx.id);
    if (existing) return existing;
    const metadataOrder = typeof tx.metadata?.order_reference === 'string' ? tx.metadata.order_reference : null;
    const orderReference =
      metadataOrder && journal.findByOrder(metadataOrder).length === 0 ? metadataOrder : `ext-${tx.reference}`;
    const record = journal.insertPayment(
      newPaymentRecord({
        id: newId('pay'),
        orderReference,
        attempt: 1,
        idempotencyKey: `adopted-${tx.id}`,
        origin: 'adopted',
        amount: tx.amount,
        currency: tx.currency.toUpperCase(),
        description: tx.description,
        captureMethod: tx.capture_method,
        customerId: tx.customer_id,
        receiptEmail: tx.receipt_email,
        status: tx.status,
        transactionId: tx.id,
        reference: tx.reference,
        cardBrand: tx.card?.brand ?? null,
        cardLast4: tx.card?.last4 ?? null,
        amountCapturable: tx.amount_capturable,
        amountCaptured: tx.amount_captured,
        amountRefunded: tx.amount_refunded,
      }),
      'adopted',
      `created outside this till (${tx.reference})`,
    );
    this.changed(record);
    return record;
  }

  /** Follows a payment on a reader the gateway hosts, until the reader's action finishes. */
  private watchCloudPayment(paymentId: string, processorId: string): void {
    this.stopCloudWatch(paymentId);
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    let stopped = false;
    const onError = (error: unknown) => this.options.log(`Following ${paymentId} failed`, errorText(error));
    const tick = async () => {
      if (stopped || this.closed) return;
      const record = this.options.journal.getPayment(paymentId);
      if (!record || record.status !== 'in_progress') return this.stopCloudWatch(paymentId);
      try {
        const reader: GatewayReader = await this.options.gateway().getReader(processorId);
        const action = reader.action?.payment_intent_id === record.transactionId ? reader.action : null;
        if (action && action.status !== 'in_progress') {
          const tx = await this.options.gateway().getTransaction(record.transactionId!);
          await this.exclusive(paymentId, async () =>
            this.applyTransaction(this.options.journal.getPayment(paymentId)!, tx, null, null, { actionFinal: true }),
          );
          return this.stopCloudWatch(paymentId);
        }
        if (!action) {
          await this.exclusive(paymentId, () => this.reconcile(this.options.journal.getPayment(paymentId)!));
          return this.stopCloudWatch(paymentId);
        }
      } catch (error) {
        this.options.log(`Checking ${paymentId} on ${processorId} failed`, errorText(error));
      }
      if (!stopped)
        timer = this.options.clock.setTimeout(() => inBackground(tick(), onError), this.options.cloudPollMs ?? 1_000);
    };
    this.cloudWatchers.set(paymentId, () => {
      stopped = true;
      this.options.clock.clearTimeout(timer);
    });
    timer = this.options.clock.setTimeout(() => inBackground(tick(), onError), this.options.cloudPollMs ?? 1_000);
  }

  private stopCloudWatch(paymentId: string): void {
    this.cloudWatchers.get(paymentId)?.();
    this.cloudWatchers.delete(paymentId);
  }

  /** One gateway call outside the journaled operations (reads), feeding connectivity. */
  private async call<T>(fn: (client: PlutoPayClient) => Promise<T>): Promise<T> {
    try {
      const result = await fn(this.options.gateway());
      this.options.connectivity.reportSuccess();
      return result;
    } catch (error) {
      if (error instanceof GatewayUnreachable) this.options.connectivity.reportFailure(error.message);
      else if (error instanceof GatewayError) this.options.connectivity.reportSuccess();
      throw error;
    }
  }

  private requireOnline(message: string): void {
    if (this.options.connectivity.state === 'offline') throw new HostError('offline', message);
  }

  /** Serialises work on one key (a payment, an order): a double click cannot race itself. */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
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

  /** Tells the app a payment changed, once the write that changed it is on disk. */
  private changed(record: PaymentRecord): void {
    this.options.journal.afterCommit(() => this.options.onPaymentChanged(this.view(record)));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimeout(resolve, ms));
  }

  private nowIso(): string {
    return new Date(this.options.clock.now()).toISOString();
  }
}

function createParams(record: PaymentRecord) {
  return {
    amount: record.amount,
    currency: record.currency,
    capture_method: record.captureMethod,
    ...(record.description ? { description: record.description } : {}),
    ...(record.customerId ? { customer_id: record.customerId } : {}),
    ...(record.receiptEmail ? { receipt_email: record.receiptEmail } : {}),
    metadata: { order_reference: record.orderReference, pos_payment_id: record.id },
  };
}

/** Cashier text for a decline; a code this app does not know shows the gateway's own words. */
function declineFields(code: string, gatewayMessage: string | null) {
  const message = !isDeclineCode(code) && gatewayMessage ? `Declined: ${gatewayMessage}` : declineInfo(code).cashier;
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

function isStale(record: PaymentRecord, tx: Transaction): boolean {
  if (record.transactionId === null) return false;
  const current = STATUS_RANK[record.status] ?? 0;
  if (current === 5) return tx.status !== record.status;
  return (
    (STATUS_RANK[tx.status] ?? 0) < current ||
    tx.amount_refunded < record.amountRefunded ||
    tx.amount_captured < record.amountCaptured
  );
}

function describeResult(result: DeviceResult): string {
  if (result.outcome === 'approved')
    return result.card ? `approved, ${result.card.brand} •••• ${result.card.last4}` : 'approved';
  return `${result.outcome}: ${result.failureCode}`;
}

function eventForStatus(status: string, failureCode: string | null): string {
  if (status === 'pending' && failureCode) return 'declined';
  return status;
}

function eventDetail(tx: Transaction): string | null {
  if (tx.failure_code) return `${tx.failure_code}${tx.failure_message ? `: ${tx.failure_message}` : ''}`;
  if (tx.card) return `${tx.card.brand} •••• ${tx.card.last4}`;
  return null;
}

function describeStatus(status: string): string {
  return status === 'requires_capture' ? 'authorised and waiting for capture' : status.replace('_', ' ');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type { OperationKind };
