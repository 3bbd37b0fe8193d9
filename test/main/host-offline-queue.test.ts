/**
 * The offline queue through a long outage, against the sandbox behind a proxy that keeps the till
 * from reaching it (the test, as the shop's dashboard would, reaches the sandbox itself): what was
 * queued is sent when the gateway is back, and never moves the customer's money twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PaymentView } from '../../common/contract';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startTestHost, useGateway, waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill } from '../support/payplug';
import { payOrder, pluralRequest, pluralTillBehindProxy } from '../support/plural';
import { cardPayment, tillBehindProxy } from '../support/proxied-host';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';

const DOWN = { status: 503, body: JSON.stringify({ error: { message: 'Service Unavailable' } }) };

interface Gateway {
  name: 'plutopay' | 'payplug' | 'plural';
  currency: string;
  /** A till behind `proxy` with a payment of `amount` the customer paid. */
  paid(amount: number): Promise<{ t: TestHost; proxy: RewritingProxy; payment: PaymentView; close(): Promise<void> }>;
  /**
   * What the dashboard refunds while the till's €10.00 waits. PlutoPay: more than it, since a
   * refund whose send got no answer (503) may have been made there, found by no lookup (see
   * docs/reliability.md): the same amount cannot be told from it.
   */
  dashboardAmount: number;
  /** A refund made on the gateway's dashboard (not by the till). */
  dashboardRefund(t: TestHost, payment: PaymentView, amount: number): Promise<void>;
  /** What the gateway has refunded of the payment. */
  refunded(t: TestHost, payment: PaymentView): Promise<number>;
}

async function behindProxy(): Promise<{ sandbox: RunningSandbox; proxy: RewritingProxy }> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:' });
  return { sandbox, proxy: await startRewritingProxy(sandbox.url) };
}

const closing = (t: TestHost, proxy: RewritingProxy, sandbox: RunningSandbox) => async () => {
  await t.close();
  await proxy.close();
  await sandbox.close();
};

const GATEWAYS: Gateway[] = [
  {
    name: 'plutopay',
    currency: 'USD',
    dashboardAmount: 1500,
    async paid(amount) {
      const till = await tillBehindProxy();
      const payment = await cardPayment(till.t, amount, 'automatic');
      return { t: till.t, proxy: till.proxy, payment, close: () => till.close() };
    },
    async dashboardRefund(t, payment, amount) {
      expect((await t.api('POST', `/v1/transactions/${payment.transactionId}/refunds`, { amount })).status).toBe(201);
    },
    async refunded(t, payment) {
      const ledger = (await t.api('GET', '/_sandbox/ledger')).json as {
        transactions: { id: string; amount_refunded: number }[];
      };
      return ledger.transactions.find((tx) => tx.id === payment.transactionId)!.amount_refunded;
    },
  },
  {
    name: 'payplug',
    currency: 'EUR',
    dashboardAmount: 1000,
    async paid(amount) {
      const { sandbox, proxy } = await behindProxy();
      const t = await payplugTill(sandbox, { payplugUrl: `${proxy.url}/payplug` });
      const created = await t.call('payments.create', { amount, currency: 'EUR' });
      await payplug(t, 'POST', `/_sandbox/payments/${created.transactionId}/pay`, { card_number: '4242424242424242' });
      const payment = await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
      return { t, proxy, payment, close: closing(t, proxy, sandbox) };
    },
    async dashboardRefund(t, payment, amount) {
      expect((await payplug(t, 'POST', `/v1/payments/${payment.transactionId}/refunds`, { amount })).status).toBe(201);
    },
    async refunded(t, payment) {
      return ((await payplug(t, 'GET', `/v1/payments/${payment.transactionId}`)).json as { amount_refunded: number })
        .amount_refunded;
    },
  },
  {
    name: 'plural',
    currency: 'INR',
    dashboardAmount: 1000,
    async paid(amount) {
      const { t, proxy, close } = await pluralTillBehindProxy();
      const created = await t.call('payments.create', { amount, currency: 'INR' });
      await payOrder(t, created.transactionId!);
      const payment = await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
      return { t, proxy, payment, close };
    },
    async dashboardRefund(t, payment, amount) {
      const answer = await pluralRequest(t.sandbox, 'POST', `/api/pay/v1/refunds/${payment.transactionId}`, {
        merchant_order_reference: `dashboard-${payment.id}`,
        order_amount: { value: amount, currency: 'INR' },
      });
      expect(answer.status).toBe(200);
    },
    async refunded(t, payment) {
      const answer = await pluralRequest(t.sandbox, 'GET', '/_sandbox/ledger');
      const ledger = (await answer.json()) as { orders: { order_id: string; refunded: number }[] };
      return ledger.orders.find((o) => o.order_id === payment.transactionId)!.refunded;
    },
  },
];

