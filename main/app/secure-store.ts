/**
 * Secrets in Electron: encrypted with the OS keychain through safeStorage, stored as base64 in a
 * file. On Linux, when no keyring is available safeStorage silently falls back to a hard-coded
 * password ('basic_text'); storing then would only pretend to protect the key, so it is refused.
 */
import { safeStorage } from 'electron';
import { readSecretsFile, writeSecretsFile, type SecretName, type SecretStore } from '../config/secrets';

export class SafeStorageSecretStore implements SecretStore {
  readonly kind = 'safe-storage' as const;

  // Nothing is made here: the data directory is checked first (a file there is named, not EEXIST).
  constructor(private readonly path: string) {}

  /** Why secrets cannot be stored safely on this machine, or null when they can. */
  static unavailableReason(): string | null {
    if (!safeStorage.isEncryptionAvailable()) return 'The operating system offers no encrypted storage to this app.';
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
      return 'No desktop keyring (GNOME Keyring or KWallet) is running, so keys would be stored with a well-known password. Start a keyring and restart the app.';
    }
    return null;
  }

  get(name: SecretName): string | null {
    // A damaged file says so and what to do (found by a reviewer: a bare JSON error stopped the start).
    const sealed = readSecretsFile(this.path)[name];
    if (!sealed) return null;
    try {
      return safeStorage.decryptString(Buffer.from(sealed, 'base64'));
    } catch {
      return null;
    }
  }

  set(name: SecretName, value: string | null): void {
    const values = readSecretsFile(this.path);
    if (value === null) {
      delete values[name];
    } else {
      const reason = SafeStorageSecretStore.unavailableReason();
      if (reason) throw new Error(`Refusing to store the key: ${reason}`);
      values[name] = safeStorage.encryptString(value).toString('base64');
    }
    writeSecretsFile(this.path, values);
  }
}
