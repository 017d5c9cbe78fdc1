// Injected by the build (electron.vite.config.ts `define`); the fallback serves tests run from source.
declare const __APP_VERSION__: string | undefined;
export const APP_VERSION: string = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';
