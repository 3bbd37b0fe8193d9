/**
 * Payments on a terminal that charges through the shop's own bank ("standalone"): no gateway
 * anywhere. The till is the terminal's action source: a payment sent to such a reader becomes its
 * action (journaled first, as with a gateway's reader link), the reader's controller collects it
 * as it would any action, and the device's outcome — journaled as a report before it is applied,
 * exactly as for a gateway — is "posted" here, where it becomes the payment's state. Refunds use
 * the terminal's credit transaction when its protocol has one. What the terminal may have done
 * but could not say (a dropped cable after it took the request, the app killed mid-card) is
 * unknown, in Needs attention, and never collected again by itself.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import { formatAmount } from '../../common/money';
import type { CardOutcome } from '../../drivers/types';
import { errorText, HostError } from '../core/errors';
import { newId } from '../core/ids';
import type { DeviceResult, GatewayPayment, LinkPoll, ReaderAction } from '../gateway/port';
import type { ActionChannel, ActionSource } from '../readers/controller';
import type { Journal, PaymentPatch, PaymentRecord } from '../store/journal';
import type { PaymentEngine } from './engine';
import type { PaymentSync } from './sync';
import { unsettledTerminalRefund } from './views';

/** The gateway label receipts and reports show for these payments (also who moved their money). */
export const STANDALONE_LABEL = "Terminal (shop's bank)";

/**
 * Whether a real terminal on the shop's own bank charged the payment: it charges cards whatever
 * the till's mode, so nothing in test mode (a receipt, the customer display) may say no money
 * moved. Only a reader the journal knows as simulated is sure to have moved none; a forgotten
 * reader is not assumed to be one.
 */
export function chargedByShopBankTerminal(record: PaymentRecord, journal: Journal): boolean {
  if (record.chargedBy !== 'terminal') return false;
  const reader = record.readerId ? journal.getReader(record.readerId) : undefined;
  return reader?.kind !== 'simulated';
}

const ADVICE_REFUND_UNKNOWN =
  "The terminal took the refund request and then lost contact, so the app cannot tell whether the card was credited. Check the terminal's last ticket, then say here whether it shows the credit. Until then this payment is not refunded again.";

const ADVICE_REFUND_INTERRUPTED =
  "The app stopped while the terminal was making a refund, so it cannot tell whether the card was credited. Check the terminal's last ticket, then say here whether it shows the credit. Until then this payment is not refunded again.";

/** The terminal's side the payments need: hand a credit to a standalone reader's device. */
export interface TerminalRefunds {
  /** 'unsupported' when the device's protocol has no credit transaction. */
  refundOnTerminal(
    readerId: string,
    request: { amount: number; currency: string; reference: string },
  ): Promise<CardOutcome | 'unsupported'>;
}

interface ReaderSlot {
  version: number;
  waiters: Set<() => void>;
}

export class StandalonePayments {
  private readonly slots = new Map<string, ReaderSlot>();

  constructor(
    private readonly engine: PaymentEngine,
    private readonly sync: PaymentSync,
  ) {}

  private get journal() {
    return this.engine.journal;
  }

  private get clock(): Clock {
    return this.engine.clock;
  }

  /** A new payment's id at "the gateway": the till's own, so the reader machinery can name it. */
  static transactionId(): string {
    return newId('trm');
  }

  // -- the terminal's action source --------------------------------------------------------------

  /** The till as the action source of a standalone reader (what a gateway's reader link is otherwise). */
  source(readerId: string): ActionSource {
    return {
      pair: () => Promise.resolve(readerId),
      open: () => Promise.resolve(this.channel(readerId)),
    };
  }

  /** Wakes the reader's long poll: its action changed (sent, canceled, finished). */
  notify(readerId: string): void {
    const slot = this.slot(readerId);
    slot.version += 1;
    for (const wake of [...slot.waiters]) wake();
  }

  private slot(readerId: string): ReaderSlot {
    let slot = this.slots.get(readerId);
    if (!slot) this.slots.set(readerId, (slot = { version: 1, waiters: new Set() }));
    return slot;
  }

