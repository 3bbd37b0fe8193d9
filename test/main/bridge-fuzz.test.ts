/**
 * Bad input over the real bridge: web mode's server in front of a real host (journal on disk, the
 * sandbox over HTTP), driven over a real WebSocket with the launch token, as a page or a local
 * program would. Seeded (the seed is printed; FUZZ_SEED=<n> replays a run): frames that are not
 * JSON, invokes of the wrong shape, numbers JSON cannot name as values (1e309, -0), amounts negative
 * or fractional, unknown currencies, ids with odd characters, long strings, oversized frames, and the
 * same command sent twice at once. Every refused command gets a clear refusal (a validation error or a
 * malformed-message error, an oversized frame a 1009 close), the host keeps answering, and the journal
 * on disk is byte for byte what it was.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { COMMAND_NAMES, type CommandName } from '../../common/contract';
import { BRIDGE_PROTOCOL, startWebServer, type RunningWebServer } from '../../main/web/server';
import { fuzzCaseIsBad, READ_ONLY, VALID } from '../support/contract-inputs';
import { startTestHost, type TestHost } from '../support/host';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** What the bridge answered to one frame. */
type Answer =
  | { type: 'result'; id: number; result: { ok: true; value: unknown } | { ok: false; error: ErrorShape } }
  | { type: 'error'; message: string }
  | { type: 'closed'; code: number }
  | { type: 'unanswered' };
interface ErrorShape {
  code: string;
  message: string;
}

