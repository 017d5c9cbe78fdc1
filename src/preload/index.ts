import { contextBridge, ipcRenderer } from 'electron';
import type { NasApi, PushEvent } from '../shared/api';

// The contextBridge, nothing else: `window.nas` implements the same NasApi as the renderer's HTTP client.
const api: NasApi = {
  async invoke(channel, args) {
    const r = (await ipcRenderer.invoke('nas:invoke', channel, args)) as { ok: boolean; value?: unknown; error?: string; hint?: string };
    if (!r.ok) throw Object.assign(new Error(r.error), { hint: r.hint });
    return r.value as never;
  },
  subscribe(listener) {
    const handler = (_e: unknown, event: PushEvent) => listener(event);
    ipcRenderer.on('nas:push', handler);
    return () => ipcRenderer.removeListener('nas:push', handler);
  },
};
contextBridge.exposeInMainWorld('nas', api);
