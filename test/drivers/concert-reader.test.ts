import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { createTransportPair } from '../support/memory-transport';
import { ACK, ENQ, EOT, encodeAnswer } from '../../drivers/protocols/concert/codec';
import { concertReaderInfo } from '../../drivers/protocols/concert/driver';
import type { EmulatorScript } from '../../drivers/protocols/concert/emulator';
import { serveEmulator } from '../../drivers/protocols/concert/emulator';
import type { ConcertReaderOptions } from '../../drivers/protocols/concert/reader';
import { ConcertReader, privateDataFor } from '../../drivers/protocols/concert/reader';
import type { CardOutcome, CollectRequest, CollectStage, Transport } from '../../drivers/types';

const PAYMENT: CollectRequest = { amount: 1250, currency: 'EUR', reference: 'act_1234567890ABCDEF' };

/** Lets queued microtasks and immediates run (the in-memory cable delivers on microtasks). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function setup(script: Partial<EmulatorScript> = {}, options: Partial<ConcertReaderOptions> = {}) {
  const clock = new FakeClock();
  const [ecr, terminal] = createTransportPair();
  const served = serveEmulator(terminal, { clock, script });
  const out: number[] = [];
  const reader = new ConcertReader({
    transport: ecr,
    info: concertReaderInfo({ id: 'serial:/dev/ttyTEST', foundBy: 'serial', path: '/dev/ttyTEST' }),
    clock,
    ...options,
    onTrace: (direction, bytes) => {
      if (direction === 'out') out.push(...bytes);
    },
  });
  /** Advances fake time in 50 ms steps, letting bytes cross the cable between steps. */
  const run = async (ms: number): Promise<void> => {
    await flush();
    for (let t = 0; t < ms; t += 50) {
      clock.advance(Math.min(50, ms - t));
      await flush();
    }
  };
  /** Collects and runs time until the outcome is there (or the budget is spent). */
  const pay = async (request: CollectRequest = PAYMENT, budgetMs = 15_000, onStage?: (stage: CollectStage) => void) => {
    let outcome: CardOutcome | undefined;
    const promise = reader.collect(request, onStage).then((o) => (outcome = o));
    for (let t = 0; t < budgetMs && outcome === undefined; t += 50) await run(50);
    await promise;
    return outcome!;
  };
  return { clock, ecr, terminal, served, emulator: served.emulator, reader, run, pay, out };
}

describe('ConcertReader: outcomes from the terminal', () => {
  it('approves from a valid full answer, with the card and the reference', async () => {
    const t = setup({ delayMs: 2_000 });
    const stages: CollectStage[] = [];
    const outcome = await t.pay(PAYMENT, 15_000, (stage) => stages.push(stage));
    expect(outcome).toEqual({ kind: 'approved', card: { brand: 'visa', last4: '0119' }, authCode: 'A00001' });
    expect(stages).toEqual(['waiting_for_card']);
    expect(t.emulator.requests).toEqual([
      {
        variant: 'E+',
        posNumber: '01',
        amount: 1250,
        fullAnswer: true,
        paymentMode: '1',
        transactionType: '0',
        currencyNumeric: '978',
        privateData: '7890ABCDEF',
        delay: 'A010',
        authorization: 'B010',
      },
    ]);
    expect(t.reader.state).toBe('idle');
    expect(t.clock.pending).toBe(0);
  });

  it('approves without card details from a short answer, and uses the configured POS number', async () => {
    const t = setup({}, { fullAnswer: false, posNumber: '07' });
    expect(await t.pay()).toEqual({ kind: 'approved', card: null, authCode: 'A00001' });
    expect(t.emulator.requests[0]).toMatchObject({ fullAnswer: false, posNumber: '07' });
  });

  it('does not take echoed private data or zeros for an authorisation code', async () => {
    const echo = setup({ answerPrivateData: '7890ABCDEF' });
    expect(await echo.pay()).toEqual({ kind: 'approved', card: { brand: 'visa', last4: '0119' } });
    const zeros = setup({ answerPrivateData: '0000000000' });
    expect(await zeros.pay()).toEqual({ kind: 'approved', card: { brand: 'visa', last4: '0119' } });
  });

  it('maps status 7 to a card_declined decline', async () => {
    const t = setup({ outcome: 'refuse' });
    const outcome = await t.pay();
    expect(outcome).toMatchObject({ kind: 'declined', code: 'card_declined' });
    expect(outcome.kind === 'declined' && outcome.message).toMatch(/status 7/);
  });

  it('treats status 9 (request handled, no result) as unknown, never approved', async () => {
    const t = setup({ outcome: 'handled' });
    expect(await t.pay()).toMatchObject({
      kind: 'unknown',
      code: 'protocol_error',
      message: expect.stringMatching(/status 9/),
    });
  });

  it.each([
    [{ answerAmount: 1251 }, /amount_mismatch/],
    [{ answerPosNumber: '02' }, /pos_mismatch/],
    [{ answerCurrencyNumeric: '840' }, /currency_mismatch/],
  ])('never approves an answer that does not match the request (%o)', async (script, reason) => {
    const t = setup(script);
    const outcome = await t.pay();
    expect(outcome).toMatchObject({ kind: 'unknown', code: 'protocol_error' });
    expect(outcome.kind === 'unknown' && outcome.message).toMatch(reason);
    expect(outcome.kind === 'unknown' && outcome.message).toMatch(/may have been charged/);
  });
});

