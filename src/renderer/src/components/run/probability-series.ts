import type { AlphaSnapshot } from '../../../../shared/events';
import { isAlphaSnapshot } from '../../lib/genotype';
import type { XY } from '../../lib/downsample';

// MdeNAS's distribution over ops per edge (snapshot kind 'probabilities', the same shape as an α snapshot:
// per cell type, rows = edges, columns = ops, each row sums to 1). Pure rules; no Vue, no DOM.

export interface ProbabilityEntry {
  epoch: number;
  payload: AlphaSnapshot;
}

/** Valid snapshots in epoch order, one per epoch (a later copy of an epoch, e.g. after a resume, wins). */
export function probabilityEntries(snaps: readonly { epoch: number; payload: unknown }[]): ProbabilityEntry[] {
  const byEpoch = new Map<number, ProbabilityEntry>();
  for (const s of snaps) if (isAlphaSnapshot(s.payload)) byEpoch.set(s.epoch, { epoch: s.epoch, payload: s.payload });
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** One line per op: its probability on `edge` of `cellType` at each epoch (x = epoch, 1-based). */
export function edgeOverEpochs(entries: readonly ProbabilityEntry[], cellType: string, edge: number): { name: string; points: XY[] }[] {
  const last = entries[entries.length - 1];
  if (!last) return [];
  return last.payload.ops.map((op) => ({
    name: op,
    points: entries
      .map((e): XY | null => {
        const col = e.payload.ops.indexOf(op);
        const v = e.payload.cells[cellType]?.[edge]?.[col];
        return col >= 0 && typeof v === 'number' ? [e.epoch + 1, v] : null;
      })
      .filter((p): p is XY => p !== null),
  }));
}
