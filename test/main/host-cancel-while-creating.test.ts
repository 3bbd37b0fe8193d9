/**
 * Esc while the payment is being created: the cancel cannot be sent before the gateway has answered
 * the create, but the host writes it down the moment it is asked — a reloaded screen shows the
 * payment being cancelled, nothing sends it to a reader, and a till that stops before the gateway
 * answers cancels it at its next start. The gateway's create is held at a proxy until the test lets
 * it go (a slow gateway, without a timer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { startHostBehind } from '../support/proxied-host';
import { pluralTill } from '../support/plural';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const CREATE = '/v1/terminal/create-payment';
const PUSH = '/v1/terminal/process-payment';

/** A till whose gateway holds every create until `letGo`, and counts what reaches it. */
async function slowTill(dataDir: string | null = null) {
  const sandbox = await startSandbox({ port: 0, db: ':memory:' });
  cleanup.push(() => sandbox.close());
  const proxy = await startRewritingProxy(sandbox.url);
  cleanup.push(() => proxy.close());
  const held = holdCreates(proxy);
  const start = () => startHostBehind(sandbox, proxy, { dataDir });
  return { sandbox, proxy, held, start };
}

function holdCreates(proxy: RewritingProxy) {
  let letGo = () => {};
  const landed = new Promise<void>((resolve) => (letGo = resolve));
  let reached = () => {};
  const atTheGateway = new Promise<void>((resolve) => (reached = resolve));
  const pushes: string[] = [];
  proxy.delayMs = (method, path) => {
    if (method === 'POST' && path === PUSH) pushes.push(path);
    if (method !== 'POST' || path !== CREATE) return 0;
    reached();
    return landed;
  };
  return { letGo, atTheGateway, pushes };
}

async function paymentOf(t: TestHost, orderReference: string) {
  return waitFor(
    async () =>
      (await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.orderReference === orderReference),
    5_000,
    `the payment of ${orderReference}`,
  );
}

describe('a cancel asked while the payment is being created', () => {
  it('is the host’s at once: shown being cancelled, never sent to the reader, then canceled', async () => {
    const till = await slowTill();
    const t = await till.start();
    cleanup.push(() => t.close());
    const reader = await t.onlineReader();
    const creating = t.host.invoke('payments.create', {
      amount: 1234,
      currency: 'USD',
      captureMethod: 'automatic',
      orderReference: 'ESC-1',
      readerId: reader.id,
    });
    await till.held.atTheGateway;
    const payment = await paymentOf(t, 'ESC-1');
    expect(payment).toMatchObject({ status: 'creating', cancelAsked: false });
    const cancelling = t.host.invoke('payments.cancel', { paymentId: payment.id });
    // Before the gateway has answered, what any screen reads (a reload's snapshot) says so.
    await t.waitForPayment(payment.id, (p) => p.cancelAsked);
    const snapshot = await t.call('session.snapshot', {});
    expect(snapshot.payments.find((p) => p.id === payment.id)).toMatchObject({ status: 'creating', cancelAsked: true });
    till.held.letGo();
    expect(await cancelling).toMatchObject({ ok: true, value: { status: 'canceled', cancelAsked: false } });
    await creating;
    expect(till.held.pushes).toEqual([]);
    // Sending it to a reader now is refused: it is canceled.
    expect((await t.fail('payments.process', { paymentId: payment.id, readerId: reader.id })).code).toBe('conflict');
  });

  it('survives a restart before the gateway answers: the next start cancels it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'host-cancel-asked-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const till = await slowTill(dataDir);
    const first = await till.start();
    const reader = await first.onlineReader();
    void first.host.invoke('payments.create', {
      amount: 1235,
      currency: 'USD',
      captureMethod: 'automatic',
      orderReference: 'ESC-2',
      readerId: reader.id,
    });
    await till.held.atTheGateway;
    const payment = await paymentOf(first, 'ESC-2');
    void first.host.invoke('payments.cancel', { paymentId: payment.id });
    await first.waitForPayment(payment.id, (p) => p.cancelAsked);
    // The till stops; the create it sent lands at the gateway after all.
    await first.close();
    till.held.letGo();

    const second = await till.start();
    cleanup.push(() => second.close());
    const canceled = await second.waitForPayment(payment.id, (p) => p.status === 'canceled', 8_000);
    expect(canceled.cancelAsked).toBe(false);
    const { json } = await second.api('GET', '/v1/transactions?size=100');
    const made = (json as { data: { amount: number; status: string }[] }).data.filter((tx) => tx.amount === 1235);
    expect(made).toEqual([expect.objectContaining({ status: 'canceled' })]);
    expect(till.held.pushes).toEqual([]);
  });
});

