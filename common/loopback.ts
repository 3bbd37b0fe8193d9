/** Whether a URL's hostname names this machine (the only place test-mode deliveries may go). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '::1';
}

/**
 * The address a loopback-only server may bind, from what a person typed (`127.0.0.1`, `localhost`,
 * `::1` or `[::1]`), or null for any other: the sandbox holds test keys and money-like state, and
 * the till's own servers listen on 127.0.0.1 alone.
 */
export function loopbackBindAddress(host: string): string | null {
  if (!isLoopbackHost(host)) return null;
  return host === '[::1]' ? '::1' : host;
}
