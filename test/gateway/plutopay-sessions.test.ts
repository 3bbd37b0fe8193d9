/**
 * PlutoPay's checkout sessions, kept in memory by the transaction they pay: a till that takes links
 * for weeks must not keep one for every link it ever made. A link withdrawn is dropped at once; the
 * rest are bounded (a session not kept is found again at the gateway, as after a restart).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlutoPayGateway } from '../../main/gateway/plutopay';
import { CHECKOUT_SESSIONS_KEPT, CheckoutSessions } from '../../main/gateway/plutopay/sessions';
import type { NewPayment, PaymentGateway } from '../../main/gateway/port';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { GatewayUnreachable } from '../../main/gateway/errors';
import { badServer, caught } from './helpers';

describe('PlutoPay checkout sessions kept in memory', () => {
  let sandbox: RunningSandbox;
  let counter = 0;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  function gatewayWith(sessions: CheckoutSessions): PaymentGateway {
    return createPlutoPayGateway({
      baseUrl: sandbox.url,
      secretKey: sandbox.secret_key,
      webhookSecret: () => null,
      http: { timeoutMs: 5_000 },
      sessions,
    });
  }

  function link(): { input: NewPayment; key: string } {
    counter += 1;
    const paymentId = `pay_sessions${String(counter).padStart(8, '0')}`;
    return {
      input: {
        amount: 2500,
        currency: 'usd',
        captureMethod: 'automatic',
        description: `Link ${counter}`,
        customerId: null,
        receiptEmail: null,
        orderReference: `sessions-${counter}`,
        paymentId,
        channel: 'link',
      },
      key: `create-${paymentId}`,
    };
  }

  it('drops the session of a link the till withdraws', async () => {
    const sessions = new CheckoutSessions();
    const gateway = gatewayWith(sessions);
    for (let i = 0; i < 12; i++) {
      const { input, key } = link();
      const created = await gateway.create(input, key);
      expect(created.payUrl).toMatch(/^http/);
      expect(sessions.size).toBe(1);
      const canceled = await gateway.cancel(created.id, `cancel-${input.paymentId}`);
      expect(canceled.status).toBe('canceled');
      expect(sessions.size).toBe(0);
    }
  });

  it('keeps at most its bound of unpaid links; one no longer kept is found again at the gateway', async () => {
    expect(CHECKOUT_SESSIONS_KEPT).toBeGreaterThanOrEqual(300);
    const sessions = new CheckoutSessions(3);
    const gateway = gatewayWith(sessions);
    const made = [];
    for (let i = 0; i < 8; i++) {
      const { input, key } = link();
      made.push(await gateway.create(input, key));
      expect(sessions.size).toBeLessThanOrEqual(3);
    }
    expect(sessions.size).toBe(3);
    // The oldest is no longer kept: its page is read from the gateway again, unchanged.
    const first = await gateway.retrieve(made[0]!.id);
    expect(first.payUrl).toBe(made[0]!.payUrl);
    expect(sessions.size).toBe(3);
  });
});

describe('PlutoPay checkout sessions looked up on pages that are not the ones asked for', () => {
  it('a page answered in place of another is unreadable: no second page is opened for the payment', async () => {
    // A cache (or a gateway) that ignores `page`: every answer is page 1 of 3, without the session.
    const server = await badServer();
    server.answer(
      200,
      JSON.stringify({ data: [], meta: { current_page: 1, last_page: 3, per_page: 100, total: 250 } }),
    );
    const asked: string[] = [];
    const gateway = createPlutoPayGateway({
      baseUrl: server.url,
      secretKey: 'sk_test_pages',
      webhookSecret: () => null,
      http: {
        timeoutMs: 5_000,
        fetchImpl: (input, init) => {
          const url = new URL(String(input));
          asked.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`);
          return fetch(input, init);
        },
      },
    });
    const input: NewPayment = {
      amount: 2500,
      currency: 'usd',
      captureMethod: 'automatic',
      description: null,
      customerId: null,
      receiptEmail: null,
      orderReference: 'pages-1',
      paymentId: 'pay_pages00000001',
      channel: 'link',
    };
    try {
      for (const call of [
        () => gateway.findCreated(input, 'pos-pages-1'),
        () => gateway.create(input, 'pos-pages-1'),
      ]) {
        const error = await caught(call());
        expect(error).toBeInstanceOf(GatewayUnreachable);
        expect(error).toMatchObject({ outcome: 'unknown' });
        expect((error as Error).message).toBe(
          'PlutoPay answered page 1 of its checkout sessions when asked for page 2.',
        );
      }
      expect(asked.filter((line) => line.startsWith('POST'))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
