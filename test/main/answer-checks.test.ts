/**
 * Answers that do not fit the request are not taken as the payment's state. A proxy between the
 * host and the sandbox (real HTTP both ways) rewrites chosen answers: a capture's answer naming
 * another payment of the account, a capture's answer with more captured than authorised, a create's
 * answer that is not JSON. The payment must stay its own (a tester's proxy made a refund go to
 * another till's customer), and the cashier must read what happened, not "unreachable".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { cardPayment, tillBehindProxy } from '../support/proxied-host';
import { startRewritingProxy } from '../support/proxy';
import { customerPaysPlural } from '../support/plural';

const FAKE_ID = '01a22c37-0000-7000-8000-000000000000';

/** A rewrite that makes every card payment's create answer name `id` instead of its own. */
function createAnswerNames(id: string) {
  return (method: string, path: string, body: string) =>
    method === 'POST' && path === '/v1/terminal/create-payment' ? JSON.stringify({ ...JSON.parse(body), id }) : null;
}

describe('answers that do not fit the request', () => {
  let t: TestHost | undefined;
  let sandbox: RunningSandbox | undefined;
  let proxy: Awaited<ReturnType<typeof startRewritingProxy>> | undefined;
  afterEach(async () => {
    await t?.close();
    await proxy?.close();
    await sandbox?.close();
    t = proxy = sandbox = undefined;
  });

  async function start(): Promise<TestHost> {
    const till = await tillBehindProxy();
    ({ sandbox, proxy } = till);
    t = till.t;
    return till.t;
  }

  async function ledger(): Promise<
    Map<string, { amount: number; amount_captured: number; amount_refunded: number; seeded: boolean }>
  > {
    const answer = await fetch(`${sandbox!.url}/_sandbox/ledger`, {
      headers: { Authorization: `Bearer ${sandbox!.secret_key}` },
    });
    const rows = (
      (await answer.json()) as {
        transactions: {
          id: string;
          amount: number;
          amount_captured: number;
          amount_refunded: number;
          seeded: boolean;
        }[];
      }
    ).transactions;
    return new Map(rows.map((row) => [row.id, row]));
  }

  it('a capture answer naming another payment is not taken: the refund goes to the right customer', async () => {
    const host = await start();
    const other = await cardPayment(host, 3000, 'automatic');
    const mine = await cardPayment(host, 5000, 'manual');
    expect(mine.status).toBe('requires_capture');
    proxy!.rewrite = (method, path, body) =>
      method === 'POST' && path.endsWith('/capture')
        ? JSON.stringify({ ...JSON.parse(body), id: other.transactionId })
        : null;

    const captured = await host.call('payments.capture', { paymentId: mine.id });
    // Retrieve-before-retry learnt the real outcome under the payment's own id.
    expect(captured).toMatchObject({ status: 'succeeded', transactionId: mine.transactionId, amountCaptured: 5000 });
    proxy!.rewrite = () => null;
    const refunded = await host.call('payments.refund', { paymentId: mine.id, amount: 2000 });
    expect(refunded).toMatchObject({ transactionId: mine.transactionId, amountRefunded: 2000 });

    const rows = await ledger();
    expect(rows.get(mine.transactionId!)).toMatchObject({ amount_captured: 5000, amount_refunded: 2000 });
    expect(rows.get(other.transactionId!)).toMatchObject({ amount_refunded: 0 });
  });

  it('a retrieve answer naming another payment of this till leaves the payment as it was', async () => {
    const host = await start();
    const other = await cardPayment(host, 3000, 'automatic');
    const mine = await cardPayment(host, 5000, 'manual');
    proxy!.rewrite = (method, path, body) =>
      method === 'GET' && path === `/v1/transactions/${mine.transactionId}`
        ? JSON.stringify({ ...JSON.parse(body), id: other.transactionId, status: 'succeeded' })
        : null;
    // Before: the journal write failed on the other payment's id ("Something went wrong in the host").
    await host.call('transactions.get', { transactionId: mine.transactionId });
    proxy!.rewrite = () => null;
    const again = await host.call('transactions.get', { transactionId: mine.transactionId });
    expect(again.payment).toMatchObject({ id: mine.id, transactionId: mine.transactionId, status: 'requires_capture' });
    expect(host.host.devlog.list(50).some((entry) => entry.summary.includes(`answer about ${mine.id}`))).toBe(true);
  });

  it('a capture answer with more captured than authorised is not written', async () => {
    const host = await start();
    const mine = await cardPayment(host, 2800, 'manual');
    proxy!.rewrite = (method, path, body) => {
      if (method !== 'POST' || !path.endsWith('/capture')) return null;
      const tx = JSON.parse(body) as { amount_captured: number };
      return JSON.stringify({ ...tx, amount_captured: tx.amount_captured + 100 });
    };
    const captured = await host.call('payments.capture', { paymentId: mine.id });
    expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: 2800 });
    expect((await ledger()).get(mine.transactionId!)).toMatchObject({ amount_captured: 2800 });
  });

  it('a refund answer whose payment does not show the refund is not taken: no second refund on top', async () => {
    const host = await start();
    const paid = await cardPayment(host, 1000, 'automatic');
    const first = await host.call('payments.refund', { paymentId: paid.id, amount: 300 });
    expect(first.amountRefunded).toBe(300);
    // The refund's answer carries its payment as it was before the refund (a lagging read, a
    // cache): before, the refund was done with nothing more refunded, and the cashier refunded again.
    let stale = 1;
    proxy!.rewrite = (method, path, body) => {
      if (method !== 'POST' || !path.endsWith('/refunds') || stale-- <= 0) return null;
      const refund = JSON.parse(body) as { transaction: Record<string, unknown> };
      return JSON.stringify({ ...refund, transaction: { ...refund.transaction, amount_refunded: 300 } });
    };
    const refunded = await host.call('payments.refund', { paymentId: paid.id, amount: 400 });
    expect(refunded).toMatchObject({ amountRefunded: 700, status: 'partially_refunded', attention: null });
    expect((await ledger()).get(paid.transactionId!)).toMatchObject({ amount_refunded: 700 });
    expect(await host.fail('payments.refund', { paymentId: paid.id, amount: 400 })).toMatchObject({
      code: 'validation',
      message: 'The refund amount can be at most $3.00, what is left to refund.',
    });
  });

  it('a link whose create answer names an unknown transaction is found by its key, not refused', async () => {
    const host = await start();
    proxy!.rewrite = (method, path, body) =>
      method === 'POST' && path === '/v1/checkout/sessions'
        ? JSON.stringify({ ...JSON.parse(body), transaction_id: FAKE_ID })
        : null;
    const created = await host.call('payments.create', { amount: 4200, currency: 'USD', channel: 'link' });
    expect(created).toMatchObject({ status: 'pending', attention: null });
    expect(created.transactionId).not.toBe(FAKE_ID);
    // The customer pays (the checkout page lives on the sandbox's own origin, not the proxy's).
    const paid = await fetch(`${sandbox!.url}/v1/transactions/${created.transactionId}/confirm`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandbox!.secret_key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ payment_method: '4242424242424242' }),
    });
    expect(paid.status).toBe(200);
    await host.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
    expect((await ledger()).get(created.transactionId!)).toMatchObject({ amount_captured: 4200 });
  });

  it('PayPlug: a link held under a wrong id is found again by its key while it is watched', async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:' });
    proxy = await startRewritingProxy(sandbox.url);
    const behind = {
      ...sandbox,
      payplug: { ...sandbox.payplug, url: `${proxy.url}/payplug` },
      close: async () => undefined,
    };
    const host = (t = await startTestHost({ sandbox, startSandbox: async () => behind, tuning: { remotePollMs: 50 } }));
    await host.call('settings.update', { gateway: 'payplug' });
    await waitFor(async () => (await host.call('session.snapshot', {})).gateway?.name === 'payplug', 5_000, 'PayPlug');
    const fake = 'pay_0000000000000000000000';
    proxy.rewrite = (method, path, body) =>
      method === 'POST' && path === '/payplug/v1/payments' ? JSON.stringify({ ...JSON.parse(body), id: fake }) : null;
    const created = await host.call('payments.create', { amount: 4200, currency: 'EUR' });
    expect(created.transactionId).toBe(fake);
    proxy.rewrite = () => null;
    const found = await host.waitForPayment(created.id, (p) => p.transactionId !== fake, 8_000);
    expect(found).toMatchObject({ status: 'pending', attention: null });
    // The customer pays the real link: the till sees it.
    const paid = await fetch(`${sandbox.payplug.url}/_sandbox/payments/${found.transactionId}/pay`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandbox.payplug.secret_key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ card_number: '4242424242424242' }),
    });
    expect(paid.status).toBe(200);
    await host.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
  });

  it('a card payment held under a wrong id is found by its key, and goes to the reader', async () => {
    const host = await start();
    const reader = await host.onlineReader();
    proxy!.rewrite = createAnswerNames(FAKE_ID);
    const created = await host.call('payments.create', { amount: 1800, currency: 'USD' });
    expect(created.transactionId).toBe(FAKE_ID);
    proxy!.rewrite = () => null;
    // The push is refused (no such transaction); asking the gateway finds the payment by its key.
    await host.fail('payments.process', { paymentId: created.id, readerId: reader.id });
    const found = await host.waitForPayment(created.id, (p) => p.transactionId !== FAKE_ID);
    expect(found.attention).toBeNull();
    await host.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await host.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await host.call('simulate.presentCard', { readerId: reader.id });
    await host.waitForPayment(created.id, (p) => p.status === 'succeeded');
  });

  it('a card payment the gateway does not know under any id it gives goes to Needs attention', async () => {
    const host = await start();
    const reader = await host.onlineReader();
    // The gateway (or something in the way) keeps naming an id it does not know.
    proxy!.rewrite = createAnswerNames(FAKE_ID);
    const created = await host.call('payments.create', { amount: 1800, currency: 'USD' });
    await host.fail('payments.process', { paymentId: created.id, readerId: reader.id });
    await host.call('attention.retry', { paymentId: created.id });
    const flagged = await host.waitForPayment(created.id, (p) => p.attention !== null);
    expect(flagged.attention?.reason).toContain(`no payment under the id this till holds for it (${FAKE_ID})`);
    expect(flagged.attention?.advice).toContain(created.orderReference);
  });

  it("Plural: an order created with shares other than the till's is not taken, and never shown to pay", async () => {
    // Money settled to the wrong merchant cannot be taken back from the till: a create's answer
    // whose shares differ from those sent is not this payment.
    sandbox = await startSandbox({ port: 0, db: ':memory:' });
    proxy = await startRewritingProxy(sandbox.plural.url);
    const behind = { ...sandbox, plural: { ...sandbox.plural, url: proxy.url }, close: async () => undefined };
    t = await startTestHost({ sandbox, startSandbox: async () => behind, tuning: { attempts: 2 } });
    await t.call('settings.update', { gateway: 'plural' });
    await waitFor(async () => (await t!.call('session.snapshot', {})).gateway?.name === 'plural', 5_000, 'Plural');
    proxy.rewrite = (method, path, body) => {
      if (!/^\/api\/pay\/v1\/orders/.test(path) || body === '') return null;
      const answer = JSON.parse(body) as {
        data?: { purchase_details?: { split_info?: { split_details: { split_merchant_id: string }[] } } };
      };
      const details = answer.data?.purchase_details?.split_info?.split_details;
      if (!details) return null;
      for (const detail of details) if (detail.split_merchant_id === '1233') detail.split_merchant_id = '9999';
      return JSON.stringify(answer);
    };
    const refused = await t.fail('payments.create', {
      amount: 50_000,
      currency: 'INR',
      orderReference: 'SHARES-1',
      splits: [
        { merchantId: '1324', amount: 30_000, onHold: true },
        { merchantId: '1233', amount: 20_000 },
      ],
    });
    expect(refused.message).toMatch(/shares \(1324 ₹300\.00 held, 9999 ₹200\.00\) are not the ones sent/);
    const [payment] = (await t.call('session.snapshot', {})).payments.filter((p) => p.orderReference === 'SHARES-1');
    expect(payment).toBeDefined();
    expect(payment!.payUrl).toBeNull();
    // In Needs attention with what happened, not as a create that went unanswered.
    expect(payment!.status).toBe('unknown');
    expect(payment!.attention?.reason).toMatch(/^The gateway's answer does not fit the request: its shares/);
  });

  it('Plural: an order status the till does not know is never taken as paid; the payment needs attention until it reads again', async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:' });
    proxy = await startRewritingProxy(sandbox.plural.url);
    const behind = { ...sandbox, plural: { ...sandbox.plural, url: proxy.url }, close: async () => undefined };
    t = await startTestHost({ sandbox, startSandbox: async () => behind, tuning: { remotePollMs: 20 } });
    await t.call('settings.update', { gateway: 'plural' });
    await waitFor(async () => (await t!.call('session.snapshot', {})).gateway?.name === 'plural', 5_000, 'Plural');
    const created = await t.call('payments.create', { amount: 12_500, currency: 'INR', orderReference: 'ODD-1' });
    expect(created.status).toBe('pending');
    const orderPath = `/api/pay/v1/orders/${created.transactionId}`;
    // Plural answers a status its reference does not list (say it started reviewing orders).
    proxy.rewrite = (method, path, body) => {
      if (method !== 'GET' || path !== orderPath || body === '') return null;
      const answer = JSON.parse(body) as { data: { status: string } };
      answer.data.status = 'UNDER_REVIEW';
      return JSON.stringify(answer);
    };
    const flagged = await t.waitForPayment(created.id, (p) => p.attention !== null);
    expect(flagged.status).toBe('pending');
    expect(flagged.attention?.reason).toContain('"UNDER_REVIEW" is not an order status the till knows');
    expect(flagged.attention?.advice).toMatch(/dashboard/);

    // Read as Plural documents it again: the attention item goes by itself, the payment follows on.
    proxy.rewrite = () => null;
    const paid = await customerPaysPlural(sandbox, created.transactionId!);
    expect(paid.status).toBe(200);
    const settled = await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    expect(settled.attention).toBeNull();
  });

  it('a create answered with a body that is not JSON: the cashier reads that, not "unreachable"', async () => {
    const host = await start();
    proxy!.rewrite = (method, path) => (method === 'POST' && path === '/v1/terminal/create-payment' ? '<html>' : null);
    const refused = await host.fail('payments.create', { amount: 1200, currency: 'USD' });
    expect(refused.message).toContain("The gateway's answer to POST /v1/terminal/create-payment is not JSON.");
    expect(refused.message).not.toMatch(/unreachable|undefined/);
  });

  it('a create answered in Latin-1 is an unknown outcome, never a description with U+FFFD nor "not made"', async () => {
    const host = await start();
    // Every answer naming the payment, the create's and the lookups', as a gateway writing Latin-1 would.
    proxy!.rewrite = (_method, _path, body) => (body.includes('Café') ? Buffer.from(body, 'latin1') : null);
    const refused = await host.fail('payments.create', { amount: 1200, currency: 'USD', description: 'Café' });
    expect(refused.message).toContain("The gateway's answer to POST /v1/terminal/create-payment is not UTF-8.");
    const inDoubt = (await host.call('session.snapshot', {})).payments.find((p) => p.description?.startsWith('Caf'));
    expect(inDoubt).toMatchObject({ status: 'unknown', description: 'Café' });
    expect(inDoubt?.attention?.reason).toContain('is not UTF-8');

    // Readable again: the payment the first send made is found, as it was written, and made once.
    proxy!.rewrite = () => null;
    await host.call('attention.retry', { paymentId: inDoubt!.id });
    const found = await host.waitForPayment(inDoubt!.id, (p) => p.status === 'pending' && p.transactionId !== null);
    expect(found).toMatchObject({ description: 'Café', attention: null });
    const made = [...(await ledger()).values()].filter((row) => !row.seeded);
    expect(made).toMatchObject([{ id: found.transactionId, amount: 1200 }]);
  });
});
