import type { PosBridge } from '../../common/contract';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in web mode. */
    pos?: PosBridge;
  }
}

export {};
