/** The port contract, run against Plural over real HTTP (the sandbox's Plural emulator). */
import { tagValue } from '../../main/gateway/plural/references';
import { describePaymentGatewayContract } from './contract';
import { startPluralHarness, type WireOrderJson } from './plural-support';

describePaymentGatewayContract('Plural', async () => {
  const harness = await startPluralHarness();
  return {
    gateway: harness.gateway,
    at: (baseUrl) => harness.make({ baseUrl }),
    dropAfterCommit: (rate) => harness.sandbox.plural.setFaults({ drop_after_commit_rate: rate }),
    async ledgerPaymentsFor(key) {
      // The ledger has no metadata: each order is read for the key it was tagged with.
      const ids: string[] = [];
      for (const entry of await harness.ledger()) {
        const order = await harness.call<{ data: WireOrderJson }>('GET', `/api/pay/v1/orders/${entry.order_id}`);
        if (order.body.data.purchase_details.merchant_metadata?.pos_key === tagValue(key)) ids.push(entry.order_id);
      }
      return ids;
    },
    approvedCard: '4111111111111111',
    cannot: { list: true, cancelUnpaid: true },
    token: {
      path: '/api/auth/v1/token',
      answer: () => JSON.stringify({ access_token: 'contract-token', expires_in: 3600 }),
    },
    close: () => harness.close(),
  };
});