describe.each(GATEWAYS)('the offline queue on $name', (gateway) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('a queued refund is not sent when the payment was refunded on the dashboard meanwhile', async () => {
    // Found hunting the offline queue: the cashier's refund queued while the gateway was down, the
    // manager made it on the dashboard meanwhile, and the till sent it too when the gateway came
    // back: the customer got it twice.
    const { t, proxy, payment, close } = await gateway.paid(3000);
    cleanup.push(close);
    proxy.answer = () => DOWN;
    const queued = await t.fail('payments.refund', { paymentId: payment.id, amount: 1000 });
    expect(queued).toMatchObject({ code: 'offline', queued: true });
    await gateway.dashboardRefund(t, payment, gateway.dashboardAmount);
    proxy.answer = () => null;

    // Back: the queue is worked through (sent, or withheld), and the customer refunded once.
    await waitFor(
      async () => {
        const { connectivity } = await t.call('session.snapshot', {});
        return connectivity.gateway === 'online' && connectivity.queued.count === 0;
      },
      20_000,
      'the queue worked through',
    );
    expect(await gateway.refunded(t, payment)).toBe(gateway.dashboardAmount);
    const flagged = await t.waitForPayment(payment.id, (p) => p.attention !== null);
    expect(flagged.attention?.reason).toMatch(
      /^The queued refund of .* was not sent: .* shows .*(refunded|partially refunded) since it was asked for, not by this till/,
    );
    const now = (await t.call('payments.list', { filter: 'all', limit: 10 })).find((p) => p.id === payment.id)!;
    // The journal shows the gateway's payment as refunded (Plural cannot say how much was refunded elsewhere).
    expect(now).toMatchObject({ status: 'partially_refunded' });
    if (gateway.name !== 'plural') expect(now.amountRefunded).toBe(gateway.dashboardAmount);
    const { timeline } = await t.call('transactions.get', { transactionId: payment.transactionId! });
    expect(timeline.map((e) => e.event)).toContain('queued_refund_withheld');
  }, 40_000);
});

describe('a refund asked for again while the first waits in the queue', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('is refused as nothing left, saying the queued refund will be sent, and the customer is refunded once', async () => {
    // Found using the app: it said "The refund amount can be at most $0.00, what is left to refund",
    // which told the cashier neither that the first refund was on its way nor not to ask again.
    const till = await tillBehindProxy();
    cleanup.push(() => till.close());
    const { t, proxy } = till;
    const payment = await cardPayment(t, 3000, 'automatic');
    await t.call('payments.refund', { paymentId: payment.id, amount: 1000 });
    proxy.answer = () => DOWN;
    expect(await t.fail('payments.refund', { paymentId: payment.id, amount: 2000 })).toMatchObject({
      code: 'offline',
      queued: true,
    });
    for (const amount of [500, 2000])
      expect(await t.fail('payments.refund', { paymentId: payment.id, amount })).toEqual({
        code: 'conflict',
        message:
          'Nothing is left to refund: $10.00 was refunded already and a refund of $20.00 already asked for is ' +
          'waiting for PlutoPay. It will be sent when PlutoPay is reachable: do not refund again.',
      });
    proxy.answer = () => null;
    await waitFor(
      async () => {
        const { connectivity } = await t.call('session.snapshot', {});
        return connectivity.gateway === 'online' && connectivity.queued.count === 0;
      },
      20_000,
      'the queue worked through',
    );
    const ledger = (await t.api('GET', '/_sandbox/ledger')).json as {
      transactions: { id: string; amount_refunded: number }[];
    };
    expect(ledger.transactions.find((tx) => tx.id === payment.transactionId)!.amount_refunded).toBe(3000);
  }, 40_000);
});

