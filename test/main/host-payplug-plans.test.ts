/**
 * PayPlug installment plans followed by the till itself: later parts charged by PayPlug on their
 * dates join the journal without anyone opening the plans list, dated when PayPlug charged them
 * (never inside a day a Z closed), and a notification about one takes it in at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { localDate } from '../../common/timezone';
import { FakeClock } from '../support/fake-clock';
import { startTestHost, waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill, ShiftedClock, shiftedClockAt } from '../support/payplug';
import { startRewritingProxy } from '../support/proxy';
import { startGatewayProxy } from '../support/gateway-proxy';

const grace = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' };

/** A plan of 3 × €30.00 for Grace. */
const newPlan = (t: TestHost, orderReference: string) =>
  t.call('installments.create', { amount: 9000, currency: 'EUR', count: 3, customer: grace, orderReference });

describe('PayPlug installment plans the till follows', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A till and its sandbox on one wall clock the test moves (as the whole app's would move). */
  async function till(planPollMs: number) {
    const clock = new ShiftedClock();
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = await payplugTill(sandbox, { clock, tuning: { planPollMs } });
    cleanup.push(() => t.close());
    return { t, clock };
  }

  /** A plan of 3 × €30.00 whose first part the customer paid. */
  async function paidPlan(t: TestHost, orderReference: string) {
    const plan = await newPlan(t, orderReference);
    await payplug(t, 'POST', `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`, {
      card_number: '4242424242424242',
    });
    await waitFor(
      () => t.events.some((e) => e.type === 'plan' && e.plan.id === plan.id && e.plan.schedule[0]?.paid),
      8_000,
      'the first part paid',
    );
    return plan;
  }

  const override = { by: 'owner', reason: 'no sales since the plan; the clock is right' };

  const part = async (t: TestHost, orderReference: string) =>
    (await t.call('payments.list', { filter: 'all', limit: 100 })).find((p) => p.orderReference === orderReference);

  it('refuses a description for a plan, which PayPlug has nowhere to keep, instead of dropping it', async () => {
    const { t } = await till(60_000);
    const refused = await t.fail('installments.create', {
      amount: 9000,
      currency: 'EUR',
      count: 3,
      customer: grace,
      description: 'Sofa, delivered Friday',
    });
    expect(refused.code).toBe('validation');
    expect(JSON.stringify(refused)).toMatch(/description/);
    expect(await t.call('installments.list', {})).toEqual([]);
  });

  it('the same plan sent twice with its requestId and no order reference is one plan', async () => {
    // A program resending after its bridge dropped: each send got a new random order, so two plans
    // (and two first-part links) for one sale.
    const { t } = await till(60_000);
    const input = { amount: 9000, currency: 'EUR', count: 3, customer: grace, requestId: 'req_plan00000001' };
    const first = await t.call('installments.create', input);
    const again = await t.call('installments.create', input);
    expect(again.id).toBe(first.id);
    expect((await t.call('installments.list', {})).map((plan) => plan.id)).toEqual([first.id]);
    // One first part at PayPlug: the second send made nothing there.
    const { payments } = (await payplug(t, 'GET', '/_sandbox/ledger')).json as {
      payments: { installment_plan_id: string | null }[];
    };
    expect(payments.filter((p) => p.installment_plan_id !== null)).toHaveLength(1);
  });

  it('does not cancel a plan’s unpaid first part on its own: the plan is aborted, confirmed, instead', async () => {
    // Found by using the app: after a reload, Process payment showed the first part as a lone link
    // with Cancel payment (Esc); one key ended the customer's whole plan, with no confirmation.
    const { t } = await till(60_000);
    const plan = await newPlan(t, 'PLAN-ESC');
    const first = await waitFor(() => part(t, 'PLAN-ESC#1'), 5_000, 'the first part in the journal');
    expect(first).toMatchObject({ status: 'pending', installmentPlanId: plan.id });
    expect(first.next).toEqual(['show_link']);
    const refused = await t.fail('payments.cancel', { paymentId: first.id });
    expect(refused.code).toBe('conflict');
    expect(refused.message).toMatch(
      /an installment of a plan: cancelling it alone would end the whole plan.*Abort plan/,
    );
    expect((await part(t, 'PLAN-ESC#1'))!.status).toBe('pending');
    expect((await t.call('installments.list', {})).find((p) => p.id === plan.id)!.status).toBe('active');
  });

  it('closing the day with a plan’s first part unpaid says to abort the plan, not to cancel the part', async () => {
    // Found in a defect hunt: the refusal said "Cancel PLAN-Z#1", which payments.cancel then refuses.
    const { t } = await till(60_000);
    await newPlan(t, 'PLAN-Z');
    await waitFor(() => part(t, 'PLAN-Z#1'), 5_000, 'the first part in the journal');
    const refused = await t.fail('reports.close', { closedBy: 'Ada' });
    expect(refused.code).toBe('conflict');
    expect(refused.message).toContain(
      'PLAN-Z#1 is part of an installment plan: abort the plan (Abort plan, on Process payment) to cancel it; or close',
    );
    expect(refused.message).not.toMatch(/Cancel PLAN-Z#1/);
  });

  it('aborts a plan made with PayPlug after a switch to Plural, with the PayPlug keys it is read with', async () => {
    // Found by using the app: after a switch to Plural, Abort plan on the PayPlug plan answered
    // "Plural does not take payments in installments"; then it asked the cashier to switch the whole
    // till back to PayPlug, although the till still held (and read the plan with) that account's keys:
    // the customer's next part would be charged meanwhile.
    const { t } = await till(60_000);
    const plan = await newPlan(t, 'PLAN-SWITCH');
    await t.call('settings.update', { gateway: 'plural' });
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'plural', 5_000, 'Plural');
    const aborted = await t.call('installments.abort', { planId: plan.id });
    // Without PayPlug's "You have aborted the transaction.": a plan is no transaction, and its status says it.
    expect(aborted).toMatchObject({ id: plan.id, gateway: 'payplug', status: 'aborted', failure: null });
    const atPayPlug = await payplug(t, 'GET', `/v1/installment_plans/${plan.gatewayPlanId}`);
    expect(atPayPlug.json).toMatchObject({ is_active: false });
    // The till still uses Plural, online: PayPlug's answer says nothing of Plural's connection.
    const snapshot = await t.call('session.snapshot', {});
    expect(snapshot.gateway?.name).toBe('plural');
    expect(snapshot.connectivity.gateway).toBe('online');
  });

  it('sets up a plan on a till whose clock is not the computer’s: its first part is due on the till’s today', async () => {
    const { t, clock } = await till(60_000);
    // The till (and PayPlug with it) is 40 days ahead of the computer's own clock, at noon: no
    // midnight falls between reading its today and setting up the plan.
    clock.offsetMs = shiftedClockAt(12).offsetMs + 40 * 86_400_000;
    const today = new Date(clock.now()).toISOString().slice(0, 10);
    const plan = await newPlan(t, 'PLAN-CLOCK');
    expect(plan.status).toBe('active');
    expect(plan.schedule[0]!.date).toBe(today);
    expect(plan.schedule[0]!.paymentIds).toHaveLength(1);
  });

  /**
   * A plan set up near the shop's midnight, where its day and PayPlug's (UTC) differ: in Paris at
   * 00:30 (23:30 UTC, the day before), in Martinique at 23:30 and Tahiti at 22:30 (already the next
   * day in UTC). The first part is PayPlug's today, whatever the shop's day; the others a month apart.
   */
  it.each([
    { timeZone: 'Europe/Paris', utc: [23, 30], shopDay: +1 },
    { timeZone: 'America/Martinique', utc: [3, 30], shopDay: -1 },
    { timeZone: 'Pacific/Tahiti', utc: [8, 30], shopDay: -1 },
  ] as const)(
    'a plan set up near midnight in $timeZone is due on PayPlug’s today',
    async ({ timeZone, utc, shopDay }) => {
      const { t, clock } = await till(60_000);
      await t.call('settings.update', { timeZone });
      clock.offsetMs = shiftedClockAt(utc[0], utc[1]).offsetMs;
      const now = clock.now();
      const payplugToday = new Date(now).toISOString().slice(0, 10);
      // The shop's day is not PayPlug's: the case this test is about.
      const shopToday = localDate(now, timeZone);
      expect(shopToday).toBe(new Date(Date.parse(payplugToday) + shopDay * 86_400_000).toISOString().slice(0, 10));
      const plan = await newPlan(t, `PLAN-TZ-${shopDay}`);
      expect(plan.status).toBe('active');
      expect(plan.schedule[0]!.paymentIds).toHaveLength(1);
      const [y, m, d] = payplugToday.split('-').map(Number) as [number, number, number];
      const monthsOn = (n: number) => {
        const last = new Date(Date.UTC(y, m - 1 + n + 1, 0)).getUTCDate();
        return new Date(Date.UTC(y, m - 1 + n, Math.min(d, last))).toISOString().slice(0, 10);
      };
      expect(plan.schedule.map((entry) => entry.date)).toEqual([payplugToday, monthsOn(1), monthsOn(2)]);
      // PayPlug holds the same dates, and its first part is the one the customer pays now.
      const atPayPlug = (await payplug(t, 'GET', `/v1/installment_plans/${plan.gatewayPlanId}`)).json as {
        schedule: { date: string; payment_ids: string[] }[];
      };
      expect(atPayPlug.schedule.map((entry) => entry.date)).toEqual([payplugToday, monthsOn(1), monthsOn(2)]);
      expect(atPayPlug.schedule[0]!.payment_ids).toEqual(plan.schedule[0]!.paymentIds);
    },
  );

  it('takes in a part PayPlug charged on its date by itself, dated when it was charged', async () => {
    const { t, clock } = await till(100);
    const plan = await paidPlan(t, 'PLAN-F1');
    // The first part's day is closed: otherwise the till's first period, and its X, would hold it too.
    await t.call('reports.close', { closedBy: 'Ada' });
    const due = plan.schedule[1]!.date;
    // 10:00 on the second part's date: PayPlug charged it at 00:00. Nobody opens the plans list.
    clock.offsetMs = Date.parse(`${due}T10:00:00Z`) - Date.now();
    const second = await waitFor(() => part(t, 'PLAN-F1#2'), 5_000, 'the second part in the journal');
    expect(second).toMatchObject({ status: 'succeeded', amount: 3000, installmentPlanId: plan.id });
    expect(second.createdAt).toBe(`${due}T00:00:00.000Z`);
    // The day's X counts it; the plan on screen says it is paid.
    const x = await t.call('reports.x', { date: due });
    expect(x.totals).toEqual([expect.objectContaining({ approvedCount: 1, captured: 3000 })]);
    await waitFor(
      () => t.events.some((e) => e.type === 'plan' && e.plan.id === plan.id && e.plan.schedule[1]?.paid === true),
      3_000,
      'the plan event with the second part paid',
    );
  });

  it('a plan opened (installments.get) is read from PayPlug: a part charged since reads paid', async () => {
    // Found by a tester: opened from Transactions, the plan said "running / Scheduled" for the part
    // PayPlug had charged since the list was read, until F5.
    const { t, clock } = await till(600_000);
    const plan = await paidPlan(t, 'PLAN-GET');
    clock.offsetMs = Date.parse(`${plan.schedule[1]!.date}T10:00:00Z`) - Date.now();
    expect(await part(t, 'PLAN-GET#2')).toBeUndefined();
    const read = await t.call('installments.get', { planId: plan.id });
    expect(read.schedule.map((entry) => entry.state)).toEqual(['paid', 'paid', 'scheduled']);
    expect(read.status).toBe('active');
    // Its part joined the journal with it.
    expect(await part(t, 'PLAN-GET#2')).toMatchObject({ status: 'succeeded', installmentPlanId: plan.id });
    expect((await t.fail('installments.get', { planId: 'ipl_unknown000000' })).code).toBe('not_found');
  });

  it('follows a running plan however many plans were made after it', async () => {
    const { t, clock } = await till(100);
    const plan = await paidPlan(t, 'PLAN-OLD');
    await t.call('reports.close', { closedBy: 'Ada' });
    // A busy till: a hundred plans made (and ended) since this one.
    for (let i = 0; i < 100; i++) {
      const later = await t.call('installments.create', {
        amount: 6000,
        currency: 'EUR',
        count: 2,
        customer: grace,
        orderReference: `PLAN-LATER-${i}`,
      });
      await t.call('installments.abort', { planId: later.id });
    }
    const due = plan.schedule[1]!.date;
    clock.offsetMs = Date.parse(`${due}T10:00:00Z`) - Date.now();
    const second = await waitFor(() => part(t, 'PLAN-OLD#2'), 5_000, 'the second part in the journal');
    expect(second).toMatchObject({ status: 'succeeded', amount: 3000, installmentPlanId: plan.id });
    const listed = await t.call('installments.list', {});
    expect(listed).toHaveLength(101);
    expect(listed.at(-1)).toMatchObject({ id: plan.id, status: 'active' });
  });

  /**
   * A plan's second part PayPlug charged at 00:00 of its date, and that day closed at 20:00 while
   * PayPlug's answers were lost on the way: the close read the plan first, but did not hear of it.
   */
  async function closedWithoutPart(orderReference: string, closeAfter = 20 * 3_600_000) {
    const clock = new ShiftedClock();
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await payplugTill(sandbox, {
      clock,
      tuning: { planPollMs: 600_000 },
      payplugUrl: `${proxy.url}/payplug`,
    });
    cleanup.push(() => t.close());
    const plan = await paidPlan(t, orderReference);
    await t.call('reports.close', { closedBy: 'Ada' });
    const due = plan.schedule[1]!.date;
    clock.offsetMs = Date.parse(`${due}T00:00:00Z`) + closeAfter - Date.now();
    await t.call('settings.update', { timeZone: 'UTC' });
    proxy.dropAnswer = () => true;
    // A month after the last payment the close's time is in doubt: the owner says the clock is right.
    const z = await t.call('reports.close', { closedBy: 'owner', override });
    expect(z.paymentCount).toBe(0);
    expect(z.reconciliation).toBeNull();
    proxy.dropAnswer = () => false;
    return { t, due, z: { ...z.z!, end: z.end }, clock };
  }

  it('a part charged in a day a Z has closed since counts in the open day, leaving the Z as it was', async () => {
    const { t, z } = await closedWithoutPart('PLAN-F2');
    await t.call('installments.list', {});
    const second = await waitFor(() => part(t, 'PLAN-F2#2'), 5_000, 'the second part');
    expect(Date.parse(second.createdAt)).toBeGreaterThanOrEqual(Date.parse(z.closedAt));
    expect((await t.call('reports.get', { number: z.number })).paymentCount).toBe(0);
    const open = await t.call('reports.x', {});
    expect(open.totals).toEqual([expect.objectContaining({ approvedCount: 1, captured: 3000 })]);
  });

  it('a part taken in while the clock is behind the last Z is counted in the open day, not in the closed one', async () => {
    // Found hunting the day's money: the part was dated "now" by the till's clock, which an NTP
    // correction had set back behind the Z's end: inside the closed period, so in no report at all.
    const { t, z, clock } = await closedWithoutPart('PLAN-F5');
    clock.offsetMs -= 30 * 60_000;
    await t.call('installments.list', {});
    const second = await waitFor(() => part(t, 'PLAN-F5#2'), 5_000, 'the second part');
    expect(Date.parse(second.createdAt)).toBeGreaterThanOrEqual(Date.parse(z.end));
    expect((await t.call('reports.get', { number: z.number })).paymentCount).toBe(0);
    expect((await t.call('reports.x', {})).totals).toEqual([
      expect.objectContaining({ approvedCount: 1, captured: 3000 }),
    ]);
  });

  it('the open day reconciles a part taken in there that PayPlug charged on an earlier date', async () => {
    // Found hunting the day's money: the open day's list was asked from the date its period starts,
    // so a part charged the day before (taken in late, counted in the open day) was "journal only".
    const { t } = await closedWithoutPart('PLAN-F6', 25 * 3_600_000);
    await t.call('installments.list', {});
    await waitFor(() => part(t, 'PLAN-F6#2'), 5_000, 'the second part');
    expect((await t.call('reports.x', {})).totals).toEqual([
      expect.objectContaining({ approvedCount: 1, captured: 3000 }),
    ]);
    expect(await t.call('reports.reconcile', {})).toMatchObject({ ok: true, differences: [], matchedByGatewayId: 1 });
  });

  it('Reconcile now on such a closed day takes the part in for the open day: the Z keeps no "taken elsewhere"', async () => {
    const { t, due, z } = await closedWithoutPart('PLAN-F4');
    const reconciled = await t.call('reports.reconcile', { date: due });
    expect(reconciled.differences).toEqual([]);
    expect(reconciled.ok).toBe(true);
    const second = await part(t, 'PLAN-F4#2');
    expect(Date.parse(second!.createdAt)).toBeGreaterThanOrEqual(Date.parse(z.closedAt));
    const closed = await t.call('reports.get', { number: z.number });
    expect(closed).toMatchObject({ paymentCount: 0, reconciliation: { ok: true, differences: [] } });
    // Counted once, in the open day, which reconciles with PayPlug's list too.
    expect((await t.call('reports.x', {})).totals).toEqual([
      expect.objectContaining({ approvedCount: 1, captured: 3000 }),
    ]);
    expect(await t.call('reports.reconcile', {})).toMatchObject({ ok: true, differences: [], matchedByGatewayId: 1 });
  });

  /**
   * A plan whose first part was paid and its day closed, then the clock at 10:00 UTC on the second
   * part's date, PayPlug having charged it at 00:00 without the till reading the plan since.
   */
  async function chargedUnread(t: TestHost, clock: ShiftedClock, orderReference: string) {
    const plan = await paidPlan(t, orderReference);
    await t.call('reports.close', { closedBy: 'Ada' });
    const due = plan.schedule[1]!.date;
    clock.offsetMs = Date.parse(`${due}T10:00:00Z`) - Date.now();
    await t.call('settings.update', { timeZone: 'UTC' });
    // PayPlug charges it when its clock is next looked at.
    await payplug(t, 'GET', '/_sandbox/ledger');
    expect(await part(t, `${orderReference}#2`)).toBeUndefined();
    return { plan, due };
  }

  it('reconciling a day takes in a part PayPlug charged that the till had not read yet: its own, not taken elsewhere', async () => {
    // Plans are read only every 10 minutes here: nothing but the reconciliation reads this one.
    const { t, clock } = await till(600_000);
    const { plan, due } = await chargedUnread(t, clock, 'PLAN-R1');
    const reconciled = await t.call('reports.reconcile', { date: due });
    expect(reconciled.differences).toEqual([]);
    expect(reconciled).toMatchObject({ ok: true, matchedByGatewayId: 1 });
    const second = await part(t, 'PLAN-R1#2');
    expect(second).toMatchObject({ status: 'succeeded', amount: 3000, installmentPlanId: plan.id });
    expect(second!.createdAt).toBe(`${due}T00:00:00.000Z`);
    // The Z counts it on the day PayPlug charged it, once; the plan reading later adds nothing.
    const z = await t.call('reports.close', { closedBy: 'owner', date: due, override });
    expect(z.totals).toEqual([expect.objectContaining({ approvedCount: 1, captured: 3000 })]);
    expect(z.reconciliation).toMatchObject({ ok: true, differences: [] });
    await t.call('installments.list', {});
    const parts = (await t.call('payments.list', { filter: 'all', limit: 100 })).filter((p) =>
      p.orderReference.startsWith('PLAN-R1#'),
    );
    expect(parts.map((p) => p.orderReference).sort()).toEqual(['PLAN-R1#1', 'PLAN-R1#2']);
    expect((await t.call('reports.x', {})).totals.every((row) => row.approvedCount === 0)).toBe(true);
  });

  it('a part refunded at PayPlug before the till read it counts its refund with its charge', async () => {
    // Found hunting the day's money: the part's charge was counted (the till's own plan's money)
    // but not the refund made on PayPlug's dashboard before the till took it in, so the day's net
    // was the whole part; the reconciliation agreed (both sides said refunded), flagging nothing.
    const { t, clock } = await till(600_000);
    const { due } = await chargedUnread(t, clock, 'PLAN-R5');
    const ledger = (await payplug(t, 'GET', '/_sandbox/ledger')).json as {
      payments: { id: string; installment_plan_id: string | null }[];
    };
    const charged = ledger.payments.filter((p) => p.installment_plan_id !== null);
    expect(charged).toHaveLength(2);
    expect((await payplug(t, 'POST', `/v1/payments/${charged[1]!.id}/refunds`, { amount: 1000 })).status).toBe(201);
    await t.call('installments.list', {});
    expect(await waitFor(() => part(t, 'PLAN-R5#2'), 5_000, 'the second part')).toMatchObject({
      amountCaptured: 3000,
      amountRefunded: 1000,
    });
    const x = await t.call('reports.x', { date: due });
    expect(x.totals).toEqual([
      expect.objectContaining({ approvedCount: 1, captured: 3000, refunded: 1000, net: 2000 }),
    ]);
  });

  it('a Z closes a day with the part PayPlug charged in it that the till had not read yet, counted once', async () => {
    const { t, clock } = await till(600_000);
    const { plan, due } = await chargedUnread(t, clock, 'PLAN-R2');
    const z = await t.call('reports.close', { closedBy: 'owner', date: due, override });
    expect(z.totals).toEqual([expect.objectContaining({ approvedCount: 1, captured: 3000 })]);
    expect(z.reconciliation).toMatchObject({ ok: true, differences: [] });
    expect(await part(t, 'PLAN-R2#2')).toMatchObject({ installmentPlanId: plan.id, createdAt: `${due}T00:00:00.000Z` });
    // The plan reading afterwards finds it taken in: the open day does not count it again.
    await t.call('installments.list', {});
    const parts = (await t.call('payments.list', { filter: 'all', limit: 100 })).filter((p) =>
      p.orderReference.startsWith('PLAN-R2#'),
    );
    expect(parts).toHaveLength(2);
    expect((await t.call('reports.x', {})).totals.every((row) => row.approvedCount === 0)).toBe(true);
  });

  it('reconciling takes in a part that names the plan even when the plan’s answer does not list it yet', async () => {
    const clock = new ShiftedClock();
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await payplugTill(sandbox, {
      clock,
      tuning: { planPollMs: 600_000 },
      payplugUrl: `${proxy.url}/payplug`,
    });
    cleanup.push(() => t.close());
    const { plan, due } = await chargedUnread(t, clock, 'PLAN-R3');
    // PayPlug's plan answer lags behind its payments: the second part is not listed in it yet.
    proxy.rewrite = (method, path, body) => {
      if (method !== 'GET' || !path.startsWith('/payplug/v1/installment_plans/')) return null;
      const answer = JSON.parse(body) as { schedule: { payment_ids: string[] }[] };
      answer.schedule[1]!.payment_ids = [];
      return JSON.stringify(answer);
    };
    const reconciled = await t.call('reports.reconcile', { date: due });
    expect(reconciled).toMatchObject({ ok: true, differences: [], matchedByGatewayId: 1 });
    const taken = (await t.call('payments.list', { filter: 'all', limit: 100 })).filter(
      (p) => p.installmentPlanId === plan.id && p.orderReference !== 'PLAN-R3#1',
    );
    expect(taken).toEqual([
      expect.objectContaining({ status: 'succeeded', amount: 3000, createdAt: `${due}T00:00:00.000Z` }),
    ]);
    expect(taken[0]!.orderReference).toMatch(/^PLAN-R3-\w{6}$/);
  });

  it('a PayPlug notification about a part it does not know yet takes it in at once', async () => {
    // Plans are read only every 10 minutes here: only the notification can bring the part in now.
    const clock = new ShiftedClock();
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = await startTestHost({ sandbox, clock, tuning: { remotePollMs: 50, planPollMs: 600_000 } });
    cleanup.push(() => t.close());
    await t.call('settings.update', { webhookPort: 0 });
    const url = await waitFor(async () => (await t.call('settings.get', {})).webhookUrl, 3_000, 'receiver url');
    await t.call('settings.update', { gateway: 'payplug' });
    await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'payplug', 5_000, 'PayPlug');
    // Where the shop forwards PayPlug's notifications, set with PayPlug already in use: used at once.
    await t.call('settings.update', { payplugNotificationUrl: url.replace(/\/webhooks\/\w+$/, '/webhooks/payplug') });
    const plan = await paidPlan(t, 'PLAN-F3');
    clock.offsetMs = Date.parse(`${plan.schedule[1]!.date}T10:00:00Z`) - Date.now();
    // PayPlug charges it when its clock is next looked at, and notifies the till.
    await payplug(t, 'GET', '/_sandbox/ledger');
    const second = await waitFor(() => part(t, 'PLAN-F3#2'), 5_000, 'the second part');
    expect(second).toMatchObject({ status: 'succeeded', installmentPlanId: plan.id });
    const log = await t.call('devlog.list', { limit: 200 });
    expect(log.some((e) => /Notification payment/.test(e.summary))).toBe(true);
  });
});

