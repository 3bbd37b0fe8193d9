/**
 * The examples of docs/sandbox-api.md, docs/sandbox-payplug.md and docs/sandbox-plural.md, read out of
 * the documents and held against what the sandbox answers, so an integrator who copies one gets what it
 * shows. An example that names an exact answer (an error, the default faults) must be that answer; an
 * object's example must name exactly the fields the object has (values are examples, `…` a placeholder,
 * `a | b` alternatives). An example that is edited away fails here too: the test looks each one up by
 * what it shows.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, simulatedReader, start, type Harness, type ReaderJson, type TransactionJson } from './helpers';
import { PluralApi, inr, type Order } from './plural/helpers';

const ROOT = resolve(__dirname, '../..');
const DOCS = {
  api: readFileSync(resolve(ROOT, 'docs/sandbox-api.md'), 'utf8'),
  payplug: readFileSync(resolve(ROOT, 'docs/sandbox-payplug.md'), 'utf8'),
  plural: readFileSync(resolve(ROOT, 'docs/sandbox-plural.md'), 'utf8'),
};

/** The fenced blocks of a document, in order, with their language. */
function blocks(doc: string): Array<{ lang: string; text: string }> {
  return [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map(([, lang, text]) => ({ lang: lang!, text: text! }));
}

/** The one block of `doc` that contains `marker` (the test fails when there is none, or several). */
function example(doc: string, marker: string): string {
  const found = blocks(doc).filter((block) => block.text.includes(marker));
  expect(
    found.map((block) => block.text.slice(0, 60)),
    `one example containing ${marker}`,
  ).toHaveLength(1);
  return found[0]!.text;
}

/** Anything: a documented placeholder (`…`, `{ …transaction object… }`, `[…]`). */
const ANY = Symbol('any');

/** `a | b` in an example: a value may be either. */
class Alternatives {
  constructor(readonly options: unknown[]) {}
}

/**
 * A documented example read as JSON, with what the documents write that JSON does not: `…` stands for
 * any value, `a | b` for alternatives (`null | { … }`), and
 * a bare "key" in an object (a list of fields, as the Plural ledger is written) for a field of any value.
 */
class DocJson {
  private i = 0;
  constructor(private readonly s: string) {}

  static parse(text: string): unknown {
    const reader = new DocJson(text);
    const value = reader.alternatives();
    reader.space();
    if (reader.i < reader.s.length) throw new Error(`unexpected ${reader.s.slice(reader.i, reader.i + 20)}`);
    return value;
  }

  private space(): void {
    while (/\s/.test(this.s[this.i] ?? '')) this.i++;
  }

  private alternatives(): unknown {
    const options = [this.value()];
    for (;;) {
      this.space();
      if (this.s[this.i] !== '|') break;
      this.i++;
      options.push(this.value());
    }
    return options.length === 1 ? options[0] : new Alternatives(options);
  }

  /** Skips a placeholder up to the `,`, `}` or `]` that ends it, nested brackets included. */
  private placeholder(): typeof ANY {
    let depth = 0;
    for (; this.i < this.s.length; this.i++) {
      const c = this.s[this.i]!;
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    return ANY;
  }

  private value(): unknown {
    this.space();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '…') return this.placeholder();
    const literal = /^(null|true|false|-?\d+(?:\.\d+)?)/.exec(this.s.slice(this.i));
    if (!literal) throw new Error(`unexpected ${this.s.slice(this.i, this.i + 20)}`);
    this.i += literal[0].length;
    return JSON.parse(literal[0]) as unknown;
  }

  private string(): string {
    const match = /^"(?:[^"\\]|\\.)*"/.exec(this.s.slice(this.i));
    if (!match) throw new Error(`unterminated string at ${this.i}`);
    this.i += match[0].length;
    return JSON.parse(match[0]) as string;
  }

  private array(): unknown {
    const open = this.i++;
    this.space();
    if (this.s[this.i] === '…' || this.s.startsWith('...', this.i)) {
      this.i = open;
      this.i++;
      this.placeholder();
      this.i++;
      return ANY;
    }
    const out: unknown[] = [];
    for (;;) {
      this.space();
      if (this.s[this.i] === ']') break;
      out.push(this.alternatives());
      this.space();
      if (this.s[this.i] === ',') this.i++;
    }
    this.i++;
    return out;
  }

  private object(): unknown {
    this.i++;
    this.space();
    if (this.s[this.i] === '…') {
      // `{ …transaction object… }`: an object shown elsewhere.
      this.placeholder();
      this.i++;
      return ANY;
    }
    const out: Record<string, unknown> = {};
    for (;;) {
      this.space();
      if (this.s[this.i] === '}') break;
      const key = this.string();
      this.space();
      if (this.s[this.i] === ':') {
        this.i++;
        out[key] = this.alternatives();
      } else out[key] = ANY;
      this.space();
      if (this.s[this.i] === ',') this.i++;
    }
    this.i++;
    return out;
  }
}

