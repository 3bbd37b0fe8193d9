/**
 * Where the host keeps credentials. Electron uses the OS keychain through safeStorage
 * (main/app/secure-store.ts); web mode uses a file only the user can read; tests use memory.
 * Secrets never leave the host: the UI only ever sees maskKey() of them.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What the till keeps secret, per gateway: PlutoPay's keys and webhook signing secret (under their
 * original names), PayPlug's secret key, Plural's client secret and signature key.
 */
export type SecretName =
  'secretKey' | 'publishableKey' | 'webhookSecret' | 'payplugSecretKey' | 'pluralClientSecret' | 'pluralSignatureKey';

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

/** A JSON file with mode 0600 in a 0700 directory, written atomically. */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;

  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (existsSync(path) && process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
      // Someone loosened the permissions: tighten them rather than keep secrets readable by others.
      chmodSync(path, 0o600);
    }
  }

  private read(): Partial<Record<SecretName, string>> {
    if (!existsSync(this.path)) return {};
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.path, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Partial<Record<SecretName, string>>) : {};
    } catch {
      throw new Error(`The secrets file ${this.path} is damaged. Delete it and enter the keys again in Settings.`);
    }
  }

  get(name: SecretName): string | null {
    return this.read()[name] ?? null;
  }

  set(name: SecretName, value: string | null): void {
    const values = this.read();
    if (value === null) delete values[name];
    else values[name] = value;
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, JSON.stringify(values), { mode: 0o600 });
    renameSync(temp, this.path);
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
    // Forget first: if the store refuses, the next read asks it again.
    this.known.delete(name);
    this.store.set(name, value);
    this.known.set(name, value);
  }
}
