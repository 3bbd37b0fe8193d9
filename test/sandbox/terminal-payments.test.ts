import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  simulatedReader,
  start,
  type ErrorResponse,
  type Harness,
  type ReaderJson,
  type TerminalJson,
  type TransactionJson,
} from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await start({ fakeClock: true });
});
afterAll(() => h.close());

async function terminalPayment(body: Record<string, unknown> = {}): Promise<TransactionJson> {
  return h.api.payment({ amount: 1250, currency: 'eur', ...body }, '/v1/terminal/create-payment');
}

describe('connection tokens', () => {
  it('mints single-use tokens with a 10 minute expiry', async () => {
    const answer = await h.api.post<{ object: string; secret: string; expires_at: string }>(
      '/v1/terminal/connection-token',
    );
    expect(answer.status).toBe(201);
    expect(answer.body.object).toBe('terminal.connection_token');
    expect(answer.body.secret).toMatch(/^pst_test_/);
    expect(Date.parse(answer.body.expires_at) - h.clock!.now()).toBe(10 * 60 * 1000);
    const second = await h.api.post<{ secret: string }>('/v1/terminal/connection-token');
    expect(second.body.secret).not.toBe(answer.body.secret);
    expect((await h.api.post<ErrorResponse>('/v1/terminal/connection-token', { location: 'x' })).status).toBe(400);
  });
});

describe('create-payment', () => {
  it('creates a pending terminal payment whose id is the payment intent id', async () => {
    const answer = await h.api.post<TransactionJson>('/v1/terminal/create-payment', {
      amount: 1250,
      currency: 'eur',
      description: 'Latte',
      capture_method: 'manual',
      receipt_email: 'a@b.co',
      metadata: { order: 'A-1' },
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      status: 'pending',
      payment_method_type: 'terminal',
      capture_method: 'manual',
      amount_formatted: '€12.50',
      metadata: { order: 'A-1' },
    });
  });

  it('a retry naming the terminal by its other id (uuid or tmr_…) is the same request: replayed', async () => {
    const terminal = await simulatedReader(h.api, 'Idempotent counter');
    const ids = [terminal.id, terminal.processor_terminal_id];
    for (const [first, retry] of [ids, [...ids].reverse()] as const) {
      const key = `terminal-retry-${first}`;
      const created = await h.api.post<TransactionJson>('/v1/terminal/create-payment', {
        amount: 1250,
        terminal_id: first,
        idempotency_key: key,
      });
      expect(created.status).toBe(201);
      expect(created.body.terminal_id).toBe(terminal.id);
      const again = await h.api.post<TransactionJson>('/v1/terminal/create-payment', {
        amount: 1250,
        terminal_id: retry,
        idempotency_key: key,
      });
      expect(again.status, `${first} then ${retry}`).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.id).toBe(created.body.id);
    }
    // Another terminal is another request.
    const other = await simulatedReader(h.api, 'Other counter');
    const refused = await h.api.post<ErrorResponse>('/v1/terminal/create-payment', {
      amount: 1250,
      terminal_id: other.processor_terminal_id,
      idempotency_key: `terminal-retry-${terminal.id}`,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'terminal_id' });
  });

  it('validates amount, terminal_id and customer_id', async () => {
    expect((await h.api.post<ErrorResponse>('/v1/terminal/create-payment', {})).body.error.param).toBe('amount');
    expect((await h.api.post<ErrorResponse>('/v1/terminal/create-payment', { amount: 10 })).status).toBe(422);
    const unknownTerminal = await h.api.post<ErrorResponse>('/v1/terminal/create-payment', {
      amount: 1000,
      terminal_id: 'tmr_unknown',
    });
    expect(unknownTerminal.status).toBe(404);
    expect(unknownTerminal.body.error.param).toBe('terminal_id');
    expect(
      (await h.api.post<ErrorResponse>('/v1/terminal/create-payment', { amount: 1000, payment_method_type: 'card' }))
        .status,
    ).toBe(400);
    const reader = await simulatedReader(h.api);
    expect((await terminalPayment({ terminal_id: reader.id })).terminal_id).toBe(reader.id);
    expect((await terminalPayment({ terminal_id: reader.processor_terminal_id })).terminal_id).toBe(reader.id);
  });
});

