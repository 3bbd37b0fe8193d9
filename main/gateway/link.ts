/**
 * The reader link's wire format, client side, in one module (see docs/sandbox-api.md, "The reader
 * link"). Pointing the app at another service's equivalent means changing only this file.
 */
import { z } from 'zod';
import type { GatewayHttp } from './http';
import { ActionResultSchema, LinkPollSchema, LinkSessionSchema, type LinkPoll } from './schemas';

export interface LinkSession {
  readonly id: string;
  /** Authenticates this session's calls; held in memory only. */
  readonly secret: string;
  readonly readerId: string;
  readonly pollWaitMaxMs: number;
  readonly staleAfterMs: number;
}

export type DeviceResult =
  | { outcome: 'approved'; card: { brand: string; last4: string } | null; authCode?: string }
  | { outcome: 'declined'; failureCode: string; failureMessage: string }
  | { outcome: 'failed'; failureCode: string; failureMessage: string };

const ClosedSchema = z.looseObject({ status: z.string() });

export class ReaderLinkClient {
  constructor(private readonly http: GatewayHttp) {}

  /** Redeems a connection token; the reader goes online. */
  async open(connectionToken: string, readerId: string): Promise<LinkSession> {
    const session = await this.http.request(LinkSessionSchema, 'POST', '/v1/terminal/link', {
      auth: connectionToken,
      body: { reader_id: readerId },
    });
    return {
      id: session.id,
      secret: session.secret,
      readerId: session.reader_id,
      pollWaitMaxMs: session.poll_wait_max_ms,
      staleAfterMs: session.stale_after_ms,
    };
  }

  /**
   * Long-polls the reader's state. Resolves when the version differs from `version`, or after
   * waitMs with the unchanged state. The call's own timeout is a little longer than the wait: a
   * poll that outlives it means the link went stale without telling us.
   */
  poll(session: LinkSession, version: number | undefined, waitMs: number, signal?: AbortSignal): Promise<LinkPoll> {
    const wait = Math.min(waitMs, session.pollWaitMaxMs);
    return this.http.request(LinkPollSchema, 'GET', '/v1/terminal/link/poll', {
      auth: session.secret,
      query: { version, wait_ms: wait },
      timeoutMs: wait + 5_000,
      ...(signal ? { signal } : {}),
    });
  }

  postResult(session: LinkSession, actionId: string, result: DeviceResult) {
    const body =
      result.outcome === 'approved'
        ? { outcome: 'approved', card: result.card, ...(result.authCode ? { auth_code: result.authCode } : {}) }
        : { outcome: result.outcome, failure_code: result.failureCode, failure_message: result.failureMessage };
    return this.http.request(
      ActionResultSchema,
      'POST',
      `/v1/terminal/link/actions/${encodeURIComponent(actionId)}/result`,
      {
        auth: session.secret,
        body,
      },
    );
  }

  async close(session: LinkSession): Promise<void> {
    await this.http.request(ClosedSchema, 'DELETE', '/v1/terminal/link', { auth: session.secret, timeoutMs: 3_000 });
  }
}
