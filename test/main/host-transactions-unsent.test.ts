/**
 * The Transactions list tells the day's whole story: the payments that ended without ever being a
 * transaction at the gateway are listed from the journal beside the gateway's own, labelled with
 * why (`notSent`) — canceled while the customer display waited for the tip, recorded as not made by
 * the cashier in Needs attention, refused by the gateway — with the list's paging, search and
 * filters, on each gateway. A real till against the sandbox, through a proxy that makes the
 * gateway fail the creates the test names (they never reach it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayName, TransactionView } from '../../common/contract';
import { startSandbox } from '../../sandbox/index';
import { waitFor, type TestHost } from '../support/host';
import { startHostBehind } from '../support/proxied-host';
import { payplugTill } from '../support/payplug';
import { pluralTill } from '../support/plural';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Till {
  t: TestHost;
  proxy: RewritingProxy;
  /** The path of a payment's create, as the proxy sees it. */
  create: string;
  currency: string;
}

/** A till on `gateway` whose gateway (an empty sandbox: no demo data) is reached through a proxy. */
async function till(gateway: GatewayName): Promise<Till> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
  cleanup.push(() => sandbox.close());
  if (gateway === 'plutopay') {
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await startHostBehind(sandbox, proxy, { tuning: { retryDelayMs: 5 } });
    cleanup.push(() => t.close());
    return { t, proxy, create: '/v1/terminal/create-payment', currency: 'USD' };
  }
  if (gateway === 'payplug') {
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await payplugTill(sandbox, { payplugUrl: `${proxy.url}/payplug` });
    cleanup.push(() => t.close());
    return { t, proxy, create: '/payplug/v1/payments', currency: 'EUR' };
  }
  const proxy = await startRewritingProxy(sandbox.plural.url);
  cleanup.push(() => proxy.close());
  const t = await pluralTill({ sandbox, proxy });
  cleanup.push(() => t.close());
  return { t, proxy, create: '/api/pay/v1/orders', currency: 'INR' };
}

/** A payment the customer display waited on for its tip, canceled before the tip was chosen. */
async function canceledAwaitingTip({ t, currency }: Till, orderReference: string, amount: number) {
  await t.call('settings.update', { tipping: true });
  const waiting = await t.call('payments.create', { amount, currency, orderReference, askTip: true });
  expect(waiting).toMatchObject({ status: 'creating', transactionId: null });
  const canceled = await t.call('payments.cancel', { paymentId: waiting.id });
  expect(canceled).toMatchObject({ status: 'canceled', transactionId: null });
  return canceled;
}

/**
 * A create the gateway never got, its outcome unknown to the till (the gateway's page failed), then
 * recorded as not made by the cashier from the gateway's dashboard in Needs attention.
 */
async function recordedNotMade({ t, proxy, create, currency }: Till, orderReference: string, amount: number) {
  proxy.answer = (method, path) =>
    method === 'POST' && path === create ? { status: 500, body: '<html>failed</html>' } : null;
  const answer = await t.host.invoke('payments.create', { amount, currency, orderReference });
  expect(answer).toMatchObject({ ok: false, error: { code: 'offline' } });
  const payment = (await t.call('payments.list', { filter: 'attention', limit: 50 })).find(
    (p) => p.orderReference === orderReference,
  );
  expect(payment).toMatchObject({ status: 'unknown', transactionId: null });
  const item = (await t.call('attention.list', {})).find((a) => a.paymentId === payment!.id);
  expect(item).toMatchObject({ unknownCreate: true });
  const failed = await t.call('attention.resolve', {
    paymentId: payment!.id,
    resolution: 'not_created',
    by: 'Sam',
    reason: 'not on the dashboard',
  });
  expect(failed).toMatchObject({ status: 'failed', transactionId: null });
  proxy.answer = () => null;
  return failed;
}

/** The list once the gateway answers it again (not the journal's stand-in). */
async function list(t: TestHost, input: Record<string, unknown> = {}) {
  return waitFor(
    async () => {
      const page = await t.call('transactions.list', input);
      return page.offline || page.unreadable ? undefined : page;
    },
    10_000,
    'the gateway’s list',
  );
}

const unsentRows = (rows: TransactionView[]) =>
  rows.filter((row) => row.notSent).map((row) => [row.orderReference, row.status, row.notSent]);

