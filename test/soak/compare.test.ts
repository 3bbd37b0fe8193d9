/**
 * The soak's verdict must trip when money goes wrong: hand-made ledgers and journals, one fault
 * at a time, each caught as lost or charged twice (and a clean day caught as neither).
 */
import { describe, expect, it } from 'vitest';
import {
  compare,
  ledgerFromPayPlug,
  ledgerFromPlural,
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
    expect(orderOfKey('pos-soak-7-a-12-3-pay_Ab3dE9fGh1jK2mN7')).toBe('soak-7-a-12');
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

    it("two approvals of the customer's card on the payment links of one order", () => {
      const day = cleanDay();
      day.orders[0] = { ...order('o-1', 1000), customerApprovals: 2 };
      expect(run(day).chargedTwice).toEqual([
        expect.objectContaining({
          orderReference: 'o-1',
          reason: "the gateway approved the customer's card 2 times for this order",
        }),
      ]);
    });

    it('an order created twice at the gateway with one key (no idempotency keys), even unpaid', () => {
      const day = cleanDay();
      day.ledger.transactions.push(tx('t1b', 'pos-o-1-1', 'pending', 1000));
      const result = run(day);
      expect(result.chargedTwice).toEqual([
        expect.objectContaining({
          orderReference: 'o-1',
          reason: expect.stringMatching(/created 2 times .*pos-o-1-1/),
        }),
      ]);
      // The second one is also a transaction the journal is not linked to.
      expect(result.lost).toEqual([expect.objectContaining({ reason: expect.stringContaining('txn_t1b') })]);
    });

    it('a refund applied twice at the gateway (two refunds with one key)', () => {
      const day = cleanDay();
      day.ledger.refunds.push({ ...day.ledger.refunds[0]!, id: 'r1b', reference: 're_1b' });
      day.ledger.transactions[1] = { ...day.ledger.transactions[1]!, amount_refunded: 1000 };
      expect(run(day).chargedTwice).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            orderReference: 'o-2',
            reason: expect.stringMatching(/refund-p2-1 applied 2 times/),
          }),
        ]),
      );
    });
  });

  describe('lost, against what the journal says the gateway did', () => {
    it('a journal payment naming a transaction the gateway does not have', () => {
      const day = cleanDay();
      day.payments.push(payment('p5', 'o-5', 1, 'canceled', 't-missing', 300));
      day.orders.push(order('o-5', 0));
      expect(run(day).lost).toEqual([
        expect.objectContaining({ paymentId: 'p5', reason: expect.stringContaining('t-missing') }),
      ]);
    });

    it('a refund done in the journal that the gateway never made', () => {
      const day = cleanDay();
      day.operations.push({ paymentId: 'p1', kind: 'refund', idempotencyKey: 'refund-p1-1', state: 'done' });
      expect(run(day).lost).toEqual([
        expect.objectContaining({ orderReference: 'o-1', reason: expect.stringContaining('refund-p1-1') }),
      ]);
    });
  });
});

