import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { App } from './App';
import { safeSessionStorage, selectTransport } from './bridge';
import type { WebSocketConstructor } from './bridge/ws-client';
import { NoToken } from './screens/NoToken';
import { createPosStore } from './store';
import { StoreProvider } from './store/context';

function localPreferences(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const transport = selectTransport({
  pos: window.pos,
  location: window.location,
  history: window.history,
  sessionStorage: safeSessionStorage(window),
  WebSocket: typeof WebSocket === 'function' ? (WebSocket as unknown as WebSocketConstructor) : undefined,
});

const root = createRoot(document.getElementById('root')!);

if (transport.kind === 'no-token') {
  root.render(<NoToken />);
} else {
  const store = createPosStore(transport.bridge, { preferences: localPreferences() });
  store.start();
  root.render(
    <StrictMode>
      <StoreProvider store={store}>
        <App />
      </StoreProvider>
    </StrictMode>,
  );
}
