/**
 * `npm run sandbox` stopped with SIGTERM sent to npm alone (a CI script's `kill $!`): npm's shell
 * dies without passing the signal on, and the sandbox used to run on, orphaned, holding its port
 * and database. Started by npm, it now closes once its parent is gone.
 */
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { underNpmShell } from '../support/npm-shell';

const ROOT = join(__dirname, '../..');

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe.skipIf(process.platform === 'win32')('npm run sandbox', () => {
  it('closes when npm’s shell goes away, freeing its port', async () => {
    const run = await underNpmShell(
      `"${process.execPath}" --import tsx sandbox/cli.ts --port 0 --db :memory: --json --quiet`,
      'sandbox',
      ROOT,
    );
    try {
      const port = Number(new URL((JSON.parse(run.firstLine) as { url: string }).url).port);
      await run.npmGone();
      expect(run.stderr()).toContain('sandbox: npm, which started it, has stopped; closing.');
      expect(await refused(port)).toBe(true);
    } finally {
      run.cleanup();
    }
  });
});
