/**
 * What every Plural API request is checked for before its handler runs: the Request-ID and
 * Request-Timestamp headers (optional, but refused when malformed), then the OAuth bearer token.
 *
 * The reference sends both headers on every request without saying they are required; the
 * emulator accepts a request without them (a curl without them still works) but never a malformed
 * one. The timestamp is not compared with the clock: the sandbox clock can be moved forward, and a
 * client's own clock would then look skewed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiRequest, Handler } from '../../http/router';
import type { Auth } from '../domain/auth';
import { invalidRequest } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

function single(headers: Readonly<IncomingHttpHeaders>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function checkRequestHeaders(headers: Readonly<IncomingHttpHeaders>): void {
  const id = single(headers, 'request-id');
  if (id !== undefined && !UUID.test(id)) {
    throw invalidRequest(
      'The Request-ID header must be a UUID, e.g. c17ce30f-f88e-4f81-ada1-c3b4909ed235.',
      'Request-ID',
    );
  }
  const timestamp = single(headers, 'request-timestamp');
  if (timestamp !== undefined) {
    const match = UTC_TIMESTAMP.exec(timestamp);
    const ms = match ? Date.parse(timestamp) : NaN;
    // Date.parse rolls 2024-02-30 over to March; the date must read back unchanged.
    if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== match[1]) {
      throw invalidRequest(
        'The Request-Timestamp header must be an ISO 8601 UTC timestamp, e.g. 2024-07-09T07:57:08.022Z.',
        'Request-Timestamp',
      );
    }
  }
}

/** A route (or its resource lookup) that needs the headers checked and a valid access token. */
export function withToken<T = ReturnType<Handler>>(
  auth: Auth,
  handler: (request: ApiRequest) => T,
): (request: ApiRequest) => T {
  return (request) => {
    checkRequestHeaders(request.headers);
    auth.verify(request.bearer);
    return handler(request);
  };
}
