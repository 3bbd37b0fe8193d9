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
