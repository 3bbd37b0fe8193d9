/**
 * The reader link: how a reader hosted by the app exchanges actions with the sandbox (see
 * docs/sandbox-api.md). A single-use connection token opens a link session; the host long-polls the
 * reader's state by version and posts the device's outcome back. A link with no poll in flight for
 * stale_after_ms is closed and its reader goes offline. Sessions live in memory: after a restart the
 * host opens a new link with a new token. A link opened for `purpose: "report"` only posts the results
 * of a device that is away: its reader stays as it was (offline, so nothing is pushed to it), it
 * supersedes no link and it cannot poll.
 */
import type { TimerHandle } from '../../../common/clock';
import { conflict, notFound, unauthorized } from '../../http/errors';
import type { ActionResult } from './action-machine';
import { inTransaction, type Context } from '../../core/context';
import { groupCommit } from '../../core/group-commit';
import type { TerminalPayments } from './terminal-payments';
import { actionJson, type ActionRow, type TerminalRow, type Terminals } from './terminals';
import { iso, MINUTE } from '../../core/time';
import type { TransactionRow } from './transactions';

export const POLL_WAIT_MAX_MS = 30_000;
export const POLL_WAIT_DEFAULT_MS = 25_000;
export const STALE_AFTER_MS = 60_000;
export const TOKEN_TTL_MS = 10 * MINUTE;
/** Finished sessions are remembered (to answer link_closed / link_superseded) up to this many. */
const REMEMBERED_SESSIONS = 1000;

interface TokenRecord {
  expiresAt: number;
  redeemed: boolean;
}

/** Single-use connection tokens with an expiry. */
export class ConnectionTokens {
  private readonly tokens = new Map<string, TokenRecord>();

  constructor(private readonly ctx: Context) {}

  mint(): { object: 'terminal.connection_token'; secret: string; expires_at: string } {
    const now = this.ctx.clock.now();
    for (const [secret, record] of this.tokens) {
      if (record.expiresAt + 60 * MINUTE < now) this.tokens.delete(secret);
    }
    const secret = `pst_${this.ctx.mode}_${this.ctx.ids.alnum(32)}`;
    const expiresAt = now + TOKEN_TTL_MS;
    this.tokens.set(secret, { expiresAt, redeemed: false });
    return { object: 'terminal.connection_token', secret, expires_at: iso(expiresAt) };
  }

  /** Throws 401 unless the token can still be redeemed. */
  check(secret: string | undefined): TokenRecord {
    const record = secret === undefined ? undefined : this.tokens.get(secret);
    if (!record)
      throw unauthorized(
        'Unknown connection token. Mint one with POST /v1/terminal/connection-token.',
        'token_invalid',
      );
    if (record.redeemed)
      throw unauthorized(
        'This connection token has already been redeemed; connection tokens are single-use.',
        'token_redeemed',
      );
    if (this.ctx.clock.now() >= record.expiresAt)
      throw unauthorized('This connection token has expired.', 'token_expired');
    return record;
  }
}

interface Waiter {
  readonly version: number;
  settle(reason: 'changed' | 'timeout' | 'ended'): void;
}

interface LinkSession {
  readonly id: string;
  readonly secret: string;
  readonly terminalId: string;
  readonly readerId: string;
  readonly openedAt: number;
  /** 'report': posts results only; the reader's status and its collecting link are left alone. */
  readonly purpose: LinkPurpose;
  status: 'open' | 'closed' | 'superseded';
  readonly waiters: Set<Waiter>;
  inFlight: number;
  staleTimer: TimerHandle | undefined;
}

export type LinkPurpose = 'collect' | 'report';

export interface PollState {
  version: number;
  reader: Record<string, unknown>;
  action: Record<string, unknown> | null;
}

export class ReaderLinks {
  private readonly bySecret = new Map<string, LinkSession>();
  private readonly openByTerminal = new Map<string, LinkSession>();
  /** Open report links (purpose "report"): beside a reader's collecting link, never instead of it. */
  private readonly reporting = new Set<LinkSession>();
  private stopped = false;

  constructor(
    private readonly ctx: Context,
    readonly tokens: ConnectionTokens,
    private readonly terminals: Terminals,
    private readonly payments: TerminalPayments,
  ) {
    terminals.onVersionChange((terminalId) => this.wake(terminalId));
    terminals.onDelete((terminal) => {
      const session = this.openByTerminal.get(terminal.id);
      if (session) this.end(session, 'closed');
    });
  }