describe('a PayPlug plan whose first link lapses unpaid', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function till(remotePollMs: number) {
    const clock = new FakeClock(Date.now());
    const sandbox = await startSandbox({ port: 0, db: ':memory:', clock });
    cleanup.push(() => sandbox.close());
    const t = await payplugTill(sandbox, { tuning: { remotePollMs } });
    cleanup.push(() => t.close());
    const plan = await t.call('installments.create', { amount: 9000, currency: 'EUR', count: 3, customer: grace });
    return { t, plan };
  }

  it('shows how long the first link lasts while it waits, then failed as PayPlug says, without the QR', async () => {
    const { t, plan } = await till(50);
    expect(plan.schedule.map((e) => e.state)).toEqual(['waiting', 'scheduled', 'scheduled']);
    expect(Date.parse(plan.payUrlExpiresAt!) - Date.parse(plan.createdAt)).toBeGreaterThan(14 * 60_000);
    await payplug(t, 'POST', '/_sandbox/clock', { advance_seconds: 16 * 60 });
    const failed = await waitFor(
      () => t.events.findLast((e) => e.type === 'plan' && e.plan.id === plan.id && e.plan.status === 'failed'),
      5_000,
      'the plan failed',
    );
    expect(failed.type === 'plan' && failed.plan).toMatchObject({ payUrl: null, payUrlExpiresAt: null });
    const [shown] = (await t.call('installments.list', {})).filter((p) => p.id === plan.id);
    // PayPlug's "A payment has failed." is not passed on: the status and the rows say it in the till's words.
    expect(shown).toMatchObject({ status: 'failed', payUrl: null, failure: null });
    expect(shown!.schedule.map((e) => e.state)).toEqual(['expired', 'not_charged', 'not_charged']);
  });

  it('Abort on a plan that ended meanwhile answers the plan as it is, not a refusal', async () => {
    // The till has not looked at the first part since (polling every 10 minutes).
    const { t, plan } = await till(600_000);
    await payplug(t, 'POST', '/_sandbox/clock', { advance_seconds: 16 * 60 });
    const answer = await t.call('installments.abort', { planId: plan.id });
    expect(answer).toMatchObject({ status: 'failed', payUrl: null });
  });
});

