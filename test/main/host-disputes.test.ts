/**
 * Chargebacks must not go unseen: a dispute PlutoPay opens on a payment the till took is read (at
 * start, on the Transactions refresh, from a forwarded `dispute.created`), journaled once however it
 * arrives, shown in Needs attention and on the payment's details until it is won or lost (the outcome
 * in the payment's timeline), kept across a restart; one on a payment the till never handled is only
 * listed; an unreadable answer is said in the developer log and loses nothing. Real HTTP against the
 * embedded sandbox, which opens and settles disputes through its admin routes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PaymentView } from '../../common/contract';
import { DISPUTE_POLL_MS } from '../../main/payments/disputes';
import { startSandbox } from '../../sandbox/index';
import { FakeClock } from '../support/fake-clock';
import { startGatewayProxy } from '../support/gateway-proxy';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { cardPayment, tillBehindProxy } from '../support/proxied-host';

/** What a test started, closed after it in reverse order (also when it fails). */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'host-disputes-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** No periodic read during a test: each read is one the test asks for (or the one at start). */
const QUIET = { disputePollMs: 3_600_000 };

interface SandboxDispute {
  id: string;
  reference: string;
}

async function openDispute(t: TestHost, payment: PaymentView, amount: number, reason: string) {
  const answer = await t.api('POST', '/_sandbox/disputes', { transaction_id: payment.transactionId, amount, reason });
  expect(answer.status).toBe(201);
  return answer.json as SandboxDispute;
}

async function settleDispute(t: TestHost, dispute: SandboxDispute, status: 'under_review' | 'won' | 'lost') {
  expect((await t.api('POST', `/_sandbox/disputes/${dispute.id}/settle`, { status })).status).toBe(200);
}

const itemFor = async (t: TestHost, paymentId: string) =>
  (await t.call('attention.list', {})).find((item) => item.paymentId === paymentId);

const timelineOf = async (t: TestHost, payment: PaymentView) =>
  (await t.call('transactions.get', { transactionId: payment.transactionId! })).timeline.map((e) => e.event);

