/**
 * A URL's user name and password (`https://user:pass@host/…`): never shown or logged in clear. The
 * host masks them wherever it shows or logs a URL, and the sandbox in its log lines.
 */

/**
 * The scheme and the user part of every URL in a text: from `//` to the last `@` before the path,
 * query, fragment or a space (as the WHATWG parser takes the last `@`: `a@b:c@host` is the user `a@b`).
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/** What a masked user name and password are shown as: `https://…@hooks.example/pos`. */
export const MASKED_CREDENTIALS = '…';

/** The text with the user name and password of every URL in it masked (`https://…@host`). */
export function maskUrlCredentials(text: string): string {
  return text.replace(USERINFO, `$1${MASKED_CREDENTIALS}@`);
}

/** The scheme, and the user part of a URL's authority as written (`user:pass`). */
const AUTHORITY_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/** The URL without its user name and password (`https://host/…`). */
export function withoutUrlCredentials(url: string): string {
  return url.replace(AUTHORITY_USERINFO, '$1');
}

/** The URL's user name and password as written (`user:pass`), or null when it has none. */
export function urlCredentials(url: string): string | null {
  return AUTHORITY_USERINFO.exec(url)?.[2] ?? null;
}

/** The URL with `credentials` (`user:pass`, as urlCredentials gives them) in place of its own. */
export function withUrlCredentials(url: string, credentials: string): string {
  return withoutUrlCredentials(url).replace(/^[a-z][a-z0-9+.-]*:\/\//i, (scheme) => `${scheme}${credentials}@`);
}

/** Whether a URL names a user or a password. */
export function hasUrlCredentials(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return parsed.username !== '' || parsed.password !== '';
}