describe('refunds asked for and not yet confirmed', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('a refund the gateway holds as pending is said as not yet confirmed, not as refunded already', async () => {
    // Found reading the refusal: a refund PlutoPay had taken but not yet confirmed was told to the cashier
    // as "$30.00 was refunded already" — the cashier could not tell it from one made.
    const till = await tillBehindProxy();
    cleanup.push(() => till.close());
    const { t, proxy } = till;
    const payment = await cardPayment(t, 3000, 'automatic');
    await t.call('payments.refund', { paymentId: payment.id });
    const refunds = `/v1/transactions/${payment.transactionId}/refunds`;
    proxy.rewrite = (method, path, body) =>
      method === 'GET' && path === refunds ? body.replace(/"status":"succeeded"/g, '"status":"pending"') : null;
    expect(await t.fail('payments.refund', { paymentId: payment.id, amount: 500 })).toEqual({
      code: 'conflict',
      message:
        'Nothing is left to refund: a refund of $30.00 asked for is not yet confirmed by PlutoPay. ' +
        'PlutoPay is still processing it: do not refund again.',
    });
    // Its details list it as the gateway says it: pending, for the screen to say the same.
    const detail = await t.call('transactions.get', { transactionId: payment.transactionId! });
    expect(detail.refunds).toEqual([expect.objectContaining({ amount: 3000, status: 'pending' })]);
  }, 40_000);

  it('a refund queued while the gateway answers (outcome unknown, sent again) is listed in the online details', async () => {
    // Found reading the details: the offline details listed the queued refund and took it off the form, the
    // online ones did not — a refund PlutoPay answered unreadably, asked for again, was offered once more.
    const till = await tillBehindProxy();
    cleanup.push(() => till.close());
    const { t, proxy } = till;
    const payment = await cardPayment(t, 3000, 'automatic');
    const refunds = `/v1/transactions/${payment.transactionId}/refunds`;
    // PlutoPay answers the refund with what the till cannot read, and never makes it.
    proxy.answer = (method, path) => (method === 'POST' && path === refunds ? { status: 200, body: '{}' } : null);
    expect(await t.fail('payments.refund', { paymentId: payment.id, amount: 1000 })).toMatchObject({
      code: 'offline',
      queued: true,
    });
    const detail = await t.call('transactions.get', { transactionId: payment.transactionId! });
    expect(detail.offline).toBe(false);
    expect(detail.transaction.amountRefunded).toBe(0);
    expect(detail.refunds).toEqual([
      expect.objectContaining({
        amount: 1000,
        status: 'queued',
        reason: 'queued: not at PlutoPay yet; the till sends it by itself',
      }),
    ]);
    // The host counts it too: only the rest can be asked for.
    expect(await t.fail('payments.refund', { paymentId: payment.id, amount: 2500 })).toMatchObject({
      code: 'validation',
      message: 'The refund amount can be at most $20.00, what is left to refund.',
    });
  }, 40_000);
});

/** A PayPlug till behind a proxy (PlutoPay's and PayPlug's calls both through it), with a paid €30.00 sale. */
async function payplugSaleBehindProxy() {
  const { sandbox, proxy } = await behindProxy();
  const t = await startTestHost({
    sandbox,
    startSandbox: async () => ({
      ...sandbox,
      url: proxy.url,
      payplug: { ...sandbox.payplug, url: `${proxy.url}/payplug` },
      close: async () => undefined,
    }),
    tuning: { remotePollMs: 50, retryDelayMs: 5 },
  });
  const close = closing(t, proxy, sandbox);
  await t.call('settings.update', { gateway: 'payplug' });
  await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'payplug', 5_000, 'PayPlug');
  const created = await t.call('payments.create', { amount: 3000, currency: 'EUR' });
  await payplug(t, 'POST', `/_sandbox/payments/${created.transactionId}/pay`, { card_number: '4242424242424242' });
  const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
  return { t, proxy, paid, close };
}

