/**
 * A till whose gateway is reached through a rewriting proxy (test/support/proxy.ts), real HTTP both
 * ways: for tests of a gateway that answers wrongly, late, throttled or half up.
 */
import type { PaymentView } from '../../common/contract';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import type { HostOptions } from '../../main/host/host';
import { startTestHost, type TestHost } from './host';
import { startRewritingProxy, type RewritingProxy } from './proxy';

export interface ProxiedTill {
  t: TestHost;
  sandbox: RunningSandbox;
  proxy: RewritingProxy;
  close(): Promise<void>;
}

/**
 * A test host whose embedded sandbox is `sandbox` reached at `proxy` (PlutoPay's root: the till's
 * PlutoPay calls go through the proxy); the sandbox itself stays reachable directly.
 */
export function startHostBehind(
  sandbox: RunningSandbox,
  proxy: { url: string },
  options: Partial<HostOptions> = {},
): Promise<TestHost> {
  const behind = { ...sandbox, url: proxy.url, close: async () => undefined };
  return startTestHost({ ...options, sandbox, startSandbox: async () => behind });
}

/** A test host whose PlutoPay sandbox sits behind a proxy; the sandbox itself is reachable directly. */
export async function tillBehindProxy(options: Partial<HostOptions> = {}): Promise<ProxiedTill> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:' });
  const proxy = await startRewritingProxy(sandbox.url);
  const t = await startHostBehind(sandbox, proxy, options);
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

/** A card payment on the hosted simulated reader, up to its authorisation (manual) or approval. */
export async function cardPayment(
  t: TestHost,
  amount: number,
  captureMethod: 'automatic' | 'manual',
  currency = 'USD',
): Promise<PaymentView> {
  const reader = await t.onlineReader();
  const created = await t.call('payments.create', { amount, currency, captureMethod });
  await t.call('payments.process', { paymentId: created.id, readerId: reader.id });
  await t.waitForPayment(created.id, (p) => p.readerStage === 'waiting_for_card');
  await t.call('simulate.presentCard', { readerId: reader.id });
  return t.waitForPayment(created.id, (p) => p.status === 'succeeded' || p.status === 'requires_capture');
}
