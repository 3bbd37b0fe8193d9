/**
 * Credentials and OAuth tokens. The client id, client secret, signature key and merchant id are
 * made once per database. A token lives TOKEN_LIFETIME_MS on the sandbox clock (so moving the clock
 * expires it) and is stored, so it stays valid across a restart.
 */
import { timingSafeEqual } from 'node:crypto';
import { type Context } from '../../core/context';
import { HOUR } from '../../core/time';
import { unauthorized } from '../errors';

export const TOKEN_LIFETIME_MS = 1 * HOUR;

export interface Credentials {
  readonly client_id: string;
  readonly client_secret: string;
  /** 32 random bytes as 64 lower-case hex digits: the HMAC key, hex-decoded, of every signature. */
  readonly signature_key: string;
  readonly merchant_id: string;
}

export interface IssuedToken {
  access_token: string;
  /** ISO 8601 UTC with milliseconds, e.g. 2026-02-16T17:18:00.000Z. */
  expires_at: string;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export class Auth {
  readonly credentials: Credentials;

  constructor(private readonly ctx: Context) {
    this.credentials = ctx.db.transaction(() => this.ensure()).immediate();
  }

  private ensure(): Credentials {
    const read = (key: string): string | undefined =>
      (this.ctx.sql.get('SELECT value FROM plural_meta WHERE key = ?').get(key) as { value: string } | undefined)
        ?.value;
    const write = (key: string, value: string): string => {
      this.ctx.sql.get('INSERT INTO plural_meta (key, value) VALUES (?, ?)').run(key, value);
      return value;
    };
    const { ids, clock } = this.ctx;
    return {
      client_id: read('client_id') ?? write('client_id', ids.uuid(clock.now())),
      client_secret: read('client_secret') ?? write('client_secret', ids.alnum(24).toLowerCase()),
      signature_key: read('signature_key') ?? write('signature_key', ids.hex(32)),
      merchant_id: read('merchant_id') ?? write('merchant_id', String(100000 + (parseInt(ids.hex(3), 16) % 900000))),
    };
  }

  /** POST /api/auth/v1/token with client_credentials. */
  issue(clientId: string, clientSecret: string): IssuedToken {
    if (!sameText(clientId, this.credentials.client_id) || !sameText(clientSecret, this.credentials.client_secret)) {
      throw unauthorized('Invalid client_id or client_secret.');
    }
    const now = this.ctx.clock.now();
    const token = this.ctx.ids.alnum(64);
    const expiresAt = now + TOKEN_LIFETIME_MS;
    // Tokens that expired a day ago can never be presented usefully again.
    this.ctx.sql.get('DELETE FROM plural_tokens WHERE expires_at < ?').run(now - 24 * HOUR);
    this.ctx.sql
      .get('INSERT INTO plural_tokens (token, expires_at, created_at) VALUES (?, ?, ?)')
      .run(token, expiresAt, now);
    return { access_token: token, expires_at: new Date(expiresAt).toISOString() };
  }

  /** Refuses a missing, unknown or expired bearer token with 401. */
  verify(bearer: string | undefined): void {
    if (bearer === undefined) {
      throw unauthorized('No access token: send "Authorization: Bearer <access_token>" from POST /api/auth/v1/token.');
    }
    const row = this.ctx.sql.get('SELECT expires_at FROM plural_tokens WHERE token = ?').get(bearer) as
      { expires_at: number } | undefined;
    if (!row) throw unauthorized('Invalid access token.');
    if (row.expires_at <= this.ctx.clock.now()) {
      throw unauthorized('The access token has expired; generate a new one with POST /api/auth/v1/token.');
    }
  }
}
