/**
 * A followed link whose gateway answers about it in a form the till cannot read (a status it does not
 * know — "expired", say, once its page lapsed) is read again, more and more rarely, as any unreadable
 * answer; but, as a readable pending one, not beyond a little after its page lapsed: by then the
 * gateway has closed it. It stays in Needs attention, and recovery reads it again. The active
 * gateway's, and a previous gateway's followed read only after a switch. On a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { GatewayUnreadable } from '../../main/gateway/errors';
import { waitFor } from '../support/host';
import { switchTo, watchTill } from '../support/watch-till';

const PAGE_MS = 15 * 60_000;
/** How long after its page lapses a link is still followed (LINK_GRACE_MS). */
const GRACE_MS = 5 * 60_000;
const EXPIRED = '"expired" is not a payment status the till knows';

describe('a followed link answered unreadably once its page lapsed', () => {
  it.each([
    { whose: 'the active gateway', switched: false },
    { whose: 'a previous gateway', switched: true },
  ])('of $whose is not read for ever: followed until a little after it lapsed', async ({ switched }) => {
    const t = watchTill();
    const service = t.start();
    // PlutoPay's link pages lapse 15 minutes after they are made.
    const create = t.pluto.create.bind(t.pluto);
    t.pluto.create = async (input, key) => {
      const made = await create(input, key);
      const payUrlExpiresAt = new Date(t.clock.now() + PAGE_MS).toISOString();
      t.pluto.payments.get(made.id)!.payUrlExpiresAt = payUrlExpiresAt;
      return { ...made, payUrlExpiresAt };
    };
    const made = await service.commands.create({
      amount: 1500,
      currency: 'EUR',
      captureMethod: 'automatic',
      channel: 'link',
    });
    if (switched) await switchTo(service, t, t.payplug);
    expect(service.watcher.following(made.id)).toBe(true);
    const lapses = t.clock.now() + PAGE_MS;
    let reads = 0;
    t.pluto.retrieve = async () => {
      reads++;
      throw new GatewayUnreadable(EXPIRED);
    };

    // Read again while the page may still be paid, and a little after: Needs attention says why.
    await t.clock.advanceAsync(PAGE_MS + GRACE_MS - 20_000, 1_000);
    expect(t.journal.getPayment(made.id)).toMatchObject({ status: 'pending', attentionReason: EXPIRED });
    expect(service.watcher.following(made.id)).toBe(true);
    const whileOpen = reads;
    expect(whileOpen).toBeGreaterThan(100);

    // Past that, the follow ends: no more reads, the payment kept in Needs attention, never concluded.
    await t.clock.advanceAsync(60_000, 1_000);
    expect(t.clock.now()).toBeGreaterThan(lapses + GRACE_MS);
    await waitFor(() => !service.watcher.following(made.id), 2_000, 'the follow ended');
    const ended = reads;
    await t.clock.advanceAsync(10 * 60_000, 10_000);
    expect(reads).toBe(ended);
    expect(t.journal.getPayment(made.id)).toMatchObject({ status: 'pending', attentionReason: EXPIRED });
    expect(service.attention().some((a) => a.paymentId === made.id)).toBe(true);

    // Recovery (a reconnect, a start) reads it again, and still lets it go.
    await service.recovery.recover();
    await t.clock.advanceAsync(60_000, 1_000);
    expect(reads).toBeGreaterThan(ended);
    await waitFor(() => !service.watcher.following(made.id), 2_000, 'the follow ended again');
    const again = reads;
    await t.clock.advanceAsync(10 * 60_000, 10_000);
    expect(reads).toBe(again);
    service.close();
  });
});
