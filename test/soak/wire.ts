/**
 * The soak's wire check: every bridge frame, in both directions, is appended to a recording
 * (JSON lines) and searched for anything that looks like a secret (test/support/secrets.ts) or
 * is one of the exact secrets this run knows (the sandbox's keys, each launch token). What is
 * reported is masked: a leak is never printed in full.
 */
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { findKnownSecrets } from '../support/secrets';
import type { Direction } from './bridge';

export interface WireCheck {
  messages: number;
  bytes: number;
  /** Where each leak was seen, masked. */
  leaks: string[];
  recording: string;
}

export function maskSecret(text: string, secret: string): string {
  return text.split(secret).join(`${secret.slice(0, 8)}…`);
}

export class WireRecorder {
  readonly check: WireCheck;
  private readonly known: string[] = [];
  private readonly file: WriteStream;

  constructor(recording: string) {
    this.check = { messages: 0, bytes: 0, leaks: [], recording };
    this.file = createWriteStream(recording);
  }

  /** Secrets to look for verbatim from now on (at least 8 characters). */
  addKnown(...secrets: readonly string[]): void {
    for (const secret of secrets) if (secret.length >= 8 && !this.known.includes(secret)) this.known.push(secret);
  }

  readonly record = (direction: Direction, text: string): void => {
    this.check.messages++;
    this.check.bytes += text.length;
    this.file.write(`${JSON.stringify({ d: direction, m: text })}\n`);
    for (const hit of findKnownSecrets(text, this.known))
      this.leak(`${direction} frame: ${maskSecret(text.slice(0, 160), hit)}`);
  };

  /** Looks through the whole recording for secrets that only exist late in the run. */
  async rescan(secrets: readonly string[]): Promise<void> {
    const fresh = secrets.filter((secret) => secret.length >= 8 && !this.known.includes(secret));
    if (fresh.length === 0) return;
    await new Promise<void>((resolve) => this.file.write('', () => resolve()));
    for (const line of readFileSync(this.check.recording, 'utf8').split('\n')) {
      for (const secret of fresh)
        if (line.includes(secret)) this.leak(`recorded frame: ${maskSecret(line.slice(0, 160), secret)}`);
    }
    this.addKnown(...fresh);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.file.end(() => resolve()));
  }

  private leak(where: string): void {
    // Every leak counts; only the first few are described.
    this.check.leaks.push(this.check.leaks.length < 20 ? where : '(more)');
  }
}
