/**
 * A Concert terminal pulled from its serial port while it holds a payment: the cashier reads what
 * happened in their words, and the port's own (a closed file descriptor) stays in the developer log
 * and the payment's timeline, for support. An approval it gave before it was pulled is posted without it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { createDefaultRegistry } from '../../drivers/registry';
import { createPtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { FakeClock } from '../support/fake-clock';
import { startGatewayProxy } from '../support/gateway-proxy';
import { pairTerminalOnPort, startTestHost, waitFor } from '../support/host';
import { startRewritingProxy } from '../support/proxy';
import { hasTool } from '../support/tools';

describe.skipIf(!hasTool('socat'))('a Concert terminal pulled during a payment', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  it('says "unplugged or lost power" to the cashier, and keeps the port error for support', async () => {
    // Found by a tester: Process payment and Needs attention read "the reader disconnected (port
    // closed: bad file descriptor)".
    const dir = mkdtempSync(join(tmpdir(), 'concert-pulled-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const links = { linkA: join(dir, 'terminal'), linkB: join(dir, 'ecr') };
    const pty = await createPtyPair(links);
    // The terminal takes the request and keeps the card wait open: the cable is pulled meanwhile.
    const served = serveEmulator(await openSerialTransport(pty.a), { script: { outcome: 'never' } });
    cleanup.push(
      () => pty.stop(),
      () => served.stop(),
    );
    const t = await startTestHost({
      registry: createDefaultRegistry({ ports: [links.linkB], serial: false, usb: false, pollIntervalMs: 60_000 }),
      defaultSimulatedReader: false,
    });
    cleanup.push(() => t.close());
    const paired = await pairTerminalOnPort(t, links.linkB, 'Desk');
    const created = await t.call('payments.create', { amount: 4321, currency: 'EUR', readerId: paired.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card', 10_000);
    await waitFor(async () => (served.emulator.requests.length === 1 ? 1 : undefined), 10_000, 'the request taken');

    await served.stop();
    await pty.stop();
    const unknown = await t.waitForPayment(created.id, (p) => p.status === 'unknown', 10_000);
    const reason = unknown.attention?.reason ?? '';
    expect(reason).toMatch(/^The reader was unplugged or lost power during the payment\. .*may have been charged/);
    expect(reason).not.toMatch(/port|descriptor|disconnected \(/i);
    const item = (await t.call('attention.list', {})).find((a) => a.paymentId === created.id);
    expect(JSON.stringify(item)).not.toMatch(/port closed|descriptor/i);
    // Support still finds the port's words: the log and the payment's timeline.
    const log = await t.call('devlog.list', { limit: 1000 });
    expect(
      log.some((e) => e.summary.includes('unplugged or lost power') && /port closed|write failed/.test(e.detail ?? '')),
    ).toBe(true);
    const details = await t.call('transactions.get', { transactionId: created.transactionId! });
    expect(
      details.timeline.some((e) => /\[the reader disconnected \((port closed|write failed)/.test(e.detail ?? '')),
    ).toBe(true);
  }, 60_000);

  it("posts the terminal's approval though the terminal is not back, also after a restart", async () => {
    // Found by pulling a terminal just after it approved while the gateway did not take the report:
    // the approval was journaled, but only posted once the terminal was back, at this start or the
    // next. The payment meanwhile showed on the reader, waiting for the card.
    const dir = mkdtempSync(join(tmpdir(), 'concert-approved-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const dataDir = join(dir, 'data');
    const links = { linkA: join(dir, 'terminal'), linkB: join(dir, 'ecr') };
    const pty = await createPtyPair(links);
    const served = serveEmulator(await openSerialTransport(pty.a), { script: { outcome: 'approve' } });
    cleanup.push(
      () => pty.stop(),
      () => served.stop(),
    );
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    let reports = 0;
    proxy.answer = (method, path) => {
      if (method !== 'POST' || !/\/link\/actions\/[^/]+\/result$/.test(path)) return null;
      reports += 1;
      return { status: 503, body: '{"error":{"type":"api_error","message":"down a moment"}}' };
    };
    const registry = () =>
      createDefaultRegistry({ ports: [links.linkB], serial: false, usb: false, pollIntervalMs: 60_000 });
    const first = await startTestHost({
      sandbox,
      dataDir,
      startSandbox: async () => ({ ...sandbox, url: proxy.url, close: async () => undefined }),
      registry: registry(),
      defaultSimulatedReader: false,
    });
    const paired = await pairTerminalOnPort(first, links.linkB, 'Desk');
    const created = await first.call('payments.create', { amount: 2500, currency: 'EUR', readerId: paired.id });
    await waitFor(() => (reports > 0 ? 1 : undefined), 10_000, 'the approval reported, and not taken');
    // Past the card meanwhile: not shown waiting for it, nor offered to be canceled.
    expect(await first.waitForPayment(created.id, () => true)).toMatchObject({
      status: 'in_progress',
      readerStage: 'processing',
    });
    expect(await first.fail('payments.cancel', { paymentId: created.id })).toMatchObject({ code: 'conflict' });
    // The terminal is pulled, and the till closed, before the gateway takes the approval.
    await served.stop();
    await pty.stop();
    await first.close();
    expect(await ledgerStatus(sandbox, created.transactionId!)).not.toBe('succeeded');

    // The next start posts it over a session opened for that alone: held here a while.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    proxy.answer = () => null;
    proxy.delayMs = (method, path) => {
      if (method !== 'POST' || !/\/link\/actions\/[^/]+\/result$/.test(path)) return 0;
      held = true;
      return released;
    };
    const second = await startTestHost({
      sandbox,
      dataDir,
      startSandbox: async () => ({ ...sandbox, url: proxy.url, close: async () => undefined }),
      registry: registry(),
      defaultSimulatedReader: false,
    });
    cleanup.push(() => second.close());
    cleanup.push(() => release());
    await waitFor(() => (held ? 1 : undefined), 10_000, 'the approval posted without the terminal');
    // Meanwhile the gateway does not see the reader online: another till (or the shop's server)
    // cannot push a payment to a reader whose terminal is away.
    const terminal = (
      await sandboxGet<{ data: { processor_terminal_id: string; device_type: string; status: string }[] }>(
        sandbox,
        '/v1/terminals',
      )
    ).data.find((row) => row.device_type === 'hosted')!;
    expect(terminal.status).toBe('offline');
    const other = await sandboxPost<{ id: string }>(sandbox, '/v1/terminal/create-payment', {
      amount: 990,
      currency: 'eur',
    });
    const pushed = await sandboxPost<{ error: { code: string } }>(sandbox, '/v1/terminal/process-payment', {
      payment_intent_id: other.body.id,
      reader_id: terminal.processor_terminal_id,
    });
    expect([pushed.status, pushed.body.error?.code]).toEqual([422, 'reader_offline']);
    release();
    const paid = await second.waitForPayment(created.id, (p) => p.status === 'succeeded', 10_000);
    expect(paid).toMatchObject({ amountCaptured: 2500, attention: null });
    expect((await second.call('readers.list', {})).find((r) => r.id === paired.id)?.status).toBe('offline');
  }, 60_000);

  it('closes the link it could not close when the terminal was pulled before it reports without it', async () => {
    // Found in review: the gateway did not answer when the terminal was pulled, so its link stayed
    // open there (until stale, up to 60 s) beside the report link: the reader showed online and
    // another till could push it a payment while the approval was being posted.
    const dir = mkdtempSync(join(tmpdir(), 'concert-lingering-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const links = { linkA: join(dir, 'terminal'), linkB: join(dir, 'ecr') };
    const pty = await createPtyPair(links);
    // The terminal's card wait runs on a clock of the test's: it approves when the test says.
    const terminalClock = new FakeClock();
    const served = serveEmulator(await openSerialTransport(pty.a), {
      clock: terminalClock,
      script: { outcome: 'approve', delayMs: 1_000 },
    });
    cleanup.push(
      () => pty.stop(),
      () => served.stop(),
    );
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const requests: string[] = [];
    const proxy = await startGatewayProxy(sandbox.url, {
      onRequest: (method, path) => requests.push(`${method} ${path}`),
    });
    cleanup.push(() => proxy.close());
    const t = await startTestHost({
      sandbox,
      startSandbox: async () => ({ ...sandbox, url: proxy.url, close: async () => undefined }),
      registry: createDefaultRegistry({ ports: [links.linkB], serial: false, usb: false, pollIntervalMs: 60_000 }),
      defaultSimulatedReader: false,
    });
    cleanup.push(() => t.close());
    const paired = await pairTerminalOnPort(t, links.linkB, 'Desk');
    const created = await t.call('payments.create', { amount: 2500, currency: 'EUR', readerId: paired.id });
    await waitFor(async () => (served.emulator.requests.length === 1 ? 1 : undefined), 10_000, 'the request taken');
    // The gateway stops answering; the terminal approves, and is pulled.
    proxy.down();
    terminalClock.advance(1_000);
    await t.waitForPayment(created.id, (p) => p.readerStage === 'processing', 10_000);
    await served.stop();
    await pty.stop();
    await waitFor(
      async () =>
        (await t.call('readers.list', {})).find((r) => r.id === paired.id)?.status === 'offline' ? 1 : undefined,
      10_000,
      'offline here',
    );
    const heardBefore = requests.length;
    proxy.up();
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded', 20_000);
    expect(paid).toMatchObject({ amountCaptured: 2500, attention: null });
    // The link left open was closed before the approval was posted…
    const after = requests.slice(heardBefore);
    const posted = after.findIndex((r) => /^POST \/v1\/terminal\/link\/actions\/[^/]+\/result$/.test(r));
    expect(posted).toBeGreaterThan(-1);
    expect(after.slice(0, posted)).toContain('DELETE /v1/terminal/link');
    // …so the gateway sees the reader offline: nothing can be pushed to it.
    const terminal = (
      await sandboxGet<{ data: { processor_terminal_id: string; device_type: string; status: string }[] }>(
        sandbox,
        '/v1/terminals',
      )
    ).data.find((row) => row.device_type === 'hosted')!;
    expect(terminal.status).toBe('offline');
    const other = await sandboxPost<{ id: string }>(sandbox, '/v1/terminal/create-payment', {
      amount: 990,
      currency: 'eur',
    });
    const pushed = await sandboxPost<{ error: { code: string } }>(sandbox, '/v1/terminal/process-payment', {
      payment_intent_id: other.body.id,
      reader_id: terminal.processor_terminal_id,
    });
    expect([pushed.status, pushed.body.error?.code]).toEqual([422, 'reader_offline']);
  }, 60_000);
});

/** The transaction's status as the sandbox's ledger holds it. */
async function ledgerStatus(sandbox: RunningSandbox, transactionId: string): Promise<string | undefined> {
  const response = await fetch(`${sandbox.url}/_sandbox/ledger`, {
    headers: { Authorization: `Bearer ${sandbox.secret_key}` },
  });
  const ledger = (await response.json()) as { transactions: { id: string; status: string }[] };
  return ledger.transactions.find((row) => row.id === transactionId)?.status;
}

async function sandboxGet<T>(sandbox: RunningSandbox, path: string): Promise<T> {
  const response = await fetch(`${sandbox.url}${path}`, { headers: { Authorization: `Bearer ${sandbox.secret_key}` } });
  return (await response.json()) as T;
}

async function sandboxPost<T>(
  sandbox: RunningSandbox,
  path: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${sandbox.secret_key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}
