/**
 * Split settlement: a payment shared between merchants, each share settled at once or held until
 * the till releases it (in full or in part) or cancels it. Releases and cancels are journaled
 * operations like captures and refunds: written with their key before the first send, retrieved
 * before any retry, queued while the gateway cannot be reached and resumed by recovery after a
 * restart. A partial release and the refund of the rest it requires are one operation (the port's
 * `settlements.release` does both and is safe to repeat), so a crash between the two is finished by
 * recovery, never done twice.
 */
import type { ParsedCommandInput, PaymentView, SettlementPage } from '../../common/contract';
import { formatAmount } from '../../common/money';
import { HostError } from '../core/errors';
import type { PaymentGateway } from '../gateway/port';
import type { OperationRecord, PaymentRecord, SplitRecord } from '../store/journal';
import type { PaymentEngine } from './engine';
import { moneyOperation } from './recovery';
import { describeStatus, type PaymentSync } from './sync';
import { NOT_PAID_YET } from '../reports/split-funding';
import { heldOfShares } from './views';

const SETTLEABLE = ['succeeded', 'partially_refunded'];

/** How a payment a closed share cannot be cancelled on ended, in the refusal. */
const ENDED_AS: Readonly<Record<string, string>> = {
  refunded: 'refunded',
  canceled: 'cancelled before capture',
  failed: 'failed',
};

export class Settlements {
  constructor(
    private readonly engine: PaymentEngine,
    private readonly sync: PaymentSync,
    private readonly resolve: (ref: string) => Promise<PaymentRecord>,
  ) {}

  /** Split payments the till made (or took in), those with a held share first, a page at a time. */
  list(input: ParsedCommandInput<'settlements.list'>): SettlementPage {
    const { rows, total, held, notKnown } = this.engine.journal.pageSplitPayments(
      input.offset,
      input.limit,
      input.held,
    );
    return {
      payments: rows.map((record) => this.engine.view(record)),
      total,
      held: held.map((h) => ({ ...h })),
      notKnown: notKnown.map((h) => ({ ...h })),
    };
  }

  release(input: ParsedCommandInput<'settlements.release'>): Promise<PaymentView> {
    return this.settle('release', input.paymentId, input.splitId, input.amount);
  }

  cancel(input: ParsedCommandInput<'settlements.cancel'>): Promise<PaymentView> {
    return this.settle('cancel_split', input.paymentId, input.splitId, undefined);
  }

  private async settle(
    kind: 'release' | 'cancel_split',
    ref: string,
    splitId: string,
    asked: number | undefined,
  ): Promise<PaymentView> {
    const payment = await this.resolve(ref);
    return this.engine.exclusive(payment.id, async () => {
      const { journal } = this.engine;
      const record = journal.getPayment(payment.id)!;
      const gateway = this.engine.gatewayFor(record);
      if (!gateway.settlements || !gateway.capabilities.splitSettlement)
        throw new HostError('conflict', `${gateway.label} does not share payments between merchants.`);
      const split = journal.splitsOf(record.id).find((candidate) => candidate.splitId === splitId);
      if (!split || !record.transactionId)
        throw new HostError('not_found', `This payment has no share ${splitId}.`, {
          issues: [{ path: 'splitId', message: 'not a share of this payment' }],
        });
      // A full release asked as an amount is a full release (nothing to refund).
      const amount = asked !== undefined && asked === split.amount ? undefined : asked;
      let op = this.waiting(record.id, splitId);
      let resumed = false;
      if (op) {
        // The same step asked again while it waits: send it again with its key, never a second one.
        if (op.kind !== kind || op.params.amount !== amount)
          throw new HostError(
            'conflict',
            `A ${op.kind === 'release' ? 'release' : 'cancel'} of the share of ${split.merchantId} is waiting to be confirmed by ${gateway.label}; it is retried automatically.`,
            { queued: true },
          );
        resumed = true;
      } else {
        // A queued refund may take this share's money when it is sent (cancelling a held share to
        // cover itself): a release queued behind it could not be paid out (found by a tester).
        if (journal.pendingOperationsFor(record.id, 'refund').length > 0)
          throw new HostError(
            'conflict',
            `A refund of this payment is waiting to be sent to ${gateway.label} and may draw on this share. Release or cancel shares once it is done.`,
          );
        this.check(kind, record, split, amount, gateway);
        const number =
          journal.operationsFor(record.id).filter((o) => o.kind === kind && o.params.splitId === splitId).length + 1;
        op = journal.addOperation(
          record.id,
          kind,
          `${kind === 'release' ? 'release' : 'cancel-split'}-${record.id}-${splitId}-${number}`,
          {
            splitId,
            merchantId: split.merchantId,
            splitAmount: split.amount,
            ...(amount !== undefined ? { amount } : {}),
          },
          { sending: true },
        );
      }
      const settled = await this.engine.perform(op, {
        ...moneyOperation(op, record),
        queue: true,
        firstSendJournaled: !resumed,
        settle: (answer) => {
          const current = journal.getPayment(record.id)!;
          // What was refunded, as the gateway says: after a partial capture there may be nothing.
          const refunded = answer.amountRefunded - current.amountRefunded;
          return this.sync.apply(
            current,
            answer,
            kind === 'release' ? 'split_released' : 'split_canceled',
            describe(kind, split, amount, record.currency, refunded),
          );
        },
      });
      return this.engine.view(settled);
    });
  }