describe('disputes (chargebacks) on PlutoPay', () => {
  it('shows a dispute in Needs attention and the details until it is lost, once, across a restart', async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const dataDir = tempDir();
    const first = await startTestHost({ sandbox, dataDir, tuning: QUIET });
    const paid = await cardPayment(first, 2500, 'automatic', 'EUR');
    const dispute = await openDispute(first, paid, 2000, 'product_not_received');

    // The Transactions refresh reads the gateway's list: the seeded disputes on payments this till
    // never handled are listed too, but only the one on its own payment needs attention.
    const listed = await first.call('disputes.list', { refresh: true });
    expect(listed.readProblem).toBeNull();
    const ours = listed.disputes.find((d) => d.id === dispute.id);
    expect(ours).toMatchObject({
      reference: dispute.reference,
      paymentId: paid.id,
      amount: 2000,
      currency: 'EUR',
      status: 'needs_response',
      reason: 'product_not_received',
      closedAt: null,
    });
    const others = listed.disputes.filter((d) => d.id !== dispute.id);
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((d) => d.paymentId === null)).toBe(true);
    const attention = await first.call('attention.list', {});
    expect(attention.filter((item) => item.dispute)).toHaveLength(1);
    expect(await itemFor(first, paid.id)).toMatchObject({
      reason: "The customer's bank disputes €20.00 of this payment (product not received).",
      advice: expect.stringContaining(`Respond to dispute ${dispute.reference} on the PlutoPay dashboard before `),
      dispute: { id: dispute.id, status: 'needs_response' },
    });
    // The payment's details say it, and its money is left as it was (a chargeback is no refund).
    const detail = await first.call('transactions.get', { transactionId: paid.transactionId! });
    expect(detail.disputes).toEqual([expect.objectContaining({ id: dispute.id, amount: 2000 })]);
    expect(detail.payment).toMatchObject({ amountCaptured: 2500, amountRefunded: 0, status: 'succeeded' });

    // Read again: the same dispute, not a second one, and one line in the timeline.
    await first.call('disputes.list', { refresh: true });
    expect((await first.call('disputes.list', {})).disputes.filter((d) => d.id === dispute.id)).toHaveLength(1);
    expect((await timelineOf(first, paid)).filter((e) => e === 'dispute_opened')).toHaveLength(1);
    await first.close();

    // After a restart it is there from the journal, before the gateway is read.
    const second = await startTestHost({ sandbox, dataDir, tuning: QUIET });
    cleanup.push(() => second.close());
    expect((await second.call('session.snapshot', {})).attention.find((i) => i.paymentId === paid.id)).toMatchObject({
      dispute: { id: dispute.id },
    });

    // The shop answered on the dashboard: still there, saying so; then the bank decides.
    await settleDispute(second, dispute, 'under_review');
    await second.call('disputes.list', { refresh: true });
    expect(await itemFor(second, paid.id)).toMatchObject({
      dispute: { status: 'under_review' },
      advice: expect.stringContaining('reviewing'),
    });
    await settleDispute(second, dispute, 'lost');
    const afterLoss = await second.call('disputes.list', { refresh: true });
    expect(afterLoss.disputes.find((d) => d.id === dispute.id)).toMatchObject({
      status: 'lost',
      closedAt: expect.any(String),
    });
    expect(await itemFor(second, paid.id)).toBeUndefined();
    expect(second.events).toContainEqual(expect.objectContaining({ type: 'attention', removed: [paid.id] }));
    expect(await timelineOf(second, paid)).toEqual(
      expect.arrayContaining(['dispute_opened', 'dispute_under_review', 'dispute_lost']),
    );
    expect(
      (await second.call('payments.list', { filter: 'all', limit: 10 })).find((p) => p.id === paid.id),
    ).toMatchObject({ attention: null, amountRefunded: 0 });
  });

  it('a forwarded dispute.created shows it at once; the next read of the list does not add it twice', async () => {
    const t = await startTestHost({ tuning: QUIET });
    cleanup.push(() => t.close());
    await t.call('settings.update', { webhookPort: 0 });
    const url = await waitFor(async () => (await t.call('settings.get', {})).webhookUrl, 3_000, 'receiver url');
    const endpoint = (await t.api('POST', '/v1/webhook-endpoints', { url, events: ['dispute.created'] })).json as {
      secret: string;
    };
    await t.call('settings.update', { webhookSecret: endpoint.secret });
    const paid = await cardPayment(t, 1800, 'automatic', 'EUR');
    const dispute = await openDispute(t, paid, 1800, 'fraudulent');

    const item = await waitFor(() => itemFor(t, paid.id), 5_000, 'the dispute in Needs attention');
    expect(t.host.devlog.list(200).map((e) => e.summary)).toContainEqual(
      expect.stringMatching(/^Notification dispute\.created \(evt_/),
    );
    expect(item).toMatchObject({
      reason: "The customer's bank disputes €18.00 of this payment (fraudulent).",
      dispute: { id: dispute.id },
    });
    expect(t.events).toContainEqual(
      expect.objectContaining({ type: 'attention', changed: [expect.objectContaining({ paymentId: paid.id })] }),
    );
    await t.call('disputes.list', { refresh: true });
    expect((await t.call('disputes.list', {})).disputes.filter((d) => d.id === dispute.id)).toHaveLength(1);
    expect((await timelineOf(t, paid)).filter((e) => e === 'dispute_opened')).toHaveLength(1);

    // Won: it clears, the outcome in the timeline.
    await settleDispute(t, dispute, 'won');
    await t.call('disputes.list', { refresh: true });
    expect(await itemFor(t, paid.id)).toBeUndefined();
    expect(await timelineOf(t, paid)).toContain('dispute_won');
  });

  it('an unreadable list is said in the developer log, and the disputes already read stay', async () => {
    const till = await tillBehindProxy({ tuning: QUIET });
    cleanup.push(() => till.close());
    const { t, proxy } = till;
    const paid = await cardPayment(t, 3000, 'automatic', 'EUR');
    const dispute = await openDispute(t, paid, 3000, 'duplicate');
    await t.call('disputes.list', { refresh: true });
    expect(await itemFor(t, paid.id)).toMatchObject({ dispute: { id: dispute.id } });

    // A dispute whose amount is no number, then a body that is not JSON.
    proxy.rewrite = (method, path, body) =>
      method === 'GET' && path === '/v1/disputes' ? body.replace(/"amount":\d+/, '"amount":"lots"') : null;
    const broken = await t.call('disputes.list', { refresh: true });
    expect(broken.readProblem).toMatch(/amount/);
    proxy.rewrite = (method, path) => (method === 'GET' && path === '/v1/disputes' ? '<html>oops' : null);
    expect((await t.call('disputes.list', { refresh: true })).readProblem).not.toBeNull();
    const errors = t.host.devlog.list(200).filter((e) => e.kind === 'error');
    expect(errors.map((e) => e.summary)).toContain("Could not read PlutoPay's disputes: its answer was unreadable");
    // Nothing lost: the dispute and its Needs attention item are as they were.
    expect(broken.disputes.find((d) => d.id === dispute.id)).toMatchObject({ amount: 3000, status: 'needs_response' });
    expect(await itemFor(t, paid.id)).toMatchObject({ dispute: { id: dispute.id } });

    proxy.rewrite = () => null;
    expect((await t.call('disputes.list', { refresh: true })).readProblem).toBeNull();
  });

  it('a refund the disputes leave no room for is refused, in money once they are read, and changes nothing', async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
    cleanup.push(() => sandbox.close());
    const t = await startTestHost({ sandbox, dataDir: tempDir(), tuning: QUIET });
    cleanup.push(() => t.close());
    const paid = await cardPayment(t, 2500, 'automatic', 'EUR');
    await openDispute(t, paid, 2000, 'fraudulent');

    // The customer's bank holds €20.00: refunding it too would pay the customer twice. Before the
    // till has read the dispute, the gateway's refusal says so (in its own minor units)…
    const refused = await t.fail('payments.refund', { paymentId: paid.id, amount: 1000 });
    expect(refused.message).toMatch(/disputes leave to refund \(500; disputes hold 2000\)/);
    expect(refused).not.toMatchObject({ queued: true });
    // …once it has, the till says it first, in money, and sends nothing.
    await t.call('disputes.list', { refresh: true });
    const known = await t.fail('payments.refund', { paymentId: paid.id, amount: 1000 });
    expect(known).toMatchObject({
      code: 'validation',
      message: "The refund amount can be at most €5.00: the customer's bank disputes €20.00 of this payment.",
    });
    const detail = await t.call('transactions.get', { transactionId: paid.transactionId! });
    expect(detail.payment).toMatchObject({ amountRefunded: 0, status: 'succeeded' });
    // What the dispute leaves can still be refunded: all of it when no amount is given.
    expect(await t.call('payments.refund', { paymentId: paid.id })).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 500,
    });
  });

  it('shows only the disputes of the account in use: another URL and key (same mode) hide the old ones, kept', async () => {
    // Found by a tester: keyed by gateway and mode only, after PlutoPay's URL and key were changed
    // the old account's disputes stayed in Transactions and Needs attention, "open… shown as last
    // read", and a dispute id both accounts use was overwritten by the other's.
    const first = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => first.close());
    const second = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => second.close());
    const t = await startTestHost({ sandbox: first, tuning: QUIET });
    cleanup.push(() => t.close());
    const useAccount = async (account: typeof first) => {
      await t.call('settings.update', {
        embeddedSandbox: false,
        apiBaseUrl: account.url,
        secretKey: account.secret_key,
      });
      await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'plutopay', 5_000, 'PlutoPay');
    };
    /** The account's own list, as the gateway answers it: its ids and what each disputes. */
    const listOf = async (account: typeof first) => {
      const response = await fetch(`${account.url}/v1/disputes?size=100`, {
        headers: { Authorization: `Bearer ${account.secret_key}` },
      });
      const { data } = (await response.json()) as { data: { id: string; transaction_id: string }[] };
      return data.map((d) => [d.id, d.transaction_id]).sort();
    };
    const shown = async () =>
      (await t.call('disputes.list', { refresh: true })).disputes.map((d) => [d.id, d.transactionId]).sort();

    await useAccount(first);
    const paid = await cardPayment(t, 2500, 'automatic', 'EUR');
    const dispute = await openDispute(t, paid, 2000, 'fraudulent');
    expect(await shown()).toEqual(await listOf(first));
    expect(await itemFor(t, paid.id)).toMatchObject({ dispute: { id: dispute.id } });

    await useAccount(second);
    expect(await shown()).toEqual(await listOf(second));
    expect(await itemFor(t, paid.id)).toBeUndefined();
    expect((await t.call('disputes.list', {})).readProblem).toBeNull();
    expect(t.host.devlog.list(500).filter((e) => e.kind === 'error')).toEqual([]);

    // Kept: back on the first account they are shown again, as they were, announced once.
    await useAccount(first);
    expect((await t.call('disputes.list', {})).disputes.map((d) => [d.id, d.transactionId]).sort()).toEqual(
      await listOf(first),
    );
    expect(await itemFor(t, paid.id)).toMatchObject({ dispute: { id: dispute.id, status: 'needs_response' } });
    expect(await shown()).toEqual(await listOf(first));
    expect((await timelineOf(t, paid)).filter((e) => e === 'dispute_opened')).toHaveLength(1);
  });

  it('a gateway that lists no disputes (PayPlug) shows none, and reads nothing', async () => {
    const t = await startTestHost({ tuning: QUIET });
    cleanup.push(() => t.close());
    await t.call('settings.update', { gateway: 'payplug' });
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'payplug', 5_000, 'PayPlug');
    expect((await t.call('session.snapshot', {})).gateway?.capabilities.disputes).toBe(false);
    expect(await t.call('disputes.list', { refresh: true })).toEqual({ disputes: [], readProblem: null });
    expect(t.host.devlog.list(200).filter((e) => e.kind === 'error')).toEqual([]);
  });
});

