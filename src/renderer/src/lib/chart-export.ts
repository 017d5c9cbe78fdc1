import type { XY } from './downsample';
import { dataUrlToBlob, downloadBlob, downloadText, echartsSvg, fileStem, pageBackground, toCsv } from './export-files';

// A metric chart's exports: the picture (PNG from the live canvas, SVG drawn again by ECharts' SVG renderer)
// and the data behind it (every point of every series, not the downsampled drawing).

export const CHART_EXPORTS = [
  { id: 'png', label: 'PNG image' },
  { id: 'svg', label: 'SVG image' },
  { id: 'csv', label: 'Data (CSV)' },
  { id: 'json', label: 'Data (JSON)' },
];

interface ChartLike {
  getDataURL(opts: { type: 'png' | 'jpeg' | 'svg'; pixelRatio?: number; backgroundColor?: string }): string;
}

export interface ChartExportSource {
  /** The VChart component (it exposes ECharts' getDataURL). */
  chart: unknown;
  host: HTMLElement | null;
  option: object;
  series: Array<{ name: string; points: XY[] }>;
  name: string;
  xName: string;
}

export function exportChart(format: string, src: ChartExportSource): void {
  const stem = fileStem(src.name);
  if (format === 'png') {
    const chart = src.chart as ChartLike | null;
    if (!chart) return;
    downloadBlob(`${stem}.png`, dataUrlToBlob(chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: pageBackground() })));
  } else if (format === 'svg') {
    const el = src.host;
    const svg = echartsSvg(src.option, el?.clientWidth || 640, el?.clientHeight || 220);
    downloadText(`${stem}.svg`, svg, 'image/svg+xml');
  } else if (format === 'csv') {
    const rows = src.series.flatMap((s) => s.points.map(([x, y]) => [s.name, x, y]));
    downloadText(`${stem}.csv`, toCsv(['series', src.xName, 'value'], rows), 'text/csv');
  } else if (format === 'json') {
    const data = { x: src.xName, series: src.series.map((s) => ({ name: s.name, points: s.points })) };
    downloadText(`${stem}.json`, JSON.stringify(data, null, 1), 'application/json');
  }
}
