/**
 * A gateway that answers its health check but fails the queue's sends (a refund route answering
 * 500): the queued refund is sent again with a growing pause, not every second for ever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/host';
import { cardPayment, tillBehindProxy, type ProxiedTill } from '../support/proxied-host';

describe('a gateway up for its health check, failing the queued sends', () => {
  let till: ProxiedTill | undefined;
  afterEach(async () => {
    await till?.close();
    till = undefined;
  });

  it('backs off between rounds of the queued refund instead of resending it every second', async () => {
    till = await tillBehindProxy();
    const { t, proxy } = till;
    const paid = await cardPayment(t, 3000, 'automatic');
    expect(paid.status).toBe('succeeded');

    // The refund route fails; everything else (the health check, retrieves) answers.
    const rounds: number[] = [];
    let last = 0;
    let failing = true;
    proxy.answer = (method, path) => {
      if (!failing || method !== 'POST' || !path.endsWith('/refunds')) return null;
      const now = Date.now();
      // A round: the engine's quick attempts come a few tens of ms apart; rounds are a probe apart.
      if (now - last > 500) rounds.push(now);
      last = now;
      return { status: 500, body: JSON.stringify({ error: { type: 'api_error', message: 'refunds are down' } }) };
    };
    expect(await t.fail('payments.refund', { paymentId: paid.id, amount: 1000 })).toMatchObject({ queued: true });
    await waitFor(() => rounds.length >= 4, 20_000, 'four rounds of the queued refund');
    // Probes 1, 2 and 4 s apart: the fourth round is at least 7 s after the first (every second
    // before, about 3 s).
    expect(rounds[3]! - rounds[0]!).toBeGreaterThanOrEqual(6_000);

    failing = false;
    const refunded = await t.waitForPayment(paid.id, (p) => p.amountRefunded === 1000, 20_000);
    expect(refunded.attention).toBeNull();
  }, 45_000);
});
