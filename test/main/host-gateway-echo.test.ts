/**
 * A gateway that echoes what it was sent in its refusals ("Invalid API key sk_live_…", a card
 * number): what it says reaches the cashier's screen, the journal's timeline and the developer log
 * only masked.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host';

const KEY = 'sk_test_EchoedKey1234567890';
const PAN = '4000 0566 5566 5556';

describe('a gateway echoing secrets in its errors', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('reaches the screen, the journal and the log masked', async () => {
    // A fake PlutoPay: every call refused, with the Authorization header and a card number quoted.
    const server: Server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(400, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify({
            error: {
              type: 'invalid_request_error',
              message: `Invalid request with ${request.headers.authorization ?? ''} for card ${PAN}`,
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'pos-echo-'));
    cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const t: TestHost = await startTestHost({ dataDir, gateway: { name: 'plutopay', url, secretKey: KEY } });

    const error = await t.fail('payments.create', { amount: 1500, currency: 'USD', channel: 'link' });
    expect(error.message).toContain('The gateway refused');
    expect(error.message).toContain('[card …5556]');

    const payments = await t.call('payments.list', { filter: 'all', limit: 10 });
    const transactions = await Promise.all(
      payments
        .filter((p) => p.transactionId)
        .map((p) => t.call('transactions.get', { transactionId: p.transactionId! }).catch(() => null)),
    );
    const seen = JSON.stringify({
      error,
      payments,
      transactions,
      log: await t.call('devlog.list', { limit: 1000 }),
      events: t.events,
    });
    expect(payments.length).toBeGreaterThan(0);
    for (const secret of [KEY, 'EchoedKey1234567890', PAN, PAN.replaceAll(' ', '')]) expect(seen).not.toContain(secret);

    // The journal keeps the refusal (the payment's timeline): masked too. Its files are read raw.
    await t.close();
    const journal = Buffer.concat(
      readdirSync(dataDir)
        .filter((name) => name.startsWith('journal.db'))
        .map((name) => readFileSync(join(dataDir, name))),
    );
    expect(journal.includes('[card …5556]')).toBe(true);
    for (const secret of ['EchoedKey1234567890', PAN, PAN.replaceAll(' ', '')])
      expect(journal.includes(secret), secret).toBe(false);
  });
});