/** A cashier's bridge: one frame out, its answer back (events are set aside). */
class Bridge {
  private waiting: ((answer: Answer) => void)[] = [];
  private readonly results = new Map<number, (answer: Answer) => void>();
  closed: number | null = null;
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Answer | { type: 'event' };
      if (message.type === 'event') return;
      if (message.type === 'result') {
        const waiter = this.results.get(message.id);
        this.results.delete(message.id);
        waiter?.(message);
        return;
      }
      this.waiting.shift()?.(message as Answer);
    });
    ws.on('close', (code) => {
      this.closed = code;
      for (const waiter of [...this.waiting, ...this.results.values()]) waiter({ type: 'closed', code });
      this.waiting = [];
      this.results.clear();
    });
  }

  /** The cashier's bridge, or (display) the customer display's, each with its own token. */
  static open(server: RunningWebServer, role: 'cashier' | 'display' = 'cashier'): Promise<Bridge> {
    const token = role === 'display' ? server.displayToken : server.token;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/bridge`, [BRIDGE_PROTOCOL, `token.${token}`], {
      origin: server.origin,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Bridge(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends a frame as is; `id` is the invoke's id when it has a readable one (its answer is a result). */
  send(frame: string | Buffer, id: number | null): Promise<Answer> {
    return new Promise((resolve) => {
      // Not a timing assertion: a frame left unanswered fails as such rather than as a test timeout.
      const timer = setTimeout(() => resolve({ type: 'unanswered' }), 10_000);
      const done = (answer: Answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      if (id === null) this.waiting.push(done);
      else this.results.set(id, done);
      this.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    });
  }

  close(): void {
    this.ws.close();
  }
}

let nextId = 1;
/** An invoke frame, with the input's JSON text given as is (it may hold numbers JSON.stringify cannot write). */
function invokeText(name: string, inputJson: string): { text: string; id: number } {
  const id = nextId++;
  return { text: `{"type":"invoke","id":${id},"name":${JSON.stringify(name)},"input":${inputJson}}`, id };
}

/** Number literals JSON can carry that are no amount: overflowing to ±Infinity, -0, fractions, negatives. */
const BAD_NUMBER = fc.constantFrom('1e309', '-1e309', '-0', '0', '0.5', '12.505', '-1', '-1250', '1e-7', '1e16');
/** Not a currency: unknown codes, wrong length, odd characters. */
const BAD_CURRENCY = fc.constantFrom('XXX', 'ZZZ', 'EU', 'EURO', 'E1R', 'eur ', '€', '', 'EUR\u0000', '\uD800AB');
/** Ids a page could type: traversal, URL syntax, control and broken characters, far too long. */
const BAD_ID = fc.oneof(
  fc.constantFrom(
    'pay_../../admin',
    'pay_%2e%2e',
    'pay_abc?x=1',
    'pay_abc#x',
    'rdr_abc/../x',
    'rdr_',
    ' pay_abc',
    'pay_abc\n',
    'pay_\u0000',
    '\uD83D',
    '__proto__',
    'constructor',
  ),
  fc.string({ minLength: 101, maxLength: 3_000 }).map((s) => `pay_${s}`),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((s) => `pay_${s}_é`),
);

/** The valid seed of a command with one field replaced by raw JSON text. */
function withRawField(name: CommandName, field: string, raw: string): string {
  const marker = '"@@RAW@@"';
  const seed = { ...VALID[name], [field]: '@@RAW@@' };
  return JSON.stringify(seed).replace(marker, () => raw);
}

const AMOUNT_FIELDS: [CommandName, string][] = [
  ['payments.create', 'amount'],
  ['payments.capture', 'amount'],
  ['payments.refund', 'amount'],
  ['settlements.release', 'amount'],
  ['installments.create', 'amount'],
  ['installments.create', 'count'],
];
const CURRENCY_FIELDS: [CommandName, string][] = [
  ['payments.create', 'currency'],
  ['installments.create', 'currency'],
];
const ID_FIELDS: [CommandName, string][] = (Object.keys(VALID) as CommandName[]).flatMap((name) =>
  Object.keys(VALID[name])
    .filter((key) => /Id$/.test(key))
    .map((key) => [name, key] as [CommandName, string]),
);

/** A frame the bridge must refuse, and what kind of refusal it must be. */
type Case = {
  frame: string | Buffer;
  id: number | null;
  expect: 'malformed' | 'validation' | 'refused' | 'refused-or-read';
};

const notJson: fc.Arbitrary<Case> = fc
  .oneof(
    fc.string({ maxLength: 200 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }),
    fc.constantFrom('{', '{"type":"invoke"', '{"type":"invoke","id":1,"name":"payments.create","input":{', 'NaN'),
  )
  .map((frame) => ({ frame, id: null, expect: 'malformed' }));

const wrongShape: fc.Arbitrary<Case> = fc
  .oneof(
    fc.jsonValue().filter((v) => !(v && typeof v === 'object' && !Array.isArray(v) && 'type' in v)),
    fc.record({
      type: fc.oneof(fc.constant('invoke'), fc.string()),
      id: fc.oneof(
        fc.string(),
        fc.double().filter((n) => !Number.isSafeInteger(n)),
        fc.constant(null),
        fc.constant(2 ** 60),
      ),
      name: fc.oneof(fc.constantFrom(...COMMAND_NAMES), fc.integer()),
    }),
    fc.record({ type: fc.constant('invoke'), id: fc.nat(), name: fc.oneof(fc.integer(), fc.constant(null)) }),
  )
  .map((value) => ({ frame: JSON.stringify(value), id: null, expect: 'malformed' }));

const binary: fc.Arbitrary<Case> = fc
  .uint8Array({ minLength: 1, maxLength: 300 })
  .map((bytes) => ({ frame: Buffer.from(bytes), id: null, expect: 'malformed' }));

function rawField(
  pairs: [CommandName, string][],
  values: fc.Arbitrary<string>,
  refusal: 'validation' | 'refused' = 'validation',
): fc.Arbitrary<Case> {
  return fc.tuple(fc.constantFrom(...pairs), values).map(([[name, field], raw]) => {
    const { text, id } = invokeText(name, withRawField(name, field, raw));
    return { frame: text, id, expect: READ_ONLY.has(name) ? 'refused-or-read' : refusal };
  });
}

const badAmount = rawField(AMOUNT_FIELDS, BAD_NUMBER);
const badCurrency = rawField(
  CURRENCY_FIELDS,
  BAD_CURRENCY.map((c) => JSON.stringify(c)),
);
/** Some of these are well-formed ids no record has (`constructor`): refused as unknown, not as malformed. */
const badId = rawField(
  ID_FIELDS,
  BAD_ID.map((id) => JSON.stringify(id)),
  'refused',
);
/** Long text in every text field of a create: refused by its limit, never stored cut. */
const longText: fc.Arbitrary<Case> = fc
  .tuple(fc.constantFrom('description', 'orderReference', 'receiptEmail'), fc.integer({ min: 501, max: 60_000 }))
  .map(([field, length]) => {
    const { text, id } = invokeText(
      'payments.create',
      withRawField('payments.create', field, `"${'x'.repeat(length)}"`),
    );
    return { frame: text, id, expect: 'validation' };
  });
/** Unknown names, prototype names, and inputs that are not objects. */
const oddInvoke: fc.Arbitrary<Case> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...COMMAND_NAMES),
      fc.constantFrom('__proto__', 'toString', 'constructor', ''),
      fc.string(),
    ),
    fc.oneof(fc.jsonValue(), fc.constantFrom('[]', '"x"', '1e309', 'null', 'true')),
  )
  .map(([name, input]) => {
    const inputJson =
      typeof input === 'string' && /^(\[\]|"x"|1e309|null|true)$/.test(input) ? input : JSON.stringify(input);
    return { name, inputJson: inputJson ?? 'null' };
  })
  // An input a command accepts (`{}` where every field is optional) is not bad input: sent, it
  // would do its work (print, close the day) and the journal would rightly change.
  .filter(({ name, inputJson }) => fuzzCaseIsBad(name, JSON.parse(inputJson)))
  .map(({ name, inputJson }) => {
    const { text, id } = invokeText(name, inputJson);
    return { frame: text, id, expect: READ_ONLY.has(name) ? 'refused-or-read' : 'validation' };
  });

describe('the bridge under bad input (real host, real WebSocket)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-fuzz-'));
  let t: TestHost;
  let server: RunningWebServer;

  /** Every row of every journal table, as SQLite holds them on disk. */
  function journalRows(): Record<string, unknown[]> {
    const db = new Database(join(dir, 'data', 'journal.db'), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[];
      return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]));
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    console.log(`bridge fuzz seed: ${SEED} (replay with FUZZ_SEED=${SEED})`);
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'static'));
    writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html><title>POS</title>');
    t = await startTestHost({ dataDir: join(dir, 'data') });
    await t.onlineReader();
    await t.call('payments.create', { amount: 5000, currency: 'EUR', orderReference: 'BRIDGE-FUZZ-BASE' });
    server = await startWebServer({ host: t.host, staticDir: join(dir, 'static') });
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses every bad frame clearly, keeps answering, and leaves the journal as it was', async () => {
    const before = journalRows();
    let bridge = await Bridge.open(server);
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(notJson, wrongShape, binary, badAmount, badCurrency, badId, longText, oddInvoke),
        async (c) => {
          const answer = await bridge.send(c.frame, c.id);
          seen.set(c.expect, (seen.get(c.expect) ?? 0) + 1);
          if (c.expect === 'malformed') {
            expect(answer).toMatchObject({
              type: 'error',
              message: expect.stringContaining('Malformed bridge message'),
            });
            return;
          }
          expect(answer.type).toBe('result');
          if (answer.type !== 'result') return;
          if (answer.result.ok) {
            expect(c.expect).toBe('refused-or-read');
            return;
          }
          const error = answer.result.error;
          expect(error.message.length).toBeGreaterThan(0);
          if (c.expect === 'validation') expect(error.code).toBe('validation');
          else expect(error.code).not.toBe('internal');
        },
      ),
      { seed: SEED, numRuns: Number(process.env.FUZZ_RUNS ?? 1_500) },
    );
    expect(bridge.closed).toBeNull();

    // A frame over the bridge's limit closes that socket as too big (1009); a new one works.
    const { text, id } = invokeText(
      'payments.create',
      withRawField('payments.create', 'description', `"${'x'.repeat(70_000)}"`),
    );
    expect(await bridge.send(text, id)).toEqual({ type: 'closed', code: 1009 });
    bridge = await Bridge.open(server);
    const probe = invokeText('session.snapshot', '{}');
    expect(await bridge.send(probe.text, probe.id)).toMatchObject({ type: 'result', result: { ok: true } });
    bridge.close();

    expect(journalRows()).toEqual(before);
    expect(seen.get('malformed') ?? 0).toBeGreaterThan(100);
    expect(seen.get('validation') ?? 0).toBeGreaterThan(500);
  }, 120_000);

  it("the customer display's bridge: every cashier command refused as unauthorized, the journal as it was", async () => {
    const before = journalRows();
    const display = await Bridge.open(server, 'display');
    const payment = (await t.call('payments.list', { filter: 'all', limit: 1 }))[0]!;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMAND_NAMES), fc.boolean(), async (name, onRealPayment) => {
        const input = {
          ...VALID[name],
          ...('paymentId' in VALID[name] && onRealPayment ? { paymentId: payment.id } : {}),
        };
        const { text, id } = invokeText(name, JSON.stringify(input));
        const answer = await display.send(text, id);
        expect(answer.type).toBe('result');
        if (answer.type !== 'result') return;
        if (name === 'display.snapshot') expect(answer.result.ok).toBe(true);
        else if (name === 'customer.chooseTip') expect(answer.result).toMatchObject({ ok: false });
        else expect(answer.result).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      }),
      { seed: SEED, numRuns: 300 },
    );
    display.close();
    expect(journalRows()).toEqual(before);
  });

  it('the same create sent twice at once (a double press) makes one payment, at the gateway as in the journal', async () => {
    const reader = await t.onlineReader();
    const bridge = await Bridge.open(server);
    const twice = async (input: Record<string, unknown>) => {
      const frames = [
        invokeText('payments.create', JSON.stringify(input)),
        invokeText('payments.create', JSON.stringify(input)),
      ];
      return Promise.all(frames.map(({ text, id }) => bridge.send(text, id)));
    };
    const ledger = async () =>
      ((await t.api('GET', '/_sandbox/ledger')).json as { transactions: { amount: number; metadata?: unknown }[] })
        .transactions.length;

    for (const input of [
      { amount: 1234, currency: 'EUR', orderReference: 'DOUBLE-1', requestId: 'req_double0001', readerId: reader.id },
      // A program that names the charge but leaves the order reference to the host.
      { amount: 1235, currency: 'EUR', requestId: 'req_double0002' },
    ]) {
      const charges = await ledger();
      const answers = await twice(input);
      const ids = answers.map((a) => (a.type === 'result' && a.result.ok ? (a.result.value as { id: string }).id : a));
      expect(ids[0]).toEqual(expect.stringMatching(/^pay_/));
      expect({ input: input.requestId, second: ids[1] }).toEqual({ input: input.requestId, second: ids[0] });
      const payments = await t.call('payments.list', { filter: 'all', limit: 200 });
      expect(payments.filter((p) => p.amount === input.amount)).toHaveLength(1);
      expect(await ledger()).toBe(charges + 1);
    }
    bridge.close();
  }, 30_000);
});
