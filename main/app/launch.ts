/**
 * `npm start`: runs the Electron shell when its runtime is installed and web mode was not asked for
 * (POS_FORCE_WEB=1); otherwise says which in one line on standard error and serves the same app in
 * web mode, printing its URL. Runs in plain Node (it only asks the electron package where its binary
 * is; it never loads Electron itself).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { mainWebMode } from '../web/cli';
import { chooseLaunch } from './launch-choice';

function electronBinary(): string | null {
  try {
    // In plain Node the electron package exports the path of its downloaded binary, and throws
    // when the download was skipped.
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const choice = chooseLaunch(process.env, electronBinary);
if (choice.kind === 'electron') {
  const appDir = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(choice.binary, [appDir, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  // On standard error: with --json, standard output is one JSON line that scripts read first.
  process.stderr.write(`${choice.notice}\n`);
  mainWebMode(process.argv.slice(2), fileURLToPath(new URL('../renderer/', import.meta.url)));
}
