/** A till on Plural against the embedded sandbox's emulator, for the host tests that use Plural. */
import type { Clock } from '../../common/clock';
import type { HostTuning } from '../../main/host/host';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startTestHost, waitFor, type TestHost } from './host';
import { startRewritingProxy, type RewritingProxy } from './proxy';

/** A token from the sandbox's Plural emulator, asked with its client credentials. */
export async function pluralToken(sandbox: RunningSandbox): Promise<string> {
  const { url, client_id, client_secret } = sandbox.plural;
  const answer = await fetch(`${url}/api/auth/v1/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id, client_secret, grant_type: 'client_credentials' }),
  });
  return ((await answer.json()) as { access_token: string }).access_token;
}

/** A request to the sandbox's Plural emulator with a token of its own (as Plural's dashboard or the customer would). */
export async function pluralRequest(
  sandbox: RunningSandbox,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const token = await pluralToken(sandbox);
  return fetch(sandbox.plural.url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/** The customer pays the order on the checkout page (through the sandbox, not the till). */
export const customerPaysPlural = (sandbox: RunningSandbox, orderId: string, card = '4111111111111111') =>
  pluralRequest(sandbox, 'POST', `/_sandbox/orders/${orderId}/pay`, { card_number: card });

/** pluralRequest for a till's sandbox, with the answer read. */
export async function plural<T>(
  t: TestHost,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await pluralRequest(t.sandbox, method, path, body);
  return { status: response.status, json: (await response.json()) as T };
}

export interface PayAnswer {
  data: { order_id: string; status: string };
  return: { url: string; params: Record<string, string> } | null;
}

/** The customer pays the order on their phone (here, through the sandbox as the page would). */
export const payOrder = (t: TestHost, orderId: string, card = '4111111111111111') =>
  plural<PayAnswer>(t, 'POST', `/_sandbox/orders/${orderId}/pay`, { card_number: card });

export async function pluralTill(
  options: {
    sandbox?: RunningSandbox;
    dataDir?: string;
    tuning?: HostTuning;
    proxy?: RewritingProxy;
    /** The till's clock (give the sandbox the same one, to move a day on both). */
    clock?: Clock;
  } = {},
): Promise<TestHost> {
  const { sandbox, proxy } = options;
  const t = await startTestHost({
    ...(sandbox ? { sandbox } : {}),
    // The till reaches Plural through the proxy; the test and the customer reach the sandbox itself.
    ...(sandbox && proxy
      ? {
          startSandbox: async () => ({
            ...sandbox,
            plural: { ...sandbox.plural, url: proxy.url },
            close: async () => undefined,
          }),
        }
      : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    tuning: { remotePollMs: 50, retryDelayMs: 5, ...options.tuning },
  });
  if ((await t.call('settings.get', {})).gateway !== 'plural') await t.call('settings.update', { gateway: 'plural' });
  await waitFor(async () => (await t.call('session.snapshot', {})).gateway?.name === 'plural', 5_000, 'Plural');
  return t;
}

/**
 * A till on Plural whose Plural is reached through a rewriting proxy (test/support/proxy.ts), for
 * answers Plural may give that the sandbox does not; `close` stops the till, the proxy and the sandbox.
 */
export async function pluralTillBehindProxy(
  options: { tuning?: HostTuning } = {},
): Promise<{ t: TestHost; sandbox: RunningSandbox; proxy: RewritingProxy; close(): Promise<void> }> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:' });
  const proxy = await startRewritingProxy(sandbox.plural.url);
  const t = await pluralTill({ sandbox, proxy, ...options });
  return {
    t,
    sandbox,
    proxy,
    async close() {
      await t.close();
      await proxy.close();
      await sandbox.close();
    },
  };
}
