/**
 * The soak's verdict must trip when money goes wrong: hand-made ledgers and journals, one fault
 * at a time, each caught as lost or charged twice (and a clean day caught as neither).
 */
import { describe, expect, it } from 'vitest';
import {
  compare,
  orderOfKey,
  type JournalOperation,
  type JournalPayment,
  type Ledger,
  type LedgerTransaction,
  type RunnerOrder,
} from './compare';

function tx(
  id: string,
  key: string | null,
  status: string,
  amount: number,
  captured = 0,
  refunded = 0,
): LedgerTransaction {
  return {
    id,
    reference: `txn_${id}`,
    idempotency_key: key,
    status,
    amount,
    amount_captured: captured,
    amount_refunded: refunded,
    currency: 'usd',
    payment_method_type: 'terminal',
    seeded: false,
  };
}

function payment(
  id: string,
  order: string,
  attempt: number,
  status: string,
  transactionId: string | null,
  amount: number,
  captured = 0,
  refunded = 0,
): JournalPayment {
  return {
    id,
    orderReference: order,
    attempt,
    idempotencyKey: `pos-${order}-${attempt}`,
    origin: 'local',
    status,
    transactionId,
    amount,
    amountCaptured: captured,
    amountRefunded: refunded,
    attentionReason: null,
    attentionSince: null,
  };
}

function order(
  ref: string,
  intendedCapture: number,
  intendedRefunds = 0,
  deviceApprovals: number | null = null,
): RunnerOrder {
  return {
    orderReference: ref,
    accepted: true,
    refusedReason: null,
    intendedCapture,
    intendedRefunds,
    deviceApprovals,
  };
}

/** A clean day: a sale, a partly refunded sale, a decline then cancel, a released authorisation. */
function cleanDay(): {
  ledger: Ledger;
  payments: JournalPayment[];
  operations: JournalOperation[];
  orders: RunnerOrder[];
} {
  return {
    ledger: {
      transactions: [
        tx('t1', 'pos-o-1-1', 'succeeded', 1000, 1000),
        tx('t2', 'pos-o-2-1', 'partially_refunded', 2000, 1500, 500),
        tx('t3', 'pos-o-3-1', 'canceled', 700),
        tx('t4', 'pos-o-4-1', 'canceled', 900),
        tx('seed', null, 'succeeded', 5000, 5000),
        { ...tx('demo', 'demo-1', 'succeeded', 100, 100), seeded: true },
      ],
      refunds: [
        {
          id: 'r1',
          reference: 're_1',
          transaction_id: 't2',
          idempotency_key: 'refund-p2-1',
          amount: 500,
          currency: 'usd',
        },
      ],
    },
    payments: [
      payment('p1', 'o-1', 1, 'succeeded', 't1', 1000, 1000),
      payment('p2', 'o-2', 1, 'partially_refunded', 't2', 2000, 1500, 500),
      payment('p3', 'o-3', 1, 'canceled', 't3', 700),
      payment('p4', 'o-4', 1, 'canceled', 't4', 900),
    ],
    operations: [
      { paymentId: 'p2', kind: 'capture', idempotencyKey: 'capture-p2', state: 'done' },
      { paymentId: 'p2', kind: 'refund', idempotencyKey: 'refund-p2-1', state: 'done' },
      { paymentId: 'p3', kind: 'create', idempotencyKey: 'pos-o-3-1', state: 'pending' },
    ],
    orders: [order('o-1', 1000), order('o-2', 1500, 500), order('o-3', 0), order('o-4', 900)],
  };
}

function run(day: ReturnType<typeof cleanDay>) {
  return compare(day.ledger, { payments: day.payments, operations: day.operations }, day.orders);
}

