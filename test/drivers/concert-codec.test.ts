import { describe, expect, it } from 'vitest';
import type { ConcertAnswer, ConcertRequest } from '../../drivers/protocols/concert/codec';
import {
  ConcertProtocolError,
  cardNumberFromField,
  checkAnswer,
  currencyFromNumeric,
  currencyToNumeric,
  decodeAnswer,
  decodeAnswerBody,
  decodeRequestBody,
  encodeAnswer,
  encodeRequest,
  frame,
  fromHex,
  lrc,
  mask7,
  toHex,
  unframe,
} from '../../drivers/protocols/concert/codec';
import { concertRequest } from './concert-fixtures';

/** The Concert V2 worked request (see docs/readers.md): 12.50 EUR, card, full answer, E+. */
const GOLDEN_REQUEST =
  '02 30 31 30 30 30 30 31 32 35 30 31 31 30 39 37 38 20 20 20 20 20 20 20 20 20 20 41 30 31 30 42 30 31 30 03 01';
/** The worked short answer: accepted, 91.10, card, EUR. */
const GOLDEN_SHORT_ANSWER = '02 30 31 30 30 30 30 30 39 31 31 30 31 39 37 38 30 30 30 30 30 30 30 30 30 30 03 3c';
/**
 * Our own traces, LRCs computed outside this codec (Python one-liner XOR):
 * a full answer (approved 12.50 EUR, masked card 497010******0119, reference A00001)…
 */
const FULL_ANSWER =
  '02 30 31 30 30 30 30 30 31 32 35 30 31 34 39 37 30 31 30 2a 2a 2a 2a 2a 2a 30 31 31 39 ' +
  '20 '.repeat(39) +
  '39 37 38 41 30 30 30 30 31 20 20 20 20 03 61';
/** …a protocol E request (26-byte body: no delay/authorisation fields), short answer asked… */
const E_REQUEST = '02 30 31 30 30 30 30 31 32 35 30 30 31 30 39 37 38 20 20 20 20 20 20 20 20 20 20 03 03';
/** …and a short refusal (status 7) of 12.50 EUR. */
const SHORT_REFUSAL = '02 30 31 37 30 30 30 30 31 32 35 30 31 39 37 38 20 20 20 20 20 20 20 20 20 20 03 34';

const request = concertRequest();

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ConcertProtocolError) return error.code;
    throw error;
  }
  return 'no error';
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('Concert codec: golden frames', () => {
  it('encodes the reference request byte for byte', () => {
    expect(toHex(encodeRequest(request))).toBe(GOLDEN_REQUEST);
    expect(encodeRequest(request)).toHaveLength(37);
  });

  it('decodes the reference short answer', () => {
    const answer = decodeAnswer(fromHex(GOLDEN_SHORT_ANSWER));
    expect(answer).toEqual({
      posNumber: '01',
      status: '0',
      amount: 9110,
      paymentMode: '1',
      cardField: null,
      currencyNumeric: '978',
      privateData: '0000000000',
    });
    expect(fromHex(GOLDEN_SHORT_ANSWER)).toHaveLength(28);
  });

  it('encodes and decodes a full answer (83 bytes) with the card field', () => {
    const answer: ConcertAnswer = {
      posNumber: '01',
      status: '0',
      amount: 1250,
      paymentMode: '1',
      cardField: '497010******0119',
      currencyNumeric: '978',
      privateData: 'A00001',
    };
    expect(toHex(encodeAnswer(answer))).toBe(FULL_ANSWER.trim());
    const decoded = decodeAnswer(fromHex(FULL_ANSWER));
    expect(decoded.cardField).toBe('497010******0119'.padEnd(55, ' '));
    expect(decoded.privateData).toBe('A00001    ');
    expect(cardNumberFromField(decoded.cardField)).toBe('497010******0119');
  });

  it('encodes a protocol E request (no delay/authorisation fields) and reads it back', () => {
    const e: ConcertRequest = { ...request, variant: 'E', fullAnswer: false };
    expect(toHex(encodeRequest(e))).toBe(E_REQUEST);
    expect(decodeRequestBody(unframe(fromHex(E_REQUEST)))).toEqual({ ...e, delay: 'A010', authorization: 'B010' });
  });

  it('decodes a short refusal', () => {
    expect(decodeAnswer(fromHex(SHORT_REFUSAL))).toMatchObject({
      status: '7',
      amount: 1250,
      privateData: '          ',
    });
  });

  it('round-trips the E+ request through the terminal-side decoder', () => {
    const withData = { ...request, privateData: 'ORDER-42', delay: 'A011' as const, authorization: 'B011' as const };
    expect(decodeRequestBody(unframe(encodeRequest(withData)))).toEqual(withData);
  });
});

