/**
 * A payment on a gateway's own (cloud) reader when the till switches to another gateway: followed
 * read only, with the previous gateway's keys, on a fake clock — its reader and its payment are read,
 * nothing is pushed, cancelled or captured through it; its end is journaled, and Needs attention
 * says what needs the switch back (an authorisation to capture, a card declined). Also after a
 * restart; not followed without that gateway's keys, saying so. A gateway that does not answer is
 * asked more and more rarely, as a link is, the active one's own cloud reader as well.
 */
import { describe, expect, it } from 'vitest';
import { GatewayUnreachable, GatewayUnreadable } from '../../main/gateway/errors';
import { FakeGateway } from '../support/fake-gateway';
import { waitFor } from '../support/host';
import { BACKING_OFF, onCloudReader, outage, POLL_MS, switchTo, watchTill as till } from '../support/watch-till';

/** Every call through PlutoPay that could move money or a reader, made after the switch. */
function refuseWrites(pluto: FakeGateway): string[] {
  const writes: string[] = [];
  const refuse = (what: string) => async () => {
    writes.push(what);
    throw new Error(`${what} through PlutoPay after the switch`);
  };
  pluto.create = refuse('create');
  pluto.capture = refuse('capture');
  pluto.cancel = refuse('cancel');
  pluto.refund = refuse('refund');
  pluto.readers.push = refuse('push');
  pluto.readers.cancelAction = refuse('cancelAction');
  return writes;
}

/** The calls of one kind the fake gateway's reader saw: counted by wrapping readers.get. */
function countReaderReads(gateway: FakeGateway): { reads: number } {
  const count = { reads: 0 };
  const get = gateway.readers.get;
  gateway.readers.get = async (id) => {
    count.reads++;
    return get(id);
  };
  return count;
}

