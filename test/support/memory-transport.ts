/**
 * Two connected in-memory Transports, a null-modem cable in a process: what one end writes the
 * other receives, on a later microtask (never inside the write call, so a state machine never
 * re-enters itself). Test-only: lets a driver talk to an emulator without a pty.
 */
import { Emitter } from '../../common/emitter';
import type { Transport, Unsubscribe } from '../../drivers/types';

export interface MemoryTransport extends Transport {
  /** Simulates a pulled cable: both ends close, with this error. */
  unplug(reason?: string): void;
}

class End implements MemoryTransport {
  peer: End | null = null;
  private open = true;
  private readonly dataEvents = new Emitter<Uint8Array>();
  private readonly closeEvents = new Emitter<Error | undefined>();

  get isOpen(): boolean {
    return this.open;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.open) throw new Error('transport is closed');
    const copy = bytes.slice();
    const peer = this.peer;
    queueMicrotask(() => peer?.deliver(copy));
  }

  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    return this.dataEvents.subscribe(listener);
  }

  onClose(listener: (error?: Error) => void): Unsubscribe {
    return this.closeEvents.subscribe(listener);
  }

  async close(): Promise<void> {
    this.shut(undefined);
  }

  unplug(reason = 'unplugged'): void {
    const error = new Error(reason);
    this.shut(error);
    this.peer?.shut(error);
  }

  private deliver(chunk: Uint8Array): void {
    if (!this.open) return;
    this.dataEvents.emit(chunk);
  }

  private shut(error: Error | undefined): void {
    if (!this.open) return;
    this.open = false;
    this.closeEvents.emit(error);
  }
}

/** [a, b]: bytes written to a arrive at b and the other way round. */
export function createTransportPair(): [MemoryTransport, MemoryTransport] {
  const a = new End();
  const b = new End();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
