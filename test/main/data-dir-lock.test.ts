/**
 * One app per data directory (main/store/data-dir-lock.ts): a second host on the same directory is
 * refused with a message naming it, and the lock goes with its holder — a close, or a kill -9.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/index';
import {
  DataDirInUseError,
  DataDirUnusableError,
  LOCK_FILE,
  lockDataDir,
  prepareDataDir,
  untrustedDataDir,
} from '../../main/store/data-dir-lock';
import { createHost } from '../../main/host/host';
import { startTestHost } from '../support/host';

describe('one app per data directory', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second holder until the first releases', () => {
    const dir = scratch();
    const first = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(`already running with the data directory ${dir}`);
    first.release();
    lockDataDir(dir).release();
  });

  it('names a data directory it cannot use, and says what is wrong with it', async () => {
    // Found by a tester: "EEXIST: file already exists, mkdir …" and "unable to open database file".
    const file = join(scratch(), 'not-a-directory');
    writeFileSync(file, 'x');
    // Refused before anything starts: no sandbox, no journal.
    const asFile = createHost({ dataDir: file });
    await expect(asFile).rejects.toBeInstanceOf(DataDirUnusableError);
    await expect(asFile).rejects.toThrow(`The data directory ${file} cannot be used: it is a file.`);
    await expect(createHost({ dataDir: join(file, 'below') })).rejects.toThrow(
      `The data directory ${join(file, 'below')} cannot be used: it cannot be created (ENOTDIR)`,
    );
  });

  it('makes a data directory left readable by others private again, but never a shared one', () => {
    // docs/security.md promises the journal and secrets live in a 0700 directory; one made by an
    // older version, a copy or a restore (0755) was used as it was.
    const loose = join(scratch(), 'till');
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    writeFileSync(join(loose, 'journal.db'), '');
    prepareDataDir(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o700);

    const made = join(scratch(), 'new', 'till');
    prepareDataDir(made);
    expect(statSync(made).mode & 0o777).toBe(0o700);

    // A shared directory (sticky, like /tmp) is not the app's to change.
    const shared = join(scratch(), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    prepareDataDir(shared);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  });

  it('names whichever of its files this user cannot write', () => {
    // Found by a tester: a read-only sandbox.db or journal.db-shm stopped the start with SQLite's
    // "attempt to write a readonly database", naming no file. Run as an unprivileged user (the
    // tests run as root here, which may write anything).
    const module = resolve(__dirname, '../../main/store/data-dir-lock.ts');
    for (const name of ['sandbox.db', 'journal.db-shm', 'sandbox.db-wal']) {
      const dir = scratch();
      chmodSync(dir, 0o777);
      writeFileSync(join(dir, name), '');
      chmodSync(join(dir, name), 0o444);
      const run = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          '--import',
          'tsx',
          '--eval',
          `import(${JSON.stringify(module)}).then((m) => { try { m.prepareDataDir(${JSON.stringify(dir)}); console.log('started'); } catch (e) { console.log(e.message); } })`,
        ],
        { encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } },
      );
      expect(run.stdout, run.stderr).toContain(`The data directory ${dir} cannot be used: ${name} in it is read-only.`);
    }
  });

  it('names a file of its own that is a directory, before SQLite says "unable to open database file"', async () => {
    for (const name of ['journal.db', 'sandbox.db', LOCK_FILE, 'secrets.json']) {
      const dir = scratch();
      mkdirSync(join(dir, name));
      await expect(createHost({ dataDir: dir })).rejects.toThrow(
        `The data directory ${dir} cannot be used: ${name} in it is not a file.`,
      );
    }
  });

  it('keeps a write-ahead log whose database file is missing or empty, instead of starting afresh', async () => {
    // A copy of the directory that lost journal.db kept journal.db-wal: SQLite opened an empty
    // journal and deleted that log, and the till started with no payments.
    const source = scratch();
    const db = new Database(join(source, 'journal.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE payments (id TEXT)');
    db.exec(`INSERT INTO payments VALUES ('pay_a')`);
    const wal = readFileSync(join(source, 'journal.db-wal'));
    db.close();
    expect(wal.length).toBeGreaterThan(0);
    for (const missing of [true, false]) {
      const dir = scratch();
      writeFileSync(join(dir, 'journal.db-wal'), wal);
      if (!missing) writeFileSync(join(dir, 'journal.db'), '');
      await expect(createHost({ dataDir: dir })).rejects.toThrow(
        `The data directory ${dir} cannot be used: journal.db in it is missing or empty, but journal.db-wal beside it holds its last commits.`,
      );
      expect(readFileSync(join(dir, 'journal.db-wal'))).toEqual(wal);
    }
  });

  it('makes a damaged lock file again instead of refusing to start', () => {
    const dir = scratch();
    writeFileSync(join(dir, LOCK_FILE), Buffer.alloc(4096, 'garbage '));
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    lock.release();
  });

  it('is free again once its holder is killed with kill -9', async () => {
    const dir = scratch();
    const module = resolve(__dirname, '../../main/store/data-dir-lock.ts');
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--eval',
        `import(${JSON.stringify(module)}).then((m) => { m.lockDataDir(${JSON.stringify(dir)}); console.log('held'); setInterval(() => {}, 1000); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((r) => holder.once('exit', r));
    try {
      await new Promise<void>((held, failed) => {
        holder.stdout!.on('data', (chunk: Buffer) => String(chunk).includes('held') && held());
        holder.once('exit', (code) => failed(new Error(`the holder exited (${code}) before holding the lock`)));
      });
      expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    lockDataDir(dir).release();
  });

  it('a second host on the same directory is refused, and starts once the first has closed', async () => {
    const sandbox = await startSandbox({ port: 0, db: ':memory:' });
    const dataDir = scratch();
    try {
      const first = await startTestHost({ sandbox, dataDir });
      await expect(startTestHost({ sandbox, dataDir })).rejects.toThrow(DataDirInUseError);
      // The refused start changed nothing: the first host still takes payments.
      const reader = await first.onlineReader();
      const created = await first.call('payments.create', { amount: 700, currency: 'USD', readerId: reader.id });
      expect(created.status).toBe('in_progress');
      await first.close();
      const second = await startTestHost({ sandbox, dataDir });
      try {
        expect((await second.call('payments.list', { filter: 'all', limit: 5 })).map((p) => p.id)).toContain(
          created.id,
        );
      } finally {
        await second.close();
      }
    } finally {
      await sandbox.close();
    }
  });

  it('makes the journal, the sandbox database and the secrets files private (0600) whatever the umask', async () => {
    // SQLite made journal.db, -wal and -shm with the umask (0644): readable by others wherever the
    // directory lets them through (a shared one, below). The embedded sandbox's sandbox.db (its keys,
    // its payments) stayed so (found in a security review).
    const dataDir = join(scratch(), 'till');
    const files = [
      ...['journal.db', 'sandbox.db'].flatMap((db) => [db, `${db}-wal`, `${db}-shm`]),
      'secrets.json',
      'secrets.sealed',
    ];
    const embedded = { startSandbox: ({ db }: { db: string }) => startSandbox({ port: 0, db }) };
    const umask = process.umask(0o022);
    try {
      const t = await startTestHost({ dataDir, ...embedded });
      try {
        await t.call('settings.update', { secretKey: 'sk_test_private1234567890' });
        await t.call('payments.create', { amount: 700, currency: 'USD' });
        for (const name of files.filter((name) => name !== 'secrets.sealed'))
          expect(statSync(join(dataDir, name)).mode & 0o777, name).toBe(0o600);
      } finally {
        await t.close();
      }
      // Loosened since (a copy, a restore, an older version; Electron's sealed file too): each is
      // made private again at the next start.
      writeFileSync(join(dataDir, 'secrets.sealed'), '{}');
      const left = files.filter((name) => existsSync(join(dataDir, name)));
      expect(left).toEqual(expect.arrayContaining(['journal.db', 'sandbox.db', 'secrets.json', 'secrets.sealed']));
      for (const name of left) chmodSync(join(dataDir, name), 0o644);
      const again = await startTestHost({ dataDir, ...embedded });
      await again.close();
      for (const name of left) expect(statSync(join(dataDir, name)).mode & 0o777, name).toBe(0o600);
    } finally {
      process.umask(umask);
    }
  });

  it('a sandbox started on its own makes its database private too (0600, in a 0700 directory)', async () => {
    const dir = join(scratch(), 'sandbox-only');
    const umask = process.umask(0o022);
    try {
      const sandbox = await startSandbox({ port: 0, db: join(dir, 'sandbox.db') });
      await sandbox.close();
    } finally {
      process.umask(umask);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of ['sandbox.db', 'sandbox.db-wal', 'sandbox.db-shm'].filter((n) => existsSync(join(dir, n))))
      expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o600);
    expect(statSync(join(dir, 'sandbox.db')).mode & 0o777).toBe(0o600);
  });

  it('in a directory others may write to, stores and reads no key, says why and how to fix it, and still takes test payments', async () => {
    // A shared sticky directory (like /tmp), which the app must not change.
    const dataDir = join(scratch(), 'shared');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o1777);
    expect(untrustedDataDir(dataDir)).toBe('other users may write to it (mode 1777)');
    // Someone else's file in its place would hand the till their account's key: never read.
    writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ secretKey: 'sk_test_planted1234567890' }));
    const t = await startTestHost({ dataDir });
    try {
      expect((await t.call('settings.get', {})).secretKey).toBeNull();
      const refused = await t.fail('settings.update', { secretKey: 'sk_test_mine1234567890' });
      expect(refused.code).toBe('conflict');
      expect(refused.message).toContain(`The data directory ${dataDir} is not private: other users may write to it`);
      expect(refused.message).toContain(`chmod 700 ${dataDir}`);
      expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).not.toContain('sk_test_mine');
      expect(t.host.devlog.list(50).some((e) => e.kind === 'error' && e.summary.includes('is not private'))).toBe(true);
      // The embedded sandbox needs no stored key: test payments go on.
      const reader = await t.onlineReader();
      const created = await t.call('payments.create', { amount: 700, currency: 'USD', readerId: reader.id });
      expect(created.status).toBe('in_progress');
      expect(statSync(join(dataDir, 'journal.db')).mode & 0o777).toBe(0o600);
    } finally {
      await t.close();
    }
    expect(statSync(dataDir).mode & 0o7777).toBe(0o1777);
  });

  it('stores no key in a directory of another user', async () => {
    // The tests run as root: "another user" is a uid that is not the directory's owner.
    const dataDir = join(scratch(), 'theirs');
    prepareDataDir(dataDir);
    const owner = statSync(dataDir).uid;
    expect(untrustedDataDir(dataDir, owner)).toBeNull();
    expect(untrustedDataDir(dataDir, owner + 1)).toBe(`it belongs to another user (uid ${owner})`);
    const t = await startTestHost({ dataDir, uid: owner + 1 });
    try {
      const refused = await t.fail('settings.update', { secretKey: 'sk_test_mine1234567890' });
      expect(refused.message).toContain(`The data directory ${dataDir} is not private: it belongs to another user`);
    } finally {
      await t.close();
    }
  });
});
