/**
 * The soak's bridge client: the contract over web mode's WebSocket, exactly as the renderer uses
 * it (subprotocols `pos-bridge.v1` + `token.<launch token>`, our page's Origin). Every frame in
 * either direction goes to the recorder before anything else reads it.
 */
import WebSocket from 'ws';
import type { CommandName, CommandResult, HostEvent, Result } from '../../common/contract';

export type Direction = 'sent' | 'received';
export type Recorder = (direction: Direction, text: string) => void;

/** The bridge closed (the host died or was killed) before the answer came. */
export class BridgeClosed extends Error {
  constructor(message = 'the bridge closed before the host answered') {
    super(message);
    this.name = 'BridgeClosed';
  }
}

/** The host did not answer within the call's bound. */
export class BridgeTimeout extends Error {
  constructor(name: string, ms: number) {
    super(`${name} got no answer within ${ms} ms`);
    this.name = 'BridgeTimeout';
  }
}

interface Pending {
  resolve: (result: Result<unknown>) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface BridgeOptions {
  /** http://127.0.0.1:PORT (what web mode prints as `origin`). */
  origin: string;
  token: string;
  record: Recorder;
  onEvent?: (event: HostEvent) => void;
  /** Default bound for one command. */
  callTimeoutMs?: number;
}

export class BridgeClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedFlag = false;
  private readonly closeListeners = new Set<() => void>();

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: BridgeOptions,
  ) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString('latin1') : String(data);
      options.record('received', text);
      let message: { type?: string; id?: number; result?: Result<unknown>; event?: HostEvent } | undefined;
      try {
        message = JSON.parse(text) as typeof message;
      } catch {
        return;
      }
      if (message?.type === 'result' && typeof message.id === 'number') {
        const waiting = this.pending.get(message.id);
        if (!waiting || !message.result) return;
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        waiting.resolve(message.result);
      } else if (message?.type === 'event' && message.event) {
        try {
          options.onEvent?.(message.event);
        } catch {
          // A listener's failure must not stop the bridge.
        }
      }
    });
    ws.on('close', () => this.shut());
    ws.on('error', () => this.shut());
  }

  static connect(options: BridgeOptions, timeoutMs = 10_000): Promise<BridgeClient> {
    const url = `${options.origin.replace(/^http/, 'ws')}/bridge`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ['pos-bridge.v1', `token.${options.token}`], {
        headers: { Origin: options.origin },
        handshakeTimeout: timeoutMs,
      });
      const fail = (error: Error) => {
        ws.removeAllListeners();
        ws.terminate();
        reject(error);
      };
      ws.once('error', fail);
      ws.once('unexpected-response', (_request, response) =>
        fail(new Error(`bridge refused: HTTP ${response.statusCode}`)),
      );
      ws.once('open', () => {
        ws.off('error', fail);
        resolve(new BridgeClient(ws, options));
      });
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Sends one command; rejects with BridgeClosed / BridgeTimeout, resolves with the host's Result. */
  invoke<N extends CommandName>(
    name: N,
    input: unknown,
    timeoutMs = this.options.callTimeoutMs ?? 30_000,
  ): Promise<Result<CommandResult<N>>> {
    if (this.closedFlag) return Promise.reject(new BridgeClosed());
    const id = this.nextId++;
    const text = JSON.stringify({ type: 'invoke', id, name, input });
    return new Promise<Result<CommandResult<N>>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BridgeTimeout(name, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: Result<unknown>) => void, reject, timer });
      this.options.record('sent', text);
      this.ws.send(text, (error) => {
        if (!error) return;
        const waiting = this.pending.get(id);
        if (!waiting) return;
        this.pending.delete(id);
        clearTimeout(waiting.timer);
        reject(new BridgeClosed(`send failed: ${error.message}`));
      });
    });
  }

  close(): void {
    this.ws.close();
    this.shut();
  }

  private shut(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new BridgeClosed());
      this.pending.delete(id);
    }
    for (const listener of [...this.closeListeners]) listener();
    this.ws.terminate();
  }
}
