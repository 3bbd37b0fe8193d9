/** Plural webhook events: configured endpoints, signed deliveries, retries on the sandbox clock. */
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { receiver, type ListResponse } from '../helpers';
import { inr, START, startPlural, type Order, type PluralError, type PluralHarness } from './helpers';

interface Endpoint {
  id: string;
  url: string;
  events: string[] | null;
  status: string;
}
interface Event {
  event_type: string;
  data: Order;
}

const MINUTE = 60_000;
let h: PluralHarness;
let cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  h = await startPlural();
  cleanups = [];
});
afterEach(async () => {
  await h.close();
  for (const cleanup of cleanups) await cleanup();
});

async function hook(failures = 0, events?: string[]) {
  const rx = await receiver(failures);
  cleanups.push(rx.close);
  const answer = await h.api.call<Endpoint>('POST', '/_sandbox/webhook-endpoints', {
    url: rx.url,
    ...(events ? { events } : {}),
  });
  if (answer.status !== 200) throw new Error(answer.text);
  return { endpoint: answer.body, rx };
}

function events(rx: { received: Array<{ body: string }> }): Event[] {
  return rx.received.map((r) => JSON.parse(r.body) as Event);
}

describe('webhook endpoints', () => {
  it('are configured, listed and deleted through /_sandbox/webhook-endpoints, to this machine only', async () => {
    const created = await h.api.call<Endpoint>('POST', '/_sandbox/webhook-endpoints', {
      url: 'http://127.0.0.1:9/hooks',
      events: ['ORDER_PROCESSED', 'REFUND_PROCESSED'],
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      url: 'http://127.0.0.1:9/hooks',
      events: ['ORDER_PROCESSED', 'REFUND_PROCESSED'],
      status: 'enabled',
    });
    const listed = await h.api.call<{ data: Endpoint[] }>('GET', '/_sandbox/webhook-endpoints');
    expect(listed.body.data.map((e) => e.id)).toEqual([created.body.id]);
    expect((await h.api.call('DELETE', `/_sandbox/webhook-endpoints/${created.body.id}`)).body).toEqual({
      id: created.body.id,
      deleted: true,
    });
    expect((await h.api.call<PluralError>('DELETE', `/_sandbox/webhook-endpoints/${created.body.id}`)).status).toBe(
      404,
    );
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'url'],
      [{ url: 'https://example.com/hooks' }, 'url'],
      [{ url: 'http://10.0.0.1/hooks' }, 'url'],
      [{ url: 'http://127.0.0.1/h', events: ['ORDER_EXPLODED'] }, 'events'],
      [{ url: 'http://127.0.0.1/h', events: [] }, 'events'],
      [{ url: 'http://127.0.0.1/h', secret: 's' }, 'secret'],
    ];
    for (const [body, param] of cases) {
      const answer = await h.api.call<PluralError>('POST', '/_sandbox/webhook-endpoints', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ code: 'INVALID_REQUEST', param });
    }
  });
});

