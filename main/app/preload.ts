/**
 * The preload: exposes exactly the contract's PosBridge as window.pos, nothing else — no
 * ipcRenderer, no Node. Runs sandboxed with context isolation.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type {
  BridgeConnectionState,
  CommandInput,
  CommandName,
  CommandResult,
  HostEvent,
  PosBridge,
  Result,
} from '../../common/contract';

const bridge: PosBridge = {
  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<Result<CommandResult<N>>> {
    return ipcRenderer.invoke('pos:invoke', name, input) as Promise<Result<CommandResult<N>>>;
  },
  subscribe(listener: (event: HostEvent) => void) {
    const handler = (_event: IpcRendererEvent, hostEvent: HostEvent) => listener(hostEvent);
    ipcRenderer.on('pos:event', handler);
    return () => {
      ipcRenderer.removeListener('pos:event', handler);
    };
  },
  onConnection(listener: (state: BridgeConnectionState) => void) {
    // IPC to the main process cannot drop; it is open for the window's lifetime.
    listener('open');
    return () => undefined;
  },
};

contextBridge.exposeInMainWorld('pos', bridge);
