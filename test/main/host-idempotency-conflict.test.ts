/**
 * A gateway with idempotency keys answering a resend 409 Conflict: the key's first request is
 * still being worked on (as idempotent APIs answer). That is no refusal — the first send may have
 * taken effect, or may yet — so the operation's outcome is unknown, and the engine finds out with
 * the same key, never telling the cashier "refused" for money the gateway moved.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cardPayment, tillBehindProxy, type ProxiedTill } from '../support/proxied-host';

const IN_PROGRESS = {
  status: 409,
  body: JSON.stringify({
    error: {
      type: 'idempotency_error',
      message: 'There is currently another in-progress request using this idempotency key.',
    },
  }),
};

interface Ledger {
  transactions: { id: string; idempotency_key: string | null; amount_refunded: number }[];
  refunds: { transaction_id: string; amount: number }[];
}

async function ledger(till: ProxiedTill): Promise<Ledger> {
  const response = await fetch(`${till.sandbox.url}/_sandbox/ledger`, {
    headers: { Authorization: `Bearer ${till.sandbox.secret_key}` },
  });
  return (await response.json()) as Ledger;
}

describe('a resend answered 409 (the first send still in progress)', () => {
  let till: ProxiedTill | undefined;
  afterEach(async () => {
    await till?.close();
    till = undefined;
  });

  /** The first POST to `suffix` reaches the gateway and its answer is lost; the second is answered 409. */
  function firstLostThenConflict(proxied: ProxiedTill, suffix: string): void {
    let sends = 0;
    proxied.proxy.dropAnswer = (method, path) => method === 'POST' && path.endsWith(suffix) && sends === 1;
    proxied.proxy.answer = (method, path) => {
      if (method !== 'POST' || !path.endsWith(suffix)) return null;
      sends += 1;
      return sends === 2 ? IN_PROGRESS : null;
    };
  }

  it('a refund is not shown refused while the gateway makes it: the cashier cannot pay it out twice', async () => {
    till = await tillBehindProxy();
    const { t } = till;
    const paid = await cardPayment(t, 1000, 'automatic');
    firstLostThenConflict(till, '/refunds');

    // Before, the 409 was taken for a refusal: "The gateway refused", nothing refunded in the
    // journal, while the gateway had refunded 4.00 — and the cashier's second try refunded 4.00 more.
    const refunded = await t.call('payments.refund', { paymentId: paid.id, amount: 400 });
    expect(refunded).toMatchObject({ amountRefunded: 400, status: 'partially_refunded', attention: null });
    const rows = await ledger(till);
    expect(rows.transactions.find((row) => row.id === paid.transactionId)?.amount_refunded).toBe(400);
    expect(rows.refunds.filter((row) => row.transaction_id === paid.transactionId)).toHaveLength(1);
    expect(await t.fail('payments.refund', { paymentId: paid.id, amount: 700 })).toMatchObject({
      code: 'validation',
      message: 'The refund amount can be at most $6.00, what is left to refund.',
    });
  }, 30_000);

  it('a create is not failed while the gateway makes it: the payment the key made is the one kept', async () => {
    till = await tillBehindProxy();
    const { t } = till;
    firstLostThenConflict(till, '/terminal/create-payment');
    const created = await t.call('payments.create', { amount: 1500, currency: 'USD', captureMethod: 'automatic' });
    expect(created).toMatchObject({ status: 'pending', attention: null });
    const made = (await ledger(till)).transactions.filter((row) => row.idempotency_key?.includes(created.id));
    expect(made.map((row) => row.id)).toEqual([created.transactionId]);
  }, 30_000);
});
