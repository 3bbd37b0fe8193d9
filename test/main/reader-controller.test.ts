/**
 * The reader controller with a fake gateway and link (and the fake clock): token hygiene,
 * reconnection with backoff, supersession, and "journal the device outcome, then report it".
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { SimulatedReader } from '../../drivers/simulated/reader';
import { GatewayError, GatewayUnreachable } from '../../main/gateway/errors';
import type { DeviceResult, LinkSession, ReaderLinkClient } from '../../main/gateway/link';
import type { PlutoPayClient } from '../../main/gateway/plutopay';
import type { LinkPoll, ReaderAction, Transaction } from '../../main/gateway/schemas';
import { ReaderController, type ActionSink } from '../../main/readers/controller';
import type { OperationRecord } from '../../main/store/journal';

type PollStep = LinkPoll | Error | 'hang';

const ACTION: ReaderAction = {
  id: 'act_1',
  type: 'process_payment',
  status: 'in_progress',
  payment_intent_id: 'tx-1',
  amount: 1250,
  currency: 'eur',
  capture_method: 'automatic',
  presented_card: null,
  failure_code: null,
  failure_message: null,
  created_at: '2026-01-01T00:00:00+00:00',
};

function poll(version: number, action: ReaderAction | null): LinkPoll {
  return {
    version,
    action,
    reader: {
      id: 'tmr_1',
      terminal_id: 't1',
      label: 'R',
      status: 'online',
      device_type: 'hosted',
      serial_number: null,
      software_version: null,
      last_seen_at: null,
      action,
    },
  };
}

function harness(steps: PollStep[]) {
  const clock = new FakeClock();
  const log: string[] = [];
  let minted = 0;
  const tokensUsed: string[] = [];
  const posts: { actionId: string; result: DeviceResult; session: string }[] = [];
  let failPosts = 0;
  const gateway = { createConnectionToken: async () => `pst_test_token${++minted}` } as unknown as PlutoPayClient;
  let sessions = 0;
  const link = {
    async open(token: string): Promise<LinkSession> {
      tokensUsed.push(token);
      log.push('open');
      return {
        id: `lnk_${++sessions}`,
        secret: `lks_${sessions}`,
        readerId: 'tmr_1',
        pollWaitMaxMs: 30_000,
        staleAfterMs: 60_000,
      };
    },
    poll(_session: LinkSession, _version: number | undefined, _wait: number, signal?: AbortSignal): Promise<LinkPoll> {
      const step = steps.shift() ?? 'hang';
      if (step === 'hang')
        return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
    },
    async postResult(session: LinkSession, actionId: string, result: DeviceResult) {
      log.push(`post ${result.outcome}`);
      if (failPosts > 0) {
        failPosts--;
        throw new GatewayUnreachable('unknown', 'The gateway did not answer in time.');
      }
      posts.push({ actionId, result, session: session.id });
      return {
        action: { ...ACTION, status: 'succeeded' as const },
        transaction: { id: 'tx-1', status: 'succeeded' } as unknown as Transaction,
      };
    },
    async close() {
      log.push('close');
    },
  } as unknown as ReaderLinkClient;
  const pending: { op: OperationRecord; action: ReaderAction; result: DeviceResult }[] = [];
  const sink: ActionSink = {
    actionStarted: async () => log.push('started'),
    actionStage: (_a, stage) => log.push(`stage ${stage}`),
    actionUnknown: () => log.push('unknown'),
    recordDeviceOutcome: (_reader, action, result) => {
      log.push(`journal ${result.outcome}`);
      const op = { id: pending.length + 1 } as OperationRecord;
      pending.push({ op, action, result });
      return op;
    },
    pendingReports: () => [...pending],
    reportAccepted: (op) => {
      log.push('accepted');
      pending.splice(
        pending.findIndex((p) => p.op === op),
        1,
      );
    },
    reportRefused: async () => undefined,
  };
  const device = new SimulatedReader({ id: 'sim-1', label: 'Sim', clock, processingMs: 10 });
  const controller = new ReaderController({
    id: 'rdr_test',
    clock,
    gateway: () => gateway,
    link: () => link,
    sink,
    ensurePaired: async () => 'tmr_1',
    onChange: () => undefined,
    log: (_kind, summary) => log.push(summary),
    minBackoffMs: 1_000,
    maxBackoffMs: 8_000,
  });
  controller.attachDevice(device);
  return {
    clock,
    log,
    tokensUsed,
    posts,
    device,
    controller,
    minted: () => minted,
    failNextPosts: (n: number) => (failPosts = n),
    settle: async (ms = 0) => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      if (ms > 0) await clock.advanceAsync(ms, 100);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    },
  };
}

describe('reader controller', () => {
  it('mints a fresh single-use token for every link session and never reuses one', async () => {
    const closed = new GatewayError(401, 'authentication_error', 'link closed', null, 'link_closed');
    const h = harness([closed, closed, poll(1, null)]);
    h.controller.start();
    await h.settle();
    expect(h.tokensUsed).toEqual(['pst_test_token1', 'pst_test_token2', 'pst_test_token3']);
    expect(new Set(h.tokensUsed).size).toBe(h.minted());
    expect(h.controller.status).toBe('online');
    await h.controller.stop();
  });

  it('backs off after a network failure, says so, and comes back', async () => {
    const h = harness([new GatewayUnreachable('unknown', 'The gateway did not answer in time.'), poll(1, null)]);
    h.controller.start();
    await h.settle();
    expect(h.controller.status).toBe('reconnecting');
    expect(h.controller.statusDetail).toMatch(/did not answer in time.*Retrying in 1 s/);
    expect(h.tokensUsed).toHaveLength(1);
    await h.settle(1_000);
    expect(h.tokensUsed).toHaveLength(2);
    expect(h.controller.status).toBe('online');
    await h.controller.stop();
  });

  it('does not fight another computer that took the reader over', async () => {
    const h = harness([new GatewayError(401, 'authentication_error', 'superseded', null, 'link_superseded')]);
    h.controller.start();
    await h.settle(60_000);
    expect(h.controller.status).toBe('superseded');
    expect(h.tokensUsed).toHaveLength(1);
    await h.controller.stop();
  });

  it('journals the device outcome before reporting it, and re-reports after a failed post', async () => {
    const h = harness([poll(1, ACTION)]);
    h.failNextPosts(1);
    h.controller.start();
    await h.settle();
    expect(h.log).toContain('stage waiting_for_card');
    h.device.presentCard();
    await h.settle(20);
    const journaled = h.log.indexOf('journal approved');
    expect(journaled).toBeGreaterThan(-1);
    expect(h.log.indexOf('post approved')).toBeGreaterThan(journaled);
    expect(h.posts).toHaveLength(0);
    // The next session posts what is still pending.
    h.controller.reconnect();
    await h.settle();
    expect(h.posts).toEqual([
      { actionId: 'act_1', result: expect.objectContaining({ outcome: 'approved' }), session: 'lnk_2' },
    ]);
    expect(h.log).toContain('accepted');
    await h.controller.stop();
  });
});
