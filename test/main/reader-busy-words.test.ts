/**
 * A payment sent to a reader that holds another one: the gateway refuses it, and the cashier reads
 * which reader and which payment in their words. Found in a defect hunt: Create payment and Process
 * payment said "The gateway refused: Reader tmr_uEMb… is busy with another payment", naming the
 * reader by the gateway's id, which no screen shows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host';

describe('a reader busy with another payment', () => {
  let t: TestHost | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('is named by its label, with the payment it holds, and the refused payment stays pending', async () => {
    t = await startTestHost();
    const reader = await t.onlineReader();
    const first = await t.call('payments.create', {
      amount: 999,
      currency: 'USD',
      orderReference: 'ORDER-FIRST',
      readerId: reader.id,
    });
    await t.waitForPayment(first.id, (p) => p.status === 'in_progress');

    const second = await t.call('payments.create', { amount: 1250, currency: 'USD', readerId: reader.id });
    expect(second.status).toBe('pending');
    const said = `${reader.label} is busy with another payment ($9.99, order ORDER-FIRST).`;
    expect(second.notSent?.message).toContain(said);
    expect(second.notSent?.message).not.toMatch(/tmr_|gateway refused/);

    const refused = await t.fail('payments.process', { paymentId: second.id, readerId: reader.id });
    expect(refused).toMatchObject({ code: 'conflict' });
    expect(refused.message).toContain(said);
    expect(refused.message).toMatch(/pick another reader/);
    expect((await t.waitForPayment(second.id, () => true)).status).toBe('pending');
  });
});
