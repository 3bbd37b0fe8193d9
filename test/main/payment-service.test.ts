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
  /** A reader the sandbox simulates, standing in for one this till could push payments to. */
  let cloudReader: string | null = null;
  /** While set, the service's getReader calls wait for it (to interleave a reader report). */
  let readerGate: Promise<void> | null = null;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:', seed: false });
    client = new PlutoPayClient(new GatewayHttp({ baseUrl: sandbox.url }), sandbox.secret_key);
    const gated = Object.create(client) as PlutoPayClient;
    gated.getReader = async (id) => {
      await readerGate;
      return client.getReader(id);
    };
    const connectivity = new Connectivity(systemClock, () => client.health());
    service = new PaymentService({
      journal: new Journal(openDatabase(':memory:'), systemClock),
      clock: systemClock,
      gateway: () => gated,
      connectivity,
      cloudPollMs: 3_600_000,
      readers: {
        resolve: (id) =>
          id === 'rdr_cloud' && cloudReader
            ? { processorId: cloudReader, hosted: false, online: true, label: 'Cloud' }
            : undefined,
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
    service.actionFinished({ payment_intent_id: stale.id } as ReaderAction, {
      ...stale,
      failure_code: 'reader_canceled',
    });
    expect(service.list('all', 10).find((p) => p.id === created.id)?.status).toBe('canceled');
  });

  it("a reconcile that overlaps the reader's report does not undo the payment (found by the soak)", async () => {
    const terminal = await client.createTerminal({ name: 'Cloud', registration_code: 'simulated' });
    cloudReader = terminal.processor_terminal_id;
    const created = await service.create({ amount: 2170, currency: 'EUR', captureMethod: 'automatic' });
    await service.process({ paymentId: created.id, readerId: 'rdr_cloud' });
    let open!: () => void;
    readerGate = new Promise((resolve) => (open = resolve));
    // Reconcile reads the transaction (still pending), then waits on the reader...
    const reconciling = service.reconcile(await service.resolve(created.id));
    await new Promise((r) => setTimeout(r, 50));
    // ...while the card is approved and the report reaches the journal.
    await client.simulatePayment(cloudReader);
    const approved = await client.getTransaction(created.transactionId!);
    expect(approved.status).toBe('succeeded');
    const action = (await client.getReader(cloudReader)).action!;
    service.actionFinished(action, approved);
    open();
    readerGate = null;
    expect((await reconciling).status).toBe('succeeded');
    expect(service.list('all', 10).find((p) => p.id === created.id)?.status).toBe('succeeded');
  });
});
