/**
 * The secrets files of both modes: a damaged one says which file and what to do (found by a
 * reviewer: the desktop app stopped at start with a bare JSON error), and nothing is made before
 * the data directory has been checked. Electron's safeStorage is replaced by a stand-in here: the
 * test is of the store's file handling, not of the OS keychain.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CachedSecretStore, FileSecretStore, type SecretStore } from '../../main/config/secrets';

vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString: (text: string) => Buffer.from(`sealed:${text}`),
    decryptString: (sealed: Buffer) => sealed.toString().slice('sealed:'.length),
  },
}));

const { SafeStorageSecretStore } = await import('../../main/app/secure-store');

describe('secrets files', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const stores: [string, string, (path: string) => SecretStore][] = [
    ['web mode', 'secrets.json', (path) => new FileSecretStore(path)],
    ['Electron', 'secrets.sealed', (path) => new SafeStorageSecretStore(path)],
  ];

  for (const [mode, name, open] of stores) {
    it(`${mode}: keeps a key, and names a damaged file with what to do`, () => {
      const path = join(scratch(), 'data', name);
      const store = open(path);
      expect(store.get('secretKey')).toBeNull();
      store.set('secretKey', 'sk_test_123');
      expect(open(path).get('secretKey')).toBe('sk_test_123');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      for (const damaged of ['', '{"secretKey": "sk_te', 'null', '[]']) {
        writeFileSync(path, damaged);
        expect(() => open(path).get('secretKey')).toThrow(
          `The secrets file ${path} is damaged. Delete it and enter the keys again in Settings.`,
        );
      }
    });

    it(`${mode}: a damaged file refuses a save, and what the host held still reads`, () => {
      const path = join(scratch(), 'data', name);
      const cached = new CachedSecretStore(open(path));
      cached.set('secretKey', 'sk_test_123');
      writeFileSync(path, '{"secretKey": "sk_te');
      expect(() => cached.set('secretKey', 'sk_test_456')).toThrow(/is damaged/);
      // Before: the refused save forgot the key, and every read after it threw.
      expect(cached.get('secretKey')).toBe('sk_test_123');
    });

    it.skipIf(process.platform === 'win32')(
      `${mode}: a save left behind by an earlier one is not written through`,
      () => {
        // Found by an attack on the till: the new file was written into a leftover `.tmp` (a save
        // killed mid-way, a copy or restore of the directory) keeping that file's mode, so a 0644
        // one made the keys readable by every user; a symlink there had them written to its target.
        const dir = join(scratch(), 'data');
        mkdirSync(dir, { mode: 0o700 });
        const path = join(dir, name);
        writeFileSync(`${path}.tmp`, '{}');
        chmodSync(`${path}.tmp`, 0o644);
        open(path).set('secretKey', 'sk_test_123');
        expect(statSync(path).mode & 0o777).toBe(0o600);

        const elsewhere = join(scratch(), 'shared.txt');
        writeFileSync(elsewhere, 'public');
        symlinkSync(elsewhere, `${path}.tmp`);
        open(path).set('secretKey', 'sk_test_456');
        expect(readFileSync(elsewhere, 'utf8')).toBe('public');
        expect(open(path).get('secretKey')).toBe('sk_test_456');
        expect(statSync(path).mode & 0o777).toBe(0o600);
      },
    );

    it(`${mode}: makes nothing before the data directory is checked`, () => {
      const file = join(scratch(), 'not-a-directory');
      writeFileSync(file, 'x');
      // Opening a store under a file must not throw EEXIST: the data directory check names it.
      const store = open(join(file, name));
      expect(readFileSync(file, 'utf8')).toBe('x');
      expect(() => store.set('secretKey', 'sk_test_1')).toThrow();
    });
  }
});
