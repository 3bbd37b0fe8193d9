/**
 * A PayPlug installment plan made on the shop's own account, once Settings names another PayPlug URL
 * and key in the same mode. Two sandboxes on loopback stand in for the two accounts. Plans told
 * accounts apart only as the embedded sandbox or the shop's own, so the plan was read with the new
 * key, which cannot see it (its 404 reached the log only, the plan shown running and followed), and a
 * plan whose create went unanswered was looked for on the new account, found nowhere and made again
 * there. A plan keeps the account it was made on and is read, looked for and acted on with no other.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InstallmentPlanView } from '../../common/contract';
import { maskKey } from '../../main/core/masking';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startGatewayProxy } from '../support/gateway-proxy';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { planOf, payplugOn, ShiftedClock } from '../support/payplug';

const grace = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' };

describe('a PayPlug plan made on the shop’s own account, once Settings names another one', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function sandboxOn(clock: ShiftedClock): Promise<RunningSandbox> {
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    return sandbox;
  }

  /** The shop's own PayPlug account: `url` where the till reaches it (a relay in front of it, or itself). */
  const useAccount = async (t: TestHost, account: RunningSandbox, url = account.payplug.url) => {
    await t.call('settings.update', {
      embeddedSandbox: false,
      gateway: 'payplug',
      payplugApiBaseUrl: url,
      payplugSecretKey: account.payplug.secret_key,
    });
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'payplug', 5_000, 'PayPlug');
  };

  /** A call to an account's PayPlug, as the customer's page or its dashboard would. */
  const onAccount = async (account: RunningSandbox, method: string, path: string, body?: unknown) =>
    (await payplugOn(account, method, path, body)).json;

  /** The plans an account holds, as the payments of their parts name them. */
  const plansOn = async (account: RunningSandbox) => {
    const ledger = (await onAccount(account, 'GET', '/_sandbox/ledger')) as {
      payments: { installment_plan_id: string | null }[];
    };
    return [...new Set(ledger.payments.flatMap((p) => (p.installment_plan_id ? [p.installment_plan_id] : [])))];
  };

  const shown = async (t: TestHost, id: string): Promise<InstallmentPlanView> =>
    (await t.call('installments.list', {})).find((p) => p.id === id)!;

  const part = async (t: TestHost, orderReference: string) =>
    (await t.call('payments.list', { filter: 'all', limit: 100 })).find((p) => p.orderReference === orderReference);

  const notFollowed = (first: RunningSandbox, second: RunningSandbox, url = first.payplug.url) =>
    `This plan was made on PayPlug the account at ${url} with the key ${maskKey(first.payplug.secret_key)}, ` +
    `and the till now uses the account at ${second.payplug.url} with the key ${maskKey(second.payplug.secret_key)}, ` +
    'which cannot see it, so this plan is not followed: the parts PayPlug charges, declines or aborts do not reach ' +
    `Transactions, Needs attention or the reports. Put back the URL ${url} and the key ` +
    `${maskKey(first.payplug.secret_key)} in Settings (F7) to follow it.`;

  it('is never read with the new key, says which account to put back, and is followed again there', async () => {
    const clock = new ShiftedClock();
    const first = await sandboxOn(clock);
    const second = await sandboxOn(clock);
    const t = await startTestHost({ sandbox: first, clock, tuning: { remotePollMs: 50, planPollMs: 100 } });
    cleanup.push(() => t.close());
    await useAccount(t, first);
    const plan = await planOf(t, 'PLAN-AC1', first);

    await useAccount(t, second);
    const stale = await waitFor(
      async () => {
        const view = await shown(t, plan.id);
        return view.notFollowed !== null ? view : undefined;
      },
      5_000,
      'the plan not followed',
    );
    expect(stale.status).toBe('active');
    expect(stale.notFollowed).toBe(notFollowed(first, second));
    // The screen hears of it too, not only a list read again.
    await waitFor(
      () => t.events.some((e) => e.type === 'plan' && e.plan.id === plan.id && e.plan.notFollowed !== null),
      5_000,
      'the plan event: not followed',
    );
    expect(await t.fail('installments.abort', { planId: plan.id })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(
        /^This plan was made on PayPlug the account at .* which cannot see it\. Put back the URL .* to act on it\.$/,
      ),
    });
    // The new account was never asked about it.
    const log = await t.call('devlog.list', { limit: 500 });
    expect(log.filter((e) => e.summary === `Could not refresh plan ${plan.id}`)).toEqual([]);
    expect(await plansOn(second)).toEqual([]);

    // The second part is charged on the first account meanwhile; back on it, it is taken in.
    clock.offsetMs = Date.parse(`${plan.schedule[1]!.date}T10:00:00Z`) - Date.now();
    await onAccount(first, 'GET', '/_sandbox/ledger');
    await useAccount(t, first);
    const second2 = await waitFor(() => part(t, 'PLAN-AC1#2'), 5_000, 'the second part');
    expect(second2).toMatchObject({ gateway: 'payplug', status: 'succeeded', installmentPlanId: plan.id });
    const back = await shown(t, plan.id);
    expect(back).toMatchObject({ status: 'active', notFollowed: null });
  });

  it('a plan whose create went unanswered is never made on the new account: it is found when its own is back', async () => {
    const clock = new ShiftedClock();
    const first = await sandboxOn(clock);
    const relay = await startGatewayProxy(first.url);
    cleanup.push(() => relay.close());
    const second = await sandboxOn(clock);
    const t = await startTestHost({ sandbox: first, clock, tuning: { remotePollMs: 50, planPollMs: 100 } });
    cleanup.push(() => t.close());
    const relayed = `${relay.url}/payplug`;
    await useAccount(t, first, relayed);

    // The first account makes the plan, its answer is lost, and the account is out of reach since.
    const losing = relay.loseAnswer({
      matches: (method, path) => method === 'POST' && path.endsWith('/installment_plans'),
      fate: 'taken',
    });
    void t.host.invoke('installments.create', {
      amount: 9000,
      currency: 'EUR',
      count: 3,
      customer: grace,
      orderReference: 'PLAN-AC2',
    });
    await losing;
    relay.down();
    const made = await plansOn(first);
    expect(made).toHaveLength(1);
    const unknown = await waitFor(
      async () =>
        (await t.call('installments.list', {})).find((p) => p.orderReference === 'PLAN-AC2' && p.status === 'unknown'),
      5_000,
      'the plan unknown',
    );

    await useAccount(t, second);
    const stale = await waitFor(
      async () => {
        const view = await shown(t, unknown.id);
        return view.notFollowed !== null ? view : undefined;
      },
      5_000,
      'the plan not followed',
    );
    expect(stale).toMatchObject({ status: 'unknown', notFollowed: notFollowed(first, second, relayed) });
    // Readings went by on the new account: it was never made there.
    await t.call('installments.list', {});
    await t.call('installments.list', {});
    expect(await plansOn(second)).toEqual([]);

    relay.up();
    await useAccount(t, first, relayed);
    const found = await waitFor(
      async () => {
        const view = await shown(t, unknown.id);
        return view.gatewayPlanId !== null ? view : undefined;
      },
      5_000,
      'the plan found',
    );
    expect(found).toMatchObject({ status: 'active', gatewayPlanId: made[0], notFollowed: null });
    expect(await plansOn(first)).toEqual(made);
    expect(await plansOn(second)).toEqual([]);
  });
  it('a part taken in while the till used another gateway keeps the plan’s account, not the next one used', async () => {
    // A part read with PayPlug's stored keys while PlutoPay was the till's gateway kept no account, and
    // the first PayPlug account used after that claimed it: after the shop changed PayPlug's URL and key,
    // a refund of it went to the new account, which has never heard of it.
    const clock = new ShiftedClock();
    const first = await sandboxOn(clock);
    const second = await sandboxOn(clock);
    const t = await startTestHost({ sandbox: first, clock, tuning: { remotePollMs: 50, planPollMs: 100 } });
    cleanup.push(() => t.close());
    await t.call('settings.update', { apiBaseUrl: first.url, secretKey: first.secret_key });
    await useAccount(t, first);
    const plan = await planOf(t, 'PLAN-AC3', first);

    // PlutoPay is the till's gateway when PayPlug charges the second part.
    await t.call('settings.update', { gateway: 'plutopay' });
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'plutopay', 5_000, 'PlutoPay');
    clock.offsetMs = Date.parse(`${plan.schedule[1]!.date}T10:00:00Z`) - Date.now();
    await onAccount(first, 'GET', '/_sandbox/ledger');
    const charged = await waitFor(
      async () => {
        const p = await part(t, 'PLAN-AC3#2');
        return p?.status === 'succeeded' ? p : undefined;
      },
      5_000,
      'the second part',
    );

    // Back on PayPlug, with another account's URL and key: the part is not refunded there.
    await useAccount(t, second);
    expect(await t.fail('payments.refund', { paymentId: charged.id, amount: 1000 })).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(
        `This payment was made on PayPlug the account at ${first.payplug.url} with the key ${maskKey(first.payplug.secret_key)}`,
      ),
    });
  });
});
