import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ResultOf } from '../../../shared/api';
import { api, onConnection, type ConnectionState } from '../api';
import { useNotifyStore } from './notify';

/** App-wide state: version, mode (electron | headless), data folder, live-connection state. */
export const useAppStore = defineStore('app', () => {
  const info = ref<ResultOf<'app.info'> | null>(null);
  const connection = ref<ConnectionState>('connecting');
  let started = false;

  async function load(): Promise<void> {
    if (started) return;
    started = true;
    onConnection((s) => {
      connection.value = s;
    });
    try {
      info.value = await api().invoke('app.info', {});
    } catch (err) {
      useNotifyStore().error(err, 'Cannot load application info');
    }
  }

  return { info, connection, load };
});