/**
 * Esc before the screen has heard of the payment: the cancel names the charge by the create's
 * requestId (payments.cancelCreate). On the bridge it may come right behind its create (the host
 * has the create but has not journaled its payment yet), before it (it overtook it), or once the
 * payment is journaled. Each way the payment is never charged, and the cancel is the journal's as
 * soon as the payment is: a reload of the screen right after Esc loses nothing.
 */
describe('a cancel naming the charge before its payment is reported (payments.cancelCreate)', () => {
  const charge = (orderReference: string, requestId: string, readerId: string, amount: number) => ({
    amount,
    currency: 'USD',
    captureMethod: 'automatic',
    orderReference,
    readerId,
    requestId,
  });

  async function atGateway(t: TestHost, amount: number) {
    const { json } = await t.api('GET', '/v1/transactions?size=100');
    return (json as { data: { amount: number; status: string }[] }).data.filter((tx) => tx.amount === amount);
  }

  it('right behind its create, before the create journals its payment: journaled canceled, nothing sent', async () => {
    const till = await slowTill();
    const t = await till.start();
    cleanup.push(() => t.close());
    const reader = await t.onlineReader();
    till.held.letGo();
    // Both on the bridge in this order, in one turn: the create has not journaled its payment yet.
    const creating = t.host.invoke('payments.create', charge('ESC-3', 'req_esc3abcdefgh', reader.id, 1236));
    const cancelling = t.host.invoke('payments.cancelCreate', {
      requestId: 'req_esc3abcdefgh',
      orderReference: 'ESC-3',
    });
    const created = await creating;
    expect(created).toMatchObject({
      ok: true,
      value: { status: 'canceled', orderReference: 'ESC-3', cancelAsked: false },
    });
    const paymentId = created.ok ? created.value.id : '';
    expect(await cancelling).toMatchObject({ ok: true, value: { id: paymentId, status: 'canceled' } });
    // Journaled, so a reloaded screen finds it canceled; the gateway and the reader never had it.
    expect((await t.call('session.snapshot', {})).payments.find((p) => p.id === paymentId)).toMatchObject({
      status: 'canceled',
    });
    expect(await atGateway(t, 1236)).toEqual([]);
    expect(till.held.pushes).toEqual([]);
    const payment = await t.call('payments.list', { filter: 'all', limit: 50 });
    expect(payment.find((p) => p.id === paymentId)?.transactionId ?? null).toBeNull();
  });

  it('ahead of its create (it overtook it): held, and the create journals its payment canceled on arrival', async () => {
    const till = await slowTill();
    const t = await till.start();
    cleanup.push(() => t.close());
    const reader = await t.onlineReader();
    till.held.letGo();
    const held = await t.call('payments.cancelCreate', { requestId: 'req_esc4abcdefgh', orderReference: 'ESC-4' });
    expect(held).toBeNull();
    const created = await t.call('payments.create', {
      ...charge('ESC-4', 'req_esc4abcdefgh', reader.id, 1237),
      receiptEmail: 'guest@example.com',
    });
    expect(created).toMatchObject({ status: 'canceled', orderReference: 'ESC-4' });
    // Its timeline says so, and promises no receipt by email: nothing went to the gateway.
    const { timeline } = await t.call('transactions.get', { transactionId: created.id });
    expect(timeline.map((e) => e.event)).toEqual(['created', 'canceled']);
    expect(await atGateway(t, 1237)).toEqual([]);
    expect(till.held.pushes).toEqual([]);
    // Only that charge: the order charged again, under a request of its own, goes to the reader.
    const again = await t.call('payments.create', charge('ESC-4', 'req_esc4again0000', reader.id, 1237));
    expect(again).toMatchObject({ status: 'in_progress', orderReference: 'ESC-4' });
    expect(till.held.pushes).toHaveLength(1);
  });

  it('once the payment is journaled and the gateway is slow: cancelled once the gateway has it, never on the reader', async () => {
    const till = await slowTill();
    const t = await till.start();
    cleanup.push(() => t.close());
    const reader = await t.onlineReader();
    const creating = t.host.invoke('payments.create', charge('ESC-5', 'req_esc5abcdefgh', reader.id, 1238));
    await till.held.atTheGateway;
    const cancelling = t.host.invoke('payments.cancelCreate', {
      requestId: 'req_esc5abcdefgh',
      orderReference: 'ESC-5',
    });
    const payment = await paymentOf(t, 'ESC-5');
    await t.waitForPayment(payment.id, (p) => p.cancelAsked);
    till.held.letGo();
    expect(await cancelling).toMatchObject({ ok: true, value: { id: payment.id, status: 'canceled' } });
    // The create's own answer came first (created, not sent to the reader).
    expect(await creating).toMatchObject({ ok: true, value: { id: payment.id } });
    expect(await atGateway(t, 1238)).toEqual([expect.objectContaining({ status: 'canceled' })]);
    expect(till.held.pushes).toEqual([]);
  });

  it('a create the till refused: the cancel says there is nothing to cancel, and a bad request id is refused', async () => {
    const till = await slowTill();
    const t = await till.start();
    cleanup.push(() => t.close());
    const reader = await t.onlineReader();
    till.held.letGo();
    const refused = await t.fail('payments.create', {
      ...charge('ESC-6', 'req_esc6abcdefgh', reader.id, 1239),
      tip: { kind: 'custom', amount: 100 },
    });
    expect(refused.code).toBe('validation');
    const nothing = await t.fail('payments.cancelCreate', { requestId: 'req_esc6abcdefgh', orderReference: 'ESC-6' });
    expect(nothing).toMatchObject({ code: 'not_found', message: expect.stringMatching(/nothing to cancel/) });
    for (const requestId of ['pay_esc6abcdefgh', 'req_short', 'req_esc6/../x0000', 'req_'.padEnd(80, 'a')]) {
      expect((await t.fail('payments.cancelCreate', { requestId, orderReference: 'ESC-6' })).code).toBe('validation');
    }
    // Nothing was held for the order: it is charged normally.
    expect(await t.call('payments.create', charge('ESC-6', 'req_esc6again0000', reader.id, 1239))).toMatchObject({
      status: 'in_progress',
    });
  });
});

