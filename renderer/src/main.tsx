import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { App } from './App';
import { safeSessionStorage, selectTransport } from './bridge';
import { bridgeUrl, carriesToken, takeDisplayRole } from './bridge/token';
import { createWsBridge, type WebSocketConstructor } from './bridge/ws-client';
import { CustomerDisplayApp } from './display/CustomerDisplay';
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

// The printed URL opened in a tab already on this page (one without a token, or one from an earlier
// launch on the same port) changes only the fragment, and the browser does not load the page again:
// do it here, so the new token is read instead of the page staying refused.
window.addEventListener('hashchange', () => {
  if (carriesToken(window.location.hash)) window.location.reload();
});

const root = createRoot(document.getElementById('root')!);
const storage = safeSessionStorage(window);
const Socket = typeof WebSocket === 'function' ? (WebSocket as unknown as WebSocketConstructor) : undefined;
// The customer display (a second URL with its own token, or Electron's second window) is its own app.
const role = takeDisplayRole({ location: window.location, history: window.history, storage });

if (role.display) {
  const bridge = window.pos
    ? window.pos
    : role.token && Socket
      ? createWsBridge({ url: bridgeUrl(window.location), token: role.token, WebSocket: Socket })
      : null;
  document.title = 'Customer display';
  root.render(
    bridge ? (
      <StrictMode>
        <CustomerDisplayApp bridge={bridge} />
      </StrictMode>
    ) : (
      <NoToken />
    ),
  );
} else {
  startCashier();
}

function startCashier() {
  const transport = selectTransport({
    pos: window.pos,
    location: window.location,
    history: window.history,
    sessionStorage: storage,
    WebSocket: Socket,
  });

  if (transport.kind === 'no-token') {
    root.render(<NoToken />);
  } else {
    const store = createPosStore(transport.bridge, { preferences: localPreferences(), session: storage });
    store.start();
    root.render(
      <StrictMode>
        <StoreProvider store={store}>
          <App />
        </StoreProvider>
      </StrictMode>,
    );
  }
}
