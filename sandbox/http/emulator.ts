/**
 * One gateway emulated by the sandbox. The server mounts every emulator under its own prefix
 * (PlutoPay at the root, PayPlug under /payplug, Plural under /plural) and runs each request
 * through the same pipeline; what differs between gateways — how a key is checked, how an error
 * is written, which routes take injected faults — is asked of the emulator that owns the route.
 */
import type { FaultInjector } from '../core/faults';
import type { ApiError } from './errors';
import type { Reply, Router } from './router';

export type KeyKind = 'secret' | 'publishable';

export interface Emulator {
  /** 'plutopay', 'payplug', 'plural'. */
  readonly name: string;
  /** '' (the root) or '/name'; the emulator's routes are written without it. */
  readonly prefix: string;
  readonly router: Router;
  readonly faults: FaultInjector;
  /** What a bearer key on a `secret`/`publishable` route is, or the error that refuses it. */
  checkKey(bearer: string | undefined): KeyKind | ApiError;
  /** The error in this API's own format. */
  renderError(error: ApiError): Reply;
  /**
   * The error for a method a known path does not take (any method: HEAD and OPTIONS too), given the
   * methods it does take; without it the server answers 404 as for an unknown route.
   */
  methodNotAllowed?(method: string, allowed: readonly string[]): ApiError;
  /** Whether injected latency, 500s and drops apply to a route (the API, not admin or pages). */
  faultable(path: string): boolean;
  /** After the server listens (e.g. resume persisted webhook deliveries). */
  start?(): void;
  /** Before the server closes: answer held requests, stop timers. */
  shutdown?(): Promise<void>;
}
