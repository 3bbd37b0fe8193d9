import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type ErrorResponse, type Harness, type ListResponse, type TransactionJson } from './helpers';
import { FAULT_LIMITS } from '../../sandbox/core/faults';

interface Payout {
  id: string;
  reference: string;
  amount: number;
  amount_formatted: string;
  status: string;
  arrival_date: string;
  failure_code: string | null;
}
interface Dispute {
  id: string;
  reference: string;
  transaction_id: string;
  amount: number;
  status: string;
  reason: string;
  evidence_due_by: string | null;
}
interface Ledger {
  transactions: Array<{
    id: string;
    reference: string;
    idempotency_key: string | null;
    status: string;
    amount: number;
    seeded: boolean;
  }>;
  refunds: Array<{ id: string; transaction_id: string; idempotency_key: string | null; amount: number }>;
}

describe('seeded payouts and disputes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ fakeClock: true, seed: true });
  });
  afterAll(() => h.close());

  it('a new database has believable payouts in every status', async () => {
    const answer = await h.api.get<ListResponse<Payout>>('/v1/payouts');
    expect(answer.body.meta.total).toBe(6);
    expect(new Set(answer.body.data.map((p) => p.status))).toEqual(
      new Set(['paid', 'pending', 'in_transit', 'failed']),
    );
    for (const payout of answer.body.data) {
      expect(payout.reference).toMatch(/^po_/);
      expect(payout.amount).toBeGreaterThan(0);
      expect(payout.amount_formatted).toMatch(/^\$/);
      expect(payout.arrival_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(answer.body.data.find((p) => p.status === 'failed')!.failure_code).toBe('account_closed');
  });

  it('filters payouts by status and retrieves by id or reference', async () => {
    const paid = await h.api.get<ListResponse<Payout>>('/v1/payouts?status=paid');
    expect(paid.body.meta.total).toBe(3);
    expect(paid.body.data.every((p) => p.status === 'paid')).toBe(true);
    const one = paid.body.data[0]!;
    expect((await h.api.get<Payout>(`/v1/payouts/${one.id}`)).body).toEqual(one);
    expect((await h.api.get<Payout>(`/v1/payouts/${one.reference}`)).body.id).toBe(one.id);
    expect((await h.api.get<ErrorResponse>('/v1/payouts?status=sent')).status).toBe(400);
    expect((await h.api.get<ListResponse<Payout>>('/v1/payouts?size=4&page=2')).body.data).toHaveLength(2);
  });

  it('has disputes in every status, each on a real captured payment', async () => {
    const answer = await h.api.get<ListResponse<Dispute>>('/v1/disputes');
    expect(answer.body.meta.total).toBe(4);
    expect(answer.body.data.map((d) => d.status).sort()).toEqual(['lost', 'needs_response', 'under_review', 'won']);
    for (const dispute of answer.body.data) {
      const txn = await h.api.get<TransactionJson>(`/v1/transactions/${dispute.transaction_id}`);
      expect(txn.status).toBe(200);
      expect(['succeeded', 'partially_refunded']).toContain(txn.body.status);
      expect(dispute.amount).toBeLessThanOrEqual(txn.body.amount_captured - txn.body.amount_refunded);
    }
    const open = await h.api.get<ListResponse<Dispute>>('/v1/disputes?status=needs_response');
    expect(open.body.data).toHaveLength(1);
    expect(open.body.data[0]!.evidence_due_by).not.toBeNull();
    expect((await h.api.get<Dispute>(`/v1/disputes/${open.body.data[0]!.reference}`)).body.id).toBe(
      open.body.data[0]!.id,
    );
    expect((await h.api.get('/v1/disputes?status=open')).status).toBe(400);
  });

  it('is deterministic: another new database gets the same records', async () => {
    const other = await start({ fakeClock: true, seed: true });
    try {
      const mine = (await h.api.get<ListResponse<Payout>>('/v1/payouts')).body.data;
      const theirs = (await other.api.get<ListResponse<Payout>>('/v1/payouts')).body.data;
      expect(theirs).toEqual(mine);
      expect((await other.api.get<ListResponse<Dispute>>('/v1/disputes')).body.data).toEqual(
        (await h.api.get<ListResponse<Dispute>>('/v1/disputes')).body.data,
      );
    } finally {
      await other.close();
    }
  });

  it('seeded payments are in the past and flagged in the ledger', async () => {
    const ledger = (await h.api.get<Ledger>('/_sandbox/ledger')).body;
    expect(ledger.transactions).toHaveLength(4);
    expect(ledger.transactions.every((t) => t.seeded && t.idempotency_key === null)).toBe(true);
    const today = (await h.api.get<ListResponse<TransactionJson>>('/v1/transactions?date_from=2026-02-16')).body;
    expect(today.meta.total).toBe(0);
  });
});

