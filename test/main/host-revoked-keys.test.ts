/**
 * Keys revoked at the gateway while the till is up: whichever call first hears the 401/403 moves
 * the connectivity state to 'refused' (the refused banner), not only the journaled operations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import type { TestHost } from '../support/host';
import { startHostBehind } from '../support/proxied-host';
import { payplugTill } from '../support/payplug';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';

const PLUTOPAY_401 = {
  status: 401,
  body: JSON.stringify({ error: { type: 'authentication_error', message: 'Invalid API key provided.' } }),
};
const PAYPLUG_403 = {
  status: 403,
  body: JSON.stringify({ object: 'error', message: 'This API key has been revoked.', id: 'e'.repeat(32) }),
};

describe('keys revoked at the gateway while the till is up', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function behindProxy(): Promise<{ sandbox: RunningSandbox; proxy: RewritingProxy }> {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    return { sandbox, proxy };
  }

  const gatewayState = async (t: TestHost) => (await t.call('session.snapshot', {})).connectivity;

  it('a 401 to the Transactions list shows the refused banner (PlutoPay)', async () => {
    const { sandbox, proxy } = await behindProxy();
    const t = await startHostBehind(sandbox, proxy);
    cleanup.push(() => t.close());
    await t.call('transactions.list', {});
    expect((await gatewayState(t)).gateway).toBe('online');
    proxy.answer = () => PLUTOPAY_401;
    await t.fail('transactions.list', {});
    expect(await gatewayState(t)).toMatchObject({ gateway: 'refused', lastError: expect.stringMatching(/API key/) });
    expect(t.events.some((e) => e.type === 'connectivity' && e.connectivity.gateway === 'refused')).toBe(true);
  });

  it('a 403 to an installment plan or the list shows it too (PayPlug)', async () => {
    const { sandbox, proxy } = await behindProxy();
    const t = await payplugTill(sandbox, { payplugUrl: `${proxy.url}/payplug` });
    cleanup.push(() => t.close());
    await t.call('transactions.list', {});
    expect((await gatewayState(t)).gateway).toBe('online');
    proxy.answer = () => PAYPLUG_403;
    const customer = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' };
    await t.fail('installments.create', { amount: 9000, currency: 'EUR', count: 3, customer });
    expect(await gatewayState(t)).toMatchObject({ gateway: 'refused', lastError: expect.stringMatching(/revoked/) });

    // Put right at the gateway's side: the next answer is heard, then a revoked key again on the list.
    proxy.answer = () => null;
    await t.call('transactions.list', {});
    expect((await gatewayState(t)).gateway).toBe('online');
    proxy.answer = () => PAYPLUG_403;
    await t.fail('transactions.list', {});
    expect((await gatewayState(t)).gateway).toBe('refused');
  });
});
