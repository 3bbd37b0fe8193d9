import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, GatewayUnreachable } from '../../main/gateway/errors';
import { parsePlutoPayError } from '../../main/gateway/plutopay/schemas';
import { GatewayHttp, type HttpLogEntry } from '../../main/gateway/http';
import { MerchantSchema } from '../../main/gateway/plutopay/schemas';

const MERCHANT = { id: 'm1', business_name: 'Shop', display_name: null, default_currency: 'usd', test_mode: true };

describe('gateway HTTP layer', () => {
  let server: Server;
  let base: string;
  const seen: { auth?: string; body?: string }[] = [];
  const log: HttpLogEntry[] = [];

  beforeAll(async () => {
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
        if (path.startsWith('/v1/drop')) return req.socket.destroy();
        // /v1/hang: never answers
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
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
  ])('classifies %s as an unknown outcome', async (path, message) => {
    const error = await http()
      .request(MerchantSchema, 'POST', path, { auth: 'k', ...(path === '/v1/hang' ? { timeoutMs: 300 } : {}) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnreachable);
    expect(error).toMatchObject({ outcome: 'unknown' });
    expect((error as Error).message).toMatch(message);
  });

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
});
