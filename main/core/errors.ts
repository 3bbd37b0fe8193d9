import type { CommandError, ErrorCode } from '../../common/contract';
import { GatewayError, GatewayUnreachable, LocalRefusal, tryAgainIn } from '../gateway/errors';

/** An error meant for the cashier: a code the UI can act on and a message in plain words. */
export class HostError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Partial<Omit<CommandError, 'code' | 'message'>> = {},
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** Turns anything thrown inside the host into the contract's error shape, without leaking internals. */
export function toCommandError(error: unknown): CommandError {
  if (error instanceof HostError) return { code: error.code, message: error.message, ...error.extra };
  if (error instanceof LocalRefusal) {
    // The input breaks the gateway's rules: said as a field error, never as "the gateway refused".
    const issues = error.param ? [{ path: error.param, message: error.message }] : [];
    return { code: 'validation', message: error.message, issues, gatewayType: error.type };
  }
  if (error instanceof GatewayError) {
    // A malformed request (400: a wrong type, a broken format): the till's request, not the card or
    // the sale, and refused before anything was done. Said so, with the gateway's own words.
    if (error.status === 400)
      return {
        code: 'gateway',
        message: `The gateway refused the till's request as invalid, so nothing was charged or changed: ${error.message}`,
        gatewayType: error.type,
      };
    const code: ErrorCode =
      error.status === 404
        ? 'not_found'
        : error.status === 401 || error.status === 403
          ? 'unauthorized'
          : error.status === 422 && error.type !== 'invalid_request'
            ? 'conflict'
            : 'gateway';
    return { code, message: `The gateway refused: ${error.message}`, gatewayType: error.type };
  }
  if (error instanceof GatewayUnreachable) {
    // A throttling gateway answered: the connection is fine, it asks the till to wait.
    if (error.retryAfterMs !== null && error.outcome === 'not_sent') {
      return {
        code: 'offline',
        message: `${error.message} Nothing was done; try again ${tryAgainIn(error.retryAfterMs)}.`,
        retryAfterMs: error.retryAfterMs,
      };
    }
    return { code: 'offline', message: `${error.message} Check the connection; nothing was charged twice.` };
  }
  const storage = journalWriteFailure(error);
  if (storage) return { code: 'internal', message: storage };
  return {
    code: 'internal',
    message: 'Something went wrong in the host. The payment state was kept; see the developer log.',
  };
}

/**
 * Why the journal refused a write while the app runs (the disk filled up, the data directory became
 * read-only, the disk or the file failed): the error's own words and the cause in plain words; null
 * for any other error.
 */
export function journalWriteProblem(error: unknown): { detail: string; why: string } | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const why = code.startsWith('SQLITE_FULL')
    ? 'the disk holding the data directory is full'
    : code.startsWith('SQLITE_READONLY')
      ? 'the data directory or its disk has become read-only'
      : code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')
        ? 'the disk holding the data directory is failing or was removed'
        : code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB'
          ? 'journal.db in the data directory is damaged'
          : null;
  if (!why) return null;
  return { detail: error instanceof Error ? error.message : code, why };
}

/**
 * What the cashier is told when the journal refused a write while the app runs, or null for any
 * other error. Said as 'internal': the step may have been sent already (its answer could not be
 * recorded), so the screens must not say "not charged".
 */
export function journalWriteFailure(error: unknown): string | null {
  const problem = journalWriteProblem(error);
  if (!problem) return null;
  return (
    `The app cannot write its journal (${problem.detail}): ${problem.why}. Nothing is sent to the gateway before it is in the journal, ` +
    'and a step already sent is finished with its own key, so nothing is charged twice. ' +
    'Free space on that disk (or fix it), then restart the app: at start it checks every unfinished payment with the gateway. ' +
    'Until then, do not take this payment another way.'
  );
}

/** An error's message for a log line or a status: an Error's own message, anything else as text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