describe('a cancel naming a charge of an order that has an open payment', () => {
  it('the create hands the open payment back, not sent to the reader, and it is canceled', async () => {
    const till = await slowTill();
    const t = await till.start();
    cleanup.push(() => t.close());
    const reader = await t.onlineReader();
    till.held.letGo();
    // Created earlier, not sent to a reader (no reader named).
    const open = await t.call('payments.create', { amount: 1240, currency: 'USD', orderReference: 'ESC-7' });
    expect(open.status).toBe('pending');
    // Charged again from the form with a reader, and Esc right behind it: the same payment comes back.
    const again = { amount: 1240, currency: 'USD', orderReference: 'ESC-7', readerId: reader.id };
    const creating = t.host.invoke('payments.create', { ...again, requestId: 'req_esc7abcdefgh' });
    const cancelling = t.host.invoke('payments.cancelCreate', {
      requestId: 'req_esc7abcdefgh',
      orderReference: 'ESC-7',
    });
    const created = await creating;
    expect(created).toMatchObject({ ok: true, value: { id: open.id } });
    // Held back by the cancel, not refused by the reader (no "not sent" for the screen to show).
    expect(created.ok && created.value.notSent).toBeUndefined();
    expect(await cancelling).toMatchObject({ ok: true, value: { id: open.id, status: 'canceled' } });
    expect(till.held.pushes).toEqual([]);
  });
});

