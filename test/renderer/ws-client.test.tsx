// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HostEvent } from '../../common/contract';
import { selectTransport } from '../../renderer/src/bridge';
import {
  bridgeUrl,
  DISPLAY_TOKEN_KEY,
  takeDisplayRole,
  takeToken,
  TOKEN_STORAGE_KEY,
} from '../../renderer/src/bridge/token';
import {
  BRIDGE_PROTOCOL,
  CONNECTION_LOST_MESSAGE,
  createWsBridge,
  NOT_CONNECTED_MESSAGE,
  type WebSocketLike,
} from '../../renderer/src/bridge/ws-client';
import { FakeBridge } from './helpers';

/** A WebSocket double: records what the client sends; the test plays the server. */
class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  protocol = '';
  sent: unknown[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.serverClose(code ?? 1000);
  }

  // --- server side ---
  accept(protocol = BRIDGE_PROTOCOL): void {
    this.readyState = 1;
    this.protocol = protocol;
    this.onopen?.({});
  }

  serverSend(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  serverClose(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code, reason: '' });
  }

  static last(): FakeSocket {
    return FakeSocket.instances.at(-1)!;
  }
}

const TOKEN = 'ab12cd34ef56ab12cd34ef56ab12cd34';

beforeEach(() => {
  FakeSocket.instances = [];
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function connect() {
  const bridge = createWsBridge({ url: 'ws://127.0.0.1:5174/bridge', token: TOKEN, WebSocket: FakeSocket });
  const states: string[] = [];
  bridge.onConnection((s) => states.push(s));
  return { bridge, states };
}

describe('WebSocket bridge client', () => {
  it('connects with the protocol and token subprotocols and reports open', () => {
    const { bridge, states } = connect();
    const socket = FakeSocket.last();
    expect(socket.url).toBe('ws://127.0.0.1:5174/bridge');
    expect(socket.protocols).toEqual(['pos-bridge.v1', `token.${TOKEN}`]);
    expect(bridge.connected).toBe(false);
    socket.accept();
    expect(states).toEqual(['open']);
    expect(bridge.connected).toBe(true);
  });

  it('sends invokes with increasing ids and resolves each with its own result', async () => {
    const { bridge } = connect();
    const socket = FakeSocket.last();
    socket.accept();
    const first = bridge.invoke('readers.list', {});
    const second = bridge.invoke('payments.cancel', { paymentId: 'pay_abcdefgh01' });
    expect(socket.sent).toEqual([
      { type: 'invoke', id: 1, name: 'readers.list', input: {} },
      { type: 'invoke', id: 2, name: 'payments.cancel', input: { paymentId: 'pay_abcdefgh01' } },
    ]);
    socket.serverSend({
      type: 'result',
      id: 2,
      result: { ok: false, error: { code: 'conflict', message: 'already captured' } },
    });
    socket.serverSend({ type: 'result', id: 1, result: { ok: true, value: [] } });
    await expect(first).resolves.toEqual({ ok: true, value: [] });
    await expect(second).resolves.toEqual({ ok: false, error: { code: 'conflict', message: 'already captured' } });
  });

  it('delivers events to subscribers; a throwing listener does not stop the others', () => {
    const { bridge } = connect();
    const socket = FakeSocket.last();
    socket.accept();
    const seen: HostEvent[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    bridge.subscribe(() => {
      throw new Error('boom');
    });
    const unsubscribe = bridge.subscribe((e) => seen.push(e));
    const event: HostEvent = { seq: 4, type: 'attention', changed: [], removed: [] };
    socket.serverSend({ type: 'event', event });
    unsubscribe();
    socket.serverSend({ type: 'event', event: { ...event, seq: 5 } });
    expect(seen).toEqual([event]);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });

  it('ignores malformed messages and results for unknown ids', async () => {
    const { bridge } = connect();
    const socket = FakeSocket.last();
    socket.accept();
    const seen: HostEvent[] = [];
    bridge.subscribe((e) => seen.push(e));
    const pending = bridge.invoke('readers.list', {});
    socket.serverSend('not json');
    socket.serverSend({ type: 'event', event: { type: 'payment' } });
    socket.serverSend({ type: 'result', id: 99, result: { ok: true, value: 1 } });
    socket.serverSend({ type: 'result', id: 1, result: { nonsense: true } });
    expect(seen).toEqual([]);
    const result = await pending;
    expect(result.ok).toBe(false);
  });

  it('resolves pending invokes with an internal error when the connection drops, and never re-sends them', async () => {
    const { bridge, states } = connect();
    const socket = FakeSocket.last();
    socket.accept();
    const pending = bridge.invoke('payments.capture', { paymentId: 'pay_abcdefgh01' });
    socket.serverClose();
    await expect(pending).resolves.toEqual({
      ok: false,
      error: { code: 'internal', message: CONNECTION_LOST_MESSAGE },
    });
    expect(CONNECTION_LOST_MESSAGE).toMatch(/^Connection to the host was lost/);
    expect(states).toEqual(['open', 'closed']);
    vi.advanceTimersByTime(1000);
    const next = FakeSocket.last();
    expect(next).not.toBe(socket);
    next.accept();
    expect(next.sent).toEqual([]);
  });

  it('refuses to send while disconnected', async () => {
    const { bridge } = connect();
    await expect(bridge.invoke('readers.list', {})).resolves.toEqual({
      ok: false,
      error: { code: 'internal', message: NOT_CONNECTED_MESSAGE },
    });
    expect(FakeSocket.last().sent).toEqual([]);
  });

  it('refuses a command too large for the bridge before sending it: the socket and the commands in flight stay', async () => {
    const { bridge, states } = connect();
    const socket = FakeSocket.last();
    socket.accept();
    const inFlight = bridge.invoke('payments.capture', { paymentId: 'pay_abcdefgh01' });
    // A key pasted whole from a file: the host would close the socket (1009), losing the capture's answer.
    const huge = await bridge.invoke('settings.update', { payplugSecretKey: `sk_test_${'é'.repeat(40_000)}` });
    expect(huge).toEqual({
      ok: false,
      error: {
        code: 'validation',
        message:
          'Too much to send to the host at once (78 KB; at most 64 KB). Nothing was sent: shorten what was typed.',
      },
    });
    expect(socket.sent).toHaveLength(1);
    expect(socket.closedWith).toBeNull();
    socket.serverSend({ type: 'result', id: 1, result: { ok: true, value: { id: 'pay_abcdefgh01' } } });
    await expect(inFlight).resolves.toEqual({ ok: true, value: { id: 'pay_abcdefgh01' } });
    expect(states).toEqual(['open']);
  });

  it('reconnects with backoff 1 s, 2 s, 4 s, 8 s, then every 10 s, and resets after a success', () => {
    const { states } = connect();
    const delays: number[] = [];
    let previous = FakeSocket.instances.length;
    FakeSocket.last().serverClose();
    for (let attempt = 0; attempt < 6; attempt += 1) {
      let waited = 0;
      while (FakeSocket.instances.length === previous) {
        vi.advanceTimersByTime(250);
        waited += 250;
        if (waited > 20_000) throw new Error('no reconnect');
      }
      delays.push(waited);
      previous = FakeSocket.instances.length;
      if (attempt < 5) FakeSocket.last().serverClose();
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
    FakeSocket.last().accept();
    FakeSocket.last().serverClose();
    vi.advanceTimersByTime(999);
    expect(FakeSocket.instances.length).toBe(previous);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances.length).toBe(previous + 1);
    expect(states.filter((s) => s === 'closed').length).toBe(7);
    expect(states.filter((s) => s === 'open').length).toBe(1);
  });

  it('does not talk to a server that does not speak pos-bridge.v1', () => {
    const { states } = connect();
    const socket = FakeSocket.last();
    socket.accept('something-else');
    expect(socket.closedWith?.code).toBe(1002);
    expect(states).toEqual(['closed']);
  });

  it('a refused launch token (close 4401) is reported at once and never retried (issue 9 #10)', () => {
    const { states } = connect();
    FakeSocket.last().serverClose(4401);
    expect(states).toEqual(['refused']);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('close() stops reconnecting', () => {
    const { bridge } = connect();
    FakeSocket.last().accept();
    bridge.close();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });
});

describe('token and transport', () => {
  function env(hash: string, stored: Record<string, string> = {}) {
    const storage = new Map(Object.entries(stored));
    const replaced: string[] = [];
    return {
      storage,
      replaced,
      value: {
        location: { hash, pathname: '/', search: '?x=1', protocol: 'http:', host: '127.0.0.1:5174' },
        history: {
          state: null,
          replaceState: (_s: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)),
        },
        storage: {
          getItem: (k: string) => storage.get(k) ?? null,
          setItem: (k: string, v: string) => void storage.set(k, v),
          removeItem: (k: string) => void storage.delete(k),
        },
      },
    };
  }

  it("a tab that becomes the customer display drops the cashier's token", () => {
    // Found by an attack on the till: a tab that had been the cashier's (or a copy of it) kept the
    // cashier's token in its session storage after it was given the display's URL, on the screen
    // that faces the customer.
    const display = 'ab'.repeat(24);
    const e = env(`#display=${display}`, { [TOKEN_STORAGE_KEY]: TOKEN });
    expect(takeDisplayRole(e.value)).toEqual({ display: true, token: display });
    expect(e.storage.get(DISPLAY_TOKEN_KEY)).toBe(display);
    expect(e.storage.has(TOKEN_STORAGE_KEY)).toBe(false);
  });

  it('takes the token from the fragment, keeps it in sessionStorage and removes it from the address bar', () => {
    const e = env(`#token=${TOKEN}`);
    expect(takeToken(e.value)).toBe(TOKEN);
    expect(e.storage.get(TOKEN_STORAGE_KEY)).toBe(TOKEN);
    expect(e.replaced).toEqual(['/?x=1']);
  });

  it('uses the stored token after a reload, and none when there is none', () => {
    expect(takeToken(env('', { [TOKEN_STORAGE_KEY]: TOKEN }).value)).toBe(TOKEN);
    expect(takeToken(env('').value)).toBeNull();
    expect(takeToken(env('#token=not-hex!').value)).toBeNull();
  });

  it('builds ws:// or wss:// URLs on the page host', () => {
    expect(bridgeUrl({ protocol: 'http:', host: '127.0.0.1:5174' })).toBe('ws://127.0.0.1:5174/bridge');
    expect(bridgeUrl({ protocol: 'https:', host: 'pos.local' })).toBe('wss://pos.local/bridge');
  });

  it('prefers window.pos, else web mode with the token, else the no-token screen', () => {
    const pos = new FakeBridge();
    const base = env(`#token=${TOKEN}`).value;
    const common = {
      location: base.location,
      history: base.history,
      sessionStorage: base.storage,
      WebSocket: FakeSocket,
    };
    expect(selectTransport({ ...common, pos })).toEqual({ kind: 'electron', bridge: pos });
    const web = selectTransport(common);
    expect(web.kind).toBe('web');
    expect(FakeSocket.last().url).toBe('ws://127.0.0.1:5174/bridge');
    const none = env('').value;
    expect(
      selectTransport({
        location: none.location,
        history: none.history,
        sessionStorage: none.storage,
        WebSocket: FakeSocket,
      }),
    ).toEqual({ kind: 'no-token' });
  });
});
