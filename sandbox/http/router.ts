/** A small method + path router: static segments and `{name}` parameters. */
import type { IncomingHttpHeaders } from 'node:http';

export type AuthKind =
  /** No credentials (health, the hosted checkout page). */
  | 'none'
  /** The secret key only. */
  | 'secret'
  /** The secret or the publishable key. */
  | 'publishable'
  /** The handler checks the bearer itself (connection tokens, link secrets). */
  | 'bearer';

export type BodyKind = 'json' | 'form' | 'none';

/**
 * What a route does with a query string. Without one, the route takes no query parameter and the
 * server refuses any before the handler runs, as a list refuses one it does not know
 * (`Unknown query parameter: x`, 400 `parameter_unknown`, in the emulator's own format).
 * - `checked`: the handler reads its parameters with `Params.query`, which refuses any other (lists,
 *   the reader link's poll).
 * - `page`: a page a browser opens; parameters it does not read are ignored, as a web page ignores them.
 */
export type QueryKind = 'checked' | 'page';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON object (json routes), the form fields (form routes), or {}. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly bearer: string | undefined;
  /** The request headers, names in lower case (for APIs that define their own, e.g. Plural's Request-ID). */
  readonly headers: Readonly<IncomingHttpHeaders>;
  /** Aborted when the client goes away before the answer is sent (long polls stop waiting). */
  readonly signal: AbortSignal;
}

export interface Reply {
  status: number;
  json?: unknown;
  html?: string;
  headers?: Record<string, string>;
}

export type Handler = (request: ApiRequest) => Reply | Promise<Reply>;

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  auth: AuthKind;
  /**
   * What the `Authorization: Bearer …` header carries, as a refusal of a header of another form names
   * it (`Bearer <access_token>`). Default: `secret key`; a `bearer` route names its own.
   */
  credential?: string;
  body?: BodyKind;
  /** Absent: no query parameter is taken (see `QueryKind`). */
  query?: QueryKind;
  /**
   * Looks up the object the path names and throws its 404 when there is none. The server calls it
   * after authentication and before the query and the body are checked, so an unknown id is 404
   * whatever else the request gets wrong (the handler may look the object up again).
   */
  resource?: (request: ApiRequest) => unknown;
  handler: Handler;
  /**
   * A page a browser opens (a hosted payment page and its forms): a failure of the sandbox itself on
   * it — a commit that failed, an internal error — is answered with this HTML page rather than the
   * API's JSON, which a browser would show raw; so is a form the pipeline refuses before the handler
   * (not UTF-8, too large, compressed). Its own refusals the page answers itself.
   */
  page?: (failure: { status: number; message: string }) => Reply;
}

/** The routes a browser opens (no key) marked as pages: a sandbox failure on them is answered `page`. */
export function asPages(routes: RouteSpec[], page: NonNullable<RouteSpec['page']>): RouteSpec[] {
  return routes.map((route) => (route.auth === 'none' ? { ...route, page } : route));
}

export interface Route extends RouteSpec {
  readonly segments: ReadonlyArray<string | { param: string }>;
  readonly body: BodyKind;
}

export type Match =
  | { route: Route; params: Record<string, string> }
  /** No route: `allowed` lists the methods the path takes (empty: an unknown path). */
  | { route: null; pathKnown: boolean; allowed: string[] };

export class Router {
  /** The routes by their number of segments, in the order they were added (first match wins). */
  private readonly byLength = new Map<number, Route[]>();

  add(spec: RouteSpec): void {
    const segments = spec.path
      .split('/')
      .filter(Boolean)
      .map((segment) => (segment.startsWith('{') && segment.endsWith('}') ? { param: segment.slice(1, -1) } : segment));
    const route: Route = {
      ...spec,
      segments,
      body: spec.body ?? (spec.method === 'GET' ? 'none' : 'json'),
    };
    let bucket = this.byLength.get(segments.length);
    if (!bucket) this.byLength.set(segments.length, (bucket = []));
    bucket.push(route);
  }

  addAll(specs: readonly RouteSpec[]): void {
    for (const spec of specs) this.add(spec);
  }

  /**
   * The first route (in the order added) whose segments match the path and whose method is the
   * request's; otherwise whether any route matched the path with another method, and which. Only routes with
   * as many segments as the path are looked at, and a route's literal segments are compared before
   * any parameter is decoded.
   */
  match(method: string, path: string): Match {
    const parts = path.split('/').filter(Boolean);
    const candidates = this.byLength.get(parts.length);
    const allowed: string[] = [];
    if (!candidates) return { route: null, pathKnown: false, allowed };
    for (const route of candidates) {
      if (!literalsMatch(route.segments, parts)) continue;
      const params = decodeParams(route.segments, parts);
      if (params === null) continue;
      if (route.method === method) return { route, params };
      if (!allowed.includes(route.method)) allowed.push(route.method);
    }
    return { route: null, pathKnown: allowed.length > 0, allowed };
  }
}

function literalsMatch(segments: Route['segments'], parts: readonly string[]): boolean {
  for (let i = 0; i < parts.length; i++) {
    const segment = segments[i]!;
    if (typeof segment === 'string' && segment !== parts[i]) return false;
  }
  return true;
}

/** The route's parameters, decoded; null when one is not valid percent-encoding (no match). */
function decodeParams(segments: Route['segments'], parts: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const segment = segments[i]!;
    if (typeof segment === 'string') continue;
    const part = parts[i]!;
    if (part.includes('%')) {
      try {
        params[segment.param] = decodeURIComponent(part);
      } catch {
        return null;
      }
    } else params[segment.param] = part;
  }
  return params;
}
