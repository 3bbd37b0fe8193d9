/**
 * Server-driven terminal payments: pushing a payment to a reader's single action slot, presenting a
 * test card, cancelling the action, and applying a reader's outcome to the payment. A decline on a
 * reader leaves the payment pending ("try another card"); only an approval moves it on.
 */
import type { TimerHandle } from '../../../common/clock';
import { declineInfo } from '../../../common/decline-codes';
import { DEFAULT_TEST_CARD } from '../../../common/test-cards';
import { ApiError, conflict } from '../../http/errors';
import { decideResult, resultKey, statusFor, type ActionResult } from './action-machine';
import { inTransaction, type Context } from '../../core/context';
import { decideCard } from './test-cards';
import type { ActionRow, TerminalRow, Terminals } from './terminals';
import type { TransactionRow, Transactions } from './transactions';

export class TerminalPayments {
  private readonly timeouts = new Map<string, TimerHandle>();

  constructor(
    private readonly ctx: Context,
    private readonly terminals: Terminals,
    private readonly transactions: Transactions,
    /** The reader-timeout fault: simulated readers fail actions after this many ms (null = never). */
    private readonly readerTimeoutMs: () => number | null,
  ) {
    transactions.cancelReaderActions = (transactionId) => this.cancelActionsFor(transactionId);
    terminals.onDelete((terminal) => this.cancelCurrent(terminal));
  }

  private inProgressFor(transactionId: string): ActionRow | undefined {
    return this.ctx.sql
      .get("SELECT * FROM reader_actions WHERE transaction_id = ? AND status = 'in_progress'")
      .get(transactionId) as ActionRow | undefined;
  }

  private saveAction(action: ActionRow): void {
    action.updated_at = this.ctx.clock.now();
    this.ctx.sql
      .get(
        'UPDATE reader_actions SET status = @status, presented_card = @presented_card, failure_code = @failure_code, failure_message = @failure_message, result = @result, updated_at = @updated_at WHERE id = @id',
      )
      .run(action);
  }

  process(intentId: string, readerRef: string): TerminalRow {
    return inTransaction(this.ctx, () => {
      const txn = this.transactions.get(intentId, 'payment_intent_id');
      const reader = this.terminals.reader(readerRef, 'reader_id');
      if (txn.payment_method_type !== 'terminal') {
        throw conflict(
          'payment_error',
          'Only a terminal payment (from create-payment) can be processed on a reader.',
          'not_terminal_payment',
          'payment_intent_id',
        );
      }
      if (txn.status !== 'pending') {
        throw conflict(
          'payment_error',
          `This payment is ${txn.status}; only a pending payment can be processed.`,
          'payment_intent_unexpected_state',
          'payment_intent_id',
        );
      }
      const current = this.terminals.action(reader);
      if (current?.status === 'in_progress' && current.transaction_id === txn.id) return reader;
      if (reader.status !== 'online') {
        throw conflict('terminal_error', `Reader ${reader.processor_id} is offline.`, 'reader_offline', 'reader_id');
      }
      if (current?.status === 'in_progress') {
        throw conflict(
          'terminal_error',
          `Reader ${reader.processor_id} is busy with another payment.`,
          'reader_busy',
          'reader_id',
        );
      }
      if (this.inProgressFor(txn.id)) {
        throw conflict(
          'terminal_error',
          'This payment is already in progress on another reader.',
          'intent_in_progress',
          'payment_intent_id',
        );
      }
      const now = this.ctx.clock.now();
      const action: ActionRow = {
        seq: 0,
        id: `act_${this.ctx.ids.alnum(20)}`,
        terminal_id: reader.id,
        transaction_id: txn.id,
        type: 'process_payment',
        status: 'in_progress',
        amount: txn.amount,
        currency: txn.currency,
        capture_method: txn.capture_method,
        presented_card: null,
        failure_code: null,
        failure_message: null,
        result: null,
        created_at: now,
        updated_at: now,
      };
      this.ctx.sql
        .get(
          `INSERT INTO reader_actions (id, terminal_id, transaction_id, type, status, amount, currency, capture_method, presented_card,
           failure_code, failure_message, result, created_at, updated_at) VALUES (@id, @terminal_id, @transaction_id, @type, @status,
           @amount, @currency, @capture_method, @presented_card, @failure_code, @failure_message, @result, @created_at, @updated_at)`,
        )
        .run(action);
      reader.action_id = action.id;
      this.terminals.bumpVersion(reader);
      txn.terminal_id = reader.id;
      this.transactions.save(txn);
      if (reader.device_type === 'simulated') this.armReaderTimeout(action.id);
      return reader;
    });
  }

  /** The reader-timeout fault: the simulated reader gives up waiting for a card. */
  private armReaderTimeout(actionId: string): void {
    const ms = this.readerTimeoutMs();
    if (ms === null) return;
    const handle = this.ctx.clock.setTimeout(() => {
      this.timeouts.delete(actionId);
      inTransaction(this.ctx, () => {
        const action = this.ctx.sql.get('SELECT * FROM reader_actions WHERE id = ?').get(actionId) as
          ActionRow | undefined;
        if (action?.status !== 'in_progress') return;
        const code = 'reader_timeout';
        this.finish(action, { outcome: 'failed', failure_code: code, failure_message: declineInfo(code).gateway });
      });
    }, ms);
    this.timeouts.set(actionId, handle);
  }