describe('sandbox triggers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ fakeClock: true });
  });
  afterAll(() => h.close());

  it('no seed: empty lists', async () => {
    expect((await h.api.get<ListResponse<Payout>>('/v1/payouts')).body.meta.total).toBe(0);
    expect((await h.api.get<ListResponse<Dispute>>('/v1/disputes')).body.meta.total).toBe(0);
  });

  it('/_sandbox/disputes opens a dispute on a captured payment only', async () => {
    const paid = await h.api.payment({ amount: 2500, confirm: true });
    const dispute = await h.api.post<Dispute>('/_sandbox/disputes', {
      transaction_id: paid.id,
      amount: 2000,
      reason: 'product_not_received',
    });
    expect(dispute.status).toBe(201);
    expect(dispute.body).toMatchObject({
      transaction_id: paid.id,
      amount: 2000,
      status: 'needs_response',
      reason: 'product_not_received',
    });
    expect(dispute.body.reference).toMatch(/^dp_/);
    expect((await h.api.get<Dispute>(`/v1/disputes/${dispute.body.id}`)).body.id).toBe(dispute.body.id);
    const pending = await h.api.payment({ amount: 2500 });
    expect(
      (await h.api.post<ErrorResponse>('/_sandbox/disputes', { transaction_id: pending.id })).body.error,
    ).toMatchObject({ type: 'payment_error', param: 'transaction_id' });
    expect(
      (await h.api.post<ErrorResponse>('/_sandbox/disputes', { transaction_id: paid.id, amount: 2501 })).body.error
        .param,
    ).toBe('amount');
    expect((await h.api.post<ErrorResponse>('/_sandbox/disputes', { transaction_id: 'nope' })).status).toBe(404);
    expect(
      (await h.api.post<ErrorResponse>('/_sandbox/disputes', { transaction_id: paid.id, reason: 'bored' })).status,
    ).toBe(400);
  });

  it('/_sandbox/disputes/{id}/settle moves a dispute to review, then won or lost, once', async () => {
    const paid = await h.api.payment({ amount: 1800, confirm: true });
    const opened = await h.api.post<Dispute>('/_sandbox/disputes', { transaction_id: paid.id, reason: 'fraudulent' });
    const settle = (status: string) =>
      h.api.post<Dispute & ErrorResponse>(`/_sandbox/disputes/${opened.body.id}/settle`, { status });
    const review = await settle('under_review');
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({ status: 'under_review', evidence_due_by: opened.body.evidence_due_by });
    const unchanged = await settle('under_review');
    expect(unchanged.status).toBe(422);
    expect(unchanged.body.error).toMatchObject({ type: 'invalid_request', code: 'dispute_unchanged' });
    expect((await settle('shrug')).status).toBe(400);
    const lost = await settle('lost');
    expect(lost.body).toMatchObject({ status: 'lost', evidence_due_by: null });
    expect((await h.api.get<Dispute>(`/v1/disputes/${opened.body.reference}`)).body.status).toBe('lost');
    const closed = await settle('won');
    expect(closed.status).toBe(422);
    expect(closed.body.error).toMatchObject({ type: 'invalid_request', code: 'dispute_closed' });
  });

  it('a payment’s disputes together never hold more than its captured, unrefunded money', async () => {
    const paid = await h.api.payment({ amount: 3000, confirm: true });
    const open = (body: Record<string, unknown> = {}) =>
      h.api.post<Dispute & ErrorResponse>('/_sandbox/disputes', { transaction_id: paid.id, ...body });
    const first = await open({ amount: 2000 });
    expect(first.status).toBe(201);
    const tooMuch = await open({ amount: 1001 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error).toMatchObject({ type: 'payment_error', code: 'amount_too_large', param: 'amount' });
    // Without an amount, the rest: what no other dispute holds.
    const rest = await open();
    expect(rest.status).toBe(201);
    expect(rest.body.amount).toBe(1000);
    const again = await open();
    expect(again.status).toBe(422);
    expect(again.body.error).toMatchObject({ code: 'payment_not_disputable', param: 'transaction_id' });
    // A lost dispute keeps its money; a won one gives it back to the merchant, who may be disputed again.
    await h.api.post(`/_sandbox/disputes/${first.body.id}/settle`, { status: 'lost' });
    expect((await open({ amount: 1 })).status).toBe(422);
    await h.api.post(`/_sandbox/disputes/${rest.body.id}/settle`, { status: 'won' });
    expect((await open()).body).toMatchObject({ status: 'needs_response', amount: 1000 });
    expect((await h.api.get<ListResponse<Dispute>>('/v1/disputes')).body.data.map((d) => d.amount)).toContain(1000);
  });

  it('a refund never takes money a dispute holds: open and lost ones hold it, a won one gives it back', async () => {
    const paid = await h.api.payment({ amount: 3000, confirm: true });
    const refund = (body: Record<string, unknown> = {}) =>
      h.api.post<{ amount: number } & ErrorResponse>(`/v1/transactions/${paid.id}/refunds`, body);
    const first = await h.api.post<Dispute>('/_sandbox/disputes', { transaction_id: paid.id, amount: 2000 });
    const tooMuch = await refund({ amount: 1001 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error).toMatchObject({ type: 'payment_error', code: 'charge_disputed', param: 'amount' });
    // Without an amount, what the dispute leaves.
    const rest = await refund();
    expect(rest.status).toBe(201);
    expect(rest.body.amount).toBe(1000);
    const nothing = await refund();
    expect(nothing.status).toBe(422);
    expect(nothing.body.error).toMatchObject({ code: 'charge_disputed', message: expect.stringMatching(/held by/) });
    await h.api.post(`/_sandbox/disputes/${first.body.id}/settle`, { status: 'lost' });
    expect((await refund({ amount: 1 })).body.error).toMatchObject({ code: 'charge_disputed' });
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${paid.id}`)).body.amount_refunded).toBe(1000);

    const won = await h.api.payment({ amount: 3000, confirm: true });
    const dispute = await h.api.post<Dispute>('/_sandbox/disputes', { transaction_id: won.id });
    await h.api.post(`/_sandbox/disputes/${dispute.body.id}/settle`, { status: 'won' });
    const all = await h.api.post<{ amount: number }>(`/v1/transactions/${won.id}/refunds`, {});
    expect(all.status).toBe(201);
    expect(all.body.amount).toBe(3000);
  });

  it('/_sandbox/payouts creates a pending payout; settle pays or fails it once', async () => {
    const created = await h.api.post<Payout>('/_sandbox/payouts', { amount: 50000, currency: 'eur' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', amount: 50000, amount_formatted: '€500.00' });
    const paid = await h.api.post<Payout>(`/_sandbox/payouts/${created.body.id}/settle`, { status: 'paid' });
    expect(paid.body).toMatchObject({ status: 'paid', arrival_date: '2026-02-16' });
    const settled = await h.api.post<ErrorResponse>(`/_sandbox/payouts/${created.body.id}/settle`, {
      status: 'failed',
    });
    expect(settled.status).toBe(422);
    expect(settled.body.error).toMatchObject({ type: 'invalid_request', code: 'payout_settled' });
    const other = await h.api.post<Payout>('/_sandbox/payouts', { amount: 100 });
    const failed = await h.api.post<Payout>(`/_sandbox/payouts/${other.body.id}/settle`, {
      status: 'failed',
      failure_code: 'insufficient_funds',
    });
    expect(failed.body).toMatchObject({ status: 'failed', failure_code: 'insufficient_funds' });
    expect((await h.api.post<ErrorResponse>('/_sandbox/payouts', {})).body.error.param).toBe('amount');
    expect(
      (await h.api.post<ErrorResponse>(`/_sandbox/payouts/${other.body.id}/settle`, { status: 'lost' })).status,
    ).toBe(400);
  });

  it('the ledger lists every transaction and refund with its idempotency key', async () => {
    const t = await h.api.payment({ amount: 3000, confirm: true, idempotency_key: 'ledger-1' });
    await h.api.post(`/v1/transactions/${t.id}/refunds`, { amount: 1000, idempotency_key: 'ledger-r1' });
    const ledger = (await h.api.get<Ledger>('/_sandbox/ledger')).body;
    expect(ledger.transactions.find((x) => x.id === t.id)).toMatchObject({
      reference: t.reference,
      idempotency_key: 'ledger-1',
      status: 'partially_refunded',
      amount: 3000,
      seeded: false,
    });
    expect(ledger.refunds.find((r) => r.transaction_id === t.id)).toMatchObject({
      idempotency_key: 'ledger-r1',
      amount: 1000,
    });
    expect((await h.api.get('/_sandbox/ledger', { key: null })).status).toBe(401);
    expect((await h.api.get('/_sandbox/ledger', { key: h.sandbox.publishable_key })).status).toBe(403);
  });
});

describe('fault injection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.close());

  async function ledgerSize(): Promise<number> {
    return (await h.api.get<Ledger>('/_sandbox/ledger')).body.transactions.length;
  }

  it('is off by default; GET/PUT /_sandbox/faults read and merge settings', async () => {
    expect((await h.api.get('/_sandbox/faults')).body).toEqual({
      latency_ms: 0,
      error_rate: 0,
      drop_after_commit_rate: 0,
      reader_timeout_ms: null,
      seed: null,
    });
    const set = await h.api.put('/_sandbox/faults', { latency_ms: 5 });
    expect(set.body).toMatchObject({ latency_ms: 5, error_rate: 0 });
    expect((await h.api.put('/_sandbox/faults', { latency_ms: 0 })).body).toMatchObject({ latency_ms: 0 });
    for (const [body, status, param] of [
      [{ error_rate: 1.5 }, 422, 'error_rate'],
      [{ error_rate: -0.1 }, 422, 'error_rate'],
      [{ latency_ms: 60_001 }, 422, 'latency_ms'],
      [{ latency_ms: 1.5 }, 422, 'latency_ms'],
      [{ reader_timeout_ms: 0 }, 422, 'reader_timeout_ms'],
      [{ error_rate: '0.5' }, 400, 'error_rate'],
      [{ latency_ms: null }, 400, 'latency_ms'],
      [{ chaos: true }, 400, 'chaos'],
    ] as const) {
      const answer = await h.api.put<ErrorResponse>('/_sandbox/faults', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.error.param).toBe(param);
    }
    expect(() => h.sandbox.setFaults({ error_rate: 2 })).toThrow(RangeError);
  });

  it('latency is added to API requests', async () => {
    h.sandbox.setFaults({ latency_ms: 150 });
    try {
      const started = performance.now();
      await h.api.get('/v1/merchant');
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      // Health is not delayed: at the longest latency it still answers (a delayed one would outlast the test).
      h.sandbox.setFaults({ latency_ms: FAULT_LIMITS.latency_ms });
      expect((await h.api.get('/v1/health')).status).toBe(200);
    } finally {
      h.sandbox.setFaults({ latency_ms: 0 });
    }
  });

  it('error_rate 1 answers every API request 500 api_error before any change; admin routes still work', async () => {
    const before = await ledgerSize();
    h.sandbox.setFaults({ error_rate: 1 });
    try {
      const answer = await h.api.post<ErrorResponse>('/v1/transactions', { amount: 2500 });
      expect(answer.status).toBe(500);
      expect(answer.body.error).toMatchObject({ type: 'api_error', code: 'injected_fault' });
      expect((await h.api.get('/v1/transactions')).status).toBe(500);
      expect((await h.api.get('/v1/health')).status).toBe(200);
      expect(await ledgerSize()).toBe(before);
    } finally {
      expect((await h.api.put('/_sandbox/faults', { error_rate: 0 })).status).toBe(200);
    }
  });

  it('seeded error decisions are reproducible', async () => {
    const run = async (): Promise<number[]> => {
      h.sandbox.setFaults({ error_rate: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await h.api.get('/v1/merchant')).status);
      return statuses;
    };
    try {
      const first = await run();
      const second = await run();
      expect(second).toEqual(first);
      expect(first).toContain(500);
      expect(first).toContain(200);
    } finally {
      h.sandbox.setFaults({ error_rate: 0, seed: null });
    }
  });

  it('drop_after_commit: the change is committed but the connection is destroyed without an answer', async () => {
    h.sandbox.setFaults({ drop_after_commit_rate: 1 });
    try {
      await expect(h.api.post('/v1/transactions', { amount: 4321, idempotency_key: 'dropped-1' })).rejects.toThrow();
      // Reads are not dropped.
      expect((await h.api.get('/v1/transactions')).status).toBe(200);
      // Refused requests change nothing and are answered.
      expect((await h.api.post('/v1/transactions', { amount: 1 })).status).toBe(422);
    } finally {
      h.sandbox.setFaults({ drop_after_commit_rate: 0 });
    }
    const ledger = (await h.api.get<Ledger>('/_sandbox/ledger')).body;
    expect(ledger.transactions.filter((t) => t.idempotency_key === 'dropped-1')).toHaveLength(1);
    // The client's recovery: retry with the same key gets the committed payment.
    const retry = await h.api.post<TransactionJson>('/v1/transactions', { amount: 4321, idempotency_key: 'dropped-1' });
    expect(retry.status).toBe(200);
    expect(retry.body.amount).toBe(4321);
  });

  it('faults can be set at start', async () => {
    const faulty = await start({ faults: { error_rate: 1 } });
    try {
      expect((await faulty.api.get('/v1/merchant')).status).toBe(500);
      expect(faulty.sandbox.faults().error_rate).toBe(1);
    } finally {
      await faulty.close();
    }
  });
});