describe('Concert codec: LRC and framing', () => {
  it('XORs the body and ETX, not STX', () => {
    expect(lrc(ascii(''))).toBe(0x03);
    expect(lrc(ascii('A'))).toBe(0x41 ^ 0x03);
    expect(frame(ascii('AB'))).toEqual(Uint8Array.of(0x02, 0x41, 0x42, 0x03, 0x41 ^ 0x42 ^ 0x03));
  });

  it('masks the parity bit of received bytes', () => {
    const withParity = fromHex(GOLDEN_SHORT_ANSWER).map((byte, index) => (index % 2 ? byte | 0x80 : byte));
    expect(mask7(Uint8Array.of(0x85, 0x06, 0xff))).toEqual(Uint8Array.of(0x05, 0x06, 0x7f));
    expect(decodeAnswer(withParity).amount).toBe(9110);
  });

  it('skips noise before STX when scanning for the frame', () => {
    const noisy = Uint8Array.from([0x00, 0x41, 0x06, ...fromHex(GOLDEN_SHORT_ANSWER)]);
    expect(decodeAnswer(noisy).amount).toBe(9110);
  });

  it('rejects a bad LRC, naming both values', () => {
    const bytes = fromHex(GOLDEN_SHORT_ANSWER);
    bytes[bytes.length - 1] = 0x3d;
    expect(() => decodeAnswer(bytes)).toThrow(/bad LRC: received 0x3d, computed 0x3c/);
    expect(codeOf(() => decodeAnswer(bytes))).toBe('bad_lrc');
  });

  it('rejects missing STX, missing ETX and a missing LRC byte', () => {
    const bytes = fromHex(GOLDEN_SHORT_ANSWER);
    expect(codeOf(() => decodeAnswer(bytes.slice(1)))).toBe('missing_stx');
    expect(codeOf(() => decodeAnswer(bytes.slice(0, -2)))).toBe('missing_etx');
    expect(codeOf(() => decodeAnswer(bytes.slice(0, -1)))).toBe('bad_lrc');
  });
});

