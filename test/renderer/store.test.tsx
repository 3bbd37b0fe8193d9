// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CommandResult, InstallmentPlanView, Result } from '../../common/contract';
import { createPosStore } from '../../renderer/src/store';
import { DEVLOG_LIMIT, MIRROR_LIMIT } from '../../renderer/src/store/host-slice';
import { canCancel, defaultReader, validateDraft } from '../../renderer/src/store/selectors';
import { emptyDraft } from '../../renderer/src/store/ui-slice';
import { newOrderReference } from '../../renderer/src/lib/order-ref';
import {
  deferred,
  fail,
  FakeBridge,
  gatewayFor,
  makePayment,
  makeReader,
  makeSettings,
  makeSnapshot,
  memoryPreferences,
  ok,
} from './helpers';

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function started(bridge = new FakeBridge()) {
  const store = createPosStore(bridge, { preferences: memoryPreferences() });
  store.start();
  await flush();
  return store;
}

/** An active plan of two installments, the first not paid yet (what the Process screen shows). */
function planShown(id: string): InstallmentPlanView {
  return {
    id,
    gateway: 'payplug',
    gatewayPlanId: 'inst_1',
    orderReference: 'ORD-1',
    amount: 20000,
    currency: 'EUR',
    status: 'active',
    schedule: [
      { date: '2026-01-01', amount: 10000, paymentIds: ['pay_1'], paid: false, state: 'waiting' },
      { date: '2026-02-01', amount: 10000, paymentIds: [], paid: false, state: 'scheduled' },
    ],
    customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
    payUrl: 'http://127.0.0.1:1/payplug/pay/test/1',
    payUrlExpiresAt: null,
    failure: null,
    notFollowed: null,
    createdAt: '2026-01-01T10:00:00.000Z',
  };
}

describe('switching gateways', () => {
  it('starts Transactions again from page 1 with no filter, and forgets the one opened', async () => {
    // Found by a tester: "page 2 of 1" on PayPlug after page 2 on PlutoPay, and a Terminal method
    // filter carried over to Plural, which takes links only.
    const store = await started(new FakeBridge(makeSnapshot({ seq: 1 })));
    store.getState().setTxQuery({ page: 2, paymentMethodType: 'terminal', search: 'table' });
    store.getState().openTransaction('tx_1');
    // Settings that keep the gateway keep the query.
    const settings = (seq: number, gateway: 'plutopay' | 'payplug') => ({
      seq,
      type: 'settings' as const,
      settings: makeSettings({ gateway }),
      mode: 'test' as const,
      merchant: null,
      gateway: gatewayFor(gateway),
    });
    expect(store.getState().applyEvent(settings(2, 'plutopay'))).toBe('applied');
    expect(store.getState().ui.txQuery).toMatchObject({ page: 2, paymentMethodType: 'terminal' });
    expect(store.getState().applyEvent(settings(3, 'payplug'))).toBe('applied');
    expect(store.getState().ui.txQuery).toMatchObject({ page: 1, paymentMethodType: '', search: '' });
    expect(store.getState().ui.txSelectedId).toBeNull();
  });

  it('puts back the filters a gateway left when the till switches back to it, from page 1', async () => {
    // Found in a defect hunt: PlutoPay's search and Terminal filter were gone after a switch to PayPlug
    // and back, as if the cashier had never set them.
    const store = await started(new FakeBridge(makeSnapshot({ seq: 1 })));
    const settings = (seq: number, gateway: 'plutopay' | 'payplug') => ({
      seq,
      type: 'settings' as const,
      settings: makeSettings({ gateway }),
      mode: 'test' as const,
      merchant: null,
      gateway: gatewayFor(gateway),
    });
    store.getState().setTxQuery({ page: 2, paymentMethodType: 'terminal', search: 'table', sortField: 'amount' });
    store.getState().applyEvent(settings(2, 'payplug'));
    store.getState().setTxQuery({ status: 'succeeded' });
    store.getState().applyEvent(settings(3, 'plutopay'));
    expect(store.getState().ui.txQuery).toMatchObject({
      page: 1,
      paymentMethodType: 'terminal',
      search: 'table',
      sortField: 'amount',
      status: '',
    });
    store.getState().applyEvent(settings(4, 'payplug'));
    expect(store.getState().ui.txQuery).toMatchObject({ status: 'succeeded', paymentMethodType: '', search: '' });
  });
});

