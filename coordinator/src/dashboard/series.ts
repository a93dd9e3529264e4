/**
 * A run's rounds as the dashboard and the HTML report chart them (RunSeries of
 * @cohortfl/dashboard), from the store: losses, pooled and per-site AUC, subgroup
 * AUC gaps, bytes received and timings. A value the round did not record is null.
 */
import type { RunSeries, SeriesRound } from '@cohortfl/dashboard';
import { aucGapsOf } from '@cohortfl/protocol';
import type { Store } from '../store/index.js';

function numberOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

export function runSeries(store: Store, runId: number): RunSeries {
  const siteAuc = new Map<number, Record<string, number>>();
  const rounds = store.completedRounds(runId);
  for (const r of rounds) {
    const bySite: Record<string, number> = {};
    for (const m of store.siteMetrics(runId, r.round)) if (m.name === 'auc' && Number.isFinite(m.value)) bySite[m.site] = m.value;
    siteAuc.set(r.round, bySite);
  }
  return {
    rounds: rounds.map((r): SeriesRound => {
      const e = r.evalMetrics;
      return {
        round: r.round,
        attempt: r.attempt,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        trained: r.trained,
        failures: r.failures.map((f) => ({ site: f.site, reason: f.reason })),
        trainLoss: numberOrNull(r.trainMetrics['loss']),
        evalLoss: numberOrNull(e['loss']),
        // Pooled from the sites' histograms when they sent them; else the weighted mean of their AUCs.
        auc: numberOrNull(e['pooled/auc'] ?? e['auc']),
        worstSiteAuc: numberOrNull(e['sites/worstAuc']),
        siteAuc: siteAuc.get(r.round) ?? {},
        groupAucGap: aucGapsOf(e),
        bytesReceived: numberOrNull(r.trainMetrics['bytesReceived']),
      };
    }),
  };
}
