/**
 * PayPlug's error format: `{"object": "error", "message", "id", "details"?}`. A 400 always carries
 * `details`, an object naming each wrong or missing parameter (nested like the request:
 * `{"customer": {"first_name": "…"}}`), so a client can show what to fix.
 *
 * Status codes follow PayPlug's table: the shared validation's 422 (a value breaking a limit) is a
 * 400 here, like every other wrong parameter; state conflicts are 400 too, with the parameter that
 * cannot be honoured in `details`.
 */
import { ApiError } from '../http/errors';
import { Params } from '../http/params';
import type { Reply } from '../http/router';
import type { IdSource } from '../core/ids';

export type Details = { [field: string]: string | Details };

export const WRONG_PARAMETERS = 'Wrong or missing parameters (see details).';

/** A 400 with several wrong parameters at once. */
export class DetailedError extends ApiError {
  constructor(
    message: string,
    readonly details: Details,
  ) {
    super(400, 'invalid_request', message);
    this.name = 'DetailedError';
  }
}

/** 400: the payment (or plan) is in a state where this action cannot be taken. */
export function stateError(message: string, param: string): ApiError {
  return new DetailedError(message, { [param]: message });
}

/** Puts `message` at a dotted path (`customer.first_name`) of a details object. */
export function setDetail(details: Details, path: string, message: string): void {
  const parts = path.split('.');
  let node = details;
  for (const part of parts.slice(0, -1)) {
    const child = Object.hasOwn(node, part) ? node[part] : undefined;
    if (typeof child === 'object') node = child;
    else {
      const created: Details = {};
      ownKey(node, part, created);
      node = created;
    }
  }
  const last = parts[parts.length - 1]!;
  if (!Object.hasOwn(node, last)) ownKey(node, last, message);
}

/** Sets a key as the object's own, even one named `__proto__` (the parameter a refusal names). */
function ownKey(node: Details, key: string, value: Details[string]): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Collects every parameter error of a request instead of stopping at the first: each check runs
 * through `check`, which records a refusal and returns the fallback; `done` throws them all.
 */
export class Validator {
  private readonly details: Details = {};
  private count = 0;

  check<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof DetailedError) {
        for (const [key, value] of Object.entries(error.details)) this.put(key, value);
        return fallback;
      }
      if (error instanceof ApiError && (error.status === 400 || error.status === 422) && error.param) {
        this.add(error.param, error.message);
        return fallback;
      }
      throw error;
    }
  }

  /** Params.body whose unknown parameters are recorded with the rest instead of ending the checks. */
  body(body: Readonly<Record<string, unknown>>, allowed: readonly string[]): Params {
    return Params.body(body, allowed, (error) => this.add(error.param ?? '', error.message));
  }

  add(path: string, message: string): void {
    setDetail(this.details, path, message);
    this.count += 1;
  }

  private put(key: string, value: string | Details): void {
    if (typeof value === 'string') this.add(key, value);
    else for (const [child, inner] of Object.entries(value)) this.put(`${key}.${child}`, inner);
  }

  get failed(): boolean {
    return this.count > 0;
  }

  done(): void {
    if (this.count > 0) throw new DetailedError(WRONG_PARAMETERS, this.details);
  }
}

export function renderError(error: ApiError, ids: IdSource): Reply {
  const id = ids.hex(16);
  if (error instanceof DetailedError)
    return { status: 400, json: { object: 'error', message: error.message, id, details: error.details } };
  if (error.status === 400 || error.status === 422) {
    const details: Details = {};
    if (error.param) setDetail(details, error.param, error.message);
    return {
      status: 400,
      json: { object: 'error', message: error.param ? WRONG_PARAMETERS : error.message, id, details },
    };
  }
  return { status: error.status, json: { object: 'error', message: error.message, id } };
}
