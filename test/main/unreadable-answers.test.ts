/**
 * A gateway answer the till cannot read (a status the gateway's reference does not list) wherever it
 * is met — start-up recovery, a capture's or refund's read-back, a payment on the gateway's own reader,
 * a payment link — puts that payment in Needs attention saying what was answered, never guesses
 * whether money moved, keeps a queued step queued (sent once), and clears once an answer reads again.
 * The gateway answered, so the till stays online: one odd order does not hold every other payment.
 * A proxy between the host and the sandbox rewrites the chosen answers; real HTTP both ways.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock';
import type { HostEvent, PaymentView } from '../../common/contract';
import { Journal } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { ADVICE_UNREADABLE_STEP } from '../../main/payments/sync';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { journalImage, restoreJournal } from '../support/crash';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { startHostBehind } from '../support/proxied-host';
import { cardPayment } from '../support/proxied-host';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';
import { customerPaysPlural } from '../support/plural';

/** What a test started, closed after it in reverse order (also when it fails). */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A PlutoPay sandbox behind a rewriting proxy, both closed after the test. */
async function plutoPayBehindProxy(): Promise<{ sandbox: RunningSandbox; proxy: RewritingProxy }> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:' });
  cleanup.push(() => sandbox.close());
  const proxy = await startRewritingProxy(sandbox.url);
  cleanup.push(() => proxy.close());
  return { sandbox, proxy };
}

/** A till whose PlutoPay is reached through `proxy`, closed after the test. */
async function till(
  sandbox: RunningSandbox,
  proxy: RewritingProxy,
  options: { dataDir?: string; remotePollMs?: number } = {},
): Promise<TestHost> {
  const t = await startHostBehind(sandbox, proxy, {
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    tuning: { remotePollMs: options.remotePollMs ?? 20 },
  });
  cleanup.push(() => t.close());
  return t;
}

/** A till on Plural, reached through a rewriting proxy; all three closed after the test. */
async function pluralBehindProxy(): Promise<{ sandbox: RunningSandbox; proxy: RewritingProxy; t: TestHost }> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:' });
  cleanup.push(() => sandbox.close());
  const proxy = await startRewritingProxy(sandbox.plural.url);
  cleanup.push(() => proxy.close());
  const behind = { ...sandbox, plural: { ...sandbox.plural, url: proxy.url }, close: async () => undefined };
  const t = await startTestHost({ sandbox, startSandbox: async () => behind, tuning: { remotePollMs: 20 } });
  cleanup.push(() => t.close());
  await t.call('settings.update', { gateway: 'plural' });
  await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'plural', 5_000, 'Plural');
  return { sandbox, proxy, t };
}

/** Every answer about PlutoPay payment `id` (it, its capture, its refunds) says `status` for it. */
function plutoPayStatus(id: string, status: string) {
  return (method: string, path: string, body: string): string | null =>
    path.startsWith(`/v1/transactions/${id}`) && body !== ''
      ? body.replace(
          /"status":"(pending|succeeded|requires_capture|partially_refunded|refunded|canceled|failed)"/g,
          `"status":"${status}"`,
        )
      : null;
}

/** Whether the till ever said it was offline. */
function wentOffline(events: readonly HostEvent[]): boolean {
  return events.some((event) => event.type === 'connectivity' && event.connectivity.gateway === 'offline');
}

async function ledger(sandbox: RunningSandbox) {
  const answer = await fetch(`${sandbox.url}/_sandbox/ledger`, {
    headers: { Authorization: `Bearer ${sandbox.secret_key}` },
  });
  return (await answer.json()) as {
    transactions: { id: string; amount_captured: number; amount_refunded: number }[];
    refunds: { transaction_id: string; amount: number }[];
  };
}