describe("the automatic order reference, in the shop's time zone", () => {
  // 00:30 on 1 December in Paris, 23:30 on 30 November in UTC (the browser's zone here).
  const SALE = new Date('2026-11-30T23:30:00Z');
  const zoneBefore = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = 'UTC';
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(SALE);
  });
  afterEach(() => {
    vi.useRealTimers();
    if (zoneBefore === undefined) delete process.env.TZ;
    else process.env.TZ = zoneBefore;
  });
  const settingsIn = (seq: number, timeZone: string) => {
    const settings = makeSettings();
    return {
      seq,
      type: 'settings' as const,
      settings: { ...settings, counter: { ...settings.counter, timeZone } },
      mode: 'test' as const,
      merchant: null,
      gateway: gatewayFor('plutopay'),
    };
  };

  it("is stamped with the shop's day, not the browser's, so the day's search finds the sale", async () => {
    // Found by a tester: a browser on UTC, a shop in Paris, a 00:30 sale stamped the day before.
    expect(newOrderReference(SALE, 'Europe/Paris')).toMatch(/^pos-20261201-003000-[0-9a-f]{8}$/);
    expect(newOrderReference(SALE, null)).toMatch(/^pos-20261130-233000-/);
    expect(newOrderReference(SALE, 'Not/AZone')).toMatch(/^pos-20261130-233000-/);
    const bridge = new FakeBridge(makeSnapshot({ seq: 1 }));
    const store = createPosStore(bridge, { preferences: memoryPreferences() });
    // The first blank form is built before the settings are known: the browser's clock...
    expect(store.getState().ui.draft.autoReference).toMatch(/^pos-20261130-/);
    store.start();
    await flush();
    // ...and made again in the shop's zone once they arrive.
    expect(store.getState().ui.draft.autoReference).toMatch(/^pos-20261201-003000-/);
    store.getState().resetDraft();
    expect(store.getState().ui.draft.autoReference).toMatch(/^pos-20261201-003000-/);
    // Settings changing the zone restamp an untouched draft; the cashier's own reference stays.
    store.getState().updateDraft({ orderReference: 'TABLE-7' });
    store.getState().applyEvent(settingsIn(2, 'America/New_York'));
    expect(store.getState().ui.draft).toMatchObject({
      orderReference: 'TABLE-7',
      autoReference: expect.stringMatching(/^pos-20261130-183000-/),
    });
  });

  it('never changes a reference a charge was sent with (the host may have that payment)', async () => {
    const bridge = new FakeBridge(makeSnapshot({ seq: 1 }));
    bridge.on('payments.create', () => fail('offline', 'The gateway is unreachable.'));
    const store = createPosStore(bridge, { preferences: memoryPreferences() });
    store.getState().updateDraft({ amount: 1250 });
    store.start();
    await flush();
    await store.getState().charge();
    const sent = bridge.inputs('payments.create')[0]!.orderReference;
    expect(sent).toMatch(/^pos-20261201-/);
    expect(store.getState().ui.draft.autoReference).toBe(sent);
    store.getState().applyEvent(settingsIn(2, 'America/New_York'));
    store.getState().applySettings(settingsIn(3, 'Asia/Tokyo').settings);
    expect(store.getState().ui.draft.autoReference).toBe(sent);
    // Charging again reuses it: the host finds the first attempt instead of making a second payment.
    await store.getState().charge();
    expect(bridge.inputs('payments.create')[1]!.orderReference).toBe(sent);
  });
});

