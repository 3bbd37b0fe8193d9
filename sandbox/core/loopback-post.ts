/**
 * The one way the sandbox sends traffic: a POST to a URL on this machine (webhooks, notifications).
 * The host is checked again at send time, so a URL that slipped past validation still goes nowhere.
 * Requests in flight are tracked so that closing the sandbox can cut them.
 */
import http from 'node:http';
import https from 'node:https';
import { isLoopbackHost } from '../../common/loopback';

export interface PostResult {
  /** True for a 2xx answer. */
  ok: boolean;
  /** The HTTP status received, or null when none was (refused, timed out, invalid URL). */
  status: number | null;
  error: string | null;
}

export class LoopbackPoster {
  private readonly requests = new Set<http.ClientRequest>();

  constructor(private readonly timeoutMs: number) {}

  post(target: string, body: string, headers: Readonly<Record<string, string>>): Promise<PostResult> {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return Promise.resolve({ ok: false, status: null, error: 'invalid url' });
    }
    if (!isLoopbackHost(url.hostname))
      return Promise.resolve({ ok: false, status: null, error: 'url is not loopback' });
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<PostResult>((resolve) => {
      const request = transport.request(
        url,
        {
          method: 'POST',
          agent: false,
          timeout: this.timeoutMs,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers },
        },
        (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          response.on('end', () => finish({ ok, status, error: ok ? null : `HTTP ${status}` }));
          response.on('error', () => finish({ ok, status, error: ok ? null : `HTTP ${status}` }));
        },
      );
      const finish = (result: PostResult): void => {
        this.requests.delete(request);
        resolve(result);
      };
      this.requests.add(request);
      request.on('timeout', () => request.destroy(new Error(`no answer in ${this.timeoutMs / 1000} s`)));
      request.on('error', (error) => finish({ ok: false, status: null, error: error.message }));
      request.end(body);
    });
  }

  /** Cuts every request in flight (their promises resolve as failed). */
  abortAll(): void {
    for (const request of this.requests) request.destroy(new Error('sandbox closing'));
  }
}
