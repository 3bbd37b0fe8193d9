/**
 * Plural's OAuth access token (`POST /api/auth/v1/token`, client_credentials), kept here and
 * nowhere else: it lives in a private field of this class, which nothing outside this folder
 * imports; it is never logged (GatewayHttp logs method, path, status and timing only) and never
 * part of an error message (the token answer's schema quotes no values).
 *
 * - One token is cached and used until a margin before it expires (60 s, or half its lifetime when
 *   that is shorter), then a new one is fetched before the next call.
 * - Either expiry spelling is taken: `expires_in` (seconds from now, the reference's sample) or
 *   `expires_at` (a timestamp, its field table and the emulator); with both, the sooner.
 * - Callers that need a token while one is being fetched share that one request.
 * - A 401 from the API (the token expired early, or was revoked) drops the token that was refused
 *   — only that one, not a newer one another caller already got — so the next `get()` fetches anew.
 *   The client retries the refused request once (client.ts).
 * - Time comes from an injectable clock, so tests move it. The token's life is counted on the
 *   monotonic clock from the moment it was asked for: the wall clock only converts an `expires_at`
 *   into a lifetime, once. A wall clock set back an hour (an NTP correction, the cashier changing
 *   the time) once kept an expired token in use for that hour, every call refused with a 401 and
 *   sent twice; one set forward made a fresh token look expired.
 */
import type { Clock } from '../../../common/clock';
import { utcMillis, type WireToken } from './schemas';

/** Refresh this long before the token expires (or at half its lifetime, when that is sooner). */
export const REFRESH_MARGIN_MS = 60_000;

export interface TokenFetch {
  (options: { timeoutMs?: number }): Promise<WireToken>;
}

/**
 * How long after it was asked for a token stops being used (its lifetime less the margin).
 * `requestedAtWall`: the wall clock then, to turn an `expires_at` into a lifetime.
 */
export function usableFor(token: WireToken, requestedAtWall: number): number {
  // expires_in counts from when the token was issued: after the request left, so counting from
  // the request errs on the early side. An answer with both spellings is taken at the sooner.
  const lifetimes = [
    ...(token.expires_at !== undefined ? [utcMillis(token.expires_at) - requestedAtWall] : []),
    ...(token.expires_in !== undefined ? [token.expires_in * 1000] : []),
  ];
  const lifetime = lifetimes.length > 0 ? Math.min(...lifetimes) : 0;
  return lifetime - Math.min(REFRESH_MARGIN_MS, Math.max(0, lifetime / 2));
}

export class TokenSource {
  /** `refreshAt` is on the monotonic clock. */
  #current: { value: string; refreshAt: number } | null = null;
  #inflight: Promise<string> | null = null;

  constructor(
    private readonly fetchToken: TokenFetch,
    private readonly clock: Pick<Clock, 'now' | 'monotonic'>,
  ) {}

  /** A usable token: the cached one while it is fresh, else a new one. */
  get(): Promise<string> {
    const current = this.#current;
    if (current && this.clock.monotonic() < current.refreshAt) return Promise.resolve(current.value);
    return this.refresh();
  }

  /**
   * Fetches a new token (shared with every caller asking meanwhile). A token that is already due
   * when it arrives (the till's clock far from Plural's) is still handed to the callers waiting
   * for it; the next `get()` fetches again.
   */
  refresh(options: { timeoutMs?: number } = {}): Promise<string> {
    if (!this.#inflight) {
      const requestedAt = this.clock.monotonic();
      const requestedAtWall = this.clock.now();
      this.#inflight = this.fetchToken(options)
        .then((token) => {
          this.#current = { value: token.access_token, refreshAt: requestedAt + usableFor(token, requestedAtWall) };
          return token.access_token;
        })
        .finally(() => {
          this.#inflight = null;
        });
    }
    return this.#inflight;
  }

  /** The API refused `used` (401): forget it, unless a newer token has replaced it already. */
  invalidate(used: string): void {
    if (this.#current?.value === used) this.#current = null;
  }
}
