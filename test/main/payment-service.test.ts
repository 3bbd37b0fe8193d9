import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock';
import { Connectivity } from '../../main/gateway/connectivity';
import { GatewayHttp } from '../../main/gateway/http';
import { PlutoPayClient } from '../../main/gateway/plutopay';
import type { ReaderAction } from '../../main/gateway/schemas';
import { PaymentService } from '../../main/payments/service';
import { Journal } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';

describe('payment service (real sandbox, no readers)', () => {
  let sandbox: RunningSandbox;
  let service: PaymentService;
  let client: PlutoPayClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
    client = new PlutoPayClient(new GatewayHttp({ baseUrl: sandbox.url }), sandbox.secret_key);
    const connectivity = new Connectivity(systemClock, () => client.health());
    service = new PaymentService({
      journal: new Journal(openDatabase(':memory:'), systemClock),
      clock: systemClock,
      gateway: () => client,
      connectivity,
      readers: {
        resolve: () => undefined,
        byProcessorId: () => undefined,
        cancelCollection: async () => 'not_collecting',
        settleUnknown: async () => undefined,
      },
      onPaymentChanged: () => undefined,
      onAttentionChanged: () => undefined,
      onQueueChanged: () => undefined,
      log: () => undefined,
    });
  });
  afterAll(async () => {
    service.close();
    await sandbox.close();
  });

  it('ignores an answer older than what the journal already knows (a late reader report after a cancel)', async () => {
    const created = await service.create({ amount: 1500, currency: 'EUR', captureMethod: 'automatic' });
    const stale = await client.getTransaction(created.transactionId!);
    expect(stale.status).toBe('pending');
    expect((await service.cancel({ paymentId: created.id })).status).toBe('canceled');
    service.actionFinished({ payment_intent_id: stale.id } as ReaderAction, { ...stale, failure_code: 'reader_canceled' });
    expect(service.list('all', 10).find((p) => p.id === created.id)?.status).toBe('canceled');
  });
});
