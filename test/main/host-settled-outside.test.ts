/**
 * A payment settled on the gateway's dashboard (or by another till) after the till last read it: the
 * till still offered Refund, Capture and Cancel, and pressing one showed the gateway's raw refusal
 * while the buttons stayed. The refusal now reads the payment again: the journal, and the buttons
 * every screen offers from it, follow the gateway, and the cashier reads what happened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { cardPayment, tillBehindProxy } from '../support/proxied-host';

describe('a payment settled outside the till since it was last read', () => {
  let t: TestHost;
  afterEach(async () => {
    await t?.close();
  });

  const paid = async (captureMethod: 'automatic' | 'manual') => {
    const reader = await t.onlineReader();
    const created = await t.call('payments.create', { amount: 5000, currency: 'USD', captureMethod });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    return t.waitForPayment(
      created.id,
      (p) => p.status === (captureMethod === 'manual' ? 'requires_capture' : 'succeeded'),
    );
  };
  const viewOf = async (id: string) =>
    (await t.call('payments.list', { filter: 'all', limit: 10 })).find((p) => p.id === id)!;

  it('refunded on the dashboard: the refund is refused in the cashier’s words, and Refund goes', async () => {
    t = await startTestHost();
    const payment = await paid('automatic');
    expect(payment.next).toEqual(['refund']);
    // The shop refunds it on the gateway's dashboard; the till has not read it since.
    expect((await t.api('POST', `/v1/transactions/${payment.transactionId}/refunds`, {})).status).toBe(201);
    expect((await viewOf(payment.id)).next).toEqual(['refund']);

    const refused = await t.fail('payments.refund', { paymentId: payment.id, amount: 5000 });
    expect(refused).toMatchObject({
      code: 'conflict',
      message:
        "Not refunded: PlutoPay shows this payment refunded already ($50.00 captured, $50.00 refunded), settled outside this till (on PlutoPay's dashboard, or by another till). It now shows here as PlutoPay has it.",
    });
    expect(await viewOf(payment.id)).toMatchObject({ status: 'refunded', amountRefunded: 5000, next: [] });
  });

  it('captured on the dashboard: the capture is refused in the cashier’s words, and Capture and Cancel go', async () => {
    t = await startTestHost();
    const payment = await paid('manual');
    expect(payment.next).toEqual(['capture', 'cancel']);
    expect((await t.api('POST', `/v1/transactions/${payment.transactionId}/capture`, {})).status).toBe(200);

    const refused = await t.fail('payments.capture', { paymentId: payment.id });
    expect(refused.message).toBe(
      "Not captured: PlutoPay shows this payment succeeded already ($50.00 captured), settled outside this till (on PlutoPay's dashboard, or by another till). It now shows here as PlutoPay has it. Refund it if the money should go back.",
    );
    expect(await viewOf(payment.id)).toMatchObject({ status: 'succeeded', amountCaptured: 5000, next: ['refund'] });
    expect((await t.call('payments.list', { filter: 'uncaptured', limit: 10 })).map((p) => p.id)).not.toContain(
      payment.id,
    );
  });

  it('canceled on the dashboard: the cancel is refused in the cashier’s words', async () => {
    t = await startTestHost();
    const payment = await paid('manual');
    expect((await t.api('POST', `/v1/transactions/${payment.transactionId}/cancel`, {})).status).toBe(200);
    const refused = await t.fail('payments.capture', { paymentId: payment.id });
    expect(refused.message).toMatch(
      /^Not captured: PlutoPay shows this payment canceled already, settled outside this till/,
    );
    expect(await viewOf(payment.id)).toMatchObject({ status: 'canceled', next: [] });
  });

  it('a queued cancel refused once the gateway is back, captured on the dashboard meanwhile, says so too', async () => {
    // Found hunting: pressed now, such a refusal read the payment again and said what happened; sent
    // from the offline queue, Needs attention kept the gateway's bare refusal and the old status.
    const till = await tillBehindProxy();
    t = till.t;
    try {
      const payment = await cardPayment(t, 5000, 'manual');
      till.proxy.answer = () => ({ status: 503, body: JSON.stringify({ error: { message: 'Service Unavailable' } }) });
      expect(await t.fail('payments.cancel', { paymentId: payment.id })).toMatchObject({ queued: true });
      // The manager captures it on the dashboard while the till cannot reach the gateway.
      expect((await t.api('POST', `/v1/transactions/${payment.transactionId}/capture`, {})).status).toBe(200);
      till.proxy.answer = () => null;
      await waitFor(
        async () => {
          const { connectivity } = await t.call('session.snapshot', {});
          return connectivity.gateway === 'online' && connectivity.queued.count === 0;
        },
        20_000,
        'the queue worked through',
      );
      // The refusal is journaled first, in the gateway's words; the read after it then rewrites the
      // item (waiting only for an item and the new status raced that read, one run in six).
      const flagged = await t.waitForPayment(
        payment.id,
        (p) => p.status === 'succeeded' && p.attention?.reason.includes('settled outside this till') === true,
      );
      expect(flagged).toMatchObject({ amountCaptured: 5000, next: ['refund'] });
      expect(flagged.attention?.reason).toBe(
        "The queued cancel was refused when it was sent. Not canceled: PlutoPay shows this payment succeeded already ($50.00 captured), settled outside this till (on PlutoPay's dashboard, or by another till). It now shows here as PlutoPay has it. Refund it if the money should go back.",
      );
      const { timeline } = await t.call('transactions.get', { transactionId: payment.id });
      expect(timeline.map((e) => e.event)).toEqual(
        expect.arrayContaining(['queued_cancel_refused', 'queued_cancel_settled_outside']),
      );
    } finally {
      await till.close();
      t = undefined as never;
    }
  }, 40_000);
});
