/**
 * A reader that charges through the shop's own bank: the till sends the amount straight to it,
 * journaled first, never through the gateway; refunds are the terminal's credit transaction.
 * The simulated reader stands in for the terminal here (the Concert one is in
 * standalone-concert.test.ts and the e2e run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from '../support/host';

async function ledgerCount(t: TestHost): Promise<number> {
  return ((await t.api('GET', '/_sandbox/ledger')).json as { transactions: unknown[] }).transactions.length;
}

async function standaloneReader(t: TestHost) {
  const reader = await t.onlineReader();
  const configured = await t.call('readers.configure', { readerId: reader.id, standalone: true });
  expect(configured.standalone).toBe(true);
  return waitFor(
    async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.status === 'online'),
    5_000,
    'the standalone reader online',
  );
}

/** A payment charged on the terminal with the approving test card, once it has succeeded. */
async function paidOnTerminal(t: TestHost, readerId: string, amount: number) {
  const created = await t.call('payments.create', { amount, currency: 'EUR', readerId });
  await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
  await t.call('simulate.presentCard', { readerId });
  return t.waitForPayment(created.id, (p) => p.status === 'succeeded');
}

/** Until the terminal has the credit on it, waiting for the customer's card (the Readers screen says so). */
function crediting(t: TestHost, readerId: string) {
  return waitFor(
    async () =>
      (await t.call('readers.list', {})).find(
        (r) => r.id === readerId && /^Making a refund/.test(r.statusDetail ?? ''),
      ),
    5_000,
    'the terminal making the refund',
  );
}

