/**
 * A payment on PlutoPay's own (cloud) reader when the till switches to another gateway: still
 * followed, read only, with PlutoPay's keys — across a restart too — so the card presented after the
 * switch is learnt without switching back, and what is left (a capture) is said where the cashier
 * looks. Over real HTTP against the sandbox's emulators; the card is presented at the sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { startTestHost, useGateway, waitFor, type TestHost } from '../support/host';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** The requests the till sent to PlutoPay (the sandbox's root; PayPlug's are under /payplug/). */
const plutoRequests = (t: TestHost) =>
  t.host.devlog
    .list(1000)
    .filter((e) => e.kind === 'request' && /^[A-Z]+ \/v1\//.test(e.summary))
    .map((e) => e.summary);

describe('a payment on PlutoPay’s cloud reader when the till switches gateway', () => {
  it('is followed with PlutoPay’s keys after a launch on another gateway: the approval waits for the switch back', async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'host-cloud-switched-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const tuning = { remotePollMs: 50 };

    const first = await startTestHost({ sandbox, dataDir, tuning });
    await first.call('readers.pair', { registrationCode: 'simulated-switched', label: 'Counter cloud' });
    const cloud = await waitFor(
      async () => (await first.call('readers.list', {})).find((r) => r.kind === 'cloud' && r.status === 'online'),
      5_000,
      'cloud reader',
    );
    const created = await first.call('payments.create', {
      amount: 3300,
      currency: 'EUR',
      captureMethod: 'manual',
      orderReference: 'CLOUD-SW1',
    });
    await first.call('payments.process', { paymentId: created.id, readerId: cloud.id });
    // Settings refuses a switch while the card is on the gateway's reader; a launch naming another
    // gateway (`--gateway payplug`) is not asked. The card is not presented yet.
    expect((await first.fail('settings.update', { gateway: 'payplug' })).message).toMatch(
      /^A payment is on Counter cloud\./,
    );
    await first.close();

    // Started again on PayPlug: recovery follows the PlutoPay payment on its reader, read only.
    const t = await startTestHost({ sandbox, dataDir, tuning, useGateway: 'payplug' });
    cleanup.push(() => t.close());
    expect((await t.call('session.snapshot', {})).gateway?.name).toBe('payplug');
    const readerPath = `/v1/terminal/readers/${cloud.id.replace(/^rdr_cloud_/, '')}`;
    await waitFor(
      () => plutoRequests(t).filter((s) => s.startsWith(`GET ${readerPath} `)).length >= 2,
      5_000,
      'PlutoPay’s reader read after the restart',
    );
    expect((await t.call('attention.list', {})).some((a) => a.paymentId === created.id)).toBe(false);
    expect(await t.waitForPayment(created.id, () => true)).toMatchObject({
      status: 'in_progress',
      gateway: 'plutopay',
    });

    // The customer presents the card on PlutoPay's reader, at the sandbox.
    const simulated = await t.api('POST', '/v1/terminal/simulate-payment', {
      reader_id: cloud.id.replace(/^rdr_cloud_/, ''),
      card_number: '4242424242424242',
    });
    expect(simulated.status).toBe(200);
    const held = await t.waitForPayment(created.id, (p) => p.status === 'requires_capture', 8_000);
    expect(held).toMatchObject({ gateway: 'plutopay', amountCapturable: 3300, card: { last4: '4242' } });
    // Needs attention says what is left, and that it needs the switch back.
    const item = await waitFor(
      async () => (await t.call('attention.list', {})).find((a) => a.paymentId === created.id),
      5_000,
      'the item',
    );
    expect(item.reason).toBe(
      "Approved on PlutoPay's reader after the till switched to PayPlug: €33.00 is authorised on the customer's card, not captured.",
    );
    expect(item.advice).toMatch(/^Switch back to PlutoPay in Settings \(F7\) to capture it on Capture \(F4\)/);
    // Capture lists it with its gateway (the screen then says to switch back); capturing it from here
    // is refused.
    expect((await t.call('payments.list', { filter: 'uncaptured', limit: 10 })).map((p) => p.gateway)).toEqual([
      'plutopay',
    ]);
    expect((await t.fail('payments.capture', { paymentId: created.id })).message).toMatch(/Switch back/);
    // Its details (Transactions) are read from PlutoPay with its kept keys, read only.
    const detail = await t.call('transactions.get', { transactionId: created.id });
    expect(detail.transaction).toMatchObject({ status: 'requires_capture', amountCapturable: 3300 });
    // Only read: nothing but GETs went to PlutoPay from this till after the switch.
    expect(plutoRequests(t).filter((s) => !s.startsWith('GET '))).toEqual([]);

    // Switched back to PlutoPay: read there, out of Needs attention, captured.
    await useGateway(t, 'plutopay');
    await waitFor(
      async () => !(await t.call('attention.list', {})).some((a) => a.paymentId === created.id),
      5_000,
      'the item gone',
    );
    expect(await t.call('payments.capture', { paymentId: created.id })).toMatchObject({ status: 'succeeded' });
  });
});