/**
 * A charge canceled before the gateway had it is part of the day's story: the Transactions list
 * shows it, named by the till's id and marked as never sent (it was missing from every list: the
 * gateway never had it, and the journal's list kept only payments with a gateway transaction).
 */
describe('the Transactions list, with a charge canceled before the gateway had it', () => {
  /** Creates the charge and cancels it in the same turn: journaled canceled, nothing sent. */
  async function canceledUnsent(
    t: TestHost,
    orderReference: string,
    amount: number,
    requestId: string,
    currency = 'USD',
  ) {
    const creating = t.host.invoke('payments.create', { amount, currency, orderReference, requestId });
    const cancelling = t.host.invoke('payments.cancelCreate', { requestId, orderReference });
    const created = await creating;
    await cancelling;
    if (!created.ok) throw new Error(created.error.message);
    expect(created.value).toMatchObject({ status: 'canceled', transactionId: null });
    return created.value;
  }

  it('lists it, labelled, on the page where the list’s order puts it (PlutoPay keeps its own list)', async () => {
    // A gateway with no payments but these (no demo data).
    const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
    cleanup.push(() => sandbox.close());
    const t = await startTestHost({ sandbox });
    cleanup.push(() => t.close());
    const first = await t.call('payments.create', { amount: 1000, currency: 'USD', orderReference: 'ESC-8a' });
    const unsent = await canceledUnsent(t, 'ESC-8b', 2000, 'req_esc8abcdefgh');
    const last = await t.call('payments.create', { amount: 3000, currency: 'USD', orderReference: 'ESC-8c' });

    const all = await t.call('transactions.list', {});
    expect(all.meta.total).toBe(3);
    expect(all.data.map((row) => row.orderReference).sort()).toEqual(['ESC-8a', 'ESC-8b', 'ESC-8c']);
    expect(all.data.find((row) => row.orderReference === 'ESC-8b')).toMatchObject({
      id: unsent.id,
      reference: unsent.id,
      status: 'canceled',
      amount: 2000,
      notSent: 'canceled',
    });
    // The gateway's own rows are not marked.
    expect(all.data.filter((row) => row.notSent)).toHaveLength(1);

    // One row a page, by amount: it falls on exactly one page, between the gateway's rows.
    const byAmount = async (page: number) =>
      (await t.call('transactions.list', { sortField: 'amount', sortOrder: 'asc', size: 1, page })).data.map(
        (row) => row.id,
      );
    expect(await byAmount(1)).toEqual([first.transactionId]);
    expect(await byAmount(2)).toEqual([unsent.id, last.transactionId]);
    expect(await byAmount(3)).toEqual([]);
    // Filtered out by what it is not; found by its order reference.
    expect((await t.call('transactions.list', { status: 'pending' })).data.map((r) => r.id)).not.toContain(unsent.id);
    expect((await t.call('transactions.list', { status: 'canceled' })).data.map((r) => r.id)).toEqual([unsent.id]);
    expect((await t.call('transactions.list', { search: 'ESC-8b' })).data).toEqual([
      expect.objectContaining({ id: unsent.id, notSent: 'canceled' }),
    ]);
    // Its details are the journal's: canceled by the cashier, nothing sent.
    const detail = await t.call('transactions.get', { transactionId: unsent.id });
    expect(detail).toMatchObject({ journalOnly: true, transaction: { status: 'canceled', notSent: 'canceled' } });
  });

  it('lists it on Plural, whose list is the journal’s', async () => {
    const t = await pluralTill();
    cleanup.push(() => t.close());
    const unsent = await canceledUnsent(t, 'ESC-9', 2500, 'req_esc9abcdefgh', 'INR');
    const list = await t.call('transactions.list', {});
    expect(list.data).toEqual([expect.objectContaining({ id: unsent.id, status: 'canceled', notSent: 'canceled' })]);
    expect(list.meta.total).toBe(1);
  });
});