describe('ConcertReader: link faults end-to-end against the emulator', () => {
  it('gets through 2 NAKed request frames', async () => {
    const t = setup({ nakFrames: 2 });
    expect((await t.pay()).kind).toBe('approved');
  });

  it('fails (nothing charged) when the terminal NAKs every resend', async () => {
    const t = setup({ nakFrames: 10 });
    expect(await t.pay()).toMatchObject({ kind: 'failed', code: 'protocol_error' });
    expect(t.emulator.requests).toEqual([]);
  });

  it('NAKs an answer with a bad LRC and approves from the good resend', async () => {
    const t = setup({ answerFault: 'bad_lrc', badLrcCount: 1 });
    expect((await t.pay()).kind).toBe('approved');
  });

  it('takes a slow ACK that crossed its EOT as the payment starting: approved, never "nothing charged"', async () => {
    const clock = new FakeClock();
    const [ecr, terminal] = createTransportPair();
    const reader = new ConcertReader({
      transport: ecr,
      info: concertReaderInfo({ id: 'serial:/dev/ttySLOW', foundBy: 'serial', path: '/dev/ttySLOW' }),
      clock,
    });
    const heard: number[] = [];
    terminal.onData((chunk) => {
      heard.push(...chunk);
      if (chunk.length === 1 && chunk[0] === ENQ) void terminal.write(Uint8Array.of(ACK));
    });
    let outcome: CardOutcome | undefined;
    const paying = reader.collect(PAYMENT).then((o) => (outcome = o));
    clock.advance(100); // the quiet wait before the ENQ
    await flush(); // ENQ, ACK, then the request frame: the terminal is slow to acknowledge it
    clock.advance(3_000);
    await flush();
    expect(heard.at(-1)).toBe(EOT);
    // Its ACK crossed our EOT: to the terminal, ACK then EOT is how a card transaction starts.
    await terminal.write(Uint8Array.of(ACK));
    await flush();
    expect(outcome).toBeUndefined();
    await terminal.write(Uint8Array.of(ENQ));
    await flush();
    const answer = { posNumber: '01', status: '0', amount: 1250, paymentMode: '1', cardField: null };
    await terminal.write(encodeAnswer({ ...answer, currencyNumeric: '978', privateData: 'A00001' }));
    await terminal.write(Uint8Array.of(EOT));
    await paying;
    expect(outcome).toMatchObject({ kind: 'approved', authCode: 'A00001' });
    await reader.close();
  });

  it('waits for a quiet line only when it is not known quiet: at once after a clean exchange', async () => {
    const t = setup();
    expect((await t.pay()).kind).toBe('approved');
    // The last exchange ended with the terminal's EOT and nothing came since: the next ENQ goes at once.
    t.out.length = 0;
    let outcome: CardOutcome | undefined;
    const next = t.reader.collect(PAYMENT).then((o) => (outcome = o));
    expect(t.out).toEqual([ENQ]);
    for (let ms = 0; ms < 15_000 && outcome === undefined; ms += 50) await t.run(50);
    await next;
    expect(outcome?.kind).toBe('approved');
    // A byte heard between exchanges (an answer re-sent late): the whole gap is waited again.
    await t.terminal.write(Uint8Array.of(EOT));
    await flush();
    t.out.length = 0;
    const third = t.reader.collect(PAYMENT);
    expect(t.out).toEqual([]);
    t.clock.advance(99);
    await flush();
    expect(t.out).toEqual([]);
    t.clock.advance(1);
    expect(t.out).toEqual([ENQ]);
    await t.run(15_000);
    expect((await third).kind).toBe('approved');
    await t.reader.close();
  });

  it("never charges on an earlier answer's bytes: a stale frame whose LRC is ACK, then its EOT", async () => {
    const clock = new FakeClock();
    const [ecr, terminal] = createTransportPair();
    const reader = new ConcertReader({
      transport: ecr,
      info: concertReaderInfo({ id: 'serial:/dev/ttySTALE', foundBy: 'serial', path: '/dev/ttySTALE' }),
      clock,
    });
    const heard: number[] = [];
    terminal.onData((chunk) => heard.push(...chunk));
    // The terminal re-sends the answer of an earlier payment as the next one starts, then is busy.
    let stale: Uint8Array | undefined;
    for (let code = 0; stale === undefined; code++) {
      const answer = { posNumber: '01', status: '0', amount: 990, paymentMode: '1', cardField: null };
      const privateData = `OLD${String.fromCharCode(0x20 + (code % 95), 0x20 + Math.floor(code / 95))}`;
      const bytes = encodeAnswer({ ...answer, currencyNumeric: '978', privateData });
      if (bytes.at(-1) === ACK) stale = bytes;
    }
    let outcome: CardOutcome | undefined;
    const paying = reader.collect(PAYMENT).then((o) => (outcome = o));
    await terminal.write(stale);
    await terminal.write(Uint8Array.of(EOT));
    for (let t = 0; t < 15_000 && outcome === undefined; t += 50) {
      await flush();
      clock.advance(50);
    }
    await paying;
    expect(outcome).toMatchObject({ kind: 'failed', code: 'reader_timeout' });
    expect(heard).not.toContain(0x02); // the request never went out
    await reader.close();
  });

  it("approves when the line loses our ACK to the terminal's answer session: it opens it again", async () => {
    const clock = new FakeClock();
    const [ecr, terminal] = createTransportPair();
    const served = serveEmulator(terminal, { clock });
    let eotSent = false;
    let lost = 0;
    // The cable loses the first ACK after our EOT: the one to the terminal's ENQ.
    const lossy: Transport = {
      get isOpen() {
        return ecr.isOpen;
      },
      write: async (bytes) => {
        if (eotSent && lost === 0 && bytes.length === 1 && bytes[0] === ACK) {
          lost += 1;
          return;
        }
        if (bytes.length === 1 && bytes[0] === EOT) eotSent = true;
        await ecr.write(bytes);
      },
      onData: (listener) => ecr.onData(listener),
      onClose: (listener) => ecr.onClose(listener),
      close: () => ecr.close(),
    };
    const reader = new ConcertReader({
      transport: lossy,
      info: concertReaderInfo({ id: 'serial:/dev/ttyLOSSY', foundBy: 'serial', path: '/dev/ttyLOSSY' }),
      clock,
    });
    let outcome: CardOutcome | undefined;
    const paying = reader.collect(PAYMENT).then((o) => (outcome = o));
    for (let t = 0; t < 15_000 && outcome === undefined; t += 50) {
      await flush();
      clock.advance(50);
    }
    await paying;
    expect(lost).toBe(1);
    expect(outcome).toMatchObject({ kind: 'approved', authCode: 'A00001' });
    expect(served.emulator.requests).toHaveLength(1);
    await reader.close();
    await served.stop();
  });

  /**
   * The emulator on a line that loses the terminal's ACK of our request frame (its second ACK: the
   * first answers our ENQ). The terminal took the request; our EOT after the unanswered wait is, to
   * it, the start of the card transaction. It waits for that EOT longer than we wait for the ACK.
   */
  function requestAckLost(script: Partial<EmulatorScript>) {
    const clock = new FakeClock();
    const [ecr, terminal] = createTransportPair();
    let acks = 0;
    let lost = 0;
    const lossy: Transport = {
      get isOpen() {
        return terminal.isOpen;
      },
      write: async (bytes) => {
        if (bytes.length === 1 && bytes[0] === ACK && ++acks === 2) {
          lost += 1;
          return;
        }
        await terminal.write(bytes);
      },
      onData: (listener) => terminal.onData(listener),
      onClose: (listener) => terminal.onClose(listener),
      close: () => terminal.close(),
    };
    const served = serveEmulator(lossy, { clock, script, timings: { frameTimeoutMs: 10_000 } });
    const reader = new ConcertReader({
      transport: ecr,
      info: concertReaderInfo({ id: 'serial:/dev/ttyNOACK', foundBy: 'serial', path: '/dev/ttyNOACK' }),
      clock,
    });
    const stages: CollectStage[] = [];
    let outcome: CardOutcome | undefined;
    const paying = reader
      .collect({ ...PAYMENT, timeoutMs: 20_000 }, (stage) => stages.push(stage))
      .then((o) => {
        outcome = o;
      });
    const runFor = async (ms: number) => {
      for (let t = 0; t < ms && outcome === undefined; t += 50) {
        await flush();
        clock.advance(50);
      }
      await flush();
    };
    return {
      clock,
      reader,
      served,
      stages,
      runFor,
      lost: () => lost,
      outcome: async () => {
        await runFor(60_000);
        await paying;
        return outcome!;
      },
    };
  }

  it("approves when the line loses the terminal's ACK of the request: it took it, and its answer is read", async () => {
    const t = requestAckLost({ outcome: 'approve', delayMs: 5_000 });
    expect(await t.outcome()).toMatchObject({ kind: 'approved', authCode: 'A00001' });
    expect(t.lost()).toBe(1);
    expect(t.served.emulator.requests).toHaveLength(1);
    expect(t.stages).toEqual(['waiting_for_card']);
    await t.reader.close();
    await t.served.stop();
  });

  it('ends in doubt, never failed, when that terminal then never answers; busy meanwhile, so no second charge', async () => {
    const t = requestAckLost({ outcome: 'never' });
    await t.runFor(10_000);
    expect(t.served.emulator.requests).toHaveLength(1); // the terminal is charging the card
    // The till used to call this "failed, nothing charged": the cashier's retry then charged the card again.
    expect(t.reader.state).toBe('busy');
    expect(await t.reader.collect(PAYMENT)).toMatchObject({ kind: 'failed', code: 'reader_busy' });
    const outcome = await t.outcome();
    expect(outcome).toMatchObject({ kind: 'unknown', code: 'reader_timeout' });
    expect(outcome.kind === 'unknown' && outcome.message).toMatch(
      /The terminal may have charged the card: check its last receipt/,
    );
    expect(t.served.emulator.requests).toHaveLength(1);
    expect(t.clock.pending).toBe(0);
    await t.reader.close();
    await t.served.stop();
  });

  it('ends unknown when every answer has a bad LRC', async () => {
    const t = setup({ answerFault: 'bad_lrc', badLrcCount: 99 });
    expect(await t.pay()).toMatchObject({ kind: 'unknown', code: 'protocol_error' });
  });

  it('ends unknown on garbage instead of an answer', async () => {
    const t = setup({ answerFault: 'garbage' });
    expect(await t.pay()).toMatchObject({
      kind: 'unknown',
      code: 'reader_timeout',
      message: expect.stringMatching(/no complete frame/),
    });
  });

  it('ends unknown when the answer is dropped halfway', async () => {
    const t = setup({ answerFault: 'drop' });
    expect(await t.pay()).toMatchObject({ kind: 'unknown', code: 'reader_timeout' });
  });

  it('ends unknown when the terminal never answers, after the configured wait', async () => {
    const t = setup({ outcome: 'never' }, { timings: { answerTimeoutMs: 5_000 } });
    const outcome = await t.pay(PAYMENT, 20_000);
    expect(outcome).toMatchObject({
      kind: 'unknown',
      code: 'reader_timeout',
      message: expect.stringMatching(/within 5000 ms/),
    });
  });

  it('fails (nothing charged) when the terminal is dead: 3 ENQs, 11 s after a quiet 0.1 s', async () => {
    const t = setup({ respondToEnq: false });
    const started = t.clock.now();
    const outcome = await t.pay(PAYMENT, 20_000);
    expect(outcome).toMatchObject({ kind: 'failed', code: 'reader_timeout' });
    expect(t.clock.now() - started).toBeGreaterThanOrEqual(11_100);
    expect(t.clock.now() - started).toBeLessThan(11_200);
  });

  it("takes the request's bound as the card wait, counted from the terminal's ACK: unknown once it runs out", async () => {
    const t = setup({ outcome: 'never' });
    const outcome = await t.pay({ ...PAYMENT, timeoutMs: 2_000 }, 5_000);
    expect(outcome).toMatchObject({
      kind: 'unknown',
      code: 'reader_timeout',
      message: expect.stringMatching(/did not open a session to answer within 2000 ms/),
    });
  });

  it('approves an answer that comes in the last seconds of the card wait, after a slow session opening', async () => {
    const clock = new FakeClock();
    const [ecr, terminal] = createTransportPair();
    const reader = new ConcertReader({
      transport: ecr,
      info: concertReaderInfo({ id: 'serial:/dev/ttyLATE', foundBy: 'serial', path: '/dev/ttyLATE' }),
      clock,
    });
    const heard: number[] = [];
    terminal.onData((chunk) => heard.push(...chunk));
    let outcome: CardOutcome | undefined;
    const paying = reader.collect({ ...PAYMENT, timeoutMs: 120_000 }).then((o) => (outcome = o));
    const advance = async (ms: number) => {
      await flush();
      clock.advance(ms);
      await flush();
    };
    // The terminal is slow to open: it ACKs our ENQ and then the request 2.5 s each.
    await advance(2_500);
    expect(heard.at(-1)).toBe(ENQ);
    await terminal.write(Uint8Array.of(ACK));
    await advance(2_500);
    await terminal.write(Uint8Array.of(ACK));
    await flush();
    expect(heard.at(-1)).toBe(EOT);
    // The customer takes 119 s at the card: 124 s after the exchange began, inside the 120 s card wait.
    await advance(119_000);
    expect(outcome).toBeUndefined();
    await terminal.write(Uint8Array.of(ENQ));
    await flush();
    const answer = { posNumber: '01', status: '0', amount: 1250, paymentMode: '1', cardField: null };
    await terminal.write(encodeAnswer({ ...answer, currencyNumeric: '978', privateData: 'A00001' }));
    await terminal.write(Uint8Array.of(EOT));
    await paying;
    expect(outcome).toMatchObject({ kind: 'approved', authCode: 'A00001' });
    expect(clock.pending).toBe(0);
    await reader.close();
  });
});

