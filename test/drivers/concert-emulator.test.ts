import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { createTransportPair } from '../support/memory-transport';
import { ACK, ENQ, EOT, NAK, decodeAnswer, encodeRequest, toHex } from '../../drivers/protocols/concert/codec';
import type { EmulatorEvent, EmulatorScript } from '../../drivers/protocols/concert/emulator';
import { ConcertTerminalEmulator, serveEmulator } from '../../drivers/protocols/concert/emulator';
import { probeConcert } from '../../drivers/protocols/concert/probe';
import { concertRequest } from './concert-fixtures';

const request = concertRequest({
  posNumber: '03',
  amount: 777,
  fullAnswer: false,
  currencyNumeric: '840',
  privateData: 'X',
});

/** Plays the ECR by hand against the emulator and records what the terminal sends. */
function terminal(script: Partial<EmulatorScript> = {}) {
  const clock = new FakeClock();
  const sent: Uint8Array[] = [];
  const events: EmulatorEvent[] = [];
  const emulator = new ConcertTerminalEmulator({
    clock,
    script,
    send: (bytes) => sent.push(bytes),
    onEvent: (e) => events.push(e),
  });
  const feed = (...chunks: Array<number | Uint8Array>) => {
    for (const chunk of chunks) emulator.receive(typeof chunk === 'number' ? Uint8Array.of(chunk) : chunk);
  };
  const names = () =>
    sent.map((b) =>
      b.length === 1
        ? ({ [ACK]: 'ACK', [NAK]: 'NAK', [ENQ]: 'ENQ', [EOT]: 'EOT' } as Record<number, string>)[b[0]!]
        : 'FRAME',
    );
  return { clock, sent, events, emulator, feed, names };
}

describe('Concert terminal emulator (device side)', () => {
  it('plays the terminal side of a payment: ACKs, runs the card, answers', () => {
    const t = terminal({ delayMs: 1_500 });
    t.feed(ENQ, encodeRequest(request), EOT);
    expect(t.names()).toEqual(['ACK', 'ACK']);
    expect(t.emulator.requests).toEqual([{ ...request, privateData: 'X' }]);
    t.clock.advance(1_499);
    expect(t.names()).toEqual(['ACK', 'ACK']);
    t.clock.advance(1);
    expect(t.names()).toEqual(['ACK', 'ACK', 'ENQ']);
    t.feed(ACK);
    const answer = decodeAnswer(t.sent[3]!);
    expect(answer).toMatchObject({
      posNumber: '03',
      status: '0',
      amount: 777,
      currencyNumeric: '840',
      cardField: null,
    });
    t.feed(ACK);
    expect(t.names().at(-1)).toBe('EOT');
    expect(t.events.map((e) => e.type)).toEqual(['request', 'answer_sent', 'answer_acknowledged']);
  });

  it('NAKs the first K request frames', () => {
    const t = terminal({ nakFrames: 2 });
    t.feed(ENQ, encodeRequest(request), encodeRequest(request), encodeRequest(request));
    expect(t.names()).toEqual(['ACK', 'NAK', 'NAK', 'ACK']);
  });

  it('NAKs a request with a bad LRC', () => {
    const t = terminal();
    const bad = encodeRequest(request);
    bad[bad.length - 1]! ^= 0x10;
    t.feed(ENQ, bad);
    expect(t.names()).toEqual(['ACK', 'NAK']);
    expect(t.events).toEqual([{ type: 'request_rejected', reason: 'bad LRC' }]);
  });

  it('answers at once with status 9 when the request asks A011', () => {
    const t = terminal({ delayMs: 60_000 });
    t.feed(ENQ, encodeRequest({ ...request, delay: 'A011' }), EOT);
    t.clock.advance(0);
    t.feed(ACK);
    expect(decodeAnswer(t.sent.at(-1)!).status).toBe('9');
  });

  it('never answers when told so, and stays available for the next session', () => {
    const t = terminal({ outcome: 'never' });
    t.feed(ENQ, encodeRequest(request), EOT);
    t.clock.advance(600_000);
    expect(t.names()).toEqual(['ACK', 'ACK']);
    t.feed(ENQ);
    expect(t.names()).toEqual(['ACK', 'ACK', 'ACK']);
  });

  it('sends a bad LRC first, then the good answer after the NAK', () => {
    const t = terminal({ answerFault: 'bad_lrc', badLrcCount: 1 });
    t.feed(ENQ, encodeRequest(request), EOT);
    t.clock.advance(0);
    t.feed(ACK);
    expect(() => decodeAnswer(t.sent.at(-1)!)).toThrow(/bad LRC/);
    t.feed(NAK);
    expect(decodeAnswer(t.sent.at(-1)!).status).toBe('0');
  });

  it('drops mid-answer: half a frame, then silence', () => {
    const t = terminal({ answerFault: 'drop', answerSize: 'full' });
    t.feed(ENQ, encodeRequest(request), EOT);
    t.clock.advance(0);
    t.feed(ACK);
    expect(t.sent.at(-1)).toHaveLength(41);
    t.clock.advance(60_000);
    expect(t.sent).toHaveLength(4);
  });

  it('sends noise without STX or ETX for garbage', () => {
    const t = terminal({ answerFault: 'garbage' });
    t.feed(ENQ, encodeRequest(request), EOT);
    t.clock.advance(0);
    t.feed(ACK);
    const masked = [...t.sent.at(-1)!].map((b) => b & 0x7f);
    expect(masked).not.toContain(0x02);
    expect(masked).not.toContain(0x03);
  });

  it('is a dead line when it must not answer ENQ', () => {
    const t = terminal({ respondToEnq: false });
    t.feed(ENQ, ENQ, ENQ);
    expect(t.sent).toEqual([]);
  });
});

