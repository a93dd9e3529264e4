/**
 * The four charts on a page: Chart.js registered tree-shaken (only what the
 * configs in charts.ts use), created once, then updated in place on new data.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale,
  LineController, LineElement, PointElement, Title, Tooltip,
} from 'chart.js';
import type { RunSeries } from '../types.js';
import { allChartConfigs, type TrafficConfig } from './charts.js';

Chart.register(
  BarController, BarElement, CategoryScale, Legend, LinearScale,
  LineController, LineElement, PointElement, Title, Tooltip,
);

export type ChartKey = keyof ReturnType<typeof allChartConfigs>;
export const CHART_KEYS: readonly ChartKey[] = ['global', 'sites', 'fairness', 'traffic'];

export interface ChartSet {
  update(series: RunSeries): void;
}

/** Finds `<canvas id="chart-<key>">` for each chart; a missing canvas is a page bug, so it throws. */
export function createChartSet(doc: Document, series: RunSeries): ChartSet {
  const configs = allChartConfigs(series);
  const charts = new Map<ChartKey, Chart<'bar' | 'line', (number | null)[], string>>();
  for (const key of CHART_KEYS) {
    const canvas = doc.getElementById(`chart-${key}`);
    if (!(canvas instanceof HTMLCanvasElement)) throw new Error(`canvas #chart-${key} is missing`);
    charts.set(key, new Chart(canvas, configs[key] as TrafficConfig));
  }
  return {
    update(next) {
      const fresh = allChartConfigs(next);
      for (const key of CHART_KEYS) {
        const chart = charts.get(key);
        if (!chart) continue;
        // Swap data only: Chart.js matches datasets by index and redraws without re-creating the chart.
        chart.data.labels = fresh[key].data.labels ?? [];
        chart.data.datasets = fresh[key].data.datasets as typeof chart.data.datasets;
        chart.update('none');
      }
    },
  };
}
