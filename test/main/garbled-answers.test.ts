/**
 * A gateway that answers a money command with something the till cannot read — truncated JSON, a
 * body that is not JSON, `null`, an array, a field of the wrong type — for each of the three
 * gateways, seeded (the seed is printed; FUZZ_SEED=<n> replays it). Whatever the answer, the cashier
 * gets a clear answer (never "internal"), a payment whose money may have moved is never shown failed
 * or canceled, and once the gateway answers readably again the journal agrees with the gateway's
 * ledger: one charge, captured and refunded what the gateway says, nothing left queued. Real HTTP
 * through a rewriting proxy (test/support/proxy.ts) to the real sandbox.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentView, Result } from '../../common/contract';
import { startSandbox } from '../../sandbox/index';
import { waitFor, type TestHost } from '../support/host';
import { payplug, payplugTill } from '../support/payplug';
import { payOrder, plural, pluralTillBehindProxy } from '../support/plural';
import { tillBehindProxy } from '../support/proxied-host';
import { startRewritingProxy, type RewritingProxy } from '../support/proxy';

/** A bound on waiting, never a timing assertion: generous, for a machine shared with other runs. */
const WAIT_MS = 20_000;

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** A readable JSON answer made unreadable, or readable JSON of the wrong shape. */
type Garble =
  | { kind: 'truncate'; at: number }
  | { kind: 'replace'; body: string }
  | { kind: 'wrongType'; field: number | string; value: unknown };

const garble: fc.Arbitrary<Garble> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('replace' as const),
    body: fc.constantFrom('', 'null', '[]', '{}', '"ok"', '<html>502 Bad Gateway</html>', '{"id":', '\u0000\u0001'),
  }),
  fc.record({
    kind: fc.constant('wrongType' as const),
    field: fc.nat(),
    value: fc.constantFrom<unknown>(null, '1000', -1, 1.5, true, [], {}, 'succeeded '),
  }),
);

