/**
 * Figure 7's host side, in its own process (the bench worker task `cashier-server`): the embedded
 * PlutoPay sandbox, the host and web mode's server in one process, as `npm run web` runs them,
 * with the app's hosted simulated reader (card time 0) — plus what the bench needs around them,
 * none of it on the app's path while a payment is measured:
 *
 *  - the host as the web server sees it, through a wrapper that stamps when a command arrives
 *    and when its answer and each event are handed to the WebSocket;
 *  - the opt-in tracer (main/core/trace.ts) recording gateway calls and journal transactions;
 *  - the simulated reader presenting the card the instant collect() has the amount;
 *  - the floor's bare client (FloorClient), against the same sandbox;
 *  - a small control server on 127.0.0.1 for the driver (arm before a payment, take the records
 *    after it, run floor payments, read the clock, CPU profiles), used only between payments.
 *
 * The driver (Playwright and Chromium's DevTools traffic) runs in another process, so its work
 * never competes with the host's event loop.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { systemClock } from '../../common/clock';
import type { HostEvent, Result } from '../../common/contract';
import { SimulatedReader } from '../../drivers/simulated/reader';
import { setTraceSink, type TraceSpan } from '../../main/core/trace';
import { createHost, type Host } from '../../main/host/host';
import { startWebServer, type BridgeHost, type RunningWebServer } from '../../main/web/server';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import type { Span } from './cashier-timeline';
import { FloorClient, onlineSimulatedReaders } from './payment-drivers';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './profile';

/** performance.timeOrigin + performance.now(): the clock the page stamps with too. */
export const wallClock = (): number => performance.timeOrigin + performance.now();

/** What the host side recorded for one payment (all stamps on wallClock). */
export interface HostRecords {
  /** Commands the bridge dispatched: arrival, answer handed back, and the created payment's id. */
  dispatches: { name: string; start: number; end: number; paymentId: string | null }[];
  /** Events handed to the bridge, by sequence number. */
  emitted: { seq: number; at: number; type: string }[];
  spans: Span[];
  /** The simulated reader got the amount (at) and decided after the card was presented (decided). */
  collects: { at: number; amount: number; decided: number }[];
  /** CPU time this process used from arm to take (host, sandbox, web server), ms. */
  cpuMs: number;
}

export interface CashierServerOptions {
  dir: string;
  staticDir: string;
  /** 'full' as shipped; 'normal' only as a diagnostic (the journal not fsynced). */
  durability: 'full' | 'normal';
}

export interface CashierServerReady {
  /** The app's URL (with the launch token in its fragment). */
  url: string;
  /** The control server's base URL. */
  control: string;
}

export interface FloorSamples {
  toReader: number[];
  toApproved: number[];
  pollAfterPush: number[];
  /** CPU time of this process per floor payment, ms. */
  cpuMs: number[];
}

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

class HostProbe {
  armed = false;
  private records: HostRecords = HostProbe.empty();
  private cpuAtArm = 0;

  private static empty(): HostRecords {
    return { dispatches: [], emitted: [], spans: [], collects: [], cpuMs: 0 };
  }

  arm(): void {
    this.records = HostProbe.empty();
    this.cpuAtArm = cpuMs();
    this.armed = true;
  }

  take(): HostRecords {
    this.armed = false;
    const records = this.records;
    records.cpuMs = cpuMs() - this.cpuAtArm;
    this.records = HostProbe.empty();
    return records;
  }

  /** The host as the web server sees it. */
  bridgeHost(host: Host): BridgeHost {
    return {
      dispatch: async (name: string, input: unknown): Promise<Result<unknown>> => {
        const start = wallClock();
        const result = await host.dispatch(name, input);
        if (this.armed) {
          const value = result.ok ? (result.value as { id?: unknown } | null) : null;
          this.records.dispatches.push({
            name,
            start,
            end: wallClock(),
            paymentId: name === 'payments.create' && typeof value?.id === 'string' ? value.id : null,
          });
        }
        return result;
      },
      subscribe: (listener: (event: HostEvent) => void) =>
        host.subscribe((event) => {
          if (this.armed) this.records.emitted.push({ seq: event.seq, at: wallClock(), type: event.type });
          listener(event);
        }),
    };
  }

