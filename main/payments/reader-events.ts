/**
 * What the readers this app hosts tell the payments, and the outbox of their outcomes — in one
 * place. A device's outcome is journaled before it is posted, so a crash between the two loses
 * nothing: the report is posted again (same action, same result) when the link is back. A report
 * the gateway accepted closes its operation and moves the payment in one durable transition; a
 * report the gateway refused, or one made moot because the gateway already closed the payment,
 * is retired — and an approval the gateway will not show is money the shop must look at.
 */
import type { ReaderStage } from '../../common/contract';
import { GATEWAY_LABELS } from '../../common/contract/views';
import { formatAmount } from '../../common/money';
import { GatewayError, GatewayUnreadable } from '../gateway/errors';
import type { DeviceResult, GatewayPayment, ReaderAction } from '../gateway/port';
import { SETTLED_STATUSES, type OperationRecord, type PaymentPatch, type PaymentRecord } from '../store/journal';
import type { PaymentEngine } from './engine';
import { errorText } from '../core/errors';
import type { Recovery } from './recovery';
import { ADVICE_ACTION_MISFIT, ADVICE_REFUSED_APPROVAL, unreadableAttention, type PaymentSync } from './sync';

/** How a reader controller talks to the payments (and nothing else). */
export interface ReaderEventSink {
  /**
   * A reader received an action (this till's, or pushed by the merchant's own server). Throws
   * ActionMisfit, the payment put in Needs attention, when the action asks for other money than it.
   */
  started(readerId: string, action: ReaderAction): Promise<void>;
  stage(action: ReaderAction, stage: ReaderStage): void;
  /**
   * Whether a device already took this action, in this run or before a restart ('unknown': its
   * outcome is unknown; 'interrupted': the host stopped while the device was collecting it;
   * 'settled': its payment has moved on since, by the device's answer or the cashier's word). Such
   * an action is never collected again: the card may have been charged once already.
   */
  taken(action: ReaderAction): 'unknown' | 'interrupted' | 'settled' | null;
  /** The device may have charged and cannot say: the payment needs attention until resolved. */
  /** `detail`: the device's technical cause (a port's error), kept on the timeline, not in the reason. */
  unknown(action: ReaderAction, reason: string, advice: string, detail?: string): void;
  /** Journals what the device said, before it is posted. */
  record(readerId: string, action: ReaderAction, result: DeviceResult): void;
  /** Whether an outcome for this action is journaled and not yet posted. */
  waiting(readerId: string, actionId: string): boolean;
  /** Whether any outcome of this reader is journaled and not yet posted. */
  reportsWaiting(readerId: string): boolean;
  /**
   * Posts this reader's journaled outcomes, in order, with `post` (the reader's current session).
   * 'retry' when some could not be posted now (no answer, or the session is spent).
   */
  deliver(
    readerId: string,
    post: (actionId: string, result: DeviceResult) => Promise<GatewayPayment>,
  ): Promise<'done' | 'retry'>;
}

export const INTERRUPTED =
  'The app stopped while the reader was collecting this payment, so it cannot tell whether the card was charged.';

/**
 * What to do about a reader's unknown outcome. Only advice: the reason (What happened) already says
 * why the app cannot tell, and it stays true whether the reader went silent while online, was
 * unplugged, or the app stopped (found by a tester: the reason's "cannot tell whether the card was
 * charged" twice, and "when it reconnects" under a reader listed Online).
 */
export const ADVICE_UNKNOWN =
  "Look at the reader's screen or its last receipt, then say in Needs attention (F8) whether the card " +
  'was charged. Should the reader report what happened first, this clears by itself. Until then, do not ' +
  'charge the customer again.';

/**
 * The same for a terminal on the shop's own bank: nothing asks it again (no gateway knows the
 * payment, and the terminal is never handed the payment again), so only its ticket can tell.
 */
export const ADVICE_UNKNOWN_ON_TERMINAL =
  "Check the terminal's last ticket, then say here whether it shows the card charged (The card was charged / The card was not charged). " +
  'The app cannot ask the terminal again; until this clears, do not charge the customer again.';

/**
 * A reader action for other money than its payment (ReaderEventSink.started): never collected, and
 * the payment is in Needs attention. The reader does not take that action again (the same action,
 * for the same money): asked again, the answer would be the same.
 */
export class ActionMisfit extends GatewayUnreadable {
  constructor(
    message: string,
    /**
     * Refused before (the journal keeps refusals across restarts): the cashier was told then, and may
     * have handled it since. Not said again: not logged, and the payment not put back in Needs attention.
     */
    readonly before = false,
  ) {
    super(message);
    this.name = 'ActionMisfit';
  }
}