describe('ConcertReader: one payment at a time, cancel, bad input', () => {
  it('answers a second collect with reader_busy without disturbing the first', async () => {
    const t = setup({ delayMs: 1_000 });
    const first = t.reader.collect(PAYMENT);
    expect(t.reader.state).toBe('busy');
    expect(await t.reader.collect(PAYMENT)).toMatchObject({ kind: 'failed', code: 'reader_busy' });
    await t.run(3_000);
    expect((await first).kind).toBe('approved');
    expect(t.emulator.requests).toHaveLength(1);
  });

  it('cancels before the request is acknowledged', async () => {
    const t = setup({ respondToEnq: false });
    const outcome = t.reader.collect(PAYMENT);
    await t.run(500);
    expect(await t.reader.cancel()).toBe(true);
    expect(await outcome).toEqual({ kind: 'canceled' });
    expect(t.reader.state).toBe('idle');
    expect(t.out).toEqual([0x05, 0x04]); // ENQ, then EOT: no request ever went out
  });

  it('refuses to cancel after acknowledgement and still reports the approval', async () => {
    const t = setup({ delayMs: 5_000 });
    const outcome = t.reader.collect(PAYMENT);
    await t.run(500);
    expect(await t.reader.cancel()).toBe(false);
    await t.run(6_000);
    expect((await outcome).kind).toBe('approved');
  });

  /** The test plays the terminal by hand, to stop between "request sent" and the terminal's reply. */
  async function requestOnTheWire() {
    const clock = new FakeClock();
    const [ecr, terminal] = createTransportPair();
    const heard: number[] = [];
    terminal.onData((chunk) => heard.push(...chunk));
    const reader = new ConcertReader({
      transport: ecr,
      info: concertReaderInfo({ id: 'x', foundBy: 'serial', path: '/dev/x' }),
      clock,
    });
    const outcome = reader.collect(PAYMENT);
    clock.advance(100); // the quiet wait before the ENQ
    await flush();
    await terminal.write(Uint8Array.of(0x06)); // ACK the ENQ
    await flush();
    expect(heard[0]).toBe(0x05);
    expect(heard[1]).toBe(0x02); // the request frame is out, awaiting the terminal's verdict
    return { terminal, heard, reader, outcome };
  }

  it('cancels while the request awaits its ACK if the terminal then NAKs it', async () => {
    const t = await requestOnTheWire();
    const cancel = t.reader.cancel();
    await flush();
    expect(t.heard.at(-1)).not.toBe(0x04); // no EOT racing the terminal's answer
    await t.terminal.write(Uint8Array.of(0x15));
    expect(await cancel).toBe(true);
    expect(await t.outcome).toEqual({ kind: 'canceled' });
    await flush();
    expect(t.heard.at(-1)).toBe(0x04);
  });

  it('refuses that cancel if the terminal ACKs the request: the payment goes on', async () => {
    const t = await requestOnTheWire();
    const cancel = t.reader.cancel();
    await t.terminal.write(Uint8Array.of(0x06));
    expect(await cancel).toBe(false);
    expect(t.reader.state).toBe('busy');
    await t.reader.close();
    expect(await t.outcome).toMatchObject({ kind: 'unknown' });
  });

  it('returns false from cancel when idle', async () => {
    const t = setup();
    expect(await t.reader.cancel()).toBe(false);
  });

  it('rejects an unknown currency or a bad amount without touching the line', async () => {
    const t = setup();
    expect(await t.reader.collect({ ...PAYMENT, currency: 'XYZ' })).toMatchObject({
      kind: 'failed',
      code: 'reader_error',
      message: expect.stringMatching(/XYZ/),
    });
    expect(await t.reader.collect({ ...PAYMENT, amount: 12.5 })).toMatchObject({
      kind: 'failed',
      code: 'reader_error',
    });
    expect(await t.reader.collect({ ...PAYMENT, amount: 100_000_000 })).toMatchObject({
      kind: 'failed',
      code: 'reader_error',
    });
    expect(t.out).toEqual([]);
  });

  it('survives a stage callback that throws', async () => {
    const t = setup();
    const outcome = await t.pay(PAYMENT, 15_000, () => {
      throw new Error('renderer bug');
    });
    expect(outcome.kind).toBe('approved');
  });

  it('keeps the last 10 printable characters of the reference as private data', () => {
    expect(privateDataFor('act_1234567890ABCDEF')).toBe('7890ABCDEF');
    expect(privateDataFor('short')).toBe('short');
    expect(privateDataFor('caf\u00e9-\u00fcber')).toBe('caf_-_ber');
  });
});

