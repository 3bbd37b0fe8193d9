/**
 * kill -9 at the counter's two delicate moments, with the real host process (`out/main/web.js`)
 * on one data directory and the sandbox in this process:
 *  1. between the customer's tip choice and the charge (the gateway create in flight): after the
 *     restart the payment is there with its tip, created once at the gateway, and can be charged;
 *  2. between the approval and the receipt's printing: after the restart the payment is approved
 *     with its tip, the print job is a "not printed — reprint" item, and the reprint prints it.
 * The moments are found by reading the journal file, never by sleeping.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandName, CommandResult } from '../../common/contract';
import { startPtyPrinterEmulator, type PtyPrinterEmulator } from '../../drivers/printers/emulator';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { BridgeClient } from '../soak/bridge';
import { HostProcess } from '../soak/host-process';
import { ROOT, WEB_ENTRY } from '../soak/soak';
import { waitFor } from '../support/host';
import { hasTool, IN_CI } from '../support/tools';

function built(): boolean {
  if (existsSync(WEB_ENTRY)) return true;
  if (IN_CI) throw new Error('out/main/web.js is missing: `npm test` builds the app first');
  return false;
}

/** One launch of the host and a bridge to it. */
async function launch(proc: HostProcess) {
  const started = await proc.start();
  const bridge = await BridgeClient.connect({ origin: started.origin, token: started.token, record: () => undefined });
  const call = async <N extends CommandName>(name: N, input: unknown): Promise<CommandResult<N>> => {
    const result = await bridge.invoke(name, input, 20_000);
    if (!result.ok) throw new Error(`${name} failed: ${result.error.code}: ${result.error.message}`);
    return result.value;
  };
  const payment = async (id: string) =>
    (await call('payments.list', { filter: 'all', limit: 200 })).find((p) => p.id === id);
  const reader = () =>
    waitFor(
      async () => (await call('readers.list', {})).find((r) => r.kind === 'simulated' && r.status === 'online'),
      15_000,
      'the simulated reader online',
    );
  return { bridge, call, payment, reader };
}

