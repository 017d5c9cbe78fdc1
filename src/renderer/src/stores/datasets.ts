import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ArgsOf, Dataset, ResultOf } from '../../../shared/api';
import { api } from '../api';
import { useNotifyStore } from './notify';

export type BuiltinDataset = ResultOf<'datasets.available'>[number];
export type DatasetSample = ResultOf<'datasets.samples'>[number];
export type SpdSample = ResultOf<'datasets.spdSamples'>[number];

export const useDatasetsStore = defineStore('datasets', () => {
  const list = ref<Dataset[]>([]);
  const available = ref<BuiltinDataset[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  /** Which import is in flight ('demo', 'fashion-mnist', 'idx'), for button spinners. */
  const importing = ref<string | null>(null);
  const samples = ref<Record<number, DatasetSample[]>>({});
  /** An SPD set's sample matrices with their eigenvalues, by dataset id. */
  const spdSamples = ref<Record<number, SpdSample[]>>({});

  async function load(): Promise<void> {
    loading.value = true;
    try {
      const [l, a] = await Promise.all([api().invoke('datasets.list', {}), api().invoke('datasets.available', {})]);
      list.value = l;
      available.value = a;
      loaded.value = true;
    } catch (err) {
      useNotifyStore().error(err, 'Cannot load datasets');
    } finally {
      loading.value = false;
    }
  }

  function upsert(d: Dataset): void {
    const i = list.value.findIndex((x) => x.id === d.id);
    if (i >= 0) list.value.splice(i, 1, d);
    else list.value.push(d);
  }

  /** Adds an import's dataset to the list and says whether it was new or already there. */
  function settle(result: ResultOf<'datasets.import'>): Dataset {
    const { alreadyImported, ...d } = result;
    upsert(d);
    const notify = useNotifyStore();
    if (alreadyImported) notify.info(`These files are already in your datasets as “${d.name}”.`);
    else notify.success(`Imported ${d.name}.`);
    return d;
  }

  async function importBuiltin(which: BuiltinDataset['which']): Promise<Dataset | null> {
    importing.value = which;
    try {
      return settle(await api().invoke('datasets.importBuiltin', { which }));
    } catch (err) {
      useNotifyStore().error(err, 'Import failed');
      return null;
    } finally {
      importing.value = null;
    }
  }

  /** Throws, so the form can show the message next to its fields too. */
  async function importIdx(args: ArgsOf<'datasets.import'>): Promise<Dataset> {
    importing.value = 'idx';
    try {
      return settle(await api().invoke('datasets.import', args));
    } finally {
      importing.value = null;
    }
  }

  /** Throws, so the form can show the message (which names the file and the problem) next to its fields. */
  async function importSpd(args: ArgsOf<'datasets.importSpd'>): Promise<Dataset> {
    importing.value = 'spd';
    try {
      return settle(await api().invoke('datasets.importSpd', args));
    } finally {
      importing.value = null;
    }
  }

  async function remove(id: number): Promise<boolean> {
    try {
      await api().invoke('datasets.delete', { id });
      list.value = list.value.filter((d) => d.id !== id);
      delete samples.value[id];
      return true;
    } catch (err) {
      useNotifyStore().error(err, 'Cannot delete the dataset');
      return false;
    }
  }

  async function loadSamples(id: number, perClass = 3): Promise<void> {
    if (list.value.find((d) => d.id === id)?.kind === 'spd') return loadSpdSamples(id);
    if (samples.value[id]) return;
    try {
      samples.value[id] = await api().invoke('datasets.samples', { id, perClass });
    } catch (err) {
      useNotifyStore().error(err, 'Cannot load sample images');
    }
  }

  async function loadSpdSamples(id: number): Promise<void> {
    if (spdSamples.value[id]) return;
    try {
      spdSamples.value[id] = await api().invoke('datasets.spdSamples', { id, perClass: 2 });
    } catch (err) {
      useNotifyStore().error(err, 'Cannot load sample matrices');
    }
  }

  return { list, available, loaded, loading, importing, samples, spdSamples, load, importBuiltin, importIdx, importSpd, remove, loadSamples };
});
