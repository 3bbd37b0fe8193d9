/**
 * The app's ids of the gateway's own ("cloud") readers: `rdr_cloud_<gateway reader id>`, with no
 * journal record. Every other reader id is one this till hosts (a terminal, a simulated reader).
 */
export const CLOUD_PREFIX = 'rdr_cloud_';

/** Whether the reader is the gateway's own: a reader this till hosts has no such id. */
export function gatewayHostedReader(readerId: string): boolean {
  return readerId.startsWith(CLOUD_PREFIX);
}
