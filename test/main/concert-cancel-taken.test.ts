/**
 * A Concert terminal that has taken a payment request waits for the card, and from then on only the
 * terminal itself can stop it (the app never sends Concert's cancellation). Found in a defect hunt:
 * the Process screen offered Cancel payment (Esc) under "Waiting for card", and the refusal said
 * "The card is being authorised" while the customer had not touched the card.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { createDefaultRegistry } from '../../drivers/registry';
import { createPtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { pairTerminalOnPort, startTestHost, waitFor, type TestHost } from '../support/host';
import { hasTool } from '../support/tools';

describe.skipIf(!hasTool('socat'))('cancel on a Concert terminal waiting for the card', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  /** A terminal that takes the request and keeps waiting for the card, paired (on the gateway or its bank). */
  async function terminalWaiting(standalone: boolean): Promise<{ t: TestHost; readerId: string; paymentId: string }> {
    const pty = await createPtyPair();
    const served = serveEmulator(await openSerialTransport(pty.a), { script: { outcome: 'never' } });
    cleanup.push(
      () => pty.stop(),
      () => served.stop(),
    );
    const t = await startTestHost({
      registry: createDefaultRegistry({ ports: [pty.b], serial: false, usb: false, pollIntervalMs: 60_000 }),
      defaultSimulatedReader: false,
    });
    cleanup.push(() => t.close());
    const paired = await pairTerminalOnPort(t, pty.b, 'Desk', { standalone });
    const created = await t.call('payments.create', { amount: 4321, currency: 'EUR', readerId: paired.id });
    if (standalone) await t.call('payments.process', { paymentId: created.id, readerId: paired.id });
    await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card', 10_000);
    await waitFor(async () => (served.emulator.requests.length === 1 ? 1 : undefined), 10_000, 'the request taken');
    return { t, readerId: paired.id, paymentId: created.id };
  }

  for (const standalone of [false, true]) {
    it(`says so in the reader's view, and a cancel tells the cashier to stop it on the terminal (${standalone ? "the shop's bank" : 'the gateway'})`, async () => {
      const { t, readerId, paymentId } = await terminalWaiting(standalone);
      const reader = (await t.call('readers.list', {})).find((r) => r.id === readerId)!;
      expect(reader.cancelsUntil).toBe('request');

      const refusal = await t.fail('payments.cancel', { paymentId });
      expect(refusal.code).toBe('conflict');
      expect(refusal.message).toMatch(
        /^Desk has taken this payment: the till can no longer stop it\. .*on Desk itself/,
      );
      expect(refusal.message).not.toMatch(/being authorised|is authorising/);
      // Nothing changed: the terminal still has the payment.
      const still = await t.waitForPayment(paymentId, () => true);
      expect(still).toMatchObject({ status: 'in_progress', readerStage: 'waiting_for_card' });
    }, 60_000);
  }

  it("a simulated reader's view does not say so: it stops until the card is authorised", async () => {
    const t = await startTestHost();
    cleanup.push(() => t.close());
    const reader = await t.onlineReader();
    expect(reader.cancelsUntil).toBeUndefined();
  });
});