export class ReaderEvents implements ReaderEventSink {
  private readonly pushedListeners: ((record: PaymentRecord) => void)[] = [];

  constructor(
    private readonly engine: PaymentEngine,
    private readonly sync: PaymentSync,
    private readonly recovery: () => Recovery,
  ) {
    sync.onClosed((record, payment) => this.retireClosed(record, payment));
  }

  /**
   * A payment reached a reader of this till without the till sending it there: the merchant's own
   * server pushed it (the customer display shows it, as it shows the cashier's own). Told once the
   * reader has it on disk.
   */
  onPushed(listener: (record: PaymentRecord) => void): void {
    this.pushedListeners.push(listener);
  }

  async started(readerId: string, action: ReaderAction): Promise<void> {
    const { journal } = this.engine;
    let record = this.engine.findHere(action.paymentId);
    if (!record) record = this.sync.adopt(await this.engine.call((gateway) => gateway.retrieve(action.paymentId)));
    // The device collects what the action says: other money than the payment's would be charged to
    // the customer while the till records the payment's. Never asked for. A gateway that says so is
    // not to be trusted with this payment: it goes to the cashier, and the reader leaves the action.
    if (action.amount !== record.amount || action.currency.toUpperCase() !== record.currency.toUpperCase()) {
      const asked = formatAmount(action.amount, action.currency);
      const is = formatAmount(record.amount, record.currency);
      // Refused before, maybe before a restart: handled or not, the cashier heard of it then.
      const before = journal.readerActionRefused(record.gateway, action.id, action.amount, action.currency);
      if (!before) this.misfit(record, action, asked, is);
      throw new ActionMisfit(
        `The gateway's reader action does not fit the payment: it asks for ${asked}, the payment is ${is}`,
        before,
      );
    }
    if (record.actionId === action.id && record.status === 'in_progress') return;
    // The till's own push journals the payment on this reader before it is sent (process); anything
    // else came from elsewhere (found in a defect hunt: the customer display never showed it).
    const pushed = !(record.status === 'in_progress' && record.readerId === readerId);
    // Progress: the gateway already holds the action (its push was journaled before it was sent).
    const id = record.id;
    record = journal.progress(() =>
      journal.updatePayment(
        id,
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
      ),
    );
    this.engine.changed(record);
    if (pushed) for (const listener of this.pushedListeners) listener(record);
  }

  /** Needs attention for a reader action asking for other money than the payment (see started). */
  private misfit(record: PaymentRecord, action: ReaderAction, asked: string, is: string): void {
    const { journal } = this.engine;
    // The refusal is kept with the item, in one transition: a restart does not refuse it anew.
    journal.atomically(() => {
      journal.noteReaderActionRefused({
        gateway: record.gateway,
        actionId: action.id,
        amount: action.amount,
        currency: action.currency,
        paymentId: record.id,
      });
      this.flagMisfit(record, asked, is);
    });
  }

  private flagMisfit(record: PaymentRecord, asked: string, is: string): void {
    const { journal } = this.engine;
    const reason = `${GATEWAY_LABELS[record.gateway]} asked the reader to collect ${asked} for this payment of ${is}. The reader did not ask for the card.`;
    if (record.attentionReason === reason && record.attentionAdvice === ADVICE_ACTION_MISFIT) return;
    // Final here already (canceled while the gateway still holds the action): nothing to settle.
    if (SETTLED_STATUSES.has(record.status)) return;
    // In Needs attention already for what the cashier must settle first (an outcome in doubt, an
    // approval the gateway refused): that item stays as it is; the reader still leaves the action.
    if (
      record.attentionSince !== null &&
      !unreadableAttention(record) &&
      record.attentionAdvice !== ADVICE_ACTION_MISFIT
    )
      return;
    // Said once on disk before the reader hears why it left the action: a journal that refuses it is
    // the journal's problem (the action is then asked about again at the next poll).
    const updated = journal.updatePayment(
      record.id,
      {
        attentionReason: reason,
        attentionAdvice: ADVICE_ACTION_MISFIT,
        attentionSince: record.attentionSince ?? this.engine.nowIso(),
      },
      'reader_action_refused',
      `asks for ${asked}, the payment is ${is}`,
    );
    this.engine.changed(updated);
  }

  stage(action: ReaderAction, stage: ReaderStage): void {
    const { journal } = this.engine;
    const record = this.engine.findHere(action.paymentId);
    if (!record || record.status !== 'in_progress' || record.actionId !== action.id || record.readerStage === stage)
      return;
    // Progress: a stage is shown, never acted on; after a power cut the reader's next report says it again.
    this.engine.changed(
      journal.progress(() =>
        journal.updatePayment(
          record.id,
          { readerStage: stage },
          stage === 'waiting_for_card' ? 'waiting_for_card' : 'card_presented',
        ),
      ),
    );
  }

