/**
 * A payment captured later (manual capture) made on another of the shop's own accounts, whose key was
 * rolled: the cashier records what that account's dashboard shows. "Charged" was recorded as paid,
 * its whole amount captured, though the dashboard may show it only authorised (requires_capture): no
 * money taken yet, and the hold still to capture or cancel there. The cashier now says which.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';
import { FakeGateway } from '../support/fake-gateway';
import { paymentTill } from '../support/payment-till';

/** A manual-capture link made on the first account, then Settings names the second (the first's key rolled). */
async function authorisationElsewhere() {
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
  const first = new FakeGateway();
  const second = new FakeGateway();
  for (const gateway of [first, second])
    Object.assign(gateway.capabilities, { payByLink: true, deferredCaptureByLink: true });
  const on = { gateway: first, account: 'https://first.example sk_test_…aaaa' };
  const till = paymentTill(openDatabase(':memory:'), clock, () => on.gateway, { gatewayAccount: () => on.account });
  const made = await till.service.commands.create({
    amount: 4000,
    currency: 'EUR',
    captureMethod: 'manual',
    channel: 'link',
    orderReference: 'ORD-HOLD',
  });
  on.gateway = second;
  on.account = 'https://second.example sk_test_…bbbb';
  till.service.engine.accountSwitched();
  return { ...till, made };
}

describe('a manual-capture payment settled from a rolled account’s dashboard', () => {
  it('asks whether it was captured or only authorised, and records an authorisation as one', async () => {
    const t = await authorisationElsewhere();
    const item = t.service.engine.attention().find((a) => a.paymentId === t.made.id);
    expect(item).toMatchObject({ settleElsewhere: true, manualCapture: true });
    const charged = {
      paymentId: t.made.id,
      resolution: 'charged' as const,
      gatewayPaymentId: t.made.transactionId!,
      by: 'Ann (owner)',
    };
    // Not said: refused on the field, nothing recorded.
    await expect(t.service.commands.resolveAttention(charged)).rejects.toMatchObject({
      code: 'validation',
      extra: { issues: [expect.objectContaining({ path: 'captured' })] },
    });
    expect(t.journal.getPayment(t.made.id)).toMatchObject({ status: 'pending', amountCaptured: 0 });

    const held = await t.service.commands.resolveAttention({ ...charged, captured: false });
    expect(held).toMatchObject({
      status: 'requires_capture',
      amountCaptured: 0,
      amountCapturable: 4000,
      attention: null,
    });
    expect(t.journal.timeline(t.made.id).at(-1)).toMatchObject({
      event: 'cashier_settled_elsewhere',
      detail: expect.stringMatching(
        /^Ann \(owner\): authorised, not captured, on .*capture or cancel it on that account's dashboard/,
      ),
    });
    // Nothing to capture from here: that account's dashboard does it.
    expect(held.next).toEqual([]);
    expect(t.service.engine.attention().find((a) => a.paymentId === t.made.id)).toBeUndefined();
    t.close();
  });

  it('records a capture the dashboard shows as paid', async () => {
    const t = await authorisationElsewhere();
    const paid = await t.service.commands.resolveAttention({
      paymentId: t.made.id,
      resolution: 'charged',
      gatewayPaymentId: t.made.transactionId!,
      by: 'Ann (owner)',
      captured: true,
    });
    expect(paid).toMatchObject({ status: 'succeeded', amountCaptured: 4000, amountCapturable: 0 });
    t.close();
  });
});