describe('standalone terminals', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /**
   * A till on its own data directory and sandbox, and killNow(): what a kill -9 at that moment leaves
   * on disk (a consistent copy of the journal as committed, once `ready` says so), started again.
   */
  const killableTill = async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const running = mkdtempSync(join(tmpdir(), 'pos-standalone-'));
    const crashed = mkdtempSync(join(tmpdir(), 'pos-standalone-'));
    cleanup.push(() => {
      rmSync(running, { recursive: true, force: true });
      rmSync(crashed, { recursive: true, force: true });
    });
    const first = await startTestHost({ sandbox, dataDir: running });
    cleanup.push(() => first.close());
    const killNow = async (ready?: (journal: Database.Database) => Promise<unknown>) => {
      const live = new Database(join(running, 'journal.db'), { readonly: true, fileMustExist: true });
      try {
        await ready?.(live);
        live.exec(`VACUUM INTO '${join(crashed, 'journal.db')}'`);
      } finally {
        live.close();
      }
      const second = await startTestHost({ sandbox, dataDir: crashed });
      cleanup.push(() => second.close());
      return second;
    };
    return { first, killNow };
  };

  it('charges, declines and refunds on the terminal without the gateway', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    const before = await ledgerCount(t);

    const created = await t.call('payments.create', {
      amount: 2000,
      currency: 'EUR',
      orderReference: 'BANK-1',
      readerId: reader.id,
    });
    // Created for the terminal, so sent to it at once, without the gateway.
    expect(created).toMatchObject({ status: 'in_progress', chargedBy: 'terminal', readerId: reader.id });
    expect(created).not.toHaveProperty('notSent');
    expect(created.transactionId).toMatch(/^trm_/);

    // A refused card: the payment stays open for another.
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id, cardNumber: '4000000000000077' });

    const declined = await t.waitForPayment(created.id, (p) => p.status === 'pending' && p.decline !== null);
    expect(declined.decline?.code).toBe('insufficient_funds');
    expect(declined.next).toEqual(['send_to_reader', 'cancel']);

    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    const paid = await t.waitForPayment(created.id, (p) => p.status === 'succeeded');
    expect(paid).toMatchObject({ amountCaptured: 2000, card: { brand: 'visa', last4: '4242' }, next: ['refund'] });
    expect(paid.authCode).toMatch(/^[A-Z0-9]{6}$/);
    expect(await ledgerCount(t)).toBe(before);
    // A simulated terminal moves no money, on the shop's bank or not: its test receipt says so.
    const receipt = await t.call('receipts.render', { paymentId: created.id, format: 'text', width: 42 });
    expect(receipt.content.match(/TEST MODE — NO MONEY MOVED/g)).toHaveLength(2);
    expect(receipt.content).not.toContain('CHARGED BY');
    // No gateway charged it: the receipt names the terminal, and the till's trm_… as the terminal's
    // reference (found by a tester: "Gateway ref trm_…").
    expect(receipt.content).toMatch(/^Via +Terminal \(shop's bank\)$/m);
    expect(receipt.content).toMatch(/^Terminal ref +trm_\S+$/m);
    expect(receipt.content).not.toMatch(/^Gateway/m);
    // Nor does the day's X report that counts it.
    const x = await t.call('reports.x', {});
    expect(x.text.match(/TEST MODE — NO MONEY MOVED/g)).toHaveLength(2);
    expect(await t.call('display.snapshot', {})).toMatchObject({ paymentId: created.id, shopBankTerminal: false });

    // A partial refund: the customer presents the card on the terminal again.
    const refunding = t.host.invoke('payments.refund', { paymentId: created.id, amount: 500 });
    await waitFor(
      async () => (await t.host.invoke('simulate.presentCard', { readerId: reader.id })).ok,
      5_000,
      'the terminal waiting for the card to credit',
    );
    const refunded = await refunding;
    expect(refunded.ok && refunded.value).toMatchObject({ status: 'partially_refunded', amountRefunded: 500 });
    expect(await ledgerCount(t)).toBe(before);

    // It is listed among the terminal's payments, with its refund.
    const page = await t.call('transactions.list', { source: 'terminal' });
    expect(page.data.map((row) => row.orderReference)).toEqual(['BANK-1']);
    const detail = await t.call('transactions.get', { transactionId: paid.transactionId! });
    expect(detail.transaction).toMatchObject({ status: 'partially_refunded', paymentMethodType: 'terminal' });
    expect(detail.refunds).toEqual([expect.objectContaining({ amount: 500, status: 'succeeded' })]);
    // The gateway's own list does not have it.
    const gatewayPage = await t.call('transactions.list', { search: 'BANK-1' });
    expect(gatewayPage.data).toEqual([]);
  });

  it("a refund on the terminal keeps the cashier's reason; shares of a split are refused", async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    const paid = await paidOnTerminal(t, reader.id, 3000);

    // A terminal payment has no shares: naming one is an error, and the terminal is not asked.
    expect(
      await t.fail('payments.refund', {
        paymentId: paid.id,
        amount: 500,
        splits: [{ splitId: 'spl_1', amount: 500 }],
      }),
    ).toMatchObject({ code: 'validation', issues: [{ path: 'splits' }] });
    // More than was paid: the refund form shows the field's message, in money, never in cents.
    expect((await t.fail('payments.refund', { paymentId: paid.id, amount: 3500 })).issues).toEqual([
      {
        path: 'amount',
        message: expect.stringMatching(/^The refund amount can be at most €30\.00, what is left to refund\.$/),
      },
    ]);

    const refunding = t.host.invoke('payments.refund', { paymentId: paid.id, amount: 500, reason: 'Broken cup' });
    await waitFor(
      async () => (await t.host.invoke('simulate.presentCard', { readerId: reader.id })).ok,
      5_000,
      'the terminal waiting for the card to credit',
    );
    expect(await refunding).toMatchObject({ ok: true, value: { amountRefunded: 500 } });
    const detail = await t.call('transactions.get', { transactionId: paid.transactionId! });
    expect(detail.refunds).toEqual([
      expect.objectContaining({ amount: 500, reason: 'credited on the terminal: Broken cup' }),
    ]);
  });

  it('a terminal payment with nothing left, still "succeeded", is refused as nothing left, nothing journaled', async () => {
    // The refund checks the money, not only the status: a journal whose refunded amount reached the captured
    // one while the status still says succeeded (written here directly) is refused in the same words as a
    // gateway payment's, never as "at most €0.00", and no refund is journaled.
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'pos-standalone-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestHost({ sandbox, dataDir });
    const paid = await paidOnTerminal(first, (await standaloneReader(first)).id, 2000);
    await first.close();
    const db = new Database(join(dataDir, 'journal.db'));
    db.prepare('UPDATE payments SET amount_refunded = amount_captured WHERE id = ?').run(paid.id);
    db.close();

    const t = await startTestHost({ sandbox, dataDir });
    cleanup.push(() => t.close());
    expect((await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.id === paid.id)).toMatchObject({
      status: 'succeeded',
      chargedBy: 'terminal',
      amountRefunded: 2000,
    });
    for (const input of [{ paymentId: paid.id }, { paymentId: paid.id, amount: 500 }])
      expect(await t.fail('payments.refund', input)).toEqual({
        code: 'conflict',
        message: 'Nothing is left to refund: €20.00 was refunded already.',
      });
    const detail = await t.call('transactions.get', { transactionId: paid.transactionId! });
    expect(detail.refunds).toEqual([]);
  });

  it('keeps gateway payments and terminal payments apart, and cancels before the card', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    const viaGateway = await t.call('payments.create', { amount: 1500, currency: 'EUR' });
    expect((await t.fail('payments.process', { paymentId: viaGateway.id, readerId: reader.id })).message).toMatch(
      /shop's own bank/,
    );
    const onTerminal = await t.call('payments.create', { amount: 1500, currency: 'EUR', readerId: reader.id });
    await t.call('payments.process', { paymentId: onTerminal.id, readerId: reader.id });
    await t.waitForPayment(onTerminal.id, (p) => p.readerStage === 'waiting_for_card');
    const canceled = await t.call('payments.cancel', { paymentId: onTerminal.id });
    expect(canceled.status).toBe('canceled');
    // Manual capture and pay by link are the gateway's.
    expect(
      await t.fail('payments.create', { amount: 1500, currency: 'EUR', readerId: reader.id, captureMethod: 'manual' }),
    ).toMatchObject({ code: 'validation', issues: [{ path: 'captureMethod' }] });
    // The terminal's amount field carries eight digits: more is refused before anything is journaled.
    const before = (await t.call('payments.list', { filter: 'all', limit: 100 })).length;
    expect(
      await t.fail('payments.create', { amount: 100_000_000, currency: 'EUR', readerId: reader.id }),
    ).toMatchObject({
      code: 'validation',
      issues: [{ path: 'amount', message: 'at most €999,999.99 on a terminal' }],
    });
    expect((await t.call('payments.list', { filter: 'all', limit: 100 })).length).toBe(before);
  });

  it('Esc right after Enter, the cancel on the bridge before its create: the terminal is never asked', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    const ask = { requestId: 'req_bank2abcdefgh', orderReference: 'BANK-2' };
    expect(await t.call('payments.cancelCreate', ask)).toBeNull();
    const created = await t.call('payments.create', { amount: 1600, currency: 'EUR', readerId: reader.id, ...ask });
    expect(created).toMatchObject({ status: 'canceled', chargedBy: 'terminal', readerId: null });
    // The terminal is free, not asking for a card: the next sale goes to it.
    const next = await t.call('payments.create', { amount: 1700, currency: 'EUR', readerId: reader.id });
    await t.waitForPayment(next.id, (p) => p.readerStage === 'waiting_for_card');
    expect((await t.call('payments.cancel', { paymentId: next.id })).status).toBe('canceled');
  });

  it('a terminal collecting one payment refuses another; the first stays on it', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    const first = await t.call('payments.create', { amount: 2000, currency: 'EUR', readerId: reader.id });
    await t.waitForPayment(first.id, (p) => p.readerStage === 'waiting_for_card');

    // Created for the same terminal: the payment is made, but not sent, and the cashier is told why.
    const second = await t.call('payments.create', { amount: 700, currency: 'EUR', readerId: reader.id });
    expect(second).toMatchObject({ status: 'pending', notSent: { code: 'conflict' } });
    expect(second.notSent?.message).toMatch(/busy with another payment \(€20\.00, order /);
    expect((await t.fail('payments.process', { paymentId: second.id, readerId: reader.id })).message).toMatch(
      /busy with another payment/,
    );

    // The customer at the terminal is still paying the first one, which nothing took off it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await t.call('simulate.presentCard', { readerId: reader.id });
    expect(await t.waitForPayment(first.id, (p) => p.status !== 'in_progress')).toMatchObject({
      status: 'succeeded',
      decline: null,
    });
    // Then the second one goes to the terminal.
    await t.call('payments.process', { paymentId: second.id, readerId: reader.id });
    await t.waitForPayment(second.id, (p) => p.readerStage === 'waiting_for_card');
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(second.id, (p) => p.status === 'succeeded');
  });

  it('a payment sent to the terminal while it makes a refund is collected once the refund is done', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    const paid = await paidOnTerminal(t, reader.id, 2000);

    // The terminal waits for the card to credit; meanwhile the next customer's payment is sent.
    const refunding = t.host.invoke('payments.refund', { paymentId: paid.id, amount: 500 });
    await crediting(t, reader.id);
    const next = await t.call('payments.create', { amount: 700, currency: 'EUR', readerId: reader.id });
    expect(next).toMatchObject({ status: 'in_progress', readerStage: 'sent' });
    await t.call('simulate.presentCard', { readerId: reader.id });
    expect(await refunding).toMatchObject({ ok: true, value: { status: 'partially_refunded', amountRefunded: 500 } });

    // Longer than a long poll (2 s here): the terminal must not wait for one to notice it.
    const collecting = await t.waitForPayment(next.id, (p) => p.readerStage === 'waiting_for_card', 1_500);
    expect(collecting).toMatchObject({ status: 'in_progress', amount: 700 });
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(next.id, (p) => p.status === 'succeeded');
  });

  it('a terminal making a refund is neither forgotten, rewired nor restarted under it', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    const paid = await paidOnTerminal(t, reader.id, 2000);

    const refunding = t.host.invoke('payments.refund', { paymentId: paid.id, amount: 800 });
    await crediting(t, reader.id);
    // Each of these would close the terminal or its link while it waits for the card to credit.
    expect(await t.fail('readers.forget', { readerId: reader.id })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/making a refund/),
    });
    expect(await t.fail('readers.configure', { readerId: reader.id, standalone: false })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/making a refund/),
    });
    expect(
      await t.fail('settings.update', { mode: 'live', apiBaseUrl: 'https://127.0.0.1:9', embeddedSandbox: false }),
    ).toMatchObject({ code: 'conflict', message: expect.stringMatching(/making a refund/) });
    expect((await t.call('settings.get', {})).mode).toBe('test');

    await t.call('simulate.presentCard', { readerId: reader.id });
    expect(await refunding).toMatchObject({ ok: true, value: { status: 'partially_refunded', amountRefunded: 800 } });
    expect(await t.call('attention.list', {})).toEqual([]);
    // Once it is done, the terminal can be rewired again.
    expect(await t.call('readers.configure', { readerId: reader.id, standalone: false })).toMatchObject({
      standalone: false,
    });
  });

  it('a tip chosen on a terminal payment, then straight to the terminal', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    await t.call('settings.update', { tipping: true });
    const reader = await standaloneReader(t);
    const waiting = await t.call('payments.create', {
      amount: 1000,
      currency: 'EUR',
      askTip: true,
      readerId: reader.id,
    });
    expect(waiting).toMatchObject({ status: 'creating', tip: { state: 'awaiting' }, chargedBy: 'terminal' });
    await t.call('payments.setTip', { paymentId: waiting.id, tip: { kind: 'percent', percent: 10 } });
    await t.waitForPayment(waiting.id, (p) => p.readerStage === 'waiting_for_card' && p.amount === 1100);
    await t.call('simulate.presentCard', { readerId: reader.id });
    expect(await t.waitForPayment(waiting.id, (p) => p.status === 'succeeded')).toMatchObject({
      amountCaptured: 1100,
      tip: { amount: 100, percent: 10 },
    });
  });

  it('a reader a payment waits on for its tip is not switched between the bank and the gateway', async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    await t.call('settings.update', { tipping: true });
    const reader = await standaloneReader(t);
    const waiting = await t.call('payments.create', {
      amount: 1000,
      currency: 'EUR',
      askTip: true,
      readerId: reader.id,
    });
    // Switched to the gateway, the terminal could not take the payment once the tip is chosen.
    expect(await t.fail('readers.configure', { readerId: reader.id, standalone: false })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/waiting for the customer's tip \(€10\.00, order /),
    });
    await t.call('customer.chooseTip', { paymentId: waiting.id, tip: { kind: 'percent', percent: 10 } });
    await t.waitForPayment(waiting.id, (p) => p.readerStage === 'waiting_for_card' && p.amount === 1100);
    await t.call('simulate.presentCard', { readerId: reader.id });
    await t.waitForPayment(waiting.id, (p) => p.status === 'succeeded');

    // The other way: a gateway payment waiting for its tip keeps its reader on the gateway.
    await t.call('readers.configure', { readerId: reader.id, standalone: false });
    await waitFor(
      async () => (await t.call('readers.list', {})).find((r) => r.id === reader.id && r.status === 'online'),
      5_000,
      'the reader online on the gateway',
    );
    const viaGateway = await t.call('payments.create', {
      amount: 2000,
      currency: 'EUR',
      askTip: true,
      readerId: reader.id,
    });
    expect(viaGateway).toMatchObject({ chargedBy: 'gateway', tip: { state: 'awaiting' } });
    expect((await t.fail('readers.configure', { readerId: reader.id, standalone: true })).message).toMatch(
      /waiting for the customer's tip/,
    );
    // Once it is canceled, the reader is free to switch.
    await t.call('payments.cancel', { paymentId: viaGateway.id });
    expect(await t.call('readers.configure', { readerId: reader.id, standalone: true })).toMatchObject({
      standalone: true,
    });
  });

  it("a tip that takes the total past the terminal's 8 digits is refused, the payment still waiting for it", async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    await t.call('settings.update', { tipping: true });
    const reader = await standaloneReader(t);
    const waiting = await t.call('payments.create', {
      amount: 99_999_000,
      currency: 'EUR',
      askTip: true,
      readerId: reader.id,
    });
    const refused = await t.fail('payments.setTip', { paymentId: waiting.id, tip: { kind: 'custom', amount: 1_000 } });
    expect(refused).toMatchObject({ code: 'validation', message: expect.stringMatching(/at most €999,999\.99/) });
    expect(await t.waitForPayment(waiting.id, () => true)).toMatchObject({
      status: 'creating',
      amount: 99_999_000,
      tip: { state: 'awaiting' },
    });
    await t.call('payments.setTip', { paymentId: waiting.id, tip: { kind: 'custom', amount: 999 } });
    await t.waitForPayment(waiting.id, (p) => p.readerStage === 'waiting_for_card' && p.amount === 99_999_999);
  });

  it('a terminal that goes silent with the card: unknown, in Needs attention, settled from its ticket', async () => {
    const t = await startTestHost({ tuning: { collectTimeoutMs: 300, answerGraceMs: 200 } });
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    await t.call('simulate.setFault', { readerId: reader.id, fault: 'no_answer' });
    const created = await t.call('payments.create', { amount: 3000, currency: 'EUR', readerId: reader.id });
    await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
    const unknown = await t.waitForPayment(created.id, (p) => p.status === 'unknown');
    expect(unknown.attention?.reason).toMatch(/did not answer/);
    // Nothing asks a terminal on the shop's bank again: the advice is its ticket, not a reconnect.
    expect(unknown.attention?.advice).toMatch(/^Check the terminal's last ticket, then say here whether/);
    expect(unknown.attention?.advice).not.toMatch(/ask the reader again|when it reconnects/);
    expect((await t.fail('payments.cancel', { paymentId: created.id })).message).toMatch(/last ticket/);
    expect(t.events.filter((e) => e.type === 'readers').at(-1)).toBeDefined();
    // The cashier reads the terminal's ticket: it was charged.
    const settled = await t.call('attention.resolve', { paymentId: created.id, resolution: 'charged' });
    expect(settled).toMatchObject({ status: 'succeeded', amountCaptured: 3000, attention: null });
    expect((await t.call('attention.list', {})).map((a) => a.paymentId)).not.toContain(created.id);
    // The Readers screen hears of it: the terminal no longer holds a payment "outcome not known"
    // (found in Chromium: it kept saying so, and "do not charge again", after the cashier settled it).
    const lastReaders = () =>
      t.events
        .filter((e) => e.type === 'readers')
        .at(-1)
        ?.readers.find((r) => r.id === reader.id);
    expect(lastReaders()?.action).toBeNull();
  });

  it('a refund the terminal never answered: no other refund until its ticket settles it, credited or not', async () => {
    const t = await startTestHost({ tuning: { collectTimeoutMs: 300, answerGraceMs: 200 } });
    cleanup.push(() => t.close());
    const reader = await standaloneReader(t);
    const created = await paidOnTerminal(t, reader.id, 4000);

    const refundAndLoseTheTerminal = async (amount: number) => {
      await t.call('simulate.setFault', { readerId: reader.id, fault: 'no_answer' });
      const refused = await t.fail('payments.refund', { paymentId: created.id, amount });
      expect(refused.message).toMatch(/did not say whether it credited the card/);
      const [item] = (await t.call('attention.list', {})).filter((a) => a.paymentId === created.id);
      expect(item).toMatchObject({ unsettledRefund: { amount } });
      // Nothing that could credit the card twice, and nothing that forgets the question.
      expect((await t.fail('payments.refund', { paymentId: created.id, amount: 100 })).message).toMatch(
        /may have credited the card/,
      );
      expect((await t.fail('attention.resolve', { paymentId: created.id, resolution: 'dismiss' })).code).toBe(
        'conflict',
      );
      expect((await t.fail('attention.resolve', { paymentId: created.id, resolution: 'charged' })).code).toBe(
        'conflict',
      );
    };

    // The ticket shows no credit: nothing was refunded, and the refund can be made again.
    await refundAndLoseTheTerminal(1500);
    const notCredited = await t.call('attention.resolve', { paymentId: created.id, resolution: 'not_credited' });
    expect(notCredited).toMatchObject({ status: 'succeeded', amountRefunded: 0, attention: null });
    expect((await t.call('attention.list', {})).map((a) => a.paymentId)).not.toContain(created.id);

    // Again, and this time the ticket shows the credit: the journal records the refund as made.
    await refundAndLoseTheTerminal(1500);
    const credited = await t.call('attention.resolve', { paymentId: created.id, resolution: 'credited' });
    expect(credited).toMatchObject({ status: 'partially_refunded', amountRefunded: 1500, attention: null });
    expect((await t.fail('attention.resolve', { paymentId: created.id, resolution: 'credited' })).code).toBe(
      'conflict',
    );
    // The rest can be refunded on the terminal as usual.
    const refunding = t.host.invoke('payments.refund', { paymentId: created.id });
    await waitFor(
      async () => (await t.host.invoke('simulate.presentCard', { readerId: reader.id })).ok,
      5_000,
      'the terminal waiting for the card to credit',
    );
    const rest = await refunding;
    expect(rest.ok && rest.value).toMatchObject({ status: 'refunded', amountRefunded: 4000 });
  });

  it('a payment the app was killed while collecting: unknown at the restart, never canceled as "no money taken"', async () => {
    const { first, killNow } = await killableTill();
    const reader = await standaloneReader(first);
    const created = await first.call('payments.create', { amount: 4100, currency: 'EUR', readerId: reader.id });
    await first.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    // Killed while the terminal has the amount.
    const second = await killNow();
    const [payment] = (await second.call('payments.list', { filter: 'attention', limit: 5 })).filter(
      (p) => p.id === created.id,
    );
    expect(payment).toMatchObject({ status: 'unknown' });
    expect(payment!.attention?.reason).toMatch(/app stopped while the reader was collecting/);
    expect(payment!.attention?.advice).toMatch(/^Check the terminal's last ticket/);
    expect((await second.fail('payments.cancel', { paymentId: created.id })).message).toMatch(/last ticket/);
    const settled = await second.call('attention.resolve', { paymentId: created.id, resolution: 'not_charged' });
    expect(settled.status).not.toBe('unknown');
  });

  it('a refund the app was killed during: settled from the ticket after the restart', async () => {
    const { first, killNow } = await killableTill();
    const reader = await standaloneReader(first);
    const created = await first.call('payments.create', { amount: 2500, currency: 'EUR', readerId: reader.id });
    await first.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
    await first.call('simulate.presentCard', { readerId: reader.id });
    await first.waitForPayment(created.id, (p) => p.status === 'succeeded');
    // The terminal has the refund and waits for the card; the journal has the refund as sent.
    void first.host.invoke('payments.refund', { paymentId: created.id, amount: 1000 });
    const second = await killNow((journal) =>
      waitFor(
        () => journal.prepare("SELECT 1 FROM operations WHERE kind = 'refund' AND state = 'pending'").get(),
        5_000,
        'the refund journaled as sent',
      ),
    );
    const [item] = (await second.call('attention.list', {})).filter((a) => a.paymentId === created.id);
    expect(item).toMatchObject({ reason: expect.stringMatching(/app stopped/), unsettledRefund: { amount: 1000 } });
    expect((await second.fail('payments.refund', { paymentId: created.id, amount: 500 })).code).toBe('conflict');
    const credited = await second.call('attention.resolve', { paymentId: created.id, resolution: 'credited' });
    expect(credited).toMatchObject({ status: 'partially_refunded', amountRefunded: 1000, attention: null });
  });
});