describe('a PayPlug plan read while its create is on its way', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('is made once: the reading waits for the create instead of looking for it and making another', async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    // The plan's create takes its time to be answered (a slow gateway, a busy machine).
    proxy.delayMs = (method, path) => (method === 'POST' && path === '/payplug/v1/installment_plans' ? 1_000 : 0);
    const t = await payplugTill(sandbox, { payplugUrl: `${proxy.url}/payplug` });
    cleanup.push(() => t.close());
    const creating = newPlan(t, 'ONCE-1');
    // Opening the plans list (or a restart's, or the watcher's reading) while the create is in flight.
    await waitFor(
      async () => t.events.some((e) => e.type === 'plan' && e.plan.status === 'creating') || undefined,
      3_000,
      'the plan being created',
    );
    const [plan] = await Promise.all([creating, t.call('installments.list', {})]);
    await t.call('installments.list', {});
    const parts = (await t.call('payments.list', { filter: 'all', limit: 100 })).filter((p) =>
      p.orderReference.startsWith('ONCE-1#'),
    );
    expect(parts.map((p) => p.orderReference)).toEqual(['ONCE-1#1']);
    expect(parts[0]!.transactionId).toBe(plan.schedule[0]!.paymentIds[0]);
  });
});

describe('the customer display and a PayPlug plan', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("shows the first part's QR, as for any payment by link, then the approval", async () => {
    const t = await payplugTill();
    cleanup.push(() => t.close());
    const plan = await t.call('installments.create', { amount: 9000, currency: 'EUR', count: 3, customer: grace });
    const display = await t.call('display.snapshot', {});
    // Which part it is and of what: "Total €30.00" alone told the customer a €90.00 plan cost €30.00.
    expect(display).toMatchObject({
      phase: 'qr',
      amount: 3000,
      currency: 'EUR',
      installment: { part: 1, of: 3, planAmount: 9000 },
    });
    expect(display.payUrl).toMatch(/\/payplug\/pay\//);
    await payplug(t, 'POST', `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`, {
      card_number: '4242424242424242',
    });
    await waitFor(async () => (await t.call('display.snapshot', {})).phase === 'approved', 5_000, 'approved');
    expect((await t.call('display.snapshot', {})).installment).toEqual({ part: 1, of: 3, planAmount: 9000 });
  });

  it('says nothing of installments for a payment in one go', async () => {
    const t = await payplugTill();
    cleanup.push(() => t.close());
    await t.call('payments.create', { amount: 2500, currency: 'EUR', channel: 'link' });
    expect(await t.call('display.snapshot', {})).toMatchObject({ phase: 'qr', amount: 2500, installment: null });
  });
});

