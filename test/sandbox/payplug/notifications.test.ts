/**
 * notification_url: a POST of the object on each change the reference lists, only to this machine,
 * its HTTP status kept as notification.response_code, retried on the clock when it fails.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CUSTOMER,
  START,
  receiver,
  startPayPlug,
  unix,
  type ListJson,
  type PayPlugHarness,
  type PaymentJson,
  type RefundJson,
} from './helpers';

const MINUTE = 60;
let h: PayPlugHarness;
let rx: Awaited<ReturnType<typeof receiver>>;

async function withReceiver(failures = 0, status = 500): Promise<void> {
  rx = await receiver(failures, status);
}

beforeEach(async () => {
  h = await startPayPlug();
});
afterEach(async () => {
  await h.close();
  await rx?.close();
});

/** What the receiver got: payments, or a refund (which shares id, object, amount and metadata). */
type Notified = Omit<PaymentJson, 'object'> & { object: string };

function bodies(): Notified[] {
  return rx.received.map((r) => JSON.parse(r.body) as Notified);
}

async function settle(): Promise<void> {
  await h.sandbox.payplug.notificationsIdle();
}

async function get(id: string): Promise<PaymentJson> {
  return (await h.api.get<PaymentJson>(`/v1/payments/${id}`)).body;
}

describe('when notifications are sent', () => {
  it('paid: shortly, the payment object as JSON; its answer is kept as response_code', async () => {
    await withReceiver();
    const p = await h.payment({ notification_url: rx.url, metadata: { order_ref: 'T1-7' } });
    await settle();
    expect(rx.received).toHaveLength(0);
    await h.pay(p.id);
    await settle();
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]!.headers['content-type']).toBe('application/json');
    const [body] = bodies();
    expect(body).toMatchObject({
      id: p.id,
      object: 'payment',
      is_live: false,
      is_paid: true,
      metadata: { order_ref: 'T1-7' },
    });
    expect((await get(p.id)).notification).toEqual({ url: rx.url, response_code: 200 });
  });

  it('a declined attempt: nothing until the page expires, then the last attempt’s failure', async () => {
    await withReceiver();
    const p = await h.payment({ notification_url: rx.url });
    await h.pay(p.id, '4000000000000051');
    await settle();
    expect(rx.received).toHaveLength(0);
    await h.advance(15 * MINUTE);
    await settle();
    expect(bodies().map((b) => b.failure)).toEqual([{ code: 'card_declined', message: 'The card has been rejected.' }]);
  });

  it('never tried: timeout at 15 minutes', async () => {
    await withReceiver();
    await h.payment({ notification_url: rx.url });
    await h.advance(15 * MINUTE);
    await settle();
    expect(bodies().map((b) => b.failure?.code)).toEqual(['timeout']);
  });

  it('canceled by the customer: never without an attempt; at the 15-minute mark after one', async () => {
    await withReceiver();
    const untried = await h.payment({ notification_url: rx.url });
    await fetch(`${untried.hosted_payment!.payment_url}/cancel`, { method: 'POST', redirect: 'manual' });
    const tried = await h.payment({ notification_url: rx.url });
    await h.pay(tried.id, '4000000000000077');
    await fetch(`${tried.hosted_payment!.payment_url}/cancel`, { method: 'POST', redirect: 'manual' });
    await h.advance(5 * MINUTE);
    await settle();
    expect(rx.received).toHaveLength(0);
    await h.advance(10 * MINUTE);
    await settle();
    expect(bodies().map((b) => [b.id, b.failure?.code])).toEqual([[tried.id, 'insufficient_funds']]);
    await h.advance(60 * MINUTE);
    await settle();
    expect(rx.received).toHaveLength(1);
  });

  it('aborted by the API: never', async () => {
    await withReceiver();
    const p = await h.payment({ notification_url: rx.url });
    await h.api.call('PATCH', `/v1/payments/${p.id}`, { aborted: true });
    await h.advance(30 * MINUTE);
    await settle();
    expect(rx.received).toHaveLength(0);
  });

  it('refunded: the refund object, to the payment’s notification_url', async () => {
    await withReceiver();
    const p = await h.payment({ notification_url: rx.url });
    await h.pay(p.id);
    const refund = (
      await h.api.post<RefundJson>(`/v1/payments/${p.id}/refunds`, { amount: 358, metadata: { reason: 'late' } })
    ).body;
    await settle();
    expect(bodies().map((b) => b.object)).toEqual(['payment', 'refund']);
    expect(bodies()[1]).toEqual(refund);
  });

  it('deferred: on authorization and on capture', async () => {
    await withReceiver();
    const p = (
      await h.api.post<PaymentJson>('/v1/payments', {
        authorized_amount: 2000,
        currency: 'EUR',
        notification_url: rx.url,
      })
    ).body;
    await h.pay(p.id);
    await h.api.call('PATCH', `/v1/payments/${p.id}`, { captured: true });
    await settle();
    expect(bodies().map((b) => [b.is_paid, b.authorization?.authorized_at])).toEqual([
      [false, unix(START)],
      [true, unix(START)],
    ]);
  });

  it('one-click: paid at once, notified', async () => {
    await withReceiver();
    const first = await h.payment({ save_card: true, customer: CUSTOMER });
    const cardId = (await h.pay(first.id)).card.id;
    await h.api.post('/v1/payments', {
      amount: 1000,
      currency: 'EUR',
      payment_method: cardId,
      customer: CUSTOMER,
      notification_url: rx.url,
    });
    await settle();
    expect(bodies().map((b) => [b.amount, b.is_paid])).toEqual([[1000, true]]);
  });
});

