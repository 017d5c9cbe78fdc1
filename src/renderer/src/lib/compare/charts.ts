// The Compare view's extra chart types (registered on demand, next to lib/echarts.ts's) and their options.
import { use } from 'echarts/core';
import { ParallelChart, ScatterChart } from 'echarts/charts';
import { ParallelComponent } from 'echarts/components';
import type { ChartPalette } from '../theme';
import type { CompareRow } from './table';
import { paretoFront } from './pareto';

use([ScatterChart, ParallelChart, ParallelComponent]);

export const numericRows = (rows: readonly CompareRow[]) => rows.filter((r) => r.values.some((v) => typeof v === 'number'));
/** Cost axes: lower is better (search time, parameters, FLOPs, latency). */
export const costRows = (rows: readonly CompareRow[]) => numericRows(rows).filter((r) => r.better === 'lower' && (r.group === 'result' || r.group === 'retrain'));
/** Accuracy axes: higher is better. */
export const accuracyRows = (rows: readonly CompareRow[]) => numericRows(rows).filter((r) => r.better === 'higher');

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function scatterOption(ids: number[], labels: string[], cost: CompareRow, acc: CompareRow, p: ChartPalette) {
  const pts = ids.map((id, i) => ({ id, i, cost: num(cost.values[i]), accuracy: num(acc.values[i]) })).filter((x) => x.cost !== null && x.accuracy !== null) as { id: number; i: number; cost: number; accuracy: number }[];
  const front = paretoFront(pts);
  const frontPts = front.map((id) => pts.find((x) => x.id === id)!);
  const axis = (name: string) => ({ name, nameLocation: 'middle', nameGap: 28, scale: true, axisLabel: { color: p.muted, fontSize: 10 }, nameTextStyle: { color: p.muted }, splitLine: { lineStyle: { color: p.grid } } });
  return {
    front,
    option: {
      animation: false,
      color: p.series,
      grid: { left: 16, right: 24, top: 24, bottom: 40, containLabel: true },
      tooltip: { trigger: 'item', backgroundColor: p.tooltipBg, textStyle: { color: p.text, fontSize: 12 } },
      xAxis: { type: 'value', ...axis(`${cost.label} (lower is better)`) },
      yAxis: { type: 'value', ...axis(acc.label) },
      series: [
        {
          type: 'scatter',
          symbolSize: 12,
          data: pts.map((x) => ({ value: [x.cost, x.accuracy], name: labels[x.i], itemStyle: { color: p.series[x.i % p.series.length], borderColor: front.includes(x.id) ? p.text : 'transparent', borderWidth: 2 } })),
          label: { show: true, position: 'right', formatter: (d: { name: string }) => d.name, color: p.muted, fontSize: 10 },
          tooltip: { formatter: (d: { name: string; value: number[] }) => `${d.name}<br/>${cost.label}: ${d.value[0]}<br/>${acc.label}: ${d.value[1]}` },
        },
        { type: 'line', name: 'Pareto front', data: frontPts.map((x) => [x.cost, x.accuracy]), step: 'end', symbol: 'none', lineStyle: { type: 'dashed', color: p.text, width: 1 }, silent: true },
      ],
    },
  };
}

export function parallelOption(labels: string[], rows: readonly CompareRow[], p: ChartPalette) {
  const axes = rows.map((r, dim) => {
    const cats = r.values.some((v) => typeof v !== 'number' && v !== null) ? [...new Set(r.values.map((v) => String(v)))] : null;
    return { dim, name: r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label, type: cats ? 'category' : 'value', data: cats ?? undefined, scale: true, nameTextStyle: { color: p.muted, fontSize: 10 }, axisLabel: { color: p.muted, fontSize: 9 } };
  });
  return {
    animation: false,
    color: p.series,
    legend: { top: 0, textStyle: { color: p.muted, fontSize: 11 } },
    parallel: { left: 40, right: 60, top: 50, bottom: 24, parallelAxisDefault: { nameLocation: 'end', nameGap: 12, axisLine: { lineStyle: { color: p.axis } } } },
    parallelAxis: axes,
    series: labels.map((name, i) => ({ type: 'parallel', name, lineStyle: { width: 2, opacity: 0.9, color: p.series[i % p.series.length] }, data: [rows.map((r) => (typeof r.values[i] === 'number' ? r.values[i] : r.values[i] === null ? null : String(r.values[i])))] })),
  };
}
