/**
 * Request bodies: read with a size limit. Past the limit the rest is drained (so the client can read
 * our 400 instead of a reset), and a client that keeps sending far beyond it is cut off.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { LONE_SURROGATE } from '../../common/text';
import { strictFormFields } from '../../common/utf8';
import { ApiError, badRequest } from './errors';

export const MAX_BODY_BYTES = 1024 * 1024;
const DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES;

/**
 * A header's value as `request.headers[name]` has it for a header Node keeps only once
 * (authorization, content-length: the first wins), read off rawHeaders: request.headers builds an
 * object of every header on first use. `name` is lower case.
 */
export function firstHeader(request: IncomingMessage, name: string): string | undefined {
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

/**
 * A body sent with a Content-Encoding other than identity (gzip, br…): no sandbox decodes one, and
 * read as it is, it would be refused as JSON that does not parse. 415 names the encoding instead.
 */
function unsupportedEncoding(request: IncomingMessage): ApiError | null {
  const encoding = firstHeader(request, 'content-encoding')?.trim();
  if (encoding === undefined || encoding === '' || /^identity$/i.test(encoding)) return null;
  return new ApiError(
    415,
    'invalid_request',
    `Content-Encoding: ${encoding.slice(0, 100)} is not supported; send the body uncompressed (no Content-Encoding).`,
    { code: 'unsupported_content_encoding' },
  );
}

/** The Content-Length a request declares (0 when it declares none: no body, or chunks). */
function declaredLength(request: IncomingMessage): number {
  return Number(firstHeader(request, 'content-length') ?? 0);
}

function tooLargeError(): ApiError {
  return badRequest(`Request body larger than ${MAX_BODY_BYTES} bytes.`, undefined, 'body_too_large');
}

/** Whether a request waits for 100 Continue before it sends its body. */
function expectsContinue(request: IncomingMessage): boolean {
  return /^\s*100-continue\s*$/i.test(firstHeader(request, 'expect') ?? '');
}

/**
 * Whether a request that waits for 100 Continue is refused before it sends its body: one declaring a
 * body over the limit (curl asks so for any large upload). It is answered at once and the connection
 * closed, instead of taking the body only to refuse it (past 16 MiB: cutting the connection, which
 * the client saw as a reset after "100 Continue").
 */
export function refusedBeforeSent(request: IncomingMessage): boolean {
  return expectsContinue(request) && declaredLength(request) > MAX_BODY_BYTES;
}

/**
 * Reads a request's body and calls `done` once: with the body, or with the error (an ApiError for
 * a body past the limit or in an encoding not read). A callback rather than a promise: this runs for
 * every request.
 */
export function readBody(request: IncomingMessage, done: (error: Error | null, body: Buffer) => void): void {
  const declared = declaredLength(request);
  if (declared > MAX_BODY_BYTES && refusedBeforeSent(request)) {
    // The client waits for 100 Continue, which was not sent: it never sends the body, and reads this.
    done(tooLargeError(), EMPTY);
    return;
  }
  if (declared > DRAIN_LIMIT_BYTES) {
    request.socket.destroy();
    done(badRequest('Request body too large.', undefined, 'body_too_large'), EMPTY);
    return;
  }
  // Drained like a body past the limit, so the client reads the answer rather than a reset.
  const encoded = unsupportedEncoding(request);
  // Most bodies arrive in one chunk: keep it without an array or a copy.
  let first: Buffer | null = null;
  let rest: Buffer[] | null = null;
  let size = 0;
  let tooLarge = false;
  let settled = false;
  const settle = (error: Error | null, body: Buffer) => {
    if (settled) return;
    settled = true;
    done(error, body);
  };
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > DRAIN_LIMIT_BYTES) {
      request.socket.destroy();
      return;
    }
    if (encoded !== null) return;
    if (size > MAX_BODY_BYTES) {
      tooLarge = true;
      first = null;
      rest = null;
      return;
    }
    if (first === null) first = chunk;
    else (rest ??= [first]).push(chunk);
  });
  request.on('end', () => {
    if (encoded !== null) settle(encoded, EMPTY);
    else if (tooLarge) settle(tooLargeError(), EMPTY);
    else settle(null, rest ? Buffer.concat(rest) : (first ?? EMPTY));
  });
  request.on('error', (error: Error) => settle(error, EMPTY));
  // Every request closes once its body has been read; only a close before the end is a failure
  // (and only then is the Error, with its stack, worth making).
  request.on('close', () => {
    if (!settled) settle(new Error('request closed before its body was read'), EMPTY);
  });
}

