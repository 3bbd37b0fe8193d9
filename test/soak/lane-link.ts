/**
 * The PayPlug and Plural lanes: payments by link. The host (`--gateway payplug|plural`) creates
 * each payment and follows it; the soak plays the customer, paying the link's page through the
 * sandbox's test endpoints (PayPlug `POST {payplug.url}/_sandbox/payments/{id}/pay`, Plural
 * `POST {plural.url}/_sandbox/orders/{id}/pay`), sometimes while the host is down. Deferred
 * capture (whole on PayPlug, also partial on Plural), releases, refunds and cancels — Plural
 * cannot withdraw an unpaid link — under the emulator's fault phases (latency, 5xx, answers
 * dropped after commit) and kill -9 of the host. Three counters work side by side.
 */
import type { RunningSandbox } from '../../sandbox/index';
import { ledgerFromPayPlug, ledgerFromPlural, type PayPlugLedger, type PluralLedger, type Ledger } from './compare';
import {
  Killer,
  newOrderState,
  recordCustomerAttempt,
  type CustomerAttempt,
  type DriverContext,
  type LinkCustomer,
  type OrderState,
  type RestartHooks,
} from './driver';
import {
  closeOfDay,
  driveQueues,
  LATE_LANDING_MS,
  laneReport,
  PhaseClock,
  startLaneHost,
  until,
  type LaneRun,
} from './lane';
import {
  LINK_FAULT_PHASES,
  LINK_GATEWAY_RULES,
  LINK_LANES,
  laneSeed,
  planKills,
  planLinkPayments,
  type KillPlan,
  type LinkGateway,
} from './scenarios';
import type { LaneReport } from './soak';

/** The emulator a link lane talks to, as the soak (customer, ledger, faults) sees it. */
interface LinkSandbox {
  path: string;
  credentials: Record<string, string>;
  setFaults(faults: {
    latency_ms?: number;
    error_rate?: number;
    drop_after_commit_rate?: number;
    seed?: number | null;
  }): void;
  customer: LinkCustomer;
  ledger(): Promise<Ledger>;
}

const NO_FAULTS = { latency_ms: 0, error_rate: 0, drop_after_commit_rate: 0 };

/**
 * PayPlug's refunds (POST …/payments/{id}/refunds) that land late: the host's connection is cut
 * once the request is read, and PayPlug makes the refund LATE_LANDING_MS later, after the host's
 * quick lookup found nothing. PayPlug has no idempotency key: a host that sent again before its
 * settle window ended would make a second refund with the same tag (compare.ts: charged twice).
 */
const PAYPLUG_LATE_REFUNDS = {
  matches: (method: string, path: string) => method === 'POST' && /\/v1\/payments\/[^/?]+\/refunds$/.test(path),
  rate: 0.3,
  after: LATE_LANDING_MS,
};

