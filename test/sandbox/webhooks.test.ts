import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { startSandbox } from '../../sandbox/index';
import {
  Api,
  receiver,
  start,
  type ErrorResponse,
  type Harness,
  type ListResponse,
  type TerminalJson,
  type TransactionJson,
} from './helpers';

interface Endpoint {
  id: string;
  url: string;
  events: string[] | null;
  description: string | null;
  status: string;
  secret?: string;
}
interface Event {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

const MINUTE = 60_000;
let h: Harness;
let cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  h = await start({ fakeClock: true });
  cleanups = [];
});
afterEach(async () => {
  await h.close();
  for (const cleanup of cleanups) await cleanup();
});

async function hook(
  failures = 0,
  events?: string[],
): Promise<{ endpoint: Endpoint; rx: Awaited<ReturnType<typeof receiver>> }> {
  const rx = await receiver(failures);
  cleanups.push(rx.close);
  const answer = await h.api.post<Endpoint>('/v1/webhook-endpoints', { url: rx.url, ...(events ? { events } : {}) });
  if (answer.status !== 201) throw new Error(answer.text);
  return { endpoint: answer.body, rx };
}

function events(rx: { received: Array<{ body: string }> }): Event[] {
  return rx.received.map((r) => JSON.parse(r.body) as Event);
}

describe('endpoints', () => {
  it('CRUD; the secret is returned only on create', async () => {
    const created = await h.api.post<Endpoint>('/v1/webhook-endpoints', {
      url: 'http://127.0.0.1:9/hooks',
      events: ['payment.succeeded', 'refund.created'],
      description: 'Local',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: 'http://127.0.0.1:9/hooks',
      events: ['payment.succeeded', 'refund.created'],
      description: 'Local',
      status: 'enabled',
    });
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(h.sandbox.webhook_secret).toBe(created.body.secret);
    const fetched = await h.api.get<Endpoint>(`/v1/webhook-endpoints/${created.body.id}`);
    expect(fetched.body).not.toHaveProperty('secret');
    const listed = await h.api.get<ListResponse<Endpoint>>('/v1/webhook-endpoints');
    expect(listed.body.meta.total).toBe(1);
    expect(listed.body.data[0]).not.toHaveProperty('secret');
    const updated = await h.api.put<Endpoint>(`/v1/webhook-endpoints/${created.body.id}`, {
      events: null,
      description: 'All events',
      url: 'http://localhost:9/x',
    });
    expect(updated.body).toMatchObject({ events: null, description: 'All events', url: 'http://localhost:9/x' });
    expect(updated.body).not.toHaveProperty('secret');
    // The url cannot be cleared: null is refused, not ignored with a 200.
    const cleared = await h.api.put<ErrorResponse>(`/v1/webhook-endpoints/${created.body.id}`, {
      url: null,
      description: null,
    });
    expect(cleared.status).toBe(422);
    expect(cleared.body.error).toMatchObject({ param: 'url', code: 'parameter_missing' });
    expect((await h.api.get<Endpoint>(`/v1/webhook-endpoints/${created.body.id}`)).body.description).toBe('All events');
    expect((await h.api.del(`/v1/webhook-endpoints/${created.body.id}`)).body).toEqual({
      id: created.body.id,
      deleted: true,
    });
    expect((await h.api.get(`/v1/webhook-endpoints/${created.body.id}`)).status).toBe(404);
    expect(h.sandbox.webhook_secret).toBeNull();
  });

  it('delivers only to this machine and only known event types', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{}, 422, 'url'],
      [{ url: 'https://example.com/hooks' }, 422, 'url'],
      [{ url: 'http://10.0.0.1/hooks' }, 422, 'url'],
      [{ url: 'ftp://127.0.0.1/hooks' }, 422, 'url'],
      [{ url: 'not a url' }, 422, 'url'],
      [{ url: 'http://127.0.0.1/h', events: ['payment.exploded'] }, 400, 'events'],
      [{ url: 'http://127.0.0.1/h', events: 'payment.succeeded' }, 400, 'events'],
      [{ url: 'http://127.0.0.1/h', events: [] }, 422, 'events'],
      [{ url: 'http://127.0.0.1/h', description: 'd'.repeat(501) }, 422, 'description'],
    ];
    for (const [body, status, param] of cases) {
      const answer = await h.api.post<ErrorResponse>('/v1/webhook-endpoints', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.error.param).toBe(param);
    }
    for (const url of ['http://127.0.0.1:1/a', 'http://localhost/a', 'http://[::1]:8080/a']) {
      expect((await h.api.post('/v1/webhook-endpoints', { url })).status, url).toBe(201);
    }
  });
});

