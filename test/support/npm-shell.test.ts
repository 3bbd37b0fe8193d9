/** The helper that runs a command as npm does: a command that fails to stop is still killed. */
import { describe, expect, it } from 'vitest';
import { waitFor } from './host';
import { isRunning, underNpmShell } from './npm-shell';

describe.skipIf(process.platform === 'win32' || !isRunning(process.pid))('underNpmShell', () => {
  it('gives up waiting on a command that outlives npm’s shell, so cleanup can kill it', async () => {
    // The failure the npm tests guard against: the command runs on once the shell is gone. Waiting
    // for it without a bound ran into the test's timeout, and the `finally` that kills it never ran.
    const run = await underNpmShell(
      `"${process.execPath}" -e "console.log('up'); setInterval(() => {}, 1000)"`,
      'stubborn',
    );
    try {
      expect(run.firstLine).toBe('up');
      await expect(run.npmGone(300)).rejects.toThrow(/still running 300 ms after npm’s shell went away/);
      expect(isRunning(run.pid)).toBe(true);
    } finally {
      run.cleanup();
    }
    await waitFor(() => !isRunning(run.pid), 10_000, 'the command to be killed');
  });
});
