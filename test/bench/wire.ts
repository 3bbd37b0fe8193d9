/**
 * Serial wire time, and a transport that makes a pty behave like a real serial line.
 *
 * On a pty every byte arrives at once (baud rate and parity are not emulated), so figure 2 puts
 * the pacing on the terminal-emulator side, in both directions, as a real 9600 7E1 line would:
 *  - bytes the terminal sends leave one at a time, each taking one character time on the wire,
 *    and reach the ECR when their stop bit would have;
 *  - bytes the ECR sends (which cross the pty at once) are handed to the terminal when they
 *    would have finished arriving on a line that started carrying them when they were written.
 * Each direction is a separate wire (RS-232 is full duplex); a byte waits for the wire to be free.
 */
import type { Transport, Unsubscribe } from '../../drivers/types';

export interface LineSettings {
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
}

/** Start bit + data bits + parity bit (if any) + stop bits: 10 for 7E1 and for 8N1. */
export function bitsPerCharacter(line: LineSettings): number {
  return 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
}

/** Milliseconds one character occupies the wire. */
export function characterTimeMs(line: LineSettings): number {
  if (!(line.baudRate > 0)) throw new RangeError(`baud rate must be positive, got ${line.baudRate}`);
  return (bitsPerCharacter(line) / line.baudRate) * 1000;
}

/** Wire time of `bytes` characters sent back to back. */
export function wireTimeMs(bytes: number, line: LineSettings): number {
  if (!Number.isInteger(bytes) || bytes < 0)
    throw new RangeError(`byte count must be a non-negative integer, got ${bytes}`);
  return bytes * characterTimeMs(line);
}

/**
 * Bytes of one clean Concert exchange (no NAK, no retry), each direction:
 *   ECR → terminal: ENQ, STX request ETX LRC, EOT, ACK (to the terminal's ENQ), ACK (to its answer)
 *   terminal → ECR: ACK (to ENQ), ACK (to the request), ENQ, STX answer ETX LRC, EOT
 */
export function concertExchangeBytes(
  requestBodyLength: number,
  answerBodyLength: number,
): { ecrToTerminal: number; terminalToEcr: number; total: number } {
  const ecrToTerminal = 1 + (requestBodyLength + 3) + 1 + 1 + 1;
  const terminalToEcr = 1 + 1 + 1 + (answerBodyLength + 3) + 1;
  return { ecrToTerminal, terminalToEcr, total: ecrToTerminal + terminalToEcr };
}

// -- pacing -------------------------------------------------------------------------------------

/** Time and wake-ups, injectable so the pacing arithmetic is tested without real time. */
export interface PacingClock {
  now(): number;
  /** Runs fn after about ms (coarse). */
  after(ms: number, fn: () => void): void;
  /** Runs fn at the next turn of the loop (fine-grained waiting, for the last millisecond). */
  soon(fn: () => void): void;
}

export const realPacingClock: PacingClock = {
  now: () => performance.now(),
  after: (ms, fn) => void setTimeout(fn, ms),
  soon: (fn) => void setImmediate(fn),
};

/**
 * Within this of a due time, wait by polling the loop instead of a timer: timers are only
 * ms-precise and, on a busy machine, often a millisecond late.
 */
const SPIN_BELOW_MS = 3;

/**
 * One direction of a serial line: bytes queue for the wire and come out, in order, when they
 * would have been received. The delivery of a byte is never early and, except for loop latency,
 * not late; bytes that are due together come out as one chunk.
 */
export class PacedLine {
  private readonly queue: { due: number; byte: number }[] = [];
  private busyUntil = 0;
  private scheduled = false;
  private closed = false;
  /** Bytes put on this wire so far. */
  bytes = 0;
  /**
   * How late the end of each burst (the byte the other side acts on) came out: delivered at − due.
   * Bytes in the middle of a burst may come out up to a few ms late in chunks, which no receiver
   * can tell (it acts on a frame's last byte).
   */
  lateness = { total: 0, max: 0, bursts: 0 };

  constructor(
    private readonly characterMs: number,
    private readonly deliver: (chunk: Uint8Array) => void,
    private readonly clock: PacingClock = realPacingClock,
  ) {}

  /** Bytes enter the wire at `at` (default now): each starts when the previous one has left. */
  send(bytes: Uint8Array, at = this.clock.now()): void {
    if (this.closed) return;
    for (const byte of bytes) {
      const start = Math.max(at, this.busyUntil);
      this.busyUntil = start + this.characterMs;
      this.queue.push({ due: this.busyUntil, byte });
      this.bytes++;
    }
    this.schedule();
  }

  /** When the last queued byte will have arrived (now, if the wire is idle). */
  get idleAt(): number {
    return Math.max(this.busyUntil, this.clock.now());
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.closed) return;
    this.scheduled = true;
    // Wake for the next due byte; bytes in the middle of a frame need not come out one by one,
    // but the last queued byte (the end of a frame, or a control byte) must not be late.
    const last = this.queue[this.queue.length - 1]!.due;
    const next = this.queue[0]!.due;
    const wait = Math.min(last, Math.max(next, this.clock.now() + 4)) - this.clock.now();
    if (wait > SPIN_BELOW_MS) this.clock.after(Math.floor(wait - SPIN_BELOW_MS), () => this.pump());
    else this.clock.soon(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    if (this.closed) return;
    const now = this.clock.now();
    let count = 0;
    while (count < this.queue.length && this.queue[count]!.due <= now) count++;
    if (count > 0) {
      const due = this.queue.splice(0, count);
      if (this.queue.length === 0) {
        const late = now - due[due.length - 1]!.due;
        this.lateness.total += late;
        this.lateness.max = Math.max(this.lateness.max, late);
        this.lateness.bursts++;
      }
      this.deliver(Uint8Array.from(due, (d) => d.byte));
    }
    this.schedule();
  }
}

/**
 * A Transport whose both directions are paced as `line`: wrap the terminal emulator's end of the
 * pty with it. Counts every byte each way.
 */
export class PacedTransport implements Transport {
  private readonly listeners = new Set<(chunk: Uint8Array) => void>();
  readonly outgoing: PacedLine;
  readonly incoming: PacedLine;
  private readonly unsubscribe: Unsubscribe;

  constructor(
    private readonly inner: Transport,
    line: LineSettings,
    clock: PacingClock = realPacingClock,
  ) {
    const characterMs = characterTimeMs(line);
    this.outgoing = new PacedLine(characterMs, (chunk) => void inner.write(chunk).catch(() => undefined), clock);
    this.incoming = new PacedLine(
      characterMs,
      (chunk) => {
        for (const listener of [...this.listeners]) listener(chunk);
      },
      clock,
    );
    this.unsubscribe = inner.onData((chunk) => this.incoming.send(chunk));
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  /** Queues bytes on the outgoing wire; resolves at once (like a UART's transmit buffer). */
  write(bytes: Uint8Array): Promise<void> {
    if (!this.inner.isOpen) return Promise.reject(new Error('paced transport: port closed'));
    this.outgoing.send(bytes);
    return Promise.resolve();
  }

  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClose(listener: (error?: Error) => void): Unsubscribe {
    return this.inner.onClose(listener);
  }

  /** Bytes exchanged both ways so far. */
  get bytes(): { fromTerminal: number; toTerminal: number } {
    return { fromTerminal: this.outgoing.bytes, toTerminal: this.incoming.bytes };
  }

  async close(): Promise<void> {
    this.outgoing.close();
    this.incoming.close();
    this.unsubscribe();
    await this.inner.close();
  }
}