describe('process, simulate, readers (simulated reader)', () => {
  it('approves with the default card: succeeded, card recorded, action succeeded', async () => {
    const reader = await simulatedReader(h.api);
    const payment = await terminalPayment();
    const processed = await h.api.post<ReaderJson>('/v1/terminal/process-payment', {
      payment_intent_id: payment.id,
      reader_id: reader.processor_terminal_id,
    });
    expect(processed.status).toBe(200);
    expect(processed.body).toMatchObject({
      id: reader.processor_terminal_id,
      terminal_id: reader.id,
      status: 'online',
      device_type: 'simulated',
    });
    expect(processed.body.action).toMatchObject({
      type: 'process_payment',
      status: 'in_progress',
      payment_intent_id: payment.id,
      amount: 1250,
      currency: 'eur',
      presented_card: null,
    });
    expect(processed.body.action!.id).toMatch(/^act_/);
    // A 200 from process-payment means "received", not paid.
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body).toMatchObject({
      status: 'pending',
      terminal_id: reader.id,
    });
    const simulated = await h.api.post<ReaderJson>('/v1/terminal/simulate-payment', {
      reader_id: reader.processor_terminal_id,
    });
    expect(simulated.status).toBe(200);
    expect(simulated.body.action).toMatchObject({ status: 'succeeded', failure_code: null });
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body).toMatchObject({
      status: 'succeeded',
      amount_captured: 1250,
      card: { brand: 'visa', last4: '4242' },
    });
  });

  it('manual capture payments end in requires_capture', async () => {
    const reader = await simulatedReader(h.api);
    const payment = await terminalPayment({ capture_method: 'manual' });
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    await h.api.post('/v1/terminal/simulate-payment', { reader_id: reader.id, card_number: '5500 0055 5555 5559' });
    const t = (await h.api.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body;
    expect(t).toMatchObject({
      status: 'requires_capture',
      amount_capturable: 1250,
      card: { brand: 'mastercard', last4: '5559' },
    });
  });

  it('a declining card or amount leaves the payment pending with the failure; another card then succeeds', async () => {
    const reader = await simulatedReader(h.api);
    const payment = await terminalPayment();
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    const declined = await h.api.post<ReaderJson>('/v1/terminal/simulate-payment', {
      reader_id: reader.id,
      card_number: '4000000000000002',
    });
    expect(declined.body.action).toMatchObject({
      status: 'failed',
      failure_code: 'card_declined',
      failure_message: 'The card was declined.',
    });
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body).toMatchObject({
      status: 'pending',
      failure_code: 'card_declined',
    });
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    await h.api.post('/v1/terminal/simulate-payment', { reader_id: reader.id });
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body).toMatchObject({
      status: 'succeeded',
      failure_code: null,
      failure_message: null,
    });

    const byAmount = await terminalPayment({ amount: 1055 });
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: byAmount.id, reader_id: reader.id });
    const pin = await h.api.post<ReaderJson>('/v1/terminal/simulate-payment', { reader_id: reader.id });
    expect(pin.body.action!.failure_code).toBe('incorrect_pin');
  });

  it('one action slot per reader: busy, intent elsewhere, idempotent re-push', async () => {
    const a = await simulatedReader(h.api, 'A');
    const b = await simulatedReader(h.api, 'B');
    const first = await terminalPayment();
    const second = await terminalPayment();
    await h.api.post('/v1/terminal/process-payment', {
      payment_intent_id: first.id,
      reader_id: a.processor_terminal_id,
    });
    const again = await h.api.post<ReaderJson>('/v1/terminal/process-payment', {
      payment_intent_id: first.id,
      reader_id: a.processor_terminal_id,
    });
    expect(again.status).toBe(200);
    const busy = await h.api.post<ErrorResponse>('/v1/terminal/process-payment', {
      payment_intent_id: second.id,
      reader_id: a.processor_terminal_id,
    });
    expect(busy.status).toBe(422);
    expect(busy.body.error).toMatchObject({ type: 'terminal_error', code: 'reader_busy' });
    const elsewhere = await h.api.post<ErrorResponse>('/v1/terminal/process-payment', {
      payment_intent_id: first.id,
      reader_id: b.processor_terminal_id,
    });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.error).toMatchObject({ type: 'terminal_error', code: 'intent_in_progress' });
  });

  it('offline readers and non-pending payments are refused', async () => {
    const hosted = (
      await h.api.post<TerminalJson>('/v1/terminals', { name: 'Hosted', registration_code: 'host-offline-1' })
    ).body;
    const payment = await terminalPayment();
    const offline = await h.api.post<ErrorResponse>('/v1/terminal/process-payment', {
      payment_intent_id: payment.id,
      reader_id: hosted.processor_terminal_id,
    });
    expect(offline.status).toBe(422);
    expect(offline.body.error).toMatchObject({ type: 'terminal_error', code: 'reader_offline' });
    const reader = await simulatedReader(h.api);
    await h.api.post(`/v1/transactions/${payment.id}/cancel`);
    const canceled = await h.api.post<ErrorResponse>('/v1/terminal/process-payment', {
      payment_intent_id: payment.id,
      reader_id: reader.id,
    });
    expect(canceled.status).toBe(422);
    expect(canceled.body.error.type).toBe('payment_error');
    const card = await h.api.payment({ amount: 1000 });
    const notTerminal = await h.api.post<ErrorResponse>('/v1/terminal/process-payment', {
      payment_intent_id: card.id,
      reader_id: reader.id,
    });
    expect(notTerminal.body.error).toMatchObject({ type: 'payment_error', code: 'not_terminal_payment' });
  });

  it('unknown intent or reader is 404 with the param; missing params are 422', async () => {
    const reader = await simulatedReader(h.api);
    const payment = await terminalPayment();
    const noIntent = await h.api.post<ErrorResponse>('/v1/terminal/process-payment', {
      payment_intent_id: 'nope',
      reader_id: reader.id,
    });
    expect(noIntent.status).toBe(404);
    expect(noIntent.body.error.param).toBe('payment_intent_id');
    const noReader = await h.api.post<ErrorResponse>('/v1/terminal/process-payment', {
      payment_intent_id: payment.id,
      reader_id: 'tmr_nope',
    });
    expect(noReader.status).toBe(404);
    expect(noReader.body.error.param).toBe('reader_id');
    expect(
      (await h.api.post<ErrorResponse>('/v1/terminal/process-payment', { reader_id: reader.id })).body.error,
    ).toMatchObject({ param: 'payment_intent_id' });
    expect((await h.api.post<ErrorResponse>('/v1/terminal/process-payment', { reader_id: reader.id })).status).toBe(
      422,
    );
    const pairing = (await h.api.post<TerminalJson>('/v1/terminals', { name: 'Unpaired' })).body;
    expect(
      (await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: pairing.id }))
        .status,
    ).toBe(404);
  });

  it('simulate needs an action in progress and a plausible card number', async () => {
    const reader = await simulatedReader(h.api);
    const none = await h.api.post<ErrorResponse>('/v1/terminal/simulate-payment', { reader_id: reader.id });
    expect(none.status).toBe(422);
    expect(none.body.error).toMatchObject({ type: 'terminal_error', code: 'no_action' });
    const payment = await terminalPayment();
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    expect(
      (await h.api.post<ErrorResponse>('/v1/terminal/simulate-payment', { reader_id: reader.id, card_number: 'abc' }))
        .body.error.param,
    ).toBe('card_number');
    expect((await h.api.post<ErrorResponse>('/v1/terminal/simulate-payment', {})).body.error.param).toBe('reader_id');
    await h.api.post('/v1/terminal/simulate-payment', { reader_id: reader.id });
    const finished = await h.api.post<ErrorResponse>('/v1/terminal/simulate-payment', { reader_id: reader.id });
    expect(finished.body.error.code).toBe('no_action');
  });

  it('cancel-action cancels the in-progress action; the payment stays pending', async () => {
    const reader = await simulatedReader(h.api);
    const payment = await terminalPayment();
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    const canceled = await h.api.post<ReaderJson>(`/v1/terminal/readers/${reader.processor_terminal_id}/cancel-action`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.action).toMatchObject({ status: 'canceled' });
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body.status).toBe('pending');
    const again = await h.api.post<ErrorResponse>(`/v1/terminal/readers/${reader.id}/cancel-action`);
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('no_action');
    // The reader is free again.
    expect(
      (await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id }))
        .status,
    ).toBe(200);
  });

  it('canceling the payment cancels its reader action', async () => {
    const reader = await simulatedReader(h.api);
    const payment = await terminalPayment();
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    await h.api.post(`/v1/transactions/${payment.id}/cancel`);
    const seen = await h.api.get<ReaderJson>(`/v1/terminal/readers/${reader.id}`);
    expect(seen.body.action!.status).toBe('canceled');
  });

  it('deleting a terminal cancels its action', async () => {
    const reader = await simulatedReader(h.api);
    const payment = await terminalPayment();
    await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
    await h.api.del(`/v1/terminals/${reader.id}`);
    const other = await simulatedReader(h.api);
    expect(
      (await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: other.id })).status,
    ).toBe(200);
  });

  it('lists readers with status, last seen and current action; unpaired terminals are not readers', async () => {
    const local = await start({ fakeClock: true });
    try {
      const sim = await simulatedReader(local.api);
      await local.api.post('/v1/terminals', { name: 'Hosted', registration_code: 'host-1' });
      await local.api.post('/v1/terminals', { name: 'Unpaired' });
      const answer = await local.api.get<{ data: ReaderJson[] }>('/v1/terminal/readers');
      expect(answer.status).toBe(200);
      expect(answer.body.data.map((r) => [r.label, r.status, r.device_type])).toEqual([
        ['Counter 1', 'online', 'simulated'],
        ['Hosted', 'offline', 'hosted'],
      ]);
      expect(answer.body.data[0]!.last_seen_at).toBe('2026-02-16T16:18:00+00:00');
      expect(answer.body.data[1]!.last_seen_at).toBeNull();
      const one = await local.api.get<ReaderJson>(`/v1/terminal/readers/${sim.processor_terminal_id}`);
      expect(one.body.id).toBe(sim.processor_terminal_id);
    } finally {
      await local.close();
    }
  });
});

