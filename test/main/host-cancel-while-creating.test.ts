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
  const behind = { ...sandbox, url: proxy.url, close: async () => undefined };
  const start = () => startTestHost({ sandbox, startSandbox: async () => behind, dataDir });
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
