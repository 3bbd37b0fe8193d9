import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, GatewayUnreachable } from '../../main/gateway/errors';
import { parsePlutoPayError } from '../../main/gateway/plutopay/schemas';
import { GatewayHttp, MAX_ANSWER_BYTES, type HttpLogEntry } from '../../main/gateway/http';
import { MerchantSchema } from '../../main/gateway/plutopay/schemas';

const MERCHANT = { id: 'm1', business_name: 'Shop', display_name: null, default_currency: 'usd', test_mode: true };

describe('gateway HTTP layer', () => {
  let server: Server;
  let base: string;
  // Another origin a redirect points to: it must never be asked anything.
  let elsewhere: Server;
  let elsewhereUrl: string;
  const elsewhereSeen: string[] = [];
  const seen: { auth?: string; body?: string }[] = [];
  const log: HttpLogEntry[] = [];

  beforeAll(async () => {
    elsewhere = createServer((req, res) => {
      elsewhereSeen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(MERCHANT));
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body });
        const path = req.url ?? '';
        const json = (status: number, value: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(typeof value === 'string' ? value : JSON.stringify(value));
        };
        if (path.startsWith('/v1/ok')) return json(200, MERCHANT);
        if (path.startsWith('/v1/garbage')) return json(200, '{"id": "m1", ');
        if (path.startsWith('/v1/shape')) return json(200, { id: 5 });
        if (path.startsWith('/v1/refused'))
          return json(422, {
            error: { type: 'capture_error', message: 'Already captured.', param: 'amount', code: 'x' },
          });
        if (path.startsWith('/v1/broken-error')) return json(404, '<html>');
        if (path.startsWith('/v1/server')) return json(500, { error: { type: 'api_error', message: 'boom' } });
        // A gateway that echoes what it was sent, as some do: the key, a card number, a secret.
        const echo = `Invalid API key ${req.headers.authorization ?? ''} (client secret plutoniumvault42, card 4000 0566 5566 5556)`;
        if (path.startsWith('/v1/echo-refused'))
          return json(401, { error: { type: 'authentication_error', message: echo } });
        if (path.startsWith('/v1/echo-server')) return json(503, { error: { type: 'api_error', message: echo } });
        if (path.startsWith('/v1/echo-shape')) return json(200, { ...MERCHANT, test_mode: 'sk_live_Echoed123456' });
        if (path.startsWith('/v1/drop')) return req.socket.destroy();
        if (path.startsWith('/v1/empty')) return json(200, '');
        if (path.startsWith('/v1/error-in-200'))
          return json(200, { error: { type: 'invalid_request', message: 'amount must be at least 50' } });
        if (path.startsWith('/v1/sign-in')) {
          res.writeHead(511, { 'Content-Type': 'text/html' });
          return res.end('<html><body>Accept the terms to use the Wi-Fi</body></html>');
        }
        if (path.startsWith('/v1/portal')) {
          res.writeHead(200, { 'Content-Type': 'text/html' });
          return res.end('<html><body>Sign in to the hotel Wi-Fi</body></html>');
        }
        const redirect = /^\/v1\/redirect-(\d{3})/.exec(path);
        if (redirect) {
          res.writeHead(Number(redirect[1]), { Location: `${elsewhereUrl}/v1/ok?token=abc` });
          return res.end();
        }
        if (path.startsWith('/v1/gzipped')) {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
          return res.end(gzipSync(JSON.stringify(MERCHANT)));
        }
        // "Café" as a gateway sending Latin-1 writes it (63 61 66 E9): not UTF-8, whatever it says.
        const latin1 = (value: unknown) => Buffer.from(JSON.stringify(value).replace('Shop', 'Café'), 'latin1');
        if (path.startsWith('/v1/latin1-gzipped')) {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
          return res.end(gzipSync(latin1(MERCHANT)));
        }
        if (path.startsWith('/v1/latin1-refused')) {
          res.writeHead(422, { 'Content-Type': 'application/json; charset=iso-8859-1' });
          return res.end(latin1({ error: { type: 'invalid_request', message: 'Shop is closed.' } }));
        }
        if (path.startsWith('/v1/latin1')) {
          res.writeHead(200, { 'Content-Type': 'application/json; charset=iso-8859-1' });
          return res.end(latin1(MERCHANT));
        }
        if (path.startsWith('/v1/utf8-bom')) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return res.end(Buffer.from('\uFEFF' + JSON.stringify({ ...MERCHANT, business_name: 'Café' }), 'utf8'));
        }
        if (path.startsWith('/v1/gzip-bomb')) {
          // A few KiB on the wire, 64 MiB of padding once inflated.
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
          return res.end(gzipSync(`{"id":"m1","pad":"${' '.repeat(64 * 1024 * 1024)}"}`));
        }
        if (path.startsWith('/v1/endless')) {
          // No declared length: 1 MiB chunks for as long as the client reads.
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const chunk = Buffer.alloc(1024 * 1024, 0x20);
          const more = () => {
            while (!res.destroyed && res.write(chunk));
            if (!res.destroyed) res.once('drain', more);
          };
          res.on('error', () => undefined);
          return more();
        }
        if (path.startsWith('/v1/declared-huge')) {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(1024 * 1024 * 1024) });
          return res.write('{"id":');
        }
        // /v1/hang: never answers
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    elsewhere.closeAllConnections();
    await new Promise((r) => server.close(r));
    await new Promise((r) => elsewhere.close(r));
  });

  // A bound generous enough for a loaded machine; only the hanging path is waited out, with its own short one.
  const http = () =>
    new GatewayHttp({
      parseError: parsePlutoPayError,
      baseUrl: base,
      timeoutMs: 10_000,
      onRequest: (e) => log.push(e),
    });

  it('sends the bearer credential and JSON body, and validates the answer', async () => {
    await expect(
      http().request(MerchantSchema, 'POST', '/v1/ok', { auth: 'sk_test_abc', body: { a: 1 } }),
    ).resolves.toMatchObject({ id: 'm1', test_mode: true });
    expect(seen.at(-1)).toEqual({ auth: 'Bearer sk_test_abc', body: '{"a":1}' });
    expect(JSON.stringify(log)).not.toContain('sk_test_abc');
  });

  it('turns a refusal into a GatewayError with the API type, param and code', async () => {
    const error = await http()
      .request(MerchantSchema, 'POST', '/v1/refused', { auth: 'k' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      status: 422,
      type: 'capture_error',
      param: 'amount',
      code: 'x',
      message: 'Already captured.',
    });
  });

  it.each([
    ['/v1/garbage', /answer to POST \/v1\/garbage is not JSON\.$/],
    ['/v1/shape', /answer to POST \/v1\/shape is not in the expected form \(id: /],
    ['/v1/broken-error', /malformed body/],
    ['/v1/server', /500.*boom/],
    ['/v1/drop', /connection to the gateway failed/],
    ['/v1/hang', /did not answer in time/],
    ['/v1/empty', /answer to POST \/v1\/empty is empty\.$/],
    ['/v1/portal', /answer to POST \/v1\/portal is not JSON\.$/],
    [
      '/v1/error-in-200',
      /answer to POST \/v1\/error-in-200 is an error despite its status 200 \(invalid_request: amount must be at least 50\)\.$/,
    ],
  ])('classifies %s as an unknown outcome', async (path, message) => {
    const error = await http()
      .request(MerchantSchema, 'POST', path, { auth: 'k', ...(path === '/v1/hang' ? { timeoutMs: 300 } : {}) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnreachable);
    expect(error).toMatchObject({ outcome: 'unknown' });
    expect((error as Error).message).toMatch(message);
  });

  it('says a network that asks to sign in is in the way, and the request went no further', async () => {
    const error = await http()
      .request(MerchantSchema, 'POST', '/v1/sign-in', { auth: 'k', body: { amount: 1 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnreachable);
    expect(error).toMatchObject({ outcome: 'not_sent', status: 511 });
    expect((error as Error).message).toBe(
      'The network this computer is on asks to sign in first (511 Network Authentication Required): open any web page in a browser on this computer and sign in.',
    );
  });

  it.each(['/v1/echo-refused', '/v1/echo-server', '/v1/echo-shape'])(
    'masks what %s echoes back before any error leaves the client: keys, held secrets, card numbers',
    async (path) => {
      const client = new GatewayHttp({
        parseError: parsePlutoPayError,
        baseUrl: base,
        timeoutMs: 10_000,
        secrets: () => ['plutoniumvault42', null],
      });
      for (const auth of ['sk_live_Secret1234567890', 'plaintokenwithnoshape']) {
        const error = await client.request(MerchantSchema, 'POST', path, { auth }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        const text = JSON.stringify({ ...(error as object), message: (error as Error).message });
        for (const secret of [auth, 'Secret1234567890', 'plutoniumvault42', '4000 0566 5566 5556', 'Echoed123456'])
          expect(text).not.toContain(secret);
        if (path !== '/v1/echo-shape') {
          expect((error as Error).message).toContain('[card …5556]');
          expect((error as Error).message).toContain('Invalid API key Bearer [redacted]');
        }
      }
    },
  );

  it('knows a refused connection was never sent', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const error = await new GatewayHttp({ parseError: parsePlutoPayError, baseUrl: `http://127.0.0.1:${port}` })
      .request(MerchantSchema, 'GET', '/v1/ok', { auth: 'k' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ outcome: 'not_sent' });
  });

  it('never names a user name or password of its URL in an error (fetch quotes the URL it refuses)', async () => {
    // Found in a security review: an address an older version kept with a password was journaled in
    // the failure's words, whole, in a payment's timeline.
    const error = await new GatewayHttp({
      parseError: parsePlutoPayError,
      baseUrl: base.replace('://', '://shop:SECRETPASS@'),
    })
      .request(MerchantSchema, 'GET', '/v1/ok', { auth: 'k' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnreachable);
    expect((error as Error).message).toContain(base.replace('://', '://…@'));
    expect((error as Error).message).not.toContain('SECRETPASS');
  });

  it.each([301, 302, 303, 307, 308])(
    'never follows a %i redirect: the request goes nowhere else, and the outcome is unknown',
    async (status) => {
      const error = await http()
        .request(MerchantSchema, 'POST', `/v1/redirect-${status}`, { auth: 'sk_test_abc', body: { amount: 1250 } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayUnreachable);
      expect(error).toMatchObject({ outcome: 'unknown', status });
      // The origin only: the Location's path and query stay out of the message.
      expect((error as Error).message).toBe(
        `The gateway's answer to POST /v1/redirect-${status} is a redirect (${status}) to ${elsewhereUrl}, which the app does not follow.`,
      );
      expect(elsewhereSeen).toEqual([]);
    },
  );

  it('reads a gzipped answer', async () => {
    await expect(http().request(MerchantSchema, 'GET', '/v1/gzipped', { auth: 'k' })).resolves.toMatchObject({
      id: 'm1',
    });
  });

  it.each(['/v1/latin1', '/v1/latin1-gzipped'])(
    'takes %s, an answer that is not UTF-8, as unreadable: an unknown outcome, never a name with U+FFFD',
    async (path) => {
      const error = await http()
        .request(MerchantSchema, 'POST', path, { auth: 'k', body: { amount: 1 } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayUnreachable);
      expect(error).toMatchObject({ outcome: 'unknown', status: 200 });
      expect((error as Error).message).toBe(`The gateway's answer to POST ${path} is not UTF-8.`);
    },
  );

  it('takes a refusal that is not UTF-8 as an unknown outcome, as a malformed one, never as its words', async () => {
    const error = await http()
      .request(MerchantSchema, 'POST', '/v1/latin1-refused', { auth: 'k' })
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ outcome: 'unknown', status: 422 });
    expect((error as Error).message).toBe('The gateway failed (422): HTTP 422 with a body that is not UTF-8');
  });

  it('reads a UTF-8 answer that starts with a byte-order mark', async () => {
    await expect(http().request(MerchantSchema, 'GET', '/v1/utf8-bom', { auth: 'k' })).resolves.toMatchObject({
      business_name: 'Café',
    });
  });

  it.each(['/v1/gzip-bomb', '/v1/endless', '/v1/declared-huge'])(
    "stops reading %s past the bound: an unknown outcome, not the host's memory",
    async (path) => {
      const error = await http()
        .request(MerchantSchema, 'GET', path, { auth: 'k' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayUnreachable);
      expect(error).toMatchObject({ outcome: 'unknown', status: 200 });
      expect((error as Error).message).toBe(
        `The gateway's answer to GET ${path} is too large (over ${MAX_ANSWER_BYTES / (1024 * 1024)} MiB).`,
      );
    },
  );
});