describe('a payment on the previous gateway’s cloud reader', () => {
  it('is followed read only after the switch, and its approval waits for the switch back to capture', async () => {
    const t = till();
    const service = t.start();
    const id = await onCloudReader(t, service, 'manual');
    await switchTo(service, t, t.payplug);
    const writes = refuseWrites(t.pluto);
    const count = countReaderReads(t.pluto);

    // Followed with PlutoPay's keys while the card is not presented: the reader is read each round.
    expect(service.watcher.following(id)).toBe(true);
    for (let round = 1; round <= 3; round++) {
      await t.clock.advanceAsync(POLL_MS);
      await waitFor(() => count.reads >= round, 2_000, `read ${round}`);
    }
    expect(t.journal.getPayment(id)).toMatchObject({ status: 'in_progress', gateway: 'plutopay' });
    expect(service.attention().some((a) => a.paymentId === id)).toBe(false);

    // The customer presents the card at PlutoPay's reader: approved, held for a capture.
    await t.pluto.readers.simulate(t.state.readerId);
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => t.journal.getPayment(id)!.status === 'requires_capture', 2_000, 'the approval');
    await waitFor(() => !service.watcher.following(id), 2_000, 'the follow stopped');
    const item = service.attention().find((a) => a.paymentId === id);
    expect(item?.reason).toMatch(
      /^Approved on PlutoPay's reader after the till switched to Fake gateway: €42\.00 is authorised on the customer's card, not captured\.$/,
    );
    expect(item?.advice).toMatch(/^Switch back to PlutoPay in Settings \(F7\) to capture it on Capture \(F4\)/);
    // Nothing is read again once it is final, and nothing was done through PlutoPay.
    const reads = count.reads;
    await t.clock.advanceAsync(POLL_MS * 5);
    expect(count.reads).toBe(reads);
    expect(writes).toEqual([]);
    // Capturing it still needs the switch back.
    await expect(service.commands.capture({ paymentId: id })).rejects.toThrow(/Switch back/);
    expect(writes).toEqual([]);

    // Switched back: read on PlutoPay, out of Needs attention, and captured there.
    t.pluto.capture = FakeGateway.prototype.capture.bind(t.pluto);
    await switchTo(service, t, t.pluto);
    expect(service.attention().some((a) => a.paymentId === id)).toBe(false);
    expect((await service.commands.capture({ paymentId: id })).status).toBe('succeeded');
    service.close();
  });

  it('resumes the follow after a restart, and a decline says the payment is still open there', async () => {
    const t = till();
    const before = t.start();
    const id = await onCloudReader(t, before, 'automatic');
    await switchTo(before, t, t.payplug);
    before.close();

    // The app starts again on PayPlug: recovery finds the PlutoPay payment on its reader.
    const writes = refuseWrites(t.pluto);
    const service = t.start();
    expect(service.watcher.following(id)).toBe(false);
    await service.recovery.recover();
    expect(service.watcher.following(id)).toBe(true);

    // The card is declined on the reader; PlutoPay keeps the payment open for another card.
    const transactionId = t.journal.getPayment(id)!.transactionId!;
    const session = await t.pluto.readers.link.open(t.state.readerId);
    const action = (await t.pluto.readers.get(t.state.readerId)).action!;
    await t.pluto.readers.link.postResult(session, action.id, {
      outcome: 'declined',
      failureCode: 'card_declined',
      failureMessage: 'Your card was declined.',
    });
    t.pluto.payments.get(transactionId)!.failure = { code: 'card_declined', message: 'Your card was declined.' };
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => t.journal.getPayment(id)!.status === 'pending', 2_000, 'the decline');
    expect(t.journal.getPayment(id)).toMatchObject({ declineCode: 'card_declined' });
    expect(service.watcher.following(id)).toBe(false);
    const item = service.attention().find((a) => a.paymentId === id);
    // One sentence of its own, not the cashier's "Ask for another card" of a customer likely gone.
    expect(item?.reason).toBe(
      "The card was declined on PlutoPay's reader after the till switched to Fake gateway: nothing was charged, and the payment is still open at PlutoPay.",
    );
    expect(item?.advice).toBe(
      "Switch back to PlutoPay in Settings (F7) to try again or cancel it on Process payment (F2); if the customer is still there, take the order's money another way and cancel this payment once switched back. This item goes once the till, switched back, has read the payment.",
    );
    expect(writes).toEqual([]);
    service.close();
  });

  it('its details opened after the card, before its watch reads it, say what is left just the same', async () => {
    const t = till();
    const service = t.start();
    const id = await onCloudReader(t, service, 'manual');
    await switchTo(service, t, t.payplug);
    const writes = refuseWrites(t.pluto);
    await t.pluto.readers.simulate(t.state.readerId);
    // No round of the watch has run (the clock stands still): the details read it with PlutoPay's keys.
    const detail = await service.commands.detail(id);
    expect(detail.payment).toMatchObject({ id, status: 'requires_capture' });
    expect(service.attention().find((a) => a.paymentId === id)?.reason).toMatch(/^Approved on PlutoPay's reader/);
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => !service.watcher.following(id), 2_000, 'the follow stopped');
    expect(service.attention().find((a) => a.paymentId === id)?.reason).toMatch(/^Approved on PlutoPay's reader/);
    expect(writes).toEqual([]);
    service.close();
  });

  it('its details, once it ended, are read from PlutoPay with its keys; without them or it, the till’s record', async () => {
    const t = till();
    const service = t.start();
    const id = await onCloudReader(t, service, 'manual');
    await switchTo(service, t, t.payplug);
    const writes = refuseWrites(t.pluto);
    await t.pluto.readers.simulate(t.state.readerId);
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => t.journal.getPayment(id)!.status === 'requires_capture', 2_000, 'the approval');
    await waitFor(() => !service.watcher.following(id), 2_000, 'the follow stopped');
    const transactionId = t.journal.getPayment(id)!.transactionId!;
    const asked: string[] = [];
    const retrieve = t.pluto.retrieve.bind(t.pluto);
    t.pluto.retrieve = async (named) => {
      asked.push(`retrieve ${named}`);
      return retrieve(named);
    };

    // PlutoPay's keys of its account are kept: read there, read only.
    const read = await service.commands.detail(id);
    expect(read).toMatchObject({
      offline: false,
      transaction: { id: transactionId, status: 'requires_capture', amountCapturable: 4200 },
    });
    expect(asked).toEqual([`retrieve ${transactionId}`]);

    // PlutoPay not answering: the till's own record, with no refund form.
    const record =
      "This payment was made with PlutoPay, and the till now uses Fake gateway: this is the till's own record of it, as PlutoPay last answered. Switch back to PlutoPay in Settings (F7) to read it again or act on it.";
    t.pluto.retrieve = async () => {
      throw new GatewayUnreachable('not_sent', 'PlutoPay is not answering');
    };
    expect(await service.commands.detail(id)).toMatchObject({
      offline: false,
      transaction: { id: transactionId, paymentId: id, status: 'requires_capture' },
      refundNotHere: record,
    });

    // Its keys gone: the till's record too, PlutoPay not asked, by either id.
    asked.length = 0;
    t.pluto.retrieve = async (named) => {
      asked.push(`retrieve ${named}`);
      throw new Error('PlutoPay read for the details without its keys');
    };
    t.state.plutoKeys = false;
    for (const named of [id, transactionId]) {
      const detail = await service.commands.detail(named);
      expect(detail).toMatchObject({
        offline: false,
        transaction: { id: transactionId, paymentId: id, status: 'requires_capture', amountCapturable: 4200 },
        payment: { id, gateway: 'plutopay', status: 'requires_capture' },
      });
      expect(detail.timeline.map((e) => e.event)).toContain('ended_elsewhere');
      expect(detail.refundNotHere).toBe(record);
    }
    expect(asked).toEqual([]);
    expect(writes).toEqual([]);
    service.close();
  });

  it('an approval with nothing left to do (captured at once) is journaled paid, with no item', async () => {
    const t = till();
    const service = t.start();
    const id = await onCloudReader(t, service, 'automatic');
    await switchTo(service, t, t.payplug);
    await t.pluto.readers.simulate(t.state.readerId);
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => t.journal.getPayment(id)!.status === 'succeeded', 2_000, 'the approval');
    expect(service.attention().some((a) => a.paymentId === id)).toBe(false);
    expect(service.watcher.following(id)).toBe(false);
    service.close();
  });

  it('is not followed without PlutoPay’s keys: Needs attention says so, and the keys back follow it', async () => {
    const t = till();
    const service = t.start();
    const id = await onCloudReader(t, service, 'automatic');
    t.state.plutoKeys = false;
    await switchTo(service, t, t.payplug);
    const count = countReaderReads(t.pluto);
    expect(service.watcher.following(id)).toBe(false);
    const item = service.attention().find((a) => a.paymentId === id);
    expect(item?.reason).toMatch(
      /^This payment was sent to a reader of PlutoPay's on .*, and the till no longer holds PlutoPay's .*, so the till does not read it/,
    );
    expect(item?.advice).toMatch(/^Without switching back to PlutoPay, /);
    await t.clock.advanceAsync(POLL_MS * 3);
    expect(count.reads).toBe(0);

    // The keys entered again (a Settings save): followed, and the approval taken in.
    t.state.plutoKeys = true;
    service.recovery.followElsewhere();
    await t.pluto.readers.simulate(t.state.readerId);
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => t.journal.getPayment(id)!.status === 'succeeded', 2_000, 'the approval');
    expect(service.attention().some((a) => a.paymentId === id)).toBe(false);
    service.close();
  });

  it('let go by its reader with nothing charged says the payment is still open there, until switched back', async () => {
    const t = till();
    const service = t.start();
    const id = await onCloudReader(t, service, 'automatic');
    await switchTo(service, t, t.payplug);
    const writes = refuseWrites(t.pluto);
    expect(service.watcher.following(id)).toBe(true);

    // PlutoPay's reader no longer holds it (restarted, say); PlutoPay keeps the payment open.
    const transactionId = t.journal.getPayment(id)!.transactionId!;
    (await t.pluto.readers.get(t.state.readerId)).action = null;
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => t.journal.getPayment(id)!.status === 'pending', 2_000, 'the payment let go');
    expect(t.journal.getPayment(id)).toMatchObject({ readerId: null, transactionId, declineCode: null });
    expect(t.pluto.payments.get(transactionId)!.status).toBe('pending');
    await waitFor(() => !service.watcher.following(id), 2_000, 'the follow stopped');
    const item = service.attention().find((a) => a.paymentId === id);
    expect(item?.reason).toBe(
      "PlutoPay's reader ended this payment unpaid after the till switched to Fake gateway: nothing was charged, and the payment is still open at PlutoPay.",
    );
    expect(item?.advice).toMatch(/^Switch back to PlutoPay in Settings \(F7\) to try again or cancel it/);
    // Read again on PayPlug (a restart), the item stays: only the switch back can settle it.
    await service.recovery.recover();
    expect(service.attention().some((a) => a.paymentId === id)).toBe(true);
    expect(writes).toEqual([]);

    // Switched back: read on PlutoPay, out of Needs attention, and canceled there.
    t.pluto.cancel = FakeGateway.prototype.cancel.bind(t.pluto);
    await switchTo(service, t, t.pluto);
    expect(service.attention().some((a) => a.paymentId === id)).toBe(false);
    expect((await service.commands.cancel({ paymentId: id })).status).toBe('canceled');
    service.close();
  });

  it('is read more and more rarely while PlutoPay does not answer, and as often again once it does', async () => {
    const t = till();
    const service = t.start();
    const id = await onCloudReader(t, service, 'manual');
    await switchTo(service, t, t.payplug);
    const reader = outage(t, t.pluto);
    expect(service.watcher.following(id)).toBe(true);

    await reader.readsAfter(BACKING_OFF);
    // PlutoPay answers again: the reader is read every second from the next read on.
    reader.state.down = false;
    await reader.readsAfter([10_000, POLL_MS, POLL_MS]);
    expect(t.journal.getPayment(id)).toMatchObject({ status: 'in_progress', gateway: 'plutopay' });
    expect(service.watcher.following(id)).toBe(true);

    // The card is still taken in once PlutoPay answers again.
    await t.pluto.readers.simulate(t.state.readerId);
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => t.journal.getPayment(id)!.status === 'requires_capture', 2_000, 'the approval');
    service.close();
  });
});

