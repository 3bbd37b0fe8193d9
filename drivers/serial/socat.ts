/**
 * Virtual serial port pairs made by socat (a null-modem cable between two ptys), for the
 * emulator and for tests that run the real serialport binding without hardware.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findOnPath } from './list';

export interface PtyPair {
  /** Symlinks to the two /dev/pts nodes. */
  readonly a: string;
  readonly b: string;
  readonly pid: number;
  /** Resolves when socat exits (after stop() or when killed from outside). */
  readonly exited: Promise<void>;
  /** Kills socat (which removes the links) and the temporary directory. */
  stop(): Promise<void>;
}

export interface PtyPairOptions {
  /** Where the links go (default: a new directory under the OS temp dir). */
  readonly linkA?: string;
  readonly linkB?: string;
  /** Default 5000 ms for socat to create both links. */
  readonly timeoutMs?: number;
}

export class SocatMissingError extends Error {
  constructor() {
    super(
      'socat is not installed: it makes the virtual port pair (Debian/Ubuntu: apt-get install socat; macOS: brew install socat)',
    );
    this.name = 'SocatMissingError';
  }
}

/**
 * A link path socat may (re)create: absent, or a symlink (a stale one from an earlier run), in a
 * directory that exists (socat would only log its failure to make the link, on several lines).
 */
function checkLinkPath(path: string): void {
  const dir = dirname(path);
  if (!isDirectory(dir)) throw new Error(`cannot create ${path}: ${dir} is not an existing directory`);
  if (!existsSync(path) && !isSymlink(path)) return;
  if (!isSymlink(path)) throw new Error(`refusing to replace ${path}: it exists and is not a symlink`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** socat's error lines ("… socat[123] E what went wrong"), without its timestamps, on one line. */
export function socatErrors(stderr: string): string {
  const errors = stderr
    .split('\n')
    .map((line) => /\bsocat\[\d+\] [EF] (.*)$/.exec(line)?.[1]?.trim())
    .filter((line): line is string => Boolean(line));
  return errors.length > 0 ? errors.join('; ') : stderr.trim().replace(/\s*\n\s*/g, ' / ') || 'no output';
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export async function createPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const socat = findOnPath('socat');
  if (!socat) throw new SocatMissingError();
  const dir = options.linkA && options.linkB ? null : mkdtempSync(join(tmpdir(), 'pos-reader-'));
  const a = options.linkA ?? join(dir!, 'terminal');
  const b = options.linkB ?? join(dir!, 'ecr');
  checkLinkPath(a);
  checkLinkPath(b);
  const child = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let done = false;
  void exited.then(() => {
    done = true;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const stop = async (): Promise<void> => {
    if (!done) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  while (!(existsSync(a) && existsSync(b))) {
    if (done) throw new Error(`socat exited before creating the ports: ${socatErrors(stderr)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`socat did not create ${a} and ${b} in time: ${socatErrors(stderr)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { a, b, pid: child.pid ?? -1, exited, stop };
}
