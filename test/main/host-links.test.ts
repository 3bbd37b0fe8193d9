/**
 * Payments by link as the PayPlug and Plural soak lanes drive them, where the soak found the host
 * wrong: a cancel the gateway refused must not block the cancel asked for later.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from '../support/host';

/** The customer pays a Plural order on the checkout page (through the sandbox, not the till). */
async function customerPaysPlural(sandbox: RunningSandbox, orderId: string, card = '4111111111111111') {
  const { url, client_id, client_secret } = sandbox.plural;
  const token = (await (
    await fetch(`${url}/api/auth/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id, client_secret, grant_type: 'client_credentials' }),
    })
  ).json()) as { access_token: string };
  const answer = await fetch(`${url}/_sandbox/orders/${orderId}/pay`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token.access_token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ card_number: card }),
  });
  expect(answer.status).toBe(200);
}

describe('payments by link', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function pluralTill(): Promise<TestHost> {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const t = await startTestHost({ sandbox, useGateway: 'plural', tuning: { remotePollMs: 50 } });
    cleanup.push(() => t.close());
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'plural', 5_000, 'Plural');
    return t;
  }

  it('Plural: a cancel refused while the link was unpaid does not block releasing the authorisation later', async () => {
    const t = await pluralTill();
    const created = await t.call('payments.create', { amount: 5000, currency: 'INR', captureMethod: 'manual' });
    expect(created).toMatchObject({ channel: 'link', status: 'pending' });
    // Plural cannot withdraw an unpaid link (the screen offers no cancel); sent anyway, it is refused.
    expect(created.next).not.toContain('cancel');
    const refused = await t.fail('payments.cancel', { paymentId: created.id });
    expect(refused.message).toMatch(/cannot withdraw an unpaid order/);
    // The customer pays anyway: the authorisation is held, and the cashier releases it.
    await customerPaysPlural(t.sandbox, created.transactionId!);
    await t.waitForPayment(created.id, (p) => p.status === 'requires_capture', 5_000);
    expect((await t.call('payments.cancel', { paymentId: created.id })).status).toBe('canceled');
  });
});