describe('host mirror and sequence numbers', () => {
  it('applies events in sequence, drops stale ones, and reports gaps', async () => {
    const store = await started(new FakeBridge(makeSnapshot({ seq: 5 })));
    const s = store.getState();
    const payment = makePayment({ id: 'pay_seq0000001' });
    expect(s.applyEvent({ seq: 5, type: 'payment', payment })).toBe('stale');
    expect(s.applyEvent({ seq: 6, type: 'payment', payment })).toBe('applied');
    expect(store.getState().host.payments[payment.id]).toEqual(payment);
    expect(store.getState().applyEvent({ seq: 8, type: 'attention', changed: [], removed: [] })).toBe('gap');
    expect(store.getState().host.seq).toBe(6);
  });

  it('a window open for weeks lets its oldest settled payments go, never one a screen needs', async () => {
    // Every payment event added to the mirror for as long as the window stayed open, each copying
    // them all.
    const store = await started(new FakeBridge(makeSnapshot({ seq: 1 })));
    const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();
    const keep = [
      makePayment({ id: 'pay_open000001', status: 'pending', createdAt: at(0) }),
      makePayment({ id: 'pay_hold000001', status: 'requires_capture', createdAt: at(1) }),
      makePayment({
        id: 'pay_doubt00001',
        status: 'succeeded',
        createdAt: at(2),
        attention: {
          paymentId: 'pay_doubt00001',
          createdAt: at(2),
          amount: 1250,
          currency: 'EUR',
          reason: 'r',
          advice: 'a',
          since: at(2),
          unsettledRefund: null,
          testMode: false,
        },
      }),
      makePayment({
        id: 'pay_print00001',
        status: 'succeeded',
        createdAt: at(3),
        receipt: {
          print: { state: 'failed', copies: 'customer', error: 'out of paper', duplicate: false, at: at(3) },
          email: null,
        },
      }),
      makePayment({ id: 'pay_shown00001', status: 'succeeded', createdAt: at(4) }),
    ];
    let seq = 1;
    for (const payment of keep) store.getState().applyEvent({ seq: ++seq, type: 'payment', payment });
    store.getState().selectPayment('pay_shown00001');
    for (let n = 0; n < 2 * MIRROR_LIMIT; n++) {
      const payment = makePayment({
        id: `pay_sold${String(n).padStart(6, '0')}`,
        status: 'succeeded',
        createdAt: at(10 + n),
      });
      expect(store.getState().applyEvent({ seq: ++seq, type: 'payment', payment })).toBe('applied');
      expect(Object.keys(store.getState().host.payments).length).toBeLessThanOrEqual(MIRROR_LIMIT);
    }
    const mirrored = store.getState().host.payments;
    for (const payment of keep) expect(mirrored[payment.id]?.id).toBe(payment.id);
    // The newest sales stay; the oldest went.
    expect(mirrored[`pay_sold${String(2 * MIRROR_LIMIT - 1).padStart(6, '0')}`]).toBeDefined();
    expect(mirrored['pay_sold000000']).toBeUndefined();
    expect(store.getState().host.seq).toBe(seq);
  });

  it('keeps a payment changed just now, however old, so an answer read before the change is not taken', async () => {
    // An old authorisation captured now was, as the oldest settled payment, the first let go: a
    // page of authorisations read before the capture then put it back as still to capture.
    const store = await started(new FakeBridge(makeSnapshot({ seq: 1 })));
    const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();
    let seq = 1;
    const sale = (n: number) =>
      makePayment({
        id: `pay_sold${String(n).padStart(6, '0')}`,
        status: 'succeeded',
        createdAt: at(100 + n),
        updatedAt: at(100 + n),
      });
    const held = makePayment({ id: 'pay_held00001', status: 'requires_capture', createdAt: at(0), updatedAt: at(0) });
    store.getState().applyEvent({ seq: ++seq, type: 'payment', payment: held });
    for (let n = 0; n < MIRROR_LIMIT - 1; n++)
      store.getState().applyEvent({ seq: ++seq, type: 'payment', payment: sale(n) });
    const captured = { ...held, status: 'succeeded' as const, updatedAt: at(5_000) };
    store.getState().applyEvent({ seq: ++seq, type: 'payment', payment: captured });
    expect(store.getState().applyEvent({ seq: ++seq, type: 'payment', payment: sale(MIRROR_LIMIT) })).toBe('applied');
    expect(store.getState().host.seq).toBe(seq);
    expect(Object.keys(store.getState().host.payments).length).toBeLessThanOrEqual(MIRROR_LIMIT);
    expect(store.getState().host.payments[held.id]).toEqual(captured);
    // A page read before the capture arrives now: older than what the mirror holds, not taken.
    store.getState().applyPayment(held);
    expect(store.getState().host.payments[held.id]).toEqual(captured);
  });

  it('never lets go of the payment a screen has just read, however old', async () => {
    // A screen reads an old settled payment from the host (Transactions details, a Settlements
    // page) into the mirror: with the mirror full, that payment was the oldest settled one, and so
    // the one let go at once: the screen asked for it and the mirror dropped it on arrival.
    const store = await started(new FakeBridge(makeSnapshot({ seq: 1 })));
    const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();
    let seq = 1;
    for (let n = 0; n < MIRROR_LIMIT; n++)
      store.getState().applyEvent({
        seq: ++seq,
        type: 'payment',
        payment: makePayment({
          id: `pay_sold${String(n).padStart(6, '0')}`,
          status: 'succeeded',
          createdAt: at(100 + n),
        }),
      });
    expect(Object.keys(store.getState().host.payments)).toHaveLength(MIRROR_LIMIT);
    const old = makePayment({ id: 'pay_older00001', status: 'refunded', createdAt: at(0) });
    store.getState().applyPayment(old);
    expect(store.getState().host.payments[old.id]).toEqual(old);
    expect(Object.keys(store.getState().host.payments).length).toBeLessThanOrEqual(MIRROR_LIMIT);
    // The same for one a host event brings.
    const older = makePayment({ id: 'pay_older00000', status: 'succeeded', createdAt: at(-1) });
    for (let n = 0; n < MIRROR_LIMIT; n++)
      store.getState().applyEvent({
        seq: ++seq,
        type: 'payment',
        payment: makePayment({
          id: `pay_more${String(n).padStart(6, '0')}`,
          status: 'succeeded',
          createdAt: at(5_000 + n),
        }),
      });
    while (Object.keys(store.getState().host.payments).length < MIRROR_LIMIT)
      store.getState().applyEvent({
        seq: ++seq,
        type: 'payment',
        payment: makePayment({
          id: `pay_fill${String(seq).padStart(6, '0')}`,
          status: 'succeeded',
          createdAt: at(9_000 + seq),
        }),
      });
    expect(store.getState().applyEvent({ seq: seq + 1, type: 'payment', payment: older })).toBe('applied');
    expect(store.getState().host.payments[older.id]).toEqual(older);
  });

  it('applies Needs attention a change at a time, each item in the host’s order (newest payment first)', async () => {
    // The host sends only the items that appeared, changed or went, not the whole list each time.
    const item = (id: string, createdAt: string, reason = 'r') => ({
      paymentId: id,
      createdAt,
      amount: 1000,
      currency: 'EUR',
      reason,
      advice: 'a',
      since: createdAt,
      unsettledRefund: null,
      testMode: false,
    });
    const a = item('pay_a', '2026-05-01T10:00:00.000Z');
    const b = item('pay_b', '2026-05-01T09:00:00.000Z');
    const c = item('pay_c', '2026-05-01T08:00:00.000Z');
    const store = await started(new FakeBridge(makeSnapshot({ seq: 1, attention: [a, c] })));
    const ids = () => store.getState().host.attention.map((x) => x.paymentId);
    expect(store.getState().applyEvent({ seq: 2, type: 'attention', changed: [b], removed: [] })).toBe('applied');
    expect(ids()).toEqual(['pay_a', 'pay_b', 'pay_c']);
    const newer = item('pay_d', '2026-05-01T11:00:00.000Z');
    store
      .getState()
      .applyEvent({ seq: 3, type: 'attention', changed: [newer, { ...c, reason: 'again' }], removed: [] });
    expect(ids()).toEqual(['pay_d', 'pay_a', 'pay_b', 'pay_c']);
    expect(store.getState().host.attention[3]!.reason).toBe('again');
    store.getState().applyEvent({ seq: 4, type: 'attention', changed: [], removed: ['pay_a', 'pay_zzz'] });
    expect(ids()).toEqual(['pay_d', 'pay_b', 'pay_c']);
    // Same instant: by payment id, descending (as the host orders them).
    store.getState().applyEvent({ seq: 5, type: 'attention', changed: [item('pay_bb', b.createdAt)], removed: [] });
    expect(ids()).toEqual(['pay_d', 'pay_bb', 'pay_b', 'pay_c']);
  });

  it('keeps the whole of Needs attention, 3 000 items, exact and in order, a change at a time', async () => {
    // The screen draws a page; the store keeps every item so the sidebar's count is exact. Each
    // change leaves every other item's object as it was: the screen redraws only what changed.
    const at = (n: number) => new Date(Date.UTC(2026, 4, 1, 12) - n * 1_000).toISOString();
    const item = (n: number, reason = 'r') => ({
      paymentId: `pay_doubt${String(n).padStart(6, '0')}`,
      createdAt: at(n),
      amount: 100 + n,
      currency: 'EUR',
      reason,
      advice: 'a',
      since: at(n),
      unsettledRefund: null,
      testMode: false,
    });
    const all = Array.from({ length: 3_000 }, (_, n) => item(n));
    const store = await started(new FakeBridge(makeSnapshot({ seq: 1, attention: all })));
    const list = () => store.getState().host.attention;
    expect(list()).toHaveLength(3_000);
    const changed = item(1_500, 'changed');
    const newest = { ...item(0), paymentId: 'pay_newest0001', createdAt: at(-60) };
    store.getState().applyEvent({
      seq: 2,
      type: 'attention',
      changed: [changed, newest],
      removed: [all[0]!.paymentId, all[2_999]!.paymentId],
    });
    expect(list()).toHaveLength(2_999);
    expect(list().map((x) => x.paymentId)).toEqual([newest, ...all.slice(1, 2_999)].map((x) => x.paymentId));
    expect(list()[1_500]).toBe(changed);
    const untouched = list().filter((x, i) => i !== 0 && i !== 1_500);
    expect(untouched.every((x) => x === all[Number(x.paymentId.slice(-6))])).toBe(true);
  });

  it('buffers events that arrive while a snapshot is loading and applies only those after it', async () => {
    const bridge = new FakeBridge();
    const snap = deferred<Result<CommandResult<'session.snapshot'>>>();
    bridge.on('session.snapshot', () => snap.promise);
    const store = createPosStore(bridge);
    store.start();
    const payment = makePayment({ id: 'pay_buffer0001', status: 'pending' });
    bridge.push({ seq: 20, type: 'payment', payment: { ...payment, status: 'creating' } }); // covered by the snapshot
    bridge.push({
      seq: 22,
      type: 'payment',
      payment: { ...payment, status: 'in_progress', readerStage: 'waiting_for_card' },
    });
    bridge.push({ seq: 21, type: 'payment', payment: { ...payment, status: 'in_progress', readerStage: 'sent' } });
    snap.resolve(ok(makeSnapshot({ seq: 20, payments: [payment] })));
    await flush();
    expect(store.getState().host.seq).toBe(22);
    expect(store.getState().host.payments[payment.id]?.readerStage).toBe('waiting_for_card');
    expect(bridge.count('session.snapshot')).toBe(1);
  });

  it('a gap triggers one resync; events that arrive during it are kept', async () => {
    const bridge = new FakeBridge(makeSnapshot({ seq: 1 }));
    const store = await started(bridge);
    const snap = deferred<Result<CommandResult<'session.snapshot'>>>();
    bridge.on('session.snapshot', () => snap.promise);
    bridge.push({
      seq: 3,
      type: 'connectivity',
      connectivity: { gateway: 'offline', lastError: null, queued: { count: 0, totals: [] }, recovering: null },
    });
    bridge.push({ seq: 4, type: 'attention', changed: [], removed: [] });
    bridge.push({
      seq: 5,
      type: 'connectivity',
      connectivity: { gateway: 'online', lastError: null, queued: { count: 0, totals: [] }, recovering: null },
    });
    expect(bridge.count('session.snapshot')).toBe(2);
    expect(store.getState().link.syncing).toBe(true);
    snap.resolve(
      ok(
        makeSnapshot({
          seq: 3,
          connectivity: { gateway: 'offline', lastError: null, queued: { count: 0, totals: [] }, recovering: null },
        }),
      ),
    );
    await flush();
    expect(bridge.count('session.snapshot')).toBe(2);
    expect(store.getState().host.seq).toBe(5);
    expect(store.getState().host.connectivity.gateway).toBe('online');
    expect(store.getState().link.syncing).toBe(false);
  });

  it('gives up on a gap the host never fills after three snapshots, keeping the last snapshot', async () => {
    const bridge = new FakeBridge(makeSnapshot({ seq: 1 }));
    const store = await started(bridge);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    bridge.push({ seq: 9, type: 'attention', changed: [], removed: [] });
    await flush();
    await flush();
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    expect(bridge.count('session.snapshot')).toBe(4); // the first load + three tries
    expect(store.getState().host.seq).toBe(1);
    // The next event in sequence after the snapshot is applied normally.
    expect(store.getState().applyEvent({ seq: 2, type: 'attention', changed: [], removed: [] })).toBe('applied');
  });

  it('resyncs on every reconnect and records the connection state', async () => {
    const bridge = new FakeBridge();
    const store = await started(bridge);
    bridge.setConnection('closed');
    bridge.setConnection('closed');
    expect(store.getState().link).toMatchObject({ connection: 'closed', failedConnects: 2 });
    bridge.snapshot = makeSnapshot({ seq: 99 });
    bridge.setConnection('open');
    await flush();
    expect(bridge.count('session.snapshot')).toBe(2);
    expect(store.getState().link).toMatchObject({ connection: 'open', failedConnects: 0 });
    expect(store.getState().host.seq).toBe(99);
  });

  it('never lets an older command result overwrite a newer event', async () => {
    const store = await started();
    const newer = makePayment({ id: 'pay_order00001', status: 'succeeded', updatedAt: '2026-01-01T10:00:05.000Z' });
    store.getState().applyEvent({ seq: 11, type: 'payment', payment: newer });
    store.getState().applyPayment({ ...newer, status: 'in_progress', updatedAt: '2026-01-01T10:00:01.000Z' });
    expect(store.getState().host.payments[newer.id]?.status).toBe('succeeded');
    store.getState().applyPayment({ ...newer, status: 'refunded', updatedAt: '2026-01-01T10:00:09.000Z' });
    expect(store.getState().host.payments[newer.id]?.status).toBe('refunded');
  });

  it('a plan event replaces the plan on screen, and leaves the screen alone for another plan', async () => {
    const store = await started(new FakeBridge(makeSnapshot({ seq: 1 })));
    const plan = planShown('ipl_shown00001');
    store.getState().showPlan(plan);
    const paid = { ...plan, schedule: [{ ...plan.schedule[0]!, paid: true }, plan.schedule[1]!] };
    expect(store.getState().applyEvent({ seq: 2, type: 'plan', plan: { ...paid, id: 'ipl_other00001' } })).toBe(
      'applied',
    );
    expect(store.getState().ui.selectedPlan).toEqual(plan);
    expect(store.getState().applyEvent({ seq: 3, type: 'plan', plan: paid })).toBe('applied');
    expect(store.getState().ui.selectedPlan?.schedule.map((e) => e.paid)).toEqual([true, false]);
    // Nothing on screen: a plan event does not open one.
    store.getState().showPlan(null);
    store.getState().applyEvent({ seq: 4, type: 'plan', plan: paid });
    expect(store.getState().ui.selectedPlan).toBeNull();
  });

  it('reads the plan on screen again after a resync: its events may have fallen in the gap', async () => {
    const bridge = new FakeBridge(makeSnapshot({ seq: 1 }));
    const store = await started(bridge);
    const plan = planShown('ipl_shown00002');
    store.getState().showPlan(plan);
    const paid = { ...plan, payUrl: null, schedule: [{ ...plan.schedule[0]!, paid: true }, plan.schedule[1]!] };
    bridge.on('installments.list', () => ok([paid]));
    bridge.snapshot = makeSnapshot({ seq: 7 });
    // Event 5 skips 2–4 (the plan's event among them): the store resyncs from a snapshot.
    bridge.push({ seq: 5, type: 'attention', changed: [], removed: [] });
    await flush();
    await flush();
    expect(bridge.count('installments.list')).toBe(1);
    expect(store.getState().ui.selectedPlan?.schedule[0]?.paid).toBe(true);
  });

  it('keeps the developer log ordered by id, deduplicated and capped', async () => {
    const store = await started();
    const entries = Array.from({ length: DEVLOG_LIMIT + 10 }, (_, i) => ({
      id: i + 1,
      at: '2026-01-01T00:00:00Z',
      kind: 'request' as const,
      summary: `#${i + 1}`,
    }));
    store.getState().mergeDevlog(entries.slice(5));
    store.getState().mergeDevlog(entries.slice(0, 10));
    const log = store.getState().host.devlog;
    expect(log).toHaveLength(DEVLOG_LIMIT);
    expect(log[0]!.id).toBe(11);
    expect(log.at(-1)!.id).toBe(DEVLOG_LIMIT + 10);
  });

  it('adds log events one by one: appended, capped, and a repeated or older entry merged in order', async () => {
    const store = await started();
    const entry = (id: number) => ({ id, at: '2026-01-01T00:00:00Z', kind: 'request' as const, summary: `#${id}` });
    for (let id = 1; id <= DEVLOG_LIMIT + 3; id++) store.getState().mergeDevlog([entry(id)]);
    let log = store.getState().host.devlog;
    expect(log).toHaveLength(DEVLOG_LIMIT);
    expect([log[0]!.id, log.at(-1)!.id]).toEqual([4, DEVLOG_LIMIT + 3]);
    store.getState().mergeDevlog([{ ...entry(DEVLOG_LIMIT + 3), summary: 'again' }]);
    store.getState().mergeDevlog([entry(DEVLOG_LIMIT + 5)]);
    store.getState().mergeDevlog([entry(DEVLOG_LIMIT + 4)]);
    log = store.getState().host.devlog;
    expect(log).toHaveLength(DEVLOG_LIMIT);
    expect(log.slice(-3).map((e) => [e.id, e.summary])).toEqual([
      [DEVLOG_LIMIT + 3, 'again'],
      [DEVLOG_LIMIT + 4, `#${DEVLOG_LIMIT + 4}`],
      [DEVLOG_LIMIT + 5, `#${DEVLOG_LIMIT + 5}`],
    ]);
  });

  it('command results update the mirror: readers.forget removes, settings.update switches the mode', async () => {
    const bridge = new FakeBridge(
      makeSnapshot({ readers: [makeReader(), makeReader({ id: 'rdr_two', label: 'Two' })] }),
    );
    bridge.on('readers.forget', () => ok({ forgotten: true as const }));
    bridge.on('settings.update', () => ok({ ...bridge.snapshot.settings, mode: 'live' }));
    const store = await started(bridge);
    await store.getState().run('readers.forget', { readerId: 'rdr_two' });
    expect(store.getState().host.readers.map((r) => r.id)).toEqual(['rdr_sim1']);
    await store.getState().run('settings.update', { mode: 'live' });
    expect(store.getState().host.mode).toBe('live');
  });

  it('a bridge that throws becomes an internal error instead of an unhandled rejection', async () => {
    const bridge = new FakeBridge();
    bridge.on('readers.list', () => {
      throw new Error('preload exploded');
    });
    const store = await started(bridge);
    const result = await store.getState().run('readers.list', {}, 'readersList');
    expect(result).toEqual({
      ok: false,
      error: { code: 'internal', message: 'The request could not be sent: Error: preload exploded' },
    });
    expect(store.getState().busy.readersList).toBeUndefined();
  });
});

