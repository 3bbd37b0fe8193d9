/**
 * A command started as `npm run …` starts it: under a shell, with npm's `npm_lifecycle_event` set.
 * Killing that shell alone stands for a SIGTERM sent to npm alone (npm passes it to its shell,
 * which dies without passing it on), after which the command must stop by itself.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface NpmShellRun {
  /** The command's first line on standard output. */
  firstLine: string;
  /** The command's process (the shell's child). */
  pid: number;
  stderr(): string;
  /**
   * Kills the shell, as npm's SIGTERM does, and waits for the command to close its output — at most
   * `withinMs`, then rejects: a command that runs on (the failure under test) must not hold the test
   * until its timeout, which skips the test's `finally` and so its cleanup().
   */
  npmGone(withinMs?: number): Promise<void>;
  /** Kills whatever is left: never a process outliving the test, whatever it asserted. */
  cleanup(): void;
}

/** Well under the tests' 20 s timeout, so their `finally` (cleanup) runs. */
const NPM_GONE_WITHIN_MS = 10_000;

export async function underNpmShell(command: string, lifecycle: string, cwd?: string): Promise<NpmShellRun> {
  const shell = spawn('sh', ['-c', `${command}; true`], {
    ...(cwd ? { cwd } : {}),
    env: { ...process.env, npm_lifecycle_event: lifecycle },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The command holds the pipes after the shell is gone: they end when it exits.
  const ended = new Promise<void>((resolve) => shell.stdout.on('end', () => resolve()));
  const pid = await new Promise<number>((resolve, reject) => {
    shell.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(childOf(shell.pid!));
    });
    shell.on('exit', () => reject(new Error(`${command} did not start: ${stderr}`)));
  });
  return {
    firstLine: stdout.split('\n')[0]!,
    pid,
    stderr: () => stderr,
    async npmGone(withinMs = NPM_GONE_WITHIN_MS) {
      shell.kill('SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${command} is still running ${withinMs} ms after npm’s shell went away`)),
          withinMs,
        );
      });
      try {
        await Promise.race([ended, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    cleanup() {
      shell.kill('SIGKILL');
      if (pid > 0 && isRunning(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}

function childOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0;
  }
}

/** Whether a process runs (a zombie — exited, not yet reaped — does not). */
export function isRunning(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
