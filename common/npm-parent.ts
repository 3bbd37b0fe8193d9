/**
 * Stopping with npm. Under an npm script (`npm run web`, `npm start`, `npm run sandbox`,
 * `npm run reader -- emulate`) a process's parent is npm's shell. A SIGTERM sent to npm alone (a
 * supervisor, a script's `kill $!`; Ctrl-C signals the whole group and is fine) ends npm and that
 * shell, which does not pass it on: the process ran on, orphaned, holding what it holds (the
 * journal, a port, socat and its ptys). So when npm started it, its parent going away stops it as
 * SIGTERM does. Run directly (`node …`, nohup), it outlives its parent as before.
 *
 * Node only (it reads `process`): like common/paths.ts, for the host and the command-line tools,
 * not for the renderer.
 */
export function watchNpmParent(
  onGone: () => void,
  env: NodeJS.ProcessEnv = process.env,
  parent: number = process.ppid,
  intervalMs = 500,
): () => void {
  if (!env.npm_lifecycle_event || parent <= 1) return () => undefined;
  const timer = setInterval(() => {
    // Reparented (the shell is gone), or gone and not yet reaped.
    if (process.ppid === parent && isAlive(parent)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as { code?: unknown }).code === 'EPERM';
  }
}