function applyGarble(body: string, g: Garble): string {
  if (g.kind === 'replace') return g.body;
  if (g.kind === 'truncate') return body.slice(0, body.length === 0 ? 0 : g.at % body.length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
  const keys = Object.keys(parsed);
  if (keys.length === 0) return body;
  const key = typeof g.field === 'string' ? g.field : keys[g.field % keys.length]!;
  return JSON.stringify({ ...parsed, [key]: g.value });
}

/** What a garbled answer may be said as to the cashier: anything but the host failing. */
function clearAnswer(result: Result<unknown>): void {
  if (result.ok) return;
  expect(result.error.code).not.toBe('internal');
  expect(result.error.message.length).toBeGreaterThan(0);
}

type Step = 'create' | 'process' | 'capture' | 'cancel' | 'refund';

/** What the gateway's own ledger says of one charge. */
interface Charge {
  id: string;
  captured: number;
  refunded: number;
  /**
   * A link no card has paid or authorised. A link's create unanswered readably is sent again at
   * once (docs/reliability.md, the settle window): the earlier link, shown to no one, is withdrawn
   * unpaid and is no second charge (seed 1405890028: three links for one payment, one paid).
   */
  unpaidLink?: boolean;
}

/** A till on one gateway behind a rewriting proxy, and what the test needs to know of that gateway. */
interface Rig {
  t: TestHost;
  proxy: RewritingProxy;
  /** The steps this gateway has (process: pushing to a hosted reader). */
  steps: Step[];
  /** The request each step sends (method and path as the till sends them). */
  sends(step: Step, method: string, path: string): boolean;
  amount: number;
  currency: string;
  /** The customer (or the hosted reader) authorises the payment; what pushing it to a reader answered, if it was. */
  authorise(payment: PaymentView, pushed: () => void): Promise<Result<unknown> | null>;
  /** Every charge in the gateway's ledger. */
  charges(): Promise<Charge[]>;
  close(): Promise<void>;
}

async function plutoPayRig(): Promise<Rig> {
  const till = await tillBehindProxy({ tuning: { remotePollMs: 20 } });
  const reader = await till.t.onlineReader();
  const paths: Record<Step, RegExp> = {
    create: /^\/v1\/terminal\/create-payment$/,
    process: /^\/v1\/terminal\/process-payment$/,
    capture: /^\/v1\/transactions\/[^/]+\/capture$/,
    cancel: /^\/v1\/transactions\/[^/]+\/cancel$/,
    refund: /^\/v1\/transactions\/[^/]+\/refunds$/,
  };
  return {
    t: till.t,
    proxy: till.proxy,
    steps: ['create', 'process', 'capture', 'cancel', 'refund'],
    sends: (step, method, path) => method === 'POST' && paths[step].test(path),
    amount: 1000,
    currency: 'USD',
    async authorise(payment, pushed) {
      const { t } = till;
      const processed = await t.host.invoke('payments.process', { paymentId: payment.id, readerId: reader.id });
      pushed();
      if (!processed.ok) {
        // Held under an id the gateway does not know (a create answer naming another): asking the
        // gateway finds it by its key (test/main/answer-checks.test.ts), then the reader is asked again.
        if (processed.error.code === 'not_found')
          await t.waitForPayment(payment.id, (p) => p.transactionId !== payment.transactionId, WAIT_MS);
        await t.call('payments.process', { paymentId: payment.id, readerId: reader.id });
      }
      await t.waitForPayment(payment.id, (p) => p.readerStage === 'waiting_for_card', WAIT_MS);
      await t.call('simulate.presentCard', { readerId: reader.id });
      return processed;
    },
    async charges() {
      const answer = await till.t.api('GET', '/_sandbox/ledger');
      return (
        answer.json as { transactions: { id: string; amount_captured: number; amount_refunded: number }[] }
      ).transactions.map((tx) => ({ id: tx.id, captured: tx.amount_captured, refunded: tx.amount_refunded }));
    },
    close: () => till.close(),
  };
}

async function payPlugRig(): Promise<Rig> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:' });
  const proxy = await startRewritingProxy(sandbox.payplug.url);
  const t = await payplugTill(sandbox, { payplugUrl: proxy.url, tuning: { remotePollMs: 20 } });
  return {
    t,
    proxy,
    steps: ['create', 'capture', 'cancel', 'refund'],
    sends: (step, method, path) =>
      step === 'create'
        ? method === 'POST' && path === '/v1/payments'
        : step === 'refund'
          ? method === 'POST' && /^\/v1\/payments\/[^/]+\/refunds$/.test(path)
          : method === 'PATCH' && /^\/v1\/payments\/[^/]+$/.test(path),
    amount: 1000,
    currency: 'EUR',
    async authorise(payment) {
      const paid = await t.host.invoke('simulate.payLink', { paymentId: payment.id, cardNumber: '4242424242424242' });
      if (!paid.ok && paid.error.code === 'not_found') {
        // Held under an id PayPlug does not know (a create answer naming another): reading it finds
        // that out and the till looks the payment up by its order reference, then the link is paid.
        await t.waitForPayment(payment.id, (p) => p.transactionId !== payment.transactionId, WAIT_MS);
        await t.call('simulate.payLink', { paymentId: payment.id, cardNumber: '4242424242424242' });
      } else if (!paid.ok) throw new Error(`simulate.payLink failed: ${paid.error.code}: ${paid.error.message}`);
      return null;
    },
    async charges() {
      const { json } = await payplug(t, 'GET', '/_sandbox/ledger');
      type Row = {
        id: string;
        amount: number;
        is_paid: boolean;
        authorized: boolean;
        captured: boolean;
        amount_refunded: number;
      };
      return (json as { payments: Row[] }).payments.map((p) => ({
        id: p.id,
        captured: p.captured ? p.amount : 0,
        refunded: p.amount_refunded,
        unpaidLink: !p.is_paid && !p.authorized,
      }));
    },
    async close() {
      await t.close();
      await proxy.close();
      await sandbox.close();
    },
  };
}

