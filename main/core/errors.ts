import type { CommandError, ErrorCode } from '../../common/contract';
import { GatewayError, GatewayUnreachable, LocalRefusal } from '../gateway/errors';

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
    return { code: 'offline', message: `${error.message} Check the connection; nothing was charged twice.` };
  }
  return {
    code: 'internal',
    message: 'Something went wrong in the host. The payment state was kept; see the developer log.',
  };
}