describe('Concert codec: rejecting malformed answers', () => {
  const shortBody = (text: string): Uint8Array => frame(ascii(text));

  it('rejects a body that is neither 25 nor 80 bytes', () => {
    const error = (() => {
      try {
        decodeAnswer(shortBody('010000012501978000000000')); // 24
      } catch (e) {
        return e as ConcertProtocolError;
      }
      return null;
    })();
    expect(error?.code).toBe('bad_length');
    expect(error?.message).toMatch(/24 bytes; a short answer is 25, a full one 80/);
    // The known bug of several open drivers: an 11-character private field makes 26 bytes.
    expect(codeOf(() => decodeAnswer(shortBody('0100000125019780000000000X')))).toBe('bad_length');
  });

  /** A valid short body ("01" "0" "00001250" "1" "978" "0000000000") with one field replaced. */
  const withField = (offset: number, value: string): Uint8Array => {
    const valid = '0100000125019780000000000';
    return shortBody(valid.slice(0, offset) + value + valid.slice(offset + value.length));
  };

  it('rejects a non-digit amount, POS number, status or currency', () => {
    expect(codeOf(() => decodeAnswer(withField(0, '')))).toBe('no error');
    expect(codeOf(() => decodeAnswer(withField(3, '0000 250')))).toBe('bad_amount');
    expect(codeOf(() => decodeAnswer(withField(3, '-0001250')))).toBe('bad_amount');
    expect(codeOf(() => decodeAnswer(withField(0, '0A')))).toBe('bad_pos_number');
    expect(codeOf(() => decodeAnswer(withField(2, 'X')))).toBe('bad_status');
    expect(codeOf(() => decodeAnswer(withField(12, '97X')))).toBe('bad_currency');
  });

  it('rejects control bytes inside the body', () => {
    const body = ascii('0100000125019780000000000');
    body[20] = 0x06;
    expect(codeOf(() => decodeAnswerBody(body))).toBe('bad_character');
  });

  it('rejects an answer for another POS, amount or currency', () => {
    const answer = decodeAnswer(fromHex(SHORT_REFUSAL));
    expect(() => checkAnswer(answer, request)).not.toThrow();
    expect(codeOf(() => checkAnswer({ ...answer, posNumber: '02' }, request))).toBe('pos_mismatch');
    expect(codeOf(() => checkAnswer({ ...answer, amount: 1251 }, request))).toBe('amount_mismatch');
    expect(codeOf(() => checkAnswer({ ...answer, currencyNumeric: '840' }, request))).toBe('currency_mismatch');
    expect(() => checkAnswer({ ...answer, amount: 125 }, request)).toThrow(
      /answer amount 125 does not match the requested 1250/,
    );
  });
});

describe('Concert codec: rejecting bad requests', () => {
  it.each([
    [{ posNumber: '00' }, /POS number/],
    [{ posNumber: '1' }, /POS number/],
    [{ amount: 0 }, /amount/],
    [{ amount: 12.5 }, /amount/],
    [{ amount: 100_000_000 }, /amount/],
    [{ currencyNumeric: 'EUR' }, /currency/],
    [{ privateData: 'ELEVEN CHAR' }, /private data/],
    [{ privateData: 'caf\u00e9' }, /private data/],
    [{ paymentMode: '12' }, /payment mode/],
  ] as const)('refuses %o', (change, message) => {
    const bad = { ...request, ...change } as ConcertRequest;
    expect(() => encodeRequest(bad)).toThrow(message);
    expect(codeOf(() => encodeRequest(bad))).toBe('invalid_request');
  });

  it('refuses requests the terminal could not parse (emulator side)', () => {
    expect(codeOf(() => decodeRequestBody(ascii('0100001250')))).toBe('bad_length');
    expect(codeOf(() => decodeRequestBody(ascii('0100001250110978          A012B010')))).toBe('invalid_request');
    expect(codeOf(() => decodeRequestBody(ascii('0100001250210978          A010B010')))).toBe('invalid_request');
  });
});

describe('Concert codec: currencies and card numbers', () => {
  it('maps ISO 4217 alphabetic and numeric codes through the shared table', () => {
    expect(currencyToNumeric('EUR')).toBe('978');
    expect(currencyToNumeric('usd')).toBe('840');
    expect(currencyToNumeric('INR')).toBe('356');
    expect(currencyToNumeric('XXX')).toBeNull();
    expect(currencyFromNumeric('978')).toBe('EUR');
    expect(currencyFromNumeric('000')).toBeNull();
  });

  it('finds the masked card number at the start of the card field', () => {
    expect(cardNumberFromField('4242424242424242'.padEnd(55))).toBe('4242424242424242');
    expect(cardNumberFromField('  5132XXXXXXXX1234 0127 more data')).toBe('5132XXXXXXXX1234');
    expect(cardNumberFromField(' '.repeat(55))).toBeNull();
    expect(cardNumberFromField('NO CARD')).toBeNull();
    expect(cardNumberFromField(null)).toBeNull();
  });
});
