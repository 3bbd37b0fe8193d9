/**
 * How the built renderer is served, shared by both shells (web mode's HTTP server and Electron's
 * app:// protocol): content types by extension, and one content security policy that differs only
 * in where the page may connect (web mode: its own WebSocket; Electron: nowhere, it uses IPC).
 */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export function contentSecurityPolicy(connectSrc: "'self'" | "'none'"): string {
  return `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connectSrc}; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}
