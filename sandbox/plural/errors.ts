/**
 * Plural's error format, `{"code": "INVALID_REQUEST", "message": "…"}` (plus `param` when one field
 * is at fault), and the statuses the emulator answers with:
 *
 *   400 INVALID_REQUEST     malformed JSON, wrong type, unknown field, any broken limit or rule
 *   401 UNAUTHORIZED        missing, unknown or expired token; wrong client credentials
 *   403 FORBIDDEN           a test-only shortcut used in live mode
 *   404 NOT_FOUND           unknown order, split settlement, page or route
 *   409 DUPLICATE_REQUEST   a merchant_order_reference that is already taken
 *   422 INVALID_ORDER_STATE / INVALID_SPLIT_STATE / AMOUNT_EXCEEDED   well-formed, but the order's
 *                           (or the split's) state or remaining money does not allow it
 *   500 INTERNAL_SERVER_ERROR   injected faults (and bugs)
 *
 * Domain code throws the shared ApiError with one of these codes as its type. Errors raised by the
 * shared layers (Params, the pipeline) carry PlutoPay-style types and are translated here, so every
 * answer under /plural has this one format.
 */
import { ApiError } from '../http/errors';
import type { Reply } from '../http/router';

export type PluralErrorCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'DUPLICATE_REQUEST'
  | 'INVALID_ORDER_STATE'
  | 'INVALID_SPLIT_STATE'
  | 'AMOUNT_EXCEEDED'
  | 'INTERNAL_SERVER_ERROR';

export interface PluralErrorBody {
  code: string;
  message: string;
  param?: string;
}

function error(status: number, code: PluralErrorCode, message: string, param?: string): ApiError {
  return new ApiError(status, code, message, { param });
}

export const invalidRequest = (message: string, param?: string): ApiError =>
  error(400, 'INVALID_REQUEST', message, param);
export const unauthorized = (message: string): ApiError => error(401, 'UNAUTHORIZED', message);
export const forbidden = (message: string): ApiError => error(403, 'FORBIDDEN', message);
export const notFound = (message: string, param?: string): ApiError => error(404, 'NOT_FOUND', message, param);
export const duplicateRequest = (message: string, param: string): ApiError =>
  error(409, 'DUPLICATE_REQUEST', message, param);
export const orderState = (message: string): ApiError => error(422, 'INVALID_ORDER_STATE', message);
export const splitState = (message: string, param?: string): ApiError =>
  error(422, 'INVALID_SPLIT_STATE', message, param);
export const amountExceeded = (message: string, param?: string): ApiError =>
  error(422, 'AMOUNT_EXCEEDED', message, param);

const PLURAL_CODE = /^[A-Z][A-Z0-9_]*$/;

/** The status and code an ApiError is answered with under /plural. */
function translate(e: ApiError): { status: number; code: string } {
  if (PLURAL_CODE.test(e.type)) return { status: e.status, code: e.type };
  if (e.type === 'authentication_error') return { status: 401, code: 'UNAUTHORIZED' };
  if (e.type === 'api_error') return { status: e.status, code: 'INTERNAL_SERVER_ERROR' };
  if (e.status === 404) return { status: 404, code: 'NOT_FOUND' };
  // Plural does not split malformed (400) from out-of-limit (422) input the way PlutoPay does.
  if (e.status === 400 || e.status === 422) return { status: 400, code: 'INVALID_REQUEST' };
  return { status: e.status, code: 'INVALID_REQUEST' };
}

export function renderPluralError(e: ApiError): Reply {
  const { status, code } = translate(e);
  const json: PluralErrorBody = { code, message: e.message };
  if (e.param !== undefined) json.param = e.param;
  return { status, json };
}
