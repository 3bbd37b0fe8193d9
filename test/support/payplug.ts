/** A till on PayPlug against the embedded sandbox's emulator, for the host-payplug tests. */
import { systemClock, type Clock } from '../../common/clock';
import type { RunningSandbox } from '../../sandbox/index';
import { startTestHost, useGateway, waitFor, type TestHost } from './host';
import type { HostTuning } from '../../main/host/host';
import type { InstallmentPlanView } from '../../common/contract';

/** A call to the sandbox's PayPlug emulator, as the customer's page or PayPlug's dashboard would. */
export function payplug(t: TestHost, method: string, path: string, body?: unknown) {
  return payplugOn(t.sandbox, method, path, body);
}

/** The same call on a given account's PayPlug (a sandbox standing for one of the shop's accounts). */
export async function payplugOn(account: RunningSandbox, method: string, path: string, body?: unknown) {
  const response = await fetch(account.payplug.url + path, {
    method,
    headers: { Authorization: `Bearer ${account.payplug.secret_key}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as unknown };
}

/**
 * A plan of 3 × €30.00 for Grace made through the till; with `paidOn`, its first part paid there by
 * the customer on its page (the till's own sandbox, or the account named), until the till shows it paid.
 */
export async function planOf(
  t: TestHost,
  orderReference: string,
  paidOn?: 'its page' | RunningSandbox,
): Promise<InstallmentPlanView> {
  const plan = await t.call('installments.create', {
    amount: 9000,
    currency: 'EUR',
    count: 3,
    customer: { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' },
    orderReference,
  });
  if (!paidOn) return plan;
  await payplugOn(
    paidOn === 'its page' ? t.sandbox : paidOn,
    'POST',
    `/_sandbox/payments/${plan.schedule[0]!.paymentIds[0]}/pay`,
    {
      card_number: '4242424242424242',
    },
  );
  await waitFor(
    async () => (await t.call('installments.list', {})).find((p) => p.id === plan.id)?.schedule[0]!.paid,
    8_000,
    'the first part paid',
  );
  return plan;
}

export async function payplugTill(
  sandbox?: RunningSandbox,
  options: { clock?: Clock; tuning?: HostTuning; payplugUrl?: string; dataDir?: string } = {},
): Promise<TestHost> {
  // payplugUrl: where the till reaches PayPlug instead of the sandbox itself (a proxy in front of it).
  const behind =
    sandbox && options.payplugUrl
      ? { ...sandbox, payplug: { ...sandbox.payplug, url: options.payplugUrl }, close: async () => undefined }
      : undefined;
  const t = await startTestHost({
    ...(sandbox ? { sandbox } : {}),
    ...(behind ? { startSandbox: async () => behind } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    tuning: { remotePollMs: 50, retryDelayMs: 5, ...options.tuning },
  });
  await useGateway(t, 'payplug');
  return t;
}

/**
 * The till on the shop's own accounts (here, those of `sandbox`), PlutoPay and PayPlug each with its
 * own key, PayPlug in use: not the embedded sandbox's, so a switch of gateway keeps each account.
 */
export async function onOwnAccounts(t: TestHost, sandbox: RunningSandbox): Promise<void> {
  await useGateway(t, 'payplug', {
    embeddedSandbox: false,
    apiBaseUrl: sandbox.url,
    secretKey: sandbox.secret_key,
    payplugApiBaseUrl: sandbox.payplug.url,
    payplugSecretKey: sandbox.payplug.secret_key,
  });
}

/** Real timers, with a wall clock the test moves forward (days in an instant). */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  /** Days moved forward count as days passed. */
  monotonic(): number {
    return systemClock.monotonic() + this.offsetMs;
  }
  setTimeout(callback: () => void, ms: number) {
    return systemClock.setTimeout(callback, ms);
  }
  clearTimeout(handle: Parameters<Clock['clearTimeout']>[0]): void {
    systemClock.clearTimeout(handle);
  }
}

/**
 * A ShiftedClock at the next hh:mm UTC: today's, or tomorrow's once it has passed (the clock only
 * moves forward). For a test whose steps must fall on one day, whenever it runs: one at 23:59:59
 * would otherwise cross midnight between them. Give the sandbox the same clock.
 */
export function shiftedClockAt(hours: number, minutes = 0): ShiftedClock {
  const clock = new ShiftedClock();
  const at = new Date();
  at.setUTCHours(hours, minutes, 0, 0);
  if (at.getTime() < Date.now()) at.setUTCDate(at.getUTCDate() + 1);
  clock.offsetMs = at.getTime() - Date.now();
  return clock;
}