describe('deliveries', () => {
  it('POSTs the event with a verifiable X-PlutoPay-Signature', async () => {
    const { endpoint, rx } = await hook();
    const payment = await h.api.payment({ amount: 2500, confirm: true });
    await h.sandbox.webhooksIdle();
    expect(rx.received).toHaveLength(1);
    const [delivery] = rx.received;
    const expected = createHmac('sha256', endpoint.secret!).update(delivery!.body).digest('hex');
    expect(delivery!.headers['x-plutopay-signature']).toBe(expected);
    expect(delivery!.headers['content-type']).toBe('application/json');
    const event = JSON.parse(delivery!.body) as Event;
    expect(event).toMatchObject({ type: 'payment.succeeded', created_at: '2026-02-16T16:18:00+00:00' });
    expect(event.id).toMatch(/^evt_/);
    expect(event.data).toMatchObject({
      id: payment.id,
      reference: payment.reference,
      amount: 2500,
      currency: 'usd',
      status: 'succeeded',
    });
    expect(delivery!.headers['x-plutopay-event-id']).toBe(event.id);
    expect(delivery!.headers['x-plutopay-timestamp']).toBe(String(Date.UTC(2026, 1, 16, 16, 18) / 1000));
    // A signature over a modified body does not match.
    expect(createHmac('sha256', endpoint.secret!).update(`${delivery!.body} `).digest('hex')).not.toBe(expected);
  });

  it('sends only the subscribed event types', async () => {
    const { rx } = await hook(0, ['refund.created']);
    const payment = await h.api.payment({ amount: 2500, confirm: true });
    await h.api.post(`/v1/transactions/${payment.id}/refunds`, { amount: 100 });
    await h.sandbox.webhooksIdle();
    expect(events(rx).map((e) => e.type)).toEqual(['refund.created']);
    expect(events(rx)[0]!.data).toMatchObject({ amount: 100, transaction_id: payment.id });
  });

  it('emits every event type of the reference when it happens', async () => {
    const { rx } = await hook();
    // payment.succeeded, payment.failed, payment.canceled
    const paid = await h.api.payment({ amount: 2500, confirm: true });
    await h.api.payment({ amount: 2500, confirm: true, payment_method: '4000000000000002' });
    const toCancel = await h.api.payment({ amount: 2500 });
    await h.api.post(`/v1/transactions/${toCancel.id}/cancel`);
    // refund.created, dispute.created
    await h.api.post(`/v1/transactions/${paid.id}/refunds`, { amount: 500 });
    const dispute = await h.api.post('/_sandbox/disputes', { transaction_id: paid.id, reason: 'fraudulent' });
    expect(dispute.status).toBe(201);
    // payout.paid, payout.failed
    const p1 = await h.api.post<{ id: string }>('/_sandbox/payouts', { amount: 10000 });
    const p2 = await h.api.post<{ id: string }>('/_sandbox/payouts', { amount: 20000 });
    await h.api.post(`/_sandbox/payouts/${p1.body.id}/settle`, { status: 'paid' });
    await h.api.post(`/_sandbox/payouts/${p2.body.id}/settle`, { status: 'failed' });
    // terminal.connected / terminal.disconnected through the reader link
    const hosted = (await h.api.post<TerminalJson>('/v1/terminals', { name: 'H', registration_code: 'host-x' })).body;
    const token = (await h.api.post<{ secret: string }>('/v1/terminal/connection-token')).body.secret;
    const link = await h.api.post<{ secret: string }>('/v1/terminal/link', { reader_id: hosted.id }, { key: token });
    await new Api(h.sandbox.url, link.body.secret).del('/v1/terminal/link');
    await h.sandbox.webhooksIdle();
    const types = events(rx).map((e) => e.type);
    expect(types).toEqual([
      'payment.succeeded',
      'payment.failed',
      'payment.canceled',
      'refund.created',
      'dispute.created',
      'payout.paid',
      'payout.failed',
      'terminal.connected',
      'terminal.disconnected',
    ]);
    const connected = events(rx).find((e) => e.type === 'terminal.connected')!;
    expect(connected.data).toMatchObject({ id: hosted.id, status: 'online' });
    expect(events(rx).find((e) => e.type === 'terminal.disconnected')!.data).toMatchObject({
      id: hosted.id,
      status: 'offline',
    });
  });

  it('terminal payments: a reader decline sends payment.failed, the approval payment.succeeded, a capture another payment.succeeded', async () => {
    const { rx } = await hook();
    const reader = (await h.api.post<TerminalJson>('/v1/terminals', { name: 'Sim', registration_code: 'simulated' }))
      .body;
    const payment = await h.api.payment({ amount: 1000, capture_method: 'manual' }, '/v1/terminal/create-payment');
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    await h.api.post('/v1/terminal/simulate-payment', { reader_id: reader.id, card_number: '4000000000000002' });
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    await h.api.post('/v1/terminal/simulate-payment', { reader_id: reader.id });
    await h.api.post(`/v1/transactions/${payment.id}/capture`);
    await h.sandbox.webhooksIdle();
    expect(events(rx).map((e) => [e.type, e.data.status])).toEqual([
      ['terminal.connected', 'online'],
      ['payment.failed', 'pending'],
      ['payment.succeeded', 'requires_capture'],
      ['payment.succeeded', 'succeeded'],
    ]);
  });

  it('retries non-2xx at 1 min, 5 min, 30 min, 2 h, 24 h, then marks the endpoint failing (fake clock)', async () => {
    const { endpoint, rx } = await hook(100);
    await h.api.payment({ amount: 2500, confirm: true });
    await h.sandbox.webhooksIdle();
    expect(rx.received).toHaveLength(1);
    const schedule = [1 * MINUTE, 5 * MINUTE, 30 * MINUTE, 120 * MINUTE, 24 * 60 * MINUTE];
    for (const [index, delay] of schedule.entries()) {
      h.clock!.advance(delay - 1);
      await h.sandbox.webhooksIdle();
      expect(rx.received, `before retry ${index + 1}`).toHaveLength(index + 1);
      h.clock!.advance(1);
      await h.sandbox.webhooksIdle();
      expect(rx.received, `retry ${index + 1}`).toHaveLength(index + 2);
      if (index < schedule.length - 1)
        expect((await h.api.get<Endpoint>(`/v1/webhook-endpoints/${endpoint.id}`)).body.status).toBe('enabled');
    }
    expect((await h.api.get<Endpoint>(`/v1/webhook-endpoints/${endpoint.id}`)).body.status).toBe('failing');
    // No seventh attempt, ever.
    h.clock!.advance(7 * 24 * 60 * MINUTE);
    await h.sandbox.webhooksIdle();
    expect(rx.received).toHaveLength(6);
    // Every attempt carries the same event and signature.
    expect(new Set(rx.received.map((r) => r.headers['x-plutopay-event-id'])).size).toBe(1);
    const log =
      await h.api.get<ListResponse<{ status: string; attempts: number; last_status_code: number }>>(
        '/_sandbox/webhook-deliveries',
      );
    expect(log.body.data[0]).toMatchObject({ status: 'failed', attempts: 6, last_status_code: 500 });
  });

  it('a move of the clock tries a due delivery once; its next retry counts from that try', async () => {
    const { endpoint, rx } = await hook(100);
    await h.api.payment({ amount: 2500, confirm: true });
    await h.sandbox.webhooksIdle();
    const move = async (seconds: number) => {
      expect((await h.api.post('/_sandbox/clock', { advance_seconds: seconds })).status).toBe(200);
      await h.sandbox.webhooksIdle();
    };
    // Two days at once: past the whole schedule, yet one retry, as docs/sandbox-api.md says.
    await move(2 * 24 * 3600);
    expect(rx.received).toHaveLength(2);
    expect((await h.api.get<Endpoint>(`/v1/webhook-endpoints/${endpoint.id}`)).body.status).toBe('enabled');
    // One move per step walks the rest: 5 min, 30 min, 2 h, 24 h after each try.
    for (const minutes of [5, 30, 120, 24 * 60]) await move(minutes * 60);
    expect(rx.received).toHaveLength(6);
    expect((await h.api.get<Endpoint>(`/v1/webhook-endpoints/${endpoint.id}`)).body.status).toBe('failing');
  });

  it('stops retrying once a retry succeeds; a later success clears failing', async () => {
    const { endpoint, rx } = await hook(2);
    await h.api.payment({ amount: 2500, confirm: true });
    await h.sandbox.webhooksIdle();
    h.clock!.advance(MINUTE);
    await h.sandbox.webhooksIdle();
    h.clock!.advance(5 * MINUTE);
    await h.sandbox.webhooksIdle();
    expect(rx.received).toHaveLength(3);
    h.clock!.advance(48 * 60 * MINUTE);
    await h.sandbox.webhooksIdle();
    expect(rx.received).toHaveLength(3);
    expect((await h.api.get<Endpoint>(`/v1/webhook-endpoints/${endpoint.id}`)).body.status).toBe('enabled');
  });

  it('an unreachable endpoint is retried like a non-2xx answer', async () => {
    const rx = await receiver();
    await rx.close();
    await h.api.post('/v1/webhook-endpoints', { url: rx.url });
    await h.api.payment({ amount: 2500, confirm: true });
    await h.sandbox.webhooksIdle();
    const log =
      await h.api.get<ListResponse<{ status: string; attempts: number; last_error: string; next_attempt_at: string }>>(
        '/_sandbox/webhook-deliveries',
      );
    expect(log.body.data[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      next_attempt_at: '2026-02-16T16:19:00+00:00',
    });
    expect(log.body.data[0]!.last_error).toBeTruthy();
  });

  it('deleting an endpoint drops its pending retries', async () => {
    const { endpoint, rx } = await hook(100);
    await h.api.payment({ amount: 2500, confirm: true });
    await h.sandbox.webhooksIdle();
    await h.api.del(`/v1/webhook-endpoints/${endpoint.id}`);
    h.clock!.advance(MINUTE);
    await h.sandbox.webhooksIdle();
    expect(rx.received).toHaveLength(1);
  });
});