export async function runLinkLane(run: LaneRun, gateway: LinkGateway): Promise<LaneReport> {
  const { options, log } = run;
  const started = Date.now();
  const emulator = gateway === 'payplug' ? payplugSandbox(run.sandbox) : await pluralSandbox(run.sandbox);
  emulator.setFaults({ ...NO_FAULTS, seed: null });

  const host = await startLaneHost(run, { path: emulator.path, credentials: emulator.credentials });
  const { session, relay } = host;
  if (gateway === 'payplug') relay.landLate(PAYPLUG_LATE_REFUNDS);
  await until(
    async () => {
      const snapshot = await session.resync();
      return snapshot.gateway?.name === gateway && snapshot.connectivity.gateway === 'online';
    },
    30_000,
    `the host to take payments with ${gateway}`,
  );
  log(`the host takes payments with ${session.lastSnapshot?.gateway?.label ?? gateway}`);

  // -- the plan ---------------------------------------------------------------------------------
  const plans = planLinkPayments(options.payments, options.seed, { gateway, runId: run.runId });
  const killPlans = planKills(plans, options.kills, laneSeed(options.seed, gateway));
  const orders = plans.map(newOrderState);
  const phases = new PhaseClock(
    LINK_FAULT_PHASES,
    Math.max(3, Math.round(options.payments / 10)),
    laneSeed(options.seed, gateway),
    (faults) => emulator.setFaults({ ...NO_FAULTS, ...faults }),
    log,
  );
  const restartHooks = (kill: KillPlan, order: OrderState): RestartHooks => ({
    whileDown: async () => {
      if (kill.point === 'customer_paying' && order.customer) {
        // The customer pays the QR code on their phone while the till is down.
        const transactionId = order.paymentId ? session.payments.get(order.paymentId)?.transactionId : null;
        if (transactionId) {
          const attempt = await emulator.customer.pay(transactionId, order.plan.goodCard);
          recordCustomerAttempt(order, order.plan.goodCard, attempt);
          if (attempt.outcome === 'approved') order.heldAcrossRestart = true;
        }
        order.customer.payScheduledAt = null;
      }
      if (kill.restart === 'gateway_down') relay.down();
      if (kill.restart === 'dropping') emulator.setFaults({ drop_after_commit_rate: 1 });
    },
    afterRestart: async () => {
      if (kill.restart === 'normal') return;
      // Long enough for the host's start-up recovery to meet the condition, and to die of it if it would.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      if (kill.restart === 'gateway_down') relay.up();
      if (kill.restart === 'dropping')
        emulator.setFaults({ drop_after_commit_rate: phases.current.drop_after_commit_rate ?? 0 });
    },
  });
  const killer = new Killer(killPlans, session, (kill, order) => restartHooks(kill, order));
  const ctx: DriverContext = {
    session,
    readerIds: {},
    killer,
    customer: emulator.customer,
    minRefund: LINK_GATEWAY_RULES[gateway].minRefund,
    setTerminalScript: null,
    readerTimeoutMs: () => null,
    log,
  };
  await driveQueues({
    run,
    ctx,
    killer,
    queues: LINK_LANES,
    orders,
    budgetMs: run.perPaymentMs,
    stopAt: run.lanesDeadline,
    onCompleted: (completed) => {
      if (completed % 10 === 0)
        log(
          `${completed}/${options.payments} payments, ${session.kills.length} kills, ${host.recorder.check.messages} messages`,
        );
      phases.advance(completed);
    },
  });
  await killer.idle();

  // -- close of day -------------------------------------------------------------------------------
  log('faults off; recovering');
  emulator.setFaults({ ...NO_FAULTS, seed: null });
  relay.landLate(null);
  if (relay.landedLate.length > 0) log(`${relay.landedLate.length} requests landed late`);
  await closeOfDay({ run, host, ctx, killer, queues: LINK_LANES, orders });
  const ledger = await emulator.ledger();
  return laneReport({ run, host, ledger, orders, killsPlanned: killPlans, phases: phases.seen, started });
}

// -- the emulators ----------------------------------------------------------------------------------

interface Answer {
  /** 0: no answer (the connection failed or timed out). */
  status: number;
  headers: Headers | null;
  body: unknown;
  error: string;
}

/** A fetch that never throws: a dropped connection is an answer like any other here. */
async function call(url: string, init: RequestInit): Promise<Answer> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, headers: response.headers, body, error: '' };
  } catch (error) {
    return { status: 0, headers: null, body: null, error: error instanceof Error ? error.message : String(error) };
  }
}

function errorText(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body) return String(body.message);
  return typeof body === 'string' ? body.slice(0, 120) : '';
}

