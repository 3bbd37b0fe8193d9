/**
 * The customer display's address (web mode's `#display=<key>`): its key is kept with the other
 * secrets, so the address the shop bookmarked on the second screen outlives a restart, and it is
 * replaced only on purpose (Settings → New address). The web server's side is in web-server.test.ts,
 * the whole of it in Chromium in test/e2e/display-address.test.ts.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startTestHost } from '../support/host';

describe('the customer display’s address', () => {
  const dir = mkdtempSync(join(tmpdir(), 'display-address-'));
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:' });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is kept across restarts in the private secrets file, never logged, and changed only on purpose', async () => {
    const dataDir = join(dir, 'till');
    const first = await startTestHost({ sandbox, dataDir });
    let token: string;
    try {
      const kept = first.host.customerDisplayToken();
      expect(kept.notKept).toBeNull();
      expect(kept.token).toMatch(/^[0-9a-f]{48}$/);
      token = kept.token;
      expect(first.host.customerDisplayToken().token).toBe(token);
      expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
      // Without web mode's server (the desktop app's window) there is no address to change.
      const refused = await first.fail('settings.newDisplayAddress', {});
      expect(refused).toMatchObject({ code: 'conflict', message: expect.stringContaining('no address to change') });
      expect(first.host.customerDisplayToken().token).toBe(token);
    } finally {
      await first.close();
    }

    const second = await startTestHost({ sandbox, dataDir });
    let renewed: string;
    try {
      expect(second.host.customerDisplayToken().token).toBe(token);
      const heard: string[] = [];
      second.host.onCustomerDisplayToken((next) => heard.push(next));
      await second.call('settings.newDisplayAddress', {});
      expect(heard).toHaveLength(1);
      renewed = heard[0]!;
      expect(renewed).toMatch(/^[0-9a-f]{48}$/);
      expect(renewed).not.toBe(token);
      expect(second.host.customerDisplayToken().token).toBe(renewed);
      const log = JSON.stringify(second.host.devlog.list(1_000));
      expect(log).toContain('Customer display: new address; the old one no longer works');
      expect(log).not.toContain(token);
      expect(log).not.toContain(renewed);
    } finally {
      await second.close();
    }

    const third = await startTestHost({ sandbox, dataDir });
    try {
      expect(third.host.customerDisplayToken().token).toBe(renewed);
    } finally {
      await third.close();
    }
  });

  it('in a directory others may write to, is made for this launch only, and says why', async () => {
    const dataDir = join(dir, 'shared');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o1777);
    const t = await startTestHost({ sandbox, dataDir });
    try {
      const { token, notKept } = t.host.customerDisplayToken();
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      expect(notKept).toContain('is not private');
      // The same for the whole launch, and nowhere on disk.
      expect(t.host.customerDisplayToken().token).toBe(token);
      expect(() => readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toThrow();
    } finally {
      await t.close();
    }
  });
});
