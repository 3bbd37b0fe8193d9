/**
 * The journal's disk failing under a running till: the data directory turned read-only, or the
 * disk full, while the app runs. A payment whose intent cannot be journaled is never sent, and the
 * cashier reads what is wrong and what to do — not "Something went wrong in the host". Simulated at
 * SQLite's level on the host's own connection (tests run as root, which chmod does not stop):
 * `query_only` refuses every write with SQLITE_READONLY, as a read-only remount does, and
 * `max_page_count` caps the file where it is, so the next write that needs a page gets SQLITE_FULL;
 * a TEMP trigger on the host's connection fails one chosen write.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signWebhook } from '../../main/gateway/plutopay/notifications';
import { startSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill, ShiftedClock } from '../support/payplug';

/** Every connection better-sqlite3 opens in this file, so the test can reach the host's journal. */
const opened = vi.hoisted(() => [] as BetterSqlite3.Database[]);
vi.mock('better-sqlite3', async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof BetterSqlite3 }>()).default;
  class Tracked extends real {
    constructor(...args: ConstructorParameters<typeof BetterSqlite3>) {
      super(...args);
      opened.push(this);
    }
  }
  return { default: Tracked };
});

function journalOf(dataDir: string): BetterSqlite3.Database {
  const db = opened.find((d) => d.open && d.name === join(dataDir, 'journal.db'));
  if (!db) throw new Error('the host has no journal open');
  return db;
}

/** How many payments the gateway holds. */
async function gatewayPayments(t: TestHost): Promise<number> {
  return ((await t.api('GET', '/v1/transactions?size=1')).json as { meta: { total: number } }).meta.total;
}

