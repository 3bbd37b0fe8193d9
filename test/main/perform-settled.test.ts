/**
 * engine.perform reads the operation again before every send: one settled meanwhile — a create the
 * cashier recorded as not made, or any operation done or failed by another path — is never sent
 * again, even when its resend was already scheduled. On the fake clock, with a gateway that fails
 * sends before applying them.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';
import { FakeGateway } from '../support/fake-gateway';
import { paymentTill, settle } from '../support/payment-till';

describe('a resend of an operation settled meanwhile', () => {
  it('a create recorded as not made while its resend waits is never sent again', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    const gateway = new FakeGateway();
    const { service, journal, close } = paymentTill(openDatabase(':memory:'), clock, gateway);
    // Every send of the create fails (a 500: nothing made, the outcome unknown to the till).
    gateway.failChanges(3);
    const creating = service.commands.create({ amount: 4000, currency: 'EUR', captureMethod: 'automatic' }).then(
      () => null,
      (error: unknown) => error,
    );
    await settle();
    await clock.advanceAsync(1_000, 50);
    expect(await creating).toMatchObject({ code: 'offline' });
    const [record] = journal.attentionPayments('test');
    expect(record).toMatchObject({ status: 'unknown', transactionId: null });
    const creates = () => gateway.calls.filter((call) => call.startsWith('create')).length;
    expect(creates()).toBe(3);

    // Recovery sends it again; that send fails too, and its quick retry is scheduled.
    gateway.failChanges(1);
    const resending = service.reconcileNow(record!.id).then(
      () => null,
      (error: unknown) => error,
    );
    await settle();
    expect(creates()).toBe(4);
    // Meanwhile it is settled: recorded as not made.
    service.recovery.cashierNotMade(journal.getPayment(record!.id)!, 'Sam', 'not on the dashboard');
    // The scheduled resend fires: nothing is sent.
    await clock.advanceAsync(5_000, 50);
    await resending;
    expect(creates()).toBe(4);
    expect(gateway.payments.size).toBe(0);
    expect(journal.getPayment(record!.id)).toMatchObject({ status: 'failed', transactionId: null });
    expect(journal.getOperationByKey(record!.idempotencyKey)).toMatchObject({ state: 'failed' });
    close();
  });
});