describe.each(['plutopay', 'payplug', 'plural'] as const)('on %s, the Transactions list', (gateway) => {
  it('lists the payments that ended before the gateway had them, each saying why, paged and filtered', async () => {
    const shop = await till(gateway);
    const { t } = shop;
    const made = await t.call('payments.create', { amount: 1000, currency: shop.currency, orderReference: 'US-A' });
    expect(made.transactionId).not.toBeNull();
    const tipWait = await canceledAwaitingTip(shop, 'US-B', 2000);
    const notMade = await recordedNotMade(shop, 'US-C', 3000);

    const all = await list(t);
    expect(all.meta.total).toBe(3);
    expect(unsentRows(all.data).sort()).toEqual([
      ['US-B', 'canceled', 'canceled_awaiting_tip'],
      ['US-C', 'failed', 'not_made'],
    ]);
    expect(all.data.find((row) => row.orderReference === 'US-C')).toMatchObject({
      id: notMade.id,
      reference: notMade.id,
      amount: 3000,
    });
    // The gateway's own row is not marked.
    expect(all.data.find((row) => row.orderReference === 'US-A')?.notSent).toBeUndefined();

    // One row a page, by amount: each falls on exactly one page.
    const byAmount = async (page: number) =>
      (await list(t, { sortField: 'amount', sortOrder: 'asc', size: 1, page })).data.map((row) => row.orderReference);
    const pages = [await byAmount(1), await byAmount(2), await byAmount(3), await byAmount(4)];
    expect(pages.flat()).toEqual(['US-A', 'US-B', 'US-C']);

    // Filtered by what they are; found by their order reference and by the till's id.
    expect((await list(t, { status: 'failed' })).data.map((row) => row.id)).toEqual([notMade.id]);
    expect((await list(t, { status: 'canceled' })).data.map((row) => row.id)).toEqual([tipWait.id]);
    expect((await list(t, { status: 'succeeded' })).data.map((row) => row.notSent)).not.toContain('not_made');
    expect((await list(t, { search: 'US-B' })).data).toEqual([
      expect.objectContaining({ id: tipWait.id, notSent: 'canceled_awaiting_tip' }),
    ]);
    expect((await list(t, { search: notMade.id })).data).toEqual([
      expect.objectContaining({ id: notMade.id, notSent: 'not_made' }),
    ]);
    // Its details are the journal's, saying the same.
    const detail = await t.call('transactions.get', { transactionId: notMade.id });
    expect(detail).toMatchObject({ journalOnly: true, transaction: { status: 'failed', notSent: 'not_made' } });
  });
});

describe('a create the gateway refused, or one that never left the till', () => {
  it('is listed as refused by the gateway, or as never sent, not charged', async () => {
    const shop = await till('plutopay');
    const { t, proxy } = shop;
    proxy.answer = (method, path) =>
      method === 'POST' && path === shop.create
        ? {
            status: 400,
            body: JSON.stringify({ error: { type: 'invalid_request_error', message: 'The amount is not allowed.' } }),
          }
        : null;
    const refused = await t.host.invoke('payments.create', { amount: 4000, currency: 'USD', orderReference: 'US-D' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'gateway' } });
    // Throttled: the gateway turned the create away before taking it, so it was never sent.
    proxy.answer = (method, path) =>
      method === 'POST' && path === shop.create
        ? { status: 429, body: JSON.stringify({ error: { type: 'rate_limit_error', message: 'Too many requests.' } }) }
        : null;
    const throttled = await t.host.invoke('payments.create', { amount: 5000, currency: 'USD', orderReference: 'US-E' });
    expect(throttled).toMatchObject({ ok: false, error: { code: 'offline', queued: false } });
    proxy.answer = () => null;
    const page = await list(t);
    expect(unsentRows(page.data).sort()).toEqual([
      ['US-D', 'failed', 'refused'],
      ['US-E', 'failed', 'not_sent'],
    ]);
  });
});

describe('many payments that ended before the gateway had them', () => {
  it('are each on the one page the list’s order puts them on, however many there are', async () => {
    // Found by review: they were placed among a gateway's list from the first 500 in its order, so
    // the 501st and later never showed on any page, while the total counted them.
    const shop = await till('plutopay');
    const { t } = shop;
    const made = async (amount: number, orderReference: string) =>
      (await t.call('payments.create', { amount, currency: 'USD', orderReference })).transactionId;
    const first = await made(60, 'MANY-G1');
    const middle = await made(1200, 'MANY-G2');
    const last = await made(5000, 'MANY-G3');
    await t.call('settings.update', { tipping: true });
    const unsent: string[] = [];
    // 501 of them, none of the gateway's amounts.
    for (let amount = 1000; amount <= 1501; amount++) {
      if (amount === 1200) continue;
      const waiting = await t.call('payments.create', { amount, currency: 'USD', askTip: true });
      await t.call('payments.cancel', { paymentId: waiting.id });
      unsent.push(waiting.id);
    }
    const page = async (n: number) =>
      (await list(t, { sortField: 'amount', sortOrder: 'asc', size: 1, page: n })).data.map((row) => row.id);
    const [one, two, three, four] = [await page(1), await page(2), await page(3), await page(4)];
    expect(one).toEqual([first]);
    // Up to the middle gateway row (1200): the 200 of 1000–1199, then it.
    expect(two).toEqual([...unsent.slice(0, 200), middle]);
    // After it, up to the last: 1201–1501, the 501st among them.
    expect(three).toEqual([...unsent.slice(200), last]);
    expect(four).toEqual([]);
    expect((await list(t, {})).meta.total).toBe(3 + 501);
  }, 60_000);
});
