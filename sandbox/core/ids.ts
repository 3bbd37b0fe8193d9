/**
 * Identifiers: UUIDv7-style ids (time-ordered, as the reference shows) and prefixed references
 * (`txn_` + 20 alphanumerics, …). Random bytes come from a pooled crypto buffer so minting an id on
 * the hot path costs no system call; the seed uses a deterministic source instead.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Prng } from '../../common/prng';

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface IdSource {
  /** A UUIDv7-style id whose first 48 bits are `nowMs`. */
  uuid(nowMs: number): string;
  /** `length` characters from [A-Za-z0-9]. */
  alnum(length: number): string;
  /** `bytes` random bytes as lower-case hex. */
  hex(bytes: number): string;
}

function uuidWithTime(nowMs: number, randomPart: string): string {
  const time = Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, '0').slice(-12);
  // randomPart is a v4 UUID: keep its random bits and variant, set the version nibble to 7.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomPart.slice(15, 18)}-${randomPart.slice(19)}`;
}

class CryptoIds implements IdSource {
  private pool = Buffer.alloc(0);
  private offset = 0;

  private byte(): number {
    if (this.offset >= this.pool.length) {
      this.pool = randomBytes(4096);
      this.offset = 0;
    }
    return this.pool[this.offset++]!;
  }

  uuid(nowMs: number): string {
    return uuidWithTime(nowMs, randomUUID());
  }

  alnum(length: number): string {
    let out = '';
    while (out.length < length) {
      const b = this.byte();
      // 248 = 4 × 62: rejecting the top bytes keeps every character equally likely.
      if (b < 248) out += ALPHANUM[b % 62];
    }
    return out;
  }

  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i++) out += this.byte().toString(16).padStart(2, '0');
    return out;
  }
}

/** Deterministic ids for the demo seed, so a new database always gets the same records. */
export class SeededIds implements IdSource {
  private readonly prng: Prng;

  constructor(seed: number) {
    this.prng = new Prng(seed);
  }

  uuid(nowMs: number): string {
    const h = this.hex(16);
    const v4 = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.prng.int(4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    return uuidWithTime(nowMs, v4);
  }

  alnum(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += ALPHANUM[this.prng.int(62)];
    return out;
  }

  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i++) out += this.prng.int(256).toString(16).padStart(2, '0');
    return out;
  }
}

export const cryptoIds: IdSource = new CryptoIds();

export const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
