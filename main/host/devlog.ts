/**
 * The developer log: requests, link and reader events, errors. Everything passes through
 * redact() on the way in, so no secret key, connection token, link secret or webhook secret can
 * reach the UI or a log file, whatever a caller forgets.
 */
import type { Clock } from '../../common/clock';
import type { DevLogEntry } from '../../common/contract';
import { redact } from '../core/masking';

export class DevLog {
  private readonly entries: DevLogEntry[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(entry: DevLogEntry) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly capacity = 1_000,
    /** Secrets held right now whose shape says nothing (redacted by value). */
    private readonly knownSecrets: () => readonly string[] = () => [],
  ) {}

  add(kind: DevLogEntry['kind'], summary: string, detail?: string): DevLogEntry {
    const entry: DevLogEntry = {
      id: this.nextId++,
      at: new Date(this.clock.now()).toISOString(),
      kind,
      summary: this.redact(summary),
      ...(detail !== undefined ? { detail: this.redact(detail) } : {}),
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

  /** A text masked as the log masks its entries: for lines written elsewhere (web mode's standard error). */
  redact(text: string): string {
    return redact(text, this.knownSecrets());
  }

  list(limit: number): DevLogEntry[] {
    return this.entries.slice(-limit);
  }

  onEntry(listener: (entry: DevLogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