describe('selectors', () => {
  it('the default reader is the last used one while online, else the first online one', async () => {
    const store = await started(
      new FakeBridge(
        makeSnapshot({
          readers: [
            makeReader({ id: 'rdr_a', status: 'offline' }),
            makeReader({ id: 'rdr_b' }),
            makeReader({ id: 'rdr_c' }),
          ],
        }),
      ),
    );
    expect(defaultReader(store.getState())?.id).toBe('rdr_b');
    store.getState().chooseReader('rdr_c');
    expect(defaultReader(store.getState())?.id).toBe('rdr_c');
    store.getState().chooseReader('rdr_a');
    expect(defaultReader(store.getState())?.id).toBe('rdr_b');
  });

  it('the default reader avoids a reader busy with another payment while an idle one is online', async () => {
    const busy = makeReader({
      id: 'rdr_busy',
      action: { paymentId: 'pay_other00001', transactionId: 'x', stage: 'waiting_for_card', status: 'in_progress' },
    });
    const store = await started(new FakeBridge(makeSnapshot({ readers: [busy, makeReader({ id: 'rdr_idle' })] })));
    store.getState().chooseReader('rdr_busy');
    expect(defaultReader(store.getState())?.id).toBe('rdr_idle');
    store.getState().setReaders([busy]);
    expect(defaultReader(store.getState())?.id).toBe('rdr_busy');
  });

  it('cancel is allowed until the card is being authorised', () => {
    expect(canCancel(makePayment({ status: 'pending' }))).toBe(true);
    expect(canCancel(makePayment({ status: 'in_progress', readerStage: 'waiting_for_card' }))).toBe(true);
    expect(canCancel(makePayment({ status: 'in_progress', readerStage: 'processing' }))).toBe(false);
    expect(canCancel(makePayment({ status: 'requires_capture' }))).toBe(false);
    expect(canCancel(makePayment({ status: 'succeeded' }))).toBe(false);
    expect(canCancel(makePayment({ status: 'failed' }))).toBe(false);
  });

  it('validates a draft like the host schema does', () => {
    const draft = { ...emptyDraft(), amount: 100_000_001 };
    expect(validateDraft(draft, 'EUR')).toEqual([
      { path: 'amount', message: 'The amount can be at most €1,000,000.00.' },
    ]);
    expect(validateDraft({ ...draft, amount: 1 }, 'XXX')[0]?.path).toBe('currency');
    expect(validateDraft({ ...draft, amount: 1, description: 'x'.repeat(501) }, 'EUR')[0]?.path).toBe('description');
    expect(validateDraft({ ...draft, amount: 1, orderReference: 'A-1/2#3' }, 'EUR')).toEqual([]);
  });
});

