import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideResult, resultKey, type ActionResult } from '../../sandbox/plutopay/domain/action-machine';
import { FaultInjector } from '../../sandbox/core/faults';
import { cryptoIds, ID_PATTERN, SeededIds } from '../../sandbox/core/ids';
import * as m from '../../sandbox/plutopay/domain/transaction-machine';
import { ApiError } from '../../sandbox/http/errors';
import { Params } from '../../sandbox/http/params';
import { parseCliArgs } from '../../sandbox/cli-args';
import { startSandbox } from '../../sandbox/index';
import { defaultDatabasePath } from '../../sandbox/paths';
import { escapeHtml } from '../../sandbox/core/html';
import { openDatabase } from '../../sandbox/core/database';

const pending: m.MoneyState = {
  status: 'pending',
  amount: 2500,
  amount_capturable: 0,
  amount_captured: 0,
  amount_refunded: 0,
};

function ok<T extends object>(step: m.Step<T>): T {
  if (step.refused) throw new Error(`refused: ${step.message}`);
  return step;
}

function refusal(step: m.Step<object>): m.Refusal {
  if (!step.refused) throw new Error('expected a refusal');
  return step;
}

describe('transaction status machine', () => {
  it('approve: automatic → succeeded (captured), manual → requires_capture (capturable)', () => {
    expect(ok(m.approve(pending, 'automatic'))).toMatchObject({
      status: 'succeeded',
      amount_captured: 2500,
      amount_capturable: 0,
    });
    expect(ok(m.approve(pending, 'manual'))).toMatchObject({
      status: 'requires_capture',
      amount_captured: 0,
      amount_capturable: 2500,
    });
  });

  it('only a pending payment can be approved or failed', () => {
    for (const status of m.TRANSACTION_STATUSES.filter((s) => s !== 'pending')) {
      expect(refusal(m.approve({ ...pending, status }, 'automatic')).type).toBe('payment_error');
      expect(refusal(m.fail({ ...pending, status })).type).toBe('payment_error');
    }
    expect(ok(m.fail(pending)).status).toBe('failed');
  });

  it('capture: only requires_capture, 1..capturable, default all', () => {
    const auth = ok(m.approve(pending, 'manual'));
    expect(ok(m.capture(auth))).toMatchObject({ status: 'succeeded', amount_captured: 2500, amount_capturable: 0 });
    expect(ok(m.capture(auth, 1))).toMatchObject({ amount_captured: 1 });
    expect(refusal(m.capture(auth, 2501))).toMatchObject({ type: 'capture_error', param: 'amount' });
    expect(refusal(m.capture(auth, 0))).toMatchObject({ type: 'capture_error', param: 'amount' });
    for (const status of m.TRANSACTION_STATUSES.filter((s) => s !== 'requires_capture')) {
      expect(refusal(m.capture({ ...auth, status })).type).toBe('capture_error');
    }
  });

  it('cancel: pending and requires_capture only; releases the authorisation', () => {
    expect(ok(m.cancel(pending)).status).toBe('canceled');
    expect(ok(m.cancel(ok(m.approve(pending, 'manual'))))).toMatchObject({ status: 'canceled', amount_capturable: 0 });
    for (const status of ['succeeded', 'failed', 'canceled', 'refunded', 'partially_refunded'] as const) {
      expect(refusal(m.cancel({ ...pending, status })).type).toBe('cancel_error');
    }
  });

  it('refund: from succeeded/partially_refunded, never more than what remains', () => {
    const paid = ok(m.approve(pending, 'automatic'));
    const partial = ok(m.refund(paid, 1000));
    expect(partial).toMatchObject({ status: 'partially_refunded', amount_refunded: 1000, refunded: 1000 });
    expect(refusal(m.refund(partial, 1501))).toMatchObject({ type: 'payment_error', param: 'amount' });
    const full = ok(m.refund(partial));
    expect(full).toMatchObject({ status: 'refunded', amount_refunded: 2500, refunded: 1500 });
    expect(refusal(m.refund(full)).type).toBe('payment_error');
    for (const status of ['pending', 'failed', 'canceled', 'requires_capture'] as const) {
      expect(refusal(m.refund({ ...paid, status })).type).toBe('payment_error');
    }
    const partCaptured = ok(m.capture(ok(m.approve(pending, 'manual')), 2000));
    expect(m.refundable(partCaptured)).toBe(2000);
    expect(ok(m.refund(partCaptured)).status).toBe('refunded');
  });
});