const EMPTY = Buffer.alloc(0);

/**
 * A JSON object body. Empty means {} (curl -X POST with no -d). JSON is read whatever the
 * Content-Type says (curl -d sends form encoding); a body that is not JSON is refused saying where
 * the parser stopped and, when it was sent as something else (a form), with which Content-Type. A
 * body that is not UTF-8 is refused too, never read with its bytes replaced.
 */
export function parseJsonObject(raw: Buffer, contentType?: string): Record<string, unknown> {
  if (raw.length === 0) return {};
  // JSON travels in UTF-8 (RFC 8259). Other bytes (a body in Latin-1 or Windows-1252, "café" as
  // 63 61 66 E9) were read as U+FFFD and stored: the payment kept another description than the one sent.
  if (!isUtf8(raw)) {
    const declared = contentType !== undefined && /charset=/i.test(contentType);
    throw badRequest(
      `The request body is not UTF-8 text${declared ? ` (it was sent with Content-Type: ${contentType.slice(0, 100)})` : ''}; send JSON encoded in UTF-8.`,
      undefined,
      'invalid_json',
    );
  }
  // RFC 8259 forbids sending one. JSON.parse stopped at it and said so quoting the mark itself, which
  // no one can see. Refused rather than skipped, as most gateways do: a client is told at once.
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) {
    throw badRequest(
      'The request body starts with a UTF-8 byte-order mark (bytes EF BB BF); send the JSON without it.',
      undefined,
      'invalid_json',
    );
  }
  let value: unknown;
  const text = raw.toString('utf8');
  try {
    value = JSON.parse(text);
  } catch (error) {
    const where = error instanceof Error ? error.message.slice(0, 200) : '';
    const sentAs =
      contentType !== undefined && !/json/i.test(contentType)
        ? ` It was sent with Content-Type: ${contentType.slice(0, 100)}; send a JSON object with Content-Type: application/json.`
        : '';
    throw badRequest(
      `The request body is not valid JSON${where ? ` (${where})` : ''}.${sentAs}`,
      undefined,
      'invalid_json',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.', undefined, 'invalid_json');
  }
  // Before any walk of the value: JSON.parse takes any depth, a recursive walk does not (10 000
  // levels, 20 KB, overflowed the stack: a 500 instead of an answer about the body).
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw badRequest(
      `The request body is nested more than ${MAX_JSON_DEPTH} levels deep; no parameter of this API is.`,
      undefined,
      'invalid_json',
    );
  }
  refuseUnrepresentable(value, '');
  const duplicated = duplicateKey(text);
  if (duplicated !== null) throw badRequest(`${duplicated} may be given only once`, duplicated, 'parameter_duplicated');
  return value as Record<string, unknown>;
}

/** How deep a JSON body may nest objects and arrays: far more than any parameter of the three APIs. */
export const MAX_JSON_DEPTH = 32;

/** Whether a well-formed JSON text nests objects and arrays more than `max` deep (strings skipped). */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

interface Frame {
  readonly object: boolean;
  readonly keys: Set<string> | null;
  readonly path: string;
  key: string;
  index: number;
  expectKey: boolean;
}

/**
 * The dotted name of the first key given twice in one object of a well-formed JSON text, or null.
 * JSON.parse keeps the last silently (`{"amount": 100, "amount": 5000}` would charge 5000); a
 * repeated query parameter is refused, and so is this.
 */
