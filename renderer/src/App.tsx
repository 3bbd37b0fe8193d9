import { useEffect, useRef } from 'react';
import { usePos, usePosStore } from './store/context';
import { customerDisplayStatus } from './store/selectors';
import type { Screen } from './store/types';
import { Banners } from './components/Banners';
import { CreatePayment } from './screens/CreatePayment';
import { ProcessPayment } from './screens/ProcessPayment';
import { SimulatePayment } from './screens/SimulatePayment';
import { Capture } from './screens/Capture';
import { Transactions } from './screens/Transactions';
import { Readers } from './screens/Readers';
import { Settings } from './screens/Settings';
import { Attention } from './screens/Attention';
import { Reports } from './screens/Reports';
import { PrintArea } from './components/PrintArea';

interface NavItem {
  screen: Screen;
  label: string;
  key: string;
  testOnly?: boolean;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { screen: 'create', label: 'Create payment', key: 'F1' },
  { screen: 'process', label: 'Process payment', key: 'F2' },
  { screen: 'simulate', label: 'Simulate payment', key: 'F3', testOnly: true },
  { screen: 'capture', label: 'Capture', key: 'F4' },
  { screen: 'transactions', label: 'Transactions', key: 'F5' },
  { screen: 'readers', label: 'Readers', key: 'F6' },
  { screen: 'settings', label: 'Settings', key: 'F7' },
  { screen: 'attention', label: 'Needs attention', key: 'F8' },
  { screen: 'reports', label: 'Reports', key: 'F9' },
];

