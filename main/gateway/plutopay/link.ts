/**
 * The reader link's wire format, client side, in one module (see docs/gateways.md, "PlutoPay's
 * reader link"). Pointing the app at another service's equivalent means changing only this file.
 *
 * Every session is opened with a fresh single-use connection token, minted here and handed to the
 * open call only: it is never cached, logged or returned. The session's own secret stays in this
 * module too (sessions handed out are opaque handles).
 */
import { z } from 'zod';
import { GatewayError, LinkEnded } from '../errors';
import type { GatewayHttp } from '../http';
import type { DeviceResult, GatewayPayment, LinkPoll, LinkPurpose, LinkSession, ReaderLink } from '../port';
import { toAction, toPayment } from './map';
import { ActionResultSchema, ConnectionTokenSchema, LinkPollSchema, LinkSessionSchema } from './schemas';

const ClosedSchema = z.looseObject({ status: z.string() });

export class PlutoPayReaderLink implements ReaderLink {
  private readonly secrets = new WeakMap<LinkSession, string>();

  constructor(
    private readonly http: GatewayHttp,
    private readonly secretKey: string,
  ) {}

  /**
   * Mints a single-use connection token and redeems it: the reader goes online — unless the session
   * is only to report (`purpose: "report"`), which leaves it as it is.
   */
  async open(readerId: string, purpose: LinkPurpose = 'collect'): Promise<LinkSession> {
    const token = (
      await this.http.request(ConnectionTokenSchema, 'POST', '/v1/terminal/connection-token', {
        auth: this.secretKey,
        body: {},
      })
    ).secret;
    const opened = await this.http
      .request(LinkSessionSchema, 'POST', '/v1/terminal/link', {
        auth: token,
        body: { reader_id: readerId, ...(purpose === 'report' ? { purpose } : {}) },
      })
      .catch(linkEnded);
    const session: LinkSession = {
      id: opened.id,
      readerId: opened.reader_id,
      pollWaitMaxMs: opened.poll_wait_max_ms,
    };
    this.secrets.set(session, opened.secret);
    return session;
  }

  /**
   * Long-polls the reader's state. Resolves when the version differs from `version`, or after
   * waitMs with the unchanged state. The call's own timeout is a little longer than the wait: a
   * poll that outlives it means the link went stale without telling us.
   */
  async poll(
    session: LinkSession,
    version: number | undefined,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<LinkPoll> {
    const wait = Math.min(waitMs, session.pollWaitMaxMs);
    const answer = await this.http
      .request(LinkPollSchema, 'GET', '/v1/terminal/link/poll', {
        auth: this.secretOf(session),
        query: { version, wait_ms: wait },
        timeoutMs: wait + 5_000,
        ...(signal ? { signal } : {}),
      })
      .catch(linkEnded);
    return { version: answer.version, action: answer.action ? toAction(answer.action) : null };
  }

  async postResult(session: LinkSession, actionId: string, result: DeviceResult): Promise<GatewayPayment> {
    const body =
      result.outcome === 'approved'
        ? { outcome: 'approved', card: result.card, ...(result.authCode ? { auth_code: result.authCode } : {}) }
        : { outcome: result.outcome, failure_code: result.failureCode, failure_message: result.failureMessage };
    const answer = await this.http
      .request(ActionResultSchema, 'POST', `/v1/terminal/link/actions/${encodeURIComponent(actionId)}/result`, {
        auth: this.secretOf(session),
        body,
      })
      .catch(linkEnded);
    return toPayment(answer.transaction);
  }

  async close(session: LinkSession): Promise<void> {
    await this.http.request(ClosedSchema, 'DELETE', '/v1/terminal/link', {
      auth: this.secretOf(session),
      timeoutMs: 3_000,
    });
  }

  private secretOf(session: LinkSession): string {
    const secret = this.secrets.get(session);
    if (!secret) throw new Error('not a session of this link');
    return secret;
  }
}

/** PlutoPay's ways of saying a link session is over, in the port's terms. */
function linkEnded(error: unknown): never {
  if (error instanceof GatewayError && error.type === 'authentication_error') {
    if (error.code === 'link_superseded') throw new LinkEnded('superseded', error.message);
    if (error.code !== null && /^(link_closed|token_redeemed|token_expired)$/.test(error.code))
      throw new LinkEnded('closed', error.message);
  }
  throw error;
}
