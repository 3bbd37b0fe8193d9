/**
 * PayPlug's notifications are unsigned: any local page can post them to the till's loopback
 * receiver. They only ever make the till read payments it knows, promptly for a real one, and a
 * flood of them costs the account's rate limit a bounded number of reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RECEIVER_LOG_LINES_PER_MINUTE } from '../../main/host/host';
import { HINT_BURST } from '../../main/payments/hints';
import { startSandbox } from '../../sandbox/index';
import { journalImage, restoreJournal } from '../support/crash';
import { startGatewayProxy } from '../support/gateway-proxy';
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

  it('one answered 200 just before a kill -9 is read at the next start: it has no id, the hint is journaled', async () => {
    // Found by a kill -9 hunt: a notification was answered before its payment was read, and PayPlug's
    // carry no id, so nothing of it was journaled. Killed in that gap (the relay kills at the read),
    // a refund made on the dashboard of a paid payment went unseen until the day's reconciliation.
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    const relay = await startGatewayProxy(sandbox.url);
    const dataDir = mkdtempSync(join(tmpdir(), 'payplug-hint-killed-'));
    const till = () => payplugTill(sandbox, { payplugUrl: `${relay.url}/payplug`, dataDir });
    try {
      t = await till();
      const first = t;
      await first.call('settings.update', { webhookPort: 0 });
      const url = await waitFor(async () => (await first.call('settings.get', {})).webhookUrl, 3_000, 'receiver url');
      const created = await first.call('payments.create', { amount: 2500, currency: 'EUR' });
      const tx = created.transactionId!;
      expect(
        (await payplug(first, 'POST', `/_sandbox/payments/${tx}/pay`, { card_number: '4242424242424242' })).status,
      ).toBe(200);
      await first.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
      expect((await payplug(first, 'POST', `/v1/payments/${tx}/refunds`, { amount: 2500 })).status).toBe(201);

      let image: Buffer | null = null;
      const killed = relay.killAt({
        matches: (method, path) => method === 'GET' && path.startsWith(`/payplug/v1/payments/${tx}`),
        at: 'before_send',
        leaves: () => (image = journalImage(dataDir)),
      });
      const notified = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({ object: 'refund', id: 're_dashboard1', payment_id: tx, is_live: false }),
      });
      expect(notified.status).toBe(200);
      await killed;
      await first.close();
      restoreJournal(dataDir, image!);
      relay.up();

      t = await till();
      await t.waitForPayment(created.id, (p) => p.status === 'refunded' && p.amountRefunded === 2500, 20_000);
    } finally {
      await t?.close();
      t = undefined;
      await relay.close();
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
