/**
 * A send that provably never reached the gateway (`not_sent`: a 429 Too Many Requests, a refused
 * connection). Found in review: a create answered 429 — nothing created — was left `unknown` in
 * Needs attention and sent again by recovery later, with nobody at the counter. A create none of
 * whose sends may have landed failed, nothing charged, and the cashier reads when to try again; a
 * capture, cancel or refund stays queued and is sent once the gateway lets the till through. On the
 * fake clock.
 */
import { describe, expect, it } from 'vitest';
import { GatewayUnreachable, throttled } from '../../main/gateway/errors';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';
import { FakeGateway } from '../support/fake-gateway';
import { paymentTill, settle } from '../support/payment-till';

/** A till on a fresh journal whose recovery drains the queue once the gateway is back. */
const till = (gateway: FakeGateway) =>
  paymentTill(openDatabase(':memory:'), new FakeClock(Date.UTC(2026, 5, 1, 8, 0, 0)), gateway, {
    recoverWhenOnline: true,
  });

const refusedConnection = () => new GatewayUnreachable('not_sent', 'The gateway could not be reached (ECONNREFUSED).');

/** The gateway's next `n` creates fail with `error()` before anything is made. */
function failCreates(gateway: FakeGateway, n: number, error: () => Error): void {
  const create = gateway.create.bind(gateway);
  gateway.create = (input, key) => {
    if (n-- <= 0) return create(input, key);
    gateway.calls.push(`create ${key} (not sent)`);
    return Promise.reject(error());
  };
}

describe('a create that never reached the gateway', () => {
  it.each([
    { gateway: 'with idempotency keys (PlutoPay)', idempotencyKeys: true },
    { gateway: 'without (PayPlug), settle window and all', idempotencyKeys: false },
  ])('429 $gateway: failed, nothing charged, try again in N s; never in Needs attention, never resent', async (o) => {
    const gateway = new FakeGateway({ idempotencyKeys: o.idempotencyKeys, resendAfterUnknownMs: 120_000 });
    const { clock, journal, service, close } = till(gateway);
    failCreates(gateway, 1, () => throttled('30', clock.now()));
    const creating = service.commands
      .create({ amount: 2500, currency: 'EUR', captureMethod: 'automatic', orderReference: 'ORD-429' })
      .then(
        () => null,
        (error: unknown) => error,
      );
    await settle();
    const error = await creating;
    expect(error).toMatchObject({
      code: 'offline',
      extra: { queued: false },
      message:
        "PlutoPay is limiting this till's requests (429 Too Many Requests). Nothing was charged; try again in 30 s.",
    });
    const [payment] = journal.findByOrder('ORD-429');
    expect(payment).toMatchObject({ status: 'failed', attentionSince: null, attentionReason: null });
    expect(journal.getOperationByKey(payment!.idempotencyKey)).toMatchObject({ state: 'failed', sentAt: null });
    expect(service.engine.attention()).toEqual([]);
    expect(journal.timeline(payment!.id).map((entry) => entry.event)).toContain('create_not_sent');

    // Past the Retry-After: the gateway is back, recovery runs, and nothing is sent by itself.
    await clock.advanceAsync(31_000, 50);
    await settle();
    expect(gateway.calls.filter((call) => call.startsWith('create'))).toHaveLength(1);
    // The cashier's second try is a new payment for the order.
    const again = await service.commands.create({
      amount: 2500,
      currency: 'EUR',
      captureMethod: 'automatic',
      orderReference: 'ORD-429',
    });
    expect(again).toMatchObject({ status: 'pending', attention: null });
    expect(gateway.payments.size).toBe(1);
    close();
  });

  it('a refused connection on every quick attempt: the same, with "when the connection returns"', async () => {
    const gateway = new FakeGateway({ idempotencyKeys: true });
    const { clock, journal, service, close } = till(gateway);
    failCreates(gateway, 3, refusedConnection);
    const creating = service.commands.create({ amount: 1200, currency: 'EUR', captureMethod: 'automatic' }).then(
      () => null,
      (error: unknown) => error,
    );
    await settle();
    await clock.advanceAsync(750, 50);
    expect(await creating).toMatchObject({
      code: 'offline',
      extra: { queued: false },
      message:
        'The gateway is unreachable (The gateway could not be reached (ECONNREFUSED).). Nothing was charged; try again when the connection returns.',
    });
    expect(gateway.calls.filter((call) => call.startsWith('create'))).toHaveLength(3);
    expect(journal.listPayments('all', 5)[0]).toMatchObject({ status: 'failed', attentionSince: null });
    expect(service.engine.attention()).toEqual([]);
    close();
  });

  it('an earlier send whose outcome is unknown keeps it unknown, whatever the later ones met', async () => {
    // The first send's answer was lost (a 500): it may have made the payment. The next ones never
    // left the till, which proves nothing about the first: Needs attention, resent with its key.
    const gateway = new FakeGateway({ idempotencyKeys: true });
    const { clock, journal, service, close } = till(gateway);
    gateway.failChanges(1);
    const create = gateway.create.bind(gateway);
    let refused = 2;
    gateway.create = (input, key) => {
      if (gateway.calls.length > 0 && refused-- > 0) return Promise.reject(refusedConnection());
      return create(input, key);
    };
    const creating = service.commands.create({ amount: 1300, currency: 'EUR', captureMethod: 'automatic' }).then(
      () => null,
      (error: unknown) => error,
    );
    await settle();
    await clock.advanceAsync(750, 50);
    expect(await creating).toMatchObject({ code: 'offline', extra: { queued: true } });
    expect((await creating) as Error).toHaveProperty(
      'message',
      expect.stringMatching(/keeps retrying with the same key/),
    );
    const [payment] = journal.listPayments('all', 5);
    expect(payment).toMatchObject({ status: 'unknown' });
    expect(service.engine.attention()).toHaveLength(1);
    close();
  });
});

