/**
 * The shared HTTP pipeline on its own, with emulators made up for the test: mounting by prefix,
 * each emulator's own error format, and answers for failures no real route produces today
 * (a handler that throws after reading a body, a request line past Node's limit).
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../sandbox/http/emulator';
import type { ApiError } from '../../sandbox/http/errors';
import { unauthorized } from '../../sandbox/http/errors';
import { Router } from '../../sandbox/http/router';
import { createApiServer } from '../../sandbox/http/server';
import { FaultInjector } from '../../sandbox/core/faults';
import type { Server } from 'node:http';

function emulator(name: string, prefix: string, format: (e: ApiError) => unknown): Emulator {
  const router = new Router();
  router.add({
    method: 'POST',
    path: '/boom',
    auth: 'none',
    handler: () => Promise.reject(new TypeError('unexpected')),
  });
  router.add({
    method: 'GET',
    path: '/boom',
    auth: 'none',
    handler: () => Promise.reject(new TypeError('unexpected')),
  });
  router.add({
    method: 'POST',
    path: '/echo',
    auth: 'secret',
    handler: (req) => ({ status: 200, json: { name, body: req.body } }),
  });
  return {
    name,
    prefix,
    router,
    faults: new FaultInjector(),
    checkKey: (bearer) => (bearer === `key-${name}` ? 'secret' : unauthorized('bad key', 'api_key_invalid')),
    renderError: (error) => ({ status: error.status, json: format(error) }),
    faultable: () => true,
  };
}

let server: Server;
let url = '';
const lines: string[] = [];
beforeAll(async () => {
  server = createApiServer({
    emulators: [
      emulator('root', '', (e) => ({ error: { type: e.type, message: e.message, code: e.code } })),
      emulator('other', '/other', (e) => ({ object: 'error', message: e.message, http_status: e.status })),
    ],
    log: (line) => lines.push(line),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the sandbox HTTP pipeline', () => {
  it('routes by prefix and authenticates with the emulator that owns the route', async () => {
    const root = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { Authorization: 'Bearer key-root' },
      body: '{"a":1}',
    });
    expect(await root.json()).toEqual({ name: 'root', body: { a: 1 } });
    const other = await fetch(`${url}/other/echo`, {
      method: 'POST',
      headers: { Authorization: 'Bearer key-other' },
      body: '{}',
    });
    expect(await other.json()).toEqual({ name: 'other', body: {} });
    const wrongKey = await fetch(`${url}/other/echo`, {
      method: 'POST',
      headers: { Authorization: 'Bearer key-root' },
    });
    expect(wrongKey.status).toBe(401);
    expect(await wrongKey.json()).toEqual({ object: 'error', message: 'bad key', http_status: 401 });
  });

  it('an unknown route is a 404 in the format of the API the path belongs to', async () => {
    const answer = await fetch(`${url}/other/nothing-here`);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ object: 'error', http_status: 404 });
  });

  it('a handler that throws after the body was read still answers the documented 500 (issue 9 #13)', async () => {
    const withBody = await fetch(`${url}/boom`, {
      method: 'POST',
      body: '{"amount": 1000}',
      signal: AbortSignal.timeout(5_000),
    });
    expect(withBody.status).toBe(500);
    expect(await withBody.json()).toEqual({
      error: { type: 'api_error', message: 'Internal sandbox error.', code: 'internal_error' },
    });
    const withoutBody = await fetch(`${url}/other/boom`, { signal: AbortSignal.timeout(5_000) });
    expect(withoutBody.status).toBe(500);
    expect(await withoutBody.json()).toMatchObject({ object: 'error', http_status: 500 });
    expect(lines.filter((line) => line.includes('internal error on POST /boom'))).toHaveLength(1);
  });

  it('a request line past the header limit gets 431 with a JSON error body (issue 9 #15)', async () => {
    const answer = await fetch(`${url}/echo?q=${'x'.repeat(20_000)}`, { signal: AbortSignal.timeout(5_000) });
    expect(answer.status).toBe(431);
    const body = (await answer.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request', code: 'request_too_large' });
    expect(body.error.message).toMatch(/too large/);
    // Under another emulator's prefix, in that emulator's format.
    const other = await fetch(`${url}/other/echo?q=${'x'.repeat(20_000)}`, { signal: AbortSignal.timeout(5_000) });
    expect(other.status).toBe(431);
    expect(await other.json()).toMatchObject({
      object: 'error',
      http_status: 431,
      message: expect.stringMatching(/too large/),
    });
  });
});