  taken(action: ReaderAction): 'unknown' | 'interrupted' | 'settled' | null {
    const record = this.engine.findHere(action.paymentId);
    if (!record || record.actionId !== action.id) return null;
    if (record.status === 'unknown') return 'unknown';
    if (record.status === 'in_progress') {
      // Sent, no card asked for yet (the stage is journaled before the device asks): safe to ask again.
      return record.readerStage === 'waiting_for_card' || record.readerStage === 'processing' ? 'interrupted' : null;
    }
    // Settled on this till since the device took it (found by the soak: the cashier said "charged"
    // while a poll still carried the action in progress, and it was collected — charged — again).
    return 'settled';
  }

  unknown(action: ReaderAction, reason: string, advice: string, detail?: string): void {
    const record = this.engine.findHere(action.paymentId);
    if (record) this.markUnknown(record, reason, advice, detail);
  }

  /**
   * At start, before any reader is connected: a payment one of this app's readers was collecting
   * when the app stopped (the device had the request: waiting for the card, or authorising it) has
   * an unknown outcome. Found now, not when the device is back — it may come back late, busy, or
   * never — so meanwhile it can be neither canceled as "no money taken" nor collected again.
   * Returns how many. A journaled device outcome is not interrupted: the outbox posts it.
   */
  recoverInterruptedCollections(): number {
    const { journal } = this.engine;
    let found = 0;
    for (const record of journal.listPayments('active', 1_000)) {
      const collecting =
        record.status === 'in_progress' &&
        (record.readerStage === 'waiting_for_card' || record.readerStage === 'processing');
      if (!collecting || !record.readerId || !record.actionId || !journal.getReader(record.readerId)) continue;
      if (journal.getOperationByKey(`report-${record.actionId}`)) continue;
      this.markUnknown(record, INTERRUPTED, ADVICE_UNKNOWN);
      found++;
    }
    return found;
  }

  private markUnknown(record: PaymentRecord, reason: string, advice: string, detail?: string): void {
    const { journal } = this.engine;
    // The reader's advice counts on asking again, which only a gateway's readers are.
    if (record.chargedBy === 'terminal') advice = ADVICE_UNKNOWN_ON_TERMINAL;
    this.engine.changed(
      journal.updatePayment(
        record.id,
        {
          status: 'unknown',
          readerStage: null,
          attentionReason: reason,
          attentionAdvice: advice,
          attentionSince: record.attentionSince ?? this.engine.nowIso(),
        },
        'outcome_unknown',
        detail ? `${reason} [${detail}]` : reason,
      ),
    );
  }

  record(readerId: string, action: ReaderAction, result: DeviceResult): void {
    const { journal } = this.engine;
    const key = `report-${action.id}`;
    if (journal.getOperationByKey(key)) return;
    const record = this.engine.findHere(action.paymentId);
    if (!record) throw new Error(`device outcome for unknown payment ${action.paymentId}`);
    // An approval waiting to be posted is past the card: the payment no longer shows it asked for
    // (nor offers to cancel it), however long the gateway takes to hear of it.
    const authorised =
      result.outcome === 'approved' &&
      record.status === 'in_progress' &&
      record.actionId === action.id &&
      record.readerStage !== 'processing';
    journal.atomically(() => {
      journal.recordEvent(record.id, 'device_outcome', describeResult(result));
      // What the receipt needs from the reader, kept with the outcome (a gateway may not echo it).
      const extra = { ...deviceDetails(result), ...(authorised ? { readerStage: 'processing' as const } : {}) };
      if (Object.keys(extra).length > 0) journal.updatePayment(record.id, extra);
      journal.addOperation(record.id, 'report', key, { readerId, action, result });
    });
    if (authorised) this.engine.changed(this.engine.journal.getPayment(record.id)!);
  }

  waiting(readerId: string, actionId: string): boolean {
    return this.pending(readerId).some((report) => report.action.id === actionId);
  }

  reportsWaiting(readerId: string): boolean {
    return this.pending(readerId).length > 0;
  }

  async deliver(
    readerId: string,
    post: (actionId: string, result: DeviceResult) => Promise<GatewayPayment>,
  ): Promise<'done' | 'retry'> {
    for (const { op, action, result } of this.pending(readerId)) {
      let payment: GatewayPayment;
      try {
        payment = await post(action.id, result);
      } catch (error) {
        // Any refusal but a spent session is final for this report: retrying cannot change it,
        // and a stuck report must not hold back the ones behind it.
        if (error instanceof GatewayError && error.status !== 401) {
          await this.refused(op, action, result, error).catch((e: unknown) =>
            this.engine.options.log('Handling a refused report failed', errorText(e)),
          );
          continue;
        }
        // Unreachable or session gone: it stays journaled and is posted again shortly (the gateway
        // may have taken it without answering).
        this.engine.options.log(`Reporting ${action.id} failed; will retry`, errorText(error));
        return 'retry';
      }
      this.accepted(op, action, payment);
    }
    return 'done';
  }

