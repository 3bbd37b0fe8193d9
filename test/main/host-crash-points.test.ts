/**
 * Exactly once across a kill -9, for the money operations the soak does not drive: a PayPlug saved
 * card charged without the customer, a PayPlug installment plan, a PayPlug deferred capture, and
 * Plural's split-settlement steps (a release in full, a partial release with its DO_NOT_RECOVER
 * refund, a share's settlement cancelled, a refund from a named share).
 *
 * Each is killed at each of its durable points: before a request reaches the gateway, once the
 * gateway took it but before its answer is journaled, and after the answer. The kill is the relay's
 * (test/support/gateway-proxy.ts `killAt`): the journal is copied the instant the request is read
 * whole, and the first host never reaches the gateway again. A second host then starts on that
 * journal, with the same sandbox still running, and must finish the operation by itself: the
 * gateway's ledger shows it once, every request of it reached the gateway once across both hosts,
 * and the app shows the result, nothing left queued or forgotten.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PaymentView } from '../../common/contract';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { Journal } from '../../main/store/journal';
import type { LedgerOrder } from '../gateway/plural-support';
import { journalImage, restoreJournal } from '../support/crash';
import { startGatewayProxy, type GatewayProxy, type KillPoint } from '../support/gateway-proxy';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { payplug } from '../support/payplug';

type Gateway = 'payplug' | 'plural';
type Point = KillPoint | 'answered';

const ada = { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' };
const grace = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' };

/** A till on `gateway`, reaching the sandbox through `via` (a relay's URL) when given. */
async function tillOn(gateway: Gateway, sandbox: RunningSandbox, dataDir: string, via: string): Promise<TestHost> {
  const behind = {
    ...sandbox,
    payplug: { ...sandbox.payplug, url: `${via}/payplug` },
    plural: { ...sandbox.plural, url: `${via}/plural` },
    close: async () => undefined,
  };
  const t = await startTestHost({
    sandbox,
    dataDir,
    startSandbox: async () => behind,
    tuning: { remotePollMs: 50, retryDelayMs: 5 },
  });
  if ((await t.call('settings.get', {})).gateway !== gateway) await t.call('settings.update', { gateway });
  await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === gateway, 5_000, gateway);
  return t;
}

// ---- the sandbox's side, read around the till ------------------------------------------------------

interface PayPlugLedger {
  payments: { id: string; amount: number; status: string; captured: boolean; installment_plan_id: string | null }[];
  refunds: { payment_id: string; amount: number }[];
}
const payplugLedger = async (t: TestHost) => (await payplug(t, 'GET', '/_sandbox/ledger')).json as PayPlugLedger;

