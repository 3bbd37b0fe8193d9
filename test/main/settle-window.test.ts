/**
 * The settle window (docs/reliability.md#the-settle-window): on a gateway that cannot refuse a second
 * send (PayPlug: no idempotency keys), a lookup made while the first send may still land proves
 * nothing. Found by a colleague: a refund whose first send timed out while PayPlug was still making
 * it was looked for 250 ms later, not found yet, and sent again — PayPlug made both, €20 back for
 * a €10 refund, and the till showed €10. On the fake clock, with a gateway whose first refund lands
 * after the first lookup.
 */
import { describe, expect, it } from 'vitest';
import { HostError } from '../../main/core/errors';
import { GatewayUnreachable, GatewayUnreadable } from '../../main/gateway/errors';
import type { PaymentService } from '../../main/payments/service';
import { openDatabase, type SqlDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';
import { FakeGateway } from '../support/fake-gateway';
import { paymentTill, settle } from '../support/payment-till';

const WINDOW_MS = 120_000;

/** A till's payments on `db` (a second one on the same db is the till after a restart). */
const till = (db: SqlDatabase, clock: FakeClock, gateway: FakeGateway) =>
  paymentTill(db, clock, gateway, { timeZone: 'Europe/Paris' });

async function paidPayment(clock: FakeClock) {
  const gateway = new FakeGateway({ idempotencyKeys: false, resendAfterUnknownMs: WINDOW_MS });
  const db = openDatabase(':memory:');
  const first = till(db, clock, gateway);
  const created = await first.service.commands.create({ amount: 4000, currency: 'EUR', captureMethod: 'automatic' });
  Object.assign(gateway.payments.get(created.transactionId!)!, { status: 'succeeded', amountCaptured: 4000 });
  await first.service.reconcileNow(created.id);
  return { gateway, db, first, paymentId: created.id, transactionId: created.transactionId! };
}

/** The cashier refunds €10.00; its first send times out while the gateway goes on making it. */
async function refundTimingOut(clock: FakeClock, service: PaymentService, gateway: FakeGateway, paymentId: string) {
  let land!: () => void;
  gateway.refundLandsLate(new Promise<void>((resolve) => (land = resolve)));
  const refunding = service.commands.refund({ paymentId, amount: 1000 }).then(
    () => null,
    (error: unknown) => error,
  );
  // The quick retry 250 ms later: the lookup does not see the refund the gateway is still making.
  await settle();
  await clock.advanceAsync(250, 50);
  const error = await refunding;
  return { error, land };
}

describe('the settle window of a gateway without idempotency keys', () => {
  it('a refund whose first send lands after the lookup is made once, and shown once', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0)); // 10:00 in Paris
    const { gateway, first, paymentId, transactionId } = await paidPayment(clock);
    const { service, journal } = first;
    const { error, land } = await refundTimingOut(clock, service, gateway, paymentId);

    // Not sent again on a lookup that finds nothing: the cashier reads that the till is checking.
    expect(error).toBeInstanceOf(HostError);
    expect(error).toMatchObject({ code: 'offline', extra: { queued: true } });
    expect((error as Error).message).toMatch(
      /Checking with Fake gateway whether the refund went through \(nothing will be sent again before 10:02\)/,
    );
    expect(gateway.calls.filter((call) => call.startsWith('refund'))).toHaveLength(1);
    const [op] = journal.operationsFor(paymentId).filter((o) => o.kind === 'refund');
    expect(op).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/^Checking with Fake gateway/) });
    // Pending and shown as queued: the cashier cannot refund that money a second time meanwhile.
    expect(service.view(journal.getPayment(paymentId)!)).toMatchObject({ queuedOperations: 1, amountRefunded: 0 });
    await expect(service.commands.refund({ paymentId, amount: 3500 })).rejects.toThrow(
      /The refund amount can be at most €30\.00, what is left to refund/,
    );

    // PayPlug finishes the first send now, after the lookup.
    land();
    await settle();
    await clock.advanceAsync(WINDOW_MS - 1_000, 10_000);
    expect(gateway.calls.filter((call) => call.startsWith('refund'))).toHaveLength(1);
    // The window is over: looked up again, found, taken — never sent again.
    await clock.advanceAsync(2_000, 500);
    await settle();
    expect(gateway.refundsMade).toEqual([{ id: transactionId, key: op!.idempotencyKey, amount: 1000 }]);
    expect(gateway.payments.get(transactionId)!.amountRefunded).toBe(1000);
    expect(journal.getPayment(paymentId)).toMatchObject({ status: 'partially_refunded', amountRefunded: 1000 });
    expect(journal.operationsFor(paymentId).filter((o) => o.kind === 'refund')).toEqual([
      expect.objectContaining({ state: 'done', result: 'confirmed by retrieve' }),
    ]);
    first.close();
  });

  it('a restart inside the window does not send early; after it, a refund still not found is sent once', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    const { gateway, db, first, paymentId, transactionId } = await paidPayment(clock);
    // This time the first send never reached the gateway's books (it is lost for good).
    const { error } = await refundTimingOut(clock, first.service, gateway, paymentId);
    expect((error as Error).message).toMatch(/nothing will be sent again before 10:02/);

    // kill -9 and a restart 30 s later: the window is read from the journal, not from memory.
    first.close();
    await clock.advanceAsync(30_000, 10_000);
    const second = till(db, clock, gateway);
    await second.service.recovery.recover();
    expect(gateway.calls.filter((call) => call.startsWith('refund'))).toHaveLength(1);
    expect(second.journal.operationsFor(paymentId).find((o) => o.kind === 'refund')).toMatchObject({
      state: 'pending',
      lastError: expect.stringMatching(/nothing will be sent again before 10:02/),
    });
    await clock.advanceAsync(WINDOW_MS - 31_000, 10_000);
    await settle();
    expect(gateway.calls.filter((call) => call.startsWith('refund'))).toHaveLength(1);

    // Over: a lookup made after the window that still finds nothing allows the one resend.
    await clock.advanceAsync(2_000, 500);
    await settle();
    expect(gateway.refundsMade).toHaveLength(1);
    expect(gateway.payments.get(transactionId)!.amountRefunded).toBe(1000);
    expect(second.journal.getPayment(paymentId)).toMatchObject({ status: 'partially_refunded', amountRefunded: 1000 });
    expect(second.journal.operationsFor(paymentId).filter((o) => o.kind === 'refund')).toEqual([
      expect.objectContaining({ state: 'done', result: 'ok' }),
    ]);
    second.close();
  });

  it('a payment link whose create got no answer is sent again at once: a second link moves no money', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    const gateway = new FakeGateway({ idempotencyKeys: false, resendAfterUnknownMs: WINDOW_MS });
    Object.assign(gateway.capabilities, { payByLink: true });
    const { service, journal, close } = till(openDatabase(':memory:'), clock, gateway);
    gateway.failChanges(1);
    const creating = service.commands.create({
      amount: 4000,
      currency: 'EUR',
      captureMethod: 'automatic',
      channel: 'link',
    });
    await settle();
    await clock.advanceAsync(250, 50);
    // Looked up, not found, sent again within the quick retries: the first link, if it ever lands,
    // is shown to no one and never paid.
    const created = await creating;
    expect(created).toMatchObject({ status: 'pending', channel: 'link' });
    expect(gateway.calls.filter((call) => call.startsWith('create'))).toHaveLength(2);
    expect(journal.operationsFor(created.id).find((o) => o.kind === 'create')).toMatchObject({ state: 'done' });
    close();
  });

  it('a create that is not a link (it charges by itself) keeps the window', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    const gateway = new FakeGateway({ idempotencyKeys: false, resendAfterUnknownMs: WINDOW_MS });
    const { service, close } = till(openDatabase(':memory:'), clock, gateway);
    gateway.failChanges(1);
    const creating = service.commands.create({ amount: 4000, currency: 'EUR', captureMethod: 'automatic' }).then(
      () => null,
      (error: unknown) => error,
    );
    await settle();
    await clock.advanceAsync(250, 50);
    expect(await creating).toMatchObject({ code: 'offline' });
    expect(((await creating) as Error).message).toMatch(/nothing will be sent again before 10:02/);
    expect(gateway.calls.filter((call) => call.startsWith('create'))).toHaveLength(1);
    close();
  });

  it('a create in doubt is looked for back to its first send after a long outage, never sent blind', async () => {
    // Found hunting the offline queue: PayPlug's lookup read its 300 newest payments only; after
    // hours offline, with more made since, a charge whose answer was lost was not found and sent again.
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    const gateway = new FakeGateway({ idempotencyKeys: false, resendAfterUnknownMs: WINDOW_MS });
    const { service, journal, close } = till(openDatabase(':memory:'), clock, gateway);
    gateway.failChanges(1);
    const creating = service.commands.create({ amount: 4000, currency: 'EUR', captureMethod: 'automatic' }).then(
      () => null,
      (error: unknown) => error,
    );
    await settle();
    await clock.advanceAsync(250, 50);
    expect(await creating).toMatchObject({ code: 'offline' });
    const [record] = journal.listPayments('unfinished', 10);
    const firstSend = Date.parse(journal.operationsFor(record!.id).find((op) => op.kind === 'create')!.createdAt);
    // Hours later the gateway is back; its newest payments do not reach back that far.
    const asked: (number | undefined)[] = [];
    gateway.findCreated = async (_input, _key, since) => {
      asked.push(since);
      throw new GatewayUnreadable("The gateway's newest payments do not reach back to when it was first sent.");
    };
    await clock.advanceAsync(6 * 3_600_000, 60_000);
    const recovering = service.recovery.recover();
    await clock.advanceAsync(5_000, 50);
    await recovering;
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set([firstSend]));
    expect(gateway.calls.filter((call) => call.startsWith('create'))).toHaveLength(1);
    // Still in doubt, in Needs attention: never sent again on a lookup that proves nothing.
    expect(journal.getPayment(record!.id)).toMatchObject({
      status: 'unknown',
      attentionSince: expect.any(String),
      attentionReason: expect.stringMatching(/do not reach back/),
    });
    close();
  });

  it('a send that provably never left the till starts no window: it is sent again at once', async () => {
    const clock = new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    const { gateway, first, paymentId } = await paidPayment(clock);
    const refund = gateway.refund.bind(gateway);
    let refused = 1;
    gateway.refund = (id, params, key) => {
      if (refused-- > 0) return Promise.reject(new GatewayUnreachable('not_sent', 'connect ECONNREFUSED 127.0.0.1:9'));
      return refund(id, params, key);
    };
    const refunding = first.service.commands.refund({ paymentId, amount: 1000 });
    await settle();
    await clock.advanceAsync(250, 50);
    await expect(refunding).resolves.toMatchObject({ amountRefunded: 1000 });
    expect(gateway.refundsMade).toHaveLength(1);
    first.close();
  });
});