async function pluralRig(): Promise<Rig> {
  const till = await pluralTillBehindProxy({ tuning: { remotePollMs: 20 } });
  const { t } = till;
  const paths: Record<Step, [string, RegExp]> = {
    create: ['POST', /^\/api\/pay\/v1\/orders$/],
    process: ['POST', /^$/],
    capture: ['PUT', /^\/api\/pay\/v1\/orders\/[^/]+\/capture$/],
    cancel: ['PUT', /^\/api\/pay\/v1\/orders\/[^/]+\/cancel$/],
    refund: ['POST', /^\/api\/pay\/v1\/refunds\/[^/]+$/],
  };
  return {
    t,
    proxy: till.proxy,
    steps: ['create', 'capture', 'cancel', 'refund'],
    sends: (step, method, path) => method === paths[step][0] && paths[step][1].test(path),
    amount: 10_000,
    currency: 'INR',
    async authorise(payment) {
      const created = await waitFor(
        async () =>
          (await t.call('payments.list', { filter: 'all', limit: 200 })).find((p) => p.id === payment.id)
            ?.transactionId,
        WAIT_MS,
        'the order',
      );
      const paid = await payOrder(t, created);
      if (paid.status === 404) {
        // Held under an id Plural does not know (a create answer naming another): reading it finds
        // that out and the till looks the order up by its reference, then the customer pays it.
        const found = await t.waitForPayment(payment.id, (p) => p.transactionId !== created, WAIT_MS);
        expect((await payOrder(t, found.transactionId!)).status).toBe(200);
      } else expect(paid.status).toBe(200);
      return null;
    },
    async charges() {
      const { json } = await plural<{ orders: { order_id: string; captured: number; refunded: number }[] }>(
        t,
        'GET',
        '/_sandbox/ledger',
      );
      return json.orders.map((o) => ({ id: o.order_id, captured: o.captured, refunded: o.refunded }));
    },
    close: () => till.close(),
  };
}

const RIGS: [string, () => Promise<Rig>][] = [
  ['PlutoPay', plutoPayRig],
  ['PayPlug', payPlugRig],
  ['Plural', pluralRig],
];

