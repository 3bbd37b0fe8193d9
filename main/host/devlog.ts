/**
 * The developer log: requests, link and reader events, errors. Everything passes through
 * redact() on the way in, so no secret key, connection token, link secret or webhook secret can
 * reach the UI or a log file, whatever a caller forgets.
 */
import type { Clock } from '../../common/clock';
import type { DevLogEntry } from '../../common/contract';

const SECRET_PATTERNS: readonly RegExp[] = [
  /\b(sk|pk|rk)_(test|live)_[A-Za-z0-9]+/g,
  /\bpst_(test|live)_[A-Za-z0-9]+/g,
  /\blks_[A-Za-z0-9]+/g,
  /\bwhsec_[A-Za-z0-9]+/g,
  /\bBearer\s+[A-Za-z0-9_.-]+/gi,
  /\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+/g,
];

/** Masks anything that looks like a credential, keeping the prefix so a developer knows which kind. */
export function redact(text: string): string {
  let out = text;
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

/** Masked form of a key for settings screens: "sk_test_…9f3a", "whsec_…1a2b". */
export function maskKey(key: string | null | undefined): string | null {
  if (!key) return null;
  const prefix = /^[a-z]+_((test|live)_)?/.exec(key)?.[0] ?? '';
  return `${prefix}…${key.slice(-4)}`;
}

export class DevLog {
  private readonly entries: DevLogEntry[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(entry: DevLogEntry) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly capacity = 1_000,
  ) {}

  add(kind: DevLogEntry['kind'], summary: string, detail?: string): DevLogEntry {
    const entry: DevLogEntry = {
      id: this.nextId++,
      at: new Date(this.clock.now()).toISOString(),
      kind,
      summary: redact(summary),
      ...(detail !== undefined ? { detail: redact(detail) } : {}),
    };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
    for (const listener of [...this.listeners]) {
      try {
        listener(entry);
      } catch {
        // Logging must never break the caller.
      }
    }
    return entry;
  }

  list(limit: number): DevLogEntry[] {
    return this.entries.slice(-limit);
  }

  onEntry(listener: (entry: DevLogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
