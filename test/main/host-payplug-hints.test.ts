/**
 * PayPlug's notifications are unsigned: any local page can post them to the till's loopback
 * receiver. They only ever make the till read payments it knows, promptly for a real one, and a
 * flood of them costs the account's rate limit a bounded number of reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RECEIVER_LOG_LINES_PER_MINUTE } from '../../main/host/host';
import { HINT_BURST } from '../../main/payments/hints';
import { waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill } from '../support/payplug';

describe('PayPlug notifications on a till', () => {
  let t: TestHost | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('read only payments the journal knows: a known one at once, unknown ids never, a flood boundedly', async () => {
    t = await payplugTill();
    const till = t;
    await till.call('settings.update', { webhookPort: 0 });
    const url = await waitFor(async () => (await till.call('settings.get', {})).webhookUrl, 3_000, 'receiver url');
    const notify = (id: string) =>
      fetch(url, { method: 'POST', body: JSON.stringify({ object: 'payment', id, is_live: false }) });
    const reads = (id: string) =>
      till.host.devlog.list(1000).filter((e) => e.kind === 'request' && e.summary.includes(`/v1/payments/${id} `))
        .length;

    // A paid link: the till stops following it, so only a notification makes it read it again.
    const created = await till.call('payments.create', { amount: 2500, currency: 'EUR' });
    const tx = created.transactionId!;
    expect(
      (await payplug(till, 'POST', `/_sandbox/payments/${tx}/pay`, { card_number: '4242424242424242' })).status,
    ).toBe(200);
    await till.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
    const before = reads(tx);

    // Ids no payment of this till has: answered (a forwarder must not retry), never looked up.
    for (let i = 0; i < 50; i++) expect((await notify(`pay_notours${i}`)).status).toBe(200);
    // A real notification of this till's payment: read at once (the reads above were none).
    expect((await notify(tx)).status).toBe(200);
    await waitFor(() => reads(tx) > before, 5_000, 'the known payment read again');
    const requests = till.host.devlog.list(1000).filter((e) => e.kind === 'request');
    expect(requests.filter((e) => e.summary.includes('pay_notours'))).toEqual([]);
    // Any local page can post these (PayPlug does not sign them): a few a minute are logged, the rest counted.
    expect(
      till.host.devlog.list(1000).filter((e) => e.detail?.includes('not a payment of this till, ignored')),
    ).toHaveLength(RECEIVER_LOG_LINES_PER_MINUTE);

    // A flood naming the known payment: coalesced and within the budget, however many arrive.
    await Promise.all(Array.from({ length: 200 }, () => notify(tx)));
    const flood = reads(tx) - before;
    expect(flood).toBeLessThanOrEqual(HINT_BURST + 1);
  });
});