describe('what the host itself refuses and announces about disputes', () => {
  it('refuses to dismiss an item a dispute alone holds, and changes nothing', async () => {
    const t = await startTestHost({ tuning: QUIET });
    cleanup.push(() => t.close());
    const paid = await cardPayment(t, 2200, 'automatic', 'EUR');
    const dispute = await openDispute(t, paid, 2200, 'fraudulent');
    await t.call('disputes.list', { refresh: true });
    const before = await itemFor(t, paid.id);
    expect(before).toMatchObject({ dispute: { id: dispute.id } });
    const timeline = await timelineOf(t, paid);

    // Sent straight to the host, as the screen never would (it shows no Mark as handled).
    const error = await t.fail('attention.resolve', { paymentId: paid.id, resolution: 'dismiss' });
    expect(error).toMatchObject({ code: 'conflict' });
    expect(error.message).toMatch(/dispute/i);
    expect(error.message).toMatch(/clears by itself once the bank decides/);
    expect(await itemFor(t, paid.id)).toEqual(before);
    expect(await timelineOf(t, paid)).toEqual(timeline);
  });

  it('a payment taken in after its dispute was read announces its Needs attention item at once', async () => {
    const t = await startTestHost({ tuning: QUIET });
    cleanup.push(() => t.close());
    // The sandbox's seeded disputes are on payments this till never handled: listed, nothing to attend.
    const listed = await t.call('disputes.list', { refresh: true });
    const stranger = listed.disputes.find((d) => d.paymentId === null && d.closedAt === null);
    expect(stranger).toBeDefined();
    expect((await t.call('attention.list', {})).filter((i) => i.dispute)).toEqual([]);

    // The cashier opens that sale's receipt: the till takes the payment in (adopted).
    const seen = t.events.length;
    await t.call('receipts.render', { paymentId: stranger!.transactionId });
    const adopted = (await t.call('payments.list', { filter: 'all', limit: 50 })).find(
      (p) => p.transactionId === stranger!.transactionId,
    );
    expect(adopted).toBeDefined();
    // The event went out with the change, not at the next snapshot or the next change to the payment.
    expect(t.events.slice(seen)).toContainEqual(
      expect.objectContaining({
        type: 'attention',
        changed: [
          expect.objectContaining({ paymentId: adopted!.id, dispute: expect.objectContaining({ id: stranger!.id }) }),
        ],
      }),
    );
    expect(await itemFor(t, adopted!.id)).toMatchObject({ dispute: { id: stranger!.id } });
  });
});