/** Where `actual` has other fields than the example `documented` shows (`path: missing x` / `extra y`). */
function fieldDifferences(documented: unknown, actual: unknown, path = '$'): string[] {
  if (documented instanceof Alternatives) {
    const tried = documented.options.map((option) => fieldDifferences(option, actual, path));
    return tried.find((differences) => differences.length === 0) ?? tried.flat();
  }
  if (documented === ANY || documented === null || typeof documented !== 'object') return [];
  if (Array.isArray(documented)) {
    if (!Array.isArray(actual)) return [`${path}: documented as an array, is ${JSON.stringify(actual)}`];
    return documented.length > 0 && actual.length > 0 ? fieldDifferences(documented[0], actual[0], `${path}[0]`) : [];
  }
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual))
    return [`${path}: documented as an object, is ${JSON.stringify(actual)}`];
  const shown = documented as Record<string, unknown>;
  const has = actual as Record<string, unknown>;
  const out: string[] = [];
  for (const key of Object.keys(shown)) {
    if (!(key in has)) out.push(`${path}: missing ${key}`);
    else out.push(...fieldDifferences(shown[key], has[key], `${path}.${key}`));
  }
  for (const key of Object.keys(has)) if (!(key in shown)) out.push(`${path}: extra ${key}`);
  return out;
}

describe('the documented start command', () => {
  it('is the same in every document, and prints the JSON line first, with the documented fields', async () => {
    const commands = new Set<string>();
    for (const doc of Object.values(DOCS)) {
      for (const block of blocks(doc).filter((b) => b.lang === 'sh')) {
        for (const line of block.text.split('\n')) {
          if (/^npm run\b.*--json/.test(line)) commands.add(line.replace(/\s+#.*$/, '').trim());
        }
      }
    }
    expect([...commands]).toHaveLength(1);
    const command = [...commands][0]!;
    // A throw-away database and a free port: the command must be runnable as written.
    expect(command).toMatch(/--port 0 --db :memory:/);
    const child = spawn('sh', ['-c', `exec ${command} --quiet`], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const firstLine = await new Promise<string>((done, fail) => {
        let out = '';
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const end = out.indexOf('\n');
          if (end >= 0) done(out.slice(0, end));
        });
        child.on('exit', (code) => fail(new Error(`${command} exited ${code}: ${err}`)));
      });
      const ready = JSON.parse(firstLine) as Record<string, unknown>;
      const documented = DocJson.parse(example(DOCS.api, '"webhook_secret":null').replace(/\s*\n\s*/g, ''));
      expect(fieldDifferences(documented, ready)).toEqual([]);
      const health = await fetch(`${ready.url as string}/v1/health`);
      expect(health.status).toBe(200);
    } finally {
      // The whole group (sh, npm, its shell, the sandbox): nothing outlives the test.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        process.kill(-child.pid!, 'SIGTERM');
        await exited;
      }
    }
  });
});

describe('docs/sandbox-api.md (PlutoPay)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ fakeClock: true });
  });
  afterAll(() => h.close());

  it('the default faults are the example, for every emulator (PayPlug and Plural without reader_timeout_ms)', async () => {
    const documented = JSON.parse(example(DOCS.api, '"latency_ms": 0')) as Record<string, unknown>;
    expect((await h.api.get('/_sandbox/faults')).body).toEqual(documented);
    const { reader_timeout_ms: _readers, ...withoutReaders } = documented;
    const payplug = new Api(h.sandbox.payplug.url, h.sandbox.payplug.secret_key);
    expect((await payplug.get('/_sandbox/faults')).body).toEqual(withoutReaders);
    const plural = new PluralApi(h.sandbox);
    await plural.login();
    expect((await plural.call('GET', '/_sandbox/faults')).body).toEqual(withoutReaders);
  });

  it('the error example is the answer to an amount under the minimum', async () => {
    const documented = JSON.parse(example(DOCS.api, '"amount must be at least 50"')) as unknown;
    const answer = await h.api.post('/v1/transactions', { amount: 49 });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual(documented);
  });

  it('the transaction, refund and reader examples name exactly the fields the objects have', async () => {
    const paid = await h.api.payment({ amount: 2500, confirm: true });
    expect(fieldDifferences(DocJson.parse(example(DOCS.api, '"reference": "txn_…"')), paid)).toEqual([]);
    const refund = await h.api.post(`/v1/transactions/${paid.id}/refunds`, { amount: 1000 });
    expect(refund.status).toBe(201);
    expect(fieldDifferences(DocJson.parse(example(DOCS.api, '"reference": "re_…"')), refund.body)).toEqual([]);
    const terminal = await simulatedReader(h.api);
    const intent = await h.api.payment({ amount: 1250, currency: 'eur' }, '/v1/terminal/create-payment');
    const reader = await h.api.post<ReaderJson>('/v1/terminal/process-payment', {
      payment_intent_id: intent.id,
      reader_id: terminal.processor_terminal_id,
    });
    expect(reader.status).toBe(200);
    expect(fieldDifferences(DocJson.parse(example(DOCS.api, '"id": "tmr_…"')), reader.body)).toEqual([]);
    expect((await h.api.get<TransactionJson>(`/v1/transactions/${intent.id}`)).body.status).toBe('pending');
  });
});