describe('test events', () => {
  it('sends one signed test event at once and reports the outcome', async () => {
    const { endpoint, rx } = await hook(0, ['refund.created']);
    const answer = await h.api.post<{ delivered: boolean; status_code: number | null }>(
      `/v1/webhook-endpoints/${endpoint.id}/test`,
    );
    expect(answer.body).toEqual({ delivered: true, status_code: 200 });
    const event = events(rx)[0]!;
    expect(event.type).toBe('refund.created');
    expect(event.data.test).toBe(true);
    expect(rx.received[0]!.headers['x-plutopay-signature']).toBe(
      createHmac('sha256', endpoint.secret!).update(rx.received[0]!.body).digest('hex'),
    );
  });

  it('reports failures and unreachable endpoints without retrying them', async () => {
    const { endpoint, rx } = await hook(1);
    expect((await h.api.post(`/v1/webhook-endpoints/${endpoint.id}/test`)).body).toEqual({
      delivered: false,
      status_code: 500,
    });
    h.clock!.advance(MINUTE);
    await h.sandbox.webhooksIdle();
    expect(rx.received).toHaveLength(1);
    const gone = await receiver();
    await gone.close();
    const dead = (await h.api.post<Endpoint>('/v1/webhook-endpoints', { url: gone.url })).body;
    expect((await h.api.post(`/v1/webhook-endpoints/${dead.id}/test`)).body).toEqual({
      delivered: false,
      status_code: null,
    });
    expect((await h.api.post(`/v1/webhook-endpoints/${'0'.repeat(8)}/test`)).status).toBe(404);
  });
});

describe('persistence', () => {
  it('pending retries survive a restart and resume on schedule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-wh-'));
    const db = join(dir, 'sandbox.db');
    const rx = await receiver(1);
    cleanups.push(async () => {
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const clock = new FakeClock(Date.UTC(2026, 1, 16, 12, 0, 0));
    const first = await startSandbox({ port: 0, db, clock, seed: false });
    const api = new Api(first.url, first.secret_key);
    await api.post('/v1/webhook-endpoints', { url: rx.url });
    const payment = (await api.post<TransactionJson>('/v1/transactions', { amount: 2500, confirm: true })).body;
    await first.webhooksIdle();
    expect(rx.received).toHaveLength(1);
    await first.close();

    const later = new FakeClock(Date.UTC(2026, 1, 16, 12, 0, 30));
    const second = await startSandbox({ port: 0, db, clock: later, seed: false });
    try {
      await second.webhooksIdle();
      expect(rx.received).toHaveLength(1);
      later.advance(30_000);
      await second.webhooksIdle();
      expect(rx.received).toHaveLength(2);
      expect((JSON.parse(rx.received[1]!.body) as Event).data.id).toBe(payment.id);
    } finally {
      await second.close();
    }
  });
});
