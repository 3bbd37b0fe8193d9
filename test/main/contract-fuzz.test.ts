/**
 * The contract rejects bad input: 10 000 random and mutated commands. Only validation errors come
 * back (or, for read-only commands that happen to be valid, a normal answer); the host never
 * crashes; the journal, readers and settings never change.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, type CommandName } from '../../common/contract';
import { startTestHost, type TestHost } from '../support/host';

const READ_ONLY: ReadonlySet<string> = new Set([
  'session.snapshot',
  'payments.list',
  'payments.uncaptured',
  'payments.open',
  'transactions.list',
  'transactions.get',
  'readers.list',
  // Looks for devices and reads the gateway's readers again: nothing of the till's changes.
  'readers.scan',
  'settings.get',
  'devlog.list',
  'attention.list',
  // Reads the gateway's disputes again: the journal learns what the gateway says, the till changes nothing.
  'disputes.list',
  'settlements.list',
  'receipts.render',
  'receipts.list',
  'reports.x',
  'reports.list',
  'reports.get',
  'reports.reconcile',
  'reports.csv',
  'display.snapshot',
]);

/** One valid input per command: the seeds the mutations start from. */
const VALID: Record<CommandName, Record<string, unknown>> = {
  'session.snapshot': {},
  'payments.create': {
    amount: 1250,
    currency: 'EUR',
    description: 'x',
    orderReference: 'O-1',
    requestId: 'req_abcdefgh1234',
    captureMethod: 'manual',
    receiptEmail: 'a@b.co',
    splits: [{ merchantId: 'm-1', settlementReference: 'r 1', amount: 1250, onHold: true }],
  },
  'payments.setTip': { paymentId: 'pay_abcdefgh12345678', tip: { kind: 'percent', percent: 15 } },
  'payments.process': { paymentId: 'pay_abcdefgh12345678', readerId: 'rdr_abc' },
  'payments.cancel': { paymentId: 'pay_abcdefgh12345678' },
  'payments.cancelCreate': { requestId: 'req_abcdefgh1234', orderReference: 'O-1' },
  'payments.capture': { paymentId: 'pay_abcdefgh12345678', amount: 100 },
  'payments.refund': { paymentId: 'pay_abcdefgh12345678', amount: 100, reason: 'r' },
  'payments.list': { filter: 'all', limit: 10 },
  'payments.uncaptured': { offset: 0, limit: 10 },
  'payments.open': { offset: 0, limit: 10 },
  'transactions.list': { search: 'a', status: 'pending', page: 1, size: 10 },
  'transactions.get': { transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c44' },
  'readers.list': {},
  'readers.scan': {},
  'readers.pair': { registrationCode: 'simulated-x', label: 'L' },
  'readers.addSimulated': { label: 'L' },
  'readers.reconnect': { readerId: 'rdr_abc' },
  'readers.forget': { readerId: 'rdr_abc' },
  'readers.configure': { readerId: 'rdr_abc', label: 'Desk' },
  'simulate.presentCard': { readerId: 'rdr_abc', cardNumber: '4242424242424242' },
  'simulate.setFault': { readerId: 'rdr_abc', fault: 'timeout' },
  'simulate.payLink': { paymentId: 'pay_abcdefgh12345678', cardNumber: '4242424242424242' },
  'savedCards.list': { customer: 'ada@example.com' },
  'savedCards.forget': { cardId: 'card_abc123' },
  'installments.create': {
    amount: 30000,
    currency: 'EUR',
    count: 3,
    customer: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
  },
  'installments.list': {},
  'installments.abort': { planId: 'ipl_abcdefgh12345678' },
  'payments.annotate': { paymentId: 'pay_abcdefgh12345678', note: 'gift wrapped' },
  'settlements.list': { held: true, offset: 0, limit: 10 },
  'settlements.release': { paymentId: 'pay_abcdefgh12345678', splitId: 'v1-abc-ss-a', amount: 500 },
  'settlements.cancel': { paymentId: 'pay_abcdefgh12345678', splitId: 'v1-abc-ss-a' },
  'receipts.render': { paymentId: 'pay_abcdefgh12345678', copy: 'merchant', format: 'html', width: 32 },
  'receipts.print': { paymentId: 'pay_abcdefgh12345678', copies: 'both' },
  'receipts.email': { paymentId: 'pay_abcdefgh12345678', email: 'ada@example.com' },
  'receipts.list': { paymentId: 'pay_abcdefgh12345678' },
  'reports.x': { date: '2026-03-29' },
  'reports.close': { date: '2026-03-29', closedBy: 'Ada', override: { by: 'Ada', reason: 'checked' } },
  'reports.list': { limit: 5 },
  'reports.get': { number: 1 },
  'reports.reconcile': { date: '2026-03-29', terminal: [{ currency: 'EUR', count: 1, amount: 100 }] },
  'reports.csv': { date: '2026-03-29' },
  'reports.print': { number: 1 },
  'display.snapshot': {},
  'customer.chooseTip': { paymentId: 'pay_abcdefgh12345678', tip: { kind: 'custom', amount: 100 } },
  'settings.get': {},
  'settings.update': { mode: 'test', autoPresentDelayMs: 10 },
  'settings.newDisplayAddress': {},
  'devlog.list': { limit: 5 },
  'attention.list': {},
  'disputes.list': { refresh: true },
  'attention.retry': { paymentId: 'pay_abcdefgh12345678' },
  'attention.resolve': { paymentId: 'pay_abcdefgh12345678', resolution: 'dismiss' },
};

const junk = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 3 }),
  // Objects always carry a key no command has, so they are invalid for every strict schema.
  fc.dictionary(
    fc.string().map((k) => `x_${k}`),
    fc.anything(),
    { minKeys: 1, maxKeys: 3 },
  ),
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '1e309',
    '__proto__',
    'constructor',
    'sk_test_xxxxxxxxxxxx',
    '\u0000',
    'a'.repeat(10_000),
  ),
);