describe('docs/sandbox-payplug.md', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ fakeClock: true });
  });
  afterAll(() => h.close());

  it('the error example is the answer to the request it describes, and nothing is created', async () => {
    const documented = JSON.parse(example(DOCS.payplug, '"object": "error"')) as Record<string, unknown>;
    const api = new Api(h.sandbox.payplug.url, h.sandbox.payplug.secret_key);
    const answer = await api.post('/v1/payments', {
      amount: 5,
      currency: 'EUR',
      customer: { first_name: 'f'.repeat(101) },
      force_3ds: 'yes',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ ...documented, id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect((await api.get<{ payments: unknown[] }>('/_sandbox/ledger')).body.payments).toEqual([]);
  });
});

describe('docs/sandbox-plural.md', () => {
  let h: Harness;
  let api: PluralApi;
  beforeAll(async () => {
    h = await start({ fakeClock: true });
    api = new PluralApi(h.sandbox);
    await api.login();
  });
  afterAll(() => h.close());

  it('the error example is the answer to an amount under the minimum', async () => {
    const documented = JSON.parse(example(DOCS.plural, '"code": "INVALID_REQUEST"')) as unknown;
    const answer = await api.call('POST', '/api/pay/v1/orders', {
      merchant_order_reference: 'doc-error',
      order_amount: inr(99),
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(documented);
  });

  it('the token example names the token answer’s fields', async () => {
    const answer = await api.call('POST', '/api/auth/v1/token', {
      client_id: h.sandbox.plural.client_id,
      client_secret: h.sandbox.plural.client_secret,
      grant_type: 'client_credentials',
    });
    expect(fieldDifferences(DocJson.parse(example(DOCS.plural, '"access_token"')), answer.body)).toEqual([]);
  });

  it('the create-payment example, sent as written, pays an order of its amount', async () => {
    const body = JSON.parse(example(DOCS.plural, '"card_details"')) as {
      payments: Array<{ payment_amount: { value: number } }>;
    };
    const created = await api.call<{ data: Order }>('POST', '/api/pay/v1/orders', {
      merchant_order_reference: 'doc-payment',
      order_amount: body.payments[0]!.payment_amount,
    });
    expect(created.status).toBe(200);
    const paid = await api.call<{ data: Order }>(
      'POST',
      `/api/pay/v1/orders/${created.body.data.order_id}/payments`,
      body,
    );
    expect(paid.status, paid.text).toBe(200);
    expect(paid.body.data.status).toBe('PROCESSED');
  });

  it('the ledger example names the ledger’s fields, orders with payments, splits and refunds', async () => {
    const created = await api.call<{ data: Order }>('POST', '/api/pay/v1/orders', {
      merchant_order_reference: 'doc-ledger',
      order_amount: inr(50000),
      purchase_details: {
        merchant_metadata: { pos_key: 'k1' },
        split_info: {
          split_type: 'AMOUNT',
          split_details: [
            { split_merchant_id: '1324', amount: inr(30000), on_hold: true },
            { split_merchant_id: '1233', amount: inr(20000), on_hold: false },
          ],
        },
      },
    });
    const id = created.body.data.order_id;
    expect((await api.call('POST', `/_sandbox/orders/${id}/pay`, {})).status).toBe(200);
    const release = await api.call('PATCH', `/api/pay/v1/orders/${id}/settlementId/${id}-ss-a/release`, {
      release_amount: inr(20000),
    });
    expect(release.status, release.text).toBe(200);
    const refund = await api.call('POST', `/api/pay/v1/refunds/${id}`, {
      merchant_order_reference: 'doc-ledger-r1',
      order_amount: inr(10000),
      merchant_metadata: { pos_key: 'k2' },
      split_info: {
        split_type: 'AMOUNT',
        split_details: [
          {
            parent_order_split_settlement_id: `${id}-ss-a`,
            split_merchant_id: '1324',
            merchant_settlement_reference: 'rest',
            amount: inr(10000),
            status: 'DO_NOT_RECOVER',
          },
        ],
      },
    });
    expect(refund.status, refund.text).toBe(200);
    const ledger = await api.call<{ orders: Array<{ order_id: string }> }>('GET', '/_sandbox/ledger');
    const documented = DocJson.parse(example(DOCS.plural, '"orders": [')) as { orders: unknown[] };
    const order = ledger.body.orders.find((o) => o.order_id === id);
    expect(fieldDifferences(documented.orders[0], order, '$.orders[]')).toEqual([]);
  });
});
