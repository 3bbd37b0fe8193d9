/**
 * A till's payments (PaymentService) on a journal, a clock and a gateway, wired as the host wires
 * them but without readers: for tests of the engine and recovery on the fake clock. A second till on
 * the same database is the till after a restart.
 */
import type { Clock } from '../../common/clock';
import { Connectivity } from '../../main/gateway/connectivity';
import type { PaymentGateway } from '../../main/gateway/port';
import { QUEUEABLE_KINDS } from '../../main/payments/engine';
import { PaymentService } from '../../main/payments/service';
import { Journal } from '../../main/store/journal';
import type { SqlDatabase } from '../../main/store/sqlite';

export function paymentTill<C extends Clock>(
  db: SqlDatabase,
  clock: C,
  gateway: PaymentGateway | (() => PaymentGateway),
  options: {
    timeZone?: string;
    recoverWhenOnline?: boolean;
    /** The account the gateway reads (ActiveGateway.account); a function to switch it, as Settings does. */
    gatewayAccount?: () => string;
  } = {},
) {
  const active = typeof gateway === 'function' ? gateway : () => gateway;
  const journal = new Journal(db, clock);
  // As the host does at every start: what the last launch was sending counts as queued.
  journal.markInterrupted(QUEUEABLE_KINDS, 'The app stopped before the gateway answered; it is sent again.');
  const connectivity = new Connectivity(clock, () => active().health());
  const service = new PaymentService({
    journal,
    clock,
    gateway: active,
    mode: () => 'test',
    connectivity,
    readers: {
      resolve: () => undefined,
      cancelCollection: async () => 'not_collecting',
      settleUnknown: async () => undefined,
    },
    onPaymentChanged: () => undefined,
    onPlanChanged: () => undefined,
    onAttentionChanged: () => undefined,
    onQueueChanged: () => undefined,
    log: () => undefined,
    ...(options.timeZone ? { timeZone: () => options.timeZone! } : {}),
    ...(options.gatewayAccount ? { gatewayAccount: options.gatewayAccount } : {}),
    tuning: { retryDelayMs: 250, remotePollMs: 3_600_000 },
  });
  // As the host does: the gateway back, recovery drains the queue.
  if (options.recoverWhenOnline)
    connectivity.onChange((state) => {
      if (state === 'online') void service.recovery.recover();
    });
  const close = () => {
    service.close();
    connectivity.stop();
  };
  return { clock, journal, connectivity, service, close };
}

/** Lets the promise callbacks and the I/O the till queued run (no time passes on the fake clock). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
