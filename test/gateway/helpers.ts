/** Shared by the gateway tests: a misbehaving loopback server, the sandbox's admin routes, errors. */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** Awaits a promise that must reject, and returns what it rejected with. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** http://127.0.0.1:PORT where nothing listens: a port the system just handed out and took back. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface BadServer {
  url: string;
  /** What the next answers are: a status and a raw body. */
  answer(status: number, body: string): void;
  /** What requests to `path` are answered instead, whatever `answer` says (a token endpoint that works). */
  answerAt(path: string, status: number, body: string): void;
  close(): Promise<void>;
}

/** A loopback server on port 0 that answers every request with whatever it is told to. */
export async function badServer(): Promise<BadServer> {
  let reply = { status: 200, body: 'this is not JSON {' };
  const byPath = new Map<string, { status: number; body: string }>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, body } = byPath.get(new URL(req.url ?? '/', 'http://x').pathname) ?? reply;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answer(status, body) {
      reply = { status, body };
    },
    answerAt(path, status, body) {
      byPath.set(path, { status, body });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A call to a sandbox route with a secret key; throws unless it answers 2xx. */
export async function sandboxCall<T>(
  baseUrl: string,
  secretKey: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: {
      Authorization: `Bearer ${secretKey}`,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A loopback receiver for PayPlug's notifications: keeps every body it gets, answers 200. */
export async function notificationReceiver(): Promise<{ url: string; bodies: Buffer[]; close(): Promise<void> }> {
  const bodies: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/payplug`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