describe.each(RIGS)('%s answering a money command unreadably', (name, start) => {
  let rig: Rig;
  beforeAll(async () => {
    console.log(`garbled answers (${name}) seed: ${SEED} (replay with FUZZ_SEED=${SEED})`);
    rig = await start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  const find = async (id: string) =>
    (await rig.t.call('payments.list', { filter: 'all', limit: 200 })).find((p) => p.id === id)!;

  /** Settles the payment once the gateway answers readably again; the journal then agrees with the ledger. */
  async function agreesWithLedger(payment: PaymentView, chargesBefore: number): Promise<void> {
    const { t } = rig;
    const settled = await waitFor(
      async () => {
        const now = await find(payment.id);
        if (now.queuedOperations > 0) return undefined;
        if (now.attention) await t.host.invoke('attention.retry', { paymentId: payment.id });
        const again = await find(payment.id);
        return again.queuedOperations === 0 && !again.attention ? again : undefined;
      },
      WAIT_MS,
      `payment ${payment.id} settled`,
    );
    const charges = await rig.charges();
    // One create, at most one charge at the gateway.
    expect(charges.slice(chargesBefore).filter((c) => !c.unpaidLink).length).toBeLessThanOrEqual(1);
    const charge = charges.find((c) => c.id === settled.transactionId);
    if (!charge) {
      expect({ payment: settled, charges: charges.slice(chargesBefore) }).toEqual({ payment: settled, charges: [] });
      expect(['failed', 'canceled', 'pending']).toContain(settled.status);
      return;
    }
    expect({ captured: settled.amountCaptured, refunded: settled.amountRefunded }).toEqual({
      captured: charge.captured,
      refunded: charge.refunded,
    });
  }

  it('a clear answer, never failed when money may have moved, then agreement with the ledger', async () => {
    const { t, proxy } = rig;
    let n = 0;
    let garbledCases = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...rig.steps), garble, fc.boolean(), async (step, g, persist) => {
        n += 1;
        const order = `GARBLE-${SEED}-${n}`;
        const chargesBefore = (await rig.charges()).length;
        let garbled = 0;
        // Once, or (persist) that answer and every read after it, until the gateway is readable again.
        proxy.rewrite = (method, path, body) => {
          const chosen = rig.sends(step, method, path) && (garbled === 0 || persist);
          const read = method === 'GET' && /\/(transactions|payments|orders)(\/|$)/.test(path);
          if (!chosen && !(persist && garbled > 0 && read)) return null;
          garbled += 1;
          if (garbled === 1) garbledCases += 1;
          return applyGarble(body, g);
        };
        try {
          const created = await t.host.invoke('payments.create', {
            amount: rig.amount,
            currency: rig.currency,
            captureMethod: 'manual',
            orderReference: order,
          });
          clearAnswer(created);
          if (step === 'create') {
            proxy.rewrite = () => null;
            if (!created.ok) {
              // Refused, clearly: nothing was made, or the payment is kept (its outcome unknown) and settles.
              const kept = (await t.call('payments.list', { filter: 'all', limit: 200 })).find(
                (p) => p.orderReference === order,
              );
              if (kept) await agreesWithLedger(kept, chargesBefore);
              else expect((await rig.charges()).slice(chargesBefore)).toEqual([]);
              return;
            }
          }
          if (!created.ok) throw new Error(`create refused: ${created.error.message}`);
          const payment = created.value as PaymentView;
          if (payment.status === 'failed' || payment.status === 'canceled') {
            // Given up at once (PayPlug without its payment page): nothing may have been charged.
            await agreesWithLedger(payment, chargesBefore);
            return;
          }
          const processed = await rig.authorise(payment, () => {
            // The push was answered: the gateway reads again from here (the reader then takes the card).
            if (step === 'process') proxy.rewrite = () => null;
          });
          if (processed) clearAnswer(processed);
          await t.waitForPayment(payment.id, (p) => p.status === 'requires_capture', WAIT_MS);
          if (step === 'cancel') {
            clearAnswer(await t.host.invoke('payments.cancel', { paymentId: payment.id }));
          } else {
            const captured = await t.host.invoke('payments.capture', { paymentId: payment.id });
            clearAnswer(captured);
            if (step === 'refund') {
              if (!captured.ok) throw new Error(`capture refused: ${captured.error.message}`);
              clearAnswer(await t.host.invoke('payments.refund', { paymentId: payment.id, amount: rig.amount / 2 }));
            }
          }
          const now = await find(payment.id);
          const charge = (await rig.charges()).find((c) => c.id === payment.transactionId);
          // The money moved at the gateway: never shown as failed or canceled, whatever was answered.
          if (charge && charge.captured > 0) expect(['failed', 'canceled']).not.toContain(now.status);
          proxy.rewrite = () => null;
          await agreesWithLedger(now, chargesBefore);
        } finally {
          proxy.rewrite = () => null;
        }
      }),
      {
        seed: SEED,
        numRuns: Number(process.env.FUZZ_RUNS ?? 30),
        endOnFailure: true,
        // Found by this test: a create answered in a currency that is none failed the host
        // ("internal") when it said why the answer was not the payment's (seed 1428970178); a
        // PayPlug link's create answered `is_paid: true` showed the link paid (seed 942340361).
        examples: [
          ['create', { kind: 'wrongType', field: 'currency', value: 'succeeded ' }, false],
          ['create', { kind: 'wrongType', field: 'is_paid', value: true }, false],
          ['create', { kind: 'wrongType', field: 'failure', value: [] }, true],
        ],
      },
    );
    // The harness itself works: most cases did meet their garbled answer.
    expect(garbledCases).toBeGreaterThan(n / 2);
  }, 120_000);

  it('every read answered unreadably: a clear answer, no payment changed by it', async () => {
    const { t, proxy } = rig;
    await t.call('payments.create', { amount: rig.amount, currency: rig.currency, orderReference: `READS-${SEED}` });
    const payments = await t.call('payments.list', { filter: 'all', limit: 200 });
    const known = payments.find((p) => p.transactionId !== null);
    const reads: [string, unknown][] = [
      ['transactions.list', {}],
      ['transactions.list', { search: 'GARBLE', page: 2, size: 5 }],
      ['transactions.get', { transactionId: known!.transactionId }],
      ['readers.list', {}],
      ['readers.scan', {}],
      ['disputes.list', { refresh: true }],
      ['installments.list', {}],
      ['savedCards.list', { customer: 'ada@example.com' }],
      ['reports.reconcile', {}],
      ['session.snapshot', {}],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...reads), garble, async ([name, input], g) => {
        proxy.rewrite = (method, _path, body) => (method === 'GET' ? applyGarble(body, g) : null);
        try {
          clearAnswer(await t.host.dispatch(name, input));
        } finally {
          proxy.rewrite = () => null;
        }
      }),
      { seed: SEED, numRuns: Number(process.env.FUZZ_RUNS ?? 30), endOnFailure: true },
    );
    // Reads only: no payment moved to failed or canceled because an answer could not be read.
    const after = await t.call('payments.list', { filter: 'all', limit: 200 });
    for (const before of payments) {
      const now = after.find((p) => p.id === before.id)!;
      if (!['failed', 'canceled'].includes(before.status)) expect([now.id, now.status]).not.toEqual([now.id, 'failed']);
      expect({ id: now.id, captured: now.amountCaptured, refunded: now.amountRefunded }).toEqual({
        id: before.id,
        captured: before.amountCaptured,
        refunded: before.amountRefunded,
      });
    }
  }, 120_000);
});
