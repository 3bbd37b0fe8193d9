/**
 * Every server the till opens listens on loopback only: web mode (the cashier's page and the customer
 * display's), the notification and return receiver, and the embedded sandbox. Each `listen` is
 * watched and the address it bound is read back, so a default changed to every interface fails here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Server, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../common/clock';
import { startWebServer } from '../../main/web/server';
import { startWebhookReceiver } from '../../main/webhooks/receiver';
import { startSandbox } from '../../sandbox/index';

/** The addresses bound by every server that starts listening while `start` runs. */
async function boundBy<T>(start: () => Promise<T>): Promise<{ value: T; addresses: string[] }> {
  const servers: Server[] = [];
  const listen = Server.prototype.listen;
  const spy = vi.spyOn(Server.prototype, 'listen').mockImplementation(function (this: Server, ...args: unknown[]) {
    servers.push(this);
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  });
  try {
    const value = await start();
    return {
      value,
      addresses: servers.filter((s) => s.listening).map((s) => (s.address() as AddressInfo).address),
    };
  } finally {
    spy.mockRestore();
  }
}

describe('every listener binds loopback only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'listeners-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>POS</title>');
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('web mode: the page, its bridge and the customer display', async () => {
    const { value, addresses } = await boundBy(() =>
      startWebServer({
        staticDir: dir,
        host: { dispatch: async () => ({ ok: true, value: null }), subscribe: () => () => undefined },
      }),
    );
    closers.push(() => value.close());
    expect(addresses).toEqual(['127.0.0.1']);
    expect(new URL(value.displayUrl).hostname).toBe('127.0.0.1');
  });

  it('the notification and return receiver', async () => {
    const { value, addresses } = await boundBy(() =>
      startWebhookReceiver({
        port: 0,
        clock: systemClock,
        notifications: () => null,
        seen: () => false,
        take: () => undefined,
        onEvent: () => undefined,
      }),
    );
    closers.push(() => value.close());
    expect(addresses).toEqual(['127.0.0.1']);
  });

  it('the sandbox, embedded (no host given)', async () => {
    const { value, addresses } = await boundBy(() => startSandbox({ port: 0 }));
    closers.push(() => value.close());
    expect(addresses).toEqual(['127.0.0.1']);
  });
});