/** A row of the journal file, read while the host runs (WAL: committed writes are visible). */
function peek<T>(dataDir: string, sql: string, ...params: unknown[]): T | undefined {
  const db = new Database(join(dataDir, 'journal.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).get(...params) as T | undefined;
  } finally {
    db.close();
  }
}

describe.skipIf(!built() || !hasTool('socat'))('kill -9 at the counter', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setUp(): Promise<{ sandbox: RunningSandbox; dataDir: string; proc: HostProcess }> {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'pos-kill9-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const proc = new HostProcess({
      entry: WEB_ENTRY,
      cwd: ROOT,
      dataDir,
      gatewayUrl: sandbox.url,
      secretKey: sandbox.secret_key,
      readerPorts: [],
    });
    cleanup.push(async () => void (await proc.stop()));
    return { sandbox, dataDir, proc };
  }

  it('between the tip choice and the charge: the payment and its tip survive, created once', async () => {
    const { sandbox, dataDir, proc } = await setUp();
    const first = await launch(proc);
    await first.call('settings.update', { tipping: true, timeZone: 'Europe/Paris', shopName: 'Café des Arts' });
    const reader = await first.reader();
    const waiting = await first.call('payments.create', {
      amount: 1250,
      currency: 'EUR',
      orderReference: 'KILL-TIP-1',
      askTip: true,
      readerId: reader.id,
    });
    expect(waiting.tip?.state).toBe('awaiting');

    // The gateway answers slowly: the create is in flight when the host dies.
    sandbox.setFaults({ latency_ms: 4_000 });
    const choice = first.bridge.invoke('customer.chooseTip', {
      paymentId: waiting.id,
      tip: { kind: 'percent', percent: 15 },
    });
    choice.catch(() => undefined);
    await waitFor(
      () =>
        peek<{ n: number }>(
          dataDir,
          `SELECT COUNT(*) AS n FROM payments p JOIN operations o ON o.payment_id = p.id AND o.kind = 'create'
           WHERE p.id = ? AND p.tip_state = 'chosen' AND p.amount = 1438 AND p.transaction_id IS NULL`,
          waiting.id,
        )?.n === 1,
      10_000,
      'the tip journaled with its create',
    );
    await proc.kill9();
    first.bridge.close();
    sandbox.setFaults({ latency_ms: 0 });

    const second = await launch(proc);
    const recovered = await waitFor(
      async () => {
        const p = await second.payment(waiting.id);
        return p?.status === 'pending' ? p : undefined;
      },
      15_000,
      'the create recovered with its key',
    );
    expect(recovered).toMatchObject({
      amount: 1438,
      tip: { state: 'chosen', preTipAmount: 1250, amount: 188, percent: 15 },
    });
    const ledger = (await (
      await fetch(`${sandbox.url}/_sandbox/ledger`, { headers: { Authorization: `Bearer ${sandbox.secret_key}` } })
    ).json()) as { transactions: { idempotency_key: string | null; amount: number }[] };
    expect(ledger.transactions.filter((t) => t.idempotency_key?.startsWith('pos-KILL-TIP-1-1-'))).toEqual([
      expect.objectContaining({ amount: 1438 }),
    ]);

    // The cashier charges it now; the receipt carries the tip.
    const again = await second.reader();
    await second.call('payments.process', { paymentId: waiting.id, readerId: again.id });
    await waitFor(
      async () => (await second.payment(waiting.id))?.readerStage === 'waiting_for_card',
      10_000,
      'card wait',
    );
    await second.call('simulate.presentCard', { readerId: again.id });
    await waitFor(async () => (await second.payment(waiting.id))?.status === 'succeeded', 10_000, 'approved');
    const receipt = await second.call('receipts.render', { paymentId: waiting.id, format: 'text', width: 42 });
    expect(receipt.content).toMatch(/Tip \(15%\) +€1\.88/);
    expect(receipt.content).toMatch(/TOTAL +€14\.38/);
    second.bridge.close();
  }, 90_000);

  it('between the approval and the printing: the receipt is an item to reprint, and reprints', async () => {
    const { dataDir, proc } = await setUp();
    // A printer that never answers: the job stays pending for a while after the approval.
    const silent = await startPtyPrinterEmulator({ condition: 'silent' });
    cleanup.push(() => silent.stop());
    const first = await launch(proc);
    await first.call('settings.update', {
      tipping: true,
      timeZone: 'Europe/Paris',
      shopName: 'Café des Arts',
      receiptPrinterPort: silent.path,
      printReceipts: 'both',
    });
    const reader = await first.reader();
    const created = await first.call('payments.create', {
      amount: 2000,
      currency: 'EUR',
      orderReference: 'KILL-PRINT-1',
      tip: { kind: 'percent', percent: 10 },
    });
    await first.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await waitFor(
      async () => (await first.payment(created.id))?.readerStage === 'waiting_for_card',
      10_000,
      'card wait',
    );
    await first.call('simulate.presentCard', { readerId: reader.id });
    // The approval and its print job are one write: kill as soon as it is on disk.
    await waitFor(
      () =>
        peek<{ state: string }>(
          dataDir,
          `SELECT r.state FROM receipts r JOIN payments p ON p.id = r.payment_id WHERE p.id = ? AND p.status = 'succeeded'`,
          created.id,
        )?.state === 'pending',
      10_000,
      'the approval with its pending print job',
    );
    await proc.kill9();
    first.bridge.close();

    const printer: PtyPrinterEmulator = await startPtyPrinterEmulator();
    cleanup.push(() => printer.stop());
    const second = await launch(proc);
    const after = await second.payment(created.id);
    expect(after).toMatchObject({
      status: 'succeeded',
      amount: 2200,
      tip: { amount: 200, percent: 10 },
      receipt: { print: { state: 'failed', copies: 'both' } },
    });
    expect(after?.receipt.print?.error).toMatch(/stopped before this receipt was printed/);
    await second.call('settings.update', { receiptPrinterPort: printer.path });
    const job = await second.call('receipts.print', { paymentId: created.id, copies: 'customer' });
    expect(job).toMatchObject({ state: 'printed', duplicate: false });
    const rows = printer.emulator.paper().lines.map((line) => line.trim());
    expect(rows.some((row) => /^Tip \(10%\)\s+€2\.00$/.test(row))).toBe(true);
    expect(rows.some((row) => /^TOTAL\s+€22\.00$/.test(row))).toBe(true);
    // The merchant copy was never printed: the item stays until it is.
    expect((await second.payment(created.id))?.receipt.print).toMatchObject({ state: 'failed', copies: 'merchant' });
    await second.call('receipts.print', { paymentId: created.id, copies: 'merchant' });
    expect((await second.payment(created.id))?.receipt.print?.state).toBe('printed');
    second.bridge.close();
  }, 90_000);
});
