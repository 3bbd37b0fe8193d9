/**
 * Concert V2 (protocols E and E+) frame codec: pure functions from values to bytes and back.
 * Byte-level facts: docs/readers.md#concert-v2-the-protocol-facts-the-driver-relies-on. Every decoder rejects with a ConcertProtocolError whose
 * code says exactly what was wrong, so a bad frame can never be mistaken for an answer.
 */
import { currencyByCode, currencyByNumeric } from '../../../common/currencies';

export const STX = 0x02;
export const ETX = 0x03;
export const EOT = 0x04;
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;

/** Body lengths (between STX and ETX). Frames add STX, ETX and LRC: 37/29 requests, 83/28 answers. */
export const REQUEST_BODY_LENGTH = { E: 26, 'E+': 34 } as const;
export const ANSWER_BODY_LENGTH = { short: 25, full: 80 } as const;
export const CARD_FIELD_LENGTH = 55;
export const PRIVATE_DATA_LENGTH = 10;
/** The amount field is 8 digits of minor units. */
export const CONCERT_MAX_AMOUNT = 99_999_999;

export type ConcertErrorCode =
  | 'invalid_request'
  | 'missing_stx'
  | 'missing_etx'
  | 'bad_lrc'
  | 'bad_length'
  | 'bad_character'
  | 'bad_pos_number'
  | 'bad_status'
  | 'bad_amount'
  | 'bad_currency'
  | 'pos_mismatch'
  | 'amount_mismatch'
  | 'currency_mismatch';

export class ConcertProtocolError extends Error {
  constructor(
    readonly code: ConcertErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConcertProtocolError';
  }
}

export type ConcertVariant = 'E' | 'E+';
/** `A010`: answer when the card transaction ends; `A011`: answer at once (status 9, "request handled"). */
export type ConcertDelay = 'A010' | 'A011';
/** `B010`: the terminal decides whether to go online; `B011`: force online authorisation. */
export type ConcertAuthorization = 'B010' | 'B011';

export interface ConcertRequest {
  readonly variant: ConcertVariant;
  /** Two digits, `01`–`99`. */
  readonly posNumber: string;
  /** Minor units, 0 < amount ≤ 99 999 999. */
  readonly amount: number;
  /** true: the answer carries the 55-character card field. */
  readonly fullAnswer: boolean;
  /** One character: `1` card, `C` cheque. */
  readonly paymentMode: string;
  /** One character: `0` purchase. */
  readonly transactionType: string;
  /** ISO 4217 numeric, three digits. */
  readonly currencyNumeric: string;
  /** Up to 10 printable ASCII characters, space-padded on the wire. */
  readonly privateData: string;
  /** E+ only. */
  readonly delay: ConcertDelay;
  /** E+ only. */
  readonly authorization: ConcertAuthorization;
}

export type AnswerSize = 'short' | 'full';

export interface ConcertAnswer {
  readonly posNumber: string;
  /** `0` accepted, `7` refused / not completed, `9` request handled (answer to A011). */
  readonly status: string;
  readonly amount: number;
  readonly paymentMode: string;
  /** The 55-character card field of a full answer (space-padded), null in a short answer. */
  readonly cardField: string | null;
  readonly currencyNumeric: string;
  readonly privateData: string;
}

/** Masks the parity bit: on USB-CDC and ptys nothing strips it, and the protocol is 7-bit ASCII. */
export function mask7(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! & 0x7f;
  return out;
}

/** XOR of every body byte and the ETX (STX excluded). */
export function lrc(body: Uint8Array): number {
  let value = ETX;
  for (const byte of body) value ^= byte;
  return value;
}

/** STX body ETX LRC. */
export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 3);
  out[0] = STX;
  out.set(body, 1);
  out[body.length + 1] = ETX;
  out[body.length + 2] = lrc(body);
  return out;
}

/**
 * Finds the first complete frame in bytes (masked to 7 bits): skips anything before STX, scans
 * for ETX, checks the LRC that follows. Returns the body.
 */
export function unframe(bytes: Uint8Array): Uint8Array {
  const masked = mask7(bytes);
  const start = masked.indexOf(STX);
  if (start < 0) throw new ConcertProtocolError('missing_stx', 'no STX in the received bytes');
  const end = masked.indexOf(ETX, start + 1);
  if (end < 0) throw new ConcertProtocolError('missing_etx', 'no ETX after STX');
  if (end + 1 >= masked.length) throw new ConcertProtocolError('bad_lrc', 'frame ends at ETX without an LRC byte');
  const body = masked.slice(start + 1, end);
  const expected = lrc(body);
  const received = masked[end + 1]!;
  if (received !== expected) {
    throw new ConcertProtocolError('bad_lrc', `bad LRC: received 0x${hex(received)}, computed 0x${hex(expected)}`);
  }
  return body;
}

const ascii = new TextEncoder();

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

