import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  start,
  type ErrorResponse,
  type Harness,
  type ListResponse,
  type RefundJson,
  type TransactionJson,
} from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await start({ fakeClock: true });
});
afterAll(() => h.close());

describe('create and retrieve', () => {
  it('creates a pending payment with every documented field', async () => {
    const answer = await h.api.post<TransactionJson>('/v1/transactions', {
      amount: 2500,
      currency: 'USD',
      payment_method_type: 'card',
      description: 'Haircut + Beard Trim',
      receipt_email: 'john@example.com',
      metadata: { order_id: 'ORD-1234' },
    });
    expect(answer.status).toBe(201);
    const t = answer.body;
    expect(t.reference).toMatch(/^txn_[A-Za-z0-9]{20}$/);
    expect(t).toMatchObject({
      type: 'payment',
      status: 'pending',
      amount: 2500,
      amount_formatted: '$25.00',
      amount_refunded: 0,
      amount_capturable: 0,
      amount_captured: 0,
      currency: 'usd',
      payment_method_type: 'card',
      capture_method: 'automatic',
      description: 'Haircut + Beard Trim',
      customer_id: null,
      terminal_id: null,
      receipt_email: 'john@example.com',
      metadata: { order_id: 'ORD-1234' },
      card: null,
      failure_code: null,
      failure_message: null,
      captured_at: null,
      canceled_at: null,
      created_at: '2026-02-16T16:18:00+00:00',
    });
    expect(Object.keys(t).sort()).toEqual(
      [
        'id',
        'reference',
        'type',
        'status',
        'amount',
        'amount_formatted',
        'amount_refunded',
        'amount_capturable',
        'amount_captured',
        'currency',
        'payment_method_type',
        'capture_method',
        'description',
        'customer_id',
        'terminal_id',
        'receipt_email',
        'metadata',
        'card',
        'failure_code',
        'failure_message',
        'captured_at',
        'canceled_at',
        'created_at',
        'updated_at',
      ].sort(),
    );
    const fetched = await h.api.get<TransactionJson>(`/v1/transactions/${t.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(t);
    const byReference = await h.api.get<TransactionJson>(`/v1/transactions/${t.reference}`);
    expect(byReference.body.id).toBe(t.id);
  });

  it('currency defaults to the merchant currency; formatting follows the ISO exponent', async () => {
    expect((await h.api.payment({ amount: 2500 })).currency).toBe('usd');
    expect((await h.api.payment({ amount: 500, currency: 'jpy' })).amount_formatted).toBe('¥500');
    expect((await h.api.payment({ amount: 12345, currency: 'kwd' })).amount_formatted).toMatch(/12\.345/);
    expect((await h.api.payment({ amount: 1250, currency: 'eur' })).amount_formatted).toBe('€12.50');
  });

  it('enforces the documented limits with 422 and the param', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{}, 'amount', 'parameter_missing'],
      [{ amount: 49 }, 'amount', 'amount_too_small'],
      [{ amount: 0 }, 'amount', 'amount_too_small'],
      [{ amount: -100 }, 'amount', 'amount_too_small'],
      [{ amount: 100_000_000 }, 'amount', 'amount_too_large'],
      [{ amount: 2500, description: 'x'.repeat(501) }, 'description', 'string_too_long'],
      [{ amount: 2500, receipt_email: 'not-an-email' }, 'receipt_email', 'invalid_email'],
      [
        { amount: 2500, metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
        'metadata',
        'metadata_too_many_keys',
      ],
      // A number past 2^53 would be stored as another number.
      [{ amount: 2500, metadata: { order_no: 2 ** 60 } }, 'metadata.order_no', 'metadata_value_inexact'],
      [{ amount: 2500, idempotency_key: 'k'.repeat(256) }, 'idempotency_key', 'string_too_long'],
      // An empty key would be one key shared by every client that sends it.
      [{ amount: 2500, idempotency_key: '' }, 'idempotency_key', 'string_too_short'],
      [{ amount: 2500, idempotency_key: '   ' }, 'idempotency_key', 'string_too_short'],
    ];
    for (const [body, param, code] of cases) {
      const answer = await h.api.post<ErrorResponse>('/v1/transactions', body);
      expect(answer.status, JSON.stringify(body).slice(0, 60)).toBe(422);
      expect(answer.body.error).toMatchObject({ type: 'invalid_request', param, code });
    }
    const edge = await h.api.post<TransactionJson>('/v1/transactions', { amount: 50, description: 'x'.repeat(500) });
    expect(edge.status).toBe(201);
  });

  it('customer_id must name an existing customer (404 with param)', async () => {
    const answer = await h.api.post<ErrorResponse>('/v1/transactions', {
      amount: 2500,
      customer_id: '019c3770-a922-7219-a12d-7297ae5bfbc3',
    });
    expect(answer.status).toBe(404);
    expect(answer.body.error.param).toBe('customer_id');
    const customer = (await h.api.post<{ id: string }>('/v1/customers', { name: 'Ann' })).body;
    expect((await h.api.payment({ amount: 2500, customer_id: customer.id })).customer_id).toBe(customer.id);
  });
});

describe('confirm: true decides at once with the test cards', () => {
  it('approves with the default card (automatic → succeeded, manual → requires_capture)', async () => {
    const auto = await h.api.payment({ amount: 2500, confirm: true });
    expect(auto).toMatchObject({ status: 'succeeded', amount_captured: 2500, card: { brand: 'visa', last4: '4242' } });
    expect(auto.captured_at).not.toBeNull();
    const manual = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    expect(manual).toMatchObject({
      status: 'requires_capture',
      amount_capturable: 2500,
      amount_captured: 0,
      captured_at: null,
    });
  });

  it('declines are final: failed, with the gateway message', async () => {
    const byCard = await h.api.payment({ amount: 2500, confirm: true, payment_method: '4000 0000 0000 0077' });
    expect(byCard).toMatchObject({
      status: 'failed',
      failure_code: 'insufficient_funds',
      failure_message: 'Insufficient funds.',
    });
    const byAmount = await h.api.payment({ amount: 2505, confirm: true });
    expect(byAmount).toMatchObject({ status: 'failed', failure_code: 'generic_decline' });
    const confirmAgain = await h.api.post<ErrorResponse>(`/v1/transactions/${byAmount.id}/confirm`);
    expect(confirmAgain.status).toBe(422);
    expect(confirmAgain.body.error.type).toBe('payment_error');
  });

  it('a terminal payment cannot be confirmed through the API', async () => {
    const answer = await h.api.post<ErrorResponse>('/v1/transactions', {
      amount: 2500,
      confirm: true,
      payment_method_type: 'terminal',
    });
    expect(answer.status).toBe(422);
    expect(answer.body.error.param).toBe('confirm');
  });

  it('POST …/confirm decides a pending API payment', async () => {
    const t = await h.api.payment({ amount: 3000 });
    const answer = await h.api.post<TransactionJson>(`/v1/transactions/${t.id}/confirm`, {
      payment_method: '5500005555555559',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'succeeded', card: { brand: 'mastercard', last4: '5559' } });
  });
});

describe('capture and cancel', () => {
  it('captures the whole authorisation by default', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    const answer = await h.api.post<TransactionJson>(`/v1/transactions/${t.id}/capture`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'succeeded', amount_captured: 2500, amount_capturable: 0 });
    expect(answer.body.captured_at).not.toBeNull();
  });

  it('captures less than authorised; the rest is released', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    const answer = await h.api.post<TransactionJson>(`/v1/transactions/${t.id}/capture`, { amount: 2000 });
    expect(answer.body).toMatchObject({
      status: 'succeeded',
      amount: 2500,
      amount_captured: 2000,
      amount_capturable: 0,
    });
  });

  it('refuses to capture more than authorised, a succeeded or a pending payment (capture_error)', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    const tooMuch = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/capture`, { amount: 2501 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error).toMatchObject({ type: 'capture_error', param: 'amount' });
    const zero = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/capture`, { amount: 0 });
    expect(zero.status).toBe(422);
    expect(zero.body.error.param).toBe('amount');
    await h.api.post(`/v1/transactions/${t.id}/capture`);
    const again = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/capture`);
    expect(again.status).toBe(422);
    expect(again.body.error.type).toBe('capture_error');
    const pending = await h.api.payment({ amount: 2500 });
    expect((await h.api.post<ErrorResponse>(`/v1/transactions/${pending.id}/capture`)).body.error.type).toBe(
      'capture_error',
    );
  });

  it('capture with the same idempotency key is replayed, not refused', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    const first = await h.api.post<TransactionJson>(`/v1/transactions/${t.id}/capture`, {
      amount: 1500,
      idempotency_key: 'cap-1',
    });
    const second = await h.api.post<TransactionJson>(`/v1/transactions/${t.id}/capture`, {
      amount: 1500,
      idempotency_key: 'cap-1',
    });
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    const other = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/capture`, {
      amount: 1000,
      idempotency_key: 'cap-1',
    });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const newKey = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/capture`, { idempotency_key: 'cap-2' });
    expect(newKey.body.error.type).toBe('capture_error');
  });

  it('a capture key is compared after defaults: no amount means the whole authorisation', async () => {
    // Partly captured with the key: the same key without amount asks for the whole 2500, another request.
    const part = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    await h.api.post(`/v1/transactions/${part.id}/capture`, { amount: 1500, idempotency_key: 'cap-part' });
    const whole = await h.api.post<ErrorResponse>(`/v1/transactions/${part.id}/capture`, {
      idempotency_key: 'cap-part',
    });
    expect({ status: whole.status, error: whole.body.error }).toMatchObject({
      status: 422,
      error: { code: 'idempotency_key_reused', param: 'amount' },
    });

    // Captured whole without amount: the same key with or without the whole amount is a replay.
    const full = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    const first = await h.api.post<TransactionJson>(`/v1/transactions/${full.id}/capture`, {
      idempotency_key: 'cap-full',
    });
    expect(first.body.amount_captured).toBe(2500);
    for (const body of [{ idempotency_key: 'cap-full' }, { amount: 2500, idempotency_key: 'cap-full' }]) {
      const again = await h.api.post<TransactionJson>(`/v1/transactions/${full.id}/capture`, body);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
  });

  it('cancels pending and uncaptured payments; refuses others (cancel_error)', async () => {
    const pending = await h.api.payment({ amount: 2500 });
    const canceled = await h.api.post<TransactionJson>(`/v1/transactions/${pending.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    expect(canceled.body.canceled_at).not.toBeNull();
    const uncaptured = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    const released = await h.api.post<TransactionJson>(`/v1/transactions/${uncaptured.id}/cancel`);
    expect(released.body).toMatchObject({ status: 'canceled', amount_capturable: 0 });
    for (const id of [pending.id, (await h.api.payment({ amount: 2500, confirm: true })).id]) {
      const refused = await h.api.post<ErrorResponse>(`/v1/transactions/${id}/cancel`);
      expect(refused.status).toBe(422);
      expect(refused.body.error.type).toBe('cancel_error');
    }
  });

  it('cancel with the same idempotency key is replayed', async () => {
    const t = await h.api.payment({ amount: 2500 });
    await h.api.post(`/v1/transactions/${t.id}/cancel`, { idempotency_key: 'c-1' });
    const again = await h.api.post<TransactionJson>(`/v1/transactions/${t.id}/cancel`, { idempotency_key: 'c-1' });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('canceled');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('keys are compared exactly as sent: surrounding white space makes another key', async () => {
    const first = await h.api.post<TransactionJson>('/v1/transactions', { amount: 2500, idempotency_key: 'order-7' });
    expect(first.status).toBe(201);
    for (const key of ['order-7 ', ' order-7', 'order-7\n']) {
      const other = await h.api.post<TransactionJson>('/v1/transactions', { amount: 2500, idempotency_key: key });
      expect(other.status, JSON.stringify(key)).toBe(201);
      expect(other.body.id).not.toBe(first.body.id);
      expect(other.headers.get('idempotent-replayed')).toBeNull();
      // Kept as sent, so the same key again is its own replay.
      const again = await h.api.post<TransactionJson>('/v1/transactions', { amount: 2500, idempotency_key: key });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(other.body.id);
    }
    const ledger = await h.api.get<{ transactions: Array<{ id: string; idempotency_key: string | null }> }>(
      '/_sandbox/ledger',
    );
    expect(
      ledger.body.transactions.filter((t) => t.idempotency_key?.trim() === 'order-7').map((t) => t.idempotency_key),
    ).toEqual(['order-7', 'order-7 ', ' order-7', 'order-7\n']);
    // A refund's and a capture's key likewise.
    const held = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    expect((await h.api.post(`/v1/transactions/${held.id}/capture`, { idempotency_key: 'cap ' })).status).toBe(200);
    const refund = await h.api.post(`/v1/transactions/${held.id}/refunds`, { amount: 100, idempotency_key: 'cap' });
    expect(refund.status).toBe(201);
  });

  it('a key names one request on one endpoint: capture, cancel, refund and create share one key space', async () => {
    const reused = (answer: { status: number; body: ErrorResponse }, endpoint: string) => {
      expect(answer.status).toBe(422);
      expect(answer.body.error).toMatchObject({
        type: 'invalid_request',
        code: 'idempotency_key_reused',
        param: 'idempotency_key',
      });
      expect(answer.body.error.message).toContain(endpoint);
    };
    const held = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    await h.api.post(`/v1/transactions/${held.id}/capture`, { amount: 1000, idempotency_key: 'one-cap' });
    // The capture's key on the cancel of the same payment: the key is named, not the payment's state.
    reused(
      await h.api.post<ErrorResponse>(`/v1/transactions/${held.id}/cancel`, { idempotency_key: 'one-cap' }),
      `POST /v1/transactions/${held.id}/capture`,
    );
    reused(
      await h.api.post<ErrorResponse>(`/v1/transactions/${held.id}/refunds`, { idempotency_key: 'one-cap' }),
      `POST /v1/transactions/${held.id}/capture`,
    );
    reused(
      await h.api.post<ErrorResponse>('/v1/transactions', { amount: 2500, idempotency_key: 'one-cap' }),
      `POST /v1/transactions/${held.id}/capture`,
    );
    const pending = await h.api.payment({ amount: 2500 });
    await h.api.post(`/v1/transactions/${pending.id}/cancel`, { idempotency_key: 'one-cancel' });
    // A cancel's key does not make a new payment.
    for (const path of ['/v1/transactions', '/v1/payment-intents']) {
      reused(
        await h.api.post<ErrorResponse>(path, { amount: 2500, idempotency_key: 'one-cancel' }),
        `POST /v1/transactions/${pending.id}/cancel`,
      );
    }
    const other = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    reused(
      await h.api.post<ErrorResponse>(`/v1/transactions/${other.id}/capture`, { idempotency_key: 'one-cancel' }),
      `POST /v1/transactions/${pending.id}/cancel`,
    );
    // A create's key on a capture.
    const created = await h.api.post<TransactionJson>('/v1/transactions', { amount: 2500, idempotency_key: 'one-new' });
    reused(
      await h.api.post<ErrorResponse>(`/v1/transactions/${other.id}/capture`, { idempotency_key: 'one-new' }),
      'POST /v1/transactions',
    );
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${other.id}`)).body.status).toBe('requires_capture');
    expect(created.status).toBe(201);
  });

  it('unknown transaction is 404 for capture, cancel, refund', async () => {
    for (const action of ['capture', 'cancel', 'refunds', 'confirm']) {
      expect((await h.api.post(`/v1/transactions/019c3770-a922-7219-a12d-7297ae5bfbc3/${action}`)).status).toBe(404);
    }
  });
});

