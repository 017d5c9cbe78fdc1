import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import type { PushEvent } from '../../../../shared/api';
import { api } from '../../api';
import { useNotifyStore } from '../../stores/notify';
import { probabilityEntries, type ProbabilityEntry } from './probability-series';

/**
 * MdeNAS's 'probabilities' snapshots of the open run: the stored ones, then each new one as it streams in.
 * The run store keeps α snapshots only; this panel-local loader keeps the probabilities beside them.
 */
export function useProbabilities(runId: Ref<number | null>): Ref<ProbabilityEntry[]> {
  const entries = shallowRef<ProbabilityEntry[]>([]);
  let live: { epoch: number; payload: unknown }[] = [];
  let stored: { epoch: number; payload: unknown }[] = [];

  const unsubscribe = api().subscribe((e: PushEvent) => {
    if (e.type !== 'run.event' || e.runId !== runId.value) return;
    const ev = e.event;
    if (ev.type !== 'snapshot' || ev.kind !== 'probabilities') return;
    live.push({ epoch: ev.epoch, payload: ev.payload });
    entries.value = probabilityEntries([...stored, ...live]);
  });
  onBeforeUnmount(unsubscribe);

  watch(
    runId,
    async (id) => {
      stored = [];
      live = [];
      entries.value = [];
      if (id === null) return;
      try {
        const snaps = await api().invoke('runs.snapshots', { id, kind: 'probabilities' });
        if (runId.value !== id) return;
        stored = snaps;
        // Snapshots that streamed in while loading are merged; probabilityEntries keeps one per epoch.
        entries.value = probabilityEntries([...stored, ...live]);
      } catch (err) {
        useNotifyStore().error(err, 'Cannot load the MdeNAS probabilities');
      }
    },
    { immediate: true },
  );
  return entries;
}
