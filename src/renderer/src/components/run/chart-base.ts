import type { ChartPalette } from '../../lib/theme';

// The look the run view's two-axis charts share (benchmark curve, trajectory), matching MetricChart's.

export function baseChart(p: ChartPalette, xName: string) {
  return {
    animation: false,
    color: p.series,
    backgroundColor: 'transparent',
    textStyle: { color: p.text, fontFamily: 'system-ui, sans-serif' },
    grid: { left: 8, right: 8, top: 34, bottom: 26, containLabel: true },
    legend: { top: 2, left: 0, itemWidth: 14, itemHeight: 8, textStyle: { color: p.muted, fontSize: 11 }, inactiveColor: p.axis },
    tooltip: {
      trigger: 'axis',
      backgroundColor: p.tooltipBg,
      borderColor: p.tooltipBorder,
      textStyle: { color: p.text, fontSize: 12 },
      axisPointer: { type: 'line', lineStyle: { color: p.axis } },
    },
    xAxis: {
      type: 'value',
      name: xName,
      nameLocation: 'middle',
      nameGap: 20,
      nameTextStyle: { color: p.muted, fontSize: 10 },
      min: 'dataMin',
      max: 'dataMax',
      minInterval: 1,
      axisLine: { lineStyle: { color: p.axis } },
      axisTick: { lineStyle: { color: p.axis } },
      axisLabel: { color: p.muted, fontSize: 10, hideOverlap: true },
      splitLine: { show: false },
    },
  };
}

/** A y axis; its unit goes on the tick labels (axis names at the top were cut off by the legend and the edge). */
export function valueAxis(p: ChartPalette, unit: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'value',
    scale: true,
    axisLine: { show: false },
    axisLabel: { color: p.muted, fontSize: 10, formatter: unit ? (v: number) => `${v}${unit}` : undefined },
    splitLine: { lineStyle: { color: p.grid } },
    ...extra,
  };
}