describe('the offline queue across a switch of gateway', () => {
  it('the banner counts only what the active gateway will send when it is back', async () => {
    // Found hunting the offline queue: a PayPlug refund queued, then the till switched to PlutoPay,
    // both unreachable: the banner said "1 operation queued (€10.00); they will be sent when it is
    // back", and PlutoPay coming back sent nothing (another gateway's payments wait for the switch back).
    const { t, proxy, paid, close } = await payplugSaleBehindProxy();
    try {
      proxy.answer = () => DOWN;
      expect(await t.fail('payments.refund', { paymentId: paid.id, amount: 1000 })).toMatchObject({ queued: true });
      expect((await t.call('session.snapshot', {})).connectivity.queued).toEqual({
        count: 1,
        totals: [{ currency: 'EUR', amount: 1000 }],
      });

      await t.call('settings.update', { gateway: 'plutopay' });
      const switched = await waitFor(
        async () => {
          const snapshot = await t.call('session.snapshot', {});
          return snapshot.gateway?.name === 'plutopay' && snapshot.connectivity.gateway === 'offline' && snapshot;
        },
        5_000,
        'PlutoPay, offline',
      );
      expect(switched.connectivity.queued).toEqual({ count: 0, totals: [] });
      // The payment itself still shows its refund waiting.
      const waiting = (await t.call('payments.list', { filter: 'all', limit: 10 })).find((p) => p.id === paid.id)!;
      expect(waiting.queuedOperations).toBe(1);

      // Back on PayPlug, reachable again: it is sent, once.
      proxy.answer = () => null;
      await t.call('settings.update', { gateway: 'payplug' });
      await t.waitForPayment(paid.id, (p) => p.amountRefunded === 1000 && p.queuedOperations === 0, 20_000);
      const refunds = (await payplug(t, 'GET', `/v1/payments/${paid.transactionId}/refunds`)).json as {
        data: unknown[];
      };
      expect(refunds.data).toHaveLength(1);
    } finally {
      await close();
    }
  }, 40_000);

  it('its details, once switched, list the refund still queued for PayPlug, sent only after the switch back', async () => {
    // Found: another gateway's payment the till knows showed only its finished refunds, so a refund
    // queued for it before the switch looked never asked for (and might be asked for again).
    const { t, proxy, paid, close } = await payplugSaleBehindProxy();
    try {
      proxy.answer = (_method, path) => (path.startsWith('/payplug/') ? DOWN : null);
      expect(await t.fail('payments.refund', { paymentId: paid.id, amount: 1000 })).toMatchObject({ queued: true });
      await useGateway(t, 'plutopay');
      const queued = {
        amount: 1000,
        currency: 'EUR',
        status: 'queued',
        reason: 'queued: sent once the till switches back to PayPlug',
      };
      const detail = await t.call('transactions.get', { transactionId: paid.transactionId! });
      expect(detail.refundNotHere).toMatch(/^This payment was made with PayPlug, and the till now uses PlutoPay/);
      expect(detail.refunds).toEqual([expect.objectContaining(queued)]);
      // PayPlug answers again, the till still on PlutoPay: it is still that gateway's to send, and
      // said so; nothing from here sends it.
      proxy.answer = () => null;
      const again = await t.call('transactions.get', { transactionId: paid.transactionId! });
      expect(again.refunds).toEqual([expect.objectContaining(queued)]);

      // Switched back: sent once, and listed as PayPlug has it.
      await useGateway(t, 'payplug');
      await t.waitForPayment(paid.id, (p) => p.amountRefunded === 1000 && p.queuedOperations === 0, 20_000);
      const refunds = (await payplug(t, 'GET', `/v1/payments/${paid.transactionId}/refunds`)).json as {
        data: unknown[];
      };
      expect(refunds.data).toHaveLength(1);
      const sent = await t.call('transactions.get', { transactionId: paid.transactionId! });
      expect(sent.refundNotHere).toBeUndefined();
      expect(sent.refunds).toEqual([expect.objectContaining({ amount: 1000, status: 'succeeded' })]);
    } finally {
      await close();
    }
  }, 40_000);
});
