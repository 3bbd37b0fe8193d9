import {
  BRIDGE_MAX_MESSAGE_BYTES,
  BRIDGE_TOKEN_REFUSED,
  type BridgeConnectionState,
} from '../../../common/contract/views';
import type {
  CommandError,
  CommandInput,
  CommandName,
  CommandResult,
  HostEvent,
  PosBridge,
  Result,
} from '../../../common/contract';

/**
 * Web mode's PosBridge: the same contract as the Electron preload, over a WebSocket to the host.
 *
 *   client → server  {"type":"invoke","id":n,"name":"payments.create","input":{…}}
 *   server → client  {"type":"result","id":n,"result":{"ok":true,"value":…}|{"ok":false,"error":{…}}}
 *                    {"type":"event","event":HostEvent}
 *
 * The token travels as a second subprotocol ("token.<hex>"); the server echoes "pos-bridge.v1".
 * A lost connection is retried with backoff (1 s, 2 s, 4 s, 8 s, then every 10 s). Commands are
 * never re-sent: whatever was waiting for an answer resolves as an error, and the UI refreshes
 * its state from a snapshot once the connection is back.
 */
export const BRIDGE_PROTOCOL = 'pos-bridge.v1';

/** The part of the browser WebSocket this client uses (so tests can inject a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WsBridgeOptions {
  url: string;
  token: string;
  WebSocket: WebSocketConstructor;
  timers?: Timers;
  /** First retry delay and the cap, in ms. */
  backoff?: { initialMs: number; maxMs: number };
}

export interface WsBridge extends PosBridge {
  /** Stops the client for good: closes the socket and cancels reconnects. */
  close(): void;
  readonly connected: boolean;
}

const OPEN = 1;

export const CONNECTION_LOST_MESSAGE =
  'Connection to the host was lost before it answered. The host may still have done it: check the current state before trying again.';
export const NOT_CONNECTED_MESSAGE =
  'Not connected to the host (reconnecting). Nothing was sent; try again when the connection is back.';

function failure(message: string): { ok: false; error: CommandError } {
  return { ok: false, error: { code: 'internal', message } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isResult(value: unknown): value is Result<unknown> {
  if (!isRecord(value)) return false;
  if (value.ok === true) return 'value' in value;
  return (
    value.ok === false &&
    isRecord(value.error) &&
    typeof value.error.code === 'string' &&
    typeof value.error.message === 'string'
  );
}

function isHostEvent(value: unknown): value is HostEvent {
  return (
    isRecord(value) && typeof value.seq === 'number' && Number.isInteger(value.seq) && typeof value.type === 'string'
  );
}

const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function createWsBridge(options: WsBridgeOptions): WsBridge {
  const timers = options.timers ?? defaultTimers;
  const backoff = options.backoff ?? { initialMs: 1_000, maxMs: 10_000 };
  const eventListeners = new Set<(event: HostEvent) => void>();
  const connectionListeners = new Set<(state: BridgeConnectionState) => void>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let socket: WebSocketLike | null = null;
  let open = false;
  let stopped = false;
  let failures = 0;
  let retryTimer: unknown = null;
  let nextId = 1;

  const emitConnection = (state: BridgeConnectionState) => {
    for (const listener of [...connectionListeners]) {
      try {
        listener(state);
      } catch (error) {
        console.error('connection listener failed', error);
      }
    }
  };

  const settleAll = () => {
    const waiting = [...pending.values()];
    pending.clear();
    for (const resolve of waiting) resolve(failure(CONNECTION_LOST_MESSAGE));
  };

  const scheduleReconnect = () => {
    if (stopped || retryTimer !== null) return;
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 16));
    failures += 1;
    retryTimer = timers.setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  };

  const onMessage = (data: unknown) => {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!isRecord(message)) return;
    if (message.type === 'result' && typeof message.id === 'number') {
      const resolve = pending.get(message.id);
      if (!resolve) return;
      pending.delete(message.id);
      resolve(
        isResult(message.result) ? message.result : failure('The host sent an answer this screen does not understand.'),
      );
    } else if (message.type === 'event' && isHostEvent(message.event)) {
      const event = message.event;
      for (const listener of [...eventListeners]) {
        try {
          listener(event);
        } catch (error) {
          // One broken listener must not stop the others from hearing about the host.
          console.error('event listener failed', error);
        }
      }
    }
  };

  function connect(): void {
    if (stopped) return;
    let ws: WebSocketLike;
    try {
      ws = new options.WebSocket(options.url, [BRIDGE_PROTOCOL, `token.${options.token}`]);
    } catch (error) {
      console.error('cannot open the bridge socket', error);
      emitConnection('closed');
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      if (ws.protocol !== BRIDGE_PROTOCOL) {
        // Not our host (or an old one): do not talk to it.
        ws.close(1002, 'unsupported protocol');
        return;
      }
      open = true;
      failures = 0;
      emitConnection('open');
    };
    ws.onmessage = (event) => {
      if (socket === ws) onMessage(event.data);
    };
    ws.onerror = () => {
      // A close event always follows; that is where the retry is scheduled.
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      open = false;
      settleAll();
      if (event.code === BRIDGE_TOKEN_REFUSED) {
        // This page's launch token is not the running host's: no retry can fix that.
        stopped = true;
        emitConnection('refused');
        return;
      }
      emitConnection('closed');
      scheduleReconnect();
    };
  }

  connect();

  return {
    get connected() {
      return open;
    },
    invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandResult<N>>> {
      const ws = socket;
      if (!open || !ws || ws.readyState !== OPEN) {
        return Promise.resolve(failure(NOT_CONNECTED_MESSAGE));
      }
      const id = nextId++;
      const message = JSON.stringify({ type: 'invoke', id, name, input });
      // Past the host's limit the socket would be closed (1009), and with it the answers of every
      // command in flight (a payment being created among them): refused here, nothing sent.
      const bytes = new TextEncoder().encode(message).length;
      if (bytes > BRIDGE_MAX_MESSAGE_BYTES) {
        const kb = (n: number) => Math.round(n / 1024);
        return Promise.resolve({
          ok: false,
          error: {
            code: 'validation',
            message: `Too much to send to the host at once (${kb(bytes)} KB; at most ${kb(BRIDGE_MAX_MESSAGE_BYTES)} KB). Nothing was sent: shorten what was typed.`,
          },
        });
      }
      return new Promise<Result<CommandResult<N>>>((resolve) => {
        pending.set(id, resolve as (result: Result<unknown>) => void);
        try {
          ws.send(message);
        } catch {
          pending.delete(id);
          resolve(failure(NOT_CONNECTED_MESSAGE));
        }
      });
    },
    subscribe(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => {
        connectionListeners.delete(listener);
      };
    },
    close() {
      stopped = true;
      if (retryTimer !== null) timers.clearTimeout(retryTimer);
      retryTimer = null;
      const ws = socket;
      socket = null;
      open = false;
      settleAll();
      ws?.close(1000, 'client closed');
    },
  };
}
