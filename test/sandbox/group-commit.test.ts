/**
 * Group commit (sandbox/core/group-commit.ts): the writes of one event-loop turn share one SQLite
 * transaction, and nothing leaves the sandbox before the commit that covers it. A commit is made to
 * fail for real — a deferred foreign key that a trigger breaks on insert — so that an answer sent
 * before its commit would be caught holding data the database does not have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { startSandboxOn, type RunningSandbox } from '../../sandbox/index';
import { inTransaction, type Context } from '../../sandbox/core/context';
import { openDatabase, type Db } from '../../sandbox/core/database';
import { DUE_RETRY_MS } from '../../sandbox/core/due-timer';
import { groupCommit } from '../../sandbox/core/group-commit';
import { LoopbackPoster } from '../../sandbox/core/loopback-post';
import { Api, receiver, type ActionJson, type ErrorResponse, type TerminalJson, type TransactionJson } from './helpers';
import type { PayPlugError } from './payplug/helpers';
import { PluralApi, type PluralError } from './plural/helpers';

let dir: string;
let path: string;
let db: Db;
let sandbox: RunningSandbox;
let api: Api;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-group-'));
  path = join(dir, 'sandbox.db');
  db = openDatabase(path);
  // Only the sandbox's own connection can enforce the foreign key that makes its commits fail.
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE test_parent (id INTEGER PRIMARY KEY);
    CREATE TABLE test_blocker (parent INTEGER REFERENCES test_parent (id) DEFERRABLE INITIALLY DEFERRED);
  `);
  sandbox = await startSandboxOn(db, {
    port: 0,
    db: path,
    seed: false,
    clock: new FakeClock(Date.UTC(2026, 1, 16, 16, 18, 0)),
  });
  api = new Api(sandbox.url, sandbox.secret_key);
});

afterEach(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every commit of a turn that inserts into (or updates) `table` fails, until the returned function is called. */
function failCommitsOn(table: string, on: 'INSERT' | 'UPDATE' = 'INSERT'): () => void {
  const name = `test_block_${table}_${on}`;
  db.exec(`CREATE TRIGGER ${name} AFTER ${on} ON ${table} BEGIN INSERT INTO test_blocker VALUES (1); END`);
  return () => db.exec(`DROP TRIGGER ${name}`);
}

/**
 * Sends requests pipelined in one write on one connection, so the sandbox reads them in one turn
 * (one group commit); resolves the status of each answer, in order.
 */
