/**
 * The host's refund refusals are the refund form's field messages: each a sentence naming the
 * field (docs/cashier-guide.md), as "The refund amount must be at least €0.10 with PayPlug." — found
 * by a tester: "At most €40.00 can still be refunded." and "… refunds the whole remaining amount
 * only." sat under the amount without saying which field they were about.
 */
import { describe, expect, it } from 'vitest';
import { HostError } from '../../main/core/errors';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';
import { FakeGateway } from '../support/fake-gateway';
import { paymentTill } from '../support/payment-till';

async function paidPayment() {
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
  const gateway = new FakeGateway();
  const till = paymentTill(openDatabase(':memory:'), clock, gateway, { timeZone: 'Europe/Paris' });
  const created = await till.service.commands.create({ amount: 4000, currency: 'EUR', captureMethod: 'automatic' });
  Object.assign(gateway.payments.get(created.transactionId!)!, { status: 'succeeded', amountCaptured: 4000 });
  await till.service.reconcileNow(created.id);
  return { gateway, till, paymentId: created.id };
}

/** The refusal of a refund: its message, and the field it marks. */
async function refused(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HostError);
  const { code, message, extra } = error as HostError;
  return { code, message, issues: (extra as { issues?: unknown } | undefined)?.issues };
}

describe("the host's refund refusals name the refund amount", () => {
  it('more than is left, a part on a gateway that refunds whole payments only, and what is left too small', async () => {
    const { gateway, till, paymentId } = await paidPayment();
    const refund = (amount: number) => till.service.commands.refund({ paymentId, amount });
    const on = (message: string) => ({ code: 'validation', message, issues: [{ path: 'amount', message }] });

    expect(await refused(refund(4001))).toEqual(on('The refund amount can be at most €40.00, what is left to refund.'));
    (gateway.capabilities as { partialRefund: boolean }).partialRefund = false;
    expect(await refused(refund(1000))).toEqual(
      on('The refund amount must be all €40.00 left: Fake gateway refunds no part of a payment.'),
    );
    (gateway.capabilities as { partialRefund: boolean }).partialRefund = true;
    await refund(3950);
    gateway.limits.refund.min = 100;
    expect(await refused(refund(50))).toEqual(
      on(
        'The refund amount must be at least €1.00 with Fake gateway, and only €0.50 is left: it cannot be refunded through Fake gateway.',
      ),
    );
    expect(gateway.refundsMade.map((r) => r.amount)).toEqual([3950]);
    till.close();
  });
});
