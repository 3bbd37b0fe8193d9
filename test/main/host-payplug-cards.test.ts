/**
 * Saved PayPlug cards past their expiry: never offered nor charged, and a create PayPlug refused
 * without making a payment is no decline in the reports and nothing the gateway is expected to have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { FakeClock } from '../support/fake-clock';
import { waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill, ShiftedClock } from '../support/payplug';
import { startRewritingProxy } from '../support/proxy';

const ada = { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' };
const DAY = 86_400_000;

/** Ada pays a link with "save my card" ticked, her card expiring at the end of `exp`. */
async function saveAdasCard(t: TestHost, exp: { month: number; year: number }) {
  const first = await t.call('payments.create', { amount: 2000, currency: 'EUR', saveCard: true, customer: ada });
  await payplug(t, 'POST', `/_sandbox/payments/${first.transactionId}/pay`, {
    card_number: '4242424242424242',
    exp_month: exp.month,
    exp_year: exp.year,
    save_card: true,
  });
  await t.waitForPayment(first.id, (p) => p.status === 'succeeded', 5_000);
  return waitFor(async () => (await t.call('savedCards.list', { customer: ada.email }))[0], 5_000, 'the saved card');
}

describe('saved PayPlug cards', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('an expired card is shown as such and refused by the till, leaving no payment behind', async () => {
    const clock = new ShiftedClock();
    const t = await payplugTill(undefined, { clock });
    cleanup.push(() => t.close());
    const year = new Date(clock.now()).getUTCFullYear() + 1;
    const card = await saveAdasCard(t, { month: 1, year });
    expect(card).toMatchObject({ expires: `01/${year}`, unusable: null });
    // February of that year: the card has expired.
    clock.offsetMs = Date.UTC(year, 1, 3) - Date.now();
    const [expired] = await t.call('savedCards.list', { customer: ada.email });
    expect(expired!.unusable).toMatch(/^The saved visa •••• 4242 expired at the end of 01\/\d{4}: it can no longer/);
    const before = (await t.call('payments.list', { filter: 'all', limit: 50 })).length;
    const refused = await t.fail('payments.create', {
      amount: 1600,
      currency: 'EUR',
      customer: ada,
      savedCardId: card.cardId,
    });
    expect(refused).toMatchObject({
      code: 'validation',
      message: expired!.unusable,
      issues: [{ path: 'savedCardId', message: expired!.unusable }],
    });
    expect(refused.message).not.toMatch(/card_/);
    expect((await t.call('payments.list', { filter: 'all', limit: 50 })).length).toBe(before);
  });

  it('a card id past 15 months is not charged either', async () => {
    const clock = new ShiftedClock();
    const t = await payplugTill(undefined, { clock });
    cleanup.push(() => t.close());
    const card = await saveAdasCard(t, { month: 12, year: new Date(clock.now()).getUTCFullYear() + 5 });
    clock.offsetMs = 16 * 31 * DAY;
    const [old] = await t.call('savedCards.list', { customer: ada.email });
    expect(old!.unusable).toMatch(/more than 15 months ago/);
    expect(
      await t.fail('payments.create', { amount: 1600, currency: 'EUR', customer: ada, savedCardId: card.cardId }),
    ).toMatchObject({ code: 'validation', issues: [{ path: 'savedCardId' }] });
  });

  it('a card PayPlug no longer charges is refused on the card field, and no longer offered', async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await payplugTill(sandbox, { payplugUrl: `${proxy.url}/payplug` });
    cleanup.push(() => t.close());
    const card = await saveAdasCard(t, { month: 12, year: new Date().getUTCFullYear() + 3 });
    // The card was removed at PayPlug (or the account changed): PayPlug refuses its id.
    proxy.answer = (method, path) =>
      method === 'POST' && path === '/payplug/v1/payments'
        ? {
            status: 400,
            body: JSON.stringify({
              object: 'error',
              message: 'Wrong or missing parameters (see details).',
              id: '349c30b00eac11e5a301a8206650bd9f',
              details: { payment_method: `No such card: ${card.cardId}. Use the card id of a saved card.` },
            }),
          }
        : null;
    const refused = await t.fail('payments.create', {
      amount: 1600,
      currency: 'EUR',
      customer: ada,
      savedCardId: card.cardId,
    });
    expect(refused).toMatchObject({ code: 'validation', issues: [{ path: 'savedCardId' }] });
    expect(refused.message).toMatch(/^PayPlug no longer charges the saved visa •••• 4242 .*Pay by link instead/);
    expect(refused.message).not.toMatch(/card_/);
    // Not offered again, and a second try is refused by the till before anything is sent.
    expect(await t.call('savedCards.list', { customer: ada.email })).toEqual([]);
    proxy.answer = () => null;
    expect(
      await t.fail('payments.create', { amount: 1600, currency: 'EUR', customer: ada, savedCardId: card.cardId }),
    ).toMatchObject({ code: 'validation', issues: [{ path: 'savedCardId' }] });
    const ledger = (await payplug(t, 'GET', '/_sandbox/ledger')).json as { payments: { amount: number }[] };
    expect(ledger.payments.map((p) => p.amount)).toEqual([2000]);
  });

  it("a card saved in test mode is neither offered nor charged in live mode (another account's card)", async () => {
    const t = await payplugTill();
    cleanup.push(() => t.close());
    const card = await saveAdasCard(t, { month: 12, year: new Date().getUTCFullYear() + 3 });
    await t.call('settings.update', {
      mode: 'live',
      embeddedSandbox: false,
      payplugApiBaseUrl: 'https://127.0.0.1:9/payplug',
      payplugSecretKey: `sk_live_${'0'.repeat(32)}`,
    });
    expect(await t.call('savedCards.list', { customer: ada.email })).toEqual([]);
    const refused = await t.fail('payments.create', {
      amount: 1600,
      currency: 'EUR',
      customer: ada,
      savedCardId: card.cardId,
    });
    expect(refused).toMatchObject({
      code: 'validation',
      issues: [{ path: 'savedCardId', message: 'this card was saved in test mode: it cannot be charged in live mode' }],
    });
    // Back in test mode, the card is offered again.
    await t.call('settings.update', { mode: 'test', embeddedSandbox: true });
    expect((await t.call('savedCards.list', { customer: ada.email })).map((c) => c.cardId)).toEqual([card.cardId]);
  });

  it('forgetting a card in one mode leaves the other mode’s card of the same id', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pos-cards-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const t = await payplugTill(undefined, { dataDir });
    cleanup.push(() => t.close());
    const card = await saveAdasCard(t, { month: 12, year: new Date().getUTCFullYear() + 3 });
    // The live account handed out the same id for another card of Ada's, saved on this till in live
    // mode. Written as the till's journal would have kept it.
    const db = new Database(join(dataDir, 'journal.db'), { fileMustExist: true });
    try {
      db.prepare(
        `INSERT INTO saved_cards (card_id, gateway, customer, brand, last4, exp_month, exp_year, mode, created_at)
         VALUES (?, 'payplug', ?, 'mastercard', '5555', 12, ?, 'live', ?)`,
      ).run(card.cardId, ada.email, new Date().getUTCFullYear() + 3, new Date().toISOString());
    } finally {
      db.close();
    }
    const live = {
      mode: 'live',
      embeddedSandbox: false,
      payplugApiBaseUrl: 'https://127.0.0.1:9/payplug',
      payplugSecretKey: `sk_live_${'0'.repeat(32)}`,
    };
    const last4s = async () => (await t.call('savedCards.list', { customer: ada.email })).map((c) => c.last4);
    await t.call('settings.update', live);
    expect(await last4s()).toEqual(['5555']);
    await t.call('savedCards.forget', { cardId: card.cardId });
    expect(await last4s()).toEqual([]);
    // The test card is still offered in test mode, and forgetting it there leaves nothing to forget twice.
    await t.call('settings.update', { mode: 'test', embeddedSandbox: true });
    expect(await last4s()).toEqual(['4242']);
    await t.call('savedCards.forget', { cardId: card.cardId });
    expect(await last4s()).toEqual([]);
    expect(await t.fail('savedCards.forget', { cardId: card.cardId })).toMatchObject({ code: 'not_found' });
  });

  it('a create PayPlug refused without making a payment is no decline and not expected at PayPlug', async () => {
    // PayPlug's clock runs ahead of the till's: the till still thinks the card valid and sends the
    // charge, which PayPlug refuses (no payment is made).
    const clock = new FakeClock(Date.now());
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = await payplugTill(sandbox);
    cleanup.push(() => t.close());
    const card = await saveAdasCard(t, { month: 12, year: new Date(clock.now()).getUTCFullYear() + 3 });
    for (let year = 0; year < 4; year++) await payplug(t, 'POST', '/_sandbox/clock', { advance_seconds: 365 * 86_400 });
    const refused = await t.host.invoke('payments.create', {
      amount: 1600,
      currency: 'EUR',
      customer: ada,
      savedCardId: card.cardId,
    });
    expect(refused.ok).toBe(false);
    const failed = (await t.call('payments.list', { filter: 'all', limit: 50 })).find((p) => p.amount === 1600);
    expect(failed).toMatchObject({ status: 'failed', transactionId: null });
    const x = await t.call('reports.x', {});
    expect(x.totals).toEqual([expect.objectContaining({ payments: 1, approvedCount: 1, declinedCount: 0 })]);
    const reconciliation = await t.call('reports.reconcile', {});
    expect(reconciliation.differences).toEqual([]);
  });

  it('a link that saved a card stays a link; only the charge on the saved card is one (Process, reports)', async () => {
    // Found by a tester: the link that saved the card was counted under "Saved card (no reader)" in
    // the X report, and shown as a saved card charge: the gateway's card id overwrote the journal's
    // (the card the payment was charged on, which also decides what a retried create sends).
    const t = await payplugTill();
    cleanup.push(() => t.close());
    const card = await saveAdasCard(t, { month: 12, year: new Date().getUTCFullYear() + 3 });
    const charged = await t.call('payments.create', {
      amount: 1500,
      currency: 'EUR',
      customer: ada,
      savedCardId: card.cardId,
    });
    await t.waitForPayment(charged.id, (p) => p.status === 'succeeded', 5_000);
    const payments = await t.call('payments.list', { filter: 'all', limit: 50 });
    expect(payments.map((p) => [p.amount, p.channel, p.savedCard]).sort()).toEqual([
      [1500, 'link', true],
      [2000, 'link', false],
    ]);
    const x = await t.call('reports.x', {});
    expect(x.byReader.map((row) => [row.key, row.approvedCount, row.approvedAmount])).toEqual([
      ['Pay by link', 1, 2000],
      ['Saved card (no reader)', 1, 1500],
    ]);
  });
});
