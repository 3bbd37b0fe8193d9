import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { PosState, PosStore } from './index';

const StoreContext = createContext<PosStore | null>(null);

export function StoreProvider({ store, children }: { store: PosStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function usePosStore(): PosStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('usePos must be used inside <StoreProvider>');
  return store;
}

/** Reads from the store; re-renders when the selected value changes (Object.is). */
export function usePos<T>(selector: (state: PosState) => T): T {
  return useStore(usePosStore(), selector);
}
