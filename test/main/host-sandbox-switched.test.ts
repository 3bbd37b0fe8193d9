/**
 * A payment made on the embedded sandbox after the sandbox is turned off in Settings, for the shop's
 * own test account (here another sandbox on loopback, which has never heard of it): the till holds
 * only that account's key, which cannot see the payment. It must not read it with that key (a 404
 * there is no answer: it was taken as "not made", and the create sent again to the shop's account, a
 * second payment while the customer could still pay the first): it stays as it was, in Needs
 * attention saying what to switch back, and is read at once when the sandbox is back on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from '../support/host';

describe('a payment made on the embedded sandbox, once it is turned off', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** Recovery, started by the switch, has gone through every payment it reads. */
  const recovered = (t: TestHost) =>
    waitFor(async () => (await t.call('session.snapshot', {})).connectivity.recovering === null, 5_000, 'recovery');

  /** The payments a till made on an account (its own seeded demo payments left out). */
  const tillPaymentsOn = async (account: RunningSandbox) => {
    const response = await fetch(`${account.url}/v1/transactions`, {
      headers: { Authorization: `Bearer ${account.secret_key}` },
    });
    const { data } = (await response.json()) as { data: { metadata: Record<string, string> | null }[] };
    return data.filter((payment) => payment.metadata?.pos_payment_id !== undefined);
  };

  it('is never read with the shop’s own key, never made again there, and says what to switch back', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const link = await t.call('payments.create', { amount: 900, currency: 'EUR', channel: 'link' });
    expect(link).toMatchObject({ status: 'pending', transactionId: expect.any(String) });
    const card = await t.call('payments.create', { amount: 1200, currency: 'EUR' });
    const own = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => own.close());

    await t.call('settings.update', { embeddedSandbox: false, apiBaseUrl: own.url, secretKey: own.secret_key });
    await recovered(t);
    // Nothing was made on the shop's account, and the payment keeps the sandbox's id.
    expect(await tillPaymentsOn(own)).toEqual([]);
    const kept = (await t.call('payments.list', { filter: 'all', limit: 10 })).find((p) => p.id === link.id)!;
    expect(kept).toMatchObject({ status: 'pending', transactionId: link.transactionId, otherAccount: true });
    // The screens heard it at the switch (Settings leaves it out of what a change of account leaves behind).
    expect(t.events.some((e) => e.type === 'payment' && e.payment.id === link.id && e.payment.otherAccount)).toBe(true);

    const why =
      "This payment was made on the embedded sandbox, which is turned off: PlutoPay's keys the till holds now " +
      'cannot see it';
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === link.id);
    expect(item).toMatchObject({
      otherAccount: true,
      reason: `${why}, so the till does not read it and cannot tell how it ended.`,
      advice:
        "Turn the embedded sandbox back on in Settings (F7) to follow it. Do not take this order's money again " +
        'another way before it is read there: it may have been paid.',
    });
    // Neither read nor settled from here: each says what to switch back.
    const refused = {
      code: 'conflict',
      message: `${why}. Turn the embedded sandbox back on in Settings (F7) to act on it.`,
    };
    expect(await t.fail('attention.retry', { paymentId: link.id })).toMatchObject(refused);
    expect(await t.fail('attention.resolve', { paymentId: link.id, resolution: 'dismiss' })).toMatchObject(refused);
    expect(await t.fail('payments.cancel', { paymentId: link.id })).toMatchObject(refused);
    const reader = await t.onlineReader();
    expect(await t.fail('payments.process', { paymentId: card.id, readerId: reader.id })).toMatchObject(refused);
    expect(await tillPaymentsOn(own)).toEqual([]);
    const log = await t.call('devlog.list', { limit: 500 });
    expect(
      log.filter((e) => e.summary.includes(`/v1/transactions/${link.transactionId}`) && e.summary.includes('404')),
    ).toEqual([]);

    // The customer pays the link on the sandbox meanwhile; back on it, the till reads it at once.
    await t.call('settings.update', { embeddedSandbox: true });
    await recovered(t);
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === link.id)).toBeUndefined();
    await t.call('simulate.payLink', { paymentId: link.id, cardNumber: '4242424242424242' });
    const settled = await t.waitForPayment(link.id, (p) => p.status === 'succeeded');
    expect(settled.transactionId).toBe(link.transactionId);
  });
});
