/**
 * A TCP relay between the host and the sandbox, so the soak can take the gateway away without
 * stopping it: while down, every connection (open or new) is cut at once, as when a shop's
 * network drops. Loopback only, port 0.
 *
 * It can also make chosen requests **land late** (`landLate`): the request is read whole, the
 * host's connection is cut before any answer (an unknown outcome), and the request goes on to the
 * gateway only `delayMs` later, its answer dropped — a gateway still making what a send asked for
 * while the till already looks for it, and finds nothing yet. That is the race the settle window
 * (docs/reliability.md#the-settle-window) closes: a till that sends again before the first lands
 * makes a second refund on a gateway without idempotency keys.
 */
import net from 'node:net';
import { Rng } from './prng';

export interface LateLanding {
  /** Which requests may land late (the method and the path as the host sent them). */
  matches: (method: string, path: string) => boolean;
  /** Share of the matching requests made to land late. */
  rate: number;
  /** How long after the cut the request reaches the gateway. */
  delayMs: number;
}

export interface GatewayProxy {
  /** http://127.0.0.1:PORT, to give the host instead of the sandbox's own URL. */
  readonly url: string;
  readonly isDown: boolean;
  down(): void;
  up(): void;
  /** From now on (null: no longer) the matching requests land late, by a seeded draw. */
  landLate(late: LateLanding | null): void;
  /** The requests made to land late so far ("METHOD path"), in order. */
  readonly landedLate: readonly string[];
  close(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

export async function startGatewayProxy(target: string, options: { seed?: number } = {}): Promise<GatewayProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const landedLate: string[] = [];
  const rng = new Rng(options.seed ?? 1);
  let late: LateLanding | null = null;
  let isDown = false;
  let closed = false;

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  /** The request reaches the gateway `delayMs` from now, on a connection of its own; its answer is dropped. */
  const landLater = (request: Buffer, delayMs: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (closed) return;
      const upstream = net.connect(Number(port), hostname);
      track(upstream);
      upstream.setTimeout(15_000, () => upstream.destroy());
      upstream.on('error', () => upstream.destroy());
      upstream.on('data', () => undefined);
      upstream.on('end', () => upstream.destroy());
      upstream.end(request);
    }, delayMs);
    timers.add(timer);
  };

  const server = net.createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      track(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    // The host's requests are read one by one (HTTP/1.1, one at a time on a connection), so that a
    // matching one can be held back whole; anything this reader cannot frame passes through as is.
    let pending: Buffer = Buffer.alloc(0);
    let raw = false;
    client.on('end', () => upstream.end());
    client.on('data', (chunk: Buffer) => {
      if (raw) {
        upstream.write(chunk);
        return;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf(HEAD_END);
        if (end < 0) return;
        const lines = pending.subarray(0, end).toString('latin1').split('\r\n');
        const [method = '', path = ''] = lines[0]!.split(' ');
        const header = (name: string) =>
          lines
            .find((line) => line.toLowerCase().startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        const length = Number(header('content-length') ?? '0');
        if (header('transfer-encoding') !== undefined || !Number.isInteger(length) || length < 0) {
          raw = true;
          upstream.write(pending);
          pending = Buffer.alloc(0);
          return;
        }
        const total = end + HEAD_END.length + length;
        if (pending.length < total) return;
        const request = Buffer.from(pending.subarray(0, total));
        pending = pending.subarray(total);
        const now = late;
        if (now && now.matches(method, path) && rng.chance(now.rate)) {
          landedLate.push(`${method} ${path}`);
          landLater(request, now.delayMs);
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(request);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get isDown() {
      return isDown;
    },
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      isDown = false;
    },
    landLate(next) {
      late = next;
    },
    landedLate,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