  private channel(readerId: string): ActionChannel {
    return {
      poll: (version, waitMs, signal) => this.poll(readerId, version, waitMs, signal),
      post: (actionId, result) => Promise.resolve(this.post(actionId, result)),
      close: () => Promise.resolve(),
    };
  }

  private async poll(readerId: string, version: number | undefined, waitMs: number, signal: AbortSignal) {
    const slot = this.slot(readerId);
    if (version === slot.version && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer: TimerHandle = this.clock.setTimeout(() => done(), waitMs);
        const done = () => {
          this.clock.clearTimeout(timer);
          slot.waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        slot.waiters.add(done);
        signal.addEventListener('abort', done);
      });
    }
    return { version: slot.version, action: this.actionFor(readerId) } satisfies LinkPoll;
  }

  /** The payment a standalone reader is asked to collect now, as an action. */
  private actionFor(readerId: string): ReaderAction | null {
    const record = this.journal
      .listPayments('active', 200)
      .find(
        (p) =>
          p.chargedBy === 'terminal' &&
          p.status === 'in_progress' &&
          p.readerId === readerId &&
          p.actionId !== null &&
          p.transactionId !== null,
      );
    if (!record) return null;
    // Once the device's outcome for this action is journaled it is never offered again, whatever
    // a poll that raced the outcome's application saw (that would collect the card twice).
    if (this.journal.getOperationByKey(`report-${record.actionId}`)) return null;
    return {
      id: record.actionId!,
      paymentId: record.transactionId!,
      amount: record.amount,
      currency: record.currency,
      status: 'in_progress',
      presentedCard: null,
    };
  }

  /**
   * A device outcome, already journaled as a report, becomes the payment's state: what a gateway
   * does when a reader posts its result. Idempotent: posting the same outcome again (after a
   * restart) answers the same payment.
   */
  private post(actionId: string, result: DeviceResult): GatewayPayment {
    const paymentId = /^sta_(pay_[A-Za-z0-9]+)_\d+$/.exec(actionId)?.[1];
    const record = paymentId ? this.journal.getPayment(paymentId) : undefined;
    if (!record || record.chargedBy !== 'terminal') throw new Error(`no standalone payment for action ${actionId}`);
    const current = record.actionId === actionId && (record.status === 'in_progress' || record.status === 'unknown');
    const answer = current ? this.afterResult(record, result) : gatewayPaymentOf(record);
    if (record.readerId) this.notify(record.readerId);
    return answer;
  }

  private afterResult(record: PaymentRecord, result: DeviceResult): GatewayPayment {
    const base = gatewayPaymentOf(record);
    if (result.outcome === 'approved') {
      return {
        ...base,
        status: 'succeeded',
        amountCaptured: record.amount,
        amountCapturable: 0,
        card: result.card ?? base.card,
        reference: result.authCode ?? base.reference,
        failure: null,
        capturedAt: this.engine.nowIso(),
      };
    }
    return {
      ...base,
      status: 'pending',
      failure: { code: result.failureCode, message: result.failureMessage },
    };
  }

  // -- the cashier's commands on such payments ---------------------------------------------------

  /** Sends a standalone payment to a standalone reader: journaled, then the reader's poll wakes. */
  send(record: PaymentRecord, reader: { id: string; label: string }): PaymentRecord {
    const attempt = this.journal.timeline(record.id).filter((e) => e.event === 'sent_to_reader').length + 1;
    const updated = this.journal.updatePayment(
      record.id,
      {
        status: 'in_progress',
        readerId: reader.id,
        readerStage: 'sent',
        actionId: `sta_${record.id}_${attempt}`,
        declineCode: null,
        declineMessage: null,
      },
      'sent_to_reader',
      `${reader.label} (charges through the shop's bank)`,
    );
    this.engine.changed(updated);
    this.notify(reader.id);
    return updated;
  }

  /** Cancels a standalone payment that is not charged: nothing to tell anyone but the journal. */
  cancel(record: PaymentRecord): PaymentRecord {
    const canceled = this.journal.updatePayment(
      record.id,
      { status: 'canceled', readerStage: null, tipState: record.tipState === 'awaiting' ? null : record.tipState },
      'canceled',
      'on the till; nothing was charged',
    );
    this.engine.changed(canceled);
    if (record.readerId) this.notify(record.readerId);
    return canceled;
  }

  /**
   * The cashier read the terminal's ticket for a payment whose outcome was unknown: the card was
   * charged (approved) or not (back to pending, another try possible).
   */
  settleUnknown(record: PaymentRecord, charged: boolean): PaymentRecord {
    this.journal.recordEvent(record.id, 'cashier_settled', charged ? 'card was charged' : 'card was not charged');
    const payment: GatewayPayment = charged
      ? { ...gatewayPaymentOf(record), status: 'succeeded', amountCaptured: record.amount, failure: null }
      : {
          ...gatewayPaymentOf(record),
          status: 'pending',
          failure: {
            code: 'reader_error',
            message: 'The cashier confirmed on the terminal that the card was not charged.',
          },
        };
    const updated = this.sync.apply(record, payment, null, null, { actionFinal: true });
    if (record.readerId) this.notify(record.readerId);
    return updated;
  }

  /**
   * A refund made by the terminal's credit transaction: journaled as an operation first, then the
   * customer presents the card on the terminal. Approved: the payment shows it. Refused: nothing
   * changed. Unknown: Needs attention, never sent again by itself.
   */
  async refund(
    record: PaymentRecord,
    amount: number,
    reason: string | undefined,
    terminal: TerminalRefunds,
  ): Promise<PaymentRecord> {
    const { journal } = this;
    if (!record.readerId) throw new HostError('conflict', 'This payment has no terminal to refund it on.');
    if (unsettledTerminalRefund(journal.operationsFor(record.id))) {
      throw new HostError(
        'conflict',
        "An earlier refund on the terminal may have credited the card. Check the terminal's last ticket and say so in Needs attention (F8) before refunding again.",
      );
    }
    const number = journal.operationsFor(record.id).filter((op) => op.kind === 'refund').length + 1;
    const key = `refund-${record.id}-${number}`;
    const op = journal.addOperation(record.id, 'refund', key, {
      amount,
      readerId: record.readerId,
      onTerminal: true,
      ...(reason ? { reason } : {}),
    });
    let outcome: CardOutcome | 'unsupported';
    try {
      outcome = await terminal.refundOnTerminal(record.readerId, {
        amount,
        currency: record.currency,
        reference: `rfd_${record.id}_${number}`,
      });
    } catch (error) {
      journal.updateOperation(op.id, { state: 'failed', lastError: errorText(error) });
      throw error;
    } finally {
      // The terminal is free again: a payment sent to it during the credit is collected now.
      this.notify(record.readerId);
    }
    if (outcome === 'unsupported') {
      journal.updateOperation(op.id, { state: 'failed', lastError: 'the terminal has no credit transaction' });
      throw new HostError(
        'conflict',
        `This terminal cannot refund from the till: make the refund of ${formatAmount(amount, record.currency)} on the terminal itself.`,
      );
    }
    switch (outcome.kind) {
      case 'approved': {
        const refunded = journal.atomically(() => {
          journal.updateOperation(op.id, { state: 'done', lastError: null, result: outcome.authCode ?? 'approved' });
          return journal.updatePayment(
            record.id,
            creditedPatch(record, amount),
            'refunded',
            `${formatAmount(amount, record.currency)} credited on the terminal${outcome.authCode ? ` (${outcome.authCode})` : ''}`,
          );
        });
        this.engine.changed(refunded);
        return refunded;
      }
      case 'unknown': {
        journal.updateOperation(op.id, { state: 'failed', lastError: `unknown: ${outcome.message}` });
        this.markRefundUnknown(
          record.id,
          `A refund on the terminal may or may not have been made (${outcome.message}).`,
          ADVICE_REFUND_UNKNOWN,
        );
        throw new HostError(
          'conflict',
          'The terminal did not say whether it credited the card. Check its last ticket before refunding again (see Needs attention, F8).',
        );
      }
      default: {
        const message = outcome.kind === 'canceled' ? 'The refund was canceled on the terminal.' : `${outcome.message}`;
        journal.updateOperation(op.id, { state: 'failed', lastError: message });
        journal.recordEvent(record.id, 'refund_refused', message);
        throw new HostError(outcome.kind === 'declined' ? 'declined' : 'conflict', `Not refunded: ${message}`);
      }
    }
  }

  /**
   * The cashier read the terminal's ticket for a refund whose outcome was unknown: the card was
   * credited (the refund is recorded as made) or not (the payment can be refunded again).
   */
  settleUnknownRefund(record: PaymentRecord, credited: boolean): PaymentRecord {
    const { journal } = this;
    const op = unsettledTerminalRefund(journal.operationsFor(record.id));
    if (!op) throw new HostError('conflict', 'No refund of this payment is waiting to be settled.');
    const amount = Number(op.params.amount);
    const cleared = { attentionReason: null, attentionAdvice: null, attentionSince: null };
    const settled = journal.atomically(() => {
      if (!credited) {
        journal.updateOperation(op.id, { lastError: 'not credited: the terminal ticket shows no credit' });
        return journal.updatePayment(record.id, cleared, 'cashier_settled', 'the card was not credited');
      }
      journal.updateOperation(op.id, { state: 'done', lastError: null, result: 'credited (terminal ticket)' });
      return journal.updatePayment(
        record.id,
        { ...cleared, ...creditedPatch(record, amount) },
        'refunded',
        `${formatAmount(amount, record.currency)} credited on the terminal (read from its ticket by the cashier)`,
      );
    });
    this.engine.changed(settled);
    return settled;
  }

  /**
   * At start: a refund on a terminal still pending means the app stopped while the terminal had
   * it. Whether the card was credited only the terminal's ticket can say.
   */
  recoverInterruptedRefunds(): void {
    for (const op of this.journal.pendingOperations()) {
      if (op.kind !== 'refund' || op.params.onTerminal !== true) continue;
      this.journal.updateOperation(op.id, { state: 'failed', lastError: 'interrupted: the app stopped' });
      this.markRefundUnknown(
        op.paymentId,
        'The app stopped while the terminal was making a refund.',
        ADVICE_REFUND_INTERRUPTED,
      );
    }
  }

  private markRefundUnknown(paymentId: string, reason: string, advice: string): void {
    const record = this.journal.getPayment(paymentId);
    if (!record) return;
    this.engine.changed(
      this.journal.updatePayment(
        paymentId,
        {
          attentionReason: reason,
          attentionAdvice: advice,
          attentionSince: record.attentionSince ?? this.engine.nowIso(),
        },
        'refund_unknown',
        reason,
      ),
    );
  }
}