describe('ConcertReader: disconnects', () => {
  it('ends unknown when unplugged after acknowledgement, and says so once', async () => {
    const t = setup({ delayMs: 10_000 });
    const reasons: string[] = [];
    t.reader.onDisconnect((reason) => reasons.push(reason));
    const outcome = t.reader.collect(PAYMENT);
    await t.run(500);
    t.ecr.unplug('cable pulled');
    // The cashier's words; the port's own are the detail, for support.
    expect(await outcome).toMatchObject({
      kind: 'unknown',
      code: 'reader_disconnected',
      message: expect.stringMatching(/^The reader was unplugged or lost power during the payment\. /),
      detail: 'the reader disconnected (port closed: cable pulled)',
    });
    expect(reasons).toEqual(['port closed: cable pulled']);
    expect(t.reader.state).toBe('disconnected');
    expect(await t.reader.collect(PAYMENT)).toMatchObject({ kind: 'failed', code: 'reader_disconnected' });
  });

  it('fails (nothing charged) when unplugged before acknowledgement', async () => {
    const t = setup({ respondToEnq: false });
    const outcome = t.reader.collect(PAYMENT);
    await t.run(500);
    t.ecr.unplug();
    expect(await outcome).toMatchObject({
      kind: 'failed',
      code: 'reader_disconnected',
      message: 'The reader was unplugged or lost power during the payment. Nothing was charged.',
    });
  });

  it('goes offline on detach() (a USB detach seen by the registry)', async () => {
    const t = setup({ delayMs: 10_000 });
    const reasons: string[] = [];
    t.reader.onDisconnect((reason) => reasons.push(reason));
    const outcome = t.reader.collect(PAYMENT);
    await t.run(500);
    t.reader.detach('USB 0b00:0080 was unplugged');
    expect(await outcome).toMatchObject({ kind: 'unknown', code: 'reader_disconnected' });
    expect(reasons).toEqual(['USB 0b00:0080 was unplugged']);
    expect(t.ecr.isOpen).toBe(false);
  });

  it('close() during a payment ends it as unknown once acknowledged, without a disconnect event', async () => {
    const t = setup({ delayMs: 10_000 });
    const reasons: string[] = [];
    t.reader.onDisconnect((reason) => reasons.push(reason));
    const outcome = t.reader.collect(PAYMENT);
    await t.run(500);
    await t.reader.close();
    expect(await outcome).toMatchObject({ kind: 'unknown', code: 'reader_disconnected' });
    expect(reasons).toEqual([]);
    expect(t.reader.state).toBe('disconnected');
  });
});

