/**
 * One kind of event and the listeners waiting for it: what discovery sources, transports and
 * readers hand out as onAttach/onData/onDisconnect… Pure (no Node, no DOM), so any layer may use it.
 *
 * The contract, the same one the hand-written listener sets in drivers/ had:
 * - subscribe(listener) returns an Unsubscribe. Only its first call does anything, so calling an
 *   old one again never removes a later subscription of the same function.
 * - A function subscribed twice is one listener (called once per emit), as with a Set.
 * - emit(value) calls a snapshot of the listeners taken as it starts: a listener added during an
 *   emit waits for the next one; a listener removed during an emit is still called by that emit.
 * - A listener that throws does not stop the others and never reaches the emitter's caller (a
 *   serial port's data handler, libusb's event loop, a timer, a state machine in mid-step). Its
 *   error goes to `onError` when one is given, else it is dropped. Of the copies this replaces,
 *   discovery, the registry and the Concert reader already did this; the transports, the simulated
 *   reader and the fake USB bus let the error escape, which stopped the remaining listeners and
 *   threw into whatever was delivering the event (a microtask: an uncaught exception).
 */
export type Unsubscribe = () => void;

export type Listener<T> = (value: T) => void;

export interface EmitterOptions {
  /** Told about each error a listener throws (default: dropped). Must not throw itself. */
  readonly onError?: (error: unknown) => void;
}

export class Emitter<T = void> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private readonly options: EmitterOptions = {}) {}

  /** Number of distinct listeners. */
  get size(): number {
    return this.listeners.size;
  }

  subscribe(listener: Listener<T>): Unsubscribe {
    this.listeners.add(listener);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners.delete(listener);
    };
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.failed(error);
      }
    }
  }

  /** Drops every listener (a closed device has no one left to tell). */
  clear(): void {
    this.listeners.clear();
  }

  private failed(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // The error sink failing is no reason to stop telling the other listeners.
    }
  }
}
