import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HostEvent, Result } from '../../common/contract';
import { systemClock } from '../../common/clock';
import { LOG_WINDOW_MS } from '../../main/core/log-budget';
import { DevLog } from '../../main/host/devlog';
import {
  BRIDGE_PROTOCOL,
  hostsFor,
  originsFor,
  refusalLog,
  startWebServer,
  type RunningWebServer,
} from '../../main/web/server';
import { waitFor } from '../support/host';
import { openSocket, trickle } from '../support/sockets';

function rawGet(
  port: number,
  path: string,
  host: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** What the server answers to a hand-written request (targets no client library would send). */
/** The lines of a bridge upgrade request, written by hand (what a browser or a local process sends). */
function upgradeLines(port: number, o: { target?: string; origin: string; protocol: string }): string[] {
  return [
    `GET ${o.target ?? '/bridge'} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `Origin: ${o.origin}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Protocol: ${o.protocol}`,
  ];
}

function rawRequest(port: number, lines: string[], after?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connectTcp(port, '127.0.0.1', () => {
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (after) socket.write(after);
    });
    socket.on('data', (chunk) => (answer += String(chunk)));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(2_000, () => socket.destroy());
  });
}

function connect(server: RunningWebServer, opts: { origin?: string; token?: string | null; host?: string } = {}) {
  const protocols = [BRIDGE_PROTOCOL, ...(opts.token === null ? [] : [`token.${opts.token ?? server.token}`])];
  return new WebSocket(`ws://127.0.0.1:${server.port}/bridge`, protocols, {
    origin: opts.origin ?? server.origin,
    ...(opts.host ? { headers: { Host: opts.host } } : {}),
  });
}