describe('a capture, cancel or refund the gateway throttles', () => {
  it.each(['capture', 'cancel', 'refund'] as const)(
    '%s: stays queued (not failed, not in Needs attention) and is sent once the Retry-After has passed',
    async (kind) => {
      const gateway = new FakeGateway({ idempotencyKeys: true });
      const { clock, journal, connectivity, service, close } = till(gateway);
      const created = await service.commands.create({
        amount: 4000,
        currency: 'EUR',
        captureMethod: kind === 'refund' ? 'automatic' : 'manual',
      });
      const remote = gateway.payments.get(created.transactionId!)!;
      if (kind === 'refund') Object.assign(remote, { status: 'succeeded', amountCaptured: 4000 });
      else Object.assign(remote, { status: 'requires_capture', amountCapturable: 4000 });
      await service.reconcileNow(created.id);

      let throttle = true;
      const send = gateway[kind].bind(gateway) as (...args: unknown[]) => Promise<unknown>;
      let sends = 0;
      (gateway as unknown as Record<string, unknown>)[kind] = (...args: unknown[]) => {
        sends++;
        return throttle ? Promise.reject(throttled('20', clock.now())) : send(...args);
      };
      const health = gateway.health.bind(gateway);
      gateway.health = () => (throttle ? Promise.reject(throttled('20', clock.now())) : health());
      const asked =
        kind === 'refund'
          ? service.commands.refund({ paymentId: created.id, amount: 1000 })
          : service.commands[kind]({ paymentId: created.id });
      const error = await asked.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'offline', extra: { queued: true } });
      expect((error as Error).message).toMatch(/^The gateway is limiting this till's requests .* is queued/);
      expect(sends).toBe(1);
      const [op] = journal.pendingOperationsFor(created.id, kind);
      expect(op).toMatchObject({ state: 'pending' });
      expect(service.engine.attention()).toEqual([]);
      expect(connectivity.state).toBe('offline');

      // Not sent again before the 20 s it asked for.
      await clock.advanceAsync(19_000, 50);
      expect(sends).toBe(1);
      throttle = false;
      await clock.advanceAsync(2_000, 50);
      await settle();
      expect(connectivity.state).toBe('online');
      expect(sends).toBe(2);
      expect(journal.getOperationByKey(op!.idempotencyKey)).toMatchObject({ state: 'done' });
      expect(service.engine.attention()).toEqual([]);
      close();
    },
  );
});