  /** Device outcomes journaled for this reader and not yet accepted by the gateway. */
  private pending(readerId: string): { op: OperationRecord; action: ReaderAction; result: DeviceResult }[] {
    return this.engine.journal
      .pendingOperations()
      .filter((op) => op.kind === 'report' && op.params.readerId === readerId)
      .map((op) => ({ op, action: op.params.action as ReaderAction, result: op.params.result as DeviceResult }));
  }

  /** The gateway accepted a device outcome: the report is done and the payment moves, in one transition. */
  private accepted(op: OperationRecord, action: ReaderAction, payment: GatewayPayment): void {
    const { journal } = this.engine;
    journal.atomically(() => {
      journal.updateOperation(op.id, { state: 'done', lastError: null, result: payment.status });
      const record = this.engine.findHere(action.paymentId);
      if (!record) return;
      // A late report for an earlier push (e.g. re-posted after a restart) closes that action only:
      // the payment may be on the reader again with a newer one, which is still collecting.
      const current = record.actionId === null || record.actionId === action.id;
      this.sync.apply(record, payment, null, null, { actionFinal: current });
    });
  }

  /**
   * The gateway refused a device outcome (the action was canceled or already finished). An
   * approval the gateway would not take is money the shop must look at; anything else is moot.
   */
  private async refused(op: OperationRecord, action: ReaderAction, result: DeviceResult, error: GatewayError) {
    const { journal } = this.engine;
    journal.updateOperation(op.id, { state: 'failed', lastError: `${error.type}: ${error.message}` });
    if (result.outcome === 'approved') {
      this.unknown(
        action,
        `The reader approved the card, but the gateway refused the result (${error.message}).`,
        ADVICE_REFUSED_APPROVAL,
      );
      return;
    }
    const record = this.engine.findHere(action.paymentId);
    if (record)
      await this.engine
        .exclusive(record.id, () => this.recovery().reconcile(journal.getPayment(record.id)!))
        .catch(() => undefined);
  }

  /**
   * A device outcome still waiting to be posted when the gateway has already closed the payment
   * (its first post was taken but the answer lost, and recovery read the result first) can no
   * longer change anything: posting it is moot, and it must not linger as pending money work.
   * It is done when the gateway agrees with it; an approval the gateway does not show is money
   * the shop must look at, exactly as when the gateway refuses the report.
   */
  private retireClosed(record: PaymentRecord, payment: GatewayPayment): void {
    const { journal } = this.engine;
    const approvedAtGateway = payment.amountCapturable > 0 || payment.amountCaptured > 0;
    for (const op of journal.pendingOperationsFor(record.id, 'report')) {
      const action = op.params.action as ReaderAction;
      const result = op.params.result as DeviceResult;
      if (result.outcome === 'approved' && !approvedAtGateway) {
        journal.updateOperation(op.id, {
          state: 'failed',
          lastError: `the gateway closed the payment as ${payment.status}`,
        });
        this.unknown(
          action,
          `The reader approved the card, but the gateway closed the payment as ${payment.status.replace('_', ' ')}.`,
          ADVICE_REFUSED_APPROVAL,
        );
      } else {
        journal.updateOperation(op.id, {
          state: 'done',
          lastError: null,
          result: `settled at the gateway: ${payment.status}`,
        });
      }
    }
  }
}

function describeResult(result: DeviceResult): string {
  if (result.outcome === 'approved')
    return result.card ? `approved, ${result.card.brand} •••• ${result.card.last4}` : 'approved';
  return `${result.outcome}: ${result.failureCode}`;
}

/** The entry mode, auth code and terminal ticket a device result carries, as a journal patch. */
function deviceDetails(result: DeviceResult): PaymentPatch | null {
  const lines = result.outcome === 'failed' ? undefined : result.terminalLines;
  const patch: PaymentPatch = {
    ...(result.outcome === 'approved' && result.entryMode ? { entryMode: result.entryMode } : {}),
    ...(result.outcome === 'approved' && result.authCode ? { authCode: result.authCode } : {}),
    ...(lines && lines.length > 0 ? { terminalLines: JSON.stringify(lines.slice(0, 60)) } : {}),
  };
  return Object.keys(patch).length > 0 ? patch : null;
}