  private linkJson(session: LinkSession): Record<string, unknown> {
    return {
      id: session.id,
      secret: session.secret,
      reader_id: session.readerId,
      status: session.status,
      purpose: session.purpose,
      poll_wait_max_ms: POLL_WAIT_MAX_MS,
      stale_after_ms: STALE_AFTER_MS,
      opened_at: iso(session.openedAt),
    };
  }

  /**
   * Redeems a token for a link. What is kept in memory (the token redeemed, the link, the one it
   * supersedes) changes with the commit of what is written: when that commit fails the request is
   * answered 500 "send it again", and the same token opens the link then.
   */
  open(tokenSecret: string | undefined, readerRef: string, purpose: LinkPurpose = 'collect'): Record<string, unknown> {
    const token = this.tokens.check(tokenSecret);
    const session = inTransaction(this.ctx, () => {
      const reader = this.terminals.reader(readerRef, 'reader_id');
      if (reader.device_type !== 'hosted') {
        throw conflict(
          'terminal_error',
          `Reader ${reader.processor_id} is simulated by the sandbox; only a hosted reader opens a link.`,
          'reader_not_hosted',
          'reader_id',
        );
      }
      const session: LinkSession = {
        id: `lnk_${this.ctx.ids.alnum(20)}`,
        secret: `lks_${this.ctx.ids.alnum(40)}`,
        terminalId: reader.id,
        readerId: reader.processor_id,
        openedAt: this.ctx.clock.now(),
        purpose,
        status: 'open',
        waiters: new Set(),
        inFlight: 0,
        staleTimer: undefined,
      };
      // A report link has no device behind it: the reader is not seen, and nothing may be pushed to it.
      if (purpose === 'collect') {
        this.terminals.setConnected(reader, true);
        this.terminals.touch(reader);
      }
      return session;
    });
    // Single use from now (a second redemption in this turn is refused), given back if not committed.
    token.redeemed = true;
    groupCommit(this.ctx.db).afterCommit((committed) => {
      if (committed) this.install(session);
      else token.redeemed = false;
    });
    return this.linkJson(session);
  }

  /** A link opened and committed: it supersedes the reader's previous one. */
  private install(session: LinkSession): void {
    this.remember(session);
    if (!this.terminals.find(session.terminalId)) {
      // Its reader was deleted in the same turn.
      session.status = 'closed';
      return;
    }
    if (session.purpose === 'report') {
      this.reporting.add(session);
      this.armStale(session);
      return;
    }
    const previous = this.openByTerminal.get(session.terminalId);
    if (previous) this.end(previous, 'superseded');
    this.openByTerminal.set(session.terminalId, session);
    this.armStale(session);
  }

  private remember(session: LinkSession): void {
    this.bySecret.set(session.secret, session);
    if (this.bySecret.size > REMEMBERED_SESSIONS) {
      for (const [secret, old] of this.bySecret) {
        if (this.bySecret.size <= REMEMBERED_SESSIONS) break;
        if (old.status !== 'open') this.bySecret.delete(secret);
      }
    }
  }

  /** The open session a link secret names, or 401 saying why not. */
  private session(secret: string | undefined): LinkSession {
    const session = secret === undefined ? undefined : this.bySecret.get(secret);
    if (!session) throw unauthorized('Unknown link secret. Open a link with a connection token.', 'link_invalid');
    if (session.status === 'superseded')
      throw unauthorized('This link was superseded by a newer link for the same reader.', 'link_superseded');
    if (session.status === 'closed')
      throw unauthorized('This link is closed. Open a new one with a new connection token.', 'link_closed');
    return session;
  }

  private reader(session: LinkSession): TerminalRow {
    const row = this.terminals.find(session.terminalId);
    if (!row) throw unauthorized('This link is closed: its reader was deleted.', 'link_closed');
    return row;
  }

  private state(session: LinkSession): PollState {
    const reader = this.reader(session);
    const action = this.terminals.action(reader);
    return {
      version: reader.version,
      reader: this.terminals.readerJson(reader),
      action: action ? actionJson(action) : null,
    };
  }

  /** Checks a link secret up front (so a bad secret is 401 before any parameter is looked at). */
  authenticate(secret: string | undefined): void {
    this.session(secret);
  }