describe('a payment on the active gateway’s own cloud reader', () => {
  it('is read more and more rarely while the gateway does not answer, and as often again once it does', async () => {
    const t = till();
    const service = t.start();
    const id = await onCloudReader(t, service, 'automatic');
    const reader = outage(t, t.pluto);
    expect(service.watcher.following(id)).toBe(true);

    await reader.readsAfter(BACKING_OFF);
    reader.state.down = false;
    await reader.readsAfter([10_000, POLL_MS, POLL_MS]);
    await t.pluto.readers.simulate(t.state.readerId);
    await t.clock.advanceAsync(POLL_MS);
    await waitFor(() => t.journal.getPayment(id)!.status === 'succeeded', 2_000, 'the approval');
    service.close();
  });
});

describe('a cloud reader answered unreadably (an action status the till does not know)', () => {
  it.each([
    { whose: 'the active gateway’s', switched: false },
    { whose: 'the previous gateway’s', switched: true },
  ])(
    'on $whose reader, a payment approved at the gateway is taken in, and no longer followed',
    async ({ switched }) => {
      const t = till();
      const service = t.start();
      const id = await onCloudReader(t, service, 'automatic');
      if (switched) await switchTo(service, t, t.payplug);
      const unreadable = () => {
        throw new GatewayUnreadable('"timed_out" is not a reader action status the till knows');
      };
      const get = t.pluto.readers.get;
      t.pluto.readers.get = async () => unreadable();

      // The card not presented yet: the payment still open, the cashier is told, the reader read again.
      await t.clock.advanceAsync(POLL_MS);
      await waitFor(() => t.journal.getPayment(id)!.attentionSince !== null, 2_000, 'Needs attention');
      expect(t.journal.getPayment(id)).toMatchObject({
        status: 'in_progress',
        attentionReason: '"timed_out" is not a reader action status the till knows',
      });
      expect(service.watcher.following(id)).toBe(true);

      // Approved on the reader: its payment says so, whatever the reader's answer.
      t.pluto.readers.get = get;
      await t.pluto.readers.simulate(t.state.readerId);
      t.pluto.readers.get = async () => unreadable();
      await t.clock.advanceAsync(10_000);
      await waitFor(() => t.journal.getPayment(id)!.status === 'succeeded', 2_000, 'the approval');
      expect(t.journal.getPayment(id)!.attentionSince).toBeNull();
      await waitFor(() => !service.watcher.following(id), 2_000, 'the follow stopped');
      service.close();
    },
  );
});
