/**
 * Keeping secrets out of everything a person can read: the developer log, the screen, log files.
 * Anything that looks like a credential is masked by its shape; the stored secrets whose shape says
 * nothing (a Plural client secret) are masked by value. Plural's OAuth access token is neither kept
 * in Settings nor logged: it only travels as `Bearer …`, which its shape masks.
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  /\b(sk|pk|rk)_(test|live)_[A-Za-z0-9]+/g,
  /\bpst_(test|live)_[A-Za-z0-9]+/g,
  /\blks_[A-Za-z0-9]+/g,
  /\bwhsec_[A-Za-z0-9]+/g,
  /\bBearer\s+[A-Za-z0-9_.-]+/gi,
  /\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+/g,
];

/**
 * Masks anything that looks like a credential, keeping the prefix so a developer knows which kind,
 * and every `known` secret wherever it appears.
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
  return out;
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