describe('refunds', () => {
  it('full refund by default; the transaction is embedded and becomes refunded', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true });
    const answer = await h.api.post<RefundJson>(`/v1/transactions/${t.id}/refunds`);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      transaction_id: t.id,
      amount: 2500,
      amount_formatted: '$25.00',
      status: 'succeeded',
    });
    expect(answer.body.reference).toMatch(/^re_[A-Za-z0-9]{20}$/);
    expect(answer.body.transaction).toMatchObject({ status: 'refunded', amount_refunded: 2500 });
  });

  it('partial refunds, never more than what remains', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true });
    const first = await h.api.post<RefundJson>(`/v1/transactions/${t.id}/refunds`, {
      amount: 1000,
      reason: 'requested_by_customer',
    });
    expect(first.body.transaction).toMatchObject({ status: 'partially_refunded', amount_refunded: 1000 });
    const tooMuch = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/refunds`, { amount: 1501 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error).toMatchObject({ type: 'payment_error', param: 'amount' });
    const rest = await h.api.post<RefundJson>(`/v1/transactions/${t.id}/refunds`);
    expect(rest.body.amount).toBe(1500);
    expect(rest.body.transaction.status).toBe('refunded');
    const more = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/refunds`, { amount: 1 });
    expect(more.status).toBe(422);
    expect(more.body.error.type).toBe('payment_error');
    const listed = await h.api.get<ListResponse<RefundJson>>(`/v1/transactions/${t.id}/refunds`);
    expect(listed.body.meta.total).toBe(2);
    expect(listed.body.data.map((r) => r.amount).sort()).toEqual([1000, 1500]);
  });

  it('refunds a partial capture only up to what was captured', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    await h.api.post(`/v1/transactions/${t.id}/capture`, { amount: 2000 });
    expect((await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/refunds`, { amount: 2001 })).status).toBe(422);
    expect((await h.api.post<RefundJson>(`/v1/transactions/${t.id}/refunds`)).body.amount).toBe(2000);
  });

  it('refuses to refund pending, uncaptured, failed and canceled payments', async () => {
    const pending = await h.api.payment({ amount: 2500 });
    const uncaptured = await h.api.payment({ amount: 2500, confirm: true, capture_method: 'manual' });
    const failed = await h.api.payment({ amount: 2505, confirm: true });
    const canceled = await h.api.payment({ amount: 2500 });
    await h.api.post(`/v1/transactions/${canceled.id}/cancel`);
    for (const t of [pending, uncaptured, failed, canceled]) {
      const answer = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/refunds`);
      expect(answer.status).toBe(422);
      expect(answer.body.error.type).toBe('payment_error');
    }
  });

  it('validates refund parameters', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true });
    expect(
      (await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/refunds`, { amount: 0 })).body.error,
    ).toMatchObject({ param: 'amount', type: 'invalid_request' });
    expect((await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/refunds`, { amount: '5' })).status).toBe(400);
    expect(
      (await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/refunds`, { reason: 'r'.repeat(201) })).status,
    ).toBe(422);
  });

  it('a refund idempotency key names one refund of one transaction', async () => {
    const a = await h.api.payment({ amount: 2500, confirm: true });
    const b = await h.api.payment({ amount: 2500, confirm: true });
    const first = await h.api.post<RefundJson>(`/v1/transactions/${a.id}/refunds`, {
      amount: 500,
      idempotency_key: 'rf-1',
    });
    const replay = await h.api.post<RefundJson>(`/v1/transactions/${a.id}/refunds`, {
      amount: 500,
      idempotency_key: 'rf-1',
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.body.transaction.amount_refunded).toBe(500);
    const mismatch = await h.api.post<ErrorResponse>(`/v1/transactions/${a.id}/refunds`, {
      amount: 600,
      idempotency_key: 'rf-1',
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'amount' });
    // One key space: the key names the refund of a, so a refund of b with it is another request.
    const otherTxn = await h.api.post<ErrorResponse>(`/v1/transactions/${b.id}/refunds`, {
      amount: 500,
      idempotency_key: 'rf-1',
    });
    expect(otherTxn.status).toBe(422);
    expect(otherTxn.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'idempotency_key' });
    expect(otherTxn.body.error.message).toContain(`POST /v1/transactions/${a.id}/refunds`);
  });

  it('an omitted amount is bound to the key as the remainder it defaulted to', async () => {
    const t = await h.api.payment({ amount: 5000, confirm: true });
    const first = await h.api.post<RefundJson>(`/v1/transactions/${t.id}/refunds`, { idempotency_key: 'rk' });
    expect(first.status).toBe(201);
    expect(first.body.amount).toBe(5000);
    for (const body of [{ amount: 5000 }, {}]) {
      const again = await h.api.post<RefundJson>(`/v1/transactions/${t.id}/refunds`, {
        ...body,
        idempotency_key: 'rk',
      });
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.id).toBe(first.body.id);
    }
    const other = await h.api.post<ErrorResponse>(`/v1/transactions/${t.id}/refunds`, {
      amount: 4000,
      idempotency_key: 'rk',
    });
    expect(other.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'amount' });

    // An explicit part first: leaving the amount out later means the remainder then, another request.
    const u = await h.api.payment({ amount: 5000, confirm: true });
    await h.api.post(`/v1/transactions/${u.id}/refunds`, { amount: 3000, idempotency_key: 'rk2' });
    const omitted = await h.api.post<ErrorResponse>(`/v1/transactions/${u.id}/refunds`, { idempotency_key: 'rk2' });
    expect(omitted.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'amount' });
  });
});

describe('idempotency on create', () => {
  it('the same key returns the existing transaction (200, Idempotent-Replayed), never a second one', async () => {
    const body = { amount: 5000, currency: 'usd', idempotency_key: 'order_12345_attempt_1' };
    const first = await h.api.post<TransactionJson>('/v1/transactions', body);
    const second = await h.api.post<TransactionJson>('/v1/transactions', body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.id).toBe(first.body.id);
    const ledger = await h.api.get<{ transactions: Array<{ idempotency_key: string | null }> }>('/_sandbox/ledger');
    expect(ledger.body.transactions.filter((t) => t.idempotency_key === 'order_12345_attempt_1')).toHaveLength(1);
  });

  it('defaults count as parameters: omitting currency equals the merchant currency', async () => {
    await h.api.post('/v1/transactions', { amount: 5000, idempotency_key: 'defaults-1' });
    expect(
      (await h.api.post('/v1/transactions', { amount: 5000, currency: 'USD', idempotency_key: 'defaults-1' })).status,
    ).toBe(200);
  });

  it('receipt_email is compared as sent: a retry spelling it in other case is another request', async () => {
    const body = { amount: 5000, receipt_email: 'Ann.Lee@Example.com', idempotency_key: 'email-case-1' };
    expect((await h.api.post('/v1/transactions', body)).status).toBe(201);
    expect((await h.api.post('/v1/transactions', body)).status).toBe(200);
    // The local part may name another mailbox (RFC 5321); the domain's case never does, but the
    // stored address is answered as first sent, and a client's own retry resends the same bytes.
    for (const receipt_email of ['ann.lee@Example.com', 'Ann.Lee@example.com']) {
      const answer = await h.api.post<ErrorResponse>('/v1/transactions', { ...body, receipt_email });
      expect(answer.status, receipt_email).toBe(422);
      expect(answer.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'receipt_email' });
    }
  });

  it('the same key with different parameters is 422 naming the first differing param', async () => {
    await h.api.post('/v1/transactions', {
      amount: 5000,
      description: 'a',
      metadata: { x: '1' },
      idempotency_key: 'diff-1',
    });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ amount: 5001, description: 'a', metadata: { x: '1' } }, 'amount'],
      [{ amount: 5000, currency: 'eur', description: 'a', metadata: { x: '1' } }, 'currency'],
      [{ amount: 5000, description: 'b', metadata: { x: '1' } }, 'description'],
      [{ amount: 5000, description: 'a', metadata: { x: '2' } }, 'metadata'],
      [{ amount: 5000, description: 'a', metadata: { x: '1' }, capture_method: 'manual' }, 'capture_method'],
    ];
    for (const [body, param] of cases) {
      const answer = await h.api.post<ErrorResponse>('/v1/transactions', { ...body, idempotency_key: 'diff-1' });
      expect(answer.status).toBe(422);
      expect(answer.body.error).toMatchObject({ type: 'invalid_request', code: 'idempotency_key_reused', param });
    }
    // Metadata key order does not matter.
    await h.api.post('/v1/transactions', { amount: 5000, metadata: { a: '1', b: '2' }, idempotency_key: 'order-1' });
    expect(
      (await h.api.post('/v1/transactions', { amount: 5000, metadata: { b: '2', a: '1' }, idempotency_key: 'order-1' }))
        .status,
    ).toBe(200);
  });

  it('a key names one request: reused on another payment endpoint it is refused, never replayed', async () => {
    const terminal = await h.api.post<TransactionJson>('/v1/terminal/create-payment', {
      amount: 5000,
      idempotency_key: 'shared-1',
    });
    expect(terminal.status).toBe(201);
    // Even with every parameter equal, /v1/transactions is another endpoint.
    const viaTransactions = await h.api.post<ErrorResponse>('/v1/transactions', {
      amount: 5000,
      payment_method_type: 'terminal',
      idempotency_key: 'shared-1',
    });
    expect(viaTransactions.status).toBe(422);
    expect(viaTransactions.body.error).toMatchObject({
      code: 'idempotency_key_reused',
      param: 'idempotency_key',
      message: expect.stringContaining('POST /v1/terminal/create-payment'),
    });
    const again = await h.api.post<TransactionJson>('/v1/terminal/create-payment', {
      amount: 5000,
      idempotency_key: 'shared-1',
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(terminal.body.id);

    // A transaction's key sent to payment-intents would have replayed an object without a client secret.
    await h.api.post('/v1/transactions', { amount: 5000, idempotency_key: 'shared-2' });
    const intent = await h.api.post<ErrorResponse>('/v1/payment-intents', {
      amount: 5000,
      idempotency_key: 'shared-2',
    });
    expect(intent.status).toBe(422);
    expect(intent.headers.get('idempotent-replayed')).toBeNull();
    expect(intent.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'idempotency_key' });
  });

  it('a replay returns the transaction as it is now', async () => {
    const first = await h.api.post<TransactionJson>('/v1/transactions', { amount: 5000, idempotency_key: 'now-1' });
    await h.api.post(`/v1/transactions/${first.body.id}/cancel`);
    const replay = await h.api.post<TransactionJson>('/v1/transactions', { amount: 5000, idempotency_key: 'now-1' });
    expect(replay.body.status).toBe('canceled');
  });

  it('holds under concurrent requests with the same key: one transaction, one 201', async () => {
    const body = { amount: 7777, idempotency_key: 'concurrent-key', confirm: true };
    const answers = await Promise.all(
      Array.from({ length: 24 }, () => h.api.post<TransactionJson>('/v1/transactions', body)),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(23);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const ledger = await h.api.get<{ transactions: Array<{ idempotency_key: string | null }> }>('/_sandbox/ledger');
    expect(ledger.body.transactions.filter((t) => t.idempotency_key === 'concurrent-key')).toHaveLength(1);
  });

  it('concurrent refunds with the same key create one refund', async () => {
    const t = await h.api.payment({ amount: 2500, confirm: true });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.api.post<RefundJson>(`/v1/transactions/${t.id}/refunds`, { amount: 100, idempotency_key: 'r-conc' }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${t.id}`)).body.amount_refunded).toBe(100);
  });
});

