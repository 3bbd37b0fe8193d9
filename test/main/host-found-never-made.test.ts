/**
 * "Found, never made": a create whose answer was lost, which the cashier recorded as not made from the
 * gateway's dashboard, turns out to be at the gateway after all. Recovery looks for it by its key
 * during its look-up week — without ever sending it again — takes it in as that payment and puts it
 * in Needs attention (the customer may have paid another way). A real till against the sandbox over
 * HTTP, through a proxy that forwards the creates and loses their answers, and loses the look-ups
 * too until the test lets them through. (PayPlug's: test/main/host-unknown-create.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayName } from '../../common/contract';
import { startSandbox } from '../../sandbox/index';
import { waitFor, type TestHost } from '../support/host';
import { startHostBehind } from '../support/proxied-host';
import { pluralTill } from '../support/plural';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Shop {
  t: TestHost;
  proxy: RewritingProxy;
  currency: string;
  label: string;
  /** A payment's create, as the proxy sees it. */
  isCreate: (method: string, path: string) => boolean;
  /** A read the till may look a create up with. */
  isLookup: (method: string, path: string) => boolean;
}

async function shopOn(gateway: Exclude<GatewayName, 'payplug'>): Promise<Shop> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
  cleanup.push(() => sandbox.close());
  if (gateway === 'plutopay') {
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await startHostBehind(sandbox, proxy, { tuning: { retryDelayMs: 5 } });
    cleanup.push(() => t.close());
    return {
      t,
      proxy,
      currency: 'USD',
      label: 'PlutoPay',
      isCreate: (method, path) => method === 'POST' && path === '/v1/terminal/create-payment',
      isLookup: (method, path) => method === 'GET' && path.startsWith('/v1/transactions'),
    };
  }
  const proxy = await startRewritingProxy(sandbox.plural.url);
  cleanup.push(() => proxy.close());
  const t = await pluralTill({ sandbox, proxy });
  cleanup.push(() => t.close());
  return {
    t,
    proxy,
    currency: 'INR',
    label: 'Plural',
    isCreate: (method, path) => method === 'POST' && path === '/api/pay/v1/orders',
    isLookup: (method, path) => method === 'GET' && path.startsWith('/api/pay/v1/orders'),
  };
}

describe.each(['plutopay', 'plural'] as const)('on %s, a create recorded as not made', (gateway) => {
  it('found at the gateway after all is taken in, in Needs attention, and never made twice', async () => {
    const shop = await shopOn(gateway);
    const { t, proxy } = shop;
    const reachedGateway: string[] = [];
    let losing = true;
    proxy.dropAnswer = (method, path) => {
      // Called once the request was forwarded: it reached the gateway.
      if (shop.isCreate(method, path)) reachedGateway.push(path);
      return losing && (shop.isCreate(method, path) || shop.isLookup(method, path));
    };
    const orderReference = 'FNM-1';
    const answer = await t.host.invoke('payments.create', {
      amount: 4321,
      currency: shop.currency,
      orderReference,
    });
    expect(answer).toMatchObject({ ok: false, error: { code: 'offline' } });
    const payment = (await t.call('payments.list', { filter: 'attention', limit: 10 })).find(
      (p) => p.orderReference === orderReference,
    )!;
    expect(payment).toMatchObject({ status: 'unknown', transactionId: null });
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === payment.id)).toMatchObject({
      unknownCreate: true,
    });
    expect(reachedGateway.length).toBeGreaterThan(0);

    const failed = await t.call('attention.resolve', {
      paymentId: payment.id,
      resolution: 'not_created',
      by: 'Sam',
      reason: 'not on the dashboard at 10:40',
    });
    expect(failed).toMatchObject({ status: 'failed', transactionId: null });
    expect((await t.call('attention.list', {})).map((a) => a.paymentId)).not.toContain(payment.id);
    // Recovery may have sent it again with its key until now (the same payment); from here on, never.
    const sentBeforeNotMade = reachedGateway.length;

    // The gateway answers again: recovery looks for the create by its key (never sends it) and finds it.
    losing = false;
    const taken = await waitFor(
      async () => {
        const found = (await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.id === payment.id);
        return found?.transactionId ? found : undefined;
      },
      10_000,
      'the payment taken in',
    );
    expect(taken).toMatchObject({ status: 'pending', amount: 4321, orderReference });
    // The cashier is told: back in Needs attention, saying the gateway has it after all.
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === payment.id);
    expect(item?.reason).toMatch(new RegExp(`recorded as not made, but ${shop.label} has it after all`));
    const timeline = (await t.call('transactions.get', { transactionId: payment.id })).timeline.map(
      (e) => `${e.event}: ${e.detail}`,
    );
    expect(timeline).toEqual(
      expect.arrayContaining([
        'cashier_not_created: Sam: not on the dashboard at 10:40',
        expect.stringMatching(/^found_after_not_created: /),
      ]),
    );
    // It is one payment, once: the create was never sent after it was recorded as not made, and a
    // later look finds nothing more to take in.
    expect(reachedGateway).toHaveLength(sentBeforeNotMade);
    const rows = (await t.call('transactions.list', { search: orderReference })).data;
    expect(rows.map((row) => row.id)).toEqual([taken.transactionId]);
    expect(rows[0]?.notSent).toBeUndefined();
  });
});
