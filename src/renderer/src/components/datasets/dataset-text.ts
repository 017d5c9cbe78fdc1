import type { Dataset } from '../../../../shared/api';

// Small text helpers shared by the Datasets view's parts.

/** The location may be a path or a JSON object of paths (IDX: train/test images and labels), one per line. */
export function locationText(loc: string): string {
  if (!loc.startsWith('{')) return loc;
  try {
    const o = JSON.parse(loc) as Record<string, unknown>;
    const paths = Object.values(o).filter((v): v is string => typeof v === 'string');
    return paths.length ? paths.join('\n') : loc;
  } catch {
    return loc;
  }
}

export function firstPath(loc: string): string {
  return locationText(loc).split('\n')[0];
}

export function maxCount(d: Dataset): number {
  return Math.max(1, ...d.classCounts);
}

/** Smallest class over largest class, as a percentage. */
export function balance(d: Dataset): string {
  if (!d.classCounts.length) return '—';
  const min = Math.min(...d.classCounts);
  const max = Math.max(...d.classCounts);
  return max === 0 ? '—' : `${((min / max) * 100).toFixed(0)}%`;
}

/** "3 · Dress" where the set has class names, else "3". */
export function classLabel(d: Dataset, label: number): string {
  const name = d.classNames?.[label];
  return name ? `${label} · ${name}` : String(label);
}

/** Samples grouped by class label, classes in ascending order (the detail views show a row per class). */
export function groupByLabel<T extends { label: number }>(samples: readonly T[]): [number, T[]][] {
  const groups = new Map<number, T[]>();
  for (const s of samples) groups.set(s.label, [...(groups.get(s.label) ?? []), s]);
  return [...groups.entries()].sort((a, b) => a[0] - b[0]);
}

/**
 * Whether deleting the dataset removes files: the server deletes only the copies it made under
 * `<data folder>/datasets/`; a system set (Debian's Fashion-MNIST) is left where it is.
 */
export function isAppCopy(d: Dataset, dataDir: string | null | undefined): boolean | null {
  if (!dataDir) return null;
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  return norm(firstPath(d.location)).startsWith(`${norm(dataDir)}/datasets/`);
}

/** The folder of a file path (either separator). */
export function folderOf(path: string): string {
  return path.replace(/[/\\][^/\\]*$/, '');
}
