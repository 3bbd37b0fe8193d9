/**
 * The active gateway and its embedded sandbox: one sandbox for the till, however its
 * configuration is asked for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock';
import { MemorySecretStore } from '../../main/config/secrets';
import { SettingsStore } from '../../main/config/settings';
import { ActiveGateway, type EmbeddedSandbox } from '../../main/host/active-gateway';
import { DevLog } from '../../main/host/devlog';
import { Journal } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { startSandbox } from '../../sandbox/index';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('active gateway', () => {
  it('starts one embedded sandbox when two configurations overlap (two Settings saves at once)', async () => {
    // Two saves that switch the account at once (two windows) each reconfigure the gateway. Both
    // found no sandbox yet and each started one on the data directory's sandbox.db: the second is
    // refused now that a database file takes one sandbox only, and the save failed with it.
    const dataDir = mkdtempSync(join(tmpdir(), 'active-gateway-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const clock = new FakeClock();
    const settings = new SettingsStore(new Journal(openDatabase(':memory:'), clock), new MemorySecretStore());
    const started: EmbeddedSandbox[] = [];
    const active = new ActiveGateway({
      settings,
      dataDir,
      startSandbox: async ({ db }) => {
        const sandbox = await startSandbox({ port: 0, db });
        started.push(sandbox);
        cleanup.push(() => sandbox.close());
        return sandbox;
      },
      http: {},
      devlog: new DevLog(clock),
    });
    await expect(Promise.all([active.configure(), active.configure()])).resolves.toBeDefined();
    expect(started).toHaveLength(1);
    expect(active.sandboxUrl).toBe(started[0]!.url);
    expect(active.peek()).not.toBeNull();
  });
});