describe('a PayPlug plan whose answer lists a payment that is not its own', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('does not take that payment in as a part: it is not the till’s money nor refundable here', async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await payplugTill(sandbox, { payplugUrl: `${proxy.url}/payplug` });
    cleanup.push(() => t.close());
    // A payment the shop's web site made and was paid, nothing to do with the till or the plan.
    const other = (await payplug(t, 'POST', '/v1/payments', { amount: 4200, currency: 'EUR' })).json as { id: string };
    await payplug(t, 'POST', `/_sandbox/payments/${other.id}/pay`, { card_number: '4242424242424242' });
    // PayPlug's plan answer (garbled on the way) lists it as the plan's second part.
    proxy.rewrite = (method, path, body) => {
      if (method !== 'GET' || !path.startsWith('/payplug/v1/installment_plans/')) return null;
      const plan = JSON.parse(body) as { schedule: { payment_ids: string[] }[] };
      plan.schedule[1]!.payment_ids = [other.id];
      return JSON.stringify(plan);
    };
    const plan = await newPlan(t, 'NOT-MINE');
    await t.call('installments.list', {});
    await waitFor(
      () => t.events.some((e) => e.type === 'plan' && e.plan.id === plan.id && e.plan.schedule[1]?.paymentIds.length),
      3_000,
      'the plan read again',
    );
    await new Promise((r) => setTimeout(r, 300));
    const payments = await t.call('payments.list', { filter: 'all', limit: 100 });
    expect(payments.map((p) => p.transactionId)).not.toContain(other.id);
    expect(payments.map((p) => p.orderReference)).toEqual(['NOT-MINE#1']);
    const log = await t.call('devlog.list', { limit: 200 });
    expect(log.some((e) => e.summary === `Installment ${other.id} of plan ${plan.id} not taken in`)).toBe(true);
  });
});

