/**
 * What `npm start` runs — the Electron window, or web mode — and the one line it says when it serves
 * web mode. Plain functions (launch.ts does the spawning), so the choice is tested without Electron.
 */

export type LaunchChoice = { kind: 'electron'; binary: string } | { kind: 'web'; notice: string };

export const NO_RUNTIME_NOTICE =
  'The Electron runtime is not installed here (run `npm run electron:install` where it can be downloaded); serving the app in web mode instead.';

export const FORCED_WEB_NOTICE = 'Web mode was asked for (POS_FORCE_WEB=1): serving the app in web mode.';

/**
 * POS_FORCE_WEB=1 chooses web mode whatever is installed (the runtime is not even looked for);
 * otherwise the Electron binary `findBinary` returns, or web mode when there is none.
 */
export function chooseLaunch(env: NodeJS.ProcessEnv, findBinary: () => string | null): LaunchChoice {
  if (env.POS_FORCE_WEB === '1') return { kind: 'web', notice: FORCED_WEB_NOTICE };
  const binary = findBinary();
  return binary ? { kind: 'electron', binary } : { kind: 'web', notice: NO_RUNTIME_NOTICE };
}
