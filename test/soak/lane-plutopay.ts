/**
 * The PlutoPay lane: card-present payments on four readers side by side — the app's two simulated
 * readers, the sandbox's own simulated reader (a cloud reader the host follows over HTTP) and an
 * Ingenico terminal on a socat pty played by the Concert emulator — under sandbox fault phases,
 * reader faults, malformed terminal bytes and kill -9 of the host.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReaderView } from '../../common/contract';
import type { EmulatorEvent, ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import { createPtyPair, type PtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import type { Faults } from '../../sandbox/index';
import type { Ledger } from './compare';
import { Killer, newOrderState, type DriverContext, type OrderState, type RestartHooks } from './driver';
import { closeOfDay, driveQueues, laneReport, PhaseClock, startLaneHost, until, type LaneRun } from './lane';
import {
  FAULT_PHASES,
  NO_SANDBOX_FAULTS,
  lanesFor,
  planKills,
  planPayments,
  type KillPlan,
  type Lane,
  type PaymentPlan,
} from './scenarios';
import type { LaneReport } from './soak';

export async function runPlutoPayLane(run: LaneRun): Promise<LaneReport> {
  const { options, sandbox: gateway, log } = run;
  const started = Date.now();

  // -- the Concert terminal emulator on a socat pty pair ---------------------------------------
  let pty: PtyPair | null = null;
  let served: ServedEmulator | null = null;
  let concertOrder: OrderState | null = null;
  let script: PaymentPlan['concertScript'] = { delayMs: 60 };
  const terminal = { requests: 0, approvals: 0, answerFaults: 0 };
  let awaitingAnswer = false;
  mkdirSync(run.dir, { recursive: true });
  const terminalLog = createWriteStream(join(run.dir, 'terminal.log'));
  run.cleanups.push(() => new Promise((resolve) => terminalLog.end(resolve)));
  const onTerminalEvent = (event: EmulatorEvent) => {
    const record = concertOrder?.terminal;
    const detail =
      event.type === 'request'
        ? `amount ${event.request.amount} ref ${event.request.privateData}`
        : event.type === 'answer_sent'
          ? `status ${event.answer.status} fault ${event.fault}`
          : 'reason' in event
            ? event.reason
            : '';
    terminalLog.write(
      `${new Date().toISOString().slice(11, 23)} ${concertOrder?.plan.orderReference ?? '-'} ${event.type} ${detail}\n`,
    );
    if (event.type === 'request') {
      terminal.requests++;
      awaitingAnswer = true;
      if (record) record.requests++;
    } else if (event.type === 'answer_sent') {
      if (event.fault !== 'none') terminal.answerFaults++;
      // One decision per request, however many times the frame is resent.
      if (awaitingAnswer) {
        awaitingAnswer = false;
        if (event.answer.status === '0') terminal.approvals++;
        if (record) {
          record.lastAnswer = event.answer.status;
          if (event.answer.status === '0') record.approvals++;
        }
      }
    }
  };
  const serveTerminal = async () => {
    served = serveEmulator(await openSerialTransport(pty!.a), { script: script ?? {}, onEvent: onTerminalEvent });
  };
  if (options.concert) {
    pty = await createPtyPair();
    const pair = pty;
    run.cleanups.push(() => pair.stop());
    run.emergency.push(() => void pair.stop());
    await serveTerminal();
    run.cleanups.push(async () => served?.stop());
  }

  // -- the host, a child process ----------------------------------------------------------------
  const host = await startLaneHost(run, {
    path: '',
    credentials: { POS_SECRET_KEY: gateway.secret_key },
    readerPorts: pty ? [pty.b] : [],
    onKilled: async () => {
      // The terminal gives up on a request whose cash register died (a real one times out).
      if (served) {
        await served.stop();
        awaitingAnswer = false;
        await serveTerminal();
      }
    },
  });
  const { session, relay } = host;

  // -- readers: two simulated ones hosted by the app, the sandbox's own, the Concert terminal -----
  const readerIds: Partial<Record<Lane, string | null>> = { sim1: null, sim2: null, cloud: null, concert: null };
  const readers = async (): Promise<ReaderView[]> => {
    const listed = await session.call('readers.list', {});
    if (!listed.ok) throw new Error(`readers.list failed: ${listed.error.message}`);
    return listed.value;
  };
  readerIds.sim1 = (await readers()).find((r) => r.hosted && r.kind === 'simulated')?.id ?? null;
  if (!readerIds.sim1) throw new Error('the host did not create its default simulated reader');
  const second = await session.call('readers.addSimulated', { label: 'Soak reader 2' });
  if (!second.ok) throw new Error(`readers.addSimulated failed: ${second.error.message}`);
  readerIds.sim2 = second.value.id;
  const cloud = await session.call('readers.pair', { registrationCode: 'simulated', label: 'Soak cloud reader' });
  if (!cloud.ok) throw new Error(`pairing the sandbox's simulated reader failed: ${cloud.error.message}`);
  readerIds.cloud = cloud.value.id;
  if (options.concert) {
    const device = await until(
      async () => (await readers()).find((r) => r.status === 'unpaired' && r.kind === 'concert'),
      20_000,
      'the Concert terminal to be discovered',
    );
    const paired = await session.call('readers.pair', { deviceId: device.deviceId, label: 'Soak Concert terminal' });
    if (!paired.ok) throw new Error(`pairing the Concert terminal failed: ${paired.error.message}`);
    readerIds.concert = paired.value.id;
  }
  const wanted = Object.values(readerIds).filter((id): id is string => typeof id === 'string');
  await until(
    async () => {
      const list = await readers();
      return wanted.every((id) => list.find((r) => r.id === id)?.status === 'online');
    },
    30_000,
    'every reader to be online',
  );
  log(
    `readers online: ${Object.entries(readerIds)
      .filter(([, id]) => id)
      .map(([lane]) => lane)
      .join(', ')}`,
  );

  // -- the plan ---------------------------------------------------------------------------------
  const plans = planPayments(options.payments, options.seed, { concert: options.concert, runId: run.runId });
  const killPlans = planKills(plans, options.kills, options.seed);
  const orders = plans.map(newOrderState);
  const phaseLength = Math.max(4, Math.round(options.payments / 12));
  const phases = new PhaseClock(
    FAULT_PHASES,
    phaseLength,
    options.seed,
    (faults) => gateway.setFaults({ ...NO_SANDBOX_FAULTS, ...faults }),
    log,
  );
  const restartHooks = (kill: KillPlan, order: OrderState): RestartHooks => {
    const heldOnCloud = kill.point === 'cloud_holding';
    return {
      whileDown: async () => {
        if (heldOnCloud) {
          // The customer pays on the gateway's own reader while the till is down.
          const processorId = (readerIds.cloud ?? '').replace(/^rdr_cloud_/, '');
          const answer = await fetch(`${gateway.url}/v1/terminal/simulate-payment`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${gateway.secret_key}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ reader_id: processorId, card_number: order.plan.goodCard }),
          });
          order.notes.push(`card presented on the gateway's reader while the host is down: HTTP ${answer.status}`);
          if (answer.ok) {
            order.presentedAttempt = order.processAttempts;
            order.cardByAttempt[order.processAttempts] = order.plan.goodCard;
            order.heldAcrossRestart = true;
          }
        }
        if (kill.restart === 'gateway_down') relay.down();
        if (kill.restart === 'dropping') gateway.setFaults({ drop_after_commit_rate: 1 });
      },
      afterRestart: async () => {
        if (kill.restart === 'normal') return;
        // Long enough for the host's start-up recovery to meet the condition, and to die of it if it would.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        if (kill.restart === 'gateway_down') relay.up();
        if (kill.restart === 'dropping')
          gateway.setFaults({ drop_after_commit_rate: phases.current.drop_after_commit_rate ?? 0 });
      },
    };
  };
  const killer = new Killer(killPlans, session, (kill, order) => restartHooks(kill, order));

  const ctx: DriverContext = {
    session,
    readerIds,
    killer,
    customer: null,
    minRefund: 1,
    setTerminalScript: options.concert
      ? (next) => {
          script = next ?? {};
          served?.emulator.setScript(script);
        }
      : null,
    readerTimeoutMs: () => gateway.faults().reader_timeout_ms,
    log,
  };
  const queues = lanesFor({ concert: options.concert });
  const before = (lane: Lane, order: OrderState | null) => {
    if (lane === 'concert') concertOrder = order;
  };
  await driveQueues({
    run,
    ctx,
    killer,
    queues,
    orders,
    budgetMs: run.perPaymentMs,
    stopAt: run.lanesDeadline,
    before,
    onCompleted: (completed) => {
      if (completed % 10 === 0)
        log(
          `${completed}/${options.payments} payments, ${session.kills.length} kills, ${host.recorder.check.messages} messages`,
        );
      phases.advance(completed);
    },
  });
  await killer.idle();

  // -- close of day: faults off, let the host recover, finish what a cashier can finish -------------
  log('faults off; recovering');
  gateway.setFaults({ ...NO_SANDBOX_FAULTS, seed: null } satisfies Partial<Faults>);
  ctx.setTerminalScript?.({ delayMs: 60 });
  await closeOfDay({ run, host, ctx, killer, queues, orders, before });

  // -- the comparison -------------------------------------------------------------------------------
  // Secrets that exist only by now (a webhook endpoint's signing secret) are looked for in the whole recording.
  await host.recorder.rescan([gateway.webhook_secret].filter((secret): secret is string => secret !== null));
  const response = await fetch(`${gateway.url}/_sandbox/ledger`, {
    headers: { Authorization: `Bearer ${gateway.secret_key}` },
  });
  if (!response.ok) throw new Error(`ledger: HTTP ${response.status}`);
  const ledger = (await response.json()) as Ledger;
  return laneReport({ run, host, ledger, orders, killsPlanned: killPlans, phases: phases.seen, started, terminal });
}