function Nav() {
  const screen = usePos((s) => s.ui.screen);
  const mode = usePos((s) => s.host.mode);
  const attention = usePos((s) => s.host.attention.length);
  const setScreen = usePos((s) => s.setScreen);
  const openProcess = usePos((s) => s.openProcess);
  return (
    <nav className="nav" aria-label="Screens">
      <ul>
        {NAV_ITEMS.filter((item) => !item.testOnly || mode === 'test').map((item) => (
          <li key={item.screen}>
            <button
              type="button"
              className={`nav__item${item.screen === 'attention' && attention > 0 ? ' nav__item--alert' : ''}`}
              aria-current={screen === item.screen ? 'page' : undefined}
              aria-keyshortcuts={item.key}
              onClick={() => (item.screen === 'process' ? openProcess() : setScreen(item.screen))}
            >
              <span className="nav__label">
                {item.label}
                {item.screen === 'attention' ? (
                  <>
                    {' '}
                    <span className="nav__count">({attention})</span>
                  </>
                ) : null}
              </span>
              <kbd aria-hidden="true">{item.key}</kbd>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Header() {
  const mode = usePos((s) => s.host.mode);
  const merchant = usePos((s) => s.host.merchant);
  const gateway = usePos((s) => s.host.gateway);
  // Until the host has said which mode it is in, say nothing: a stale tab on a live till must
  // never claim TEST MODE (the store's default) next to "Reconnecting…". Nor once the host has
  // refused this page (restarted, with another token): what it last said may no longer hold.
  const known = usePos((s) => s.host.ready && s.link.connection !== 'refused');
  // Only the host knows whether a display is connected: with the host out of reach, that is unknown.
  const display = customerDisplayStatus({
    host: { settings: usePos((s) => s.host.settings) },
    link: { connection: usePos((s) => s.link.connection), stale: usePos((s) => s.link.stale) },
  });
  // The shop's own name first (Settings), as on its receipts; PayPlug and Plural keep none.
  const shopName = usePos((s) => s.host.settings?.counter.shopName ?? null);
  return (
    <header className="header">
      <span className="header__title">
        {shopName || merchant?.displayName || merchant?.businessName || 'POS Terminal Companion'}
      </span>
      {known && gateway ? (
        <span className="gateway-name" title={`Payments go through ${gateway.label}`}>
          {gateway.label}
        </span>
      ) : null}
      {known && display ? (
        <span
          className={`display-badge${display.state === 'connected' ? ' display-badge--on' : ''}`}
          title={display.url ? `Customer display: ${display.url}` : 'Customer display: the second window'}
        >
          Customer display: {display.state === 'unknown' ? `unknown — ${display.why}` : display.state}
        </span>
      ) : null}
      {!known ? null : mode === 'test' ? (
        <span className="mode-badge mode-badge--test" title="Test mode: no real money moves">
          TEST MODE
        </span>
      ) : (
        <span className="mode-badge mode-badge--live" title="Live mode: real cards are charged">
          LIVE
        </span>
      )}
    </header>
  );
}

function CurrentScreen({ screen }: { screen: Screen }) {
  switch (screen) {
    case 'create':
      return <CreatePayment />;
    case 'process':
      return <ProcessPayment />;
    case 'simulate':
      return <SimulatePayment />;
    case 'capture':
      return <Capture />;
    case 'transactions':
      return <Transactions />;
    case 'readers':
      return <Readers />;
    case 'settings':
      return <Settings />;
    case 'attention':
      return <Attention />;
    case 'reports':
      return <Reports />;
    default:
      return null;
  }
}

/** F-keys switch screens from anywhere (F3 only in test mode). */
function useFunctionKeys() {
  const setScreen = usePos((s) => s.setScreen);
  const openProcess = usePos((s) => s.openProcess);
  const refocus = usePos((s) => s.refocus);
  const current = usePos((s) => s.ui.screen);
  const linkNotice = usePos((s) => s.ui.linkNotice !== null);
  const mode = usePos((s) => s.host.mode);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      const item = NAV_ITEMS.find((i) => i.key === event.key);
      if (!item) return;
      // Also keeps the browser's F1 help / F5 reload / F7 caret browsing from firing in web mode.
      event.preventDefault();
      if (item.testOnly && mode !== 'test') return;
      // F2 with a link notice shown opens the payment it tells of (the notice says "F2 to see it").
      if (item.screen === 'process' && linkNotice) openProcess();
      // The key of the screen already shown starts it over from its first field, as opening it does.
      else if (item.screen === current) refocus();
      else setScreen(item.screen);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [mode, setScreen, openProcess, refocus, current, linkNotice]);
}

/**
 * Focuses the screen's first field to fix, when it shows one marked (Create payment back from a
 * refused charge: an order already paid puts the cursor in Order reference, not Amount), else its
 * first field for typing ([data-autofocus]), else its heading.
 */
function focusScreen(main: HTMLElement | null): void {
  const target =
    main?.querySelector<HTMLElement>(':is(input, select, textarea)[aria-invalid="true"]:not(:disabled)') ??
    main?.querySelector<HTMLElement>('[data-autofocus]') ??
    main?.querySelector<HTMLElement>('h1');
  target?.focus();
}

export function App() {
  const ready = usePos((s) => s.host.ready);
  const syncError = usePos((s) => s.link.syncError);
  const syncing = usePos((s) => s.link.syncing);
  const resync = usePos((s) => s.resync);
  const screen = usePos((s) => s.ui.screen);
  const focusSeq = usePos((s) => s.ui.focusSeq);
  const connection = usePos((s) => s.link.connection);
  const mainRef = useRef<HTMLElement>(null);
  const store = usePosStore();
  useFunctionKeys();

  // Move focus into the new screen (or again when asked): its first field when it has one for
  // typing, else its heading.
  useEffect(() => {
    if (!ready) return;
    focusScreen(mainRef.current);
  }, [screen, ready, focusSeq]);

  // A focused button that goes away with what it did (Capture, Pair, a confirmation) leaves the
  // focus on the page itself (browsers send no blur for it), and a keyboard-only cashier would
  // have to Tab from the top: after the screen changes, the focus goes back into it. A button only
  // disabled while its command runs (Reconcile, Apply counter settings, Add simulated reader) drops
  // the focus too, in Chromium: the focus goes back to that button once it is enabled again, not to
  // the screen's title, so Enter does it again and Tab goes on from there.
  useEffect(() => {
    const main = mainRef.current;
    if (!main || typeof MutationObserver === 'undefined') return;
    let inMain = main.contains(document.activeElement);
    let last: HTMLElement | null = inMain ? (document.activeElement as HTMLElement) : null;
    const onFocusIn = (event: FocusEvent) => {
      inMain = main.contains(event.target as Node);
      last = inMain ? (event.target as HTMLElement) : null;
    };
    const observer = new MutationObserver(() => {
      const active = document.activeElement;
      if (!inMain || (active !== null && active !== document.body)) return;
      if (last && main.contains(last)) {
        const disabled = (last as HTMLButtonElement).disabled === true;
        // Still disabled while a command runs: wait for it to be enabled again.
        if (disabled && Object.keys(store.getState().busy).length > 0) return;
        if (!disabled) last.focus();
        if (document.activeElement === last) return;
      }
      focusScreen(main);
    });
    observer.observe(main, { childList: true, subtree: true, attributes: true, attributeFilter: ['disabled'] });
    document.addEventListener('focusin', onFocusIn);
    return () => {
      observer.disconnect();
      document.removeEventListener('focusin', onFocusIn);
    };
  }, [ready, store]);

  return (
    <>
      <div className="app">
        <Header />
        <Banners />
        <div className="app__body">
          <Nav />
          <main className="main" ref={mainRef}>
            {ready ? (
              <CurrentScreen screen={screen} />
            ) : (
              <div className="loading">
                <p role="status">
                  {connection === 'refused'
                    ? 'Not connected: open the URL printed by npm start / npm run web again.'
                    : syncError
                      ? `Could not load the host's state: ${syncError}`
                      : 'Connecting to the host…'}
                </p>
                {syncError ? (
                  <button type="button" onClick={() => void resync()} disabled={syncing}>
                    Try again
                  </button>
                ) : null}
              </div>
            )}
          </main>
        </div>
      </div>
      <PrintArea />
    </>
  );
}