describe('an answer the till cannot read', () => {
  it('PlutoPay: a capture whose answers cannot be read stays queued, needs attention, and is never sent twice', async () => {
    const { sandbox, proxy } = await plutoPayBehindProxy();
    const t = await till(sandbox, proxy);
    const mine = await cardPayment(t, 5000, 'manual');
    expect(mine.status).toBe('requires_capture');
    let captures = 0;
    const odd = plutoPayStatus(mine.transactionId!, 'under_review');
    proxy.rewrite = (method, path, body) => {
      if (method === 'POST' && path.endsWith('/capture')) captures++;
      return odd(method, path, body);
    };

    const failed = await t.fail('payments.capture', { paymentId: mine.id });
    expect(failed.message).toContain('"under_review" is not a payment status the till knows');
    expect(failed.message).toMatch(/stays queued/);
    expect(failed.message).not.toMatch(/unreachable|connection returns/);
    // The gateway answered: the till is online, and takes other payments meanwhile.
    const snapshot = await t.call('session.snapshot', {});
    expect(snapshot.connectivity.gateway).toBe('online');
    const flagged = snapshot.payments.find((p) => p.id === mine.id)!;
    expect(flagged).toMatchObject({ status: 'requires_capture', queuedOperations: 1 });
    expect(flagged.attention?.reason).toMatch(/^Whether the capture went through is not known: /);
    expect(flagged.attention?.reason).toContain('"under_review"');
    expect(flagged.attention?.advice).toBe(ADVICE_UNREADABLE_STEP);
    expect(await t.call('payments.create', { amount: 1200, currency: 'USD' })).toMatchObject({ status: 'pending' });

    // Readable again: the capture is found done (looked up first), never sent again.
    proxy.rewrite = (method, path) => {
      if (method === 'POST' && path.endsWith('/capture')) captures++;
      return null;
    };
    const captured = await t.waitForPayment(mine.id, (p) => p.status === 'succeeded', 8_000);
    expect(captured).toMatchObject({ amountCaptured: 5000, attention: null, queuedOperations: 0 });
    expect(captures).toBe(1);
    expect((await ledger(sandbox)).transactions.find((tx) => tx.id === mine.transactionId)).toMatchObject({
      amount_captured: 5000,
    });
    expect(wentOffline(t.events)).toBe(false);
  });

  it('PlutoPay: at start-up recovery, a refund in flight whose payment reads unreadably stays queued and is sent once', async () => {
    const { sandbox, proxy } = await plutoPayBehindProxy();
    const dataDir = mkdtempSync(join(tmpdir(), 'unreadable-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await till(sandbox, proxy, { dataDir });
    const paid = await cardPayment(first, 3000, 'automatic');
    await first.close();
    // What a kill -9 leaves when it lands while a refund is being sent: journaled, no answer.
    const db = openDatabase(join(dataDir, 'journal.db'));
    new Journal(db, systemClock).addOperation(
      paid.id,
      'refund',
      `refund-${paid.id}-1`,
      { amount: 1000, refundedBefore: 0 },
      { sending: true },
    );
    db.close();

    // Back up while PlutoPay answers about this payment with a status the till does not know.
    proxy.rewrite = plutoPayStatus(paid.transactionId!, 'under_review');
    const second = await till(sandbox, proxy, { dataDir, remotePollMs: 50 });
    const flagged = await second.waitForPayment(paid.id, (p) => p.attention !== null, 8_000);
    expect(flagged).toMatchObject({ status: 'succeeded', amountRefunded: 0, queuedOperations: 1 });
    expect(flagged.attention?.reason).toContain('"under_review" is not a payment status the till knows');
    expect((await second.call('session.snapshot', {})).connectivity.gateway).toBe('online');

    proxy.rewrite = () => null;
    const refunded = await second.waitForPayment(
      paid.id,
      (p) => p.amountRefunded === 1000 && p.queuedOperations === 0 && p.attention === null,
      8_000,
    );
    expect(refunded.status).toBe('partially_refunded');
    const refunds = (await ledger(sandbox)).refunds.filter((r) => r.transaction_id === paid.transactionId);
    expect(refunds.map((r) => r.amount)).toEqual([1000]);
    expect(wentOffline(second.events)).toBe(false);
  });

  it("PlutoPay: a payment on the gateway's own reader whose outcome reads unreadably needs attention, never guessed", async () => {
    const { sandbox, proxy } = await plutoPayBehindProxy();
    const t = await till(sandbox, proxy);
    await t.call('readers.pair', { registrationCode: 'simulated-unreadable', label: 'Cloud sim' });
    const cloud = await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.kind === 'cloud' && r.status === 'online'),
      5_000,
      'cloud reader',
    );
    const created = await t.call('payments.create', { amount: 2300, currency: 'USD', captureMethod: 'manual' });
    await t.call('payments.process', { paymentId: created.id, readerId: cloud.id });
    proxy.rewrite = plutoPayStatus(created.transactionId!, 'under_review');
    const simulated = await t.api('POST', '/v1/terminal/simulate-payment', {
      reader_id: cloud.id.replace(/^rdr_cloud_/, ''),
    });
    expect(simulated.status).toBe(200);

    const flagged = await t.waitForPayment(created.id, (p) => p.attention !== null, 8_000);
    // Neither approved nor declined on a guess: it stays on the reader as the journal knows it.
    expect(flagged.status).toBe('in_progress');
    expect(flagged.attention?.reason).toContain('"under_review" is not a payment status the till knows');
    expect((await t.call('session.snapshot', {})).connectivity.gateway).toBe('online');

    proxy.rewrite = () => null;
    const authorised = await t.waitForPayment(created.id, (p) => p.status === 'requires_capture', 8_000);
    expect(authorised).toMatchObject({ amountCapturable: 2300, attention: null });
    expect(wentOffline(t.events)).toBe(false);
  });

  it('PayPlug: a newest payment that cannot be read does not keep the till offline once PayPlug is back', async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const behind = {
      ...sandbox,
      payplug: { ...sandbox.payplug, url: `${proxy.url}/payplug` },
      close: async () => undefined,
    };
    const t = await startTestHost({ sandbox, startSandbox: async () => behind, tuning: { remotePollMs: 20 } });
    cleanup.push(() => t.close());
    await t.call('settings.update', { gateway: 'payplug' });
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'payplug', 5_000, 'PayPlug');
    await t.call('payments.create', { amount: 4200, currency: 'EUR', orderReference: 'ODD-PAYPLUG' });
    // PayPlug goes away, and comes back answering about its payments (its health check lists the
    // newest) in a form the till cannot read.
    proxy.answer = () => ({ status: 503, body: 'down' });
    expect(await t.call('transactions.list', {})).toMatchObject({ offline: true });
    expect((await t.call('session.snapshot', {})).connectivity.gateway).toBe('offline');
    proxy.rewrite = (method, path) => (method === 'GET' && path.startsWith('/payplug/v1/payments') ? '<html>' : null);
    proxy.answer = () => null;
    await waitFor(
      async () => (await t.call('session.snapshot', {})).connectivity.gateway === 'online',
      8_000,
      'online again',
    );
    const next = await t.call('payments.create', { amount: 1500, currency: 'EUR', orderReference: 'NEXT-PAYPLUG' });
    expect(next).toMatchObject({ status: 'pending', attention: null });
  });

  it('Plural: a release of a held share whose answers cannot be read stays queued, needs attention, and is sent once', async () => {
    const { sandbox, proxy, t } = await pluralBehindProxy();
    const created = await t.call('payments.create', {
      amount: 50_000,
      currency: 'INR',
      orderReference: 'COURT-ODD',
      splits: [
        { merchantId: '1324', amount: 30_000, onHold: true },
        { merchantId: '1233', amount: 20_000 },
      ],
    });
    expect((await customerPaysPlural(sandbox, created.transactionId!)).status).toBe(200);
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded' && p.splits[0]?.next.length === 2);
    const orderPath = `/api/pay/v1/orders/${created.transactionId}`;
    // Sent at most once in all: Plural's share is read before it is released, unreadably here.
    let releases = 0;
    proxy.rewrite = (method, path, body) => {
      if (method === 'PATCH' && path.endsWith('/release')) releases++;
      if (!path.startsWith(orderPath) || body === '') return null;
      const answer = JSON.parse(body) as { data: { status: string } };
      answer.data.status = 'UNDER_REVIEW';
      return JSON.stringify(answer);
    };

    const failed = await t.fail('settlements.release', { paymentId: paid.id, splitId: paid.splits[0]!.id! });
    expect(failed.message).toContain('"UNDER_REVIEW" is not an order status the till knows');
    expect(failed.message).toMatch(/stays queued/);
    const snapshot = await t.call('session.snapshot', {});
    expect(snapshot.connectivity.gateway).toBe('online');
    const flagged = snapshot.payments.find((p) => p.id === paid.id)!;
    expect(flagged).toMatchObject({ status: 'succeeded', queuedOperations: 1 });
    expect(flagged.attention?.reason).toMatch(/^Whether the release went through is not known: /);
    expect(flagged.attention?.advice).toBe(ADVICE_UNREADABLE_STEP);

    proxy.rewrite = (method, path) => {
      if (method === 'PATCH' && path.endsWith('/release')) releases++;
      return null;
    };
    const released = await t.waitForPayment(
      paid.id,
      (p) => p.splits[0]?.status === 'RELEASED' && p.queuedOperations === 0,
      8_000,
    );
    expect(released.attention).toBeNull();
    expect(released.splits[0]).toMatchObject({ releasedAmount: 30_000, pending: false });
    expect(releases).toBe(1);
    expect(wentOffline(t.events)).toBe(false);
  });

  it('Plural: an order that reads unreadably does not make the till offline; other payments go on', async () => {
    const { t, proxy } = await pluralBehindProxy();
    const odd = await t.call('payments.create', { amount: 12_500, currency: 'INR', orderReference: 'ODD-2' });
    const orderPath = `/api/pay/v1/orders/${odd.transactionId}`;
    proxy.rewrite = (method, path, body) => {
      if (method !== 'GET' || path !== orderPath || body === '') return null;
      const answer = JSON.parse(body) as { data: { status: string } };
      answer.data.status = 'UNDER_REVIEW';
      return JSON.stringify(answer);
    };
    const flagged: PaymentView = await t.waitForPayment(odd.id, (p) => p.attention !== null);
    expect(flagged.status).toBe('pending');
    // Read a few more times, unreadably each time: still online, and the next sale is taken.
    await waitFor(
      () =>
        t.host.devlog
          .list(200)
          .filter((entry) => entry.summary.includes(orderPath) || entry.detail?.includes(orderPath)).length >= 3,
      5_000,
      'more reads of the odd order',
    );
    const snapshot = await t.call('session.snapshot', {});
    expect(snapshot.connectivity).toMatchObject({ gateway: 'online', lastError: null });
    const next = await t.call('payments.create', { amount: 4_000, currency: 'INR', orderReference: 'NEXT-1' });
    expect(next).toMatchObject({ status: 'pending', attention: null });
    expect(wentOffline(t.events)).toBe(false);
  });
});