describe('soak comparison of ledger and journal', () => {
  it('a clean day has nothing lost, nothing charged twice, and the right figures', () => {
    const result = run(cleanDay());
    expect(result.lost).toEqual([]);
    expect(result.chargedTwice).toEqual([]);
    expect(result.figures).toMatchObject({
      attempted: 4,
      succeeded: 2,
      failed: 2,
      canceled: 2,
      captured: 2,
      capturedAmount: 2500,
      refunded: 1,
      refundedAmount: 500,
      lost: 0,
      chargedTwice: 0,
      needingAttention: 0,
    });
  });

  it('reads the order out of a host idempotency key, dashes included', () => {
    expect(orderOfKey('pos-soak-7-a-12-3')).toBe('soak-7-a-12');
    expect(orderOfKey('refund-pay_x-1')).toBeNull();
    expect(orderOfKey(null)).toBeNull();
  });

  describe('lost', () => {
    it('an attempted order the journal does not know', () => {
      const day = cleanDay();
      day.orders.push(order('o-9', 500));
      expect(run(day).lost).toEqual([
        expect.objectContaining({ orderReference: 'o-9', reason: expect.stringContaining('does not know') }),
      ]);
    });

    it('but not an order the host refused every time (nothing can exist for it)', () => {
      const day = cleanDay();
      day.orders.push({ ...order('o-9', 500), accepted: false, refusedReason: 'gateway unreachable' });
      const result = run(day);
      expect(result.lost).toEqual([]);
      expect(result.figures).toMatchObject({ attempted: 5, failed: 3, refused: 1 });
    });

    it('a gateway transaction with a pos- key that no journal payment has', () => {
      const day = cleanDay();
      day.ledger.transactions.push(tx('t9', 'pos-o-1-2', 'pending', 1000));
      expect(run(day).lost).toEqual([
        expect.objectContaining({ orderReference: 'o-1', reason: expect.stringContaining('txn_t9') }),
      ]);
    });

    it('a gateway transaction the journal payment is not linked to', () => {
      const day = cleanDay();
      day.payments[2] = { ...day.payments[2]!, transactionId: null, status: 'failed' };
      expect(run(day).lost).toEqual([
        expect.objectContaining({ paymentId: 'p3', reason: expect.stringContaining('not linked') }),
      ]);
    });

    it('a refund on our transaction whose key the journal never used', () => {
      const day = cleanDay();
      day.ledger.refunds.push({
        id: 'r2',
        reference: 're_2',
        transaction_id: 't1',
        idempotency_key: null,
        amount: 100,
        currency: 'usd',
      });
      day.ledger.transactions[0] = {
        ...day.ledger.transactions[0]!,
        status: 'partially_refunded',
        amount_refunded: 100,
      };
      const result = run(day);
      expect(result.lost).toEqual([
        expect.objectContaining({ paymentId: 'p1', reason: expect.stringContaining('re_2') }),
      ]);
      // …and the amounts now disagree with the journal and with what the cashier asked for.
      expect(result.chargedTwice).toEqual([
        expect.objectContaining({
          paymentId: 'p1',
          reason: expect.stringContaining('journal captured 1000 / refunded 0'),
        }),
        expect.objectContaining({ orderReference: 'o-1', reason: 'refunded 100 but the cashier asked for 0' }),
      ]);
    });

    it('a payment left unfinished without a Needs-attention entry', () => {
      const day = cleanDay();
      day.ledger.transactions.push(tx('t5', 'pos-o-5-1', 'pending', 300));
      day.payments.push(payment('p5', 'o-5', 1, 'in_progress', 't5', 300));
      day.orders.push(order('o-5', 300));
      expect(run(day).lost).toEqual([
        expect.objectContaining({ paymentId: 'p5', reason: 'left in_progress without a Needs-attention entry' }),
      ]);
    });

    it('a money operation still queued at the end', () => {
      const day = cleanDay();
      day.operations.push({ paymentId: 'p1', kind: 'refund', idempotencyKey: 'refund-p1-1', state: 'pending' });
      expect(run(day).lost).toEqual([
        expect.objectContaining({ paymentId: 'p1', reason: expect.stringContaining('refund still queued') }),
      ]);
    });

    it('an unknown outcome in Needs attention is reported, not lost', () => {
      const day = cleanDay();
      day.ledger.transactions.push(tx('t5', 'pos-o-5-1', 'pending', 300));
      day.payments.push({
        ...payment('p5', 'o-5', 1, 'unknown', 't5', 300),
        attentionReason: 'reader unplugged while authorising',
        attentionSince: '2026-01-01T00:00:00Z',
      });
      day.orders.push(order('o-5', 300));
      const result = run(day);
      expect(result.lost).toEqual([]);
      expect(result.attention).toEqual([
        { orderReference: 'o-5', paymentId: 'p5', status: 'unknown', reason: 'reader unplugged while authorising' },
      ]);
      expect(result.figures).toMatchObject({ needingAttention: 1, unresolved: 1 });
    });
  });

  describe('charged twice', () => {
    it('two charged transactions for one order', () => {
      const day = cleanDay();
      day.ledger.transactions.push(tx('t9', 'pos-o-1-2', 'succeeded', 1000, 1000));
      day.payments.push(payment('p9', 'o-1', 2, 'succeeded', 't9', 1000, 1000));
      const result = run(day);
      expect(result.lost).toEqual([]);
      expect(result.chargedTwice).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ orderReference: 'o-1', reason: expect.stringContaining('2 charged transactions') }),
          expect.objectContaining({
            orderReference: 'o-1',
            reason: 'captured 2000 but the cashier asked for at most 1000',
          }),
        ]),
      );
    });

    it('a held authorisation counts as charged', () => {
      const day = cleanDay();
      day.ledger.transactions.push(tx('t9', 'pos-o-1-2', 'requires_capture', 1000));
      day.payments.push(payment('p9', 'o-1', 2, 'requires_capture', 't9', 1000));
      day.payments[4] = { ...day.payments[4]!, attentionReason: 'x', attentionSince: 'now' };
      expect(run(day).chargedTwice).toEqual([
        expect.objectContaining({ reason: expect.stringContaining('2 charged transactions') }),
      ]);
    });

    it('a captured amount in the ledger that differs from the journal', () => {
      const day = cleanDay();
      day.ledger.transactions[1] = { ...day.ledger.transactions[1]!, amount_captured: 2000 };
      expect(run(day).chargedTwice).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ paymentId: 'p2', reason: expect.stringContaining('ledger captured 2000') }),
        ]),
      );
    });

    it('refunds beyond what was captured', () => {
      const day = cleanDay();
      day.ledger.refunds.push({
        id: 'r2',
        reference: 're_2',
        transaction_id: 't2',
        idempotency_key: 'refund-p2-2',
        amount: 1200,
        currency: 'usd',
      });
      day.operations.push({ paymentId: 'p2', kind: 'refund', idempotencyKey: 'refund-p2-2', state: 'done' });
      expect(run(day).chargedTwice).toEqual([
        expect.objectContaining({
          paymentId: 'p2',
          reason: expect.stringContaining('refunds 1700 exceed the captured 1500'),
        }),
      ]);
    });

    it('money the gateway took while the journal says it did not', () => {
      const day = cleanDay();
      day.ledger.transactions[3] = { ...day.ledger.transactions[3]!, status: 'requires_capture' };
      expect(run(day).chargedTwice).toEqual([
        expect.objectContaining({ paymentId: 'p4', reason: expect.stringContaining('journal says canceled') }),
      ]);
    });

    it('more refunded than the cashier asked for, even when ledger and journal agree', () => {
      const day = cleanDay();
      day.ledger.transactions[1] = { ...day.ledger.transactions[1]!, amount_refunded: 1000 };
      day.ledger.refunds.push({
        id: 'r2',
        reference: 're_2',
        transaction_id: 't2',
        idempotency_key: 'refund-p2-2',
        amount: 500,
        currency: 'usd',
      });
      day.operations.push({ paymentId: 'p2', kind: 'refund', idempotencyKey: 'refund-p2-2', state: 'done' });
      day.payments[1] = { ...day.payments[1]!, amountRefunded: 1000 };
      expect(run(day).chargedTwice).toEqual([
        expect.objectContaining({ orderReference: 'o-2', reason: 'refunded 1000 but the cashier asked for 500' }),
      ]);
    });

    it('two approvals by the terminal for one order', () => {
      const day = cleanDay();
      day.orders[0] = order('o-1', 1000, 0, 2);
      expect(run(day).chargedTwice).toEqual([
        expect.objectContaining({
          orderReference: 'o-1',
          reason: 'the terminal approved 2 card payments for this order',
        }),
      ]);
    });
  });
});
