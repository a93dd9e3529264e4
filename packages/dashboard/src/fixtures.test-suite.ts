/** Seeded, small series for the tests (and for looking at the pages by eye). */
import { createSeededRandom } from '@cohortfl/wire';
import type { ReportInput, RunSeries, SeriesRound } from './types.js';

export const SITES = ['hospital-a', 'hospital-b', 'hospital-c'] as const;

export function makeSeries(rounds: number, seed = 7, sites: readonly string[] = SITES): RunSeries {
  const rand = createSeededRandom(seed);
  const t0 = Date.UTC(2025, 0, 1, 12);
  const out: SeriesRound[] = [];
  for (let r = 1; r <= rounds; r += 1) {
    const auc = 0.6 + 0.25 * (1 - Math.exp(-r / 4)) + 0.01 * rand();
    const siteAuc: Record<string, number> = {};
    for (const s of sites) siteAuc[s] = Math.min(1, auc - 0.05 + 0.1 * rand());
    const startedAt = t0 + r * 60_000;
    out.push({
      round: r, attempt: 1, startedAt, finishedAt: startedAt + 20_000 + Math.round(10_000 * rand()),
      trained: [...sites], failures: [],
      trainLoss: 0.7 * Math.exp(-r / 5) + 0.2, evalLoss: 0.75 * Math.exp(-r / 5) + 0.22,
      auc, worstSiteAuc: Math.min(...Object.values(siteAuc)), siteAuc,
      groupAucGap: { ancestry: 0.08 * Math.exp(-r / 6) + 0.01 * rand(), sex: 0.02 + 0.01 * rand() },
      bytesReceived: 180_000 + Math.round(20_000 * rand()),
    });
  }
  return { rounds: out };
}

export function makeReport(rounds = 6): ReportInput {
  const series = makeSeries(rounds);
  const last = series.rounds[series.rounds.length - 1];
  return {
    title: 'CAD risk — synthetic federation',
    subtitle: '3 hospitals, FedAvg with secure aggregation',
    generatedAt: Date.UTC(2025, 0, 1, 13),
    series,
    sites: SITES.map((site, i) => ({ site, numExamples: 400 + 100 * i, auc: last?.siteAuc[site] ?? null, epsilonSpent: 1.5 + i / 10 })),
    facts: [{ label: 'Strategy', value: 'FedAvg' }, { label: 'Privacy', value: 'ε = 8, δ = 1e-6' }],
    notes: ['Synthetic data; numbers show the pipeline, not clinical performance.'],
  };
}
