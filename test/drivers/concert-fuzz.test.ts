import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import {
  ACK,
  ENQ,
  EOT,
  ETX,
  NAK,
  STX,
  ConcertProtocolError,
  checkAnswer,
  decodeAnswer,
  encodeAnswer,
  encodeRequestBody,
  lrc,
} from '../../drivers/protocols/concert/codec';
import type { LinkEvent } from '../../drivers/protocols/concert/link';
import { ConcertLink } from '../../drivers/protocols/concert/link';
import { concertReaderInfo } from '../../drivers/protocols/concert/driver';
import { ConcertReader } from '../../drivers/protocols/concert/reader';
import type { CardOutcome, Transport, Unsubscribe } from '../../drivers/types';
import { concertRequest } from './concert-fixtures';

const APPROVAL = encodeAnswer({
  posNumber: '01',
  status: '0',
  amount: 1250,
  paymentMode: '1',
  cardField: '4242XXXXXXXX4242',
  currencyNumeric: '978',
  privateData: 'AUTH01',
});
const APPROVAL_BODY = APPROVAL.slice(1, -2);

const request = concertRequest();

/** Byte-level mutations of a valid frame: flip 7-bit values, insert, delete, truncate. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 0x7f }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = [...bytes];
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === 'flip') out[at] = out[at]! ^ m.mask;
    else if (m.kind === 'insert') out.splice(at, 0, m.value);
    else if (m.kind === 'delete') out.splice(at, 1);
    else out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

/**
 * The oracle, written independently of the codec: an approval may only come from a stream
 * that carries STX + the exact approval body + ETX + its LRC, once parity bits are masked.
 */