describe('a PayPlug plan aborted while PayPlug does not answer', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('stays asked for, shown being aborted, and is aborted by the till once PayPlug is back', async () => {
    // Before, the abort was sent with nothing journaled: unanswered, the cashier read an error and
    // the plan showed running again, its next part charged on its date unless someone thought of
    // pressing Abort again (and a till killed there forgot it the same way).
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const relay = await startGatewayProxy(sandbox.url);
    cleanup.push(() => relay.close());
    const t = await payplugTill(sandbox, { payplugUrl: `${relay.url}/payplug`, tuning: { planPollMs: 50 } });
    cleanup.push(() => t.close());
    const plan = await newPlan(t, 'ABORT-AWAY');
    relay.down();
    const asked = await t.call('installments.abort', { planId: plan.id });
    expect(asked).toMatchObject({ status: 'aborting', payUrl: null });
    relay.up();
    const aborted = await waitFor(
      async () => (await t.call('installments.list', {})).find((p) => p.id === plan.id && p.status === 'aborted'),
      8_000,
      'the plan aborted',
    );
    expect(aborted.payUrl).toBeNull();
    const { payments } = (await payplug(t, 'GET', '/_sandbox/ledger')).json as {
      payments: { installment_plan_id: string | null; failure_code: string | null }[];
    };
    expect(payments.filter((p) => p.installment_plan_id !== null).map((p) => p.failure_code)).toEqual(['aborted']);
  });
});

