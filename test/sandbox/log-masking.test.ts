/** The sandbox's own log lines never show a webhook or notification URL's user name and password. */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { Api, receiver } from './helpers';
import { PluralApi } from './plural/helpers';

const MINUTE = 60;
let sandbox: RunningSandbox | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await sandbox?.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A receiver that always answers 500, its URL with a user name and password in it. */
async function failingUrlWithCredentials(): Promise<string> {
  const rx = await receiver(1_000);
  cleanups.push(rx.close);
  return rx.url.replace('http://', 'http://shop:s3cret-pass@');
}

/** Walks the retry schedule to its end (the shared clock, moved through PlutoPay's route). */
async function walkRetries(s: RunningSandbox, settle: () => Promise<void>): Promise<void> {
  const api = new Api(s.url, s.secret_key);
  await settle();
  for (const minutes of [1, 5, 30, 120, 1440]) {
    expect((await api.post('/_sandbox/clock', { advance_seconds: minutes * MINUTE })).status).toBe(200);
    await settle();
  }
}

async function started(lines: string[]): Promise<RunningSandbox> {
  sandbox = await startSandbox({
    port: 0,
    db: ':memory:',
    seed: false,
    clock: new FakeClock(Date.UTC(2026, 1, 16, 16, 18, 0)),
    log: (line) => lines.push(line),
  });
  return sandbox;
}

describe('log lines mask URL credentials', () => {
  it('PlutoPay: "webhook endpoint marked failing"', async () => {
    const lines: string[] = [];
    const s = await started(lines);
    const api = new Api(s.url, s.secret_key);
    const url = await failingUrlWithCredentials();
    expect((await api.post('/v1/webhook-endpoints', { url })).status).toBe(201);
    expect((await api.post('/v1/transactions', { amount: 2500, confirm: true })).status).toBe(201);
    await walkRetries(s, () => s.webhooksIdle());
    const line = lines.find((l) => l.includes('marked failing'));
    expect(line).toContain('http://…@127.0.0.1:');
    expect(lines.join('\n')).not.toContain('s3cret-pass');
  });

  it('PayPlug: "notification given up"', async () => {
    const lines: string[] = [];
    const s = await started(lines);
    const api = new Api(s.payplug.url, s.payplug.secret_key);
    const url = await failingUrlWithCredentials();
    const payment = await api.post<{ id: string }>('/v1/payments', {
      amount: 3300,
      currency: 'EUR',
      notification_url: url,
    });
    expect(payment.status).toBe(201);
    expect(
      (await api.post(`/_sandbox/payments/${payment.body.id}/pay`, { card_number: '4242424242424242' })).status,
    ).toBe(200);
    await walkRetries(s, () => s.payplug.notificationsIdle());
    const line = lines.find((l) => l.includes('given up'));
    expect(line).toContain('http://…@127.0.0.1:');
    expect(lines.join('\n')).not.toContain('s3cret-pass');
  });

  it('Plural: "webhook endpoint marked failing"', async () => {
    const lines: string[] = [];
    const s = await started(lines);
    const plural = new PluralApi(s);
    await plural.login();
    const url = await failingUrlWithCredentials();
    expect((await plural.call('POST', '/_sandbox/webhook-endpoints', { url })).status).toBe(200);
    const order = await plural.createOrder();
    expect((await plural.call('POST', `/_sandbox/orders/${order.order_id}/pay`, {})).status).toBe(200);
    await walkRetries(s, () => s.plural.webhooksIdle());
    const line = lines.find((l) => l.includes('marked failing'));
    expect(line).toContain('http://…@127.0.0.1:');
    expect(lines.join('\n')).not.toContain('s3cret-pass');
  });
});
