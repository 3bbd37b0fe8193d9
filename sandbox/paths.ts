/** Where the standalone sandbox keeps its database when no --db is given: the user's data directory. */
import { join } from 'node:path';
import { defaultDataDir } from '../common/paths';

export function defaultDatabasePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home?: string,
): string {
  return join(defaultDataDir(env, platform, home), 'sandbox.db');
}
