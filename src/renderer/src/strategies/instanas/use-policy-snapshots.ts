import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import type { PushEvent } from '../../../../shared/api';
import type { PolicySnapshot } from '../../../../shared/instanas';
import { api } from '../../api';
import { useNotifyStore } from '../../stores/notify';
import { isPolicySnapshot } from './instanas-view';

export interface PolicyEntry {
  epoch: number;
  payload: PolicySnapshot;
}

/**
 * The open run's 'policy' snapshots (greedy policies on validation, one per phase-2 epoch): the stored ones,
 * then each new one as it streams in. The run store keeps α snapshots only; this loader keeps these beside them.
 */
export function usePolicySnapshots(runId: Ref<number | null>): Ref<PolicyEntry[]> {
  const entries = shallowRef<PolicyEntry[]>([]);
  let stored: PolicyEntry[] = [];
  let live: PolicyEntry[] = [];
  const merge = () => {
    // One per epoch, the later one winning (a resumed run repeats the epoch it was paused in).
    const byEpoch = new Map<number, PolicyEntry>();
    for (const e of [...stored, ...live]) byEpoch.set(e.epoch, e);
    entries.value = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  };
  const keep = (list: { epoch: number; payload: unknown }[]) => list.filter((s): s is PolicyEntry => isPolicySnapshot(s.payload));

  const unsubscribe = api().subscribe((e: PushEvent) => {
    if (e.type !== 'run.event' || e.runId !== runId.value) return;
    const ev = e.event;
    if (ev.type !== 'snapshot' || ev.kind !== 'policy') return;
    live.push(...keep([{ epoch: ev.epoch, payload: ev.payload }]));
    merge();
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
        const snaps = await api().invoke('runs.snapshots', { id, kind: 'policy' });
        if (runId.value !== id) return;
        stored = keep(snaps);
        merge();
      } catch (err) {
        useNotifyStore().error(err, 'Cannot load the InstaNAS policy snapshots');
      }
    },
    { immediate: true },
  );
  return entries;
}
