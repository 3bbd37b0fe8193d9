/**
 * Figure 2: one Concert transaction (E+ request, full answer) over a socat pty pair, the real
 * serialport binding on both ends, the terminal emulator answering at once, every byte paced at
 * 9600 baud 7E1 in both directions (wire.ts). Measured from ConcertReader.collect() to its
 * outcome; the floor is the wire time of every byte exchanged (control bytes too), counted on the
 * emulator's paced transport in the same transaction: 10 bits a byte at 9600 baud.
 */
import { createConcertDriver } from '../../drivers/protocols/concert/driver';
import { serveEmulator, type ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { createPtyPair, type PtyPair } from '../../drivers/serial/socat';
import { findOnPath } from '../../drivers/serial/list';
import { CONCERT_LINE } from '../../drivers/serial/transport';
import { openRawTty } from './tty-transport';
import type { Reader } from '../../drivers/types';
import { runWorker, newestProfile } from './child';
import { scaled, type Figure, type FigureContext } from './context';
import { metric } from './report';
import { median, percentile, round, split, summarize } from './stats';
import { PacedTransport, characterTimeMs, concertExchangeBytes, wireTimeMs } from './wire';
import { summarizeProfile, type CpuProfile } from './profile';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONCERT_TARGET = 1.03;
/** E+ request body and full answer body lengths (codec.ts). */
export const EXPECTED_BYTES = concertExchangeBytes(34, 80).total;

export interface ConcertSample {
  ms: number;
  bytes: number;
  wireMs: number;
  outcome: string;
  /** The driver's own think time: from each byte it received to the reply it wrote. */
  driverMs: number;
}

/**
 * Sum of (write − the receive it answers) over a trace of the cash register's side: the time the
 * driver itself takes to react, as opposed to time spent on the wire or in the pty.
 */
export function thinkTime(trace: readonly { at: number; direction: 'in' | 'out' }[]): number {
  let total = 0;
  let lastIn: number | null = null;
  for (const entry of trace) {
    if (entry.direction === 'in') lastIn = entry.at;
    else if (lastIn !== null) {
      total += entry.at - lastIn;
      lastIn = null;
    }
  }
  return total;
}

export interface ConcertRun {
  samples: ConcertSample[];
  pacing: { maxLateMs: number; meanLateMs: number };
}

/** Runs `transactions` payments one after another over one pty pair. */
export async function measureConcert(
  transactions: number,
  warmup: number,
  log: (line: string) => void,
): Promise<ConcertRun> {
  let pair: PtyPair | null = null;
  let served: ServedEmulator | null = null;
  let reader: Reader | null = null;
  try {
    pair = await createPtyPair();
    const paced = new PacedTransport(openRawTty(pair.a), CONCERT_LINE);
    served = serveEmulator(paced, { script: { outcome: 'approve', delayMs: 0, answerSize: 'request' } });
    const trace: { at: number; direction: 'in' | 'out' }[] = [];
    const driver = createConcertDriver({
      probeTimeoutMs: 3_000,
      onTrace: (direction) => trace.push({ at: performance.now(), direction }),
    });
    reader = await driver.open({ id: `serial:${pair.b}`, foundBy: 'serial', path: pair.b });
    const samples: ConcertSample[] = [];
    for (let i = 0; i < warmup + transactions; i++) {
      // Start each transaction on an idle line (the previous EOT has fully arrived).
      await new Promise((r) => setTimeout(r, 20));
      const before = paced.bytes;
      trace.length = 0;
      const started = performance.now();
      const outcome = await reader.collect({ amount: 1250, currency: 'EUR', reference: `pi_bench_${i}` });
      const ms = performance.now() - started;
      const after = paced.bytes;
      const bytes = after.fromTerminal - before.fromTerminal + (after.toTerminal - before.toTerminal);
      if (outcome.kind !== 'approved')
        throw new Error(`Concert transaction ${i} ended ${outcome.kind}: ${JSON.stringify(outcome)}`);
      if (i >= warmup)
        samples.push({
          ms,
          bytes,
          wireMs: wireTimeMs(bytes, CONCERT_LINE),
          outcome: outcome.kind,
          driverMs: thinkTime(trace),
        });
    }
    const { lateness } = paced.outgoing;
    const incoming = paced.incoming.lateness;
    const bursts = lateness.bursts + incoming.bursts;
    log(`  fig 2: ${samples.length} transactions, p50 ${median(samples.map((s) => s.ms)).toFixed(2)} ms`);
    return {
      samples,
      pacing: {
        maxLateMs: Math.max(lateness.max, incoming.max),
        meanLateMs: bursts ? (lateness.total + incoming.total) / bursts : 0,
      },
    };
  } finally {
    await reader?.close().catch(() => undefined);
    await served?.stop().catch(() => undefined);
    await pair?.stop().catch(() => undefined);
  }
}

export const figure2: Figure = {
  id: 2,
  title: 'Concert transaction over a paced pty vs wire time',
  async run(ctx: FigureContext) {
    if (!findOnPath('socat')) throw new Error('socat is not installed (it makes the pty pair)');
    const transactions = scaled(ctx, ctx.quick ? 8 : 30, 2);
    const warmup = ctx.scale < 1 ? 0 : 2;
    const profileDir = join(ctx.profileDir, 'fig2-concert');
    if (ctx.profile) mkdirSync(profileDir, { recursive: true });
    const run = await runWorker<ConcertRun>(
      'concert',
      { transactions, warmup },
      {
        log: ctx.log,
        ...(ctx.profile ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
      },
    );
    const times = run.samples.map((s) => s.ms);
    const wires = run.samples.map((s) => s.wireMs);
    const bytes = [...new Set(run.samples.map((s) => s.bytes))];
    const floor = median(wires);
    const t = summarize(times);
    const profileFile = ctx.profile ? newestProfile(profileDir) : null;
    return {
      metrics: [
        metric({
          id: '2.p50',
          figure: 2,
          label: 'Concert transaction, 9600 7E1 paced pty, p50',
          value: t.p50,
          unit: 'ms',
          floor: {
            description: `wire time of the ${bytes.join('/')} bytes exchanged at 10 bits/byte, 9600 baud`,
            value: floor,
            unit: 'ms',
          },
          target: { op: '<=', value: CONCERT_TARGET, on: 'ratio', unit: '×' },
          samples: t.n,
          // Repeats: the transactions in three consecutive thirds, each third's p50 over its wire time.
          repeats: {
            of: 'thirds of the transactions',
            values: split(run.samples, 3).map(
              (part) => median(part.map((x) => x.ms)) / median(part.map((x) => x.wireMs)),
            ),
          },
        }),
      ],
      curves: [],
      inputs: {
        line: '9600 baud, 7 data bits, even parity, 1 stop bit: 10 bits a byte',
        characterTimeMs: round(characterTimeMs(CONCERT_LINE), 4),
        bytesPerTransaction: bytes,
        expectedBytes: EXPECTED_BYTES,
        transactions,
        times: { p50: round(t.p50), p99: round(t.p99), max: round(t.max), min: round(t.min) },
        p99Ratio: round(percentile(times, 99) / floor),
        pacing: { maxLateMs: round(run.pacing.maxLateMs), meanLateMs: round(run.pacing.meanLateMs) },
        driverThinkMsP50: round(median(run.samples.map((s) => s.driverMs))),
        restMsP50: round(t.p50 - floor - median(run.samples.map((s) => s.driverMs))),
        emulator: 'same process as the reader, answers at once (delayMs 0), full answer',
        transport:
          "socat pty pair; the reader on the serialport binding (the app's path), the emulator on a raw tty; pacing on the emulator end, both directions",
        ...(profileFile
          ? { profile: summarizeProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile, profileFile) }
          : {}),
      },
      notes: [
        'The floor counts the bytes actually exchanged in each transaction (a retry would add its bytes to both sides).',
        "driverThinkMsP50 is the driver's own reaction time (each received byte to the reply it wrote); restMsP50 is what the pty, socat and the pacing's timer precision add.",
      ],
    };
  },
};
