/**
 * What a leaked credential looks like on the wire. Used by the e2e and soak runs to check every
 * message that crossed the contract: masked forms ("sk_test_…abcd", "[redacted]") are fine.
 */
const SECRET_SHAPES: readonly RegExp[] = [
  /\b(sk|pk|rk)_(test|live)_[A-Za-z0-9]{8,}/g, // API keys
  /\bpst_(test|live)_[A-Za-z0-9]{8,}/g, // connection tokens
  /\blks_[A-Za-z0-9]{8,}/g, // reader-link session secrets
  /\bwhsec_[A-Za-z0-9]{8,}/g, // webhook secrets
  /\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]{6,}/g, // payment-intent client secrets
];

/** Every substring of text that looks like an unmasked secret. */
export function findSecrets(text: string): string[] {
  const found: string[] = [];
  for (const shape of SECRET_SHAPES) for (const match of text.matchAll(shape)) found.push(match[0]);
  return found;
}

/** Also catches the exact values a test knows (e.g. the sandbox's keys), whatever their shape. */
export function findKnownSecrets(text: string, known: readonly string[]): string[] {
  return [...findSecrets(text), ...known.filter((secret) => secret.length >= 8 && text.includes(secret))];
}
