/**
 * The one contract between the cashier UI and the host: commands (./commands.ts, zod schemas)
 * and views, errors and events (./views.ts, zod-free). The Electron preload exposes it as
 * `window.pos`; web mode exposes the same interface over a WebSocket.
 */
export * from './commands';
export * from './views';
