/** Shared helpers for the sandbox tests: start a sandbox on port 0 and call it over real HTTP. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../support/fake-clock';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../sandbox/index';
import type { TransactionJson } from '../../sandbox/plutopay/domain/transactions';

export type { TransactionJson };

export interface ErrorResponse {
  error: { type: string; message: string; param?: string; code?: string };
}

export interface ListResponse<T> {
  data: T[];
  meta: { current_page: number; last_page: number; per_page: number; total: number };
}

export interface ActionJson {
  id: string;
  type: string;
  status: 'in_progress' | 'succeeded' | 'failed' | 'canceled';
  payment_intent_id: string;
  amount: number;
  currency: string;
  capture_method: string;
  presented_card: { number: string } | null;
  failure_code: string | null;
  failure_message: string | null;
}

export interface ReaderJson {
  id: string;
  terminal_id: string;
  label: string;
  status: string;
  device_type: string;
  serial_number: string;
  last_seen_at: string | null;
  action: ActionJson | null;
}

export interface TerminalJson {
  id: string;
  name: string;
  status: string;
  device_type: string | null;
  serial_number: string | null;
  processor_terminal_id: string;
  location_name: string | null;
  location_address: string | null;
  software_version: string | null;
  last_seen_at: string | null;
}

export interface RefundJson {
  id: string;
  reference: string;
  transaction_id: string;
  amount: number;
  amount_formatted: string;
  status: string;
  transaction: TransactionJson;
}

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export class Api {
  constructor(
    readonly url: string,
    public key: string | undefined,
  ) {}

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    options: { key?: string | null; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === null ? undefined : (options.key ?? this.key);
    if (key !== undefined) headers.Authorization = `Bearer ${key}`;
    let payload: string | undefined = options.raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(`${this.url}${path}`, { method, headers, body: payload, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  }

  get<T = Record<string, unknown>>(path: string, options?: { key?: string | null }): Promise<Answer<T>> {
    return this.call<T>('GET', path, undefined, options);
  }

  post<T = Record<string, unknown>>(
    path: string,
    body?: unknown,
    options?: { key?: string | null },
  ): Promise<Answer<T>> {
    return this.call<T>('POST', path, body ?? {}, options);
  }

  put<T = Record<string, unknown>>(
    path: string,
    body?: unknown,
    options?: { key?: string | null },
  ): Promise<Answer<T>> {
    return this.call<T>('PUT', path, body ?? {}, options);
  }

  del<T = Record<string, unknown>>(path: string, options?: { key?: string | null }): Promise<Answer<T>> {
    return this.call<T>('DELETE', path, undefined, options);
  }

  /** Creates a payment and returns it, failing the test on anything but 201. */
  async payment(body: Record<string, unknown>, path = '/v1/transactions'): Promise<TransactionJson> {
    const answer = await this.post<TransactionJson>(path, body);
    if (answer.status !== 201) throw new Error(`create failed: ${answer.status} ${answer.text}`);
    return answer.body;
  }
}

export interface Harness {
  sandbox: RunningSandbox;
  api: Api;
  clock: FakeClock | undefined;
  close(): Promise<void>;
}

export async function start(options: SandboxOptions & { fakeClock?: boolean } = {}): Promise<Harness> {
  const { fakeClock, ...rest } = options;
  const clock = fakeClock ? new FakeClock(Date.UTC(2026, 1, 16, 16, 18, 0)) : undefined;
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false, ...rest, ...(clock ? { clock } : {}) });
  return { sandbox, api: new Api(sandbox.url, sandbox.secret_key), clock, close: () => sandbox.close() };
}

/** Creates a simulated reader and returns its terminal. */
export async function simulatedReader(api: Api, name = 'Counter 1'): Promise<TerminalJson> {
  const answer = await api.post<TerminalJson>('/v1/terminals', { name, registration_code: 'simulated' });
  if (answer.status !== 201) throw new Error(`terminal create failed: ${answer.text}`);
  return answer.body;
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver on 127.0.0.1:0 that answers `failures` requests with 500, then 200. */
export async function receiver(
  failures = 0,
  statusOnFailure = 500,
): Promise<{ url: string; received: Received[]; waitFor(n: number): Promise<void>; close(): Promise<void> }> {
  const received: Received[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.statusCode = received.length <= failures ? statusOnFailure : 200;
      res.end('ok');
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.n) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    waitFor: (n) =>
      received.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Lets pending I/O callbacks run (for fake-clock tests that wait on real sockets). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