function carriesIntactApproval(stream: Uint8Array): boolean {
  const masked = Array.from(stream, (b) => b & 0x7f);
  const wanted = [STX, ...APPROVAL_BODY, ETX, lrc(APPROVAL_BODY)];
  outer: for (let i = 0; i + wanted.length <= masked.length; i++) {
    for (let j = 0; j < wanted.length; j++) if (masked[i + j] !== wanted[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * The approval body's fields that decide an outcome (POS number, status, amount, currency): not the
 * payment mode (the one the terminal actually used, whatever was asked), the card field or the
 * private data (the auth code), which the reader reports as the terminal sent them.
 */
const BODY_TEXT = String.fromCharCode(...APPROVAL_BODY);
const FREE_TEXT = [
  { start: BODY_TEXT.indexOf('4242') - 1, end: BODY_TEXT.indexOf('978') }, // the payment mode, the card field
  { start: BODY_TEXT.indexOf('AUTH01'), end: BODY_TEXT.length }, // the private data (auth code)
];
const decides = (position: number) => !FREE_TEXT.some((f) => position >= f.start && position < f.end);

/**
 * The oracle, written independently of the codec: an approval may only come from a frame in the
 * bytes the reader was sent (the answer and the terminal's EOT after it) — STX, a body of the
 * approval's length, ETX and that body's LRC, once parity bits are masked — whose deciding fields
 * are the approval's. The others may differ: the LRC (an XOR) cannot tell a corruption that keeps
 * it from the terminal's own bytes, so such a frame is an approval as far as any reader can know (a
 * garbled card is reported as no card). The terminal's EOT can even complete a frame whose LRC
 * byte was cut, when the corruption makes 0x04 its LRC.
 */
function carriesApprovalFrame(stream: Uint8Array): boolean {
  const masked = Array.from(stream, (b) => b & 0x7f);
  const length = APPROVAL_BODY.length;
  for (let i = 0; i + length + 2 < masked.length; i++) {
    if (masked[i] !== STX || masked[i + 1 + length] !== ETX) continue;
    const body = Uint8Array.from(masked.slice(i + 1, i + 1 + length));
    if (masked[i + 2 + length] !== lrc(body)) continue;
    if (body.every((byte, k) => !decides(k) || byte === APPROVAL_BODY[k])) return true;
  }
  return false;
}

describe('Concert decoder under fuzzing', () => {
  it('never throws anything but a ConcertProtocolError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const answer = decodeAnswer(bytes);
          expect(answer.posNumber).toMatch(/^\d\d$/);
          expect(answer.status).toMatch(/^\d$/);
          expect(Number.isSafeInteger(answer.amount)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ConcertProtocolError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('rejects every single-byte corruption of a valid frame (7-bit values)', () => {
    fc.assert(
      fc.property(fc.nat({ max: APPROVAL.length - 1 }), fc.integer({ min: 1, max: 0x7f }), (at, mask) => {
        const bytes = APPROVAL.slice();
        bytes[at] = bytes[at]! ^ mask;
        expect(() => decodeAnswer(bytes)).toThrow(ConcertProtocolError);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never accepts an approval with one corruption of any kind unless the approval is still intact', () => {
    fc.assert(
      fc.property(mutation, (single) => {
        const bytes = mutate(APPROVAL, [single]);
        let accepted = false;
        try {
          const answer = decodeAnswer(bytes);
          checkAnswer(answer, request);
          accepted = answer.status === '0';
        } catch (error) {
          expect(error).toBeInstanceOf(ConcertProtocolError);
        }
        if (accepted) expect(carriesIntactApproval(bytes)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  /**
   * Several corruptions can cancel out in an XOR checksum (two bytes flipped by the same bits): no
   * decoder can see those, on this protocol. This pins down that nothing else gets through: a
   * multiply-corrupted approval is accepted only when the corruption is invisible to the LRC
   * (computed here from the mutations, independently of the codec) or leaves the frame intact.
   */
  it('accepts a multiply-corrupted approval only when the LRC cannot see the corruption', () => {
    const flip = fc.record({ at: fc.nat({ max: APPROVAL.length - 1 }), mask: fc.integer({ min: 1, max: 0x7f }) });
    fc.assert(
      fc.property(fc.array(flip, { minLength: 2, maxLength: 6 }), (flips) => {
        const net = new Array<number>(APPROVAL.length).fill(0);
        for (const f of flips) net[f.at] = net[f.at]! ^ f.mask;
        const bytes = APPROVAL.map((b, i) => b ^ net[i]!);
        let accepted = false;
        try {
          const answer = decodeAnswer(bytes);
          checkAnswer(answer, request);
          accepted = answer.status === '0';
        } catch (error) {
          expect(error).toBeInstanceOf(ConcertProtocolError);
        }
        if (!accepted || net.every((m) => m === 0)) return;
        const last = APPROVAL.length - 1;
        const framingIntact = net[0] === 0 && net[last - 1] === 0;
        const bodyDelta = net.slice(1, last).reduce((x, m) => x ^ m, 0);
        expect(framingIntact && bodyDelta === net[last]).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('Concert link under fuzzing', () => {
  it('ends exactly once, within its bounds, whatever the terminal sends at any point', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 30 }),
        fc.array(fc.nat({ max: 5_000 }), { maxLength: 30 }),
        (chunks, gaps) => {
          const clock = new FakeClock();
          const ends: LinkEvent[] = [];
          const link = new ConcertLink({
            clock,
            send: () => undefined,
            onEvent: (event) => {
              if (event.type === 'answer' || event.type === 'failed' || event.type === 'canceled') ends.push(event);
            },
          });
          link.start(encodeRequestBody(request));
          chunks.forEach((chunk, i) => {
            link.receive(chunk);
            clock.advance(gaps[i] ?? 0);
          });
          // Longest possible exchange: session attempts + resends + a late ACK + answer wait + answer
          // sessions reopened + answer NAKs + EOT.
          clock.advance(11_000 + 4 * 3_000 + 1_000 + 120_000 + 2 * (3_000 + 4_000) + 4 * 3_000 + 3_000);
          expect(ends).toHaveLength(1);
          expect(link.state).toBe('done');
          expect(clock.pending).toBe(0);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

/**
 * A terminal that does the session dance correctly and then answers with the given bytes: the
 * reader sees the fuzzed answer through its real link and codec. By default its answer session is
 * ENQ, the answer's chunks, EOT; `session` gives that whole stream instead, cut where the test
 * likes, and `unplugAfter` pulls the cable once that many bytes of it are out.
 */
class ScriptedTerminal implements Transport {
  isOpen = true;
  private readonly data = new Set<(chunk: Uint8Array) => void>();
  private readonly closes = new Set<(error?: Error) => void>();
  private state: 'session' | 'frame' | 'eot' | 'done' = 'session';

  constructor(
    private readonly answer: readonly Uint8Array[],
    private readonly options: { session?: readonly Uint8Array[]; unplugAfter?: number } = {},
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) throw new Error('port closed');
    const first = bytes[0];
    if (this.state === 'session' && first === ENQ) {
      this.state = 'frame';
      this.reply([Uint8Array.of(ACK)]);
    } else if (this.state === 'frame' && first === STX) {
      this.state = 'eot';
      this.reply([Uint8Array.of(ACK)]);
    } else if (this.state === 'eot' && first === EOT) {
      this.state = 'done';
      this.reply(this.options.session ?? [Uint8Array.of(ENQ), ...this.answer, Uint8Array.of(EOT)]);
    }
  }

  private reply(chunks: readonly Uint8Array[]): void {
    queueMicrotask(() => {
      let left = this.state === 'done' ? this.options.unplugAfter : undefined;
      for (const chunk of chunks) {
        const part = left === undefined ? chunk : chunk.subarray(0, left);
        if (left !== undefined) left -= part.length;
        if (part.length > 0) for (const listener of [...this.data]) listener(part);
        if (left === 0) {
          this.isOpen = false;
          for (const listener of [...this.closes]) listener(new Error('device unplugged'));
          return;
        }
      }
    });
  }

  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    this.data.add(listener);
    return () => this.data.delete(listener);
  }

  onClose(listener: (error?: Error) => void): Unsubscribe {
    this.closes.add(listener);
    return () => this.closes.delete(listener);
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }
}

async function collectAgainst(
  answer: readonly Uint8Array[],
  options: ConstructorParameters<typeof ScriptedTerminal>[1] = {},
): Promise<CardOutcome> {
  const clock = new FakeClock();
  const reader = new ConcertReader({
    transport: new ScriptedTerminal(answer, options),
    info: concertReaderInfo({ id: 'serial:/dev/fuzz', foundBy: 'serial', path: '/dev/fuzz' }),
    clock,
    timings: { answerTimeoutMs: 1_000 },
  });
  let outcome: CardOutcome | undefined;
  const promise = reader.collect({ amount: 1250, currency: 'EUR', reference: 'fuzz' }).then((o) => (outcome = o));
  for (let i = 0; i < 200 && outcome === undefined; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    clock.advance(100);
  }
  await promise;
  return outcome!;
}

describe('ConcertReader under fuzzing', () => {
  it('approves the intact approval (the harness itself works)', async () => {
    expect(await collectAgainst([APPROVAL])).toMatchObject({
      kind: 'approved',
      card: { brand: 'visa', last4: '4242' },
    });
  });

  it('never approves from random bytes or a mutated approval; always ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(fc.uint8Array({ minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 4 }),
          fc.array(mutation, { minLength: 1, maxLength: 4 }).map((mutations) => [mutate(APPROVAL, mutations)]),
        ),
        async (chunks) => {
          const outcome = await collectAgainst(chunks);
          expect(outcome).toBeDefined();
          const stream = Uint8Array.from([...chunks.flatMap((chunk) => [...chunk]), EOT]);
          if (outcome.kind === 'approved') expect(carriesApprovalFrame(stream)).toBe(true);
          // The request was acknowledged: anything but a clean answer must be 'unknown', never 'failed'.
          expect(['approved', 'declined', 'unknown']).toContain(outcome.kind);
        },
      ),
      { numRuns: 300 },
    );
  });

  /** The terminal's whole answer session: ENQ, the approval frame, EOT. */
  const SESSION = Uint8Array.from([ENQ, ...APPROVAL, EOT]);

  it('approves however the answer session is cut: at every boundary, and in random pieces', async () => {
    for (let at = 1; at < SESSION.length; at++) {
      const outcome = await collectAgainst([], { session: [SESSION.subarray(0, at), SESSION.subarray(at)] });
      expect({ at, outcome }).toMatchObject({ at, outcome: { kind: 'approved', card: { last4: '4242' } } });
    }
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: SESSION.length - 1 }), { maxLength: SESSION.length }),
        async (cuts) => {
          const points = [0, ...[...cuts].sort((a, b) => a - b), SESSION.length];
          const pieces = points.slice(1).map((end, i) => SESSION.subarray(points[i], end));
          expect(await collectAgainst([], { session: pieces })).toMatchObject({ kind: 'approved' });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a terminal unplugged at any byte of its answer: unknown (it may have charged), never approved or failed', async () => {
    for (let sent = 0; sent < SESSION.length - 1; sent++) {
      const outcome = await collectAgainst([], { session: [SESSION], unplugAfter: sent });
      expect({ sent, kind: outcome.kind }).toEqual({ sent, kind: 'unknown' });
    }
  });

  it('a NAK storm where the answer is due: unknown, never approved or failed, and it ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 400 }), fc.boolean(), async (naks, thenAnswer) => {
        const storm = new Uint8Array(naks).fill(NAK);
        const session = thenAnswer ? [storm, SESSION] : [storm];
        const outcome = await collectAgainst([], { session });
        // The request was acknowledged: only an intact answer may approve.
        expect(outcome.kind).toBe(thenAnswer && outcome.kind === 'approved' ? 'approved' : 'unknown');
      }),
      { numRuns: 100 },
    );
  });
});
