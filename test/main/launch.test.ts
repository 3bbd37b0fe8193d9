/**
 * `npm start` (out/main/launch.js) where it serves web mode: what it prints, and where. The built app
 * is needed (`npm test` builds it first); without it the suite is skipped, except in CI.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
      expect(app.stderr.join('')).toMatch(/serving the app in web mode instead/);
    } finally {
      await app.close();
    }
  }, 40_000);
});
