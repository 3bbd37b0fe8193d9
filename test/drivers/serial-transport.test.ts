import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { ConcertTerminalEmulator } from '../../drivers/protocols/concert/emulator';
import { createConcertDriver } from '../../drivers/protocols/concert/driver';
import type { PortFactory, PortSettings } from '../../drivers/serial/transport';
import { CONCERT_LINE, LOCKED_PORT_RETRIES, openSerialTransport } from '../../drivers/serial/transport';
import { waitFor } from '../support/host';

/** serialport's mock binding keeps a global port table: reset it between tests. */
afterEach(() => SerialPortMock.binding.reset());

function mockFactory(seen: PortSettings[] = []): PortFactory {
  return (settings) => {
    seen.push(settings);
    return new SerialPortMock({ ...settings, autoOpen: false });
  };
}

describe('serial transport over serialport (mock binding)', () => {
  it('opens with 9600 7E1 by default, or the configured line', async () => {
    SerialPortMock.binding.createPort('/dev/ttyMOCK0');
    const seen: PortSettings[] = [];
    const a = await openSerialTransport('/dev/ttyMOCK0', { createPort: mockFactory(seen) });
    await a.close();
    const b = await openSerialTransport('/dev/ttyMOCK0', {
      createPort: mockFactory(seen),
      line: { baudRate: 19_200, dataBits: 8, parity: 'none' },
    });
    await b.close();
    expect(seen).toEqual([
      { path: '/dev/ttyMOCK0', ...CONCERT_LINE },
      { path: '/dev/ttyMOCK0', baudRate: 19_200, dataBits: 8, parity: 'none', stopBits: 1 },
    ]);
  });

  it('passes bytes both ways and reports the close once', async () => {
    SerialPortMock.binding.createPort('/dev/ttyMOCK1', { record: true });
    let port: SerialPortMock | undefined;
    const transport = await openSerialTransport('/dev/ttyMOCK1', {
      createPort: (settings) => (port = new SerialPortMock({ ...settings, autoOpen: false })),
    });
    const received: number[] = [];
    const closes: Array<Error | undefined> = [];
    transport.onData((chunk) => received.push(...chunk));
    transport.onClose((error) => closes.push(error));
    await transport.write(Uint8Array.of(0x05));
    port!.port!.emitData(Buffer.from([0x06]));
    await waitFor(() => received.length > 0, 10_000, 'the byte');
    expect(received).toEqual([0x06]);
    expect([...port!.port!.recording]).toEqual([0x05]);
    await transport.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closes).toEqual([undefined]);
    expect(transport.isOpen).toBe(false);
    await expect(transport.write(Uint8Array.of(0x04))).rejects.toThrow(/closed/);
  });

  it('tries a port whose lock is still held again, briefly, then opens it', async () => {
    SerialPortMock.binding.createPort('/dev/ttyMOCK2');
    let refusals = 2;
    const transport = await openSerialTransport('/dev/ttyMOCK2', {
      createPort: (settings) => {
        const port = new SerialPortMock({ ...settings, autoOpen: false });
        if (refusals-- > 0)
          return Object.assign(port, {
            open: (callback: (error: Error | null) => void) =>
              callback(new Error('Error Resource temporarily unavailable Cannot lock port')),
          });
        return port;
      },
    });
    expect(transport.isOpen).toBe(true);
    await transport.close();
  });

  it('refuses a port locked for good after a few tries, naming the lock', async () => {
    let tries = 0;
    const open = openSerialTransport('/dev/ttyMOCK3', {
      createPort: (settings) => {
        tries++;
        return Object.assign(new SerialPortMock({ ...settings, autoOpen: false }), {
          open: (callback: (error: Error | null) => void) =>
            callback(new Error('Error Resource temporarily unavailable Cannot lock port')),
        });
      },
    });
    await expect(open).rejects.toThrow(/cannot open \/dev\/ttyMOCK3: .*Cannot lock port/);
    expect(tries).toBe(LOCKED_PORT_RETRIES.attempts);
  });

  it('rejects with the path when the port cannot be opened', async () => {
    await expect(openSerialTransport('/dev/ttyMISSING', { createPort: mockFactory() })).rejects.toThrow(
      /cannot open \/dev\/ttyMISSING/,
    );
  });

  it('runs a Concert payment against an emulator wired to the mock port', async () => {
    SerialPortMock.binding.createPort('/dev/ttyMOCK2');
    // The mock binding has no write hook: wrap the port's write so the emulator hears the ECR.
    const createPort: PortFactory = (settings) => {
      const port = new SerialPortMock({ ...settings, autoOpen: false });
      const emulator = new ConcertTerminalEmulator({ send: (bytes) => port.port?.emitData(Buffer.from(bytes)) });
      const write = port.write.bind(port);
      port.write = ((data: Buffer, callback?: (error: Error | null | undefined) => void) => {
        const result = write(data, callback);
        setImmediate(() => emulator.receive(new Uint8Array(data)));
        return result;
      }) as typeof port.write;
      return port;
    };
    const driver = createConcertDriver({ openTransport: (path) => openSerialTransport(path, { createPort }) });
    const reader = await driver.open({ id: 'serial:/dev/ttyMOCK2', foundBy: 'serial', path: '/dev/ttyMOCK2' });
    expect(await reader.collect({ amount: 4200, currency: 'GBP', reference: 'mock' })).toMatchObject({
      kind: 'approved',
    });
    await reader.close();
  });
});
