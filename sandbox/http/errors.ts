/**
 * The one error type every layer throws: a status, a type, a message and, where it helps, the
 * parameter and a machine code. Each emulator renders it in its own API's error format
 * (`Emulator.renderError`), so a domain module can refuse a request without knowing anything
 * about HTTP beyond the status number. The types below are PlutoPay's; the other emulators use
 * their own strings.
 */
export type ErrorType =
  | 'authentication_error'
  | 'payment_error'
  | 'capture_error'
  | 'cancel_error'
  | 'terminal_error'
  | 'invalid_request'
  | 'api_error';

export interface ErrorBody {
  type: ErrorType;
  message: string;
  param?: string;
  code?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType | (string & {});
  readonly param: string | undefined;
  readonly code: string | undefined;

  constructor(
    status: number,
    type: ErrorType | (string & {}),
    message: string,
    options: { param?: string; code?: string } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.param = options.param;
    this.code = options.code;
  }

  /** PlutoPay's format, `{"error": {"type", "message", "param"?, "code"?}}`. */
  toBody(): { error: ErrorBody } {
    const error: ErrorBody = { type: this.type as ErrorType, message: this.message };
    if (this.param !== undefined) error.param = this.param;
    if (this.code !== undefined) error.code = this.code;
    return { error };
  }
}

/** 400: the request is malformed (not JSON, wrong type, unknown parameter or enum value). */
export function badRequest(message: string, param?: string, code?: string): ApiError {
  return new ApiError(400, 'invalid_request', message, { param, code });
}

/** 422 invalid_request: well-formed but breaks a documented limit, or a required field is missing. */
export function invalid(message: string, param?: string, code?: string): ApiError {
  return new ApiError(422, 'invalid_request', message, { param, code });
}

/** 422 with a state-conflict type (capture_error, cancel_error, payment_error, terminal_error). */
export function conflict(type: ErrorType, message: string, code?: string, param?: string): ApiError {
  return new ApiError(422, type, message, { code, param });
}

export function notFound(message: string, param?: string): ApiError {
  return new ApiError(404, 'invalid_request', message, { param, code: 'resource_missing' });
}

export function unauthorized(message: string, code?: string): ApiError {
  return new ApiError(401, 'authentication_error', message, { code });
}

/**
 * 500 commit_failed: the group commit covering a request failed (core/group-commit.ts), so nothing it
 * changed was saved, in the database or in memory.
 */
export function commitFailed(): ApiError {
  return new ApiError(
    500,
    'api_error',
    'The sandbox could not commit its database, so nothing this request changed was saved; send it again.',
    { code: 'commit_failed' },
  );
}
