/**
 * Where the host keeps credentials. Electron uses the OS keychain through safeStorage
 * (main/app/secure-store.ts); web mode uses a file only the user can read; tests use memory.
 * Secrets never leave the host: the UI only ever sees maskKey() of them.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * What the till keeps secret, per gateway: PlutoPay's keys and webhook signing secret (under their
 * original names), PayPlug's secret key, Plural's client secret and signature key; and the key in
 * the customer display's address (web mode), kept so a bookmarked display outlives a restart.
 */
export type SecretName =
  | 'secretKey'
  | 'publishableKey'
  | 'webhookSecret'
  | 'payplugSecretKey'
  | 'pluralClientSecret'
  | 'pluralSignatureKey'
  | 'customerDisplayToken';

export interface SecretStore {
  readonly kind: 'safe-storage' | 'file' | 'memory';
  get(name: SecretName): string | null;
  /** null deletes. Throws with a message for the user when the secret cannot be stored safely. */
  set(name: SecretName, value: string | null): void;
}

export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory' as const;
  private readonly values = new Map<SecretName, string>();
  get(name: SecretName): string | null {
    return this.values.get(name) ?? null;
  }
  set(name: SecretName, value: string | null): void {
    if (value === null) this.values.delete(name);
    else this.values.set(name, value);
  }
}

/**
 * The record a secrets file holds (web mode's plain one, Electron's sealed one): empty when there
 * is none yet, and a message saying what to do when it is damaged (a power cut, an edit).
 */
export function readSecretsFile(path: string): Partial<Record<SecretName, string>> {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`The secrets file ${path} is damaged. Delete it and enter the keys again in Settings.`);
  return parsed as Partial<Record<SecretName, string>>;
}

/**
 * Writes a secrets file, mode 0600 in a 0700 directory (made now, not before the data directory
 * was checked), atomically and durably: after a power cut it is the old file or the new one.
 */
export function writeSecretsFile(path: string, values: Partial<Record<SecretName, string>>): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp`;
  // Always a new file: one left by a save killed mid-way (or a copy of the directory) keeps its own
  // mode when written to, and a symlink there would be written through.
  rmSync(temp, { force: true });
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(values));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/**
 * A JSON file only the user can read. `refusal`: why the directory holding it is not the user's
 * alone (untrustedDataDir), or null. Then nothing is stored there, and nothing found there is read
 * (another user could have put a file naming their own account's key in its place): keys cannot
 * be saved, said with `refusal`, and the embedded sandbox, which needs none, still takes payments.
 */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;

  constructor(
    private readonly path: string,
    private readonly refusal: string | null = null,
  ) {
    if (refusal) return;
    if (existsSync(path) && process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
      // Someone loosened the permissions: tighten them rather than keep secrets readable by others.
      chmodSync(path, 0o600);
    }
  }

  get(name: SecretName): string | null {
    if (this.refusal) return null;
    return readSecretsFile(this.path)[name] ?? null;
  }

  set(name: SecretName, value: string | null): void {
    if (this.refusal) {
      // Removing a key it never read is done already.
      if (value === null) return;
      throw new Error(`Refusing to store the key. ${this.refusal}`);
    }
    const values = readSecretsFile(this.path);
    if (value === null) delete values[name];
    else values[name] = value;
    writeSecretsFile(this.path, values);
  }
}

/**
 * A store read through a memory of what it holds: the developer log masks every secret held in
 * every entry it writes (several per payment), and reading a file store, or decrypting Electron's,
 * each time showed in figure 1 of `npm run bench`. The app changes secrets only through this
 * wrapper (Settings), so what it remembers is what the store holds.
 */
export class CachedSecretStore implements SecretStore {
  private readonly known = new Map<SecretName, string | null>();

  constructor(private readonly store: SecretStore) {}

  get kind(): SecretStore['kind'] {
    return this.store.kind;
  }

  get(name: SecretName): string | null {
    let value = this.known.get(name);
    if (value === undefined) {
      value = this.store.get(name);
      this.known.set(name, value);
    }
    return value;
  }

  set(name: SecretName, value: string | null): void {
    // Refused (a damaged or unwritable file): what the host held still stands. Forgetting it first
    // sent every later read to the damaged file, and every command failed (found by a tester).
    this.store.set(name, value);
    this.known.set(name, value);
  }
}