describe('the Transactions list answered unreadably', () => {
  it('says the gateway answered a list the till could not read, not that it is offline, and lists the till’s own', async () => {
    // Found in review: the list was marked offline (the screen said the gateway was not answering)
    // while the banner, rightly, said the till was online.
    const { sandbox, proxy } = await plutoPayBehindProxy();
    const t = await till(sandbox, proxy);
    const mine = await t.call('payments.create', { amount: 1800, currency: 'USD', orderReference: 'LIST-ODD' });
    proxy.rewrite = (method, path) => (method === 'GET' && path === '/v1/transactions' ? '<html>' : null);
    const page = await t.call('transactions.list', {});
    expect(page).toMatchObject({
      offline: false,
      unreadable: "The gateway's answer to GET /v1/transactions is not JSON.",
    });
    expect(page.data.map((row) => row.id)).toContain(mine.transactionId);
    expect((await t.call('session.snapshot', {})).connectivity.gateway).toBe('online');

    proxy.rewrite = () => null;
    const readable = await t.call('transactions.list', {});
    expect(readable.offline).toBe(false);
    expect(readable.unreadable).toBeUndefined();
    expect(wentOffline(t.events)).toBe(false);
  });

  it('a payment’s details answered unreadably say so, not that the gateway is not answering', async () => {
    const { sandbox, proxy } = await plutoPayBehindProxy();
    const t = await till(sandbox, proxy);
    const mine = await t.call('payments.create', { amount: 2100, currency: 'USD', orderReference: 'DETAIL-ODD' });
    const read = `/v1/transactions/${mine.transactionId}`;
    proxy.rewrite = (method, path) => (method === 'GET' && path === read ? '<html>' : null);
    const detail = await t.call('transactions.get', { transactionId: mine.transactionId! });
    expect(detail).toMatchObject({
      offline: false,
      unreadable: `The gateway's answer to GET ${read} is not JSON.`,
      transaction: { id: mine.transactionId, amount: 2100 },
    });
    expect((await t.call('session.snapshot', {})).connectivity.gateway).toBe('online');

    proxy.rewrite = () => null;
    const readable = await t.call('transactions.get', { transactionId: mine.transactionId! });
    expect(readable.offline).toBe(false);
    expect(readable.unreadable).toBeUndefined();
    expect(wentOffline(t.events)).toBe(false);
  });

  it("PlutoPay: a reader action for other money than the payment's is never collected", async () => {
    const { sandbox, proxy } = await plutoPayBehindProxy();
    const t = await till(sandbox, proxy);
    const reader = await t.onlineReader();
    // The link's polls tell the reader to collect a hundred times the payment's amount.
    proxy.rewrite = (_method, path, body) =>
      path === '/v1/terminal/link/poll' ? body.replaceAll('"amount":2500,', '"amount":250000,') : null;
    const created = await t.call('payments.create', { amount: 2500, currency: 'USD', captureMethod: 'automatic' });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    const refusing = await waitFor(
      async () =>
        (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.statusDetail?.includes('does not fit')),
      5_000,
      'the reader refusing the action',
    );
    expect(refusing.statusDetail).toContain('it asks for $2,500.00, the payment is $25.00');
    const held = (await t.call('session.snapshot', {})).payments.find((p) => p.id === created.id)!;
    expect(held.readerStage).not.toBe('waiting_for_card');
    expect(held.status).not.toBe('succeeded');
    expect(held.attention?.reason).toContain('asked the reader to collect $2,500.00 for this payment of $25.00');

    // Polled as the gateway holds it: the card is asked for the payment's own amount, paid once.
    proxy.rewrite = () => null;
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card', 8_000);
    await t.call('simulate.presentCard', { readerId: reader.id });
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    expect(paid.amountCaptured).toBe(2500);
    // Paid (final): the item about the action asking other money has nothing left to say.
    expect(paid.attention).toBeNull();
    expect((await ledger(sandbox)).transactions.find((tx) => tx.id === paid.transactionId)).toMatchObject({
      amount_captured: 2500,
    });
  });
});

