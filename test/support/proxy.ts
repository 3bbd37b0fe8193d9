/**
 * A real HTTP proxy between the host and a sandbox, for tests of a gateway that answers late or
 * wrongly: everything is forwarded to `target`; `rewrite` may replace an answer's body, `delayMs`
 * holds a request before it is forwarded (for some ms, or until a promise settles: a slow gateway
 * the test lets go without racing real time), `answer` answers one itself without forwarding it (a
 * gateway that throttles), `dropAnswer` forwards one and cuts the connection instead of answering
 * (the gateway acted, the till never heard). Loopback, port 0.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The answer's body to send instead (null: the gateway's own); bytes for one that is not UTF-8. */
export type Rewrite = (method: string, path: string, body: string) => string | Uint8Array | null;
/** How long to hold a request before forwarding it (0: not at all), or until the promise settles. */
export type Delay = (method: string, path: string) => number | Promise<void>;
/**
 * Whether to forward the request and then cut the connection instead of answering (its answer lost);
 * `url` is the path with its query.
 */
export type Drop = (method: string, path: string, url: string) => boolean;
/** An answer to give instead of forwarding the request at all (null: forward it). */
export type Answer = (
  method: string,
  path: string,
) => { status: number; body: string; headers?: Record<string, string> } | null;

export interface RewritingProxy {
  readonly url: string;
  rewrite: Rewrite;
  delayMs: Delay;
  answer: Answer;
  dropAnswer: Drop;
  close(): Promise<void>;
}

export async function startRewritingProxy(target: string): Promise<RewritingProxy> {
  const proxy: RewritingProxy = {
    url: '',
    rewrite: () => null,
    delayMs: () => 0,
    answer: () => null,
    dropAnswer: () => false,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The host's client keeps its connections alive; close() alone would wait them out.
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const method = req.method ?? 'GET';
        const path = (req.url ?? '').split('?')[0]!;
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host',
          ),
        );
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const own = proxy.answer(method, path);
        if (own) {
          res.writeHead(own.status, { 'content-type': 'application/json', ...own.headers });
          res.end(own.body);
          return;
        }
        try {
          const wait = proxy.delayMs(method, path);
          if (typeof wait !== 'number') await wait;
          else if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const answer = await fetch(target + req.url, { method, headers, body });
          const text = await answer.text();
          if (proxy.dropAnswer(method, path, req.url ?? '')) {
            res.destroy();
            return;
          }
          const replaced = proxy.rewrite(method, path, text);
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          res.end(replaced ?? text);
        } catch {
          res.destroy();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