describe('a PayPlug plan read while it is being aborted', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('an answer read before the abort landed does not bring the aborted plan back to running', async () => {
    // A reading of the plans (the list opened, the watcher) whose answer PayPlug gave before the
    // abort landed, and which the till took in after the abort's answer: the plan showed running
    // again, its QR and Abort back, until the next reading.
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    cleanup.push(() => sandbox.close());
    const proxy = await startRewritingProxy(sandbox.url);
    cleanup.push(() => proxy.close());
    const t = await payplugTill(sandbox, { payplugUrl: `${proxy.url}/payplug`, tuning: { planPollMs: 600_000 } });
    cleanup.push(() => t.close());
    const plan = await newPlan(t, 'ABORT-STALE');
    const path = `/payplug/v1/installment_plans/${plan.gatewayPlanId}`;
    let running: string | null = null;
    proxy.rewrite = (method, p, body) => {
      if (method === 'GET' && p === path) running ??= body;
      return null;
    };
    await t.call('installments.list', {});
    expect(running).not.toBeNull();
    // A reading asks for the plan; its answer is on its way while the cashier aborts.
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    let asked = false;
    proxy.delayMs = (method, p) => (method === 'GET' && p === path && !asked ? ((asked = true), gate) : 0);
    const reading = t.call('installments.list', {});
    await waitFor(() => asked, 5_000, 'the reading asking for the plan');
    expect(await t.call('installments.abort', { planId: plan.id })).toMatchObject({ status: 'aborted' });
    // The reading's answer arrives: as PayPlug gave it before the abort.
    proxy.rewrite = (method, p) => (method === 'GET' && p === path ? running : null);
    letGo();
    const [listed] = (await reading).filter((p) => p.id === plan.id);
    expect(listed).toMatchObject({ status: 'aborted', payUrl: null });
    expect(t.events.some((e) => e.type === 'plan' && e.plan.id === plan.id && e.plan.status === 'aborted')).toBe(true);
    expect(t.events.findLast((e) => e.type === 'plan' && e.plan.id === plan.id)).toMatchObject({
      plan: { status: 'aborted' },
    });
  });
});