describe('a gateway whose reader action asks for other money than the payment', () => {
  it('brings the payment to Needs attention once, keeps it there through reads, and never asks for the card', async () => {
    // Found in review: the action was refused again at every poll, the reader said "It tries again
    // by itself", and the cashier was never shown the payment.
    const { sandbox, proxy } = await plutoPayBehindProxy();
    const t = await till(sandbox, proxy);
    const reader = await t.onlineReader();
    let polls = 0;
    proxy.rewrite = (_method, path, body) => {
      if (path !== '/v1/terminal/link/poll') return null;
      polls++;
      return body.replaceAll('"amount":2500,', '"amount":250000,');
    };
    const created = await t.call('payments.create', { amount: 2500, currency: 'USD', captureMethod: 'automatic' });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    const item = await waitFor(
      async () => (await t.call('attention.list', {})).find((i) => i.paymentId === created.id),
      8_000,
      'the payment in Needs attention',
    );
    expect(item.reason).toBe(
      'PlutoPay asked the reader to collect $2,500.00 for this payment of $25.00. The reader did not ask for the card.',
    );
    expect(item.advice).toMatch(/^Nothing was charged: the reader did not ask for the card\. Cancel this payment/);
    expect(item.advice).toContain('call the gateway');
    const refusing = (await t.call('readers.list', {})).find((r) => r.id === reader.id)!;
    expect(refusing.statusDetail).toContain('it asks for $2,500.00, the payment is $25.00');
    expect(refusing.statusDetail).toContain('Needs attention (F8)');
    expect(refusing.statusDetail).not.toContain('tries again by itself');

    // More polls carry the same action: it is not refused (nor logged, nor journaled) again.
    const seen = polls;
    await waitFor(() => polls >= seen + 3, 10_000, 'three more polls');
    const refusals = t.host.devlog
      .list(500)
      .filter((e) => e.kind === 'error' && e.summary.startsWith('Refused action'));
    expect(refusals).toHaveLength(1);
    const timeline = async () =>
      (await t.call('transactions.get', { transactionId: created.transactionId! })).timeline.map((e) => e.event);
    expect((await timeline()).filter((e) => e === 'reader_action_refused')).toHaveLength(1);

    // An ordinary read of the payment (Check again; recovery reads it the same way) says it is
    // pending at the gateway: the item stays, and the card is still not asked for.
    const reread = await t.call('attention.retry', { paymentId: created.id });
    expect(reread.attention?.reason).toBe(item.reason);
    expect(reread.readerStage).not.toBe('waiting_for_card');
    expect(await t.call('attention.list', {}).then((items) => items.some((i) => i.paymentId === created.id))).toBe(
      true,
    );

    // The cashier cancels it, as advised: the item clears, and the reader no longer speaks of it.
    const canceled = await t.call('payments.cancel', { paymentId: created.id });
    expect(canceled.status).toBe('canceled');
    expect(canceled.attention).toBeNull();
    await waitFor(
      async () => !(await t.call('readers.list', {})).find((r) => r.id === reader.id)?.statusDetail?.includes('fit'),
      8_000,
      'the reader to stop speaking of the refused action',
    );
    expect((await ledger(sandbox)).transactions.find((tx) => tx.id === created.transactionId)).toMatchObject({
      status: 'canceled',
      amount_captured: 0,
    });
  });

  it('a refusal the cashier handled stays handled across a restart: not refused, logged or flagged again', async () => {
    // Found in review: the refused actions were kept in memory only, so after a restart the same
    // wrong action was refused again and the payment put back in Needs attention.
    const { sandbox, proxy } = await plutoPayBehindProxy();
    const dataDir = mkdtempSync(join(tmpdir(), 'misfit-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await till(sandbox, proxy, { dataDir });
    const reader = await first.onlineReader();
    let polls = 0;
    proxy.rewrite = (_method, path, body) => {
      if (path !== '/v1/terminal/link/poll') return null;
      polls++;
      return body.replaceAll('"amount":2500,', '"amount":250000,');
    };
    const created = await first.call('payments.create', { amount: 2500, currency: 'USD', captureMethod: 'automatic' });
    await first.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await waitFor(
      async () => (await first.call('attention.list', {})).find((i) => i.paymentId === created.id),
      8_000,
      'the payment in Needs attention',
    );
    // The cashier reads it and marks it as handled (the gateway was called, say).
    const handled = await first.call('attention.resolve', { paymentId: created.id, resolution: 'dismiss' });
    expect(handled.attention).toBeNull();

    // The till stops here (a kill -9: the journal as committed), and starts again on the same data.
    const image = journalImage(dataDir);
    await first.close();
    restoreJournal(dataDir, image);
    const seen = polls;
    const second = await till(sandbox, proxy, { dataDir });
    // The gateway still holds the action, for the same other money: the reader leaves it and says why.
    const leaving = await waitFor(
      async () =>
        polls >= seen + 3 &&
        (await second.call('readers.list', {})).find(
          (r) => r.id === reader.id && r.statusDetail?.includes('$2,500.00'),
        ),
      10_000,
      'the reader to poll the action again and leave it',
    );
    expect((await second.call('attention.list', {})).some((i) => i.paymentId === created.id)).toBe(false);
    const payment = (await second.call('session.snapshot', {})).payments.find((p) => p.id === created.id)!;
    expect(payment.attention).toBeNull();
    expect(payment.readerStage).not.toBe('waiting_for_card');
    expect(leaving.statusDetail).toContain('it refused this action before');
    expect(
      second.host.devlog.list(500).filter((e) => e.kind === 'error' && e.summary.startsWith('Refused action')),
    ).toEqual([]);
    const timeline = (await second.call('transactions.get', { transactionId: created.transactionId! })).timeline;
    expect(timeline.filter((e) => e.event === 'reader_action_refused')).toHaveLength(1);

    // The same action for the payment's own money is collected as any other, once.
    proxy.rewrite = () => null;
    await second.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card', 8_000);
    await second.call('simulate.presentCard', { readerId: reader.id });
    const paid = await second.waitForPayment(created.id, (p) => p.status === 'succeeded', 8_000);
    expect(paid.amountCaptured).toBe(2500);
  });
});

describe("Plural's token answered unreadably before a request", () => {
  const TOKEN = '/api/auth/v1/token';
  /**
   * The next API call matching `method path` is refused 401 (the token revoked early): the client
   * drops its token and asks for a new one, whose answer `tokenAnswer` replaces until `healed()`.
   */
  function revokeThenGarble(proxy: RewritingProxy, method: string, path: string, tokenAnswer: string) {
    let revoked = false;
    let garbled = true;
    proxy.answer = (m, p) => {
      if (revoked || m !== method || p !== path) return null;
      revoked = true;
      return { status: 401, body: JSON.stringify({ code: 'UNAUTHORIZED', message: 'Token expired.' }) };
    };
    proxy.rewrite = (_m, p) => (garbled && p === TOKEN ? tokenAnswer : null);
    return {
      healed: () => {
        garbled = false;
      },
    };
  }

  it('a create whose token answer is not JSON was never sent: failed, nothing charged, try again', async () => {
    const { proxy, t } = await pluralBehindProxy();
    let creates = 0;
    const token = revokeThenGarble(proxy, 'POST', '/api/pay/v1/orders', '{"access_token":');
    const rewrite = proxy.rewrite;
    proxy.rewrite = (method, path, body) => {
      if (method === 'POST' && path === '/api/pay/v1/orders') creates++;
      return rewrite(method, path, body);
    };

    const failed = await t.fail('payments.create', { amount: 9_900, currency: 'INR', orderReference: 'TOKEN-1' });
    expect(failed).toMatchObject({ code: 'offline', queued: false });
    expect(failed.message).toContain(`The gateway's answer to POST ${TOKEN} is not JSON.`);
    expect(failed.message).toMatch(/Nothing was charged; try again\.$/);
    const snapshot = await t.call('session.snapshot', {});
    const [payment] = snapshot.payments.filter((p) => p.orderReference === 'TOKEN-1');
    expect(payment).toMatchObject({ status: 'failed', attention: null });
    expect(snapshot.connectivity.gateway).toBe('online');
    // The 401 was the only create that reached Plural's side, and it made nothing.
    expect(creates).toBe(0);

    token.healed();
    const again = await t.call('payments.create', { amount: 9_900, currency: 'INR', orderReference: 'TOKEN-1' });
    expect(again).toMatchObject({ status: 'pending', attention: null });
    expect(again.transactionId).not.toBeNull();
    expect(creates).toBe(1);
    expect(wentOffline(t.events)).toBe(false);
  });

  it('a refund whose token answer has no access_token stays queued, needs no attention, and is sent once', async () => {
    const { sandbox, proxy, t } = await pluralBehindProxy();
    const created = await t.call('payments.create', { amount: 20_000, currency: 'INR', orderReference: 'TOKEN-2' });
    expect((await customerPaysPlural(sandbox, created.transactionId!)).status).toBe(200);
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    let refunds = 0;
    const token = revokeThenGarble(
      proxy,
      'GET',
      `/api/pay/v1/orders/${created.transactionId}`,
      '{"token_type":"Bearer","expires_in":3600}',
    );
    const rewrite = proxy.rewrite;
    proxy.rewrite = (method, path, body) => {
      if (method === 'POST' && path.startsWith('/api/pay/v1/refunds/')) refunds++;
      return rewrite(method, path, body);
    };

    const failed = await t.fail('payments.refund', { paymentId: paid.id, amount: 5_000 });
    expect(failed.message).toContain(`The gateway's answer to POST ${TOKEN} is not in the expected form`);
    expect(failed.message).toMatch(/The refund was not sent: it stays queued/);
    expect(failed.message).not.toMatch(/whether it went through|unreachable/);
    const waiting = await t.waitForPayment(paid.id, (p) => p.queuedOperations === 1);
    expect(waiting.attention).toBeNull();
    expect(refunds).toBe(0);

    token.healed();
    const refunded = await t.waitForPayment(
      paid.id,
      (p) => p.amountRefunded === 5_000 && p.queuedOperations === 0,
      8_000,
    );
    expect(refunded.attention).toBeNull();
    expect(refunds).toBe(1);
    expect(wentOffline(t.events)).toBe(false);
  });
});