describe('a long list of disputes', () => {
  it('is read to its end, however many pages, and the oldest open one still needs attention', async () => {
    // Two disputes a page: the ten pages the till once stopped at hold twenty.
    const t = await startTestHost({ tuning: { ...QUIET, disputePageSize: 2 } });
    cleanup.push(() => t.close());
    const paid = await cardPayment(t, 5000, 'automatic', 'EUR');
    const ours = await openDispute(t, paid, 1000, 'fraudulent');
    // Then many more, newer, on another payment of the same till: ours ends up on the last page.
    const other = await cardPayment(t, 5000, 'automatic', 'EUR');
    for (let i = 0; i < 24; i++) await openDispute(t, other, 100, 'duplicate');
    const total = ((await t.api('GET', '/v1/disputes?size=1')).json as { meta: { total: number } }).meta.total;
    expect(total).toBeGreaterThan(20);

    const listed = await t.call('disputes.list', { refresh: true });
    expect(listed.readProblem).toBeNull();
    expect(listed.disputes).toHaveLength(total);
    expect(await itemFor(t, paid.id)).toMatchObject({ dispute: { id: ours.id } });
    expect(await itemFor(t, other.id)).toMatchObject({
      dispute: expect.objectContaining({ status: 'needs_response' }),
    });
  });
});