export function duplicateKey(text: string): string | null {
  const frames: Frame[] = [];
  const childPath = (frame: Frame): string =>
    frame.object ? (frame.path ? `${frame.path}.${frame.key}` : frame.key) : `${frame.path}[${frame.index}]`;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      let escaped = false;
      while (text.charCodeAt(end) !== 0x22) {
        if (text.charCodeAt(end) === 0x5c /* \ */) {
          escaped = true;
          end++;
        }
        end++;
      }
      const top = frames[frames.length - 1];
      if (top?.object && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        top.key = key;
        if (top.keys!.has(key)) return childPath(top);
        top.keys!.add(key);
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = frames[frames.length - 1];
      const object = c === 0x7b;
      frames.push({
        object,
        keys: object ? new Set() : null,
        path: parent ? childPath(parent) : '',
        key: '',
        index: 0,
        expectKey: object,
      });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
    } else if (c === 0x2c /* , */) {
      const top = frames[frames.length - 1]!;
      if (top.object) top.expectKey = true;
      else top.index++;
    }
  }
  return null;
}

/**
 * JSON can spell what JavaScript cannot keep: a number past the double range parses as Infinity
 * (stored as null), and a `__proto__` key is dropped (or worse) when the object is copied. It can
 * also spell what is not text: a lone surrogate, stored, would make every later answer holding it
 * (a list included) unreadable to strict clients. All are refused with the parameter named instead
 * of being silently changed or stored.
 */
function refuseUnrepresentable(value: unknown, path: string): void {
  // The walk allocates nothing; the offending parameter's name is spelled only once one is found.
  if (isRepresentable(value)) return;
  if (typeof value === 'number') {
    throw badRequest(`${path || 'a value'} is too large to be a number`, path || undefined, 'parameter_invalid_type');
  }
  if (typeof value === 'string') {
    throw badRequest(
      `${path || 'a value'} holds half of a UTF-16 surrogate pair (\\u${value.match(LONE_SURROGATE)![0].charCodeAt(0).toString(16)}), which is not text`,
      path || undefined,
      'parameter_invalid_text',
    );
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => refuseUnrepresentable(item, `${path}[${index}]`));
    return;
  }
  for (const key in value as Record<string, unknown>) {
    const child = path ? `${path}.${key}` : key;
    if (key === '__proto__')
      throw badRequest(`${child}: the key "__proto__" is not allowed`, child, 'parameter_invalid_key');
    if (LONE_SURROGATE.test(key))
      throw badRequest(
        `${path || 'the body'} has a key holding half of a UTF-16 surrogate pair, which is not text`,
        path || undefined,
        'parameter_invalid_key',
      );
    refuseUnrepresentable((value as Record<string, unknown>)[key], child);
  }
}

/** Whether a parsed JSON value holds no non-finite number, no `__proto__` key and no lone surrogate. */
function isRepresentable(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isRepresentable(value[i])) return false;
    return true;
  }
  // JSON.parse makes plain objects with own enumerable keys only, so for…in sees exactly Object.keys.
  for (const key in value as Record<string, unknown>) {
    if (key === '__proto__' || LONE_SURROGATE.test(key) || !isRepresentable((value as Record<string, unknown>)[key]))
      return false;
  }
  return true;
}

/**
 * An HTML form body (application/x-www-form-urlencoded); repeated fields keep the first value.
 * Decoded as URLSearchParams does (`+` is a space, a `%` not followed by two hex digits is kept as
 * it is), except that a field that is not UTF-8 — the body's own bytes or its %XX escapes, "Café"
 * sent as `Caf%E9` by a page posting Latin-1 — is refused rather than read with U+FFFD in it: a card
 * holder's name would be stored as something the customer never typed. The hosted pages answer the
 * refusal with their HTML error page (see `RouteSpec.page`).
 */
export function parseForm(raw: Buffer): Record<string, string> {
  const parsed = strictFormFields(raw);
  if (parsed === null) throw formNotUtf8();
  const fields: Record<string, string> = {};
  for (const [key, value] of parsed) if (!Object.hasOwn(fields, key)) fields[key] = value;
  return fields;
}

function formNotUtf8(): ApiError {
  return badRequest(
    'The form was not sent as UTF-8 text, so it was not read and nothing was done. Go back to the page and send it again.',
    undefined,
    'invalid_form',
  );
}
