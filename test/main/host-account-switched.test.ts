/**
 * A payment made on the shop's own PlutoPay account after the shop types another account's URL and key
 * in Settings (same mode). Two sandboxes on loopback stand in for the two accounts. The new key cannot
 * see the payment: its 404 was taken as "not made" and the create sent again to the new account, a
 * second payment while the customer could still pay the first. The payment keeps the account its
 * create went to: it is never read nor made with another's keys, waits in Needs attention saying which
 * account to put back, and is read at once when it is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { maskKey } from '../../main/core/masking';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startGatewayProxy } from '../support/gateway-proxy';
import { startTestHost, waitFor, type TestHost } from '../support/host';

describe('a payment made on the shop’s own account, once Settings names another one', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** Recovery, started by the switch or the start, has gone through every payment it reads. */
  const recovered = (t: TestHost) =>
    waitFor(async () => (await t.call('session.snapshot', {})).connectivity.recovering === null, 5_000, 'recovery');

  /** The payments a till made on an account (its own seeded demo payments left out). */
  const tillPaymentsOn = async (account: RunningSandbox) => {
    const response = await fetch(`${account.url}/v1/transactions?size=100`, {
      headers: { Authorization: `Bearer ${account.secret_key}` },
    });
    const { data } = (await response.json()) as { data: { id: string; metadata: Record<string, string> | null }[] };
    return data.filter((payment) => payment.metadata?.pos_payment_id !== undefined).map((payment) => payment.id);
  };

  const useAccount = async (t: TestHost, account: RunningSandbox) => {
    await t.call('settings.update', { embeddedSandbox: false, apiBaseUrl: account.url, secretKey: account.secret_key });
    await recovered(t);
  };

  /** A PlutoPay account of the shop's own: a sandbox of its own on loopback. */
  const anAccount = async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    return sandbox;
  };

  /** Two accounts, and a till on one data directory that can be started (again) on the first. */
  const twoAccountsOnDisk = async () => {
    const first = await anAccount();
    const second = await anAccount();
    const dataDir = mkdtempSync(join(tmpdir(), 'host-account-switched-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const start = async () => {
      const t = await startTestHost({ sandbox: first, dataDir });
      cleanup.push(() => t.close());
      return t;
    };
    return { first, second, start, dataDir };
  };

  /**
   * A till on the shop's own account (`first`, behind a relay) whose create of `amount` was taken there
   * but its answer lost, the account out of reach since; `second` is the account Settings names next.
   */
  const lostCreateOnFirst = async (amount: number, orderReference: string) => {
    const first = await anAccount();
    const relay = await startGatewayProxy(first.url);
    cleanup.push(() => relay.close());
    const second = await anAccount();
    const t = await startTestHost({ sandbox: first });
    cleanup.push(() => t.close());
    const onFirst = { ...first, url: relay.url } as RunningSandbox;
    await useAccount(t, onFirst);
    const losing = relay.loseAnswer({
      matches: (method, path) => method === 'POST' && path === '/v1/terminal/create-payment',
      fate: 'taken',
    });
    void t.host.invoke('payments.create', { amount, currency: 'EUR', orderReference });
    await losing;
    relay.down();
    const made = await tillPaymentsOn(first);
    const payment = await waitFor(
      async () =>
        (await t.call('payments.list', { filter: 'all', limit: 10 })).find((p) => p.orderReference === orderReference),
      5_000,
      'the payment',
    );
    return { first, onFirst, relay, second, t, made, payment };
  };

  it('is never read nor made again with the new key, across a restart, and says which account to put back', async () => {
    const { first, second, start } = await twoAccountsOnDisk();

    const before = await start();
    await useAccount(before, first);
    const link = await before.call('payments.create', { amount: 900, currency: 'EUR', channel: 'link' });
    expect(link).toMatchObject({ status: 'pending', transactionId: expect.any(String) });
    expect(await tillPaymentsOn(first)).toEqual([link.transactionId]);

    // Settings names the other account (same mode), and the till starts again: recovery runs twice.
    await useAccount(before, second);
    await before.close();
    const t = await start();
    await recovered(t);

    // Nothing was made on either account, and the payment is kept as it was.
    expect(await tillPaymentsOn(second)).toEqual([]);
    expect(await tillPaymentsOn(first)).toEqual([link.transactionId]);
    const kept = (await t.call('payments.list', { filter: 'all', limit: 10 })).find((p) => p.id === link.id)!;
    expect(kept).toMatchObject({ status: 'pending', transactionId: link.transactionId });
    expect((await t.call('payments.list', { filter: 'all', limit: 10 })).map((p) => p.id)).toEqual([link.id]);

    const made = `the account at ${first.url} with the key ${maskKey(first.secret_key)}`;
    const now = `the account at ${second.url} with the key ${maskKey(second.secret_key)}`;
    const why = `This payment was made on PlutoPay ${made}, and the till now uses ${now}, which cannot see it`;
    const fix = `Put back the URL ${first.url} and the key ${maskKey(first.secret_key)} in Settings (F7)`;
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === link.id)).toMatchObject({
      otherAccount: true,
      reason: `${why}, so the till does not read it and cannot tell how it ended.`,
      advice: `${fix} to follow it. Do not take this order's money again another way before it is read there: it may have been paid. If that key was rolled or the account closed, check the payment on that account's dashboard and record here whether it was charged.`,
      settleElsewhere: true,
    });
    // Neither read nor settled from here: each says which account to put back.
    const refused = { code: 'conflict', message: `${why}. ${fix} to act on it.` };
    expect(await t.fail('attention.retry', { paymentId: link.id })).toMatchObject(refused);
    expect(await t.fail('attention.resolve', { paymentId: link.id, resolution: 'dismiss' })).toMatchObject(refused);
    expect(await t.fail('payments.cancel', { paymentId: link.id })).toMatchObject(refused);
    expect(await tillPaymentsOn(second)).toEqual([]);
    // The new account was never asked about it.
    const log = await t.call('devlog.list', { limit: 500 });
    expect(log.filter((e) => e.summary.includes(link.transactionId!) && e.summary.includes('404'))).toEqual([]);

    // The customer pays the link on the first account meanwhile; back on it, the till reads it at once.
    await useAccount(t, first);
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === link.id)).toBeUndefined();
    await t.call('simulate.payLink', { paymentId: link.id, cardNumber: '4242424242424242' });
    const settled = await t.waitForPayment(link.id, (p) => p.status === 'succeeded');
    expect(settled.transactionId).toBe(link.transactionId);
    expect(await tillPaymentsOn(second)).toEqual([]);
    expect(await tillPaymentsOn(first)).toEqual([link.transactionId]);
  });

  it('an address an older version kept with a password names the same account without it, never shown', async () => {
    // Found in a security review: Settings now takes the password out of such an address at start,
    // and the payments made with it kept the address whole as their account's name. They were taken
    // for another account's (Needs attention, the password in the address to put back).
    const { first, start, dataDir } = await twoAccountsOnDisk();
    const before = await start();
    await useAccount(before, first);
    const link = await before.call('payments.create', { amount: 900, currency: 'EUR', channel: 'link' });
    await before.close();
    const withPassword = first.url.replace('://', '://shop:SEEDEDPASS@');
    const db = new Database(join(dataDir, 'journal.db'));
    db.prepare(`UPDATE payments SET gateway_account = replace(gateway_account, ?, ?)`).run(first.url, withPassword);
    db.prepare(`UPDATE settings SET value = ? WHERE key = 'apiBaseUrl'`).run(JSON.stringify(withPassword));
    db.close();

    const t = await start();
    await recovered(t);
    expect((await t.call('settings.get', {})).apiBaseUrl).toBe(first.url);
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === link.id)).toBeUndefined();
    await t.call('simulate.payLink', { paymentId: link.id, cardNumber: '4242424242424242' });
    expect((await t.waitForPayment(link.id, (p) => p.status === 'succeeded')).transactionId).toBe(link.transactionId);
    const shown = [await t.call('attention.list', {}), await t.call('devlog.list', { limit: 500 }), t.events];
    expect(JSON.stringify(shown)).not.toContain('SEEDEDPASS');
  });

  it('a create whose answer was lost is never sent to the new account: it is found on its own when it is back', async () => {
    const { first, onFirst, relay, second, t, made, payment } = await lostCreateOnFirst(1300, 'LOST-1');
    expect(made).toHaveLength(1);
    expect(payment.transactionId).toBeNull();

    await useAccount(t, second);
    expect(await tillPaymentsOn(second)).toEqual([]);
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === payment.id)).toMatchObject({
      otherAccount: true,
      reason: expect.stringContaining(`the account at ${relay.url} with the key ${maskKey(first.secret_key)}`),
    });

    // Back on the first account, the create sent again with its key finds the payment it made.
    relay.up();
    await useAccount(t, onFirst);
    const found = await t.waitForPayment(payment.id, (p) => p.transactionId !== null);
    expect(found.transactionId).toBe(made[0]);
    expect(await tillPaymentsOn(first)).toEqual(made);
    expect(await tillPaymentsOn(second)).toEqual([]);
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === payment.id)).toBeUndefined();
  });

  it('the first account’s key rolled: the cashier records what its dashboard shows, and nothing is read or sent', async () => {
    const { first, second, start } = await twoAccountsOnDisk();
    const before = await start();
    await useAccount(before, first);
    const paid = await before.call('payments.create', { amount: 1500, currency: 'EUR', channel: 'link' });
    const unpaid = await before.call('payments.create', { amount: 2500, currency: 'EUR', channel: 'link' });
    // The shop rolls the first account's key and types the new account's: both links are unread since.
    await useAccount(before, second);
    await before.close();
    const t = await start();
    await recovered(t);
    const items = await t.call('attention.list', {});
    expect(items.filter((a) => a.settleElsewhere).map((a) => a.paymentId)).toEqual([unpaid.id, paid.id]);

    // What is missing, or an id that is not this payment's on that account, is refused: nothing recorded.
    expect(await t.fail('attention.resolve', { paymentId: paid.id, resolution: 'charged', by: 'Ann' })).toMatchObject({
      code: 'validation',
      issues: [{ path: 'gatewayPaymentId' }],
    });
    expect(
      await t.fail('attention.resolve', { paymentId: unpaid.id, resolution: 'not_charged', reason: 'unpaid' }),
    ).toMatchObject({ code: 'validation', issues: [{ path: 'by' }] });
    expect(
      await t.fail('attention.resolve', {
        paymentId: paid.id,
        resolution: 'charged',
        gatewayPaymentId: unpaid.transactionId!,
        by: 'Ann',
      }),
    ).toMatchObject({ code: 'conflict', message: expect.stringContaining(`is already payment ${unpaid.id}`) });
    expect(
      await t.fail('attention.resolve', {
        paymentId: paid.id,
        resolution: 'charged',
        gatewayPaymentId: 'tx_9',
        by: 'A',
      }),
    ).toMatchObject({ code: 'validation', issues: [{ path: 'gatewayPaymentId' }] });
    expect((await t.call('attention.list', {})).filter((a) => a.settleElsewhere)).toHaveLength(2);

    // The owner read the old account's dashboard: the first was charged, the second never paid.
    const charged = await t.call('attention.resolve', {
      paymentId: paid.id,
      resolution: 'charged',
      gatewayPaymentId: paid.transactionId!,
      by: 'Ann (owner)',
    });
    expect(charged).toMatchObject({ status: 'succeeded', transactionId: paid.transactionId, attention: null });
    // Nothing the till would refuse is offered: no Refund button on it here.
    expect(charged.next).toEqual([]);
    const notCharged = await t.call('attention.resolve', {
      paymentId: unpaid.id,
      resolution: 'not_charged',
      reason: 'link shows unpaid, expired',
      by: 'Ann (owner)',
    });
    expect(notCharged).toMatchObject({ status: 'failed', attention: null });
    const ids = [paid.id, unpaid.id];
    expect((await t.call('attention.list', {})).filter((a) => ids.includes(a.paymentId))).toEqual([]);

    // Its timeline says who said so, and that the gateway never confirmed it.
    const { timeline, refundNotHere } = await t.call('transactions.get', { transactionId: paid.id });
    // Its details offer no refund form, and say why.
    expect(refundNotHere).toMatch(/refund it on that account's dashboard/);
    expect(timeline.at(-1)).toMatchObject({
      event: 'cashier_settled_elsewhere',
      detail: expect.stringMatching(
        new RegExp(
          `^Ann \\(owner\\): charged on PlutoPay the account at .*\\(payment ${paid.transactionId}\\).*not verified with the gateway`,
        ),
      ),
    });
    const other = await t.call('transactions.get', { transactionId: unpaid.id });
    expect(other.timeline.at(-1)).toMatchObject({
      event: 'cashier_settled_elsewhere',
      detail: expect.stringContaining('not charged on PlutoPay the account at'),
    });

    // No refund through the till: that account's dashboard does it.
    const refused = await t.fail('payments.refund', { paymentId: paid.id });
    // Nothing about either was asked of any gateway since this start: the cashier's word is all.
    const asked = await t.call('devlog.list', { limit: 500 });
    for (const id of [paid.transactionId!, unpaid.transactionId!])
      expect(asked.filter((e) => e.summary.includes(id))).toEqual([]);
    expect(refused).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining("refund it on that account's dashboard"),
    });

    // Across a restart it stays settled, out of Needs attention; nothing was made or asked on the new account.
    await t.close();
    const after = await start();
    await recovered(after);
    expect((await after.call('attention.list', {})).filter((a) => ids.includes(a.paymentId))).toEqual([]);
    const list = await after.call('payments.list', { filter: 'all', limit: 10 });
    expect(list.find((p) => p.id === paid.id)).toMatchObject({ status: 'succeeded' });
    expect(list.find((p) => p.id === unpaid.id)).toMatchObject({ status: 'failed' });
    expect(await tillPaymentsOn(second)).toEqual([]);
    const log = await after.call('devlog.list', { limit: 500 });
    for (const id of [paid.transactionId!, unpaid.transactionId!])
      expect(log.filter((e) => e.summary.includes(id))).toEqual([]);
  });

  it('a lost create said not charged on a rolled account is failed, never sent again, and found once it is back', async () => {
    const { first, onFirst, relay, second, t, made, payment } = await lostCreateOnFirst(1700, 'ROLLED-1');
    await useAccount(t, second);
    /** The creates the till has sent, to whichever account. */
    const creates = async () =>
      (await t.call('devlog.list', { limit: 500 })).filter((e) =>
        e.summary.startsWith('POST /v1/terminal/create-payment'),
      ).length;
    const sent = await creates();

    const settled = await t.call('attention.resolve', {
      paymentId: payment.id,
      resolution: 'not_charged',
      reason: 'not on the dashboard',
      by: 'Sam',
    });
    expect(settled).toMatchObject({ status: 'failed', transactionId: null, attention: null });
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === payment.id)).toBeUndefined();
    const { timeline } = await t.call('transactions.get', { transactionId: payment.id });
    expect(timeline.at(-1)).toMatchObject({
      event: 'cashier_settled_elsewhere',
      detail: expect.stringMatching(/^Sam: not charged on PlutoPay .*\(not on the dashboard\); not verified/),
    });

    // That account back after all: the till looks for the create there (never sends it) and finds it,
    // since that account took it: it is taken in as this payment and the cashier is told. (PlutoPay's
    // look-up read nothing for a reader payment, so it stayed failed: a charge never seen.)
    relay.up();
    await useAccount(t, onFirst);
    expect(made).toHaveLength(1);
    expect(
      (await t.call('payments.list', { filter: 'all', limit: 10 })).find((p) => p.id === payment.id),
    ).toMatchObject({ transactionId: made[0], status: 'pending' });
    expect((await t.call('attention.list', {})).find((a) => a.paymentId === payment.id)?.reason).toMatch(
      /recorded as not made, but PlutoPay has it after all/,
    );
    // Then another switch: the create is sent to neither account.
    await useAccount(t, second);
    expect(await creates()).toBe(sent);
    expect(await tillPaymentsOn(first)).toEqual(made);
    expect(await tillPaymentsOn(second)).toEqual([]);
  });
});
