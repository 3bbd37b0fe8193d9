/**
 * A PayPlug link's create whose answers could not be read is sent again at once (no idempotency
 * keys; docs/reliability.md#the-settle-window): each earlier send may have made a link of its own,
 * shown to no one. The till withdraws those spares once it holds its link, so none stays payable
 * nor listed open beside the real one. Real HTTP through a rewriting proxy to the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentView } from '../../common/contract';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import type { TestHost } from '../support/host';
import { payplug, payplugTill } from '../support/payplug';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';

interface LedgerPayment {
  id: string;
  amount: number;
  status: string;
  failure_code: string | null;
}

describe('PayPlug spare links from a create sent more than once', () => {
  let sandbox: RunningSandbox;
  let proxy: RewritingProxy;
  let t: TestHost;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:' });
    proxy = await startRewritingProxy(sandbox.payplug.url);
    t = await payplugTill(sandbox, { payplugUrl: proxy.url });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await sandbox?.close();
  });

  const ledger = async (amount: number) =>
    ((await payplug(t, 'GET', '/_sandbox/ledger')).json as { payments: LedgerPayment[] }).payments.filter(
      (p) => p.amount === amount,
    );

  it('withdraws the links the unreadable sends made and keeps the one it shows', async () => {
    // Two creates answered unreadably, and the lookups between them shown an empty list: the till
    // finds nothing and sends again, three links in all; the third answer is read.
    let sends = 0;
    proxy.rewrite = (method, path, body) => {
      if (method === 'POST' && path === '/v1/payments') {
        sends += 1;
        return sends <= 2 ? '<html>502 Bad Gateway</html>' : null;
      }
      if (method === 'GET' && path === '/v1/payments' && sends < 3)
        return JSON.stringify({ ...(JSON.parse(body) as object), data: [], has_more: false });
      return null;
    };
    const created = await t.host.invoke('payments.create', {
      amount: 2345,
      currency: 'EUR',
      orderReference: 'SPARE-1',
    });
    proxy.rewrite = () => null;
    expect(sends).toBe(3);
    expect(created).toMatchObject({ ok: true, value: { status: 'pending', payUrl: expect.any(String) } });
    const link = (created as { value: PaymentView }).value;

    const made = await ledger(2345);
    expect(made).toHaveLength(3);
    const spares = made.filter((p) => p.id !== link.transactionId);
    expect(spares.map((p) => [p.status, p.failure_code])).toEqual([
      ['failed', 'aborted'],
      ['failed', 'aborted'],
    ]);
    expect(made.find((p) => p.id === link.transactionId)?.status).toBe('open');
    const { timeline } = await t.call('transactions.get', { transactionId: link.transactionId! });
    const withdrawn = timeline.find((entry) => entry.event === 'spare_links_withdrawn');
    expect(withdrawn?.detail?.split(', ').sort()).toEqual(spares.map((p) => p.id).sort());

    // The link the till shows is paid as ever: one charge.
    await t.call('simulate.payLink', { paymentId: link.id, cardNumber: '4242424242424242' });
    await t.waitForPayment(link.id, (p) => p.status === 'succeeded', 20_000);
    expect((await ledger(2345)).map((p) => p.status).sort()).toEqual(['failed', 'failed', 'paid']);
  });
});