describe('list: filters, sort, pagination', () => {
  let local: Harness;
  beforeEach(async () => {
    local = await start({ fakeClock: true });
    return () => local.close();
  });

  async function seed(): Promise<TransactionJson[]> {
    const made: TransactionJson[] = [];
    const specs: Array<Record<string, unknown>> = [
      { amount: 1000, description: 'Coffee beans', receipt_email: 'ann@example.com' },
      { amount: 5000, description: 'Espresso machine', payment_method_type: 'wallet', confirm: true },
      { amount: 300_0, description: '50% off mug', payment_method_type: 'bank_transfer' },
      { amount: 700, payment_method_type: 'terminal' },
      { amount: 9900, description: 'Grinder', confirm: true, capture_method: 'manual' },
    ];
    for (const spec of specs) {
      made.push(await local.api.payment(spec));
      local.clock!.advance(24 * 3600 * 1000);
    }
    return made;
  }

  it('defaults: page 1, size 10, newest first; meta is correct', async () => {
    const made = await seed();
    const answer = await local.api.get<ListResponse<TransactionJson>>('/v1/transactions');
    expect(answer.body.meta).toEqual({ current_page: 1, last_page: 1, per_page: 10, total: 5 });
    expect(answer.body.data.map((t) => t.id)).toEqual(made.map((t) => t.id).reverse());
  });

  it('empty list has last_page 1', async () => {
    const answer = await local.api.get<ListResponse<TransactionJson>>('/v1/transactions');
    expect(answer.body).toEqual({ data: [], meta: { current_page: 1, last_page: 1, per_page: 10, total: 0 } });
  });

  it('pagination edges: exact pages, the last partial page, beyond the end', async () => {
    await seed();
    const page1 = await local.api.get<ListResponse<TransactionJson>>('/v1/transactions?size=2&page=1&sortOrder=asc');
    const page3 = await local.api.get<ListResponse<TransactionJson>>('/v1/transactions?size=2&page=3&sortOrder=asc');
    const page4 = await local.api.get<ListResponse<TransactionJson>>('/v1/transactions?size=2&page=4');
    expect(page1.body.meta).toEqual({ current_page: 1, last_page: 3, per_page: 2, total: 5 });
    expect(page1.body.data.map((t) => t.amount)).toEqual([1000, 5000]);
    expect(page3.body.data.map((t) => t.amount)).toEqual([9900]);
    expect(page4.body.data).toEqual([]);
    expect(page4.body.meta).toEqual({ current_page: 4, last_page: 3, per_page: 2, total: 5 });
    const all = await local.api.get<ListResponse<TransactionJson>>('/v1/transactions?size=100');
    expect(all.body.data).toHaveLength(5);
    const one = await local.api.get<ListResponse<TransactionJson>>('/v1/transactions?size=1');
    expect(one.body.meta.last_page).toBe(5);
  });

  it('page and size limits', async () => {
    for (const [query, status, param] of [
      ['size=101', 422, 'size'],
      ['size=0', 422, 'size'],
      ['page=0', 422, 'page'],
      ['page=-1', 422, 'page'],
      ['page=abc', 400, 'page'],
      ['size=2.5', 400, 'size'],
    ] as const) {
      const answer = await local.api.get<ErrorResponse>(`/v1/transactions?${query}`);
      expect(answer.status, query).toBe(status);
      expect(answer.body.error.param).toBe(param);
    }
  });

  it('filters by status, payment_method_type and search (reference, description, email; % is literal)', async () => {
    const made = await seed();
    const ids = async (query: string): Promise<string[]> =>
      (await local.api.get<ListResponse<TransactionJson>>(`/v1/transactions?${query}`)).body.data
        .map((t) => t.id)
        .sort();
    expect(await ids('status=succeeded')).toEqual([made[1]!.id]);
    expect(await ids('status=requires_capture')).toEqual([made[4]!.id]);
    expect(await ids('payment_method_type=terminal')).toEqual([made[3]!.id]);
    expect(await ids('search=espresso')).toEqual([made[1]!.id]);
    expect(await ids('search=ANN%40EXAMPLE')).toEqual([made[0]!.id]);
    expect(await ids(`search=${made[3]!.reference}`)).toEqual([made[3]!.id]);
    expect(await ids('search=50%25')).toEqual([made[2]!.id]);
    expect(await ids('status=succeeded&payment_method_type=card')).toEqual([]);
    expect((await local.api.get<ErrorResponse>('/v1/transactions?status=done')).status).toBe(400);
  });

  it('date_from / date_to are inclusive UTC dates on created_at', async () => {
    const made = await seed();
    // Created 2026-02-16, 17, 18, 19, 20.
    const ids = async (query: string): Promise<string[]> =>
      (await local.api.get<ListResponse<TransactionJson>>(`/v1/transactions?${query}`)).body.data
        .map((t) => t.id)
        .sort();
    expect(await ids('date_from=2026-02-17&date_to=2026-02-18')).toEqual([made[1]!.id, made[2]!.id].sort());
    expect(await ids('date_from=2026-02-20')).toEqual([made[4]!.id]);
    expect(await ids('date_to=2026-02-16')).toEqual([made[0]!.id]);
    for (const bad of ['2026-2-1', '2026-02-30', 'yesterday', '20260216']) {
      const answer = await local.api.get<ErrorResponse>(`/v1/transactions?date_from=${bad}`);
      expect(answer.status, bad).toBe(400);
      expect(answer.body.error.param).toBe('date_from');
    }
  });

  it('sorts by amount, status, created_at and updated_at, both ways', async () => {
    await seed();
    const amounts = async (query: string): Promise<number[]> =>
      (await local.api.get<ListResponse<TransactionJson>>(`/v1/transactions?${query}`)).body.data.map((t) => t.amount);
    expect(await amounts('sortField=amount&sortOrder=asc')).toEqual([700, 1000, 3000, 5000, 9900]);
    expect(await amounts('sortField=amount&sortOrder=desc')).toEqual([9900, 5000, 3000, 1000, 700]);
    expect(await amounts('sortField=created_at&sortOrder=asc')).toEqual([1000, 5000, 3000, 700, 9900]);
    const statuses = (
      await local.api.get<ListResponse<TransactionJson>>('/v1/transactions?sortField=status&sortOrder=asc')
    ).body.data.map((t) => t.status);
    expect(statuses).toEqual([...statuses].sort());
    expect((await local.api.get<ErrorResponse>('/v1/transactions?sortField=description')).status).toBe(400);
    expect((await local.api.get<ErrorResponse>('/v1/transactions?sortOrder=up')).status).toBe(400);
  });
});
