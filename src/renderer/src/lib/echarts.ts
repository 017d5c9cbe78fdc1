// ECharts, on demand: only the modules the app draws with, to keep the bundle small.
import { use } from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  MarkPointComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';

use([
  CanvasRenderer,
  SVGRenderer, // exports: charts saved as SVG files (lib/export-files.ts)
  LineChart,
  HeatmapChart,
  BarChart, // InstaNAS: per-instance latency histogram
  ScatterChart, // InstaNAS: accuracy–latency of the variants
  GridComponent,
  TooltipComponent,
  LegendComponent,
  MarkLineComponent,
  MarkAreaComponent, // InstaNAS: phase 1 / phase 2 spans
  MarkPointComponent,
  DataZoomComponent,
  VisualMapComponent,
]);

export { default as VChart } from 'vue-echarts';
