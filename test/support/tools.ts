import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** True when running under CI (`CI=true`), where every test must run. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether an external tool a test suite needs is present. Outside CI a missing tool skips the
 * suite (use with `describe.skipIf(!has(...))`); under CI a missing tool is a failure, because
 * .ci/run installs every tool and a skipped test must never count as passing.
 */
export function hasTool(command: string): boolean {
  const found = command.startsWith('/') ? existsSync(command) : onPath(command);
  if (!found && IN_CI) {
    throw new Error(`${command} is required in CI (installed by .ci/run) but was not found`);
  }
  return found;
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
