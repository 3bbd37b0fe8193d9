import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_DIR_NAME = 'pos-terminal-companion';

/**
 * The per-user data directory (journal, settings, secrets, the sandbox's database):
 * POS_DATA_DIR, else the platform's usual place (XDG_DATA_HOME only when absolute, as the spec says).
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.POS_DATA_DIR) return env.POS_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_DIR_NAME);
  const base =
    env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(home, '.local', 'share');
  return join(base, APP_DIR_NAME);
}