  /** The release or cancel of this share still waiting for the gateway's confirmation, if any. */
  private waiting(paymentId: string, splitId: string): OperationRecord | undefined {
    const { journal } = this.engine;
    return [
      ...journal.pendingOperationsFor(paymentId, 'release'),
      ...journal.pendingOperationsFor(paymentId, 'cancel_split'),
    ].find((op) => op.params.splitId === splitId);
  }

  /** What the gateway would refuse, refused before anything is journaled. */
  private check(
    kind: 'release' | 'cancel_split',
    record: PaymentRecord,
    split: SplitRecord,
    amount: number | undefined,
    gateway: PaymentGateway,
  ): void {
    // After a partial capture the shares that moved may have taken all the captured money (a
    // cancelled share gives it back): a held share then holds nothing (heldOfShares, the reports'
    // rule), and no release can settle it — said as such, not as the payment's status (which reads
    // "refunded" once that money went back), and before anything is sent.
    if (kind === 'release' && split.status === 'HOLD' && record.amountCaptured > 0) {
      const splits = this.engine.journal.splitsOf(record.id);
      const held = heldOfShares(splits, record)[splits.findIndex((s) => s.splitId === split.splitId)];
      if (held === 0)
        throw new HostError(
          'conflict',
          `No captured money is left to release the share of ${split.merchantId} (${formatAmount(split.amount, record.currency)}): only ${formatAmount(record.amountCaptured, record.currency)} of this payment was captured, and the other shares have taken it (settled, or given back to the customer). Nothing can be settled to ${split.merchantId} from this payment.`,
        );
    }
    // A closed share (held at the gateway, nothing captured left for it) of a payment refunded or
    // voided: the gateway refuses a cancel there (it went to Plural and came back refused). Said as
    // what it is, before anything is sent. On a payment still paid the cancel is taken (it tidies the share).
    if (kind === 'cancel_split' && split.status === 'HOLD' && !SETTLEABLE.includes(record.status)) {
      const splits = this.engine.journal.splitsOf(record.id);
      const held = heldOfShares(splits, record)[splits.findIndex((s) => s.splitId === split.splitId)];
      if (held === 0 && !NOT_PAID_YET.has(record.status))
        throw new HostError(
          'conflict',
          `The share of ${split.merchantId} (${formatAmount(split.amount, record.currency)}) is closed: no captured money is left for it, and ${gateway.label} takes no cancel of a share once the payment is ${ENDED_AS[record.status] ?? describeStatus(record.status)}. Nothing is left to settle or give back.`,
        );
    }
    if (!SETTLEABLE.includes(record.status))
      throw new HostError(
        'conflict',
        `A share is released or cancelled once the payment is paid; this one is ${describeStatus(record.status)}.`,
      );
    if (split.status !== 'HOLD')
      throw new HostError(
        'conflict',
        `The share of ${split.merchantId} is ${split.status.toLowerCase()}: only a held share can be ${kind === 'release' ? 'released' : 'cancelled'}.`,
      );
    if (amount === undefined) return;
    const min = gateway.limits.amount.min;
    const rest = split.amount - amount;
    if (amount > split.amount || amount < min || (rest > 0 && rest < min)) {
      const rule = `from ${formatAmount(min, record.currency)} up to the share's ${formatAmount(split.amount, record.currency)}, leaving either nothing or at least ${formatAmount(min, record.currency)} to refund to the customer`;
      throw new HostError('validation', `Release ${rule}.`, { issues: [{ path: 'amount', message: rule }] });
    }
  }
}

function describe(
  kind: 'release' | 'cancel_split',
  split: SplitRecord,
  amount: number | undefined,
  currency: string,
  refunded: number,
) {
  const share = `${split.merchantId}'s share of ${formatAmount(split.amount, currency)}`;
  const refund =
    refunded > 0
      ? `, ${formatAmount(refunded, currency)} refunded to the customer`
      : '; nothing was left to refund to the customer';
  if (kind === 'cancel_split') return `${share} cancelled${refund}`;
  if (amount === undefined) return `${share} released in full`;
  return `${formatAmount(amount, currency)} of ${share} released${refund}`;
}