describe("each gateway's ledger in the comparison's shape", () => {
  it('PayPlug: statuses from is_paid, the authorization and the failure; keys from the pos_key tags', () => {
    const ledger = ledgerFromPayPlug({
      payments: [
        {
          id: 'pay_a',
          amount: 1000,
          currency: 'EUR',
          status: 'paid',
          is_paid: true,
          amount_refunded: 400,
          failure_code: null,
          metadata: { pos_key: 'pos-o-1-1' },
        },
        {
          id: 'pay_b',
          amount: 2000,
          currency: 'EUR',
          status: 'paid',
          is_paid: true,
          amount_refunded: 2000,
          failure_code: null,
          metadata: { pos_key: 'pos-o-2-1' },
        },
        {
          id: 'pay_c',
          amount: 3000,
          currency: 'EUR',
          status: 'authorized',
          is_paid: false,
          amount_refunded: 0,
          failure_code: null,
          metadata: { pos_key: 'pos-o-3-1' },
        },
        {
          id: 'pay_d',
          amount: 500,
          currency: 'EUR',
          status: 'failed',
          is_paid: false,
          amount_refunded: 0,
          failure_code: 'aborted',
          metadata: { pos_key: 'pos-o-4-1' },
        },
        {
          id: 'pay_e',
          amount: 500,
          currency: 'EUR',
          status: 'failed',
          is_paid: false,
          amount_refunded: 0,
          failure_code: 'card_declined',
          metadata: null,
        },
        {
          id: 'pay_f',
          amount: 500,
          currency: 'EUR',
          status: 'open',
          is_paid: false,
          amount_refunded: 0,
          failure_code: null,
          metadata: { pos_key: 'pos-o-6-1' },
        },
      ],
      refunds: [
        { id: 're_1', payment_id: 'pay_a', amount: 400, metadata: { pos_key: 'refund-p1-1', pos_reason: 'soak' } },
      ],
    });
    expect(
      ledger.transactions.map((t) => [t.id, t.status, t.amount_captured, t.amount_refunded, t.idempotency_key]),
    ).toEqual([
      ['pay_a', 'partially_refunded', 1000, 400, 'pos-o-1-1'],
      ['pay_b', 'refunded', 2000, 2000, 'pos-o-2-1'],
      ['pay_c', 'requires_capture', 0, 0, 'pos-o-3-1'],
      ['pay_d', 'canceled', 0, 0, 'pos-o-4-1'],
      ['pay_e', 'failed', 0, 0, null],
      ['pay_f', 'pending', 0, 0, 'pos-o-6-1'],
    ]);
    expect(ledger.refunds).toEqual([
      {
        id: 're_1',
        reference: 're_1',
        transaction_id: 'pay_a',
        idempotency_key: 'refund-p1-1',
        amount: 400,
        currency: 'EUR',
      },
    ]);
  });

  it("Plural: statuses from the order's, captured and refunded amounts; refund orders under their charge", () => {
    const order = (id: string, status: string, captured: number, refunded: number, key: string | null) => ({
      order_id: id,
      merchant_order_reference: `ref-${id}`,
      status,
      amount: 5000,
      currency: 'INR',
      captured,
      refunded,
      merchant_metadata: key ? { pos_order: 'o', pos_key: key } : null,
      refunds: [] as {
        order_id: string;
        merchant_order_reference: string;
        amount: number;
        merchant_metadata: unknown;
      }[],
    });
    const partly = order('v1-a', 'PARTIALLY_REFUNDED', 3000, 1000, 'pos-o-1-1');
    partly.refunds.push({
      order_id: 'v1-r',
      merchant_order_reference: 'v1-a-R1',
      amount: 1000,
      merchant_metadata: { pos_key: 'refund-p1-1', pos_op: 'refund' },
    });
    const ledger = ledgerFromPlural({
      orders: [
        partly,
        order('v1-b', 'PROCESSED', 5000, 0, 'pos-o-2-1'),
        order('v1-c', 'PARTIALLY_CAPTURED', 2500, 0, 'pos-o-3-1'),
        order('v1-d', 'AUTHORIZED', 0, 0, 'pos-o-4-1'),
        order('v1-e', 'ATTEMPTED', 0, 0, 'pos-o-5-1'),
        order('v1-f', 'CANCELLED', 0, 0, 'pos-o-6-1'),
        order('v1-g', 'FULLY_REFUNDED', 5000, 5000, 'pos-o-7-1'),
        order('v1-h', 'FAILED', 0, 0, null),
      ],
    });
    expect(
      ledger.transactions.map((t) => [
        t.id,
        t.reference,
        t.status,
        t.amount_captured,
        t.amount_refunded,
        t.idempotency_key,
      ]),
    ).toEqual([
      ['v1-a', 'ref-v1-a', 'partially_refunded', 3000, 1000, 'pos-o-1-1'],
      ['v1-b', 'ref-v1-b', 'succeeded', 5000, 0, 'pos-o-2-1'],
      ['v1-c', 'ref-v1-c', 'succeeded', 2500, 0, 'pos-o-3-1'],
      ['v1-d', 'ref-v1-d', 'requires_capture', 0, 0, 'pos-o-4-1'],
      ['v1-e', 'ref-v1-e', 'pending', 0, 0, 'pos-o-5-1'],
      ['v1-f', 'ref-v1-f', 'canceled', 0, 0, 'pos-o-6-1'],
      ['v1-g', 'ref-v1-g', 'refunded', 5000, 5000, 'pos-o-7-1'],
      ['v1-h', 'ref-v1-h', 'failed', 0, 0, null],
    ]);
    expect(ledger.refunds).toEqual([
      {
        id: 'v1-r',
        reference: 'v1-a-R1',
        transaction_id: 'v1-a',
        idempotency_key: 'refund-p1-1',
        amount: 1000,
        currency: 'INR',
      },
    ]);
  });
});