describe('reader action results', () => {
  const approved: ActionResult = { outcome: 'approved', card: { brand: 'visa', last4: '4242' }, auth_code: 'A1' };
  const declined: ActionResult = {
    outcome: 'declined',
    failure_code: 'card_declined',
    failure_message: 'The card was declined.',
  };

  it('applies to an in-progress action', () => {
    expect(decideResult('in_progress', null, approved)).toEqual({ kind: 'apply' });
  });

  it('the same result again is a replay; a different one is refused', () => {
    expect(decideResult('succeeded', resultKey(approved), approved)).toEqual({ kind: 'replay' });
    expect(decideResult('succeeded', resultKey(approved), { ...approved, auth_code: 'B2' })).toMatchObject({
      kind: 'refuse',
      code: 'action_finished',
    });
    expect(decideResult('failed', resultKey(declined), approved)).toMatchObject({
      kind: 'refuse',
      code: 'action_finished',
    });
    expect(decideResult('failed', resultKey(declined), declined)).toEqual({ kind: 'replay' });
  });

  it('nothing is accepted for a canceled action', () => {
    expect(decideResult('canceled', null, approved)).toMatchObject({ kind: 'refuse', code: 'action_canceled' });
  });
});

describe('Params', () => {
  function error(fn: () => unknown): ApiError {
    try {
      fn();
    } catch (e) {
      if (e instanceof ApiError) return e;
      throw e;
    }
    throw new Error('no error thrown');
  }

  it('400 for wrong types and unknown params, 422 for limits and missing fields', () => {
    expect(error(() => Params.body({ x: 1 }, ['a']))).toMatchObject({ status: 400, param: 'x' });
    const p = Params.body({ a: '5', b: 5, c: null }, ['a', 'b', 'c', 'd']);
    expect(error(() => p.int('a'))).toMatchObject({ status: 400, param: 'a' });
    expect(error(() => p.int('b', { min: 6 }))).toMatchObject({ status: 422, param: 'b' });
    expect(error(() => p.int('b', { max: 4 }))).toMatchObject({ status: 422, param: 'b' });
    expect(error(() => p.string('d', { required: true }))).toMatchObject({ status: 422, code: 'parameter_missing' });
    expect(error(() => p.string('c', { required: true }))).toMatchObject({ status: 422, param: 'c' });
    expect(p.string('c')).toBeUndefined();
    expect(p.isNull('c')).toBe(true);
  });

  it('query values are coerced from strings', () => {
    const q = Params.query(new URLSearchParams('page=2&flag=true&date=2026-02-16'), ['page', 'flag', 'date']);
    expect(q.int('page')).toBe(2);
    expect(q.bool('flag')).toBe(true);
    expect(q.date('date')).toBe(Date.UTC(2026, 1, 16));
    expect(error(() => Params.query(new URLSearchParams('page=1e3'), ['page']).int('page'))).toMatchObject({
      status: 400,
    });
  });

  it('nested objects report dotted params', () => {
    const p = Params.body({ card: { last4: 42 } }, ['card']);
    const card = p.object('card', ['last4'])!;
    expect(error(() => card.string('last4'))).toMatchObject({ param: 'card.last4', status: 400 });
  });

  it('currency is any ISO 4217 code, lower-cased', () => {
    const p = Params.body({ a: 'EUR', b: 'XXX', c: 'jpy' }, ['a', 'b', 'c']);
    expect(p.currency('a')).toBe('eur');
    expect(p.currency('c')).toBe('jpy');
    expect(error(() => p.currency('b'))).toMatchObject({ status: 400, param: 'b' });
  });
});

