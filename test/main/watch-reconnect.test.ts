/**
 * A followed payment (a link, a payment on a gateway's own cloud reader) whose gateway stopped
 * answering is read more and more rarely, up to every 10 s. When that gateway comes back its wait
 * starts afresh: the active gateway's payments are read by recovery as the till is online again, and
 * followed on from the shortest wait; a previous gateway's (followed read only after a switch) are
 * read as soon as a read through that gateway answers. One gateway's return never hurries the
 * other's follows. On a fake clock, with recovery wired to the till coming back online as the host does.
 */
import { describe, expect, it } from 'vitest';
import type { PaymentService } from '../../main/payments/service';
import { BACKING_OFF, onCloudReader, outage, POLL_MS, switchTo, watchTill } from '../support/watch-till';

/** The offline till probes its gateway this often: it sees the gateway back within this. */
const PROBE_MS = 500;
/** The fake clock's steps while a gateway comes back: reads land on a step's end. */
const STEP_MS = 10;

function gaps(times: number[]): number[] {
  return times.slice(1).map((at, i) => at - times[i]!);
}

/**
 * The waits between reads are these: each read lands at most one step after it falls due (a read is
 * scheduled once the one before has answered, at the end of the clock's step it answered in).
 */
function expectPace(times: number[], waits: number[], what: string): void {
  const actual = gaps(times).slice(0, waits.length);
  const near = actual.map((gap, i) => (gap >= waits[i]! && gap < waits[i]! + STEP_MS ? waits[i]! : gap));
  expect(near, `${what}: ${actual.join(', ')}`).toEqual(waits);
}

async function link(service: PaymentService): Promise<{ id: string; transactionId: string }> {
  const made = await service.commands.create({
    amount: 1500,
    currency: 'EUR',
    captureMethod: 'automatic',
    channel: 'link',
  });
  expect(made).toMatchObject({ status: 'pending', channel: 'link' });
  expect(service.watcher.following(made.id)).toBe(true);
  return { id: made.id, transactionId: made.transactionId! };
}

/** The recovery the create's first answer started (the till online) is over before anything is counted. */
async function settled(service: PaymentService): Promise<void> {
  await service.recovery.recover();
}

describe('a followed payment of the active gateway, when the till is back online', () => {
  it.each([
    // A link answered pending is read more and more rarely again, from the shortest wait.
    { what: 'a link', after: [POLL_MS, 1_500] },
    // A cloud reader answered still waiting for the card is read every second again.
    { what: 'a payment on its cloud reader', after: [POLL_MS, POLL_MS] },
  ])('$what is read at once and followed on from the shortest wait, not after 10 s', async ({ what, after }) => {
    const t = watchTill({ recoverWhenOnline: true, probeMs: PROBE_MS });
    const service = t.start();
    const id = what === 'a link' ? (await link(service)).id : await onCloudReader(t, service, 'automatic');
    const read = what === 'a link' ? t.journal.getPayment(id)!.transactionId! : 'reader';
    await settled(service);
    const down = outage(t, t.pluto, { health: true });

    // PlutoPay does not answer (nor its health check): the payment is read up to every 10 s.
    await down.readsAfter(BACKING_OFF);
    expect(service.engine.options.connectivity.state).toBe('offline');

    // Back, just after a read went unanswered: the probe sees it, recovery reads the payment at
    // once, and the watch reads it next after the shortest wait, not 10 s after its last read.
    down.state.down = false;
    const upAt = t.clock.monotonic();
    await t.clock.advanceAsync(PROBE_MS + POLL_MS + after[1]! + STEP_MS, STEP_MS);
    expect(service.engine.options.connectivity.state).toBe('online');
    const since = down.readsOf(read, upAt);
    expect(since.length, `reads of ${read} since PlutoPay came back`).toBe(3);
    expect(since[0]! - upAt).toBeLessThanOrEqual(PROBE_MS + STEP_MS);
    expect(gaps(since)).toEqual(after);
    expect(service.watcher.following(id)).toBe(true);
    service.close();
  });
});

describe('after a switch, a previous gateway’s follows and the active one’s', () => {
  it('each come back with their own gateway, never hurried by the other’s return', async () => {
    const t = watchTill({ recoverWhenOnline: true, probeMs: PROBE_MS });
    const service = t.start();
    // PlutoPay's cloud reader and link, made before the switch; PayPlug's link, made after it.
    const onReader = await onCloudReader(t, service, 'automatic');
    const plutoLink = await link(service);
    await switchTo(service, t, t.payplug);
    const payplugLink = await link(service);
    await settled(service);
    for (const id of [onReader, plutoLink.id]) expect(service.watcher.following(id)).toBe(true);

    // Neither answers: every follow backs off to 10 s.
    const pluto = outage(t, t.pluto);
    const payplug = outage(t, t.payplug, { health: true });
    await t.clock.advanceAsync(40_000, 100);
    const backedOff = t.clock.monotonic();
    await t.clock.advanceAsync(20_000, 100);
    for (const [of, read] of [
      [pluto, 'reader'],
      [pluto, plutoLink.transactionId],
      [payplug, payplugLink.transactionId],
    ] as const)
      expect(gaps(of.readsOf(read, backedOff)), `${read} while nothing answers`).toEqual([10_000]);

    // PayPlug, the active gateway, is back: its link is read at once, then from the shortest wait.
    payplug.state.down = false;
    const payplugUp = t.clock.monotonic();
    await t.clock.advanceAsync(12_000, STEP_MS);
    const payplugReads = payplug.readsOf(payplugLink.transactionId, payplugUp);
    expect(payplugReads[0]! - payplugUp).toBeLessThanOrEqual(PROBE_MS + STEP_MS);
    expectPace(payplugReads, [POLL_MS, 1_500, 2_250, 3_375], 'PayPlug’s link');
    // PlutoPay, still silent, is not read any sooner for it: every 10 s, as before.
    for (const read of ['reader', plutoLink.transactionId]) {
      const since = gaps(pluto.readsOf(read, payplugUp - 10_000));
      expect(since.length, `${read} after PayPlug came back`).toBeGreaterThan(0);
      expect(since, `${read} after PayPlug came back`).toEqual(since.map(() => 10_000));
    }

    // PlutoPay answers again: the first of its follows to read it finds it back, and the other is
    // read at once instead of up to 10 s later; PayPlug's link keeps its own pace.
    pluto.state.down = false;
    const plutoUp = t.clock.monotonic();
    await t.clock.advanceAsync(16_000, STEP_MS);
    const [first, second] = [pluto.readsOf('reader', plutoUp), pluto.readsOf(plutoLink.transactionId, plutoUp)].sort(
      (a, b) => a[0]! - b[0]!,
    );
    expect(second![0]! - first![0]!, 'the other PlutoPay follow read with the first').toBeLessThanOrEqual(STEP_MS);
    // Answered, each is followed at its own pace again: a reader every second, a link ×1.5.
    expectPace(pluto.readsOf('reader', plutoUp), [POLL_MS, POLL_MS, POLL_MS], 'PlutoPay’s reader');
    expectPace(pluto.readsOf(plutoLink.transactionId, plutoUp), [1_500, 2_250], 'PlutoPay’s link');
    expectPace(
      payplug.readsOf(payplugLink.transactionId, payplugUp),
      [POLL_MS, 1_500, 2_250, 3_375, 5_063, 7_595],
      'PayPlug’s link',
    );
    for (const id of [onReader, plutoLink.id, payplugLink.id]) expect(service.watcher.following(id)).toBe(true);
    service.close();
  });
});
