/** The port contract, run against PlutoPay over real HTTP (the sandbox's PlutoPay emulator). */
import { createPlutoPayGateway } from '../../main/gateway/plutopay';
import { startSandbox } from '../../sandbox/index';
import { describePaymentGatewayContract } from './contract';
import { sandboxCall } from './helpers';

interface Ledger {
  transactions: Array<{ id: string; idempotency_key: string | null }>;
}

describePaymentGatewayContract('PlutoPay', async () => {
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
  const at = (baseUrl: string) =>
    createPlutoPayGateway({
      baseUrl,
      secretKey: sandbox.secret_key,
      webhookSecret: () => null,
      http: { timeoutMs: 5_000 },
    });
  return {
    gateway: at(sandbox.url),
    at,
    dropAfterCommit: (rate) => sandbox.setFaults({ drop_after_commit_rate: rate }),
    async ledgerPaymentsFor(key) {
      const ledger = await sandboxCall<Ledger>(sandbox.url, sandbox.secret_key, 'GET', '/_sandbox/ledger');
      return ledger.transactions.filter((t) => t.idempotency_key === key).map((t) => t.id);
    },
    close: () => sandbox.close(),
  };
});
