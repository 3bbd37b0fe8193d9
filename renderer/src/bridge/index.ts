import type { PosBridge } from '../../../common/contract';
import { bridgeUrl, takeToken } from './token';
import { createWsBridge, type WebSocketConstructor } from './ws-client';

export type Transport =
  | { kind: 'electron'; bridge: PosBridge }
  | { kind: 'web'; bridge: PosBridge }
  /** Web mode opened without the token: the cashier must use the URL the host printed. */
  | { kind: 'no-token' };

export interface TransportEnv {
  pos?: PosBridge;
  location: Pick<Location, 'hash' | 'pathname' | 'search' | 'protocol' | 'host'>;
  history: Pick<History, 'replaceState' | 'state'>;
  sessionStorage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
  WebSocket?: WebSocketConstructor;
}

/** Electron's preload bridge when there is one, otherwise the WebSocket bridge of web mode. */
export function selectTransport(env: TransportEnv): Transport {
  if (env.pos) return { kind: 'electron', bridge: env.pos };
  const token = takeToken({ location: env.location, history: env.history, storage: env.sessionStorage });
  if (!token || !env.WebSocket) return { kind: 'no-token' };
  return { kind: 'web', bridge: createWsBridge({ url: bridgeUrl(env.location), token, WebSocket: env.WebSocket }) };
}

/** Reads sessionStorage without throwing when the browser blocks it. */
export function safeSessionStorage(win: Window): Storage | null {
  try {
    return win.sessionStorage;
  } catch {
    return null;
  }
}
