/**
 * Text from bytes others sent, read strictly as UTF-8: bytes that are not UTF-8 are refused (null),
 * never read with U+FFFD in place of what was sent — a card holder's name, a reference or a signed
 * field would be taken (and journaled, or checked) as something the sender never wrote. Shared by
 * the host (gateway answers, the receiver's forms) and the sandbox (its pages' forms).
 */

/** UTF-8 as response.text() decodes it (a byte-order mark dropped), but null for bytes that are not UTF-8. */
export function strictUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * An application/x-www-form-urlencoded text (a form's body, a URL's query) as URLSearchParams reads
 * it (`+` is a space, a `%` not followed by two hex digits is kept as it is), but null when a name or
 * value is not UTF-8 — the body's own bytes, or its %XX escapes (`Caf%E9`, a page posting Latin-1).
 */
export function strictFormFields(form: Uint8Array | string): URLSearchParams | null {
  const text = typeof form === 'string' ? form : strictUtf8(form);
  if (text === null) return null;
  const fields = new URLSearchParams();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = formComponent(equals < 0 ? pair : pair.slice(0, equals));
    const value = formComponent(equals < 0 ? '' : pair.slice(equals + 1));
    if (name === null || value === null) return null;
    fields.append(name, value);
  }
  return fields;
}

/** One name or value of a form, percent-decoded (WHATWG) and read as UTF-8, strictly. */
function formComponent(text: string): string | null {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  const bytes = new TextEncoder().encode(spaced);
  const decoded = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const high = hexValue(bytes[i + 1]);
    const low = hexValue(bytes[i + 2]);
    if (bytes[i] === 0x25 /* % */ && high >= 0 && low >= 0) {
      decoded[length++] = high * 16 + low;
      i += 2;
    } else decoded[length++] = bytes[i]!;
  }
  return strictUtf8(decoded.subarray(0, length));
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}