describe('the journal cannot be written while the app runs', () => {
  let t: TestHost | undefined;
  let dataDir = '';
  afterEach(async () => {
    await t?.close();
    t = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a read-only data directory: nothing is sent, and the cashier is told why and what to do', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'journal-ro-'));
    t = await startTestHost({ dataDir });
    await t.call('payments.create', { amount: 1000, currency: 'EUR', orderReference: 'ORD-OK' });
    const before = await gatewayPayments(t);
    journalOf(dataDir).pragma('query_only = ON');

    const error = await t.fail('payments.create', { amount: 2500, currency: 'EUR', orderReference: 'ORD-RO' });
    expect(error.code).toBe('internal');
    expect(error.message).toMatch(/cannot write its journal \(attempt to write a readonly database\)/);
    expect(error.message).toMatch(/read-only.*restart the app/);
    expect(error.message).not.toMatch(/Something went wrong/);
    // Its intent could not be journaled, so the gateway never heard of it.
    expect(await gatewayPayments(t)).toBe(before);
    expect(
      t.host.devlog.list(50).some((e) => e.summary === 'payments.create failed: the journal cannot be written'),
    ).toBe(true);

    // Writable again: the same order is taken, once.
    journalOf(dataDir).pragma('query_only = OFF');
    const made = await t.call('payments.create', { amount: 2500, currency: 'EUR', orderReference: 'ORD-RO' });
    expect(made.status).not.toBe('unknown');
    expect(await gatewayPayments(t)).toBe(before + 1);
  });

  it('a notification while the journal cannot be written: answered 503 (sent again later), the till keeps serving', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'journal-hook-'));
    t = await startTestHost({ dataDir });
    await t.call('settings.update', { webhookPort: 0, webhookSecret: 'whsec_journalreadonly1234' });
    const url = await waitFor(async () => (await t!.call('settings.get', {})).webhookUrl, 3_000, 'receiver url');
    const made = await t.call('payments.create', { amount: 1000, currency: 'EUR', orderReference: 'ORD-HOOK' });
    const post = (id: string) => {
      const body = JSON.stringify({
        id,
        type: 'payment.succeeded',
        created_at: new Date().toISOString(),
        data: { id: made.transactionId },
      });
      return fetch(url!, {
        method: 'POST',
        headers: { 'X-PlutoPay-Signature': signWebhook('whsec_journalreadonly1234', body) },
        body,
      });
    };
    journalOf(dataDir).pragma('query_only = ON');
    // Its id cannot be remembered: not taken, and the gateway is asked to send it again.
    const refused = await post('evt_while_readonly');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(
      t.host.devlog
        .list(50)
        .some((e) => e.summary === 'A notification could not be taken: the journal cannot be written'),
    ).toBe(true);
    // The host is still up and answering.
    expect((await t.call('session.snapshot', {})).payments.some((p) => p.id === made.id)).toBe(true);

    // Writable again: the same notification, sent again, is taken.
    journalOf(dataDir).pragma('query_only = OFF');
    expect((await post('evt_while_readonly')).status).toBe(200);
  });

  it('a full disk: the create that cannot be journaled is not sent, and the cashier is told to free space', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'journal-full-'));
    t = await startTestHost({ dataDir });
    const before = await gatewayPayments(t);
    const journal = journalOf(dataDir);
    journal.pragma(`max_page_count = ${journal.pragma('page_count', { simple: true }) as number}`);
    let error: Awaited<ReturnType<TestHost['fail']>> | null = null;
    let made = 0;
    // The pages the file has still hold a few payments; the first that needs another is refused.
    for (let n = 0; n < 200 && !error; n++) {
      const result = await t.host.invoke('payments.create', {
        amount: 1000 + n,
        currency: 'EUR',
        orderReference: `ORD-FULL-${n}`,
        description: 'x'.repeat(200),
      });
      if (result.ok) made++;
      else error = result.error;
    }
    expect(error).not.toBeNull();
    expect(error!.message).toMatch(/cannot write its journal \(database or disk is full\): the disk .* is full/);
    expect(error!.message).toMatch(/Free space on that disk/);
    // Every payment the gateway has, the journal has: nothing was sent before its record.
    expect(await gatewayPayments(t)).toBe(before + made);
    expect((await t.call('payments.list', { filter: 'all', limit: 200 })).length).toBe(made);
  });

  it('a Z while the journal cannot be written: refused in its own words, nothing half-closed, the next works', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'journal-z-'));
    t = await startTestHost({ dataDir });
    // Links not paid yet: the day closes with an override, and its Z needs pages of its own.
    for (let n = 0; n < 20; n++) {
      await t.call('payments.create', {
        amount: 1000 + n,
        currency: 'EUR',
        orderReference: `ORD-Z-${n}`,
        description: 'x'.repeat(200),
      });
    }
    const close = { closedBy: 'Ada', override: { by: 'Ada', reason: 'links left open' } };
    const journal = journalOf(dataDir);
    const expectNothingClosed = async () => {
      expect(await t!.call('reports.list', {})).toEqual([]);
      expect(await t!.call('reports.x', {})).toMatchObject({ kind: 'X', paymentCount: 20 });
    };

    journal.pragma('query_only = ON');
    const readOnly = await t.fail('reports.close', close);
    expect(readOnly.code).toBe('internal');
    expect(readOnly.message).toMatch(
      /^The day is not closed: the app cannot write its journal \(attempt to write a readonly database\): the data directory or its disk has become read-only\./,
    );
    expect(readOnly.message).toMatch(/No Z report was kept.*close the day again/);
    expect(readOnly.message).not.toMatch(/payment/);
    journal.pragma('query_only = OFF');
    await expectNothingClosed();

    journal.pragma(`max_page_count = ${journal.pragma('page_count', { simple: true }) as number}`);
    const full = await t.fail('reports.close', close);
    expect(full.message).toMatch(/^The day is not closed: .*\(database or disk is full\): the disk .* is full\./);
    journal.pragma('max_page_count = 1073741823');
    await expectNothingClosed();

    // Writable again: the day closes, once, as Z No. 1.
    const z = await t.call('reports.close', close);
    expect(z).toMatchObject({ kind: 'Z', paymentCount: 20, z: { number: 1, valid: true } });
    expect((await t.call('reports.list', {})).map((r) => r.number)).toEqual([1]);
  });

  it('a plan part PayPlug charged whose taking in cannot be written is taken in whole when it next can', async () => {
    // Found in review: a part was put in the journal in three writes (the payment, its date, then
    // its plan and captured money). The last failing, the part stayed a payment of no plan with no
    // money counted, and the next reading, finding it, never made it the plan's again.
    dataDir = mkdtempSync(join(tmpdir(), 'journal-part-'));
    const clock = new ShiftedClock();
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    const till = await payplugTill(sandbox, { clock, dataDir, tuning: { planPollMs: 100 } });
    t = { ...till, close: async () => (await till.close(), await sandbox.close()) };
    const plan = await t.call('installments.create', {
      amount: 9000,
      currency: 'EUR',
      count: 3,
      customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
      orderReference: 'PLAN-W1',
    });
    await payplug(t, 'POST', `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`, {
      card_number: '4242424242424242',
    });
    await waitFor(
      () => t!.events.some((e) => e.type === 'plan' && e.plan.id === plan.id && e.plan.schedule[0]?.paid),
      8_000,
      'the first part paid',
    );
    // The write that makes a payment a plan's part fails once, as a full disk would.
    let writes = 0;
    const journal = journalOf(dataDir);
    journal.function('part_write_fails', () => (++writes === 1 ? 1 : 0));
    journal.exec(`CREATE TEMP TRIGGER part_write_fails BEFORE UPDATE OF installment_plan_id ON payments
      WHEN NEW.installment_plan_id IS NOT NULL AND part_write_fails()
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    // 10:00 on the second part's date: PayPlug charged it at 00:00, and the till reads the plan.
    const due = plan.schedule[1]!.date;
    clock.offsetMs = Date.parse(`${due}T10:00:00Z`) - Date.now();
    const second = await waitFor(
      async () =>
        (await t!.call('payments.list', { filter: 'all', limit: 100 })).find(
          (p) => p.orderReference !== 'PLAN-W1#1' && p.status === 'succeeded' && p.installmentPlanId === plan.id,
        ),
      8_000,
      'the second part taken in as the plan’s',
    );
    expect(writes).toBeGreaterThan(1);
    expect(second).toMatchObject({ orderReference: 'PLAN-W1#2', createdAt: `${due}T00:00:00.000Z` });
    // Once, and counted with the first part (the till's first period holds both).
    const all = await t.call('payments.list', { filter: 'all', limit: 100 });
    expect(all.filter((p) => p.amount === 3000 && p.status === 'succeeded')).toHaveLength(2);
    const x = await t.call('reports.x', { date: due });
    expect(x.totals).toEqual([expect.objectContaining({ approvedCount: 2, captured: 6000 })]);
  });
});