function isPrintable(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

function requireField(ok: boolean, message: string): void {
  if (!ok) throw new ConcertProtocolError('invalid_request', message);
}

/** Validates and serialises a request body (without STX/ETX/LRC). */
export function encodeRequestBody(request: ConcertRequest): Uint8Array {
  requireField(
    /^(0[1-9]|[1-9]\d)$/.test(request.posNumber),
    `POS number must be two digits 01-99, got "${request.posNumber}"`,
  );
  requireField(
    Number.isSafeInteger(request.amount) && request.amount > 0 && request.amount <= CONCERT_MAX_AMOUNT,
    `amount must be an integer of minor units between 1 and ${CONCERT_MAX_AMOUNT}, got ${request.amount}`,
  );
  requireField(
    /^[\x20-\x7e]$/.test(request.paymentMode),
    `payment mode must be one character, got "${request.paymentMode}"`,
  );
  requireField(
    /^[\x20-\x7e]$/.test(request.transactionType),
    `transaction type must be one character, got "${request.transactionType}"`,
  );
  requireField(
    /^\d{3}$/.test(request.currencyNumeric),
    `currency must be an ISO 4217 numeric code, got "${request.currencyNumeric}"`,
  );
  requireField(
    request.privateData.length <= PRIVATE_DATA_LENGTH && isPrintable(request.privateData),
    `private data must be at most ${PRIVATE_DATA_LENGTH} printable ASCII characters, got "${request.privateData}"`,
  );
  let text =
    request.posNumber +
    String(request.amount).padStart(8, '0') +
    (request.fullAnswer ? '1' : '0') +
    request.paymentMode +
    request.transactionType +
    request.currencyNumeric +
    request.privateData.padEnd(PRIVATE_DATA_LENGTH, ' ');
  if (request.variant === 'E+') {
    requireField(
      request.delay === 'A010' || request.delay === 'A011',
      `delay must be A010 or A011, got "${request.delay}"`,
    );
    requireField(
      request.authorization === 'B010' || request.authorization === 'B011',
      `authorisation must be B010 or B011, got "${request.authorization}"`,
    );
    text += request.delay + request.authorization;
  } else {
    requireField(request.variant === 'E', `variant must be E or E+, got "${String(request.variant)}"`);
  }
  return ascii.encode(text);
}

/** A complete request frame, ready for the wire. */
export function encodeRequest(request: ConcertRequest): Uint8Array {
  return frame(encodeRequestBody(request));
}

function text(body: Uint8Array): string {
  // Bodies are already masked to 7 bits, so every byte is one ASCII character. (No spread:
  // a fuzzed body can be longer than the argument limit.)
  let out = '';
  for (const byte of body) out += String.fromCharCode(byte);
  return out;
}

function checkCharacters(body: string): void {
  const bad = /[^\x20-\x7e]/.exec(body);
  if (bad) {
    const code = bad[0].charCodeAt(0);
    throw new ConcertProtocolError('bad_character', `control byte 0x${hex(code)} at offset ${bad.index} of the body`);
  }
}

function digits(field: string, length: number, code: ConcertErrorCode, name: string): string {
  if (field.length !== length || !/^\d+$/.test(field)) {
    throw new ConcertProtocolError(code, `${name} must be ${length} digits, got "${field}"`);
  }
  return field;
}

/** Decodes a request body (the terminal's side: used by the emulator). */
export function decodeRequestBody(body: Uint8Array): ConcertRequest {
  const value = text(mask7(body));
  let variant: ConcertVariant;
  if (value.length === REQUEST_BODY_LENGTH['E+']) variant = 'E+';
  else if (value.length === REQUEST_BODY_LENGTH.E) variant = 'E';
  else {
    throw new ConcertProtocolError(
      'bad_length',
      `request body is ${value.length} bytes; E is ${REQUEST_BODY_LENGTH.E}, E+ is ${REQUEST_BODY_LENGTH['E+']}`,
    );
  }
  checkCharacters(value);
  const posNumber = digits(value.slice(0, 2), 2, 'bad_pos_number', 'POS number');
  const amount = Number(digits(value.slice(2, 10), 8, 'bad_amount', 'amount'));
  const answerFlag = value[10];
  if (answerFlag !== '0' && answerFlag !== '1') {
    throw new ConcertProtocolError('invalid_request', `answer flag must be 0 or 1, got "${answerFlag}"`);
  }
  const currencyNumeric = digits(value.slice(13, 16), 3, 'bad_currency', 'currency');
  let delay: ConcertDelay = 'A010';
  let authorization: ConcertAuthorization = 'B010';
  if (variant === 'E+') {
    const delayField = value.slice(26, 30);
    const authField = value.slice(30, 34);
    if (delayField !== 'A010' && delayField !== 'A011')
      throw new ConcertProtocolError('invalid_request', `delay must be A010 or A011, got "${delayField}"`);
    if (authField !== 'B010' && authField !== 'B011')
      throw new ConcertProtocolError('invalid_request', `authorisation must be B010 or B011, got "${authField}"`);
    delay = delayField;
    authorization = authField;
  }
  return {
    variant,
    posNumber,
    amount,
    fullAnswer: answerFlag === '1',
    paymentMode: value[11]!,
    transactionType: value[12]!,
    currencyNumeric,
    privateData: value.slice(16, 26).trimEnd(),
    delay,
    authorization,
  };
}

/** Serialises an answer body (the terminal's side: used by the emulator). */
export function encodeAnswerBody(answer: ConcertAnswer): Uint8Array {
  const fields =
    answer.posNumber.padStart(2, '0').slice(0, 2) +
    answer.status.slice(0, 1) +
    String(answer.amount).padStart(8, '0').slice(-8) +
    answer.paymentMode.slice(0, 1) +
    (answer.cardField === null ? '' : answer.cardField.padEnd(CARD_FIELD_LENGTH, ' ').slice(0, CARD_FIELD_LENGTH)) +
    answer.currencyNumeric.padStart(3, '0').slice(0, 3) +
    answer.privateData.padEnd(PRIVATE_DATA_LENGTH, ' ').slice(0, PRIVATE_DATA_LENGTH);
  return ascii.encode(fields);
}

export function encodeAnswer(answer: ConcertAnswer): Uint8Array {
  return frame(encodeAnswerBody(answer));
}

/**
 * Decodes an answer body (short or full, told apart by length). Structural checks only;
 * checkAnswer() compares it with the request.
 */
export function decodeAnswerBody(body: Uint8Array): ConcertAnswer {
  const value = text(mask7(body));
  let size: AnswerSize;
  if (value.length === ANSWER_BODY_LENGTH.short) size = 'short';
  else if (value.length === ANSWER_BODY_LENGTH.full) size = 'full';
  else {
    throw new ConcertProtocolError(
      'bad_length',
      `answer body is ${value.length} bytes; a short answer is ${ANSWER_BODY_LENGTH.short}, a full one ${ANSWER_BODY_LENGTH.full}`,
    );
  }
  checkCharacters(value);
  const posNumber = digits(value.slice(0, 2), 2, 'bad_pos_number', 'POS number');
  const status = value[2]!;
  if (!/^\d$/.test(status)) throw new ConcertProtocolError('bad_status', `status must be one digit, got "${status}"`);
  const amount = Number(digits(value.slice(3, 11), 8, 'bad_amount', 'amount'));
  const paymentMode = value[11]!;
  const tail = size === 'full' ? 12 + CARD_FIELD_LENGTH : 12;
  const cardField = size === 'full' ? value.slice(12, tail) : null;
  const currencyNumeric = digits(value.slice(tail, tail + 3), 3, 'bad_currency', 'currency');
  const privateData = value.slice(tail + 3, tail + 3 + PRIVATE_DATA_LENGTH);
  return { posNumber, status, amount, paymentMode, cardField, currencyNumeric, privateData };
}

/** Decodes a whole answer frame: finds STX…ETX, checks the LRC, decodes the body. */
export function decodeAnswer(bytes: Uint8Array): ConcertAnswer {
  return decodeAnswerBody(unframe(bytes));
}

/** Rejects an answer that does not belong to the request: another POS, amount or currency. */
export function checkAnswer(
  answer: ConcertAnswer,
  request: Pick<ConcertRequest, 'posNumber' | 'amount' | 'currencyNumeric'>,
): void {
  if (answer.posNumber !== request.posNumber) {
    throw new ConcertProtocolError(
      'pos_mismatch',
      `answer is for POS ${answer.posNumber}, the request was from POS ${request.posNumber}`,
    );
  }
  if (answer.amount !== request.amount) {
    throw new ConcertProtocolError(
      'amount_mismatch',
      `answer amount ${answer.amount} does not match the requested ${request.amount}`,
    );
  }
  if (answer.currencyNumeric !== request.currencyNumeric) {
    throw new ConcertProtocolError(
      'currency_mismatch',
      `answer currency ${answer.currencyNumeric} does not match the requested ${request.currencyNumeric}`,
    );
  }
}

/** ISO 4217 alphabetic → the numeric code Concert sends; null when the table does not know it. */
export function currencyToNumeric(code: string): string | null {
  return currencyByCode(code)?.numeric ?? null;
}

/** ISO 4217 numeric → alphabetic; null when unknown. */
export function currencyFromNumeric(numeric: string): string | null {
  return currencyByNumeric(numeric)?.code ?? null;
}

/** Card number as it appears at the start of the card field (masked digits), when there is one. */
export function cardNumberFromField(cardField: string | null): string | null {
  if (cardField === null) return null;
  const match = /^\s*([0-9][0-9*Xx#]{7,18}[0-9]{4})(?![0-9*Xx#])/.exec(cardField);
  return match ? match[1]! : null;
}

/** Renders bytes as a hex trace ("02 30 31 …") for logs and errors. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, hex).join(' ');
}

export function fromHex(trace: string): Uint8Array {
  const parts = trace.trim().split(/\s+/).filter(Boolean);
  return Uint8Array.from(parts.map((part) => Number.parseInt(part, 16)));
}