  async poll(
    secret: string | undefined,
    version: number | undefined,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<PollState> {
    const session = this.session(secret);
    if (session.purpose === 'report')
      throw conflict(
        'terminal_error',
        'This link only reports results; open a link without purpose "report" to take actions.',
        'link_report_only',
      );
    const reader = this.reader(session);
    this.terminals.touch(reader);
    if (version === undefined || version !== reader.version || waitMs === 0 || this.stopped) return this.state(session);

    this.disarmStale(session);
    session.inFlight += 1;
    try {
      const reason = await new Promise<'changed' | 'timeout' | 'ended'>((resolve) => {
        const waiter: Waiter = {
          version,
          settle: (why) => {
            session.waiters.delete(waiter);
            this.ctx.clock.clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve(why);
          },
        };
        const onAbort = (): void => waiter.settle('ended');
        const timer = this.ctx.clock.setTimeout(() => waiter.settle('timeout'), waitMs);
        session.waiters.add(waiter);
        signal.addEventListener('abort', onAbort);
      });
      if (reason === 'ended' && !this.stopped) this.session(secret);
      return this.state(session);
    } finally {
      session.inFlight -= 1;
      if (session.status === 'open' && session.inFlight === 0) this.armStale(session);
    }
  }

  result(
    secret: string | undefined,
    actionId: string,
    result: ActionResult,
  ): { action: ActionRow; transaction: TransactionRow } {
    const session = this.session(secret);
    return inTransaction(this.ctx, () => {
      const action = this.ctx.sql.get('SELECT * FROM reader_actions WHERE id = ?').get(actionId) as
        ActionRow | undefined;
      if (!action || action.terminal_id !== session.terminalId)
        throw notFound(`No such action on this reader: ${actionId}`);
      const reader = this.terminals.find(session.terminalId);
      if (reader && session.purpose === 'collect') this.terminals.touch(reader);
      return this.payments.finish(action, result);
    });
  }

  close(secret: string | undefined): Record<string, unknown> {
    const session = this.session(secret);
    this.closeSession(session);
    return { id: session.id, status: 'closed' };
  }

  /** Its reader goes offline; the link closes once that is committed (it stays open if not). */
  private closeSession(session: LinkSession): void {
    if (session.purpose === 'report') {
      this.end(session, 'closed');
      return;
    }
    inTransaction(this.ctx, () => {
      const reader = this.terminals.find(session.terminalId);
      if (reader) this.terminals.setConnected(reader, false);
    });
    groupCommit(this.ctx.db).afterCommit((committed) => {
      if (session.status !== 'open') return;
      if (committed) this.end(session, 'closed');
      // Still open: it may go stale again (its timer fired, or it was told to close).
      else if (session.inFlight === 0 && session.staleTimer === undefined) this.armStale(session);
    });
  }

  private end(session: LinkSession, status: 'closed' | 'superseded'): void {
    session.status = status;
    this.disarmStale(session);
    if (this.openByTerminal.get(session.terminalId) === session) this.openByTerminal.delete(session.terminalId);
    this.reporting.delete(session);
    for (const waiter of [...session.waiters]) waiter.settle('ended');
  }

  private wake(terminalId: string): void {
    const session = this.openByTerminal.get(terminalId);
    if (!session || session.waiters.size === 0) return;
    const reader = this.terminals.find(terminalId);
    for (const waiter of [...session.waiters]) {
      if (!reader || reader.version !== waiter.version) waiter.settle('changed');
    }
  }

  private armStale(session: LinkSession): void {
    this.disarmStale(session);
    if (this.stopped) return;
    session.staleTimer = this.ctx.clock.setTimeout(() => {
      session.staleTimer = undefined;
      if (session.status !== 'open' || session.inFlight > 0) return;
      this.ctx.log(`reader link ${session.id} went stale: reader ${session.readerId} offline`);
      this.closeSession(session);
    }, STALE_AFTER_MS);
  }

  private disarmStale(session: LinkSession): void {
    if (session.staleTimer) {
      this.ctx.clock.clearTimeout(session.staleTimer);
      session.staleTimer = undefined;
    }
  }

  /** Server shutdown: answer every held poll now and stop all timers. */
  shutdown(): void {
    this.stopped = true;
    for (const session of [...this.openByTerminal.values(), ...this.reporting]) {
      this.disarmStale(session);
      for (const waiter of [...session.waiters]) waiter.settle('ended');
    }
  }
}
