import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import { migrate } from '../../sandbox/core/database';
import { MIGRATIONS, SCHEMA_VERSION } from '../../sandbox/plutopay/schema';
import { Api, receiver, type ListResponse, type ReaderJson, type TerminalJson, type TransactionJson } from './helpers';

const ROOT = resolve(__dirname, '../..');

describe('restart persistence (file database)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays a key an older sandbox stored before keys named their endpoint', async () => {
    // A till's create whose answer was lost before an upgrade was resent with its key and refused
    // ("already used by another endpoint"): the till marked it failed, though the sandbox had it.
    const db = join(dir, 'sandbox.db');
    const first = await startSandbox({ port: 0, db });
    const body = {
      amount: 990,
      currency: 'eur',
      metadata: { order_reference: 'ORD-7' },
      idempotency_key: 'pos-ORD-7-1',
    };
    const created = (
      await new Api(first.url, first.secret_key).post<TransactionJson>('/v1/terminal/create-payment', body)
    ).body;
    await first.close();
    // Keys as the sandbox stored them before f882ddc: the parameters, without the endpoint.
    const file = new Database(db);
    const { params } = file
      .prepare('SELECT idempotency_params AS params FROM transactions WHERE idempotency_key = ?')
      .get('pos-ORD-7-1') as { params: string };
    file
      .prepare('UPDATE transactions SET idempotency_params = ? WHERE idempotency_key = ?')
      .run(JSON.stringify((JSON.parse(params) as unknown[]).slice(1)), 'pos-ORD-7-1');
    file.close();

    const second = await startSandbox({ port: 0, db });
    try {
      const api = new Api(second.url, second.secret_key);
      const replay = await api.post<TransactionJson>('/v1/terminal/create-payment', body);
      expect(replay.status).toBe(200);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.id).toBe(created.id);
      const other = await api.post<{ error: { code: string; param: string } }>('/v1/terminal/create-payment', {
        ...body,
        amount: 991,
      });
      expect(other.status).toBe(422);
      expect(other.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'amount' });
    } finally {
      await second.close();
    }
  });

  it('keeps keys, merchant and every object across a restart', async () => {
    const db = join(dir, 'nested', 'sandbox.db');
    const first = await startSandbox({ port: 0, db });
    const api = new Api(first.url, first.secret_key);
    const merchant = (await api.get<{ id: string }>('/v1/merchant')).body;
    const payment = (
      await api.post<TransactionJson>('/v1/transactions', { amount: 2500, confirm: true, idempotency_key: 'persist-1' })
    ).body;
    await api.post(`/v1/transactions/${payment.id}/refunds`, { amount: 500 });
    const customer = (await api.post<{ id: string }>('/v1/customers', { name: 'Persisted' })).body;
    const terminal = (await api.post<TerminalJson>('/v1/terminals', { name: 'Sim', registration_code: 'simulated' }))
      .body;
    const endpoint = (
      await api.post<{ id: string; secret: string }>('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/x' })
    ).body;
    const payouts = (await api.get<ListResponse<{ id: string }>>('/v1/payouts')).body;
    expect(payouts.meta.total).toBe(6);
    const keys = { sk: first.secret_key, pk: first.publishable_key };
    await first.close();

    const second = await startSandbox({ port: 0, db });
    try {
      expect({ sk: second.secret_key, pk: second.publishable_key }).toEqual(keys);
      expect(second.webhook_secret).toBe(endpoint.secret);
      const again = new Api(second.url, second.secret_key);
      expect((await again.get<{ id: string }>('/v1/merchant')).body.id).toBe(merchant.id);
      expect((await again.get<TransactionJson>(`/v1/transactions/${payment.id}`)).body).toMatchObject({
        status: 'partially_refunded',
        amount_refunded: 500,
      });
      expect(
        (await again.post('/v1/transactions', { amount: 2500, confirm: true, idempotency_key: 'persist-1' })).status,
      ).toBe(200);
      expect((await again.get(`/v1/customers/${customer.id}`)).status).toBe(200);
      expect((await again.get<TerminalJson>(`/v1/terminals/${terminal.id}`)).body.status).toBe('online');
      expect((await again.get(`/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(200);
      // The demo seed runs once per database, not once per start.
      expect((await again.get<ListResponse<{ id: string }>>('/v1/payouts')).body.data).toEqual(payouts.data);
    } finally {
      await second.close();
    }
    const raw = new Database(db, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('a hosted reader that was online is offline after a restart, with terminal.disconnected', async () => {
    const db = join(dir, 'sandbox.db');
    const rx = await receiver();
    try {
      const first = await startSandbox({ port: 0, db, seed: false });
      const api = new Api(first.url, first.secret_key);
      await api.post('/v1/webhook-endpoints', { url: rx.url, events: ['terminal.disconnected'] });
      const hosted = (await api.post<TerminalJson>('/v1/terminals', { name: 'H', registration_code: 'host-restart' }))
        .body;
      const token = (await api.post<{ secret: string }>('/v1/terminal/connection-token')).body.secret;
      const link = (await api.post<{ secret: string }>('/v1/terminal/link', { reader_id: hosted.id }, { key: token }))
        .body;
      expect((await api.get<ReaderJson>(`/v1/terminal/readers/${hosted.id}`)).body.status).toBe('online');
      await first.close();

      const second = await startSandbox({ port: 0, db, seed: false });
      try {
        const again = new Api(second.url, second.secret_key);
        expect((await again.get<ReaderJson>(`/v1/terminal/readers/${hosted.id}`)).body.status).toBe('offline');
        // Links live in memory: the old secret is unknown now.
        expect((await new Api(second.url, link.secret).get('/v1/terminal/link/poll')).status).toBe(401);
        await second.webhooksIdle();
        expect(rx.received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
          'terminal.disconnected',
        ]);
      } finally {
        await second.close();
      }
    } finally {
      await rx.close();
    }
  });

  it('drops the index every is_live list made redundant, keeping the payments (migration 5)', async () => {
    const db = join(dir, 'v4.db');
    const raw = new Database(db);
    migrate(raw, 'plutopay', MIGRATIONS.slice(0, 4));
    raw.close();
    const first = await startSandbox({ port: 0, db, seed: false });
    const api = new Api(first.url, first.secret_key);
    const created = (await api.post<TransactionJson>('/v1/transactions', { amount: 700, idempotency_key: 'v4-1' }))
      .body;
    await first.close();
    const file = new Database(db, { readonly: true });
    try {
      const indexes = file
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transactions'")
        .all()
        .map((row) => (row as { name: string }).name);
      expect(indexes).not.toContain('transactions_created');
      expect(indexes).toContain('transactions_live_created');
      expect(file.prepare('SELECT id FROM transactions WHERE idempotency_key = ?').get('v4-1')).toEqual({
        id: created.id,
      });
    } finally {
      file.close();
    }
  });

  it('indexes disputes by payment on an existing database, keeping them (migration 6)', async () => {
    const db = join(dir, 'v5.db');
    const raw = new Database(db);
    migrate(raw, 'plutopay', MIGRATIONS.slice(0, 5));
    raw
      .prepare(
        `INSERT INTO disputes (id, reference, transaction_id, amount, currency, status, reason, created_at, updated_at)
         VALUES ('d-1', 'dp_v5', 'txn-v5', 500, 'usd', 'needs_response', 'general', 1, 1)`,
      )
      .run();
    raw.close();
    const first = await startSandbox({ port: 0, db, seed: false });
    const api = new Api(first.url, first.secret_key);
    const kept = await api.get<{ reference: string; amount: number }>('/v1/disputes/dp_v5');
    await first.close();
    expect(kept.status).toBe(200);
    expect(kept.body.amount).toBe(500);
    const file = new Database(db, { readonly: true });
    try {
      // The query heldByDisputes runs on every refund and every dispute opened.
      const plan = file
        .prepare(
          "EXPLAIN QUERY PLAN SELECT COALESCE(SUM(amount), 0) AS held FROM disputes WHERE transaction_id = ? AND status != 'won'",
        )
        .all('txn-v5')
        .map((row) => (row as { detail: string }).detail);
      expect(plan.join('\n')).toMatch(/USING INDEX disputes_transaction/);
    } finally {
      file.close();
    }
  });

  it('refuses a database written by a newer sandbox', async () => {
    const db = join(dir, 'newer.db');
    const raw = new Database(db);
    raw.pragma('user_version = 999');
    raw.close();
    await expect(startSandbox({ port: 0, db })).rejects.toThrow(/newer/);
  });

  it('names a damaged database file and leaves it untouched', async () => {
    const db = join(dir, 'damaged.db');
    const garbage = Buffer.alloc(4096, 'this was a sandbox ');
    writeFileSync(db, garbage);
    await expect(startSandbox({ port: 0, db })).rejects.toThrow(`The database ${db} cannot be read`);
    expect(readFileSync(db).equals(garbage)).toBe(true);
  });

  it('refuses to start on a port in use, and releases the database', async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as AddressInfo).port;
      await expect(startSandbox({ port, db: join(dir, 'x.db') })).rejects.toThrow(/EADDRINUSE/);
      const ok = await startSandbox({ port: 0, db: join(dir, 'x.db') });
      await ok.close();
    } finally {
      blocker.close();
    }
  });
});

describe('CLI', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  function run(args: string[]): {
    child: ChildProcess;
    exit: Promise<number | null>;
    stdout: string[];
    stderr: () => string;
  } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/cli.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const stdout: string[] = [];
    let stderr = '';
    createInterface({ input: child.stdout! }).on('line', (line) => stdout.push(line));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exit, stdout, stderr: () => stderr };
  }

  /** Polls until a printed line matches (default: any line), and returns it. */
  async function firstLine(
    stdout: string[],
    exit: Promise<number | null>,
    matches: (line: string) => boolean = () => true,
  ): Promise<string> {
    const deadline = Date.now() + 15_000;
    let exited = false;
    void exit.then(() => (exited = true));
    for (;;) {
      const line = stdout.find(matches);
      if (line !== undefined) return line;
      if (exited || Date.now() > deadline) throw new Error('the CLI did not print the expected line');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('--json prints exactly one JSON line, serves /v1/health, and exits 0 on SIGTERM', async () => {
    const cli = run(['--port', '0', '--db', ':memory:', '--json']);
    const line = await firstLine(cli.stdout, cli.exit);
    const ready = JSON.parse(line) as {
      url: string;
      secret_key: string;
      publishable_key: string;
      webhook_secret: string | null;
      payplug: { url: string; secret_key: string };
      plural: { url: string; client_id: string; client_secret: string; signature_key: string };
    };
    expect(Object.keys(ready).sort()).toEqual([
      'payplug',
      'plural',
      'publishable_key',
      'secret_key',
      'url',
      'webhook_secret',
    ]);
    expect(Object.keys(ready.payplug).sort()).toEqual(['secret_key', 'url']);
    expect(ready.payplug.url).toBe(`${ready.url}/payplug`);
    expect(ready.payplug.secret_key).toMatch(/^sk_test_[0-9a-f]{32}$/);
    expect(Object.keys(ready.plural).sort()).toEqual(['client_id', 'client_secret', 'signature_key', 'url']);
    expect(ready.plural.url).toBe(`${ready.url}/plural`);
    expect(ready.plural.client_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ready.plural.signature_key).toMatch(/^[0-9a-f]{64}$/);
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.secret_key).toMatch(/^sk_test_/);
    expect(ready.publishable_key).toMatch(/^pk_test_/);
    expect(ready.webhook_secret).toBeNull();
    const health = await fetch(`${ready.url}/v1/health`);
    expect(health.status).toBe(200);
    const merchant = await fetch(`${ready.url}/v1/merchant`, {
      headers: { Authorization: `Bearer ${ready.secret_key}` },
    });
    expect(((await merchant.json()) as { test_mode: boolean }).test_mode).toBe(true);
    const payments = await fetch(`${ready.payplug.url}/v1/payments`, {
      headers: { Authorization: `Bearer ${ready.payplug.secret_key}` },
    });
    expect(payments.status).toBe(200);
    expect(((await payments.json()) as { object: string }).object).toBe('list');
    // The Plural credentials work against the same server.
    const token = await fetch(`${ready.plural.url}/api/auth/v1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        client_id: ready.plural.client_id,
        client_secret: ready.plural.client_secret,
        grant_type: 'client_credentials',
      }),
    });
    expect(token.status).toBe(200);
    expect(Object.keys((await token.json()) as object).sort()).toEqual(['access_token', 'expires_at']);
    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
    expect(cli.stdout).toHaveLength(1);
  });

  it('killed under load, it leaves every create it answered in its database (answers wait for the commit)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-kill-'));
    try {
      const db = join(dir, 'sandbox.db');
      const cli = run(['--port', '0', '--db', db, '--json']);
      const ready = JSON.parse(await firstLine(cli.stdout, cli.exit)) as { url: string; secret_key: string };
      const answered: string[] = [];
      let killed = false;
      const create = async (n: number): Promise<void> => {
        const response = await fetch(`${ready.url}/v1/terminal/create-payment`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ready.secret_key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ amount: 1000 + n, currency: 'eur', idempotency_key: `kill-${n}` }),
        });
        if (response.status !== 201) throw new Error(`create answered ${response.status}`);
        answered.push(((await response.json()) as { id: string }).id);
        // Killed while later requests are in flight, some of them written but not committed yet.
        if (answered.length === 40 && !killed) {
          killed = true;
          cli.child.kill('SIGKILL');
        }
      };
      const sent = Array.from({ length: 200 }, (_, n) => n);
      const results = await Promise.allSettled(sent.map((n) => create(n)));
      await cli.exit;
      expect(killed).toBe(true);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(answered.length);
      const file = new Database(db, { readonly: true });
      try {
        const stored = new Set(
          file
            .prepare('SELECT id FROM transactions')
            .all()
            .map((row) => (row as { id: string }).id),
        );
        expect(answered.filter((id) => !stored.has(id))).toEqual([]);
      } finally {
        file.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without --json prints the URL and keys; --mode live gives live keys; SIGINT closes', async () => {
    const cli = run(['--port', '0', '--db', ':memory:', '--mode', 'live']);
    await firstLine(cli.stdout, cli.exit, (line) => line.startsWith('Press Ctrl+C'));
    const text = cli.stdout.join('\n');
    expect(text).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/sk_live_[A-Za-z0-9]{32}/);
    expect(text).toMatch(/PayPlug sandbox at http:\/\/127\.0\.0\.1:\d+\/payplug/);
    expect(text).toMatch(/secret key: +sk_live_[0-9a-f]{32}\n/);
    expect(text).toMatch(/Plural emulator at http:\/\/127\.0\.0\.1:\d+\/plural/);
    expect(text).toMatch(/signature key: +[0-9a-f]{64}/);
    cli.child.kill('SIGINT');
    expect(await cli.exit).toBe(0);
  });

  it('--help prints usage; bad flags exit 2 with a message', async () => {
    const help = run(['--help']);
    expect(await help.exit).toBe(0);
    const usage = help.stdout.join('\n');
    for (const flag of [
      '--port',
      '--db',
      '--mode',
      '--json',
      '--latency-ms',
      '--error-rate',
      '--drop-after-commit-rate',
      '--reader-timeout-ms',
    ])
      expect(usage).toContain(flag);
    const bad = run(['--error-rate', '2']);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toMatch(/error-rate/);
    expect(bad.stdout).toHaveLength(0);
    // Every interface: refused before anything listens, with no keys printed.
    const everywhere = run(['--host', '0.0.0.0', '--port', '0', '--db', ':memory:']);
    expect(await everywhere.exit).toBe(2);
    expect(everywhere.stderr().split('\n')[0]).toBe(
      'sandbox: --host must be a loopback address (127.0.0.1, ::1 or localhost), not "0.0.0.0": the sandbox holds test keys and money-like state',
    );
    expect(everywhere.stdout).toHaveLength(0);
  });
});
