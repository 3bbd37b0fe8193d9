/**
 * A gateway that throttles the till (429 Too Many Requests, with Retry-After): it is not refusing
 * the till's keys, and nothing asked for meanwhile is refused — the request was never processed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/host';
import { cardPayment, tillBehindProxy, type ProxiedTill } from '../support/proxied-host';

const THROTTLED = {
  status: 429,
  headers: { 'retry-after': '1' },
  body: JSON.stringify({ error: { type: 'rate_limit_error', message: 'Too many requests hit the API too quickly.' } }),
};

describe('a gateway that throttles the till (429 with Retry-After)', () => {
  let till: ProxiedTill | undefined;
  afterEach(async () => {
    await till?.close();
    till = undefined;
  });

  async function start(): Promise<ProxiedTill> {
    till = await tillBehindProxy();
    return till;
  }

  it('keeps a refund queued until it is let through, sends it once, and never says the keys are refused', async () => {
    const { t: host, sandbox, proxy } = await start();
    const paid = await cardPayment(host, 3000, 'automatic');
    expect(paid.status).toBe('succeeded');

    // Every call is throttled, the health check too.
    let throttling = true;
    proxy.answer = () => (throttling ? THROTTLED : null);
    const refused = await host.fail('payments.refund', { paymentId: paid.id, amount: 1000 });
    expect(refused).toMatchObject({ code: 'offline', queued: true });
    // The gateway answers: the cashier reads that it is slowing the till down, not that it is unreachable.
    expect(refused.message).toBe(
      "The gateway is limiting this till's requests (429 Too Many Requests; it asked to wait 1 s). The refund is queued and will be sent automatically when the connection returns.",
    );
    const during = await host.call('session.snapshot', {});
    expect(during.connectivity.gateway).toBe('offline');
    expect(during.connectivity.queued.count).toBe(1);
    await host.call('attention.list', {}).then((items) => expect(items).toEqual([]));
    // The probe waits as asked, then finds the gateway throttling still: not "keys refused".
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await host.call('session.snapshot', {})).connectivity.gateway).toBe('offline');

    throttling = false;
    const refunded = await host.waitForPayment(paid.id, (p) => p.amountRefunded === 1000, 20_000);
    expect(refunded.attention).toBeNull();
    await waitFor(async () => (await host.call('session.snapshot', {})).connectivity.queued.count === 0);
    const ledger = await fetch(`${sandbox.url}/_sandbox/ledger`, {
      headers: { Authorization: `Bearer ${sandbox.secret_key}` },
    });
    const rows = ((await ledger.json()) as { transactions: { id: string; amount_refunded: number }[] }).transactions;
    expect(rows.find((row) => row.id === paid.transactionId)?.amount_refunded).toBe(1000);
  }, 30_000);

  it('a queued capture the gateway throttles when it is finally sent stays queued, not refused', async () => {
    const { t: host, sandbox, proxy } = await start();
    const authorised = await cardPayment(host, 4000, 'manual');
    expect(authorised.status).toBe('requires_capture');

    // Down: the capture is queued.
    sandbox.setFaults({ error_rate: 1 });
    expect(await host.fail('payments.capture', { paymentId: authorised.id })).toMatchObject({ queued: true });
    // Back, but the capture route throttles: the queue's send meets a 429.
    let throttled = 0;
    proxy.answer = (method, path) =>
      method === 'POST' && path.endsWith('/capture') && throttled++ < 2 ? THROTTLED : null;
    sandbox.setFaults({ error_rate: 0 });
    const captured = await host.waitForPayment(authorised.id, (p) => p.status === 'succeeded', 20_000);
    expect(throttled).toBeGreaterThanOrEqual(2);
    expect(captured).toMatchObject({ amountCaptured: 4000, attention: null });
  }, 30_000);
});
