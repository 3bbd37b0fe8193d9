/**
 * The port contract, run against PlutoPay over real HTTP (the sandbox's PlutoPay emulator): once on
 * its readers, once by link (checkout sessions, which take no idempotency key: the key the till
 * tags them with is what the ledger is searched by).
 */
import { createPlutoPayGateway } from '../../main/gateway/plutopay';
import { startSandbox } from '../../sandbox/index';
import { describePaymentGatewayContract } from './contract';
import { sandboxCall } from './helpers';

interface Ledger {
  transactions: Array<{ id: string; idempotency_key: string | null }>;
}

interface SessionPage {
  data: Array<{ transaction_id: string; metadata: Record<string, unknown> | null }>;
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

describePaymentGatewayContract('PlutoPay (pay by link)', async () => {
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
    channel: 'link',
    dropAfterCommit: (rate) => sandbox.setFaults({ drop_after_commit_rate: rate }),
    async ledgerPaymentsFor(key) {
      const page = await sandboxCall<SessionPage>(
        sandbox.url,
        sandbox.secret_key,
        'GET',
        '/v1/checkout/sessions?per_page=100',
      );
      return page.data.filter((s) => s.metadata?.pos_key === key).map((s) => s.transaction_id);
    },
    close: () => sandbox.close(),
  };
});
