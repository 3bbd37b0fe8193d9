/**
 * A standalone Concert terminal over a real socat pty whose line loses one byte: the terminal's ACK
 * of the till's request frame. The terminal took the request, and the till's EOT after its
 * unanswered wait is what starts the card transaction: the app must read the terminal's answer, or
 * — when none comes within the card wait — put the payment in Needs attention as possibly charged,
 * never call it failed (the cashier would charge the card again).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACK, ETX } from '../../drivers/protocols/concert/codec';
import { serveEmulator, type ServedEmulator } from '../../drivers/protocols/concert/emulator';
import { createDefaultRegistry } from '../../drivers/registry';
import { createPtyPair, type PtyPair } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import type { Transport } from '../../drivers/types';
import { pairTerminalOnPort, startTestHost, type TestHost } from '../support/host';
import { hasTool } from '../support/tools';

/**
 * The terminal's end of the line, losing the ACK it sends right after a frame's ETX and LRC (its ACK
 * of a request) while `armed` is above 0. The terminal itself never knows: it goes on as if sent.
 */
function losingRequestAcks(line: Transport): Transport & { armed: number; lost: number } {
  let afterEtx = false;
  let frameEnded = false;
  const lossy = {
    armed: 0,
    lost: 0,
    get isOpen() {
      return line.isOpen;
    },
    write: async (bytes: Uint8Array) => {
      const ended = frameEnded;
      frameEnded = false;
      if (ended && lossy.armed > 0 && bytes.length === 1 && bytes[0] === ACK) {
        lossy.armed -= 1;
        lossy.lost += 1;
        return;
      }
      await line.write(bytes);
    },
    onData: (listener: (chunk: Uint8Array) => void) =>
      line.onData((chunk) => {
        for (const raw of chunk) {
          frameEnded = afterEtx;
          afterEtx = (raw & 0x7f) === ETX;
        }
        listener(chunk);
      }),
    onClose: (listener: (error?: Error) => void) => line.onClose(listener),
    close: () => line.close(),
  };
  return lossy;
}

describe.skipIf(!hasTool('socat'))('a standalone Concert terminal whose ACK of the request is lost', () => {
  let pty: PtyPair;
  let line: ReturnType<typeof losingRequestAcks>;
  let terminal: ServedEmulator;
  let t: TestHost;
  let readerId: string;

  beforeAll(async () => {
    pty = await createPtyPair();
    line = losingRequestAcks(await openSerialTransport(pty.a));
    terminal = serveEmulator(line, { script: { outcome: 'approve', delayMs: 300 } });
    t = await startTestHost({
      registry: createDefaultRegistry({
        ports: [pty.b],
        serial: false,
        usb: false,
        pollIntervalMs: 200,
        // The till's ACK wait, shorter than the terminal's wait for our EOT after its ACK (3 s).
        concert: { timings: { ackTimeoutMs: 500, lateAckMs: 200 } },
      }),
      defaultSimulatedReader: false,
      tuning: { collectTimeoutMs: 2_000 },
    });
    readerId = (await pairTerminalOnPort(t, pty.b, 'Desk 5000', { standalone: true })).id;
  }, 30_000);

  afterAll(async () => {
    await t?.close();
    await terminal?.stop();
    await pty?.stop();
  });

  it("records the terminal's approval: the request was taken though its ACK never came", async () => {
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'approve' };
    line.armed = 1;
    const created = await t.call('payments.create', { amount: 1250, currency: 'EUR', readerId });
    await t.call('payments.process', { paymentId: created.id, readerId });
    // Done: off the reader, and no longer the open payment it was before it was sent (no decline).
    const paid = await t.waitForPayment(
      created.id,
      (p) => p.status !== 'in_progress' && (p.status !== 'pending' || p.decline !== null),
      10_000,
    );
    expect(line.lost).toBe(1);
    expect(paid).toMatchObject({ status: 'succeeded', chargedBy: 'terminal', authCode: 'A00001' });
    expect(terminal.emulator.requests.map((r) => r.amount)).toEqual([1250]);
  });

  it('puts the payment in Needs attention when no answer comes, and sends it to the terminal no more', async () => {
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'never' };
    line.armed = 1;
    const asked = terminal.emulator.requests.length;
    const created = await t.call('payments.create', { amount: 800, currency: 'EUR', readerId });
    await t.call('payments.process', { paymentId: created.id, readerId });
    const doubtful = await t.waitForPayment(created.id, (p) => p.status !== 'in_progress', 15_000);
    expect(line.lost).toBe(2);
    // The terminal is charging the card: the till must not call it failed, nor offer it again.
    expect(terminal.emulator.requests.length).toBe(asked + 1);
    expect(doubtful).toMatchObject({ status: 'unknown', decline: null });
    expect(doubtful.attention?.reason).toMatch(/The terminal may have charged the card: check its last receipt/);
    expect(await t.fail('payments.process', { paymentId: created.id, readerId })).toMatchObject({
      code: 'conflict',
    });
    terminal.emulator.script = { ...terminal.emulator.script, outcome: 'approve' };
    expect(terminal.emulator.requests.length).toBe(asked + 1);
  });
});
