/**
 * A till following payments settled elsewhere (RemoteWatcher) on a fake clock: PlutoPay with a cloud
 * reader and PayPlug, both fake gateways taking links, either one active, each with its own stored
 * keys — for a switch of gateway and the follows it leaves of the previous one. A second start on the
 * same journal is the till after a restart.
 */
import { expect } from 'vitest';
import type { GatewayName } from '../../common/contract';
import { Connectivity } from '../../main/gateway/connectivity';
import { GatewayUnreachable } from '../../main/gateway/errors';
import type { PaymentGateway } from '../../main/gateway/port';
import { PaymentService } from '../../main/payments/service';
import { Journal } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from './fake-clock';
import { FakeGateway } from './fake-gateway';

export const POLL_MS = 1_000;

/** The waits between reads of a followed payment whose gateway does not answer (×1.5, at most 10 s). */
export const BACKING_OFF = [POLL_MS, 1_500, 2_250, 3_375, 5_063, 7_595, 10_000, 10_000];

export interface WatchTillOptions {
  /** As the host does: the till back online, recovery runs (connectivity.onChange). */
  recoverWhenOnline?: boolean;
  /** How often the offline till probes its gateway (Connectivity's minProbeMs and maxProbeMs). */
  probeMs?: number;
}

/** A till with PlutoPay's cloud reader and PayPlug's keys, on a fake clock; `state.now` is the active gateway. */
export function watchTill(options: WatchTillOptions = {}) {
  const clock = new FakeClock();
  const journal = new Journal(openDatabase(':memory:'), clock);
  const pluto = new FakeGateway({ name: 'plutopay' });
  const payplug = new FakeGateway({ name: 'payplug' });
  for (const gateway of [pluto, payplug]) Object.assign(gateway.capabilities, { payByLink: true });
  const state = { now: pluto as FakeGateway, plutoKeys: true, readerId: '' };
  const account = (name: GatewayName) => `acct-${name}`;
  const probe = options.probeMs === undefined ? {} : { minProbeMs: options.probeMs, maxProbeMs: options.probeMs };
  const start = () => {
    const connectivity = new Connectivity(clock, () => state.now.health(), probe);
    const service = new PaymentService({
      journal,
      clock,
      gateway: () => state.now,
      gatewayNamed: (name) => (name === 'plutopay' ? (state.plutoKeys ? pluto : null) : payplug) as PaymentGateway,
      gatewayAccount: () => account(state.now.name),
      gatewayAccountOf: (name) => (name === 'plutopay' && !state.plutoKeys ? null : account(name)),
      mode: () => 'test',
      connectivity,
      readers: {
        resolve: (id) =>
          id === 'rdr_cloud_counter'
            ? { gatewayReaderId: state.readerId, hosted: false, online: true, label: 'Counter' }
            : undefined,
        cancelCollection: async () => 'not_collecting',
        settleUnknown: async () => undefined,
      },
      onPaymentChanged: () => undefined,
      onPlanChanged: () => undefined,
      onAttentionChanged: () => undefined,
      onQueueChanged: () => undefined,
      log: () => undefined,
      tuning: { retryDelayMs: 1, remotePollMs: POLL_MS },
    });
    if (options.recoverWhenOnline)
      connectivity.onChange((now) => {
        if (now === 'online') void service.recovery.recover();
      });
    const close = service.close.bind(service);
    service.close = () => {
      close();
      connectivity.stop();
    };
    return service;
  };
  return { clock, journal, pluto, payplug, state, start };
}

export type WatchTill = ReturnType<typeof watchTill>;

/** A payment sent to PlutoPay's cloud reader (registered first), still waiting for the card. */
export async function onCloudReader(t: WatchTill, service: PaymentService, captureMethod: 'manual' | 'automatic') {
  t.state.readerId ||= (await t.pluto.readers.register({ name: 'Counter', registrationCode: 'simulated' })).readerId;
  const created = await service.commands.create({ amount: 4200, currency: 'EUR', captureMethod });
  const sent = await service.commands.process({ paymentId: created.id, readerId: 'rdr_cloud_counter' });
  expect(sent.status).toBe('in_progress');
  return created.id;
}

/** Settings saved with another gateway: what the host does on a switch (reconfigure). */
export async function switchTo(service: PaymentService, t: WatchTill, gateway: FakeGateway): Promise<void> {
  service.watcher.close();
  t.state.now = gateway;
  service.engine.accountSwitched();
  await service.recovery.recover();
}

/**
 * A gateway that does not answer while `down` is set: its payments, its readers and, with `health`,
 * its health check. Every read is counted (answered or not), with the fake clock's time it was made
 * at, by what it read (a payment's gateway id, or `reader`).
 */
export function outage(t: WatchTill, gateway: FakeGateway, options: { health?: boolean } = {}) {
  const state = { down: true, reads: 0, at: [] as { what: string; at: number }[] };
  const fail = () => {
    throw new GatewayUnreachable('not_sent', 'connect ECONNREFUSED 127.0.0.1');
  };
  const count = (what: string) => {
    state.reads++;
    state.at.push({ what, at: t.clock.monotonic() });
  };
  const get = gateway.readers.get;
  gateway.readers.get = async (id) => {
    count('reader');
    if (state.down) fail();
    return get(id);
  };
  const retrieve = gateway.retrieve.bind(gateway);
  gateway.retrieve = async (id) => {
    count(id);
    if (state.down) fail();
    return retrieve(id);
  };
  if (options.health) {
    const health = gateway.health.bind(gateway);
    gateway.health = async () => {
      if (state.down) fail();
      return health();
    };
  }
  /** When `what` was read, after `since` (fake-clock time). */
  const readsOf = (what: string, since = Number.NEGATIVE_INFINITY) =>
    state.at.filter((r) => r.what === what && r.at > since).map((r) => r.at);
  /**
   * Says how long after the previous read each of the next ones comes, on the fake clock: the clock is
   * moved to one millisecond before each expected read (none yet), then onto it (one more).
   */
  const readsAfter = async (gaps: number[]): Promise<void> => {
    for (const gap of gaps) {
      const before = state.reads;
      await t.clock.advanceAsync(gap - 1);
      expect(state.reads, `no read sooner than ${gap} ms`).toBe(before);
      await t.clock.advanceAsync(1);
      expect(state.reads, `a read after ${gap} ms`).toBe(before + 1);
    }
  };
  return { state, readsOf, readsAfter };
}
