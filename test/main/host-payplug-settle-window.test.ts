/**
 * The settle window (docs/reliability.md#the-settle-window) end to end: a real till against the
 * sandbox's PayPlug emulator, through the relay whose `landLate` reads a request whole, cuts the
 * till's connection before any answer and lets the request reach PayPlug only when the test says —
 * after the till's first lookup has found nothing. PayPlug has no idempotency keys: a till that sent
 * again then would make a second refund, or charge a saved card twice. The till runs on the fake
 * clock, so "before the window" and "after it" are the test's to choose; the order of the HTTP
 * events is made explicit with a deferred, never a duration.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PaymentView, Result } from '../../common/contract';
import { startSandbox } from '../../sandbox/index';
import { FakeClock } from '../support/fake-clock';
import { startGatewayProxy, type GatewayProxy } from '../support/gateway-proxy';
import { waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill } from '../support/payplug';

const WINDOW_MS = 120_000;
const ada = { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' };

interface Ledger {
  payments: { id: string; amount: number; status: string; amount_refunded: number; metadata: unknown }[];
  refunds: { id: string; payment_id: string; amount: number; metadata: unknown }[];
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('PayPlug requests that land after the till looked for them (settle window)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A PayPlug till on the fake clock behind the relay; `sent` filters what it sent ("METHOD path"). */
  async function lateTill() {
    const clock = new FakeClock(Date.now());
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const seen: string[] = [];
    const relay = await startGatewayProxy(sandbox.url, { onRequest: (method, path) => seen.push(`${method} ${path}`) });
    cleanup.push(() => relay.close());
    const t = await payplugTill(sandbox, {
      clock,
      payplugUrl: `${relay.url}/payplug`,
      tuning: { settleWindowMs: WINDOW_MS },
    });
    cleanup.push(() => t.close());
    /** Waits for `probe`, letting the till's timers run: fake time moves a little between looks. */
    const until = <T>(
      probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
      what: string,
    ) =>
      waitFor(
        async () => {
          const value = await probe();
          if (!value) await clock.advanceAsync(5);
          return value;
        },
        5_000,
        what,
      );
    /** The answer to a command, the till's quick retries running on the fake clock meanwhile. */
    const answerOf = async <T>(pending: Promise<T>, what: string): Promise<T> => {
      let answered: { value: T } | undefined;
      void pending.then((value) => (answered = { value }));
      return (await until(() => answered, what)).value;
    };
    const ledger = async () => (await payplug(t, 'GET', '/_sandbox/ledger')).json as Ledger;
    const sent = (pattern: RegExp) => seen.filter((request) => pattern.test(request));
    return { clock, t, relay, sent, until, answerOf, ledger };
  }

  /**
   * From now on, the next request matching `pattern` lands late: it reaches PayPlug once the
   * returned `release` is called. Only that one: the till's resend, if any, goes through.
   */
  function landNextLate(relay: GatewayProxy, pattern: RegExp) {
    const gate = deferred();
    let left = 1;
    relay.landLate({
      matches: (method, path) => pattern.test(`${method} ${path}`) && left-- > 0,
      rate: 1,
      after: gate.promise,
    });
    return gate.resolve;
  }

  /** A €20 link paid on PayPlug's page (by Ada, saving her card, when `saveCard`); the till follows it. */
  async function paidLink(till: Awaited<ReturnType<typeof lateTill>>, saveCard: boolean) {
    const { t, until } = till;
    const created = await t.call('payments.create', {
      amount: 2000,
      currency: 'EUR',
      ...(saveCard ? { saveCard: true, customer: ada } : {}),
    });
    await payplug(t, 'POST', `/_sandbox/payments/${created.transactionId}/pay`, {
      card_number: '4242424242424242',
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      ...(saveCard ? { save_card: true } : {}),
    });
    return until(async () => {
      const payment = (await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.id === created.id);
      return payment?.status === 'succeeded' ? payment : undefined;
    }, 'the link paid');
  }

  const paymentOf = async (t: TestHost, id: string) =>
    (await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.id === id)!;

  it('a refund that lands after the lookup is made once at PayPlug, and shown once', async () => {
    const till = await lateTill();
    const { clock, t, relay, sent, answerOf, ledger } = till;
    const paid = await paidLink(till, false);
    const REFUND = new RegExp(`^POST /payplug/v1/payments/${paid.transactionId}/refunds$`);
    const LOOKUP = new RegExp(`^GET /payplug/v1/payments/${paid.transactionId}/refunds`);
    const lookups = sent(LOOKUP).length;
    const release = landNextLate(relay, REFUND);

    // Cut before any answer; the quick retry looks the refund up, finds nothing, and holds the resend.
    const refused = await answerOf(
      t.host.invoke('payments.refund', { paymentId: paid.id, amount: 1000 }),
      'the refund',
    );
    expect(sent(LOOKUP).length).toBeGreaterThan(lookups);
    expect(refused).toMatchObject({ ok: false, error: { code: 'offline' } });
    expect(!refused.ok && refused.error.message).toMatch(
      /Checking with PayPlug whether the refund went through \(nothing will be sent again before \d\d:\d\d\)/,
    );
    expect(sent(REFUND)).toHaveLength(1);
    expect(relay.landedLate).toHaveLength(1);
    expect((await ledger()).refunds).toEqual([]);
    expect(await paymentOf(t, paid.id)).toMatchObject({ amountRefunded: 0, queuedOperations: 1 });

    // PayPlug makes the refund now, after the till's lookup.
    release();
    await relay.landed();
    expect((await ledger()).refunds).toEqual([
      expect.objectContaining({ payment_id: paid.transactionId, amount: 1000 }),
    ]);

    // Nothing is sent again before the window ends, whatever the till does meanwhile. A lookup in
    // the window (recovery, run when the till is back online) may already find it and take it, once
    // (that lookup's moment depends on how fast the machine runs: seen once in a busy full run).
    await clock.advanceAsync(WINDOW_MS - 1_000, 1_000);
    expect(sent(REFUND)).toHaveLength(1);
    const during = await paymentOf(t, paid.id);
    expect([
      { amountRefunded: 0, queuedOperations: 1 },
      { amountRefunded: 1000, queuedOperations: 0 },
    ]).toContainEqual({ amountRefunded: during.amountRefunded, queuedOperations: during.queuedOperations });

    // Over: looked up again, found, taken — never sent again.
    await clock.advanceAsync(2_000, 500);
    const settled = await waitFor(async () => {
      const payment = await paymentOf(t, paid.id);
      return payment.queuedOperations === 0 ? payment : undefined;
    });
    expect(settled).toMatchObject({ status: 'partially_refunded', amountRefunded: 1000, attention: null });
    expect(sent(REFUND)).toHaveLength(1);
    const { refunds, payments } = await ledger();
    expect(refunds).toHaveLength(1);
    expect(payments.find((p) => p.id === paid.transactionId)).toMatchObject({ amount_refunded: 1000 });
  });

  it('a saved card charged by a create that lands after the lookup is charged once, and shown once', async () => {
    const till = await lateTill();
    const { clock, t, relay, sent, until, answerOf, ledger } = till;
    await paidLink(till, true);
    const card = await until(async () => (await t.call('savedCards.list', { customer: ada.email }))[0], 'the card');
    const CREATE = /^POST \/payplug\/v1\/payments$/;
    // findCreated's scan of the newest payments (the health probe asks for one: per_page=1).
    const LOOKUP = /^GET \/payplug\/v1\/payments\?.*per_page=100/;
    const creates = sent(CREATE).length;
    const lookups = sent(LOOKUP).length;
    const release = landNextLate(relay, CREATE);

    // Cut before any answer; the quick retry looks for the payment by its key, finds nothing, and
    // holds the resend: the create charges the card by itself.
    const unknown = await answerOf(
      t.host.invoke('payments.create', { amount: 1600, currency: 'EUR', customer: ada, savedCardId: card.cardId }),
      'the charge',
    );
    expect(sent(LOOKUP).length).toBeGreaterThan(lookups);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'offline' } });
    expect(!unknown.ok && unknown.error.message).toMatch(/nothing will be sent again before/);
    expect(sent(CREATE)).toHaveLength(creates + 1);
    const [pending] = (await t.call('payments.list', { filter: 'all', limit: 50 })).filter((p) => p.amount === 1600);
    expect(pending).toMatchObject({ status: 'unknown', transactionId: null });

    // PayPlug charges the card now, after the till's lookup.
    release();
    await relay.landed();
    const charged = (await ledger()).payments.filter((p) => p.amount === 1600);
    expect(charged).toEqual([expect.objectContaining({ status: 'paid' })]);

    // As for the refund: not sent again in the window; a lookup in it may already take the charge.
    await clock.advanceAsync(WINDOW_MS - 1_000, 1_000);
    expect(sent(CREATE)).toHaveLength(creates + 1);
    expect(['unknown', 'succeeded']).toContain((await paymentOf(t, pending!.id)).status);

    // Over: found by its key and taken; the card was charged once.
    await clock.advanceAsync(2_000, 500);
    const settled = await waitFor(async () => {
      const payment = await paymentOf(t, pending!.id);
      return payment.status === 'succeeded' ? payment : undefined;
    });
    expect(settled).toMatchObject({ transactionId: charged[0]!.id, amountCaptured: 1600, attention: null });
    expect(sent(CREATE)).toHaveLength(creates + 1);
    expect((await ledger()).payments.filter((p) => p.amount === 1600)).toHaveLength(1);
    expect((await t.call('payments.list', { filter: 'all', limit: 50 })).filter((p) => p.amount === 1600)).toHaveLength(
      1,
    );
  });

  it("a link's create that lands late is sent again at once; the till shows only the link it was answered", async () => {
    const till = await lateTill();
    const { t, relay, sent, ledger } = till;
    const CREATE = /^POST \/payplug\/v1\/payments$/;
    // The creates and findCreated's scans of the newest payments (not the health probe's per_page=1).
    const CREATE_OR_LOOKUP = /^(POST \/payplug\/v1\/payments|GET \/payplug\/v1\/payments\?.*per_page=100)$/;
    const release = landNextLate(relay, CREATE);

    // Looked up, not found, sent again within the quick retries: no window for a link. Then, its
    // link held, the till looks for spare links the first send made (none yet: it lands later).
    const created: Result<PaymentView> = await till.answerOf(
      t.host.invoke('payments.create', { amount: 1500, currency: 'EUR', orderReference: 'ord-late-link' }),
      'the link',
    );
    expect(created).toMatchObject({ ok: true });
    const link = created.ok ? created.value : null!;
    expect(sent(CREATE)).toHaveLength(2);
    expect(sent(CREATE_OR_LOOKUP).map((request) => request.split('?')[0])).toEqual([
      'POST /payplug/v1/payments',
      'GET /payplug/v1/payments',
      'POST /payplug/v1/payments',
      'GET /payplug/v1/payments',
    ]);
    expect(link).toMatchObject({ status: 'pending', channel: 'link', payUrl: expect.any(String) });

    // The first send lands now, after that look: an orphan link at PayPlug, tagged as the till's,
    // left open to expire unpaid (docs/reliability.md#the-settle-window).
    release();
    await relay.landed();
    const payments = (await ledger()).payments.filter((p) => p.amount === 1500);
    expect(payments).toHaveLength(2);
    const orphan = payments.find((p) => p.id !== link.transactionId)!;
    expect(orphan).toBeDefined();

    const shown = (await t.call('payments.list', { filter: 'all', limit: 50 })).filter(
      (p) => p.orderReference === 'ord-late-link',
    );
    expect(shown).toEqual([expect.objectContaining({ id: link.id, transactionId: link.transactionId })]);
    expect(JSON.stringify(await t.call('display.snapshot', {}))).not.toContain(orphan.id);
    // The gateway's own list (Transactions) lists what PayPlug holds, the orphan too; the till holds
    // no payment for it, and nothing on it to show a customer.
    const detail = await t.call('transactions.get', { transactionId: orphan.id });
    expect(detail).toMatchObject({ payment: null, transaction: { status: 'pending' } });
    expect(JSON.stringify(detail)).not.toContain('http');
  });
});