/** A payment after the terminal credited `amount` of it back to the card. */
function creditedPatch(record: PaymentRecord, amount: number): PaymentPatch {
  const total = record.amountRefunded + amount;
  return { amountRefunded: total, status: total >= record.amountCaptured ? 'refunded' : 'partially_refunded' };
}

/** A standalone payment as "the gateway" (the till itself) holds it. */
export function gatewayPaymentOf(record: PaymentRecord): GatewayPayment {
  const status =
    record.status === 'creating' || record.status === 'in_progress' || record.status === 'unknown'
      ? 'pending'
      : record.status;
  return {
    id: record.transactionId ?? record.id,
    reference: record.authCode ?? record.reference ?? record.transactionId ?? record.id,
    orderReference: record.orderReference,
    status,
    amount: record.amount,
    currency: record.currency,
    amountCapturable: record.amountCapturable,
    amountCaptured: record.amountCaptured,
    amountRefunded: record.amountRefunded,
    captureMethod: 'automatic',
    card: record.cardBrand && record.cardLast4 ? { brand: record.cardBrand, last4: record.cardLast4 } : null,
    failure: record.declineCode ? { code: record.declineCode, message: record.declineMessage } : null,
    description: record.description,
    receiptEmail: record.receiptEmail,
    customerId: record.customerId,
    methodType: 'terminal',
    terminalId: record.readerId,
    createdAt: record.createdAt,
    capturedAt: null,
    payUrl: null,
    payUrlExpiresAt: null,
    authorizationExpiresAt: null,
    installmentPlanId: null,
    savedCardId: null,
    splits: null,
  };
}
