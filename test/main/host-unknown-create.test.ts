/**
 * A create whose answer was lost and which the till could not find at the gateway stays unknown in
 * Needs attention; the cashier settles it from the gateway's dashboard (attention.resolve `created`
 * with the gateway's id, or `not_created` with who and why). A real PayPlug till against the
 * sandbox, through a proxy that forwards the create and loses its answer, and loses every answer to
 * PayPlug's list of payments (the lookup), as after a long outage its lookup cannot reach back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PaymentView } from '../../common/contract';
import { adviceUnknownCreate } from '../../main/payments/recovery';
import { startSandbox } from '../../sandbox/index';
import { waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill, ShiftedClock } from '../support/payplug';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';

const CREATE = (method: string, path: string) => method === 'POST' && path === '/payplug/v1/payments';
const LOOKUP = (method: string, path: string) => method === 'GET' && path === '/payplug/v1/payments';

interface Ledger {
  payments: { id: string; amount: number; metadata: Record<string, unknown> | null }[];
}

describe("Needs attention's advice for a create in doubt", () => {
  it.each([
    ['plutopay', /The app keeps retrying with the same key, so it cannot be created twice\./],
    ['payplug', /PayPlug has no idempotency keys: the app keeps looking for the payment there by the reference/],
    ['plural', /Plural has no idempotency keys: the app keeps looking for the payment there by the reference/],
  ] as const)('%s: says what the till does about it', (gateway, words) => {
    const advice = adviceUnknownCreate(gateway);
    expect(advice).toMatch(words);
    if (gateway !== 'plutopay') expect(advice).not.toMatch(/same key/);
  });
});

describe('a create in doubt the till cannot find, settled by the cashier', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A PayPlug till behind a proxy, and one payment whose create's answer was lost and stays unknown. */
  async function lostCreate(amount: number, clock?: ShiftedClock) {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const proxy: RewritingProxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await payplugTill(sandbox, { payplugUrl: `${proxy.url}/payplug`, ...(clock ? { clock } : {}) });
    cleanup.push(() => t.close());
    const sent: string[] = [];
    let losing = true;
    proxy.dropAnswer = (method, path) => {
      if (CREATE(method, path)) sent.push('create');
      return losing && (CREATE(method, path) || LOOKUP(method, path));
    };
    const answer = await t.host.invoke('payments.create', { amount, currency: 'EUR', orderReference: `ord-${amount}` });
    expect(answer).toMatchObject({ ok: false, error: { code: 'offline' } });
    const [payment] = (await t.call('payments.list', { filter: 'attention', limit: 10 })).filter(
      (p) => p.amount === amount,
    );
    expect(payment).toMatchObject({ status: 'unknown', transactionId: null });
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === payment!.id);
    expect(item).toMatchObject({ unknownCreate: true });
    // PayPlug has no idempotency keys: what the cashier reads says what the till does instead (it
    // said "The app keeps retrying with the same key", untrue here).
    for (const words of [(answer as { error: { message: string } }).error.message, item!.advice]) {
      expect(words).toMatch(
        /PayPlug has no idempotency keys: the app keeps looking for the payment there by the reference/,
      );
      expect(words).not.toMatch(/same key/);
    }
    const ledger = async () => ((await payplug(t, 'GET', '/_sandbox/ledger')).json as Ledger).payments;
    const made = (await ledger()).filter((p) => p.amount === amount);
    expect(made).toHaveLength(1);
    return {
      t,
      proxy,
      sent,
      ledger,
      payment: payment!,
      gatewayId: made[0]!.id,
      findAgain: () => (losing = false),
    };
  }

  const timeline = async (t: TestHost, payment: PaymentView) =>
    (await t.call('transactions.get', { transactionId: payment.id })).timeline.map((e) => `${e.event}: ${e.detail}`);

  it('"it was made": the gateway payment the cashier names is checked, then taken in as this one', async () => {
    const { t, sent, payment, gatewayId } = await lostCreate(1234);
    // Another payment of the shop, of other money: refused, nothing recorded.
    const other = await payplug(t, 'POST', '/v1/payments', {
      amount: 999,
      currency: 'EUR',
      hosted_payment: { return_url: 'https://shop.example/return' },
      metadata: { pos_order: 'ord-1234' },
    });
    const otherId = (other.json as { id: string }).id;
    const wrong = await t.host.invoke('attention.resolve', {
      paymentId: payment.id,
      resolution: 'created',
      gatewayPaymentId: otherId,
      by: 'Sam',
    });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(wrong.ok ? '' : wrong.error.message).toMatch(/is not this payment: it is for €9\.99, not €12\.34/);
    // An id PayPlug does not know: refused.
    const unknown = await t.host.invoke('attention.resolve', {
      paymentId: payment.id,
      resolution: 'created',
      gatewayPaymentId: 'pay_doesnotexist',
      by: 'Sam',
    });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(unknown.ok ? '' : unknown.error.message).toMatch(/PayPlug has no payment pay_doesnotexist/);
    // Without who: refused on the field.
    const anonymous = await t.host.invoke('attention.resolve', {
      paymentId: payment.id,
      resolution: 'created',
      gatewayPaymentId: gatewayId,
    });
    expect(anonymous).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect((await t.call('attention.list', {})).map((a) => a.paymentId)).toContain(payment.id);

    const taken = await t.call('attention.resolve', {
      paymentId: payment.id,
      resolution: 'created',
      gatewayPaymentId: gatewayId,
      by: 'Sam',
    });
    expect(taken).toMatchObject({ id: payment.id, transactionId: gatewayId, status: 'pending' });
    expect((await t.call('attention.list', {})).map((a) => a.paymentId)).not.toContain(payment.id);
    expect(await timeline(t, payment)).toEqual(
      expect.arrayContaining([`cashier_found_created: Sam: PayPlug payment ${gatewayId} is this one`]),
    );
    expect(sent).toEqual(['create']);
  });

  it('"it was not made": failed with who and why, never sent again; shown after all, it is taken in and flagged', async () => {
    const { t, sent, payment, gatewayId, findAgain, ledger } = await lostCreate(2345);
    const none = await t.host.invoke('attention.resolve', {
      paymentId: payment.id,
      resolution: 'not_created',
      by: 'Sam',
    });
    expect(none).toMatchObject({ ok: false, error: { code: 'validation' } });

    const failed = await t.call('attention.resolve', {
      paymentId: payment.id,
      resolution: 'not_created',
      by: 'Sam',
      reason: 'not on the dashboard at 10:40',
    });
    expect(failed).toMatchObject({ status: 'failed', transactionId: null });
    expect((await t.call('attention.list', {})).map((a) => a.paymentId)).not.toContain(payment.id);
    // Settled already: a second answer is refused.
    const again = await t.host.invoke('attention.resolve', {
      paymentId: payment.id,
      resolution: 'created',
      gatewayPaymentId: gatewayId,
      by: 'Sam',
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } });

    // The gateway answers again and its list shows the payment after all: the till looks (never
    // sends), finds it and takes it in as this payment, in Needs attention.
    findAgain();
    // Recovery, once the gateway answers again, looks for it by its key and takes it in.
    await waitFor(
      async () =>
        (await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.transactionId === gatewayId),
      20_000,
      'the payment taken in',
    );
    const found = (await t.call('transactions.get', { transactionId: payment.id })).payment;
    expect(found).toMatchObject({ transactionId: gatewayId, status: 'pending' });
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === payment.id);
    expect(item?.reason).toMatch(/recorded as not made, but PayPlug has it after all/);
    expect(await timeline(t, payment)).toEqual(
      expect.arrayContaining([
        'cashier_not_created: Sam: not on the dashboard at 10:40',
        `found_after_not_created: PayPlug payment ${gatewayId}`,
      ]),
    );
    // The lost create was never sent again.
    expect(sent).toEqual(['create']);
    expect((await ledger()).filter((p) => p.amount === 2345)).toHaveLength(1);
  });

  it('recorded as not made, closed in a Z, then found charged: the next X and Z carry the correction', async () => {
    // Found by review: the customer was charged; the cashier, not seeing it on the dashboard, said
    // it was not made; the day's Z did not count it. Recovery found it charged after the Z: the
    // next report counted its money in Captured without a word, and the closed day was short.
    const clock = new ShiftedClock();
    const { t, payment, gatewayId, findAgain } = await lostCreate(6789, clock);
    expect(
      (await payplug(t, 'POST', `/_sandbox/payments/${gatewayId}/pay`, { card_number: '4242424242424242' })).status,
    ).toBe(200);
    await t.call('attention.resolve', {
      paymentId: payment.id,
      resolution: 'not_created',
      by: 'Sam',
      reason: 'not on the dashboard at 10:40',
    });
    const z1 = await t.call('reports.close', { closedBy: 'Sam' });
    const eur = (report: { totals: { currency: string }[] }) => report.totals.find((row) => row.currency === 'EUR');
    // A create recorded as not made is no payment of the day's: nothing of it counted.
    expect(eur(z1)).toBeUndefined();
    expect(z1.corrections).toEqual([]);

    findAgain();
    await waitFor(
      async () => (await t.call('transactions.get', { transactionId: payment.id })).payment?.status === 'succeeded',
      20_000,
      'the payment found charged',
    );
    const x = await t.call('reports.x', {});
    const correction = {
      paymentId: payment.id,
      orderReference: 'ord-6789',
      currency: 'EUR',
      amount: 6789,
      was: 'failed',
      now: 'succeeded',
      zNumber: 1,
      date: z1.date,
    };
    expect(x.corrections).toEqual([expect.objectContaining(correction)]);
    // Its money is the open day's Captured, as it moved; Approved is the day's own payments only.
    expect(eur(x)).toMatchObject({ approvedCount: 0, captured: 6789 });
    expect(x.text).toContain('CORRECTIONS TO EARLIER DAYS (1)');
    expect(x.text).toMatch(/ord-6789 +€?67\.89/);
    expect(x.text).toContain(`${z1.date} (Z 1)`);
    const csv = (await t.call('reports.csv', {})).content.split('\r\n');
    expect(csv.find((row) => row.startsWith('correction,'))).toContain(
      `${payment.id},ord-6789,found charged +67.89: Z 1 (${z1.date}) counted it failed; now succeeded,EUR`,
    );
    const timeline = (await t.call('transactions.get', { transactionId: payment.id })).timeline.map((e) => e.event);
    expect(timeline).toContain('outcome_after_z');
    // The closed Z is never rewritten: as it was, and still valid.
    const again = await t.call('reports.get', { number: 1 });
    expect(again.z?.valid).toBe(true);
    expect(eur(again)).toEqual(eur(z1));

    // A day later the next Z carries it (the payment found is in Needs attention: an override), and
    // the day after that no report does again.
    clock.offsetMs += 24 * 3_600_000;
    const z2 = await t.call('reports.close', {
      closedBy: 'Sam',
      override: { by: 'Sam', reason: 'found charged: the customer paid twice, refund due' },
    });
    expect(z2.corrections).toEqual([expect.objectContaining(correction)]);
    expect(z2.z?.valid).toBe(true);
    expect((await t.call('reports.x', {})).corrections).toEqual([]);
  });

  it('a payment recorded as not made that reaches the till by its id is taken in as that payment, never a stranger', async () => {
    // PayPlug's list still fails (the lookup cannot find it), but its id reaches the till: a
    // customer's receipt, a refund asked for by id. It joins the payment it was, flagged.
    const { t, sent, payment, gatewayId } = await lostCreate(4567);
    await t.call('attention.resolve', {
      paymentId: payment.id,
      resolution: 'not_created',
      by: 'Sam',
      reason: 'not seen',
    });
    // Its details open from the journal (no gateway id): who decided what, and why.
    const detail = await t.call('transactions.get', { transactionId: payment.id });
    expect(detail).toMatchObject({
      journalOnly: true,
      refunds: [],
      transaction: { id: payment.id, status: 'failed', amount: 4567 },
      payment: { id: payment.id, transactionId: null },
    });
    expect(await timeline(t, payment)).toEqual(expect.arrayContaining(['cashier_not_created: Sam: not seen']));
    const read = await t.call('attention.retry', { paymentId: gatewayId });
    expect(read).toMatchObject({ id: payment.id, transactionId: gatewayId });
    expect((await t.call('payments.list', { filter: 'all', limit: 50 })).filter((p) => p.amount === 4567)).toHaveLength(
      1,
    );
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === payment.id);
    expect(item?.reason).toMatch(/recorded as not made, but PayPlug has it after all/);
    expect(sent).toEqual(['create']);
  });

  it('a payment recorded as not made that the day’s reconciliation lists is taken in as it, not taken elsewhere', async () => {
    const { t, proxy, sent, payment, gatewayId, findAgain } = await lostCreate(5678);
    await t.call('attention.resolve', {
      paymentId: payment.id,
      resolution: 'not_created',
      by: 'Sam',
      reason: 'not seen',
    });
    // PayPlug answers again, but its list comes without the key tag: the lookup by key cannot find
    // the payment, only the reconciliation's list (by order and money) shows it.
    proxy.rewrite = (method, path, body) => {
      if (!LOOKUP(method, path)) return null;
      const list = JSON.parse(body) as { data: { metadata: Record<string, unknown> | null }[] };
      for (const row of list.data) if (row.metadata) delete row.metadata.pos_key;
      return JSON.stringify(list);
    };
    findAgain();
    const reconciliation = await t.call('reports.reconcile', {});
    expect(reconciliation.differences.filter((d) => d.gatewayId === gatewayId)).toEqual([]);
    const eur = reconciliation.totals.find((row) => row.currency === 'EUR');
    expect(eur?.journal).toEqual(eur?.gateway);
    const found = (await t.call('transactions.get', { transactionId: payment.id })).payment;
    expect(found).toMatchObject({ id: payment.id, transactionId: gatewayId });
    expect((await t.call('payments.list', { filter: 'all', limit: 50 })).filter((p) => p.amount === 5678)).toHaveLength(
      1,
    );
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === payment.id);
    expect(item?.reason).toMatch(/recorded as not made, but PayPlug has it after all/);
    // Reconciled again, it is counted once.
    const again = await t.call('reports.reconcile', {});
    expect(again.totals.find((row) => row.currency === 'EUR')).toEqual(eur);
    expect(sent).toEqual(['create']);
  });

  it('a notification about a payment the till does not know makes it look for a not-made one at once', async () => {
    const { t, proxy, sent, payment, gatewayId } = await lostCreate(6789);
    await t.call('settings.update', { webhookPort: 0 });
    const url = await waitFor(async () => (await t.call('settings.get', {})).webhookUrl, 3_000, 'receiver url');
    await t.call('attention.resolve', {
      paymentId: payment.id,
      resolution: 'not_created',
      by: 'Sam',
      reason: 'not seen',
    });
    // PayPlug's list answers a lookup again, but the till's one-payment probes still go unanswered:
    // the till does not see the gateway come back, so no recovery run looks for the payment.
    proxy.dropAnswer = (method, path, query) => LOOKUP(method, path) && /[?&]per_page=1(&|$)/.test(query);
    // PayPlug notifies the payment (the till never trusts what it says: it looks by its own key).
    const notified = await fetch(url!.replace(/\/webhooks\/\w+$/, '/webhooks/payplug'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ object: 'payment', id: gatewayId, is_live: false }),
    });
    expect(notified.status).toBeLessThan(300);
    await waitFor(
      async () =>
        (await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.transactionId === gatewayId),
      5_000,
      'the payment taken in',
    );
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === payment.id);
    expect(item?.reason).toMatch(/recorded as not made, but PayPlug has it after all/);
    expect(sent).toEqual(['create']);
  });
});
