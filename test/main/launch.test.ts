/**
 * `npm start` (out/main/launch.js): which shell it runs and what it says (plain functions), and,
 * serving web mode, where it prints what. That part needs the built app (`npm test` builds it first);
 * without it, it is skipped, except in CI.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseLaunch, FORCED_WEB_NOTICE, NO_RUNTIME_NOTICE } from '../../main/app/launch-choice';
import { ROOT, startWebApp } from '../e2e/harness';
import { IN_CI } from '../support/tools';

const LAUNCH_ENTRY = join(ROOT, 'out/main/launch.js');

function built(): boolean {
  if (existsSync(LAUNCH_ENTRY)) return true;
  if (IN_CI) throw new Error('out/main/launch.js is missing: `npm test` builds the app first (npm run build)');
  return false;
}

describe.skipIf(!built())('npm start in web mode', () => {
  it('with --json, standard output starts with the JSON line; the notice goes to standard error', async () => {
    // Found by a tester: the notice came first on standard output, so a script reading the first line got prose.
    const app = await startWebApp({ entry: LAUNCH_ENTRY, env: { POS_FORCE_WEB: '1' } });
    try {
      expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=/);
      // POS_FORCE_WEB=1: it says web mode was asked for (the runtime may well be installed).
      expect(app.stderr.join('')).toContain(FORCED_WEB_NOTICE);
    } finally {
      await app.close();
    }
  }, 40_000);
});

describe('what npm start runs, and says', () => {
  const installed = () => '/opt/electron/electron';
  const missing = () => null;

  it('forced web mode says it was asked for, even with the runtime installed, and never looks for it', () => {
    // Found by a tester: POS_FORCE_WEB=1 said the runtime was not installed when it was.
    let looked = false;
    const choice = chooseLaunch({ POS_FORCE_WEB: '1' }, () => {
      looked = true;
      return '/opt/electron/electron';
    });
    expect(choice).toEqual({ kind: 'web', notice: FORCED_WEB_NOTICE });
    expect(FORCED_WEB_NOTICE).not.toMatch(/not installed/);
    expect(looked).toBe(false);
    expect(chooseLaunch({ POS_FORCE_WEB: '1' }, missing)).toEqual({ kind: 'web', notice: FORCED_WEB_NOTICE });
  });

  it('without it: Electron when installed, else web mode saying the runtime is missing', () => {
    expect(chooseLaunch({}, installed)).toEqual({ kind: 'electron', binary: '/opt/electron/electron' });
    expect(chooseLaunch({ POS_FORCE_WEB: '0' }, installed)).toMatchObject({ kind: 'electron' });
    expect(chooseLaunch({}, missing)).toEqual({ kind: 'web', notice: NO_RUNTIME_NOTICE });
    expect(NO_RUNTIME_NOTICE).toMatch(/^The Electron runtime is not installed here/);
  });
});