describe('a list of disputes whose pages cannot be read', () => {
  it('a gateway ignoring `page` and saying more follow is asked twice, not for ever, and said unreadable', async () => {
    // Found in review: a gateway answering page 1 to every page, with a huge last_page, was asked for
    // the next page without end.
    const till = await tillBehindProxy({ tuning: { ...QUIET, disputePageSize: 2 } });
    cleanup.push(() => till.close());
    const { t, proxy } = till;
    const paid = await cardPayment(t, 3000, 'automatic', 'EUR');
    const dispute = await openDispute(t, paid, 3000, 'duplicate');
    await t.call('disputes.list', { refresh: true });
    expect(await itemFor(t, paid.id)).toMatchObject({ dispute: { id: dispute.id } });

    let asked = 0;
    let first: string | null = null;
    proxy.rewrite = (method, path, body) => {
      if (method !== 'GET' || path !== '/v1/disputes') return null;
      asked++;
      // A bound for the test itself: without the till's, it would ask for ever.
      if (asked > 50) return body.replace(/"last_page":\d+/, '"last_page":1');
      first ??= body.replace(/"last_page":\d+/, '"last_page":1000000000');
      return first;
    };
    const listed = await t.call('disputes.list', { refresh: true });
    expect(asked).toBe(2);
    expect(listed.readProblem).toMatch(/page 1 of its disputes when asked for page 2/);
    const errors = t.host.devlog.list(200).filter((e) => e.kind === 'error');
    expect(errors.map((e) => e.summary)).toContain("Could not read PlutoPay's disputes: its answer was unreadable");
    // Nothing lost: the dispute already read still holds its payment in Needs attention.
    expect(await itemFor(t, paid.id)).toMatchObject({ dispute: { id: dispute.id } });

    proxy.rewrite = () => null;
    expect((await t.call('disputes.list', { refresh: true })).readProblem).toBeNull();
  });

  it('a list longer than the pages the till reads is read that far, and said to be longer', async () => {
    const t = await startTestHost({ tuning: { ...QUIET, disputePageSize: 2, disputeMaxPages: 3 } });
    cleanup.push(() => t.close());
    const paid = await cardPayment(t, 5000, 'automatic', 'EUR');
    for (let i = 0; i < 8; i++) await openDispute(t, paid, 100, 'duplicate');
    const listed = await t.call('disputes.list', { refresh: true });
    expect(listed.readProblem).toMatch(/PlutoPay says its disputes run past 3 pages of 2: the till read only those/);
    // The newest six (three pages) were read and kept; the oldest two of this payment's were not reached.
    expect(listed.disputes.filter((d) => d.paymentId === paid.id)).toHaveLength(6);
  });
});

describe("a payment's timeline, when the till takes it in after reading its dispute", () => {
  it('says the dispute opened once: when it is taken in, not again at the next read', async () => {
    const t = await startTestHost({ tuning: QUIET });
    cleanup.push(() => t.close());
    const listed = await t.call('disputes.list', { refresh: true });
    const stranger = listed.disputes.find((d) => d.paymentId === null && d.closedAt === null);
    expect(stranger).toBeDefined();

    // Opened from the Transactions list: taken in (adopted), and its timeline says the dispute opened.
    await t.call('receipts.render', { paymentId: stranger!.transactionId });
    const detail = await t.call('transactions.get', { transactionId: stranger!.transactionId });
    const opened = detail.timeline.filter((e) => e.event === 'dispute_opened');
    expect(opened).toEqual([expect.objectContaining({ detail: expect.stringContaining(stranger!.reference) })]);

    // The next read knows the dispute already: no second line.
    await t.call('disputes.list', { refresh: true });
    const again = await t.call('transactions.get', { transactionId: stranger!.transactionId });
    expect(again.timeline.filter((e) => e.event === 'dispute_opened')).toHaveLength(1);
  });
});

