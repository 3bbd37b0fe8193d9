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
  body?: BodyKind;
  handler: Handler;
}

export interface Route extends RouteSpec {
  readonly segments: ReadonlyArray<string | { param: string }>;
  readonly body: BodyKind;
}

export type Match = { route: Route; params: Record<string, string> } | { route: null; pathKnown: boolean };

export class Router {
  private readonly routes: Route[] = [];

  add(spec: RouteSpec): void {
    const segments = spec.path
      .split('/')
      .filter(Boolean)
      .map((segment) => (segment.startsWith('{') && segment.endsWith('}') ? { param: segment.slice(1, -1) } : segment));
    this.routes.push({
      ...spec,
      segments,
      body: spec.body ?? (spec.method === 'GET' ? 'none' : 'json'),
    });
  }

  addAll(specs: readonly RouteSpec[]): void {
    for (const spec of specs) this.add(spec);
  }

  match(method: string, path: string): Match {
    const parts = path.split('/').filter(Boolean);
    let pathKnown = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < parts.length; i++) {
        const segment = route.segments[i]!;
        const part = parts[i]!;
        if (typeof segment === 'string') {
          if (segment !== part) {
            matched = false;
            break;
          }
        } else {
          let decoded: string;
          try {
            decoded = decodeURIComponent(part);
          } catch {
            matched = false;
            break;
          }
          params[segment.param] = decoded;
        }
      }
      if (!matched) continue;
      if (route.method === method) return { route, params };
      pathKnown = true;
    }
    return { route: null, pathKnown };
  }
}
