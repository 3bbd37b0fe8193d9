/**
 * Request ids for gateways whose API names every request (Plural's `Request-ID`). A fresh UUID per
 * request; while the payments engine performs a journaled operation, each id minted for it is
 * reported so the journal keeps it with the operation — what the gateway's support asks for when a
 * request is disputed. Carried by async context so the port's calls need no extra parameter.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const recorder = new AsyncLocalStorage<(requestId: string) => void>();

/** Runs fn; every request id minted inside it (newRequestId) is passed to record first. */
export function recordingRequestIds<T>(record: (requestId: string) => void, fn: () => Promise<T>): Promise<T> {
  return recorder.run(record, fn);
}

/** A fresh request id for one request, reported to the operation being performed, if any. */
export function newRequestId(): string {
  const id = randomUUID();
  recorder.getStore()?.(id);
  return id;
}