  span = (span: TraceSpan): void => {
    if (!this.armed) return;
    const origin = performance.timeOrigin;
    this.records.spans.push({ ...span, start: span.start + origin, end: span.end + origin });
  };

  collected(at: number, amount: number, decided: number): void {
    if (this.armed) this.records.collects.push({ at, amount, decided });
  }
}

/**
 * The simulated reader as the bench drives it: the instant collect() has the amount, the card is
 * presented (presentCard() decides the outcome and arms the reader's 0 ms processing timer).
 * Returns the undo.
 */
function presentOnCollect(probe: HostProbe): () => void {
  const proto = SimulatedReader.prototype;
  const original = proto.collect;
  proto.collect = function (this: SimulatedReader, ...args: Parameters<SimulatedReader['collect']>) {
    const at = wallClock();
    const outcome = original.apply(this, args);
    this.presentCard();
    probe.collected(at, args[0].amount, wallClock());
    return outcome;
  };
  return () => {
    proto.collect = original;
  };
}

function reply(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Starts everything; `close` stops it and undoes the bench's hooks. */
export async function serveCashierHost(
  options: CashierServerOptions,
  log: (line: string) => void,
): Promise<{ ready: CashierServerReady; close: () => Promise<void> }> {
  const probe = new HostProbe();
  const undoReader = presentOnCollect(probe);
  const previousSink = setTraceSink(probe.span);
  let sandbox: RunningSandbox | null = null;
  let host: Host | null = null;
  let web: RunningWebServer | null = null;
  let floor: FloorClient | null = null;
  let control: Server | null = null;
  let profiler: Session | null = null;
  const close = async () => {
    await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
    control?.closeAllConnections();
    profiler?.disconnect();
    await floor?.close().catch(() => undefined);
    await web?.close().catch(() => undefined);
    await host?.close().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    setTraceSink(previousSink);
    undoReader();
  };
  try {
    sandbox = await startSandbox({ port: 0, db: join(options.dir, 'sandbox.db'), seed: false });
    const running = sandbox;
    host = await createHost({
      dataDir: join(options.dir, 'host'),
      clock: systemClock,
      startSandbox: async () => ({ ...running, close: async () => undefined }),
      tuning: { simulatedProcessingMs: 0, durability: options.durability },
    });
    await onlineSimulatedReaders(host, 1);
    web = await startWebServer({ host: probe.bridgeHost(host), staticDir: options.staticDir, port: 0, log });
    floor = await FloorClient.open(running.url, running.secret_key, `bench-fig7-${process.pid}`);
    const f = floor;

    const routes: Record<string, (body: Record<string, unknown>) => Promise<unknown> | unknown> = {
      '/now': () => ({ now: wallClock() }),
      '/arm': () => {
        probe.arm();
        return {};
      },
      '/take': () => probe.take(),
      '/floor': async (body) => {
        const samples: FloorSamples = { toReader: [], toApproved: [], pollAfterPush: [], cpuMs: [] };
        for (let i = 0; i < Number(body.payments ?? 1); i++) {
          const before = cpuMs();
          const sample = await f.cashierPayment();
          samples.cpuMs.push(cpuMs() - before);
          samples.toReader.push(sample.toReader);
          samples.toApproved.push(sample.toApproved);
          samples.pollAfterPush.push(sample.pollAfterPush);
        }
        return samples;
      },
      '/profile/start': async () => {
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
        await profiler.post('Profiler.start');
        return {};
      },
      '/profile/stop': async (body): Promise<ProfileSummary | null> => {
        if (!profiler) return null;
        const { profile } = (await profiler.post('Profiler.stop')) as unknown as { profile: CpuProfile };
        profiler.disconnect();
        profiler = null;
        const dir = String(body.dir);
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${String(body.name)}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        return summarizeProfile(profile, file);
      },
    };
    const server = createServer((request, response) => {
      const route = routes[new URL(request.url ?? '/', 'http://x').pathname];
      if (!route) {
        response.writeHead(404).end();
        return;
      }
      readJson(request)
        .then((body) => route(body))
        .then(
          (value) => reply(response, value),
          (error: unknown) => {
            log(`cashier control: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
            response.writeHead(500).end(String(error));
          },
        );
    });
    control = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return { ready: { url: web.url, control: `http://127.0.0.1:${port}` }, close };
  } catch (error) {
    await close();
    throw error;
  }
}
