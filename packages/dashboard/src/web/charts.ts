/**
 * Pure builders from a run's series to Chart.js configurations. No DOM here, so
 * the dashboard and the report draw exactly the same charts and the configs are
 * unit-tested in Node. Missing values become null, which Chart.js draws as gaps.
 */
import type { ChartConfiguration, ChartOptions } from 'chart.js';
import { byRound } from '../series-stats.js';
import type { RunSeries, SeriesRound } from '../types.js';
import { colorFor, withAlpha } from './colors.js';
import { finiteOrNull, formatBytes } from '../format.js';

export type Point = number | null;
export type LineConfig = ChartConfiguration<'line', Point[], string>;
export type TrafficConfig = ChartConfiguration<'bar' | 'line', Point[], string>;

export const SERIES_COLORS = {
  trainLoss: '#4e79a7',
  evalLoss: '#f28e2b',
  auc: '#59a14f',
  bytes: '#76b7b2',
  duration: '#e15759',
} as const;

/** Chronological order whatever order the rounds arrived in. */
function ordered(series: RunSeries): SeriesRound[] {
  return byRound(series.rounds);
}

function labels(rounds: SeriesRound[]): string[] {
  return rounds.map((r) => String(r.round));
}

/** Keys of a per-round record across all rounds, sorted so the legend order is stable. */
function keysOf(rounds: SeriesRound[], pick: (r: SeriesRound) => Record<string, number>): string[] {
  const keys = new Set<string>();
  for (const r of rounds) for (const k of Object.keys(pick(r))) keys.add(k);
  return [...keys].sort();
}

function valueAt(record: Record<string, number>, key: string): Point {
  return Object.hasOwn(record, key) ? finiteOrNull(record[key]) : null;
}

function baseOptions(title: string): ChartOptions<'line'> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    spanGaps: false,
    interaction: { mode: 'index', intersect: false },
    plugins: {
      title: { display: true, text: title, align: 'start', font: { size: 14, weight: 'bold' } },
      legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
    },
  };
}

const roundAxis = { type: 'category', title: { display: true, text: 'Round' } } as const;

function line(label: string, data: Point[], color: string, yAxisID: string, dashed = false) {
  return {
    type: 'line' as const,
    label,
    data,
    yAxisID,
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    borderDash: dashed ? [6, 4] : [],
    // Dots mark isolated values between gaps; smaller once many rounds crowd the axis.
    pointRadius: data.length > 30 ? 1.5 : 2.5,
    pointHoverRadius: 4,
    spanGaps: false,
  };
}

/** (a) Global model: train and eval loss (left axis) and pooled AUC (right axis). */
export function globalChartConfig(series: RunSeries): LineConfig {
  const rounds = ordered(series);
  return {
    type: 'line',
    data: {
      labels: labels(rounds),
      datasets: [
        line('Train loss', rounds.map((r) => finiteOrNull(r.trainLoss)), SERIES_COLORS.trainLoss, 'yLoss'),
        line('Eval loss', rounds.map((r) => finiteOrNull(r.evalLoss)), SERIES_COLORS.evalLoss, 'yLoss', true),
        line('Pooled AUC', rounds.map((r) => finiteOrNull(r.auc)), SERIES_COLORS.auc, 'yAuc'),
      ],
    },
    options: {
      ...baseOptions('Global model'),
      scales: {
        x: roundAxis,
        yLoss: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'Loss' } },
        yAuc: {
          type: 'linear', position: 'right', suggestedMin: 0.5, max: 1,
          title: { display: true, text: 'AUC' }, grid: { drawOnChartArea: false },
        },
      },
    },
  };
}

/** (b) AUC of the global model at each site: one line per site, colour stable per site name. */
export function siteAucChartConfig(series: RunSeries): LineConfig {
  const rounds = ordered(series);
  const sites = keysOf(rounds, (r) => r.siteAuc);
  return {
    type: 'line',
    data: {
      labels: labels(rounds),
      datasets: sites.map((site) => line(site, rounds.map((r) => valueAt(r.siteAuc, site)), colorFor(site), 'y')),
    },
    options: {
      ...baseOptions('AUC per site'),
      scales: {
        x: roundAxis,
        y: { type: 'linear', suggestedMin: 0.5, max: 1, title: { display: true, text: 'AUC' } },
      },
    },
  };
}

/** (c) Fairness: per subgroup column, the AUC gap between its groups (0 = equal). */
export function fairnessChartConfig(series: RunSeries): LineConfig {
  const rounds = ordered(series);
  const columns = keysOf(rounds, (r) => r.groupAucGap);
  return {
    type: 'line',
    data: {
      labels: labels(rounds),
      datasets: columns.map((col) => line(col, rounds.map((r) => valueAt(r.groupAucGap, col)), colorFor(col), 'y')),
    },
    options: {
      ...baseOptions('AUC gap between subgroups'),
      scales: {
        x: roundAxis,
        y: { type: 'linear', beginAtZero: true, suggestedMax: 0.1, title: { display: true, text: 'AUC gap' } },
      },
    },
  };
}

/** Seconds a round took, or null when its timestamps are unusable. */
export function roundSeconds(r: SeriesRound): Point {
  const ms = finiteOrNull(r.finishedAt - r.startedAt);
  return ms === null || ms < 0 ? null : ms / 1000;
}

/** (d) Traffic: update bytes received per round (bars) and round duration (line, right axis). */
export function trafficChartConfig(series: RunSeries): TrafficConfig {
  const rounds = ordered(series);
  const options = baseOptions('Traffic and round time') as ChartOptions<'bar' | 'line'>;
  return {
    type: 'bar',
    data: {
      labels: labels(rounds),
      datasets: [
        {
          type: 'bar',
          label: 'Bytes received',
          data: rounds.map((r) => finiteOrNull(r.bytesReceived)),
          yAxisID: 'yBytes',
          backgroundColor: withAlpha(SERIES_COLORS.bytes, 0.7),
          borderColor: SERIES_COLORS.bytes,
          borderWidth: 1,
          order: 2,
        },
        { ...line('Round duration (s)', rounds.map(roundSeconds), SERIES_COLORS.duration, 'ySeconds'), order: 1 },
      ],
    },
    options: {
      ...options,
      scales: {
        x: roundAxis,
        yBytes: {
          type: 'linear', position: 'left', beginAtZero: true,
          // Without any byte counts (a simulation), the axis says so instead of ticking fractions of a byte.
          display: rounds.some((r) => finiteOrNull(r.bytesReceived) !== null),
          title: { display: true, text: 'Bytes received' },
          ticks: { precision: 0, callback: (value) => formatBytes(Number(value)) },
        },
        ySeconds: {
          type: 'linear', position: 'right', beginAtZero: true,
          title: { display: true, text: 'Seconds' }, grid: { drawOnChartArea: false },
        },
      },
    },
  };
}

/** All four, in the order both pages lay them out (keys match the canvas ids' suffixes). */
export function allChartConfigs(series: RunSeries) {
  return {
    global: globalChartConfig(series),
    sites: siteAucChartConfig(series),
    fairness: fairnessChartConfig(series),
    traffic: trafficChartConfig(series),
  };
}