/** A seed made invalid for sure: an unknown key, or a known key given a value of the wrong kind. */
const mutated = fc.constantFrom(...COMMAND_NAMES).chain((name) => {
  const seed = VALID[name];
  const keys = Object.keys(seed);
  const extraKey = fc
    .tuple(
      fc.string({ minLength: 1 }).filter((k) => !keys.includes(k) && k !== '__proto__'),
      junk,
    )
    .map(([k, v]) => ({ ...seed, [k]: v }));
  const wrongType =
    keys.length === 0
      ? extraKey
      : fc
          .tuple(
            fc.constantFrom(...keys),
            fc.oneof(
              fc.constant(null),
              fc.array(fc.integer(), { maxLength: 2 }),
              fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
              fc.constant(true),
            ),
          )
          .map(([k, v]) => ({ ...seed, [k]: v }));
  return fc.tuple(fc.constant(name as string), fc.oneof(extraKey, wrongType) as fc.Arbitrary<unknown>);
});

const random = fc.tuple(
  fc.oneof(fc.constantFrom(...COMMAND_NAMES), fc.string(), fc.constantFrom('toString', '__proto__', 'hasOwnProperty')),
  junk as fc.Arbitrary<unknown>,
);

describe('contract fuzz', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
    await t.onlineReader();
    await t.call('payments.create', { amount: 5000, currency: 'EUR', orderReference: 'FUZZ-BASE' });
  });
  afterAll(async () => {
    await t.close();
  });

  const state = async () => ({
    payments: await t.call('payments.list', { filter: 'all', limit: 200 }),
    readers: (await t.call('readers.list', {})).map((r) => ({ id: r.id, terminalId: r.terminalId, label: r.label })),
    settings: await t.call('settings.get', {}),
  });

  it('10 000 random and mutated commands: validation errors only, no crash, no change', async () => {
    const before = await state();
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, random), async ([name, input]) => {
        const result = await t.host.dispatch(name, input);
        if (result.ok) {
          expect(READ_ONLY.has(name)).toBe(true);
          return;
        }
        codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1);
        if (!READ_ONLY.has(name)) expect(result.error.code).toBe('validation');
        expect(typeof result.error.message).toBe('string');
      }),
      { numRuns: 10_000 },
    );
    expect(await state()).toEqual(before);
    expect(codes.get('validation') ?? 0).toBeGreaterThan(5_000);
  }, 120_000);
});