function payplugSandbox(sandbox: RunningSandbox): LinkSandbox {
  const { url, secret_key: key } = sandbox.payplug;
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  return {
    path: '/payplug',
    credentials: { POS_SECRET_KEY: key },
    setFaults: (faults) => sandbox.payplug.setFaults(faults),
    customer: {
      async pay(transactionId, cardNumber): Promise<CustomerAttempt> {
        // The page's card form, without a browser (never subject to injected faults).
        const answer = await call(`${url}/_sandbox/payments/${transactionId}/pay`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ card_number: cardNumber }),
        });
        if (answer.status === 0) return { outcome: 'error', detail: answer.error };
        if (answer.status === 200) {
          const result = answer.headers?.get('x-sandbox-attempt') ?? '';
          return result === 'approved'
            ? { outcome: 'approved', detail: '' }
            : { outcome: 'declined', detail: result || 'declined' };
        }
        // 400: the page can no longer be paid (paid, aborted, failed).
        if (answer.status === 400 || answer.status === 404)
          return { outcome: 'refused', detail: `HTTP ${answer.status}: ${errorText(answer.body)}` };
        return { outcome: 'error', detail: `HTTP ${answer.status}: ${errorText(answer.body)}` };
      },
    },
    async ledger() {
      const answer = await call(`${url}/_sandbox/ledger`, { headers });
      if (answer.status !== 200) throw new Error(`PayPlug ledger: HTTP ${answer.status}`);
      return ledgerFromPayPlug(answer.body as PayPlugLedger);
    },
  };
}

async function pluralSandbox(sandbox: RunningSandbox): Promise<LinkSandbox> {
  const { url, client_id, client_secret, signature_key } = sandbox.plural;
  // The customer's page and the soak's ledger need an access token of their own (the token route
  // takes injected faults: retried).
  let token: string | null = null;
  const fetchToken = async (): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      const answer = await call(`${url}/api/auth/v1/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ client_id, client_secret, grant_type: 'client_credentials' }),
      });
      const body = answer.status === 200 ? (answer.body as { access_token?: unknown } | null) : null;
      if (body && typeof body.access_token === 'string') return body.access_token;
      if (attempt >= 20) throw new Error(`no Plural access token: HTTP ${answer.status}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  token = await fetchToken();
  const authorised = async (path: string, init: RequestInit) => {
    for (let attempt = 1; ; attempt++) {
      const answer = await call(`${url}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      });
      if (answer.status !== 401 || attempt >= 3) return answer;
      token = await fetchToken();
    }
  };
  return {
    path: '/plural',
    credentials: {
      POS_PLURAL_CLIENT_ID: client_id,
      POS_PLURAL_CLIENT_SECRET: client_secret,
      POS_PLURAL_SIGNATURE_KEY: signature_key,
    },
    setFaults: (faults) => sandbox.plural.setFaults(faults),
    customer: {
      async pay(transactionId, cardNumber): Promise<CustomerAttempt> {
        // The checkout page, without a browser; a challenge card's challenge is passed.
        const answer = await authorised(`/_sandbox/orders/${transactionId}/pay`, {
          method: 'POST',
          body: JSON.stringify({ card_number: cardNumber }),
        });
        if (answer.status === 0) return { outcome: 'error', detail: answer.error };
        if (answer.status === 200) {
          const status = (answer.body as { data?: { status?: string } } | null)?.data?.status ?? '';
          return status === 'PROCESSED' || status === 'AUTHORIZED'
            ? { outcome: 'approved', detail: status }
            : { outcome: 'declined', detail: status };
        }
        // The order can no longer be paid (paid, cancelled, failed).
        if (answer.status >= 400 && answer.status < 500 && answer.status !== 401)
          return { outcome: 'refused', detail: `HTTP ${answer.status}: ${errorText(answer.body)}` };
        return { outcome: 'error', detail: `HTTP ${answer.status}: ${errorText(answer.body)}` };
      },
    },
    async ledger() {
      const answer = await authorised('/_sandbox/ledger', { method: 'GET' });
      if (answer.status !== 200) throw new Error(`Plural ledger: HTTP ${answer.status}`);
      return ledgerFromPlural(answer.body as PluralLedger);
    },
  };
}
