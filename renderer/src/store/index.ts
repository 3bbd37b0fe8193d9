import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PosBridge } from '../../../common/contract';
import { createCommandsSlice } from './commands-slice';
import { createHostSlice } from './host-slice';
import { HostSync } from './sync';
import type { PosState } from './types';
import { draftCurrency } from './selectors';
import { createUiSlice, keepDraft, keepLastCharge, type Preferences } from './ui-slice';

export type { PosState } from './types';

export interface PosStore extends StoreApi<PosState> {
  /** Subscribes to the bridge and loads the first snapshot; returns the stop function. */
  start(): () => void;
}

export interface PosStoreOptions {
  /** Where the last currency and reader are remembered (localStorage in the app). */
  preferences?: Preferences | null;
  /** What this tab keeps across a reload (sessionStorage in the app): the cashier's last Charge, the form. */
  session?: Preferences | null;
}

/** The one store: host-mirrored slice + local UI slice + the commands that talk to the host. */
export function createPosStore(bridge: PosBridge, options: PosStoreOptions = {}): PosStore {
  const prefs = options.preferences ?? null;
  const session = options.session ?? null;
  let sync: HostSync | null = null;
  const store = createStore<PosState>()((...args) => ({
    ...createHostSlice(...args),
    ...createUiSlice(prefs, session)(...args),
    ...createCommandsSlice(bridge, prefs, () => sync?.resync() ?? Promise.resolve())(...args),
  }));
  // One place keeps the last Charge for a reload, whichever action changed it.
  store.subscribe((state, before) => {
    if (state.ui.lastCharge !== before.ui.lastCharge) keepLastCharge(session, state.ui.lastCharge);
    // And what is typed on Create payment, so a reload mid-sale loses nothing.
    if (state.ui.draft !== before.ui.draft) keepDraft(session, state.ui.draft, draftCurrency(state));
  });
  const hostSync = new HostSync(store, bridge);
  sync = hostSync;
  return Object.assign(store, { start: () => hostSync.start() });
}
