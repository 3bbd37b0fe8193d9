/** Wire time and the pacing of figure 2, on a fake clock (no real time, no pty). */
import { describe, expect, it } from 'vitest';
import { CONCERT_LINE } from '../../drivers/serial/transport';
import type { Transport } from '../../drivers/types';
import { EXPECTED_BYTES, thinkTime } from './fig2-concert';
import {
  PacedLine,
  PacedTransport,
  bitsPerCharacter,
  characterTimeMs,
  concertExchangeBytes,
  wireTimeMs,
  type PacingClock,
} from './wire';

/** A clock that only moves when told to; wake-ups run in due order. */
class StepClock implements PacingClock {
  t = 0;
  private readonly queue: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): void {
    this.queue.push({ at: this.t + Math.max(1, ms), fn });
  }
  soon(fn: () => void): void {
    // A turn of the loop costs 0.01 ms here.
    this.queue.push({ at: this.t + 0.01, fn });
  }
  /** Runs wake-ups until `until`. */
  run(until: number): void {
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > until) break;
      this.queue.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = until;
  }
}

describe('serial wire time', () => {
  it('counts start, data, parity and stop bits', () => {
    expect(bitsPerCharacter(CONCERT_LINE)).toBe(10); // 7E1
    expect(bitsPerCharacter({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 })).toBe(10);
    expect(bitsPerCharacter({ baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 2 })).toBe(12);
    expect(bitsPerCharacter({ baudRate: 9600, dataBits: 5, parity: 'none', stopBits: 1.5 })).toBe(7.5);
  });

  it('one 7E1 character at 9600 baud takes 10/9600 s', () => {
    expect(characterTimeMs(CONCERT_LINE)).toBeCloseTo(1.041667, 6);
    expect(wireTimeMs(128, CONCERT_LINE)).toBeCloseTo(133.3333, 4);
    expect(wireTimeMs(0, CONCERT_LINE)).toBe(0);
    expect(() => wireTimeMs(-1, CONCERT_LINE)).toThrow(RangeError);
    expect(() => wireTimeMs(1.5, CONCERT_LINE)).toThrow(RangeError);
    expect(() => characterTimeMs({ ...CONCERT_LINE, baudRate: 0 })).toThrow(RangeError);
  });

  it('a clean Concert E+ exchange with a full answer is 128 bytes, control bytes included', () => {
    // ECR: ENQ, STX+34+ETX+LRC, EOT, ACK, ACK = 41; terminal: ACK, ACK, ENQ, STX+80+ETX+LRC, EOT = 87.
    expect(concertExchangeBytes(34, 80)).toEqual({ ecrToTerminal: 41, terminalToEcr: 87, total: 128 });
    expect(EXPECTED_BYTES).toBe(128);
    // The E request and a short answer (frame sizes from the reference: 28-byte short answer frame).
    expect(concertExchangeBytes(26, 25).total).toBe(26 + 7 + 25 + 7);
  });

  it("the driver's think time sums each reply's delay after what it answers", () => {
    expect(
      thinkTime([
        { at: 0, direction: 'out' },
        { at: 2, direction: 'in' },
        { at: 2.5, direction: 'out' },
        { at: 3, direction: 'out' },
        { at: 10, direction: 'in' },
        { at: 11, direction: 'in' },
        { at: 11.25, direction: 'out' },
      ]),
    ).toBeCloseTo(0.75, 10);
    expect(thinkTime([])).toBe(0);
  });
});

