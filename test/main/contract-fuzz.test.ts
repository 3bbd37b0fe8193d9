/**
 * The contract rejects bad input: 10 000 random and mutated commands. Only validation errors come
 * back (or, for read-only commands that happen to be valid, a normal answer); the host never
 * crashes; the journal, readers and settings never change.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../common/contract';
import { fuzzCaseIsBad, READ_ONLY, VALID } from '../support/contract-inputs';
import { startTestHost, type TestHost } from '../support/host';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);

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

/**
 * A seed made invalid: a key the seed lacks, or a known key given a value of the wrong kind. A key
 * the seed lacks can still be one the command takes (attention.resolve's optional `by`, any short
 * text): fuzzCaseIsBad drops such cases.
 */
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
    console.log(`contract fuzz seed: ${SEED} (replay with FUZZ_SEED=${SEED})`);
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
        // An input the command takes is no bad input: set aside, never sent.
        fc.pre(fuzzCaseIsBad(name, input));
        const result = await t.host.dispatch(name, input);
        if (result.ok) {
          expect(READ_ONLY.has(name)).toBe(true);
          return;
        }
        codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1);
        if (!READ_ONLY.has(name)) expect(result.error.code).toBe('validation');
        expect(typeof result.error.message).toBe('string');
      }),
      {
        seed: SEED,
        numRuns: RUNS,
        // Drawn in about one test in 10 000 (a key the seed lacks, `by`, is one attention.resolve takes):
        // sent, it was refused as not_found, which failed the run.
        examples: [[['attention.resolve', { ...VALID['attention.resolve'], by: 'N*nmI=`w8&' }]]],
      },
    );
    expect(await state()).toEqual(before);
    expect(codes.get('validation') ?? 0).toBeGreaterThan(RUNS / 2);
  }, 120_000);
});
