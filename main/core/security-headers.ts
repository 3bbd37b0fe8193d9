/**
 * The defensive headers every answer of the host's HTTP servers carries — the web-mode server's
 * (`main/web/server.ts`) and the webhook receiver's (`main/webhooks/receiver.ts`) —, one set so the
 * two cannot drift apart. Only the content security policy differs: what the answer's page may load.
 */
export function securityHeaders(contentSecurityPolicy: string): Readonly<Record<string, string>> {
  return {
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