describe('reader timeout fault', () => {
  it('a simulated reader fails its action with reader_timeout after the configured delay (fake clock)', async () => {
    const reader = await simulatedReader(h.api);
    h.sandbox.setFaults({ reader_timeout_ms: 30_000 });
    try {
      const payment = await terminalPayment();
      await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
      h.clock!.advance(29_999);
      expect((await h.api.get<ReaderJson>(`/v1/terminal/readers/${reader.id}`)).body.action!.status).toBe(
        'in_progress',
      );
      h.clock!.advance(1);
      const after = await h.api.get<ReaderJson>(`/v1/terminal/readers/${reader.id}`);
      expect(after.body.action).toMatchObject({ status: 'failed', failure_code: 'reader_timeout' });
      expect((await h.api.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body).toMatchObject({
        status: 'pending',
        failure_code: 'reader_timeout',
      });
    } finally {
      h.sandbox.setFaults({ reader_timeout_ms: null });
    }
  });

  it('an action finished before the timeout is not touched by it', async () => {
    const reader = await simulatedReader(h.api);
    h.sandbox.setFaults({ reader_timeout_ms: 1000 });
    try {
      const payment = await terminalPayment();
      await h.api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: reader.id });
      await h.api.post('/v1/terminal/simulate-payment', { reader_id: reader.id });
      h.clock!.advance(5000);
      expect((await h.api.get<ReaderJson>(`/v1/terminal/readers/${reader.id}`)).body.action!.status).toBe('succeeded');
    } finally {
      h.sandbox.setFaults({ reader_timeout_ms: null });
    }
  });
});

describe('live mode', () => {
  it('uses live keys, test_mode false, refuses test keys and simulate-payment (403)', async () => {
    const live = await start({ mode: 'live' });
    try {
      expect(live.sandbox.secret_key).toMatch(/^sk_live_/);
      expect(live.sandbox.publishable_key).toMatch(/^pk_live_/);
      expect((await live.api.get<{ test_mode: boolean }>('/v1/merchant')).body.test_mode).toBe(false);
      const testKey = await live.api.get<ErrorResponse>('/v1/merchant', { key: 'sk_test_abc' });
      expect(testKey.status).toBe(401);
      expect(testKey.body.error.message).toMatch(/live mode/);
      const reader = await simulatedReader(live.api);
      const simulate = await live.api.post<ErrorResponse>('/v1/terminal/simulate-payment', { reader_id: reader.id });
      expect(simulate.status).toBe(403);
      expect(simulate.body.error.type).toBe('invalid_request');
      const token = await live.api.post<{ secret: string }>('/v1/terminal/connection-token');
      expect(token.body.secret).toMatch(/^pst_live_/);
    } finally {
      await live.close();
    }
  });
});
