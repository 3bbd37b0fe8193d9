/**
 * Raw loopback sockets, as any local program can open them: for the connection limits of the
 * host's HTTP servers (`main/core/connection-limits.ts`). Every wait is on an event (data, close),
 * never on time.
 */
import { connect, type Socket } from 'node:net';

export interface RawSocket {
  socket: Socket;
  /** Everything received so far. */
  readonly received: string;
  /** Resolves, with everything received, once the server has closed the connection. */
  closed: Promise<string>;
  /** Writes `request` and resolves with the next whole answer (headers and Content-Length body). */
  exchange(request: string): Promise<string>;
}

/** A connection to 127.0.0.1:port, once connected. */
export function openSocket(port: number): Promise<RawSocket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let received = '';
  let from = 0;
  let waiting: (() => void) | null = null;
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  socket.on('data', (chunk) => {
    received += String(chunk);
    waiting?.();
  });
  const raw: RawSocket = {
    socket,
    get received() {
      return received;
    },
    closed,
    exchange(request) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const text = received.slice(from);
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = text.slice(0, end);
          const body = text.slice(end + 4);
          if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
            if (!body.includes('0\r\n\r\n')) return;
          } else if (Buffer.byteLength(body) < Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)) return;
          waiting = null;
          from = received.length;
          resolve(text);
        };
        waiting = check;
        void closed.then(() => reject(new Error(`closed before the answer: ${JSON.stringify(received.slice(from))}`)));
        socket.write(request);
      });
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(raw));
    socket.once('error', reject);
  });
}

/** The answer to `request` on a new connection, or null when the server closes it unanswered. */
export async function answerOnNewConnection(port: number, request: string): Promise<string | null> {
  const raw = await openSocket(port);
  try {
    return await raw.exchange(request).catch(() => null);
  } finally {
    raw.socket.destroy();
  }
}

/**
 * A client that sends `head` and then one more byte every few milliseconds, never finishing
 * (slowloris): resolves with what it received once the server closes the connection.
 */
export async function trickle(port: number, head: string, byte = 'a'): Promise<string> {
  const raw = await openSocket(port);
  raw.socket.write(head);
  const drip = setInterval(() => {
    if (!raw.socket.destroyed) raw.socket.write(byte);
  }, 10);
  try {
    return await raw.closed;
  } finally {
    clearInterval(drip);
  }
}
