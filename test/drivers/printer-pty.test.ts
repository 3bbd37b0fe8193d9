/**
 * The printer path on real ptys: socat makes a null-modem pair, the printer emulator serves one
 * end through the real serialport binding, the driver prints on the other. The golden ESC/POS
 * bytes of a receipt must arrive unchanged; paper out, a silent printer and a pulled cable must
 * give their documented errors. Under CI=true a missing socat fails the suite (tools.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PtyPrinterEmulator, PtyPrinterEmulatorOptions } from '../../drivers/printers/emulator';
import { startPtyPrinterEmulator } from '../../drivers/printers/emulator';
import type { PrinterError, ReceiptPrinter } from '../../drivers/printers/printer';
import { openEscPosPrinter } from '../../drivers/printers/printer';
import { buildReceipt, escpos } from '../../main/receipts';
import { parseHexDump, readGolden } from '../counter/golden';
import { RECEIPTS } from '../counter/receipt-fixtures';
import { hasTool } from '../support/tools';

const FAST = { statusTimeoutMs: 500, writeTimeoutMs: 5_000 };

async function failure(promise: Promise<unknown>): Promise<PrinterError> {
  try {
    await promise;
  } catch (error) {
    return error as PrinterError;
  }
  throw new Error('expected a PrinterError');
}

describe.skipIf(!hasTool('socat'))('ESC/POS printer over a socat pty pair', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });

  async function emulator(options: PtyPrinterEmulatorOptions = {}): Promise<PtyPrinterEmulator> {
    const started = await startPtyPrinterEmulator(options);
    cleanup.push(() => started.stop());
    return started;
  }

  async function printer(path: string): Promise<ReceiptPrinter> {
    const opened = await openEscPosPrinter(path, FAST);
    cleanup.push(() => opened.close());
    return opened;
  }

  it('prints the golden receipts byte for byte', async () => {
    const emu = await emulator();
    const p = await printer(emu.path);
    for (const name of ['test-mode', 'terminal-ticket', 'partially-refunded']) {
      const golden = parseHexDump(readGolden(`receipts/${name}.escpos.hex`));
      // the golden file is what the renderer produces today
      expect(escpos(buildReceipt(RECEIPTS[name]!))).toEqual(golden);
      emu.emulator.clear();
      const result = await p.print(golden);
      expect(result.bytes).toBe(golden.length);
      expect(emu.emulator.printed).toEqual(golden);
      expect(emu.emulator.statusQueries).toEqual([1, 2, 4, 1, 2, 4]);
      expect(emu.emulator.paper().cuts).toBe(1);
    }
    expect(emu.emulator.paper().lines).toContain('NET                                 €29.50');
  });

  it('pulses the cash drawer when the job asks', async () => {
    const emu = await emulator();
    const p = await printer(emu.path);
    await p.print(escpos(buildReceipt(RECEIPTS.approved!), { drawerKick: true }));
    expect(emu.emulator.paper()).toMatchObject({ cuts: 1, drawerKicks: 1 });
  });

  it('refuses a job when the paper is out, and prints once it is back', async () => {
    const emu = await emulator({ condition: 'paper_out' });
    const p = await printer(emu.path);
    const job = escpos(buildReceipt(RECEIPTS.approved!));
    expect(await failure(p.print(job))).toMatchObject({ code: 'paper_out', written: false });
    expect(emu.emulator.printed).toHaveLength(0);
    emu.emulator.condition = 'ok';
    await p.print(job);
    expect(emu.emulator.printed).toEqual(job);
  });

  it('says no printer when nothing answers status', async () => {
    const emu = await emulator({ condition: 'silent' });
    const p = await printer(emu.path);
    const error = await failure(p.print(escpos(buildReceipt(RECEIPTS.approved!))));
    expect(error).toMatchObject({ code: 'no_printer', written: false });
    expect(emu.emulator.printed).toHaveLength(0);
  });

  it('says no printer when the port does not exist', async () => {
    const emu = await emulator();
    await emu.stop();
    expect(await failure(openEscPosPrinter(emu.path, FAST))).toMatchObject({ code: 'no_printer' });
  });

  it('reports a printer unplugged before the job, once', async () => {
    const emu = await emulator();
    const p = await printer(emu.path);
    const disconnects: PrinterError[] = [];
    p.onDisconnect((error) => disconnects.push(error));
    await emu.unplug();
    expect(await failure(p.print(escpos(buildReceipt(RECEIPTS.approved!))))).toMatchObject({ code: 'unplugged' });
    expect(await failure(p.status())).toMatchObject({ code: 'unplugged' });
    expect(disconnects.map((error) => error.code)).toEqual(['unplugged']);
    expect(p.isOpen).toBe(false);
  });

  it('reports a printer unplugged mid-receipt as possibly printed', async () => {
    const emu = await emulator({ unplugAfterBytes: 64 });
    const p = await printer(emu.path);
    // Large enough that the cable is pulled long before the job is through.
    const job = new Uint8Array(256 * 1024).fill(0x2d);
    const error = await failure(p.print(job));
    expect(error).toMatchObject({ code: 'unplugged', written: true });
    expect(emu.emulator.isUnplugged).toBe(true);
    expect(emu.emulator.printed.length).toBeLessThan(job.length);
  });
});