  private disarm(actionId: string): void {
    const handle = this.timeouts.get(actionId);
    if (handle) {
      this.ctx.clock.clearTimeout(handle);
      this.timeouts.delete(actionId);
    }
  }

  /** Presents a test card. Simulated readers decide at once; hosted readers pass it to their host. */
  assertTestMode(): void {
    if (this.ctx.mode !== 'test') {
      throw new ApiError(
        403,
        'invalid_request',
        'simulate-payment is only available in test mode; this sandbox runs in live mode.',
        { code: 'test_mode_only' },
      );
    }
  }

  simulate(readerRef: string, cardNumber: string | undefined): TerminalRow {
    this.assertTestMode();
    return inTransaction(this.ctx, () => {
      const reader = this.terminals.reader(readerRef, 'reader_id');
      const action = this.terminals.action(reader);
      if (action?.status !== 'in_progress') {
        throw conflict(
          'terminal_error',
          `Reader ${reader.processor_id} has no action in progress; process a payment on it first.`,
          'no_action',
          'reader_id',
        );
      }
      const number = cardNumber ?? DEFAULT_TEST_CARD;
      if (reader.device_type === 'hosted') {
        if (reader.status !== 'online')
          throw conflict('terminal_error', `Reader ${reader.processor_id} is offline.`, 'reader_offline', 'reader_id');
        action.presented_card = JSON.stringify({ number });
        this.saveAction(action);
        this.terminals.bumpVersion(reader);
        return reader;
      }
      const outcome = decideCard(action.amount, number, this.ctx.mode);
      const card = { brand: outcome.brand, last4: outcome.last4 };
      this.finish(
        action,
        outcome.approved
          ? { outcome: 'approved', card, auth_code: this.ctx.ids.alnum(6).toUpperCase() }
          : { outcome: 'declined', failure_code: outcome.code, failure_message: outcome.message },
        card,
      );
      return this.terminals.get(reader.id);
    });
  }

  /**
   * Applies a reader's outcome (simulated decision, reader timeout, or a result posted over the link).
   * Returns whether it was applied or was a replay of the stored result.
   */
  finish(
    action: ActionRow,
    result: ActionResult,
    declinedCard: { brand: string; last4: string } | null = null,
  ): { action: ActionRow; transaction: TransactionRow } {
    const decision = decideResult(action.status, action.result, result);
    if (decision.kind === 'refuse') throw conflict('terminal_error', decision.message, decision.code);
    const txn = this.transactions.get(action.transaction_id);
    if (decision.kind === 'replay') return { action, transaction: txn };
    if (result.outcome === 'approved' && txn.status !== 'pending') {
      throw conflict(
        'payment_error',
        `This payment is ${txn.status}; it can no longer be approved.`,
        'payment_intent_unexpected_state',
      );
    }
    action.status = statusFor(result);
    action.result = resultKey(result);
    if (result.outcome === 'approved') {
      this.transactions.approve(txn, result.card);
    } else {
      action.failure_code = result.failure_code;
      action.failure_message = result.failure_message;
      this.transactions.recordDecline(txn, result.failure_code, result.failure_message, declinedCard);
    }
    this.saveAction(action);
    this.disarm(action.id);
    const reader = this.terminals.find(action.terminal_id);
    if (reader) this.terminals.bumpVersion(reader);
    return { action, transaction: txn };
  }

  cancelAction(readerRef: string): TerminalRow {
    return inTransaction(this.ctx, () => {
      const reader = this.terminals.reader(readerRef);
      const action = this.terminals.action(reader);
      if (action?.status !== 'in_progress') {
        throw conflict('terminal_error', `Reader ${reader.processor_id} has no action in progress.`, 'no_action');
      }
      this.cancel(action, reader);
      return reader;
    });
  }

  private cancel(action: ActionRow, reader: TerminalRow | undefined): void {
    action.status = 'canceled';
    action.failure_code = 'reader_canceled';
    action.failure_message = declineInfo('reader_canceled').gateway;
    this.saveAction(action);
    this.disarm(action.id);
    if (reader) this.terminals.bumpVersion(reader);
  }

  private cancelActionsFor(transactionId: string): void {
    const action = this.inProgressFor(transactionId);
    if (action) this.cancel(action, this.terminals.find(action.terminal_id));
  }

  private cancelCurrent(terminal: TerminalRow): void {
    const action = this.terminals.action(terminal);
    if (action?.status === 'in_progress') this.cancel(action, undefined);
  }

  /** Stops the reader-timeout timers (server shutdown). */
  shutdown(): void {
    for (const handle of this.timeouts.values()) this.ctx.clock.clearTimeout(handle);
    this.timeouts.clear();
  }
}