describe('deliveries', () => {
  it('POST {event_type, data} with webhook-id, webhook-timestamp and a verifiable webhook-signature', async () => {
    const { rx } = await hook();
    const order = await h.api.createOrder();
    await h.api.pay(order.order_id);
    await h.sandbox.plural.webhooksIdle();
    expect(rx.received).toHaveLength(1);
    const [delivery] = rx.received;
    const headers = delivery!.headers;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(headers['webhook-timestamp']).toBe(String(START / 1000));
    const mac = createHmac('sha256', Buffer.from(h.sandbox.plural.signature_key, 'hex'))
      .update(`${headers['webhook-id'] as string}.${headers['webhook-timestamp'] as string}.${delivery!.body}`)
      .digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${mac}`);
    const event = JSON.parse(delivery!.body) as Event;
    expect(event.event_type).toBe('ORDER_PROCESSED');
    expect(event.data).toEqual(await h.api.ok('GET', `/api/pay/v1/orders/${order.order_id}`));
  });

  it('sends every event type when it happens, and only the subscribed ones', async () => {
    const { rx } = await hook();
    const { rx: refundsOnly } = await hook(0, ['REFUND_PROCESSED']);
    // ORDER_FAILED then ORDER_AUTHORIZED, ORDER_PROCESSED (capture), REFUND_PROCESSED
    const preAuth = await h.api.createOrder({ pre_auth: true });
    await h.api.pay(preAuth.order_id, '4000000000000002');
    await h.api.pay(preAuth.order_id);
    await h.api.ok('PUT', `/api/pay/v1/orders/${preAuth.order_id}/capture`, {
      merchant_capture_reference: 'c',
      capture_amount: inr(50000),
    });
    const refund = await h.api.ok('POST', `/api/pay/v1/refunds/${preAuth.order_id}`, {
      merchant_order_reference: 'wh-refund',
      order_amount: inr(1000),
    });
    // ORDER_AUTHORIZED, ORDER_CANCELLED
    const toCancel = await h.api.createOrder({ pre_auth: true });
    await h.api.pay(toCancel.order_id);
    await h.api.ok('PUT', `/api/pay/v1/orders/${toCancel.order_id}/cancel`);
    // A challenge passed: ORDER_PROCESSED
    const challenged = await h.api.createOrder();
    await h.api.pay(challenged.order_id, '4000000000001091');
    await h.sandbox.plural.webhooksIdle();
    expect(events(rx).map((e) => [e.event_type, e.data.status])).toEqual([
      ['ORDER_FAILED', 'ATTEMPTED'],
      ['ORDER_AUTHORIZED', 'AUTHORIZED'],
      ['ORDER_PROCESSED', 'PROCESSED'],
      ['REFUND_PROCESSED', 'PROCESSED'],
      ['ORDER_AUTHORIZED', 'AUTHORIZED'],
      ['ORDER_CANCELLED', 'CANCELLED'],
      ['ORDER_PROCESSED', 'PROCESSED'],
    ]);
    expect(events(refundsOnly)).toEqual([{ event_type: 'REFUND_PROCESSED', data: refund }]);
    // Settlement moves and failed requests send nothing.
    const split = (await h.api.pay((await h.api.splitOrder()).order_id)).data;
    await h.sandbox.plural.webhooksIdle();
    const before = rx.received.length;
    await h.api.call('PATCH', `/api/pay/v1/orders/${split.order_id}/settlementId/${split.order_id}-ss-a/release`);
    await h.api.call('PUT', `/api/pay/v1/orders/${split.order_id}/capture`, {});
    await h.sandbox.plural.webhooksIdle();
    expect(rx.received).toHaveLength(before);
  });

  it('retries at 1 min, 5 min, 30 min, 2 h, 24 h on the sandbox clock, then marks the endpoint failing', async () => {
    const { endpoint, rx } = await hook(100);
    await h.api.pay((await h.api.createOrder()).order_id);
    await h.sandbox.plural.webhooksIdle();
    expect(rx.received).toHaveLength(1);
    const schedule = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 120 * MINUTE, 24 * 60 * MINUTE];
    for (const [index, delay] of schedule.entries()) {
      h.clock.advance(delay - 1);
      await h.sandbox.plural.webhooksIdle();
      expect(rx.received, `before retry ${index + 1}`).toHaveLength(index + 1);
      h.clock.advance(1);
      await h.sandbox.plural.webhooksIdle();
      expect(rx.received, `retry ${index + 1}`).toHaveLength(index + 2);
    }
    h.clock.advance(7 * 24 * 60 * MINUTE);
    await h.sandbox.plural.webhooksIdle();
    expect(rx.received).toHaveLength(6);
    // The same event every time, and its signature (webhook-timestamp is the event's time).
    expect(new Set(rx.received.map((r) => r.headers['webhook-signature'])).size).toBe(1);
    await h.api.login();
    const listed = await h.api.call<{ data: Endpoint[] }>('GET', '/_sandbox/webhook-endpoints');
    expect(listed.body.data.find((e) => e.id === endpoint.id)!.status).toBe('failing');
    const log = await h.api.call<
      ListResponse<{ type: string; status: string; attempts: number; last_status_code: number }>
    >('GET', '/_sandbox/webhook-deliveries');
    expect(log.body.data[0]).toMatchObject({
      type: 'ORDER_PROCESSED',
      status: 'failed',
      attempts: 6,
      last_status_code: 500,
      // Plural's timestamps, as on its orders and endpoints: ISO 8601 UTC with milliseconds.
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      updated_at: expect.stringMatching(/\.\d{3}Z$/),
      next_attempt_at: null,
    });
  });

  it('stops retrying once a retry succeeds; deleting an endpoint drops its pending retries', async () => {
    const { rx: flaky } = await hook(1);
    const { endpoint: doomed, rx: gone } = await hook(100);
    await h.api.pay((await h.api.createOrder()).order_id);
    await h.sandbox.plural.webhooksIdle();
    await h.api.call('DELETE', `/_sandbox/webhook-endpoints/${doomed.id}`);
    h.clock.advance(MINUTE);
    await h.sandbox.plural.webhooksIdle();
    h.clock.advance(48 * 60 * MINUTE);
    await h.sandbox.plural.webhooksIdle();
    expect(flaky.received).toHaveLength(2);
    expect(gone.received).toHaveLength(1);
  });

  it('pages the delivery log from page 1, size 1–100, as the doc says', async () => {
    await hook();
    await h.api.pay((await h.api.createOrder()).order_id);
    await h.sandbox.plural.webhooksIdle();
    const first = await h.api.call<ListResponse<{ type: string }>>('GET', '/_sandbox/webhook-deliveries?page=1&size=1');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.meta).toEqual({ current_page: 1, last_page: 1, per_page: 1, total: 1 });
    for (const query of ['page=0', 'size=0', 'size=101']) {
      const refused = await h.api.call<PluralError>('GET', `/_sandbox/webhook-deliveries?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body.code).toBe('INVALID_REQUEST');
    }
  });
});
