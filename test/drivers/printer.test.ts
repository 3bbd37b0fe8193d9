/**
 * The ESC/POS printer driver against the emulator over an in-memory pair, and against fake
 * transports for the failures a pair cannot produce (a refused write, a write that never ends).
 * Timeouts are short so failures end fast; no assertion is about elapsed time.
 */
import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatedCondition, PrinterEmulatorEvent } from '../../drivers/printers/emulator';
import { EscPosPrinterEmulator, parsePaper, serveEscPosEmulator } from '../../drivers/printers/emulator';
import { realtimeStatus } from '../../drivers/printers/escpos';
import type { PrinterError, ReceiptPrinter } from '../../drivers/printers/printer';
import { createEscPosPrinter, openEscPosPrinter } from '../../drivers/printers/printer';
import { createTransportPair } from '../support/memory-transport';
import type { MemoryTransport } from '../support/memory-transport';
import type { Transport, Unsubscribe } from '../../drivers/types';
import { buildReceipt, escpos } from '../../main/receipts';
import { RECEIPTS } from '../counter/receipt-fixtures';

/**
 * Bounds a printer that answers never reaches on a loaded machine (a timer can fire before an
 * answer already queued when the event loop stalls past it); only the tests of a printer that
 * never answers use the short ones, so they end fast.
 */
const PATIENT = { statusTimeoutMs: 5_000, writeTimeoutMs: 5_000 };
const FAST = { statusTimeoutMs: 100, writeTimeoutMs: 200 };
const JOB = escpos(buildReceipt(RECEIPTS.approved!));

interface Rig {
  printer: ReceiptPrinter;
  emulator: EscPosPrinterEmulator;
  host: MemoryTransport;
  device: MemoryTransport;
}

function rig(condition: EmulatedCondition = 'ok', onEvent?: (event: PrinterEmulatorEvent) => void): Rig {
  const [host, device] = createTransportPair();
  const served = serveEscPosEmulator(device, { condition, ...(onEvent ? { onEvent } : {}) });
  // A silent printer is waited out, quickly; one that answers gets all the time it needs.
  const timings = condition === 'silent' ? FAST : PATIENT;
  return { printer: createEscPosPrinter(host, timings), emulator: served.emulator, host, device };
}

async function failure(promise: Promise<unknown>): Promise<PrinterError> {
  try {
    await promise;
  } catch (error) {
    return error as PrinterError;
  }
  throw new Error('expected a PrinterError');
}

