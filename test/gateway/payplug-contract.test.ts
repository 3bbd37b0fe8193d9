/** The port contract, run against PayPlug over real HTTP (the sandbox's PayPlug emulator). */
import { createPayPlugGateway } from '../../main/gateway/payplug';
import { tagValue } from '../../main/gateway/payplug/tags';
import { startSandbox } from '../../sandbox/index';
import { describePaymentGatewayContract } from './contract';
import { sandboxCall } from './helpers';

interface Ledger {
  payments: Array<{ id: string; metadata: Record<string, unknown> | null }>;
}

describePaymentGatewayContract('PayPlug', async () => {
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
  const { url, secret_key: secretKey } = sandbox.payplug;
  const at = (baseUrl: string) =>
    createPayPlugGateway({
      baseUrl,
      secretKey,
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/canceled',
      http: { timeoutMs: 5_000 },
    });
  return {
    gateway: at(url),
    at,
    dropAfterCommit: (rate) => sandbox.payplug.setFaults({ drop_after_commit_rate: rate }),
    async ledgerPaymentsFor(key) {
      const ledger = await sandboxCall<Ledger>(url, secretKey, 'GET', '/_sandbox/ledger');
      return ledger.payments.filter((p) => p.metadata?.pos_key === tagValue(key)).map((p) => p.id);
    },
    close: () => sandbox.close(),
  };
});