function outcome(ws: WebSocket): Promise<'open' | number> {
  return new Promise((resolve) => {
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

/** The close code of a socket the server accepted and closed at once. */
function closedWith(ws: WebSocket): Promise<number | string> {
  return new Promise((resolve) => {
    ws.once('close', (code) => resolve(code));
    ws.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode ?? 0}`));
  });
}

describe('web-mode server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-'));
  const listeners = new Set<(e: HostEvent) => void>();
  const calls: { name: string; input: unknown }[] = [];
  let server: RunningWebServer;

  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>POS</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(tmpdir(), 'outside-secret.txt'), 'secret');
    server = await startWebServer({
      staticDir: dir,
      host: {
        async dispatch(name, input): Promise<Result<unknown>> {
          calls.push({ name, input });
          return name === 'session.snapshot'
            ? { ok: true, value: { seq: 7 } }
            : { ok: false, error: { code: 'validation', message: 'nope' } };
        },
        subscribe(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback and prints a URL carrying the token in the fragment', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{48}$/);
  });

  it('is not localhost: a page or bridge named so may be another program on [::1] with the same port', async () => {
    // Found by the security review: the server listens on 127.0.0.1 only, yet took `localhost` as
    // its own name. Chromium tries [::1] first for localhost, where any local user may listen on
    // the same port: opened as http://localhost:PORT/#token=…, that user's page read the token and,
    // its Origin being http://localhost:PORT, drove the bridge with it.
    const localhost = await rawGet(server.port, '/', `localhost:${server.port}`);
    expect(localhost.status).toBe(421);
    expect(localhost.body).toBe(`Open http://127.0.0.1:${server.port}/ (the address printed at start).`);
    expect(await outcome(connect(server, { origin: `http://localhost:${server.port}` }))).toBe(403);
    expect(await outcome(connect(server, { host: `localhost:${server.port}` }))).toBe(403);
    expect(await outcome(connect(server))).toBe('open');
  });

  it('serves the renderer with a strict CSP, and nothing outside it', async () => {
    const index = await rawGet(server.port, '/', `127.0.0.1:${server.port}`);
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>POS</title>');
    expect(String(index.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect((await rawGet(server.port, '/assets/app.js', `127.0.0.1:${server.port}`)).status).toBe(200);
    expect((await rawGet(server.port, '/../outside-secret.txt', `127.0.0.1:${server.port}`)).status).toBe(404);
    expect((await rawGet(server.port, '/%2e%2e/outside-secret.txt', `127.0.0.1:${server.port}`)).status).toBe(404);
  });

  it.runIf(process.platform === 'linux')('answers a file that fails to read without crashing', async () => {
    // A file can pass the checks and still fail to read (removed by a rebuild meanwhile, not readable
    // by this user): the read stream's error had no listener and killed the host. /proc/self/mem
    // is a regular file whose first read fails (EIO) for any user.
    symlinkSync('/proc/self/mem', join(dir, 'assets', 'unreadable.js'));
    await expect(rawGet(server.port, '/assets/unreadable.js', `127.0.0.1:${server.port}`)).rejects.toThrow();
    expect((await rawGet(server.port, '/', `127.0.0.1:${server.port}`)).status).toBe(200);
  });

  it('refuses requests naming another host (DNS rebinding), and no refusal is cached', async () => {
    const res = await rawGet(server.port, '/', `evil.example:${server.port}`);
    expect(res.status).toBe(421);
    expect(res.headers['cache-control']).toBe('no-store');
    const missing = await rawGet(server.port, '/assets/missing.js', `127.0.0.1:${server.port}`);
    expect(missing.status).toBe(404);
    expect(missing.headers['cache-control']).toBe('no-store');
  });

  it('refuses the bridge without the launch token, with a wrong one, or from another origin', async () => {
    // The page itself with a stale or missing token learns why at once (close code 4401, no command read).
    expect(await closedWith(connect(server, { token: null }))).toBe(4401);
    expect(await closedWith(connect(server, { token: 'f'.repeat(48) }))).toBe(4401);
    expect(calls).toEqual([]);
    expect(await outcome(connect(server, { origin: 'http://evil.example' }))).toBe(403);
    expect(await outcome(connect(server, { origin: `http://127.0.0.1:${server.port + 1}` }))).toBe(403);
    expect(await outcome(connect(server, { host: `evil.example:${server.port}` }))).toBe(403);
  });

  it('refuses an upgrade to a target that is not a URL path, and keeps serving', async () => {
    // `new WebSocket('ws://127.0.0.1:PORT//')` from any page sends `GET //`: it crashed the host.
    const answer = await rawRequest(
      server.port,
      upgradeLines(server.port, {
        target: '//',
        origin: server.origin,
        protocol: `${BRIDGE_PROTOCOL}, token.${server.token}`,
      }),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(calls).toEqual([]);
    expect((await rawGet(server.port, '/', `127.0.0.1:${server.port}`)).status).toBe(200);
  });

  it('survives a malformed frame on a socket refused for its token', async () => {
    // A local process can name our Host and Origin: without the token, its socket is accepted and
    // closed with 4401; a bad frame sent before the close completes crashed the host.
    const answer = await rawRequest(
      server.port,
      upgradeLines(server.port, { origin: server.origin, protocol: BRIDGE_PROTOCOL }),
      Buffer.from([0x83, 0x00]), // a frame with a reserved opcode
    );
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
    expect(calls).toEqual([]);
    expect((await rawGet(server.port, '/', `127.0.0.1:${server.port}`)).status).toBe(200);
  });

  it('survives a client that resets the connection before its refusal is written', async () => {
    // The 403 went to a socket with no error listener (Node leaves an upgraded socket's errors to
    // the upgrade handler): a reset before the write was an uncaught ECONNRESET that killed the host.
    const closed: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const socket = connectTcp(server.port, '127.0.0.1', () => {
        socket.write(
          [...upgradeLines(server.port, { origin: 'http://evil.example', protocol: BRIDGE_PROTOCOL }), '', ''].join(
            '\r\n',
          ),
        );
        socket.resetAndDestroy();
      });
      socket.on('error', () => undefined);
      closed.push(new Promise((resolve) => socket.once('close', resolve)));
    }
    await Promise.all(closed);
    expect((await rawGet(server.port, '/', `127.0.0.1:${server.port}`)).status).toBe(200);
  });

  it('carries invokes and events for the right page with the token', async () => {
    const ws = connect(server);
    expect(await outcome(ws)).toBe('open');
    expect(ws.protocol).toBe(BRIDGE_PROTOCOL);
    const messages: unknown[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    ws.send(JSON.stringify({ type: 'invoke', id: 1, name: 'session.snapshot', input: {} }));
    ws.send('{not json');
    ws.send(JSON.stringify({ type: 'invoke', id: 'x', name: 'a' }));
    const ofType = (type: string) => messages.filter((m) => (m as { type: string }).type === type);
    await waitFor(() => ofType('result').length === 1 && ofType('error').length === 2, 10_000, 'the answers');
    for (const listener of listeners) listener({ seq: 8, type: 'attention', changed: [], removed: [] });
    await waitFor(() => ofType('event').length === 1, 10_000, 'the event');
    expect(messages).toContainEqual({ type: 'result', id: 1, result: { ok: true, value: { seq: 7 } } });
    expect(messages.filter((m) => (m as { type: string }).type === 'error')).toHaveLength(2);
    expect(messages).toContainEqual({ type: 'event', event: { seq: 8, type: 'attention', changed: [], removed: [] } });
    expect(calls).toEqual([{ name: 'session.snapshot', input: {} }]);
    ws.close();
  });

  it("serves the customer display on its own token: display events and the customer's commands only", async () => {
    expect(server.displayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#display=[0-9a-f]{48}$/);
    expect(server.displayToken).not.toBe(server.token);
    calls.length = 0;
    const ws = connect(server, { token: server.displayToken });
    expect(await outcome(ws)).toBe('open');
    const messages: { type: string; id?: number; result?: Result<unknown>; event?: HostEvent }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    ws.send(JSON.stringify({ type: 'invoke', id: 1, name: 'display.snapshot', input: {} }));
    ws.send(JSON.stringify({ type: 'invoke', id: 2, name: 'session.snapshot', input: {} }));
    ws.send(JSON.stringify({ type: 'invoke', id: 3, name: 'payments.create', input: { amount: 1, currency: 'EUR' } }));
    ws.send(JSON.stringify({ type: 'invoke', id: 4, name: 'customer.chooseTip', input: {} }));
    await waitFor(() => messages.filter((m) => m.type === 'result').length === 4, 10_000, 'the four answers');
    for (const listener of listeners) {
      listener({ seq: 9, type: 'attention', changed: [], removed: [] });
      listener({ seq: 10, type: 'settings' } as unknown as HostEvent);
      listener({ seq: 11, type: 'display', display: { version: 2 } } as unknown as HostEvent);
    }
    // The display event is the last sent: the two before it, had they gone out, would be in first.
    await waitFor(() => messages.some((m) => m.type === 'event'), 10_000, 'the display event');
    // Only the customer's commands reach the host; the others are refused without being read.
    expect(calls.map((c) => c.name)).toEqual(['display.snapshot', 'customer.chooseTip']);
    const refused = messages.filter(
      (m) => m.type === 'result' && m.result && !m.result.ok && m.result.error.code === 'unauthorized',
    );
    expect(refused.map((m) => m.id).sort()).toEqual([2, 3]);
    expect(messages.filter((m) => m.type === 'event').map((m) => m.event?.type)).toEqual(['display']);
    ws.close();
  });

  it('a new display token refuses the old one at once: an open display is closed as refused, unheard', async () => {
    const old = server.displayToken;
    const open = connect(server, { token: old });
    expect(await outcome(open)).toBe('open');
    const closed = closedWith(open);
    const next = 'ab'.repeat(24);
    calls.length = 0;
    server.setDisplayToken(next);
    // Sent before the display has heard: the host never sees it.
    open.send(JSON.stringify({ type: 'invoke', id: 1, name: 'display.snapshot', input: {} }));
    expect(await closed).toBe(4401);
    expect(calls).toEqual([]);
    expect(server.displayUrl).toBe(`${server.origin}/#display=${next}`);
    expect(await closedWith(connect(server, { token: old }))).toBe(4401);
    const fresh = connect(server, { token: next });
    expect(await outcome(fresh)).toBe('open');
    fresh.close();
    expect(() => server.setDisplayToken(server.token)).toThrow('must differ from the cashier token');
  });
});

describe('web mode: names and refusals', () => {
  it('takes the port-less Host and Origin a browser sends on port 80, and only there', () => {
    expect([...hostsFor(80)].sort()).toEqual(['127.0.0.1', '127.0.0.1:80']);
    expect(originsFor(80).has('http://127.0.0.1')).toBe(true);
    expect([...hostsFor(8080)].sort()).toEqual(['127.0.0.1:8080']);
    expect(originsFor(8080).has('http://127.0.0.1')).toBe(false);
  });

  it('logs the first refused bridge of a minute, then only a count with the next one logged', () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const refused = refusalLog(
      (line) => lines.push(line),
      () => now,
    );
    refused('wrong Origin');
    for (let i = 0; i < 500; i++) {
      now += 10;
      refused('wrong Origin');
    }
    expect(lines).toEqual(['bridge refused: wrong Origin']);
    now += LOG_WINDOW_MS;
    refused('wrong Host header');
    expect(lines).toEqual([
      'bridge refused: wrong Origin',
      'bridge refused: wrong Host header (500 more refused since the last one logged)',
    ]);
    now += LOG_WINDOW_MS;
    refused('wrong Origin');
    expect(lines[2]).toBe('bridge refused: wrong Origin');
  });
});

describe('web-mode server: connection limits', () => {
  // Found by the security review: any local program could open sockets to the web-mode server
  // without limit and hold them, trickling its headers a byte at a time so none was ever cut.
  const dir = mkdtempSync(join(tmpdir(), 'web-limits-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>POS</title>');
  const bridgeHost = {
    async dispatch(): Promise<Result<unknown>> {
      return { ok: true, value: { seq: 1 } };
    },
    subscribe: () => () => undefined,
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** One invoke over the bridge, answered. */
  function invoke(ws: WebSocket, id: number): Promise<unknown> {
    return new Promise((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number };
        if (message.id === id) resolve(message);
      });
      ws.send(JSON.stringify({ type: 'invoke', id, name: 'session.snapshot', input: {} }));
    });
  }

  it('holds at most its cap: one more socket is closed at once, and the bridge and pages open keep working', async () => {
    const lines: string[] = [];
    const server = await startWebServer({
      staticDir: dir,
      host: bridgeHost,
      log: (line) => lines.push(line),
      limits: { maxConnections: 3, keepAliveTimeoutMs: 60_000 },
    });
    const get = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
    try {
      const ws = connect(server);
      expect(await outcome(ws)).toBe('open');
      const pages = [await openSocket(server.port), await openSocket(server.port)];
      // Each answered, then kept alive: the server holds three connections.
      for (const page of pages) expect(await page.exchange(get)).toMatch(/^HTTP\/1\.1 200 /);
      const extra = await openSocket(server.port);
      expect(await extra.closed).toBe('');
      expect(await invoke(ws, 1)).toMatchObject({ type: 'result', id: 1, result: { ok: true } });
      expect(await pages[0]!.exchange(get)).toMatch(/^HTTP\/1\.1 200 /);
      expect(lines).toContain('connection refused: 3 open already');
      ws.close();
      for (const page of pages) page.socket.destroy();
    } finally {
      await server.close();
    }
  });

  it("masks a failed dispatch's error on standard error as the developer log does", async () => {
    // Found by review: `bridge dispatch failed: …` was written as the error said it, so a key, a
    // URL's password or a card number quoted in it reached the terminal and its log files.
    const lines: string[] = [];
    // A secret whose shape says nothing (a Plural client secret) is masked by value, as the host holds it.
    const devlog = new DevLog(systemClock, 10, () => ['s3cr3t-plural-value']);
    const server = await startWebServer({
      staticDir: dir,
      host: {
        dispatch: () =>
          Promise.reject(
            new Error(
              'fetch https://shop:hunter2pass@gw.example/v1 failed with sk_live_abcdef123456 for 4242 4242 4242 4242 (client secret s3cr3t-plural-value)',
            ),
          ),
        subscribe: () => () => undefined,
      },
      log: (line) => lines.push(line),
      mask: (text) => devlog.redact(text),
    });
    try {
      const ws = connect(server);
      expect(await outcome(ws)).toBe('open');
      expect(await invoke(ws, 1)).toMatchObject({ type: 'result', id: 1, result: { ok: false } });
      ws.close();
    } finally {
      await server.close();
    }
    expect(lines).toEqual([
      'bridge dispatch failed: Error: fetch https://…@gw.example/v1 failed with sk_live_[redacted] for [card …4242] (client secret [redacted])',
    ]);
  });

  it('masks by shape when no mask is given', async () => {
    const lines: string[] = [];
    const server = await startWebServer({
      staticDir: dir,
      host: {
        dispatch: () =>
          Promise.reject(new Error('GET https://shop:hunter2pass@gw.example/v1 with sk_test_abcdef123456')),
        subscribe: () => () => undefined,
      },
      log: (line) => lines.push(line),
    });
    try {
      const ws = connect(server);
      expect(await outcome(ws)).toBe('open');
      await invoke(ws, 1);
      ws.close();
    } finally {
      await server.close();
    }
    expect(lines).toEqual(['bridge dispatch failed: Error: GET https://…@gw.example/v1 with sk_test_[redacted]']);
  });

  it('answers a client trickling its headers 408 and closes it; an idle bridge is not cut', async () => {
    const server = await startWebServer({
      staticDir: dir,
      host: bridgeHost,
      limits: { headersTimeoutMs: 150, requestTimeoutMs: 150, idleTimeoutMs: 150, checkIntervalMs: 20 },
    });
    try {
      const ws = connect(server);
      expect(await outcome(ws)).toBe('open');
      // Opened after the bridge, cut after the bridge's own deadlines would have passed.
      const answer = await trickle(server.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Slow: `);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      expect(await invoke(ws, 1)).toMatchObject({ type: 'result', id: 1, result: { ok: true } });
      ws.close();
    } finally {
      await server.close();
    }
  });

  it('closes a connection that never sends a request', async () => {
    const server = await startWebServer({
      staticDir: dir,
      host: bridgeHost,
      limits: { headersTimeoutMs: 150, requestTimeoutMs: 150, idleTimeoutMs: 60_000, checkIntervalMs: 20 },
    });
    try {
      const silent = await openSocket(server.port);
      expect(await silent.closed).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      await server.close();
    }
  });
});