function pipelined(requests: Array<{ method: string; path: string; body: unknown }>): Promise<number[]> {
  const raw = requests
    .map(({ method, path, body }, i) => {
      const json = JSON.stringify(body);
      return (
        `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${sandbox.secret_key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `${i === requests.length - 1 ? 'Connection: close\r\n' : ''}\r\n${json}`
      );
    })
    .join('');
  return new Promise((resolve, reject) => {
    const socket = connect(sandbox.port, '127.0.0.1', () => socket.end(raw));
    let answers = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answers += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve([...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))));
  });
}

/** What another connection (a test reading sandbox.db) sees. */
function readOnly<T>(sql: string, ...args: unknown[]): T[] {
  const reader = new Database(path, { readonly: true });
  try {
    return reader.prepare(sql).all(...args) as T[];
  } finally {
    reader.close();
  }
}

const CREATE = { amount: 1250, currency: 'eur' };

describe('an answer leaves only once what it reports is committed', () => {
  it('a failed commit answers 500 in each emulator’s own format, and saves nothing', async () => {
    const unblock = [failCommitsOn('transactions'), failCommitsOn('payplug_payments'), failCommitsOn('plural_orders')];
    const plural = new PluralApi(sandbox);
    await plural.login();

    const plutopay = await api.post<ErrorResponse>('/v1/terminal/create-payment', { ...CREATE, idempotency_key: 'k1' });
    expect(plutopay.status).toBe(500);
    expect(plutopay.body.error).toMatchObject({ type: 'api_error', code: 'commit_failed' });
    const payplug = await new Api(sandbox.payplug.url, sandbox.payplug.secret_key).post<PayPlugError>('/v1/payments', {
      amount: 3300,
      currency: 'EUR',
    });
    expect(payplug.status).toBe(500);
    expect(payplug.body).toMatchObject({ object: 'error', message: expect.stringContaining('could not commit') });
    // PayPlug's errors have no code; Plural's is its own, as for an injected fault (docs/sandbox-api.md).
    expect(payplug.body).not.toHaveProperty('code');
    const order = await plural.call<PluralError>('POST', '/api/pay/v1/orders', {
      merchant_order_reference: 'ref-1',
      order_amount: { value: 50000, currency: 'INR' },
    });
    expect(order.status).toBe(500);
    expect(order.body).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      message: expect.stringContaining('could not commit'),
    });

    expect(readOnly('SELECT id FROM transactions')).toEqual([]);
    expect(readOnly('SELECT id FROM payplug_payments')).toEqual([]);
    expect(readOnly('SELECT id FROM plural_orders')).toEqual([]);

    // Nothing was half-saved: once commits succeed, the same key makes a new payment.
    for (const done of unblock) done();
    const created = await api.post<TransactionJson>('/v1/terminal/create-payment', {
      ...CREATE,
      idempotency_key: 'k1',
    });
    expect(created.status).toBe(201);
    expect(readOnly('SELECT id FROM transactions')).toEqual([{ id: created.body.id }]);
  });

  it('an injected drop after commit waits for the commit; when it fails, the client hears a 500', async () => {
    sandbox.setFaults({ drop_after_commit_rate: 1 });
    const unblock = failCommitsOn('transactions');
    const answer = await api.post<ErrorResponse>('/v1/terminal/create-payment', { ...CREATE, idempotency_key: 'd1' });
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('commit_failed');
    unblock();
    await expect(api.post('/v1/terminal/create-payment', { ...CREATE, idempotency_key: 'd1' })).rejects.toThrow();
    expect(readOnly('SELECT idempotency_key FROM transactions')).toEqual([{ idempotency_key: 'd1' }]);
  });

  it('a long poll released by a push in the same turn answers after the commit, not with a lost action', async () => {
    const hosted = (await api.post<TerminalJson>('/v1/terminals', { name: 'Desk', registration_code: 'host-gc-1' }))
      .body;
    const token = (await api.post<{ secret: string }>('/v1/terminal/connection-token')).body.secret;
    const link = (await api.post<{ secret: string }>('/v1/terminal/link', { reader_id: hosted.id }, { key: token }))
      .body;
    const reader = new Api(sandbox.url, link.secret);
    const { version } = (await reader.get<{ version: number }>('/v1/terminal/link/poll')).body;
    const payment = (await api.post<TransactionJson>('/v1/terminal/create-payment', CREATE)).body;
    const push = () =>
      api.post('/v1/terminal/process-payment', { payment_intent_id: payment.id, reader_id: hosted.id });

    const unblock = failCommitsOn('reader_actions');
    const lost = reader.get<ErrorResponse>(`/v1/terminal/link/poll?version=${version}&wait_ms=25000`);
    await waitForWaitingPoll();
    expect((await push()).status).toBe(500);
    const answer = await lost;
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('commit_failed');
    expect(readOnly('SELECT id FROM reader_actions')).toEqual([]);

    unblock();
    const poll = reader.get<{ action: ActionJson | null }>(`/v1/terminal/link/poll?version=${version}&wait_ms=25000`);
    await waitForWaitingPoll();
    expect((await push()).status).toBe(200);
    const delivered = await poll;
    expect(delivered.status).toBe(200);
    expect(readOnly('SELECT id FROM reader_actions')).toEqual([{ id: delivered.body.action!.id }]);
  });

  it('a webhook or notification is not sent for a change whose commit failed', async () => {
    const rx = await receiver();
    try {
      const poster = new LoopbackPoster(5_000, groupCommit(db));
      const ctx = { db } as Context;
      inTransaction(ctx, () => db.prepare('INSERT INTO test_blocker VALUES (1)').run());
      const refused = await poster.post(rx.url, '{}', {});
      expect(refused).toMatchObject({ ok: false, status: null, uncommitted: true });
      // This was the first turn after the start: the start's own writes were committed before it.
      expect(
        readOnly("SELECT name FROM sqlite_master WHERE name IN ('payplug_notifications', 'plural_webhook_deliveries')"),
      ).toHaveLength(2);
      inTransaction(ctx, () => db.prepare('INSERT INTO test_parent VALUES (7)').run());
      const sent = poster.post(rx.url, '{"n":7}', {});
      expect((await sent).ok).toBe(true);
      expect(rx.received.map((r) => r.body)).toEqual(['{"n":7}']);
      expect(readOnly('SELECT id FROM test_parent')).toEqual([{ id: 7 }]);
    } finally {
      await rx.close();
    }
  });
});

describe('what a sandbox keeps in memory changes only with its commit', () => {
  const moveClock = (seconds: number) =>
    api.post<{ now: string } & ErrorResponse>('/_sandbox/clock', { advance_seconds: seconds });

  it('a clock move whose commit failed moves nothing: sent again, it moves once, as the database has it', async () => {
    const start = (await moveClock(0)).body.now;
    // The offset is saved (an update of its row) before time moves.
    const unblock = failCommitsOn('sandbox_meta', 'UPDATE');
    const failed = await moveClock(3600);
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe('commit_failed');
    unblock();
    expect((await moveClock(0)).body.now).toBe(start);
    const moved = await moveClock(3600);
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.now) - Date.parse(start)).toBe(3_600_000);
    // What a restart would start from.
    expect(readOnly("SELECT value FROM sandbox_meta WHERE key = 'clock.offset_ms'")).toEqual([{ value: '3600000' }]);
  });

  it('two clock moves in one turn save their sum', async () => {
    const start = Date.parse((await moveClock(0)).body.now);
    expect(
      await pipelined([
        { method: 'POST', path: '/_sandbox/clock', body: { advance_seconds: 60 } },
        { method: 'POST', path: '/_sandbox/clock', body: { advance_seconds: 120 } },
      ]),
    ).toEqual([200, 200]);
    expect(Date.parse((await moveClock(0)).body.now) - start).toBe(180_000);
    expect(readOnly("SELECT value FROM sandbox_meta WHERE key = 'clock.offset_ms'")).toEqual([{ value: '180000' }]);
  });

  it('a fault setting answered 500 with its turn’s failed commit changes no fault', async () => {
    const unblock = failCommitsOn('transactions');
    const statuses = await pipelined([
      { method: 'POST', path: '/v1/terminal/create-payment', body: CREATE },
      { method: 'PUT', path: '/_sandbox/faults', body: { latency_ms: 5 } },
    ]);
    // Both in the turn whose commit failed: "nothing was saved; send it again".
    expect(statuses).toEqual([500, 500]);
    expect(sandbox.faults().latency_ms).toBe(0);
    unblock();
    expect((await api.put<{ latency_ms: number }>('/_sandbox/faults', { latency_ms: 5 })).body.latency_ms).toBe(5);
    expect(sandbox.faults().latency_ms).toBe(5);
  });

  it('a reader link whose commit failed opens nothing: its token opens it when sent again', async () => {
    const hosted = (await api.post<TerminalJson>('/v1/terminals', { name: 'Desk', registration_code: 'host-gc-2' }))
      .body;
    const token = async () => (await api.post<{ secret: string }>('/v1/terminal/connection-token')).body.secret;
    const open = (key: string) =>
      api.post<{ secret: string } & ErrorResponse>('/v1/terminal/link', { reader_id: hosted.id }, { key });
    const first = new Api(sandbox.url, (await open(await token())).body.secret);
    const poll = (link: Api) => link.get<ErrorResponse>('/v1/terminal/link/poll');

    const retried = await token();
    let unblock = failCommitsOn('terminals', 'UPDATE');
    const failed = await open(retried);
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe('commit_failed');
    unblock();
    // The link it would have superseded is still open, and the token was not used up.
    expect((await poll(first)).status).toBe(200);
    const opened = await open(retried);
    expect(opened.status).toBe(201);
    expect((await poll(first)).body.error.code).toBe('link_superseded');

    // A close whose commit failed leaves the link open (the reader online), to be closed again.
    const second = new Api(sandbox.url, opened.body.secret);
    unblock = failCommitsOn('terminals', 'UPDATE');
    expect((await second.del<ErrorResponse>('/v1/terminal/link')).body.error.code).toBe('commit_failed');
    unblock();
    expect((await poll(second)).status).toBe(200);
    expect((await second.del('/v1/terminal/link')).status).toBe(200);
    expect((await poll(second)).body.error.code).toBe('link_closed');
    expect(readOnly('SELECT status FROM terminals WHERE id = ?', hosted.id)).toEqual([{ status: 'offline' }]);
  });
});

describe('a hosted page whose commit failed', () => {
  /** A browser's form POST: the answer, its type and its text. */
  async function submit(url: string, fields: Record<string, string>) {
    const response = await fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  }

  it('answers the browser with the sandbox’s HTML page, not JSON, and the form can be sent again', async () => {
    const session = (await api.post<{ url: string }>('/v1/checkout/sessions', { amount: 2500 })).body;
    const unblock = failCommitsOn('checkout_sessions', 'UPDATE');
    const failed = await submit(session.url, { card_number: '4242 4242 4242 4242' });
    expect(failed.status).toBe(500);
    expect(failed.type).toMatch(/^text\/html/);
    expect(failed.text).toContain('<!doctype html>');
    expect(failed.text).toContain('nothing this request changed was saved; send it again');
    unblock();
    const paid = await submit(session.url, { card_number: '4242 4242 4242 4242' });
    expect(paid.status).toBe(200);
    expect(paid.text).toContain('Payment complete');

    // Plural's checkout page, the same way.
    const plural = new PluralApi(sandbox);
    await plural.login();
    const order = await plural.createOrder({ merchant_order_reference: 'page-1' });
    const unblockPlural = failCommitsOn('plural_payments');
    const pluralFailed = await submit(order.redirect_url!, { card_number: '4012 0010 3714 1112' });
    expect(pluralFailed.status).toBe(500);
    expect(pluralFailed.type).toMatch(/^text\/html/);
    expect(pluralFailed.text).toContain('send it again');
    unblockPlural();
    // The API still answers in its own format.
    const unblockApi = failCommitsOn('transactions');
    const api500 = await api.post<ErrorResponse>('/v1/terminal/create-payment', CREATE);
    expect(api500.body.error.code).toBe('commit_failed');
    unblockApi();
  });
});

describe('an expiry whose commit failed', () => {
  /** Moves the clock: answered once what the move brought about has been committed, or has failed to be. */
  const moveClock = async (ms: number) => {
    const before = Date.parse((await api.post<{ now: string }>('/_sandbox/clock', { advance_seconds: 0 })).body.now);
    const answer = await api.post<{ now: string }>('/_sandbox/clock', { advance_seconds: ms / 1000 });
    // The clock moved, so the answer says so (it said 500 "nothing was saved" when the expiry failed).
    expect(answer.status).toBe(200);
    expect(Date.parse(answer.body.now) - before).toBe(ms);
  };
  const sessionStatus = (id: string) =>
    readOnly<{ status: string }>('SELECT status FROM checkout_sessions WHERE id = ?', id);
  const pageState = (id: string) => readOnly<{ state: string }>('SELECT state FROM payplug_payments WHERE id = ?', id);

  // Found by an integrator: the timer was armed from the turn that expired the session, so when that
  // commit failed nothing was armed any more, and no read caught up either, until the next session.
  it('PlutoPay: the checkout session still expires, by itself after a retry or at once when read', async () => {
    const session = (await api.post<{ id: string }>('/v1/checkout/sessions', { amount: 2500 })).body;
    const unblock = failCommitsOn('checkout_sessions', 'UPDATE');
    await moveClock(24 * 3600 * 1000);
    expect(sessionStatus(session.id)).toEqual([{ status: 'open' }]);
    unblock();
    await moveClock(DUE_RETRY_MS);
    expect(sessionStatus(session.id)).toEqual([{ status: 'expired' }]);

    const read = (await api.post<{ id: string }>('/v1/checkout/sessions', { amount: 2500 })).body;
    const unblockAgain = failCommitsOn('checkout_sessions', 'UPDATE');
    await moveClock(24 * 3600 * 1000);
    unblockAgain();
    // No time passes: the read catches up before it answers.
    expect((await api.get<{ status: string }>(`/v1/checkout/sessions/${read.id}`)).body.status).toBe('expired');
    expect(sessionStatus(read.id)).toEqual([{ status: 'expired' }]);
  });

  it('PayPlug: the payment page still expires, by itself after a retry or at once when read', async () => {
    const payplug = new Api(sandbox.payplug.url, sandbox.payplug.secret_key);
    const create = async () => {
      const created = await payplug.post<{ id: string }>('/v1/payments', { amount: 1000, currency: 'EUR' });
      expect(created.status).toBe(201);
      return created.body.id;
    };
    const page = await create();
    const unblock = failCommitsOn('payplug_payments', 'UPDATE');
    await moveClock(15 * 60 * 1000);
    expect(pageState(page)).toEqual([{ state: 'open' }]);
    unblock();
    await moveClock(DUE_RETRY_MS);
    expect(pageState(page)).toEqual([{ state: 'failed' }]);

    const read = await create();
    const unblockAgain = failCommitsOn('payplug_payments', 'UPDATE');
    await moveClock(15 * 60 * 1000);
    unblockAgain();
    const answer = await payplug.get<{ failure: { code: string } | null }>(`/v1/payments/${read}`);
    expect(answer.body.failure?.code).toBe('timeout');
    expect(pageState(read)).toEqual([{ state: 'failed' }]);
  });
});

describe('requests of one turn share a transaction', () => {
  it('concurrent creates with one key make one payment; the others replay it, committed when answered', async () => {
    const body = { ...CREATE, idempotency_key: 'same-key' };
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => api.post<TransactionJson>('/v1/terminal/create-payment', body)),
    );
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === 'true')).toHaveLength(11);
    expect(readOnly('SELECT id FROM transactions WHERE idempotency_key = ?', 'same-key')).toEqual([
      { id: answers[0]!.body.id },
    ]);
  });

  it('a write that throws undoes only its own part of the group', async () => {
    const ctx = { db } as Context;
    inTransaction(ctx, () => db.prepare('INSERT INTO test_parent VALUES (1)').run());
    expect(() =>
      inTransaction(ctx, () => {
        db.prepare('INSERT INTO test_parent VALUES (2)').run();
        throw new Error('refused');
      }),
    ).toThrow('refused');
    inTransaction(ctx, () => db.prepare('INSERT INTO test_parent VALUES (3)').run());
    expect(groupCommit(db).pending).toBe(true);
    expect(await groupCommit(db).committed()).toBe(true);
    expect(readOnly('SELECT id FROM test_parent ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('close() commits the last turn before it closes the database', async () => {
    inTransaction({ db } as Context, () => db.prepare('INSERT INTO test_parent VALUES (9)').run());
    await sandbox.close();
    expect(readOnly('SELECT id FROM test_parent')).toEqual([{ id: 9 }]);
  });
});

/** The poll reaches its handler after its request is read; a no-op request behind it is answered after. */
async function waitForWaitingPoll(): Promise<void> {
  for (let i = 0; i < 3; i++) await api.get('/v1/transactions?size=1');
}