describe('faults', () => {
  it('seeded decisions repeat for the same seed and differ between seeds', () => {
    const draws = (seed: number): boolean[] => {
      const f = new FaultInjector();
      f.set({ error_rate: 0.3, drop_after_commit_rate: 0.3, seed });
      return Array.from({ length: 64 }, (_, i) => (i % 2 ? f.shouldFail() : f.shouldDrop()));
    };
    expect(draws(7)).toEqual(draws(7));
    expect(draws(7)).not.toEqual(draws(8));
    const share = draws(7).filter(Boolean).length / 64;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.6);
  });

  it('rate 0 never fires; rate 1 always does; out-of-range values are refused', () => {
    const f = new FaultInjector();
    expect(f.active).toBe(false);
    expect(Array.from({ length: 50 }, () => f.shouldFail()).some(Boolean)).toBe(false);
    f.set({ error_rate: 1 });
    expect(Array.from({ length: 50 }, () => f.shouldFail()).every(Boolean)).toBe(true);
    expect(() => f.set({ drop_after_commit_rate: 1.01 })).toThrow(RangeError);
    expect(() => f.set({ reader_timeout_ms: -5 })).toThrow(RangeError);
    expect(f.current.drop_after_commit_rate).toBe(0);
  });
});

describe('ids', () => {
  it('UUIDv7-style ids carry the time and are unique', () => {
    const at = Date.UTC(2026, 1, 16, 16, 18);
    const ids = Array.from({ length: 1000 }, () => cryptoIds.uuid(at));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids.slice(0, 20)) {
      expect(id).toMatch(ID_PATTERN);
      expect(id[14]).toBe('7');
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    }
    expect(cryptoIds.alnum(20)).toMatch(/^[A-Za-z0-9]{20}$/);
  });

  it('seeded ids are deterministic', () => {
    const a = new SeededIds(1);
    const b = new SeededIds(1);
    expect([a.uuid(0), a.alnum(10), a.hex(4)]).toEqual([b.uuid(0), b.alnum(10), b.hex(4)]);
    expect(new SeededIds(1).uuid(5)).toMatch(ID_PATTERN);
  });
});

