/**
 * The port contract, run against PlutoPay over real HTTP (the sandbox's PlutoPay emulator): once on
 * its readers, once by link (checkout sessions, which take no idempotency key: the key the till
 * tags them with is what the ledger is searched by).
 */
import { createPlutoPayGateway } from '../../main/gateway/plutopay';
import type { NewPayment } from '../../main/gateway/port';
import { startSandbox } from '../../sandbox/index';
import { describePaymentGatewayContract, type ContractSubject } from './contract';
import { sandboxCall } from './helpers';

interface Ledger {
  transactions: Array<{ id: string; idempotency_key: string | null }>;
}

interface SessionPage {
  data: Array<{ transaction_id: string; metadata: Record<string, unknown> | null }>;
}

async function plutoPaySubject(channel: NewPayment['channel']): Promise<ContractSubject> {
  const sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
  const at = (baseUrl: string) =>
    createPlutoPayGateway({
      baseUrl,
      secretKey: sandbox.secret_key,
      webhookSecret: () => null,
      http: { timeoutMs: 5_000 },
    });
  const call = <T>(path: string) => sandboxCall<T>(sandbox.url, sandbox.secret_key, 'GET', path);
  return {
    gateway: at(sandbox.url),
    at,
    channel,
    dropAfterCommit: (rate) => sandbox.setFaults({ drop_after_commit_rate: rate }),
    async ledgerPaymentsFor(key) {
      if (channel === 'link') {
        const page = await call<SessionPage>('/v1/checkout/sessions?per_page=100');
        return page.data.filter((s) => s.metadata?.pos_key === key).map((s) => s.transaction_id);
      }
      const ledger = await call<Ledger>('/_sandbox/ledger');
      return ledger.transactions.filter((t) => t.idempotency_key === key).map((t) => t.id);
    },
    close: () => sandbox.close(),
  };
}

describePaymentGatewayContract('PlutoPay', () => plutoPaySubject('card_present'));
describePaymentGatewayContract('PlutoPay (pay by link)', () => plutoPaySubject('link'));
