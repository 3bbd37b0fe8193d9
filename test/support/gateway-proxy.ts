/**
 * A TCP relay between the host and the sandbox, so the soak can take the gateway away without
 * stopping it: while down, every connection (open or new) is cut at once, as when a shop's
 * network drops. Loopback only, port 0.
 *
 * It can also make chosen requests **land late** (`landLate`): the request is read whole, the
 * host's connection is cut before any answer (an unknown outcome), and the request goes on to the
 * gateway only later — `after` ms after the cut (the soak), or once the test lets it go (a promise,
 * so a host test orders the landing after the till's lookup without racing real time) — its answer
 * dropped: a gateway still making what a send asked for while the till already looks for it, and
 * finds nothing yet. That is the race the settle window (docs/reliability.md#the-settle-window)
 * closes: a till that sends again before the first lands makes a second refund on a gateway without
 * idempotency keys.
 *
 * And it can stand for a **kill -9** of the till at a chosen request (`killAt`): the moment the
 * request is read whole — before it reaches the gateway, or once the gateway took it, its answer
 * never delivered — the test takes what the kill leaves (a copy of the journal), and the relay goes
 * down for good: the till, still running, reaches nothing from then on, as a dead one would not.
 *
 * And it can **hold** every request unanswered until the test lets them go (`hold`): a gateway that
 * takes connections and says nothing, for a host that must serve meanwhile.
 *
 * And it can **lose** a chosen request's answer without killing anything (`loseAnswer`), so that the
 * till retries: the gateway took the request and answered it before the till's connection is cut
 * (`taken`: the till's lookup or resend finds what the first send made), or the request never
 * reached the gateway though the till cannot tell (`dropped`: the till must send it again).
 */
import net from 'node:net';
import { Prng } from '../../common/prng';

export interface LateLanding {
  /** Which requests may land late (the method and the path as the host sent them). */
  matches: (method: string, path: string) => boolean;
  /** Share of the matching requests made to land late (a seeded draw: 1 makes every one land late). */
  rate: number;
  /** When the request reaches the gateway: ms after the cut, or once the promise settles. */
  after: number | Promise<void>;
}

/** Where the till dies: its request never reaches the gateway, or the gateway took it and its answer is lost. */
export type KillPoint = 'before_send' | 'taken';

/** What became of a request whose answer the till never got (see `loseAnswer`). */
export type LostFate = 'taken' | 'dropped';

export interface LostAnswer {
  /** The request whose answer is lost (the method and the path as the host sent them): the first that matches. */
  matches: (method: string, path: string) => boolean;
  fate: LostFate;
}

export interface Kill {
  /** The request the till dies at (the method and the path as the host sent them): the first that matches. */
  matches: (method: string, path: string) => boolean;
  at: KillPoint;
  /**
   * Runs the moment the request is read whole, synchronously, before the till can learn anything
   * more: what the kill leaves (the journal as it is now) is taken here.
   */
  leaves: () => void;
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
  /** Settles once every request made to land late so far has been answered by the gateway (answer dropped). */
  landed(): Promise<void>;
  /**
   * Arms a kill at the next matching request: settles once it happened and, for `taken`, once the
   * gateway has answered the request (the answer dropped). The relay is down from then on.
   */
  killAt(kill: Kill): Promise<void>;
  /**
   * From now on every request read whole is held, unanswered and not passed on, until `release()`
   * passes them on in order (a gateway that takes connections and answers nothing, for as long as a
   * test needs). `count()` says how many are held.
   */
  hold(): { count(): number; release(): void };
  /**
   * Arms a lost answer at the next matching request: settles once the till's connection was cut —
   * for `taken`, only after the gateway answered it, so whatever the till does next finds it made.
   */
  loseAnswer(lost: LostAnswer): Promise<void>;
  close(): Promise<void>;
}

export interface GatewayProxyOptions {
  /** Seeds the draw of which matching requests land late. */
  seed?: number;
  /** Told of every request the relay reads whole ("METHOD", path), before it is passed on or held. */
  onRequest?: (method: string, path: string) => void;
}

const HEAD_END = Buffer.from('\r\n\r\n');

export async function startGatewayProxy(target: string, options: GatewayProxyOptions = {}): Promise<GatewayProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  /** The landings still waiting for their time, each with what settles it once the relay closes. */
  const timers = new Map<NodeJS.Timeout, () => void>();
  const landedLate: string[] = [];
  const landings: Promise<void>[] = [];
  const rng = new Prng(options.seed ?? 1);
  let late: LateLanding | null = null;
  let kill: { armed: Kill; done: (landing: Promise<void>) => void } | null = null;
  let lose: { armed: LostAnswer; done: () => void } | null = null;
  let isDown = false;
  let closed = false;
  /** The requests held back (`hold`), each passing itself on once released; null while none are held. */
  let held: (() => void)[] | null = null;

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const goDown = () => {
    isDown = true;
    for (const socket of sockets) socket.destroy();
  };

  /**
   * The request reaches the gateway `after` ms from now (or once `after` settles), on a connection
   * of its own; its answer is dropped. Settles once the gateway has answered (or the relay closed).
   */
  const landLater = (request: Buffer, after: number | Promise<void>): Promise<void> =>
    new Promise<void>((done) => {
      const send = () => {
        if (closed) return done();
        const upstream = net.connect(Number(port), hostname);
        track(upstream);
        upstream.setTimeout(15_000, () => upstream.destroy());
        upstream.on('error', () => upstream.destroy());
        upstream.on('data', () => undefined);
        upstream.on('end', () => upstream.destroy());
        upstream.on('close', () => done());
        upstream.end(request);
      };
      if (typeof after !== 'number') {
        void after.then(send, send);
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, after);
      timers.set(timer, done);
    });

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
        options.onRequest?.(method, path);
        if (kill?.armed.matches(method, path)) {
          const { armed, done } = kill;
          kill = null;
          armed.leaves();
          goDown();
          // Taken: it reaches the gateway on a connection of its own, whose answer goes nowhere.
          done(armed.at === 'taken' ? landLater(request, Promise.resolve()) : Promise.resolve());
          return;
        }
        if (lose?.armed.matches(method, path)) {
          const { armed, done } = lose;
          lose = null;
          const cut = () => {
            client.destroy();
            upstream.destroy();
            done();
          };
          if (armed.fate === 'taken') void landLater(request, Promise.resolve()).then(cut);
          else cut();
          return;
        }
        const now = late;
        if (now && now.matches(method, path) && rng.next() < now.rate) {
          landedLate.push(`${method} ${path}`);
          landings.push(landLater(request, now.after));
          client.destroy();
          upstream.destroy();
          return;
        }
        if (held) {
          // Later requests of this connection wait behind it (HTTP/1.1: one at a time anyway).
          held.push(() => upstream.write(request));
          continue;
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
    down: goDown,
    up() {
      isDown = false;
    },
    landLate(next) {
      late = next;
    },
    landedLate,
    hold() {
      const queue: (() => void)[] = (held = []);
      return {
        count: () => queue.length,
        release() {
          if (held === queue) held = null;
          for (const pass of queue.splice(0)) pass();
        },
      };
    },
    landed: () => Promise.all(landings).then(() => undefined),
    killAt: (armed) =>
      new Promise<Promise<void>>((done) => {
        kill = { armed, done };
      }).then((landing) => landing),
    loseAnswer: (armed) =>
      new Promise<void>((done) => {
        lose = { armed, done };
      }),
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const [timer, done] of timers) {
          clearTimeout(timer);
          done();
        }
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
