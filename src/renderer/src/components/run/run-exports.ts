import { api } from '../../api';
import type { RunDetail } from '../../../../shared/api';
import { downloadText, toCsv } from '../../lib/export-files';

// The run header's Export menu: the whole run as a bundle (written by the app into its data folder, since the
// page cannot choose a folder on the machine that runs the app), and the found cell and the metrics as files.

export function runExportItems(detail: RunDetail): Array<{ id: string; label: string; title?: string }> {
  const busy = detail.status === 'running' || detail.status === 'queued';
  return [
    ...(busy ? [] : [{ id: 'bundle', label: 'Run bundle (.nasrun)', title: "Everything about this run in one checksummed file another NAS Studio can import (Runs → Import run…)" }]),
    ...(detail.genotype != null || detail.arch ? [{ id: 'genotype', label: 'Genotype (JSON)' }] : []),
    { id: 'metrics-csv', label: 'Metrics (CSV)' },
    { id: 'metrics-json', label: 'Metrics (JSON)' },
  ];
}

/** Runs the export; returns a line for the user (where the bundle went), or null for a browser download. */
export async function runExport(detail: RunDetail, what: string): Promise<string | null> {
  const stem = `run-${detail.id}`;
  if (what === 'bundle') {
    const r = await api().invoke('runs.exportBundle', { id: detail.id });
    return `Run bundle written to ${r.path} (${(r.bytes / 2 ** 20).toFixed(1)} MB).`;
  }
  if (what === 'genotype') {
    const body = { run: detail.id, name: detail.name, space: detail.space, strategy: detail.strategy, arch: detail.arch, genotype: detail.genotype ?? null, nb201: detail.nb201 };
    downloadText(`${stem}-genotype.json`, JSON.stringify(body, null, 2), 'application/json');
    return null;
  }
  const series = await api().invoke('runs.metrics', { id: detail.id, maxPoints: 100_000 });
  if (what === 'metrics-csv') {
    const rows = Object.entries(series).flatMap(([name, points]) => points.map(([step, epoch, value]) => [name, step, epoch, value]));
    downloadText(`${stem}-metrics.csv`, toCsv(['name', 'step', 'epoch', 'value'], rows), 'text/csv');
  } else {
    const json = Object.fromEntries(Object.entries(series).map(([name, points]) => [name, points.map(([step, epoch, value]) => ({ step, epoch, value }))]));
    downloadText(`${stem}-metrics.json`, JSON.stringify({ run: detail.id, metrics: json }, null, 1), 'application/json');
  }
  return null;
}
