/**
 * Secrets in Electron: encrypted with the OS keychain through safeStorage, stored as base64 in a
 * file. On Linux, when no keyring is available safeStorage silently falls back to a hard-coded
 * password ('basic_text'); storing then would only pretend to protect the key, so it is refused.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { safeStorage } from 'electron';
import type { SecretName, SecretStore } from '../config/secrets';

export class SafeStorageSecretStore implements SecretStore {
  readonly kind = 'safe-storage' as const;

  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }

  /** Why secrets cannot be stored safely on this machine, or null when they can. */
  static unavailableReason(): string | null {
    if (!safeStorage.isEncryptionAvailable()) return 'The operating system offers no encrypted storage to this app.';
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
      return 'No desktop keyring (GNOME Keyring or KWallet) is running, so keys would be stored with a well-known password. Start a keyring and restart the app.';
    }
    return null;
  }

  private read(): Partial<Record<SecretName, string>> {
    if (!existsSync(this.path)) return {};
    return JSON.parse(readFileSync(this.path, 'utf8')) as Partial<Record<SecretName, string>>;
  }

  get(name: SecretName): string | null {
    const sealed = this.read()[name];
    if (!sealed) return null;
    try {
      return safeStorage.decryptString(Buffer.from(sealed, 'base64'));
    } catch {
      return null;
    }
  }

  set(name: SecretName, value: string | null): void {
    const values = this.read();
    if (value === null) {
      delete values[name];
    } else {
      const reason = SafeStorageSecretStore.unavailableReason();
      if (reason) throw new Error(`Refusing to store the key: ${reason}`);
      values[name] = safeStorage.encryptString(value).toString('base64');
    }
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, JSON.stringify(values), { mode: 0o600 });
    renameSync(temp, this.path);
  }
}