describe('PacedLine', () => {
  const T = characterTimeMs(CONCERT_LINE);

  it('delivers each byte when its last bit has arrived, never before, in order', () => {
    const clock = new StepClock();
    const delivered: { at: number; bytes: number[] }[] = [];
    const line = new PacedLine(T, (chunk) => delivered.push({ at: clock.now(), bytes: [...chunk] }), clock);
    line.send(Uint8Array.of(1, 2, 3));
    clock.run(T - 0.001);
    expect(delivered).toEqual([]);
    clock.run(10);
    expect(delivered.flatMap((d) => d.bytes)).toEqual([1, 2, 3]);
    // The last byte is due at 3T; it came out within one loop turn of it.
    const last = delivered[delivered.length - 1]!;
    expect(last.at).toBeGreaterThanOrEqual(3 * T);
    expect(last.at).toBeLessThan(3 * T + 0.05);
    // No chunk comes out before its last byte is due (byte k is due at k·T).
    for (const d of delivered) expect(d.at).toBeGreaterThanOrEqual(d.bytes[d.bytes.length - 1]! * T - 1e-9);
    expect(line.bytes).toBe(3);
    expect(line.lateness.bursts).toBe(1);
    expect(line.lateness.max).toBeLessThan(0.05);
  });

  it('a byte written while the wire is busy waits for it; an idle wire starts at once', () => {
    const clock = new StepClock();
    const times: number[] = [];
    const line = new PacedLine(T, (chunk) => chunk.forEach(() => times.push(clock.now())), clock);
    line.send(Uint8Array.of(0x41, 0x42)); // busy until 2T
    clock.run(T / 2);
    line.send(Uint8Array.of(0x43)); // queued behind: due 3T, not T/2 + T
    expect(line.idleAt).toBeCloseTo(3 * T, 9);
    clock.run(20);
    expect(times[2]).toBeGreaterThanOrEqual(3 * T);
    expect(times[2]).toBeLessThan(3 * T + 0.05);
    clock.run(100);
    line.send(Uint8Array.of(0x44)); // idle since: due 100 + T
    clock.run(110);
    expect(times[3]).toBeGreaterThanOrEqual(100 + T);
    expect(times[3]).toBeLessThan(100 + T + 0.05);
  });

  it('a long frame takes its wire time end to end', () => {
    const clock = new StepClock();
    let lastAt = 0;
    let count = 0;
    const line = new PacedLine(
      T,
      (chunk) => {
        count += chunk.length;
        lastAt = clock.now();
      },
      clock,
    );
    line.send(new Uint8Array(83));
    clock.run(200);
    expect(count).toBe(83);
    expect(lastAt).toBeGreaterThanOrEqual(wireTimeMs(83, CONCERT_LINE));
    expect(lastAt).toBeLessThan(wireTimeMs(83, CONCERT_LINE) + 0.05);
  });

  it('delivers nothing after close', () => {
    const clock = new StepClock();
    const delivered: number[] = [];
    const line = new PacedLine(T, (chunk) => delivered.push(...chunk), clock);
    line.send(Uint8Array.of(1, 2));
    line.close();
    clock.run(10);
    line.send(Uint8Array.of(3));
    clock.run(20);
    expect(delivered).toEqual([]);
  });
});

describe('PacedTransport', () => {
  function fakeTransport() {
    const written: number[] = [];
    const dataListeners = new Set<(chunk: Uint8Array) => void>();
    const transport: Transport = {
      isOpen: true,
      write: async (bytes) => {
        written.push(...bytes);
      },
      onData: (listener) => {
        dataListeners.add(listener);
        return () => dataListeners.delete(listener);
      },
      onClose: () => () => undefined,
      close: async () => undefined,
    };
    return {
      transport,
      written,
      receive: (bytes: number[]) => dataListeners.forEach((l) => l(Uint8Array.from(bytes))),
    };
  }

  it('paces both directions and counts every byte each way', async () => {
    const clock = new StepClock();
    const inner = fakeTransport();
    const paced = new PacedTransport(inner.transport, CONCERT_LINE, clock);
    const heard: number[] = [];
    paced.onData((chunk) => heard.push(...chunk));
    await paced.write(Uint8Array.of(0x06));
    inner.receive([0x05, 0x04]);
    expect(inner.written).toEqual([]);
    expect(heard).toEqual([]);
    clock.run(5);
    expect(inner.written).toEqual([0x06]);
    expect(heard).toEqual([0x05, 0x04]);
    expect(paced.bytes).toEqual({ fromTerminal: 1, toTerminal: 2 });
  });
});