/** A transport whose write does what the test says. */
function fakeTransport(write: (bytes: Uint8Array) => Promise<void>, drain?: () => Promise<void>): Transport {
  const closeListeners = new Set<(error?: Error) => void>();
  let open = true;
  return {
    get isOpen() {
      return open;
    },
    write,
    ...(drain ? { drain } : {}),
    onData(): Unsubscribe {
      return () => undefined;
    },
    onClose(listener): Unsubscribe {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    async close() {
      open = false;
      for (const listener of closeListeners) listener(undefined);
    },
  };
}

describe('ESC/POS printer driver', () => {
  it('checks status, prints the job as given, and checks again', async () => {
    const { printer, emulator } = rig();
    const result = await printer.print(JOB);
    expect(result).toEqual({
      bytes: JOB.length,
      status: { online: true, paper: 'ok', coverOpen: false, error: false, drawerPin3High: false },
    });
    expect(emulator.printed).toEqual(JOB);
    expect(emulator.statusQueries).toEqual([1, 2, 4, 1, 2, 4]);
    expect(emulator.paper().cuts).toBe(1);
    await printer.close();
  });

  it.each([
    ['paper_out', 'paper_out', /out of paper/],
    ['cover_open', 'cover_open', /cover is open/],
    ['offline', 'offline', /offline/],
    ['error', 'printer_error', /reports an error/],
  ] as const)('refuses to send a job when the printer is %s', async (condition, code, message) => {
    const { printer, emulator } = rig(condition);
    const error = await failure(printer.print(JOB));
    expect(error).toMatchObject({ name: 'PrinterError', code, written: false });
    expect(error.message).toMatch(message);
    expect(emulator.printed).toHaveLength(0);
  });

  it('prints with paper near its end and says so', async () => {
    const { printer } = rig('paper_near_end');
    expect((await printer.print(JOB)).status?.paper).toBe('near_end');
  });

  it('reports paper that ran out during the job as a possibly incomplete receipt', async () => {
    const holder: { emulator?: EscPosPrinterEmulator } = {};
    const r = rig('ok', (event) => {
      if (event.type === 'data') holder.emulator!.condition = 'paper_out';
    });
    holder.emulator = r.emulator;
    const error = await failure(r.printer.print(JOB));
    expect(error).toMatchObject({ code: 'paper_out', written: true });
    expect(error.message).toMatch(/may be incomplete/);
  });

  it('says no printer when nothing answers the status query', async () => {
    const { printer, emulator } = rig('silent');
    const error = await failure(printer.print(JOB));
    expect(error).toMatchObject({ code: 'no_printer', written: false });
    expect(error.message).toMatch(/no answer to the status query in 100 ms/);
    expect(emulator.printed).toHaveLength(0);
    // The driver is not wedged: the printer comes back, the next job prints.
    emulator.condition = 'ok';
    await expect(printer.print(JOB)).resolves.toMatchObject({ bytes: JOB.length });
  });

  it('prints without status queries when real-time status is off (a silent printer too)', async () => {
    const [host, device] = createTransportPair();
    const { emulator } = serveEscPosEmulator(device, { condition: 'silent' });
    const printer = createEscPosPrinter(host, { ...FAST, realtimeStatus: false });
    expect(await printer.print(JOB)).toEqual({ bytes: JOB.length, status: null });
    await new Promise((resolve) => setImmediate(resolve));
    expect(emulator.statusQueries).toEqual([]);
    expect(emulator.printed).toEqual(JOB);
  });

  it('reads the status on demand', async () => {
    const { printer, emulator } = rig('cover_open');
    expect(await printer.status()).toEqual({
      online: false,
      paper: 'ok',
      coverOpen: true,
      error: false,
      drawerPin3High: false,
    });
    emulator.condition = 'paper_out';
    expect(await printer.status()).toMatchObject({ online: false, paper: 'out' });
  });

  it('reports an unplugged printer, once, and refuses further jobs', async () => {
    const { printer, host, emulator } = rig('ok', (event) => {
      if (event.type === 'data') host.unplug('USB adapter removed');
    });
    const disconnects: PrinterError[] = [];
    printer.onDisconnect((error) => disconnects.push(error));
    const error = await failure(printer.print(JOB));
    expect(error.code).toBe('unplugged');
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]!.message).toMatch(/USB adapter removed/);
    expect(printer.isOpen).toBe(false);
    expect((await failure(printer.print(JOB))).code).toBe('unplugged');
    expect((await failure(printer.status())).code).toBe('unplugged');
    expect(emulator.printed.length).toBeGreaterThan(0);
  });

  it('reports a refused write as a write error', async () => {
    const printer = createEscPosPrinter(
      fakeTransport(() => Promise.reject(new Error('EIO'))),
      { ...FAST, realtimeStatus: false },
    );
    const error = await failure(printer.print(JOB));
    expect(error).toMatchObject({ code: 'write_error', written: true });
    expect(error.message).toMatch(/EIO/);
  });

  it('gives up on a write that never completes (flow control held)', async () => {
    const printer = createEscPosPrinter(
      fakeTransport(() => new Promise<void>(() => undefined)),
      { ...FAST, realtimeStatus: false },
    );
    const error = await failure(printer.print(JOB));
    expect(error).toMatchObject({ code: 'timeout', written: true });
  });

  it('resolves only after the port has drained', async () => {
    const steps: string[] = [];
    let drained!: () => void;
    const printer = createEscPosPrinter(
      fakeTransport(
        async () => {
          steps.push('write');
        },
        () =>
          new Promise<void>((resolve) => {
            steps.push('drain');
            drained = () => {
              steps.push('drained');
              resolve();
            };
          }),
      ),
      { ...FAST, realtimeStatus: false },
    );
    const printed = printer.print(JOB).then(() => steps.push('printed'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toEqual(['write', 'drain']);
    drained();
    await printed;
    expect(steps).toEqual(['write', 'drain', 'drained', 'printed']);
  });

  it('runs jobs one at a time, in order', async () => {
    const { printer, emulator } = rig();
    const a = escpos(buildReceipt(RECEIPTS.approved!));
    const b = escpos(buildReceipt({ ...RECEIPTS.approved!, copy: 'merchant' }));
    await Promise.all([printer.print(a), printer.print(b), printer.status()]);
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    expect(emulator.printed).toEqual(both);
    expect(emulator.statusQueries).toEqual([1, 2, 4, 1, 2, 4, 1, 2, 4, 1, 2, 4, 1, 2, 4]);
  });

  it('refuses jobs after close', async () => {
    const { printer, device } = rig();
    const disconnects: PrinterError[] = [];
    printer.onDisconnect((error) => disconnects.push(error));
    await printer.close();
    expect((await failure(printer.print(JOB))).code).toBe('closed');
    expect(disconnects).toEqual([]);
    expect(device.isOpen).toBe(true); // the memory pair closes one end at a time
  });
});

describe('opening a serial printer', () => {
  afterEach(() => SerialPortMock.binding.reset());

  it('says no printer when the port cannot be opened', async () => {
    const error = await failure(
      openEscPosPrinter('/dev/ttyNOPRINTER', {
        createPort: (settings) => new SerialPortMock({ ...settings, autoOpen: false }),
      }),
    );
    expect(error).toMatchObject({ code: 'no_printer' });
    expect(error.message).toMatch(/cannot open \/dev\/ttyNOPRINTER/);
  });

  it('opens at 9600 8N1 unless told otherwise', async () => {
    SerialPortMock.binding.createPort('/dev/ttyPRINTER0');
    const seen: unknown[] = [];
    const printer = await openEscPosPrinter('/dev/ttyPRINTER0', {
      realtimeStatus: false,
      line: { baudRate: 38_400 },
      createPort: (settings) => {
        seen.push(settings);
        return new SerialPortMock({ ...settings, autoOpen: false });
      },
    });
    expect(seen).toEqual([{ path: '/dev/ttyPRINTER0', baudRate: 38_400, dataBits: 8, parity: 'none', stopBits: 1 }]);
    await expect(printer.print(JOB)).resolves.toEqual({ bytes: JOB.length, status: null });
    await printer.close();
  });
});

describe('printer emulator', () => {
  it('answers status queries split across chunks and keeps other DLE bytes as data', () => {
    const sent: number[] = [];
    const emulator = new EscPosPrinterEmulator({ send: (bytes) => sent.push(...bytes) });
    emulator.receive(Uint8Array.of(0x41, 0x10));
    emulator.receive(Uint8Array.of(0x04));
    emulator.receive(Uint8Array.of(0x01, 0x42, 0x10, 0x43, 0x10, 0x04, 0x09));
    expect(sent).toEqual([0x12]);
    expect(emulator.statusQueries).toEqual([1]);
    expect([...emulator.printed]).toEqual([0x41, 0x42, 0x10, 0x43, 0x10, 0x04, 0x09]);
    expect([...emulator.received]).toEqual([0x41, 0x10, 0x04, 0x01, 0x42, 0x10, 0x43, 0x10, 0x04, 0x09]);
  });

  it('answers as its condition says, and nothing when silent or unplugged', () => {
    const sent: number[] = [];
    const emulator = new EscPosPrinterEmulator({ send: (bytes) => sent.push(...bytes), condition: 'paper_out' });
    for (const n of [1, 2, 3, 4] as const) emulator.receive(realtimeStatus(n));
    expect(sent).toEqual([0x1a, 0x32, 0x12, 0x7e]);
    emulator.condition = 'silent';
    emulator.receive(realtimeStatus(1));
    emulator.unplug();
    emulator.condition = 'ok';
    emulator.receive(realtimeStatus(1));
    expect(sent).toHaveLength(4);
    expect(emulator.isUnplugged).toBe(true);
  });

  it('reads a receipt back as paper: rows, cut, drawer pulse', () => {
    const bytes = escpos(buildReceipt(RECEIPTS['test-mode']!), { drawerKick: true, width: 32 });
    const paper = parsePaper(bytes);
    expect(paper.initialisations).toBe(1);
    expect(paper.cuts).toBe(1);
    expect(paper.drawerKicks).toBe(1);
    expect(paper.lines[1]).toBe('*  TEST MODE — NO MONEY MOVED  *');
    expect(paper.lines).toContain('         Café des Arts');
    expect(paper.lines.at(-1)).toBe('');
  });
});