describe('Esc while a payment is being created', () => {
  const reader = makeReader({ id: 'rdr_counter1', label: 'Counter 1', status: 'online' });

  /** A charge on its way to the host, Esc pressed before the host reported it. */
  async function chargeThenCancel() {
    const bridge = new FakeBridge(makeSnapshot({ seq: 1, readers: [reader] }));
    const creating = deferred<Result<CommandResult<'payments.create'>>>();
    bridge.on('payments.create', () => creating.promise);
    const cancel = deferred<Result<CommandResult<'payments.cancelCreate'>>>();
    bridge.on('payments.cancelCreate', () => cancel.promise);
    const store = await started(bridge);
    store.getState().updateDraft({ amount: 1112 });
    const charging = store.getState().charge();
    const { orderReference, requestId } = bridge.inputs('payments.create')[0]!;
    store.getState().cancelCharge();
    store.getState().cancelCharge();
    expect(store.getState().ui.pendingCharge?.cancelAsked).toBe(true);
    // The host has not reported the payment: the cancel names the charge, at once (a reload next
    // would lose a cancel the page kept), and once.
    expect(requestId).toMatch(/^req_[0-9a-f]{24}$/);
    expect(bridge.inputs('payments.cancelCreate')).toEqual([{ requestId, orderReference }]);
    expect(bridge.count('payments.cancel')).toBe(0);
    return { bridge, store, creating, cancel, charging, orderReference };
  }

  it('the host’s answer shows it canceled, and its "not sent to the reader" is moot', async () => {
    const { bridge, store, creating, cancel, charging, orderReference } = await chargeThenCancel();
    const payment = makePayment({ id: 'pay_escaped01', orderReference, status: 'creating', amount: 1112 });
    store.getState().applyEvent({ seq: 2, type: 'payment', payment });
    // Reported now: nothing more is sent, the host has the cancel already.
    expect(bridge.count('payments.cancel')).toBe(0);
    const canceled = { ...payment, status: 'canceled' as const, updatedAt: new Date(Date.now() + 1000).toISOString() };
    creating.resolve(
      ok({ ...canceled, notSent: { code: 'conflict', message: 'This payment is canceled; only a pending payment…' } }),
    );
    cancel.resolve(ok(canceled));
    await charging;
    await flush();
    expect(store.getState().ui.selectedPaymentId).toBe('pay_escaped01');
    expect(store.getState().ui.paymentError).toBe(null);
    expect(store.getState().host.payments['pay_escaped01']!.status).toBe('canceled');
    expect(bridge.count('payments.cancel')).toBe(0);
  });

  it('held by the host (its create had not reached it): the payment is shown as the host reports it', async () => {
    const { bridge, store, creating, cancel, charging, orderReference } = await chargeThenCancel();
    cancel.resolve(ok(null));
    await flush();
    expect(store.getState().ui.pendingCharge?.cancelAsked).toBe(true);
    const canceled = makePayment({ id: 'pay_escaped02', orderReference, status: 'canceled', amount: 1112 });
    creating.resolve(ok(canceled));
    await charging;
    expect(store.getState().ui.selectedPaymentId).toBe('pay_escaped02');
    expect(store.getState().host.payments['pay_escaped02']!.status).toBe('canceled');
    expect(bridge.count('payments.cancel')).toBe(0);
  });

  it('a cancel the host refuses is said under the payment', async () => {
    const { store, creating, cancel, charging, orderReference } = await chargeThenCancel();
    const onReader = makePayment({ id: 'pay_escaped03', orderReference, status: 'in_progress', readerId: reader.id });
    creating.resolve(ok(onReader));
    await charging;
    const refusal = {
      code: 'conflict' as const,
      message: 'The card is being authorised; it can no longer be canceled.',
    };
    cancel.resolve({ ok: false, error: refusal });
    await flush();
    expect(store.getState().ui.paymentError).toEqual({ paymentId: 'pay_escaped03', error: refusal });
  });

  it('a payment the host already has, still being created: the cancel goes to the host at once', async () => {
    const bridge = new FakeBridge(makeSnapshot({ seq: 1 }));
    bridge.on('payments.cancel', () => new Promise(() => undefined));
    const store = await started(bridge);
    const payment = makePayment({ id: 'pay_creating1', status: 'creating' });
    store.getState().applyEvent({ seq: 2, type: 'payment', payment });
    store.getState().selectPayment(payment.id);
    store.getState().cancelCharge();
    store.getState().cancelCharge();
    expect(bridge.inputs('payments.cancel')).toEqual([{ paymentId: 'pay_creating1' }]);
  });
});
