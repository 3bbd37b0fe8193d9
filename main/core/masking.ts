/**
 * Keeping secrets out of everything a person can read: the developer log, the screen, log files.
 * Anything that looks like a credential is masked by its shape; the stored secrets whose shape says
 * nothing (a Plural client secret) are masked by value. Plural's OAuth access token is neither kept
 * in Settings nor logged: it only travels as `Bearer …`, which its shape masks.
 */
import { maskUrlCredentials } from '../../common/url-credentials';

const SECRET_PATTERNS: readonly RegExp[] = [
  /\b(sk|pk|rk)_(test|live)_[A-Za-z0-9]+/g,
  /\bpst_(test|live)_[A-Za-z0-9]+/g,
  /\blks_[A-Za-z0-9]+/g,
  /\bwhsec_[A-Za-z0-9]+/g,
  /\bBearer\s+[A-Za-z0-9_.-]+/gi,
  /\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+/g,
];

/**
 * A card number (PAN): 13 to 19 digits, maybe in groups split by spaces or dashes, starting as the
 * card brands' do (2 to 6) and passing Luhn's check (`luhnValid`). Not an epoch timestamp in ms
 * (13 digits starting with 1), an amount or an id glued to a prefix (`pay_4242…`: no word boundary).
 */
const PAN_PATTERN = /\b[2-6]\d{3}(?:[ -]?\d){9,15}\b/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Masks anything that looks like a credential, keeping the prefix so a developer knows which kind,
 * every `known` secret wherever it appears, a URL's user name and password (`https://…@host`), and card numbers (only their last four are kept, as on
 * a receipt).
 */
export function redact(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of known) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match) => {
      const bearer = /^Bearer\s+/i.exec(match);
      if (bearer) return `${bearer[0]}[redacted]`;
      const prefix = /^[a-z]+_((test|live)_)?/i.exec(match)?.[0] ?? '';
      return `${prefix}[redacted]`;
    });
  }
  out = maskUrlCredentials(out);
  return out.replace(PAN_PATTERN, (match) => {
    const digits = match.replace(/[ -]/g, '');
    return luhnValid(digits) ? `[card …${digits.slice(-4)}]` : match;
  });
}

/**
 * Masked form of a key for settings screens: "sk_test_…9f3a", "whsec_…1a2b". Its last four are shown
 * only when they are a small part of it (12 characters or more after the prefix): of a short one
 * they would be most of the secret.
 */
export function maskKey(key: string | null | undefined): string | null {
  if (!key) return null;
  // Only a credential's known prefix: a secret with no prefix (Plural's client secret) may well
  // start with lower-case letters and an underscore, and that start is part of the secret.
  const prefix = /^((sk|pk|rk)_(test|live)_|whsec_)/.exec(key)?.[0] ?? '';
  return key.length - prefix.length >= 12 ? `${prefix}…${key.slice(-4)}` : `${prefix}…`;
}
