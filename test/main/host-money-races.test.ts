/**
 * Money commands sent at once on one payment (two windows, a double press, a cashier and the
 * queue): refunds never add up past what was captured, and of two captures and a cancel of one
 * authorisation exactly one happens — at the gateway as in the journal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/host';
import { cardPayment, tillBehindProxy, type ProxiedTill } from '../support/proxied-host';

interface LedgerRow {
  id: string;
  status: string;
  amount_captured: number;
  amount_refunded: number;
}

async function ledgerRow(till: ProxiedTill, id: string | null): Promise<LedgerRow | undefined> {
  const response = await fetch(`${till.sandbox.url}/_sandbox/ledger`, {
    headers: { Authorization: `Bearer ${till.sandbox.secret_key}` },
  });
  return ((await response.json()) as { transactions: LedgerRow[] }).transactions.find((row) => row.id === id);
}

describe('money commands at once on one payment', () => {
  let till: ProxiedTill | undefined;
  afterEach(async () => {
    await till?.close();
    till = undefined;
  });

  it('three refunds of 6.00 on a 10.00 payment: one is made, two are refused before any call', async () => {
    till = await tillBehindProxy();
    const { t, proxy } = till;
    const paid = await cardPayment(t, 1000, 'automatic');
    let refundCalls = 0;
    proxy.answer = (method, path) => {
      if (method === 'POST' && path.endsWith('/refunds')) refundCalls += 1;
      return null;
    };
    const results = await Promise.all(
      [600, 600, 600].map((amount) => t.host.invoke('payments.refund', { paymentId: paid.id, amount })),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    for (const result of results.filter((r) => !r.ok))
      expect(result).toMatchObject({
        error: { code: 'validation', message: 'The refund amount can be at most $4.00, what is left to refund.' },
      });
    expect(refundCalls).toBe(1);
    expect(await ledgerRow(till, paid.transactionId)).toMatchObject({ amount_refunded: 600 });
  }, 30_000);

  it('a partial capture, a full capture and a cancel of one authorisation: only the first happens', async () => {
    till = await tillBehindProxy();
    const { t } = till;
    const authorised = await cardPayment(t, 1000, 'manual');
    const [partial, full, cancel] = await Promise.all([
      t.host.invoke('payments.capture', { paymentId: authorised.id, amount: 600 }),
      t.host.invoke('payments.capture', { paymentId: authorised.id }),
      t.host.invoke('payments.cancel', { paymentId: authorised.id }),
    ]);
    expect(partial).toMatchObject({ ok: true, value: { status: 'succeeded', amountCaptured: 600 } });
    expect(full).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(cancel).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await ledgerRow(till, authorised.transactionId)).toMatchObject({
      status: 'succeeded',
      amount_captured: 600,
    });
    // What was not captured cannot be refunded.
    expect(await t.fail('payments.refund', { paymentId: authorised.id, amount: 700 })).toMatchObject({
      code: 'validation',
      message: 'The refund amount can be at most $6.00, what is left to refund.',
    });
  }, 30_000);
});

describe('a cancel while the reader approved the card and the gateway has not heard yet', () => {
  let till: ProxiedTill | undefined;
  afterEach(async () => {
    await till?.close();
    till = undefined;
  });

  it('is refused, and the approval is recorded once the gateway takes the report', async () => {
    // Found while pulling a terminal just after it approved: the approval, journaled but not yet
    // posted, did not stop a cancel at the gateway, which then refused the approval (the card
    // charged for a payment the till had called canceled).
    till = await tillBehindProxy();
    const { t, proxy } = till;
    let refuse = true;
    let reports = 0;
    proxy.answer = (method, path) => {
      if (method !== 'POST' || !/\/link\/actions\/[^/]+\/result$/.test(path)) return null;
      reports += 1;
      return refuse ? { status: 503, body: '{"error":{"type":"api_error","message":"down a moment"}}' } : null;
    };
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 1000, currency: 'USD' });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await waitFor(() => reports > 0, 5_000, 'the approval reported, and not taken');

    expect(await t.fail('payments.cancel', { paymentId: created.id })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^The reader approved this card/),
    });
    refuse = false;
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 10_000);
    expect(paid.attention).toBeNull();
  }, 30_000);
});
