/**
 * A TCP relay between the host and the sandbox, so the soak can take the gateway away without
 * stopping it: while down, every connection (open or new) is cut at once, as when a shop's
 * network drops. Loopback only, port 0.
 */
import net from 'node:net';

export interface GatewayProxy {
  /** http://127.0.0.1:PORT, to give the host instead of the sandbox's own URL. */
  readonly url: string;
  readonly isDown: boolean;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startGatewayProxy(target: string): Promise<GatewayProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let isDown = false;
  const server = net.createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get isDown() {
      return isDown;
    },
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