describe('Concert probe', () => {
  function probeAgainst(script: Partial<EmulatorScript> | null) {
    const clock = new FakeClock();
    const [ecr, tpe] = createTransportPair();
    const out: string[] = [];
    const write = ecr.write.bind(ecr);
    ecr.write = (bytes) => {
      out.push(toHex(bytes));
      return write(bytes);
    };
    if (script) serveEmulator(tpe, { clock, script });
    return { clock, ecr, tpe, out, result: probeConcert(ecr, { clock, timeoutMs: 1_000 }) };
  }

  it('recognises a terminal by its ACK and closes the session with EOT', async () => {
    const p = probeAgainst({});
    const result = await p.result;
    expect(result).toMatchObject({ ok: true });
    expect(p.out).toEqual(['05', '04']);
  });

  it('gives up after its bound on a silent line, still closing with EOT', async () => {
    const p = probeAgainst(null);
    await new Promise((resolve) => setImmediate(resolve));
    p.clock.advance(1_000);
    expect(await p.result).toMatchObject({ ok: false, detail: 'no ACK to ENQ within 1000 ms' });
    expect(p.out).toEqual(['05', '04']);
    expect(p.clock.pending).toBe(0);
  });

  it('does not count a NAK as recognition', async () => {
    const p = probeAgainst(null);
    p.tpe.onData(() => void p.tpe.write(Uint8Array.of(NAK)));
    expect(await p.result).toMatchObject({ ok: false, detail: expect.stringMatching(/NAK/) });
  });

  it("does not take an ACK buried in another device's noise (0x86 masks to ACK) for a terminal", async () => {
    const p = probeAgainst(null);
    p.tpe.onData(() => void p.tpe.write(Uint8Array.of(0x7f, 0x3a, 0x86, 0x11)));
    expect(await p.result).toMatchObject({
      ok: false,
      detail: 'answered 0x7F to ENQ, not ACK: not a Concert terminal',
    });
    expect(p.out).toEqual(['05', '04']);
  });

  it('still recognises a terminal that opens its own session (ENQ) before its ACK', async () => {
    const p = probeAgainst(null);
    p.tpe.onData(() => void p.tpe.write(Uint8Array.of(ENQ, ACK)));
    expect(await p.result).toMatchObject({ ok: true });
  });

  it('reports a port that closes during the probe', async () => {
    const p = probeAgainst(null);
    p.ecr.unplug('gone');
    expect(await p.result).toMatchObject({ ok: false, detail: 'port closed during the probe: gone' });
  });
});
