/**
 * `npm run sandbox` stopped with SIGTERM sent to npm alone (a CI script's `kill $!`): npm's shell
 * dies without passing the signal on, and the sandbox used to run on, orphaned, holding its port
 * and database. Started by npm, it now closes once its parent is gone.
 */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
    const shell = spawn(
      'sh',
      ['-c', `"${process.execPath}" --import tsx sandbox/cli.ts --port 0 --db :memory: --json --quiet; true`],
      { cwd: ROOT, env: { ...process.env, npm_lifecycle_event: 'sandbox' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let stdout = '';
      let stderr = '';
      shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // The sandbox holds the pipes after the shell is gone: they end when it exits.
      const ended = new Promise<void>((resolve) => shell.stdout.on('end', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        shell.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('\n')) resolve();
        });
        shell.on('exit', () => reject(new Error(`the sandbox did not start: ${stderr}`)));
      });
      const port = Number(new URL((JSON.parse(stdout) as { url: string }).url).port);
      shell.kill('SIGKILL');
      await ended;
      expect(stderr).toContain('sandbox: npm, which started it, has stopped; closing.');
      expect(await refused(port)).toBe(true);
    } finally {
      shell.kill('SIGKILL');
    }
  });
});