describe('CLI arguments and paths', () => {
  it('defaults: port 4242, 127.0.0.1, test mode, a database under the data dir', () => {
    const parsed = parseCliArgs([]);
    if (parsed.kind !== 'run') throw new Error(parsed.kind);
    expect(parsed.config.options).toMatchObject({ port: 4242, host: '127.0.0.1', mode: 'test', seed: true });
    expect(parsed.config.options.db).toMatch(/pos-terminal-companion[/\\]sandbox\.db$/);
    expect(parsed.config.json).toBe(false);
  });

  it('fault flags become fault settings', () => {
    const parsed = parseCliArgs([
      '--latency-ms',
      '20',
      '--error-rate',
      '0.1',
      '--drop-after-commit-rate',
      '0.05',
      '--reader-timeout-ms',
      '5000',
      '--fault-seed',
      '9',
      '--no-demo-data',
      '--json',
    ]);
    if (parsed.kind !== 'run') throw new Error(parsed.kind);
    expect(parsed.config.options.faults).toEqual({
      latency_ms: 20,
      error_rate: 0.1,
      drop_after_commit_rate: 0.05,
      reader_timeout_ms: 5000,
      seed: 9,
    });
    expect(parsed.config.options.seed).toBe(false);
    expect(parsed.config.json).toBe(true);
  });

  it('refuses bad values and unknown flags', () => {
    for (const args of [
      ['--port', 'x'],
      ['--port', '70000'],
      ['--mode', 'prod'],
      ['--error-rate', '2'],
      ['--latency-ms', '1.5'],
      ['--bogus'],
      ['extra'],
    ]) {
      expect(parseCliArgs(args).kind, args.join(' ')).toBe('error');
    }
    // Every refusal is one line, node:util's three-line "argument is ambiguous" included.
    for (const args of [['--port', '-1'], ['--bogus'], ['--latency-ms', '-5']]) {
      const parsed = parseCliArgs(args);
      expect(parsed.kind === 'error' && parsed.message, args.join(' ')).toMatch(/^[^\n]+$/);
    }
    // An unset variable (--db $DB) used to run the sandbox on a throw-away database.
    expect(parseCliArgs(['--db', ''])).toEqual({
      kind: 'error',
      message: '--db needs a file path, or :memory: for a throw-away database, not an empty value',
    });
    expect(parseCliArgs(['--help']).kind).toBe('help');
  });

  it('binds a loopback address only: 0.0.0.0 or a LAN address is refused in one line', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com', '']) {
      const parsed = parseCliArgs(['--host', host]);
      expect(parsed, host).toEqual({
        kind: 'error',
        message: `--host must be a loopback address (127.0.0.1, ::1 or localhost), not "${host}": the sandbox holds test keys and money-like state`,
      });
    }
    for (const [given, bound] of [
      ['127.0.0.1', '127.0.0.1'],
      ['::1', '::1'],
      ['[::1]', '::1'],
      ['localhost', 'localhost'],
    ]) {
      const parsed = parseCliArgs(['--host', given!]);
      expect(parsed.kind === 'run' && parsed.config.options.host, given).toBe(bound);
    }
  });

  it('startSandbox refuses a non-loopback host too', async () => {
    await expect(startSandbox({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/--host must be a loopback address/);
  });

  it('the default database follows each platform convention', () => {
    expect(defaultDatabasePath({}, 'linux', '/home/ann')).toBe(
      '/home/ann/.local/share/pos-terminal-companion/sandbox.db',
    );
    expect(defaultDatabasePath({ XDG_DATA_HOME: '/data' }, 'linux', '/home/ann')).toBe(
      '/data/pos-terminal-companion/sandbox.db',
    );
    expect(defaultDatabasePath({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/ann')).toBe(
      '/home/ann/.local/share/pos-terminal-companion/sandbox.db',
    );
    expect(defaultDatabasePath({}, 'darwin', '/Users/ann')).toBe(
      '/Users/ann/Library/Application Support/pos-terminal-companion/sandbox.db',
    );
    expect(defaultDatabasePath({ APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ann')).toContain(
      'pos-terminal-companion',
    );
  });
});

describe('escapeHtml', () => {
  it('escapes every character that can break out of text or an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;',
    );
  });
});

describe('the sandbox database path', () => {
  it('says which file cannot be opened, and why; one sandbox per file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-db-'));
    try {
      const file = join(dir, 'file');
      writeFileSync(file, '');
      // SQLite said only "unable to open database file", and mkdir "EEXIST: file already exists".
      expect(() => openDatabase(dir)).toThrow(
        `the database ${dir} cannot be opened: it is a directory; give a file path`,
      );
      // One sandbox per file: a second one is refused until the first closes.
      const db = join(dir, 'sandbox.db');
      const first = openDatabase(db);
      expect(() => openDatabase(db)).toThrow(
        `the database ${db} is in use by another sandbox (npm run sandbox, or a till's embedded sandbox in test mode): stop that one, or give this one another file (npm run sandbox: --db PATH, or --db :memory:; the app: --data-dir DIR)`,
      );
      first.close();
      openDatabase(db).close();
      openDatabase(':memory:').close();
      expect(() => openDatabase(join(file, 'sandbox.db'))).toThrow(
        `the database ${join(file, 'sandbox.db')} cannot be opened: ${file} is not a directory`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
