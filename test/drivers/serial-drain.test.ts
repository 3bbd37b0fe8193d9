import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortLike } from '../../drivers/serial/transport';
import { openSerialTransport } from '../../drivers/serial/transport';

afterEach(() => SerialPortMock.binding.reset());

describe('serial transport drain', () => {
  it('waits for the port to drain after the writes, and refuses once closed', async () => {
    SerialPortMock.binding.createPort('/dev/ttyDRAIN0', { record: true });
    let drains = 0;
    const transport = await openSerialTransport('/dev/ttyDRAIN0', {
      createPort: (settings) => {
        const port = new SerialPortMock({ ...settings, autoOpen: false });
        const drain = port.drain.bind(port);
        port.drain = (callback?: (error: Error | null) => void) => {
          drains++;
          drain(callback);
        };
        return port;
      },
    });
    await transport.write(Uint8Array.of(1, 2, 3));
    await transport.drain!();
    expect(drains).toBe(1);
    await transport.close();
    await expect(transport.drain!()).rejects.toThrow(/closed/);
  });

  it('resolves at once on a port without drain', async () => {
    SerialPortMock.binding.createPort('/dev/ttyDRAIN1');
    const transport = await openSerialTransport('/dev/ttyDRAIN1', {
      createPort: (settings) => {
        // A port-like object without drain (an older binding, a test fake).
        const port = new SerialPortMock({ ...settings, autoOpen: false });
        return new Proxy(port, {
          get: (target, key) => (key === 'drain' ? undefined : Reflect.get(target, key, target)),
        }) as PortLike;
      },
    });
    await expect(transport.drain!()).resolves.toBeUndefined();
    await transport.close();
  });
});