describe('ConcertReader: a credit (refund) on the terminal', () => {
  it('sends transaction type 1 and reads the answer like a purchase; the batch counts both', async () => {
    const t = setup();
    expect(await t.pay()).toMatchObject({ kind: 'approved' });
    let outcome: CardOutcome | undefined;
    const refund = t.reader
      .refund({ amount: 500, currency: 'EUR', reference: 'rfd_pay_123456' })
      .then((o) => (outcome = o));
    for (let i = 0; i < 100 && outcome === undefined; i++) await t.run(50);
    await refund;
    expect(outcome).toMatchObject({ kind: 'approved', card: { brand: 'visa', last4: '0119' } });
    expect(t.emulator.requests.map((r) => [r.transactionType, r.amount])).toEqual([
      ['0', 1250],
      ['1', 500],
    ]);
    expect(t.emulator.batch()).toEqual([
      { transactionType: '0', currencyNumeric: '978', count: 1, amount: 1250 },
      { transactionType: '1', currencyNumeric: '978', count: 1, amount: 500 },
    ]);
    expect(t.emulator.closeBatch()).toHaveLength(2);
    expect(t.emulator.batch()).toEqual([]);
  });

  it('a refused credit is declined, nothing credited', async () => {
    const t = setup({ outcome: 'refuse' });
    let outcome: CardOutcome | undefined;
    const refund = t.reader.refund({ amount: 500, currency: 'EUR', reference: 'rfd_1' }).then((o) => (outcome = o));
    for (let i = 0; i < 100 && outcome === undefined; i++) await t.run(50);
    await refund;
    expect(outcome).toMatchObject({ kind: 'declined' });
    expect(t.emulator.batch()).toEqual([]);
  });
});
