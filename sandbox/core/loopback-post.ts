/**
 * The one way the sandbox sends traffic: a POST to a URL on this machine (webhooks, notifications).
 * The host is checked again at send time, so a URL that slipped past validation still goes nowhere.
 * Nothing is sent before the group commit covering what the sandbox wrote so far (the change a
 * POST reports) has run; when that commit fails, nothing is sent at all.
 * Requests in flight are tracked so that closing the sandbox can cut them.
 */
import http from 'node:http';
import https from 'node:https';
import { isLoopbackHost } from '../../common/loopback';
import type { GroupCommit } from './group-commit';

export interface PostResult {
  /** True for a 2xx answer. */
  ok: boolean;
  /** The HTTP status received, or null when none was (refused, timed out, invalid URL). */
  status: number | null;
  error: string | null;
  /** Not sent, because the change it reports was rolled back (its commit failed). */
  uncommitted?: true;
}

export class LoopbackPoster {
  private readonly requests = new Set<http.ClientRequest>();
  private closed = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly commits: GroupCommit,
  ) {}

  post(target: string, body: string, headers: Readonly<Record<string, string>>): Promise<PostResult> {
    if (!this.commits.pending) return this.postNow(target, body, headers);
    return this.commits
      .committed()
      .then((committed) =>
        committed
          ? this.postNow(target, body, headers)
          : { ok: false, status: null, error: 'not sent: the change was not committed', uncommitted: true },
      );
  }

  private postNow(target: string, body: string, headers: Readonly<Record<string, string>>): Promise<PostResult> {
    // A post that waited for the last commit of a closing sandbox is not sent.
    if (this.closed) return Promise.resolve({ ok: false, status: null, error: 'sandbox closing' });
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

  /** Cuts every request in flight (their promises resolve as failed) and sends no more. */
  abortAll(): void {
    this.closed = true;
    for (const request of this.requests) request.destroy(new Error('sandbox closing'));
  }
}
