/**
 * One database opened in test mode, then in live mode, then in test mode again: each emulator shows
 * a mode only the objects made in it (PayPlug always did; PlutoPay and Plural share its mechanism).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Mode } from '../../sandbox/index';
import { Api, type ErrorResponse, type ListResponse, type TransactionJson } from './helpers';
import { inr, PluralApi } from './plural/helpers';

describe('test and live mode on one database', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-modes-'));
    db = join(dir, 'sandbox.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run<T>(mode: Mode, body: (api: Api, plural: PluralApi) => Promise<T>): Promise<T> {
    const sandbox = await startSandbox({ port: 0, db, mode });
    try {
      const plural = new PluralApi(sandbox);
      await plural.login();
      return await body(new Api(sandbox.url, sandbox.secret_key), plural);
    } finally {
      await sandbox.close();
    }
  }

  it('keeps each mode to its own PlutoPay objects and Plural orders', async () => {
    const made = await run('test', async (api, plural) => {
      const txn = (
        await api.post<TransactionJson>('/v1/transactions', {
          amount: 1000,
          confirm: true,
          description: 'made-in-test-mode',
          idempotency_key: 'mode-key',
        })
      ).body;
      const customer = (await api.post<{ id: string }>('/v1/customers', { name: 'Test customer' })).body;
      const terminal = (await api.post<{ id: string }>('/v1/terminals', { name: 'T', registration_code: 'simulated' }))
        .body;
      const endpoint = (await api.post<{ id: string }>('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/x' })).body;
      const session = (await api.post<{ reference: string }>('/v1/checkout/sessions', { amount: 700 })).body;
      const payouts = (await api.get<ListResponse<unknown>>('/v1/payouts')).body.meta.total;
      const order = await plural.createOrder({ merchant_order_reference: 'mode-order' });
      await plural.pay(order.order_id);
      return { txn, customer, terminal, endpoint, session, payouts, order };
    });
    expect(made.payouts).toBeGreaterThan(0);

    await run('live', async (api, plural) => {
      expect((await api.get(`/v1/transactions/${made.txn.id}`)).status).toBe(404);
      expect((await api.get(`/v1/transactions/${made.txn.reference}`)).status).toBe(404);
      const search = await api.get<ListResponse<unknown>>('/v1/transactions?search=made-in-test-mode');
      expect(search.body.meta.total).toBe(0);
      expect((await api.post(`/v1/transactions/${made.txn.id}/refunds`, {})).status).toBe(404);
      expect((await api.get(`/v1/customers/${made.customer.id}`)).status).toBe(404);
      expect((await api.get(`/v1/terminals/${made.terminal.id}`)).status).toBe(404);
      expect((await api.get(`/v1/webhook-endpoints/${made.endpoint.id}`)).status).toBe(404);
      expect((await api.get(`/v1/checkout/sessions/${made.session.reference}`)).status).toBe(404);
      for (const path of ['/v1/customers', '/v1/terminals', '/v1/webhook-endpoints', '/v1/checkout/sessions'])
        expect((await api.get<ListResponse<unknown>>(path)).body.meta.total, path).toBe(0);
      // The demo payouts and disputes were made in test mode.
      expect((await api.get<ListResponse<unknown>>('/v1/payouts')).body.meta.total).toBe(0);
      expect((await api.get<ListResponse<unknown>>('/v1/disputes')).body.meta.total).toBe(0);
      const ledger = (await api.get<{ transactions: unknown[]; refunds: unknown[] }>('/_sandbox/ledger')).body;
      expect(ledger).toEqual({ transactions: [], refunds: [] });
      // A customer id of the other mode is unknown here, and a key used there is not replayed.
      expect((await api.post('/v1/transactions', { amount: 1000, customer_id: made.customer.id })).status).toBe(404);
      const reused = await api.post<ErrorResponse>('/v1/transactions', {
        amount: 1000,
        confirm: true,
        description: 'made-in-test-mode',
        idempotency_key: 'mode-key',
      });
      expect(reused.status).toBe(422);
      expect(reused.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'idempotency_key' });

      expect((await plural.call('GET', `/api/pay/v1/orders/${made.order.order_id}`)).status).toBe(404);
      expect((await plural.call('GET', '/api/pay/v1/orders/reference/mode-order')).status).toBe(404);
      expect(await plural.ledger()).toEqual([]);
      const refund = await plural.call('POST', `/api/pay/v1/refunds/${made.order.order_id}`, {
        merchant_order_reference: 'mode-refund',
        order_amount: inr(1000),
      });
      expect(refund.status).toBe(404);
      // References stay unique across modes.
      expect(
        (
          await plural.call('POST', '/api/pay/v1/orders', {
            merchant_order_reference: 'mode-order',
            order_amount: inr(100),
          })
        ).status,
      ).toBe(409);
      // What live mode makes is its own.
      const live = (await api.post<TransactionJson>('/v1/transactions', { amount: 4200, confirm: true })).body;
      expect((await api.get<ListResponse<TransactionJson>>('/v1/transactions')).body.data.map((t) => t.id)).toEqual([
        live.id,
      ]);
    });

    await run('test', async (api, plural) => {
      expect((await api.get<TransactionJson>(`/v1/transactions/${made.txn.id}`)).body.status).toBe('succeeded');
      expect((await api.get<ListResponse<unknown>>('/v1/transactions?search=made-in-test-mode')).body.meta.total).toBe(
        1,
      );
      expect((await api.get(`/v1/customers/${made.customer.id}`)).status).toBe(200);
      expect((await api.get<ListResponse<unknown>>('/v1/payouts')).body.meta.total).toBe(made.payouts);
      expect((await plural.call('GET', `/api/pay/v1/orders/${made.order.order_id}`)).status).toBe(200);
      expect((await plural.ledger()).map((o) => o.merchant_order_reference)).toEqual(['mode-order']);
    });
  });
});