describe('the periodic read of the disputes', () => {
  it('lists only the open ones, and reads alone each one the journal holds open that left them', async () => {
    // Real HTTP to the sandbox through a relay that counts; the till's timers on a fake clock, so the
    // periodic read comes when the test moves time, and no other read runs meanwhile.
    const clock = new FakeClock(Date.now());
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const sent: URL[] = [];
    const relay = await startGatewayProxy(sandbox.url, {
      onRequest: (method, path) => {
        if (method === 'GET' && path.startsWith('/v1/disputes')) sent.push(new URL(path, relay.url));
      },
    });
    cleanup.push(() => relay.close());
    const t = await startTestHost({
      sandbox,
      clock,
      startSandbox: async () => ({ ...sandbox, url: relay.url, close: async () => undefined }),
      tuning: { disputePageSize: 2 },
    });
    cleanup.push(() => t.close());

    // Many disputes decided long ago (won, lost), two open ones seeded, and one open that the bank
    // will decide between two reads.
    // On a payment of their own, paid at the gateway: a payment's disputes never hold more than it captured.
    const paid = await t.api('POST', '/v1/transactions', { amount: 1000, currency: 'usd', confirm: true });
    expect(paid.json).toMatchObject({ status: 'succeeded' });
    const transactionId = (paid.json as { id: string }).id;
    const open = async () => {
      const answer = await t.api('POST', '/_sandbox/disputes', { transaction_id: transactionId, amount: 1 });
      expect(answer.status).toBe(201);
      return answer.json as SandboxDispute;
    };
    for (let i = 0; i < 8; i++) {
      const old = await open();
      expect(
        (await t.api('POST', `/_sandbox/disputes/${old.id}/settle`, { status: i % 2 ? 'won' : 'lost' })).status,
      ).toBe(200);
    }
    const decided = await open();
    const total = ((await t.api('GET', '/v1/disputes?size=1')).json as { meta: { total: number } }).meta.total;
    const openAtGateway = async (status: string) =>
      ((await t.api('GET', `/v1/disputes?size=1&status=${status}`)).json as { meta: { total: number } }).meta.total;
    const [needsResponse, underReview] = [await openAtGateway('needs_response'), await openAtGateway('under_review')];

    // The Transactions refresh reads the whole list, every page.
    await t.call('disputes.list', { refresh: true });
    const fullPages = Math.ceil(total / 2);
    expect(sent.slice(-fullPages).map((url) => url.searchParams.get('status'))).toEqual(Array(fullPages).fill(null));
    expect((await t.call('disputes.list', {})).disputes.find((d) => d.id === decided.id)).toMatchObject({
      status: 'needs_response',
    });

    // The bank decides; the next periodic read learns it without reading the decided ones again.
    expect((await t.api('POST', `/_sandbox/disputes/${decided.id}/settle`, { status: 'lost' })).status).toBe(200);
    sent.length = 0;
    clock.advance(DISPUTE_POLL_MS);
    await waitFor(
      async () => (await t.call('disputes.list', {})).disputes.find((d) => d.id === decided.id)?.status === 'lost',
      5_000,
      'the decided dispute read as lost',
    );
    const asked = sent.map((url) =>
      url.pathname === '/v1/disputes'
        ? `list ${url.searchParams.get('status')} ${url.searchParams.get('page')}`
        : url.pathname,
    );
    const pages = (n: number, status: string) =>
      Array.from({ length: Math.max(1, Math.ceil(n / 2)) }, (_, i) => `list ${status} ${i + 1}`);
    expect(asked).toEqual([
      ...pages(needsResponse - 1, 'needs_response'),
      ...pages(underReview, 'under_review'),
      `/v1/disputes/${decided.id}`,
    ]);
    expect(asked.length).toBeLessThan(fullPages);
  });
});
