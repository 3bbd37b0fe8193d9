/** Fault injection on the Plural API, the ledger, restarts on a file database, and live mode. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../support/fake-clock';
import { startSandbox } from '../../../sandbox/index';
import { MIGRATIONS } from '../../../sandbox/plural/schema';
import { receiver } from '../helpers';
import { inr, PluralApi, START, startPlural, type Order, type PluralError, type PluralHarness } from './helpers';

describe('faults', () => {
  let h: PluralHarness;
  beforeEach(async () => {
    h = await startPlural();
  });
  afterEach(() => h.close());

  const setFaults = (body: Record<string, unknown>) =>
    h.api.call<Record<string, unknown> & PluralError>('PUT', '/_sandbox/faults', body);

  it('GET/PUT /_sandbox/faults: latency, error and drop rates and seed; nothing else', async () => {
    expect((await h.api.call('GET', '/_sandbox/faults')).body).toEqual({
      latency_ms: 0,
      error_rate: 0,
      drop_after_commit_rate: 0,
      seed: null,
    });
    const set = await setFaults({ latency_ms: 5, seed: 7 });
    expect(set.body).toEqual({ latency_ms: 5, error_rate: 0, drop_after_commit_rate: 0, seed: 7 });
    expect(h.sandbox.plural.faults()).toMatchObject({ latency_ms: 5, seed: 7 });
    // PlutoPay's faults are its own.
    expect(h.sandbox.faults().latency_ms).toBe(0);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ error_rate: 2 }, 'error_rate'],
      [{ error_rate: '0.5' }, 'error_rate'],
      [{ latency_ms: -1 }, 'latency_ms'],
      [{ reader_timeout_ms: 1000 }, 'reader_timeout_ms'],
      [{ seed: 1.5 }, 'seed'],
    ];
    for (const [body, param] of cases) {
      const answer = await setFaults(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ code: 'INVALID_REQUEST', param });
    }
    expect((await h.api.call('GET', '/_sandbox/faults')).body).toMatchObject({ latency_ms: 5, seed: 7 });
  });

  it('setFaults() and faults() take and give the four fields the route does; reader_timeout_ms is refused', () => {
    const { plural } = h.sandbox;
    expect(plural.faults()).toEqual({ latency_ms: 0, error_rate: 0, drop_after_commit_rate: 0, seed: null });
    expect(() => plural.setFaults({ reader_timeout_ms: 1000 } as never)).toThrow(RangeError);
    expect(() => plural.setFaults({ error_rate: 0.5, reader_timeout_ms: 1000 } as never)).toThrow(/reader_timeout_ms/);
    // A refused setting changes nothing.
    expect(plural.faults()).toEqual({ latency_ms: 0, error_rate: 0, drop_after_commit_rate: 0, seed: null });
    plural.setFaults({ latency_ms: 3 });
    expect(plural.faults()).toEqual({ latency_ms: 3, error_rate: 0, drop_after_commit_rate: 0, seed: null });
    expect(() => h.sandbox.payplug.setFaults({ reader_timeout_ms: 1000 } as never)).toThrow(RangeError);
  });

  it('error_rate 1: every API request is a 500 before any change; pages and /_sandbox are not affected', async () => {
    const order = await h.api.createOrder({ merchant_order_reference: 'before-faults' });
    expect((await setFaults({ error_rate: 1 })).status).toBe(200);
    const create = await h.api.call<PluralError>('POST', '/api/pay/v1/orders', {
      merchant_order_reference: 'during-faults',
      order_amount: inr(1000),
    });
    expect(create.status).toBe(500);
    expect(create.body).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      message: expect.stringMatching(/before changing anything/),
    });
    const pay = await h.api.call(
      'POST',
      `/api/pay/v1/orders/${order.order_id}/payments`,
      PluralApi.paymentBody('4111111111111111'),
    );
    expect(pay.status).toBe(500);
    expect((await h.api.call('GET', `/api/pay/v1/orders/${order.order_id}`)).status).toBe(500);
    expect((await h.api.call('POST', '/api/auth/v1/token', {}, { token: null })).status).toBe(500);
    expect((await fetch(order.redirect_url!)).status).toBe(200);
    const ledger = await h.api.ledger();
    expect(ledger.map((o) => [o.merchant_order_reference, o.status])).toEqual([['before-faults', 'CREATED']]);
    h.sandbox.plural.setFaults({ error_rate: 0 });
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`)).status).toBe('CREATED');
  });

  it('drop_after_commit_rate 1: the change is committed, the answer lost; the order is found by its reference', async () => {
    await setFaults({ drop_after_commit_rate: 1 });
    const body = { merchant_order_reference: 'lost-answer-1', order_amount: inr(2500) };
    await expect(h.api.call('POST', '/api/pay/v1/orders', body)).rejects.toThrow();
    // Reads are answered (only changes are dropped).
    const found = await h.api.ok('GET', '/api/pay/v1/orders/reference/lost-answer-1');
    expect(found).toMatchObject({ status: 'CREATED', order_amount: inr(2500) });
    await expect(
      h.api.call(
        'POST',
        `/api/pay/v1/orders/${found.order_id}/payments`,
        PluralApi.paymentBody('4111111111111111', 2500),
      ),
    ).rejects.toThrow();
    await setFaults({ drop_after_commit_rate: 0 });
    expect((await h.api.ok('GET', `/api/pay/v1/orders/${found.order_id}`)).status).toBe('PROCESSED');
    // Retrying the create is refused: the order exists once.
    expect((await h.api.call('POST', '/api/pay/v1/orders', body)).status).toBe(409);
    const ledger = await h.api.ledger();
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ merchant_order_reference: 'lost-answer-1', status: 'PROCESSED', captured: 2500 });
  });

  it('a refused request is not dropped (only committed changes are)', async () => {
    await setFaults({ drop_after_commit_rate: 1 });
    const answer = await h.api.call<PluralError>('POST', '/api/pay/v1/orders', { order_amount: inr(2500) });
    expect(answer.status).toBe(400);
  });

  it('a seed makes the 500s repeat in the same order', async () => {
    const run = async (): Promise<number[]> => {
      await setFaults({ error_rate: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await h.api.call('GET', '/api/pay/v1/orders/reference/none')).status);
      return statuses;
    };
    const first = await run();
    expect(new Set(first)).toEqual(new Set([404, 500]));
    expect(await run()).toEqual(first);
  });
});

describe('ledger', () => {
  it('lists every charge with its payments, splits and refunds, keyed by merchant_order_reference', async () => {
    const h = await startPlural();
    try {
      const order = (await h.api.pay((await h.api.splitOrder({ merchant_order_reference: 'ledger-1' })).order_id)).data;
      await h.api.ok('PATCH', `/api/pay/v1/orders/${order.order_id}/settlementId/${order.order_id}-ss-a/cancel`);
      await h.api.ok('POST', `/api/pay/v1/refunds/${order.order_id}`, {
        merchant_order_reference: 'ledger-1-refund',
        order_amount: inr(30000),
        split_info: {
          split_type: 'AMOUNT',
          split_details: [
            {
              parent_order_split_settlement_id: `${order.order_id}-ss-a`,
              split_merchant_id: '1324',
              merchant_settlement_reference: 'back',
              amount: inr(30000),
              status: 'DO_NOT_RECOVER',
            },
          ],
        },
      });
      await h.api.createOrder({ merchant_order_reference: 'ledger-2' });
      const ledger = await h.api.ledger();
      expect(ledger.map((o) => o.merchant_order_reference)).toEqual(['ledger-1', 'ledger-2']);
      expect(ledger[0]).toEqual({
        order_id: order.order_id,
        merchant_order_reference: 'ledger-1',
        status: 'PARTIALLY_REFUNDED',
        pre_auth: false,
        amount: 50000,
        currency: 'INR',
        captured: 50000,
        refunded: 30000,
        merchant_metadata: null,
        payments: [
          {
            id: `${order.order_id}-cc-a`,
            merchant_payment_reference: null,
            status: 'PROCESSED',
            amount: 50000,
            captured: 50000,
            card_last4: '1111',
            error_code: null,
          },
        ],
        splits: [
          {
            split_settlement_id: `${order.order_id}-ss-a`,
            split_merchant_id: '1324',
            merchant_settlement_reference: 'kshjhfk',
            status: 'CANCELLED',
            amount: 30000,
            release_amount: null,
            released: 0,
            refunded_recovered: 0,
            refunded_not_recovered: 30000,
            unsettled_remainder: 0,
          },
          {
            split_settlement_id: `${order.order_id}-ss-b`,
            split_merchant_id: '1233',
            merchant_settlement_reference: null,
            status: 'RELEASED',
            amount: 20000,
            release_amount: null,
            released: 20000,
            refunded_recovered: 0,
            refunded_not_recovered: 0,
            unsettled_remainder: 0,
          },
        ],
        refunds: [
          {
            order_id: expect.stringMatching(/^v1-/),
            merchant_order_reference: 'ledger-1-refund',
            status: 'PROCESSED',
            amount: 30000,
            merchant_metadata: null,
            splits: [
              {
                split_settlement_id: expect.stringMatching(/-ss-a$/),
                parent_order_split_settlement_id: `${order.order_id}-ss-a`,
                amount: 30000,
                status: 'DO_NOT_RECOVER',
              },
            ],
            created_at: '2026-02-16T16:18:00.000Z',
          },
        ],
        created_at: '2026-02-16T16:18:00.000Z',
        updated_at: '2026-02-16T16:18:00.000Z',
      });
      expect(ledger[1]).toMatchObject({ status: 'CREATED', captured: 0, payments: [], refunds: [] });
    } finally {
      await h.close();
    }
  });

  it('shows the merchant_metadata of charges and refunds, where a client keeps its keys', async () => {
    const h = await startPlural();
    try {
      const order = await h.api.createOrder({
        merchant_order_reference: 'tagged-1',
        order_amount: inr(2500),
        purchase_details: { merchant_metadata: { pos_order: 'T1-42', pos_key: 'pos-T1-42-1' } },
      });
      await h.api.pay(order.order_id);
      await h.api.ok('POST', `/api/pay/v1/refunds/${order.order_id}`, {
        merchant_order_reference: `${order.order_id}-R1`,
        order_amount: inr(1000),
        merchant_metadata: { pos_key: 'refund-pay_1-1', pos_op: 'refund' },
      });
      // Read-only: reading the ledger twice changes nothing.
      await h.api.ledger();
      const [entry] = await h.api.ledger();
      expect(entry).toMatchObject({
        merchant_order_reference: 'tagged-1',
        status: 'PARTIALLY_REFUNDED',
        captured: 2500,
        refunded: 1000,
        merchant_metadata: { pos_order: 'T1-42', pos_key: 'pos-T1-42-1' },
        refunds: [
          {
            merchant_order_reference: `${order.order_id}-R1`,
            amount: 1000,
            merchant_metadata: { pos_key: 'refund-pay_1-1', pos_op: 'refund' },
          },
        ],
      });
    } finally {
      await h.close();
    }
  });
});

describe('restart on a file database', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plural-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps credentials, tokens, orders, splits, refunds and webhook endpoints', async () => {
    const db = join(dir, 'sandbox.db');
    const clock = new FakeClock(START);
    const first = await startSandbox({ port: 0, db, clock, seed: false });
    const api = new PluralApi(first);
    const token = await api.login();
    const order = (await api.pay((await api.splitOrder({ merchant_order_reference: 'kept-1' })).order_id)).data;
    await api.ok('PATCH', `/api/pay/v1/orders/${order.order_id}/settlementId/${order.order_id}-ss-a/release`, {
      release_amount: inr(10000),
    });
    await api.ok('POST', `/api/pay/v1/refunds/${order.order_id}`, {
      merchant_order_reference: 'kept-1-refund',
      order_amount: inr(5000),
      split_info: {
        split_type: 'AMOUNT',
        split_details: [
          {
            parent_order_split_settlement_id: `${order.order_id}-ss-b`,
            split_merchant_id: '1233',
            merchant_settlement_reference: 'r',
            amount: inr(5000),
          },
        ],
      },
    });
    await api.call('POST', '/_sandbox/webhook-endpoints', { url: 'http://127.0.0.1:9/hooks' });
    const before = await api.ok('GET', `/api/pay/v1/orders/${order.order_id}`);
    const credentials = { ...first.plural };
    const ledger = await api.ledger();
    await first.close();

    const second = await startSandbox({ port: 0, db, clock, seed: false });
    try {
      for (const key of ['client_id', 'client_secret', 'signature_key'] as const)
        expect(second.plural[key]).toBe(credentials[key]);
      const again = new PluralApi(second);
      again.token = token;
      const after = await again.ok('GET', `/api/pay/v1/orders/${order.order_id}`);
      // Only the port in the URLs differs.
      expect(JSON.parse(JSON.stringify(after).replaceAll(second.plural.url, first.plural.url))).toEqual(before);
      expect(await again.ok('GET', '/api/pay/v1/orders/reference/kept-1-refund')).toMatchObject({ type: 'REFUND' });
      expect(await again.ledger()).toEqual(ledger);
      expect((await again.call<{ data: unknown[] }>('GET', '/_sandbox/webhook-endpoints')).body.data).toHaveLength(1);
      const created = await again.call('POST', '/api/pay/v1/orders', {
        merchant_order_reference: 'kept-1',
        order_amount: inr(100),
      });
      expect(created.status).toBe(409);
    } finally {
      await second.close();
    }
    const raw = new Database(db, { readonly: true });
    try {
      expect(raw.prepare("SELECT version FROM schema_versions WHERE component = 'plural'").get()).toEqual({
        version: MIGRATIONS.length,
      });
    } finally {
      raw.close();
    }
  });

  it('a pending webhook retry survives the restart and is sent when due', async () => {
    const db = join(dir, 'sandbox.db');
    const rx = await receiver(1);
    try {
      const first = await startSandbox({ port: 0, db, clock: new FakeClock(START), seed: false });
      const api = new PluralApi(first);
      await api.login();
      await api.call('POST', '/_sandbox/webhook-endpoints', { url: rx.url });
      const order = (await api.pay((await api.createOrder()).order_id)).data;
      await first.plural.webhooksIdle();
      expect(rx.received).toHaveLength(1);
      await first.close();

      const later = new FakeClock(START + 30_000);
      const second = await startSandbox({ port: 0, db, clock: later, seed: false });
      try {
        await second.plural.webhooksIdle();
        expect(rx.received).toHaveLength(1);
        later.advance(30_000);
        await second.plural.webhooksIdle();
        expect(rx.received).toHaveLength(2);
        expect((JSON.parse(rx.received[1]!.body) as { data: Order }).data.order_id).toBe(order.order_id);
      } finally {
        await second.close();
      }
    } finally {
      await rx.close();
    }
  });
});

describe('options', () => {
  it('startSandbox({faults}) applies to Plural too; live mode refuses the pay shortcut', async () => {
    const faulty = await startSandbox({ port: 0, db: ':memory:', seed: false, faults: { error_rate: 1 } });
    try {
      expect(faulty.plural.faults().error_rate).toBe(1);
      const answer = await new PluralApi(faulty).call('POST', '/api/auth/v1/token', {}, { token: null });
      expect(answer.status).toBe(500);
    } finally {
      await faulty.close();
    }
    const live = await startPlural({ mode: 'live' });
    try {
      const order = await live.api.createOrder();
      const answer = await live.api.call<PluralError>('POST', `/_sandbox/orders/${order.order_id}/pay`, {});
      expect(answer.status).toBe(403);
      expect(answer.body.code).toBe('FORBIDDEN');
    } finally {
      await live.close();
    }
  });

  it('live mode declines the test cards, on the API and the checkout page, which says it is live', async () => {
    const live = await startPlural({ mode: 'live' });
    try {
      const order = await live.api.createOrder();
      const paid = await live.api.call<{ data: Order }>(
        'POST',
        `/api/pay/v1/orders/${order.order_id}/payments`,
        PluralApi.paymentBody('4111111111111111', order.order_amount.value),
      );
      expect(paid.status, paid.text).toBe(200);
      expect(paid.body.data.status).toBe('ATTEMPTED');
      expect(paid.body.data.payments![0]!.error_detail).toMatchObject({ code: 'PAYMENT_DECLINED' });
      const page = await fetch(order.redirect_url!);
      const html = await page.text();
      expect(html).toContain('live mode');
      expect(html).not.toContain('test mode');
    } finally {
      await live.close();
    }
  });
});