describe('retries', () => {
  it('retries a failing endpoint after 1 and 5 minutes on the clock, keeping each response_code', async () => {
    await withReceiver(2, 503);
    const p = await h.payment({ notification_url: rx.url });
    await h.pay(p.id);
    await settle();
    expect(rx.received).toHaveLength(1);
    expect((await get(p.id)).notification.response_code).toBe(503);
    await h.advance(MINUTE - 1);
    await settle();
    expect(rx.received).toHaveLength(1);
    await h.advance(1);
    await settle();
    expect(rx.received).toHaveLength(2);
    await h.advance(5 * MINUTE);
    await settle();
    expect(rx.received).toHaveLength(3);
    expect((await get(p.id)).notification.response_code).toBe(200);
    // Every attempt carries the same object, as it was when the payment was paid.
    expect(new Set(rx.received.map((r) => r.body)).size).toBe(1);
    const log = (await h.api.get<ListJson<{ status: string; attempts: number }>>('/_sandbox/notifications')).body;
    expect(log.data[0]).toMatchObject({ status: 'succeeded', attempts: 3 });
  });

  it('the delivery log writes time as PayPlug does, in Unix seconds', async () => {
    await withReceiver(1, 503);
    const p = await h.payment({ notification_url: rx.url });
    await h.pay(p.id);
    await settle();
    const paidAt = (await get(p.id)).paid_at!;
    const log = (
      await h.api.get<ListJson<{ created_at: unknown; next_attempt_at: unknown }>>('/_sandbox/notifications')
    ).body;
    expect(log.data[0]).toMatchObject({ created_at: paidAt, next_attempt_at: paidAt + 60 });
    await h.advance(MINUTE);
    await settle();
    const after = (await h.api.get<ListJson<{ status: string; next_attempt_at: unknown }>>('/_sandbox/notifications'))
      .body;
    expect(after.data[0]).toMatchObject({ status: 'succeeded', next_attempt_at: null });
  });

  it('gives up after 6 attempts (1 min, 5 min, 30 min, 2 h, 24 h); an unreachable URL keeps response_code null', async () => {
    await withReceiver();
    const url = rx.url;
    await rx.close();
    const p = await h.payment({ notification_url: url });
    await h.pay(p.id);
    await settle();
    for (const minutes of [1, 5, 30, 120, 1440]) {
      await h.advance(minutes * MINUTE);
      await settle();
    }
    const log = (
      await h.api.get<
        ListJson<{ status: string; attempts: number; last_status_code: number | null; last_error: string }>
      >('/_sandbox/notifications')
    ).body;
    expect(log.data[0]).toMatchObject({ status: 'failed', attempts: 6, last_status_code: null });
    expect((await get(p.id)).notification.response_code).toBeNull();
    rx = await receiver();
  });
});