async function plural<T>(t: TestHost, method: string, path: string, body?: unknown): Promise<T> {
  const { url, client_id, client_secret } = t.sandbox.plural;
  const token = (await (
    await fetch(`${url}/api/auth/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id, client_secret, grant_type: 'client_credentials' }),
    })
  ).json()) as { access_token: string };
  const response = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${token.access_token}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return (await response.json()) as T;
}

async function pluralOrder(t: TestHost, orderId: string): Promise<LedgerOrder> {
  const { orders } = await plural<{ orders: LedgerOrder[] }>(t, 'GET', '/_sandbox/ledger');
  const order = orders.find((o) => o.order_id === orderId);
  if (!order) throw new Error(`no order ${orderId} in the sandbox ledger`);
  return order;
}

/** The plan of an order as the journal holds it (read beside the running host). */
function journaledPlan(dataDir: string, orderReference: string) {
  const db = new Database(join(dataDir, 'journal.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT id, status, plan_id AS planId FROM installment_plans WHERE order_reference = ?')
      .all(orderReference) as { id: string; status: string; planId: string | null }[];
  } finally {
    db.close();
  }
}

const paymentOf = async (t: TestHost, id: string) =>
  (await t.call('payments.list', { filter: 'all', limit: 100 })).find((p) => p.id === id);

// ---- the operations -------------------------------------------------------------------------------

/** What a case set up before the operation: the payment it acts on, and what it names. */
interface Ready {
  payment?: PaymentView;
  cardId?: string;
}

interface Operation {
  name: string;
  gateway: Gateway;
  /** Everything before the operation, on the first host (which is not killed during it). */
  setup: (t: TestHost) => Promise<Ready>;
  /** The cashier's command. */
  run: (t: TestHost, ready: Ready) => ReturnType<TestHost['host']['invoke']>;
  /** How many requests make the operation (each a durable point before and after it). */
  sends: number;
  /** Those requests, in order ("METHOD path" as the relay reads them): each must reach the gateway once. */
  requests: (ready: Ready) => RegExp[];
  /**
   * What a host restarted while the gateway does not answer shows of the unfinished operation:
   * queued, or in Needs attention — never nothing.
   */
  waiting: (t: TestHost, ready: Ready) => Promise<void>;
  /** Waits until the second host shows the operation done; returns what it shows. */
  settled: (t: TestHost, ready: Ready, dataDir: string) => Promise<unknown>;
  /** The sandbox's own state: the operation happened there once. */
  once: (t: TestHost, ready: Ready) => Promise<void>;
}

/** Ada pays a €20 link saving her card; the till keeps the card against her. */
async function adasSavedCard(t: TestHost): Promise<Ready> {
  const first = await t.call('payments.create', { amount: 2000, currency: 'EUR', saveCard: true, customer: ada });
  await payplug(t, 'POST', `/_sandbox/payments/${first.transactionId}/pay`, {
    card_number: '4242424242424242',
    exp_month: 12,
    exp_year: new Date().getUTCFullYear() + 3,
    save_card: true,
  });
  await t.waitForPayment(first.id, (p) => p.status === 'succeeded', 5_000);
  const card = await waitFor(
    async () => (await t.call('savedCards.list', { customer: ada.email }))[0],
    5_000,
    'the saved card',
  );
  return { cardId: card.cardId };
}

/** ₹500 shared: ₹300 held for 1324, ₹200 settled at once to 1233, paid by the customer. */
async function heldSplitPayment(t: TestHost): Promise<Ready> {
  const created = await t.call('payments.create', {
    amount: 50_000,
    currency: 'INR',
    orderReference: 'COURT-CRASH',
    splits: [
      { merchantId: '1324', settlementReference: 'stall-7', amount: 30_000, onHold: true },
      { merchantId: '1233', amount: 20_000 },
    ],
  });
  await plural(t, 'POST', `/_sandbox/orders/${created.transactionId}/pay`, { card_number: '4111111111111111' });
  const payment = await t.waitForPayment(
    created.id,
    (p) => p.status === 'succeeded' && p.splits[0]?.next.length === 2,
    8_000,
  );
  return { payment };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pluralPath = (path: string) => new RegExp(`^${escape(path).replace(/^(\w+) /, '$1 /plural/api/pay/v1')}$`);
const heldShare = (ready: Ready) => ready.payment!.splits[0]!.id!;

/** The payment's held share no longer pending, nothing queued: how the second host shows a finished step. */
const shareSettled = (t: TestHost, ready: Ready, check: (p: PaymentView) => boolean) =>
  t.waitForPayment(
    ready.payment!.id,
    (p) => p.splits[0]?.pending === false && p.queuedOperations === 0 && check(p),
    10_000,
  );

/** The held share's step is shown waiting for the gateway, counted as queued. */
const shareWaiting = async (t: TestHost, ready: Ready) => {
  const payment = await paymentOf(t, ready.payment!.id);
  expect(payment).toMatchObject({ queuedOperations: 1 });
  expect(payment!.splits[0]).toMatchObject({ status: 'HOLD', pending: true });
};

const OPERATIONS: Operation[] = [
  {
    name: 'a PayPlug saved-card charge',
    gateway: 'payplug',
    sends: 1,
    setup: adasSavedCard,
    run: (t, { cardId }) =>
      t.host.invoke('payments.create', {
        amount: 1600,
        currency: 'EUR',
        customer: ada,
        savedCardId: cardId,
        orderReference: 'CARD-CRASH',
      }),
    requests: () => [/^POST \/payplug\/v1\/payments$/],
    waiting: async (t) => {
      const charge = await waitFor(
        async () =>
          (await t.call('session.snapshot', {})).payments.find(
            (p) => p.orderReference === 'CARD-CRASH' && p.status === 'unknown',
          ),
        8_000,
        'the charge unknown',
      );
      expect((await t.call('session.snapshot', {})).attention.map((a) => a.paymentId)).toEqual([charge.id]);
    },
    settled: async (t) => {
      const charge = await waitFor(
        async () =>
          (await t.call('payments.list', { filter: 'all', limit: 100 })).find(
            (p) => p.orderReference === 'CARD-CRASH' && p.status === 'succeeded',
          ),
        10_000,
        'the saved card charged',
      );
      expect(charge).toMatchObject({ amountCaptured: 1600, attention: null, queuedOperations: 0 });
      const attempts = (await t.call('payments.list', { filter: 'all', limit: 100 })).filter(
        (p) => p.orderReference === 'CARD-CRASH',
      );
      expect(attempts).toHaveLength(1);
      return charge;
    },
    once: async (t) => {
      const charges = (await payplugLedger(t)).payments.filter((p) => p.amount === 1600);
      expect(charges).toEqual([expect.objectContaining({ status: 'paid', captured: true })]);
    },
  },
  {
    name: 'a PayPlug installment plan',
    gateway: 'payplug',
    sends: 1,
    setup: async () => ({}),
    run: (t) =>
      t.host.invoke('installments.create', {
        amount: 9000,
        currency: 'EUR',
        count: 3,
        customer: grace,
        orderReference: 'PLAN-CRASH',
      }),
    requests: () => [/^POST \/payplug\/v1\/installment_plans$/],
    waiting: async (t) => {
      const plan = (await t.call('installments.list', {})).find((p) => p.orderReference === 'PLAN-CRASH');
      expect(plan?.status).toMatch(/^(creating|unknown)$/);
      expect(plan?.gatewayPlanId).toBeNull();
    },
    settled: async (t, _ready, dataDir) => {
      // Read from the journal, not the plans list: opening the list reads the plans itself.
      const [plan] = await waitFor(
        () => {
          const plans = journaledPlan(dataDir, 'PLAN-CRASH');
          return plans[0]?.status === 'active' ? plans : undefined;
        },
        10_000,
        'the plan active',
      );
      expect(plan!.planId).toMatch(/./);
      // Its first part, the link the customer pays today, is in the journal too.
      const first = await waitFor(
        async () =>
          (await t.call('payments.list', { filter: 'all', limit: 100 })).find(
            (p) => p.orderReference === 'PLAN-CRASH#1',
          ),
        5_000,
        'the first part',
      );
      expect(first).toMatchObject({ amount: 3000, status: 'pending' });
      return plan;
    },
    once: async (t) => {
      const plans = new Set(
        (await payplugLedger(t)).payments.map((p) => p.installment_plan_id).filter((id) => id !== null),
      );
      expect(plans.size).toBe(1);
    },
  },
  {
    name: 'a PayPlug deferred capture',
    gateway: 'payplug',
    sends: 1,
    setup: async (t) => {
      const created = await t.call('payments.create', {
        amount: 4000,
        currency: 'EUR',
        captureMethod: 'manual',
        orderReference: 'HOLD-CRASH',
      });
      await t.call('simulate.payLink', { paymentId: created.id, cardNumber: '4242424242424242' });
      return { payment: await t.waitForPayment(created.id, (p) => p.status === 'requires_capture', 5_000) };
    },
    run: (t, { payment }) => t.host.invoke('payments.capture', { paymentId: payment!.id }),
    requests: ({ payment }) => [new RegExp(`^PATCH /payplug/v1/payments/${payment!.transactionId}$`)],
    waiting: async (t, { payment }) => {
      expect(await paymentOf(t, payment!.id)).toMatchObject({ status: 'requires_capture', queuedOperations: 1 });
    },
    settled: (t, { payment }) =>
      t.waitForPayment(
        payment!.id,
        (p) => p.status === 'succeeded' && p.amountCaptured === 4000 && p.queuedOperations === 0,
        10_000,
      ),
    once: async (t, { payment }) => {
      const ledger = await payplugLedger(t);
      expect(ledger.payments.find((p) => p.id === payment!.transactionId)).toMatchObject({
        status: 'paid',
        captured: true,
      });
      expect(ledger.refunds).toEqual([]);
    },
  },
  {
    name: 'a Plural release in full',
    gateway: 'plural',
    sends: 1,
    setup: heldSplitPayment,
    run: (t, ready) =>
      t.host.invoke('settlements.release', { paymentId: ready.payment!.id, splitId: heldShare(ready) }),
    requests: (ready) => [
      pluralPath(`PATCH /orders/${ready.payment!.transactionId}/settlementId/${heldShare(ready)}/release`),
    ],
    waiting: shareWaiting,
    settled: async (t, ready) => {
      const done = await shareSettled(t, ready, (p) => p.splits[0]?.status === 'RELEASED');
      expect(done).toMatchObject({ status: 'succeeded', amountRefunded: 0, attention: null });
      expect(done.splits[0]).toMatchObject({ releasedAmount: 30_000, refundedAmount: 0 });
      return done;
    },
    once: async (t, ready) => {
      const order = await pluralOrder(t, ready.payment!.transactionId!);
      expect(order.splits[0]).toMatchObject({ status: 'RELEASED', released: 30_000, refunded_not_recovered: 0 });
      expect(order.refunds).toEqual([]);
    },
  },
  {
    name: 'a Plural partial release and its DO_NOT_RECOVER refund',
    gateway: 'plural',
    sends: 2,
    setup: heldSplitPayment,
    run: (t, ready) =>
      t.host.invoke('settlements.release', { paymentId: ready.payment!.id, splitId: heldShare(ready), amount: 12_000 }),
    requests: (ready) => [
      pluralPath(`PATCH /orders/${ready.payment!.transactionId}/settlementId/${heldShare(ready)}/release`),
      pluralPath(`POST /refunds/${ready.payment!.transactionId}`),
    ],
    waiting: shareWaiting,
    settled: async (t, ready) => {
      const done = await shareSettled(t, ready, (p) => p.status === 'partially_refunded');
      expect(done).toMatchObject({ amountRefunded: 18_000, attention: null });
      expect(done.splits[0]).toMatchObject({ status: 'RELEASED', releasedAmount: 12_000, refundedAmount: 18_000 });
      return done;
    },
    once: async (t, ready) => {
      const order = await pluralOrder(t, ready.payment!.transactionId!);
      expect(order.splits[0]).toMatchObject({
        status: 'RELEASED',
        released: 12_000,
        refunded_not_recovered: 18_000,
        unsettled_remainder: 0,
      });
      expect(order.refunds.map((r) => r.amount)).toEqual([18_000]);
    },
  },
  {
    name: "a Plural share's settlement cancelled",
    gateway: 'plural',
    sends: 2,
    setup: heldSplitPayment,
    run: (t, ready) => t.host.invoke('settlements.cancel', { paymentId: ready.payment!.id, splitId: heldShare(ready) }),
    requests: (ready) => [
      pluralPath(`PATCH /orders/${ready.payment!.transactionId}/settlementId/${heldShare(ready)}/cancel`),
      pluralPath(`POST /refunds/${ready.payment!.transactionId}`),
    ],
    waiting: shareWaiting,
    settled: async (t, ready) => {
      const done = await shareSettled(t, ready, (p) => p.splits[0]?.status === 'CANCELLED');
      expect(done).toMatchObject({ status: 'partially_refunded', amountRefunded: 30_000, attention: null });
      expect(done.splits[0]).toMatchObject({ releasedAmount: 0, refundedAmount: 30_000 });
      return done;
    },
    once: async (t, ready) => {
      const order = await pluralOrder(t, ready.payment!.transactionId!);
      expect(order.splits[0]).toMatchObject({ status: 'CANCELLED', released: 0, refunded_not_recovered: 30_000 });
      expect(order.refunds.map((r) => r.amount)).toEqual([30_000]);
    },
  },
  {
    name: 'a Plural refund from a named share',
    gateway: 'plural',
    sends: 1,
    setup: async (t) => {
      const created = await t.call('payments.create', {
        amount: 40_000,
        currency: 'INR',
        orderReference: 'MALL-CRASH',
        splits: [
          { merchantId: 'shoes', amount: 25_000 },
          { merchantId: 'socks', amount: 15_000 },
        ],
      });
      await plural(t, 'POST', `/_sandbox/orders/${created.transactionId}/pay`, { card_number: '4111111111111111' });
      return { payment: await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000) };
    },
    run: (t, { payment }) =>
      t.host.invoke('payments.refund', {
        paymentId: payment!.id,
        splits: [{ splitId: payment!.splits[1]!.id!, amount: 5_000 }],
        reason: 'one pair back',
      }),
    requests: ({ payment }) => [pluralPath(`POST /refunds/${payment!.transactionId}`)],
    waiting: async (t, { payment }) => {
      expect(await paymentOf(t, payment!.id)).toMatchObject({ amountRefunded: 0, queuedOperations: 1 });
      expect((await t.call('session.snapshot', {})).connectivity.queued).toEqual({
        count: 1,
        totals: [{ currency: 'INR', amount: 5_000 }],
      });
    },
    settled: async (t, { payment }) => {
      const done = await t.waitForPayment(payment!.id, (p) => p.amountRefunded > 0 && p.queuedOperations === 0, 10_000);
      expect(done).toMatchObject({ status: 'partially_refunded', amountRefunded: 5_000, attention: null });
      expect(done.splits.map((s) => s.refundedAmount)).toEqual([0, 5_000]);
      return done;
    },
    once: async (t, { payment }) => {
      const order = await pluralOrder(t, payment!.transactionId!);
      expect(order.refunds.map((r) => r.amount)).toEqual([5_000]);
      expect(order.splits.map((s) => s.refunded_recovered)).toEqual([0, 5_000]);
    },
  },
];

/** Each operation killed before and after each of its requests, then after its answer. */
const CASES = OPERATIONS.flatMap((op) => {
  const count = op.sends;
  const points: { point: Point; request: number }[] = [];
  for (let request = 0; request < count; request++)
    points.push({ point: 'before_send', request }, { point: 'taken', request });
  points.push({ point: 'answered', request: count - 1 });
  return points.map((at) => ({ op, ...at }));
});

describe('exactly once across a kill -9, at every durable point', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it.each(CASES.map((c) => [c.op.name, c.point, c.request + 1, c] as const))(
    '%s, killed %s at its request %i',
    async (_name, point, _n, { op, request }) => {
      const sandbox = await startSandbox({ port: 0, db: ':memory:' });
      cleanup.push(() => sandbox.close());
      const dataDir = mkdtempSync(join(tmpdir(), 'host-crash-points-'));
      cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
      /** What reached the relays, as "METHOD path": the dying host's, then the restarted one's. */
      const seen: string[][] = [[], []];
      const relays: GatewayProxy[] = [];
      for (const log of seen) {
        const relay = await startGatewayProxy(sandbox.url, { onRequest: (m, p) => log.push(`${m} ${p}`) });
        cleanup.push(() => relay.close());
        relays.push(relay);
      }
      const first = await tillOn(op.gateway, sandbox, dataDir, relays[0]!.url);
      let firstClosed = false;
      cleanup.push(() => (firstClosed ? undefined : first.close()));
      const ready = await op.setup(first);
      const patterns = op.requests(ready);
      seen[0]!.length = 0;

      let image: Buffer | null = null;
      if (point === 'answered') {
        const answered = await op.run(first, ready);
        expect(answered.ok).toBe(true);
        image = journalImage(dataDir);
        relays[0]!.down();
      } else {
        const killed = relays[0]!.killAt({
          matches: (method, path) => patterns[request]!.test(`${method} ${path}`),
          at: point,
          leaves: () => (image = journalImage(dataDir)),
        });
        const dying = op.run(first, ready);
        await killed;
        // The dead host's command gives up (it reaches nothing any more); what it wrote since is lost.
        await dying;
      }
      await first.close();
      firstClosed = true;
      // What reached the gateway from the first host: all it sent, but the request killed before it was sent.
      const fromFirst = [...seen[0]!];
      if (point === 'before_send') fromFirst.pop();
      restoreJournal(dataDir, image!);

      // Back first while the gateway does not answer: the operation shows as unfinished, or as done
      // once its answer was journaled.
      relays[1]!.down();
      const offline = await tillOn(op.gateway, sandbox, dataDir, relays[1]!.url);
      await waitFor(
        async () => (await offline.call('session.snapshot', {})).connectivity.gateway === 'offline',
        8_000,
        'the offline banner',
      );
      if (point === 'answered') await op.settled(offline, ready, dataDir);
      else await op.waiting(offline, ready);
      await offline.close();
      expect(seen[1]).toEqual([]);

      // Then with the gateway back: the restarted host finishes it by itself.
      relays[1]!.up();
      const second = await tillOn(op.gateway, sandbox, dataDir, relays[1]!.url);
      cleanup.push(() => second.close());
      await op.settled(second, ready, dataDir);
      await op.once(second, ready);
      // Every request of the operation reached the gateway once, from one host or the other.
      const reached = [...fromFirst, ...seen[1]!];
      for (const pattern of patterns)
        expect(
          reached.filter((r) => pattern.test(r)),
          String(pattern),
        ).toHaveLength(1);
      // Nothing is left waiting, in the queue or in Needs attention.
      const snapshot = await second.call('session.snapshot', {});
      expect(snapshot.connectivity.queued.count).toBe(0);
      expect(snapshot.attention).toEqual([]);
      if (ready.payment) expect((await paymentOf(second, ready.payment.id))?.attention).toBeNull();
    },
    30_000,
  );
});

describe('a card saved by a paid link, across a kill -9', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('is kept with the payment that saved it: a kill between the two leaves neither or both', async () => {
    // Found by this file: the paid link was committed, then the card in a write of its own; a kill
    // between the two left the payment paid and the card Ada agreed to save never offered (nothing
    // reads a finished payment again).
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'host-crash-points-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const relay = await startGatewayProxy(sandbox.url);
    cleanup.push(() => relay.close());
    const first = await tillOn('payplug', sandbox, dataDir, relay.url);
    let firstClosed = false;
    cleanup.push(() => (firstClosed ? undefined : first.close()));
    // The kill lands as the card is written: the journal is what every commit before it left.
    let image: Buffer | null = null;
    const saveCard = Journal.prototype.saveCard;
    const spy = vi.spyOn(Journal.prototype, 'saveCard').mockImplementation(function (this: Journal, card) {
      image ??= journalImage(dataDir);
      relay.down();
      return saveCard.call(this, card);
    });
    cleanup.push(() => spy.mockRestore());
    const link = await first.call('payments.create', { amount: 2000, currency: 'EUR', saveCard: true, customer: ada });
    await payplug(first, 'POST', `/_sandbox/payments/${link.transactionId}/pay`, {
      card_number: '4242424242424242',
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      save_card: true,
    });
    await waitFor(() => image, 8_000, 'the card being saved');
    spy.mockRestore();
    await first.close();
    firstClosed = true;
    restoreJournal(dataDir, image!);

    relay.up();
    const second = await tillOn('payplug', sandbox, dataDir, relay.url);
    cleanup.push(() => second.close());
    const paid = await second.waitForPayment(link.id, (p) => p.status === 'succeeded', 8_000);
    expect(paid.amountCaptured).toBe(2000);
    const [card] = await waitFor(
      async () => {
        const cards = await second.call('savedCards.list', { customer: ada.email });
        return cards.length > 0 ? cards : undefined;
      },
      8_000,
      "Ada's saved card",
    );
    expect(card).toMatchObject({ last4: '4242', unusable: null });
  }, 30_000);
});
