/**
 * PlutoPay's gateway over real HTTP, where the port contract does not look: lists longer than one
 * page, and answers whose money does not read as money.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlutoPayGateway } from '../../main/gateway/plutopay';
import type { NewPayment, PaymentGateway } from '../../main/gateway/port';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { GatewayUnreadable } from '../../main/gateway/errors';
import { badServer, caught, sandboxCall } from './helpers';

describe('PlutoPay gateway', () => {
  let sandbox: RunningSandbox;
  let gateway: PaymentGateway;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
    gateway = createPlutoPayGateway({
      baseUrl: sandbox.url,
      secretKey: sandbox.secret_key,
      webhookSecret: () => null,
      http: { timeoutMs: 5_000 },
    });
  });
  afterAll(() => sandbox.close());

  const call = <T>(path: string, body: unknown) => sandboxCall<T>(sandbox.url, sandbox.secret_key, 'POST', path, body);

  it("reads every refund of a payment refunded more than a page's worth of times", async () => {
    const paid = await call<{ id: string }>('/v1/transactions', { amount: 500, confirm: true });
    for (let i = 0; i < 101; i++)
      await call(`/v1/transactions/${paid.id}/refunds`, { amount: 1, idempotency_key: `cup-${paid.id}-${i}` });
    const refunds = await gateway.refunds(paid.id);
    expect(refunds).toHaveLength(101);
    expect(new Set(refunds.map((refund) => refund.id)).size).toBe(101);
    expect(refunds.reduce((sum, refund) => sum + refund.amount, 0)).toBe(
      (await gateway.retrieve(paid.id)).amountRefunded,
    );
  });

  it('looks a reader payment’s create up by reading only, past a page of newer payments', async () => {
    const input = (paymentId: string): NewPayment => ({
      amount: 777,
      currency: 'USD',
      captureMethod: 'automatic',
      description: null,
      customerId: null,
      receiptEmail: null,
      orderReference: `ord-${paymentId}`,
      paymentId,
      channel: 'card_present',
    });
    const since = Date.now();
    const made = await gateway.create(input('pay_lookup1'), 'pos-lookup-1');
    // More than a page of newer payments: it is found on a later page.
    for (let i = 0; i < 101; i++) await call('/v1/transactions', { amount: 500 });
    const count = async () =>
      (await sandboxCall<{ meta: { total: number } }>(sandbox.url, sandbox.secret_key, 'GET', '/v1/transactions')).meta
        .total;
    const before = await count();
    // findCreated leaves a reader payment to a resend with its key; lookUpCreated reads.
    expect(await gateway.findCreated(input('pay_lookup1'), 'pos-lookup-1', since)).toBeNull();
    expect((await gateway.lookUpCreated!(input('pay_lookup1'), 'pos-lookup-1', since))?.id).toBe(made.id);
    // One never made is not found, and not made by looking.
    expect(await gateway.lookUpCreated!(input('pay_lookup2'), 'pos-lookup-2', since)).toBeNull();
    expect(await count()).toBe(before);
  });
});

describe('PlutoPay gateway, a refunds list that cannot be paged', () => {
  it('is unreadable, not short, when another page answers than the one asked for', async () => {
    const server = await badServer();
    try {
      const refund = {
        id: 'r-1',
        reference: 're_1',
        transaction_id: 't-1',
        amount: 1,
        currency: 'usd',
        status: 'succeeded',
        created_at: '2026-02-16T16:18:00+00:00',
      };
      // Every page is page 1 of 2: a gateway ignoring `page` would give the first page twice.
      server.answer(
        200,
        JSON.stringify({ data: [refund], meta: { current_page: 1, last_page: 2, per_page: 100, total: 2 } }),
      );
      const gateway = createPlutoPayGateway({
        baseUrl: server.url,
        secretKey: 'sk_test_x',
        webhookSecret: () => null,
        http: { timeoutMs: 5_000 },
      });
      const error = await caught(gateway.refunds('t-1'));
      expect(error).toBeInstanceOf(GatewayUnreadable);
      expect((error as Error).message).toMatch(/answered page 1 of the refunds of t-1 when asked for page 2/);
    } finally {
      await server.close();
    }
  });
});

describe('PlutoPay gateway, money that does not read as money', () => {
  const transaction = {
    id: 't-1',
    reference: 'txn_1',
    status: 'succeeded',
    amount: 2500,
    amount_refunded: 0,
    amount_capturable: 0,
    amount_captured: 2500,
    currency: 'usd',
    created_at: '2026-02-16T16:18:00+00:00',
  };

  it.each([
    ['a negative amount refunded', { amount_refunded: -1000 }],
    ['a negative amount captured', { amount_captured: -2500 }],
    ['a negative amount capturable', { amount_capturable: -1 }],
    ['a negative amount', { amount: -2500 }],
    ['a zero amount', { amount: 0 }],
  ])('a payment with %s is unreadable, never taken as it is', async (_what, change) => {
    const server = await badServer();
    try {
      server.answer(200, JSON.stringify({ ...transaction, ...change }));
      const gateway = createPlutoPayGateway({
        baseUrl: server.url,
        secretKey: 'sk_test_x',
        webhookSecret: () => null,
        http: { timeoutMs: 5_000 },
      });
      const error = await caught(gateway.retrieve('t-1'));
      expect(error).toBeInstanceOf(GatewayUnreadable);
      expect((error as Error).message).toMatch(/is not in the expected form \(amount/);
    } finally {
      await server.close();
    }
  });

  it('a refund of a negative amount is unreadable', async () => {
    const server = await badServer();
    try {
      server.answer(
        200,
        JSON.stringify({
          id: 'r-1',
          reference: 're_1',
          transaction_id: 't-1',
          amount: -500,
          currency: 'usd',
          status: 'succeeded',
          created_at: '2026-02-16T16:18:00+00:00',
          transaction: { ...transaction, amount_refunded: 500 },
        }),
      );
      const gateway = createPlutoPayGateway({
        baseUrl: server.url,
        secretKey: 'sk_test_x',
        webhookSecret: () => null,
        http: { timeoutMs: 5_000 },
      });
      expect(await caught(gateway.refund('t-1', { amount: 500 }, 'refund-t-1-1'))).toBeInstanceOf(GatewayUnreadable);
    } finally {
      await server.close();
    }
  });
});
