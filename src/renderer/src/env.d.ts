import type { NasApi } from '../../shared/api';

declare global {
  interface Window {
    /** Exposed by the Electron preload through contextBridge; absent in a browser. */
    nas?: NasApi;
  }
}

export {};
