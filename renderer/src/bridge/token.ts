/**
 * Web mode's access token: `npm start` / `npm run web` print a URL ending in `#token=<hex>`.
 * The token is moved out of the address bar (so it does not end up in history, screenshots or
 * bookmarks) into sessionStorage (so a reload of the same tab keeps working).
 */
export const TOKEN_STORAGE_KEY = 'pos.bridgeToken';

export interface TokenEnv {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState' | 'state'>;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
}

const FRAGMENT = /(?:^#|&)token=([0-9a-fA-F]{1,1024})(?:&|$)/;

/** Reads the token from the URL fragment (then removes it) or from sessionStorage; null when there is none. */
export function takeToken(env: TokenEnv): string | null {
  const match = FRAGMENT.exec(env.location.hash);
  if (match) {
    const token = match[1]!;
    try {
      env.storage?.setItem(TOKEN_STORAGE_KEY, token);
    } catch {
      // Storage may be disabled; the token still works for this page load.
    }
    env.history.replaceState(env.history.state, '', env.location.pathname + env.location.search);
    return token;
  }
  try {
    const stored = env.storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
    return stored && /^[0-9a-fA-F]{1,1024}$/.test(stored) ? stored : null;
  } catch {
    return null;
  }
}

/**
 * Whether a URL fragment hands this page a token (the cashier's or the display's). A printed URL
 * pasted into a tab already on this page differs only in its fragment, which a browser applies
 * without loading the page again: the page must then reload itself to read the new token.
 */
export function carriesToken(hash: string): boolean {
  return FRAGMENT.test(hash) || DISPLAY_FRAGMENT.test(hash);
}

/** ws://host/bridge, or wss:// when the page itself came over https. */
export function bridgeUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/bridge`;
}

/** The customer display's page: `#display=<hex>` (web mode) or `#display` (Electron's second window). */
export const DISPLAY_TOKEN_KEY = 'pos.displayToken';
export const ROLE_KEY = 'pos.pageRole';

const DISPLAY_FRAGMENT = /(?:^#|&)display(?:=([0-9a-fA-F]{1,1024}))?(?:&|$)/;

/**
 * Which screen this page is: the customer display when its URL says so (or said so before a
 * reload), else the cashier's. A display token in the fragment is moved to sessionStorage like
 * the cashier's; it is the display's own, and a cashier's token the tab held is dropped.
 */
export function takeDisplayRole(env: TokenEnv): { display: false } | { display: true; token: string | null } {
  const match = DISPLAY_FRAGMENT.exec(env.location.hash);
  const remember = (key: string, value: string) => {
    try {
      env.storage?.setItem(key, value);
    } catch {
      // Storage may be disabled; this page load still works.
    }
  };
  if (match) {
    remember(ROLE_KEY, 'display');
    // A tab that was the cashier's (or a duplicate of one) must not keep the cashier's token on the
    // screen that faces the customer.
    try {
      env.storage?.removeItem(TOKEN_STORAGE_KEY);
    } catch {
      // Storage may be disabled: then it holds no token either.
    }
    const token = match[1] ?? null;
    if (token) {
      remember(DISPLAY_TOKEN_KEY, token);
      env.history.replaceState(env.history.state, '', env.location.pathname + env.location.search);
    }
    return { display: true, token };
  }
  if (FRAGMENT.test(env.location.hash)) {
    remember(ROLE_KEY, 'cashier');
    return { display: false };
  }
  try {
    if (env.storage?.getItem(ROLE_KEY) !== 'display') return { display: false };
    const stored = env.storage.getItem(DISPLAY_TOKEN_KEY);
    return { display: true, token: stored && /^[0-9a-fA-F]{1,1024}$/.test(stored) ? stored : null };
  } catch {
    return { display: false };
  }
}
